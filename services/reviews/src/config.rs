//! The Reviews service's settings, from environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use platform::admin::AttemptLimit;
use platform::config::{Secret, admin_token, signing_key, var_or};
use platform::overload::Limits;

#[derive(Debug, Clone)]
pub struct Config {
    /// `MONGODB_URI`: FerretDB natively, or any MongoDB 7, e.g. `mongodb://127.0.0.1:27017`.
    pub mongodb_uri: Secret<String>,
    /// `REVIEWS_DATABASE`: the database that holds the `reviews` collection.
    pub database: String,
    /// `REVIEWS_HTTP_ADDR`: where REST listens.
    pub http_addr: SocketAddr,
    /// `CATALOG_HTTP_URL`: the Catalog's REST base URL.
    pub catalog_url: String,
    /// `REVIEWS_ADMIN_TOKEN`: the bearer token that may delete reviews; required, and
    /// unguessable unless `LOCALMART_DEV_MODE=1` (see `platform::config::admin_token`).
    pub admin_token: Secret<String>,
    /// `REVIEWS_VOTER_KEY`: the key voter ids are signed with; required, and 32 or more
    /// characters unless `LOCALMART_DEV_MODE=1` (see `platform::config::signing_key`).
    /// Changing it makes every voter id issued before unknown.
    pub voter_key: Secret<String>,
    /// Wrong admin tokens taken per window (`LOCALMART_ADMIN_FAILURES`,
    /// `LOCALMART_ADMIN_FAILURE_WINDOW_SECONDS`; see `platform::admin`).
    pub admin_attempts: AttemptLimit,
    /// `REVIEWS_READ_CACHE_MS`: how long a listing's first page and a product's rating
    /// summary are kept in memory (dropped at once when this service writes to the
    /// product; see `recent`); 0 keeps none.
    pub read_cache: Duration,
    /// `CATALOG_CACHE_SECONDS`: how long a product's review context is kept in memory.
    pub catalog_cache_ttl: Duration,
    /// `CATALOG_TIMEOUT_MS`: the deadline of a call to the Catalog.
    pub catalog_timeout: Duration,
    /// `MONGODB_TIMEOUT_MS`: the longest one call to the database may wait for its turn
    /// (see `calls`), and then the longest it may take (finding the database, connecting,
    /// answering), before the request is answered 503.
    pub mongodb_timeout: Duration,
    /// The in-flight bound and request deadline (`LOCALMART_MAX_IN_FLIGHT`,
    /// `LOCALMART_REQUEST_DEADLINE_MS`), the same settings in every service.
    pub limits: Limits,
}

impl Config {
    pub fn from_env() -> Result<Self> {
        Ok(Self {
            mongodb_uri: var_or(
                "MONGODB_URI",
                Secret::new("mongodb://127.0.0.1:57017/".to_owned()),
            )?,
            database: var_or("REVIEWS_DATABASE", "reviews".to_owned())?,
            http_addr: var_or(
                "REVIEWS_HTTP_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 18083)),
            )?,
            catalog_url: var_or("CATALOG_HTTP_URL", "http://127.0.0.1:18080".to_owned())?,
            admin_token: admin_token("REVIEWS_ADMIN_TOKEN")?,
            voter_key: signing_key("REVIEWS_VOTER_KEY")?,
            admin_attempts: AttemptLimit::from_env()?,
            read_cache: Duration::from_millis(var_or("REVIEWS_READ_CACHE_MS", 2000)?),
            catalog_cache_ttl: Duration::from_secs(var_or("CATALOG_CACHE_SECONDS", 60)?),
            catalog_timeout: Duration::from_millis(var_or("CATALOG_TIMEOUT_MS", 2000)?),
            mongodb_timeout: Duration::from_millis(var_or("MONGODB_TIMEOUT_MS", 2000)?),
            limits: Limits::from_env()?,
        })
    }
}

impl platform::service::ServiceConfig for Config {
    fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }
}
