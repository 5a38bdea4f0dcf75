//! The client emitted from the model, into `client.rs` of the generated crate:
//!
//! - `Client`, declared by `api_runtime::client!` with the spec's title and description;
//! - per operation, a method on `Client` that holds the operation's `Endpoint` (method,
//!   path, required arguments, declared statuses) and returns its builder;
//! - per operation, `builder::<Operation>`: one setter per parameter (and `body`), each
//!   taking anything that converts to the contract type, and `send`, which answers with
//!   the declared success body or the contract's `Error`.
//!
//! The calling, converting and sorting of answers is `api_runtime::client::Call`, the same
//! for every spec; what is written here is only what the spec says.

use anyhow::{Result, bail};
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::model::{Api, Op, Param, ReplyBody};
use super::server::{op_ident, param_type, schema_type, type_ident};

/// Where a parameter goes in the request.
#[derive(Clone, Copy)]
enum Place {
    Path,
    Query,
    Header,
}

pub fn generate(api: &Api, description: &str) -> Result<TokenStream> {
    let doc = format!(
        " A client of the {} API.\n\n{}",
        api.title,
        indent(description)
    );
    let methods = api.ops.iter().map(method).collect::<Result<Vec<_>>>()?;
    let builders = api.ops.iter().map(builder).collect::<Result<Vec<_>>>()?;
    Ok(quote! {
        //! A typed client for every operation, over `api_runtime::client`.
        #![cfg(feature = "client")]
        #![cfg_attr(rustfmt, rustfmt::skip)]

        pub use api_runtime::client::{ByteStream, Error, ResponseValue};
        /// Runs on every request the client sends, to add headers such as W3C trace
        /// context.
        pub use api_runtime::HeaderHook;

        pub use crate::types;

        api_runtime::client! {
            #[doc = #doc]
        }

        impl Client {
            #(#methods)*
        }

        /// A builder per operation: set the arguments, then `send`.
        pub mod builder {
            use api_runtime::client::{Arg, ByteStream, Call, Error, ResponseValue};

            use super::types;

            #(#builders)*
        }
    })
}

/// `Client::<operation>`: the operation's endpoint and a builder for it.
fn method(op: &Op) -> Result<TokenStream> {
    let name = op_ident(op);
    let builder = type_ident(op, "");
    let method = format_ident!("{}", op.method.as_str());
    let path = &op.path;
    let required = op
        .query_params
        .iter()
        .chain(&op.header_params)
        .filter(|param| param.required)
        .map(|param| param.name.to_lowercase())
        .chain(op.body.as_ref().map(|_| "body".to_owned()));
    let (successes, errors): (Vec<_>, Vec<_>) = op
        .replies
        .iter()
        .map(|reply| reply.status.as_u16())
        .partition(|status| (200..300).contains(status));
    if successes.is_empty() {
        bail!("{}: no success status", op.id);
    }
    let mut doc = format!(" {}\n\n`{} {}`", op.summary, op.method, op.path);
    if !op.description.is_empty() {
        doc.push_str(&format!("\n\n{}", indent(&op.description)));
    }
    Ok(quote! {
        #[doc = #doc]
        pub fn #name(&self) -> builder::#builder<'_> {
            static ENDPOINT: api_runtime::client::Endpoint = api_runtime::client::Endpoint {
                method: api_runtime::client::Method::#method,
                path: #path,
                required: &[#(#required),*],
                successes: &[#(#successes),*],
                errors: &[#(#errors),*],
            };
            builder::#builder(self.0.call(&ENDPOINT))
        }
    })
}

/// `builder::<Operation>`: a setter per argument and `send`.
fn builder(op: &Op) -> Result<TokenStream> {
    let name = type_ident(op, "");
    let method = op_ident(op);
    let setters = op
        .path_params
        .iter()
        .map(|param| setter(param, Place::Path))
        .chain(
            op.query_params
                .iter()
                .map(|param| setter(param, Place::Query)),
        )
        .chain(
            op.header_params
                .iter()
                .map(|param| setter(param, Place::Header)),
        );
    let body = op.body.as_deref().map(|schema| {
        let ty = schema_type(schema);
        quote! {
            /// The request body.
            pub fn body(self, value: impl Arg<#ty>) -> Self {
                Self(self.0.body::<#ty>(value))
            }
        }
    });
    let send = send(op)?;
    let doc = format!(
        " A call of [`Client::{method}`](super::Client::{method}): set its arguments, then \
         [`send`](Self::send) it."
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Debug)]
        pub struct #name<'a>(pub(super) Call<'a>);

        impl #name<'_> {
            #(#setters)*
            #body
            #send
        }
    })
}

fn setter(param: &Param, place: Place) -> TokenStream {
    let name = format_ident!("{}", param.name.to_snake_case());
    let ty = param_type(&param.kind);
    let (call, wire) = match place {
        Place::Path => (quote! { path }, param.name.clone()),
        Place::Query => (quote! { query }, param.name.clone()),
        Place::Header => (quote! { header }, param.name.to_lowercase()),
    };
    let doc = if param.description.is_empty() {
        format!(" `{}`.", param.name)
    } else {
        format!(" {}", indent(&param.description))
    };
    quote! {
        #[doc = #doc]
        pub fn #name(self, value: impl Arg<#ty>) -> Self {
            Self(self.0.#call::<#ty>(#wire, value))
        }
    }
}

/// `send`: the success is read by its media type; every success status of an operation
/// must have the same body.
fn send(op: &Op) -> Result<TokenStream> {
    let mut bodies = op
        .replies
        .iter()
        .filter(|reply| reply.status.is_success())
        .map(|reply| &reply.body);
    let first = bodies.next();
    if bodies.any(|body| Some(body) != first) {
        bail!("{}: every success status must have the same body", op.id);
    }
    let (ty, read) = match first {
        Some(ReplyBody::Json(schema)) => (schema_type(schema), quote! { json }),
        Some(ReplyBody::Text { .. }) => (quote! { ByteStream }, quote! { stream }),
        Some(ReplyBody::Empty) | None => (quote! { () }, quote! { empty }),
    };
    Ok(quote! {
        /// Sends the call.
        pub async fn send(self) -> Result<ResponseValue<#ty>, Error<types::Error>> {
            self.0.#read().await
        }
    })
}

/// A doc comment's later lines start with a space, as `///` lines do.
fn indent(text: &str) -> String {
    text.trim().lines().collect::<Vec<_>>().join("\n ")
}
