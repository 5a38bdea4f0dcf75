//! What the datastores a test starts and stops have in common: a shell watchdog that runs
//! the server, writes its pid to a file and stops it when its stdin closes, and the
//! signals a test sends the server to freeze, thaw or kill it.

use std::path::PathBuf;
use std::process::{Child, ChildStdin};

use anyhow::{Context, Result};

#[derive(Debug)]
pub(crate) struct Supervised {
    /// The server's name, for messages.
    name: &'static str,
    /// Where the watchdog writes the server's pid.
    pid_file: PathBuf,
    running: Option<(Child, ChildStdin)>,
    frozen: bool,
}

impl Supervised {
    pub(crate) fn new(name: &'static str, pid_file: PathBuf) -> Self {
        Self {
            name,
            pid_file,
            running: None,
            frozen: false,
        }
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

    /// SIGSTOP: the server keeps its connections but answers nothing.
    pub(crate) fn freeze(&mut self) -> Result<()> {
        self.signal("STOP")?;
        self.frozen = true;
        Ok(())
    }

    /// SIGCONT, when frozen.
    pub(crate) fn thaw(&mut self) -> Result<()> {
        if self.frozen {
            self.signal("CONT")?;
            self.frozen = false;
        }
        Ok(())
    }

    /// SIGKILL, as in a crash, then the watchdog is let go.
    pub(crate) fn kill(&mut self) -> Result<()> {
        self.signal("KILL")?;
        self.frozen = false;
        self.stop()
    }

    /// Closes the watchdog's stdin, so that it stops the server, and waits for it.
    pub(crate) fn stop(&mut self) -> Result<()> {
        self.thaw()?;
        if let Some((mut watchdog, stdin)) = self.running.take() {
            drop(stdin);
            let name = self.name;
            watchdog
                .wait()
                .with_context(|| format!("waiting for {name} to stop"))?;
        }
        Ok(())
    }

    fn signal(&self, signal: &str) -> Result<()> {
        let pid = std::fs::read_to_string(&self.pid_file)
            .with_context(|| format!("{} is not running", self.name))?;
        crate::signal(pid.trim(), signal)
    }
}
