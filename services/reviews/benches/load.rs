//! Throughput and latency of the Reviews service's read paths on FerretDB: a page of a
//! product's reviews, one product's rating summary, and a batch of 24 summaries (one
//! listing page of the storefront). The same reads run on FerretDB's SQLite handler and on
//! its PostgreSQL handler in one run, so the two compare under the same conditions.
//!
//! `cargo bench -p reviews --bench load` (or `make bench`); `BENCH_SECONDS`, `BENCH_CONCURRENCY`.

use std::time::Duration;

use anyhow::Result;
use catalog::testing::TestCatalog;
use testkit::ferretdb::{Backend, FerretDbServer};
use testkit::load;

/// Reviews per product, and products with reviews.
const REVIEWS: usize = 60;
const PRODUCTS: usize = 24;

#[tokio::main]
async fn main() -> Result<()> {
    let (duration, concurrency) = load::settings();
    let catalog = TestCatalog::start().await?;
    let products: Vec<uuid::Uuid> = catalog::seed::products()
        .into_iter()
        .take(PRODUCTS)
        .map(|p| p.id)
        .collect();
    let postgresql = testkit::postgres::fresh_database().await?;
    for (name, backend) in [
        ("SQLite", Backend::Sqlite),
        ("PostgreSQL", Backend::PostgreSql(postgresql.url.clone())),
    ] {
        let store = FerretDbServer::start_on(backend).await?;
        let service = reviews::testing::start_on(catalog.http_url(), store.uri()).await?;
        load::header(
            &format!("Reviews load benchmark (FerretDB on {name})"),
            concurrency,
            duration,
        );
        measure(&service.http_url(), &products, concurrency, duration).await?;
    }
    Ok(())
}

/// Writes the reviews, then measures each read path.
async fn measure(
    base_url: &str,
    products: &[uuid::Uuid],
    concurrency: usize,
    duration: Duration,
) -> Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    for (n, product) in products.iter().enumerate() {
        let reviews = if n == 0 { REVIEWS } else { 5 };
        for r in 0..reviews {
            http.post(format!("{base_url}/v1/products/{product}/reviews"))
                .json(&serde_json::json!({
                    "author": format!("Reviewer {r}"),
                    "rating": 1 + r % 5,
                    "title": "Worth it",
                    "body": "Solid, does what it says, would buy again.",
                }))
                .send()
                .await?
                .error_for_status()?;
        }
    }

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
    let first = products[0];
    let listed = load::measure(
        concurrency,
        duration,
        get(format!(
            "{base_url}/v1/products/{first}/reviews?limit=10&sort=highest"
        )),
    )
    .await;
    load::row(&format!("list-reviews, 10 of {REVIEWS}, highest"), &listed);
    let summary = load::measure(
        concurrency,
        duration,
        get(format!("{base_url}/v1/products/{first}/rating-summary")),
    )
    .await;
    load::row(&format!("rating-summary ({REVIEWS} reviews)"), &summary);

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
