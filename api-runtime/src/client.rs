//! The client half of the runtime. A generated client is a [`client!`](crate::client)
//! struct and, per operation, a static [`Endpoint`] and a builder whose setters convert
//! each argument to its contract type and hand it to a [`Call`]; the call sends the
//! request through the [`HeaderHook`] and sorts the answer by the statuses the operation
//! declares. The answers are progenitor-client's [`ResponseValue`] and [`Error`].
//!
//! Every call is a client span, `{METHOD} {path template}` with the OpenTelemetry
//! conventions' HTTP attributes, and the hook runs inside it: a hook that writes the
//! current trace context (as the services' does) makes the server's span its child.

use std::fmt;

pub use http::Method;
use http::{HeaderName, HeaderValue, header};
pub use progenitor_client::{ByteStream, Error, ResponseValue, encode_path};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::{ErrorBody, HeaderHook};

/// An argument of a generated builder's setter: anything that converts to the contract
/// type `T`, such as a `&str` for a patterned string. One that does not convert is
/// reported when the call is sent, as [`Error::InvalidRequest`].
pub trait Arg<T>: TryInto<T, Error: fmt::Display> {}

impl<T, V: TryInto<T, Error: fmt::Display>> Arg<T> for V {}

/// What a generated client knows of one operation.
#[derive(Debug)]
pub struct Endpoint {
    pub method: Method,
    /// The path, with `{name}` where each path parameter goes.
    pub path: &'static str,
    /// The query parameters and headers (by their names on the wire) and `"body"`, where
    /// the operation requires them; a call without one is not sent.
    pub required: &'static [&'static str],
    /// The declared success statuses.
    pub successes: &'static [u16],
    /// The declared error statuses, each answered with the contract's `Error` body.
    pub errors: &'static [u16],
}

/// The part of a generated `Client` that is the same for every contract: where the
/// service is, the HTTP client, and the hook run on every request.
#[derive(Clone, Debug)]
pub struct Core {
    baseurl: String,
    http: reqwest::Client,
    hook: HeaderHook,
}

impl Core {
    pub fn new(baseurl: &str, http: reqwest::Client, hook: HeaderHook) -> Self {
        Self {
            baseurl: baseurl.trim_end_matches('/').to_owned(),
            http,
            hook,
        }
    }

    pub fn baseurl(&self) -> &str {
        &self.baseurl
    }

    /// A call of `endpoint`, with no arguments yet.
    pub fn call(&self, endpoint: &'static Endpoint) -> Call<'_> {
        Call {
            core: self,
            endpoint,
            path: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            invalid: None,
        }
    }
}

/// The `reqwest::Client` of [`client!`]'s `new`: a 15 second connect and total timeout
/// outside the browser, where the browser's own limits apply instead.
pub fn default_http_client() -> reqwest::Client {
    let builder = reqwest::Client::builder();
    #[cfg(not(target_arch = "wasm32"))]
    let builder = {
        let limit = std::time::Duration::from_secs(15);
        builder.connect_timeout(limit).timeout(limit)
    };
    builder
        .build()
        .expect("a reqwest client with only timeouts set always builds")
}

/// One call being put together by a generated builder. Setting an argument twice keeps
/// the last value; an argument that does not convert to its contract type is reported
/// by the send as [`Error::InvalidRequest`], and nothing is sent.
pub struct Call<'a> {
    core: &'a Core,
    endpoint: &'static Endpoint,
    path: Vec<(&'static str, String)>,
    query: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    invalid: Option<String>,
}

impl Call<'_> {
    /// Sets the path parameter `name`.
    #[must_use]
    pub fn path<T: Serialize>(mut self, name: &'static str, value: impl Arg<T>) -> Self {
        if let Some(text) = self.text(name, value) {
            set(&mut self.path, name, encode_path(&text));
        }
        self
    }

    /// Sets the query parameter `name`.
    #[must_use]
    pub fn query<T: Serialize>(mut self, name: &'static str, value: impl Arg<T>) -> Self {
        if let Some(text) = self.text(name, value) {
            set(&mut self.query, name, text);
        }
        self
    }

