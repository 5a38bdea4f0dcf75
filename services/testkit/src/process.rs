//! A helper process for a test (an edge proxy, a browser driver) that cannot outlive it:
//! the process runs under the same kind of watchdog as the datastores, which stops it when
//! the test drops it, stops it explicitly, or exits in any way at all.

use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{Context, Result};

/// Starts "$@" in the background, in a process group of its own, and stops the whole
/// group with SIGTERM once stdin closes: a helper's own children (the browsers that
/// chromedriver starts, nginx's workers) go with it instead of being left behind.
const WATCHDOG: &str = r#"
setsid "$@" &
child=$!
cat >/dev/null || true
kill -TERM "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn running(pid: &str) -> bool {
        Path::new("/proc").join(pid).exists()
    }

    #[test]
    fn a_stopped_helper_takes_its_own_children_with_it() {
        let dir = tempfile::tempdir().expect("a directory");
        let pid_file = dir.path().join("grandchild.pid");
        let script = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
        let mut helper = Watched::spawn(
            Path::new("/bin/sh"),
            &["-c", &script],
            &[],
            &dir.path().join("helper.log"),
        )
        .expect("the helper starts");
        let started = Instant::now();
        let grandchild = loop {
            match std::fs::read_to_string(&pid_file) {
                Ok(pid) if !pid.trim().is_empty() => break pid.trim().to_owned(),
                _ if started.elapsed() > Duration::from_secs(10) => panic!("no grandchild"),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        assert!(running(&grandchild));

        helper.stop().expect("the helper stops");
        let stopped = Instant::now();
        while running(&grandchild) && stopped.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !running(&grandchild),
            "process {grandchild}, started by the helper, outlived it"
        );
    }
}
