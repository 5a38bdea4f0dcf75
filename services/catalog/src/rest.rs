//! The REST API: the generated `CatalogApi` trait, implemented over the store.
//!
//! The generated router has already turned malformed paths, queries and bodies into 400,
//! 415 and 422 answers; what reaches these methods is well-formed, and what can still go
//! wrong is a [`CatalogError`], which [`respond`] turns into the operation's response.

use axum::http::StatusCode;
use catalog_api::server::{
    BearerToken, CatalogApi, CreateProductResponse, DeleteProductPath, DeleteProductResponse,
    FromError, GetProductImagePath, GetProductImageResponse, GetProductPath, GetProductResponse,
    GetReviewContextPath, GetReviewContextResponse, ListCategoriesResponse, ListProductsQuery,
    ListProductsResponse, RequestContext, UpdateProductPath, UpdateProductResponse,
};
use catalog_api::types;
use platform::config::Secret;

use crate::error::CatalogError;
use crate::store::{NewProduct, Product, ProductFilter, Sort, Store};

#[derive(Debug, Clone)]
pub struct Api {
    store: Store,
    admin_token: Secret<String>,
}

impl Api {
    pub fn new(store: Store, admin_token: Secret<String>) -> Self {
        Self { store, admin_token }
    }

    /// Whether `token` is the admin token, compared in constant time.
    fn is_admin(&self, token: &BearerToken) -> bool {
        self.admin_token.matches(token.expose())
    }
}

/// Turns a domain error into the response of whichever operation hit it. This is the
/// one place that picks REST status codes.
fn respond<R: FromError>(ctx: &RequestContext, err: CatalogError) -> R {
    let (status, code) = match &err {
        CatalogError::ProductNotFound(_) => (StatusCode::NOT_FOUND, "product_not_found"),
        CatalogError::DuplicateSku(_) => (StatusCode::CONFLICT, "duplicate_sku"),
        CatalogError::UnknownCategory(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"),
        CatalogError::InvalidProduct(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_product"),
        CatalogError::Database(_) | CatalogError::StoredValue(_) => {
            tracing::error!(error = %err, cause = ?std::error::Error::source(&err), "internal error");
            let message = format!(
                "the catalog failed to answer; quote request id {}",
                ctx.request_id
            );
            return R::from_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                ctx.error("internal", message),
            );
        }
    };
    R::from_error(status, ctx.error(code, err.to_string()))
}

fn unauthorized<R: FromError>(ctx: &RequestContext) -> R {
    R::from_error(
        StatusCode::UNAUTHORIZED,
        ctx.error("unauthorized", "the admin token is not valid"),
    )
}

impl CatalogApi for Api {
    async fn list_products(
        &self,
        ctx: RequestContext,
        query: ListProductsQuery,
    ) -> ListProductsResponse {
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
        match self.store.list_products(&filter).await {
            Ok(page) => match page.items.into_iter().map(to_wire).collect() {
                Ok(items) => ListProductsResponse::Ok(types::ProductPage {
                    total_pages: (page.total_items + filter.page_size - 1) / filter.page_size,
                    total_items: page.total_items,
                    page: query.page,
                    page_size: query.page_size,
                    items,
                }),
                Err(err) => respond(&ctx, err),
            },
            Err(err) => respond(&ctx, err),
        }
    }

    async fn create_product(
        &self,
        ctx: RequestContext,
        token: BearerToken,
        body: types::ProductInput,
    ) -> CreateProductResponse {
        if !self.is_admin(&token) {
            return unauthorized(&ctx);
        }
        match self.store.create_product(from_wire(body)).await {
            Ok(product) => match to_wire(product) {
                Ok(product) => CreateProductResponse::Created(product),
                Err(err) => respond(&ctx, err),
            },
            Err(err) => respond(&ctx, err),
        }
    }

    async fn get_product(&self, ctx: RequestContext, path: GetProductPath) -> GetProductResponse {
        match self.store.product(path.product_id).await {
            Ok(product) => match to_wire(product) {
                Ok(product) => GetProductResponse::Ok(product),
                Err(err) => respond(&ctx, err),
            },
            Err(err) => respond(&ctx, err),
        }
    }

    async fn update_product(
        &self,
        ctx: RequestContext,
        token: BearerToken,
        path: UpdateProductPath,
        body: types::ProductInput,
    ) -> UpdateProductResponse {
        if !self.is_admin(&token) {
            return unauthorized(&ctx);
        }
        match self
            .store
            .update_product(path.product_id, from_wire(body))
            .await
        {
            Ok(product) => match to_wire(product) {
                Ok(product) => UpdateProductResponse::Ok(product),
                Err(err) => respond(&ctx, err),
            },
            Err(err) => respond(&ctx, err),
        }
    }

    async fn delete_product(
        &self,
        ctx: RequestContext,
        token: BearerToken,
        path: DeleteProductPath,
    ) -> DeleteProductResponse {
        if !self.is_admin(&token) {
            return unauthorized(&ctx);
        }
        match self.store.delete_product(path.product_id).await {
            Ok(()) => DeleteProductResponse::NoContent,
            Err(err) => respond(&ctx, err),
        }
    }

    async fn get_product_image(
        &self,
        ctx: RequestContext,
        path: GetProductImagePath,
    ) -> GetProductImageResponse {
        match self.store.product(path.product_id).await {
            Ok(product) => GetProductImageResponse::Ok(crate::image::svg(&product)),
            Err(err) => respond(&ctx, err),
        }
    }

    async fn list_categories(&self, ctx: RequestContext) -> ListCategoriesResponse {
        match self.store.categories().await {
            Ok(categories) => {
                let items = categories.into_iter().map(|category| {
                    Ok(types::Category {
                        slug: parse_stored(&category.slug, "category slug")?,
                        id: category.id,
                        name: category.name,
                        description: category.description,
                        product_count: category.product_count,
                    })
                });
                match items.collect() {
                    Ok(items) => ListCategoriesResponse::Ok(types::CategoryList { items }),
                    Err(err) => respond(&ctx, err),
                }
            }
            Err(err) => respond(&ctx, err),
        }
    }

    async fn get_review_context(
        &self,
        ctx: RequestContext,
        path: GetReviewContextPath,
    ) -> GetReviewContextResponse {
        match self.store.product(path.product_id).await {
            Ok(product) => {
                let review_attributes = product.review_attributes.clone();
                match to_wire(product) {
                    Ok(wire) => GetReviewContextResponse::Ok(types::ReviewContext {
                        product_id: wire.id,
                        name: wire.name,
                        category: wire.category,
                        active: wire.active,
                        image_url: wire.image_url,
                        review_attributes,
                    }),
                    Err(err) => respond(&ctx, err),
                }
            }
            Err(err) => respond(&ctx, err),
        }
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

/// The wire form of a stored product. Stored values passed the same checks on the way
/// in, so one the wire types refuse means the database was edited by hand: that is
/// reported as an internal error rather than sent out in breach of the contract.
pub fn to_wire(product: Product) -> Result<types::Product, CatalogError> {
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
