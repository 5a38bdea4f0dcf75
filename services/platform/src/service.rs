//! What every service is and what every service binary does, written once.
//!
//! A [`Service`] is built from its configuration (connecting to what it needs and binding
//! its listeners) and then runs until a shutdown signal. [`serve`] is what a binary's
//! `main` does with one: start telemetry from the environment, build, run until SIGTERM,
//! log a failure with its whole cause chain, and flush the telemetry exporters before the
//! process ends. [`serve_or`] does the same for a binary that also has maintenance
//! subcommands, and [`main`] the same around any other work (a migration, a seed).
//! `platform::testing` (feature `testing`) runs a service inside a test the same way.

use std::future::Future;
use std::net::SocketAddr;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::telemetry::{self, TelemetryConfig};

/// A LocalMart service.
pub trait Service: Sized + Send + 'static {
    /// Its typed settings, read from the environment by the binary and written out by
    /// each service's `testing` module for tests.
    type Config: ServiceConfig;

    /// Connects to what the service needs, puts its app together and binds its
    /// listeners (port 0 picks free ones): everything that can fail before it serves.
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// Its configuration with the addresses it bound, so a restart binds the same ones.
    fn config(&self) -> &Self::Config;

    /// Serves until `shutdown` completes, then drains in-flight requests.
    fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What the lifecycle reads of a service's configuration.
pub trait ServiceConfig: Clone + Send + Sync + 'static {
    /// Where its REST API listens: after `build`, the address it bound.
    fn http_addr(&self) -> SocketAddr;
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

/// A service binary's whole `main` when it also has maintenance subcommands (`C`, say
/// `migrate` and `seed`): with no subcommand, or `serve`, the service is served until
/// SIGTERM as [`serve`] does; with another, `maintain` does it with the configuration.
pub async fn serve_or<S, C, F>(
    name: &'static str,
    config: impl FnOnce() -> anyhow::Result<S::Config>,
    maintain: impl FnOnce(C, S::Config) -> F,
) -> anyhow::Result<()>
where
    S: Service,
    C: clap::Subcommand,
    F: Future<Output = anyhow::Result<()>>,
{
    let matches = Cli::<C>::command().name(name).get_matches();
    let cli = Cli::<C>::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    main(name, async {
        let config = config()?;
        match cli.command {
            None | Some(Command::Serve) => {
                let service = S::build(config).await?;
                service.run(crate::shutdown::signal()).await
            }
            Some(Command::Maintain(command)) => maintain(command, config).await,
        }
    })
    .await
}

/// A LocalMart service: serves until SIGTERM, or runs one of its maintenance commands.
#[derive(Debug, clap::Parser)]
struct Cli<C: clap::Subcommand> {
    #[command(subcommand)]
    command: Option<Command<C>>,
}

#[derive(Debug, clap::Subcommand)]
enum Command<C: clap::Subcommand> {
    /// Serve until SIGTERM (the default).
    Serve,
    #[command(flatten)]
    Maintain(C),
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
