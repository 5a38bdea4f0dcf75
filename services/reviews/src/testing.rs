//! A Reviews service in a test (feature `testing`): [`config`] is the one test
//! configuration, and [`TestReviews`] the one way to run it, for its own tests and every
//! other crate's.

use std::time::Duration;

use platform::config::Secret;
use platform::overload::Limits;
use platform::testing::TestServer;

use crate::{Config, Reviews};

/// The admin token of every test Reviews service.
pub const ADMIN_TOKEN: &str = "admin";

/// A Reviews service running in the test.
pub type TestReviews = TestServer<Reviews>;

/// The test configuration of a Reviews service that asks the Catalog at
/// `catalog_http_url`: a fresh database in the shared test FerretDB, any free port, and
/// the admin token [`ADMIN_TOKEN`].
pub async fn config(catalog_http_url: String) -> anyhow::Result<Config> {
    Ok(Config {
        mongodb_uri: Secret::new(testkit::ferretdb::shared_uri().await?),
        database: testkit::ferretdb::unique_database(),
        http_addr: "127.0.0.1:0".parse()?,
        catalog_url: catalog_http_url,
        admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
        catalog_cache_ttl: Duration::from_secs(60),
        catalog_timeout: Duration::from_secs(1),
        mongodb_timeout: Duration::from_secs(2),
        limits: Limits::default(),
    })
}

/// A Reviews service with [`config`], running.
pub async fn start(catalog_http_url: String) -> anyhow::Result<TestReviews> {
    TestReviews::start(config(catalog_http_url).await?).await
}
