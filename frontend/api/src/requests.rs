//! Every call the storefront's pages make, one method each.

use std::future::Future;

use cart_api::types::{AddLine, Cart, Quantity, SetQuantity};
use catalog_api::types::{Category, Product, ProductPage, ProductSort};
use reviews_api::types::{
    HelpfulVote, RatingSummariesRequest, RatingSummary, Review, ReviewInput, ReviewPage, ReviewSort,
};
use uuid::Uuid;

use crate::error::Classify;
use crate::{Api, ApiError, Service};

/// Products a listing page holds.
pub const PAGE_SIZE: u32 = 24;
/// Reviews the product page loads at a time.
pub const REVIEWS_PAGE: u32 = 5;
/// The most a line may hold: the Cart contract's `Quantity` is 1..=99 (typify keeps
/// the minimum in the type but not the maximum, so the storefront checks it itself).
pub const MAX_QUANTITY: u32 = 99;

/// What a listing shows: a category's products or search results, a page of them,
/// sorted, and filtered by price.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductQuery {
    pub category: Option<String>,
    pub q: Option<String>,
    /// From 1.
    pub page: u32,
    pub sort: Option<ProductSort>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
}

/// A quantity a cart line may hold, or the refusal to show.
pub fn quantity(value: u32) -> Result<Quantity, ApiError> {
    std::num::NonZeroU32::new(value)
        .filter(|value| value.get() <= MAX_QUANTITY)
        .map(Quantity)
        .ok_or_else(|| ApiError::Refused(format!("Choose a quantity from 1 to {MAX_QUANTITY}.")))
}

impl Api {
    /// Every category, for the header and the home page.
    pub async fn categories(&self) -> Result<Vec<Category>, ApiError> {
        let list = self.catalog.list_categories().send().await;
        list.classify(Service::Catalog).map(|list| list.items)
    }

    /// The `count` newest products, for the home page.
    pub async fn newest_products(&self, count: u32) -> Result<ProductPage, ApiError> {
        let request = self.catalog.list_products().sort(ProductSort::Newest);
        request
            .page_size(count)
            .send()
            .await
            .classify(Service::Catalog)
    }

    /// One page of a listing.
    pub async fn products(&self, query: &ProductQuery) -> Result<ProductPage, ApiError> {
        let mut request = self
            .catalog
            .list_products()
            .page(query.page)
            .page_size(PAGE_SIZE);
        if let Some(category) = &query.category {
            request = request.category(category.as_str());
        }
        if let Some(q) = &query.q {
            request = request.q(q.as_str());
        }
        if let Some(sort) = query.sort {
            request = request.sort(sort);
        }
        if let Some(min) = query.min_price {
            request = request.min_price(min);
        }
        if let Some(max) = query.max_price {
            request = request.max_price(max);
        }
        request.send().await.classify(Service::Catalog)
    }

    pub async fn product(&self, id: Uuid) -> Result<Product, ApiError> {
        let request = self.catalog.get_product().product_id(id);
        request.send().await.classify(Service::Catalog)
    }

    pub async fn create_cart(&self) -> Result<Cart, ApiError> {
        self.cart.create_cart().send().await.classify(Service::Cart)
    }

    pub async fn cart(&self, id: Uuid) -> Result<Cart, ApiError> {
        self.cart
            .get_cart()
            .cart_id(id)
            .send()
            .await
            .classify(Service::Cart)
    }

    /// Sends one change to the cart with its idempotency key (see [`crate::change`]);
    /// `change` describes it, so that trying the same change again reuses the key.
    async fn change<F>(
        &self,
        change: String,
        send: impl FnOnce(Uuid) -> F,
    ) -> Result<Cart, ApiError>
    where
        F: Future<Output = Result<Cart, ApiError>>,
    {
        let key = self.change_keys.key_for(&change);
        let result = send(key).await;
        self.change_keys.settle(change, key, &result);
        result
    }

