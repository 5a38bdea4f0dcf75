//! The Cart when its dependencies fail: the Catalog stopped, frozen or slow mid-test,
//! Redis stopped and restarted, the Cart itself restarted. Nothing is lost, and it
//! recovers by itself.

use std::time::Duration;

use testkit::Faults;
use testkit::proxy::Fault;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{self, Options, in_stock, into_result};

#[tokio::test]
async fn without_the_catalog_reads_work_with_stale_prices_and_writes_wait() {
    let mut cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let (lamp, mug) = (
        in_stock(10),
        helpers::product(|p| p.active && p.stock >= 10 && p.price_minor > 1000),
    );
    cart.add(id, lamp.id, 2).await.expect("added");

    cart.catalog.stop().await.expect("the catalog stops");
    let read = cart.cart(id).await;
    assert!(read.prices_stale && read.lines[0].price_stale);
    assert_eq!(
        read.lines[0].unit_price.amount_minor, lamp.price_minor,
        "the last known price"
    );
    assert_eq!(read.subtotal.amount_minor, 2 * lamp.price_minor);

    let response = cart
        .http
        .post(cart.url(&format!("/v1/carts/{id}/lines")))
        .json(&serde_json::json!({"product_id": mug.id, "quantity": 1}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 503);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["code"], "catalog_unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("catalog"),
        "{body}"
    );

    // Removing a line needs no Catalog and still works; the cart loses nothing else.
    let after = into_result(
        cart.client
            .remove_line()
            .cart_id(id)
            .product_id(lamp.id)
            .send()
            .await,
    )
    .expect("removed");
    assert!(after.lines.is_empty());
    cart.add(id, lamp.id, 2)
        .await
        .expect_err("still no catalog");

    cart.catalog
        .restart()
        .await
        .expect("the catalog starts again");
    cart.add_within(Duration::from_secs(30), id, mug.id, 1)
        .await
        .expect("the cart recovers by itself");
    let read = cart.cart(id).await;
    assert!(!read.prices_stale);
    assert_eq!(
        read.lines
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect::<Vec<_>>(),
        vec![(mug.id, 1)]
    );
}

#[tokio::test]
async fn without_redis_requests_get_503_and_the_cart_comes_back_with_it() {
    let mut cart = helpers::spawn_with(Options {
        own_redis: true,
        ..Options::default()
    })
    .await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    cart.add(id, lamp.id, 3).await.expect("added");

    cart.redis().stop().expect("Redis stops");
    let (status, error) =
        into_result(cart.client.get_cart().cart_id(id).send().await).expect_err("no store");
    assert_eq!((status, error.code.as_str()), (503, "store_unavailable"));
    assert_eq!(cart.status_of("/readyz").await, 503);
    assert_eq!(cart.status_of("/healthz").await, 200);

    cart.redis().resume().await.expect("Redis starts again");
    cart.cart_within(Duration::from_secs(30), id)
        .await
        .expect("the cart recovers by itself");
    let read = cart.cart(id).await;
    assert_eq!(
        read.lines
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect::<Vec<_>>(),
        vec![(lamp.id, 3)],
        "nothing lost"
    );
    assert_eq!(cart.status_of("/readyz").await, 200);
}

#[tokio::test]
async fn carts_survive_a_restart_of_the_cart_service() {
    let mut cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    cart.add(id, lamp.id, 4).await.expect("added");
    cart.restart_service().await;
    let read = cart.cart(id).await;
    assert_eq!(
        read.lines
            .iter()
            .map(|l| (l.product_id, l.quantity))
            .collect::<Vec<_>>(),
        vec![(lamp.id, 4)]
    );
}

