//! One OpenAPI document becomes one crate, `generated/<name>-api`:
//!
//! - `types.rs`: the schemas as Rust types (typify, through progenitor), shared by
//!   client and server so the two can never disagree, their patterns checked in linear
//!   time ([`super::pattern`]);
//! - `client.rs` (feature `client`): a builder per operation, emitted by
//!   [`super::client`] over `api_runtime::client`; it uses reqwest and so also compiles
//!   for wasm32;
//! - `server.rs` (feature `server`): a handler trait, a response type per operation and
//!   an axum router, emitted by [`super::server`] over `api-runtime`;
//! - `openapi.json`: the spec itself as JSON, the live document the service serves
//!   (`server::OPENAPI_JSON`). JSON has no comments, so it is the one generated file
//!   without the header line; `--check` holds it to the spec like every other.
//!
//! Client and server are emitted from the same model: the spec read into
//! [`super::model`] and held to [`super::rules`].

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use openapiv3::OpenAPI;
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use quote::quote;

use super::{Files, HEADER, client, model, pattern, rules, rust_file, server, types};

/// Generates the crate of the spec at `root`/`spec_path` into `root`/`crates_dir`/<name>-api.
pub fn generate(root: &Path, spec_path: &Path, crates_dir: &Path, files: &mut Files) -> Result<()> {
    let name = spec_path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .context("spec file name is not UTF-8")?;
    let text = fs::read_to_string(root.join(spec_path))
        .with_context(|| format!("reading {}", spec_path.display()))?;
    let spec = parse(&text).with_context(|| format!("parsing {}", spec_path.display()))?;
    let crate_dir = crates_dir.join(format!("{name}-api"));
    let spec_relative = spec_path.display().to_string();

    // The house rules first, so a spec that breaks one is told so in our words.
    let api = model::read(&spec)?;
    rules::check(&spec, &api)?;
    let server = server::generate(name, &api)?;
    let client = client::generate(&api, spec.info.description.as_deref().unwrap_or_default())?;
    let types = types_module(&spec)?;

    files.own_dir(&crate_dir);
    files.add(
        crate_dir.join("Cargo.toml"),
        manifest(name, &spec, &spec_relative),
    );
    files.add(
        crate_dir.join("src/lib.rs"),
        lib_rs(name, &spec, &spec_relative),
    );
    files.add(crate_dir.join("src/types.rs"), rust_file(types)?);
    files.add(crate_dir.join("src/client.rs"), rust_file(client)?);
    files.add(crate_dir.join("src/server.rs"), rust_file(server)?);
    files.add(crate_dir.join("src/openapi.json"), document_json(&text)?);
    Ok(())
}

pub fn load(path: &Path) -> Result<OpenAPI> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("parsing {}", path.display()))
}

fn parse(text: &str) -> Result<OpenAPI> {
    let spec: OpenAPI = serde_yaml::from_str(text)?;
    if spec.openapi != "3.0.3" {
        bail!(
            "LocalMart specs are OpenAPI 3.0.3, this one says {}",
            spec.openapi
        );
    }
    Ok(spec)
}

/// The types module: progenitor's, which is typify's output for the spec's schemas with
/// the settings progenitor gives it, with what every spec shares replaced by the
/// `api-runtime` item it shares ([`super::types`]). (The client is ours, [`super::client`]; progenitor's
/// positional interface is chosen only because it asks typify for no struct builders.)
fn types_module(spec: &OpenAPI) -> Result<proc_macro2::TokenStream> {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The storefront's components take contract types as props, and Dioxus compares
        // props to decide what to render again.
        .with_derive("PartialEq")
        // Every spec's `Error` schema is the same (the house rules check it), so it is one
        // type in the runtime, not a copy in each crate.
        .with_replacement("Error", "::api_runtime::ErrorBody", std::iter::empty());
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|err| anyhow::anyhow!("progenitor: {err}"))?;
    let file: syn::File = syn::parse2(tokens).context("progenitor output does not parse")?;
    let module = file
        .items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "types" => Some(module),
            _ => None,
        })
        .context("progenitor produced no types module")?;
    let (_, mut items) = module.content.context("the types module is empty")?;
    pattern::make_linear(&mut items)?;
    types::share_runtime_items(&mut items)?;
    Ok(quote! {
        //! The contract's schemas as Rust types, shared by client and server.
        #![cfg_attr(rustfmt, rustfmt::skip)]

        /// The `Error` schema, the same in every contract.
        pub use ::api_runtime::ErrorBody as Error;

        #(#items)*
    })
}

