//! The Catalog binary: `serve` (the default), `migrate` and `seed`.

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "catalog", about = "The LocalMart Catalog service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve REST and gRPC until SIGTERM (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo catalog into an empty database and exit; a non-empty one is left as is.
    Seed,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let config = catalog::Config::from_env()?;
    let telemetry =
        platform::telemetry::init(&platform::telemetry::TelemetryConfig::from_env("catalog")?)?;
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let service = catalog::Catalog::build(config).await?;
            service.run(platform::shutdown::signal()).await
        }
        Command::Migrate => catalog::migrate(&config).await,
        Command::Seed => catalog::seed(&config).await,
    };
    if let Err(err) = &result {
        tracing::error!(error = format!("{err:#}"), "catalog failed");
    }
    // Flushing blocks until the exporters are done, so it runs off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}
