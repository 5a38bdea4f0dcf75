//! Writing, reading, sorting and paging reviews, rating summaries and helpful votes.

use std::collections::HashSet;

use reviews_api::types::{self, ReviewSort};

use crate::helpers::{self, into_result, product_in};

/// Each review written counts once under its rating; a refused one (the author's second
/// review of the product) counts nothing. The store's connection pool is reported too.
#[tokio::test]
async fn the_ratings_of_the_reviews_written_are_counted() {
    let reviews = helpers::spawn().await;
    let product = product_in("shoes");
    let counted = |metrics: &str, rating: u32| -> u64 {
        let series = format!("localmart_reviews_posted_total{{rating=\"{rating}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(series.as_str())?.parse().ok())
            .unwrap_or(0)
    };
    let metrics = || async {
        let answer = reqwest::get(reviews.url("/metrics"))
            .await
            .expect("the metrics");
        answer.text().await.expect("text")
    };
    let before = metrics().await;
    reviews
        .write(product.id, "Counter A", 4)
        .await
        .expect("written");
    reviews
        .write(product.id, "Counter B", 4)
        .await
        .expect("written");
    reviews
        .write(product.id, "Counter C", 2)
        .await
        .expect("written");
    let (status, _) = reviews
        .write(product.id, "Counter C", 5)
        .await
        .expect_err("one review per author and product");
    assert_eq!(status, 409);
    let after = metrics().await;
    assert_eq!(counted(&after, 4), counted(&before, 4) + 2);
    assert_eq!(counted(&after, 2), counted(&before, 2) + 1);
    assert_eq!(
        counted(&after, 5),
        counted(&before, 5),
        "the refused review is not counted"
    );
    // The store's pool, counted from the driver's connection events: open, and none held
    // once the writes are answered.
    let connections = |state: &str| -> Option<u32> {
        let series = format!(r#"localmart_pool_connections{{pool="mongodb",state="{state}"}} "#);
        after
            .lines()
            .find_map(|line| line.strip_prefix(series.as_str())?.parse().ok())
    };
    assert_eq!(connections("in_use"), Some(0), "{after}");
    assert!(connections("idle").is_some_and(|idle| idle >= 1), "{after}");
    assert!(
        after
            .lines()
            .any(|line| line == r#"localmart_pool_max_connections{pool="mongodb"} 32"#),
        "{after}"
    );
}

#[tokio::test]
async fn a_review_is_stored_exactly_as_written_and_read_back() {
    let reviews = helpers::spawn().await;
    let shoe = product_in("shoes");
    let text = "<b>Great</b> & \"comfy\" — 👟\n\n  <script>alert('x')</script>  ";
    let input: types::ReviewInput = serde_json::from_value(serde_json::json!({
        "author": "Ada <admin>",
        "rating": 4,
        "title": "Fits <i>well</i>",
        "body": text,
        "attributes": { "fit": "true to size", "comfort": "all day" },
    }))
    .expect("a valid review");
    let created = reviews.write_input(shoe.id, input).await.expect("created");
    assert_eq!(created.body, text, "text is stored exactly as written");
    assert_eq!(created.title, "Fits <i>well</i>");
    assert_eq!(created.author, "Ada <admin>");
    assert_eq!(
        created.attributes.get("fit").map(String::as_str),
        Some("true to size")
    );
    assert_eq!(created.helpful_count, 0);

    let read = into_result(
        reviews
            .client
            .get_review()
            .review_id(created.id)
            .send()
            .await,
    )
    .expect("the review");
    assert_eq!(
        (read.id, read.body.as_str(), read.rating),
        (created.id, text, 4)
    );
    let page = reviews.list(shoe.id, ReviewSort::Newest, 10, None).await;
    assert_eq!(
        page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![created.id]
    );
    assert!(page.next_cursor.is_none());
}

#[tokio::test]
async fn the_summary_matches_a_known_set_of_reviews() {
    let reviews = helpers::spawn().await;
    let (reviewed, quiet) = (product_in("audio"), product_in("books"));
    for (n, rating) in [5, 5, 4, 3, 1, 5, 2].into_iter().enumerate() {
        reviews
            .write(reviewed.id, &format!("Reader {n}"), rating)
            .await
            .expect("created");
    }
    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(reviewed.id)
        .send()
        .await
        .expect("a summary")
        .into_inner();
    assert_eq!(summary.count, 7);
    let stars = &summary.stars;
    assert_eq!(
        (stars.x1, stars.x2, stars.x3, stars.x4, stars.x5),
        (1, 1, 1, 1, 3)
    );
    assert!((summary.average - 3.57).abs() < 1e-9, "{}", summary.average);

    let empty = reviews
        .client
        .get_rating_summary()
        .product_id(quiet.id)
        .send()
        .await
        .expect("a summary")
        .into_inner();
    assert_eq!((empty.count, empty.average), (0, 0.0));

    let request = types::RatingSummariesRequest {
        product_ids: vec![quiet.id, reviewed.id, quiet.id],
    };
    let batch = reviews
        .client
        .get_rating_summaries()
        .body(request)
        .send()
        .await
        .expect("summaries")
        .into_inner();
    let counts: Vec<_> = batch
        .items
        .iter()
        .map(|s| (s.product_id, s.count))
        .collect();
    assert_eq!(
        counts,
        vec![(quiet.id, 0), (reviewed.id, 7), (quiet.id, 0)],
        "in request order"
    );
}

#[tokio::test]
async fn every_sort_order_pages_without_duplicates_or_gaps() {
    let reviews = helpers::spawn().await;
    let product = product_in("electronics");
    let mut written = Vec::new();
    for n in 0..23u32 {
        written.push(
            reviews
                .write(product.id, &format!("Tester {n}"), 1 + n % 5)
                .await
                .expect("created"),
        );
    }
    // Some helpful votes, so "most helpful" has something to sort by (and ties too).
    let mut voters = Vec::new();
    for _ in 0..3 {
        voters.push(reviews.voter().await);
    }
    for (n, review) in written.iter().enumerate().take(9) {
        for voter in &voters[..n % 4] {
            reviews.vote(review.id, voter).await.expect("voted");
        }
    }

    for sort in [
        ReviewSort::Newest,
        ReviewSort::Highest,
        ReviewSort::Lowest,
        ReviewSort::MostHelpful,
    ] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = reviews.list(product.id, sort, 4, cursor).await;
            assert!(page.items.len() <= 4);
            seen.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let ids: HashSet<_> = seen.iter().map(|r| r.id).collect();
        assert_eq!(
            (seen.len(), ids.len()),
            (23, 23),
            "{sort:?}: every review exactly once"
        );
        let keys: Vec<(i64, chrono::DateTime<chrono::Utc>)> = seen
            .iter()
            .map(|r| match sort {
                ReviewSort::Newest => (0, r.created_at),
                ReviewSort::Highest => (-i64::from(r.rating), r.created_at),
                ReviewSort::Lowest => (i64::from(r.rating), r.created_at),
                ReviewSort::MostHelpful => (-i64::from(r.helpful_count), r.created_at),
            })
            .collect();
        assert!(
            keys.windows(2)
                .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 >= w[1].1)),
            "{sort:?} is out of order: {keys:?}"
        );
    }

    let fives = reviews
        .client
        .list_reviews()
        .product_id(product.id)
        .rating(5u32)
        .limit(50u32)
        .send()
        .await
        .expect("a page");
    let fives = fives.into_inner().items;
    assert_eq!(
        fives.len(),
        written.iter().filter(|r| r.rating == 5).count()
    );
    assert!(fives.iter().all(|r| r.rating == 5));
}

