//! The Cart binary: serves REST until SIGTERM.

use anyhow::Result;

#[tokio::main]
async fn main() -> Result<()> {
    let config = cart::Config::from_env()?;
    let telemetry =
        platform::telemetry::init(&platform::telemetry::TelemetryConfig::from_env("cart")?)?;
    let result = match cart::Cart::build(config).await {
        Ok(service) => service.run(platform::shutdown::signal()).await,
        Err(err) => Err(err),
    };
    if let Err(err) = &result {
        tracing::error!(error = format!("{err:#}"), "cart failed");
    }
    // Flushing blocks until the exporters are done, so it runs off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}
