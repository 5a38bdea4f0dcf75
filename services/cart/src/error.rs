//! What can go wrong in the Cart, in domain terms; `rest` maps each to an HTTP status in
//! one table.

use std::time::Duration;

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("no cart has id {0}; it may have expired")]
    CartNotFound(Uuid),
    #[error("the cart has no line for product {0}")]
    LineNotFound(Uuid),
    #[error("quantity must be between 1 and {max}, got {got}")]
    QuantityOutOfRange { got: u32, max: u32 },
    #[error("a line holds at most {max} units; the cart already has {current} of this product")]
    QuantityLimit { current: u32, max: u32 },
    #[error("a cart holds at most {max} different products")]
    LineLimit { max: u32 },
    #[error("product {0} does not exist")]
    UnknownProduct(Uuid),
    #[error("{name} is not for sale")]
    NotForSale { name: String },
    #[error("only {available} of {name} in stock, {wanted} asked for")]
    InsufficientStock {
        name: String,
        available: i32,
        wanted: u32,
    },
    #[error("{name} is priced in {currency}, this cart in {cart_currency}")]
    CurrencyMismatch {
        name: String,
        currency: String,
        cart_currency: String,
    },
    #[error("this Idempotency-Key was used for another change; make up a new key for each change")]
    IdempotencyKeyReused,
    #[error("the catalog cannot be reached; the cart is unchanged, try again in {} s", .retry_after.as_secs().max(1))]
    CatalogUnavailable { retry_after: Duration },
    #[error("the catalog refused the request: {0}")]
    CatalogRejected(String),
    #[error("the cart store cannot be reached; try again shortly")]
    StoreUnavailable(#[source] redis::RedisError),
    #[error("stored cart data is corrupt: {0}")]
    Corrupt(String),
}
