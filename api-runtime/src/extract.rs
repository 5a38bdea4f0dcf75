//! Extractors for the generated routers. Each answers a request it cannot read with the
//! contract's `Error` body and the status the house rules guarantee the operation
//! declares, before the handler runs:
//!
//! | what | status | code |
//! |---|---|---|
//! | no bearer token | 401 | `unauthorized` |
//! | a path, query or header parameter that does not parse, or breaks a limit of the spec | 400 | `invalid_path`, `invalid_query`, `invalid_header` |
//! | a body without `Content-Type: application/json` | 415 | `unsupported_media_type` |
//! | a body that is JSON but not the schema | 422 | `invalid_body` |
//! | a body that is not JSON | 400 | `malformed_body` |

use std::convert::Infallible;
use std::fmt;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::{ErrorBody, ServiceError};

/// What the runtime knows about a request besides its parameters and body.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The `x-request-id` header, which the service's middleware always sets.
    pub request_id: String,
}

impl RequestContext {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let request_id = headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Self { request_id }
    }

    /// The contract's error body for this request.
    pub fn error(&self, code: &str, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            code: code.to_owned(),
            message: message.into(),
            request_id: self.request_id.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// A request the router refuses before the handler runs, answered with the error body.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    body: ErrorBody,
}

impl Rejection {
    fn new(ctx: &RequestContext, status: StatusCode, code: &str, message: String) -> Self {
        Self {
            status,
            body: ctx.error(code, message),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

/// The limits a spec sets on parameters (`minimum`, `maxLength`, ...) that deserializing
/// alone does not check. The generator implements it for every parameter struct.
pub trait Validate {
    /// `Err` says which limit is broken, in words for the caller.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The bearer token of a request to a secured operation. Whether it is the right one is
/// the handler's call; a request without one never reaches it.
#[derive(Clone)]
pub struct BearerToken(String);

impl BearerToken {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Refuses the request with a 401 unless `accepted` says the token is the right one.
    pub fn require(&self, accepted: impl FnOnce(&str) -> bool) -> Result<(), ServiceError> {
        if accepted(&self.0) {
            Ok(())
        } else {
            Err(ServiceError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the bearer token is not valid",
            ))
        }
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(redacted)")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty());
        match token {
            Some(token) => Ok(Self(token.to_owned())),
            None => Err(Rejection::new(
                &RequestContext::from_headers(&parts.headers),
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this operation needs a bearer token: `Authorization: Bearer <token>`".to_owned(),
            )),
        }
    }
}

/// Parameters as read from the request, checked against the spec's limits; either
/// failure is a 400 with `code`.
fn checked<T: Validate>(
    parts: &Parts,
    code: &str,
    read: Result<T, String>,
) -> Result<T, Rejection> {
    let params = read.and_then(|params| params.validate().map(|()| params));
    params.map_err(|message| {
        let ctx = RequestContext::from_headers(&parts.headers);
        Rejection::new(&ctx, StatusCode::BAD_REQUEST, code, message)
    })
}

/// An operation's path parameters, parsed and checked against the spec's limits.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Validate + Send,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let read = axum::extract::Path::<T>::from_request_parts(parts, state).await;
        let read = read.map(|params| params.0).map_err(|r| r.body_text());
        checked(parts, "invalid_path", read).map(Self)
    }
}

/// An operation's query parameters, parsed and checked against the spec's limits.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let read = axum::extract::Query::<T>::from_request_parts(parts, state).await;
        let read = read.map(|params| params.0).map_err(|r| r.body_text());
        checked(parts, "invalid_query", read).map(Self)
    }
}

/// An operation's header parameters, read by their lower-case names and checked against
/// the spec's limits. A header sent twice is refused rather than one of its values chosen.
#[derive(Debug)]
pub struct Headers<T>(pub T);

impl<T, S> FromRequestParts<S> for Headers<T>
where
    T: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut fields = serde_json::Map::new();
        for name in parts.headers.keys() {
            let mut values =
                parts.headers.get_all(name).iter().map(|value| {
                    serde_json::Value::from(String::from_utf8_lossy(value.as_bytes()))
                });
            let value = match (values.next(), values.next()) {
                (Some(only), None) => only,
                (first, second) => first.into_iter().chain(second).chain(values).collect(),
            };
            fields.insert(name.as_str().to_owned(), value);
        }
        let read = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|err| format!("a header parameter is malformed: {err}"));
        checked(parts, "invalid_header", read).map(Self)
    }
}

/// An operation's JSON body, parsed into the schema's type.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = RequestContext::from_headers(request.headers());
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(body)) => Ok(Self(body)),
            Err(rejection) => {
                let (status, code) = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    }
                    JsonRejection::JsonDataError(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    }
                    _ => (StatusCode::BAD_REQUEST, "malformed_body"),
                };
                Err(Rejection::new(&ctx, status, code, rejection.body_text()))
            }
        }
    }
}
