//! The storefront tested end to end. [`Shop`] starts the whole system on private ports:
//! PostgreSQL, Redis and FerretDB (from `testkit`), the real Catalog (seeded), Cart and
//! Reviews, the edge (`deploy/native/edge.sh`, nginx serving the built bundle) and
//! chromedriver with headless Chromium; [`webdriver::Browser`] drives the browser.
//!
//! The bundle is built by `cargo xtask storefront` (`make test` does it first); the tests
//! use `$STOREFRONT_BUNDLE`, else `storefront/` in the cargo target directory.

pub mod webdriver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use cart::testing::TestCart;
use catalog::testing::TestCatalog;
use reviews::testing::TestReviews;
use serde_json::json;
use testkit::process::Watched;

use crate::webdriver::Browser;

/// The whole shop, started for one test.
#[derive(Debug)]
pub struct Shop {
    /// Where the edge serves the storefront.
    pub url: String,
    pub catalog: TestCatalog,
    reviews: TestReviews,
    cart: TestCart,
    edge: Watched,
    driver: Watched,
    driver_url: String,
    dir: tempfile::TempDir,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from)
}

/// The built storefront the edge serves.
fn bundle() -> Result<PathBuf> {
    let bundle = std::env::var_os("STOREFRONT_BUNDLE")
        .map_or_else(|| target_dir().join("storefront"), PathBuf::from);
    ensure!(
        bundle.join("index.html").exists(),
        "no storefront bundle in {}; build it with `cargo xtask storefront` (`make test` does)",
        bundle.display()
    );
    Ok(bundle)
}

/// Where screenshots go: `$E2E_ARTIFACTS`, else `e2e-artifacts/` in the target directory.
pub fn artifacts() -> Result<PathBuf> {
    let dir = std::env::var_os("E2E_ARTIFACTS")
        .map_or_else(|| target_dir().join("e2e-artifacts"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn answers(url: &str) -> Result<()> {
    let response = reqwest::get(url).await?;
    ensure!(
        response.status().is_success(),
        "{url} answered {}",
        response.status()
    );
    Ok(())
}

impl Shop {
    pub async fn start() -> Result<Self> {
        let bundle = bundle()?;
        let dir = tempfile::tempdir()?;

        let catalog = TestCatalog::start().await?;
        let cart = cart::testing::start(catalog.grpc_url()).await?;
        let cart_addr = cart.config().http_addr;
        let reviews = reviews::testing::start(catalog.http_url()).await?;
        let reviews_addr = reviews.config().http_addr;

        let edge_addr = format!("127.0.0.1:{}", testkit::free_port()?);
        let catalog_addr = catalog.http_url().trim_start_matches("http://").to_owned();
        let edge = Watched::spawn(
            &workspace_root().join("deploy/native/edge.sh"),
            &[],
            &[
                ("LOCALMART_STATE", dir.path().display().to_string()),
                (
                    "EDGE_RUNTIME_DIR",
                    dir.path().join("edge").display().to_string(),
                ),
                ("STOREFRONT_BUNDLE", bundle.display().to_string()),
                ("STOREFRONT_ADDR", edge_addr.clone()),
                ("CATALOG_HTTP_ADDR", catalog_addr),
                ("CART_HTTP_ADDR", cart_addr.to_string()),
                ("REVIEWS_HTTP_ADDR", reviews_addr.to_string()),
                // No collector here: the storefront's telemetry is taken and dropped.
                ("OTEL_EXPORTER_OTLP_ENDPOINT", String::new()),
            ],
            &dir.path().join("edge.log"),
        )?;
        let url = format!("http://{edge_addr}");
        let categories = format!("{url}/api/catalog/v1/categories");
        testkit::poll_until(
            "the edge to route to the Catalog",
            Duration::from_secs(30),
            || answers(&categories),
        )
        .await?;

        let driver_port = testkit::free_port()?;
        let driver = Watched::spawn(
            &testkit::tool("chromedriver")?,
            &[&format!("--port={driver_port}")],
            &[],
            &dir.path().join("chromedriver.log"),
        )?;
        let driver_url = format!("http://127.0.0.1:{driver_port}");
        let status = format!("{driver_url}/status");
        testkit::poll_until("chromedriver to be ready", Duration::from_secs(30), || {
            answers(&status)
        })
        .await?;

        Ok(Self {
            url,
            catalog,
            reviews,
            cart,
            edge,
            driver,
            driver_url,
            dir,
        })
    }

    /// A fresh headless Chromium (its own profile, so its own cart) at desktop size.
    pub async fn browser(&self) -> Result<Browser> {
        let profile = tempfile::tempdir_in(self.dir.path())?.keep();
        let capabilities = json!({
            "browserName": "chrome",
            // The browser's log, for `Browser::security_reports`.
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": testkit::tool("chromium")?,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        Browser::start(&self.driver_url, capabilities)
            .await
            .context("starting Chromium through chromedriver (`make deps` installs both)")
    }

    /// The address of a page of the shop.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The first product the Catalog lists, as JSON, asked through the edge.
    pub async fn first_product(&self) -> Result<serde_json::Value> {
        let page: serde_json::Value =
            reqwest::get(self.page("/api/catalog/v1/products?page_size=1"))
                .await?
                .json()
                .await?;
        Ok(page["items"][0].clone())
    }

    /// Stops the Reviews service, as an outage would.
    pub async fn stop_reviews(&mut self) -> Result<()> {
        self.reviews.stop().await
    }

    /// The edge's log so far (its access log goes to stderr): one line a request, with
    /// its `traceparent`.
    pub fn edge_log(&self) -> Result<String> {
        let path = self.dir.path().join("edge.log");
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// Stops the Cart service, as an outage would.
    pub async fn stop_cart(&mut self) -> Result<()> {
        self.cart.stop().await
    }

    /// Stops everything, the browser driver and edge first.
    pub async fn stop(mut self) -> Result<()> {
        self.driver.stop()?;
        self.edge.stop()?;
        self.reviews.stop().await?;
        self.cart.stop().await?;
        self.catalog.stop().await
    }
}
