//! The load of the fault suite (each service's `faults` tests): workers keep making writes
//! while a fault is injected into a real process, and retry each write that was not
//! answered until it is acknowledged, as a careful client does. The test then checks that
//! every acknowledged write is stored exactly once, and [`Outcome::report`] prints the
//! figures that `docs/resilience.md` keeps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Between one worker's writes, and between the attempts at one write.
pub const PACE: Duration = Duration::from_millis(50);

/// The longest one write may take to be acknowledged, retries and all.
const PATIENCE: Duration = Duration::from_secs(20);

/// How one attempt at a write ended.
#[derive(Debug)]
pub enum Answer {
    /// It was made (or an earlier attempt was, as the answer says).
    Made,
    /// A 503 with `Retry-After`, with this error code: try again.
    Unavailable(String),
    /// No answer at all: the connection was refused or cut off.
    CutOff,
    /// Anything else, which the contract does not allow under a fault.
    Broken(String),
}

impl Answer {
    /// An error answer: a 503 with `Retry-After` is to be retried, anything else broken.
    pub fn refusal(status: u16, has_retry_after: bool, code: String) -> Self {
        if status == 503 && has_retry_after {
            Self::Unavailable(code)
        } else {
            Self::Broken(format!("{status} {code}"))
        }
    }
}

/// The writes a fault-suite test makes.
pub trait Writes: Send + Sync + 'static {
    /// One write, as it is sent again when it is retried.
    type Write: Clone + Send + 'static;

    /// The write number `number` of worker `worker`.
    fn next(&self, worker: usize, number: usize) -> Self::Write;

    /// Sends `write`; `retry` says an earlier attempt went unanswered or was refused.
    fn attempt(&self, write: &Self::Write, retry: bool) -> impl Future<Output = Answer> + Send;
}

/// What one worker saw.
#[derive(Debug)]
struct Tally<W> {
    acknowledged: Vec<W>,
    acknowledged_at: Vec<Instant>,
    /// The answers retried, by code ("cut off" for no answer).
    retried: BTreeMap<String, usize>,
    broken: Vec<String>,
}

/// What the workers saw, once the load is over.
#[derive(Debug)]
pub struct Outcome<W> {
    /// Each worker's acknowledged writes.
    pub acknowledged: Vec<Vec<W>>,
    /// The answers retried, by code ("cut off" for no answer).
    pub retried: BTreeMap<String, usize>,
    /// How long after the fault ended every worker had a write acknowledged again.
    pub recovered: Duration,
}

/// Runs `workers` workers making `writes`, runs `fault` after a second of load (it
/// returns when the fault has ended), keeps the load on for two seconds more, and checks
/// what the workers saw: only 503s with `Retry-After` on the way (and requests cut off,
/// when the fault kills the service itself: `cut_off`), and every worker served again.
pub async fn under_load<S: Writes>(
    name: &str,
    writes: S,
    workers: usize,
    cut_off: bool,
    fault: impl Future<Output = ()>,
) -> Outcome<S::Write> {
    let writes = Arc::new(writes);
    let stop = Arc::new(AtomicBool::new(false));
    let running: Vec<_> = (0..workers)
        .map(|worker| tokio::spawn(work(writes.clone(), worker, stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    fault.await;
    let fault_ended = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);

    let mut outcome = Outcome {
        acknowledged: Vec::new(),
        retried: BTreeMap::new(),
        recovered: Duration::ZERO,
    };
    for worker in running {
        let tally = worker.await.expect("a worker");
        assert!(
            tally.broken.is_empty(),
            "{name}: answers outside the contract: {:?}",
            tally.broken
        );
        let first_after = tally.acknowledged_at.iter().find(|at| **at >= fault_ended);
        let first_after = first_after.expect("every worker is served after the fault");
        outcome.recovered = outcome
            .recovered
            .max(first_after.duration_since(fault_ended));
        for (code, count) in tally.retried {
            *outcome.retried.entry(code).or_default() += count;
        }
        outcome.acknowledged.push(tally.acknowledged);
    }
    assert!(
        cut_off || !outcome.retried.contains_key("cut off"),
        "{name}: requests went unanswered: {:?}",
        outcome.retried
    );
    outcome
}

/// Makes one write after another until `stop` is set; the write in hand when it is set is
/// still seen through.
async fn work<S: Writes>(writes: Arc<S>, worker: usize, stop: Arc<AtomicBool>) -> Tally<S::Write> {
    let mut tally = Tally {
        acknowledged: Vec::new(),
        acknowledged_at: Vec::new(),
        retried: BTreeMap::new(),
        broken: Vec::new(),
    };
    for number in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let write = writes.next(worker, number);
        let started = Instant::now();
        let mut retry = false;
        loop {
            let code = match writes.attempt(&write, retry).await {
                Answer::Made => {
                    tally.acknowledged.push(write);
                    tally.acknowledged_at.push(Instant::now());
                    break;
                }
                Answer::Broken(what) => {
                    tally.broken.push(what);
                    return tally;
                }
                Answer::Unavailable(code) => code,
                Answer::CutOff => "cut off".to_owned(),
            };
            *tally.retried.entry(code).or_default() += 1;
            assert!(
                started.elapsed() < PATIENCE,
                "a write was not acknowledged within {PATIENCE:?}"
            );
            retry = true;
            tokio::time::sleep(PACE).await;
        }
        tokio::time::sleep(PACE).await;
    }
    tally
}

impl<W> Outcome<W> {
    /// All the acknowledged writes.
    pub fn count(&self) -> usize {
        self.acknowledged.iter().map(Vec::len).sum()
    }

    /// Prints the figures of fault `name`, and checks that none of the acknowledged
    /// writes (`what`: "changes", "reviews") is `lost` and that exactly as many are `stored`.
    pub fn report(&self, name: &str, what: &str, lost: usize, stored: usize) {
        let retried: usize = self.retried.values().sum();
        println!(
            "fault {name}: {} workers, {} {what} acknowledged, {lost} lost, {stored} stored, \
             {retried} answered 503 or cut off and retried ({:?}); every worker served again \
             within {} ms of the fault's end",
            self.acknowledged.len(),
            self.count(),
            self.retried,
            self.recovered.as_millis()
        );
        assert_eq!(lost, 0, "{name}: acknowledged {what} are missing");
        assert_eq!(stored, self.count(), "{name}: {what} stored, once each");
    }
}
