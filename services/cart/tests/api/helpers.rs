//! Spawns a real Cart beside a real Catalog, each on free ports.

use std::future::Future;
use std::time::Duration;

use cart_api::client::HeaderHook;
use catalog::seed::SeedProduct;
use catalog::testing::TestCatalog;
use testkit::redis::RedisServer;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A service running in this process, stopped by its signal.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn spawn<F>(run: impl FnOnce(oneshot::Receiver<()>) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel();
        Self {
            stop,
            task: tokio::spawn(run(stopped)),
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("the service task")
            .expect("a clean stop");
    }
}

pub struct Options {
    pub ttl: Duration,
    /// A Redis of the test's own, which it may stop; otherwise the shared one.
    pub own_redis: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(7 * 24 * 60 * 60),
            own_redis: false,
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
    config: cart::Config,
    running: Option<Running>,
}

pub async fn spawn() -> TestCart {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> TestCart {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let (redis, redis_url) = if options.own_redis {
        let server = RedisServer::start().await.expect("a Redis of its own");
        let url = server.url();
        (Some(server), url)
    } else {
        (
            None,
            testkit::redis::shared_url()
                .await
                .expect("the shared Redis"),
        )
    };
    let config = cart::Config {
        redis_url,
        key_prefix: testkit::redis::unique_prefix(),
        http_addr: "127.0.0.1:0".parse().expect("an address"),
        catalog_url: catalog.grpc_url(),
        ttl: options.ttl,
        currency: "USD".to_owned(),
        catalog_timeout: Duration::from_millis(500),
        catalog_retries: 1,
        breaker_failures: 3,
        breaker_open_for: Duration::from_secs(1),
        redis_timeout: Duration::from_millis(300),
    };
    let mut cart = TestCart {
        client: cart_api::Client::new("http://unused", HeaderHook::default()),
        http: reqwest::Client::new(),
        base_url: String::new(),
        catalog,
        redis,
        config,
        running: None,
    };
    cart.start_service().await;
    cart
}

impl TestCart {
    async fn start_service(&mut self) {
        let mut config = self.config.clone();
        if !self.base_url.is_empty() {
            config.http_addr = self
                .base_url
                .trim_start_matches("http://")
                .parse()
                .expect("an address");
        }
        let service = cart::Cart::build(config).await.expect("the cart builds");
        self.base_url = format!("http://{}", service.http_addr());
        self.client = cart_api::Client::new(&self.base_url, HeaderHook::default());
        self.running = Some(Running::spawn(|stopped| {
            service.run(async {
                let _ = stopped.await;
            })
        }));
    }

    /// Stops the Cart service and starts a new one on the same Redis and key prefix.
    pub async fn restart_service(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        self.start_service().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn redis(&mut self) -> &mut RedisServer {
        self.redis.as_mut().expect("spawned with own_redis")
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
        let body = cart_api::types::AddLine {
            product_id: product,
            quantity: std::num::NonZeroU32::new(quantity)
                .expect("a quantity above 0")
                .into(),
        };
        into_result(self.client.add_line().cart_id(cart).body(body).send().await)
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