#[tokio::test]
async fn probes_whose_shoppers_hung_up_do_not_keep_the_breaker_open() {
    let mut cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    cart.catalog.stop().await.expect("the catalog stops");
    // Enough failed adds to open the test breaker (3 in a row).
    for _ in 0..4 {
        let (status, error) = cart.add(id, lamp.id, 1).await.expect_err("no catalog");
        assert_eq!((status, error.code.as_str()), (503, "catalog_unavailable"));
    }
    // Then shoppers who close the connection after 50 ms, for three open periods (1 s
    // each): every probe the breaker lets through is cancelled mid-call. (A raw socket,
    // because an HTTP client's timeout leaves its connection open.)
    let address = cart.base_url.trim_start_matches("http://").to_owned();
    let body = serde_json::json!({"product_id": lamp.id, "quantity": 1}).to_string();
    let request = format!(
        "POST /v1/carts/{id}/lines HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while tokio::time::Instant::now() < until {
        let mut socket = tokio::net::TcpStream::connect(&address)
            .await
            .expect("the cart accepts");
        socket
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        let mut answer = [0; 1024];
        let _gave_up =
            tokio::time::timeout(Duration::from_millis(50), socket.read(&mut answer)).await;
    }

    cart.catalog
        .restart()
        .await
        .expect("the catalog starts again");
    cart.add_within(Duration::from_secs(10), id, lamp.id, 1)
        .await
        .expect("the breaker closes by itself within a few open periods");
}

#[tokio::test]
async fn with_redis_frozen_the_cart_answers_503_fast_and_sheds_what_it_cannot_hold() {
    let mut cart = helpers::spawn_with(Options {
        own_redis: true,
        max_in_flight: 4,
        ..Options::default()
    })
    .await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    cart.add(id, lamp.id, 2).await.expect("added");

    cart.redis().freeze().expect("Redis freezes");
    assert_eq!(
        cart.status_of("/readyz").await,
        503,
        "not ready while Redis answers nothing"
    );

    // Twenty shoppers at once: four are served (and told the store is away once its
    // timeout passes), the rest are turned away at once. Every answer is a 503 in the
    // contract's shape with a Retry-After.
    let reads: Vec<_> = (0..20)
        .map(|_| {
            let (http, url) = (cart.http.clone(), cart.url(&format!("/v1/carts/{id}")));
            tokio::spawn(async move { http.get(url).send().await })
        })
        .collect();
    let mut codes = Vec::new();
    for read in reads {
        let response = read.await.expect("the task").expect("an answer");
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.expect("the Error body");
        codes.push(body["code"].as_str().unwrap_or_default().to_owned());
    }
    let shed = codes.iter().filter(|code| *code == "overloaded").count();
    let served = codes
        .iter()
        .filter(|code| *code == "store_unavailable")
        .count();
    assert_eq!(shed + served, 20, "{codes:?}");
    assert!(
        (1..=4).contains(&served) && shed >= 16,
        "at most 4 served at once: {codes:?}"
    );

    cart.redis().thaw().expect("Redis goes on");
    let back = cart
        .cart_within(Duration::from_secs(10), id)
        .await
        .expect("the cart recovers by itself");
    assert_eq!(back.lines[0].quantity, 2, "nothing lost");
}

/// Sends adds while the Catalog is away (frozen or too slow) until the breaker answers one
/// without asking it: each is a 503 `catalog_unavailable` with `Retry-After` that changes
/// nothing, none waits past the Cart's Catalog timeout and one retry, and the breaker
/// opens within a few adds. Returns how many adds that took.
async fn adds_until_the_breaker_answers(cart: &helpers::TestCart, id: uuid::Uuid) -> usize {
    let product = in_stock(10);
    for adds in 1..=6 {
        let sent = std::time::Instant::now();
        let response = cart
            .http
            .post(cart.url(&format!("/v1/carts/{id}/lines")))
            .json(&serde_json::json!({"product_id": product.id, "quantity": 1}))
            .send()
            .await
            .expect("an answer");
        let took = sent.elapsed();
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["code"], "catalog_unavailable", "{body}");
        // Two attempts of 500 ms each (the test configuration), and a backoff between.
        assert!(took < Duration::from_millis(1500), "an add took {took:?}");
        if took < Duration::from_millis(100) {
            return adds;
        }
    }
    panic!("the breaker did not open within 6 adds");
}

