//! What every service is and what every service binary does, written once.
//!
//! A [`Service`] is built from its configuration (connecting to what it needs and binding
//! its listeners) and then runs until a shutdown signal. [`serve`] is what a binary's
//! `main` does with one: start telemetry from the environment, build, run until SIGTERM,
//! log a failure with its whole cause chain, and flush the telemetry exporters before the
//! process ends. [`main`] does the same around any other work (a migration, a seed).
//! `platform::testing` (feature `testing`) runs a service inside a test the same way.

use std::future::Future;
use std::net::SocketAddr;

use crate::telemetry::{self, TelemetryConfig};

/// A LocalMart service.
pub trait Service: Sized + Send + 'static {
    /// Its typed settings, read from the environment by the binary and written out by
    /// each service's `testing` module for tests.
    type Config: Clone + Send + Sync + 'static;

    /// Connects to what the service needs and binds its listeners; port 0 picks free ones.
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Where its REST API listens.
    fn http_addr(&self) -> SocketAddr;

    /// Its configuration with the addresses it bound, so a restart binds the same ones.
    fn bound(&self) -> Self::Config;

    /// Serves until `shutdown` completes, then drains in-flight requests.
    fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A service binary's whole `main`: the service `name`, configured by `config`, served
/// until SIGTERM.
pub async fn serve<S: Service>(
    name: &'static str,
    config: impl FnOnce() -> anyhow::Result<S::Config>,
) -> anyhow::Result<()> {
    main(name, async {
        let service = S::build(config()?).await?;
        service.run(crate::shutdown::signal()).await
    })
    .await
}

/// Runs `work` as the process of service `name`. `work` is awaited after telemetry is up,
/// so reading the configuration inside it logs a bad setting like any other failure.
pub async fn main(
    name: &'static str,
    work: impl Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let telemetry = telemetry::init(&TelemetryConfig::from_env(name)?)?;
    let result = work.await;
    if let Err(err) = &result {
        tracing::error!(service = name, error = format!("{err:#}"), "service failed");
    }
    // Flushing blocks until the exporters are done, so it runs off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}
