//! A real Catalog in a test (feature `testing`): [`config`] is the one test configuration,
//! and [`TestCatalog`] the one way to run it, for the Catalog's own tests and for those of
//! the services that call it. It holds the demo catalog on a fresh database, on free
//! ports, and can be stopped and restarted on the same ports, so a test can see what its
//! service does while the Catalog is away.

use std::net::SocketAddr;
use std::time::Duration;

use platform::admin::AttemptLimit;
use platform::config::Secret;
use platform::overload::Limits;
use platform::testing::TestServer;
use testkit::postgres::TestDatabase;

use crate::{Catalog, Config};

/// The admin token of every test Catalog.
pub const ADMIN_TOKEN: &str = "admin";

/// The test configuration of a Catalog on `database`, on free ports.
pub fn config(database: &TestDatabase) -> anyhow::Result<Config> {
    let any_port: SocketAddr = "127.0.0.1:0".parse()?;
    Ok(Config {
        database_url: Secret::new(database.url.clone()),
        http_addr: any_port,
        grpc_addr: any_port,
        admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
        // The contract tests send wrong tokens on purpose, many of them; the limit's own
        // test sets a small one.
        admin_attempts: AttemptLimit {
            max_failures: 1000,
            window: Duration::from_secs(60),
        },
        cache_products: 10_000,
        db_max_connections: 5,
        db_timeout: Duration::from_secs(1),
        limits: Limits::default(),
    })
}

/// `config` as the environment [`Config::from_env`] reads, to run the Catalog's binary
/// with it (the fault suite kills it). The test admin token is short, so development
/// mode is on.
pub fn env(config: &Config) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DATABASE_URL", config.database_url.expose().clone()),
        ("CATALOG_HTTP_ADDR", config.http_addr.to_string()),
        ("CATALOG_GRPC_ADDR", config.grpc_addr.to_string()),
        ("CATALOG_ADMIN_TOKEN", config.admin_token.expose().clone()),
        ("LOCALMART_DEV_MODE", "1".to_owned()),
        ("CATALOG_CACHE_PRODUCTS", config.cache_products.to_string()),
        (
            "CATALOG_DB_MAX_CONNECTIONS",
            config.db_max_connections.to_string(),
        ),
        (
            "CATALOG_DB_TIMEOUT_MS",
            config.db_timeout.as_millis().to_string(),
        ),
    ];
    env.extend(config.limits.env());
    env.extend(config.admin_attempts.env());
    env
}

#[derive(Debug)]
pub struct TestCatalog {
    database: TestDatabase,
    server: TestServer<Catalog>,
}

impl TestCatalog {
    /// Starts a Catalog holding the demo catalog.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(testkit::postgres::fresh_database().await?).await
    }

    /// Starts a Catalog holding the demo catalog in `database`, for tests that run the
    /// database on a server of their own (to freeze it, say).
    pub async fn start_on(database: TestDatabase) -> anyhow::Result<Self> {
        let config = config(&database)?;
        crate::seed(&config).await?;
        let server = TestServer::start(config).await?;
        Ok(Self { database, server })
    }

    /// Starts a Catalog with the demo categories but no products.
    pub async fn start_empty() -> anyhow::Result<Self> {
        let catalog = Self::start().await?;
        catalog.execute("DELETE FROM products").await?;
        Ok(catalog)
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.server.config().grpc_addr
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc_addr())
    }

    pub fn http_url(&self) -> String {
        self.server.http_url()
    }

    /// The database the Catalog runs on, for tests that break it.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    /// Stops the Catalog and waits until it has drained.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.server.stop().await
    }

    /// Starts the Catalog again on the ports it had.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.server.restart().await
    }

    /// Runs SQL against the Catalog's database, to change what it sells, and waits until
    /// the Catalog has heard of the change, so that no answer after this is from before
    /// it. (The Catalog hears of every change within moments, whoever makes it; a test
    /// that makes one behind its back and asks at once needs to be sure.)
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let heard_before = self.changes_heard().await?;
        let pool = sqlx::PgPool::connect(&self.database.url).await?;
        let mut change = pool.begin().await?;
        sqlx::query(sql).execute(&mut *change).await?;
        // A change that touched no row notifies nothing; this always does.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::cache::CHANNEL)
            .bind(crate::cache::EVERYTHING)
            .execute(&mut *change)
            .await?;
        change.commit().await?;
        pool.close().await;
        testkit::poll_until(
            "the Catalog hearing of the change",
            Duration::from_secs(5),
            || async {
                match heard_before {
                    Some(before) => {
                        let now = self.changes_heard().await?;
                        anyhow::ensure!(now.is_some_and(|now| now > before), "heard {now:?}");
                        Ok(())
                    }
                    // Keeping nothing, it reads every product from PostgreSQL.
                    None => Ok(()),
                }
            },
        )
        .await
    }

    /// How many changes the Catalog has heard, or `None` when it is not listening (so
    /// keeps nothing).
    async fn changes_heard(&self) -> anyhow::Result<Option<u64>> {
        let metrics = reqwest::get(format!("{}/metrics", self.http_url()))
            .await?
            .error_for_status()?
            .text()
            .await?;
        let listening = metric(&metrics, "localmart_catalog_cache_listening") == Some(1);
        Ok(listening
            .then(|| metric(&metrics, "localmart_catalog_changes_heard_total"))
            .flatten())
    }
}

/// The value of the unlabelled counter or gauge `name` on a `/metrics` page.
pub fn metric(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}
