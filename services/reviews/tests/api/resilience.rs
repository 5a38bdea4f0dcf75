//! Reviews when the Catalog is away: writing waits, reading carries on.

use std::time::Duration;

use reviews_api::types::ReviewSort;
use testkit::Faults;

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

/// A store that keeps its connections but answers nothing (SIGSTOP): every call gives up
/// after the store's timeout, so shoppers get a 503 `store_unavailable` rather than
/// waiting out the request's deadline, and nothing is written twice.
#[tokio::test]
async fn with_the_store_frozen_requests_get_a_prompt_503_and_it_recovers_by_itself() {
    let mut reviews = helpers::spawn_with(true).await;
    let product = product_in("furniture");
    let existing = reviews.write(product.id, "Ada", 4).await.expect("created");

    reviews
        .ferretdb
        .as_mut()
        .expect("its own FerretDB")
        .freeze()
        .expect("frozen");
    let listing = reviews
        .http
        .get(reviews.url(&format!("/v1/products/{}/reviews", product.id)))
        .send();
    let posting = reviews
        .http
        .post(reviews.url(&format!("/v1/products/{}/reviews", product.id)))
        .json(&serde_json::json!({ "author": "Bob", "rating": 3, "title": "Ok", "body": "Fine." }))
        .send();
    let (listed, posted) = tokio::join!(listing, posting);
    for response in [listed.expect("an answer"), posted.expect("an answer")] {
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(
            body["code"], "store_unavailable",
            "the store's timeout, not the request's deadline: {body}"
        );
    }
    let ready = reviews.http.get(reviews.url("/readyz")).send().await;
    assert_eq!(ready.expect("an answer").status(), 503);

    reviews
        .ferretdb
        .as_mut()
        .expect("its own FerretDB")
        .thaw()
        .expect("thawed");
    let page = testkit::poll_until(
        "reviews to answer again",
        Duration::from_secs(10),
        || async {
            let listed = reviews
                .client
                .list_reviews()
                .product_id(product.id)
                .send()
                .await?;
            anyhow::Ok(listed.into_inner())
        },
    )
    .await
    .expect("it recovers by itself");
    assert!(page.items.iter().any(|review| review.id == existing.id));
    // The review posted while frozen may have been written once the store went on; a
    // retry never makes it twice (one review per author).
    let retried = reviews.write(product.id, "Bob", 3).await;
    assert!(
        matches!(&retried, Ok(_) | Err((409, _))),
        "{:?}",
        retried.err()
    );
    let page = reviews.list(product.id, ReviewSort::Newest, 10, None).await;
    let bobs = page.items.iter().filter(|review| review.author == "Bob");
    assert_eq!(bobs.count(), 1, "Bob's review once");
}
