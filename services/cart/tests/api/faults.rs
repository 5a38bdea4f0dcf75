//! The fault suite for the Cart: a fault injected into a real process while shoppers keep
//! changing their carts. Each shopper sends every change with a new `Idempotency-Key` and
//! retries a 503 with the same key until it is acknowledged, as the storefront's shopper
//! would. Afterwards every acknowledged change is in the carts exactly once, every error
//! on the way was a 503 with `Retry-After`, and the time the Cart took to serve again
//! after the fault ended is printed (`docs/resilience.md` keeps the figures).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use catalog::seed::SeedProduct;
use uuid::Uuid;

use crate::helpers::{self, Options, TestCart};

const SHOPPERS: usize = 8;
/// Between one shopper's changes, and between retries of one change.
const PACE: Duration = Duration::from_millis(50);

/// What one shopper saw.
#[derive(Debug, Default)]
struct Tally {
    cart: Uuid,
    /// Units acknowledged per product.
    acknowledged: BTreeMap<Uuid, i32>,
    /// Error answers by status and code.
    errors: BTreeMap<(u16, String), usize>,
    /// Answers that break the contract's promise (not a 503 with `Retry-After`).
    broken: Vec<String>,
    /// When each change was acknowledged.
    acknowledged_at: Vec<Instant>,
}

/// Adds one unit at a time, rotating over `products`, until `stop` is set; the change in
/// hand when it is set is still seen through.
async fn shop(cart: Arc<TestCart>, products: Vec<SeedProduct>, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally {
        cart: cart.new_cart().await,
        ..Tally::default()
    };
    for product in products.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let key = Uuid::new_v4();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let request = cart.client.add_line().cart_id(tally.cart);
            let request = request
                .idempotency_key(key)
                .body(helpers::add_line(product.id, 1));
            match request.send().await {
                Ok(_) => {
                    *tally.acknowledged.entry(product.id).or_default() += 1;
                    tally.acknowledged_at.push(Instant::now());
                    break;
                }
                Err(cart_api::client::Error::ErrorResponse(response)) => {
                    let status = response.status().as_u16();
                    let has_retry_after = response.headers().contains_key("retry-after");
                    let code = response.into_inner().code;
                    if status != 503 || !has_retry_after {
                        tally.broken.push(format!("{status} {code}"));
                        break;
                    }
                    *tally.errors.entry((status, code)).or_default() += 1;
                }
                Err(other) => {
                    tally.broken.push(other.to_string());
                    break;
                }
            }
            assert!(Instant::now() < deadline, "a change was never acknowledged");
            tokio::time::sleep(PACE).await;
        }
        tokio::time::sleep(PACE).await;
    }
    tally
}

/// Runs the shoppers, runs `fault` after a second of load (it ends when the fault has
/// ended), keeps the load on for two seconds more, and checks and prints the outcome.
/// What the fault returns (the server it stopped and started) lives until then.
async fn under_load<T>(name: &str, cart: TestCart, fault: impl Future<Output = T>) {
    let cart = Arc::new(cart);
    let products: Vec<SeedProduct> = catalog::seed::products()
        .into_iter()
        .filter(|p| p.active && p.stock >= 40)
        .take(5)
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let shoppers: Vec<_> = (0..SHOPPERS)
        .map(|_| tokio::spawn(shop(cart.clone(), products.clone(), stop.clone())))
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    let _faulty = fault.await;
    let fault_ended = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);

    let mut tallies = Vec::new();
    for shopper in shoppers {
        tallies.push(shopper.await.expect("a shopper"));
    }
    let (mut acknowledged, mut lost, mut retried) = (0, 0, 0);
    let mut recovered = Duration::ZERO;
    for tally in &tallies {
        assert!(
            tally.broken.is_empty(),
            "{name}: answers outside the contract: {:?}",
            tally.broken
        );
        let stored = cart.cart(tally.cart).await;
        for (product, units) in &tally.acknowledged {
            let line = stored.lines.iter().find(|line| line.product_id == *product);
            let held = line.map_or(0, |line| line.quantity);
            acknowledged += units;
            lost += (units - held).max(0);
            assert_eq!(
                held, *units,
                "{name}: acknowledged units and the line differ"
            );
        }
        retried += tally.errors.values().sum::<usize>();
        let first_after = tally.acknowledged_at.iter().find(|at| **at >= fault_ended);
        let first_after = first_after.expect("every shopper is served after the fault");
        recovered = recovered.max(first_after.duration_since(fault_ended));
    }
    let mut codes: BTreeMap<&(u16, String), usize> = BTreeMap::new();
    for tally in &tallies {
        for (code, count) in &tally.errors {
            *codes.entry(code).or_default() += count;
        }
    }
    println!(
        "fault {name}: {SHOPPERS} shoppers, {acknowledged} changes acknowledged, {lost} lost, \
         {retried} answered 503 and retried ({codes:?}); every shopper served again within \
         {} ms of the fault's end",
        recovered.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_load_loses_no_acknowledged_change() {
    let mut cart = helpers::spawn_with(Options {
        own_redis: true,
        ..Options::default()
    })
    .await;
    let mut redis = cart.redis.take().expect("its own Redis");
    under_load("Redis kill -9 for 1 s", cart, async move {
        redis.kill().expect("Redis killed");
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.resume().await.expect("Redis back");
        redis
    })
    .await;
}
