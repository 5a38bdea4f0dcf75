//! Products are served from memory, and no Catalog keeps answering a product as it was
//! once it changed (`catalog::cache`): the Catalog that wrote answers the new row at once,
//! and every other Catalog on the same database as soon as PostgreSQL's notification
//! reaches it (the contract states the bound: within a second).

use std::time::Duration;

use catalog_proto::v1::ValidateProductRequest;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use platform::testing::TestServer;

use crate::helpers::{self, product_input};

/// What the Catalog at `base_url` answers for a product: its price and stock, over REST.
async fn price_and_stock(http: &reqwest::Client, base_url: &str, id: &str) -> (i64, i64) {
    let product: serde_json::Value = http
        .get(format!("{base_url}/v1/products/{id}"))
        .send()
        .await
        .expect("an answer")
        .error_for_status()
        .expect("the product")
        .json()
        .await
        .expect("a product");
    let price = product["price"]["amount_minor"].as_i64().expect("a price");
    (price, product["stock"].as_i64().expect("a stock"))
}

/// The counter `name` on a `/metrics` page.
fn metric(metrics: &str, name: &str) -> u64 {
    catalog::testing::metric(metrics, name).unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

#[tokio::test]
async fn no_catalog_answers_a_product_as_it_was_once_it_changed() {
    let a = helpers::spawn().await;
    let config = catalog::testing::config(a.database()).expect("a configuration");
    let mut b = TestServer::<catalog::Catalog>::start(config)
        .await
        .expect("a second Catalog on the same database");
    let b_url = b.http_url();
    let mut b_grpc = CatalogServiceClient::connect(format!("http://{}", b.config().grpc_addr))
        .await
        .expect("a gRPC connection");
    let http = &a.http;

    let created: serde_json::Value = http
        .post(a.url("/v1/products"))
        .bearer_auth(helpers::ADMIN_TOKEN)
        .json(&product_input("CACHE-1"))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("the product");
    let id = created["id"].as_str().expect("an id").to_owned();

    // Both Catalogs read it twice; the second read of each comes from memory.
    let hits_before = metric(&a.metrics().await, "localmart_catalog_cache_hits_total");
    for _ in 0..2 {
        assert_eq!(price_and_stock(http, &a.base_url, &id).await, (2599, 12));
        assert_eq!(price_and_stock(http, &b_url, &id).await, (2599, 12));
    }
    let hits = metric(&a.metrics().await, "localmart_catalog_cache_hits_total");
    assert!(hits > hits_before, "the second read was not from memory");

    // An admin changes the price through A: A answers the new price at once.
    let mut input = product_input("CACHE-1");
    input["price"]["amount_minor"] = 1999.into();
    http.put(a.url(&format!("/v1/products/{id}")))
        .bearer_auth(helpers::ADMIN_TOKEN)
        .json(&input)
        .send()
        .await
        .expect("an answer")
        .error_for_status()
        .expect("updated");
    assert_eq!(price_and_stock(http, &a.base_url, &id).await, (1999, 12));
    // B, over REST and gRPC, within the bound.
    let validate = ValidateProductRequest {
        product_id: id.clone(),
        quantity: 1,
    };
    testkit::poll_until("B to answer the new price", Duration::from_secs(1), || {
        let (mut grpc, validate) = (b_grpc.clone(), validate.clone());
        let (b_url, id) = (&b_url, &id);
        async move {
            let rest = price_and_stock(http, b_url, id).await;
            let validation = grpc.validate_product(validate).await?.into_inner();
            let grpc_price = validation
                .validation
                .and_then(|validation| validation.unit_price)
                .map(|price| price.amount_minor);
            anyhow::ensure!(
                rest.0 == 1999 && grpc_price == Some(1999),
                "REST {rest:?}, gRPC {grpc_price:?}"
            );
            Ok(())
        }
    })
    .await
    .expect("B answers the new price");

    // A change behind both (an admin in psql): each hears of it.
    a.execute(&format!("UPDATE products SET stock = 3 WHERE id = '{id}'"))
        .await;
    assert_eq!(price_and_stock(http, &a.base_url, &id).await, (1999, 3));
    testkit::poll_until(
        "B to answer the new stock",
        Duration::from_secs(1),
        || async {
            let answer = price_and_stock(http, &b_url, &id).await;
            anyhow::ensure!(answer == (1999, 3), "{answer:?}");
            Ok(())
        },
    )
    .await
    .expect("B answers the new stock");

    // A product deleted through B is gone from A too.
    let deleted = http
        .delete(format!("{b_url}/v1/products/{id}"))
        .bearer_auth(helpers::ADMIN_TOKEN)
        .send()
        .await
        .expect("an answer");
    assert_eq!(deleted.status(), 204);
    let validation = b_grpc
        .validate_product(validate)
        .await
        .expect("an answer")
        .into_inner();
    assert!(!validation.validation.expect("a validation").valid);
    testkit::poll_until(
        "A to forget the product",
        Duration::from_secs(1),
        || async {
            let status = http
                .get(a.url(&format!("/v1/products/{id}")))
                .send()
                .await?
                .status();
            anyhow::ensure!(status == 404, "status {status}");
            Ok(())
        },
    )
    .await
    .expect("A no longer has the product");
    b.stop().await.expect("a clean stop");
    a.stop().await;
}
