//! The consumer side of every REST edge: each test runs the consumer's own request code
//! against Pact's mock provider (for the storefront, the request layer its pages call,
//! `storefront-api`; for Reviews, its own Catalog adapter), records the pact, and holds it
//! to the one committed under `contract-tests/pacts/`. So a pact changes when the
//! consumer's calls change, not when someone remembers to change a test.
//!
//! Each response says the least the consumer needs: the fields its generated types
//! require, matched by type or pattern where the consumer does not care about the value,
//! and exact where it does (the product it asked for, the quantity it set).

use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::Result;
use pact_consumer::builders::{
    HttpPartBuilder, InteractionBuilder, RequestBuilder, ResponseBuilder,
};
use pact_consumer::prelude::*;
use pact_models::generators::Generator;
use pact_models::prelude::DataType;
use pact_tests::consumer::{CURRENCY, MockProvider, Recording, TIMESTAMP, UUID, VOTER};
use pact_tests::states;
use serde_json::json;
use uuid::Uuid;

/// The product the storefront shows, puts in carts and reviews.
const PRODUCT: &str = "5f0c2d9e-8a51-4c1b-9d1e-3b7a8c4e2f10";
/// A product id nobody has.
const MISSING_PRODUCT: &str = "c0ffee00-0000-4000-8000-00000000dead";
/// Example ids; the provider replaces them with the ids its states make up.
const CART: &str = "8d2f6a0e-3c4b-4e59-a1f7-6b9c0d2e4f81";
const EMPTY_CART: &str = "1e7a9c3b-5d2f-4a60-8b4e-9f0a2c6d8e13";
const EXPIRED_CART: &str = "f4b1d8e2-7a3c-4c95-9e60-2d5b7f9a1c04";
const REVIEW: &str = "3a9e5c1f-2b7d-4f80-9c6a-e1d4b8f20a57";
/// A voter Reviews issued, as the example of every voter the pact names; the provider
/// puts in one its state issued.
const VOTER_EXAMPLE: &str =
    "6b3d9f1a4e8c4d27b5a0c7e2f9d1a364.Zm9yIGV4YW1wbGUgb25seSwgc2lnbmVkIGJ5IG5vYm9";
/// A voter of the right shape that Reviews never issued (say, before its key changed).
const STALE_VOTER: &str =
    "0b1c2d3e4f5a4b6c8d7e9f0a1b2c3d4e.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn id(value: &str) -> Uuid {
    value.parse().expect("a uuid")
}

/// Page numbers and sizes, quantities and star counts are never zero.
fn nonzero(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).expect("not zero")
}

/// The provider answers `status` with a JSON body.
fn answer(response: &mut ResponseBuilder, status: u16, body: impl Into<JsonPattern>) {
    response
        .status(status)
        .content_type("application/json")
        .json_body(body);
}

fn money(amount_minor: i64) -> JsonPattern {
    json_pattern!({
        "amount_minor": like!(amount_minor),
        "currency": term!(CURRENCY, "USD"),
    })
}

/// A product as the storefront reads it; `id` is exact when the storefront asked for it.
fn product(id: JsonPattern) -> JsonPattern {
    json_pattern!({
        "id": id,
        "sku": like!("PACT-5F0C2D9E"),
        "name": like!(states::FOR_SALE_NAME),
        "description": like!("A solid brass lamp for a tidy desk."),
        "category": { "slug": like!("electronics"), "name": like!("Electronics") },
        "price": money(states::FOR_SALE_PRICE),
        "stock": like!(states::FOR_SALE_STOCK),
        "active": like!(true),
        "image_url": like!(format!("/v1/products/{PRODUCT}/image")),
        "attributes": like!({}),
        "created_at": term!(TIMESTAMP, "2026-11-24T09:30:00Z"),
        "updated_at": term!(TIMESTAMP, "2026-11-24T09:30:00Z"),
    })
}

fn any_product() -> JsonPattern {
    product(term!(UUID, PRODUCT).into())
}

fn product_page() -> JsonPattern {
    json_pattern!({
        "items": each_like!(any_product()),
        "page": like!(1),
        "page_size": like!(24),
        "total_items": like!(45),
        "total_pages": like!(2),
    })
}

fn error() -> JsonPattern {
    json_pattern!({
        "code": like!("not_found"),
        "message": like!("no such thing"),
        "request_id": like!("a1b2c3"),
    })
}

/// A request value the provider fills in from what its state set up.
fn provider_state(expression: &str) -> Generator {
    Generator::ProviderStateGenerator(expression.to_owned(), Some(DataType::STRING))
}

