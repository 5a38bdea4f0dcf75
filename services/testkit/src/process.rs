//! A helper process for a test (an edge proxy, a browser driver) that cannot outlive it:
//! the process runs under the same kind of watchdog as the datastores, which stops it when
//! the test drops it, stops it explicitly, or exits in any way at all.

use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{Context, Result};

/// Starts "$@" in the background and stops it with SIGTERM once stdin closes.
const WATCHDOG: &str = r#"
"$@" &
child=$!
cat >/dev/null || true
kill -TERM "$child" 2>/dev/null || true
wait "$child" || true
"#;

#[derive(Debug)]
pub struct Watched {
    name: String,
    watchdog: Child,
    alive: Option<ChildStdin>,
}

impl Watched {
    /// Runs `program` with `args` and `envs`; its output goes to `log`.
    pub fn spawn(
        program: &Path,
        args: &[&str],
        envs: &[(&str, String)],
        log: &Path,
    ) -> Result<Self> {
        let name = program.file_name().map_or_else(
            || program.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let log_file =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut watchdog = Command::new("sh")
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(program)
            .args(args)
            .envs(envs.iter().map(|(key, value)| (*key, value.as_str())))
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let alive = watchdog.stdin.take();
        Ok(Self {
            name,
            watchdog,
            alive,
        })
    }

    /// Stops the process and waits until it has exited.
    pub fn stop(&mut self) -> Result<()> {
        drop(self.alive.take());
        self.watchdog
            .wait()
            .with_context(|| format!("waiting for {} to stop", self.name))?;
        Ok(())
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
