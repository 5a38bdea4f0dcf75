//! Throughput and latency of the Catalog's two hot paths, each beside a bare server that
//! answers the same bytes with no work, measured in one run with the same tool and
//! concurrency: `wrk` for REST, `ghz` for gRPC over one connection and over eight. The
//! ratio is what the Catalog's work (routing, middleware, lookups, serialisation) costs
//! over the framework alone. Each at 1, 8 and 32 callers.
//!
//! `cargo bench -p catalog --bench load` (or `make bench`). `BENCH_SECONDS` (default 5)
//! tunes the run; `BENCH_CONCURRENCY` measures that many callers only.

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
use testkit::load::{self, Stats};
use testkit::tools::{self, GrpcCall, H2Call};
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

#[tokio::main]
async fn main() -> Result<()> {
    let (duration, concurrency) = load::settings();
    let service = catalog::testing::TestCatalog::start().await?;

    let product = catalog::seed::products()
        .into_iter()
        .find(|p| p.active && p.stock > 10)
        .context("a product")?;
    let catalog_url = format!("{}/v1/products/{}", service.http_url(), product.id);
    let body = reqwest::get(&catalog_url)
        .await?
        .error_for_status()?
        .text()
        .await?;
    let body_bytes = body.len();
    let bare_rest = bare_axum(Arc::new(body)).await?;
    let bare_url = format!("http://{bare_rest}/v1/products/{}", product.id);

    let request = ValidateProductRequest {
        product_id: product.id.to_string(),
        quantity: 1,
    };
    let mut grpc = CatalogServiceClient::connect(service.grpc_url()).await?;
    let answer = grpc.validate_product(request.clone()).await?.into_inner();
    let bare_grpc = bare_tonic(answer.clone()).await?;
    testkit::poll_until(
        "the bare tonic server",
        Duration::from_secs(10),
        || async move { Ok(CatalogServiceClient::connect(format!("http://{bare_grpc}")).await?) },
    )
    .await?;
    let specs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../specs/proto");
    let validate = GrpcCall {
        method: "localmart.catalog.v1.CatalogService/ValidateProduct".to_owned(),
        request: format!(r#"{{"product_id": "{}", "quantity": 1}}"#, product.id),
        proto: specs.join("localmart/catalog/v1/catalog.proto"),
        import_path: specs,
    };

    // 1, 8 and 32 callers, unless BENCH_CONCURRENCY names one.
    let callers = if std::env::var_os("BENCH_CONCURRENCY").is_some() {
        vec![concurrency]
    } else {
        vec![1, 8, 32]
    };
    let most_callers = callers.iter().copied().max().unwrap_or(concurrency);
    let mut summary = Vec::new();
    for callers in callers {
        load::header("Catalog load benchmark (wrk, ghz)", callers, duration);
        let catalog_rest = tools::wrk(&catalog_url, callers, duration)?;
        load::row("REST get-product (Catalog), wrk", &catalog_rest);
        let axum_rest = tools::wrk(&bare_url, callers, duration)?;
        load::row("REST bare axum, wrk", &axum_rest);
        let mut ratios_here = vec![("REST".to_owned(), ratios(&catalog_rest, &axum_rest))];
        // ghz spreads its callers over the connections, so never more connections than callers.
        for connections in [1, 8].into_iter().filter(|c| *c <= callers) {
            let ghz = |addr| tools::ghz(addr, &validate, callers, connections, duration);
            let catalog_grpc = ghz(service.grpc_addr())?;
            load::row(
                &format!("gRPC ValidateProduct, ghz, {connections} conn"),
                &catalog_grpc,
            );
            let tonic_grpc = ghz(bare_grpc)?;
            load::row(
                &format!("gRPC bare tonic, ghz, {connections} conn"),
                &tonic_grpc,
            );
            let name = format!("gRPC over {connections} connection(s)");
            ratios_here.push((name, ratios(&catalog_grpc, &tonic_grpc)));
        }
        summary.push((callers, ratios_here));
    }

    // The seed's comparison with one client for both protocols: h2load sends REST over
    // HTTP/1.1 and gRPC over HTTP/2 (a gRPC message is a 5-byte prefix, then protobuf).
    let callers = most_callers;
    load::header("REST against gRPC, one client (h2load)", callers, duration);
    let message = prost::Message::encode_to_vec(&request);
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(message.len())?.to_be_bytes());
    framed.extend_from_slice(&message);
    let rest_call = |url: &str| H2Call {
        url: url.to_owned(),
        body: None,
        headers: vec![],
        http1: true,
        answer_bytes: Some(body_bytes as u64),
    };
    let grpc_call = |addr: SocketAddr| H2Call {
        url: format!("http://{addr}/localmart.catalog.v1.CatalogService/ValidateProduct"),
        body: Some(framed.clone()),
        headers: vec![
            "content-type: application/grpc".to_owned(),
            "te: trailers".to_owned(),
        ],
        http1: false,
        // A good answer is the 5-byte prefix and the message; an error has no message.
        answer_bytes: Some(5 + prost::Message::encoded_len(&answer) as u64),
    };
    let rest = tools::h2load(&rest_call(&catalog_url), callers, 1, duration)?;
    load::row(
        &format!("REST get-product, HTTP/1.1, {callers} conn"),
        &rest,
    );
    let bare = tools::h2load(&rest_call(&bare_url), callers, 1, duration)?;
    load::row(&format!("REST bare axum, HTTP/1.1, {callers} conn"), &bare);
    let mut comparison = Vec::new();
    for connections in [1, 8].into_iter().filter(|c| callers % c == 0) {
        let streams = callers / connections;
        let grpc = tools::h2load(
            &grpc_call(service.grpc_addr()),
            connections,
            streams,
            duration,
        )?;
        load::row(
            &format!("gRPC ValidateProduct, {connections} conn x {streams}"),
            &grpc,
        );
        let tonic = tools::h2load(&grpc_call(bare_grpc), connections, streams, duration)?;
        load::row(
            &format!("gRPC bare tonic, {connections} conn x {streams}"),
            &tonic,
        );
        comparison.push((connections, ratios(&grpc, &rest)));
    }

    // What each protocol carries for one lookup of the product (framing and headers not
    // counted): the REST answer's JSON body and the gRPC answer's protobuf message.
    println!(
        "\nPayload of one answer: REST get-product {} bytes of JSON, gRPC ValidateProduct {} bytes of protobuf",
        body_bytes,
        prost::Message::encoded_len(&answer)
    );
    println!("\nCatalog / bare (throughput, p99):");
    for (callers, ratios) in summary {
        let line: Vec<String> = ratios
            .iter()
            .map(|(name, (throughput, p99))| format!("{name} {throughput:.2}, {p99:.2}"))
            .collect();
        println!("  {callers} caller(s): {}", line.join("; "));
    }
    println!("\ngRPC / REST with h2load (throughput, p99):");
    for (connections, (throughput, p99)) in comparison {
        println!("  gRPC over {connections} connection(s): {throughput:.2}, {p99:.2}");
    }
    Ok(())
}

/// Throughput and p99 of `measured` over those of `reference`.
fn ratios(measured: &Stats, reference: &Stats) -> (f64, f64) {
    (
        measured.throughput() / reference.throughput(),
        measured.p99.as_secs_f64() / reference.p99.as_secs_f64(),
    )
}
