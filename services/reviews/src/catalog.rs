//! What Reviews asks the Catalog: a product's review context, through the generated
//! client of `catalog.yaml`, kept in memory for a short while so a burst of reviews of
//! one product costs one call.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use catalog_api::client::{Error as ClientError, HeaderHook};
use catalog_api::types::ReviewContext;
use tokio::time::Instant;
use uuid::Uuid;

use crate::error::ReviewsError;

/// Beyond this many products the cache is emptied rather than grown.
const MAX_CACHED: usize = 10_000;

#[derive(Debug)]
pub struct Catalog {
    client: catalog_api::Client,
    ttl: Duration,
    cache: Mutex<HashMap<Uuid, (Instant, ReviewContext)>>,
}

impl Catalog {
    pub fn new(base_url: &str, timeout: Duration, ttl: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        // Every call carries the current trace, so a review's trace continues into the Catalog.
        let hook = HeaderHook::new(platform::telemetry::inject_trace);
        Ok(Self {
            client: catalog_api::Client::new_with_client(base_url, http, hook),
            ttl,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, ReviewContext)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The product's review context; `UnknownProduct` when the Catalog has no such product.
    pub async fn review_context(&self, product: Uuid) -> Result<ReviewContext, ReviewsError> {
        if let Some((fetched, context)) = self.cache().get(&product)
            && fetched.elapsed() < self.ttl
        {
            return Ok(context.clone());
        }
        match self
            .client
            .get_review_context()
            .product_id(product)
            .send()
            .await
        {
            Ok(response) => {
                let context = response.into_inner();
                let mut cache = self.cache();
                if cache.len() >= MAX_CACHED {
                    cache.clear();
                }
                cache.insert(product, (Instant::now(), context.clone()));
                Ok(context)
            }
            Err(ClientError::ErrorResponse(response)) if response.status().as_u16() == 404 => {
                Err(ReviewsError::UnknownProduct(product))
            }
            Err(ClientError::ErrorResponse(response)) if response.status().is_server_error() => {
                tracing::warn!(status = response.status().as_u16(), "the catalog failed");
                Err(ReviewsError::CatalogUnavailable)
            }
            Err(ClientError::CommunicationError(err)) => {
                tracing::warn!(error = %err, "the catalog is unreachable");
                Err(ReviewsError::CatalogUnavailable)
            }
            Err(other) => Err(ReviewsError::CatalogFailed(other.to_string())),
        }
    }
}
