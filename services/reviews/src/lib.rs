//! The LocalMart Reviews service: product reviews and ratings in a MongoDB-wire store.
//!
//! The REST API is `specs/openapi/reviews.yaml`. Creating a review asks the Catalog for the
//! product's review context (through the generated client of `catalog.yaml`, see
//! [`catalog`]); reading never needs the Catalog. The store ([`store::Store`]) runs the
//! same queries on MongoDB 7 and on FerretDB v1.

mod author;
mod calls;
pub mod catalog;
mod config;
mod cursor;
pub mod demo;
mod error;
mod recent;
mod rest;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod turns;
mod voter;

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, Result};
use platform::metrics::Metrics;
use platform::service::Service;

pub use crate::config::Config;
pub use crate::error::ReviewsError;
use crate::store::Store;

/// Seconds a client should wait after a 503 before trying again.
const RETRY_AFTER_SECONDS: u64 = 2;

/// A Reviews service with its indexes created, its app put together and its listener
/// bound, ready to [`run`](Self::run).
#[derive(Debug)]
pub struct Reviews {
    rest: platform::http::Rest,
    config: Config,
}

impl Service for Reviews {
    type Config = Config;

    /// Connects to the store (which must be up: the indexes are created, and the authors'
    /// keys brought up to date, now), puts the app together and binds the listener; port
    /// 0 picks a free one. The Catalog need not be up.
    async fn build(mut config: Config) -> Result<Self> {
        let store = Store::connect(
            config.mongodb_uri.expose(),
            &config.database,
            config.mongodb_timeout,
        )
        .await
        .context("connecting to the review store (MONGODB_URI)")?;
        let refolded = store
            .refold_author_keys(author::key)
            .await
            .context("bringing the authors' keys up to date")?;
        if refolded > 0 {
            tracing::info!(refolded, "authors' keys brought up to date");
        }
        let catalog = catalog::Catalog::new(
            &config.catalog_url,
            config.catalog_timeout,
            config.catalog_cache_ttl,
        )
        .context("the Catalog's URL (CATALOG_HTTP_URL)")?;
        let metrics = Metrics::new();
        metrics.register_pool("mongodb", store.connections());
        let api = rest::Api::new(
            store.clone(),
            Arc::new(catalog),
            platform::admin::AdminGuard::new(config.admin_token.clone(), config.admin_attempts),
            voter::Voters::new(config.voter_key.clone()),
            config.read_cache,
            &metrics,
        );
        let api_router = platform::http::retry_after_on_unavailable(
            reviews_api::server::router(api),
            RETRY_AFTER_SECONDS,
        );
        // From here on the configuration says where the service really listens.
        let rest = platform::http::Rest::bind(
            &mut config.http_addr,
            config.limits,
            metrics,
            store,
            api_router,
            reviews_api::server::OPENAPI_JSON,
        )
        .await?;
        Ok(Self { rest, config })
    }

    fn config(&self) -> &Config {
        &self.config
    }

    /// Serves REST until `shutdown` completes, then drains in-flight requests.
    async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        tracing::info!(rest = %self.config.http_addr, catalog = %self.config.catalog_url, "reviews serving");
        self.rest.serve(shutdown).await?;
        tracing::info!("reviews stopped");
        Ok(())
    }
}
