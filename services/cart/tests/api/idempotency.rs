//! Changes sent with an `Idempotency-Key`: a repeat gives the first answer and changes
//! nothing, also when the first answer was a 503 for a change that was in fact made.

use std::time::Duration;

use uuid::Uuid;

use crate::helpers::{self, Options, in_stock, into_result};

/// The shop's counters count what shoppers did: a repeat under its key adds nothing.
#[tokio::test]
async fn a_repeated_add_is_not_counted_again() {
    let cart = helpers::spawn().await;
    let created = cart.counter("localmart_carts_created_total").await;
    let added = cart.counter("localmart_cart_lines_added_total").await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    let key = Uuid::new_v4();
    for _ in 0..3 {
        cart.add_keyed(id, lamp.id, 1, key).await.expect("added");
    }
    cart.add(id, lamp.id, 1).await.expect("added without a key");
    assert_eq!(
        cart.counter("localmart_carts_created_total").await,
        created + 1
    );
    assert_eq!(
        cart.counter("localmart_cart_lines_added_total").await,
        added + 2,
        "one add under a key sent three times, and one without"
    );
}

#[tokio::test]
async fn repeating_a_change_with_its_key_makes_it_once() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    let mug = helpers::product(|p| p.active && p.stock >= 10 && p.id != lamp.id);

    let add = Uuid::new_v4();
    for attempt in 1..=3 {
        let answer = cart.add_keyed(id, lamp.id, 2, add).await;
        let answer = answer
            .unwrap_or_else(|(status, e)| panic!("attempt {attempt}: {status} {}", e.message));
        assert_eq!(
            answer.item_count, 2,
            "attempt {attempt} answers as the first did"
        );
    }
    // Without a key, a repeat is another change.
    cart.add(id, mug.id, 1).await.expect("added");
    cart.add(id, mug.id, 1).await.expect("added again");
    assert_eq!(cart.quantity(id, mug.id).await, 2);

    let set = Uuid::new_v4();
    for _ in 0..2 {
        let request = cart
            .client
            .set_line_quantity()
            .cart_id(id)
            .product_id(lamp.id);
        let body = cart_api::types::SetQuantity {
            quantity: std::num::NonZeroU32::new(5).expect("5").into(),
        };
        let answer = into_result(request.idempotency_key(set).body(body).send().await);
        assert!(answer.is_ok(), "{:?}", answer.err());
    }
    // A shopper's later change is not undone by a late repeat of the earlier one.
    cart.add(id, lamp.id, 1).await.expect("one more");
    let late = cart.add_keyed(id, lamp.id, 2, add).await.expect("a repeat");
    assert_eq!(late.item_count, 6 + 2, "lamp 6, mug 2");

    let remove = Uuid::new_v4();
    for attempt in 1..=2 {
        let request = cart.client.remove_line().cart_id(id).product_id(mug.id);
        let answer = into_result(request.idempotency_key(remove).send().await);
        let answer =
            answer.unwrap_or_else(|(status, e)| panic!("remove {attempt}: {status} {}", e.message));
        assert!(answer.lines.iter().all(|line| line.product_id != mug.id));
    }
    let clear = Uuid::new_v4();
    for _ in 0..2 {
        let answer = into_result(
            cart.client
                .clear_cart()
                .cart_id(id)
                .idempotency_key(clear)
                .send()
                .await,
        );
        assert!(answer.expect("cleared").lines.is_empty());
    }
    // The key of the add has done its work: it no longer adds, even to an empty cart.
    let replayed = cart.add_keyed(id, lamp.id, 2, add).await.expect("a repeat");
    assert!(replayed.lines.is_empty(), "{replayed:?}");
}

