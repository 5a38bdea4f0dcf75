//! The REST API: the generated `CatalogApi` trait, implemented over the store.
//!
//! The generated router has already turned malformed paths, queries and bodies into 400,
//! 415 and 422 answers; what reaches these methods is well-formed, and what can still go
//! wrong is a [`CatalogError`], which `?` turns into a [`ServiceError`] through the one
//! table below.

use std::sync::Arc;

use api_runtime::{BearerToken, ServiceError};
use axum::http::StatusCode;
use catalog_api::server::{
    CatalogApi, CreateProductResponse, DeleteProductPath, DeleteProductResponse,
    GetProductImagePath, GetProductImageResponse, GetProductPath, GetProductResponse,
    GetReviewContextPath, GetReviewContextResponse, ListCategoriesResponse, ListProductsQuery,
    ListProductsResponse, UpdateProductPath, UpdateProductResponse,
};
use catalog_api::types;
use platform::admin::AdminGuard;

use crate::error::CatalogError;
use crate::store::{NewProduct, Product, ProductFilter, Sort, Store};

#[derive(Debug, Clone)]
pub struct Api {
    store: Store,
    admin: AdminGuard,
}

impl Api {
    pub fn new(store: Store, admin: AdminGuard) -> Self {
        Self { store, admin }
    }

    /// Refuses any token but the admin token (see `platform::admin`).
    fn require_admin(&self, token: &BearerToken) -> Result<(), ServiceError> {
        self.admin.check(token)
    }
}

/// The one table from the Catalog's domain errors to REST statuses and codes.
impl From<CatalogError> for ServiceError {
    fn from(err: CatalogError) -> Self {
        let (status, code) = match &err {
            CatalogError::ProductNotFound(_) => (StatusCode::NOT_FOUND, "product_not_found"),
            CatalogError::DuplicateSku(_) => (StatusCode::CONFLICT, "duplicate_sku"),
            CatalogError::UnknownCategory(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category")
            }
            CatalogError::InvalidProduct(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_product")
            }
            CatalogError::DatabaseUnavailable(_) => {
                return Self::unavailable("store_unavailable", err);
            }
            CatalogError::Database(_) | CatalogError::StoredValue(_) => {
                return Self::internal(err);
            }
        };
        Self::new(status, code, err.to_string())
    }
}

impl CatalogApi for Api {
    async fn list_products(
        &self,
        query: ListProductsQuery,
    ) -> Result<ListProductsResponse, ServiceError> {
        let sort = match query.sort {
            Some(types::ProductSort::Relevance) => Sort::Relevance,
            Some(types::ProductSort::PriceAsc) => Sort::PriceAscending,
            Some(types::ProductSort::PriceDesc) => Sort::PriceDescending,
            Some(types::ProductSort::Name) => Sort::Name,
            Some(types::ProductSort::Newest) => Sort::Newest,
            None if query.q.is_some() => Sort::Relevance,
            None => Sort::Name,
        };
        let filter = ProductFilter {
            category: query.category.map(|slug| slug.to_string()),
            text: query
                .q
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty()),
            min_price: query.min_price,
            max_price: query.max_price,
            sort,
            page: i64::from(query.page),
            page_size: i64::from(query.page_size),
        };
        let page = self.store.list_products(&filter).await?;
        let items = page
            .items
            .into_iter()
            .map(to_wire)
            .collect::<Result<_, _>>()?;
        Ok(ListProductsResponse::Ok(types::ProductPage {
            total_pages: (page.total_items + filter.page_size - 1) / filter.page_size,
            total_items: page.total_items,
            page: query.page,
            page_size: query.page_size,
            items,
        }))
    }

    async fn create_product(
        &self,
        token: BearerToken,
        body: types::ProductInput,
    ) -> Result<CreateProductResponse, ServiceError> {
        self.require_admin(&token)?;
        let product = self.store.create_product(from_wire(body)).await?;
        Ok(CreateProductResponse::Created(to_wire(product)?))
    }

    async fn get_product(&self, path: GetProductPath) -> Result<GetProductResponse, ServiceError> {
        let product = self.store.product(path.product_id).await?;
        Ok(GetProductResponse::Ok(to_wire(product)?))
    }

    async fn update_product(
        &self,
        token: BearerToken,
        path: UpdateProductPath,
        body: types::ProductInput,
    ) -> Result<UpdateProductResponse, ServiceError> {
        self.require_admin(&token)?;
        let product = self
            .store
            .update_product(path.product_id, from_wire(body))
            .await?;
        Ok(UpdateProductResponse::Ok(to_wire(product)?))
    }

    async fn delete_product(
        &self,
        token: BearerToken,
        path: DeleteProductPath,
    ) -> Result<DeleteProductResponse, ServiceError> {
        self.require_admin(&token)?;
        self.store.delete_product(path.product_id).await?;
        Ok(DeleteProductResponse::NoContent)
    }

    async fn get_product_image(
        &self,
        path: GetProductImagePath,
    ) -> Result<GetProductImageResponse, ServiceError> {
        let product = self.store.product(path.product_id).await?;
        Ok(GetProductImageResponse::Ok(crate::image::svg(&product)))
    }

    async fn list_categories(&self) -> Result<ListCategoriesResponse, ServiceError> {
        let items = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|category| {
                Ok(types::Category {
                    slug: parse_stored(&category.slug, "category slug")?,
                    id: category.id,
                    name: category.name,
                    description: category.description,
                    product_count: category.product_count,
                })
            })
            .collect::<Result<_, CatalogError>>()?;
        Ok(ListCategoriesResponse::Ok(types::CategoryList { items }))
    }

    async fn get_review_context(
        &self,
        path: GetReviewContextPath,
    ) -> Result<GetReviewContextResponse, ServiceError> {
        let product = self.store.product(path.product_id).await?;
        let review_attributes = product.review_attributes.clone();
        let wire = to_wire(product)?;
        Ok(GetReviewContextResponse::Ok(types::ReviewContext {
            product_id: wire.id,
            name: wire.name,
            category: wire.category,
            active: wire.active,
            image_url: wire.image_url,
            review_attributes,
        }))
    }
}

