//! The Reviews binary: serves REST until SIGTERM.

use anyhow::Result;

#[tokio::main]
async fn main() -> Result<()> {
    let config = reviews::Config::from_env()?;
    let telemetry =
        platform::telemetry::init(&platform::telemetry::TelemetryConfig::from_env("reviews")?)?;
    let result = match reviews::Reviews::build(config).await {
        Ok(service) => service.run(platform::shutdown::signal()).await,
        Err(err) => Err(err),
    };
    if let Err(err) = &result {
        tracing::error!(error = format!("{err:#}"), "reviews failed");
    }
    // Flushing blocks until the exporters are done, so it runs off the async workers.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result
}
