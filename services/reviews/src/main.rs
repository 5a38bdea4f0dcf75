//! The Reviews binary: serves REST until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::serve::<reviews::Reviews>("reviews", reviews::Config::from_env).await
}
