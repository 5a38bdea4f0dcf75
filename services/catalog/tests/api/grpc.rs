//! The gRPC API as the Cart uses it: validation and prices, one line or a whole cart.

use catalog::seed;
use catalog_proto::v1::{
    GetProductPriceRequest, GetProductPricesRequest, ValidateProductRequest,
    ValidateProductsRequest, ValidationReason,
};
use tonic::Code;

use crate::helpers;

fn line(product_id: impl ToString, quantity: i32) -> ValidateProductRequest {
    ValidateProductRequest {
        product_id: product_id.to_string(),
        quantity,
    }
}

#[tokio::test]
async fn validates_one_line_with_its_reason_stock_and_price() {
    let mut catalog = helpers::spawn().await;
    let products = seed::products();
    let in_stock = products
        .iter()
        .find(|p| p.active && p.stock >= 10)
        .expect("one in stock");
    let inactive = products
        .iter()
        .find(|p| !p.active)
        .expect("one not for sale");

    let ok = catalog
        .grpc
        .validate_product(line(in_stock.id, 2))
        .await
        .expect("an answer")
        .into_inner();
    let ok = ok.validation.expect("a validation");
    assert!(ok.valid);
    assert_eq!(ok.reason(), ValidationReason::Ok);
    assert_eq!(ok.available_stock, in_stock.stock);
    assert_eq!(ok.name, in_stock.name);
    let price = ok.unit_price.expect("a price");
    assert_eq!(
        (price.amount_minor, price.currency.as_str()),
        (in_stock.price_minor, "USD")
    );

    let too_many = catalog
        .grpc
        .validate_product(line(in_stock.id, in_stock.stock + 1))
        .await
        .expect("an answer");
    let too_many = too_many.into_inner().validation.expect("a validation");
    assert!(!too_many.valid);
    assert_eq!(too_many.reason(), ValidationReason::InsufficientStock);

    let not_for_sale = catalog
        .grpc
        .validate_product(line(inactive.id, 1))
        .await
        .expect("an answer");
    assert_eq!(
        not_for_sale
            .into_inner()
            .validation
            .expect("a validation")
            .reason(),
        ValidationReason::Inactive
    );

    let unknown = catalog
        .grpc
        .validate_product(line(uuid::Uuid::new_v4(), 1))
        .await
        .expect("an answer");
    let unknown = unknown.into_inner().validation.expect("a validation");
    assert_eq!(unknown.reason(), ValidationReason::NotFound);
    assert!(unknown.unit_price.is_none());
}

#[tokio::test]
async fn bad_requests_are_invalid_argument_with_a_message() {
    let mut catalog = helpers::spawn_empty().await;
    let status = catalog
        .grpc
        .validate_product(line("not-a-uuid", 1))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("product_id"),
        "{}",
        status.message()
    );

    let status = catalog
        .grpc
        .validate_product(line(uuid::Uuid::new_v4(), 0))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("quantity"),
        "{}",
        status.message()
    );

    let empty = ValidateProductsRequest { lines: vec![] };
    assert_eq!(
        catalog
            .grpc
            .validate_products(empty)
            .await
            .expect_err("refused")
            .code(),
        Code::InvalidArgument
    );

    let too_many = ValidateProductsRequest {
        lines: (0..101).map(|_| line(uuid::Uuid::new_v4(), 1)).collect(),
    };
    let status = catalog
        .grpc
        .validate_products(too_many)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("100"), "{}", status.message());

    let one_bad = GetProductPricesRequest {
        product_ids: vec![uuid::Uuid::new_v4().to_string(), "nope".to_owned()],
    };
    let status = catalog
        .grpc
        .get_product_prices(one_bad)
        .await
        .expect_err("refused");
    assert!(
        status.message().contains("product_ids[1]"),
        "{}",
        status.message()
    );

    let unknown = GetProductPriceRequest {
        product_id: uuid::Uuid::new_v4().to_string(),
    };
    assert_eq!(
        catalog
            .grpc
            .get_product_price(unknown)
            .await
            .expect_err("refused")
            .code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn batch_calls_answer_a_whole_cart_in_request_order() {
    let mut catalog = helpers::spawn().await;
    let products = seed::products();
    let (a, b) = (&products[3], &products[200]);
    let unknown = uuid::Uuid::new_v4();

    let lines = vec![line(b.id, 1), line(unknown, 1), line(a.id, 1)];
    let answer = catalog
        .grpc
        .validate_products(ValidateProductsRequest { lines })
        .await
        .expect("an answer");
    let ids: Vec<_> = answer
        .into_inner()
        .validations
        .into_iter()
        .map(|v| (v.reason(), v.product_id))
        .map(|(reason, id)| (id, reason))
        .collect();
    assert_eq!(ids[0].0, b.id.to_string());
    assert_eq!(ids[1], (unknown.to_string(), ValidationReason::NotFound));
    assert_eq!(ids[2].0, a.id.to_string());

    let request = GetProductPricesRequest {
        product_ids: vec![a.id.to_string(), unknown.to_string()],
    };
    let prices = catalog
        .grpc
        .get_product_prices(request)
        .await
        .expect("an answer")
        .into_inner()
        .prices;
    assert!(prices[0].found);
    assert_eq!(
        prices[0].unit_price.as_ref().map(|m| m.amount_minor),
        Some(a.price_minor)
    );
    assert!(!prices[1].found);

    let single = GetProductPriceRequest {
        product_id: b.id.to_string(),
    };
    let price = catalog
        .grpc
        .get_product_price(single)
        .await
        .expect("an answer")
        .into_inner()
        .price
        .expect("a price");
    assert_eq!(
        price.unit_price.map(|m| m.amount_minor),
        Some(b.price_minor)
    );
}

#[tokio::test]
async fn the_standard_health_service_reports_serving() {
    let catalog = helpers::spawn_empty().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", catalog.grpc_addr))
        .expect("a uri")
        .connect()
        .await
        .expect("a channel");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "localmart.catalog.v1.CatalogService".to_owned(),
        })
        .await
        .expect("an answer")
        .into_inner();
    assert_eq!(
        answer.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
}

#[tokio::test]
async fn metric_labels_come_from_a_fixed_set_whatever_clients_send() {
    use tower::ServiceExt;

    let catalog = helpers::spawn().await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", catalog.grpc_addr))
        .expect("a URI")
        .connect()
        .await
        .expect("a gRPC connection");
    // HTTP methods that no route declares and gRPC methods that no service has: each
    // would be a new series if labels were taken from the request.
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).expect("a method");
        let response = catalog
            .http
            .request(method, catalog.url("/v1/categories"))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 405);

        let request = http::Request::post(format!(
            "http://{}/localmart.catalog.v1.CatalogService/Brew{i}",
            catalog.grpc_addr
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::empty())
        .expect("a request");
        let response = channel.clone().oneshot(request).await.expect("an answer");
        assert_eq!(response.headers()["grpc-status"], "12", "unimplemented");
    }

    let metrics = catalog.metrics().await;
    assert!(
        !metrics.contains("BREW") && !metrics.contains("Brew"),
        "{metrics}"
    );
    let series = |protocol: &str, route: &str, method: &str| {
        metrics.lines().any(|line| {
            line.starts_with("localmart_requests_total{")
                && line.contains(&format!(r#"protocol="{protocol}""#))
                && line.contains(&format!(r#"route="{route}""#))
                && line.contains(&format!(r#"method="{method}""#))
                && line.ends_with(" 20")
        })
    };
    assert!(series("http", "/v1/categories", "_OTHER"), "{metrics}");
    assert!(series("grpc", "other", "POST"), "{metrics}");
}
