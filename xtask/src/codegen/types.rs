//! typify's output, with what is the same for every contract taken from `api-runtime`:
//!
//! - the `error` module (`ConversionError`) becomes a re-export of the runtime's;
//! - a string schema with limits (length, pattern) is a newtype whose conversions typify
//!   writes out in full for each one: `Deref`, `From<X> for String`, `FromStr`,
//!   `TryFrom<&str>`, `TryFrom<String>` and `Deserialize`, all alike but for the checks
//!   in `FromStr`. Here those checks become the type's `check` function, and the impls one
//!   `api_runtime::checked_string!(X)` line; a pattern's compiled regex and its test
//!   become one `api_runtime::check_pattern!` line in it;
//! - a derive list of serde's and std's traits, too long for one line, becomes two
//!   attributes, serde's and std's.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use quote::{ToTokens, quote};

/// Applies the rewrites to the items of the types module.
pub fn share_runtime_items(items: &mut Vec<syn::Item>) -> Result<()> {
    share_conversion_error(items)?;
    share_checked_strings(items)?;
    for item in items.iter_mut() {
        split_derives(item);
    }
    Ok(())
}

/// `#[derive(::serde::Deserialize, ::serde::Serialize, Clone, …)]` as
/// `#[derive(::serde::Deserialize, ::serde::Serialize)]` and `#[derive(Clone, …)]`.
fn split_derives(item: &mut syn::Item) {
    let attrs = match item {
        syn::Item::Struct(item) => &mut item.attrs,
        syn::Item::Enum(item) => &mut item.attrs,
        _ => return,
    };
    let mut split = Vec::with_capacity(attrs.len() + 1);
    for attr in attrs.drain(..) {
        let paths = attr.path().is_ident("derive").then(|| {
            attr.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
        });
        match paths {
            Some(Ok(paths)) => {
                let (serde, others): (Vec<_>, Vec<_>) = paths.into_iter().partition(|path| {
                    path.segments
                        .first()
                        .is_some_and(|first| first.ident == "serde")
                });
                if !serde.is_empty() {
                    split.push(syn::parse_quote! { #[derive(#(#serde),*)] });
                }
                if !others.is_empty() {
                    split.push(syn::parse_quote! { #[derive(#(#others),*)] });
                }
            }
            _ => split.push(attr),
        }
    }
    *attrs = split;
}

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

fn share_checked_strings(items: &mut Vec<syn::Item>) -> Result<()> {
    // The checks of each checked string: its `FromStr` body but the final `Ok(Self(..))`.
    let mut checks: BTreeMap<String, Vec<syn::Stmt>> = BTreeMap::new();
    for item in items.iter() {
        if let Some((name, checks_of)) = from_str_checks(item) {
            checks.insert(name, checks_of);
        }
    }
    let mut removed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    items.retain(|item| match conversion_of_checked(item, &checks) {
        Some((name, conversion)) => {
            removed.entry(name).or_default().push(conversion);
            false
        }
        None => true,
    });
    for (name, body) in checks {
        let mut found = removed.remove(&name).unwrap_or_default();
        found.sort();
        let expected = [
            "Deref",
            "Deserialize",
            "From",
            "FromStr",
            "TryFrom",
            "TryFrom",
        ];
        if found != expected {
            bail!(
                "typify wrote the conversions {found:?} for `{name}`, not the {expected:?} that `checked_string!` replaces"
            );
        }
        let at = items
            .iter()
            .position(|item| matches!(item, syn::Item::Struct(s) if s.ident == name))
            .with_context(|| format!("typify wrote no struct `{name}`"))?;
        let ident = syn::Ident::new(&name, proc_macro2::Span::call_site());
        let body = with_pattern_macro(body)?;
        let check: syn::Item = syn::parse_quote! {
            impl #ident {
                /// Whether `value` keeps the schema's limits; every conversion into the
                /// type goes through here.
                fn check(value: &str) -> ::std::result::Result<(), ::api_runtime::ConversionError> {
                    #(#body)*
                    Ok(())
                }
            }
        };
        let conversions: syn::Item = syn::parse_quote! {
            ::api_runtime::checked_string!(#ident);
        };
        items.splice(at + 1..at + 1, [check, conversions]);
    }
    Ok(())
}

/// typify's pattern check, a `static PATTERN` and an `if` that returns its message, as
/// one `api_runtime::check_pattern!(value, pattern, message);`.
fn with_pattern_macro(body: Vec<syn::Stmt>) -> Result<Vec<syn::Stmt>> {
    let mut out = Vec::with_capacity(body.len());
    let mut pattern = None;
    for stmt in body {
        let literals = string_literals(&stmt);
        match &stmt {
            syn::Stmt::Item(syn::Item::Static(item)) if item.ident == "PATTERN" => {
                let [literal] = literals.as_slice() else {
                    bail!("typify's PATTERN has {} strings, not one", literals.len());
                };
                pattern = Some(literal.clone());
            }
            syn::Stmt::Expr(syn::Expr::If(_), _)
                if pattern.is_some() && stmt.to_token_stream().to_string().contains("PATTERN") =>
            {
                let [message] = literals.as_slice() else {
                    bail!(
                        "typify's pattern test has {} strings, not one",
                        literals.len()
                    );
                };
                let pattern = pattern.take();
                out.push(syn::parse_quote! {
                    ::api_runtime::check_pattern!(value, #pattern, #message);
                });
            }
            _ => out.push(stmt),
        }
    }
    if pattern.is_some() {
        bail!("typify's PATTERN has no test after it");
    }
    Ok(out)
}

fn string_literals(stmt: &syn::Stmt) -> Vec<syn::LitStr> {
    use syn::visit::Visit;
    struct Strings(Vec<syn::LitStr>);
    impl<'a> Visit<'a> for Strings {
        fn visit_lit_str(&mut self, literal: &'a syn::LitStr) {
            self.0.push(literal.clone());
        }
    }
    let mut strings = Strings(Vec::new());
    strings.visit_stmt(stmt);
    strings.0
}

/// For `impl FromStr for X` ending in `Ok(Self(value.to_string()))`: X and the checks
/// before that.
fn from_str_checks(item: &syn::Item) -> Option<(String, Vec<syn::Stmt>)> {
    let (name, trait_name, block) = trait_impl(item)?;
    if trait_name != "FromStr" {
        return None;
    }
    let syn::ImplItem::Fn(from_str) = block
        .items
        .iter()
        .find(|member| matches!(member, syn::ImplItem::Fn(_)))?
    else {
        return None;
    };
    let (last, checks) = from_str.block.stmts.split_last()?;
    let expected = quote! { Ok(Self(value.to_string())) };
    (last.to_token_stream().to_string() == expected.to_string()).then(|| (name, checks.to_vec()))
}

/// One of the conversions `checked_string!` writes, for one of the `checked` types: the
/// type's name and the conversion's trait.
fn conversion_of_checked(
    item: &syn::Item,
    checked: &BTreeMap<String, Vec<syn::Stmt>>,
) -> Option<(String, String)> {
    let (name, trait_name, block) = trait_impl(item)?;
    let own = ["Deref", "FromStr", "TryFrom", "Deserialize"];
    if checked.contains_key(&name) && own.contains(&trait_name.as_str()) {
        return Some((name, trait_name));
    }
    // `impl From<X> for String`: X is the trait's type argument.
    if trait_name == "From" && last_ident(&block.self_ty).as_deref() == Some("String") {
        let (_, path, _) = block.trait_.as_ref()?;
        let syn::PathArguments::AngleBracketed(args) = &path.segments.last()?.arguments else {
            return None;
        };
        let Some(syn::GenericArgument::Type(from)) = args.args.first() else {
            return None;
        };
        let from = last_ident(from)?;
        if checked.contains_key(&from) {
            return Some((from, trait_name));
        }
    }
    None
}

/// An `impl Trait for Type`: the type's name, the trait's name, the impl.
fn trait_impl(item: &syn::Item) -> Option<(String, String, &syn::ItemImpl)> {
    let syn::Item::Impl(block) = item else {
        return None;
    };
    let (_, path, _) = block.trait_.as_ref()?;
    let trait_name = path.segments.last()?.ident.to_string();
    Some((last_ident(&block.self_ty)?, trait_name, block))
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => Some(path.path.segments.last()?.ident.to_string()),
        _ => None,
    }
}
