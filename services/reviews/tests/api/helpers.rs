//! A real Reviews service (`reviews::testing`) on a database of its own, beside a real
//! Catalog (`catalog::testing`), with the clients the tests drive it through.

use catalog::seed::SeedProduct;
use catalog::testing::TestCatalog;
use mongodb::bson::Document;
use platform::config::Secret;
use reviews::testing::{ADMIN_TOKEN, TestReviews as Server};
use reviews_api::client::HeaderHook;
use reviews_api::types;
use testkit::ferretdb::FerretDbServer;

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
    /// A FerretDB of the test's own, which it may freeze or kill; otherwise the shared one.
    pub ferretdb: Option<FerretDbServer>,
    server: Server,
}

pub async fn spawn() -> TestReviews {
    spawn_with(false).await
}

/// A Reviews service on a FerretDB of its own (`own_ferretdb`) or on the shared one.
pub async fn spawn_with(own_ferretdb: bool) -> TestReviews {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let mut config = reviews::testing::config(catalog.http_url())
        .await
        .expect("a test configuration");
    let ferretdb = if own_ferretdb {
        let server = FerretDbServer::start()
            .await
            .expect("a FerretDB of its own");
        config.mongodb_uri = Secret::new(server.uri());
        Some(server)
    } else {
        None
    };
    let server = Server::start(config)
        .await
        .expect("the reviews service starts");
    let base_url = server.http_url();
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
        mongodb_uri: server.config().mongodb_uri.expose().clone(),
        database: server.config().database.clone(),
        ferretdb,
        server,
    }
}

impl TestReviews {
    /// The service's store, opened as the service opens it (for what a test does behind
    /// the service's back), or this database on the server at `mongodb_uri`.
    pub async fn store_at(&self, mongodb_uri: &str) -> reviews::store::Store {
        let timeout = std::time::Duration::from_secs(10);
        let store = reviews::store::Store::connect(mongodb_uri, &self.database, timeout).await;
        store.expect("the store")
    }

    /// Stores, behind the service's back, a copy of the review `filter` finds with the
    /// fields of `changes` (a new id among them), as a review stored by an older version
    /// or left by a crash would be.
    pub async fn store_a_copy(&self, filter: Document, changes: Document) {
        let client = mongodb::Client::with_uri_str(&self.mongodb_uri).await;
        let database = client.expect("the store").database(&self.database);
        let reviews = database.collection::<Document>("reviews");
        let found = reviews.find_one(filter).await.expect("read");
        let mut copy = found.expect("a review to copy");
        copy.extend(changes);
        copy.insert("_id", uuid::Uuid::new_v4().to_string());
        reviews.insert_one(copy).await.expect("stored");
    }

    /// Another Reviews process on this service's database, at the server at `mongodb_uri`.
    pub async fn another_service_at(
        &self,
        mongodb_uri: &str,
    ) -> platform::testing::TestServer<reviews::Reviews> {
        let mut config = reviews::testing::config(self.catalog.http_url())
            .await
            .expect("a configuration");
        config.mongodb_uri = Secret::new(mongodb_uri.to_owned());
        config.database = self.database.clone();
        let other = platform::testing::TestServer::start(config).await;
        other.expect("another Reviews")
    }

    /// Stops the service and starts a new one on the same port and database.
    pub async fn restart_service(&mut self) {
        self.server.restart().await.expect("the service restarts");
    }

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

    /// A new voter, as the storefront asks for one.
    pub async fn voter(&self) -> types::HelpfulVote {
        let issued = self.client.issue_voter().send().await;
        issued.expect("a voter").into_inner()
    }

    /// Votes `review` helpful as `voter`; answers its helpful count.
    pub async fn vote(
        &self,
        review: uuid::Uuid,
        voter: &types::HelpfulVote,
    ) -> Result<i32, (u16, types::Error)> {
        let request = self.client.mark_helpful().review_id(review);
        let voted = into_result(request.body(voter.clone()).send().await);
        voted.map(|review| review.helpful_count)
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