fn from_wire(input: types::ProductInput) -> NewProduct {
    NewProduct {
        sku: input.sku.to_string(),
        name: input.name.to_string(),
        description: input.description.map(|d| d.to_string()).unwrap_or_default(),
        category_slug: input.category.to_string(),
        price_minor: input.price.amount_minor,
        currency: input.price.currency.to_string(),
        stock: input.stock,
        active: input.active,
        attributes: input
            .attributes
            .map(|attributes| {
                attributes
                    .0
                    .into_iter()
                    .map(|(k, v)| (k, v.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The wire form of a stored product, made once per product read (see `Product::wire`).
/// Stored values passed the same checks on the way in, so one the wire types refuse means
/// the database was edited by hand: that is reported as an internal error rather than
/// sent out in breach of the contract.
pub fn to_wire(product: Product) -> Result<types::Product, CatalogError> {
    if let Some(wire) = product.wire.get() {
        return Ok(wire.clone());
    }
    let memo = Arc::clone(&product.wire);
    let wire = checked_wire_form(product)?;
    Ok(memo.get_or_init(|| wire).clone())
}

fn checked_wire_form(product: Product) -> Result<types::Product, CatalogError> {
    let image_url = format!("/v1/products/{}/image", product.id);
    let mut attributes = std::collections::HashMap::new();
    for (key, value) in product.attributes.0 {
        attributes.insert(key, parse_stored(&value, "attribute value")?);
    }
    Ok(types::Product {
        sku: parse_stored(&product.sku, "sku")?,
        category: types::CategoryRef {
            slug: parse_stored(&product.category_slug, "category slug")?,
            name: product.category_name,
        },
        price: types::Money {
            amount_minor: product.price_minor,
            currency: parse_stored(&product.currency, "currency")?,
        },
        id: product.id,
        name: product.name,
        description: product.description,
        stock: product.stock,
        active: product.active,
        image_url,
        attributes: types::AttributeMap(attributes),
        created_at: product.created_at,
        updated_at: product.updated_at,
    })
}

fn parse_stored<T: std::str::FromStr>(value: &str, field: &'static str) -> Result<T, CatalogError> {
    value.parse().map_err(|_| {
        CatalogError::StoredValue(format!(
            "stored {field} {value:?} does not fit the contract"
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn stored(sku: &str) -> Product {
        let now = chrono::Utc::now();
        Product {
            id: uuid::Uuid::new_v4(),
            sku: sku.to_owned(),
            name: "Lamp".to_owned(),
            description: "Bright.".to_owned(),
            category_slug: "home".to_owned(),
            category_name: "Home".to_owned(),
            price_minor: 1999,
            currency: "EUR".to_owned(),
            stock: 3,
            active: true,
            attributes: sqlx::types::Json(BTreeMap::from([(
                "colour".to_owned(),
                "red".to_owned(),
            )])),
            review_attributes: Vec::new(),
            created_at: now,
            updated_at: now,
            wire: Arc::default(),
        }
    }

    #[test]
    fn the_wire_form_is_made_once_and_shared_by_the_products_copies() {
        let kept = stored("LAMP-1");
        let wire = to_wire(kept.clone()).expect("a valid product");
        assert_eq!(wire.sku.to_string(), "LAMP-1");
        assert_eq!(kept.wire.get(), Some(&wire), "the kept product has it now");
        assert_eq!(to_wire(kept).expect("again"), wire);
    }

    #[test]
    fn a_stored_value_the_contract_refuses_is_an_internal_error_every_time() {
        let edited = stored("lower case");
        for _ in 0..2 {
            assert!(matches!(
                to_wire(edited.clone()),
                Err(CatalogError::StoredValue(_))
            ));
        }
        assert!(edited.wire.get().is_none());
    }
}
