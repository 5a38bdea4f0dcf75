//! The Cart binary: serves REST until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::serve::<cart::Cart>("cart", cart::Config::from_env).await
}
