//! The Cart-Catalog gRPC contract ([`contract_tests::catalog_grpc`]) on both sides: the
//! real Cart against a stand-in Catalog that answers exactly what the contract promises,
//! and the real Catalog, in each provider state, answering what the Cart relies on.

use std::collections::HashMap;
use std::num::NonZeroU32;

use catalog::testing::TestCatalog;
use catalog_proto::v1::catalog_service_client::CatalogServiceClient;
use catalog_proto::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use catalog_proto::v1::{
    GetProductPriceRequest, GetProductPriceResponse, GetProductPricesRequest,
    GetProductPricesResponse, ValidateProductRequest, ValidateProductResponse,
    ValidateProductsRequest, ValidateProductsResponse,
};
use contract_tests::catalog_grpc::{INTERACTIONS, Interaction, PRICE_MINOR, State, price_answer};
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// The consumer side's product ids, one per provider state.
fn consumer_id(state: State) -> Uuid {
    Uuid::from_u128(state as u128 + 1)
}

/// A Catalog that answers exactly what the contract promises.
#[derive(Clone)]
struct StandIn {
    by_id: HashMap<String, Interaction>,
}

#[tonic::async_trait]
impl CatalogService for StandIn {
    /// The Cart validates every line of a cart at once, the changed one at its new
    /// quantity; each line is answered as its interaction promises.
    async fn validate_products(
        &self,
        request: Request<ValidateProductsRequest>,
    ) -> Result<Response<ValidateProductsResponse>, Status> {
        let validations = request
            .into_inner()
            .lines
            .into_iter()
            .map(|line| {
                let interaction = self
                    .by_id
                    .get(&line.product_id)
                    .ok_or_else(|| Status::internal("not in the contract"))?;
                let product_id = Uuid::parse_str(&line.product_id)
                    .map_err(|_| Status::invalid_argument("id"))?;
                Ok(interaction.answer(product_id))
            })
            .collect::<Result<_, Status>>()?;
        Ok(Response::new(ValidateProductsResponse { validations }))
    }

    async fn get_product_prices(
        &self,
        request: Request<GetProductPricesRequest>,
    ) -> Result<Response<GetProductPricesResponse>, Status> {
        let prices = request
            .into_inner()
            .product_ids
            .iter()
            .map(|id| {
                let state = self
                    .by_id
                    .get(id)
                    .map_or(State::Unknown, |interaction| interaction.state);
                price_answer(Uuid::parse_str(id).unwrap_or_default(), state)
            })
            .collect();
        Ok(Response::new(GetProductPricesResponse { prices }))
    }

    async fn validate_product(
        &self,
        _: Request<ValidateProductRequest>,
    ) -> Result<Response<ValidateProductResponse>, Status> {
        Err(Status::unimplemented("the Cart does not use this call"))
    }

    async fn get_product_price(
        &self,
        _: Request<GetProductPriceRequest>,
    ) -> Result<Response<GetProductPriceResponse>, Status> {
        Err(Status::unimplemented("the Cart does not use this call"))
    }
}

