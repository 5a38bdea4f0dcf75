//! The provider side: each service, on real datastores with a real Catalog behind it,
//! replays every committed pact that names it, with the pact's provider states set up
//! here in Rust: through SQL in the Catalog's database for products, and through the
//! service's own API for carts and reviews, whose ids the interactions then use.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use catalog::testing::TestCatalog;
use pact_tests::provider::{States, verify, verify_pacts_in};
use pact_tests::states;
use serde_json::{Value, json};
use uuid::Uuid;

fn uuid_param(params: &HashMap<String, Value>, name: &str) -> Result<Uuid> {
    params
        .get(name)
        .and_then(Value::as_str)
        .with_context(|| format!("the state has no `{name}`"))?
        .parse()
        .with_context(|| format!("`{name}` is not a uuid"))
}

/// The states every provider knows: they are about the Catalog's products.
async fn set_up_product(
    catalog: &TestCatalog,
    state: &str,
    params: &HashMap<String, Value>,
) -> Result<bool> {
    match state {
        states::DEMO_CATALOG => {}
        states::PRODUCT_FOR_SALE => {
            states::put_product_for_sale(catalog, uuid_param(params, "product_id")?).await?;
        }
        states::NO_SUCH_PRODUCT => {
            states::remove_product(catalog, uuid_param(params, "product_id")?).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[derive(Debug)]
struct CatalogStates {
    catalog: Arc<TestCatalog>,
}

#[async_trait]
impl States for CatalogStates {
    async fn set_up(
        &self,
        state: &str,
        params: &HashMap<String, Value>,
    ) -> Result<HashMap<String, Value>> {
        if !set_up_product(&self.catalog, state, params).await? {
            bail!("the catalog knows no provider state \"{state}\"");
        }
        Ok(HashMap::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_honours_its_consumers_pacts() -> Result<()> {
    pact_tests::install_crypto_provider();
    let catalog = Arc::new(TestCatalog::start().await?);
    let url = catalog.http_url();
    verify("catalog", &url, CatalogStates { catalog }).await
}

/// The gate at work: had the Reviews service started reading a field the Catalog does not
/// send (here, `review_attributes` renamed), the Catalog's verification fails and names
/// the consumer, the interaction and the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_expecting_a_renamed_field_fails_the_providers_verification() -> Result<()> {
    pact_tests::install_crypto_provider();
    let scratch = tempfile::tempdir()?;
    let name = pact_tests::pact_file_name("reviews", "catalog");
    let pact = std::fs::read_to_string(pact_tests::pacts_dir().join(&name))?;
    assert!(pact.contains("review_attributes"));
    std::fs::write(
        scratch.path().join(&name),
        pact.replace("review_attributes", "reviewable_attributes"),
    )?;

    let catalog = Arc::new(TestCatalog::start().await?);
    let url = catalog.http_url();
    let failure = verify_pacts_in(scratch.path(), "catalog", &url, CatalogStates { catalog })
        .await
        .expect_err("the catalog does not send `reviewable_attributes`");
    let report = format!("{failure:#}");
    for expected in [
        "the catalog does not honour its consumers' pacts",
        "Verifying a pact between reviews and catalog",
        "get the review context of a product for sale",
        "reviewable_attributes",
    ] {
        assert!(
            report.contains(expected),
            "{expected:?} is not in:\n{report}"
        );
    }
    Ok(())
}

#[derive(Debug)]
struct CartStates {
    catalog: TestCatalog,
    cart: cart_api::Client,
}

impl CartStates {
    async fn new_cart(&self) -> Result<Uuid> {
        Ok(self.cart.create_cart().send().await?.id)
    }
}

#[async_trait]
impl States for CartStates {
    async fn set_up(
        &self,
        state: &str,
        params: &HashMap<String, Value>,
    ) -> Result<HashMap<String, Value>> {
        let cart_id = match state {
            states::EMPTY_CART => self.new_cart().await?,
            states::CART_WITH_PRODUCT => {
                let product_id = uuid_param(params, "product_id")?;
                let quantity = params
                    .get("quantity")
                    .and_then(Value::as_u64)
                    .and_then(|quantity| u32::try_from(quantity).ok())
                    .and_then(std::num::NonZeroU32::new)
                    .context("the state has no positive `quantity`")?;
                states::put_product_for_sale(&self.catalog, product_id).await?;
                let cart_id = self.new_cart().await?;
                self.cart
                    .add_line()
                    .cart_id(cart_id)
                    .body(cart_api::types::AddLine {
                        product_id,
                        quantity: quantity.into(),
                    })
                    .send()
                    .await?;
                cart_id
            }
            // A cart id the Cart never made is as unknown as one that expired.
            states::NO_SUCH_CART => return Ok(HashMap::new()),
            _ if set_up_product(&self.catalog, state, params).await? => {
                return Ok(HashMap::new());
            }
            _ => bail!("the cart knows no provider state \"{state}\""),
        };
        Ok(HashMap::from([("cart_id".to_owned(), json!(cart_id))]))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_honours_its_consumers_pacts() -> Result<()> {
    pact_tests::install_crypto_provider();
    let catalog = TestCatalog::start().await?;
    let service = cart::testing::start(catalog.grpc_url()).await?;
    let url = service.http_url();
    let cart = cart_api::Client::new(&url, Default::default());
    verify("cart", &url, CartStates { catalog, cart }).await
}

#[derive(Debug)]
struct ReviewsStates {
    catalog: TestCatalog,
    reviews: reviews_api::Client,
    /// Each review a state writes has its own author: one author reviews a product once.
    authors: AtomicU32,
}

#[async_trait]
impl States for ReviewsStates {
    async fn set_up(
        &self,
        state: &str,
        params: &HashMap<String, Value>,
    ) -> Result<HashMap<String, Value>> {
        if state != states::PRODUCT_REVIEWED {
            if !set_up_product(&self.catalog, state, params).await? {
                bail!("reviews know no provider state \"{state}\"");
            }
            return Ok(HashMap::new());
        }
        let product_id = uuid_param(params, "product_id")?;
        states::put_product_for_sale(&self.catalog, product_id).await?;
        let author = format!("Reviewer {}", self.authors.fetch_add(1, Ordering::Relaxed));
        let review = self
            .reviews
            .create_review()
            .product_id(product_id)
            .body(reviews_api::types::ReviewInput {
                author: author.parse()?,
                rating: std::num::NonZeroU32::new(4).context("four stars")?.into(),
                title: "Does the job".parse()?,
                body: "Bright enough to read by.".parse()?,
                attributes: None,
            })
            .send()
            .await?;
        let voter = self.reviews.issue_voter().send().await?;
        Ok(HashMap::from([
            ("review_id".to_owned(), json!(review.id)),
            ("voter".to_owned(), json!(voter.voter)),
        ]))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_honour_their_consumers_pacts() -> Result<()> {
    pact_tests::install_crypto_provider();
    let catalog = TestCatalog::start().await?;
    let service = reviews::testing::start(catalog.http_url()).await?;
    let url = service.http_url();
    let reviews = reviews_api::Client::new(&url, Default::default());
    let states = ReviewsStates {
        catalog,
        reviews,
        authors: AtomicU32::new(1),
    };
    verify("reviews", &url, states).await
}
