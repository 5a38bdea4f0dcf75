//! What every LocalMart gRPC server and client shares: connections accepted with
//! `TCP_NODELAY`, a span per call that continues the caller's trace, request metrics by
//! method and gRPC status, and trace propagation on the client side.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::net::TcpListener;
use tonic::service::Interceptor;
use tonic::transport::server::TcpIncoming;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::{Metrics, RequestLabels};
use crate::telemetry;

/// The connections a gRPC server accepts on `listener`, each with `TCP_NODELAY` set.
///
/// A unary answer is several small HTTP/2 frames (headers, data, trailers). With Nagle's
/// algorithm on, the frames after the first wait until the caller acknowledges it, and
/// callers delay acknowledgements by up to 40 ms: every call then takes about that long,
/// whatever the load. `TcpIncoming::from` leaves the option unset, so use this instead.
pub fn incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener).with_nodelay(Some(true))
}

/// A tower layer for `tonic::transport::Server::builder().layer(...)`.
#[derive(Clone, Debug)]
pub struct ObserveLayer {
    metrics: Metrics,
}

impl ObserveLayer {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The gRPC status code UNIMPLEMENTED, as it stands in the `grpc-status` header.
const UNIMPLEMENTED: &str = "12";

#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B, R> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready service handles this call; a fresh clone stays behind for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let metrics = self.metrics.clone();
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc_request",
            rpc.method = method.as_str(),
            trace_id = tracing::field::Empty
        );
        telemetry::continue_trace(&span, request.headers());
        Box::pin(
            async move {
                let started = Instant::now();
                let result = inner.call(request).await;
                // An error status comes in the headers ("trailers-only"); a success's status
                // comes in trailers this layer does not see, so a missing one means OK.
                let status = match &result {
                    Ok(response) => response
                        .headers()
                        .get("grpc-status")
                        .and_then(|value| value.to_str().ok())
                        .map_or_else(|| "0".to_owned(), str::to_owned),
                    Err(_) => "transport_error".to_owned(),
                };
                let elapsed = started.elapsed();
                tracing::info!(grpc_status = %status, latency_ms = elapsed.as_secs_f64() * 1000.0, "call served");
                // A method the server does not have is answered UNIMPLEMENTED; its path is
                // the client's choice, so it is counted as `other`, keeping the series bounded.
                let route = if status == UNIMPLEMENTED { "other".to_owned() } else { method };
                metrics.observe(
                    RequestLabels { protocol: "grpc", route, method: "POST".to_owned(), status },
                    elapsed,
                );
                result
            }
            .instrument(span),
        )
    }
}

/// A tonic client interceptor that sends the current trace context with every call.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracePropagation;

impl Interceptor for TracePropagation {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        use opentelemetry::global;
        use tracing_opentelemetry::OpenTelemetrySpanExt;

        let context = tracing::Span::current().context();
        global::get_text_map_propagator(|propagator| {
            propagator.inject_context(
                &context,
                &mut telemetry::MetadataInjector(request.metadata_mut()),
            );
        });
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_small_frames_at_once() {
        use tokio_stream::StreamExt as _;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let addr = listener.local_addr().expect("an address");
        let mut accepted = incoming(listener);
        let _caller = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connected");
        let stream = accepted
            .next()
            .await
            .expect("a connection")
            .expect("accepted");
        assert!(stream.nodelay().expect("readable"), "Nagle is still on");
    }

    #[test]
    fn client_calls_carry_the_current_trace_in_metadata() {
        telemetry::tests::with_tracer(|| {
            let mut incoming = http::HeaderMap::new();
            incoming.insert(
                "traceparent",
                http::HeaderValue::from_static(
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
            );
            let span = tracing::info_span!("handler");
            telemetry::continue_trace(&span, &incoming);
            let request = span
                .in_scope(|| TracePropagation.call(tonic::Request::new(())))
                .expect("the interceptor never refuses");
            let traceparent = request
                .metadata()
                .get("traceparent")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            assert!(
                traceparent.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
                "{traceparent}"
            );
        });
    }
}
