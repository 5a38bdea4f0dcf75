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
    #[error(
        "the catalog's database cannot be reached or did not answer in time; try again shortly"
    )]
    DatabaseUnavailable(#[source] sqlx::Error),
    #[error("the database failed")]
    Database(#[source] sqlx::Error),
}

/// A database error is the database being away (no connection to be had in time, a
/// statement cancelled by its timeout, the server shutting down), which a retry may get
/// past, or a failure of ours.
impl From<sqlx::Error> for CatalogError {
    fn from(err: sqlx::Error) -> Self {
        let away = match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
            // 57014: query_canceled (the statement timeout); 57P01 to 57P03: the server
            // is shutting down or starting; class 08: the connection failed.
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code == "57014" || code.starts_with("57P") || code.starts_with("08")
            }),
            _ => false,
        };
        if away {
            Self::DatabaseUnavailable(err)
        } else {
            Self::Database(err)
        }
    }
}
