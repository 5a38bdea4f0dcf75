//! Request metrics in Prometheus form. Each service owns a [`Metrics`] (no global
//! registry), so several services can run in one test process and each `/metrics` shows
//! only its own requests.
//!
//! Besides rate, errors and duration, the saturation of what bounds a service: the
//! requests in flight against the limit beyond which they are shed
//! (`localmart_requests_in_flight`, `localmart_requests_in_flight_limit`), and each
//! connection pool's connections in use and idle against its size
//! (`localmart_pool_connections`, `localmart_pool_max_connections`, read at every scrape).

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
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

/// The protocol of the requests in flight.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProtocolLabels {
    protocol: &'static str,
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
    in_flight: Family<ProtocolLabels, Gauge>,
    in_flight_limit: Family<ProtocolLabels, Gauge>,
    /// Routes whose requests count apart when they carry a query parameter
    /// ([`Metrics::count_apart`]): (route, parameter). Set up before serving, read by
    /// every request.
    apart: RwLock<Vec<(&'static str, &'static str)>>,
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
        let in_flight = Family::<ProtocolLabels, Gauge>::default();
        registry.register(
            "requests_in_flight",
            "Requests being served, by protocol",
            in_flight.clone(),
        );
        let in_flight_limit = Family::<ProtocolLabels, Gauge>::default();
        registry.register(
            "requests_in_flight_limit",
            "The most requests served at once, by protocol; beyond it they are refused (503). gRPC's limit is per connection, so only REST's is here",
            in_flight_limit.clone(),
        );
        Self(Arc::new(Instruments {
            registry: Mutex::new(registry),
            requests,
            latency,
            in_flight,
            in_flight_limit,
            apart: RwLock::default(),
            otel: crate::telemetry::OtelInstruments::if_exported(),
        }))
    }

    /// Adds a metric of the service's own (say, a cache's hits) to its registry, named
    /// `localmart_<name>`.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry().register(name, help, metric);
    }

    /// Reports `pool`'s connections at every scrape, as `localmart_pool_connections`
    /// (by state, in use or idle) and `localmart_pool_max_connections`, labelled
    /// `pool="<name>"`.
    pub fn register_pool(&self, name: &'static str, pool: impl Pool) {
        self.registry()
            .register_collector(Box::new(PoolCollector { name, pool }));
    }

    /// Counts the requests of `route` that carry a non-empty query parameter `parameter`
    /// apart, as the route `{route}?{parameter}`: a search (`/v1/products?q`) is a listing
    /// with a text, and is measured apart from browsing. The label stays one of a few
    /// values, whatever the parameter holds.
    pub fn count_apart(&self, route: &'static str, parameter: &'static str) {
        self.0
            .apart
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((route, parameter));
    }

    /// The route label of a request that matched `route`, with `query`.
    pub fn route_label(&self, route: &str, query: Option<&str>) -> String {
        let apart = self
            .0
            .apart
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let given = |parameter: &str| {
            query.is_some_and(|query| {
                query.split('&').any(|pair| {
                    pair.split_once('=')
                        .is_some_and(|(name, value)| name == parameter && !value.is_empty())
                })
            })
        };
        match apart
            .iter()
            .find(|(apart, parameter)| *apart == route && given(parameter))
        {
            Some((route, parameter)) => format!("{route}?{parameter}"),
            None => route.to_owned(),
        }
    }

    /// Counts a request of `protocol` in flight until the returned guard is dropped.
    pub fn in_flight(&self, protocol: &'static str) -> InFlight {
        let gauge = self
            .0
            .in_flight
            .get_or_create(&ProtocolLabels { protocol })
            .clone();
        gauge.inc();
        InFlight(gauge)
    }

    /// Says how many requests of `protocol` may be in flight at once.
    pub fn limit_in_flight(&self, protocol: &'static str, limit: usize) {
        self.0
            .in_flight_limit
            .get_or_create(&ProtocolLabels { protocol })
            .set(i64::try_from(limit).unwrap_or(i64::MAX));
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        lock(&self.0.registry)
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
        if prometheus_client::encoding::text::encode(&mut text, &self.registry()).is_err() {
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

/// A lock that a panic while it was held does not spoil: what it guards is whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request in flight, counted until dropped ([`Metrics::in_flight`]).
#[derive(Debug)]
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A connection pool, as [`Metrics::register_pool`] reports it.
pub trait Pool: fmt::Debug + Send + Sync + 'static {
    /// Its connections now.
    fn occupancy(&self) -> Occupancy;
}

/// A pool's connections at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    pub in_use: u32,
    pub idle: u32,
    /// The most it opens.
    pub max: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolName {
    pool: &'static str,
}

#[derive(Debug)]
struct PoolCollector<P> {
    name: &'static str,
    pool: P,
}

impl<P: Pool> Collector for PoolCollector<P> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let now = self.pool.occupancy();
        let connections = Family::<PoolLabels, Gauge>::default();
        for (state, count) in [("in_use", now.in_use), ("idle", now.idle)] {
            let labels = PoolLabels {
                pool: self.name,
                state,
            };
            connections.get_or_create(&labels).set(i64::from(count));
        }
        let max = Family::<PoolName, Gauge>::default();
        max.get_or_create(&PoolName { pool: self.name })
            .set(i64::from(now.max));
        for (name, help, family) in [
            (
                "pool_connections",
                "A connection pool's connections, by state (in use, idle)",
                &connections as &dyn EncodeMetric,
            ),
            (
                "pool_max_connections",
                "The most connections a pool opens",
                &max,
            ),
        ] {
            family.encode(encoder.encode_descriptor(name, help, None, family.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// The value of the series `series` (name and labels, as rendered).
    fn value(metrics: &Metrics, series: &str) -> Option<i64> {
        metrics
            .render()
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn a_request_is_in_flight_until_it_is_done() {
        let metrics = Metrics::new();
        metrics.limit_in_flight("http", 512);
        let series = r#"localmart_requests_in_flight{protocol="http"}"#;
        let first = metrics.in_flight("http");
        let second = metrics.in_flight("http");
        assert_eq!(value(&metrics, series), Some(2));
        drop(first);
        assert_eq!(value(&metrics, series), Some(1));
        drop(second);
        assert_eq!(value(&metrics, series), Some(0));
        assert_eq!(
            value(
                &metrics,
                r#"localmart_requests_in_flight_limit{protocol="http"}"#
            ),
            Some(512)
        );
    }

    #[test]
    fn a_route_with_its_parameter_counts_apart() {
        let metrics = Metrics::new();
        metrics.count_apart("/v1/products", "q");
        let label = |route, query| metrics.route_label(route, query);
        assert_eq!(
            label("/v1/products", Some("q=lamp&page=2")),
            "/v1/products?q"
        );
        assert_eq!(
            label("/v1/products", Some("page=2&q=%20")),
            "/v1/products?q"
        );
        assert_eq!(label("/v1/products", Some("q=&page=2")), "/v1/products");
        assert_eq!(label("/v1/products", Some("sq=lamp")), "/v1/products");
        assert_eq!(label("/v1/products", None), "/v1/products");
        assert_eq!(label("/v1/categories", Some("q=lamp")), "/v1/categories");
    }

    #[derive(Debug, Default)]
    struct Fake(Arc<AtomicU32>);

    impl Pool for Fake {
        fn occupancy(&self) -> Occupancy {
            let in_use = self.0.load(Ordering::Relaxed);
            Occupancy {
                in_use,
                idle: 4 - in_use,
                max: 8,
            }
        }
    }

    #[test]
    fn a_pool_is_read_at_every_scrape() {
        let metrics = Metrics::new();
        let in_use = Arc::new(AtomicU32::new(1));
        metrics.register_pool("postgresql", Fake(in_use.clone()));
        let busy = r#"localmart_pool_connections{pool="postgresql",state="in_use"}"#;
        let idle = r#"localmart_pool_connections{pool="postgresql",state="idle"}"#;
        assert_eq!(value(&metrics, busy), Some(1));
        assert_eq!(value(&metrics, idle), Some(3));
        in_use.store(3, Ordering::Relaxed);
        assert_eq!(value(&metrics, busy), Some(3));
        assert_eq!(value(&metrics, idle), Some(1));
        assert_eq!(
            value(
                &metrics,
                r#"localmart_pool_max_connections{pool="postgresql"}"#
            ),
            Some(8)
        );
    }
}
