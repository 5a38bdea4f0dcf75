//! The shopper's cart, shared by every page: the header's item count, the product
//! page's add-to-cart and the cart page all read and change this one copy.

use cart_api::types::Cart;
use dioxus::prelude::*;
use storefront_api::{Api, ApiError, quantity};
use uuid::Uuid;

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

    /// Loads the remembered cart, or starts a new one when there is none (or it expired).
    pub async fn refresh(mut self, api: Api) {
        let result = match browser::cart_id() {
            Some(id) => match api.cart(id).await {
                Err(ApiError::NotFound(_)) => api.create_cart().await,
                other => other,
            },
            None => api.create_cart().await,
        };
        let _ = self.settle(result);
    }

    /// The id of the cart to change, creating the cart if there is none yet.
    async fn id(&mut self, api: &Api) -> Result<Uuid, ApiError> {
        if let Some(cart) = self.cart.peek().as_ref() {
            return Ok(cart.id);
        }
        let cart = api.create_cart().await;
        self.settle(cart)?;
        Ok(self
            .cart
            .peek()
            .as_ref()
            .map(|cart| cart.id)
            .unwrap_or_default())
    }

    pub async fn add(mut self, api: Api, product_id: Uuid, count: u32) -> Result<(), ApiError> {
        let quantity = quantity(count)?;
        let id = self.id(&api).await?;
        let mut result = api.add_line(id, product_id, quantity.clone()).await;
        // The remembered cart may have expired since it was loaded: start a new one.
        if matches!(result, Err(ApiError::NotFound(_))) {
            self.cart.set(None);
            let id = self.id(&api).await?;
            result = api.add_line(id, product_id, quantity).await;
        }
        self.settle(result)
    }

    pub async fn set_quantity(
        mut self,
        api: Api,
        product_id: Uuid,
        count: u32,
    ) -> Result<(), ApiError> {
        let quantity = quantity(count)?;
        let id = self.id(&api).await?;
        let result = api.set_quantity(id, product_id, quantity).await;
        self.settle(result)
    }

    pub async fn remove(mut self, api: Api, product_id: Uuid) -> Result<(), ApiError> {
        let id = self.id(&api).await?;
        let result = api.remove_line(id, product_id).await;
        self.settle(result)
    }
}

impl Default for CartStore {
    fn default() -> Self {
        Self::new()
    }
}
