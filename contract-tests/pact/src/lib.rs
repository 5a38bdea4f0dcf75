//! Consumer-driven contracts between LocalMart's services, with Pact.
//!
//! A consumer test (`tests/consumers.rs`) drives a consumer's real generated client
//! against Pact's mock server, which answers only the interactions the test declares and
//! records them as a pact: the requests the consumer makes and the least it needs in each
//! answer. The pacts are committed under `contract-tests/pacts/` (the repository is the
//! registry, there is no broker), and a consumer test fails when what it records differs
//! from the committed pact.
//!
//! A provider test (`tests/providers.rs`) starts the real provider on real datastores and
//! replays every committed pact that names it, setting up each interaction's provider
//! states in Rust ([`provider::States`]) first.

pub mod consumer;
pub mod provider;
pub mod states;

use std::path::PathBuf;

/// Where the pacts are committed.
pub fn pacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../pacts")
}

/// The name of the pact between `consumer` and `provider`, as Pact writes it.
pub fn pact_file_name(consumer: &str, provider: &str) -> String {
    format!("{consumer}-{provider}.json")
}

/// Pact's HTTP clients (and so the mock server's and the verifier's) are built on rustls
/// without a crypto provider of their own: give the process one before any is built.
pub fn install_crypto_provider() {
    // Another test in the same process may have installed it already; either is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
