//! What every LocalMart REST server wears, and how it is served.
//!
//! [`app`] wraps a service's router (the generated one) in one middleware: a request id
//! (`x-request-id`, kept when the caller sent one, echoed in the response), a span per
//! request that continues the caller's trace, the limits on requests in flight and their
//! deadline, `Retry-After` on every 503, one log line per request, and the request
//! metrics; and it adds `/healthz`, `/readyz` and
//! `/metrics`, which are the same for every service and sit outside the contracts (no
//! service calls them; probes and Prometheus do), and the service's live OpenAPI document
//! at `/openapi.json` (its spec itself, as the generated crate carries it) with a Swagger
//! UI over it at `/docs/` (its assets are compiled in, nothing comes from a CDN).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;
use tower::ServiceExt as _;
use tracing::Instrument;

use crate::metrics::{Metrics, RequestLabels};
use crate::overload::{self, Guard, Limits};
use crate::telemetry;

/// Whether the service can do its work now: each dependency it needs answers. A
/// service's store implements it.
pub trait Readiness: Clone + Send + Sync + 'static {
    /// `Err` names what is not ready, for the `/readyz` body and the log.
    fn check(&self) -> impl Future<Output = Result<(), String>> + Send;
}

/// A service's whole HTTP app: its API router (the generated one) in the shared
/// middleware, beside the operational routes and the API's live document (`document`,
/// the generated server's `OPENAPI_JSON`: the spec as JSON).
///
/// The API routes are held to `limits` (see [`crate::overload`]); the operational routes
/// are not, so probes and scrapes still answer when the service is at capacity.
pub fn app(
    api: Router,
    document: &'static str,
    metrics: Metrics,
    readiness: impl Readiness,
    limits: Limits,
) -> Router {
    with_middleware(api, metrics.clone(), limits)
        .merge(operational_routes(metrics, readiness))
        .merge(api_docs(document))
}

/// How long `/readyz` waits for a dependency before it calls it not ready: a frozen
/// datastore makes the probe fail fast rather than hang.
const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

/// Where a service serves its live OpenAPI document, and its Swagger UI.
pub const OPENAPI_PATH: &str = "/openapi.json";
pub const DOCS_PATH: &str = "/docs";

/// The live document at [`OPENAPI_PATH`] and a Swagger UI over it under [`DOCS_PATH`].
fn api_docs(document: &'static str) -> Router {
    let serve = move || async move { ([(header::CONTENT_TYPE, "application/json")], document) };
    let ui = utoipa_swagger_ui::SwaggerUi::new(DOCS_PATH)
        .config(utoipa_swagger_ui::Config::from(OPENAPI_PATH));
    Router::new().route(OPENAPI_PATH, get(serve)).merge(ui)
}

/// Wraps a service's API router in the shared middleware.
fn with_middleware(api: Router, metrics: Metrics, limits: Limits) -> Router {
    metrics.limit_in_flight("http", limits.max_in_flight);
    api.layer(Middleware {
        metrics,
        guard: Guard::new(limits),
    })
}

/// Adds `Retry-After: seconds` to every 503 that has none, for a service that knows a
/// better wait than the middleware's default (the Cart: its breaker's open period).
pub fn retry_after_on_unavailable(api: Router, seconds: u64) -> Router {
    api.layer(middleware::map_response_with_state(
        seconds,
        add_retry_after,
    ))
}

async fn add_retry_after(State(seconds): State<u64>, mut response: Response) -> Response {
    retry_after_if_unavailable(&mut response, seconds);
    response
}

/// Adds `Retry-After: seconds` to `response` if it is a 503 that names no wait.
fn retry_after_if_unavailable(response: &mut Response, seconds: u64) {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

/// `/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`.
fn operational_routes(metrics: Metrics, readiness: impl Readiness) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route(
            "/readyz",
            get(move || {
                let readiness = readiness.clone();
                async move {
                    let check = tokio::time::timeout(READINESS_TIMEOUT, readiness.check());
                    let result = check.await.unwrap_or_else(|_| {
                        Err(format!(
                            "no answer within {} ms",
                            READINESS_TIMEOUT.as_millis()
                        ))
                    });
                    match result {
                        Ok(()) => (
                            StatusCode::OK,
                            axum::Json(serde_json::json!({ "status": "ready" })),
                        ),
                        Err(reason) => {
                            tracing::warn!(%reason, "not ready");
                            (
                                StatusCode::SERVICE_UNAVAILABLE,
                                axum::Json(
                                    serde_json::json!({ "status": "not_ready", "reason": reason }),
                                ),
                            )
                        }
                    }
                }
            }),
        )
        .route("/metrics", get(render_metrics).with_state(metrics))
}

async fn render_metrics(State(metrics): State<Metrics>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
        .into_response()
}

/// The middleware of every API route, as one tower layer: the request id (the caller's
/// `x-request-id`, or a new one; echoed in the response), a span that continues the
/// caller's trace, the [`Limits`] (see [`crate::overload`]), `Retry-After` on a 503 that
/// names no wait of its own (every spec promises one), and one log line and the metrics
/// of each request.
///
/// One layer rather than one per concern: axum clones a route's whole stack of layers for
/// each request, and `middleware::from_fn` boxes its own. As five layers (two of
/// `tower_http`'s, two `from_fn`, one `map_response`) they took 6.7 of the 18.6 µs of CPU
/// the Catalog spent serving a product from memory; as this one, 3.9 (`docs/benchmarks.md`).
#[derive(Debug, Clone)]
struct Middleware {
    metrics: Metrics,
    guard: Guard,
}

