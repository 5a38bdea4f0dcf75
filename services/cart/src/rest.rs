//! The REST API: the generated `CartApi` trait over the store and the Catalog.
//!
//! Changes that need the Catalog (add, set quantity) ask it first and write only when it
//! agrees, so a refused or failed change leaves the cart as it was. Each costs one read of
//! the cart, one Catalog call and one script: the Catalog validates every line of the cart
//! at once (the changed one at its new quantity), which also prices the cart, and the
//! script writes the change, keeps the prices and answers the cart as it is after it.
//! Reads price every line with one batch call and fall back to the last known prices when
//! the Catalog is away.

use std::collections::HashMap;
use std::sync::Arc;

use api_runtime::ServiceError;
use axum::http::StatusCode;
use cart_api::server::{
    AddLineHeaders, AddLinePath, AddLineResponse, CartApi, ClearCartHeaders, ClearCartPath,
    ClearCartResponse, CreateCartResponse, GetCartPath, GetCartResponse, RemoveLineHeaders,
    RemoveLinePath, RemoveLineResponse, SetLineQuantityHeaders, SetLineQuantityPath,
    SetLineQuantityResponse,
};
use cart_api::types;
use platform::metrics::{Counter, Metrics};
use uuid::Uuid;

use crate::catalog::{Catalog, Price, Verdict};
use crate::error::CartError;
use crate::pricing::{self, PricedCart};
use crate::store::{Change, IdempotencyKey, MAX_QUANTITY, Store, StoredCart};

#[derive(Debug, Clone)]
pub struct Api {
    store: Store,
    catalog: Arc<Catalog>,
    currency: String,
    shop: Shop,
}

/// What shoppers did, counted where it happens: a repeat of a change under its
/// idempotency key changes nothing and counts nothing.
#[derive(Clone, Debug, Default)]
struct Shop {
    carts_created: Counter,
    lines_added: Counter,
}

impl Api {
    /// The API, its counters registered in `metrics`.
    pub fn new(store: Store, catalog: Arc<Catalog>, currency: String, metrics: &Metrics) -> Self {
        let shop = Shop::default();
        metrics.register("carts_created", "Carts created", shop.carts_created.clone());
        metrics.register(
            "cart_lines_added",
            "Products added to carts (a repeated change under its idempotency key is not counted)",
            shop.lines_added.clone(),
        );
        Self {
            store,
            catalog,
            currency,
            shop,
        }
    }

    /// The cart priced now, or at its last known prices when the Catalog is away.
    async fn view(&self, cart: Uuid) -> Result<types::Cart, CartError> {
        let stored = self.store.get(cart).await?;
        self.priced(stored).await
    }

    /// `stored` priced with one call to the Catalog, or at its last known prices when the
    /// Catalog is away.
    async fn priced(&self, stored: StoredCart) -> Result<types::Cart, CartError> {
        let ids: Vec<Uuid> = stored.lines.iter().map(|line| line.product_id).collect();
        let priced = match self.catalog.prices(&ids).await {
            Ok(current) => {
                // Keep the prices that changed, for later stale reads. It is a nicety:
                // a failure here must not fail the read.
                let changed = changed_prices(&stored, &current);
                if let Err(err) = self.store.remember_prices(stored.id, &changed).await {
                    tracing::warn!(error = %err, "could not keep the latest prices");
                }
                pricing::price(stored, Some(&current), &self.currency)
            }
            Err(err) => {
                tracing::warn!(error = %err, "pricing the cart with the last known prices");
                pricing::price(stored, None, &self.currency)
            }
        };
        to_wire(priced)
    }

    /// Asks the Catalog, in one call, whether the cart may hold `quantity` of `product`
    /// with its other lines as they are. Answers the product's price and the units in
    /// stock now, and the Catalog's prices of every line, which price the cart after the
    /// change.
    async fn sellable(
        &self,
        cart: &StoredCart,
        product: Uuid,
        quantity: u32,
    ) -> Result<Sellable, CartError> {
        let mut lines: Vec<(Uuid, u32)> = cart
            .lines
            .iter()
            .filter(|line| line.product_id != product)
            .map(|line| (line.product_id, line.quantity))
            .collect();
        lines.push((product, quantity));
        let mut validations = self.catalog.validate_lines(&lines).await?;
        let verdict = validations
            .verdicts
            .remove(&product)
            .ok_or_else(|| CartError::CatalogRejected("no validation of the product".to_owned()))?;
        match verdict {
            Verdict::Refused(reason) => Err(reason),
            Verdict::Sellable { price, .. } if price.currency != self.currency => {
                Err(CartError::CurrencyMismatch {
                    name: price.name,
                    currency: price.currency,
                    cart_currency: self.currency.clone(),
                })
            }
            Verdict::Sellable { price, stock } => Ok(Sellable {
                price,
                stock,
                asked: lines.into_iter().map(|(id, _)| id).collect(),
                prices: validations.prices,
            }),
        }
    }

