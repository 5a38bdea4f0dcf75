//! The protobuf packages under `specs/proto` become `generated/<service>-proto` crates
//! holding the prost messages and the tonic client and server. protox compiles the
//! .proto files in pure Rust, so no protoc is needed.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Files, HEADER};

/// (crate name, the .proto file relative to specs/proto, its package).
const PACKAGES: &[(&str, &str, &str)] = &[(
    "catalog-proto",
    "localmart/catalog/v1/catalog.proto",
    "localmart.catalog.v1",
)];

pub fn generate(root: &Path, files: &mut Files) -> Result<()> {
    let proto_root = root.join("specs/proto");
    for &(crate_name, proto, package) in PACKAGES {
        let descriptors = protox::compile([proto], [&proto_root])
            .map_err(|err| anyhow::anyhow!("compiling {proto}: {err}"))?;
        let out = tempfile::tempdir()?;
        tonic_prost_build::configure()
            .build_client(true)
            .build_server(true)
            .out_dir(out.path())
            .compile_fds(descriptors)
            .with_context(|| format!("generating tonic code for {proto}"))?;
        let generated = fs::read_to_string(out.path().join(format!("{package}.rs")))
            .with_context(|| format!("tonic wrote no {package}.rs"))?;

        let crate_dir = Path::new("generated").join(crate_name);
        files.own_dir(&crate_dir);
        files.add(crate_dir.join("Cargo.toml"), manifest(crate_name, proto));
        files.add(crate_dir.join("src/lib.rs"), lib_rs(proto, package));
        files.add(
            crate_dir.join(format!("src/{package}.rs")),
            format!("// {HEADER}\n\n{generated}"),
        );
    }
    Ok(())
}

fn manifest(crate_name: &str, proto: &str) -> String {
    format!(
        r#"# {HEADER}
[package]
name = "{crate_name}"
version = "1.0.0"
description = "prost messages and tonic client and server for specs/proto/{proto}."
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[dependencies]
prost.workspace = true
tonic.workspace = true
tonic-prost.workspace = true
"#
    )
}

fn lib_rs(proto: &str, package: &str) -> String {
    let module = package.rsplit('.').next().unwrap_or(package);
    format!(
        r#"// {HEADER}

//! Messages, client and server of `specs/proto/{proto}` (package `{package}`).
#![allow(clippy::all, clippy::pedantic, reason = "generated code")]
#![allow(
    missing_debug_implementations,
    unused_qualifications,
    reason = "generated code"
)]

#[path = "{package}.rs"]
#[rustfmt::skip]
pub mod {module};
"#
    )
}
