//! The shopper's cart, shared by every page: the header's item count, the product
//! page's add-to-cart and the cart page all read and change this one copy.

use cart_api::types::{AddLine, Cart, Quantity, SetQuantity};
use dioxus::prelude::*;
use uuid::Uuid;

use crate::api::{Api, ApiError, Classify, Service};
use crate::browser;

/// Whether the Cart service answered the last call.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Loading,
    Ready,
    Unavailable(ApiError),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CartStore {
    pub cart: Signal<Option<Cart>>,
    pub status: Signal<Status>,
}

/// The most a line may hold: the Cart contract's `Quantity` is 1..=99 (typify keeps
/// the minimum in the type but not the maximum, so the storefront checks it itself).
pub const MAX_QUANTITY: u32 = 99;

fn quantity(value: u32) -> Result<Quantity, ApiError> {
    std::num::NonZeroU32::new(value)
        .filter(|value| value.get() <= MAX_QUANTITY)
        .map(Quantity)
        .ok_or_else(|| ApiError::Refused(format!("Choose a quantity from 1 to {MAX_QUANTITY}.")))
}

impl CartStore {
    pub fn new() -> Self {
        Self {
            cart: Signal::new(None),
            status: Signal::new(Status::Loading),
        }
    }

    pub fn item_count(&self) -> i32 {
        self.cart.read().as_ref().map_or(0, |cart| cart.item_count)
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(*self.status.read(), Status::Unavailable(_))
    }

    /// Records the outcome of a call: a new cart, or whether the service is away.
    fn settle(&mut self, result: Result<Cart, ApiError>) -> Result<(), ApiError> {
        match result {
            Ok(cart) => {
                browser::set_cart_id(Some(cart.id));
                self.cart.set(Some(cart));
                self.status.set(Status::Ready);
                Ok(())
            }
            Err(error) => {
                if error.is_unavailable() {
                    self.status.set(Status::Unavailable(error.clone()));
                } else if *self.status.peek() == Status::Loading {
                    self.status.set(Status::Ready);
                }
                Err(error)
            }
        }
    }

    async fn create(api: &Api) -> Result<Cart, ApiError> {
        api.cart.create_cart().send().await.classify(Service::Cart)
    }

    /// Loads the remembered cart, or starts a new one when there is none (or it expired).
    pub async fn refresh(mut self, api: Api) {
        let result = match browser::cart_id() {
            Some(id) => match api
                .cart
                .get_cart()
                .cart_id(id)
                .send()
                .await
                .classify(Service::Cart)
            {
                Err(ApiError::NotFound(_)) => Self::create(&api).await,
                other => other,
            },
            None => Self::create(&api).await,
        };
        let _ = self.settle(result);
    }

    /// The id of the cart to change, creating the cart if there is none yet.
    async fn id(&mut self, api: &Api) -> Result<Uuid, ApiError> {
        if let Some(cart) = self.cart.peek().as_ref() {
            return Ok(cart.id);
        }
        let cart = Self::create(api).await;
        self.settle(cart)?;
        Ok(self
            .cart
            .peek()
            .as_ref()
            .map(|cart| cart.id)
            .unwrap_or_default())
    }

    pub async fn add(mut self, api: Api, product_id: Uuid, count: u32) -> Result<(), ApiError> {
        let line = AddLine {
            product_id,
            quantity: quantity(count)?,
        };
        let id = self.id(&api).await?;
        let mut result = api
            .cart
            .add_line()
            .cart_id(id)
            .body(line.clone())
            .send()
            .await
            .classify(Service::Cart);
        // The remembered cart may have expired since it was loaded: start a new one.
        if matches!(result, Err(ApiError::NotFound(_))) {
            self.cart.set(None);
            let id = self.id(&api).await?;
            result = api
                .cart
                .add_line()
                .cart_id(id)
                .body(line)
                .send()
                .await
                .classify(Service::Cart);
        }
        self.settle(result)
    }

    pub async fn set_quantity(
        mut self,
        api: Api,
        product_id: Uuid,
        count: u32,
    ) -> Result<(), ApiError> {
        let body = SetQuantity {
            quantity: quantity(count)?,
        };
        let id = self.id(&api).await?;
        let result = api
            .cart
            .set_line_quantity()
            .cart_id(id)
            .product_id(product_id)
            .body(body)
            .send()
            .await
            .classify(Service::Cart);
        self.settle(result)
    }

    pub async fn remove(mut self, api: Api, product_id: Uuid) -> Result<(), ApiError> {
        let id = self.id(&api).await?;
        let result = api
            .cart
            .remove_line()
            .cart_id(id)
            .product_id(product_id)
            .send()
            .await
            .classify(Service::Cart);
        self.settle(result)
    }
}

impl Default for CartStore {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_the_contracts() {
        assert!(quantity(1).is_ok());
        assert!(quantity(MAX_QUANTITY).is_ok());
        assert!(quantity(0).is_err());
        assert!(quantity(MAX_QUANTITY + 1).is_err());
    }
}
