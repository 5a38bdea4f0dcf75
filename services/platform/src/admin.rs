//! The guard of the admin operations: the installation's token, compared in constant time
//! ([`Secret::matches`]), and a limit on wrong ones. Each wrong token is logged (never the
//! token itself). After [`AttemptLimit::max_failures`] of them within a window, every admin
//! call is answered 429 `too_many_attempts` with `Retry-After` until the window is over,
//! without its token being compared, so a guesser gets a handful of guesses per window
//! however fast it sends them. The admin ports are reachable only from the machine (the
//! edge routes no admin operation), so the one window is shared by every caller: a
//! process on the machine that guesses also keeps the admins waiting, which is the lesser
//! harm.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Result;
use api_runtime::{BearerToken, ServiceError};
use axum::http::StatusCode;

use crate::config::{Secret, var_or};

/// How many wrong admin tokens a service takes within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    /// `LOCALMART_ADMIN_FAILURES`: wrong tokens taken per window.
    pub max_failures: u32,
    /// `LOCALMART_ADMIN_FAILURE_WINDOW_SECONDS`: the window.
    pub window: Duration,
}

impl Default for AttemptLimit {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_secs(60),
        }
    }
}

impl AttemptLimit {
    pub fn from_env() -> Result<Self> {
        let default = Self::default();
        Ok(Self {
            max_failures: var_or("LOCALMART_ADMIN_FAILURES", default.max_failures)?,
            window: Duration::from_secs(var_or(
                "LOCALMART_ADMIN_FAILURE_WINDOW_SECONDS",
                default.window.as_secs(),
            )?),
        })
    }

    /// The variables [`from_env`](Self::from_env) reads, set to this limit (to run a
    /// service's binary with it).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LOCALMART_ADMIN_FAILURES", self.max_failures.to_string()),
            (
                "LOCALMART_ADMIN_FAILURE_WINDOW_SECONDS",
                self.window.as_secs().to_string(),
            ),
        ]
    }
}

/// The admin token and the count of wrong ones; clones share both (a service's REST state
/// holds one, and axum clones that state for every request).
#[derive(Debug, Clone)]
pub struct AdminGuard {
    token: Arc<Secret<String>>,
    limit: AttemptLimit,
    window: Arc<Mutex<Window>>,
}

#[derive(Debug)]
struct Window {
    opened: Instant,
    failures: u32,
}

impl AdminGuard {
    pub fn new(token: Secret<String>, limit: AttemptLimit) -> Self {
        let window = Window {
            opened: Instant::now(),
            failures: 0,
        };
        Self {
            token: Arc::new(token),
            limit,
            window: Arc::new(Mutex::new(window)),
        }
    }

    /// Lets the call through with the admin token; otherwise a 401, or a 429 once the
    /// window has taken its wrong tokens.
    pub fn check(&self, token: &BearerToken) -> Result<(), ServiceError> {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(window.opened) >= self.limit.window {
            *window = Window {
                opened: now,
                failures: 0,
            };
        }
        if window.failures >= self.limit.max_failures {
            let left = self.limit.window - now.duration_since(window.opened);
            // Whole seconds, rounded up, and at least one.
            let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let seconds = u32::try_from(seconds.max(1)).unwrap_or(u32::MAX);
            return Err(ServiceError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!("too many wrong admin tokens; try again in {seconds} s"),
            )
            .with_retry_after(seconds));
        }
        token
            .require(|given| self.token.matches(given))
            .inspect_err(|_| {
                window.failures += 1;
                tracing::warn!(
                    failures = window.failures,
                    max_failures = self.limit.max_failures,
                    "an admin call with a wrong token was refused"
                );
            })
    }
}