    /// Sets the header `name` (lower case, as the spec names it).
    #[must_use]
    pub fn header<T: Serialize>(mut self, name: &'static str, value: impl Arg<T>) -> Self {
        if let Some(text) = self.text(name, value) {
            set(&mut self.headers, name, text);
        }
        self
    }

    /// Sets the JSON body.
    #[must_use]
    pub fn body<T: Serialize>(mut self, value: impl Arg<T>) -> Self {
        match self
            .convert::<T>("body", value)
            .map(|body| serde_json::to_vec(&body))
        {
            Some(Ok(bytes)) => self.body = Some(bytes),
            Some(Err(error)) => self.refuse(format!("the body does not serialize: {error}")),
            None => {}
        }
        self
    }

    /// Sends the call; a success is read as JSON.
    pub async fn json<T: DeserializeOwned>(self) -> Result<ResponseValue<T>, Error<ErrorBody>> {
        ResponseValue::from_response(self.send(Some("application/json")).await?).await
    }

    /// Sends the call; a success has no body.
    pub async fn empty(self) -> Result<ResponseValue<()>, Error<ErrorBody>> {
        Ok(ResponseValue::empty(self.send(None).await?))
    }

    /// Sends the call; a success is a body of another media type, streamed.
    pub async fn stream(self) -> Result<ResponseValue<ByteStream>, Error<ErrorBody>> {
        Ok(ResponseValue::stream(self.send(None).await?))
    }

    fn convert<T>(&mut self, name: &str, value: impl Arg<T>) -> Option<T> {
        match value.try_into() {
            Ok(value) => Some(value),
            Err(error) => {
                self.refuse(format!("`{name}` is not valid: {error}"));
                None
            }
        }
    }

    /// The text form of a parameter: the JSON string of a string, the JSON of a number or
    /// a flag.
    fn text<T: Serialize>(&mut self, name: &str, value: impl Arg<T>) -> Option<String> {
        let value = self.convert::<T>(name, value)?;
        match serde_json::to_value(&value) {
            Ok(serde_json::Value::String(text)) => Some(text),
            Ok(scalar @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                Some(scalar.to_string())
            }
            Ok(other) => {
                self.refuse(format!(
                    "`{name}` must be a string, a number or a flag, not {other}"
                ));
                None
            }
            Err(error) => {
                self.refuse(format!("`{name}` does not serialize: {error}"));
                None
            }
        }
    }

    /// Keeps the first reason the call cannot be sent.
    fn refuse(&mut self, reason: String) {
        self.invalid.get_or_insert(reason);
    }

    /// The path with every parameter in its place, or the first one that is missing.
    fn url(&self) -> Result<String, String> {
        let mut url = self.core.baseurl.clone();
        let mut rest = self.endpoint.path;
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .map(|at| open + at)
                .ok_or_else(|| format!("`{}` has an unclosed `{{`", self.endpoint.path))?;
            let name = &rest[open + 1..close];
            let (_, value) = self
                .path
                .iter()
                .find(|(given, _)| *given == name)
                .ok_or_else(|| format!("`{name}` was not given"))?;
            url.push_str(&rest[..open]);
            url.push_str(value);
            rest = &rest[close + 1..];
        }
        url.push_str(rest);
        Ok(url)
    }

    async fn send(
        self,
        accept: Option<&'static str>,
    ) -> Result<reqwest::Response, Error<ErrorBody>> {
        if let Some(reason) = self.invalid {
            return Err(Error::InvalidRequest(reason));
        }
        let given = |name: &&str| {
            (*name == "body" && self.body.is_some())
                || self
                    .query
                    .iter()
                    .chain(&self.headers)
                    .any(|(n, _)| n == name)
        };
        if let Some(missing) = self.endpoint.required.iter().find(|name| !given(name)) {
            return Err(Error::InvalidRequest(format!("`{missing}` was not given")));
        }
        let url = self.url().map_err(Error::InvalidRequest)?;
        let mut request = self.core.http.request(self.endpoint.method.clone(), url);
        if !self.query.is_empty() {
            request = request.query(&self.query);
        }
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        for (name, value) in self.headers {
            let value = HeaderValue::try_from(value)
                .map_err(|_| Error::InvalidRequest(format!("`{name}` is not a header value")))?;
            request = request.header(HeaderName::from_static(name), value);
        }
        if let Some(body) = self.body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let mut request = request.build().map_err(Error::CommunicationError)?;
        let span = client_span(self.endpoint, &request);
        span.in_scope(|| self.core.hook.apply(request.headers_mut()));
        let response = match self
            .core
            .http
            .execute(request)
            .instrument(span.clone())
            .await
        {
            Ok(response) => response,
            Err(error) => {
                span.record("otel.status_code", "error");
                span.record("error.type", "communication");
                return Err(Error::CommunicationError(error));
            }
        };
        let status = response.status().as_u16();
        span.record("http.response.status_code", status);
        if status >= 400 {
            span.record("otel.status_code", "error");
            span.record("error.type", status);
        }
        if self.endpoint.successes.contains(&status) {
            Ok(response)
        } else if self.endpoint.errors.contains(&status) {
            Err(Error::ErrorResponse(
                ResponseValue::from_response(response).await?,
            ))
        } else {
            Err(Error::UnexpectedResponse(response))
        }
    }
}

