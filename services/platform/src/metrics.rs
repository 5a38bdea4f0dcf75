//! Request metrics in Prometheus form. Each service owns a [`Metrics`] (no global
//! registry), so several services can run in one test process and each `/metrics` shows
//! only its own requests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
pub use prometheus_client::metrics::counter::Counter;
pub use prometheus_client::metrics::family::Family;
pub use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// The labels of one request: which route (the template, not the raw path, or
/// `unmatched`), which method (one HTTP defines, or `_OTHER`), what status; for gRPC, the
/// full method name (or `other` for a method the server does not have) and the gRPC
/// status code. Every value comes from a bounded set, whatever clients send.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub protocol: &'static str,
    pub route: String,
    pub method: String,
    pub status: String,
}

/// A service's registry and its request instruments. Clones share them (the middleware
/// holds one, and axum clones it for every request, so a clone is one reference count).
#[derive(Clone, Debug)]
pub struct Metrics(Arc<Instruments>);

#[derive(Debug)]
struct Instruments {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram>,
    /// Their OTel twins, when metrics are exported over OTLP.
    otel: Option<crate::telemetry::OtelInstruments>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("localmart");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram>::new_with_constructor(|| {
            // From 1 ms to about 4 s: a catalog lookup to a slow cross-service call.
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        registry.register(
            "requests",
            "Requests served, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to serve a request, by route, method and status",
            latency.clone(),
        );
        Self(Arc::new(Instruments {
            registry: Mutex::new(registry),
            requests,
            latency,
            otel: crate::telemetry::OtelInstruments::if_exported(),
        }))
    }

    /// Adds a metric of the service's own (say, a cache's hits) to its registry, named
    /// `localmart_<name>`.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut registry = match self.0.registry.lock() {
            Ok(registry) => registry,
            Err(poisoned) => poisoned.into_inner(),
        };
        registry.register(name, help, metric);
    }

    /// Records one served request.
    pub fn observe(&self, labels: RequestLabels, elapsed: Duration) {
        if let Some(otel) = &self.0.otel {
            otel.observe(&labels, elapsed);
        }
        self.0
            .latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.0.requests.get_or_create(&labels).inc();
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let registry = match self.0.registry.lock() {
            Ok(registry) => registry,
            Err(poisoned) => poisoned.into_inner(),
        };
        if prometheus_client::encoding::text::encode(&mut text, &registry).is_err() {
            tracing::error!("encoding metrics failed");
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
