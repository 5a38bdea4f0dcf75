//! A service's own binary run as a process of its own, for the tests that do to a service
//! what a crash does: [`ServiceProcess::kill`] is SIGKILL, with no shutdown and no
//! draining, and [`resume`](ServiceProcess::resume) starts it again on the same port, as
//! a supervisor would.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::poll_until;
use crate::supervised::{Faults, Supervised};

/// The watchdog: run the service until stdin closes, then stop it with SIGTERM (the
/// graceful shutdown) and wait for it.
const WATCHDOG: &str = r#"
set -eu
"$@" >>"$SERVICE_DIR/service.log" 2>&1 &
service=$!
echo "$service" >"$SERVICE_DIR/service.pid"
cat >/dev/null || true
kill -TERM "$service" 2>/dev/null || true
wait "$service" 2>/dev/null || true
"#;

/// A service binary running with the environment it was given, serving REST on
/// `http_addr`. [`stop`](Faults::stop) is its graceful shutdown (SIGTERM, in-flight
/// requests drained); [`kill`](Faults::kill) cuts requests in flight off unanswered.
#[derive(Debug)]
pub struct ServiceProcess {
    binary: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    http_addr: SocketAddr,
    /// The pid file and the log, which lasts across restarts.
    dir: tempfile::TempDir,
    process: Supervised,
}

impl ServiceProcess {
    /// Starts `binary` with `args` and `envs` (which must make it serve REST on
    /// `http_addr`) and waits until its `/readyz` answers 200.
    pub async fn start(
        binary: impl Into<PathBuf>,
        args: &[&str],
        envs: Vec<(&str, String)>,
        http_addr: SocketAddr,
    ) -> Result<Self> {
        let binary = binary.into();
        let dir = tempfile::Builder::new()
            .prefix("localmart-service")
            .tempdir()?;
        let name = binary.file_name().map_or_else(
            || "service".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
        let process = Supervised::new(name, dir.path().join("service.pid"));
        let mut service = Self {
            binary,
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            envs: envs
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
            http_addr,
            dir,
            process,
        };
        service.resume().await?;
        Ok(service)
    }

    /// The base URL of its REST API.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Starts the service again (when it is not running) and waits until it is ready.
    pub async fn resume(&mut self) -> Result<()> {
        if !self.process.is_running() {
            let watchdog = Command::new("sh")
                .args(["-c", WATCHDOG, "watchdog"])
                .arg(&self.binary)
                .args(&self.args)
                .envs(self.envs.iter().map(|(key, value)| (key, value)))
                .env("SERVICE_DIR", self.dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", self.binary.display()))?;
            self.process.started(watchdog)?;
        }
        let addr = self.http_addr;
        let ready = poll_until("the service ready", Duration::from_secs(30), || {
            readyz(addr)
        })
        .await;
        ready.with_context(|| format!("its log:\n{}", self.log()))
    }

    /// What the service has logged so far, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("service.log")).unwrap_or_default()
    }
}

impl Faults for ServiceProcess {
    fn process(&mut self) -> &mut Supervised {
        &mut self.process
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.process.stop();
    }
}

/// `GET /readyz` over a plain connection (this crate has no HTTP client), Ok on a 200.
async fn readyz(addr: SocketAddr) -> Result<()> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    anyhow::ensure!(status.starts_with("HTTP/1.1 200"), "answered {status:?}");
    Ok(())
}
