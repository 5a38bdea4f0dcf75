//! The log lines, also sent over OTLP when an endpoint is configured: a tracing layer
//! that turns each event the filter lets through into an OpenTelemetry log record, with
//! the event's fields as attributes and the trace context of the span it happened in, so
//! the log store can show a request's lines beside its trace.
//!
//! OpenTelemetry's own tracing appender reads the trace context from the active
//! OpenTelemetry context, which the services do not switch at every poll (it is costly,
//! see `telemetry`); this layer asks the tracing-opentelemetry layer for the span's
//! context instead.

use std::time::SystemTime;

use opentelemetry::logs::{AnyValue, LogRecord, Logger, Severity};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::logs::SdkLogger;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The layer; one per process, beside the JSON lines.
#[derive(Debug)]
pub struct OtlpLogs {
    logger: SdkLogger,
}

impl OtlpLogs {
    pub fn new(logger: SdkLogger) -> Self {
        Self { logger }
    }
}

impl<S> Layer<S> for OtlpLogs
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut record = self.logger.create_log_record();
        record.set_timestamp(SystemTime::now());
        let (number, text) = severity(*metadata.level());
        record.set_severity_number(number);
        record.set_severity_text(text);
        record.set_target(metadata.target());
        event.record(&mut Fields(&mut record));
        if let Some(span) = ctx.event_span(event) {
            let context = tracing::dispatcher::get_default(|dispatch| {
                tracing_opentelemetry::get_otel_context(&span.id(), dispatch)
            });
            if let Some(context) = context {
                let span = context.span();
                let span_context = span.span_context();
                if span_context.is_valid() {
                    record.set_trace_context(
                        span_context.trace_id(),
                        span_context.span_id(),
                        Some(span_context.trace_flags()),
                    );
                }
            }
        }
        self.logger.emit(record);
    }
}

fn severity(level: Level) -> (Severity, &'static str) {
    match level {
        Level::ERROR => (Severity::Error, "ERROR"),
        Level::WARN => (Severity::Warn, "WARN"),
        Level::INFO => (Severity::Info, "INFO"),
        Level::DEBUG => (Severity::Debug, "DEBUG"),
        Level::TRACE => (Severity::Trace, "TRACE"),
    }
}

/// Writes an event's fields into a record: `message` as the body, the rest as attributes.
struct Fields<'a, R>(&'a mut R);

impl<R: LogRecord> Fields<'_, R> {
    fn put(&mut self, field: &Field, value: AnyValue) {
        if field.name() == "message" {
            self.0.set_body(value);
        } else {
            self.0.add_attribute(field.name(), value);
        }
    }
}

impl<R: LogRecord> Visit for Fields<'_, R> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, AnyValue::from(value.to_owned()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, AnyValue::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, AnyValue::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match i64::try_from(value) {
            Ok(value) => self.put(field, AnyValue::from(value)),
            Err(_) => self.put(field, AnyValue::from(value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, AnyValue::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, AnyValue::from(format!("{value:?}")));
    }
}
