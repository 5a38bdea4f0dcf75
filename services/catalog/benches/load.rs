//! Throughput and latency of the Catalog's two hot paths, each beside a bare server that
//! answers the same bytes with no work, measured in one run with the same client and
//! concurrency. The ratio is what the Catalog's work (routing, middleware, PostgreSQL,
//! serialisation) costs over the framework alone.
//!
//! `cargo bench -p catalog --bench load` (or `make bench`). `BENCH_SECONDS` (default 5)
//! and `BENCH_CONCURRENCY` (default 32) tune the run.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::routing::get;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use catalog_proto::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use catalog_proto::v1::{
    GetProductPriceRequest, GetProductPriceResponse, GetProductPricesRequest,
    GetProductPricesResponse, ValidateProductRequest, ValidateProductResponse,
    ValidateProductsRequest, ValidateProductsResponse,
};
use testkit::load;
use tokio::net::TcpListener;
use tonic::{Request, Response, Status};

/// A CatalogService that answers every call with fixed responses.
#[derive(Clone)]
struct BareGrpc {
    validate: ValidateProductResponse,
}

#[tonic::async_trait]
impl CatalogService for BareGrpc {
    async fn validate_product(
        &self,
        _: Request<ValidateProductRequest>,
    ) -> Result<Response<ValidateProductResponse>, Status> {
        Ok(Response::new(self.validate.clone()))
    }
    async fn validate_products(
        &self,
        _: Request<ValidateProductsRequest>,
    ) -> Result<Response<ValidateProductsResponse>, Status> {
        Ok(Response::new(ValidateProductsResponse::default()))
    }
    async fn get_product_price(
        &self,
        _: Request<GetProductPriceRequest>,
    ) -> Result<Response<GetProductPriceResponse>, Status> {
        Ok(Response::new(GetProductPriceResponse::default()))
    }
    async fn get_product_prices(
        &self,
        _: Request<GetProductPricesRequest>,
    ) -> Result<Response<GetProductPricesResponse>, Status> {
        Ok(Response::new(GetProductPricesResponse::default()))
    }
}

async fn bare_axum(body: Arc<String>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route(
        "/v1/products/{product_id}",
        get(move || {
            let body = Arc::clone(&body);
            async move {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    body.as_str().to_owned(),
                )
            }
        }),
    );
    // Accepted as the Catalog accepts them (TCP_NODELAY), so only the work differs.
    tokio::spawn(async move { axum::serve(platform::http::without_delay(listener), app).await });
    Ok(addr)
}

async fn bare_tonic(validate: ValidateProductResponse) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service = CatalogServiceServer::new(BareGrpc { validate });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(platform::grpc::incoming(listener)),
    );
    Ok(addr)
}

fn rest_call(
    client: reqwest::Client,
    url: String,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send>> + Clone {
    move || {
        let (client, url) = (client.clone(), url.clone());
        Box::pin(async move {
            let response = client.get(&url).send().await?.error_for_status()?;
            response.bytes().await?;
            Ok(())
        })
    }
}

fn grpc_call(
    client: CatalogServiceClient<tonic::transport::Channel>,
    request: ValidateProductRequest,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send>> + Clone {
    move || {
        let (mut client, request) = (client.clone(), request.clone());
        Box::pin(async move {
            client.validate_product(request).await?;
            Ok(())
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let concurrency: usize = std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let duration = Duration::from_secs(seconds);

    let service = catalog::testing::TestCatalog::start().await?;

    let product = catalog::seed::products()
        .into_iter()
        .find(|p| p.active && p.stock > 10)
        .context("a product")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let catalog_url = format!("{}/v1/products/{}", service.http_url(), product.id);
    let body = http
        .get(&catalog_url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let bare_rest = bare_axum(Arc::new(body)).await?;
    let bare_url = format!("http://{bare_rest}/v1/products/{}", product.id);

    let request = ValidateProductRequest {
        product_id: product.id.to_string(),
        quantity: 1,
    };
    let mut grpc = CatalogServiceClient::connect(service.grpc_url()).await?;
    let answer = grpc.validate_product(request.clone()).await?.into_inner();
    let bare_grpc_addr = bare_tonic(answer).await?;
    let bare_grpc =
        testkit::poll_until(
            "the bare tonic server",
            Duration::from_secs(10),
            || async move {
                Ok(CatalogServiceClient::connect(format!("http://{bare_grpc_addr}")).await?)
            },
        )
        .await?;

    load::header("Catalog load benchmark", concurrency, duration);
    let catalog_rest =
        load::measure(concurrency, duration, rest_call(http.clone(), catalog_url)).await;
    load::row("REST get-product (Catalog)", &catalog_rest);
    let axum_rest = load::measure(concurrency, duration, rest_call(http, bare_url)).await;
    load::row("REST bare axum", &axum_rest);
    let catalog_grpc = load::measure(concurrency, duration, grpc_call(grpc, request.clone())).await;
    load::row("gRPC ValidateProduct (Catalog)", &catalog_grpc);
    let tonic_grpc = load::measure(concurrency, duration, grpc_call(bare_grpc, request)).await;
    load::row("gRPC bare tonic", &tonic_grpc);

    println!(
        "\nCatalog / bare throughput: REST {:.2}, gRPC {:.2}",
        catalog_rest.throughput() / axum_rest.throughput(),
        catalog_grpc.throughput() / tonic_grpc.throughput(),
    );
    Ok(())
}
