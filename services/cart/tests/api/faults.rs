//! The fault suite for the Cart (see `testkit::faults`): Redis or the Cart itself killed
//! (SIGKILL) while shoppers keep adding to their carts. Each shopper sends every change
//! with a new `Idempotency-Key` and retries a 503 (and a request cut off by a killed Cart)
//! with the same key, as the storefront does. Afterwards every acknowledged change is in
//! the carts exactly once.

use std::collections::BTreeMap;
use std::time::Duration;

use cart_api::client::HeaderHook;
use catalog::testing::TestCatalog;
use testkit::Faults;
use testkit::faults::{self, Answer, Writes};
use testkit::service::ServiceProcess;
use uuid::Uuid;

use crate::helpers::{self, Options};

const SHOPPERS: usize = 8;

/// One unit added at a time, each shopper to a cart of its own, rotating over products
/// with enough stock.
struct AddOne {
    client: cart_api::Client,
    carts: Vec<Uuid>,
    products: Vec<Uuid>,
}

#[derive(Debug, Clone)]
struct Change {
    cart: Uuid,
    product: Uuid,
    key: Uuid,
}

impl AddOne {
    async fn new(base_url: &str) -> Self {
        let client = cart_api::Client::new(base_url, HeaderHook::default());
        let mut carts = Vec::new();
        for _ in 0..SHOPPERS {
            let created = client.create_cart().send().await.expect("a cart");
            carts.push(created.into_inner().id);
        }
        let products = catalog::seed::products()
            .into_iter()
            .filter(|p| p.active && p.stock >= 40)
            .map(|p| p.id)
            .take(5)
            .collect();
        Self {
            client,
            carts,
            products,
        }
    }
}

impl Writes for AddOne {
    type Write = Change;

    fn next(&self, shopper: usize, number: usize) -> Change {
        Change {
            cart: self.carts[shopper],
            product: self.products[number % self.products.len()],
            key: Uuid::new_v4(),
        }
    }

    async fn attempt(&self, change: &Change, _retry: bool) -> Answer {
        let request = self.client.add_line().cart_id(change.cart);
        let request = request
            .idempotency_key(change.key)
            .body(helpers::add_line(change.product, 1));
        match request.send().await {
            Ok(_) => Answer::Made,
            Err(cart_api::client::Error::ErrorResponse(response)) => {
                let status = response.status().as_u16();
                let has_retry_after = response.headers().contains_key("retry-after");
                Answer::refusal(status, has_retry_after, response.into_inner().code)
            }
            Err(cart_api::client::Error::CommunicationError(_)) => Answer::CutOff,
            Err(other) => Answer::Broken(other.to_string()),
        }
    }
}

/// Keeps the load on through `fault`, then checks every cart against the changes its
/// shopper was told were made, and prints the figures.
async fn under_load(name: &str, base_url: &str, cut_off: bool, fault: impl Future<Output = ()>) {
    let writes = AddOne::new(base_url).await;
    let (client, carts) = (writes.client.clone(), writes.carts.clone());
    let outcome = faults::under_load(name, writes, SHOPPERS, cut_off, fault).await;
    let (mut lost, mut stored) = (0, 0);
    for (cart, changes) in carts.iter().zip(&outcome.acknowledged) {
        let mut acknowledged: BTreeMap<Uuid, i32> = BTreeMap::new();
        for change in changes {
            *acknowledged.entry(change.product).or_default() += 1;
        }
        let held = client.get_cart().cart_id(*cart).send().await;
        let lines = held.expect("the cart").into_inner().lines;
        for (product, units) in acknowledged {
            let line = lines.iter().find(|line| line.product_id == product);
            let held = line.map_or(0, |line| line.quantity);
            lost += usize::try_from(units - held).unwrap_or(0);
        }
        let quantities = lines.iter().map(|line| line.quantity);
        stored += quantities
            .map(|q| usize::try_from(q).expect("a quantity"))
            .sum::<usize>();
    }
    outcome.report(name, "changes", lost, stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_mid_load_loses_no_acknowledged_change() {
    let mut cart = helpers::spawn_with(Options {
        own_redis: true,
        ..Options::default()
    })
    .await;
    let mut redis = cart.redis.take().expect("its own Redis");
    under_load("Redis kill -9 for 1 s", &cart.base_url, false, async {
        redis.kill().expect("Redis killed");
        tokio::time::sleep(Duration::from_secs(1)).await;
        redis.resume().await.expect("Redis back");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_killed_mid_load_loses_no_acknowledged_change() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let mut config = cart::testing::config(catalog.grpc_url())
        .await
        .expect("a test configuration");
    config.http_addr = testkit::free_addr().expect("a port");
    let mut cart = ServiceProcess::start(
        env!("CARGO_BIN_EXE_cart"),
        &[],
        cart::testing::env(&config),
        config.http_addr,
    )
    .await
    .expect("the Cart's binary runs");
    let base_url = cart.http_url();
    under_load(
        "Cart kill -9, restarted after 1 s",
        &base_url,
        true,
        async {
            cart.kill().expect("the Cart killed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            cart.resume().await.expect("the Cart started again");
        },
    )
    .await;
}
