//! Private Redis servers for tests: one shared per test binary (tests keep apart by key
//! prefix), or one of a test's own that it can stop and start again to see what its
//! service does meanwhile.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::supervised::{Faults, Supervised};
use crate::{free_port, poll_until};

/// The watchdog: run Redis until stdin closes, then stop it. The data directory belongs
/// to the [`RedisServer`], so a restart finds the data again.
const WATCHDOG: &str = r#"
set -eu
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --appendonly yes \
  --save "" --logfile "$REDIS_DIR/redis.log" --protected-mode no &
redis=$!
echo "$redis" >"$REDIS_DIR/redis.pid"
cat >/dev/null || true
kill -TERM "$redis" 2>/dev/null || true
wait "$redis" 2>/dev/null || true
if [ "${REDIS_REMOVE_DIR:-}" = 1 ]; then rm -rf "$REDIS_DIR"; fi
"#;

/// A Redis server on a private port with a data directory of its own. It keeps an
/// append-only file: after a [`kill`](Faults::kill), what the file holds is what
/// [`resume`](Self::resume) finds; [`stop`](Faults::stop) lets Redis complete it.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    process: Supervised,
    /// Whether the watchdog removes the data directory when it stops the server.
    watchdog_removes_dir: bool,
}

impl RedisServer {
    /// Starts a new server and waits until it answers.
    pub async fn start() -> Result<Self> {
        Self::start_with(false).await
    }

    async fn start_with(watchdog_removes_dir: bool) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("localmart-redis")
            .tempdir()?;
        let process = Supervised::new("Redis", dir.path().join("redis.pid"));
        let mut server = Self {
            port: free_port()?,
            dir,
            process,
            watchdog_removes_dir,
        };
        server.resume().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Starts the server again on the same port with the same data.
    pub async fn resume(&mut self) -> Result<()> {
        if self.process.is_running() {
            return Ok(());
        }
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG])
            .env("REDIS_PORT", self.port.to_string())
            .env("REDIS_DIR", self.dir.path())
            .env(
                "REDIS_REMOVE_DIR",
                if self.watchdog_removes_dir { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .context("starting redis-server (is it installed? `make deps`)")?;
        self.process.started(watchdog)?;
        let url = self.url();
        poll_until("Redis answering PING", Duration::from_secs(30), || {
            let url = url.clone();
            async move {
                let client = redis::Client::open(url)?;
                let mut connection = client.get_multiplexed_async_connection().await?;
                let _: String = redis::cmd("PING").query_async(&mut connection).await?;
                Ok(())
            }
        })
        .await
    }
}

impl Faults for RedisServer {
    fn process(&mut self) -> &mut Supervised {
        &mut self.process
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

static SHARED: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

/// The URL of this test binary's shared Redis, started on first use. Tests that share it
/// keep apart with a key prefix of their own ([`unique_prefix`]).
pub async fn shared_url() -> Result<String> {
    let url = SHARED
        .get_or_try_init(|| async {
            // Never dropped: the server lives as long as the test process, and its watchdog
            // stops it and removes its data when the process exits.
            let server = RedisServer::start_with(true).await?;
            let url = server.url();
            std::mem::forget(server);
            anyhow::Ok(url)
        })
        .await?;
    Ok(url.clone())
}

/// A key prefix no other test uses.
pub fn unique_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}
