//! The three services as the storefront sees them: generated clients on same-origin
//! paths (the edge routes `/api/<service>/...` to each service), every call carrying a
//! fresh W3C `traceparent`, and every failure turned into something a shopper can read.

use std::fmt;

/// Where the edge serves each service, relative to the page's origin.
pub const CATALOG_PATH: &str = "/api/catalog";
pub const CART_PATH: &str = "/api/cart";
pub const REVIEWS_PATH: &str = "/api/reviews";

/// The generated clients, built once and shared through the component tree.
#[derive(Clone, Debug)]
pub struct Api {
    pub catalog: catalog_api::Client,
    pub cart: cart_api::Client,
    pub reviews: reviews_api::Client,
}

impl Api {
    pub fn new() -> Self {
        let origin = origin();
        Self {
            catalog: catalog_api::Client::new(
                &format!("{origin}{CATALOG_PATH}"),
                catalog_api::client::HeaderHook::new(add_traceparent),
            ),
            cart: cart_api::Client::new(
                &format!("{origin}{CART_PATH}"),
                cart_api::client::HeaderHook::new(add_traceparent),
            ),
            reviews: reviews_api::Client::new(
                &format!("{origin}{REVIEWS_PATH}"),
                reviews_api::client::HeaderHook::new(add_traceparent),
            ),
        }
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

/// A product's picture, through the edge. The Catalog gives its path relative to itself.
pub fn image_src(image_url: &str) -> String {
    format!("{CATALOG_PATH}{image_url}")
}

/// A product's picture by id, for places (cart lines) whose data has no image URL;
/// this is the Catalog contract's `getProductImage` route.
pub fn product_image_src(product_id: &uuid::Uuid) -> String {
    format!("{CATALOG_PATH}/v1/products/{product_id}/image")
}

#[cfg(target_arch = "wasm32")]
fn origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

/// Outside a browser (unit tests) there is no page; nothing is called there.
#[cfg(not(target_arch = "wasm32"))]
fn origin() -> String {
    "http://localhost".to_owned()
}

fn add_traceparent(headers: &mut reqwest::header::HeaderMap) {
    #[cfg(target_arch = "wasm32")]
    if let Ok(value) = reqwest::header::HeaderValue::from_str(&crate::trace::new_traceparent()) {
        headers.insert("traceparent", value);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = headers;
}

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

/// The `message` of each contract's `Error` body.
pub trait ErrorBody {
    fn message(&self) -> &str;
}

impl ErrorBody for catalog_api::types::Error {
    fn message(&self) -> &str {
        &self.message
    }
}

impl ErrorBody for cart_api::types::Error {
    fn message(&self) -> &str {
        &self.message
    }
}

impl ErrorBody for reviews_api::types::Error {
    fn message(&self) -> &str {
        &self.message
    }
}

/// Sorts a generated client's error into what the pages show.
pub fn classify<E: ErrorBody>(service: Service, error: &catalog_api::client::Error<E>) -> ApiError {
    use catalog_api::client::Error;
    let status = error.status().map(|status| status.as_u16());
    match (error, status) {
        (Error::CommunicationError(_), _) | (_, Some(502..=504)) => ApiError::Unavailable(service),
        (Error::ErrorResponse(body), Some(404)) => ApiError::NotFound(body.message().to_owned()),
        (Error::ErrorResponse(body), Some(400..=499)) => {
            ApiError::Refused(body.message().to_owned())
        }
        // The generated client checks arguments against the contract before sending.
        (Error::InvalidRequest(reason), _) => {
            ApiError::Refused(format!("That request is not valid: {reason}"))
        }
        _ => ApiError::Failed(service),
    }
}

/// Turns a call's result into the storefront's error type.
pub trait Classify<T> {
    fn classify(self, service: Service) -> Result<T, ApiError>;
}

impl<T, E: ErrorBody> Classify<T>
    for Result<catalog_api::client::ResponseValue<T>, catalog_api::client::Error<E>>
{
    fn classify(self, service: Service) -> Result<T, ApiError> {
        self.map(catalog_api::client::ResponseValue::into_inner)
            .map_err(|error| classify(service, &error))
    }
}
