//! The fault suite for the Catalog (see `testkit::faults`): PostgreSQL or the Catalog itself
//! killed (SIGKILL) while admins keep adding products. An admin retries a 503 (and a
//! request cut off by a killed Catalog) with the same product; a 409 `duplicate_sku` on a
//! retry says an earlier attempt was made. Afterwards every acknowledged product is in the
//! database exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use catalog::testing::TestCatalog;
use catalog_api::types;
use testkit::Faults;
use testkit::faults::{self, Answer, Outcome, Writes};
use testkit::postgres::{PostgresServer, TestDatabase};
use testkit::service::ServiceProcess;

use crate::helpers::{admin_client, product_input};

const ADMINS: usize = 4;

/// Products with SKUs of their own, one admin each.
struct NewProducts {
    admin: catalog_api::Client,
}

impl Writes for NewProducts {
    type Write = types::ProductInput;

    fn next(&self, admin: usize, number: usize) -> types::ProductInput {
        serde_json::from_value(product_input(&format!("FAULT-{admin}-{number}")))
            .expect("valid input")
    }

    async fn attempt(&self, product: &types::ProductInput, retry: bool) -> Answer {
        match self
            .admin
            .create_product()
            .body(product.clone())
            .send()
            .await
        {
            Ok(_) => Answer::Made,
            Err(catalog_api::client::Error::ErrorResponse(response)) => {
                let status = response.status().as_u16();
                let has_retry_after = response.headers().contains_key("retry-after");
                let code = response.into_inner().code;
                if retry && status == 409 && code == "duplicate_sku" {
                    Answer::Made
                } else {
                    Answer::refusal(status, has_retry_after, code)
                }
            }
            Err(catalog_api::client::Error::CommunicationError(_)) => Answer::CutOff,
            Err(other) => Answer::Broken(other.to_string()),
        }
    }
}

/// Checks the products in `database` against what the admins were told, and prints it.
async fn report(name: &str, outcome: &Outcome<types::ProductInput>, database: &TestDatabase) {
    let pool = sqlx::PgPool::connect(&database.url)
        .await
        .expect("the database");
    let query = "SELECT sku FROM products WHERE sku LIKE 'FAULT-%'";
    let stored: Vec<String> = sqlx::query_scalar(query)
        .fetch_all(&pool)
        .await
        .expect("the products");
    pool.close().await;
    let stored_set: BTreeSet<&str> = stored.iter().map(String::as_str).collect();
    assert_eq!(stored_set.len(), stored.len(), "{name}: a SKU stored twice");
    let acknowledged = outcome.acknowledged.iter().flatten();
    let lost = acknowledged
        .filter(|product| !stored_set.contains(product.sku.as_str()))
        .count();
    outcome.report(name, "products", lost, stored.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_killed_mid_load_loses_no_acknowledged_product() {
    let mut postgres = PostgresServer::start().expect("a PostgreSQL of the test's own");
    let database = postgres.fresh_database().await.expect("a database");
    let catalog = TestCatalog::start_on(database.clone())
        .await
        .expect("a catalog");
    let name = "PostgreSQL kill -9 for 1 s";
    let writes = NewProducts {
        admin: admin_client(&catalog.http_url()),
    };
    let outcome = faults::under_load(name, writes, ADMINS, false, async {
        postgres.kill().expect("PostgreSQL killed");
        tokio::time::sleep(Duration::from_secs(1)).await;
        postgres.resume().expect("PostgreSQL started again");
    })
    .await;
    report(name, &outcome, &database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_killed_mid_load_loses_no_acknowledged_product() {
    let database = testkit::postgres::fresh_database()
        .await
        .expect("a database");
    let mut config = catalog::testing::config(&database).expect("a configuration");
    catalog::seed(&config).await.expect("the demo catalog");
    config.http_addr = testkit::free_addr().expect("a port");
    config.grpc_addr = testkit::free_addr().expect("a port");
    let mut catalog = ServiceProcess::start(
        env!("CARGO_BIN_EXE_catalog"),
        &["serve"],
        catalog::testing::env(&config),
        config.http_addr,
    )
    .await
    .expect("the Catalog's binary runs");
    let name = "Catalog kill -9, restarted after 1 s";
    let writes = NewProducts {
        admin: admin_client(&catalog.http_url()),
    };
    let outcome = faults::under_load(name, writes, ADMINS, true, async {
        catalog.kill().expect("the Catalog killed");
        tokio::time::sleep(Duration::from_secs(1)).await;
        catalog.resume().await.expect("the Catalog started again");
    })
    .await;
    report(name, &outcome, &database).await;
}
