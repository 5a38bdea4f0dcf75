//! The Catalog binary: `serve` (the default), `migrate` and `seed`.

use clap::{Parser, Subcommand};
use platform::service::Service;

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
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    platform::service::main("catalog", async {
        let config = catalog::Config::from_env()?;
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let service = catalog::Catalog::build(config).await?;
                service.run(platform::shutdown::signal()).await
            }
            Command::Migrate => catalog::migrate(&config).await,
            Command::Seed => catalog::seed(&config).await,
        }
    })
    .await
}
