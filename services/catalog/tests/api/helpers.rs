//! The Catalog of `catalog::testing`, with the clients its tests drive it through.

pub use catalog::testing::ADMIN_TOKEN;
use catalog_api::client::HeaderHook;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use testkit::postgres::TestDatabase;
use tonic::transport::Channel;

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
    catalog: catalog::testing::TestCatalog,
}

/// A Catalog holding the demo catalog.
pub async fn spawn() -> TestCatalog {
    let catalog = catalog::testing::TestCatalog::start().await;
    with_clients(catalog.expect("a catalog")).await
}

/// A Catalog with categories but no products.
pub async fn spawn_empty() -> TestCatalog {
    let catalog = catalog::testing::TestCatalog::start_empty().await;
    with_clients(catalog.expect("an empty catalog")).await
}

async fn with_clients(catalog: catalog::testing::TestCatalog) -> TestCatalog {
    let base_url = catalog.http_url();
    let grpc_addr = catalog.grpc_addr();
    let grpc = testkit::poll_until(
        "the gRPC port to accept",
        std::time::Duration::from_secs(10),
        || async move { Ok(CatalogServiceClient::connect(format!("http://{grpc_addr}")).await?) },
    )
    .await
    .expect("a gRPC connection");

    TestCatalog {
        client: catalog_api::Client::new(&base_url, HeaderHook::default()),
        admin: admin_client(&base_url),
        http: reqwest::Client::new(),
        base_url,
        grpc,
        grpc_addr,
        catalog,
    }
}

/// The generated client with the test admin token, for the Catalog at `base_url`.
pub fn admin_client(base_url: &str) -> catalog_api::Client {
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
    catalog_api::Client::new_with_client(base_url, admin_http, HeaderHook::default())
}

impl TestCatalog {
    /// Sends the shutdown signal and waits until the service has drained and stopped.
    pub async fn stop(mut self) {
        self.catalog.stop().await.expect("a clean stop");
    }

    /// The database the Catalog runs on, for tests that break it.
    pub fn database(&self) -> &TestDatabase {
        self.catalog.database()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Changes what the Catalog sells behind its back (see `catalog::testing`).
    pub async fn execute(&self, sql: &str) {
        self.catalog.execute(sql).await.expect("the change");
    }

    /// What `/metrics` shows now.
    pub async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await;
        response.expect("a response").text().await.expect("text")
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
