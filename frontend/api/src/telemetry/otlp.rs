//! OTLP/JSON: the request bodies of the collector's OTLP/HTTP receiver
//! (`/v1/traces`, `/v1/metrics`), as the OTLP specification writes protobuf messages in
//! JSON: ids in hex, 64-bit integers as decimal strings, enums as their numbers.

use serde_json::{Value as Json, json};

use super::{FinishedSpan, Kind, Value};

/// The service name the storefront's telemetry carries.
pub const SERVICE_NAME: &str = "storefront";
/// The instrumentation scope of everything the storefront records.
const SCOPE: &str = "storefront";

/// An `ExportTraceServiceRequest` with `spans`.
pub fn traces(spans: &[FinishedSpan]) -> String {
    let spans: Vec<Json> = spans.iter().map(span).collect();
    json!({
        "resourceSpans": [{
            "resource": { "attributes": attributes(&[service_name()]) },
            "scopeSpans": [{ "scope": { "name": SCOPE }, "spans": spans }],
        }],
    })
    .to_string()
}

fn service_name() -> (String, Value) {
    (
        "service.name".to_owned(),
        Value::Str(SERVICE_NAME.to_owned()),
    )
}

fn span(span: &FinishedSpan) -> Json {
    // SPAN_KIND_INTERNAL and SPAN_KIND_CLIENT; STATUS_CODE_ERROR.
    let kind = match span.kind {
        Kind::Internal => 1,
        Kind::Client => 3,
    };
    let mut encoded = json!({
        "traceId": hex(&span.trace_id),
        "spanId": hex(&span.span_id),
        "name": span.name,
        "kind": kind,
        "startTimeUnixNano": span.start.to_string(),
        "endTimeUnixNano": span.end.to_string(),
        "attributes": attributes(&span.attributes),
    });
    if let Some(parent) = span.parent_id {
        encoded["parentSpanId"] = hex(&parent).into();
    }
    if span.failed {
        encoded["status"] = json!({ "code": 2 });
    }
    encoded
}

