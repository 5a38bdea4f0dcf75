//! Each service, started on private datastores, fuzzed by schemathesis against its
//! OpenAPI document with every check: responses must match the schemas, statuses and
//! content types the contract declares, no request may produce a 500, schema-invalid
//! requests must be refused and schema-valid ones accepted (save the business refusals
//! each service's settings in `schemathesis/` declare).
//!
//! Runs are deterministic (fixed seed) and bounded (examples per operation). All phases
//! run, the stateful one following the links each spec declares (create a cart, then add
//! to it, change and remove its lines).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use catalog::testing::TestCatalog;

const SEED: &str = "7";
const EXAMPLES: &str = "30";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs schemathesis for `service` against `base_url`, as an admin where the service has
/// admin operations, and fails the test with its report when it finds anything.
async fn fuzz(service: &str, base_url: &str, admin_token: Option<&str>) {
    let schemathesis = testkit::tool("schemathesis").expect("schemathesis");
    let spec = workspace().join(format!("specs/openapi/{service}.yaml"));
    let settings = workspace().join(format!("contract-tests/schemathesis/{service}.toml"));
    // Its example database goes to a throw-away directory, not the checkout.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mut command = tokio::process::Command::new(schemathesis);
    command
        .current_dir(scratch.path())
        .arg("--config-file")
        .arg(&settings)
        .arg("run");
    if let Some(token) = admin_token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let run = command
        .args([
            "--url",
            base_url,
            "--checks",
            "all",
            "--seed",
            SEED,
            "--max-examples",
            EXAMPLES,
        ])
        .arg("--no-color")
        .arg(&spec)
        .stdin(Stdio::null())
        .output();
    let output = tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("schemathesis finishes within 10 minutes")
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary = report
        .lines()
        .rfind(|line| line.contains("generated"))
        .unwrap_or("no summary");
    println!("schemathesis {service}: {}", summary.trim());
    assert!(
        output.status.success(),
        "schemathesis found contract violations in {service}:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_honours_its_contract() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    fuzz(
        "catalog",
        &catalog.http_url(),
        Some(catalog::testing::ADMIN_TOKEN),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_honours_its_contract() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let service = cart::testing::start(catalog.grpc_url())
        .await
        .expect("a cart");
    let url = service.http_url();
    fuzz("cart", &url, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_honour_their_contract() {
    let catalog = TestCatalog::start().await.expect("a catalog");
    let service = reviews::testing::start(catalog.http_url())
        .await
        .expect("a reviews service");
    let url = service.http_url();
    fuzz("reviews", &url, Some(reviews::testing::ADMIN_TOKEN)).await;
}
