//! Every bad input gets a 4xx with the error body that says what is wrong, and writes
//! nothing.

use serde_json::{Value, json};
use testkit::refusal::error_of;

use crate::helpers::{self, product_in};

#[tokio::test]
async fn bad_reviews_are_refused_and_nothing_is_written() {
    let reviews = helpers::spawn().await;
    let shoe = product_in("shoes");
    let url = reviews.url(&format!("/v1/products/{}/reviews", shoe.id));
    let good = json!({ "author": "Ada", "rating": 4, "title": "Good", "body": "Fine shoes." });
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = good.clone();
        change(&mut body);
        body
    };
    let many: serde_json::Map<String, Value> =
        (0..11).map(|n| (format!("a{n}"), json!("x"))).collect();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "no stars",
            with(&|b| b["rating"] = json!(0)),
            "invalid_body",
            "rating",
        ),
        (
            "six stars",
            with(&|b| b["rating"] = json!(6)),
            "invalid_review",
            "1 to 5",
        ),
        (
            "empty title",
            with(&|b| b["title"] = json!("")),
            "invalid_body",
            "title",
        ),
        (
            "blank title",
            with(&|b| b["title"] = json!("   ")),
            "invalid_body",
            "title",
        ),
        (
            "over-long body",
            with(&|b| b["body"] = json!("x".repeat(5001))),
            "invalid_body",
            "body",
        ),
        (
            "over-long author",
            with(&|b| b["author"] = json!("x".repeat(61))),
            "invalid_body",
            "author",
        ),
        (
            "missing body",
            with(&|b| {
                b.as_object_mut().map(|o| o.remove("body"));
            }),
            "invalid_body",
            "body",
        ),
        (
            "too many attributes",
            with(&|b| b["attributes"] = Value::Object(many.clone())),
            "invalid_review",
            "10",
        ),
        (
            "attribute of another category",
            with(&|b| b["attributes"] = json!({"battery_life": "long"})),
            "unknown_attribute",
            "fit, comfort",
        ),
        (
            "unknown field",
            with(&|b| b["stars"] = json!(5)),
            "invalid_body",
            "stars",
        ),
    ];
    for (what, body, code, says) in cases {
        let (status, got_code, message) = error_of(reviews.http.post(&url).json(&body)).await;
        assert_eq!(
            (status, got_code.as_str()),
            (422, code),
            "{what}: {message}"
        );
        assert!(
            message.contains(says),
            "{what}: {message:?} should say {says:?}"
        );
    }
    let (status, code, _) = error_of(
        reviews
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "malformed_body"));
    let (status, code, _) = error_of(reviews.http.post(&url).body(good.to_string())).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    let unknown = reviews.url(&format!("/v1/products/{}/reviews", uuid::Uuid::new_v4()));
    let (status, code, message) = error_of(reviews.http.post(&unknown).json(&good)).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "unknown_product"),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");

    let listed: Value = reviews
        .http
        .get(&url)
        .send()
        .await
        .expect("a page")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["items"], json!([]), "nothing was written");
}

#[tokio::test]
async fn bad_listings_and_ids_are_400s() {
    let reviews = helpers::spawn().await;
    let product = product_in("audio");
    reviews.write(product.id, "Ada", 5).await.expect("created");
    reviews.write(product.id, "Bob", 4).await.expect("created");
    let base = format!("/v1/products/{}/reviews", product.id);
    for (query, named) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("rating=6", "rating"),
        ("rating=0", "rating"),
        ("sort=random", "sort"),
        ("cursor=not-a-cursor", "cursor"),
    ] {
        let (status, _, message) =
            error_of(reviews.http.get(reviews.url(&format!("{base}?{query}")))).await;
        assert_eq!(status, 400, "{query}: {message}");
        assert!(
            message.contains(named),
            "{query}: {message:?} should name {named}"
        );
    }
    let first: Value = reviews
        .http
        .get(reviews.url(&format!("{base}?limit=1")))
        .send()
        .await
        .expect("a page")
        .json()
        .await
        .expect("JSON");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (status, code, message) = error_of(
        reviews
            .http
            .get(reviews.url(&format!("{base}?limit=1&sort=highest&cursor={cursor}"))),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (400, "invalid_cursor"),
        "{message}"
    );

    for path in [
        "/v1/reviews/nope",
        "/v1/products/123/reviews",
        "/v1/products/x/rating-summary",
    ] {
        let (status, code, _) = error_of(reviews.http.get(reviews.url(path))).await;
        assert_eq!((status, code.as_str()), (400, "invalid_path"), "{path}");
    }
    let batch = reviews.url("/v1/rating-summaries/batch");
    let (status, _, _) =
        error_of(reviews.http.post(&batch).json(&json!({"product_ids": []}))).await;
    assert_eq!(status, 422);
    let ids: Vec<_> = (0..101).map(|_| uuid::Uuid::new_v4()).collect();
    let (status, _, message) =
        error_of(reviews.http.post(&batch).json(&json!({"product_ids": ids}))).await;
    assert_eq!(status, 422);
    assert!(message.contains("100"), "{message}");
    let (status, _, _) = error_of(
        reviews
            .http
            .post(&batch)
            .json(&json!({"product_ids": ["x"]})),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn nul_characters_are_refused_not_500s() {
    let reviews = helpers::spawn().await;
    let shoe = product_in("shoes");
    let url = reviews.url(&format!("/v1/products/{}/reviews", shoe.id));
    for field in ["author", "title", "body"] {
        let mut body =
            json!({ "author": "Ada", "rating": 4, "title": "Good", "body": "Fine shoes." });
        body[field] = json!("a\u{0}b");
        let (status, _, message) = error_of(reviews.http.post(&url).json(&body)).await;
        assert_eq!(status, 422, "{field}: {message}");
        assert!(message.contains(field), "{field}: {message}");
    }
    let listed: Value = reviews
        .http
        .get(&url)
        .send()
        .await
        .expect("a page")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["items"], json!([]), "nothing was written");
}
