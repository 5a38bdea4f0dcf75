//! Each service's live OpenAPI document, as the running service serves it, held to its
//! spec operation by operation, and its Swagger UI served with its own assets.

use std::path::Path;

use catalog::testing::TestCatalog;
use contract_tests::openapi::{differences, operations};
use serde_json::Value;

fn spec(service: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(format!("specs/openapi/{service}.yaml"));
    let text = std::fs::read_to_string(path).expect("the spec");
    serde_yaml::from_str(&text).expect("the spec is YAML")
}

/// Fetches `base_url`'s live document and compares it with the service's spec; then
/// checks its Swagger UI page and one of the UI's assets are served.
async fn holds_to_its_spec(service: &str, base_url: &str) {
    let live: Value = reqwest::get(format!("{base_url}/openapi.json"))
        .await
        .expect("the live document")
        .error_for_status()
        .expect("the live document is served")
        .json()
        .await
        .expect("the live document is JSON");
    let found = differences(&spec(service), &live).expect("both documents have paths");
    let compared = operations(&live)
        .expect("the live document has paths")
        .len();
    println!(
        "openapi {service}: {compared} operations compared, {} differences",
        found.len()
    );
    assert!(
        found.is_empty(),
        "the {service} serves something other than specs/openapi/{service}.yaml:\n{}",
        found.join("\n")
    );

    let page = reqwest::get(format!("{base_url}/docs/"))
        .await
        .expect("the Swagger UI page");
    assert!(
        page.status().is_success(),
        "/docs/ answered {}",
        page.status()
    );
    let page = page.text().await.expect("the page");
    assert!(page.contains("swagger-ui"), "{page}");
    let asset = reqwest::get(format!("{base_url}/docs/swagger-ui-bundle.js"))
        .await
        .expect("a Swagger UI asset");
    assert!(
        asset.status().is_success(),
        "the Swagger UI's script answered {}",
        asset.status()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_serves_its_spec() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    holds_to_its_spec("catalog", &catalog.http_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_serves_its_spec() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let url = cart::testing::spawn(catalog.grpc_url())
        .await
        .expect("a cart");
    holds_to_its_spec("cart", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_serve_their_spec() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let url = reviews::testing::spawn(catalog.http_url())
        .await
        .expect("a reviews service");
    holds_to_its_spec("reviews", &url).await;
}