impl<S> tower::Layer<S> for Middleware {
    type Service = WithMiddleware<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithMiddleware {
            inner,
            middleware: self.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct WithMiddleware<S> {
    inner: S,
    middleware: Middleware,
}

impl<S> tower::Service<Request> for WithMiddleware<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The ready service serves this request; a fresh clone stays behind for the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let middleware = self.middleware.clone();
        Box::pin(async move { Ok(middleware.serve(inner, request).await) })
    }
}

impl Middleware {
    async fn serve<S>(self, inner: S, mut request: Request) -> Response
    where
        S: tower::Service<Request, Response = Response, Error = Infallible>,
    {
        let _in_flight = self.metrics.in_flight("http");
        let request_id = match request.headers().get(REQUEST_ID) {
            Some(given) => given.clone(),
            None => {
                let mut text = uuid::Uuid::encode_buffer();
                let made = HeaderValue::from_str(
                    uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text),
                )
                .expect("a UUID is a valid header value");
                request.headers_mut().insert(REQUEST_ID, made.clone());
                made
            }
        };
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| UNMATCHED.to_owned(), |path| path.as_str().to_owned());
        // The metrics may count some requests of the route apart (a search); the span
        // keeps the route the request matched, as the conventions ask.
        let counted_as = self.metrics.route_label(&route, request.uri().query());
        let method = method_label(request.method());
        let id = request_id.to_str().unwrap_or_default();
        // Named `{method} {route}` as the conventions ask, or the method alone when no
        // route matched (a path the client chose would make names without bound).
        let name = if route == UNMATCHED {
            method.to_owned()
        } else {
            format!("{method} {route}")
        };
        let span = tracing::info_span!(
            "http_request",
            otel.name = name,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            http.request.method = method,
            http.route = route.as_str(),
            http.response.status_code = tracing::field::Empty,
            request_id = id,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        telemetry::continue_trace(&span, request.headers());

        let started = Instant::now();
        let mut response = self
            .guard
            .serve(id, async move {
                match inner.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            })
            .instrument(span.clone())
            .await;
        let elapsed = started.elapsed();
        let status = response.status();
        retry_after_if_unavailable(&mut response, overload::RETRY_AFTER_SECONDS.into());
        if !response.headers().contains_key(REQUEST_ID) {
            response
                .headers_mut()
                .insert(REQUEST_ID, request_id.clone());
        }

        span.record("http.response.status_code", status.as_u16());
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        if status.is_server_error() {
            span.record("otel.status_code", "error");
            tracing::error!(parent: &span, status = status.as_u16(), latency_ms, "request failed");
        } else {
            tracing::info!(parent: &span, status = status.as_u16(), latency_ms, "request served");
        }
        self.metrics.observe(
            RequestLabels {
                protocol: "http",
                route: counted_as,
                method: method.to_owned(),
                status: status.as_u16().to_string(),
            },
            elapsed,
        );
        response
    }
}

/// The route label of a request that matched no route.
const UNMATCHED: &str = "unmatched";

/// The header that carries a request's id.
const REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// A request's method as a label: a method that HTTP defines, or `_OTHER` (as the
/// OpenTelemetry conventions name it) for whatever else a client sends, so that clients
/// cannot create series without bound.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "_OTHER",
    }
}

/// A REST-only service's app and listener, ready to serve: what the Cart and Reviews
/// build, and then run.
#[derive(Debug)]
pub struct Rest {
    listener: TcpListener,
    app: Router,
}

impl Rest {
    /// Binds `addr` (writing back the address it bound) for the [`app`] of `api`, held to
    /// `limits`, ready when `readiness` is, with `document` as its live document and its
    /// request metrics in `metrics` (beside the service's own).
    pub async fn bind(
        addr: &mut std::net::SocketAddr,
        limits: Limits,
        metrics: Metrics,
        readiness: impl Readiness,
        api: Router,
        document: &'static str,
    ) -> anyhow::Result<Self> {
        let listener = bind(addr, "REST").await?;
        let app = app(api, document, metrics, readiness, limits);
        Ok(Self { listener, app })
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use anyhow::Context as _;
        serve(self.listener, self.app, shutdown)
            .await
            .context("REST server failed")
    }
}

/// Binds a listener for `what` (`REST`, `gRPC`) on `addr`, and writes back the address
/// it bound, so that port 0 becomes the port the system picked.
pub async fn bind(addr: &mut std::net::SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(*addr)
        .await
        .map_err(|err| anyhow::anyhow!("binding {what} to {addr}: {err}"))?;
    *addr = listener.local_addr()?;
    Ok(listener)
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and
/// waits for in-flight requests to finish. Each connection is accepted with `TCP_NODELAY`
/// (see [`without_delay`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(without_delay(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// `listener`, accepting each connection with `TCP_NODELAY` set, so that an answer
/// written in more than one piece is not held back waiting for the caller's
/// acknowledgement of the first (`axum::serve` leaves Nagle's algorithm on; the gRPC side
/// is [`crate::grpc::incoming`]).
pub fn without_delay(
    listener: TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = std::net::SocketAddr> {
    listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::warn!(error = %err, "could not set TCP_NODELAY on an accepted connection");
        }
    })
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener as _;

    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_small_answers_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let addr = listener.local_addr().expect("an address");
        let mut listener = without_delay(listener);
        let _caller = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connected");
        let (stream, _) = listener.accept().await;
        assert!(stream.nodelay().expect("readable"), "Nagle is still on");
    }
}
