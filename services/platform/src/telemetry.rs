//! Logs, traces and metrics leaving the process.
//!
//! Logs are JSON lines on stdout; inside a request each line carries the request's span
//! with its `trace_id` and `request_id`. Traces always exist (so trace ids appear in logs
//! and propagate to other services); they and the request metrics are exported over
//! OTLP/gRPC only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Trace context travels in
//! W3C `traceparent` headers on REST and gRPC alike.

use std::time::Duration;

use anyhow::{Context, Result};
use opentelemetry::propagation::Injector;
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry::{KeyValue, global};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config;
use crate::metrics::RequestLabels;

/// How a service reports itself.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub service_name: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:4317`.
    pub otlp_endpoint: Option<String>,
    /// `LOG_FORMAT`: `json` (the default) or `text` for reading by eye.
    pub json_logs: bool,
}

impl TelemetryConfig {
    pub fn from_env(service_name: &str) -> Result<Self> {
        let format: String = config::var_or("LOG_FORMAT", "json".to_owned())?;
        Ok(Self {
            service_name: service_name.to_owned(),
            otlp_endpoint: config::var("OTEL_EXPORTER_OTLP_ENDPOINT")?,
            json_logs: format != "text",
        })
    }
}

/// The installed providers; [`Telemetry::shutdown`] flushes what is still buffered.
#[derive(Debug)]
pub struct Telemetry {
    tracer_provider: SdkTracerProvider,
    meter_provider: Option<SdkMeterProvider>,
    logs: crate::log_writer::BatchedStdout,
}

impl Telemetry {
    pub fn shutdown(self) {
        self.logs.flush();
        if let Err(err) = self.tracer_provider.shutdown() {
            eprintln!("flushing traces failed: {err}");
        }
        if let Some(meter_provider) = self.meter_provider
            && let Err(err) = meter_provider.shutdown()
        {
            eprintln!("flushing metrics failed: {err}");
        }
    }
}

/// Installs the global subscriber, propagator and providers. Call once, from `main`.
pub fn init(config: &TelemetryConfig) -> Result<Telemetry> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .build();

    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut meter_provider = None;
    if let Some(endpoint) = &config.otlp_endpoint {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP span exporter")?;
        tracer_builder = tracer_builder.with_batch_exporter(spans);
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP metric exporter")?;
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_periodic_exporter(metrics)
            .build();
        global::set_meter_provider(provider.clone());
        meter_provider = Some(provider);
    }
    let tracer_provider = tracer_builder.build();
    global::set_tracer_provider(tracer_provider.clone());
    let tracer = tracer_provider.tracer(config.service_name.clone());

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let otel_layer = tracing_opentelemetry::layer().with_tracer(tracer);
    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    // Lines go out in batches: see `log_writer`.
    let logs = crate::log_writer::BatchedStdout::start();
    if config.json_logs {
        registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(logs.clone()),
            )
            .try_init()
    } else {
        registry
            .with(fmt::layer().with_writer(logs.clone()))
            .try_init()
    }
    .context("installing the log subscriber")?;

    tracing::info!(
        service = %config.service_name,
        otlp = config.otlp_endpoint.as_deref().unwrap_or("off"),
        "telemetry ready"
    );
    Ok(Telemetry {
        tracer_provider,
        meter_provider,
        logs,
    })
}

/// Makes `span` a child of the trace context in `headers`, if any, and returns the
/// span's trace id (`None` when no tracer is installed, as in most tests).
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) -> Option<String> {
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// Writes the current span's trace context into outgoing HTTP headers.
pub fn inject_trace(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers));
    });
}

/// Writes trace context into gRPC metadata.
pub(crate) struct MetadataInjector<'a>(pub &'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The OTel twins of the Prometheus request instruments; they record into the global
/// meter, which discards everything unless OTLP export is configured.
#[derive(Clone, Debug)]
pub(crate) struct OtelInstruments {
    requests: opentelemetry::metrics::Counter<u64>,
    duration: opentelemetry::metrics::Histogram<f64>,
}

impl OtelInstruments {
    pub(crate) fn from_global_meter() -> Self {
        let meter = global::meter("localmart");
        Self {
            requests: meter.u64_counter("localmart.requests").build(),
            duration: meter
                .f64_histogram("localmart.request.duration")
                .with_unit("s")
                .build(),
        }
    }

    pub(crate) fn observe(&self, labels: &RequestLabels, elapsed: Duration) {
        let attributes = [
            KeyValue::new("protocol", labels.protocol),
            KeyValue::new("route", labels.route.clone()),
            KeyValue::new("method", labels.method.clone()),
            KeyValue::new("status", labels.status.clone()),
        ];
        self.requests.add(1, &attributes);
        self.duration.record(elapsed.as_secs_f64(), &attributes);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Runs `f` with a tracer installed for this thread only, as `init` installs one globally.
    pub(crate) fn with_tracer(f: impl FnOnce()) {
        global::set_text_map_propagator(TraceContextPropagator::new());
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, f);
    }

    #[test]
    fn a_request_span_continues_the_callers_trace() {
        with_tracer(|| {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "traceparent",
                http::HeaderValue::from_static(
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ),
            );
            let span = tracing::info_span!("request");
            let trace_id = continue_trace(&span, &headers);
            assert_eq!(
                trace_id.as_deref(),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
        });
    }

    #[test]
    fn a_request_without_trace_context_starts_a_new_trace() {
        with_tracer(|| {
            let span = tracing::info_span!("request");
            let trace_id = continue_trace(&span, &http::HeaderMap::new());
            assert!(trace_id.is_some_and(|id| id.len() == 32 && id != "0".repeat(32)));
        });
    }

    #[test]
    fn outgoing_calls_carry_the_current_trace() {
        with_tracer(|| {
            let mut incoming = http::HeaderMap::new();
            incoming.insert(
                "traceparent",
                http::HeaderValue::from_static(
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                ),
            );
            let span = tracing::info_span!("request");
            continue_trace(&span, &incoming);
            let mut outgoing = http::HeaderMap::new();
            span.in_scope(|| inject_trace(&mut outgoing));
            let traceparent = outgoing
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
                "same trace, new parent span: {traceparent}"
            );
            assert!(
                !traceparent.contains("00f067aa0ba902b7"),
                "the parent is our span, not the caller's"
            );
        });
    }
}
