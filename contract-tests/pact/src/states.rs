//! The provider states the pacts name, shared by the consumer tests that declare them and
//! the provider tests that set them up, so a typo cannot make a state silently unknown.
//!
//! Parameters travel with a state (`product_id`, `quantity`); values a provider makes up,
//! such as the id of a cart it created, come back from the state's set-up and are put into
//! the request through Pact's provider-state expressions (`${cart_id}`).

use anyhow::Result;
use catalog::testing::TestCatalog;
use uuid::Uuid;

/// The Catalog holds its demo catalog: twelve categories, 540 products.
pub const DEMO_CATALOG: &str = "the demo catalog is loaded";
/// `product_id` is [`FOR_SALE_NAME`], in electronics, in stock, at [`FOR_SALE_PRICE`].
pub const PRODUCT_FOR_SALE: &str = "a product is for sale";
/// No product has `product_id`.
pub const NO_SUCH_PRODUCT: &str = "no product has the id";
/// A new cart with no lines; its id comes back as `cart_id`.
pub const EMPTY_CART: &str = "an empty cart";
/// A cart holding `quantity` of `product_id` (which is for sale); its id comes back as
/// `cart_id`.
pub const CART_WITH_PRODUCT: &str = "a cart holds the product";
/// No cart has `cart_id` (it expired, say).
pub const NO_SUCH_CART: &str = "no cart has the id";
/// `product_id` (which is for sale) has a four-star review; its id comes back as
/// `review_id`, and a voter Reviews issued, who has not voted yet, as `voter`.
pub const PRODUCT_REVIEWED: &str = "the product has a review";

/// The name of the product for sale: a search for "desk lamp" finds it.
pub const FOR_SALE_NAME: &str = "Brass Desk Lamp";
/// Its price in cents (USD).
pub const FOR_SALE_PRICE: i64 = 3_499;
/// Its stock.
pub const FOR_SALE_STOCK: i32 = 25;

/// Makes `id` a product for sale in `catalog`, with the name, price and stock above.
pub async fn put_product_for_sale(catalog: &TestCatalog, id: Uuid) -> Result<()> {
    let sku = format!("PACT-{}", &id.simple().to_string()[..8].to_uppercase());
    catalog
        .execute(&format!(
            "INSERT INTO products (id, sku, name, description, category_id, price_minor, currency, stock, active, attributes) \
             SELECT '{id}', '{sku}', '{FOR_SALE_NAME}', 'A solid brass lamp for a tidy desk.', id, \
                    {FOR_SALE_PRICE}, 'USD', {FOR_SALE_STOCK}, true, '{{\"colour\": \"brass\"}}' \
             FROM categories WHERE slug = 'electronics' \
             ON CONFLICT (id) DO UPDATE SET stock = EXCLUDED.stock, active = true"
        ))
        .await
}

/// Makes sure no product has `id`.
pub async fn remove_product(catalog: &TestCatalog, id: Uuid) -> Result<()> {
    catalog
        .execute(&format!("DELETE FROM products WHERE id = '{id}'"))
        .await
}
