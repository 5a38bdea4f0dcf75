//! Project automation for LocalMart, run as `cargo xtask <command>`.
//!
//! `codegen` turns the contracts in `specs/` into the crates under `generated/`:
//! for each OpenAPI document a crate with the shared types, a typed client and
//! server stubs, and for each protobuf package a crate with the tonic code.
//! `codegen --check` writes nothing and fails when `generated/` is stale.
//!
//! `contracts` runs every contract gate: the breaking-change gates against
//! `specs/baseline/`, then the Pact suite (consumer pacts, provider verification) and the
//! suite that holds the running services to their specs (schemathesis, the Cart-Catalog
//! gRPC contract, the live OpenAPI documents); `contracts bless` makes the working specs
//! the released baseline.
//!
//! `storefront` builds the storefront's bundle (WebAssembly, JavaScript glue, page and
//! stylesheet) for the edge to serve, and reports its compressed size.

use xtask::{codegen, contracts, storefront};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "xtask", about = "LocalMart project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the crates under generated/ from the contracts in specs/.
    Codegen {
        /// Write nothing; fail if generated/ differs from what would be written.
        #[arg(long)]
        check: bool,
    },
    /// Run every contract gate: breaking changes against specs/baseline/, Pact, and the
    /// services against their specs.
    Contracts {
        #[command(subcommand)]
        action: Option<ContractsAction>,
        /// Only the breaking-change gates (no build, a few seconds).
        #[arg(long)]
        gates_only: bool,
    },
    /// Build the storefront's bundle for the edge to serve.
    Storefront {
        /// Where to write the bundle (default: `storefront/` in the cargo target directory).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ContractsAction {
    /// Make the working specs the released baseline (on purpose, with a new major
    /// version when the change is breaking).
    Bless,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => codegen::run(&workspace_root(), check),
        Command::Contracts {
            action: None,
            gates_only,
        } => run_contracts(&workspace_root(), gates_only),
        Command::Contracts {
            action: Some(ContractsAction::Bless),
            ..
        } => contracts::bless(&workspace_root())
            .map(|()| println!("contracts: specs/baseline/ now holds the working specs")),
        Command::Storefront { out } => build_storefront(&workspace_root(), out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn build_storefront(root: &std::path::Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| storefront::default_out(root));
    let bundle = storefront::build(root, &out)?;
    println!(
        "storefront: {} (wasm {} KiB, {} KiB gzipped of a {} KiB budget; js {} KiB gzipped)",
        bundle.dir.display(),
        bundle.wasm / 1024,
        bundle.wasm_gzip / 1024,
        storefront::WASM_GZIP_BUDGET / 1024,
        bundle.js_gzip / 1024
    );
    Ok(())
}

/// The test suites that check contracts against running code, and what each checks.
const CONTRACT_SUITES: &[(&str, &str)] = &[
    (
        "pact-tests",
        "Pact: consumer pacts recorded and compared, providers verified",
    ),
    (
        "contract-tests",
        "services against their specs: schemathesis, Cart-Catalog gRPC, live OpenAPI documents",
    ),
];

fn run_contracts(root: &std::path::Path, gates_only: bool) -> anyhow::Result<()> {
    run_gates(root)?;
    if gates_only {
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for (package, what) in CONTRACT_SUITES {
        println!("contracts: {what} (cargo test -p {package})");
        let status = std::process::Command::new(&cargo)
            .current_dir(root)
            .args(["test", "--locked", "--package", package])
            .status()?;
        anyhow::ensure!(status.success(), "contracts: {what}: failed");
    }
    Ok(())
}

fn run_gates(root: &std::path::Path) -> anyhow::Result<()> {
    let report = contracts::check(root)?;
    for passed in &report.passed {
        println!("contracts: ok   {passed}");
    }
    for failed in &report.failed {
        println!("contracts: FAIL {failed}");
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "{} contract(s) would break their consumers",
            report.failed.len()
        )
    }
}

/// The workspace root: xtask lives one level below it. It is read when xtask runs
/// (`cargo run` sets `CARGO_MANIFEST_DIR` for the program too), not when it was built:
/// checkouts share one target directory, so the binary `cargo xtask` starts may have been
/// linked in another checkout, whose path `env!` would have baked in.
fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
