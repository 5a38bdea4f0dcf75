//! Logs, traces and metrics leaving the process.
//!
//! Logs are JSON lines on stdout ([`crate::json_lines`], written in batches by
//! [`crate::log_writer`]); inside a request each line carries the request's span with its
//! `trace_id` and `request_id`. `RUST_LOG` chooses the lines, never the traces. Traces
//! always exist (so trace ids appear in logs and propagate to other services); they, the
//! request metrics and the log lines (as log records with their trace context,
//! [`crate::log_export`]) are exported over OTLP/gRPC only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Trace context travels in
//! W3C `traceparent` headers on REST and gRPC alike.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use opentelemetry::logs::LoggerProvider as _;
use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry::{KeyValue, global};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, span};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{self, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

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
    logger_provider: Option<SdkLoggerProvider>,
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
        if let Some(logger_provider) = self.logger_provider
            && let Err(err) = logger_provider.shutdown()
        {
            eprintln!("flushing log records failed: {err}");
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
    let mut logger_provider = None;
    if let Some(endpoint) = &config.otlp_endpoint {
        let records = opentelemetry_otlp::LogExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP log exporter")?;
        logger_provider = Some(
            SdkLoggerProvider::builder()
                .with_resource(resource.clone())
                .with_batch_exporter(records)
                .build(),
        );
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
        METRICS_EXPORTED.store(true, Ordering::Relaxed);
        meter_provider = Some(provider);
    }
    let tracer_provider = tracer_builder.build();
    global::set_tracer_provider(tracer_provider.clone());
    let tracer = tracer_provider.tracer(config.service_name.clone());

    // Lines go out in batches: see `log_writer`.
    let logs = crate::log_writer::BatchedStdout::start();
    let directives = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| "info".to_owned());
    let exported_logs = logger_provider.as_ref().map(|provider| {
        crate::log_export::OtlpLogs::new(provider.logger(config.service_name.clone()))
    });
    subscriber(
        tracer,
        &directives,
        config.json_logs,
        logs.clone(),
        exported_logs,
    )?
    .try_init()
    .context("installing the log subscriber")?;

    tracing::info!(
        service = %config.service_name,
        otlp = config.otlp_endpoint.as_deref().unwrap_or("off"),
        "telemetry ready"
    );
    Ok(Telemetry {
        tracer_provider,
        meter_provider,
        logger_provider,
        logs,
    })
}

/// The subscriber every service installs: the filter (below), the OTel layer, which makes
/// each span's trace context, the log lines, and the same lines as OTLP log records when
/// they are exported.
fn subscriber<W>(
    tracer: opentelemetry_sdk::trace::SdkTracer,
    directives: &str,
    json_logs: bool,
    writer: W,
    exported_logs: Option<crate::log_export::OtlpLogs>,
) -> Result<impl tracing::Subscriber + Send + Sync + 'static>
where
    W: for<'a> fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let log_level = EnvFilter::builder()
        .parse(directives)
        .with_context(|| format!("RUST_LOG={directives:?} is not a valid filter"))?;
    // What a request's span costs is paid on every request, so the OTel layer keeps only
    // what a trace needs: no busy/idle timings, thread or source-file attributes on spans,
    // and no OTel context switched in and out each time a request's future is polled
    // (nothing here reads it: outgoing calls take the context from the `tracing` span).
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false)
        .with_context_activation(false);
    let lines = if json_logs {
        crate::json_lines::JsonLines::new(writer).boxed()
    } else {
        fmt::layer().with_writer(writer).boxed()
    };
    Ok(tracing_subscriber::registry()
        .with(TracedSpansAndLogLevel(log_level))
        .with(otel_layer)
        .with(lines)
        .with(exported_logs))
}

/// The one filter of the subscriber: every span at `info` and above, which the traces
/// need whatever the log level, and the events (the log lines) that `RUST_LOG` asks for.
/// So `RUST_LOG=warn` turns off the line of every served request but not its trace, and a
/// warning logged while serving a request still carries the request's trace id.
///
/// One filter for the whole stack rather than a filter per layer: with `tracing`'s
/// per-layer filters the first request a service served lost its span, now and then,
/// when two threads met its span's callsite at once.
struct TracedSpansAndLogLevel(EnvFilter);

fn traced(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && *metadata.level() <= Level::INFO
}

