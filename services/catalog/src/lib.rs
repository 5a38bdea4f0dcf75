//! The LocalMart Catalog: products and categories on PostgreSQL.
//!
//! The REST API (`specs/openapi/catalog.yaml`) serves shoppers, admins and the Reviews
//! service; the gRPC API (`specs/proto/localmart/catalog/v1/catalog.proto`) gives the Cart
//! fast validation and prices. Both sit on one [`store::Store`]; the handlers only
//! translate between the wire and the store.

pub mod cache;
mod config;
mod error;
mod grpc;
pub mod image;
mod rest;
pub mod seed;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;

use anyhow::{Context, Result};
use platform::datastore::Datastore;
use platform::metrics::{Metrics, Occupancy, Pool};
use platform::service::Service;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cache::{Cache, Changes};
pub use crate::config::Config;
pub use crate::error::CatalogError;
use crate::store::Store;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A Catalog with its listeners bound and its database migrated, ready to [`run`](Self::run).
#[derive(Debug)]
pub struct Catalog {
    http: TcpListener,
    grpc: TcpListener,
    store: Store,
    /// What keeps the store's cache to the catalog's changes while the Catalog runs.
    changes: Option<Changes>,
    config: Config,
    metrics: Metrics,
}

impl Service for Catalog {
    type Config = Config;

    /// Connects to the database, checks that it is migrated, subscribes to its changes
    /// (so the cache is in use from the first request) and binds both listeners; port 0
    /// picks free ports, which [`config`](Self::config) then reports.
    async fn build(mut config: Config) -> Result<Self> {
        let pool = connect(&config).await?;
        check_migrated(&pool).await?;
        let metrics = Metrics::new();
        // A search is a listing with a text; its objective is its own.
        metrics.count_apart("/v1/products", "q");
        metrics.register_pool("postgresql", Connections(pool.clone()));
        let cache = Cache::new(config.cache_products);
        cache.register(&metrics);
        let changes = cache
            .listen(&pool)
            .await
            .context("listening for the catalog's changes")?;
        // From here on the configuration says where the service really listens.
        let http = platform::http::bind(&mut config.http_addr, "REST").await?;
        let grpc = platform::http::bind(&mut config.grpc_addr, "gRPC").await?;
        Ok(Self {
            http,
            grpc,
            store: Store::new(pool, cache, store_datastore(&config)?),
            changes,
            config,
            metrics,
        })
    }

    fn config(&self) -> &Config {
        &self.config
    }

    /// Serves REST and gRPC until `shutdown` completes, then drains both.
    async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let stopping = CancellationToken::new();
        tokio::spawn({
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                stopping.cancel();
            }
        });

        let api = rest::Api::new(
            self.store.clone(),
            platform::admin::AdminGuard::new(
                self.config.admin_token.clone(),
                self.config.admin_attempts,
            ),
        );
        let app = platform::http::app(
            catalog_api::server::router(api),
            catalog_api::server::OPENAPI_JSON,
            self.metrics.clone(),
            self.store.clone(),
            self.config.limits,
        );
        let (rest, grpc) = (self.config.http_addr, self.config.grpc_addr);
        tracing::info!(%rest, %grpc, "catalog serving");
        let following = self
            .changes
            .map(|changes| tokio::spawn(changes.follow(stopping.clone())));

        let http = platform::http::serve(self.http, app, stopping.clone().cancelled_owned());
        let grpc = grpc::serve(
            self.grpc,
            self.store.clone(),
            self.metrics.clone(),
            self.config.limits,
            stopping.clone(),
        );
        // Whichever server ends first, for a signal or a failure, stops the other too.
        let (http, grpc) = tokio::join!(
            async {
                let result = http.await;
                stopping.cancel();
                result
            },
            async {
                let result = grpc.await;
                stopping.cancel();
                result
            },
        );
        http.context("REST server failed")?;
        grpc.context("gRPC server failed")?;
        // It holds a connection of the pool until it has stopped.
        if let Some(following) = following {
            following.await.context("following the catalog's changes")?;
        }
        self.store.close().await;
        tracing::info!("catalog stopped");
        Ok(())
    }
}

/// Applies pending migrations.
pub async fn migrate(config: &Config) -> Result<()> {
    let pool = connect(config).await?;
    MIGRATOR.run(&pool).await.context("applying migrations")?;
    tracing::info!("migrations applied");
    Ok(())
}

/// Fails unless every migration has been applied. The service does not apply them
/// itself: it may run as a role that can read and write the tables but not change them
/// (`make up` migrates as the database's owner, with `catalog migrate` or `seed`).
async fn check_migrated(pool: &PgPool) -> Result<()> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
            .context("reading the applied migrations; run `catalog migrate` first")?;
    let missing: Vec<String> = MIGRATOR
        .iter()
        .filter(|migration| !applied.contains(&migration.version))
        .map(|migration| format!("{} {}", migration.version, migration.description))
        .collect();
    anyhow::ensure!(
        missing.is_empty(),
        "the database lacks migrations ({}); run `catalog migrate` first",
        missing.join(", ")
    );
    Ok(())
}

/// Loads the demo catalog when the database holds no products yet.
pub async fn seed(config: &Config) -> Result<()> {
    let pool = connect(config).await?;
    MIGRATOR.run(&pool).await.context("applying migrations")?;
    let inserted = seed::load(&pool).await?;
    tracing::info!(inserted, "seed done");
    Ok(())
}

/// The database as the store's spans name it (`postgresql`, the database, its server).
fn store_datastore(config: &Config) -> Result<Datastore> {
    let url = config.database_url.expose();
    let options: PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;
    let database = options.get_database().unwrap_or_default().to_owned();
    Ok(Datastore::new("postgresql", url, &database))
}

/// The pool's connections, for the saturation metrics.
#[derive(Debug)]
struct Connections(PgPool);

impl Pool for Connections {
    fn occupancy(&self) -> Occupancy {
        let idle = u32::try_from(self.0.num_idle()).unwrap_or(u32::MAX);
        Occupancy {
            in_use: self.0.size().saturating_sub(idle),
            idle,
            max: self.0.options().get_max_connections(),
        }
    }
}

/// The pool: waiting for a connection (which includes the check that an idle one still
/// answers, so a frozen server shows here) and every statement are bounded by
/// `db_timeout`, so a slow or unreachable database is a prompt 503, never a hang.
async fn connect(config: &Config) -> Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .expose()
        .parse()
        .context("DATABASE_URL is not a PostgreSQL URL")?;
    let statement_timeout = format!("{}ms", config.db_timeout.as_millis());
    let options = options.options([("statement_timeout", statement_timeout.as_str())]);
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(config.db_timeout)
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL (DATABASE_URL)")
}
