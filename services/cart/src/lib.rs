//! The LocalMart Cart: shopping carts in Redis, validated and priced by the Catalog.
//!
//! The REST API is `specs/openapi/cart.yaml`. Every change that needs the Catalog asks it
//! over gRPC (`specs/proto/.../catalog.proto`) through [`catalog::Catalog`], which puts a
//! deadline, retries and a circuit breaker around each call; the carts themselves live in
//! [`store::Store`], where every change is one atomic Lua script.

mod catalog;
mod config;
mod error;
mod pricing;
mod rest;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, Result};
use platform::metrics::Metrics;
use platform::resilience::{Breaker, BreakerPolicy};
use platform::service::Service;

pub use crate::config::Config;
pub use crate::error::CartError;
use crate::store::Store;

/// A Cart with its stores connected, its app put together and its listener bound, ready
/// to [`run`](Self::run).
#[derive(Debug)]
pub struct Cart {
    rest: platform::http::Rest,
    config: Config,
}

impl Service for Cart {
    type Config = Config;

    /// Connects to Redis (which must be up) and prepares the Catalog client (which need
    /// not be: it connects on first use), puts the app together, then binds the listener;
    /// port 0 picks a free one.
    async fn build(mut config: Config) -> Result<Self> {
        let store = Store::connect(
            config.redis_url.expose(),
            config.key_prefix.clone(),
            config.ttl,
            config.redis_timeout,
        )
        .await
        .context("connecting to Redis (REDIS_URL)")?;
        let breaker = Breaker::new(BreakerPolicy::new(
            config.breaker_failures,
            config.breaker_open_for,
        ));
        let catalog = catalog::Catalog::new(
            &config.catalog_url,
            config.catalog_timeout,
            config.catalog_retries,
            breaker,
        )
        .context("the Catalog's URL (CATALOG_GRPC_URL)")?;
        let metrics = Metrics::new();
        let api = rest::Api::new(
            store.clone(),
            Arc::new(catalog),
            config.currency.clone(),
            &metrics,
        );
        // The contract promises a `Retry-After` on every 503: the breaker's open period,
        // the earliest a retry can find the Catalog being asked again.
        let retry_after = config.breaker_open_for.as_secs().max(1);
        let api_router =
            platform::http::retry_after_on_unavailable(cart_api::server::router(api), retry_after);
        // From here on the configuration says where the service really listens.
        let rest = platform::http::Rest::bind(
            &mut config.http_addr,
            config.limits,
            metrics,
            store,
            api_router,
            cart_api::server::OPENAPI_JSON,
        )
        .await?;
        Ok(Self { rest, config })
    }

    fn config(&self) -> &Config {
        &self.config
    }

    /// Serves REST until `shutdown` completes, then drains in-flight requests.
    async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        tracing::info!(rest = %self.config.http_addr, catalog = %self.config.catalog_url, "cart serving");
        self.rest.serve(shutdown).await?;
        tracing::info!("cart stopped");
        Ok(())
    }
}
