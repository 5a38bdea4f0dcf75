//! The fault suite for Reviews: FerretDB killed (SIGKILL) while shoppers keep posting
//! reviews. A shopper retries a 503 with the same review; a 409 on a retry means the
//! earlier attempt was written. Afterwards every acknowledged review is stored exactly
//! once, every error on the way was a 503 with `Retry-After`, and the time the service
//! took to serve again after the fault ended is printed (`docs/resilience.md` keeps the
//! figures).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::helpers::{self, TestReviews, product_in};

const SHOPPERS: usize = 6;
/// Between one shopper's reviews, and between retries of one.
const PACE: Duration = Duration::from_millis(50);

#[derive(Debug, Default)]
struct Tally {
    acknowledged: usize,
    errors: BTreeMap<String, usize>,
    broken: Vec<String>,
    acknowledged_at: Vec<Instant>,
}

async fn post_reviews(
    reviews: Arc<TestReviews>,
    shopper: usize,
    product: Uuid,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    let url = reviews.url(&format!("/v1/products/{product}/reviews"));
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let review = serde_json::json!({
            "author": format!("Shopper {shopper}-{n}"),
            "rating": 1 + (n % 5),
            "title": "Held up well",
            "body": "Used it every day for a month.",
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut retrying = false;
        loop {
            let response = reviews.http.post(&url).json(&review).send().await;
            let response = response.expect("the service answers");
            let status = response.status().as_u16();
            let has_retry_after = response.headers().contains_key("retry-after");
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            let code = body["code"].as_str().unwrap_or_default().to_owned();
            match status {
                201 => {}
                409 if retrying && code == "duplicate_review" => {}
                503 if has_retry_after => {
                    *tally.errors.entry(code).or_default() += 1;
                    retrying = true;
                    assert!(Instant::now() < deadline, "a review was never acknowledged");
                    tokio::time::sleep(PACE).await;
                    continue;
                }
                _ => {
                    tally.broken.push(format!("{status} {body}"));
                    break;
                }
            }
            tally.acknowledged += 1;
            tally.acknowledged_at.push(Instant::now());
            break;
        }
        tokio::time::sleep(PACE).await;
    }
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferretdb_killed_mid_load_loses_no_acknowledged_review() {
    let mut reviews = helpers::spawn_with(true).await;
    let mut ferretdb = reviews.ferretdb.take().expect("its own FerretDB");
    let reviews = Arc::new(reviews);
    let product = product_in("furniture").id;
    let stop = Arc::new(AtomicBool::new(false));
    let shoppers: Vec<_> = (0..SHOPPERS)
        .map(|shopper| {
            tokio::spawn(post_reviews(
                reviews.clone(),
                shopper,
                product,
                stop.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    ferretdb.kill().expect("FerretDB killed");
    tokio::time::sleep(Duration::from_secs(1)).await;
    ferretdb.resume().await.expect("FerretDB back");
    let fault_ended = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);

    let (mut acknowledged, mut retried, mut recovered) = (0, 0, Duration::ZERO);
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for shopper in shoppers {
        let tally = shopper.await.expect("a shopper");
        assert!(
            tally.broken.is_empty(),
            "answers outside the contract: {:?}",
            tally.broken
        );
        acknowledged += tally.acknowledged;
        for (code, count) in tally.errors {
            retried += count;
            *codes.entry(code).or_default() += count;
        }
        let first_after = tally.acknowledged_at.iter().find(|at| **at >= fault_ended);
        let first_after = first_after.expect("every shopper is served after the fault");
        recovered = recovered.max(first_after.duration_since(fault_ended));
    }
    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(product)
        .send()
        .await;
    let stored = summary.expect("a summary").into_inner().count;
    let stored = usize::try_from(stored).expect("a count");
    println!(
        "fault FerretDB kill -9 for 1 s: {SHOPPERS} shoppers, {acknowledged} reviews \
         acknowledged, {} lost, {stored} stored, {retried} answered 503 and retried \
         ({codes:?}); every shopper served again within {} ms of the fault's end",
        acknowledged.saturating_sub(stored),
        recovered.as_millis()
    );
    assert_eq!(stored, acknowledged, "every acknowledged review, once");
    drop(ferretdb);
}
