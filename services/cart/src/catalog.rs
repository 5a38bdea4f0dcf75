//! The Cart's view of the Catalog: the generated tonic client, with a deadline on every
//! call, retries with jitter within a budget, and a circuit breaker.
//!
//! Every call the Cart makes to the Catalog is a read (validate, price), so every call is
//! idempotent and may be retried; a write would need an idempotency key before it could.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use catalog_proto::v1::{
    GetProductPricesRequest, ProductValidation, ValidateProductRequest, ValidateProductsRequest,
    ValidationReason,
};
use platform::grpc::ClientSpans;
use platform::resilience::{Breaker, RetryBudget};
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::error::CartError;

type Client = CatalogServiceClient<ClientSpans<Channel>>;

/// A product's price and name as the Catalog has them now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Price {
    pub name: String,
    pub amount_minor: i64,
    pub currency: String,
    pub active: bool,
}

/// What the Catalog answered about the lines of a cart.
#[derive(Debug, Default)]
pub struct Validations {
    /// Whether each product can be sold in the quantity asked.
    pub verdicts: HashMap<Uuid, Verdict>,
    /// The current price of each product the Catalog has (absent: it has no such product).
    pub prices: HashMap<Uuid, Price>,
}

/// What the Catalog says about selling a quantity of a product.
#[derive(Debug)]
pub enum Verdict {
    /// At this price, with this many units in stock now (at least the quantity asked).
    Sellable {
        price: Price,
        stock: u32,
    },
    Refused(CartError),
}

#[derive(Debug)]
pub struct Catalog {
    client: Client,
    breaker: Breaker,
    budget: RetryBudget,
    timeout: Duration,
    retries: u32,
}

impl Catalog {
    /// A client that connects lazily, so the Cart starts (and serves reads) while the
    /// Catalog is down, and reconnects by itself when it comes back.
    pub fn new(
        url: &str,
        timeout: Duration,
        retries: u32,
        breaker: Breaker,
    ) -> anyhow::Result<Self> {
        let channel = Endpoint::from_shared(url.to_owned())?
            .connect_timeout(timeout)
            .timeout(timeout)
            .connect_lazy();
        Ok(Self {
            client: CatalogServiceClient::new(ClientSpans::new(channel)),
            breaker,
            // Retries add at most 10 % to the calls the Catalog gets (and 10 more).
            budget: RetryBudget::new(10, 10),
            timeout,
            retries,
        })
    }

    /// Validates, in one call, the quantity each product would have in a cart after a
    /// change: every line of the cart, with the changed one at its new quantity. Answers
    /// a verdict per product and the current price of each one the Catalog has, which
    /// prices the whole cart, so a change needs no second call.
    pub async fn validate_lines(&self, lines: &[(Uuid, u32)]) -> Result<Validations, CartError> {
        let request = ValidateProductsRequest {
            lines: lines
                .iter()
                .map(|&(product_id, quantity)| ValidateProductRequest {
                    product_id: product_id.to_string(),
                    quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
                })
                .collect(),
        };
        let response = self
            .call(|mut client| {
                let request = request.clone();
                async move { client.validate_products(request).await }
            })
            .await?;
        let asked: HashMap<Uuid, u32> = lines.iter().copied().collect();
        let mut validations = Validations::default();
        for validation in response.validations {
            let Some((product_id, quantity)) = Uuid::parse_str(&validation.product_id)
                .ok()
                .and_then(|id| Some((id, *asked.get(&id)?)))
            else {
                return Err(CartError::CatalogRejected(format!(
                    "a validation of a product not asked about: {:?}",
                    validation.product_id
                )));
            };
            if let Some(price) = price_of(&validation) {
                validations.prices.insert(product_id, price);
            }
            validations
                .verdicts
                .insert(product_id, verdict(product_id, quantity, validation));
        }
        Ok(validations)
    }

    /// The current prices of `ids`, in one call; unknown products are absent.
    pub async fn prices(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Price>, CartError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let request = GetProductPricesRequest {
            product_ids: ids.iter().map(Uuid::to_string).collect(),
        };
        let response = self
            .call(|mut client| {
                let request = request.clone();
                async move { client.get_product_prices(request).await }
            })
            .await?;
        let mut prices = HashMap::new();
        for price in response.prices.into_iter().filter(|price| price.found) {
            let (Ok(id), Some(unit)) = (Uuid::parse_str(&price.product_id), price.unit_price)
            else {
                continue;
            };
            prices.insert(
                id,
                Price {
                    name: price.name,
                    amount_minor: unit.amount_minor,
                    currency: unit.currency,
                    active: price.active,
                },
            );
        }
        Ok(prices)
    }

    /// Runs one logical call through the breaker, with a deadline per attempt and
    /// jittered backoff between attempts that failed for a transient reason, as far as
    /// the retry budget allows. If the caller goes away mid-call, the breaker's permit is
    /// dropped unreported, which the breaker handles (see `platform::resilience`).
    async fn call<T, F, Fut>(&self, attempt: F) -> Result<T, CartError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let permit = self
            .breaker
            .permit()
            .map_err(|retry_after| CartError::CatalogUnavailable { retry_after })?;
        self.budget.called();
        let mut last = None;
        for tries in 0..=self.retries {
            if tries > 0 {
                if !self.budget.try_retry() {
                    break;
                }
                // 50 ms, 100 ms, ... each with up to as much again of jitter, so retrying
                // callers do not arrive in lockstep.
                let base = 50 * u64::from(tries);
                tokio::time::sleep(Duration::from_millis(base + fastrand::u64(0..=base))).await;
            }
            match tokio::time::timeout(self.timeout, attempt(self.client.clone())).await {
                Ok(Ok(response)) => {
                    permit.succeeded();
                    return Ok(response.into_inner());
                }
                Ok(Err(status)) if !is_transient(status.code()) => {
                    // The Catalog answered: it is up, the request was wrong.
                    permit.succeeded();
                    return Err(CartError::CatalogRejected(status.message().to_owned()));
                }
                Ok(Err(status)) => last = Some(status.to_string()),
                Err(_) => last = Some(format!("no answer within {:?}", self.timeout)),
            }
        }
        permit.failed();
        tracing::warn!(
            error = last.as_deref().unwrap_or_default(),
            "the catalog is unreachable"
        );
        Err(CartError::CatalogUnavailable {
            retry_after: self.breaker.retry_after(),
        })
    }
}

fn is_transient(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            // What the Catalog answers when a call outlives its request deadline.
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Unknown
    )
}

/// The price a validation carries: every product the Catalog has, sellable or not.
fn price_of(validation: &ProductValidation) -> Option<Price> {
    validation.unit_price.as_ref().map(|unit| Price {
        name: validation.name.clone(),
        amount_minor: unit.amount_minor,
        currency: unit.currency.clone(),
        active: validation.reason() != ValidationReason::Inactive,
    })
}

fn verdict(product_id: Uuid, quantity: u32, validation: ProductValidation) -> Verdict {
    match (validation.reason(), price_of(&validation)) {
        (ValidationReason::Ok, Some(price)) => Verdict::Sellable {
            price,
            stock: u32::try_from(validation.available_stock).unwrap_or(0),
        },
        (ValidationReason::Inactive, _) => Verdict::Refused(CartError::NotForSale {
            name: validation.name,
        }),
        (ValidationReason::InsufficientStock, _) => {
            Verdict::Refused(CartError::InsufficientStock {
                name: validation.name,
                available: validation.available_stock,
                wanted: quantity,
            })
        }
        _ => Verdict::Refused(CartError::UnknownProduct(product_id)),
    }
}
