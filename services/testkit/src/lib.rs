//! Real datastores for integration tests: each test binary starts its own servers on
//! free ports with throw-away data directories, and each test gets a fresh database.
//! Nothing here relies on a server already running on the machine. For the fault suite,
//! a service's binary run as a process a test can kill ([`service`]), a proxy that makes
//! a real service slow or frozen to its callers ([`proxy`]), and the writers that keep
//! the load on meanwhile ([`faults`]).
//!
//! A server runs under a small shell watchdog that holds a pipe from the test process:
//! when the test process exits, however it exits, the pipe closes and the watchdog stops
//! the server and deletes its data directory.

pub mod faults;
pub mod ferretdb;
pub mod load;
pub mod postgres;
pub mod process;
pub mod proxy;
pub mod redis;
pub mod refusal;
pub mod service;
mod supervised;
pub mod tools;

pub use supervised::{Faults, Supervised};

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

/// A port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A loopback address with a port that was free a moment ago, for a server that must
/// be told its port before it starts (a service's binary).
pub fn free_addr() -> Result<std::net::SocketAddr> {
    Ok((std::net::Ipv4Addr::LOCALHOST, free_port()?).into())
}

/// Polls `attempt` until it succeeds or `deadline` passes; the last error explains a failure.
pub async fn poll_until<T, F, Fut>(what: &str, deadline: Duration, mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let started = Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(err) if started.elapsed() > deadline => {
                bail!("{what} did not happen within {deadline:?}: {err:#}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Sends `signal` (`STOP`, `CONT`, ...) to process `pid`, or to the process group `-pgid`,
/// for tests that freeze a datastore and let it go on.
pub fn signal(pid: &str, signal: &str) -> Result<()> {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(pid)
        .status()?;
    anyhow::ensure!(status.success(), "kill -{signal} {pid} failed");
    Ok(())
}

/// The path of a tool `make deps` installs: on PATH, else in `$LOCALMART_TOOLS/bin`
/// (by default `~/.cache/localmart/tools/bin`). Fails with what to run when it is absent.
pub fn tool(name: &str) -> Result<std::path::PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|bin| bin.exists())
    });
    let tools = std::env::var_os("LOCALMART_TOOLS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/localmart/tools")
        });
    let path = on_path.unwrap_or_else(|| tools.join("bin").join(name));
    anyhow::ensure!(
        path.exists(),
        "{name} is not installed ({}); run `make deps`",
        path.display()
    );
    Ok(path)
}

/// Whether this process runs as root, where database servers refuse to start and must
/// be run as their own system user.
pub(crate) fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}
