//! A real Catalog for other services' tests (feature `testing`): seeded with the demo
//! catalog on a fresh database, on free ports, and stoppable and restartable on the same
//! ports so a test can see what its service does while the Catalog is away.

use std::net::SocketAddr;

use platform::config::Secret;
use testkit::postgres::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::{Catalog, Config};

/// The admin token of every test Catalog.
pub const ADMIN_TOKEN: &str = "admin";

#[derive(Debug)]
pub struct TestCatalog {
    database: TestDatabase,
    http_addr: SocketAddr,
    grpc_addr: SocketAddr,
    running: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

impl TestCatalog {
    /// Starts a Catalog holding the demo catalog.
    pub async fn start() -> anyhow::Result<Self> {
        let database = testkit::postgres::fresh_database().await?;
        let any_port: SocketAddr = "127.0.0.1:0".parse()?;
        let config = Self::config(&database, any_port, any_port);
        crate::seed(&config).await?;
        let mut catalog = Self {
            database,
            http_addr: any_port,
            grpc_addr: any_port,
            running: None,
        };
        catalog.launch(config).await?;
        Ok(catalog)
    }

    fn config(database: &TestDatabase, http_addr: SocketAddr, grpc_addr: SocketAddr) -> Config {
        Config {
            database_url: Secret::new(database.url.clone()),
            http_addr,
            grpc_addr,
            admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
            db_max_connections: 5,
        }
    }

    async fn launch(&mut self, config: Config) -> anyhow::Result<()> {
        let service = Catalog::build(config).await?;
        self.http_addr = service.http_addr();
        self.grpc_addr = service.grpc_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(service.run(async {
            let _ = stopped.await;
        }));
        self.running = Some((stop, task));
        Ok(())
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// Stops the Catalog and waits until it has drained.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await??;
        }
        Ok(())
    }

    /// Starts the Catalog again on the ports it had.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let config = Self::config(&self.database, self.http_addr, self.grpc_addr);
        self.launch(config).await
    }

    /// Runs SQL against the Catalog's database, to change what it sells.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        let pool = sqlx::PgPool::connect(&self.database.url).await?;
        sqlx::query(sql).execute(&pool).await?;
        pool.close().await;
        Ok(())
    }
}
