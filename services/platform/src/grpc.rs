//! What every LocalMart gRPC server and client shares: connections accepted with
//! `TCP_NODELAY`, a server span per call that continues the caller's trace, request
//! metrics by method and gRPC status, and on the client side a client span per call
//! whose context goes out with it. The spans are named and attributed by the
//! OpenTelemetry conventions for RPC (`rpc.system`, `rpc.service`, `rpc.method`,
//! `rpc.grpc.status_code`).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::net::TcpListener;
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
        let span = call_span(&method, "server");
        telemetry::continue_trace(&span, request.headers());
        let call_span = span.clone();
        Box::pin(
            async move {
                let _in_flight = metrics.in_flight("grpc");
                let started = Instant::now();
                let result = inner.call(request).await;
                let status = status_of(&result);
                record_status(&call_span, &status, |code| SERVER_ERRORS.contains(&code));
                let elapsed = started.elapsed();
                tracing::info!(grpc_status = %status, latency_ms = elapsed.as_secs_f64() * 1000.0, "call served");
                // A method the server does not have is answered UNIMPLEMENTED; its path is
                // the client's choice, so it is counted (and the span named) as `other`,
                // keeping the series bounded.
                let route = if status == UNIMPLEMENTED {
                    call_span.record("otel.name", "other");
                    call_span.record("rpc.service", "other");
                    call_span.record("rpc.method", "other");
                    "other".to_owned()
                } else {
                    method
                };
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

/// The span of one call to or from `path` (`/package.Service/Method`), of `kind`
/// `server` or `client`; `rpc.grpc.status_code` is recorded when the call ends.
fn call_span(path: &str, kind: &'static str) -> tracing::Span {
    let name = path.trim_start_matches('/');
    let (service, method) = name.split_once('/').unwrap_or(("", name));
    tracing::info_span!(
        "grpc_request",
        otel.name = name,
        otel.kind = kind,
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
        server.address = tracing::field::Empty,
        server.port = tracing::field::Empty,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    )
}

/// A call's gRPC status code as its `grpc-status` header has it. An error comes in the
/// headers ("trailers-only"); a success's status comes in trailers that a layer does
/// not see, so a missing one means OK.
fn status_of<R, E>(result: &Result<http::Response<R>, E>) -> String {
    match result {
        Ok(response) => response
            .headers()
            .get("grpc-status")
            .and_then(|value| value.to_str().ok())
            .map_or_else(|| "0".to_owned(), str::to_owned),
        Err(_) => "transport_error".to_owned(),
    }
}

/// The codes that are errors on the server's side (UNKNOWN, DEADLINE_EXCEEDED,
/// UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS), as the conventions list them; a
/// client counts every code but OK as an error.
const SERVER_ERRORS: &[&str] = &["2", "4", "12", "13", "14", "15"];

/// Records `status` in `span`, marking it failed when it is no code at all (the call never
/// got an answer) or a code `is_error` counts.
fn record_status(span: &tracing::Span, status: &str, is_error: impl Fn(&str) -> bool) {
    if let Ok(code) = status.parse::<i64>() {
        span.record("rpc.grpc.status_code", code);
    }
    if status.parse::<i64>().is_err() || is_error(status) {
        span.record("otel.status_code", "error");
    }
}

/// Wraps a client's channel: every call gets a client span, whose trace context goes out
/// in the call's metadata, so the server's span is its child. For
/// `FooClient::new(ClientSpans::new(channel))`.
#[derive(Clone, Debug)]
pub struct ClientSpans<S> {
    inner: S,
}

impl<S> ClientSpans<S> {
    pub fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S, B, R> Service<http::Request<B>> for ClientSpans<S>
where
    S: Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let span = call_span(request.uri().path(), "client");
        if let Some(host) = request.uri().host() {
            span.record("server.address", host);
        }
        if let Some(port) = request.uri().port_u16() {
            span.record("server.port", port);
        }
        span.in_scope(|| telemetry::inject_trace(request.headers_mut()));
        let call = self.inner.call(request);
        Box::pin(
            async move {
                let result = call.await;
                record_status(&tracing::Span::current(), &status_of(&result), |code| {
                    code != "0"
                });
                result
            }
            .instrument(span),
        )
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

    /// A channel that answers every call with the status it is given, and keeps the
    /// metadata each call carried.
    #[derive(Clone, Default)]
    struct Answering {
        status: &'static str,
        seen: std::sync::Arc<std::sync::Mutex<Vec<http::HeaderMap>>>,
    }

    impl Service<http::Request<()>> for Answering {
        type Response = http::Response<()>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<()>) -> Self::Future {
            self.seen
                .lock()
                .expect("not poisoned")
                .push(request.headers().clone());
            let response = http::Response::builder()
                .header("grpc-status", self.status)
                .body(())
                .expect("a response");
            std::future::ready(Ok(response))
        }
    }

    #[test]
    fn a_client_call_is_a_child_span_whose_context_goes_out_with_it() {
        let channel = Answering {
            status: "0",
            ..Answering::default()
        };
        let mut client = ClientSpans::new(channel.clone());
        let caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        telemetry::tests::with_tracer(|| {
            let mut incoming = http::HeaderMap::new();
            incoming.insert("traceparent", http::HeaderValue::from_static(caller));
            let span = tracing::info_span!("handler");
            telemetry::continue_trace(&span, &incoming);
            let request = http::Request::builder()
                .uri("http://127.0.0.1:18081/localmart.catalog.v1.CatalogService/ValidateProducts")
                .body(())
                .expect("a request");
            let call = span.in_scope(|| client.call(request));
            futures_executor_block_on(call).expect("answered");
        });
        let seen = channel.seen.lock().expect("not poisoned");
        let traceparent = seen[0]["traceparent"].to_str().expect("ascii");
        assert!(
            traceparent.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
            "{traceparent}"
        );
        assert!(
            !traceparent.contains("b7ad6b7169203331"),
            "the parent is the client span: {traceparent}"
        );
    }

    /// Drives a future that never waits (the channel above answers at once).
    fn futures_executor_block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = std::task::Waker::noop();
        match future.as_mut().poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the call waited"),
        }
    }
}
