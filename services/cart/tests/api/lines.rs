//! Filling a cart: lines, quantities and a running total that always matches the
//! Catalog's prices.

use std::collections::HashSet;
use std::time::Duration;

use crate::helpers::{self, Options, in_stock, into_result};

#[tokio::test]
async fn a_new_cart_is_empty_and_lives_for_the_ttl() {
    let cart = helpers::spawn().await;
    let created = cart.client.create_cart().send().await.expect("a cart");
    assert_eq!(created.status(), 201);
    let created = created.into_inner();
    assert!(created.lines.is_empty());
    assert_eq!((created.item_count, created.subtotal.amount_minor), (0, 0));
    assert_eq!(created.subtotal.currency.as_str(), "USD");
    let lifetime = created.expires_at - chrono::Utc::now();
    assert!(
        lifetime > chrono::Duration::days(6) && lifetime <= chrono::Duration::days(7),
        "{lifetime}"
    );
}

#[tokio::test]
async fn lines_add_change_and_go_with_a_running_total() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let lamp = in_stock(20);
    let mug = helpers::product(|p| p.active && p.stock >= 20 && p.id != lamp.id);

    let after = cart.add(id, lamp.id, 2).await.expect("added");
    assert_eq!(after.lines.len(), 1);
    assert_eq!(after.lines[0].name, lamp.name);
    assert_eq!(after.lines[0].unit_price.amount_minor, lamp.price_minor);
    assert_eq!(after.lines[0].line_total.amount_minor, 2 * lamp.price_minor);

    let after = cart.add(id, lamp.id, 1).await.expect("added again");
    assert_eq!(
        after.lines.len(),
        1,
        "adding a product already there adds to its quantity"
    );
    assert_eq!(after.lines[0].quantity, 3);

    let after = cart.add(id, mug.id, 1).await.expect("added");
    let order: Vec<_> = after.lines.iter().map(|line| line.product_id).collect();
    assert_eq!(
        order,
        vec![lamp.id, mug.id],
        "lines keep the order they were added in"
    );
    assert_eq!(after.item_count, 4);
    assert_eq!(
        after.subtotal.amount_minor,
        3 * lamp.price_minor + mug.price_minor
    );

    let body = cart_api::types::SetQuantity {
        quantity: std::num::NonZeroU32::new(5).expect("5").into(),
    };
    let after = into_result(
        cart.client
            .set_line_quantity()
            .cart_id(id)
            .product_id(mug.id)
            .body(body)
            .send()
            .await,
    )
    .expect("changed");
    assert_eq!(after.item_count, 8);
    assert_eq!(
        after.subtotal.amount_minor,
        3 * lamp.price_minor + 5 * mug.price_minor
    );

    let after = into_result(
        cart.client
            .remove_line()
            .cart_id(id)
            .product_id(lamp.id)
            .send()
            .await,
    )
    .expect("removed");
    assert_eq!(
        after.lines.iter().map(|l| l.product_id).collect::<Vec<_>>(),
        vec![mug.id]
    );
    assert_eq!(after.subtotal.amount_minor, 5 * mug.price_minor);

    let read = cart.cart(id).await;
    let summary = |cart: &cart_api::types::Cart| {
        let lines: Vec<_> = cart
            .lines
            .iter()
            .map(|l| (l.product_id, l.quantity, l.line_total.amount_minor))
            .collect();
        (lines, cart.subtotal.amount_minor)
    };
    assert_eq!(
        summary(&read),
        summary(&after),
        "a read shows what the last write returned"
    );
    assert!(!read.prices_stale);

    let after = into_result(cart.client.clear_cart().cart_id(id).send().await).expect("cleared");
    assert!(after.lines.is_empty());
    assert_eq!((after.item_count, after.subtotal.amount_minor), (0, 0));
    assert_eq!(cart.cart(id).await.id, id, "clearing keeps the cart");
}

