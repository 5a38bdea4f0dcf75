//! The last stage: server stubs emitted from the model. For a spec named `catalog` this
//! writes, into `server.rs` of the generated crate:
//!
//! - `trait CatalogApi`: one required method per operation, so a service that misses an
//!   operation does not compile; each returns `Result<<Operation>Response, ServiceError>`;
//! - per operation, a `<Operation>Response` enum with one variant per declared success
//!   status, the error statuses it declares (`api_runtime::Operation::ERRORS`), and
//!   `<Operation>Path` / `<Operation>Query` / `<Operation>Headers` structs for its
//!   parameters with their limits;
//! - `fn router`: an axum router for every operation, whose extractors (from
//!   `api-runtime`) answer every malformed request with the contract's `Error` body before
//!   the handler runs;
//! - `OPENAPI_JSON`: the spec itself, as JSON, which the service serves as its live
//!   document.
//!
//! Everything that is the same for every spec lives in `api-runtime`, not here.

use anyhow::Result;
use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use http::StatusCode;
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::model::{Api, Limit, Op, Param, ParamKind, ReplyBody};

pub fn generate(name: &str, api: &Api) -> Result<TokenStream> {
    let trait_name = format_ident!("{}Api", name.to_upper_camel_case());
    let trait_methods = api.ops.iter().map(trait_method);
    let op_items = api.ops.iter().map(op_items);
    let handlers = api.ops.iter().map(|op| handler(op, &trait_name));
    let routes = routes(&api.ops);
    let trait_doc = format!(
        " Every operation of the {} API; implement it and pass it to [`router`].",
        api.title
    );

    Ok(quote! {
        //! Server stubs: the handler trait, the response types and the axum router.
        #![cfg(feature = "server")]
        #![cfg_attr(rustfmt, rustfmt::skip)]

        use std::future::Future;

        use api_runtime::extract::{self, Validate};
        use api_runtime::{BearerToken, RequestContext, ServiceError};
        use axum::extract::State;
        use axum::http::{StatusCode, header};
        use axum::response::{IntoResponse, Response};
        use axum::{Json, Router, routing};
        use serde::Deserialize;

        use crate::types;

        /// The spec this server implements, as JSON: the live document the service serves.
        pub const OPENAPI_JSON: &str = include_str!("openapi.json");

        #[doc = #trait_doc]
        pub trait #trait_name: Clone + Send + Sync + 'static {
            #(#trait_methods)*
        }

        #(#op_items)*

        /// The axum router for every operation; unknown routes and methods are answered
        /// with the contract's error body.
        pub fn router<A: #trait_name>(api: A) -> Router {
            #routes
                .fallback(api_runtime::fallback)
                .method_not_allowed_fallback(api_runtime::method_not_allowed)
                .with_state(api)
        }

        #(#handlers)*
    })
}