/// The value `read` gives once it has not changed for a second (within 15 s).
async fn settled<F: Future<Output = u64>>(read: impl Fn() -> F) -> u64 {
    let started = std::time::Instant::now();
    let (mut value, mut since) = (read().await, std::time::Instant::now());
    while since.elapsed() < Duration::from_secs(1) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "it never settled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = read().await;
        if now != value {
            (value, since) = (now, std::time::Instant::now());
        }
    }
    value
}

/// A Cart that reaches the Catalog through a proxy, and a cart holding `quantity` of a
/// product in stock.
async fn cart_behind_a_proxy(
    quantity: u32,
) -> (helpers::TestCart, uuid::Uuid, catalog::seed::SeedProduct) {
    let cart = helpers::spawn_with(Options {
        catalog_proxy: true,
        ..Options::default()
    })
    .await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    cart.add(id, lamp.id, quantity).await.expect("added");
    (cart, id, lamp)
}

/// The Catalog is back: how long until an add works again (the breaker lets a probe
/// through once its 1 s open period is over).
async fn recovery(cart: &helpers::TestCart, id: uuid::Uuid, product: uuid::Uuid) -> Duration {
    let back = std::time::Instant::now();
    cart.add_within(Duration::from_secs(15), id, product, 1)
        .await
        .expect("the cart recovers by itself");
    back.elapsed()
}

#[tokio::test]
async fn with_the_catalog_frozen_writes_fail_fast_once_the_breaker_opens_and_reads_go_on() {
    let (cart, id, lamp) = cart_behind_a_proxy(2).await;

    // Connections stay open and nothing comes back, as from a Catalog under SIGSTOP.
    cart.catalog_proxy().set(Fault::Frozen);
    let adds = adds_until_the_breaker_answers(&cart, id).await;
    let read = cart.cart(id).await;
    assert!(
        read.prices_stale,
        "the open breaker serves the last known prices"
    );
    assert_eq!(read.lines[0].quantity, 2, "no refused add changed the cart");

    cart.catalog_proxy().set(Fault::None);
    let recovered = recovery(&cart, id, lamp.id).await;
    assert_eq!(cart.quantity(id, lamp.id).await, 3);
    println!(
        "Catalog frozen: the breaker answered the add {adds} at once; adds worked again \
         {} ms after the Catalog went on",
        recovered.as_millis()
    );
}

#[tokio::test]
async fn with_the_catalog_slow_writes_wait_within_the_timeout_and_fail_fast_beyond_it() {
    let (cart, id, lamp) = cart_behind_a_proxy(1).await;

    // Slow but within the Cart's 500 ms Catalog timeout: every add works, only slower.
    cart.catalog_proxy()
        .set(Fault::Delay(Duration::from_millis(100)));
    for _ in 0..5 {
        cart.add(id, lamp.id, 1)
            .await
            .expect("a slow add still works");
    }
    assert_eq!(cart.quantity(id, lamp.id).await, 6);

    // Slower than the timeout: the same as no Catalog, answered at once once it opens.
    let calls_before = cart.catalog_grpc_calls().await;
    cart.catalog_proxy()
        .set(Fault::Delay(Duration::from_millis(800)));
    let adds = adds_until_the_breaker_answers(&cart, id).await;
    assert_eq!(
        cart.quantity(id, lamp.id).await,
        6,
        "no refused add changed the cart"
    );
    // What the Cart sent reaches the Catalog 800 ms late; the count settles once it has.
    let calls = settled(|| cart.catalog_grpc_calls()).await - calls_before;
    let waited = u64::try_from(adds - 1).expect("a count");
    assert!(
        (waited..=2 * waited).contains(&calls),
        "{waited} adds waited on the Catalog and cost {calls} calls: one try and at most \
         one retry each, none once the breaker answers"
    );

    cart.catalog_proxy().set(Fault::None);
    let recovered = recovery(&cart, id, lamp.id).await;
    assert_eq!(cart.quantity(id, lamp.id).await, 7);
    println!(
        "Catalog slow (800 ms): {calls} Catalog calls for {waited} adds, the breaker \
         answered the add {adds} at once; adds worked again {} ms after the Catalog was fast",
        recovered.as_millis()
    );
}