#[tokio::test]
async fn a_key_is_refused_for_another_change_and_is_kept_per_cart() {
    let cart = helpers::spawn().await;
    let (first, second) = (cart.new_cart().await, cart.new_cart().await);
    let lamp = in_stock(10);
    let key = Uuid::new_v4();
    cart.add_keyed(first, lamp.id, 1, key).await.expect("added");

    let (status, error) = cart
        .add_keyed(first, lamp.id, 3, key)
        .await
        .expect_err("another quantity under the same key");
    assert_eq!(
        (status, error.code.as_str()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(cart.quantity(first, lamp.id).await, 1, "nothing changed");
    let removed = cart.client.remove_line().cart_id(first).product_id(lamp.id);
    let (status, error) = into_result(removed.idempotency_key(key).send().await)
        .expect_err("a remove under the add's key");
    assert_eq!(
        (status, error.code.as_str()),
        (422, "idempotency_key_reused")
    );
    let cleared = cart.client.clear_cart().cart_id(first).idempotency_key(key);
    let (status, error) = into_result(cleared.send().await).expect_err("a clear under it");
    assert_eq!(
        (status, error.code.as_str()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(cart.quantity(first, lamp.id).await, 1, "nothing changed");

    // Another shopper's cart does not see this one's keys.
    cart.add_keyed(second, lamp.id, 1, key)
        .await
        .expect("added to the other cart");
    assert_eq!(cart.quantity(second, lamp.id).await, 1);

    // A refused change records nothing: corrected, it goes through with the same key.
    let retry = Uuid::new_v4();
    let too_many = u32::try_from(lamp.stock).expect("a stock") + 1;
    let (status, error) = cart
        .add_keyed(second, lamp.id, too_many, retry)
        .await
        .expect_err("more than the stock");
    assert_eq!((status, error.code.as_str()), (422, "insufficient_stock"));
    cart.add_keyed(second, lamp.id, 1, retry)
        .await
        .expect("the corrected change");
    assert_eq!(cart.quantity(second, lamp.id).await, 2);

    let malformed = cart
        .http
        .post(cart.url(&format!("/v1/carts/{first}/lines")))
        .header("idempotency-key", "twice-is-nice")
        .json(&serde_json::json!({"product_id": lamp.id, "quantity": 1}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.expect("JSON");
    assert_eq!(body["code"], "invalid_header", "{body}");
    assert_eq!(cart.quantity(first, lamp.id).await, 1, "nothing changed");
}

/// The case the key exists for: the request ends with a 503 while the cart store is still
/// making the change, so the shopper is told 503 for a change that is made; the retry must
/// not make it again. Redis holds writes the way it does during a failover (`CLIENT PAUSE
/// WRITE`), for longer than the request's deadline.
#[tokio::test]
async fn a_change_that_outlived_its_deadline_is_made_once_when_retried_with_its_key() {
    let mut cart = helpers::spawn_with(Options {
        own_redis: true,
        deadline: Some(Duration::from_millis(300)),
        redis_timeout: Some(Duration::from_secs(5)),
        ..Options::default()
    })
    .await;
    let id = cart.new_cart().await;
    let lamp = in_stock(10);
    let key = Uuid::new_v4();
    // A Cart that has served an add before: Redis knows the add script by its hash.
    let earlier = cart.new_cart().await;
    cart.add(earlier, lamp.id, 1).await.expect("an earlier add");

    let client = redis::Client::open(cart.redis().url()).expect("a Redis URL");
    let mut redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("a connection");
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1000)
        .arg("WRITE")
        .query_async(&mut redis)
        .await
        .expect("writes paused");
    let (status, error) = cart
        .add_keyed(id, lamp.id, 1, key)
        .await
        .expect_err("the deadline passes");
    assert_eq!((status, error.code.as_str()), (503, "deadline_exceeded"));

    // The change is made all the same once Redis lets writes through (until then reads
    // wait behind it on the Cart's connection, and outlive their deadline too).
    let made = testkit::poll_until("the change to show", Duration::from_secs(5), || async {
        let read = into_result(cart.client.get_cart().cart_id(id).send().await);
        let cart = read.map_err(|(status, e)| anyhow::anyhow!("{status} {}", e.code))?;
        match cart.item_count {
            1 => Ok(()),
            other => Err(anyhow::anyhow!("{other} items")),
        }
    });
    made.await.expect("the change was made");

    let retried = cart
        .add_keyed(id, lamp.id, 1, key)
        .await
        .expect("the retry");
    assert_eq!(retried.item_count, 1, "the retry did not add again");
}