fn product_state() -> serde_json::Value {
    json!({ "product_id": PRODUCT })
}

#[tokio::test]
async fn the_storefront_browses_the_catalog() -> Result<()> {
    let mut recording = Recording::new("storefront", "catalog")?;
    recording
        .pact
        .interaction("list the categories", "", |mut i| {
            i.given(states::DEMO_CATALOG);
            i.request.get().path("/v1/categories");
            answer(
                &mut i.response,
                200,
                json_pattern!({
                    "items": each_like!({
                        "id": term!(UUID, "0b7c4e2a-9d31-4f6e-8a52-1c3d5e7f9a20"),
                        "slug": like!("electronics"),
                        "name": like!("Electronics"),
                        "description": like!("Gadgets, chargers and smart devices."),
                        "product_count": like!(45),
                    }),
                }),
            );
            i
        })
        .interaction("list the newest products", "", |mut i| {
            i.given(states::DEMO_CATALOG);
            i.request
                .get()
                .path("/v1/products")
                .query_param("sort", "newest")
                .query_param("page_size", "8");
            answer(&mut i.response, 200, product_page());
            i
        })
        .interaction(
            "list a category's products in a price range, cheapest first",
            "",
            |mut i| {
                i.given(states::DEMO_CATALOG);
                i.request
                    .get()
                    .path("/v1/products")
                    .query_param("category", "electronics")
                    .query_param("sort", "price_asc")
                    .query_param("min_price", "1000")
                    .query_param("max_price", "5000")
                    .query_param("page", "1")
                    .query_param("page_size", "24");
                answer(&mut i.response, 200, product_page());
                i
            },
        )
        .interaction("search the products by name", "", |mut i| {
            i.given_with_params(states::PRODUCT_FOR_SALE, &product_state());
            i.request
                .get()
                .path("/v1/products")
                .query_param("q", "desk lamp")
                .query_param("page", "1")
                .query_param("page_size", "24");
            answer(&mut i.response, 200, product_page());
            i
        })
        .interaction("get a product", "", |mut i| {
            i.given_with_params(states::PRODUCT_FOR_SALE, &product_state());
            i.request.get().path(format!("/v1/products/{PRODUCT}"));
            answer(&mut i.response, 200, product(PRODUCT.into()));
            i
        })
        .interaction("get a product that does not exist", "", |mut i| {
            i.given_with_params(
                states::NO_SUCH_PRODUCT,
                &json!({ "product_id": MISSING_PRODUCT }),
            );
            i.request
                .get()
                .path(format!("/v1/products/{MISSING_PRODUCT}"));
            answer(&mut i.response, 404, error());
            i
        });
    let mock = recording.start();
    storefront_browses(&mock).await?;
    recording.finish(mock)
}

/// The storefront's own calls with only `catalog` set up: the other services are never
/// asked in this test, and a call to them would fail to connect.
fn storefront(catalog: &str, cart: &str, reviews: &str) -> storefront_api::Api {
    storefront_api::Api::at(catalog, cart, reviews)
}

const NOWHERE: &str = "http://127.0.0.1:9";

async fn storefront_browses(mock: &MockProvider) -> Result<()> {
    use catalog_api::types::ProductSort;
    use storefront_api::{ApiError, ProductQuery};
    let shop = storefront(&mock.url, NOWHERE, NOWHERE);

    let categories = shop.categories().await?;
    assert_eq!(categories[0].slug.as_str(), "electronics");

    let newest = shop.newest_products(8).await?;
    assert_eq!(newest.items[0].price.currency.as_str(), "USD");

    let listing = shop
        .products(&ProductQuery {
            category: Some("electronics".to_owned()),
            page: 1,
            sort: Some(ProductSort::PriceAsc),
            min_price: Some(1000),
            max_price: Some(5000),
            ..ProductQuery::default()
        })
        .await?;
    assert_eq!(listing.total_pages, 2);

    let found = shop
        .products(&ProductQuery {
            q: Some("desk lamp".to_owned()),
            page: 1,
            ..ProductQuery::default()
        })
        .await?;
    assert_eq!(found.items[0].name, states::FOR_SALE_NAME);

    let product = shop.product(id(PRODUCT)).await?;
    assert_eq!(product.id, id(PRODUCT));
    assert_eq!(product.price.amount_minor, states::FOR_SALE_PRICE);

    let missing = shop.product(id(MISSING_PRODUCT)).await;
    assert!(
        matches!(missing, Err(ApiError::NotFound(_))),
        "a missing product is the shop's not-found: {missing:?}"
    );
    Ok(())
}

