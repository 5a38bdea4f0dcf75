//! Project automation for LocalMart, run as `cargo xtask <command>`.
//!
//! `codegen` turns the contracts in `specs/` into the crates under `generated/`:
//! for each OpenAPI document a crate with the shared types, a typed client and
//! server stubs, and for each protobuf package a crate with the tonic code.
//! `codegen --check` writes nothing and fails when `generated/` is stale.

use xtask::codegen;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => codegen::run(&workspace_root(), check),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
