//! The Catalog when its database stops answering: a PostgreSQL of the test's own, frozen
//! (SIGSTOP) with the Catalog's connections open, as a stuck or swapping server would be.

use std::time::Duration;

use catalog::seed;
use catalog::testing::TestCatalog;
use catalog_proto::v1::ValidateProductRequest;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use testkit::Faults;
use testkit::postgres::PostgresServer;

#[tokio::test]
async fn with_postgresql_frozen_requests_get_a_prompt_503_and_it_recovers_by_itself() {
    let mut postgres = PostgresServer::start().expect("a PostgreSQL of the test's own");
    let database = postgres.fresh_database().await.expect("a database");
    let catalog = TestCatalog::start_on(database).await.expect("a catalog");
    let http = reqwest::Client::new();
    // A product page read before the freeze, and one that was not.
    let (read_before, unread) = (&seed::products()[0], &seed::products()[1]);
    let url =
        |product: &seed::SeedProduct| format!("{}/v1/products/{}", catalog.http_url(), product.id);
    let mut grpc = CatalogServiceClient::connect(catalog.grpc_url())
        .await
        .expect("a gRPC connection");
    let line = ValidateProductRequest {
        product_id: unread.id.to_string(),
        quantity: 1,
    };
    let read = http.get(url(read_before)).send().await.expect("an answer");
    assert_eq!(read.status(), 200);

    postgres.freeze().expect("PostgreSQL freezes");
    // The product kept in memory is still served: nothing can change it while
    // PostgreSQL takes no writes.
    let read = http.get(url(read_before)).send().await.expect("an answer");
    assert_eq!(read.status(), 200);
    // The test Catalog waits at most 1 s for a connection; the request deadline (5 s) is
    // not what answers.
    let read = http.get(url(unread)).send().await.expect("an answer");
    assert_eq!(read.status(), 503);
    assert!(read.headers().contains_key("retry-after"));
    let body: serde_json::Value = read.json().await.expect("the Error body");
    assert_eq!(body["code"], "store_unavailable", "{body}");
    let ready = http
        .get(format!("{}/readyz", catalog.http_url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(ready.status(), 503);
    let status = grpc
        .validate_product(line.clone())
        .await
        .expect_err("no database");
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");

    postgres.thaw().expect("PostgreSQL goes on");
    testkit::poll_until("product reads to work", Duration::from_secs(15), || {
        let request = http.get(url(unread));
        async move {
            let status = request.send().await?.status();
            anyhow::ensure!(status == 200, "status {status}");
            Ok(())
        }
    })
    .await
    .expect("the catalog recovers by itself");
    grpc.validate_product(line)
        .await
        .expect("validation works again");
}
