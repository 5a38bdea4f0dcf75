use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::{RequestContext, ServiceError};

/// What the generator writes for each operation's response enum: the operation's id and
/// the error statuses its contract declares.
pub trait Operation: IntoResponse {
    /// The `operationId`, for the log.
    const ID: &'static str;
    /// Every error status (4xx and 5xx) the operation declares, as the spec writes them.
    const ERRORS: &'static [u16];
}

/// The answer to a request: the handler's success as the operation's response, or its
/// error as the contract's `Error` body.
///
/// This is the one place that logs why a request failed on our side: a 5xx logs its cause
/// once (a 500 as an error, any other 5xx as a warning), and a 500's message says only that
/// something failed and quotes the request id. An error status the operation does not
/// declare is a bug in the handler; it is logged and answered as the operation's 500.
pub fn respond<R: Operation>(ctx: &RequestContext, result: Result<R, ServiceError>) -> Response {
    let error = match result {
        Ok(response) => return response.into_response(),
        Err(error) => error,
    };
    let mut status = error.status();
    if !R::ERRORS.contains(&status.as_u16()) {
        tracing::error!(
            status = status.as_u16(),
            code = error.code(),
            operation = R::ID,
            "handler answered with a status the contract does not declare"
        );
        status = StatusCode::INTERNAL_SERVER_ERROR;
    }
    let cause = error.cause_chain();
    let body = if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(
            operation = R::ID,
            code = error.code(),
            error = cause.as_deref().unwrap_or(error.message()),
            "request failed"
        );
        let message = format!(
            "the service failed to answer; quote request id {}",
            ctx.request_id
        );
        ctx.error("internal", message)
    } else {
        if status.is_server_error() {
            tracing::warn!(
                operation = R::ID,
                code = error.code(),
                error = cause.as_deref().unwrap_or(error.message()),
                "request not served"
            );
        }
        ctx.error(error.code(), error.message())
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(seconds) = error.retry_after().filter(|_| status == error.status()) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The router's answer to a path that no operation has.
pub async fn fallback(method: Method, uri: Uri, ctx: RequestContext) -> Response {
    let body = ctx.error(
        "route_not_found",
        format!("no operation is at {method} {}", uri.path()),
    );
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// The router's answer to a method that a path's operations do not accept.
pub async fn method_not_allowed(method: Method, uri: Uri, ctx: RequestContext) -> Response {
    let body = ctx.error(
        "method_not_allowed",
        format!("{} does not accept {method}", uri.path()),
    );
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}
