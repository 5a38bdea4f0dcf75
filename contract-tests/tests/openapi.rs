//! Each running service's live OpenAPI document is its spec, its compiled router serves
//! exactly the spec's operations, its Swagger UI is served with its own assets, and a
//! body built from the document's schema (the README's example) is accepted.

use std::path::Path;

use catalog::testing::TestCatalog;
use contract_tests::openapi::{judge, probes, request_body_schema, violations};
use serde_json::Value;

fn workspace_file(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn spec(service: &str) -> Value {
    serde_yaml::from_str(&workspace_file(&format!("specs/openapi/{service}.yaml")))
        .expect("the spec is YAML")
}

async fn live_document(base_url: &str) -> Value {
    reqwest::get(format!("{base_url}/openapi.json"))
        .await
        .expect("the live document")
        .error_for_status()
        .expect("the live document is served")
        .json()
        .await
        .expect("the live document is JSON")
}

/// The live document is the spec; every probe of the router is answered as the spec
/// says; the Swagger UI page and one of its assets are served.
async fn holds_to_its_spec(service: &str, base_url: &str) {
    let spec = spec(service);
    assert!(
        live_document(base_url).await == spec,
        "the {service} serves a document other than specs/openapi/{service}.yaml"
    );

    let client = reqwest::Client::new();
    let probes = probes(&spec).expect("the spec has paths");
    let mut found = Vec::new();
    for probe in &probes {
        let method = reqwest::Method::from_bytes(probe.method.as_bytes()).expect("a method");
        let answer = client
            .request(method, format!("{base_url}{}", probe.uri))
            .send()
            .await
            .expect("an answer");
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or_default();
        found.extend(judge(probe, status, body["code"].as_str()));
    }
    println!(
        "openapi {service}: {} probes of the router, {} differences",
        probes.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "the {service}'s router differs from specs/openapi/{service}.yaml:\n{}",
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
    let config = reqwest::get(format!("{base_url}/docs/swagger-initializer.js"))
        .await
        .expect("the Swagger UI's initializer")
        .text()
        .await
        .expect("a script");
    assert!(
        config.contains("/openapi.json"),
        "the UI does not load the live document: {config}"
    );
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
    let service = cart::testing::start(catalog.grpc_url())
        .await
        .expect("a cart");
    let url = service.http_url();
    holds_to_its_spec("cart", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_serve_their_spec() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let service = reviews::testing::start(catalog.http_url())
        .await
        .expect("a reviews service");
    let url = service.http_url();
    holds_to_its_spec("reviews", &url).await;
}

/// What "Try it out" sends for add-line, as the README shows it, fits the schema of the
/// live document, and the Cart accepts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_add_line_body_fits_the_document_and_is_accepted() {
    let example = r#"{"product_id": "PRODUCT_ID", "quantity": 2}"#;
    assert!(
        workspace_file("README.md").contains(example),
        "the README no longer shows {example}"
    );

    let catalog = TestCatalog::start().await.expect("a catalog");
    let service = cart::testing::start(catalog.grpc_url())
        .await
        .expect("a cart");
    let url = service.http_url();
    let products: Value = reqwest::get(format!("{}/v1/products?page_size=1", catalog.http_url()))
        .await
        .expect("products")
        .json()
        .await
        .expect("JSON");
    let product = products["items"][0]["id"].as_str().expect("a product id");
    let body: Value =
        serde_json::from_str(&example.replace("PRODUCT_ID", product)).expect("the example is JSON");

    let document = live_document(&url).await;
    let schema = request_body_schema(&document, "addLine").expect("add-line has a body schema");
    assert_eq!(
        violations(&document, schema, &body).expect("the schema resolves"),
        Vec::<String>::new(),
        "the README's body does not fit the schema Swagger UI shows"
    );

    // Swagger UI sends "Try it out" to the document's server, resolved against the
    // address the document was loaded from; so does this test.
    let document_url = reqwest::Url::parse(&format!("{url}/openapi.json")).expect("a URL");
    let server = document["servers"][0]["url"].as_str().expect("a server");
    let base = document_url.join(server).expect("a server URL");
    let url = base.as_str().trim_end_matches('/');
    let client = reqwest::Client::new();
    let cart: Value = client
        .post(format!("{url}/v1/carts"))
        .send()
        .await
        .expect("a cart")
        .json()
        .await
        .expect("JSON");
    let cart_id = cart["id"].as_str().expect("a cart id");
    let added = client
        .post(format!("{url}/v1/carts/{cart_id}/lines"))
        .json(&body)
        .send()
        .await
        .expect("an answer");
    assert_eq!(added.status(), reqwest::StatusCode::OK);
    let added: Value = added.json().await.expect("the cart");
    assert_eq!(added["item_count"], 2);
}