fn cart(id: &str, lines: JsonPattern, item_count: i64) -> JsonPattern {
    json_pattern!({
        "id": term!(UUID, id),
        "lines": lines,
        "item_count": item_count,
        "subtotal": money(states::FOR_SALE_PRICE * item_count),
        "prices_stale": like!(false),
        "updated_at": term!(TIMESTAMP, "2026-11-24T09:30:00Z"),
        "expires_at": term!(TIMESTAMP, "2026-11-25T09:30:00Z"),
    })
}

/// A cart holding `quantity` of the product.
fn cart_with_product(id: &str, quantity: i64) -> JsonPattern {
    cart(
        id,
        json_pattern!([{
            "product_id": PRODUCT,
            "name": like!(states::FOR_SALE_NAME),
            "quantity": quantity,
            "unit_price": money(states::FOR_SALE_PRICE),
            "line_total": money(states::FOR_SALE_PRICE * quantity),
            "available": like!(true),
            "price_stale": like!(false),
        }]),
        quantity,
    )
}

fn cart_state(quantity: i64) -> serde_json::Value {
    json!({ "product_id": PRODUCT, "quantity": quantity })
}

#[tokio::test]
async fn the_storefront_fills_a_cart() -> Result<()> {
    let mut recording = Recording::new("storefront", "cart")?;
    recording
        .pact
        .interaction("create a cart", "", |mut i| {
            i.request.post().path("/v1/carts");
            answer(&mut i.response, 201, cart(CART, json_pattern!([]), 0));
            i
        })
        .interaction("get a cart holding a product", "", |mut i| {
            i.given_with_params(states::CART_WITH_PRODUCT, &cart_state(2));
            i.request
                .get()
                .path_from_provider_state("/v1/carts/${cart_id}", format!("/v1/carts/{CART}"));
            answer(&mut i.response, 200, cart_with_product(CART, 2));
            i
        })
        .interaction("get a cart that has expired", "", |mut i| {
            i.given_with_params(states::NO_SUCH_CART, &json!({ "cart_id": EXPIRED_CART }));
            i.request.get().path(format!("/v1/carts/{EXPIRED_CART}"));
            answer(&mut i.response, 404, error());
            i
        })
        .interaction("add a product to a cart", "", |mut i| {
            i.given(states::EMPTY_CART);
            i.given_with_params(states::PRODUCT_FOR_SALE, &product_state());
            i.request
                .post()
                .path_from_provider_state(
                    "/v1/carts/${cart_id}/lines",
                    format!("/v1/carts/{EMPTY_CART}/lines"),
                )
                .content_type("application/json")
                .json_body(json_pattern!({ "product_id": PRODUCT, "quantity": 2 }));
            answer(&mut i.response, 200, cart_with_product(EMPTY_CART, 2));
            i
        })
        .interaction("change the quantity of a line", "", |mut i| {
            i.given_with_params(states::CART_WITH_PRODUCT, &cart_state(2));
            i.request
                .put()
                .path_from_provider_state(
                    format!("/v1/carts/${{cart_id}}/lines/{PRODUCT}"),
                    format!("/v1/carts/{CART}/lines/{PRODUCT}"),
                )
                .content_type("application/json")
                .json_body(json_pattern!({ "quantity": 3 }));
            answer(&mut i.response, 200, cart_with_product(CART, 3));
            i
        })
        .interaction("remove a line", "", |mut i| {
            i.given_with_params(states::CART_WITH_PRODUCT, &cart_state(2));
            i.request.delete().path_from_provider_state(
                format!("/v1/carts/${{cart_id}}/lines/{PRODUCT}"),
                format!("/v1/carts/{CART}/lines/{PRODUCT}"),
            );
            answer(&mut i.response, 200, cart(CART, json_pattern!([]), 0));
            i
        });
    let mock = recording.start();
    storefront_fills_a_cart(&mock).await?;
    recording.finish(mock)
}

