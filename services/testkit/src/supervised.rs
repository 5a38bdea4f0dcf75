//! What the servers a test starts and stops have in common: a shell watchdog that runs
//! the server, writes its pid to a file and stops it when its stdin closes, and the
//! signals a test sends the server to freeze, thaw or kill it.

use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command};

use anyhow::{Context, Result};

/// The faults a test puts one of the kit's servers through, as production would: each
/// is a [`Supervised`] process underneath. What a crash leaves behind (Redis's append-only
/// file, PostgreSQL's write-ahead log) is told on each server's type, and each has its
/// own `resume`, which starts it again on the same port and data.
pub trait Faults {
    /// The process underneath.
    fn process(&mut self) -> &mut Supervised;

    /// Freezes the server (SIGSTOP; its worker processes too, where it has them): it
    /// keeps its connections but answers nothing, as a server does that is swapping or
    /// stuck, until [`thaw`](Self::thaw) (or the end of the test).
    fn freeze(&mut self) -> Result<()> {
        self.process().freeze()
    }

    /// Lets a frozen server go on (SIGCONT).
    fn thaw(&mut self) -> Result<()> {
        self.process().thaw()
    }

    /// Kills the server (SIGKILL): no shutdown, as in a crash; requests in flight are cut
    /// off unanswered.
    fn kill(&mut self) -> Result<()> {
        self.process().kill()
    }

    /// Stops the server the way it is meant to stop (SIGTERM) and waits for it.
    fn stop(&mut self) -> Result<()> {
        self.process().stop()
    }
}

/// A server run by a watchdog, which a test can freeze, thaw, kill and stop.
#[derive(Debug)]
pub struct Supervised {
    /// The server's name, for messages.
    name: String,
    /// Where the watchdog writes the server's pid.
    pid_file: PathBuf,
    running: Option<(Child, ChildStdin)>,
    frozen: bool,
    /// Whether the server's child processes get its signals too (PostgreSQL's backends).
    with_children: bool,
}

impl Supervised {
    pub(crate) fn new(name: impl Into<String>, pid_file: PathBuf) -> Self {
        Self {
            name: name.into(),
            pid_file,
            running: None,
            frozen: false,
            with_children: false,
        }
    }

    /// A server whose child processes do its work, and are frozen, thawed and killed
    /// with it.
    pub(crate) fn with_children(mut self) -> Self {
        self.with_children = true;
        self
    }

    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Takes charge of a watchdog just spawned with a piped stdin.
    pub(crate) fn started(&mut self, mut watchdog: Child) -> Result<()> {
        let stdin = watchdog.stdin.take().context("the watchdog's stdin")?;
        self.running = Some((watchdog, stdin));
        Ok(())
    }

    /// SIGSTOP: the server keeps its connections but answers nothing. The server first,
    /// so that it starts no child meanwhile.
    pub(crate) fn freeze(&mut self) -> Result<()> {
        let pid = self.pid()?;
        crate::signal(&pid, "STOP")?;
        self.frozen = true;
        self.signal_children(&pid, "STOP")
    }

    /// SIGCONT, when frozen: the children first, so the server finds them going on.
    pub(crate) fn thaw(&mut self) -> Result<()> {
        if self.frozen {
            let pid = self.pid()?;
            self.signal_children(&pid, "CONT")?;
            crate::signal(&pid, "CONT")?;
            self.frozen = false;
        }
        Ok(())
    }

    /// SIGKILL, as in a crash (of the children too: frozen first, the server starts no
    /// new one and they stay its children until killed), then the watchdog is let go.
    pub(crate) fn kill(&mut self) -> Result<()> {
        let pid = self.pid()?;
        crate::signal(&pid, "STOP")?;
        self.signal_children(&pid, "KILL")?;
        crate::signal(&pid, "KILL")?;
        self.frozen = false;
        self.stop()
    }

    /// Closes the watchdog's stdin, so that it stops the server, and waits for it.
    pub(crate) fn stop(&mut self) -> Result<()> {
        self.thaw()?;
        if let Some((mut watchdog, stdin)) = self.running.take() {
            drop(stdin);
            watchdog
                .wait()
                .with_context(|| format!("waiting for {} to stop", self.name))?;
        }
        Ok(())
    }

    fn pid(&self) -> Result<String> {
        let pid = std::fs::read_to_string(&self.pid_file)
            .with_context(|| format!("{} is not running", self.name))?;
        Ok(pid.trim().to_owned())
    }

    fn signal_children(&self, pid: &str, signal: &str) -> Result<()> {
        if !self.with_children {
            return Ok(());
        }
        let status = Command::new("pkill")
            .arg(format!("-{signal}"))
            .args(["-P", pid])
            .status()
            .context("pkill (procps)")?;
        // 1: no process matched, which is no failure here.
        anyhow::ensure!(
            matches!(status.code(), Some(0 | 1)),
            "pkill -{signal} -P {pid} failed"
        );
        Ok(())
    }
}
