//! One OpenAPI document becomes one crate, `generated/<name>-api`:
//!
//! - `types.rs`: the schemas as Rust types (typify, through progenitor), shared by
//!   client and server so the two can never disagree, their patterns checked in linear
//!   time ([`super::pattern`]);
//! - `client.rs` (feature `client`): the progenitor client with the builder interface;
//!   it uses reqwest and so also compiles for wasm32;
//! - `server.rs` (feature `server`): a handler trait, a response type per operation and
//!   an axum router: the spec read into [`super::model`], held to [`super::rules`], and
//!   emitted by [`super::server`], over the hand-written `api-runtime` crate;
//! - `openapi.json`: the spec itself as JSON, the live document the service serves
//!   (`server::OPENAPI_JSON`). JSON has no comments, so it is the one generated file
//!   without the header line; `--check` holds it to the spec like every other.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use openapiv3::OpenAPI;
use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use quote::quote;

use super::{Files, HEADER, model, pattern, rules, rust_file, server};

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
    let (types, client) = types_and_client(&spec)?;

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

/// Runs progenitor and splits its output into the types module and the client, each
/// with what every spec shares replaced by the `api-runtime` item it shares.
fn types_and_client(
    spec: &OpenAPI,
) -> Result<(proc_macro2::TokenStream, proc_macro2::TokenStream)> {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The storefront's components take contract types as props, and Dioxus compares
        // props to decide what to render again.
        .with_derive("PartialEq")
        // Every spec's `Error` schema is the same (the house rules check it), so it is one
        // type in the runtime, not a copy in each crate.
        .with_replacement("Error", "::api_runtime::ErrorBody", std::iter::empty())
        // Every request passes through the client's `HeaderHook`, which is how a service
        // adds W3C trace context (or the storefront its own headers) to outgoing calls.
        .with_inner_type(quote! { api_runtime::HeaderHook })
        .with_pre_hook(quote! {
            |hook: &api_runtime::HeaderHook, request: &mut reqwest::Request| hook.apply(request.headers_mut())
        });
    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(spec)
        .map_err(|err| anyhow::anyhow!("progenitor: {err}"))?;
    let file: syn::File = syn::parse2(tokens).context("progenitor output does not parse")?;

    let mut types = None;
    let mut client_items = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Mod(module) if module.ident == "types" => {
                let (_, mut items) = module.content.context("the types module is empty")?;
                pattern::make_linear(&mut items)?;
                share_conversion_error(&mut items)?;
                types = Some(quote! {
                    //! The contract's schemas as Rust types, shared by client and server.
                    #![cfg_attr(rustfmt, rustfmt::skip)]

                    /// The `Error` schema, the same in every contract.
                    pub use ::api_runtime::ErrorBody as Error;

                    #(#items)*
                });
            }
            other => client_items.push(other),
        }
    }
    let types = types.context("progenitor produced no types module")?;
    let client_struct = client_struct(&mut client_items, &spec.info.version)?;
    let client = quote! {
        //! A typed client for every operation, generated by progenitor.
        #![cfg(feature = "client")]
        #![cfg_attr(rustfmt, rustfmt::skip)]

        pub use crate::types;

        /// Runs on every request the client sends, to add headers such as W3C trace
        /// context.
        pub use api_runtime::HeaderHook;

        #client_struct

        #(#client_items)*
    };
    Ok((types, client))
}

/// typify writes the same `error` module (`ConversionError`) into every crate; it becomes a
/// re-export of the runtime's, where the generated conversions still find it.
fn share_conversion_error(items: &mut [syn::Item]) -> Result<()> {
    let module = items
        .iter_mut()
        .find(|item| matches!(item, syn::Item::Mod(module) if module.ident == "error"))
        .context("typify wrote no `error` module")?;
    *module = syn::parse_quote! {
        /// Why a value does not fit one of these types.
        pub mod error {
            pub use ::api_runtime::ConversionError;
        }
    };
    Ok(())
}

/// progenitor writes the `Client` struct, its constructors and its two trait impls the same
/// way for every spec; they are taken out of `items` and replaced by `api_runtime::client!`,
/// which keeps only the struct's doc comment and the API version.
fn client_struct(items: &mut Vec<syn::Item>, version: &str) -> Result<proc_macro2::TokenStream> {
    let is_client = |ty: &syn::Type| quote!(#ty).to_string() == "Client";
    let mut docs = None;
    let mut removed = 0;
    items.retain(|item| {
        let shared = match item {
            syn::Item::Struct(client) if client.ident == "Client" => {
                docs = Some(
                    client
                        .attrs
                        .iter()
                        .filter(|attr| attr.path().is_ident("doc"))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                true
            }
            // The constructors, beside the impl that holds the operations.
            syn::Item::Impl(block) if block.trait_.is_none() && is_client(&block.self_ty) => {
                block.items.iter().any(
                    |member| matches!(member, syn::ImplItem::Fn(function) if function.sig.ident == "new"),
                )
            }
            syn::Item::Impl(block) => block.trait_.as_ref().is_some_and(|(_, path, _)| {
                path.segments
                    .last()
                    .is_some_and(|last| last.ident == "ClientInfo" || last.ident == "ClientHooks")
            }),
            _ => false,
        };
        removed += usize::from(shared);
        !shared
    });
    let docs = docs.context("progenitor wrote no `Client` struct")?;
    if removed != 4 {
        bail!(
            "progenitor's `Client` came in {removed} items, not the 4 that `api_runtime::client!` replaces"
        );
    }
    Ok(quote! {
        api_runtime::client! {
            #(#docs)*
            #version
        }
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
# The client's doc comments carry progenitor's `ignore`d usage examples, not tests.
doctest = false

[features]
default = ["client"]
client = ["api-runtime/client", "dep:bytes", "dep:futures-core", "dep:progenitor-client", "dep:reqwest"]
server = ["api-runtime/server", "dep:axum"]

[dependencies]
api-runtime.workspace = true
chrono.workspace = true
regex-lite.workspace = true
serde.workspace = true
serde_json.workspace = true
uuid.workspace = true

bytes = {{ workspace = true, optional = true }}
futures-core = {{ version = "0.3", optional = true }}
progenitor-client = {{ workspace = true, optional = true }}
reqwest = {{ workspace = true, optional = true }}

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
//! - `client` (feature `client`): a typed progenitor client, also for wasm32;
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
