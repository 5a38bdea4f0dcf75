//! Calling another service without making its trouble worse: a circuit [`Breaker`] and a
//! [`RetryBudget`].
//!
//! The breaker opens on `consecutive` failures in a row, or when at least `min_calls`
//! calls in the last `window` failed at `failure_percent` or more, so a dependency that
//! fails every other call is let alone too. Open, it refuses calls for `open_for`; then it
//! lets one probe through. A caller holds a [`Permit`] for the length of its call and
//! reports how it went; a permit dropped without a report (the caller's request was
//! cancelled) is no verdict on the dependency, except for the probe, which then counts as
//! failed, so the breaker can never wait for ever on a probe that will not report back.
//!
//! The retry budget caps how many extra attempts retries may add on top of the calls
//! themselves (10 % by default), so that a struggling dependency does not get several
//! times its normal load from retrying callers.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// When a [`Breaker`] opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failures in a row that open the breaker.
    pub consecutive: u32,
    /// The span over which the failure rate is measured.
    pub window: Duration,
    /// Calls within `window` below which the rate is not judged.
    pub min_calls: u32,
    /// The failure rate, in percent, at or above which the breaker opens.
    pub failure_percent: u32,
    /// How long the open breaker refuses calls before it lets one probe through.
    pub open_for: Duration,
}

impl BreakerPolicy {
    /// Opens on `consecutive` failures in a row, or on half or more of at least 20 calls
    /// failing within 10 s.
    pub fn new(consecutive: u32, open_for: Duration) -> Self {
        Self {
            consecutive: consecutive.max(1),
            window: Duration::from_secs(10),
            min_calls: 20,
            failure_percent: 50,
            open_for,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open {
        until: Instant,
    },
    /// One probe call is under way; everyone else is refused until it reports.
    HalfOpen,
}

/// Outcomes in a sliding window, counted in ten slices of a tenth of the window each.
#[derive(Debug)]
struct Window {
    epoch: Instant,
    slice: Duration,
    /// Per slot: the number of the slice it counts (slices since `epoch`), calls, failures.
    slots: [(u128, u32, u32); 10],
}

impl Window {
    fn new(width: Duration, now: Instant) -> Self {
        Self {
            epoch: now,
            slice: (width / 10).max(Duration::from_millis(1)),
            slots: [(0, 0, 0); 10],
        }
    }

    fn slice_at(&self, now: Instant) -> u128 {
        now.saturating_duration_since(self.epoch).as_nanos() / self.slice.as_nanos()
    }

    fn record(&mut self, now: Instant, failed: bool) {
        let slice = self.slice_at(now);
        let slot = &mut self.slots[usize::try_from(slice % 10).unwrap_or(0)];
        if slot.0 != slice {
            *slot = (slice, 0, 0);
        }
        slot.1 += 1;
        slot.2 += u32::from(failed);
    }

    /// (calls, failures) within the window that ends at `now`.
    fn totals(&self, now: Instant) -> (u32, u32) {
        let current = self.slice_at(now);
        self.slots
            .iter()
            .filter(|(slice, _, _)| current - slice < 10)
            .fold((0, 0), |(calls, failures), (_, c, f)| {
                (calls + c, failures + f)
            })
    }

    fn clear(&mut self) {
        self.slots = [(0, 0, 0); 10];
    }
}

#[derive(Debug)]
struct Inner {
    state: State,
    in_a_row: u32,
    window: Window,
}

/// A circuit breaker; see the [module docs](self).
#[derive(Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        let now = Instant::now();
        Self {
            policy,
            inner: Mutex::new(Inner {
                state: State::Closed,
                in_a_row: 0,
                window: Window::new(policy.window, now),
            }),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A permit for one call, or how long until the breaker might allow one.
    pub fn permit(&self) -> Result<Permit<'_>, Duration> {
        let mut inner = self.inner();
        match inner.state {
            State::Closed => Ok(Permit::new(self, false)),
            State::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    inner.state = State::HalfOpen;
                    Ok(Permit::new(self, true))
                } else {
                    Err(until - now)
                }
            }
            State::HalfOpen => Err(self.policy.open_for),
        }
    }

    /// How long a caller refused now should wait: the rest of the open period, or a whole
    /// one when the breaker is not open.
    pub fn retry_after(&self) -> Duration {
        match self.inner().state {
            State::Open { until } => until.saturating_duration_since(Instant::now()),
            State::Closed | State::HalfOpen => self.policy.open_for,
        }
    }

    fn open(&self, inner: &mut Inner, now: Instant) {
        inner.state = State::Open {
            until: now + self.policy.open_for,
        };
        inner.in_a_row = 0;
        inner.window.clear();
    }

    fn report(&self, probe: bool, failed: bool) {
        let now = Instant::now();
        let mut inner = self.inner();
        if probe {
            if failed {
                self.open(&mut inner, now);
            } else {
                inner.state = State::Closed;
                inner.in_a_row = 0;
                inner.window.clear();
            }
            return;
        }
        if inner.state != State::Closed {
            // A call let through before the breaker opened reports late: it changes nothing.
            return;
        }
        inner.window.record(now, failed);
        inner.in_a_row = if failed { inner.in_a_row + 1 } else { 0 };
        let (calls, failures) = inner.window.totals(now);
        let rate_too_high =
            calls >= self.policy.min_calls && failures * 100 >= self.policy.failure_percent * calls;
        if inner.in_a_row >= self.policy.consecutive || rate_too_high {
            self.open(&mut inner, now);
        }
    }
}

