//! Throughput and latency of the Reviews service's read paths on FerretDB, on the demo
//! reviews `make up` seeds (every product of the demo catalog reviewed, a few some
//! hundreds of times): a page of the most reviewed product's reviews, its rating summary,
//! and a batch of 24 summaries (one listing page of the storefront). The same reads run on
//! FerretDB's SQLite handler and on its PostgreSQL handler in one run, so the two compare
//! under the same conditions.
//!
//! `cargo bench -p reviews --bench load` (or `make bench`); `BENCH_SECONDS`, `BENCH_CONCURRENCY`.

use std::time::Duration;

use anyhow::{Context, Result};
use catalog::testing::TestCatalog;
use reviews::demo;
use testkit::ferretdb::{Backend, FerretDbServer};
use testkit::load;

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
        measure(&service.http_url(), concurrency, duration).await?;
    }
    Ok(())
}

/// Measures each read path on the demo reviews.
async fn measure(base_url: &str, concurrency: usize, duration: Duration) -> Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
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

    let get = |url: String| {
        let http = http.clone();
        move || {
            let request = http.get(url.clone());
            async move {
                request.send().await?.error_for_status()?.bytes().await?;
                Ok(())
            }
        }
    };
    let listed = load::measure(
        concurrency,
        duration,
        get(format!(
            "{base_url}/v1/products/{first}/reviews?limit=10&sort=highest"
        )),
    )
    .await;
    load::row(&format!("list-reviews, 10 of {reviews}, highest"), &listed);
    // The second page is not kept in memory: each is sorted by the store.
    // (The store may still be working through what the first row left it.)
    let first_page: serde_json::Value =
        testkit::poll_until("the first page", Duration::from_secs(60), || async {
            let url = format!("{base_url}/v1/products/{first}/reviews?limit=10&sort=highest");
            Ok(http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?)
        })
        .await?;
    let cursor = first_page["next_cursor"]
        .as_str()
        .context("a second page")?;
    let second = load::measure(
        concurrency,
        duration,
        get(format!(
            "{base_url}/v1/products/{first}/reviews?limit=10&sort=highest&cursor={cursor}"
        )),
    )
    .await;
    load::row("list-reviews, page 2 (from store)", &second);
    let summary = load::measure(
        concurrency,
        duration,
        get(format!("{base_url}/v1/products/{first}/rating-summary")),
    )
    .await;
    load::row(&format!("rating-summary ({reviews} reviews)"), &summary);

    let batch_body = serde_json::json!({ "product_ids": products });
    let batch = {
        let (http, url) = (
            http.clone(),
            format!("{base_url}/v1/rating-summaries/batch"),
        );
        move || {
            let request = http.post(url.clone()).json(&batch_body);
            async move {
                request.send().await?.error_for_status()?.bytes().await?;
                Ok(())
            }
        }
    };
    let batched = load::measure(concurrency, duration, batch).await;
    load::row(&format!("rating-summaries batch of {PRODUCTS}"), &batched);
    Ok(())
}
