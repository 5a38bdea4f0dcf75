//! Throughput and latency of the Cart's two hot paths over the full path: REST into the
//! Cart, gRPC to a real Catalog on PostgreSQL, and Redis.
//!
//! - add-line, by `oha` as fast as the answers come: one unit of a product into one of
//!   many nine-line carts (spread so no line reaches its limit): a read of the cart, one
//!   Catalog `ValidateProducts` call for its lines (which prices them too), and the Redis
//!   script;
//! - get-cart, by `oha` too: a cart of 10 lines, priced with one `GetProductPrices` call;
//! - add-line again, offered at 1,000 a second by `oha` (open loop), for its latency when
//!   the rate is not the server's to set.
//!
//! `cargo bench -p cart --bench load` (or `make bench`); `BENCH_SECONDS`, `BENCH_CONCURRENCY`.

use anyhow::{Context, Result};
use testkit::load;
use testkit::tools::{self, HttpCall};

const CARTS: usize = 1000;
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
    // The cart read has ten lines; a cart added to has nine, so that the add makes the
    // tenth and both rows work on carts of the same size.
    let ten_line_cart = carts[0].clone();
    let fill = |cart: String, lines: std::ops::Range<usize>| {
        let (http, base_url, products) = (http.clone(), base_url.clone(), products.clone());
        async move {
            for product in &products[lines] {
                http.post(format!("{base_url}/v1/carts/{cart}/lines"))
                    .json(&serde_json::json!({"product_id": product, "quantity": 1}))
                    .send()
                    .await?
                    .error_for_status()?;
            }
            anyhow::Ok(())
        }
    };
    fill(ten_line_cart.clone(), 0..10).await?;
    for cart in &carts[1..] {
        fill(cart.clone(), 1..10).await?;
    }

    load::header("Cart load benchmark", concurrency, duration);
    // Closed loop, as fast as the answers come (oha): adds of one unit of a tenth product
    // to a nine-line cart drawn at random (CARTS carts, so no line reaches its limit of
    // 99 units in a run), and reads of the ten-line cart.
    let add = |product: uuid::Uuid| HttpCall {
        method: "POST",
        url_pattern: format!(
            "{}/v1/carts/({})/lines",
            base_url.replace('.', "[.]"),
            carts[1..].join("|")
        ),
        body: Some(serde_json::json!({"product_id": product, "quantity": 1}).to_string()),
    };
    let added = tools::oha(&add(products[0]), concurrency, duration)?;
    load::row("add-line (REST -> gRPC -> Redis)", &added);
    let get = HttpCall {
        method: "GET",
        url_pattern: format!("{}/v1/carts/{ten_line_cart}", base_url.replace('.', "[.]")),
        body: None,
    };
    let read = tools::oha(&get, concurrency, duration)?;
    load::row("get-cart, 10 lines (REST -> gRPC)", &read);
    println!(
        "add-line / get-cart throughput: {:.2}",
        added.throughput() / read.throughput()
    );

    // Open loop: adds offered at a fixed rate however fast the answers come (oha), each
    // to a cart drawn at random, of a product the rows above added little of.
    let offered = tools::oha_at_rate(
        &add(products[products.len() - 1]),
        OFFERED_RATE,
        OPEN_LOOP_CONNECTIONS,
        duration,
    )?;
    load::row(
        &format!("add-line, {OFFERED_RATE}/s offered (oha)"),
        &offered,
    );
    Ok(())
}
