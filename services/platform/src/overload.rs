//! How much work a service takes on at once, and how long it gives each request: the same
//! [`Limits`] for every service, applied to its REST API by [`crate::http::app`] and to
//! its gRPC server by [`Limits::grpc`].
//!
//! A request beyond `max_in_flight` is not queued: it is answered at once with a 503
//! (`overloaded`, `Retry-After: 1`), so a burst costs the callers a retry rather than
//! everyone a growing wait. A request still unanswered after `deadline` is answered with
//! a 503 (`deadline_exceeded`). Each datastore call has a timeout of its own, shorter than
//! the deadline, so the deadline is the backstop for what has none, never the usual way a
//! slow dependency shows. Both 503s carry the contract's `Error` body, and every operation
//! declares its 503 (a house rule of the generator).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use api_runtime::ErrorBody;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::config::var_or;

/// The seconds a shed request is told to wait, and any 503 that names no wait of its own.
pub(crate) const RETRY_AFTER_SECONDS: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `LOCALMART_MAX_IN_FLIGHT`: requests served at once; more are refused with a 503.
    pub max_in_flight: usize,
    /// `LOCALMART_REQUEST_DEADLINE_MS`: the longest a request may take before it is
    /// answered with a 503.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 512,
            deadline: Duration::from_secs(5),
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Self> {
        let default = Self::default();
        Ok(Self {
            max_in_flight: var_or("LOCALMART_MAX_IN_FLIGHT", default.max_in_flight)?.max(1),
            deadline: Duration::from_millis(var_or(
                "LOCALMART_REQUEST_DEADLINE_MS",
                u64::try_from(default.deadline.as_millis()).unwrap_or(u64::MAX),
            )?),
        })
    }

    /// The variables [`from_env`](Self::from_env) reads, set to these limits (to run a
    /// service's binary with them).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LOCALMART_MAX_IN_FLIGHT", self.max_in_flight.to_string()),
            (
                "LOCALMART_REQUEST_DEADLINE_MS",
                self.deadline.as_millis().to_string(),
            ),
        ]
    }

    /// A tonic server builder with these limits: calls beyond `max_in_flight` on one
    /// connection are refused with RESOURCE_EXHAUSTED, and a call still running after
    /// `deadline` is ended with CANCELLED.
    pub fn grpc(&self) -> tonic::transport::Server {
        tonic::transport::Server::builder()
            .concurrency_limit_per_connection(self.max_in_flight)
            .load_shed(true)
            .timeout(self.deadline)
    }
}

/// The REST middleware that enforces [`Limits`].
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    in_flight: Arc<Semaphore>,
    deadline: Duration,
}

impl Guard {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            deadline: limits.deadline,
        }
    }
}

impl Guard {
    /// Serves a request (`served`) within the limits: a 503 at once when `max_in_flight`
    /// requests are being served, and a 503 when it takes longer than the deadline.
    pub(crate) async fn serve(
        &self,
        request_id: &str,
        served: impl Future<Output = Response>,
    ) -> Response {
        let Ok(_permit) = self.in_flight.try_acquire() else {
            tracing::warn!("shedding a request: at capacity");
            return unavailable(
                request_id,
                "overloaded",
                format!("the service is at capacity; try again in {RETRY_AFTER_SECONDS} s"),
            );
        };
        match tokio::time::timeout(self.deadline, served).await {
            Ok(response) => response,
            Err(_) => {
                tracing::error!(
                    deadline_ms = self.deadline.as_millis(),
                    "request deadline passed"
                );
                unavailable(
                    request_id,
                    "deadline_exceeded",
                    format!(
                        "no answer within {} ms; try again in {RETRY_AFTER_SECONDS} s",
                        self.deadline.as_millis()
                    ),
                )
            }
        }
    }
}

/// A 503 in the contract's `Error` shape; the middleware around the guard adds its
/// `Retry-After` of [`RETRY_AFTER_SECONDS`], as it does to every 503 that names no wait.
fn unavailable(request_id: &str, code: &str, message: String) -> Response {
    let body = ErrorBody {
        code: code.to_owned(),
        message,
        request_id: request_id.to_owned(),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
}