async fn storefront_fills_a_cart(mock: &MockProvider) -> Result<()> {
    use storefront_api::{ApiError, quantity};
    let shop = storefront(NOWHERE, &mock.url, NOWHERE);

    let new = shop.create_cart().await?;
    assert!(new.lines.is_empty());

    let held = shop.cart(id(CART)).await?;
    assert_eq!(held.item_count, 2);
    assert_eq!(
        held.subtotal.amount_minor,
        2 * held.lines[0].unit_price.amount_minor
    );

    let expired = shop.cart(id(EXPIRED_CART)).await;
    assert!(
        matches!(expired, Err(ApiError::NotFound(_))),
        "an expired cart is the shop's not-found: {expired:?}"
    );

    let added = shop
        .add_line(id(EMPTY_CART), id(PRODUCT), quantity(2)?)
        .await?;
    assert_eq!(added.lines[0].product_id, id(PRODUCT));

    let changed = shop
        .set_quantity(id(CART), id(PRODUCT), quantity(3)?)
        .await?;
    assert_eq!(changed.item_count, 3);

    let emptied = shop.remove_line(id(CART), id(PRODUCT)).await?;
    assert_eq!(emptied.item_count, 0);
    Ok(())
}

fn review(id: JsonPattern, helpful_count: i64) -> JsonPattern {
    json_pattern!({
        "id": id,
        "product_id": PRODUCT,
        "author": like!("Ada"),
        "rating": like!(4),
        "title": like!("Bright and steady"),
        "body": like!("Lights the whole desk without glare."),
        "attributes": like!({}),
        "helpful_count": like!(helpful_count),
        "created_at": term!(TIMESTAMP, "2026-11-24T09:30:00Z"),
        "updated_at": term!(TIMESTAMP, "2026-11-24T09:30:00Z"),
    })
}

fn rating_summary() -> JsonPattern {
    json_pattern!({
        "product_id": PRODUCT,
        "count": like!(1),
        "average": like!(4.0),
        "stars": {
            "1": like!(0), "2": like!(0), "3": like!(0), "4": like!(1), "5": like!(0),
        },
    })
}

#[tokio::test]
async fn the_storefront_reads_and_writes_reviews() -> Result<()> {
    let mut recording = Recording::new("storefront", "reviews")?;
    recording
        .pact
        .interaction("get a product's rating summary", "", |mut i| {
            i.given_with_params(states::PRODUCT_REVIEWED, &product_state());
            i.request
                .get()
                .path(format!("/v1/products/{PRODUCT}/rating-summary"));
            answer(&mut i.response, 200, rating_summary());
            i
        })
        .interaction(
            "get the rating summaries of a page of products",
            "",
            |mut i| {
                i.given_with_params(states::PRODUCT_REVIEWED, &product_state());
                i.request
                    .post()
                    .path("/v1/rating-summaries/batch")
                    .content_type("application/json")
                    .json_body(json_pattern!({ "product_ids": [PRODUCT] }));
                answer(
                    &mut i.response,
                    200,
                    json_pattern!({ "items": each_like!(rating_summary()) }),
                );
                i
            },
        )
        .interaction("list a product's reviews, newest first", "", |mut i| {
            i.given_with_params(states::PRODUCT_REVIEWED, &product_state());
            i.request
                .get()
                .path(format!("/v1/products/{PRODUCT}/reviews"))
                .query_param("sort", "newest")
                .query_param("limit", "5");
            answer(
                &mut i.response,
                200,
                json_pattern!({
                    "items": each_like!(review(term!(UUID, REVIEW).into(), 0)),
                }),
            );
            i
        })
        .interaction("write a review", "", |mut i| {
            i.given_with_params(states::PRODUCT_FOR_SALE, &product_state());
            i.request
                .post()
                .path(format!("/v1/products/{PRODUCT}/reviews"))
                .content_type("application/json")
                .json_body(json_pattern!({
                    "author": "Ada",
                    "rating": 4,
                    "title": "Bright and steady",
                    "body": "Lights the whole desk without glare.",
                }));
            answer(&mut i.response, 201, review(term!(UUID, REVIEW).into(), 0));
            i
        })
        .interaction("issue a voter", "", |mut i| {
            i.request.post().path("/v1/voters");
            answer(
                &mut i.response,
                201,
                json_pattern!({ "voter": term!(VOTER, VOTER_EXAMPLE) }),
            );
            i
        })
        .interaction("mark a review helpful", "", |mut i| {
            vote_on_the_review(&mut i, VOTER_EXAMPLE)
                .body_generator("$.voter", provider_state("${voter}"));
            answer(&mut i.response, 200, review(term!(UUID, REVIEW).into(), 1));
            i
        })
        .interaction(
            "mark a review helpful as a voter Reviews did not issue",
            "",
            |mut i| {
                vote_on_the_review(&mut i, STALE_VOTER);
                answer(
                    &mut i.response,
                    422,
                    json_pattern!({
                        "code": "unknown_voter",
                        "message": like!("the voter was not issued by this service"),
                        "request_id": like!("a1b2c3"),
                    }),
                );
                i
            },
        );
    let mock = recording.start();
    storefront_reads_and_writes_reviews(&mock).await?;
    recording.finish(mock)
}

