//! The storefront's request layer: every call its pages make to the three services, as
//! one method each on [`Api`], through the generated clients on same-origin paths (the
//! edge routes `/api/<service>/...` to each service), every call carrying a W3C
//! `traceparent`, and every failure turned into an [`ApiError`] a shopper can read.
//! [`telemetry`] records the storefront's spans, so a click is the root of its trace.
//!
//! It builds for wasm32 (the storefront) and natively, so the storefront's Pact consumer
//! tests (`contract-tests/pact`) call exactly these methods against Pact's mock services:
//! the pacts are recorded from the shop's own requests.

mod change;
mod error;
mod requests;
pub mod telemetry;
pub mod trace;

pub use error::{ApiError, Service};
pub use requests::{MAX_QUANTITY, PAGE_SIZE, ProductQuery, REVIEWS_PAGE, quantity};

/// Where the edge serves each service, relative to the page's origin.
pub const CATALOG_PATH: &str = "/api/catalog";
pub const CART_PATH: &str = "/api/cart";
pub const REVIEWS_PATH: &str = "/api/reviews";

/// The generated clients, built once and shared through the component tree.
#[derive(Clone, Debug)]
pub struct Api {
    catalog: catalog_api::Client,
    cart: cart_api::Client,
    reviews: reviews_api::Client,
    change_keys: change::ChangeKeys,
}

impl Api {
    /// The services behind the edge that served the page.
    pub fn same_origin() -> Self {
        let origin = origin();
        Self::at(
            &format!("{origin}{CATALOG_PATH}"),
            &format!("{origin}{CART_PATH}"),
            &format!("{origin}{REVIEWS_PATH}"),
        )
    }

    /// The services at these base URLs (the edge's paths, or a test's mock services).
    pub fn at(catalog: &str, cart: &str, reviews: &str) -> Self {
        Self::with_clients(
            catalog_api::Client::new(catalog, traceparent_hook()),
            cart_api::Client::new(cart, traceparent_hook()),
            reviews_api::Client::new(reviews, traceparent_hook()),
        )
    }

    /// The services behind the edge at `origin` (such as `http://127.0.0.1:18000`), called
    /// with `client`: outside a browser, where the caller chooses how it connects (the load
    /// generator gives every simulated shopper a client of its own).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn behind_edge(origin: &str, client: reqwest::Client) -> Self {
        let url = |path: &str| format!("{}{path}", origin.trim_end_matches('/'));
        Self::with_clients(
            catalog_api::Client::new_with_client(
                &url(CATALOG_PATH),
                client.clone(),
                traceparent_hook(),
            ),
            cart_api::Client::new_with_client(&url(CART_PATH), client.clone(), traceparent_hook()),
            reviews_api::Client::new_with_client(&url(REVIEWS_PATH), client, traceparent_hook()),
        )
    }

    fn with_clients(
        catalog: catalog_api::Client,
        cart: cart_api::Client,
        reviews: reviews_api::Client,
    ) -> Self {
        Self {
            catalog,
            cart,
            reviews,
            change_keys: change::ChangeKeys::default(),
        }
    }
}

/// Every call carries a `traceparent`: its client span's when the storefront records
/// spans (so the service's span is the call's child), else a fresh one (the generated
/// clients share one hook type).
fn traceparent_hook() -> catalog_api::client::HeaderHook {
    catalog_api::client::HeaderHook::new(add_traceparent)
}

#[cfg(target_arch = "wasm32")]
fn origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

/// Outside a browser there is no page; tests name their services with [`Api::at`].
#[cfg(not(target_arch = "wasm32"))]
fn origin() -> String {
    "http://localhost".to_owned()
}

fn add_traceparent(headers: &mut reqwest::header::HeaderMap) {
    let traceparent = telemetry::current_traceparent().unwrap_or_else(trace::new_traceparent);
    if let Ok(value) = reqwest::header::HeaderValue::from_str(&traceparent) {
        headers.insert("traceparent", value);
    }
}

/// `N` random bytes: from the browser's crypto source in the shop, from the operating
/// system's (through random UUIDs) outside a browser.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    fill_random(&mut bytes);
    bytes
}

#[cfg(target_arch = "wasm32")]
fn fill_random(bytes: &mut [u8]) {
    if let Some(crypto) = web_sys::window().and_then(|window| window.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(bytes);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn fill_random(bytes: &mut [u8]) {
    for chunk in bytes.chunks_mut(16) {
        let random = uuid::Uuid::new_v4();
        chunk.copy_from_slice(&random.as_bytes()[..chunk.len()]);
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
