//! Every bad input gets the right 4xx with a message that says what is wrong, and leaves
//! the cart exactly as it was.

use serde_json::{Value, json};
use testkit::refusal::error_of;

use crate::helpers::{self, TestCart, in_stock, into_result};

async fn snapshot(cart: &TestCart, id: uuid::Uuid) -> Vec<(uuid::Uuid, i32)> {
    cart.cart(id)
        .await
        .lines
        .iter()
        .map(|line| (line.product_id, line.quantity))
        .collect()
}

#[tokio::test]
async fn refused_changes_leave_the_cart_unchanged() {
    let cart = helpers::spawn().await;
    let id = cart.new_cart().await;
    let kept = in_stock(10);
    cart.add(id, kept.id, 2).await.expect("added");
    let before = snapshot(&cart, id).await;

    let inactive = helpers::product(|p| !p.active);
    let scarce = helpers::product(|p| p.active && p.stock == 3);
    let sold_out = helpers::product(|p| p.active && p.stock == 0);
    let lines = cart.url(&format!("/v1/carts/{id}/lines"));
    let cases: Vec<(&str, Value, u16, &str, String)> = vec![
        (
            "quantity 0",
            json!({"product_id": kept.id, "quantity": 0}),
            422,
            "invalid_body",
            "quantity".into(),
        ),
        (
            "quantity 100",
            json!({"product_id": kept.id, "quantity": 100}),
            422,
            "invalid_quantity",
            "99".into(),
        ),
        (
            "unknown product",
            json!({"product_id": uuid::Uuid::new_v4(), "quantity": 1}),
            422,
            "unknown_product",
            "does not exist".into(),
        ),
        (
            "not for sale",
            json!({"product_id": inactive.id, "quantity": 1}),
            422,
            "not_for_sale",
            inactive.name.clone(),
        ),
        (
            "too few in stock",
            json!({"product_id": scarce.id, "quantity": 4}),
            422,
            "insufficient_stock",
            "only 3".into(),
        ),
        (
            "sold out",
            json!({"product_id": sold_out.id, "quantity": 1}),
            422,
            "insufficient_stock",
            "only 0".into(),
        ),
        (
            "over the line limit",
            json!({"product_id": kept.id, "quantity": 98}),
            422,
            "quantity_limit",
            "99".into(),
        ),
        (
            "not a UUID",
            json!({"product_id": "lamp", "quantity": 1}),
            422,
            "invalid_body",
            "product_id".into(),
        ),
        (
            "unknown field",
            json!({"product_id": kept.id, "quantity": 1, "gift": true}),
            422,
            "invalid_body",
            "gift".into(),
        ),
    ];
    for (what, body, status, code, says) in cases {
        let (got_status, got_code, message) = error_of(cart.http.post(&lines).json(&body)).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{what}: {message}"
        );
        assert!(
            message.contains(&says),
            "{what}: {message:?} should say {says:?}"
        );
        assert_eq!(snapshot(&cart, id).await, before, "{what} changed the cart");
    }

    let (status, code, _) = error_of(
        cart.http
            .post(&lines)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "malformed_body"));
    let (status, code, _) = error_of(cart.http.post(&lines).body(r#"{"quantity": 1}"#)).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    let set = cart.url(&format!("/v1/carts/{id}/lines/{}", kept.id));
    let (status, code, _) = error_of(cart.http.put(&set).json(&json!({"quantity": 100}))).await;
    assert_eq!((status, code.as_str()), (422, "invalid_quantity"));
    let (status, code, message) = error_of(
        cart.http
            .put(&set)
            .json(&json!({"quantity": kept.stock + 1})),
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (422, "insufficient_stock"),
        "{message}"
    );
    assert_eq!(snapshot(&cart, id).await, before);
}

#[tokio::test]
async fn unknown_carts_and_lines_are_404s_and_malformed_ids_400s() {
    let cart = helpers::spawn().await;
    let product = in_stock(1);
    let nobody = uuid::Uuid::new_v4();
    let (status, error) = cart
        .add(nobody, product.id, 1)
        .await
        .expect_err("no such cart");
    assert_eq!((status, error.code.as_str()), (404, "cart_not_found"));
    let (status, error) =
        into_result(cart.client.get_cart().cart_id(nobody).send().await).expect_err("no such cart");
    assert_eq!((status, error.code.as_str()), (404, "cart_not_found"));
    let (status, _) = into_result(cart.client.clear_cart().cart_id(nobody).send().await)
        .expect_err("no such cart");
    assert_eq!(status, 404);

    let id = cart.new_cart().await;
    let (status, error) = into_result(
        cart.client
            .remove_line()
            .cart_id(id)
            .product_id(product.id)
            .send()
            .await,
    )
    .expect_err("no line");
    assert_eq!((status, error.code.as_str()), (404, "line_not_found"));
    let body = cart_api::types::SetQuantity {
        quantity: std::num::NonZeroU32::MIN.into(),
    };
    let (status, error) = into_result(
        cart.client
            .set_line_quantity()
            .cart_id(id)
            .product_id(product.id)
            .body(body)
            .send()
            .await,
    )
    .expect_err("no line");
    assert_eq!((status, error.code.as_str()), (404, "line_not_found"));

    for path in [
        "/v1/carts/not-a-cart",
        "/v1/carts/123/lines",
        &format!("/v1/carts/{id}/lines/abc"),
    ] {
        let request = if path.ends_with("/lines") {
            cart.http
                .post(cart.url(path))
                .json(&json!({"product_id": product.id, "quantity": 1}))
        } else {
            cart.http.get(cart.url(path))
        };
        let (status, code, message) = error_of(request).await;
        // `/lines/abc` has no GET: the router says so before looking at the id.
        assert!(
            matches!(
                (status, code.as_str()),
                (400, "invalid_path") | (405, "method_not_allowed")
            ),
            "{path}: {status} {message}"
        );
    }
    let (status, code, _) = error_of(
        cart.http
            .delete(cart.url(&format!("/v1/carts/{id}/lines/abc"))),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_path"));
}
