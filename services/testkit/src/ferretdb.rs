//! A private FerretDB (the MongoDB wire protocol on SQLite) for one test binary; tests
//! keep apart with a database each ([`unique_database`]).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::{free_port, poll_until};

/// The watchdog: run FerretDB until stdin closes, then stop it and remove its data.
const WATCHDOG: &str = r#"
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/localmart-ferretdb.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$FERRETDB" --handler=sqlite --sqlite-url="file:$dir/" --state-dir="$dir" \
  --listen-addr="127.0.0.1:$FERRETDB_PORT" --telemetry=disable --debug-addr=- --log-level=warn \
  >"$dir/ferretdb.log" 2>&1 &
ferretdb=$!
cat >/dev/null || true
kill -TERM "$ferretdb" 2>/dev/null || true
wait "$ferretdb" || true
"#;

static SHARED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The MongoDB URI of this test binary's FerretDB, started on first use.
pub async fn shared_uri() -> Result<String> {
    let uri = SHARED
        .get_or_try_init(|| async {
            let port = free_port()?;
            let binary = crate::tool("ferretdb")?;
            let watchdog: Child = Command::new("sh")
                .args(["-c", WATCHDOG])
                .env("FERRETDB", &binary)
                .env("FERRETDB_PORT", port.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {} (run `make deps`)", binary.display()))?;
            // The watchdog lives as long as the test process; its stdin closes with it.
            std::mem::forget(watchdog);
            poll_until(
                "FerretDB accepting connections",
                Duration::from_secs(30),
                || async move {
                    tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                    Ok(())
                },
            )
            .await?;
            anyhow::Ok(format!("mongodb://127.0.0.1:{port}/"))
        })
        .await?;
    Ok(uri.clone())
}

/// A database name no other test uses.
pub fn unique_database() -> String {
    format!("test_{}", uuid::Uuid::new_v4().simple())
}
