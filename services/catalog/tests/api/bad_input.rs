//! Every kind of bad input gets a 4xx with the contract's error body that says what is
//! wrong, and writes nothing.

use serde_json::{Value, json};
use testkit::refusal::error_of;

use crate::helpers::{self, ADMIN_TOKEN, TestCatalog, product_input};

async fn product_count(catalog: &TestCatalog) -> i64 {
    catalog
        .client
        .list_products()
        .send()
        .await
        .expect("a page")
        .into_inner()
        .total_items
}

fn create(catalog: &TestCatalog) -> reqwest::RequestBuilder {
    catalog
        .http
        .post(catalog.url("/v1/products"))
        .bearer_auth(ADMIN_TOKEN)
}

#[tokio::test]
async fn malformed_ids_are_400s() {
    let catalog = helpers::spawn_empty().await;
    for path in [
        "/v1/products/not-a-uuid",
        "/v1/products/123/image",
        "/internal/v1/products/x/review-context",
    ] {
        let (status, code, message) = error_of(catalog.http.get(catalog.url(path))).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "invalid_path"),
            "{path}: {message}"
        );
        assert!(message.contains("product_id"), "{path}: {message}");
    }
}

#[tokio::test]
async fn out_of_range_and_unknown_query_parameters_are_400s() {
    let catalog = helpers::spawn_empty().await;
    let cases = [
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("sort=cheapest", "sort"),
        ("min_price=-1", "min_price"),
        ("category=Not%20A%20Slug", "category"),
    ];
    for (query, named) in cases {
        let (status, code, message) = error_of(
            catalog
                .http
                .get(catalog.url(&format!("/v1/products?{query}"))),
        )
        .await;
        assert_eq!(status, 400, "{query}: {message}");
        assert_eq!(code, "invalid_query", "{query}");
        assert!(
            message.contains(named),
            "{query}: the message {message:?} should name {named}"
        );
    }
    let long = "a".repeat(201);
    let (status, _, message) = error_of(
        catalog
            .http
            .get(catalog.url(&format!("/v1/products?q={long}"))),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        message.contains("q:") && message.contains("200"),
        "{message}"
    );
}

#[tokio::test]
async fn bad_product_bodies_are_refused_and_nothing_is_written() {
    let catalog = helpers::spawn_empty().await;
    let with = |change: fn(&mut Value)| {
        let mut body = product_input("LANTERN-2");
        change(&mut body);
        body
    };
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "negative price",
            with(|b| b["price"]["amount_minor"] = json!(-5)),
            422,
            "invalid_product",
            "amount_minor",
        ),
        (
            "lower-case currency",
            with(|b| b["price"]["currency"] = json!("usd")),
            422,
            "invalid_body",
            "currency",
        ),
        (
            "over-long name",
            with(|b| b["name"] = json!("x".repeat(201))),
            422,
            "invalid_body",
            "name",
        ),
        (
            "empty name",
            with(|b| b["name"] = json!("")),
            422,
            "invalid_body",
            "name",
        ),
        (
            "bad SKU",
            with(|b| b["sku"] = json!("lower case")),
            422,
            "invalid_body",
            "sku",
        ),
        (
            "stock over the limit",
            with(|b| b["stock"] = json!(1_000_001)),
            422,
            "invalid_product",
            "stock",
        ),
        (
            "unknown field",
            with(|b| b["colour"] = json!("red")),
            422,
            "invalid_body",
            "colour",
        ),
        (
            "missing price",
            with(|b| {
                b.as_object_mut().map(|o| o.remove("price"));
            }),
            422,
            "invalid_body",
            "price",
        ),
        (
            "unknown category",
            with(|b| b["category"] = json!("spaceships")),
            422,
            "unknown_category",
            "spaceships",
        ),
    ];
    for (what, body, status, code, named) in cases {
        let (got_status, got_code, message) = error_of(create(&catalog).json(&body)).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{what}: {message}"
        );
        assert!(
            message.contains(named),
            "{what}: the message {message:?} should name {named}"
        );
    }

    let (status, code, _) = error_of(
        create(&catalog)
            .header("content-type", "application/json")
            .body("{\"sku\": "),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "malformed_body"));
    let (status, code, _) = error_of(
        create(&catalog)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    assert_eq!(
        product_count(&catalog).await,
        0,
        "no refused request wrote anything"
    );
}

