//! What can go wrong in Reviews, in domain terms; `rest` maps each to a status in one table.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ReviewsError {
    #[error("no review has id {0}")]
    ReviewNotFound(Uuid),
    #[error("{author} has already reviewed this product")]
    DuplicateReview { author: String },
    #[error("product {0} does not exist in the catalog")]
    UnknownProduct(Uuid),
    #[error("{0}")]
    InvalidReview(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("`{name}` is not something reviewers of {category} rate; they rate: {allowed}")]
    UnknownAttribute {
        name: String,
        category: String,
        allowed: String,
    },
    #[error("the voter was not issued by this service: ask POST /v1/voters for one")]
    UnknownVoter,
    #[error("the cursor is not valid for this listing: {0}")]
    InvalidCursor(String),
    #[error(
        "the catalog cannot be reached to check the product; nothing was written, try again shortly"
    )]
    CatalogUnavailable,
    #[error("the catalog answered unexpectedly: {0}")]
    CatalogFailed(String),
    #[error("the review store cannot be reached; try again shortly")]
    StoreUnavailable(#[source] mongodb::error::Error),
    #[error("the review store did not answer within {} ms; try again shortly", .0.as_millis())]
    StoreTimedOut(std::time::Duration),
    #[error("the review store failed")]
    Store(#[source] mongodb::error::Error),
    #[error("stored review data is corrupt: {0}")]
    Corrupt(String),
}

impl From<mongodb::error::Error> for ReviewsError {
    /// An outage (no server to talk to) is a 503; anything else the store says is a bug.
    fn from(err: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        match *err.kind {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. } => Self::StoreUnavailable(err),
            _ => Self::Store(err),
        }
    }
}
