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
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use platform::metrics::Metrics;
use platform::service::Service;
use tokio::net::TcpListener;

pub use crate::config::Config;
pub use crate::error::ReviewsError;
use crate::store::Store;

/// Seconds a client should wait after a 503 before trying again.
const RETRY_AFTER_SECONDS: u64 = 2;

/// A Reviews service with its listener bound and its indexes created.
#[derive(Debug)]
pub struct Reviews {
    http: TcpListener,
    store: Store,
    catalog: Arc<catalog::Catalog>,
    config: Config,
    metrics: Metrics,
}

impl Service for Reviews {
    type Config = Config;

    /// Connects to the store (which must be up: the indexes are created, and the authors'
    /// keys brought up to date, now) and binds the listener; port 0 picks a free one. The
    /// Catalog need not be up.
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
        // From here on the configuration says where the service really listens.
        let http = platform::http::bind(&mut config.http_addr, "REST").await?;
        Ok(Self {
            http,
            store,
            catalog: Arc::new(catalog),
            config,
            metrics: Metrics::new(),
        })
    }

    fn http_addr(&self) -> SocketAddr {
        self.config.http_addr
    }

    fn bound(&self) -> Config {
        self.config.clone()
    }

    /// Serves REST until `shutdown` completes, then drains in-flight requests.
    async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let api = rest::Api::new(
            self.store.clone(),
            Arc::clone(&self.catalog),
            platform::admin::AdminGuard::new(
                self.config.admin_token.clone(),
                self.config.admin_attempts,
            ),
            voter::Voters::new(self.config.voter_key.clone()),
            self.config.read_cache,
        );
        let api_router = platform::http::retry_after_on_unavailable(
            reviews_api::server::router(api),
            RETRY_AFTER_SECONDS,
        );
        let app = platform::http::app(
            api_router,
            reviews_api::server::OPENAPI_JSON,
            self.metrics.clone(),
            self.store.clone(),
            self.config.limits,
        );
        tracing::info!(rest = %self.http_addr(), catalog = %self.config.catalog_url, "reviews serving");
        platform::http::serve(self.http, app, shutdown)
            .await
            .context("REST server failed")?;
        tracing::info!("reviews stopped");
        Ok(())
    }
}
