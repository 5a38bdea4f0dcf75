//! A Cart in a test (feature `testing`): [`config`] is the one test configuration, and
//! [`TestCart`] the one way to run it, for the Cart's own tests and every other crate's.

use std::time::Duration;

use platform::config::Secret;
use platform::overload::Limits;
use platform::testing::TestServer;

use crate::{Cart, Config};

/// A Cart running in the test; `restart` keeps its port, Redis and key prefix.
pub type TestCart = TestServer<Cart>;

/// The test configuration of a Cart that asks the Catalog at `catalog_grpc_url`: its own
/// key prefix in the shared test Redis, any free port, and short deadlines and a quick
/// circuit breaker, so that an outage shows within a second.
pub async fn config(catalog_grpc_url: String) -> anyhow::Result<Config> {
    Ok(Config {
        redis_url: Secret::new(testkit::redis::shared_url().await?),
        key_prefix: testkit::redis::unique_prefix(),
        http_addr: "127.0.0.1:0".parse()?,
        catalog_url: catalog_grpc_url,
        ttl: Duration::from_secs(7 * 24 * 60 * 60),
        currency: "USD".to_owned(),
        catalog_timeout: Duration::from_millis(500),
        catalog_retries: 1,
        breaker_failures: 3,
        breaker_open_for: Duration::from_secs(1),
        redis_timeout: Duration::from_millis(300),
        limits: Limits::default(),
    })
}

/// `config` as the environment [`Config::from_env`] reads, to run the Cart's binary with
/// it (the fault suite kills it).
pub fn env(config: &Config) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("REDIS_URL", config.redis_url.expose().clone()),
        ("CART_KEY_PREFIX", config.key_prefix.clone()),
        ("CART_HTTP_ADDR", config.http_addr.to_string()),
        ("CATALOG_GRPC_URL", config.catalog_url.clone()),
        ("CART_TTL_SECONDS", config.ttl.as_secs().to_string()),
        ("CART_CURRENCY", config.currency.clone()),
        (
            "CATALOG_TIMEOUT_MS",
            config.catalog_timeout.as_millis().to_string(),
        ),
        ("CATALOG_RETRIES", config.catalog_retries.to_string()),
        (
            "CATALOG_BREAKER_FAILURES",
            config.breaker_failures.to_string(),
        ),
        (
            "CATALOG_BREAKER_OPEN_SECONDS",
            config.breaker_open_for.as_secs().to_string(),
        ),
        (
            "REDIS_TIMEOUT_MS",
            config.redis_timeout.as_millis().to_string(),
        ),
    ];
    env.extend(config.limits.env());
    env
}

/// A Cart with [`config`], running.
pub async fn start(catalog_grpc_url: String) -> anyhow::Result<TestCart> {
    TestCart::start(config(catalog_grpc_url).await?).await
}