    /// The cart after a change, priced with what the Catalog answered for the change.
    fn priced_after(
        &self,
        after: StoredCart,
        sellable: Sellable,
    ) -> Result<types::Cart, CartError> {
        let mut current = sellable.prices;
        // A line that another change added meanwhile was not asked about; its price is the
        // one that change had just validated.
        for line in &after.lines {
            if !sellable.asked.contains(&line.product_id)
                && let Some(price) = &line.last_price
            {
                current.insert(line.product_id, price.clone());
            }
        }
        to_wire(pricing::price(after, Some(&current), &self.currency))
    }

    /// Adds units of a product. The Catalog is asked about the quantity the line will
    /// have; the store's script then adds only if the line stays within the stock the
    /// Catalog reported, so concurrent adds to one cart cannot pass it together. A change
    /// already made under the same idempotency key is answered without writing again.
    async fn add(
        &self,
        cart: Uuid,
        key: Option<IdempotencyKey>,
        body: types::AddLine,
    ) -> Result<types::Cart, CartError> {
        let product = body.product_id;
        let units = checked_quantity(body.quantity.0.get())?;
        let before = self
            .store
            .before(cart, key, &Change::Add { product, units })
            .await?;
        if before.replayed {
            return self.priced(before.cart).await;
        }
        let current = before.cart.quantity_of(product);
        if current + units > MAX_QUANTITY {
            return Err(CartError::QuantityLimit {
                current,
                max: MAX_QUANTITY,
            });
        }
        let sellable = self
            .sellable(&before.cart, product, current + units)
            .await?;
        let others = changed_prices(&before.cart, &sellable.prices);
        let after = self
            .store
            .add(
                &before.cart,
                key,
                product,
                units,
                &sellable.price,
                sellable.stock,
                &others,
            )
            .await?;
        self.shop.lines_added.inc();
        self.priced_after(after, sellable)
    }

    async fn set_quantity(
        &self,
        cart: Uuid,
        key: Option<IdempotencyKey>,
        product: Uuid,
        quantity: u32,
    ) -> Result<types::Cart, CartError> {
        let quantity = checked_quantity(quantity)?;
        let before = self
            .store
            .before(cart, key, &Change::Set { product, quantity })
            .await?;
        if before.replayed {
            return self.priced(before.cart).await;
        }
        if before.cart.quantity_of(product) == 0 {
            return Err(CartError::LineNotFound(product));
        }
        // A set is absolute, so what the Catalog validated is what is stored.
        let sellable = self.sellable(&before.cart, product, quantity).await?;
        let others = changed_prices(&before.cart, &sellable.prices);
        let after = self
            .store
            .set(
                &before.cart,
                key,
                product,
                quantity,
                &sellable.price,
                &others,
            )
            .await?;
        self.priced_after(after, sellable)
    }
}

/// What the Catalog answered for a change it agreed to.
struct Sellable {
    /// The changed product's price.
    price: Price,
    /// Its units in stock now.
    stock: u32,
    /// Every product asked about.
    asked: Vec<Uuid>,
    /// The current price of each one the Catalog has.
    prices: HashMap<Uuid, Price>,
}

/// The prices in `current` that differ from what `cart` last knew.
fn changed_prices(cart: &StoredCart, current: &HashMap<Uuid, Price>) -> HashMap<Uuid, Price> {
    cart.lines
        .iter()
        .filter_map(|line| {
            let price = current.get(&line.product_id)?;
            (line.last_price.as_ref() != Some(price)).then(|| (line.product_id, price.clone()))
        })
        .collect()
}

fn checked_quantity(quantity: u32) -> Result<u32, CartError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(CartError::QuantityOutOfRange {
            got: quantity,
            max: MAX_QUANTITY,
        })
    }
}

