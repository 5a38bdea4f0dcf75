//! A circuit breaker for calls to another service: after `threshold` consecutive
//! failures it opens and refuses calls for `open_for`, so a dead dependency costs callers
//! nothing; then it lets one probe call through and closes again if that succeeds.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe call is under way; everyone else is refused until it ends.
    HalfOpen,
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    open_for: Duration,
}

impl Breaker {
    pub fn new(threshold: u32, open_for: Duration) -> Self {
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call may go ahead now; `Err` carries how long until it might.
    pub fn allow(&self) -> Result<(), Duration> {
        let mut state = self.state();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } => {
                let now = Instant::now();
                if now >= until {
                    *state = State::HalfOpen;
                    Ok(())
                } else {
                    Err(until - now)
                }
            }
            State::HalfOpen => Err(self.open_for),
        }
    }

    pub fn record_success(&self) {
        *self.state() = State::Closed { failures: 0 };
    }

    pub fn record_failure(&self) {
        let mut state = self.state();
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            State::Closed { .. } | State::HalfOpen | State::Open { .. } => State::Open {
                until: Instant::now() + self.open_for,
            },
        };
    }

    /// How long a caller refused now should wait: the rest of the open period, or a whole
    /// one when the breaker is not open (yet).
    pub fn retry_after(&self) -> Duration {
        match *self.state() {
            State::Open { until } => until.saturating_duration_since(Instant::now()),
            State::Closed { .. } | State::HalfOpen => self.open_for,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_the_threshold_and_probes_after_the_pause() {
        let breaker = Breaker::new(3, Duration::from_secs(5));
        for _ in 0..2 {
            breaker.record_failure();
            assert!(breaker.allow().is_ok(), "still closed below the threshold");
        }
        breaker.record_failure();
        let wait = breaker.allow().expect_err("open");
        assert_eq!(wait, Duration::from_secs(5));

        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(
            breaker.allow().expect_err("still open"),
            Duration::from_secs(3)
        );

        tokio::time::advance(Duration::from_secs(3)).await;
        assert!(breaker.allow().is_ok(), "one probe goes through");
        assert!(breaker.allow().is_err(), "only one");
        breaker.record_success();
        assert!(
            breaker.allow().is_ok() && breaker.allow().is_ok(),
            "closed after a good probe"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_it_again_and_a_success_resets_the_count() {
        let breaker = Breaker::new(2, Duration::from_secs(1));
        breaker.record_failure();
        breaker.record_success();
        breaker.record_failure();
        assert!(breaker.allow().is_ok(), "the success reset the count");
        breaker.record_failure();
        assert!(breaker.allow().is_err());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(breaker.allow().is_ok());
        breaker.record_failure();
        assert!(breaker.allow().is_err(), "the failed probe opened it again");
    }
}