#[tokio::test]
async fn a_voter_counts_once_however_often_they_vote() {
    let reviews = helpers::spawn().await;
    let review = reviews
        .write(product_in("garden").id, "Gardener", 5)
        .await
        .expect("created");
    let (first, second) = (reviews.voter().await, reviews.voter().await);
    assert_ne!(first, second, "every voter is new");
    for _ in 0..3 {
        assert_eq!(reviews.vote(review.id, &first).await.expect("voted"), 1);
    }
    assert_eq!(reviews.vote(review.id, &second).await.expect("voted"), 2);
    let (status, error) = reviews
        .vote(uuid::Uuid::new_v4(), &first)
        .await
        .expect_err("no such review");
    assert_eq!((status, error.code.as_str()), (404, "review_not_found"));
}

#[tokio::test]
async fn only_voters_the_service_issued_count() {
    let reviews = helpers::spawn().await;
    let review = reviews
        .write(product_in("garden").id, "Gardener", 5)
        .await
        .expect("created");
    let issued = reviews.voter().await.voter.to_string();
    let (id, signature) = issued.split_once('.').expect("an id and its signature");
    // Well-formed, so they pass the contract's pattern and reach the signature check.
    let other_id = uuid::Uuid::new_v4().simple().to_string();
    let unsigned = "A".repeat(signature.len());
    for made_up in [
        format!("{other_id}.{signature}"),
        format!("{id}.{unsigned}"),
    ] {
        let voter = types::HelpfulVote {
            voter: made_up.parse().expect("the contract's shape"),
        };
        let (status, error) = reviews.vote(review.id, &voter).await.expect_err("refused");
        assert_eq!(
            (status, error.code.as_str()),
            (422, "unknown_voter"),
            "{made_up}"
        );
    }
    // A client's own string is not even a voter's shape.
    let response = reviews
        .http
        .post(reviews.url(&format!("/v1/reviews/{}/helpful", review.id)))
        .json(&serde_json::json!({ "voter": "visitor-1" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 422);
    let read = reviews
        .client
        .get_review()
        .review_id(review.id)
        .send()
        .await;
    assert_eq!(read.expect("the review").into_inner().helpful_count, 0);
}

#[tokio::test]
async fn one_review_per_author_and_product() {
    let reviews = helpers::spawn().await;
    let product = product_in("toys-games");
    reviews.write(product.id, "Ada", 5).await.expect("created");
    let (status, error) = reviews
        .write(product.id, " ada ", 3)
        .await
        .expect_err("a second review");
    assert_eq!((status, error.code.as_str()), (409, "duplicate_review"));
    assert!(
        error.message.contains("already reviewed"),
        "{}",
        error.message
    );
    // Written to look the same: a Cyrillic capital A, a zero-width space, full-width
    // letters.
    for look_alike in ["\u{410}da", "Ad\u{200b}a", "\u{ff21}\u{ff44}\u{ff41}"] {
        let (status, error) = reviews
            .write(product.id, look_alike, 1)
            .await
            .expect_err("a look-alike of the same name");
        assert_eq!(
            (status, error.code.as_str()),
            (409, "duplicate_review"),
            "{look_alike:?}"
        );
    }
    reviews
        .write(product_in("books").id, "Ada", 4)
        .await
        .expect("another product is fine");
    let page = reviews.list(product.id, ReviewSort::Newest, 10, None).await;
    assert_eq!(page.items.len(), 1, "the refused reviews were not stored");
}

#[tokio::test]
async fn reviews_stored_under_an_older_fold_are_compared_the_new_way_after_a_restart() {
    let mut reviews = helpers::spawn().await;
    let product = product_in("toys-games");
    let written = reviews.write(product.id, "J0hn", 4).await.expect("created");
    // As a review written before names were folded (only lower-cased) was stored.
    let client = mongodb::Client::with_uri_str(&reviews.mongodb_uri)
        .await
        .expect("the store");
    let collection = client
        .database(&reviews.database)
        .collection::<mongodb::bson::Document>("reviews");
    let filter = mongodb::bson::doc! { "_id": written.id.to_string() };
    let old_key = mongodb::bson::doc! { "$set": { "author_key": "j0hn" } };
    collection
        .update_one(filter, old_key)
        .await
        .expect("the old key set");

    reviews.restart_service().await;
    let (status, error) = reviews
        .write(product.id, "John", 5)
        .await
        .expect_err("John and J0hn look the same");
    assert_eq!((status, error.code.as_str()), (409, "duplicate_review"));
}

#[tokio::test]
async fn a_look_alike_pair_stored_under_older_keys_both_stay_and_the_service_starts() {
    let mut reviews = helpers::spawn().await;
    let product = product_in("toys-games");
    reviews.write(product.id, "John", 5).await.expect("created");
    // "J0hn", stored when names were only lower-cased, so its key differed then; now
    // both names fold to one key, which the unique index holds for John.
    reviews
        .store_a_copy(
            mongodb::bson::doc! { "product_id": product.id.to_string() },
            mongodb::bson::doc! { "author": "J0hn", "author_key": "j0hn" },
        )
        .await;

    reviews.restart_service().await;
    let listed = reviews
        .list(product.id, ReviewSort::Newest, 10, None)
        .await
        .items;
    assert_eq!(listed.len(), 2, "both stay");
}

#[tokio::test]
async fn an_admin_deletes_a_review_and_the_summary_follows() {
    let reviews = helpers::spawn().await;
    let product = product_in("beauty");
    let kept = reviews
        .write(product.id, "Keeper", 5)
        .await
        .expect("created");
    let removed = reviews
        .write(product.id, "Spammer", 1)
        .await
        .expect("created");

    let (status, _) = into_result(
        reviews
            .client
            .delete_review()
            .review_id(removed.id)
            .send()
            .await,
    )
    .expect_err("no token");
    assert_eq!(status, 401);
    reviews
        .admin
        .delete_review()
        .review_id(removed.id)
        .send()
        .await
        .expect("deleted");
    let (status, _) = into_result(
        reviews
            .client
            .get_review()
            .review_id(removed.id)
            .send()
            .await,
    )
    .expect_err("gone");
    assert_eq!(status, 404);

    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(product.id)
        .send()
        .await
        .expect("a summary")
        .into_inner();
    assert_eq!((summary.count, summary.average), (1, 5.0));
    assert_eq!(
        reviews
            .list(product.id, ReviewSort::Newest, 10, None)
            .await
            .items[0]
            .id,
        kept.id
    );
}

#[tokio::test]
async fn the_store_has_an_index_for_every_query() {
    let reviews = helpers::spawn().await;
    let store = reviews.store_at(&reviews.mongodb_uri).await;
    let names: HashSet<String> = store
        .index_names()
        .await
        .expect("the indexes")
        .into_iter()
        .collect();
    for expected in reviews::store::INDEXES {
        assert!(
            names.contains(*expected),
            "{expected} is missing from {names:?}"
        );
    }
}

/// The store as the test sees it: the reviews and the votes collections.
async fn collections(
    reviews: &helpers::TestReviews,
) -> (
    mongodb::Collection<mongodb::bson::Document>,
    mongodb::Collection<mongodb::bson::Document>,
) {
    let client = mongodb::Client::with_uri_str(&reviews.mongodb_uri)
        .await
        .expect("the store");
    let database = client.database(&reviews.database);
    (database.collection("reviews"), database.collection("votes"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_are_kept_apart_from_the_review_and_each_counts_once_when_they_race() {
    let reviews = helpers::spawn().await;
    let review = reviews
        .write(product_in("garden").id, "Gardener", 5)
        .await
        .expect("created");
    // 20 voters at once, each voting twice.
    let mut voters = Vec::new();
    for _ in 0..20 {
        voters.push(reviews.voter().await);
    }
    let votes: Vec<_> = (0..40)
        .map(|n| {
            let client = reviews.client.clone();
            let vote = voters[n % 20].clone();
            let id = review.id;
            tokio::spawn(async move {
                let request = client.mark_helpful().review_id(id).body(vote);
                request.send().await.map(drop)
            })
        })
        .collect();
    for vote in votes {
        vote.await.expect("a voter").expect("voted");
    }
    let read = into_result(
        reviews
            .client
            .get_review()
            .review_id(review.id)
            .send()
            .await,
    )
    .expect("the review");
    assert_eq!(read.helpful_count, 20);

    let (stored_reviews, stored_votes) = collections(&reviews).await;
    let stored = stored_reviews
        .find_one(mongodb::bson::doc! { "_id": review.id.to_string() })
        .await
        .expect("a read")
        .expect("the review");
    assert!(
        !stored.contains_key("voters"),
        "the review holds no voter list: {stored}"
    );
    let filter = mongodb::bson::doc! { "review_id": review.id.to_string() };
    let counted = stored_votes.count_documents(filter.clone()).await;
    assert_eq!(counted.expect("a count"), 20);

    let deleted = reviews
        .admin
        .delete_review()
        .review_id(review.id)
        .send()
        .await;
    deleted.expect("deleted");
    let counted = stored_votes.count_documents(filter).await;
    assert_eq!(counted.expect("a count"), 0, "its votes went with it");
}

#[tokio::test]
async fn voters_kept_inside_a_review_before_are_moved_out_at_start() {
    let mut reviews = helpers::spawn().await;
    let review = reviews
        .write(product_in("garden").id, "Gardener", 5)
        .await
        .expect("created");
    // As reviews were stored before: the voters inside, the count beside them.
    let (stored_reviews, stored_votes) = collections(&reviews).await;
    let filter = mongodb::bson::doc! { "_id": review.id.to_string() };
    let inside = mongodb::bson::doc! {
        "$set": { "voters": ["old-1", "old-2"], "helpful_count": 2 }
    };
    stored_reviews
        .update_one(filter.clone(), inside)
        .await
        .expect("the old shape");

    reviews.restart_service().await;
    let stored = stored_reviews.find_one(filter).await.expect("a read");
    assert!(!stored.expect("the review").contains_key("voters"));
    let moved = mongodb::bson::doc! { "review_id": review.id.to_string() };
    assert_eq!(
        stored_votes.count_documents(moved).await.expect("a count"),
        2
    );
    let new_voter = reviews.voter().await;
    assert_eq!(
        reviews.vote(review.id, &new_voter).await.expect("voted"),
        3,
        "the old votes still count, beside the new"
    );
}

/// A product's rating summary, as the storefront reads it.
async fn summary_of(reviews: &helpers::TestReviews, product: uuid::Uuid) -> (i64, [i64; 5]) {
    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(product)
        .send()
        .await
        .expect("a summary")
        .into_inner();
    let stars = &summary.stars;
    (
        summary.count,
        [stars.x1, stars.x2, stars.x3, stars.x4, stars.x5],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_stays_exact_when_reviews_of_its_product_are_written_at_once() {
    let reviews = std::sync::Arc::new(helpers::spawn().await);
    let product = product_in("home-kitchen").id;
    // 20 shoppers review the product at once, each with one to five stars.
    let writes: Vec<_> = (0..20u32)
        .map(|n| {
            let reviews = std::sync::Arc::clone(&reviews);
            tokio::spawn(async move {
                let author = format!("Shopper {n}");
                reviews.write(product, &author, n % 5 + 1).await
            })
        })
        .collect();
    let mut written = Vec::new();
    for write in writes {
        written.push(write.await.expect("the task").expect("created"));
    }
    assert_eq!(summary_of(&reviews, product).await, (20, [4, 4, 4, 4, 4]));

    // Five deleted at once: one of each rating.
    let deletes: Vec<_> = written[..5]
        .iter()
        .map(|review| {
            let reviews = std::sync::Arc::clone(&reviews);
            let id = review.id;
            tokio::spawn(async move {
                let request = reviews.admin.delete_review().review_id(id);
                request.send().await.map(|response| response.status())
            })
        })
        .collect();
    for delete in deletes {
        let status = delete.await.expect("the task").expect("deleted");
        assert_eq!(status, 204);
    }
    assert_eq!(summary_of(&reviews, product).await, (15, [3, 3, 3, 3, 3]));
}

#[tokio::test]
async fn summaries_are_set_at_start_from_reviews_stored_without_them() {
    let mut reviews = helpers::spawn().await;
    let product = product_in("books");
    let written = reviews
        .write(product.id, "Reader", 2)
        .await
        .expect("created");
    // As if the service had stopped between storing reviews and setting the summary: one
    // more review is in the store, and the summary counts neither.
    reviews
        .store_a_copy(
            mongodb::bson::doc! { "_id": written.id.to_string() },
            mongodb::bson::doc! {
                "author": "Another Reader", "author_key": "another reader", "rating": 5,
            },
        )
        .await;
    let client = mongodb::Client::with_uri_str(&reviews.mongodb_uri)
        .await
        .expect("the store");
    let database = client.database(&reviews.database);
    database
        .collection::<mongodb::bson::Document>("summaries")
        .delete_many(mongodb::bson::doc! {})
        .await
        .expect("summaries gone");
    assert_eq!(summary_of(&reviews, product.id).await.0, 0);

    reviews.restart_service().await;
    assert_eq!(summary_of(&reviews, product.id).await, (2, [0, 1, 0, 0, 1]));
}

#[tokio::test]
async fn a_store_copied_to_another_server_serves_the_same_reviews() {
    let reviews = helpers::spawn().await;
    let product = product_in("garden");
    let review = reviews
        .write(product.id, "Gardener", 4)
        .await
        .expect("created");
    let voter = reviews.voter().await;
    reviews.vote(review.id, &voter).await.expect("voted");

    // Another server, as when an installation moves from one FerretDB backend to another.
    let other = testkit::ferretdb::FerretDbServer::start()
        .await
        .expect("another FerretDB");
    let target = reviews.store_at(&other.uri()).await;
    // Run twice, as after a copy cut short: nothing is there twice.
    for _ in 0..2 {
        let copied = target
            .copy_from(&reviews.mongodb_uri)
            .await
            .expect("copied");
        assert!(copied >= 3, "a review, a vote and a summary: {copied}");
    }

    let moved = reviews.another_service_at(&other.uri()).await;
    let listed: serde_json::Value = reqwest::get(format!(
        "{}/v1/products/{}/reviews",
        moved.http_url(),
        product.id
    ))
    .await
    .expect("an answer")
    .json()
    .await
    .expect("a page");
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], review.id.to_string());
    assert_eq!(items[0]["helpful_count"], 1);
    // The vote came along: the same voter still counts once.
    let again: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/v1/reviews/{}/helpful",
            moved.http_url(),
            review.id
        ))
        .json(&voter)
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("the review");
    assert_eq!(again["helpful_count"], 1);
}

#[tokio::test]
async fn the_demo_reviews_give_every_listed_product_reviews_once() {
    let reviews = helpers::spawn().await;
    let store = reviews.store_at(&reviews.mongodb_uri).await;
    let seeded = reviews::demo::seed(&store, &reviews.catalog.http_url())
        .await
        .expect("seeded");
    let reviews::demo::Seeded::Written { votes, .. } = seeded else {
        panic!("an empty store was left as is");
    };
    assert!(votes > 0, "no helpful votes");

    // Every product the shop lists has reviews, and its summary counts them.
    let listed: Vec<uuid::Uuid> = catalog::seed::products()
        .into_iter()
        .filter(|product| product.active)
        .map(|product| product.id)
        .collect();
    let mut counts = Vec::new();
    for batch in listed.chunks(100) {
        let summaries = reviews
            .client
            .get_rating_summaries()
            .body(types::RatingSummariesRequest {
                product_ids: batch.to_vec(),
            })
            .send()
            .await
            .expect("summaries")
            .into_inner()
            .items;
        counts.extend(
            summaries
                .into_iter()
                .map(|summary| (summary.count, summary.product_id)),
        );
    }
    counts.sort_unstable();
    assert!(counts[0].0 >= 1, "a listed product has no reviews");
    let (most, busiest) = counts[counts.len() - 1];
    assert!(
        most >= 100,
        "no product has hundreds of reviews: at most {most}"
    );

    // A second seed leaves the store as it is.
    assert_eq!(
        reviews::demo::seed(&store, &reviews.catalog.http_url())
            .await
            .expect("seeded again"),
        reviews::demo::Seeded::LeftAsIs
    );
    let summary = reviews
        .client
        .get_rating_summary()
        .product_id(busiest)
        .send()
        .await
        .expect("a summary")
        .into_inner();
    assert_eq!(summary.count, most);

    // The most helpful review's count is its votes: one more voter makes it one more.
    let top = reviews
        .list(busiest, ReviewSort::MostHelpful, 1, None)
        .await
        .items
        .remove(0);
    assert!(top.helpful_count > 0);
    let voter = reviews.voter().await;
    let after = reviews.vote(top.id, &voter).await.expect("voted");
    assert_eq!(after, top.helpful_count + 1);
}

#[tokio::test]
async fn listings_and_summaries_show_this_services_writes_at_once_and_another_services_within_the_bound()
 {
    let reviews = helpers::spawn().await;
    let product = product_in("audio").id;
    // How many reviews the product's summary counts, alone and in a listing's batch.
    let counted = |base_url: String| async move {
        let alone: serde_json::Value =
            reqwest::get(format!("{base_url}/v1/products/{product}/rating-summary"))
                .await
                .expect("an answer")
                .json()
                .await
                .expect("a summary");
        let batch: serde_json::Value = reqwest::Client::new()
            .post(format!("{base_url}/v1/rating-summaries/batch"))
            .json(&serde_json::json!({ "product_ids": [product] }))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("summaries");
        (alone["count"].as_i64(), batch["items"][0]["count"].as_i64())
    };
    assert_eq!(counted(reviews.base_url.clone()).await, (Some(0), Some(0)));
    let first_page = |base_url: String| async move {
        let page: serde_json::Value = reqwest::get(format!(
            "{base_url}/v1/products/{product}/reviews?sort=most_helpful"
        ))
        .await
        .expect("an answer")
        .json()
        .await
        .expect("a page");
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let author = item["author"].as_str().unwrap_or_default().to_owned();
                (author, item["helpful_count"].as_i64().unwrap_or_default())
            })
            .collect::<Vec<_>>()
    };
    assert!(first_page(reviews.base_url.clone()).await.is_empty());

    // This service's own writes show at once, though the empty page was kept.
    let written = reviews
        .write(product, "Listener", 5)
        .await
        .expect("created");
    assert_eq!(
        first_page(reviews.base_url.clone()).await,
        [("Listener".to_owned(), 0)]
    );
    assert_eq!(
        counted(reviews.base_url.clone()).await,
        (Some(1), Some(1)),
        "the summary kept when it counted none is dropped by the write"
    );
    let voter = reviews.voter().await;
    reviews.vote(written.id, &voter).await.expect("voted");
    assert_eq!(
        first_page(reviews.base_url.clone()).await,
        [("Listener".to_owned(), 1)]
    );

    // Another Reviews process on the same store: its write shows here within the bound.
    let other = reviews.another_service_at(&reviews.mongodb_uri).await;
    let other_client = reviews_api::Client::new(
        &other.http_url(),
        reviews_api::client::HeaderHook::default(),
    );
    let input: types::ReviewInput = serde_json::from_value(serde_json::json!({
        "author": "Other", "rating": 4, "title": "Fine", "body": "Written elsewhere.",
    }))
    .expect("a review");
    other_client
        .create_review()
        .product_id(product)
        .body(input)
        .send()
        .await
        .expect("created through the other service");
    testkit::poll_until(
        "the other service's review to show",
        reviews::testing::READ_CACHE + std::time::Duration::from_millis(500),
        || {
            let base_url = reviews.base_url.clone();
            async move {
                let page = first_page(base_url.clone()).await;
                anyhow::ensure!(page.len() == 2, "{page:?}");
                let counts = counted(base_url).await;
                anyhow::ensure!(counts == (Some(2), Some(2)), "{counts:?}");
                Ok(())
            }
        },
    )
    .await
    .expect("shown within the bound");
}
