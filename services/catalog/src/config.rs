//! The Catalog's settings, from environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use platform::admin::AttemptLimit;
use platform::config::{Secret, admin_token, var_or};
use platform::overload::Limits;

#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`: the PostgreSQL database.
    pub database_url: Secret<String>,
    /// `CATALOG_HTTP_ADDR`: where REST listens.
    pub http_addr: SocketAddr,
    /// `CATALOG_GRPC_ADDR`: where gRPC listens.
    pub grpc_addr: SocketAddr,
    /// `CATALOG_ADMIN_TOKEN`: the bearer token of the admin operations; required, and
    /// unguessable unless `LOCALMART_DEV_MODE=1` (see `platform::config::admin_token`).
    pub admin_token: Secret<String>,
    /// Wrong admin tokens taken per window (`LOCALMART_ADMIN_FAILURES`,
    /// `LOCALMART_ADMIN_FAILURE_WINDOW_SECONDS`; see `platform::admin`).
    pub admin_attempts: AttemptLimit,
    /// `CATALOG_CACHE_PRODUCTS`: the most products kept in memory for product pages,
    /// validations and prices (see `cache`); 0 reads every one from PostgreSQL.
    pub cache_products: usize,
    /// `CATALOG_DB_MAX_CONNECTIONS`: the size of the connection pool (with the cache on,
    /// one of them hears the catalog's changes).
    pub db_max_connections: u32,
    /// `CATALOG_DB_TIMEOUT_MS`: the longest a request waits for a connection, and the
    /// statement timeout of each query; past it the request is answered 503.
    pub db_timeout: Duration,
    /// The in-flight bound and request deadline (`LOCALMART_MAX_IN_FLIGHT`,
    /// `LOCALMART_REQUEST_DEADLINE_MS`), the same settings in every service.
    pub limits: Limits,
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Ok(Self {
            database_url: var_or(
                "DATABASE_URL",
                Secret::new("postgres://localmart@127.0.0.1:55432/catalog".to_owned()),
            )?,
            http_addr: var_or(
                "CATALOG_HTTP_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 18080)),
            )?,
            grpc_addr: var_or(
                "CATALOG_GRPC_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 18081)),
            )?,
            admin_token: admin_token("CATALOG_ADMIN_TOKEN")?,
            admin_attempts: AttemptLimit::from_env()?,
            cache_products: var_or("CATALOG_CACHE_PRODUCTS", 10_000)?,
            db_max_connections: var_or("CATALOG_DB_MAX_CONNECTIONS", 10)?,
            db_timeout: Duration::from_millis(var_or("CATALOG_DB_TIMEOUT_MS", 2000)?),
            limits: Limits::from_env()?,
        })
    }
}

impl platform::service::ServiceConfig for Config {
    fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }
}
