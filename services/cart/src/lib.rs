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
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use platform::metrics::Metrics;
use platform::resilience::{Breaker, BreakerPolicy};
use platform::service::Service;
use tokio::net::TcpListener;

pub use crate::config::Config;
pub use crate::error::CartError;
use crate::store::Store;

/// A Cart with its listener bound and its stores connected, ready to [`run`](Self::run).
#[derive(Debug)]
pub struct Cart {
    http: TcpListener,
    store: Store,
    catalog: Arc<catalog::Catalog>,
    config: Config,
    metrics: Metrics,
}

impl Service for Cart {
    type Config = Config;

    /// Connects to Redis (which must be up) and prepares the Catalog client (which need
    /// not be: it connects on first use), then binds the listener; port 0 picks a free one.
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
            self.config.currency.clone(),
        );
        // The contract promises a `Retry-After` on every 503: the breaker's open period,
        // the earliest a retry can find the Catalog being asked again.
        let retry_after = self.config.breaker_open_for.as_secs().max(1);
        let api_router =
            platform::http::retry_after_on_unavailable(cart_api::server::router(api), retry_after);
        let app = platform::http::app(
            api_router,
            cart_api::server::OPENAPI_JSON,
            self.metrics.clone(),
            self.store.clone(),
            self.config.limits,
        );
        tracing::info!(rest = %self.http_addr(), catalog = %self.config.catalog_url, "cart serving");
        platform::http::serve(self.http, app, shutdown)
            .await
            .context("REST server failed")?;
        tracing::info!("cart stopped");
        Ok(())
    }
}