    /// Adds `quantity` of a product to the cart; the cart after the change.
    pub async fn add_line(
        &self,
        cart: Uuid,
        product: Uuid,
        quantity: Quantity,
    ) -> Result<Cart, ApiError> {
        let change = format!("add {cart} {product} {}", quantity.0);
        self.change(change, |key| async move {
            let line = AddLine {
                product_id: product,
                quantity,
            };
            let request = self.cart.add_line().cart_id(cart).idempotency_key(key);
            request.body(line).send().await.classify(Service::Cart)
        })
        .await
    }

    pub async fn set_quantity(
        &self,
        cart: Uuid,
        product: Uuid,
        quantity: Quantity,
    ) -> Result<Cart, ApiError> {
        let change = format!("set {cart} {product} {}", quantity.0);
        self.change(change, |key| async move {
            let body = SetQuantity { quantity };
            let request = self.cart.set_line_quantity().cart_id(cart);
            let request = request.product_id(product).idempotency_key(key);
            request.body(body).send().await.classify(Service::Cart)
        })
        .await
    }

    pub async fn remove_line(&self, cart: Uuid, product: Uuid) -> Result<Cart, ApiError> {
        let change = format!("remove {cart} {product}");
        self.change(change, |key| async move {
            let request = self.cart.remove_line().cart_id(cart).product_id(product);
            let request = request.idempotency_key(key);
            request.send().await.classify(Service::Cart)
        })
        .await
    }

    pub async fn rating_summary(&self, product: Uuid) -> Result<RatingSummary, ApiError> {
        let request = self.reviews.get_rating_summary().product_id(product);
        request.send().await.classify(Service::Reviews)
    }

    /// The summaries of a listing's products, in one call.
    pub async fn rating_summaries(
        &self,
        products: Vec<Uuid>,
    ) -> Result<Vec<RatingSummary>, ApiError> {
        let body = RatingSummariesRequest {
            product_ids: products,
        };
        let list = self.reviews.get_rating_summaries().body(body).send().await;
        list.classify(Service::Reviews).map(|list| list.items)
    }

    /// A page of a product's reviews in `sort` order, after `cursor` when there is one.
    pub async fn reviews(
        &self,
        product: Uuid,
        sort: ReviewSort,
        cursor: Option<String>,
    ) -> Result<ReviewPage, ApiError> {
        let mut request = self
            .reviews
            .list_reviews()
            .product_id(product)
            .sort(sort)
            .limit(REVIEWS_PAGE);
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        request.send().await.classify(Service::Reviews)
    }

    pub async fn write_review(
        &self,
        product: Uuid,
        input: ReviewInput,
    ) -> Result<Review, ApiError> {
        let request = self.reviews.create_review().product_id(product).body(input);
        request.send().await.classify(Service::Reviews)
    }

    /// A new anonymous voter from Reviews, for this browser to keep and vote as.
    pub async fn issue_voter(&self) -> Result<HelpfulVote, ApiError> {
        let issued = self.reviews.issue_voter().send().await;
        issued.classify(Service::Reviews)
    }

    /// Marks a review helpful as `voter`, the one this browser keeps. Without one, or with
    /// one Reviews no longer knows (its signing key changed), a new voter is issued first.
    /// Answers the review and the voter to keep.
    pub async fn mark_helpful(
        &self,
        review: Uuid,
        voter: Option<HelpfulVote>,
    ) -> Result<(Review, HelpfulVote), ApiError> {
        if let Some(voter) = voter {
            let request = self.reviews.mark_helpful().review_id(review);
            match request.body(voter.clone()).send().await {
                Err(reviews_api::client::Error::ErrorResponse(refusal))
                    if refusal.code == UNKNOWN_VOTER => {}
                voted => {
                    return voted
                        .classify(Service::Reviews)
                        .map(|review| (review, voter));
                }
            }
        }
        let voter = self.issue_voter().await?;
        let request = self.reviews.mark_helpful().review_id(review);
        let voted = request.body(voter.clone()).send().await;
        Ok((voted.classify(Service::Reviews)?, voter))
    }
}

/// The code Reviews refuses a voter it did not issue with.
const UNKNOWN_VOTER: &str = "unknown_voter";

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
