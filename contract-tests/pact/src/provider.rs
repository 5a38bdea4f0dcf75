//! The provider side: replay every committed pact that names a provider against the
//! running provider, with its provider states set up in Rust.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use async_trait::async_trait;
use pact_models::provider_states::ProviderState;
use pact_verifier::callback_executors::{NullRequestFilterExecutor, ProviderStateExecutor};
use pact_verifier::{
    FilterInfo, PactSource, ProviderInfo, ProviderTransport, VerificationOptions,
    verify_provider_async,
};
use serde_json::Value;

use crate::pacts_dir;

/// How a provider sets up the states its consumers' interactions name.
#[async_trait]
pub trait States: Debug + Send + Sync + 'static {
    /// Makes `state` true, given its parameters; returns the values it made up (a new
    /// cart's id, say) for the interaction's provider-state expressions.
    async fn set_up(
        &self,
        state: &str,
        params: &HashMap<String, Value>,
    ) -> Result<HashMap<String, Value>>;
}

/// The verifier's view of [`States`]: set-up only, no teardown (every provider test
/// starts on fresh datastores).
#[derive(Debug)]
struct Executor<S>(S);

#[async_trait]
impl<S: States> ProviderStateExecutor for Executor<S> {
    async fn call(
        self: Arc<Self>,
        _interaction_id: Option<String>,
        state: &ProviderState,
        setup: bool,
        _client: Option<&reqwest::Client>,
    ) -> Result<HashMap<String, Value>> {
        // Interactions without a state get a call with an empty name.
        if !setup || state.name.is_empty() {
            return Ok(HashMap::new());
        }
        self.0
            .set_up(&state.name, &state.params)
            .await
            .with_context(|| format!("setting up the provider state \"{}\"", state.name))
    }

    fn teardown(&self) -> bool {
        false
    }
}

/// The pacts in `dir` whose provider is `provider`, with how many interactions each has.
fn pacts_for(dir: &Path, provider: &str) -> Result<Vec<(String, usize)>> {
    let suffix = format!("-{provider}.json");
    let mut pacts = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.ends_with(&suffix) {
            continue;
        }
        let pact: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("reading {name}"))?;
        let interactions = pact["interactions"].as_array().map_or(0, Vec::len);
        pacts.push((path.display().to_string(), interactions));
    }
    pacts.sort();
    Ok(pacts)
}

/// Replays every committed pact naming `provider` against it at `base_url`, and fails
/// with the verifier's report when any interaction is not honoured.
pub async fn verify<S: States>(provider: &str, base_url: &str, states: S) -> Result<()> {
    verify_pacts_in(&pacts_dir(), provider, base_url, states).await
}

/// [`verify`] with the pacts in `dir` rather than the committed ones.
pub async fn verify_pacts_in<S: States>(
    dir: &Path,
    provider: &str,
    base_url: &str,
    states: S,
) -> Result<()> {
    crate::install_crypto_provider();
    let pacts = pacts_for(dir, provider)?;
    ensure!(
        !pacts.is_empty(),
        "no pact in {} names the {provider} as its provider",
        dir.display()
    );
    let expected: usize = pacts.iter().map(|(_, interactions)| interactions).sum();

    let url = reqwest::Url::parse(base_url)?;
    let info = ProviderInfo {
        name: provider.to_owned(),
        host: url.host_str().unwrap_or("127.0.0.1").to_owned(),
        transports: vec![ProviderTransport {
            transport: "http".to_owned(),
            port: url.port(),
            path: None,
            scheme: Some("http".to_owned()),
        }],
        ..ProviderInfo::default()
    };
    let options = VerificationOptions::<NullRequestFilterExecutor> {
        coloured_output: false,
        request_timeout: 10_000,
        ..VerificationOptions::default()
    };
    let sources = pacts
        .iter()
        .map(|(path, _)| PactSource::File(path.clone()))
        .collect();
    let result = verify_provider_async(
        info,
        sources,
        FilterInfo::None,
        Vec::new(),
        &options,
        None,
        &Arc::new(Executor(states)),
        None,
    )
    .await?;

    let failed = result
        .interaction_results
        .iter()
        .filter(|interaction| interaction.result.is_err())
        .count();
    let mut consumers: Vec<&str> = result
        .interaction_results
        .iter()
        .map(|interaction| interaction.consumer.as_str())
        .collect();
    consumers.sort_unstable();
    consumers.dedup();
    println!(
        "pact {provider}: {} verified, {failed} failed (consumers: {})",
        result.interaction_results.len() - failed,
        consumers.join(", ")
    );
    // The verifier passes a pact it could not read or that has no interactions; a
    // verification counts only when every committed interaction was replayed.
    ensure!(
        result.interaction_results.len() == expected,
        "the verifier replayed {} of the {expected} interactions committed for the {provider}",
        result.interaction_results.len()
    );
    if !result.result {
        bail!(
            "the {provider} does not honour its consumers' pacts:\n{}",
            result.output.join("\n")
        );
    }
    Ok(())
}