/// The one table from the Cart's domain errors to REST statuses and codes.
impl From<CartError> for ServiceError {
    fn from(err: CartError) -> Self {
        let (status, code) = match &err {
            CartError::CartNotFound(_) => (StatusCode::NOT_FOUND, "cart_not_found"),
            CartError::LineNotFound(_) => (StatusCode::NOT_FOUND, "line_not_found"),
            CartError::QuantityOutOfRange { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_quantity")
            }
            CartError::QuantityLimit { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "quantity_limit"),
            CartError::LineLimit { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "line_limit"),
            CartError::UnknownProduct(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_product"),
            CartError::NotForSale { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "not_for_sale"),
            CartError::InsufficientStock { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_stock")
            }
            CartError::CurrencyMismatch { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "currency_mismatch")
            }
            CartError::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            CartError::CatalogUnavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, "catalog_unavailable")
            }
            CartError::StoreUnavailable(_) => {
                return Self::unavailable("store_unavailable", err);
            }
            CartError::CatalogRejected(_) | CartError::Corrupt(_) => return Self::internal(err),
        };
        Self::new(status, code, err.to_string())
    }
}

fn money(amount_minor: i64, currency: &str) -> Result<types::Money, CartError> {
    Ok(types::Money {
        amount_minor,
        currency: currency
            .parse()
            .map_err(|_| CartError::Corrupt(format!("currency {currency:?}")))?,
    })
}

fn to_wire(cart: PricedCart) -> Result<types::Cart, CartError> {
    let lines = cart
        .lines
        .into_iter()
        .map(|line| {
            Ok(types::CartLine {
                unit_price: money(line.unit_minor, &line.currency)?,
                line_total: money(line.total_minor, &line.currency)?,
                product_id: line.product_id,
                name: line.name,
                quantity: i32::try_from(line.quantity).unwrap_or(i32::MAX),
                available: line.available,
                price_stale: line.price_stale,
            })
        })
        .collect::<Result<_, CartError>>()?;
    Ok(types::Cart {
        id: cart.id,
        lines,
        item_count: i32::try_from(cart.item_count).unwrap_or(i32::MAX),
        subtotal: money(cart.subtotal_minor, &cart.currency)?,
        prices_stale: cart.prices_stale,
        updated_at: cart.updated_at,
        expires_at: cart.expires_at,
    })
}

impl CartApi for Api {
    async fn create_cart(&self) -> Result<CreateCartResponse, ServiceError> {
        let cart = self.store.create().await?;
        self.shop.carts_created.inc();
        Ok(CreateCartResponse::Created(self.view(cart).await?))
    }

    async fn get_cart(&self, path: GetCartPath) -> Result<GetCartResponse, ServiceError> {
        Ok(GetCartResponse::Ok(self.view(path.cart_id).await?))
    }

    async fn add_line(
        &self,
        path: AddLinePath,
        headers: AddLineHeaders,
        body: types::AddLine,
    ) -> Result<AddLineResponse, ServiceError> {
        let key = headers.idempotency_key.map(IdempotencyKey);
        Ok(AddLineResponse::Ok(
            self.add(path.cart_id, key, body).await?,
        ))
    }

    async fn clear_cart(
        &self,
        path: ClearCartPath,
        headers: ClearCartHeaders,
    ) -> Result<ClearCartResponse, ServiceError> {
        let key = headers.idempotency_key.map(IdempotencyKey);
        let after = self.store.clear(path.cart_id, key).await?;
        Ok(ClearCartResponse::Ok(self.priced(after).await?))
    }

    async fn set_line_quantity(
        &self,
        path: SetLineQuantityPath,
        headers: SetLineQuantityHeaders,
        body: types::SetQuantity,
    ) -> Result<SetLineQuantityResponse, ServiceError> {
        let key = headers.idempotency_key.map(IdempotencyKey);
        let quantity = body.quantity.0.get();
        let cart = self
            .set_quantity(path.cart_id, key, path.product_id, quantity)
            .await?;
        Ok(SetLineQuantityResponse::Ok(cart))
    }

    async fn remove_line(
        &self,
        path: RemoveLinePath,
        headers: RemoveLineHeaders,
    ) -> Result<RemoveLineResponse, ServiceError> {
        let key = headers.idempotency_key.map(IdempotencyKey);
        let after = self
            .store
            .remove(path.cart_id, key, path.product_id)
            .await?;
        Ok(RemoveLineResponse::Ok(self.priced(after).await?))
    }
}
