//! What can go wrong with a call, in the terms the pages need.

use std::fmt;

/// Which service a failure came from, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Catalog,
    Cart,
    Reviews,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Catalog => "catalog",
            Self::Cart => "cart",
            Self::Reviews => "reviews",
        })
    }
}

/// What went wrong with a call, in the terms the pages need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The service could not be reached or said it is unavailable; trying later helps.
    Unavailable(Service),
    /// The thing asked for does not exist.
    NotFound(String),
    /// The service refused the request and said why (a 4xx with the contract's `Error`).
    Refused(String),
    /// Anything else: a bug somewhere, not the shopper's doing.
    Failed(Service),
}

impl ApiError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(service) => {
                write!(
                    f,
                    "The {service} service is not available right now. Please try again in a moment."
                )
            }
            Self::NotFound(message) | Self::Refused(message) => f.write_str(message),
            Self::Failed(service) => {
                write!(
                    f,
                    "Something went wrong in the {service} service. Please try again."
                )
            }
        }
    }
}

impl std::error::Error for ApiError {}

/// What a generated client's call fails with: the same type for every service, since every
/// contract's `Error` body is the runtime's one `ErrorBody`.
type ClientError = catalog_api::client::Error<api_runtime::ErrorBody>;

/// What a shopper is told when the edge slows their changes down.
pub const TOO_FAST: &str = "That was a lot of changes at once. Please wait a second and try again.";

/// Sorts a generated client's error into what the pages show.
fn classify(service: Service, error: &ClientError) -> ApiError {
    use catalog_api::client::Error;
    let status = error.status().map(|status| status.as_u16());
    match (error, status) {
        (Error::CommunicationError(_), _) | (_, Some(502..=504)) => ApiError::Unavailable(service),
        // The edge's rate limit, which no contract declares: the shopper's own doing.
        (_, Some(429)) => ApiError::Refused(TOO_FAST.to_owned()),
        (Error::ErrorResponse(body), Some(404)) => ApiError::NotFound(body.message.clone()),
        (Error::ErrorResponse(body), Some(400..=499)) => ApiError::Refused(body.message.clone()),
        // The generated client checks arguments against the contract before sending.
        (Error::InvalidRequest(reason), _) => {
            ApiError::Refused(format!("That request is not valid: {reason}"))
        }
        _ => ApiError::Failed(service),
    }
}

/// Turns a call's result into the storefront's error type.
pub(crate) trait Classify<T> {
    fn classify(self, service: Service) -> Result<T, ApiError>;
}

impl<T> Classify<T> for Result<catalog_api::client::ResponseValue<T>, ClientError> {
    fn classify(self, service: Service) -> Result<T, ApiError> {
        self.map(catalog_api::client::ResponseValue::into_inner)
            .map_err(|error| classify(service, &error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edges_rate_limit_is_the_shoppers_to_wait_out() {
        let response = http::Response::builder()
            .status(429)
            .header("retry-after", "1")
            .body("{}")
            .expect("a response");
        let error = ClientError::UnexpectedResponse(reqwest::Response::from(response));
        assert_eq!(
            classify(Service::Cart, &error),
            ApiError::Refused(TOO_FAST.to_owned())
        );
    }
}
