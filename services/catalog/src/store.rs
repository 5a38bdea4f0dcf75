//! The Catalog's data in PostgreSQL: every query the service makes is here.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use platform::datastore::Datastore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cache::Cache;
use crate::error::CatalogError;

/// The most products a single page may hold, and the most ids a batch call may name.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const MAX_BATCH: usize = 100;
pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_STOCK: i32 = 1_000_000;
pub const MAX_PRICE_MINOR: i64 = 100_000_000_000;

/// A product as the catalog knows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_slug: String,
    pub category_name: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
    pub attributes: sqlx::types::Json<BTreeMap<String, String>>,
    pub review_attributes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The product in the REST contract's form, made once per product read from the
    /// database and shared by its copies (`rest::to_wire`): checking the contract's
    /// patterns again on every answer took 13 % of the Catalog's CPU under load
    /// (`docs/benchmarks.md`). A product read anew gets a new one.
    #[sqlx(skip)]
    pub wire: Arc<OnceLock<catalog_api::types::Product>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Category {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub product_count: i64,
}

/// A product's fields as an admin writes them, checked against the catalog's limits.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category_slug: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
    pub attributes: BTreeMap<String, String>,
}

impl NewProduct {
    /// Checks the limits the wire types cannot express; the rest (SKU pattern, name
    /// length, currency code) the generated types have checked already.
    pub fn validate(self) -> Result<Self, CatalogError> {
        // The wire types refuse NUL in the name, the description and attribute values;
        // attribute names are map keys, which a schema cannot constrain.
        for key in self.attributes.keys() {
            platform::text::reject_nul("attribute names", key)
                .map_err(CatalogError::InvalidProduct)?;
        }
        if !(0..=MAX_PRICE_MINOR).contains(&self.price_minor) {
            return Err(CatalogError::InvalidProduct(format!(
                "price.amount_minor must be between 0 and {MAX_PRICE_MINOR}, got {}",
                self.price_minor
            )));
        }
        if !(0..=MAX_STOCK).contains(&self.stock) {
            return Err(CatalogError::InvalidProduct(format!(
                "stock must be between 0 and {MAX_STOCK}, got {}",
                self.stock
            )));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return Err(CatalogError::InvalidProduct(format!(
                "a product has at most {MAX_ATTRIBUTES} attributes, got {}",
                self.attributes.len()
            )));
        }
        if let Some((key, _)) = self
            .attributes
            .iter()
            .find(|(key, _)| key.is_empty() || key.chars().count() > 64)
        {
            return Err(CatalogError::InvalidProduct(format!(
                "attribute names have 1 to 64 characters, `{key}` does not"
            )));
        }
        Ok(self)
    }
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    PriceAscending,
    PriceDescending,
    Name,
    Newest,
}

/// What a listing asks for; `page` counts from 1.
#[derive(Debug, Clone)]
pub struct ProductFilter {
    pub category: Option<String>,
    pub text: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub sort: Sort,
    pub page: i64,
    pub page_size: i64,
}

#[derive(Debug, Clone)]
pub struct ProductPage {
    pub items: Vec<Product>,
    pub total_items: i64,
}

/// What the Cart needs to know about one product.
#[derive(Debug, Clone)]
pub struct Offer {
    pub id: Uuid,
    pub name: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i32,
    pub active: bool,
}

const PRODUCT_COLUMNS: &str = "p.id, p.sku, p.name, p.description, c.slug AS category_slug, \
     c.name AS category_name, p.price_minor, p.currency, p.stock, p.active, p.attributes, \
     c.review_attributes, p.created_at, p.updated_at";

impl From<&Product> for Offer {
    fn from(product: &Product) -> Self {
        Self {
            id: product.id,
            name: product.name.clone(),
            price_minor: product.price_minor,
            currency: product.currency.clone(),
            stock: product.stock,
            active: product.active,
        }
    }
}

