//! The `tracing` layer that keeps the storefront's spans.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::{FinishedSpan, Kind, Value, fresh_span_id, now};
use crate::trace::{fresh_ids, traceparent};

/// Keeps every finished span that says its OpenTelemetry kind, until [`Recorder::take`].
/// Clones share what they keep: one goes into the subscriber, one to whoever sends.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    finished: Arc<Mutex<Vec<FinishedSpan>>>,
}

/// At most this many finished spans wait to be sent; beyond it the newest are dropped
/// (a page left open with the collector away must not grow without end).
const MOST_KEPT: usize = 1000;

impl Recorder {
    /// The spans finished since the last call, oldest first.
    pub fn take(&self) -> Vec<FinishedSpan> {
        std::mem::take(&mut *self.lock())
    }

    /// Keeps a span measured outside `tracing` (a page load).
    pub fn keep(&self, span: FinishedSpan) {
        let mut finished = self.lock();
        if finished.len() < MOST_KEPT {
            finished.push(span);
        }
    }

    /// How many spans wait to be sent.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FinishedSpan>> {
        // A panic while pushing leaves a whole Vec: what it holds is still good.
        self.finished.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether the recorder keeps spans of this call site: spans with an `otel.kind` field,
/// the ones that say what they are in OpenTelemetry's terms.
fn kept(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.fields().field("otel.kind").is_some()
}

/// A span the recorder keeps, while it is open.
#[derive(Debug)]
struct Open {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    parent_id: Option<[u8; 8]>,
    fields: Fields,
    start: u64,
}

/// What a span's fields say: its OpenTelemetry name, kind and status, and the rest as
/// attributes.
#[derive(Debug)]
struct Fields {
    name: String,
    kind: Kind,
    failed: bool,
    attributes: Vec<(String, Value)>,
}

impl Fields {
    fn set(&mut self, field: &Field, value: Value) {
        match (field.name(), value) {
            ("otel.name", Value::Str(name)) => self.name = name,
            ("otel.kind", Value::Str(kind)) => {
                self.kind = if kind == "client" {
                    Kind::Client
                } else {
                    Kind::Internal
                };
            }
            ("otel.status_code", Value::Str(status)) => self.failed = status == "error",
            (name, value) => {
                self.attributes.retain(|(given, _)| given != name);
                self.attributes.push((name.to_owned(), value));
            }
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, Value::Str(value.to_owned()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field, Value::Int(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let value = i64::try_from(value).map_or_else(|_| Value::Str(value.to_string()), Value::Int);
        self.set(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field, Value::Bool(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field, Value::Str(format!("{value:?}")));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if kept(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        kept(metadata)
    }

    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let parent = span.parent().and_then(|parent| {
            let extensions = parent.extensions();
            extensions
                .get::<Open>()
                .map(|open| (open.trace_id, open.span_id))
        });
        let (trace_id, span_id, parent_id) = match parent {
            Some((trace_id, parent_id)) => (trace_id, fresh_span_id(), Some(parent_id)),
            None => {
                let (trace_id, span_id) = fresh_ids();
                (trace_id, span_id, None)
            }
        };
        let mut fields = Fields {
            name: attributes.metadata().name().to_owned(),
            kind: Kind::Internal,
            failed: false,
            attributes: Vec::new(),
        };
        attributes.record(&mut fields);
        span.extensions_mut().insert(Open {
            trace_id,
            span_id,
            parent_id,
            fields,
            start: now(),
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        if let Some(span) = context.span(id)
            && let Some(open) = span.extensions_mut().get_mut::<Open>()
        {
            values.record(&mut open.fields);
        }
    }

    fn on_close(&self, id: Id, context: Context<'_, S>) {
        let Some(open) = context
            .span(&id)
            .and_then(|span| span.extensions_mut().remove::<Open>())
        else {
            return;
        };
        self.keep(FinishedSpan {
            trace_id: open.trace_id,
            span_id: open.span_id,
            parent_id: open.parent_id,
            name: open.fields.name,
            kind: open.fields.kind,
            start: open.start,
            end: now().max(open.start),
            attributes: open.fields.attributes,
            failed: open.fields.failed,
        });
    }
}

/// The `traceparent` of the span being run, when it is one the recorder keeps: what a
/// call's header hook sends, so the service's span becomes the call's child. `None`
/// outside a recorded span, or when no recorder is installed (the Pact tests, the load
/// generator).
pub fn current_traceparent() -> Option<String> {
    // Asked before borrowing the dispatcher: inside `get_default`, the current span is
    // not visible.
    let id = tracing::Span::current().id()?;
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let span = registry.span(&id)?;
        let extensions = span.extensions();
        let open = extensions.get::<Open>()?;
        Some(traceparent(open.trace_id, open.span_id))
    })
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;
    use crate::telemetry::action;

    fn recorded(work: impl FnOnce()) -> Vec<FinishedSpan> {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry().with(recorder.clone());
        tracing::subscriber::with_default(subscriber, work);
        recorder.take()
    }

    #[test]
    fn a_call_inside_an_action_is_its_child_and_carries_its_own_id() {
        let mut sent = None;
        let spans = recorded(|| {
            let action = tracing::info_span!(
                "user_action",
                otel.name = "add to cart",
                otel.kind = "internal"
            );
            let _action = action.enter();
            let call = tracing::info_span!(
                "http_call",
                otel.name = "POST /v1/carts/{cart_id}/lines",
                otel.kind = "client",
                otel.status_code = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
            );
            call.in_scope(|| sent = current_traceparent());
            call.record("http.response.status_code", 503);
            call.record("otel.status_code", "error");
        });
        let [call, action] = spans.as_slice() else {
            panic!("two spans, the call closing first: {spans:?}");
        };
        assert_eq!(action.name, "add to cart");
        assert_eq!(action.kind, Kind::Internal);
        assert_eq!(action.parent_id, None);
        assert!(!action.failed);
        assert_eq!(call.name, "POST /v1/carts/{cart_id}/lines");
        assert_eq!(call.kind, Kind::Client);
        assert_eq!(call.trace_id, action.trace_id);
        assert_eq!(call.parent_id, Some(action.span_id));
        assert!(call.failed);
        assert_eq!(
            call.attributes,
            [("http.response.status_code".to_owned(), Value::Int(503))]
        );
        assert_eq!(
            sent.as_deref(),
            Some(traceparent(call.trace_id, call.span_id).as_str()),
            "the call sends its own span id, so the server's span is the call's child"
        );
        assert!(call.start >= action.start && call.end <= action.end);
    }

    #[test]
    fn spans_without_an_opentelemetry_kind_and_their_context_are_not_kept() {
        let mut sent = Some(String::new());
        let spans = recorded(|| {
            let other = tracing::info_span!("render", component = "Header");
            other.in_scope(|| sent = current_traceparent());
        });
        assert!(spans.is_empty(), "{spans:?}");
        assert_eq!(sent, None);
    }

    #[test]
    fn no_recorder_no_traceparent() {
        let span = tracing::info_span!("user_action", otel.kind = "internal");
        assert_eq!(span.in_scope(current_traceparent), None);
    }

    #[test]
    fn a_failed_action_is_marked_and_separate_actions_are_separate_traces() {
        let spans = recorded(|| {
            let failing = action("post review", async { Err::<(), _>("refused") });
            let succeeding = action("add to cart", async { Ok::<_, ()>(()) });
            assert!(poll_once(failing).is_err());
            assert!(poll_once(succeeding).is_ok());
        });
        let [failed, succeeded] = spans.as_slice() else {
            panic!("two spans: {spans:?}");
        };
        assert_eq!(failed.name, "post review");
        assert!(failed.failed);
        assert!(!succeeded.failed);
        assert_ne!(failed.trace_id, succeeded.trace_id);
    }

    /// Runs a future that does not wait on anything.
    fn poll_once<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the future waited"),
        }
    }
}