#[tokio::test]
async fn admin_operations_need_the_admin_token() {
    let catalog = helpers::spawn_empty().await;
    let body = product_input("LANTERN-3");
    let (status, code, _) =
        error_of(catalog.http.post(catalog.url("/v1/products")).json(&body)).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let (status, code, _) = error_of(
        catalog
            .http
            .post(catalog.url("/v1/products"))
            .bearer_auth("guess")
            .json(&body),
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let id = catalog::seed::products()[0].id;
    let (status, _, _) = error_of(
        catalog
            .http
            .delete(catalog.url(&format!("/v1/products/{id}"))),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(product_count(&catalog).await, 0);
}

#[tokio::test]
async fn a_duplicate_sku_is_a_409_and_keeps_the_first_product() {
    let catalog = helpers::spawn_empty().await;
    let first = create(&catalog)
        .json(&product_input("LANTERN-4"))
        .send()
        .await
        .expect("a response");
    assert_eq!(first.status(), 201);
    let mut second = product_input("LANTERN-4");
    second["name"] = json!("Another Lantern");
    let (status, code, message) = error_of(create(&catalog).json(&second)).await;
    assert_eq!((status, code.as_str()), (409, "duplicate_sku"));
    assert!(message.contains("LANTERN-4"), "{message}");
    let page = catalog
        .client
        .list_products()
        .send()
        .await
        .expect("a page")
        .into_inner();
    assert_eq!(
        page.items
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Test Lantern"]
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_error_body() {
    let catalog = helpers::spawn_empty().await;
    let (status, code, _) = error_of(catalog.http.get(catalog.url("/v1/nowhere"))).await;
    assert_eq!((status, code.as_str()), (404, "route_not_found"));
    let (status, code, _) = error_of(catalog.http.patch(catalog.url("/v1/products"))).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn a_callers_request_id_is_kept_in_the_header_and_the_error_body() {
    let catalog = helpers::spawn_empty().await;
    let response = catalog
        .http
        .get(catalog.url("/v1/products/nope"))
        .header("x-request-id", "checkout-42")
        .send()
        .await
        .expect("a response");
    assert_eq!(response.headers()["x-request-id"], "checkout-42");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["request_id"], "checkout-42");
}

#[tokio::test]
async fn too_many_or_too_long_attributes_are_422s() {
    let catalog = helpers::spawn_empty().await;
    let mut many = product_input("LANTERN-5");
    many["attributes"] = (0..51)
        .map(|n| (format!("key{n}"), json!("value")))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let (status, _, message) = error_of(create(&catalog).json(&many)).await;
    assert_eq!(status, 422, "{message}");
    assert!(message.contains("50"), "{message}");

    let mut long = product_input("LANTERN-6");
    long["attributes"] = json!({ "colour": "x".repeat(501) });
    let (status, _, message) = error_of(create(&catalog).json(&long)).await;
    assert_eq!(status, 422, "{message}");
    assert_eq!(product_count(&catalog).await, 0);
}

#[tokio::test]
async fn renaming_a_product_to_a_taken_sku_is_a_409_and_changes_nothing() {
    let catalog = helpers::spawn_empty().await;
    for sku in ["LANTERN-7", "LANTERN-8"] {
        let created = create(&catalog)
            .json(&product_input(sku))
            .send()
            .await
            .expect("a response");
        assert_eq!(created.status(), 201);
    }
    let page = catalog
        .client
        .list_products()
        .send()
        .await
        .expect("a page")
        .into_inner();
    let second = page
        .items
        .iter()
        .find(|p| p.sku.as_str() == "LANTERN-8")
        .expect("the second product");
    let mut renamed = product_input("LANTERN-7");
    renamed["name"] = json!("Renamed Lantern");
    let (status, code, _) = error_of(
        catalog
            .http
            .put(catalog.url(&format!("/v1/products/{}", second.id)))
            .bearer_auth(ADMIN_TOKEN)
            .json(&renamed),
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "duplicate_sku"));
    let unchanged = catalog
        .client
        .get_product()
        .product_id(second.id)
        .send()
        .await
        .expect("the product")
        .into_inner();
    assert_eq!(
        (unchanged.sku.as_str(), unchanged.name.as_str()),
        ("LANTERN-8", "Test Lantern")
    );
}

#[tokio::test]
async fn nul_characters_are_refused_not_500s() {
    let catalog = helpers::spawn_empty().await;
    let (status, code, message) =
        error_of(catalog.http.get(catalog.url("/v1/products?q=lamp%00"))).await;
    assert_eq!((status, code.as_str()), (400, "invalid_query"), "{message}");
    for field in ["name", "description"] {
        let mut body = product_input("LANTERN-9");
        body[field] = json!("Lamp\u{0}");
        let (status, _, message) = error_of(create(&catalog).json(&body)).await;
        assert_eq!(status, 422, "{field}: {message}");
        assert!(message.contains(field), "{field}: {message}");
    }
    let mut body = product_input("LANTERN-9");
    body["attributes"] = json!({ "colour": "red\u{0}" });
    let (status, _, message) = error_of(create(&catalog).json(&body)).await;
    assert_eq!(status, 422, "{message}");
    assert_eq!(product_count(&catalog).await, 0);
}
