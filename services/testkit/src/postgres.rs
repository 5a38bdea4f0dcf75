//! Private PostgreSQL servers for tests: one shared per test binary, with a fresh database
//! per test, or one of a test's own ([`PostgresServer`]) that it may freeze or kill.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::supervised::{Faults, Supervised};
use crate::{free_port, poll_until, running_as_root};

/// The watchdog: initialise a cluster in the server's directory unless it holds one, start
/// the server and write its pid, wait for stdin to close, then stop the server (letting it
/// go on first, in case it was frozen). `fsync=off` because a test needs no protection
/// from a crash of the machine; commits stay synchronous, so a commit acknowledged is in
/// the write-ahead log when the server is killed.
const WATCHDOG: &str = r#"
set -eu
if [ ! -d "$PG_DIR/data" ]; then
  if ! "$PG_BIN/initdb" -D "$PG_DIR/data" -U localmart --auth=trust -E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    exit 1
  fi
fi
"$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c full_page_writes=off -c max_connections=200 \
  >>"$PG_DIR/postgres.log" 2>&1 &
pg=$!
echo "$pg" >"$PG_DIR/postgres.pid"
cat >/dev/null || true
pkill -CONT -P "$pg" 2>/dev/null || true
kill -CONT "$pg" 2>/dev/null || true
kill -INT "$pg" 2>/dev/null || true
wait "$pg" 2>/dev/null || true
if [ "${PG_REMOVE_DIR:-}" = 1 ]; then rm -rf "$PG_DIR"; fi
"#;

/// A PostgreSQL server on a private port with a cluster of its own, stopped when dropped
/// or when the test process exits. Its backends are frozen, thawed and killed with it;
/// after a [`kill`](Faults::kill), what the write-ahead log holds is what
/// [`resume`](Self::resume) recovers before it accepts connections.
#[derive(Debug)]
pub struct PostgresServer {
    port: u16,
    /// The cluster, its socket, log and pid file.
    dir: tempfile::TempDir,
    process: Supervised,
    /// Whether the watchdog removes the directory when it stops the server.
    watchdog_removes_dir: bool,
}

impl PostgresServer {
    /// Starts a server; [`fresh_database`](Self::fresh_database) waits until it accepts.
    pub fn start() -> Result<Self> {
        Self::start_with(false)
    }

    fn start_with(watchdog_removes_dir: bool) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("localmart-pg").tempdir()?;
        if running_as_root() {
            // The server runs as the postgres user, who must own the cluster.
            let status = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .context("chown")?;
            anyhow::ensure!(status.success(), "chown postgres {}", dir.path().display());
        }
        let process = Supervised::new("PostgreSQL", dir.path().join("postgres.pid"));
        let mut server = Self {
            port: free_port()?,
            dir,
            process: process.with_children(),
            watchdog_removes_dir,
        };
        server.resume()?;
        Ok(server)
    }

    /// Starts the server again on the same port with the same cluster; it recovers from
    /// a kill before it accepts connections.
    pub fn resume(&mut self) -> Result<()> {
        if self.process.is_running() {
            return Ok(());
        }
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
            .env("PG_PORT", self.port.to_string())
            .env("PG_DIR", self.dir.path())
            .env(
                "PG_REMOVE_DIR",
                if self.watchdog_removes_dir { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("starting the PostgreSQL watchdog")?;
        self.process.started(watchdog)
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://localmart@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database on this server, once it accepts connections.
    pub async fn fresh_database(&self) -> Result<TestDatabase> {
        let admin_url = self.url("postgres");
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
        Ok(TestDatabase {
            url: self.url(&name),
            name,
            port: self.port,
        })
    }
}

impl Faults for PostgresServer {
    fn process(&mut self) -> &mut Supervised {
        &mut self.process
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self.process.stop();
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
        .get_or_init(|| {
            // Never dropped: the server lives as long as the test process, and its
            // watchdog stops it and removes its cluster when the process exits.
            PostgresServer::start_with(true).map_err(|err| format!("{err:#}"))
        })
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
