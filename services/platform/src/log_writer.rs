//! Where a service's log lines go: standard output, in batches.
//!
//! Under `make up` a service's standard output is a pipe that supervisord reads and writes
//! to its log file. Written a line at a time, 25,000 requests a second made supervisord
//! spend half a core reading the Catalog's pipe (`docs/benchmarks.md`). So lines are
//! gathered and written in chunks: when [`CHUNK`] bytes are waiting, at least every
//! [`INTERVAL`], and whatever is left when the service stops ([`BatchedStdout::flush`]).
//! A process killed outright loses at most the last interval's lines.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting beyond this many bytes are written at once.
pub const CHUNK: usize = 64 * 1024;

/// The longest a line waits.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// Standard output, written in batches; a `MakeWriter` for `tracing_subscriber::fmt`.
#[derive(Debug, Clone)]
pub struct BatchedStdout {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    /// Lines not written yet.
    waiting: Mutex<Vec<u8>>,
    /// Held while a batch is written, so batches go out in the order they were taken.
    writing: Mutex<()>,
    out: fn() -> Box<dyn Write>,
}

impl BatchedStdout {
    /// Batches for standard output, with a thread that writes them at least every
    /// [`INTERVAL`].
    pub fn start() -> Self {
        let writer = Self::to(|| Box::new(std::io::stdout()));
        let shared = Arc::downgrade(&writer.shared);
        std::thread::Builder::new()
            .name("log-writer".to_owned())
            .spawn(move || {
                // Ends when the writer is gone.
                while let Some(shared) = shared.upgrade() {
                    shared.write_out();
                    drop(shared);
                    std::thread::sleep(INTERVAL);
                }
            })
            .map(drop)
            .unwrap_or_else(|err| {
                eprintln!("no log writer thread ({err}); logs go out in chunks only");
            });
        writer
    }

    fn to(out: fn() -> Box<dyn Write>) -> Self {
        Self {
            shared: Arc::new(Shared {
                waiting: Mutex::new(Vec::with_capacity(CHUNK)),
                writing: Mutex::new(()),
                out,
            }),
        }
    }

    /// Writes every line still waiting.
    pub fn flush(&self) {
        self.shared.write_out();
    }
}

impl Shared {
    fn waiting(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while appending leaves at worst a partial line: still worth writing.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_out(&self) {
        let _turn = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let batch = std::mem::replace(&mut *self.waiting(), Vec::with_capacity(CHUNK));
        if batch.is_empty() {
            return;
        }
        let mut out = (self.out)();
        // Nowhere to report a failure to write the logs but standard error.
        if let Err(err) = out.write_all(&batch).and_then(|()| out.flush()) {
            eprintln!("writing {} bytes of logs failed: {err}", batch.len());
        }
    }
}

/// One log line on its way into the batch.
#[derive(Debug)]
pub struct Line<'a> {
    shared: &'a Shared,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let full = {
            let mut waiting = self.shared.waiting();
            waiting.extend_from_slice(bytes);
            waiting.len() >= CHUNK
        };
        if full {
            self.shared.write_out();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStdout {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    /// What the test writer received, write by write.
    static RECEIVED: LazyLock<Mutex<Vec<Vec<u8>>>> = LazyLock::new(Mutex::default);

    struct Recorder;

    impl Write for Recorder {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            RECEIVED.lock().expect("the record").push(bytes.to_vec());
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_go_out_in_order_in_a_few_large_writes_and_none_is_lost() {
        let writer = BatchedStdout::to(|| Box::new(Recorder));
        let line = |n: usize| format!("{{\"line\":{n},\"padding\":\"{}\"}}\n", "x".repeat(100));
        let lines: Vec<String> = (0..2_000).map(line).collect();
        for text in &lines {
            writer
                .make_writer()
                .write_all(text.as_bytes())
                .expect("written");
        }
        writer.flush();

        let received = RECEIVED.lock().expect("the record");
        let all: Vec<u8> = received.concat();
        assert_eq!(
            String::from_utf8_lossy(&all),
            lines.concat(),
            "in order, all of them"
        );
        assert!(
            received.len() <= all.len() / CHUNK + 1,
            "{} writes for {} lines",
            received.len(),
            lines.len()
        );
    }
}
