//! Reviews when the Catalog is away: writing waits, reading carries on.

use std::time::Duration;

use reviews_api::types::ReviewSort;

use crate::helpers::{self, into_result, product_in};

#[tokio::test]
async fn without_the_catalog_writes_get_503_and_reads_keep_working() {
    let mut reviews = helpers::spawn().await;
    let (reviewed, other) = (product_in("furniture"), product_in("groceries"));
    let existing = reviews.write(reviewed.id, "Ada", 4).await.expect("created");

    reviews.catalog.stop().await.expect("the catalog stops");
    let response = reviews
        .http
        .post(reviews.url(&format!("/v1/products/{}/reviews", other.id)))
        .json(&serde_json::json!({ "author": "Bob", "rating": 3, "title": "Ok", "body": "Fine." }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["code"], "catalog_unavailable");

    let page = reviews
        .list(reviewed.id, ReviewSort::Newest, 10, None)
        .await;
    assert_eq!(
        page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![existing.id]
    );
    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(reviewed.id)
        .send()
        .await
        .expect("a summary");
    assert_eq!(summary.into_inner().count, 1);
    into_result(
        reviews
            .client
            .get_review()
            .review_id(existing.id)
            .send()
            .await,
    )
    .expect("the review");
    let listed_other = reviews.list(other.id, ReviewSort::Newest, 10, None).await;
    assert!(
        listed_other.items.is_empty(),
        "the refused review was not written"
    );

    reviews
        .catalog
        .restart()
        .await
        .expect("the catalog starts again");
    testkit::poll_until("writing to work again", Duration::from_secs(30), || {
        let reviews = &reviews;
        async move {
            reviews
                .write(other.id, "Bob", 3)
                .await
                .map(drop)
                .map_err(|(status, e)| anyhow::anyhow!("{status} {}", e.message))
        }
    })
    .await
    .expect("the service recovers by itself");
}