#[tokio::test]
async fn totals_follow_the_catalogs_current_price() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let lamp = in_stock(5);
    cart.add(id, lamp.id, 2).await.expect("added");
    cart.catalog
        .execute(&format!(
            "UPDATE products SET price_minor = 1234 WHERE id = '{}'",
            lamp.id
        ))
        .await
        .expect("the catalog changes");
    let read = cart.cart(id).await;
    assert_eq!(read.lines[0].unit_price.amount_minor, 1234);
    assert_eq!(read.subtotal.amount_minor, 2468);

    cart.catalog
        .execute(&format!(
            "UPDATE products SET active = false WHERE id = '{}'",
            lamp.id
        ))
        .await
        .expect("the catalog changes");
    let read = cart.cart(id).await;
    assert!(
        !read.lines[0].available,
        "a product no longer for sale is flagged"
    );
    assert_eq!(
        (read.item_count, read.subtotal.amount_minor),
        (0, 0),
        "and counts toward nothing"
    );
}

#[tokio::test]
async fn a_change_asks_the_catalog_once_and_its_answer_prices_the_whole_cart() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let products: Vec<_> = catalog::seed::products()
        .into_iter()
        .filter(|p| p.active && p.stock >= 5)
        .take(3)
        .collect();
    for product in &products[..2] {
        cart.add(id, product.id, 1).await.expect("added");
    }
    // A line's price changes while it sits in the cart.
    cart.catalog
        .execute(&format!(
            "UPDATE products SET price_minor = 1234 WHERE id = '{}'",
            products[0].id
        ))
        .await
        .expect("the catalog changes");

    let calls = cart.catalog_grpc_calls().await;
    let added = cart.add(id, products[2].id, 1).await.expect("added");
    assert_eq!(
        cart.catalog_grpc_calls().await - calls,
        1,
        "calls for an add"
    );
    assert_eq!(added.lines.len(), 3);
    assert_eq!(added.lines[0].unit_price.amount_minor, 1234);
    assert!(!added.prices_stale);
    // The answer is the cart as stored (the Cart works it out rather than reading it back).
    let read = cart.cart(id).await;
    let json = |value: &_| serde_json::to_value(value).expect("JSON");
    assert_eq!(json(&added.lines), json(&read.lines));
    assert_eq!(added.updated_at, read.updated_at);

    let calls = cart.catalog_grpc_calls().await;
    let set = cart
        .client
        .set_line_quantity()
        .cart_id(id)
        .product_id(products[1].id)
        .body(cart_api::types::SetQuantity {
            quantity: std::num::NonZeroU32::new(3).expect("non-zero").into(),
        })
        .send()
        .await
        .expect("set")
        .into_inner();
    assert_eq!(
        cart.catalog_grpc_calls().await - calls,
        1,
        "calls for a set"
    );
    assert_eq!(set.item_count, 5);
    assert_eq!(
        set.subtotal.amount_minor,
        1234 + 3 * products[1].price_minor + products[2].price_minor
    );
}