fn manifest(name: &str, spec: &OpenAPI, spec_path: &str) -> String {
    format!(
        r#"# {HEADER}
[package]
name = "{name}-api"
version = "{version}"
description = "Types, client and server stubs for the {title} API, from {spec_path}."
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
# The doc comments carry the spec's prose, which is not Rust to test.
doctest = false

[features]
default = ["client"]
client = ["api-runtime/client"]
server = ["api-runtime/server", "dep:axum"]

[dependencies]
api-runtime.workspace = true
chrono.workspace = true
regex-lite.workspace = true
serde.workspace = true
serde_json.workspace = true
uuid.workspace = true

axum = {{ workspace = true, optional = true }}

# Generated code: the workspace's lints are for code people write.
[lints.rust]
dead_code = "allow"
missing_debug_implementations = "allow"
unused_imports = "allow"
unused_qualifications = "allow"

[lints.clippy]
all = {{ level = "allow", priority = -1 }}
pedantic = {{ level = "allow", priority = -1 }}
"#,
        version = spec.info.version,
        title = spec.info.title,
    )
}

/// `lib.rs` is written as text in rustfmt's own style, so `cargo fmt` leaves it alone. The
/// modules are formatted by prettyplease and each tells rustfmt to skip it
/// (`#![cfg_attr(rustfmt, rustfmt::skip)]`), and `client` and `server` each hold their
/// feature's `#![cfg]`, so the crate root says only what the crate has.
fn lib_rs(name: &str, spec: &OpenAPI, spec_path: &str) -> String {
    let trait_name = format!("{}Api", heck::ToUpperCamelCase::to_upper_camel_case(name));
    format!(
        r#"// {HEADER}

//! {title} {version}, generated from `{spec_path}`.
//!
//! - [`types`]: the schemas, shared by client and server;
//! - `client` (feature `client`): a typed client, a builder per operation, also for wasm32;
//! - `server` (feature `server`): the `{trait_name}` handler trait, a response type per
//!   operation, the axum router over `api-runtime`, and `OPENAPI_JSON`, the spec as
//!   JSON: the live document the service serves.

pub mod types;

pub mod client;
#[cfg(feature = "client")]
pub use client::Client;

pub mod server;
"#,
        title = spec.info.title,
        version = spec.info.version,
    )
}

/// The spec as pretty JSON, in the spec's own order, so a reader can open it and the
/// service can serve it as is. It is written here rather than by `serde_json`, whose map
/// order depends on a cargo feature that other crates of a build may turn on.
fn document_json(spec_text: &str) -> Result<String> {
    let document: serde_yaml::Value = serde_yaml::from_str(spec_text).context("the spec")?;
    let mut json = String::new();
    write_json(&document, 0, &mut json)?;
    json.push('\n');
    Ok(json)
}

fn write_json(value: &serde_yaml::Value, depth: usize, out: &mut String) -> Result<()> {
    use serde_yaml::Value;
    let indent = |depth: usize| "  ".repeat(depth);
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => out.push_str(&serde_json::to_string(text)?),
        Value::Sequence(items) if items.is_empty() => out.push_str("[]"),
        Value::Sequence(items) => {
            out.push_str("[\n");
            for (n, item) in items.iter().enumerate() {
                out.push_str(&indent(depth + 1));
                write_json(item, depth + 1, out)?;
                out.push_str(if n + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push(']');
        }
        Value::Mapping(entries) if entries.is_empty() => out.push_str("{}"),
        Value::Mapping(entries) => {
            out.push_str("{\n");
            for (n, (key, item)) in entries.iter().enumerate() {
                let key = key
                    .as_str()
                    .with_context(|| format!("a key that is not a string: {key:?}"))?;
                out.push_str(&indent(depth + 1));
                out.push_str(&serde_json::to_string(key)?);
                out.push_str(": ");
                write_json(item, depth + 1, out)?;
                out.push_str(if n + 1 < entries.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push('}');
        }
        Value::Tagged(tagged) => bail!("YAML tags such as {} have no JSON form", tagged.tag),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_keeps_the_spec_order_and_means_the_same() {
        let yaml = "openapi: 3.0.3\ninfo: {title: \"A \\\"quoted\\\" API\", version: 1.0.0}\npaths: {}\ntags: [b, a]\nx-count: 2\nx-on: true\n";
        let json = document_json(yaml).expect("JSON");
        assert!(
            json.starts_with("{\n  \"openapi\": \"3.0.3\",\n  \"info\": {"),
            "{json}"
        );
        let from_yaml: serde_json::Value = serde_yaml::from_str(yaml).expect("YAML");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(parsed, from_yaml);
    }
}
