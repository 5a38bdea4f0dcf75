//! The Catalog binary: `serve` (the default), `migrate` and `seed`.

/// What the Catalog binary does besides serving.
#[derive(Debug, clap::Subcommand)]
enum Maintenance {
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo catalog into an empty database and exit; a non-empty one is left as is.
    Seed,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::serve_or::<catalog::Catalog, _, _>(
        "catalog",
        catalog::Config::from_env,
        |command, config| async move {
            match command {
                Maintenance::Migrate => catalog::migrate(&config).await,
                Maintenance::Seed => catalog::seed(&config).await,
            }
        },
    )
    .await
}
