//! The Reviews binary: `serve` (the default), `seed` and `copy-store`.

/// What the Reviews binary does besides serving.
#[derive(Debug, clap::Subcommand)]
enum Maintenance {
    /// Write the demo reviews of every product the Catalog lists into an empty store, and
    /// exit; a store that holds reviews is left as is.
    Seed,
    /// Copy every review, vote and summary from the store at `--from` (the same database
    /// on another MongoDB-wire server) into the one `MONGODB_URI` names, and exit. Safe to
    /// run again: a document already copied is replaced.
    CopyStore {
        /// The MongoDB URI of the store to copy from.
        #[arg(long)]
        from: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::serve_or::<reviews::Reviews, _, _>(
        "reviews",
        reviews::Config::from_env,
        |command, config| async move {
            let store = reviews::store::Store::connect(
                config.mongodb_uri.expose(),
                &config.database,
                config.mongodb_timeout,
            )
            .await?;
            match command {
                Maintenance::Seed => {
                    let seeded = reviews::demo::seed(&store, &config.catalog_url).await?;
                    tracing::info!(?seeded, "seed done");
                }
                Maintenance::CopyStore { from } => {
                    let copied = store.copy_from(&from).await?;
                    tracing::info!(copied, "store copied");
                }
            }
            Ok(())
        },
    )
    .await
}
