//! The Cart's settings, from environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use platform::config::{Secret, var_or};
use platform::overload::Limits;

#[derive(Debug, Clone)]
pub struct Config {
    /// `REDIS_URL`: where carts are kept (it may hold a password, so it is never logged).
    pub redis_url: Secret<String>,
    /// `CART_KEY_PREFIX`: every cart's key starts with it (tests use one each).
    pub key_prefix: String,
    /// `CART_HTTP_ADDR`: where REST listens.
    pub http_addr: SocketAddr,
    /// `CATALOG_GRPC_URL`: the Catalog's gRPC endpoint.
    pub catalog_url: String,
    /// `CART_TTL_SECONDS`: how long a cart lives after its last change (7 days).
    pub ttl: Duration,
    /// `CART_CURRENCY`: the currency of every cart; products in another are refused.
    pub currency: String,
    /// `CATALOG_TIMEOUT_MS`: the deadline of each gRPC call to the Catalog.
    pub catalog_timeout: Duration,
    /// `CATALOG_RETRIES`: further attempts after a call fails for a transient reason.
    pub catalog_retries: u32,
    /// `CATALOG_BREAKER_FAILURES`: failures in a row that open the circuit breaker (it
    /// also opens when half of 20 or more calls in 10 s fail).
    pub breaker_failures: u32,
    /// `CATALOG_BREAKER_OPEN_SECONDS`: how long the open breaker refuses calls before it
    /// lets one probe through; also the `Retry-After` of a 503.
    pub breaker_open_for: Duration,
    /// `REDIS_TIMEOUT_MS`: the deadline of each Redis command.
    pub redis_timeout: Duration,
    /// The in-flight bound and request deadline (`LOCALMART_MAX_IN_FLIGHT`,
    /// `LOCALMART_REQUEST_DEADLINE_MS`), the same settings in every service.
    pub limits: Limits,
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Ok(Self {
            redis_url: var_or(
                "REDIS_URL",
                Secret::new("redis://127.0.0.1:56379".to_owned()),
            )?,
            key_prefix: var_or("CART_KEY_PREFIX", "cart:".to_owned())?,
            http_addr: var_or("CART_HTTP_ADDR", SocketAddr::from(([127, 0, 0, 1], 18082)))?,
            catalog_url: var_or("CATALOG_GRPC_URL", "http://127.0.0.1:18081".to_owned())?,
            ttl: Duration::from_secs(var_or("CART_TTL_SECONDS", 7 * 24 * 60 * 60)?),
            currency: var_or("CART_CURRENCY", "USD".to_owned())?,
            catalog_timeout: Duration::from_millis(var_or("CATALOG_TIMEOUT_MS", 800)?),
            catalog_retries: var_or("CATALOG_RETRIES", 2)?,
            breaker_failures: var_or("CATALOG_BREAKER_FAILURES", 5)?,
            breaker_open_for: Duration::from_secs(var_or("CATALOG_BREAKER_OPEN_SECONDS", 5)?),
            redis_timeout: Duration::from_millis(var_or("REDIS_TIMEOUT_MS", 500)?),
            limits: Limits::from_env()?,
        })
    }
}

impl platform::service::ServiceConfig for Config {
    fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }
}
