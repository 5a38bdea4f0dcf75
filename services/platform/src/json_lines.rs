//! The services' JSON log lines, written straight from the events' and spans' fields.
//!
//! One line per event, in the shape
//!
//! ```json
//! {"timestamp":"2026-12-05T10:00:00.000000Z","level":"INFO","message":"request served",
//!  "status":200,"latency_ms":0.4,"target":"platform::http",
//!  "span":{"name":"http_request","http.request.method":"GET","http.route":"/v1/products",
//!  "request_id":"…","trace_id":"…"}}
//! ```
//!
//! (on one line): the event's own fields at the top, and under `span` the fields of every
//! span it happened in, outermost first, with the innermost span's name. The `otel.*`
//! fields, which name a span in the traces, are left out. So every line
//! written while a request is served carries the request's `trace_id` and `request_id`.
//!
//! `tracing_subscriber`'s own JSON formatter writes the same thing, but it keeps each
//! span's fields as a JSON text and parses that text back for every line it writes; with
//! one line per request that was a fifth of the Catalog's CPU per request
//! (`docs/benchmarks.md`). Here a span's fields are written once, as the JSON fragment
//! they will be in every line, when the span is made (and when a field is recorded later,
//! as `trace_id` is); a line is assembled in a buffer that each thread keeps, and handed to
//! the writer whole.

use std::cell::RefCell;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A [`Layer`] that writes every event as one JSON line to `W`.
#[derive(Debug)]
pub struct JsonLines<W> {
    writer: W,
}

impl<W> JsonLines<W> {
    pub fn new(writer: W) -> Self {
        Self { writer }
    }
}

/// A span's fields as they appear in a line: `"key":value` pairs, comma-separated.
#[derive(Debug, Default)]
struct SpanFields(Vec<u8>);

impl<S, W> Layer<S> for JsonLines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = SpanFields(Vec::with_capacity(256));
        attrs.record(&mut FieldWriter::new(&mut fields.0));
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(fields) = extensions.get_mut::<SpanFields>() {
            values.record(&mut FieldWriter::new(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        thread_local! {
            static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        LINE.with(|line| {
            // An event logged while a line is being written (by a `Debug` impl, say) gets a
            // buffer of its own rather than a panic.
            let mut own = Vec::new();
            let mut borrowed = line.try_borrow_mut();
            let line = match borrowed.as_deref_mut() {
                Ok(line) => line,
                Err(_) => &mut own,
            };
            line.clear();
            write_line(line, event, &ctx, SystemTime::now());
            // Nowhere to report a failure to write the logs; the writer says so on stderr.
            let _ = self.writer.make_writer().write_all(line);
        });
    }
}

fn write_line<S>(line: &mut Vec<u8>, event: &Event<'_>, ctx: &Context<'_, S>, now: SystemTime)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    line.extend_from_slice(b"{\"timestamp\":\"");
    write_timestamp(line, now);
    line.extend_from_slice(b"\",\"level\":\"");
    line.extend_from_slice(metadata.level().as_str().as_bytes());
    line.push(b'"');
    let mut fields = FieldWriter::new(line);
    fields.first = false;
    event.record(&mut fields);
    line.extend_from_slice(b",\"target\":");
    push_json(line, metadata.target());
    if let Some(scope) = ctx.event_scope(event) {
        let mut name = "";
        line.extend_from_slice(b",\"span\":{");
        let start = line.len();
        for span in scope.from_root() {
            name = span.name();
            if let Some(fields) = span.extensions().get::<SpanFields>()
                && !fields.0.is_empty()
            {
                if line.len() > start {
                    line.push(b',');
                }
                line.extend_from_slice(&fields.0);
            }
        }
        if line.len() > start {
            line.push(b',');
        }
        line.extend_from_slice(b"\"name\":");
        push_json(line, name);
        line.push(b'}');
    }
    line.extend_from_slice(b"}\n");
}

/// Appends `"name":value` for each field it visits, with a comma before all but the
/// first.
struct FieldWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> FieldWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        let first = out.is_empty();
        Self { out, first }
    }

    fn key(&mut self, field: &Field) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        push_json(self.out, field.name());
        self.out.push(b':');
    }

    fn value(&mut self, field: &Field, value: impl Serialize) {
        if is_for_traces(field) {
            return;
        }
        self.key(field);
        push_json(self.out, value);
    }
}

/// The `otel.*` fields (a span's name, kind and status as the trace shows them) are for
/// the OpenTelemetry layer; a line has the span's own name and fields.
fn is_for_traces(field: &Field) -> bool {
    field.name().starts_with("otel.")
}

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.value(field, value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.value(field, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.value(field, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.value(field, value);
    }

    /// A number, or `null` for NaN and the infinities, which JSON has no way to write.
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.value(field, value);
    }

    /// `%value` and `?value` fields, and the message: written out, then quoted as a
    /// JSON string.
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if is_for_traces(field) {
            return;
        }
        thread_local! {
            static TEXT: RefCell<String> = const { RefCell::new(String::new()) };
        }
        TEXT.with(|text| match text.try_borrow_mut() {
            Ok(mut text) => {
                text.clear();
                let _ = std::fmt::Write::write_fmt(&mut *text, format_args!("{value:?}"));
                self.value(field, text.as_str());
            }
            Err(_) => self.value(field, format!("{value:?}")),
        });
    }
}

