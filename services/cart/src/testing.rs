//! A Cart in a test (feature `testing`): [`config`] is the one test configuration, and
//! [`TestCart`] the one way to run it, for the Cart's own tests and every other crate's.

use std::time::Duration;

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
        redis_url: testkit::redis::shared_url().await?,
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

/// A Cart with [`config`], running.
pub async fn start(catalog_grpc_url: String) -> anyhow::Result<TestCart> {
    TestCart::start(config(catalog_grpc_url).await?).await
}