/// The client span of a call of `endpoint`.
fn client_span(endpoint: &Endpoint, request: &reqwest::Request) -> tracing::Span {
    let method = endpoint.method.as_str();
    let url = request.url();
    tracing::info_span!(
        "http_call",
        otel.name = format!("{method} {}", endpoint.path),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        url.template = endpoint.path,
        server.address = url.host_str(),
        server.port = url.port_or_known_default(),
        http.response.status_code = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.endpoint.method)
            .field("path", &self.endpoint.path)
            .field("invalid", &self.invalid)
            .finish_non_exhaustive()
    }
}

fn set(list: &mut Vec<(&'static str, String)>, name: &'static str, value: String) {
    list.retain(|(given, _)| *given != name);
    list.push((name, value));
}

/// Declares a generated crate's `Client`: a [`Core`] with the two constructors. Only the
/// doc comment differs from one contract to the next, so `cargo xtask codegen` writes
/// `api_runtime::client! { /** docs */ }` and the operations after it.
#[macro_export]
macro_rules! client {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct Client($crate::client::Core);

        impl Client {
            /// A client of the service at `baseurl` (a scheme, a host, and the port and a
            /// path stem where there are), running `hook` on every request.
            pub fn new(baseurl: &str, hook: $crate::HeaderHook) -> Self {
                Self::new_with_client(baseurl, $crate::client::default_http_client(), hook)
            }

            /// The same with a `reqwest::Client` of the caller's own configuration.
            pub fn new_with_client(
                baseurl: &str,
                http: $crate::reqwest::Client,
                hook: $crate::HeaderHook,
            ) -> Self {
                Self($crate::client::Core::new(baseurl, http, hook))
            }

            /// The base URL it calls.
            pub fn baseurl(&self) -> &str {
                self.0.baseurl()
            }
        }
    };
}

/// Needs the server feature too, for the axum service the calls go to (`cargo test
/// --workspace` turns on both).
#[cfg(all(test, feature = "server"))]
mod tests {
    use axum::Json;
    use axum::extract::{Path, RawQuery};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use serde_json::{Value, json};

    use super::*;

    static ECHO: Endpoint = Endpoint {
        method: Method::POST,
        path: "/v1/things/{thing_id}/notes",
        required: &["idempotency-key", "body"],
        successes: &[200],
        errors: &[404],
    };

    static MISSING: Endpoint = Endpoint {
        method: Method::GET,
        path: "/v1/missing",
        required: &[],
        successes: &[200],
        errors: &[404],
    };

    static TEAPOT: Endpoint = Endpoint {
        method: Method::GET,
        path: "/v1/teapot",
        required: &[],
        successes: &[200],
        errors: &[404],
    };