#[tokio::test]
async fn consumer_the_cart_works_with_the_answers_the_contract_promises() {
    let by_id = INTERACTIONS
        .iter()
        .map(|i| (consumer_id(i.state).to_string(), *i))
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let catalog_url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(CatalogServiceServer::new(StandIn { by_id }))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let mut config = cart::testing::config(catalog_url)
        .await
        .expect("a test configuration");
    // Each interaction is one answer of the stand-in: no retry may ask it twice.
    config.catalog_retries = 0;
    let service = cart::testing::TestCart::start(config)
        .await
        .expect("the cart starts");
    let client =
        cart_api::Client::new(&service.http_url(), cart_api::client::HeaderHook::default());

    let cart = client
        .create_cart()
        .send()
        .await
        .expect("a cart")
        .into_inner()
        .id;
    let add = |state: State, quantity: u32| {
        let body = cart_api::types::AddLine {
            product_id: consumer_id(state),
            quantity: NonZeroU32::new(quantity).expect("a quantity").into(),
        };
        client.add_line().cart_id(cart).body(body).send()
    };
    let refusal = |result: Result<_, cart_api::client::Error<cart_api::types::Error>>| match result
    {
        Err(cart_api::client::Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            let error = response.into_inner();
            (status, error.code, error.message)
        }
        Ok(_) => panic!("expected a refusal"),
        Err(other) => panic!("expected a refusal, got {other}"),
    };

    let added = add(State::InStock, 2).await.expect("sellable").into_inner();
    assert_eq!(added.lines[0].unit_price.amount_minor, PRICE_MINOR);
    assert_eq!(added.subtotal.amount_minor, 2 * PRICE_MINOR);
    assert_eq!(added.lines[0].name, "Product in state InStock");

    let (status, code, _) = refusal(add(State::NotForSale, 1).await);
    assert_eq!((status, code.as_str()), (422, "not_for_sale"));
    let (status, code, message) = refusal(add(State::ThreeInStock, 4).await);
    assert_eq!((status, code.as_str()), (422, "insufficient_stock"));
    assert!(message.contains("only 3"), "{message}");
    let (status, code, _) = refusal(add(State::Unknown, 1).await);
    assert_eq!((status, code.as_str()), (422, "unknown_product"));
}

/// The provider side's product for each state, from the demo catalog.
fn provider_id(state: State) -> Uuid {
    let products = catalog::seed::products();
    let found = match state {
        State::InStock => products.iter().find(|p| p.active && p.stock >= 10),
        State::NotForSale => products.iter().find(|p| !p.active),
        State::ThreeInStock => products.iter().find(|p| p.active && p.stock == 3),
        State::Unknown => return Uuid::new_v4(),
    };
    found.expect("the demo catalog holds this state").id
}

#[tokio::test]
async fn provider_the_catalog_answers_what_the_cart_relies_on() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let mut client = CatalogServiceClient::connect(catalog.grpc_url())
        .await
        .expect("a connection");
    // Every interaction as one line of a single call, as the Cart validates a cart.
    let ids: Vec<Uuid> = INTERACTIONS
        .iter()
        .map(|interaction| provider_id(interaction.state))
        .collect();
    let request = ValidateProductsRequest {
        lines: INTERACTIONS
            .iter()
            .zip(&ids)
            .map(|(interaction, id)| ValidateProductRequest {
                product_id: id.to_string(),
                quantity: interaction.quantity,
            })
            .collect(),
    };
    let validations = client
        .validate_products(request)
        .await
        .expect("an answer")
        .into_inner()
        .validations;
    assert_eq!(validations.len(), INTERACTIONS.len(), "one answer per line");
    for (interaction, id) in INTERACTIONS.iter().zip(&ids) {
        let validation = validations
            .iter()
            .find(|validation| validation.product_id == id.to_string())
            .unwrap_or_else(|| panic!("no answer for {}", interaction.description));
        assert_eq!(
            interaction.check(*id, validation),
            Ok(()),
            "{}",
            interaction.description
        );
    }

    let (known, unknown) = (provider_id(State::InStock), provider_id(State::Unknown));
    let request = GetProductPricesRequest {
        product_ids: vec![known.to_string(), unknown.to_string()],
    };
    let prices = client
        .get_product_prices(request)
        .await
        .expect("an answer")
        .into_inner()
        .prices;
    let expected = [
        price_answer(known, State::InStock),
        price_answer(unknown, State::Unknown),
    ];
    for (actual, promised) in prices.iter().zip(&expected) {
        assert_eq!(
            (&actual.product_id, actual.found),
            (&promised.product_id, promised.found)
        );
        assert_eq!(actual.unit_price.is_some(), promised.unit_price.is_some());
    }
}