/// The catalog's data: products by id come from the [`Cache`] when it has them, and
/// everything else from PostgreSQL. Every query is a client span (`SELECT products`,
/// see [`Datastore`]).
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
    cache: Cache,
    db: Datastore,
}

impl Store {
    pub fn new(pool: PgPool, cache: Cache, db: Datastore) -> Self {
        Self { pool, cache, db }
    }

    /// The span of one `operation` on `table`.
    fn span(&self, operation: &'static str, table: &'static str) -> tracing::Span {
        self.db.span(operation, Some(table))
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn product(&self, id: Uuid) -> Result<Product, CatalogError> {
        let found = self.products(&[id]).await?;
        let product = found.first().ok_or(CatalogError::ProductNotFound(id))?;
        Ok(Product::clone(product))
    }

    /// The products of `ids`, in any order; unknown ids are simply absent. Those the cache
    /// keeps cost no query; the others are read in one and kept.
    async fn products(&self, ids: &[Uuid]) -> Result<Vec<Arc<Product>>, CatalogError> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match self.cache.get(id) {
                Some(product) => found.push(product),
                None => missing.push(id),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let ticket = self.cache.ticket();
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id \
             WHERE p.id = ANY($1)"
        );
        let query = sqlx::query_as::<_, Product>(&sql)
            .bind(&missing)
            .fetch_all(&self.pool);
        let read: Vec<Arc<Product>> = self
            .db
            .call(self.span("SELECT", "products"), query)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        self.cache.fill(ticket, read.iter().cloned());
        found.extend(read);
        Ok(found)
    }

