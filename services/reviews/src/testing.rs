//! A Reviews service in a test (feature `testing`): [`config`] is the one test
//! configuration, and [`TestReviews`] the one way to run it, for its own tests and every
//! other crate's.

use std::time::Duration;

use platform::admin::AttemptLimit;
use platform::config::Secret;
use platform::overload::Limits;
use platform::testing::TestServer;

use crate::{Config, Reviews};

/// The admin token of every test Reviews service.
pub const ADMIN_TOKEN: &str = "admin";

/// The key every test Reviews service signs voter ids with.
pub const VOTER_KEY: &str = "the test reviews' voter signing key";

/// How long a test Reviews service keeps a listing's first page and a rating summary.
pub const READ_CACHE: Duration = Duration::from_secs(2);

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
        voter_key: Secret::new(VOTER_KEY.to_owned()),
        // The contract tests send wrong tokens on purpose, many of them; the limit's own
        // test sets a small one.
        admin_attempts: AttemptLimit {
            max_failures: 1000,
            window: Duration::from_secs(60),
        },
        read_cache: READ_CACHE,
        catalog_cache_ttl: Duration::from_secs(60),
        catalog_timeout: Duration::from_secs(1),
        mongodb_timeout: Duration::from_secs(2),
        limits: Limits::default(),
    })
}

/// `config` as the environment [`Config::from_env`] reads, to run the Reviews binary
/// with it (the fault suite kills it). The test admin token is short, so development
/// mode is on.
pub fn env(config: &Config) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("MONGODB_URI", config.mongodb_uri.expose().clone()),
        ("REVIEWS_DATABASE", config.database.clone()),
        ("REVIEWS_HTTP_ADDR", config.http_addr.to_string()),
        ("CATALOG_HTTP_URL", config.catalog_url.clone()),
        ("REVIEWS_ADMIN_TOKEN", config.admin_token.expose().clone()),
        ("REVIEWS_VOTER_KEY", config.voter_key.expose().clone()),
        ("LOCALMART_DEV_MODE", "1".to_owned()),
        (
            "REVIEWS_READ_CACHE_MS",
            config.read_cache.as_millis().to_string(),
        ),
        (
            "CATALOG_CACHE_SECONDS",
            config.catalog_cache_ttl.as_secs().to_string(),
        ),
        (
            "CATALOG_TIMEOUT_MS",
            config.catalog_timeout.as_millis().to_string(),
        ),
        (
            "MONGODB_TIMEOUT_MS",
            config.mongodb_timeout.as_millis().to_string(),
        ),
    ];
    env.extend(config.limits.env());
    env.extend(config.admin_attempts.env());
    env
}

/// A Reviews service with [`config`], running.
pub async fn start(catalog_http_url: String) -> anyhow::Result<TestReviews> {
    TestReviews::start(config(catalog_http_url).await?).await
}

/// A Reviews service with [`config`] but on the store at `mongodb_uri`, running.
pub async fn start_on(
    catalog_http_url: String,
    mongodb_uri: String,
) -> anyhow::Result<TestReviews> {
    let mut config = config(catalog_http_url).await?;
    config.mongodb_uri = Secret::new(mongodb_uri);
    TestReviews::start(config).await
}
