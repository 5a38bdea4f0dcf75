//! The storefront's own telemetry: the browser is where a shopper's click begins, so its
//! spans are the roots of the traces the services continue.
//!
//! - [`Recorder`] is a `tracing` layer that keeps the spans the storefront opens (a user
//!   action, see [`action`]) and those `api_runtime::client` opens for every call it
//!   makes, with trace and span ids of their own. Only spans that say their OpenTelemetry
//!   kind (an `otel.kind` field) are kept; everything else is disabled at its call site.
//! - [`current_traceparent`] is the W3C `traceparent` of the span being run: the call's
//!   client span, when the generated client's header hook asks, so the service's span is
//!   its child.
//! - [`otlp`] writes what was kept as OTLP/JSON, the body the collector's OTLP/HTTP
//!   receiver takes; the storefront sends it through the edge, same-origin.
//! - [`vitals`] turns the browser's performance entries into Web Vitals.
//!
//! The browser side (installing the recorder, sending, observing) is the storefront's
//! `telemetry` module; what is here builds natively too, so it is unit tested.

pub mod otlp;
mod recorder;
pub mod vitals;

use std::future::Future;

use tracing::Instrument;

pub use recorder::{Recorder, current_traceparent};

use crate::trace::fresh_ids;

/// A span the storefront keeps, finished.
#[derive(Clone, Debug, PartialEq)]
pub struct FinishedSpan {
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
    pub parent_id: Option<[u8; 8]>,
    pub name: String,
    pub kind: Kind,
    /// Nanoseconds since the Unix epoch.
    pub start: u64,
    pub end: u64,
    pub attributes: Vec<(String, Value)>,
    pub failed: bool,
}

impl FinishedSpan {
    /// A root span of `name` from `start` to `end`, with fresh ids: what the storefront
    /// measures itself, such as a page load, whose start is before any code ran.
    pub fn root(name: &str, start: u64, end: u64, attributes: Vec<(String, Value)>) -> Self {
        let (trace_id, span_id) = fresh_ids();
        Self {
            trace_id,
            span_id,
            parent_id: None,
            name: name.to_owned(),
            kind: Kind::Internal,
            start,
            end: end.max(start),
            attributes,
            failed: false,
        }
    }
}

/// The span kinds the storefront makes: its own work, and its calls to the services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Client,
}

/// An attribute's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// Runs `work` as the user action `name` (`add to cart`, `post review`): a root span
/// whose trace every call made meanwhile joins, marked failed when `work` fails.
pub async fn action<T, E>(
    name: &'static str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let span = tracing::info_span!(
        "user_action",
        otel.name = name,
        otel.kind = "internal",
        otel.status_code = tracing::field::Empty,
    );
    let result = work.instrument(span.clone()).await;
    if result.is_err() {
        span.record("otel.status_code", "error");
    }
    result
}

/// Nanoseconds since the Unix epoch: from the page's performance clock in a browser (to
/// the microsecond, on the same timeline as the performance entries).
#[cfg(target_arch = "wasm32")]
pub fn now() -> u64 {
    match web_sys::window().and_then(|window| window.performance()) {
        Some(performance) => from_millis(performance.time_origin() + performance.now()),
        None => from_millis(web_sys::js_sys::Date::now()),
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// Unix-epoch nanoseconds of a time in milliseconds (as browsers give them).
pub fn from_millis(millis: f64) -> u64 {
    // The cast saturates: a negative or out-of-range time becomes 0 or u64::MAX.
    (millis * 1e6).round() as u64
}

/// A fresh span id.
fn fresh_span_id() -> [u8; 8] {
    fresh_ids().1
}
