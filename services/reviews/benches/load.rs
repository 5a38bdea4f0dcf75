//! Throughput and latency of the Reviews service's read paths on FerretDB, on the demo
//! reviews `make up` seeds (every product of the demo catalog reviewed, a few some
//! hundreds of times): a page of the most reviewed product's reviews, the page after it,
//! its rating summary, and a batch of 24 summaries (one listing page of the storefront),
//! each measured by `wrk`, with the Catalog's REST get-product in the same run as the
//! yardstick. The same reads run on FerretDB's SQLite handler and on its PostgreSQL
//! handler in one run, so the two compare under the same conditions.
//!
//! `cargo bench -p reviews --bench load` (or `make bench`); `BENCH_SECONDS`, `BENCH_CONCURRENCY`.

use std::time::Duration;

use anyhow::{Context, Result};
use catalog::testing::TestCatalog;
use reviews::demo;
use testkit::ferretdb::{Backend, FerretDbServer};
use testkit::load;
use testkit::tools;

/// The products of one listing page.
const PRODUCTS: usize = 24;

#[tokio::main]
async fn main() -> Result<()> {
    let (duration, concurrency) = load::settings();
    let catalog = TestCatalog::start().await?;
    let postgresql = testkit::postgres::fresh_database().await?;
    for (name, backend) in [
        ("SQLite", Backend::Sqlite),
        ("PostgreSQL", Backend::PostgreSql(postgresql.url.clone())),
    ] {
        let store = FerretDbServer::start_on(backend).await?;
        let service = reviews::testing::start_on(catalog.http_url(), store.uri()).await?;
        let config = service.config();
        let seeded = reviews::store::Store::connect(
            config.mongodb_uri.expose(),
            &config.database,
            Duration::from_secs(30),
        )
        .await?;
        let written = demo::seed(&seeded, &catalog.http_url()).await?;
        load::header(
            &format!("Reviews load benchmark (FerretDB on {name}, demo reviews: {written:?})"),
            concurrency,
            duration,
        );
        measure(
            &service.http_url(),
            &catalog.http_url(),
            concurrency,
            duration,
        )
        .await?;
    }
    Ok(())
}

/// Measures each read path on the demo reviews, and the Catalog's get-product beside them.
async fn measure(
    base_url: &str,
    catalog_url: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<()> {
    // The most reviewed product, and the first listing page's products.
    let products: Vec<demo::Product> = catalog::seed::products()
        .into_iter()
        .filter(|product| product.active)
        .map(|product| demo::Product {
            id: product.id,
            name: product.name,
        })
        .collect();
    let (first, reviews) = products
        .iter()
        .map(|product| (product.id, demo::reviews_of(product).0.len()))
        .max_by_key(|(_, count)| *count)
        .context("a product")?;
    let products: Vec<uuid::Uuid> = products
        .iter()
        .take(PRODUCTS)
        .map(|product| product.id)
        .collect();
    let wrk = |url: String| tools::wrk(&url, concurrency, duration);

    let product = wrk(format!("{catalog_url}/v1/products/{first}"))?;
    load::row("Catalog REST get-product", &product);
    let first_page = format!("{base_url}/v1/products/{first}/reviews?limit=10&sort=highest");
    let listed = wrk(first_page.clone())?;
    load::row(&format!("list-reviews, 10 of {reviews}, highest"), &listed);
    // The second page is not kept in memory: each is sorted by the store.
    // (The store may still be working through what the first row left it.)
    let http = reqwest::Client::new();
    let page: serde_json::Value =
        testkit::poll_until("the first page", Duration::from_secs(60), || async {
            let answer = http.get(&first_page).send().await?.error_for_status()?;
            Ok(answer.json().await?)
        })
        .await?;
    let cursor = page["next_cursor"].as_str().context("a second page")?;
    let second = wrk(format!("{first_page}&cursor={cursor}"))?;
    load::row("list-reviews, page 2 (from store)", &second);
    let summary = wrk(format!("{base_url}/v1/products/{first}/rating-summary"))?;
    load::row(&format!("rating-summary ({reviews} reviews)"), &summary);
    let body = serde_json::json!({ "product_ids": products }).to_string();
    let batch_url = format!("{base_url}/v1/rating-summaries/batch");
    let batched = tools::wrk_post_json(&batch_url, &body, concurrency, duration)?;
    load::row(&format!("rating-summaries batch of {PRODUCTS}"), &batched);
    println!(
        "Reviews / Catalog get-product throughput: first page {:.2}, summary {:.2}, batch {:.2}",
        listed.throughput() / product.throughput(),
        summary.throughput() / product.throughput(),
        batched.throughput() / product.throughput(),
    );
    Ok(())
}