/// `StatusCode::CREATED` for 201: `http`'s constant, named from the canonical reason.
fn status_const(status: StatusCode) -> TokenStream {
    let reason = status
        .canonical_reason()
        .unwrap_or_default()
        .replace('\'', "");
    let ident = format_ident!("{}", reason.to_shouty_snake_case());
    quote! { StatusCode::#ident }
}

/// `Created` for 201.
fn variant_name(status: StatusCode) -> Ident {
    let reason = status
        .canonical_reason()
        .unwrap_or_default()
        .replace('\'', "");
    format_ident!("{}", reason.to_upper_camel_case())
}

pub(super) fn op_ident(op: &Op) -> Ident {
    format_ident!("{}", op.id.to_snake_case())
}

pub(super) fn type_ident(op: &Op, suffix: &str) -> Ident {
    format_ident!("{}{suffix}", op.id.to_upper_camel_case())
}

pub(super) fn schema_type(name: &str) -> TokenStream {
    let ident = format_ident!("{}", name.to_upper_camel_case());
    quote! { types::#ident }
}

/// The handler method's arguments, in the order the router extracts them: each one's
/// name, type, and the extractor the router reads it with.
fn arguments(op: &Op) -> Vec<(Ident, TokenStream, TokenStream)> {
    let mut args = Vec::new();
    if op.secured {
        let ty = quote! { BearerToken };
        args.push((format_ident!("token"), ty.clone(), quote! { token: #ty }));
    }
    if !op.path_params.is_empty() {
        let ty = type_ident(op, "Path");
        let extractor = quote! { extract::Path(path): extract::Path<#ty> };
        args.push((format_ident!("path"), quote! { #ty }, extractor));
    }
    if !op.query_params.is_empty() {
        let ty = type_ident(op, "Query");
        let extractor = quote! { extract::Query(query): extract::Query<#ty> };
        args.push((format_ident!("query"), quote! { #ty }, extractor));
    }
    if !op.header_params.is_empty() {
        let ty = type_ident(op, "Headers");
        let extractor = quote! { extract::Headers(headers): extract::Headers<#ty> };
        args.push((format_ident!("headers"), quote! { #ty }, extractor));
    }
    if let Some(body) = &op.body {
        let ty = schema_type(body);
        let extractor = quote! { extract::Json(body): extract::Json<#ty> };
        args.push((format_ident!("body"), ty, extractor));
    }
    args
}

fn trait_method(op: &Op) -> TokenStream {
    let method = op_ident(op);
    let response = type_ident(op, "Response");
    let doc = format!(" {} (`{} {}`)", op.summary, op.method, op.path);
    let args = arguments(op)
        .into_iter()
        .map(|(name, ty, _)| quote! { #name: #ty });
    quote! {
        #[doc = #doc]
        fn #method(&self, #(#args),*) -> impl Future<Output = Result<#response, ServiceError>> + Send;
    }
}

/// The parameter structs and the response enum of one operation.
fn op_items(op: &Op) -> TokenStream {
    let response = type_ident(op, "Response");
    let doc = format!(
        " The successful answers of `{}`, one variant per declared 2xx status; its errors are a [`ServiceError`] with one of the statuses in `ERRORS`.",
        op.id
    );
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut errors = Vec::new();
    for reply in &op.replies {
        if !reply.status.is_success() {
            errors.push(reply.status.as_u16());
            continue;
        }
        let status = status_const(reply.status);
        let variant = variant_name(reply.status);
        let vdoc = format!(" {}: {}", reply.status.as_u16(), reply.description);
        match &reply.body {
            ReplyBody::Empty => {
                variants.push(quote! { #[doc = #vdoc] #variant });
                arms.push(quote! { Self::#variant => #status.into_response() });
            }
            ReplyBody::Json(schema) => {
                let rust_type = schema_type(schema);
                variants.push(quote! { #[doc = #vdoc] #variant(#rust_type) });
                arms.push(quote! { Self::#variant(body) => (#status, Json(body)).into_response() });
            }
            ReplyBody::Text { content_type } => {
                variants.push(quote! { #[doc = #vdoc] #variant(String) });
                arms.push(quote! {
                    Self::#variant(body) => (#status, [(header::CONTENT_TYPE, #content_type)], body).into_response()
                });
            }
        }
    }
    let op_id = &op.id;
    let path_struct = (!op.path_params.is_empty())
        .then(|| params_struct(op, &type_ident(op, "Path"), &op.path_params, "path"));
    let query_struct = (!op.query_params.is_empty())
        .then(|| params_struct(op, &type_ident(op, "Query"), &op.query_params, "query"));
    let headers_struct = (!op.header_params.is_empty())
        .then(|| params_struct(op, &type_ident(op, "Headers"), &op.header_params, "header"));
    quote! {
        #path_struct
        #query_struct
        #headers_struct

        #[doc = #doc]
        #[derive(Debug)]
        pub enum #response {
            #(#variants,)*
        }

        impl IntoResponse for #response {
            fn into_response(self) -> Response {
                match self {
                    #(#arms,)*
                }
            }
        }

        impl api_runtime::Operation for #response {
            const ID: &'static str = #op_id;
            const ERRORS: &'static [u16] = &[#(#errors),*];
        }
    }
}

pub(super) fn param_type(kind: &ParamKind) -> TokenStream {
    match kind {
        ParamKind::Schema(name) => schema_type(name),
        ParamKind::Uuid => quote! { uuid::Uuid },
        ParamKind::DateTime => quote! { chrono::DateTime<chrono::Utc> },
        ParamKind::String => quote! { String },
        ParamKind::Int32 => quote! { i32 },
        ParamKind::Int64 => quote! { i64 },
        ParamKind::Bool => quote! { bool },
    }
}

fn default_value(value: &serde_json::Value) -> TokenStream {
    match value {
        serde_json::Value::String(text) => quote! { #text.to_owned() },
        // The model checked that a default fits its parameter's type.
        other => other.to_string().parse().unwrap_or_default(),
    }
}

/// The check of one limit on `value`, returning the message for the caller.
fn limit_check(limit: Limit, location: &str, name: &str) -> TokenStream {
    match limit {
        Limit::Min(min) => {
            let message = format!("{location} parameter `{name}` must be at least {min}");
            quote! { if i64::from(*value) < #min { return Err(format!("{}, got {}", #message, value)); } }
        }
        Limit::Max(max) => {
            let message = format!("{location} parameter `{name}` must be at most {max}");
            quote! { if i64::from(*value) > #max { return Err(format!("{}, got {}", #message, value)); } }
        }
        Limit::MinLength(min) => {
            let message =
                format!("{location} parameter `{name}` must have at least {min} characters");
            quote! { if value.chars().count() < #min { return Err(#message.to_owned()); } }
        }
        Limit::MaxLength(max) => {
            let message =
                format!("{location} parameter `{name}` must have at most {max} characters");
            quote! { if value.chars().count() > #max { return Err(#message.to_owned()); } }
        }
    }
}

fn params_struct(op: &Op, ident: &Ident, params: &[Param], location: &str) -> TokenStream {
    let doc = format!(" The {location} parameters of `{}`.", op.id);
    let mut fields = Vec::new();
    let mut default_fns = Vec::new();
    let mut checks = Vec::new();
    for param in params {
        let field = format_ident!("{}", param.name.to_snake_case());
        let wire_name = &param.name;
        // The runtime reads headers by their lower-case names (HTTP's names are not
        // case-sensitive; `http` keeps them in lower case).
        let key = if location == "header" {
            param.name.to_ascii_lowercase()
        } else {
            param.name.clone()
        };
        let rust_type = param_type(&param.kind);
        let rename = (field != key).then(|| quote! { #[serde(rename = #key)] });
        let (field_type, default_attr) = match (&param.default, param.required) {
            (Some(value), _) => {
                let default_fn = format_ident!("default_{}_{}", op.id.to_snake_case(), field);
                let path = default_fn.to_string();
                let value = default_value(value);
                default_fns.push(quote! { fn #default_fn() -> #rust_type { #value } });
                (quote! { #rust_type }, quote! { #[serde(default = #path)] })
            }
            (None, true) => (quote! { #rust_type }, quote! {}),
            (None, false) => (quote! { Option<#rust_type> }, quote! {}),
        };
        fields.push(quote! { #rename #default_attr pub #field: #field_type });

        let tests: Vec<TokenStream> = param
            .limits
            .iter()
            .map(|limit| limit_check(*limit, location, wire_name))
            .collect();
        if !tests.is_empty() {
            checks.push(if param.default.is_none() && !param.required {
                quote! { if let Some(value) = &self.#field { #(#tests)* } }
            } else {
                quote! { { let value = &self.#field; #(#tests)* } }
            });
        }
    }
    let validate = if checks.is_empty() {
        quote! { impl Validate for #ident {} }
    } else {
        quote! {
            impl Validate for #ident {
                fn validate(&self) -> Result<(), String> {
                    #(#checks)*
                    Ok(())
                }
            }
        }
    };
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Deserialize)]
        pub struct #ident {
            #(#fields,)*
        }

        #validate

        #(#default_fns)*
    }
}

fn routes(ops: &[Op]) -> TokenStream {
    let mut paths: Vec<(&str, Vec<&Op>)> = Vec::new();
    for op in ops {
        match paths.iter_mut().find(|(path, _)| *path == op.path) {
            Some((_, list)) => list.push(op),
            None => paths.push((&op.path, vec![op])),
        }
    }
    let mut router = quote! { Router::new() };
    for (path, ops) in paths {
        let mut chain = TokenStream::new();
        for op in ops {
            let method = format_ident!("{}", op.method.as_str().to_lowercase());
            let handler = op_ident(op);
            chain = if chain.is_empty() {
                quote! { routing::#method(#handler::<A>) }
            } else {
                quote! { #chain.#method(#handler::<A>) }
            };
        }
        router = quote! { #router.route(#path, #chain) };
    }
    router
}

/// The axum handler of one operation: the runtime's extractors, then the trait method,
/// then the runtime's answer.
fn handler(op: &Op, trait_name: &Ident) -> TokenStream {
    let name = op_ident(op);
    let mut extractors = vec![
        quote! { State(api): State<A> },
        quote! { ctx: RequestContext },
    ];
    let mut call = Vec::new();
    for (arg, _, extractor) in arguments(op) {
        extractors.push(extractor);
        call.push(arg);
    }
    quote! {
        async fn #name<A: #trait_name>(#(#extractors),*) -> Response {
            api_runtime::respond(&ctx, api.#name(#(#call),*).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_http_reason_phrases() {
        let name = |code| variant_name(StatusCode::from_u16(code).expect("a status")).to_string();
        assert_eq!(name(200), "Ok");
        assert_eq!(name(204), "NoContent");
        assert_eq!(name(422), "UnprocessableEntity");
        let constant =
            |code| status_const(StatusCode::from_u16(code).expect("a status")).to_string();
        assert_eq!(constant(200), "StatusCode :: OK");
        assert_eq!(constant(415), "StatusCode :: UNSUPPORTED_MEDIA_TYPE");
        assert_eq!(constant(418), "StatusCode :: IM_A_TEAPOT");
    }
}
