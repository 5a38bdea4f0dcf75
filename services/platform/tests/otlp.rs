//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans and request metrics really leave the
//! process: a small OTLP/gRPC collector in the test receives them. The collector is the
//! one thing faked here; it stands for whatever backend a user runs (Tempo, Jaeger, an
//! OpenTelemetry Collector).
//!
//! This is its own test binary because telemetry installs process-wide state.

use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use platform::metrics::{Metrics, RequestLabels};
use platform::telemetry::{self, TelemetryConfig};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

#[derive(Debug)]
enum Received {
    Spans(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
}

#[derive(Clone)]
struct Collector(mpsc::UnboundedSender<Received>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let _ = self.0.send(Received::Spans(request.into_inner()));
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let _ = self.0.send(Received::Metrics(request.into_inner()));
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_and_request_metrics_reach_the_otlp_endpoint() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
    let (sender, mut received) = mpsc::unbounded_channel();
    let collector = Collector(sender);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .add_service(MetricsServiceServer::new(collector))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );

    let telemetry = telemetry::init(&TelemetryConfig {
        service_name: "otlp-test".to_owned(),
        otlp_endpoint: Some(endpoint),
        json_logs: true,
    })
    .expect("telemetry starts");
    let metrics = Metrics::new();
    tracing::info_span!("checkout").in_scope(|| tracing::info!("inside the span"));
    metrics.observe(
        RequestLabels {
            protocol: "http",
            route: "/v1/things".to_owned(),
            method: "GET".to_owned(),
            status: "200".to_owned(),
        },
        Duration::from_millis(3),
    );
    // Shutting down flushes both exporters; it blocks, so off the async workers.
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .expect("shutdown");

    let (mut span_names, mut metric_names, mut service_names): (
        Vec<String>,
        Vec<String>,
        Vec<String>,
    ) = (vec![], vec![], vec![]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while span_names.is_empty() || metric_names.is_empty() {
        let Ok(Some(message)) = tokio::time::timeout_at(deadline, received.recv()).await else {
            break;
        };
        let (resources, names): (Vec<_>, Vec<String>) = match message {
            Received::Spans(request) => {
                let resources = request
                    .resource_spans
                    .iter()
                    .filter_map(|r| r.resource.clone())
                    .collect();
                let names: Vec<String> = request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .flat_map(|s| &s.spans)
                    .map(|span| span.name.clone())
                    .collect();
                span_names.extend(names);
                (resources, vec![])
            }
            Received::Metrics(request) => {
                let resources = request
                    .resource_metrics
                    .iter()
                    .filter_map(|r| r.resource.clone())
                    .collect();
                let names = request
                    .resource_metrics
                    .iter()
                    .flat_map(|r| &r.scope_metrics)
                    .flat_map(|s| &s.metrics)
                    .map(|metric| metric.name.clone())
                    .collect();
                (resources, names)
            }
        };
        metric_names.extend(names);
        for resource in resources {
            for attribute in resource.attributes {
                if attribute.key == "service.name" {
                    service_names.push(format!("{:?}", attribute.value));
                }
            }
        }
    }
    assert!(
        span_names.iter().any(|name| name == "checkout"),
        "spans: {span_names:?}"
    );
    assert!(
        metric_names.iter().any(|name| name == "localmart.requests"),
        "metrics: {metric_names:?}"
    );
    assert!(
        metric_names
            .iter()
            .any(|name| name == "localmart.request.duration"),
        "metrics: {metric_names:?}"
    );
    assert!(
        service_names.iter().all(|name| name.contains("otlp-test")) && !service_names.is_empty()
    );
}