fn attributes(attributes: &[(String, Value)]) -> Json {
    attributes
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Str(text) => json!({ "stringValue": text }),
                Value::Int(number) => json!({ "intValue": number.to_string() }),
                Value::Bool(flag) => json!({ "boolValue": flag }),
            };
            json!({ "key": key, "value": value })
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A histogram of one page's measurements, cumulative from the page's start.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    /// The buckets' upper bounds, ascending; one more bucket holds what is above them.
    pub bounds: &'static [f64],
    pub attributes: Vec<(String, Value)>,
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    pub fn new(
        name: &'static str,
        unit: &'static str,
        description: &'static str,
        bounds: &'static [f64],
        attributes: Vec<(String, Value)>,
    ) -> Self {
        Self {
            name,
            unit,
            description,
            bounds,
            attributes,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
        }
    }

    /// Counts `value` in the first bucket whose bound is at least it.
    pub fn observe(&mut self, value: f64) {
        let bucket = self.bounds.partition_point(|bound| *bound < value);
        self.counts[bucket] += 1;
        self.sum += value;
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// An `ExportMetricsServiceRequest` with `histograms`, cumulative from `start` to `time`
/// (Unix-epoch nanoseconds). Each page is a writer of its own (`service.instance.id`), as
/// OTLP's cumulative temporality asks: one series a page, summed across pages by the
/// dashboards.
pub fn metrics(instance: &str, start: u64, time: u64, histograms: &[Histogram]) -> String {
    let resource = [
        service_name(),
        (
            "service.instance.id".to_owned(),
            Value::Str(instance.to_owned()),
        ),
    ];
    let metrics: Vec<Json> = histograms
        .iter()
        .map(|histogram| {
            json!({
                "name": histogram.name,
                "unit": histogram.unit,
                "description": histogram.description,
                "histogram": {
                    // AGGREGATION_TEMPORALITY_CUMULATIVE
                    "aggregationTemporality": 2,
                    "dataPoints": [{
                        "attributes": attributes(&histogram.attributes),
                        "startTimeUnixNano": start.to_string(),
                        "timeUnixNano": time.to_string(),
                        "count": histogram.count().to_string(),
                        "sum": histogram.sum,
                        "bucketCounts": histogram.counts.iter().map(u64::to_string).collect::<Vec<_>>(),
                        "explicitBounds": histogram.bounds,
                    }],
                },
            })
        })
        .collect();
    json!({
        "resourceMetrics": [{
            "resource": { "attributes": attributes(&resource) },
            "scopeMetrics": [{ "scope": { "name": SCOPE }, "metrics": metrics }],
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_in_otlp_json() {
        let span = FinishedSpan {
            trace_id: [0xab; 16],
            span_id: [1, 2, 3, 4, 5, 6, 7, 8],
            parent_id: Some([9; 8]),
            name: "POST /v1/carts".to_owned(),
            kind: Kind::Client,
            start: 1_700_000_000_000_000_000,
            end: 1_700_000_000_250_000_000,
            attributes: vec![
                (
                    "http.request.method".to_owned(),
                    Value::Str("POST".to_owned()),
                ),
                ("http.response.status_code".to_owned(), Value::Int(503)),
            ],
            failed: true,
        };
        let body: Json = serde_json::from_str(&traces(&[span])).expect("JSON");
        let resource = &body["resourceSpans"][0];
        assert_eq!(
            resource["resource"]["attributes"][0],
            json!({ "key": "service.name", "value": { "stringValue": "storefront" } })
        );
        let encoded = &resource["scopeSpans"][0]["spans"][0];
        assert_eq!(encoded["traceId"], "ab".repeat(16));
        assert_eq!(encoded["spanId"], "0102030405060708");
        assert_eq!(encoded["parentSpanId"], "0909090909090909");
        assert_eq!(encoded["kind"], 3);
        assert_eq!(encoded["startTimeUnixNano"], "1700000000000000000");
        assert_eq!(encoded["endTimeUnixNano"], "1700000000250000000");
        assert_eq!(encoded["status"]["code"], 2);
        assert_eq!(
            encoded["attributes"][1],
            json!({ "key": "http.response.status_code", "value": { "intValue": "503" } })
        );
    }

    #[test]
    fn a_root_span_has_no_parent_and_an_unfailed_one_no_status() {
        let span = FinishedSpan::root("page load", 10, 5, Vec::new());
        let body: Json = serde_json::from_str(&traces(&[span])).expect("JSON");
        let encoded = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(encoded["kind"], 1);
        assert_eq!(
            encoded["endTimeUnixNano"], "10",
            "never ends before it starts"
        );
        assert!(encoded.get("parentSpanId").is_none());
        assert!(encoded.get("status").is_none());
    }

    #[test]
    fn a_histogram_counts_each_value_in_the_first_bucket_that_holds_it() {
        let mut lcp = Histogram::new("lcp", "ms", "", &[1000.0, 2500.0], Vec::new());
        for value in [200.0, 1000.0, 1000.5, 9000.0] {
            lcp.observe(value);
        }
        let body: Json = serde_json::from_str(&metrics("page-1", 5, 9, &[lcp])).expect("JSON");
        let resource = &body["resourceMetrics"][0];
        assert_eq!(
            resource["resource"]["attributes"][1]["value"]["stringValue"],
            "page-1"
        );
        let point = &resource["scopeMetrics"][0]["metrics"][0]["histogram"]["dataPoints"][0];
        assert_eq!(point["bucketCounts"], json!(["2", "1", "1"]));
        assert_eq!(point["explicitBounds"], json!([1000.0, 2500.0]));
        assert_eq!(point["count"], "4");
        assert_eq!(point["sum"], 11200.5);
        assert_eq!(point["startTimeUnixNano"], "5");
    }
}
