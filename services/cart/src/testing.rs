//! A Cart for other crates' tests (feature `testing`): its own key prefix in the test
//! Redis, any free port, and short Catalog deadlines so an outage shows quickly.

use std::time::Duration;

use crate::Config;

/// The configuration of a Cart that asks the Catalog at `catalog_grpc_url`.
pub async fn config(catalog_grpc_url: String) -> anyhow::Result<Config> {
    Ok(Config {
        redis_url: testkit::redis::shared_url().await?,
        key_prefix: testkit::redis::unique_prefix(),
        http_addr: "127.0.0.1:0".parse()?,
        catalog_url: catalog_grpc_url,
        ttl: Duration::from_secs(3600),
        currency: "USD".to_owned(),
        catalog_timeout: Duration::from_secs(1),
        catalog_retries: 1,
        breaker_failures: 5,
        breaker_open_for: Duration::from_secs(1),
        redis_timeout: Duration::from_secs(1),
    })
}

/// Starts a Cart with [`config`] that runs until the test's runtime ends; returns its
/// base URL.
pub async fn spawn(catalog_grpc_url: String) -> anyhow::Result<String> {
    let service = crate::Cart::build(config(catalog_grpc_url).await?).await?;
    let url = format!("http://{}", service.http_addr());
    tokio::spawn(service.run(std::future::pending()));
    Ok(url)
}
