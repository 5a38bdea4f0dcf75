//! What every LocalMart service shares, so that each service's own code is only its domain.
//!
//! - [`admin`]: the guard of the admin operations: the token, and a limit on wrong ones;
//! - [`config`]: typed settings from environment variables, and [`config::Secret`];
//! - [`telemetry`]: JSON logs carrying trace ids, W3C trace context, and OTLP export of
//!   traces and metrics when `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
//! - [`json_lines`]: the JSON log lines, written straight from the events' and spans' fields;
//! - [`metrics`]: the Prometheus registry behind `/metrics` with request counts and
//!   latencies by route, method and status;
//! - [`http`]: the middleware every REST server wears (request id, tracing, metrics),
//!   `/healthz`, `/readyz` and `/metrics`, and serving with graceful shutdown;
//! - [`grpc`]: the same for tonic servers, and trace propagation for tonic clients;
//! - [`overload`]: how many requests a service serves at once, and its request deadline;
//! - [`resilience`]: a circuit breaker and a retry budget for calls to another service;
//! - [`service`]: what a service is, and what every service binary does, written once;
//! - `testing` (feature `testing`): a service running inside a test;
//! - [`shutdown`]: the signal that starts a graceful shutdown;
//! - [`text`]: checks on free text that every service applies.

pub mod admin;
pub mod config;
pub mod datastore;
pub mod grpc;
pub mod http;
pub mod json_lines;
pub mod log_export;
pub mod log_writer;
pub mod metrics;
pub mod overload;
pub mod resilience;
pub mod service;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
