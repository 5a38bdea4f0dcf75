//! What can go wrong in the Catalog, in domain terms. The REST and gRPC layers each
//! turn these into their own status codes, in one place each.

use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("no product has id {0}")]
    ProductNotFound(Uuid),
    #[error("another product already has SKU {0}")]
    DuplicateSku(String),
    #[error("no category has slug `{0}`")]
    UnknownCategory(String),
    #[error("{0}")]
    InvalidProduct(String),
    #[error("{0}")]
    StoredValue(String),
    #[error("the database failed")]
    Database(#[from] sqlx::Error),
}
