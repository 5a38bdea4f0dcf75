//! Private FerretDB servers (the MongoDB wire protocol on PostgreSQL, as `make up` runs it,
//! or on SQLite): one shared per test binary (tests keep apart with a database each, [`unique_database`]), or
//! one of a test's own that it can freeze, kill and start again to see what its service
//! does meanwhile.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::supervised::{Faults, Supervised};
use crate::{free_port, poll_until};

/// The watchdog: run FerretDB until stdin closes, then stop it. The data directory belongs
/// to the [`FerretDbServer`], so a restart finds the data again.
const WATCHDOG: &str = r#"
set -eu
case "$FERRETDB_HANDLER" in
  sqlite) backend="--sqlite-url=file:$FERRETDB_DIR/" ;;
  *) backend="--postgresql-url=$FERRETDB_POSTGRESQL_URL" ;;
esac
"$FERRETDB" --handler="$FERRETDB_HANDLER" "$backend" --state-dir="$FERRETDB_DIR" \
  --listen-addr="127.0.0.1:$FERRETDB_PORT" --telemetry=disable --debug-addr=- --log-level=warn \
  >>"$FERRETDB_DIR/ferretdb.log" 2>&1 &
ferretdb=$!
echo "$ferretdb" >"$FERRETDB_DIR/ferretdb.pid"
cat >/dev/null || true
kill -TERM "$ferretdb" 2>/dev/null || true
wait "$ferretdb" 2>/dev/null || true
if [ "${FERRETDB_REMOVE_DIR:-}" = 1 ]; then rm -rf "$FERRETDB_DIR"; fi
"#;

/// Where a FerretDB server keeps its documents.
#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite files in the server's own data directory (what `make up` runs).
    Sqlite,
    /// The PostgreSQL database at this URL.
    PostgreSql(String),
}

/// A FerretDB server on a private port with a data directory of its own.
#[derive(Debug)]
pub struct FerretDbServer {
    port: u16,
    backend: Backend,
    dir: tempfile::TempDir,
    process: Supervised,
    /// Whether the watchdog removes the data directory when it stops the server.
    watchdog_removes_dir: bool,
}

impl FerretDbServer {
    /// Starts a new server as `make up` runs it, on a fresh database of the tests'
    /// PostgreSQL, and waits until it accepts connections.
    pub async fn start() -> Result<Self> {
        Self::start_with(postgresql().await?, false).await
    }

    /// Starts a new server keeping its documents in `backend`.
    pub async fn start_on(backend: Backend) -> Result<Self> {
        Self::start_with(backend, false).await
    }

    async fn start_with(backend: Backend, watchdog_removes_dir: bool) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("localmart-ferretdb")
            .tempdir()?;
        let process = Supervised::new("FerretDB", dir.path().join("ferretdb.pid"));
        let mut server = Self {
            port: free_port()?,
            backend,
            dir,
            process,
            watchdog_removes_dir,
        };
        server.resume().await?;
        Ok(server)
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/", self.port)
    }

    /// Starts the server again on the same port with the same data.
    pub async fn resume(&mut self) -> Result<()> {
        if self.process.is_running() {
            return Ok(());
        }
        let binary = crate::tool("ferretdb")?;
        let (handler, postgresql_url) = match &self.backend {
            Backend::Sqlite => ("sqlite", ""),
            Backend::PostgreSql(url) => ("postgresql", url.as_str()),
        };
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG])
            .env("FERRETDB", &binary)
            .env("FERRETDB_HANDLER", handler)
            .env("FERRETDB_POSTGRESQL_URL", postgresql_url)
            .env("FERRETDB_PORT", self.port.to_string())
            .env("FERRETDB_DIR", self.dir.path())
            .env(
                "FERRETDB_REMOVE_DIR",
                if self.watchdog_removes_dir { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {} (run `make deps`)", binary.display()))?;
        self.process.started(watchdog)?;
        let port = self.port;
        poll_until(
            "FerretDB accepting connections",
            Duration::from_secs(30),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                Ok(())
            },
        )
        .await
    }
}

impl Faults for FerretDbServer {
    fn process(&mut self) -> &mut Supervised {
        &mut self.process
    }
}

impl Drop for FerretDbServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A fresh database of the tests' shared PostgreSQL, for a FerretDB to keep its documents in.
async fn postgresql() -> Result<Backend> {
    let database = crate::postgres::fresh_database().await?;
    Ok(Backend::PostgreSql(database.url))
}

static SHARED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The MongoDB URI of this test binary's shared FerretDB, started on first use.
pub async fn shared_uri() -> Result<String> {
    let uri = SHARED
        .get_or_try_init(|| async {
            // Never dropped: the server lives as long as the test process, and its watchdog
            // stops it and removes its data when the process exits.
            let server = FerretDbServer::start_with(postgresql().await?, true).await?;
            let uri = server.uri();
            std::mem::forget(server);
            anyhow::Ok(uri)
        })
        .await?;
    Ok(uri.clone())
}

/// A database name no other test uses.
pub fn unique_database() -> String {
    format!("test_{}", uuid::Uuid::new_v4().simple())
}
