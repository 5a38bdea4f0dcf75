//! Spawns a real Reviews service on a database of its own, beside a real Catalog.

use std::time::Duration;

use catalog::seed::SeedProduct;
use catalog::testing::TestCatalog;
use platform::config::Secret;
use reviews_api::client::HeaderHook;
use reviews_api::types;
use tokio::sync::oneshot;

pub const ADMIN_TOKEN: &str = "test-admin";

pub struct TestReviews {
    /// The generated client, as the storefront uses it.
    pub client: reviews_api::Client,
    /// The generated client with the admin token.
    pub admin: reviews_api::Client,
    /// For requests the generated client cannot express.
    pub http: reqwest::Client,
    pub base_url: String,
    pub catalog: TestCatalog,
    pub mongodb_uri: String,
    pub database: String,
    _stop: oneshot::Sender<()>,
}

pub async fn spawn() -> TestReviews {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let mongodb_uri = testkit::ferretdb::shared_uri().await.expect("FerretDB");
    let database = testkit::ferretdb::unique_database();
    let config = reviews::Config {
        mongodb_uri: Secret::new(mongodb_uri.clone()),
        database: database.clone(),
        http_addr: "127.0.0.1:0".parse().expect("an address"),
        catalog_url: catalog.http_url(),
        admin_token: Secret::new(ADMIN_TOKEN.to_owned()),
        catalog_cache_ttl: Duration::from_secs(60),
        catalog_timeout: Duration::from_secs(1),
        mongodb_timeout: Duration::from_secs(5),
    };
    let service = reviews::Reviews::build(config)
        .await
        .expect("the reviews service builds");
    let base_url = format!("http://{}", service.http_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {ADMIN_TOKEN}").parse().expect("a header"),
    );
    let admin_http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    TestReviews {
        client: reviews_api::Client::new(&base_url, HeaderHook::default()),
        admin: reviews_api::Client::new_with_client(&base_url, admin_http, HeaderHook::default()),
        http: reqwest::Client::new(),
        base_url,
        catalog,
        mongodb_uri,
        database,
        _stop: stop,
    }
}

impl TestReviews {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn write(
        &self,
        product: uuid::Uuid,
        author: &str,
        rating: u32,
    ) -> Result<types::Review, (u16, types::Error)> {
        let input = serde_json::from_value(serde_json::json!({
            "author": author,
            "rating": rating,
            "title": format!("{rating} stars from {author}"),
            "body": "Used it for a month.",
        }))
        .expect("a valid review");
        self.write_input(product, input).await
    }

    pub async fn write_input(
        &self,
        product: uuid::Uuid,
        input: types::ReviewInput,
    ) -> Result<types::Review, (u16, types::Error)> {
        into_result(
            self.client
                .create_review()
                .product_id(product)
                .body(input)
                .send()
                .await,
        )
    }

    pub async fn list(
        &self,
        product: uuid::Uuid,
        sort: types::ReviewSort,
        limit: u32,
        cursor: Option<String>,
    ) -> types::ReviewPage {
        let mut request = self
            .client
            .list_reviews()
            .product_id(product)
            .sort(sort)
            .limit(limit);
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        request.send().await.expect("a page").into_inner()
    }
}

/// The body of a success, or the status and error body of a failure.
pub fn into_result<T>(
    result: Result<reviews_api::client::ResponseValue<T>, reviews_api::client::Error<types::Error>>,
) -> Result<T, (u16, types::Error)> {
    match result {
        Ok(response) => Ok(response.into_inner()),
        Err(reviews_api::client::Error::ErrorResponse(response)) => {
            Err((response.status().as_u16(), response.into_inner()))
        }
        Err(other) => panic!("expected an answer from the reviews service, got {other}"),
    }
}

/// A product of the demo catalog in `category`.
pub fn product_in(category: &str) -> SeedProduct {
    catalog::seed::products()
        .into_iter()
        .find(|p| p.category_slug == category)
        .expect("the demo catalog has one")
}
