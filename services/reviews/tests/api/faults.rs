//! The fault suite for Reviews (see `testkit::faults`): FerretDB or the service itself
//! killed (SIGKILL) while shoppers keep posting reviews. A shopper retries a 503 (and a
//! request cut off by a killed service) with the same review; a 409 `duplicate_review` on
//! a retry says the earlier attempt was written. Afterwards every acknowledged review is
//! stored exactly once.

use std::time::Duration;

use catalog::testing::TestCatalog;
use testkit::Faults;
use testkit::faults::{self, Answer, Writes};
use testkit::service::ServiceProcess;
use uuid::Uuid;

use crate::helpers::{self, product_in};

const SHOPPERS: usize = 6;

/// Reviews of one product, each by an author of its own.
struct NewReviews {
    http: reqwest::Client,
    url: String,
}

impl Writes for NewReviews {
    type Write = serde_json::Value;

    fn next(&self, shopper: usize, number: usize) -> serde_json::Value {
        serde_json::json!({
            "author": format!("Shopper {shopper}-{number}"),
            "rating": 1 + (number % 5),
            "title": "Held up well",
            "body": "Used it every day for a month.",
        })
    }

    async fn attempt(&self, review: &serde_json::Value, retry: bool) -> Answer {
        let response = match self.http.post(&self.url).json(review).send().await {
            Ok(response) => response,
            Err(err) if err.is_connect() || err.is_request() => return Answer::CutOff,
            Err(err) => return Answer::Broken(err.to_string()),
        };
        let status = response.status().as_u16();
        let has_retry_after = response.headers().contains_key("retry-after");
        let Ok(body) = response.json::<serde_json::Value>().await else {
            return Answer::Broken(format!("{status} without a JSON body"));
        };
        let code = body["code"].as_str().unwrap_or_default().to_owned();
        match status {
            201 => Answer::Made,
            409 if retry && code == "duplicate_review" => Answer::Made,
            _ => Answer::refusal(status, has_retry_after, code),
        }
    }
}

/// Keeps the load on through `fault`, then counts the product's reviews against those
/// the shoppers were told were posted, and prints the figures.
async fn under_load(
    name: &str,
    base_url: &str,
    product: Uuid,
    cut_off: bool,
    fault: impl Future<Output = ()>,
) {
    let writes = NewReviews {
        http: reqwest::Client::new(),
        url: format!("{base_url}/v1/products/{product}/reviews"),
    };
    let outcome = faults::under_load(name, writes, SHOPPERS, cut_off, fault).await;
    let client = reviews_api::Client::new(base_url, reviews_api::client::HeaderHook::default());
    let summary = client.get_rating_summary().product_id(product).send().await;
    let stored = summary.expect("a summary").into_inner().count;
    let stored = usize::try_from(stored).expect("a count");
    outcome.report(
        name,
        "reviews",
        outcome.count().saturating_sub(stored),
        stored,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferretdb_killed_mid_load_loses_no_acknowledged_review() {
    let mut reviews = helpers::spawn_with(true).await;
    let mut ferretdb = reviews.ferretdb.take().expect("its own FerretDB");
    let product = product_in("furniture").id;
    under_load(
        "FerretDB kill -9 for 1 s",
        &reviews.base_url,
        product,
        false,
        async {
            ferretdb.kill().expect("FerretDB killed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            ferretdb.resume().await.expect("FerretDB back");
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_killed_mid_load_loses_no_acknowledged_review() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let mut config = reviews::testing::config(catalog.http_url())
        .await
        .expect("a test configuration");
    config.http_addr = testkit::free_addr().expect("a port");
    let mut reviews = ServiceProcess::start(
        env!("CARGO_BIN_EXE_reviews"),
        &[],
        reviews::testing::env(&config),
        config.http_addr,
    )
    .await
    .expect("the Reviews binary runs");
    let base_url = reviews.http_url();
    let product = product_in("furniture").id;
    under_load(
        "Reviews kill -9, restarted after 1 s",
        &base_url,
        product,
        true,
        async {
            reviews.kill().expect("Reviews killed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            reviews.resume().await.expect("Reviews started again");
        },
    )
    .await;
}