/// Leave to make one call through a [`Breaker`]; report the call with [`Permit::succeeded`]
/// or [`Permit::failed`].
#[derive(Debug)]
#[must_use = "report how the call went"]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl<'a> Permit<'a> {
    fn new(breaker: &'a Breaker, probe: bool) -> Self {
        Self {
            breaker,
            probe,
            reported: false,
        }
    }

    /// The dependency answered (even if it refused the request: it is up).
    pub fn succeeded(mut self) {
        self.reported = true;
        self.breaker.report(self.probe, false);
    }

    /// The dependency could not be reached, timed out or failed.
    pub fn failed(mut self) {
        self.reported = true;
        self.breaker.report(self.probe, true);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported && self.probe {
            // A probe that never reports (its caller went away) counts as failed, so the
            // breaker opens again and lets the next probe through after `open_for`.
            self.breaker.report(true, true);
        }
    }
}

/// A budget of retries: every call earns a tenth of a retry (by default), every retry
/// spends a whole one, and up to `reserve` retries can be saved up for a burst.
#[derive(Debug)]
pub struct RetryBudget {
    /// Thousandths of a retry, so the arithmetic stays in integers.
    balance: Mutex<u32>,
    earn_per_call: u32,
    reserve: u32,
}

impl RetryBudget {
    /// Retries may add `percent` % attempts on top of the calls, and `reserve` more.
    pub fn new(percent: u32, reserve: u32) -> Self {
        let reserve = reserve.saturating_mul(1000);
        Self {
            balance: Mutex::new(reserve),
            earn_per_call: percent.saturating_mul(10),
            reserve,
        }
    }

    fn balance(&self) -> MutexGuard<'_, u32> {
        self.balance.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a call (its first attempt).
    pub fn called(&self) {
        let mut balance = self.balance();
        *balance = balance.saturating_add(self.earn_per_call).min(self.reserve);
    }

    /// Whether a retry may be made now; if so, it is paid for.
    pub fn try_retry(&self) -> bool {
        let mut balance = self.balance();
        if *balance >= 1000 {
            *balance -= 1000;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(consecutive: u32) -> BreakerPolicy {
        BreakerPolicy::new(consecutive, Duration::from_secs(5))
    }

    fn fail(breaker: &Breaker) {
        breaker.permit().expect("closed").failed();
    }

    fn succeed(breaker: &Breaker) {
        breaker.permit().expect("closed").succeeded();
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_failures_in_a_row_and_probes_after_the_pause() {
        let breaker = Breaker::new(policy(3));
        fail(&breaker);
        fail(&breaker);
        succeed(&breaker);
        fail(&breaker);
        fail(&breaker);
        assert!(
            breaker.permit().is_ok(),
            "a success started the count again"
        );
        fail(&breaker);
        assert_eq!(breaker.permit().expect_err("open"), Duration::from_secs(5));

        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            breaker.permit().expect_err("still open"),
            Duration::from_secs(3)
        );
        tokio::time::advance(Duration::from_secs(3)).await;
        let probe = breaker.permit().expect("one probe goes through");
        assert!(breaker.permit().is_err(), "only one");
        probe.succeeded();
        assert!(breaker.permit().is_ok(), "closed after a good probe");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_again() {
        let breaker = Breaker::new(policy(1));
        fail(&breaker);
        tokio::time::advance(Duration::from_secs(5)).await;
        breaker.permit().expect("the probe").failed();
        assert!(breaker.permit().is_err(), "open again");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(breaker.permit().is_ok(), "and probes again later");
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_whose_caller_went_away_does_not_jam_it() {
        let breaker = Breaker::new(policy(1));
        fail(&breaker);
        tokio::time::advance(Duration::from_secs(5)).await;
        let probe = breaker.permit().expect("the probe");
        drop(probe);
        assert!(breaker.permit().is_err(), "the lost probe counts as failed");
        tokio::time::advance(Duration::from_secs(5)).await;
        breaker.permit().expect("a new probe").succeeded();
        assert!(breaker.permit().is_ok(), "closed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_call_is_no_verdict_while_closed() {
        let breaker = Breaker::new(policy(1));
        for _ in 0..50 {
            drop(breaker.permit().expect("closed"));
        }
        assert!(breaker.permit().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn opens_when_half_the_calls_fail_though_never_twice_in_a_row() {
        let breaker = Breaker::new(policy(2));
        for _ in 0..9 {
            fail(&breaker);
            succeed(&breaker);
            tokio::time::advance(Duration::from_millis(100)).await;
        }
        assert!(breaker.permit().is_ok(), "18 calls: too few to judge");
        fail(&breaker);
        succeed(&breaker);
        assert!(breaker.permit().is_err(), "10 of 20 failed: open");
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_forgets_calls_older_than_the_window() {
        let breaker = Breaker::new(policy(100));
        for _ in 0..15 {
            fail(&breaker);
        }
        tokio::time::advance(Duration::from_secs(11)).await;
        for _ in 0..15 {
            succeed(&breaker);
        }
        for _ in 0..7 {
            fail(&breaker);
        }
        assert!(
            breaker.permit().is_ok(),
            "7 of 22 in the window failed; the 15 old failures are forgotten"
        );
    }

    #[test]
    fn retries_cost_a_tenth_of_the_calls_beyond_the_reserve() {
        let budget = RetryBudget::new(10, 3);
        let mut retries = 0;
        for _ in 0..1000 {
            budget.called();
            if budget.try_retry() {
                retries += 1;
            }
        }
        // 3 saved up, then one per ten calls.
        assert!((100..=103).contains(&retries), "{retries} retries");
        assert!(!budget.try_retry(), "spent");
    }
}
