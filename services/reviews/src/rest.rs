//! The REST API: the generated `ReviewsApi` trait over the store and the Catalog.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use api_runtime::{BearerToken, ServiceError};
use axum::http::StatusCode;
use mongodb::bson;
use platform::admin::AdminGuard;
use platform::metrics::{Counter, Family, Metrics};
use reviews_api::server::{
    CreateReviewPath, CreateReviewResponse, DeleteReviewPath, DeleteReviewResponse,
    GetRatingSummariesResponse, GetRatingSummaryPath, GetRatingSummaryResponse, GetReviewPath,
    GetReviewResponse, IssueVoterResponse, ListReviewsPath, ListReviewsQuery, ListReviewsResponse,
    MarkHelpfulPath, MarkHelpfulResponse, ReviewsApi,
};
use reviews_api::types;
use uuid::Uuid;

use crate::author;
use crate::catalog::Catalog;
use crate::cursor::{Cursor, Order};
use crate::error::ReviewsError;
use crate::recent::{FirstPages, Key, StarCounts};
use crate::store::{self, Store};
use crate::voter::Voters;

pub const MAX_STARS: u32 = 5;
pub const MAX_BATCH: usize = 100;

#[derive(Debug, Clone)]
pub struct Api {
    store: Store,
    catalog: Arc<Catalog>,
    admin: AdminGuard,
    voters: Voters,
    /// What product pages ask for on every view, kept briefly: see `recent`.
    first_pages: Arc<FirstPages>,
    star_counts: Arc<StarCounts>,
    /// Reviews written, by their rating: the distribution shoppers give.
    posted: Family<Vec<(&'static str, String)>, Counter>,
}

impl Api {
    /// The API, its counters registered in `metrics`.
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        admin: AdminGuard,
        voters: Voters,
        read_cache: Duration,
        metrics: &Metrics,
    ) -> Self {
        let posted = Family::default();
        metrics.register(
            "reviews_posted",
            "Reviews written, by rating",
            posted.clone(),
        );
        Self {
            posted,
            store,
            catalog,
            admin,
            voters,
            first_pages: Arc::new(FirstPages::new(read_cache)),
            star_counts: Arc::new(StarCounts::new(read_cache)),
        }
    }

    /// After this service wrote to `product`: its listings and summary are read anew.
    fn wrote_to(&self, product: &str) {
        if let Ok(product) = Uuid::parse_str(product) {
            self.first_pages.forget(product);
            self.star_counts.forget(product);
        }
    }

    /// Refuses any token but the admin token, compared in constant time.
    fn require_admin(&self, token: &BearerToken) -> Result<(), ServiceError> {
        self.admin.check(token)
    }

