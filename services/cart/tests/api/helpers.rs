//! A real Cart (`cart::testing`) beside a real Catalog (`catalog::testing`), each on free
//! ports, with the clients the tests drive it through.

use std::time::Duration;

use cart::testing::TestCart as Server;
use cart_api::client::HeaderHook;
use catalog::seed::SeedProduct;
use catalog::testing::TestCatalog;
use testkit::proxy::FaultProxy;
use testkit::redis::RedisServer;

pub struct Options {
    pub ttl: Duration,
    /// A Redis of the test's own, which it may stop or freeze; otherwise the shared one.
    pub own_redis: bool,
    /// Requests the Cart serves at once.
    pub max_in_flight: usize,
    /// The request deadline, when not the default.
    pub deadline: Option<Duration>,
    /// The deadline of each Redis command, when not the test configuration's.
    pub redis_timeout: Option<Duration>,
    /// The Cart reaches the Catalog through a [`FaultProxy`], which the test may make slow
    /// or freeze.
    pub catalog_proxy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(7 * 24 * 60 * 60),
            own_redis: false,
            max_in_flight: platform::overload::Limits::default().max_in_flight,
            deadline: None,
            redis_timeout: None,
            catalog_proxy: false,
        }
    }
}

pub struct TestCart {
    /// The generated client, as the storefront uses it.
    pub client: cart_api::Client,
    /// For requests the generated client cannot express.
    pub http: reqwest::Client,
    pub base_url: String,
    pub catalog: TestCatalog,
    pub redis: Option<RedisServer>,
    /// Between the Cart and the Catalog, when spawned with `catalog_proxy`.
    pub catalog_proxy: Option<FaultProxy>,
    server: Server,
}

