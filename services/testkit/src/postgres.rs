//! Private PostgreSQL servers for tests: one shared per test binary, with a fresh database
//! per test, or one of a test's own ([`PostgresServer`]) that it may freeze.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::{free_port, poll_until, running_as_root};

/// The watchdog: initialise a cluster in a temporary directory, start the server and print
/// its pid, wait for stdin to close, then stop the server (letting it go on first, in case
/// it was frozen) and remove the directory.
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
echo "$pg"
cat >/dev/null || true
pkill -CONT -P "$pg" 2>/dev/null || true
kill -CONT "$pg" 2>/dev/null || true
kill -INT "$pg" 2>/dev/null || true
wait "$pg" || true
"#;

/// A PostgreSQL server on a private port, stopped (and its data removed) when dropped or
/// when the test process exits.
#[derive(Debug)]
pub struct PostgresServer {
    port: u16,
    /// The postmaster's pid.
    pid: String,
    // Held so the watchdog's stdin stays open for as long as the server should run.
    _watchdog: Mutex<Child>,
}

impl PostgresServer {
    /// Starts a server; [`fresh_database`](Self::fresh_database) waits until it accepts.
    pub fn start() -> Result<Self> {
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
        let mut watchdog = command
            .env("PG_BIN", bin_dir()?)
            .env("PG_PORT", port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the PostgreSQL watchdog")?;
        let mut pid = String::new();
        let stdout = watchdog.stdout.take().context("the watchdog's stdout")?;
        BufReader::new(stdout)
            .read_line(&mut pid)
            .context("reading the server's pid")?;
        anyhow::ensure!(!pid.trim().is_empty(), "PostgreSQL did not start");
        Ok(Self {
            port,
            pid: pid.trim().to_owned(),
            _watchdog: Mutex::new(watchdog),
        })
    }

    /// Freezes the server and its backends (SIGSTOP): connections stay open, nothing is
    /// answered, until [`thaw`](Self::thaw) (or the end of the test). Each backend is a
    /// session of its own, so they are reached as the postmaster's children.
    pub fn freeze(&self) -> Result<()> {
        crate::signal(&self.pid, "STOP")?;
        self.signal_backends("STOP")
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) -> Result<()> {
        self.signal_backends("CONT")?;
        crate::signal(&self.pid, "CONT")
    }

    fn signal_backends(&self, signal: &str) -> Result<()> {
        let status = Command::new("pkill")
            .arg(format!("-{signal}"))
            .args(["-P", &self.pid])
            .status()
            .context("pkill (procps)")?;
        // 1: no process matched, which is no failure here.
        anyhow::ensure!(
            matches!(status.code(), Some(0 | 1)),
            "pkill -{signal} -P {} failed",
            self.pid
        );
        Ok(())
    }

    /// Creates an empty database on this server.
    pub async fn fresh_database(&self) -> Result<TestDatabase> {
        let admin_url = format!("postgres://localmart@127.0.0.1:{}/postgres", self.port);
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
        let url = format!("postgres://localmart@127.0.0.1:{}/{name}", self.port);
        Ok(TestDatabase {
            url,
            name,
            port: self.port,
        })
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        // A frozen server could not stop; the watchdog also lets it go on before stopping it.
        let _ = self.thaw();
    }
}

static SERVER: OnceLock<Result<PostgresServer, String>> = OnceLock::new();

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

fn server() -> Result<&'static PostgresServer> {
    SERVER
        .get_or_init(|| PostgresServer::start().map_err(|err| format!("{err:#}")))
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
    server()?.fresh_database().await
}
