//! Throughput and latency of the Cart's two hot paths over the full path: REST into the
//! Cart, gRPC to a real Catalog on PostgreSQL, and Redis.
//!
//! - add-line: one unit of a product into one of many carts (spread so no line reaches
//!   its limit): a read of the cart, one Catalog `ValidateProducts` call for its lines
//!   (which prices them too), and the Redis script;
//! - get-cart: a cart of 10 lines, priced with one `GetProductPrices` call;
//! - add-line again, offered at 1,000 a second by `oha` (open loop), for its latency when
//!   the rate is not the server's to set.
//!
//! `cargo bench -p cart --bench load` (or `make bench`); `BENCH_SECONDS`, `BENCH_CONCURRENCY`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use testkit::load;
use testkit::tools::{self, HttpCall};

const CARTS: usize = 400;
/// Adds a second offered in the open-loop row, and the connections it may use.
const OFFERED_RATE: u32 = 1000;
const OPEN_LOOP_CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() -> Result<()> {
    let (duration, concurrency) = load::settings();

    let catalog = catalog::testing::TestCatalog::start().await?;
    // The Cart as `make up` configures it (deadlines, retries, breaker), on the test
    // datastores.
    let test = cart::testing::config(catalog.grpc_url()).await?;
    let config = cart::Config {
        redis_url: test.redis_url,
        key_prefix: test.key_prefix,
        http_addr: test.http_addr,
        catalog_url: test.catalog_url,
        ..cart::Config::from_env()?
    };
    let service = cart::testing::TestCart::start(config).await?;
    let base_url = service.http_url();

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    // Products with stock for 99 units, so every add is sellable until its line is full.
    let products: Vec<uuid::Uuid> = catalog::seed::products()
        .into_iter()
        .filter(|p| p.active && p.stock >= 99)
        .map(|p| p.id)
        .take(40)
        .collect();
    anyhow::ensure!(
        products.len() == 40,
        "the demo catalog has too few well-stocked products"
    );
    let mut carts = Vec::with_capacity(CARTS);
    for _ in 0..CARTS {
        let cart: serde_json::Value = http
            .post(format!("{base_url}/v1/carts"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        carts.push(cart["id"].as_str().context("a cart id")?.to_owned());
    }
    let ten_line_cart = carts[0].clone();
    for product in &products[..10] {
        http.post(format!("{base_url}/v1/carts/{ten_line_cart}/lines"))
            .json(&serde_json::json!({"product_id": product, "quantity": 1}))
            .send()
            .await?
            .error_for_status()?;
    }

    load::header("Cart load benchmark", concurrency, duration);
    let next = Arc::new(AtomicUsize::new(0));
    let add = {
        let (http, base_url, carts, products) = (
            http.clone(),
            base_url.clone(),
            Arc::new(carts.clone()),
            Arc::new(products.clone()),
        );
        move || {
            let n = next.fetch_add(1, Ordering::Relaxed);
            // Walk carts first, then products, so consecutive adds hit different lines.
            let cart = carts[1 + n % (CARTS - 1)].clone();
            let product = products[(n / (CARTS - 1)) % products.len()];
            let request = http
                .post(format!("{base_url}/v1/carts/{cart}/lines"))
                .json(&serde_json::json!({"product_id": product, "quantity": 1}));
            async move {
                request.send().await?.error_for_status()?.bytes().await?;
                Ok(())
            }
        }
    };
    let added = load::measure(concurrency, duration, add).await;
    load::row("add-line (REST -> gRPC -> Redis)", &added);

    let get = {
        let request_url = format!("{base_url}/v1/carts/{ten_line_cart}");
        move || {
            let request = http.get(request_url.clone());
            async move {
                request.send().await?.error_for_status()?.bytes().await?;
                Ok(())
            }
        }
    };
    let read = load::measure(concurrency, duration, get).await;
    load::row("get-cart, 10 lines (REST -> gRPC)", &read);

    // Open loop: adds offered at a fixed rate however fast the answers come (oha), each
    // to a cart drawn at random, of a product the rows above added little of.
    let product = products[products.len() - 1];
    let call = HttpCall {
        method: "POST",
        url_pattern: format!(
            "{}/v1/carts/({})/lines",
            base_url.replace('.', "[.]"),
            carts[1..].join("|")
        ),
        body: Some(serde_json::json!({"product_id": product, "quantity": 1}).to_string()),
    };
    let offered = tools::oha_at_rate(&call, OFFERED_RATE, OPEN_LOOP_CONNECTIONS, duration)?;
    load::row(
        &format!("add-line, {OFFERED_RATE}/s offered (oha)"),
        &offered,
    );
    Ok(())
}