/// Appends `value` as JSON. Writing JSON into memory cannot fail for the values a field
/// holds.
fn push_json(out: &mut Vec<u8>, value: impl Serialize) {
    let _ = serde_json::to_writer(out, &value);
}

/// `now` in UTC as RFC 3339 with microseconds, e.g. `2026-12-05T09:03:07.123456Z`.
fn write_timestamp(out: &mut Vec<u8>, now: SystemTime) {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs();
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    push_digits(out, year, 4);
    out.push(b'-');
    push_digits(out, month, 2);
    out.push(b'-');
    push_digits(out, day, 2);
    out.push(b'T');
    push_digits(out, of_day / 3600, 2);
    out.push(b':');
    push_digits(out, of_day / 60 % 60, 2);
    out.push(b':');
    push_digits(out, of_day % 60, 2);
    out.push(b'.');
    push_digits(out, u64::from(since_epoch.subsec_micros()), 6);
    out.push(b'Z');
}

/// Appends the last `width` decimal digits of `value`, zero-padded (a line is written
/// for every request, and `write!` costs several times as much).
fn push_digits(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for digit in out[start..].iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01.
///
/// Counted in eras of 400 years (146,097 days, the calendar's whole cycle) from
/// 0000-03-01, so that the leap day falls at the end of each counted year.
fn civil_date(days: u64) -> (u64, u64, u64) {
    const DAYS_FROM_0000_03_01_TO_EPOCH: u64 = 719_468;
    let days = days + DAYS_FROM_0000_03_01_TO_EPOCH;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, each run of five (Mar-Jul, Aug-Dec) 153 days long.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use serde_json::{Value, json};
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Lines written, kept for the test to read.
    #[derive(Clone, Default)]
    pub(crate) struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Lines {
        pub(crate) fn parsed(&self) -> Vec<Value> {
            let bytes = self.0.lock().expect("the lines").clone();
            String::from_utf8(bytes)
                .expect("UTF-8")
                .lines()
                .map(|line| serde_json::from_str(line).expect("each line is JSON"))
                .collect()
        }
    }

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("the lines").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    fn logged(f: impl FnOnce()) -> Vec<Value> {
        let lines = Lines::default();
        let subscriber = tracing_subscriber::registry().with(JsonLines::new(lines.clone()));
        tracing::subscriber::with_default(subscriber, f);
        lines.parsed()
    }

    fn without_timestamp(mut line: Value) -> Value {
        let timestamp = line
            .as_object_mut()
            .and_then(|line| line.remove("timestamp"));
        assert!(timestamp.is_some(), "every line has a timestamp: {line}");
        line
    }

    #[test]
    fn a_line_in_a_request_carries_the_requests_trace_id_and_its_own_fields() {
        let lines = logged(|| {
            let span = tracing::info_span!(
                "http_request",
                otel.name = "GET /v1/products",
                otel.kind = "server",
                http.request.method = %"GET",
                request_id = "r-1",
                trace_id = tracing::field::Empty,
            );
            span.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
            span.in_scope(|| {
                tracing::info!(status = 200_u16, latency_ms = 0.25, "request served");
            });
        });
        assert_eq!(
            lines.into_iter().map(without_timestamp).collect::<Vec<_>>(),
            [json!({
                "level": "INFO",
                "message": "request served",
                "status": 200,
                "latency_ms": 0.25,
                "target": module_path!(),
                "span": {
                    "name": "http_request",
                    "http.request.method": "GET",
                    "request_id": "r-1",
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                },
            })]
        );
    }

    #[test]
    fn a_line_in_a_span_inside_a_request_keeps_the_requests_fields() {
        let lines = logged(|| {
            let request = tracing::info_span!("grpc_request", trace_id = "abc");
            let _request = request.enter();
            let handler = tracing::info_span!("handler");
            let _handler = handler.enter();
            tracing::warn!(retries = 2_u64, "slow store");
        });
        assert_eq!(
            lines[0]["span"],
            json!({"name": "handler", "trace_id": "abc"})
        );
        assert_eq!(lines[0]["level"], "WARN");
    }

    #[test]
    fn a_line_outside_any_span_has_no_span_and_text_is_escaped() {
        let lines = logged(|| {
            let odd = "quote \" backslash \\ newline \n tab \t é";
            tracing::error!(odd, debug = ?Some(1), nan = f64::NAN, ok = true, delta = -3_i64, "{odd}");
        });
        let odd = "quote \" backslash \\ newline \n tab \t é";
        assert_eq!(
            without_timestamp(lines[0].clone()),
            json!({
                "level": "ERROR",
                "message": odd,
                "odd": odd,
                "debug": "Some(1)",
                "nan": null,
                "ok": true,
                "delta": -3,
                "target": module_path!(),
            })
        );
    }

    #[test]
    fn timestamps_are_utc_rfc_3339_with_microseconds() {
        let at = |seconds: u64, micros: u64| {
            let mut out = Vec::new();
            write_timestamp(
                &mut out,
                UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_micros(micros),
            );
            String::from_utf8(out).expect("UTF-8")
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        // A leap day in a century that has one, the day after it, and a century without.
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(951_868_799, 999_999), "2000-02-29T23:59:59.999999Z");
        assert_eq!(at(951_868_800, 0), "2000-03-01T00:00:00.000000Z");
        assert_eq!(at(1_796_468_587, 123_456), "2026-12-05T11:03:07.123456Z");
        assert_eq!(at(4_107_456_000, 0), "2100-02-28T00:00:00.000000Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }
}