    /// A service that answers what it was sent, a declared 404 and an undeclared 418.
    async fn service() -> Core {
        async fn echo(
            Path(thing): Path<String>,
            RawQuery(query): RawQuery,
            headers: HeaderMap,
            Json(body): Json<Value>,
        ) -> Json<Value> {
            let header = |name: &str| {
                headers
                    .get(name)
                    .map(|v| v.to_str().unwrap_or("?").to_owned())
            };
            Json(json!({
                "thing": thing,
                "query": query,
                "key": header("idempotency-key"),
                "hooked": header("x-hooked"),
                "accept": header("accept"),
                "body": body,
            }))
        }
        let app = axum::Router::new()
            .route("/v1/things/{thing_id}/notes", post(echo))
            .route(
                "/v1/missing",
                get(|| async {
                    let body = json!({"code": "not_found", "message": "No such thing.", "request_id": "r-1"});
                    (StatusCode::NOT_FOUND, Json(body))
                }),
            )
            .route("/v1/teapot", get(|| async { StatusCode::IM_A_TEAPOT }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let hook = HeaderHook::new(|headers| {
            headers.insert("x-hooked", HeaderValue::from_static("yes"));
        });
        Core::new(&url, default_http_client(), hook)
    }

    /// A core whose every request would fail to connect: a refusal seen here was made
    /// before anything was sent.
    fn nowhere() -> Core {
        Core::new(
            "http://127.0.0.1:9",
            default_http_client(),
            HeaderHook::default(),
        )
    }

    fn refusal<T: fmt::Debug>(result: Result<T, Error<ErrorBody>>) -> String {
        match result {
            Err(Error::InvalidRequest(reason)) => reason,
            other => panic!("expected a refusal before sending, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_arguments_go_where_the_endpoint_says_and_the_hook_runs() {
        let core = service().await;
        let answer = core
            .call(&ECHO)
            .path::<String>("thing_id", "a b/c")
            .query::<i32>("page", 2)
            .query::<String>("q", "red & blue")
            .header::<String>("idempotency-key", "k-1")
            .body::<Value>(json!({"note": "hi"}))
            .json::<Value>()
            .await
            .expect("a 200")
            .into_inner();
        assert_eq!(answer["thing"], "a b/c", "{answer}");
        assert_eq!(answer["query"], "page=2&q=red+%26+blue", "{answer}");
        assert_eq!(answer["key"], "k-1");
        assert_eq!(answer["hooked"], "yes");
        assert_eq!(answer["accept"], "application/json");
        assert_eq!(answer["body"], json!({"note": "hi"}));
    }

    #[tokio::test]
    async fn a_declared_error_has_the_error_body_and_an_undeclared_one_is_unexpected() {
        let core = service().await;
        match core.call(&MISSING).json::<Value>().await {
            Err(Error::ErrorResponse(body)) => {
                assert_eq!(body.status(), 404);
                assert_eq!(body.into_inner().code, "not_found");
            }
            other => panic!("expected the Error body, got {other:?}"),
        }
        match core.call(&TEAPOT).json::<Value>().await {
            Err(Error::UnexpectedResponse(response)) => assert_eq!(response.status(), 418),
            other => panic!("expected an unexpected response, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_call_without_what_it_requires_is_not_sent() {
        let core = nowhere();
        let no_path = core
            .call(&ECHO)
            .header::<String>("idempotency-key", "k")
            .body::<Value>(json!({}));
        assert_eq!(
            refusal(no_path.json::<Value>().await),
            "`thing_id` was not given"
        );
        let no_body = core
            .call(&ECHO)
            .path::<String>("thing_id", "t")
            .header::<String>("idempotency-key", "k");
        assert_eq!(
            refusal(no_body.json::<Value>().await),
            "`body` was not given"
        );
    }

    #[tokio::test]
    async fn an_argument_that_does_not_convert_is_reported_and_not_sent() {
        let core = nowhere();
        let call = core.call(&MISSING).query::<u8>("page", 300_i32);
        let reason = refusal(call.json::<Value>().await);
        assert!(reason.starts_with("`page` is not valid"), "{reason}");
    }
}
