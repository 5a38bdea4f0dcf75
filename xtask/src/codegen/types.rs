//! typify's output, with what is the same for every contract taken from `api-runtime`:
//!
//! - the `error` module (`ConversionError`) becomes a re-export of the runtime's;
//! - a string schema with limits (length, pattern) is a newtype whose conversions typify
//!   writes out in full for each one: `Deref`, `From<X> for String`, `FromStr`,
//!   `TryFrom<&str>`, `TryFrom<String>` and `Deserialize`, all alike but for the checks
//!   in `FromStr`. Here those checks become the type's `check` function, and the impls one
//!   `api_runtime::checked_string!(X)` line.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use quote::{ToTokens, quote};

/// Applies both rewrites to the items of the types module.
pub fn share_runtime_items(items: &mut Vec<syn::Item>) -> Result<()> {
    share_conversion_error(items)?;
    share_checked_strings(items)
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