/// A helpful vote as `voter` on the review the provider's state wrote.
fn vote_on_the_review<'i>(i: &'i mut InteractionBuilder, voter: &str) -> &'i mut RequestBuilder {
    i.given_with_params(states::PRODUCT_REVIEWED, &product_state());
    i.request
        .post()
        .path_from_provider_state(
            "/v1/reviews/${review_id}/helpful",
            format!("/v1/reviews/{REVIEW}/helpful"),
        )
        .content_type("application/json")
        .json_body(json_pattern!({ "voter": voter }))
}

async fn storefront_reads_and_writes_reviews(mock: &MockProvider) -> Result<()> {
    use reviews_api::types::{ReviewInput, ReviewSort};
    let shop = storefront(NOWHERE, NOWHERE, &mock.url);

    let summary = shop.rating_summary(id(PRODUCT)).await?;
    assert_eq!(summary.count, 1);

    let summaries = shop.rating_summaries(vec![id(PRODUCT)]).await?;
    assert_eq!(summaries[0].product_id, id(PRODUCT));

    let reviews = shop.reviews(id(PRODUCT), ReviewSort::Newest, None).await?;
    assert_eq!(reviews.items[0].rating, 4);
    assert!(reviews.next_cursor.is_none());

    let input = ReviewInput {
        author: "Ada".parse()?,
        rating: nonzero(4).into(),
        title: "Bright and steady".parse()?,
        body: "Lights the whole desk without glare.".parse()?,
        attributes: None,
    };
    let written = shop.write_review(id(PRODUCT), input).await?;
    assert_eq!(written.product_id, id(PRODUCT));

    // A browser without a voter gets one first, and keeps it.
    let (voted, voter) = shop.mark_helpful(id(REVIEW), None).await?;
    assert_eq!(voted.helpful_count, 1);
    assert_eq!(voter.voter.as_str(), VOTER_EXAMPLE);

    // One whose voter Reviews no longer knows gets a new one, and the vote still counts.
    let stale = reviews_api::types::HelpfulVote {
        voter: STALE_VOTER.parse()?,
    };
    let (voted, voter) = shop.mark_helpful(id(REVIEW), Some(stale)).await?;
    assert_eq!(voted.helpful_count, 1);
    assert_eq!(voter.voter.as_str(), VOTER_EXAMPLE);
    Ok(())
}

#[tokio::test]
async fn reviews_ask_the_catalog_for_review_context() -> Result<()> {
    let mut recording = Recording::new("reviews", "catalog")?;
    recording
        .pact
        .interaction(
            "get the review context of a product for sale",
            "",
            |mut i| {
                i.given_with_params(states::PRODUCT_FOR_SALE, &product_state());
                i.request
                    .get()
                    .path(format!("/internal/v1/products/{PRODUCT}/review-context"));
                answer(
                    &mut i.response,
                    200,
                    json_pattern!({
                        "product_id": PRODUCT,
                        "name": like!(states::FOR_SALE_NAME),
                        "category": { "slug": like!("electronics"), "name": like!("Electronics") },
                        "active": true,
                        "image_url": like!(format!("/v1/products/{PRODUCT}/image")),
                        "review_attributes": each_like!("battery_life"),
                    }),
                );
                i
            },
        )
        .interaction(
            "get the review context of an unknown product",
            "",
            |mut i| {
                i.given_with_params(
                    states::NO_SUCH_PRODUCT,
                    &json!({ "product_id": MISSING_PRODUCT }),
                );
                i.request.get().path(format!(
                    "/internal/v1/products/{MISSING_PRODUCT}/review-context"
                ));
                answer(&mut i.response, 404, error());
                i
            },
        );
    let mock = recording.start();

    // The Reviews service's own Catalog adapter, as it runs in the service.
    let catalog =
        reviews::catalog::Catalog::new(&mock.url, Duration::from_secs(5), Duration::from_secs(60))?;
    let context = catalog.review_context(id(PRODUCT)).await?;
    assert!(context.active);
    assert_eq!(context.review_attributes, ["battery_life"]);
    let unknown = catalog
        .review_context(id(MISSING_PRODUCT))
        .await
        .expect_err("an unknown product is an error");
    assert!(
        matches!(unknown, reviews::ReviewsError::UnknownProduct(product) if product == id(MISSING_PRODUCT)),
        "{unknown:?}"
    );

    recording.finish(mock)
}
