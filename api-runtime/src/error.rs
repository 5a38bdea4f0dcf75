use std::error::Error;
use std::fmt;

use axum::http::StatusCode;

/// What a handler returns instead of a success: a status the operation declares, a stable
/// code and a message for the caller, and, for the log only, the cause.
///
/// Each service converts its domain error into this in one place (`impl From<DomainError>
/// for ServiceError`), so handlers can use `?`. [`respond`](crate::respond) answers it:
/// a status the operation does not declare is logged as a bug and answered as a 500, and
/// a 500's message says only that something failed and quotes the request id.
pub struct ServiceError {
    status: StatusCode,
    code: &'static str,
    message: String,
    cause: Option<Box<dyn Error + Send + Sync>>,
    /// The `Retry-After` seconds of the answer, when the caller is told when to return.
    retry_after: Option<u32>,
}

impl ServiceError {
    /// An answer the caller can act on, e.g. `(NOT_FOUND, "cart_not_found", "...")`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            cause: None,
            retry_after: None,
        }
    }

    /// A failure on our side: answered as a 500 that quotes the request id, with `cause`
    /// (and its sources) logged once.
    pub fn internal(cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: String::new(),
            cause: Some(cause.into()),
            retry_after: None,
        }
    }

    /// A dependency cannot be reached: a 503 whose message is `cause`'s own (written for
    /// the caller), with `cause` and its sources logged once.
    pub fn unavailable(code: &'static str, cause: impl Error + Send + Sync + 'static) -> Self {
        let message = cause.to_string();
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message).caused_by(cause)
    }

    /// Keeps `cause` for the log, e.g. why a dependency is unavailable; the caller sees
    /// only the message.
    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// Answers with `Retry-After: seconds` (a 429 says when to come back).
    #[must_use]
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn retry_after(&self) -> Option<u32> {
        self.retry_after
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The cause and each of its sources, joined as one line for the log.
    pub(crate) fn cause_chain(&self) -> Option<String> {
        let mut next: Option<&(dyn Error + 'static)> = Some(self.cause.as_deref()?);
        let mut parts = Vec::new();
        while let Some(error) = next {
            parts.push(error.to_string());
            next = error.source();
        }
        Some(parts.join(": "))
    }
}

impl fmt::Debug for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceError")
            .field("status", &self.status.as_u16())
            .field("code", &self.code)
            .field("message", &self.message)
            .field("cause", &self.cause_chain())
            .finish()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
