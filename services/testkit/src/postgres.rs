//! A private PostgreSQL server for one test binary, and a fresh database per test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::{free_port, poll_until, running_as_root};

/// The watchdog: initialise a cluster in a temporary directory, start the server, wait
/// for stdin to close, then stop the server and remove the directory.
const WATCHDOG: &str = r#"
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/localmart-pg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
if ! "$PG_BIN/initdb" -D "$dir/data" -U localmart --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
"$PG_BIN/postgres" -D "$dir/data" -p "$PG_PORT" -k "$dir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  >"$dir/postgres.log" 2>&1 &
pg=$!
cat >/dev/null || true
kill -INT "$pg" 2>/dev/null || true
wait "$pg" || true
"#;

struct Server {
    port: u16,
    // Held so the watchdog's stdin stays open for as long as the test process lives.
    _watchdog: Mutex<Child>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// Where the PostgreSQL server binaries are: `PG_BIN_DIR`, or Debian's newest version.
fn bin_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (no /usr/lib/postgresql); run `make deps` or set PG_BIN_DIR")?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no PostgreSQL server binaries under /usr/lib/postgresql")
}

fn start() -> Result<Server> {
    let port = free_port()?;
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", "sh", "-c", WATCHDOG]);
        command
    } else {
        let mut command = Command::new("sh");
        command.args(["-c", WATCHDOG]);
        command
    };
    let watchdog = command
        .env("PG_BIN", bin_dir()?)
        .env("PG_PORT", port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("starting the PostgreSQL watchdog")?;
    Ok(Server {
        port,
        _watchdog: Mutex::new(watchdog),
    })
}

fn server() -> Result<&'static Server> {
    SERVER
        .get_or_init(|| start().map_err(|err| format!("{err:#}")))
        .as_ref()
        .map_err(|err| anyhow::anyhow!("{err}"))
}

/// A database of its own for one test.
#[derive(Debug, Clone)]
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    port: u16,
}

impl TestDatabase {
    /// The server's maintenance database, for tests that create or drop databases.
    pub fn admin_url(&self) -> String {
        format!("postgres://localmart@127.0.0.1:{}/postgres", self.port)
    }
}

/// Creates an empty database on the shared test server, starting it on first use.
pub async fn fresh_database() -> Result<TestDatabase> {
    let server = server()?;
    let admin_url = format!("postgres://localmart@127.0.0.1:{}/postgres", server.port);
    let mut admin = poll_until(
        "PostgreSQL accepting connections",
        Duration::from_secs(60),
        || {
            let admin_url = admin_url.clone();
            async move { Ok(PgConnection::connect(&admin_url).await?) }
        },
    )
    .await?;
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let url = format!("postgres://localmart@127.0.0.1:{}/{name}", server.port);
    Ok(TestDatabase {
        url,
        name,
        port: server.port,
    })
}
