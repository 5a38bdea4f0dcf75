//! The gRPC API: the generated `CatalogService`, implemented over the store, plus the
//! standard gRPC health service.

use std::collections::HashMap;

use catalog_proto::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use catalog_proto::v1::{
    GetProductPriceRequest, GetProductPriceResponse, GetProductPricesRequest,
    GetProductPricesResponse, Money, ProductPrice, ProductValidation, ValidateProductRequest,
    ValidateProductResponse, ValidateProductsRequest, ValidateProductsResponse, ValidationReason,
};
use platform::metrics::Metrics;
use platform::overload::Limits;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::CatalogError;
use crate::store::{MAX_BATCH, Offer, Store};

pub async fn serve(
    listener: TcpListener,
    store: Store,
    metrics: Metrics,
    limits: Limits,
    stopping: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<CatalogServiceServer<Grpc>>()
        .await;
    limits
        .grpc()
        .layer(platform::grpc::ObserveLayer::new(metrics))
        .add_service(health_service)
        .add_service(CatalogServiceServer::new(Grpc { store }))
        .serve_with_incoming_shutdown(
            platform::grpc::incoming(listener),
            stopping.cancelled_owned(),
        )
        .await
}

#[derive(Debug, Clone)]
pub struct Grpc {
    store: Store,
}

impl From<CatalogError> for Status {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::ProductNotFound(_) => Status::not_found(err.to_string()),
            CatalogError::DuplicateSku(_) => Status::already_exists(err.to_string()),
            CatalogError::UnknownCategory(_) | CatalogError::InvalidProduct(_) => {
                Status::invalid_argument(err.to_string())
            }
            CatalogError::DatabaseUnavailable(_) => {
                tracing::warn!(error = %err, cause = ?std::error::Error::source(&err), "database unavailable");
                Status::unavailable(err.to_string())
            }
            CatalogError::Database(_) | CatalogError::StoredValue(_) => {
                tracing::error!(error = %err, cause = ?std::error::Error::source(&err), "internal error");
                Status::internal("the catalog failed; its log has the cause")
            }
        }
    }
}

fn parse_id(value: &str, field: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(value)
        .map_err(|_| Status::invalid_argument(format!("{field} {value:?} is not a UUID")))
}

fn check_batch(len: usize, field: &str) -> Result<(), Status> {
    if len == 0 {
        return Err(Status::invalid_argument(format!("{field} is empty")));
    }
    if len > MAX_BATCH {
        return Err(Status::invalid_argument(format!(
            "{field} has {len} entries, at most {MAX_BATCH} are allowed"
        )));
    }
    Ok(())
}

fn money(offer: &Offer) -> Money {
    Money {
        amount_minor: offer.price_minor,
        currency: offer.currency.clone(),
    }
}

/// Checks one line against what the catalog has.
fn validation(product_id: Uuid, quantity: i32, offer: Option<&Offer>) -> ProductValidation {
    let Some(offer) = offer else {
        return ProductValidation {
            product_id: product_id.to_string(),
            valid: false,
            reason: ValidationReason::NotFound.into(),
            ..ProductValidation::default()
        };
    };
    let reason = if !offer.active {
        ValidationReason::Inactive
    } else if offer.stock < quantity {
        ValidationReason::InsufficientStock
    } else {
        ValidationReason::Ok
    };
    ProductValidation {
        product_id: product_id.to_string(),
        valid: reason == ValidationReason::Ok,
        reason: reason.into(),
        available_stock: offer.stock,
        unit_price: Some(money(offer)),
        name: offer.name.clone(),
    }
}

fn price(product_id: Uuid, offer: Option<&Offer>) -> ProductPrice {
    match offer {
        Some(offer) => ProductPrice {
            product_id: product_id.to_string(),
            found: true,
            unit_price: Some(money(offer)),
            active: offer.active,
            name: offer.name.clone(),
        },
        None => ProductPrice {
            product_id: product_id.to_string(),
            ..ProductPrice::default()
        },
    }
}

impl Grpc {
    /// Parses every line first, so one bad line fails the call before any lookup.
    fn parse_lines(lines: &[ValidateProductRequest]) -> Result<Vec<(Uuid, i32)>, Status> {
        lines
            .iter()
            .enumerate()
            .map(|(index, line)| {
                let id = parse_id(&line.product_id, &format!("lines[{index}].product_id"))?;
                if line.quantity < 1 {
                    return Err(Status::invalid_argument(format!(
                        "lines[{index}].quantity must be at least 1, got {}",
                        line.quantity
                    )));
                }
                Ok((id, line.quantity))
            })
            .collect()
    }

    async fn offers_by_id(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Offer>, Status> {
        let offers = self.store.offers(ids).await?;
        Ok(offers.into_iter().map(|offer| (offer.id, offer)).collect())
    }
}

#[tonic::async_trait]
impl CatalogService for Grpc {
    async fn validate_product(
        &self,
        request: Request<ValidateProductRequest>,
    ) -> Result<Response<ValidateProductResponse>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.product_id, "product_id")?;
        if request.quantity < 1 {
            return Err(Status::invalid_argument(format!(
                "quantity must be at least 1, got {}",
                request.quantity
            )));
        }
        let offers = self.offers_by_id(&[id]).await?;
        Ok(Response::new(ValidateProductResponse {
            validation: Some(validation(id, request.quantity, offers.get(&id))),
        }))
    }

    async fn validate_products(
        &self,
        request: Request<ValidateProductsRequest>,
    ) -> Result<Response<ValidateProductsResponse>, Status> {
        let lines = request.into_inner().lines;
        check_batch(lines.len(), "lines")?;
        let lines = Self::parse_lines(&lines)?;
        let ids: Vec<Uuid> = lines.iter().map(|(id, _)| *id).collect();
        let offers = self.offers_by_id(&ids).await?;
        let validations = lines
            .iter()
            .map(|(id, quantity)| validation(*id, *quantity, offers.get(id)))
            .collect();
        Ok(Response::new(ValidateProductsResponse { validations }))
    }

    async fn get_product_price(
        &self,
        request: Request<GetProductPriceRequest>,
    ) -> Result<Response<GetProductPriceResponse>, Status> {
        let id = parse_id(&request.into_inner().product_id, "product_id")?;
        let offers = self.offers_by_id(&[id]).await?;
        if !offers.contains_key(&id) {
            return Err(CatalogError::ProductNotFound(id).into());
        }
        Ok(Response::new(GetProductPriceResponse {
            price: Some(price(id, offers.get(&id))),
        }))
    }

    async fn get_product_prices(
        &self,
        request: Request<GetProductPricesRequest>,
    ) -> Result<Response<GetProductPricesResponse>, Status> {
        let ids = request.into_inner().product_ids;
        check_batch(ids.len(), "product_ids")?;
        let ids = ids
            .iter()
            .enumerate()
            .map(|(index, id)| parse_id(id, &format!("product_ids[{index}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let offers = self.offers_by_id(&ids).await?;
        let prices = ids.iter().map(|id| price(*id, offers.get(id))).collect();
        Ok(Response::new(GetProductPricesResponse { prices }))
    }
}
