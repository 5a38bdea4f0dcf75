//! Spawns a real Catalog on free ports over a fresh database of its own.

use catalog::Catalog;
use catalog_api::client::HeaderHook;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use platform::config::Secret;
use tokio::sync::oneshot;
use tonic::transport::Channel;

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct TestCatalog {
    /// The generated client, as a shopper's storefront uses it.
    pub client: catalog_api::Client,
    /// The generated client with the admin token.
    pub admin: catalog_api::Client,
    /// For requests the generated client cannot even express (malformed input).
    pub http: reqwest::Client,
    pub base_url: String,
    pub grpc: CatalogServiceClient<Channel>,
    pub grpc_addr: std::net::SocketAddr,
    stop: oneshot::Sender<()>,
    stopped: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A Catalog holding the demo catalog.
pub async fn spawn() -> TestCatalog {
    spawn_with_database().await.0
}

/// A Catalog with categories but no products.
pub async fn spawn_empty() -> TestCatalog {
    let database = testkit::postgres::fresh_database()
        .await
        .expect("a test database");
    spawn_on(&database, false).await
}

/// A Catalog holding the demo catalog, and its database, for tests that break it.
pub async fn spawn_with_database() -> (TestCatalog, testkit::postgres::TestDatabase) {
    let database = testkit::postgres::fresh_database()
        .await
        .expect("a test database");
    (spawn_on(&database, true).await, database)
}

async fn spawn_on(database: &testkit::postgres::TestDatabase, seeded: bool) -> TestCatalog {
    let config = catalog::Config {
        database_url: Secret::new(database.url.clone()),
        http_addr: "127.0.0.1:0".parse().expect("an address"),
        grpc_addr: "127.0.0.1:0".parse().expect("an address"),
        admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
        db_max_connections: 5,
    };
    catalog::seed(&config).await.expect("seeding");
    if !seeded {
        let pool = sqlx::PgPool::connect(&database.url)
            .await
            .expect("a connection");
        sqlx::query("DELETE FROM products")
            .execute(&pool)
            .await
            .expect("emptying");
        pool.close().await;
    }
    let service = Catalog::build(config).await.expect("the catalog builds");
    let base_url = format!("http://{}", service.http_addr());
    let grpc_addr = service.grpc_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));

    let grpc = testkit::poll_until(
        "the gRPC port to accept",
        std::time::Duration::from_secs(10),
        || async move { Ok(CatalogServiceClient::connect(format!("http://{grpc_addr}")).await?) },
    )
    .await
    .expect("a gRPC connection");

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {ADMIN_TOKEN}")
            .parse()
            .expect("a header value"),
    );
    let admin_http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    TestCatalog {
        client: catalog_api::Client::new(&base_url, HeaderHook::default()),
        admin: catalog_api::Client::new_with_client(&base_url, admin_http, HeaderHook::default()),
        http: reqwest::Client::new(),
        base_url,
        grpc,
        grpc_addr,
        stop,
        stopped: running,
    }
}

impl TestCatalog {
    /// Sends the shutdown signal and waits until the service has drained and stopped.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.stopped
            .await
            .expect("the service task")
            .expect("a clean stop");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// The error body and status of a failed call through the generated client.
pub fn api_error<T: std::fmt::Debug>(
    result: Result<T, catalog_api::client::Error<catalog_api::types::Error>>,
) -> (u16, catalog_api::types::Error) {
    match result {
        Err(catalog_api::client::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// A product input the Catalog accepts.
pub fn product_input(sku: &str) -> serde_json::Value {
    serde_json::json!({
        "sku": sku,
        "name": "Test Lantern",
        "description": "A lantern made for the tests.",
        "category": "sports-outdoors",
        "price": { "amount_minor": 2599, "currency": "USD" },
        "stock": 12,
        "attributes": { "colour": "orange" }
    })
}