impl<S: tracing::Subscriber> Layer<S> for TracedSpansAndLogLevel {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // The log filter learns every callsite, so that span directives in `RUST_LOG`
        // (`[http_request]=debug`) still work.
        let interest = Layer::<S>::register_callsite(&self.0, metadata);
        if traced(metadata) {
            Interest::always()
        } else {
            interest
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: layer::Context<'_, S>) -> bool {
        traced(metadata) || Layer::<S>::enabled(&self.0, metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Layer::<S>::max_level_hint(&self.0).map(|level| level.max(LevelFilter::INFO))
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: layer::Context<'_, S>) {
        self.0.on_new_span(attrs, id, ctx);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: layer::Context<'_, S>) {
        self.0.on_record(id, values, ctx);
    }

    fn on_enter(&self, id: &span::Id, ctx: layer::Context<'_, S>) {
        self.0.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &span::Id, ctx: layer::Context<'_, S>) {
        self.0.on_exit(id, ctx);
    }

    fn on_close(&self, id: span::Id, ctx: layer::Context<'_, S>) {
        self.0.on_close(id, ctx);
    }
}

/// Makes `span` a child of the trace context in `headers`, if any, records the trace's id
/// and the span's own id in its `trace_id` and `span_id` fields (for the log lines, so a
/// line leads to its span in the trace store), and returns the trace id (`None` when no
/// tracer is installed, as in most tests).
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) -> Option<String> {
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    let _ = span.set_parent(parent);
    let context = span.context();
    let span_context = context.span().span_context().clone();
    let trace_id = span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())?;
    span.record("trace_id", trace_id.as_str());
    span.record("span_id", span_context.span_id().to_string().as_str());
    Some(trace_id)
}

/// Writes the current span's trace context into outgoing HTTP headers.
pub fn inject_trace(headers: &mut http::HeaderMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut opentelemetry_http::HeaderInjector(headers));
    });
}

/// Whether `init` set up OTLP export of metrics.
static METRICS_EXPORTED: AtomicBool = AtomicBool::new(false);

/// The OTel twins of the Prometheus request instruments, recording into the global meter.
#[derive(Clone, Debug)]
pub(crate) struct OtelInstruments {
    requests: opentelemetry::metrics::Counter<u64>,
    duration: opentelemetry::metrics::Histogram<f64>,
}

impl OtelInstruments {
    /// The instruments, when metrics leave the process over OTLP; otherwise `None`, rather
    /// than instruments of a meter that discards every value but still costs each request
    /// its attributes.
    pub(crate) fn if_exported() -> Option<Self> {
        if !METRICS_EXPORTED.load(Ordering::Relaxed) {
            return None;
        }
        let meter = global::meter("localmart");
        Some(Self {
            requests: meter.u64_counter("localmart.requests").build(),
            duration: meter
                .f64_histogram("localmart.request.duration")
                .with_unit("s")
                .build(),
        })
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

    /// The lines that `subscriber` writes at `RUST_LOG=directives` while `f` runs.
    fn lines_at(directives: &str, f: impl FnOnce()) -> Vec<serde_json::Value> {
        global::set_text_map_propagator(TraceContextPropagator::new());
        let tracer = SdkTracerProvider::builder().build().tracer("test");
        let lines = crate::json_lines::tests::Lines::default();
        let subscriber = subscriber(tracer, directives, true, lines.clone(), None).expect("valid");
        tracing::subscriber::with_default(subscriber, f);
        lines.parsed()
    }

    fn a_request_that_warns() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        let span = tracing::info_span!(
            "http_request",
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty
        );
        continue_trace(&span, &headers);
        span.in_scope(|| {
            tracing::debug!("looking it up");
            tracing::warn!("the store is slow");
        });
        tracing::info!(parent: &span, "request served");
    }

    #[test]
    fn a_line_names_its_requests_own_span_under_the_callers_trace() {
        let lines = lines_at("info", a_request_that_warns);
        let span_id = lines[0]["span"]["span_id"].as_str().unwrap_or_default();
        assert_eq!(span_id.len(), 16, "{lines:?}");
        assert_ne!(
            span_id, "00f067aa0ba902b7",
            "the request's span, not the caller's"
        );
        assert!(
            lines.iter().all(|line| line["span"]["span_id"] == span_id),
            "{lines:?}"
        );
    }

    #[test]
    fn rust_log_chooses_the_lines_and_every_line_keeps_its_trace_id() {
        let messages = |lines: &[serde_json::Value]| -> Vec<(String, String)> {
            lines
                .iter()
                .map(|line| {
                    (
                        line["message"].as_str().unwrap_or_default().to_owned(),
                        line["span"]["trace_id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        };
        let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            messages(&lines_at("info", a_request_that_warns)),
            [
                ("the store is slow".to_owned(), trace_id.to_owned()),
                ("request served".to_owned(), trace_id.to_owned()),
            ]
        );
        // With the request lines off the trace goes on, so the warning still says which
        // request it was.
        assert_eq!(
            messages(&lines_at("warn", a_request_that_warns)),
            [("the store is slow".to_owned(), trace_id.to_owned())]
        );
        assert_eq!(
            lines_at("off", a_request_that_warns),
            Vec::<serde_json::Value>::new()
        );
    }

    #[test]
    fn a_rust_log_that_is_not_a_filter_is_refused() {
        let tracer = SdkTracerProvider::builder().build().tracer("test");
        let refused = subscriber(tracer, "info,=[", true, std::io::sink, None).err();
        assert!(
            refused.is_some_and(|err| err.to_string().contains("RUST_LOG")),
            "a typo in RUST_LOG is reported, not ignored"
        );
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