    /// Active products matching `filter`, one page of them, and how many match in all.
    pub async fn list_products(&self, filter: &ProductFilter) -> Result<ProductPage, CatalogError> {
        // Relevance only means something with a search text; without one it is by name.
        let order = match (filter.sort, filter.text.is_some()) {
            (Sort::Relevance, true) => {
                "ts_rank_cd(p.search, websearch_to_tsquery('english', $2)) DESC, p.name"
            }
            (Sort::Relevance | Sort::Name, _) => "p.name",
            (Sort::PriceAscending, _) => "p.price_minor, p.name",
            (Sort::PriceDescending, _) => "p.price_minor DESC, p.name",
            (Sort::Newest, _) => "p.created_at DESC, p.name",
        };
        let conditions = "p.active \
             AND ($1::text IS NULL OR c.slug = $1) \
             AND ($2::text IS NULL OR p.search @@ websearch_to_tsquery('english', $2)) \
             AND ($3::bigint IS NULL OR p.price_minor >= $3) \
             AND ($4::bigint IS NULL OR p.price_minor <= $4)";
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p JOIN categories c ON c.id = p.category_id \
             WHERE {conditions} ORDER BY {order}, p.id LIMIT $5 OFFSET $6"
        );
        let offset = (filter.page - 1) * filter.page_size;
        let query = sqlx::query_as::<_, Product>(&sql)
            .bind(&filter.category)
            .bind(&filter.text)
            .bind(filter.min_price)
            .bind(filter.max_price)
            .bind(filter.page_size)
            .bind(offset)
            .fetch_all(&self.pool);
        let items = self.db.call(self.span("SELECT", "products"), query).await?;
        let count_sql = format!(
            "SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id WHERE {conditions}"
        );
        let query = sqlx::query_scalar(&count_sql)
            .bind(&filter.category)
            .bind(&filter.text)
            .bind(filter.min_price)
            .bind(filter.max_price)
            .fetch_one(&self.pool);
        let total_items: i64 = self.db.call(self.span("SELECT", "products"), query).await?;
        Ok(ProductPage { items, total_items })
    }

    pub async fn categories(&self) -> Result<Vec<Category>, CatalogError> {
        let query = sqlx::query_as::<_, Category>(
            "SELECT c.id, c.slug, c.name, c.description, \
                    count(p.id) FILTER (WHERE p.active) AS product_count \
             FROM categories c LEFT JOIN products p ON p.category_id = c.id \
             GROUP BY c.id ORDER BY c.name",
        )
        .fetch_all(&self.pool);
        Ok(self
            .db
            .call(self.span("SELECT", "categories"), query)
            .await?)
    }

    pub async fn create_product(&self, product: NewProduct) -> Result<Product, CatalogError> {
        let product = product.validate()?;
        let id = Uuid::new_v4();
        self.write_product(
            "INSERT",
            "INSERT INTO products (id, sku, name, description, category_id, price_minor, currency, \
                 stock, active, attributes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            id,
            &product,
        )
        .await?;
        self.product(id).await
    }

    pub async fn update_product(
        &self,
        id: Uuid,
        product: NewProduct,
    ) -> Result<Product, CatalogError> {
        let product = product.validate()?;
        let updated = self
            .write_product(
                "UPDATE",
                "UPDATE products SET sku = $2, name = $3, description = $4, category_id = $5, \
                     price_minor = $6, currency = $7, stock = $8, active = $9, attributes = $10, \
                     updated_at = now() \
                 WHERE id = $1",
                id,
                &product,
            )
            .await?;
        if updated == 0 {
            return Err(CatalogError::ProductNotFound(id));
        }
        // Every instance hears of the change from PostgreSQL; this one also forgets it
        // now, so that its own answer, and its next read, are the new row.
        self.cache.invalidate_product(id);
        self.product(id).await
    }

    /// Runs an `operation` (INSERT or UPDATE) whose parameters are the id ($1) and the
    /// product's fields ($2 to $10, in column order), and returns how many rows it touched.
    async fn write_product(
        &self,
        operation: &'static str,
        sql: &str,
        id: Uuid,
        product: &NewProduct,
    ) -> Result<u64, CatalogError> {
        let category_id = self.category_id(&product.category_slug).await?;
        let query = sqlx::query(sql)
            .bind(id)
            .bind(&product.sku)
            .bind(&product.name)
            .bind(&product.description)
            .bind(category_id)
            .bind(product.price_minor)
            .bind(&product.currency)
            .bind(product.stock)
            .bind(product.active)
            .bind(sqlx::types::Json(&product.attributes))
            .execute(&self.pool);
        let result = self
            .db
            .call(self.span(operation, "products"), query)
            .await
            .map_err(|err| unique_violation_as_duplicate(err, &product.sku))?;
        Ok(result.rows_affected())
    }

    pub async fn delete_product(&self, id: Uuid) -> Result<(), CatalogError> {
        let query = sqlx::query("DELETE FROM products WHERE id = $1")
            .bind(id)
            .execute(&self.pool);
        let deleted = self.db.call(self.span("DELETE", "products"), query).await?;
        if deleted.rows_affected() == 0 {
            return Err(CatalogError::ProductNotFound(id));
        }
        self.cache.invalidate_product(id);
        Ok(())
    }

    /// The offers for `ids`, in any order; unknown ids are simply absent.
    pub async fn offers(&self, ids: &[Uuid]) -> Result<Vec<Offer>, CatalogError> {
        let products = self.products(ids).await?;
        Ok(products
            .iter()
            .map(|product| Offer::from(&**product))
            .collect())
    }

    async fn category_id(&self, slug: &str) -> Result<Uuid, CatalogError> {
        let query = sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool);
        self.db
            .call(self.span("SELECT", "categories"), query)
            .await?
            .ok_or_else(|| CatalogError::UnknownCategory(slug.to_owned()))
    }
}

fn unique_violation_as_duplicate(err: sqlx::Error, sku: &str) -> CatalogError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            CatalogError::DuplicateSku(sku.to_owned())
        }
        _ => CatalogError::from(err),
    }
}

impl platform::http::Readiness for Store {
    async fn check(&self) -> Result<(), String> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(|err| format!("PostgreSQL does not answer: {err}"))
    }
}
