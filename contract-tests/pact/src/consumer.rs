//! The consumer side: record a pact against the mock server, then hold it to the
//! committed one.

use std::path::Path;

use anyhow::{Context, Result, bail};
use pact_consumer::mock_server::ValidatingMockServer;
use pact_consumer::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::{pact_file_name, pacts_dir};

/// Set to `1` to write the recorded pacts over the committed ones.
pub const UPDATE_ENV: &str = "UPDATE_PACTS";

/// A uuid, in any case.
pub const UUID: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// An RFC 3339 timestamp.
pub const TIMESTAMP: &str = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$";
/// An ISO 4217 currency code.
pub const CURRENCY: &str = "^[A-Z]{3}$";
/// A voter id Reviews issued: an id and its signature.
pub const VOTER: &str = "^[0-9a-f]{32}[.][A-Za-z0-9_-]{43}$";

/// One consumer's pact with one provider, being recorded.
#[derive(Debug)]
pub struct Recording {
    consumer: &'static str,
    provider: &'static str,
    scratch: TempDir,
    /// Declare the interactions here, then [`start`](Self::start) the mock server.
    pub pact: PactBuilder,
}

impl Recording {
    pub fn new(consumer: &'static str, provider: &'static str) -> Result<Self> {
        crate::install_crypto_provider();
        let scratch = tempfile::tempdir()?;
        let mut pact = PactBuilder::new_v4(consumer, provider);
        pact.with_output_dir(scratch.path());
        Ok(Self {
            consumer,
            provider,
            scratch,
            pact,
        })
    }

    /// Starts the mock provider; point the consumer's client at [`MockProvider::url`].
    pub fn start(&self) -> MockProvider {
        let server = self.pact.start_mock_server(None, None);
        let url = server.url().as_str().trim_end_matches('/').to_owned();
        MockProvider { server, url }
    }

    /// Stops the mock provider, which fails the test if an interaction was not called or
    /// a request did not match, then compares the pact it wrote with the committed one.
    pub fn finish(self, provider: MockProvider) -> Result<()> {
        drop(provider);
        let name = pact_file_name(self.consumer, self.provider);
        let written = std::fs::read_to_string(self.scratch.path().join(&name))
            .with_context(|| format!("the mock provider wrote no pact {name}"))?;
        let recorded = canonical(&written)?;
        let committed_path = pacts_dir().join(&name);
        if std::env::var(UPDATE_ENV).is_ok_and(|value| value == "1") {
            std::fs::write(&committed_path, &recorded)?;
            return Ok(());
        }
        compare(&committed_path, &recorded, self.consumer, self.provider)
    }
}

/// The mock provider of one recording, answering on [`url`](Self::url).
pub struct MockProvider {
    server: Box<dyn ValidatingMockServer>,
    /// The base URL, without a trailing slash, as the generated clients want it.
    pub url: String,
}

impl std::fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockProvider")
            .field("url", &self.url)
            .field("server", &self.server.url().as_str())
            .finish()
    }
}

/// The pact with its object keys sorted: Pact writes them in hash order, which changes
/// from run to run, and a committed pact should change only when its content does.
fn canonical(pact: &str) -> Result<String> {
    fn sorted(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|(a, _), (b, _)| a.cmp(b));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    let value: Value = serde_json::from_str(pact)?;
    Ok(serde_json::to_string_pretty(&sorted(value))? + "\n")
}

fn compare(committed_path: &Path, recorded: &str, consumer: &str, provider: &str) -> Result<()> {
    let shown = format!(
        "contract-tests/pacts/{}",
        committed_path
            .file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default()
    );
    let how = format!(
        "If the change is intended, run `{UPDATE_ENV}=1 cargo test -p pact-tests --test consumers`, \
         commit the pact, and `cargo test -p pact-tests --test providers` shows whether `{provider}` still honours it."
    );
    let Ok(committed) = std::fs::read_to_string(committed_path) else {
        bail!(
            "pact {shown} is not committed: the consumer `{consumer}` now relies on the provider `{provider}`.\n{how}"
        );
    };
    if committed == recorded {
        return Ok(());
    }
    let diff = similar::TextDiff::from_lines(committed.as_str(), recorded)
        .unified_diff()
        .context_radius(3)
        .header("committed", "recorded")
        .to_string();
    bail!(
        "pact {shown} is stale: what the consumer `{consumer}` expects of the provider `{provider}` has changed.\n{how}\n{diff}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACT: &str = r#"{
        "interactions": [{"response": {"body": {"content": {"name": "Lamp"}}}}],
        "metadata": {"pactSpecification": {"version": "4.0"}, "pactRust": {"models": "1"}}
    }"#;

    fn committed(dir: &Path, content: &str) -> std::path::PathBuf {
        let path = dir.join("storefront-catalog.json");
        std::fs::write(&path, canonical(content).expect("a pact")).expect("written");
        path
    }

    #[test]
    fn a_pact_recorded_again_unchanged_passes_whatever_its_key_order() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = committed(dir.path(), PACT);
        let reordered = r#"{
            "metadata": {"pactRust": {"models": "1"}, "pactSpecification": {"version": "4.0"}},
            "interactions": [{"response": {"body": {"content": {"name": "Lamp"}}}}]
        }"#;
        let recorded = canonical(reordered).expect("a pact");
        compare(&path, &recorded, "storefront", "catalog").expect("the same pact");
    }

    #[test]
    fn a_changed_expectation_fails_and_shows_the_difference() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = committed(dir.path(), PACT);
        let recorded = canonical(&PACT.replace("name", "title")).expect("a pact");
        let failure = compare(&path, &recorded, "storefront", "catalog")
            .expect_err("a different pact")
            .to_string();
        assert!(failure.contains(
            "pact contract-tests/pacts/storefront-catalog.json is stale: \
             what the consumer `storefront` expects of the provider `catalog` has changed"
        ));
        assert!(failure.contains("UPDATE_PACTS=1"));
        assert!(
            failure.contains(r#"-            "name": "Lamp""#),
            "{failure}"
        );
        assert!(
            failure.contains(r#"+            "title": "Lamp""#),
            "{failure}"
        );
    }

    #[test]
    fn a_pact_never_committed_fails() {
        let dir = tempfile::tempdir().expect("a directory");
        let recorded = canonical(PACT).expect("a pact");
        let failure = compare(
            &dir.path().join("storefront-catalog.json"),
            &recorded,
            "storefront",
            "catalog",
        )
        .expect_err("nothing committed");
        assert!(failure.to_string().contains("is not committed"));
    }
}
