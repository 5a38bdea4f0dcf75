//! A Reviews service for other crates' tests (feature `testing`): a fresh database in the
//! test FerretDB, any free port, and the admin token [`ADMIN_TOKEN`].

use std::time::Duration;

use platform::config::Secret;

use crate::Config;

/// The admin token of every test Reviews service.
pub const ADMIN_TOKEN: &str = "admin";

/// The configuration of a Reviews service that asks the Catalog at `catalog_http_url`.
pub async fn config(catalog_http_url: String) -> anyhow::Result<Config> {
    Ok(Config {
        mongodb_uri: Secret::new(testkit::ferretdb::shared_uri().await?),
        database: testkit::ferretdb::unique_database(),
        http_addr: "127.0.0.1:0".parse()?,
        catalog_url: catalog_http_url,
        admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
        catalog_cache_ttl: Duration::from_secs(60),
        catalog_timeout: Duration::from_secs(1),
        mongodb_timeout: Duration::from_secs(5),
    })
}

/// Starts a Reviews service with [`config`] that runs until the test's runtime ends;
/// returns its base URL.
pub async fn spawn(catalog_http_url: String) -> anyhow::Result<String> {
    let service = crate::Reviews::build(config(catalog_http_url).await?).await?;
    let url = format!("http://{}", service.http_addr());
    tokio::spawn(service.run(std::future::pending()));
    Ok(url)
}