pub async fn spawn() -> TestCart {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> TestCart {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let catalog_proxy = if options.catalog_proxy {
        let proxy = FaultProxy::start(catalog.grpc_addr()).await;
        Some(proxy.expect("a proxy before the catalog"))
    } else {
        None
    };
    let catalog_url = catalog_proxy
        .as_ref()
        .map_or_else(|| catalog.grpc_url(), FaultProxy::url);
    let mut config = cart::testing::config(catalog_url)
        .await
        .expect("a test configuration");
    config.ttl = options.ttl;
    config.limits.max_in_flight = options.max_in_flight;
    config.limits.deadline = options.deadline.unwrap_or(config.limits.deadline);
    config.redis_timeout = options.redis_timeout.unwrap_or(config.redis_timeout);
    let redis = if options.own_redis {
        let server = RedisServer::start().await.expect("a Redis of its own");
        config.redis_url = platform::config::Secret::new(server.url());
        Some(server)
    } else {
        None
    };
    let server = Server::start(config).await.expect("the cart starts");
    let base_url = server.http_url();
    TestCart {
        client: cart_api::Client::new(&base_url, HeaderHook::default()),
        http: reqwest::Client::new(),
        base_url,
        catalog,
        redis,
        catalog_proxy,
        server,
    }
}

impl TestCart {
    /// Stops the Cart service and starts a new one on the same port, Redis and key prefix.
    pub async fn restart_service(&mut self) {
        self.server.restart().await.expect("the cart restarts");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn redis(&mut self) -> &mut RedisServer {
        self.redis.as_mut().expect("spawned with own_redis")
    }

    /// The gRPC calls the Catalog has answered so far, from its `/metrics`.
    pub async fn catalog_grpc_calls(&self) -> u64 {
        let url = format!("{}/metrics", self.catalog.http_url());
        let metrics = self
            .http
            .get(url)
            .send()
            .await
            .expect("the Catalog's metrics");
        let metrics = metrics.text().await.expect("text");
        metrics
            .lines()
            .filter(|line| line.starts_with("localmart_requests_total{"))
            .filter(|line| line.contains(r#"protocol="grpc""#))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    /// The value of the counter `name` on the Cart's own `/metrics`.
    pub async fn counter(&self, name: &str) -> u64 {
        let metrics = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("the Cart's metrics")
            .text()
            .await
            .expect("text");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in the Cart's metrics"))
    }

    pub fn catalog_proxy(&self) -> &FaultProxy {
        self.catalog_proxy
            .as_ref()
            .expect("spawned with catalog_proxy")
    }

    pub async fn new_cart(&self) -> uuid::Uuid {
        self.client
            .create_cart()
            .send()
            .await
            .expect("a cart")
            .into_inner()
            .id
    }

    pub async fn cart(&self, id: uuid::Uuid) -> cart_api::types::Cart {
        self.client
            .get_cart()
            .cart_id(id)
            .send()
            .await
            .expect("the cart")
            .into_inner()
    }

    pub async fn add(
        &self,
        cart: uuid::Uuid,
        product: uuid::Uuid,
        quantity: u32,
    ) -> Result<cart_api::types::Cart, (u16, cart_api::types::Error)> {
        let body = add_line(product, quantity);
        into_result(self.client.add_line().cart_id(cart).body(body).send().await)
    }

    /// Adds `quantity` of a product with an `Idempotency-Key`.
    pub async fn add_keyed(
        &self,
        cart: uuid::Uuid,
        product: uuid::Uuid,
        quantity: u32,
        key: uuid::Uuid,
    ) -> Result<cart_api::types::Cart, (u16, cart_api::types::Error)> {
        let request = self.client.add_line().cart_id(cart).idempotency_key(key);
        into_result(request.body(add_line(product, quantity)).send().await)
    }

    /// The quantity of a product's line in the cart now (0 without a line).
    pub async fn quantity(&self, cart: uuid::Uuid, product: uuid::Uuid) -> i32 {
        let lines = self.cart(cart).await.lines;
        let line = lines.iter().find(|line| line.product_id == product);
        line.map_or(0, |line| line.quantity)
    }

    /// The status the Cart answers a GET of `path` with (`/readyz`, `/healthz`, ...).
    pub async fn status_of(&self, path: &str) -> u16 {
        let response = self.http.get(self.url(path)).send().await;
        response.expect("an answer").status().as_u16()
    }

    /// The cart as soon as the Cart answers for it, trying until `deadline` passes.
    pub async fn cart_within(
        &self,
        deadline: Duration,
        id: uuid::Uuid,
    ) -> anyhow::Result<cart_api::types::Cart> {
        testkit::poll_until("the cart to answer", deadline, || async move {
            into_result(self.client.get_cart().cart_id(id).send().await)
                .map_err(|(status, e)| anyhow::anyhow!("{status} {}", e.message))
        })
        .await
    }

    /// Adds `quantity` as soon as the Cart accepts it, trying until `deadline` passes:
    /// for tests in which the Cart has to recover first.
    pub async fn add_within(
        &self,
        deadline: Duration,
        cart: uuid::Uuid,
        product: uuid::Uuid,
        quantity: u32,
    ) -> anyhow::Result<()> {
        testkit::poll_until("the cart to accept a line", deadline, || async move {
            self.add(cart, product, quantity)
                .await
                .map(drop)
                .map_err(|(status, e)| anyhow::anyhow!("{status} {}", e.message))
        })
        .await
    }
}

pub fn add_line(product: uuid::Uuid, quantity: u32) -> cart_api::types::AddLine {
    cart_api::types::AddLine {
        product_id: product,
        quantity: std::num::NonZeroU32::new(quantity)
            .expect("a quantity above 0")
            .into(),
    }
}

/// The body of a success, or the status and error body of a failure.
pub fn into_result<T>(
    result: Result<
        cart_api::client::ResponseValue<T>,
        cart_api::client::Error<cart_api::types::Error>,
    >,
) -> Result<T, (u16, cart_api::types::Error)> {
    match result {
        Ok(response) => Ok(response.into_inner()),
        Err(cart_api::client::Error::ErrorResponse(response)) => {
            Err((response.status().as_u16(), response.into_inner()))
        }
        Err(other) => panic!("expected an answer from the cart, got {other}"),
    }
}

/// Products of the demo catalog with the properties a test needs.
pub fn product(matching: impl Fn(&SeedProduct) -> bool) -> SeedProduct {
    catalog::seed::products()
        .into_iter()
        .find(|p| matching(p))
        .expect("the demo catalog has one")
}

pub fn in_stock(at_least: i32) -> SeedProduct {
    product(|p| p.active && p.stock >= at_least)
}