    async fn create(
        &self,
        product: Uuid,
        input: types::ReviewInput,
    ) -> Result<types::Review, ReviewsError> {
        let rating = input.rating.0.get();
        if rating > MAX_STARS {
            return Err(ReviewsError::InvalidReview(format!(
                "rating must be 1 to {MAX_STARS} stars, got {rating}"
            )));
        }
        let attributes: BTreeMap<String, String> = input
            .attributes
            .map(|attributes| {
                attributes
                    .0
                    .into_iter()
                    .map(|(name, value)| (name, value.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        if attributes.len() > 10 {
            return Err(ReviewsError::InvalidReview(format!(
                "at most 10 attributes, got {}",
                attributes.len()
            )));
        }
        // Only now ask the Catalog: the cheap checks above need no network.
        let context = self.catalog.review_context(product).await?;
        if let Some(name) = attributes
            .keys()
            .find(|name| !context.review_attributes.contains(name))
        {
            return Err(ReviewsError::UnknownAttribute {
                name: name.clone(),
                category: context.category.name.clone(),
                allowed: context.review_attributes.join(", "),
            });
        }
        let now = bson::DateTime::now();
        let author = input.author.to_string();
        let review = store::Review {
            id: Uuid::new_v4().to_string(),
            product_id: product.to_string(),
            author_key: author::key(&author),
            author,
            rating: i32::try_from(rating).unwrap_or(0),
            title: input.title.to_string(),
            body: input.body.to_string(),
            attributes,
            helpful_count: 0,
            created_at: now,
            updated_at: now,
        };
        self.store.insert(&review).await?;
        self.wrote_to(&review.product_id);
        to_wire(review)
    }

    async fn list(
        &self,
        product: Uuid,
        query: ListReviewsQuery,
    ) -> Result<types::ReviewPage, ReviewsError> {
        let order = match query.sort {
            None | Some(types::ReviewSort::Newest) => Order::Newest,
            Some(types::ReviewSort::Highest) => Order::Highest,
            Some(types::ReviewSort::Lowest) => Order::Lowest,
            Some(types::ReviewSort::MostHelpful) => Order::MostHelpful,
        };
        let rating = query.rating.map(|r| u32::try_from(r).unwrap_or(0));
        let cursor = match &query.cursor {
            None => None,
            Some(token) => {
                let cursor = Cursor::decode(token).map_err(ReviewsError::InvalidCursor)?;
                if cursor.order != order || cursor.rating != rating {
                    return Err(ReviewsError::InvalidCursor(
                        "it belongs to a listing with another sort or rating filter".to_owned(),
                    ));
                }
                Some(cursor)
            }
        };
        let limit = u32::try_from(query.limit).unwrap_or(1);
        // First pages are what product pages ask for, again and again: see `pages`.
        let first = cursor.is_none().then_some(Key {
            product,
            order,
            rating,
            limit,
        });
        let read = || async {
            let page = self
                .store
                .list(product, order, rating, limit, cursor.as_ref())
                .await?;
            Ok(types::ReviewPage {
                items: page
                    .reviews
                    .into_iter()
                    .map(to_wire)
                    .collect::<Result<_, ReviewsError>>()?,
                next_cursor: page.next.map(|cursor| cursor.encode()),
            })
        };
        let Some(key) = first else {
            return read().await;
        };
        self.first_pages.get_or_load_one(key, read()).await
    }

    /// Each product's reviews per star: kept ones from memory, the rest from the store.
    async fn stars_of(&self, products: &[Uuid]) -> Result<HashMap<Uuid, [i64; 5]>, ReviewsError> {
        let store = &self.store;
        self.star_counts
            .get_or_load(products, |missing| async move {
                Ok(store.star_counts(&missing).await?.into_iter().collect())
            })
            .await
    }

    async fn summaries(
        &self,
        products: &[Uuid],
    ) -> Result<Vec<types::RatingSummary>, ReviewsError> {
        let counts = self.stars_of(products).await?;
        Ok(products
            .iter()
            .map(|id| summary(*id, counts.get(id).copied().unwrap_or_default()))
            .collect())
    }
}

/// Count, average and histogram from the per-star counts; the average is computed here,
/// not in the database, and rounded to two decimals.
fn summary(product: Uuid, stars: [i64; 5]) -> types::RatingSummary {
    let count: i64 = stars.iter().sum();
    let weighted: i64 = stars.iter().zip(1..).map(|(n, star)| n * star).sum();
    let average = if count == 0 {
        0.0
    } else {
        (weighted as f64 / count as f64 * 100.0).round() / 100.0
    };
    types::RatingSummary {
        product_id: product,
        count,
        average,
        stars: types::StarCounts {
            x1: stars[0],
            x2: stars[1],
            x3: stars[2],
            x4: stars[3],
            x5: stars[4],
        },
    }
}

/// The wire form of a stored review. Everything stored was written by this service, so a
/// value that does not convert means the data was edited by hand: an internal error.
fn to_wire(review: store::Review) -> Result<types::Review, ReviewsError> {
    let corrupt = |what: &str| ReviewsError::Corrupt(format!("review {}: {what}", review.id));
    let time = |at: bson::DateTime| chrono::DateTime::from_timestamp_millis(at.timestamp_millis());
    Ok(types::Review {
        id: Uuid::parse_str(&review.id).map_err(|_| corrupt("id"))?,
        product_id: Uuid::parse_str(&review.product_id).map_err(|_| corrupt("product_id"))?,
        created_at: time(review.created_at).ok_or_else(|| corrupt("created_at"))?,
        updated_at: time(review.updated_at).ok_or_else(|| corrupt("updated_at"))?,
        author: review.author,
        rating: review.rating,
        title: review.title,
        body: review.body,
        attributes: review.attributes.into_iter().collect::<HashMap<_, _>>(),
        helpful_count: review.helpful_count,
    })
}

/// The one table from the Reviews service's domain errors to REST statuses and codes.
impl From<ReviewsError> for ServiceError {
    fn from(err: ReviewsError) -> Self {
        let (status, code) = match &err {
            ReviewsError::ReviewNotFound(_) => (StatusCode::NOT_FOUND, "review_not_found"),
            ReviewsError::DuplicateReview { .. } => (StatusCode::CONFLICT, "duplicate_review"),
            ReviewsError::UnknownProduct(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_product")
            }
            ReviewsError::InvalidReview(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_review"),
            ReviewsError::InvalidRequest(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
            }
            ReviewsError::UnknownAttribute { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_attribute")
            }
            ReviewsError::UnknownVoter => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_voter"),
            ReviewsError::InvalidCursor(_) => (StatusCode::BAD_REQUEST, "invalid_cursor"),
            ReviewsError::CatalogUnavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "catalog_unavailable")
            }
            ReviewsError::StoreUnavailable(_) | ReviewsError::StoreTimedOut(_) => {
                return Self::unavailable("store_unavailable", err);
            }
            ReviewsError::Store(_) | ReviewsError::CatalogFailed(_) | ReviewsError::Corrupt(_) => {
                return Self::internal(err);
            }
        };
        Self::new(status, code, err.to_string())
    }
}

impl ReviewsApi for Api {
    async fn list_reviews(
        &self,
        path: ListReviewsPath,
        query: ListReviewsQuery,
    ) -> Result<ListReviewsResponse, ServiceError> {
        Ok(ListReviewsResponse::Ok(
            self.list(path.product_id, query).await?,
        ))
    }

    async fn create_review(
        &self,
        path: CreateReviewPath,
        body: types::ReviewInput,
    ) -> Result<CreateReviewResponse, ServiceError> {
        let review = self.create(path.product_id, body).await?;
        self.posted
            .get_or_create(&vec![("rating", review.rating.to_string())])
            .inc();
        Ok(CreateReviewResponse::Created(review))
    }

    async fn get_rating_summary(
        &self,
        path: GetRatingSummaryPath,
    ) -> Result<GetRatingSummaryResponse, ServiceError> {
        let product = path.product_id;
        let counts = self.stars_of(&[product]).await?;
        let stars = counts.get(&product).copied().unwrap_or_default();
        Ok(GetRatingSummaryResponse::Ok(summary(product, stars)))
    }

    async fn get_rating_summaries(
        &self,
        body: types::RatingSummariesRequest,
    ) -> Result<GetRatingSummariesResponse, ServiceError> {
        let ids = body.product_ids;
        if ids.is_empty() || ids.len() > MAX_BATCH {
            return Err(ReviewsError::InvalidRequest(format!(
                "product_ids must hold 1 to {MAX_BATCH} ids, got {}",
                ids.len()
            ))
            .into());
        }
        let items = self.summaries(&ids).await?;
        Ok(GetRatingSummariesResponse::Ok(types::RatingSummaryList {
            items,
        }))
    }

    async fn get_review(&self, path: GetReviewPath) -> Result<GetReviewResponse, ServiceError> {
        let review = self.store.get(path.review_id).await?;
        Ok(GetReviewResponse::Ok(to_wire(review)?))
    }

    async fn delete_review(
        &self,
        token: BearerToken,
        path: DeleteReviewPath,
    ) -> Result<DeleteReviewResponse, ServiceError> {
        self.require_admin(&token)?;
        let deleted = self.store.delete(path.review_id).await?;
        self.wrote_to(&deleted.product_id);
        Ok(DeleteReviewResponse::NoContent)
    }

    async fn issue_voter(&self) -> Result<IssueVoterResponse, ServiceError> {
        let voter = self
            .voters
            .issue()
            .parse()
            .map_err(ServiceError::internal)?;
        Ok(IssueVoterResponse::Created(types::HelpfulVote { voter }))
    }

    async fn mark_helpful(
        &self,
        path: MarkHelpfulPath,
        body: types::HelpfulVote,
    ) -> Result<MarkHelpfulResponse, ServiceError> {
        let voter = self
            .voters
            .recognise(&body.voter)
            .ok_or(ReviewsError::UnknownVoter)?;
        let review = self.store.mark_helpful(path.review_id, voter).await?;
        self.wrote_to(&review.product_id);
        Ok(MarkHelpfulResponse::Ok(to_wire(review)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_comes_from_the_star_counts() {
        let computed = summary(Uuid::nil(), [1, 1, 1, 1, 3]);
        assert_eq!(computed.count, 7);
        assert!(
            (computed.average - 3.57).abs() < 1e-9,
            "{}",
            computed.average
        );
        assert_eq!((computed.stars.x1, computed.stars.x5), (1, 3));
        assert_eq!(summary(Uuid::nil(), [0; 5]).average, 0.0);
    }
}