/// `count` adds of one unit of `product` to cart `id`, all at once.
async fn adds_at_once(
    cart: &helpers::TestCart,
    id: uuid::Uuid,
    product: uuid::Uuid,
    count: usize,
) -> Vec<Result<cart_api::types::Cart, (u16, cart_api::types::Error)>> {
    let adds: Vec<_> = (0..count)
        .map(|_| {
            let client = cart.client.clone();
            let body = cart_api::types::AddLine {
                product_id: product,
                quantity: std::num::NonZeroU32::MIN.into(),
            };
            tokio::spawn(async move {
                into_result(client.add_line().cart_id(id).body(body).send().await)
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(count);
    for add in adds {
        answers.push(add.await.expect("the task"));
    }
    answers
}

/// How many adds were accepted, and how many refused with the error `code` (any other
/// answer fails the test).
fn accepted_and_refused(
    answers: &[Result<cart_api::types::Cart, (u16, cart_api::types::Error)>],
    code: &str,
) -> (usize, usize) {
    let mut counts = (0, 0);
    for answer in answers {
        match answer {
            Ok(_) => counts.0 += 1,
            Err((status, error)) => {
                assert_eq!(
                    (*status, error.code.as_str()),
                    (422, code),
                    "{}",
                    error.message
                );
                counts.1 += 1;
            }
        }
    }
    counts
}

#[tokio::test]
async fn concurrent_adds_never_lose_an_increment_or_pass_the_limit() {
    let cart = helpers::spawn().await;
    let product = in_stock(99);

    // 60 adds of one unit, all at once: exactly 60 units.
    let id = cart.new_cart().await;
    let answers = adds_at_once(&cart, id, product.id, 60).await;
    assert_eq!(accepted_and_refused(&answers, "none"), (60, 0));
    assert_eq!(cart.cart(id).await.lines[0].quantity, 60);

    // 200 at once on a fresh cart: 99 fit, the other 101 are refused, and 99 it stays.
    let id = cart.new_cart().await;
    let answers = adds_at_once(&cart, id, product.id, 200).await;
    assert_eq!(accepted_and_refused(&answers, "quantity_limit"), (99, 101));
    assert_eq!(cart.cart(id).await.lines[0].quantity, 99);
}

#[tokio::test]
async fn concurrent_adds_never_put_more_than_the_stock_in_a_cart() {
    let cart = helpers::spawn().await;
    let lamp = in_stock(10);
    cart.catalog
        .execute(&format!(
            "UPDATE products SET stock = 3 WHERE id = '{}'",
            lamp.id
        ))
        .await
        .expect("the catalog changes");

    // Each add asks the Catalog about the quantity it would make, and several may be told
    // yes at once; the cart's script holds the line to the stock the Catalog reported.
    let id = cart.new_cart().await;
    let answers = adds_at_once(&cart, id, lamp.id, 20).await;
    assert_eq!(
        accepted_and_refused(&answers, "insufficient_stock"),
        (3, 17)
    );
    assert_eq!(cart.cart(id).await.lines[0].quantity, 3);
}

#[tokio::test]
async fn a_cart_holds_at_most_fifty_products() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let products: Vec<_> = catalog::seed::products()
        .into_iter()
        .filter(|p| p.active && p.stock >= 1)
        .take(51)
        .collect();
    for product in &products[..50] {
        cart.add(id, product.id, 1).await.expect("fits");
    }
    let (status, error) = cart
        .add(id, products[50].id, 1)
        .await
        .expect_err("the 51st is refused");
    assert_eq!((status, error.code.as_str()), (422, "line_limit"));
    assert!(error.message.contains("50"), "{}", error.message);
    let read = cart.cart(id).await;
    assert_eq!(read.lines.len(), 50);
    let distinct: HashSet<_> = read.lines.iter().map(|l| l.product_id).collect();
    assert_eq!(distinct.len(), 50);
}

#[tokio::test]
async fn an_abandoned_cart_expires_and_every_write_extends_it() {
    let cart = helpers::spawn_with(Options {
        ttl: Duration::from_secs(2),
        ..Options::default()
    })
    .await;
    let id = cart.new_cart().await;
    let first = cart.cart(id).await.expires_at;
    // Not a wait for readiness: the TTL is measured in time, so some must pass.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after_write = cart
        .add(id, in_stock(1).id, 1)
        .await
        .expect("added")
        .expires_at;
    assert!(
        after_write > first,
        "a write refreshes the TTL: {first} then {after_write}"
    );

    testkit::poll_until("the cart to expire", Duration::from_secs(15), || {
        let request = cart.client.get_cart().cart_id(id);
        async move {
            match into_result(request.send().await) {
                Err((404, error)) if error.code == "cart_not_found" => Ok(()),
                other => anyhow::bail!("still there: {other:?}"),
            }
        }
    })
    .await
    .expect("the abandoned cart expires");
}
