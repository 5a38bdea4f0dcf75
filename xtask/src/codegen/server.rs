//! Server stubs from an OpenAPI document.
//!
//! For a spec named `catalog` this writes, into `server.rs` of the generated crate:
//!
//! - `trait CatalogApi`: one required method per operation, so a service that misses an
//!   operation does not compile;
//! - per operation, a `<Operation>Response` enum with exactly one variant per declared
//!   status, and `<Operation>Path` / `<Operation>Query` structs for its parameters;
//! - `fn router`: an axum router for every path, which turns every extractor rejection
//!   (bad path, query, JSON, content type, missing bearer token) into the spec's `Error`
//!   body with a declared status before the handler runs.
//!
//! The generator also enforces the house rules the router relies on: every operation
//! declares 500, one with parameters or a body declares 400, one with a body declares 415
//! and 422, one with security declares 401, and every error body is the `Error` schema.

use anyhow::{Context, Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use openapiv3::{
    IntegerFormat, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, ReferenceOr,
    RequestBody, Response, Schema, SchemaKind, StatusCode, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// An operation as the server sees it.
struct Op {
    id: String,
    method: String,
    path: String,
    summary: String,
    path_params: Vec<Param>,
    query_params: Vec<Param>,
    body: Option<TokenStream>,
    secured: bool,
    responses: Vec<Reply>,
}

struct Param {
    name: String,
    rust_type: TokenStream,
    required: bool,
    default: Option<TokenStream>,
    checks: Vec<Check>,
}

enum Check {
    Min(i64),
    Max(i64),
    MinLength(usize),
    MaxLength(usize),
}

struct Reply {
    status: u16,
    description: String,
    body: ReplyBody,
}

enum ReplyBody {
    Empty,
    Json(TokenStream),
    Text { content_type: String },
}

pub fn generate(name: &str, spec: &OpenAPI) -> Result<TokenStream> {
    check_error_schema(spec)?;
    let ops = operations(spec)?;

    let trait_name = format_ident!("{}Api", name.to_upper_camel_case());
    let trait_methods = ops.iter().map(trait_method);
    let op_items = ops.iter().map(op_items);
    let router_fns = ops.iter().map(|op| router_fn(op, &trait_name));
    let routes = routes(&ops);
    let operations_table = ops.iter().map(|op| {
        let (method, path, id, summary) = (op.method.to_uppercase(), &op.path, &op.id, &op.summary);
        let response = type_ident(op, "Response");
        let mut parameters = Vec::new();
        if !op.path_params.is_empty() {
            let path_struct = type_ident(op, "Path");
            parameters.push(quote! { #path_struct::PARAMETERS });
        }
        if !op.query_params.is_empty() {
            let query_struct = type_ident(op, "Query");
            parameters.push(quote! { #query_struct::PARAMETERS });
        }
        quote! {
            OperationInfo {
                method: #method,
                path: #path,
                operation_id: #id,
                summary: #summary,
                parameters: &[#(#parameters),*],
                responses: #response::RESPONSES,
            }
        }
    });
    let (title, version) = (&spec.info.title, &spec.info.version);
    let trait_doc = format!(
        " Every operation of the {} API; implement it and pass it to [`router`].",
        spec.info.title
    );

    Ok(quote! {
        //! Server stubs: the handler trait, the response types and the axum router.
        use std::future::Future;

        use axum::extract::rejection::JsonRejection;
        use axum::extract::{Path, Query, State};
        use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
        use axum::response::{IntoResponse, Response};
        use axum::{Json, Router, routing};
        use serde::Deserialize;

        use crate::types;

        /// A parameter as its handler reads it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct ParameterInfo {
            /// The name on the wire.
            pub name: &'static str,
            /// `path` or `query`.
            pub location: &'static str,
            /// Whether a request must carry it (no default, not optional).
            pub required: bool,
        }

        /// An operation as [`router`] mounts it: its route, the parameters its handler
        /// reads and the statuses (with their descriptions) its response type can answer.
        #[derive(Debug, Clone, Copy)]
        pub struct OperationInfo {
            /// Upper case, as on the wire.
            pub method: &'static str,
            pub path: &'static str,
            pub operation_id: &'static str,
            pub summary: &'static str,
            /// The path parameters, then the query parameters.
            pub parameters: &'static [&'static [ParameterInfo]],
            pub responses: &'static [(u16, &'static str)],
        }

        /// Every operation [`router`] mounts, in spec order.
        pub const OPERATIONS: &[OperationInfo] = &[#(#operations_table),*];

        /// The live OpenAPI document of this server: built from [`OPERATIONS`], that is
        /// from the parameter structs and response types the handlers use, so it shows
        /// what the server does rather than repeating the spec file.
        pub fn openapi() -> utoipa::openapi::OpenApi {
            use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
            use utoipa::openapi::{InfoBuilder, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder};

            let mut paths = PathsBuilder::new();
            for op in OPERATIONS {
                let method = match op.method {
                    "GET" => HttpMethod::Get,
                    "POST" => HttpMethod::Post,
                    "PUT" => HttpMethod::Put,
                    "PATCH" => HttpMethod::Patch,
                    "DELETE" => HttpMethod::Delete,
                    "HEAD" => HttpMethod::Head,
                    "OPTIONS" => HttpMethod::Options,
                    _ => HttpMethod::Trace,
                };
                let mut operation = OperationBuilder::new()
                    .operation_id(Some(op.operation_id))
                    .summary(Some(op.summary));
                for parameter in op.parameters.iter().flat_map(|list| list.iter()) {
                    let location = if parameter.location == "path" { ParameterIn::Path } else { ParameterIn::Query };
                    let required = if parameter.required { Required::True } else { Required::False };
                    operation = operation.parameter(
                        ParameterBuilder::new().name(parameter.name).parameter_in(location).required(required),
                    );
                }
                for (status, description) in op.responses {
                    operation = operation.response(status.to_string(), ResponseBuilder::new().description(*description));
                }
                paths = paths.path(op.path, PathItem::new(method, operation));
            }
            OpenApiBuilder::new()
                .info(InfoBuilder::new().title(#title).version(#version))
                .paths(paths)
                .build()
        }

        /// What a handler knows about its request besides the parameters and body.
        #[derive(Debug, Clone)]
        pub struct RequestContext {
            /// The `x-request-id` header, which the service's middleware always sets.
            pub request_id: String,
            pub headers: HeaderMap,
        }

        impl RequestContext {
            pub fn from_headers(headers: HeaderMap) -> Self {
                let request_id = headers
                    .get("x-request-id")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                Self { request_id, headers }
            }

            /// The contract's error body for this request.
            pub fn error(&self, code: &str, message: impl Into<String>) -> types::Error {
                types::Error {
                    code: code.to_owned(),
                    message: message.into(),
                    request_id: self.request_id.clone(),
                }
            }
        }

        /// The bearer token of a request to an operation that requires one. The router
        /// answers 401 when it is missing; whether it is the right one is the handler's call.
        #[derive(Clone)]
        pub struct BearerToken(String);

        impl BearerToken {
            pub fn expose(&self) -> &str {
                &self.0
            }

            fn from_headers(headers: &HeaderMap) -> Option<Self> {
                let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
                let token = value.strip_prefix("Bearer ")?.trim();
                (!token.is_empty()).then(|| Self(token.to_owned()))
            }
        }

        impl std::fmt::Debug for BearerToken {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("BearerToken(redacted)")
            }
        }

        /// Builds an operation's response from an error status and body.
        pub trait FromError: Sized {
            /// The variant for `status`. A status the operation does not declare is a bug
            /// in the handler: it is logged and answered as the operation's 500.
            fn from_error(status: StatusCode, body: types::Error) -> Self;
        }

        #[doc = #trait_doc]
        pub trait #trait_name: Clone + Send + Sync + 'static {
            #(#trait_methods)*
        }

        #(#op_items)*

        /// The axum router for every operation, answering unknown routes and methods with
        /// the contract's error body.
        pub fn router<A: #trait_name>(api: A) -> Router {
            #routes
                .fallback(unknown_route)
                .method_not_allowed_fallback(method_not_allowed)
                .with_state(api)
        }

        async fn unknown_route(method: Method, uri: Uri, headers: HeaderMap) -> Response {
            let ctx = RequestContext::from_headers(headers);
            let body = ctx.error("route_not_found", format!("no operation is at {method} {}", uri.path()));
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }

        async fn method_not_allowed(method: Method, uri: Uri, headers: HeaderMap) -> Response {
            let ctx = RequestContext::from_headers(headers);
            let body = ctx.error("method_not_allowed", format!("{} does not accept {method}", uri.path()));
            (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
        }

        #(#router_fns)*
    })
}

fn check_error_schema(spec: &OpenAPI) -> Result<()> {
    let components = spec
        .components
        .as_ref()
        .context("the spec has no components")?;
    let error = components
        .schemas
        .get("Error")
        .context("the spec has no `Error` schema; every error response uses it")?;
    let ReferenceOr::Item(Schema {
        schema_kind: SchemaKind::Type(Type::Object(object)),
        ..
    }) = error
    else {
        bail!("the `Error` schema must be an object");
    };
    for field in ["code", "message", "request_id"] {
        if !object.properties.contains_key(field) || !object.required.iter().any(|r| r == field) {
            bail!("the `Error` schema must have a required string `{field}`");
        }
    }
    Ok(())
}

fn operations(spec: &OpenAPI) -> Result<Vec<Op>> {
    let mut ops = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            bail!("path {path}: `$ref` path items are not supported");
        };
        for (method, operation) in item.iter() {
            let op = operation_of(spec, path, method, &item.parameters, operation)
                .with_context(|| format!("{} {path}", method.to_uppercase()))?;
            ops.push(op);
        }
    }
    Ok(ops)
}

fn operation_of(
    spec: &OpenAPI,
    path: &str,
    method: &str,
    path_item_params: &[ReferenceOr<Parameter>],
    operation: &Operation,
) -> Result<Op> {
    let id = operation
        .operation_id
        .clone()
        .context("every operation needs an operationId")?;
    let mut path_params = Vec::new();
    let mut query_params = Vec::new();
    for param in path_item_params.iter().chain(&operation.parameters) {
        let param = resolve_parameter(spec, param)?;
        match param {
            Parameter::Path { parameter_data, .. } => {
                path_params.push(param_of(
                    &parameter_data.name,
                    true,
                    &parameter_data.format,
                )?);
            }
            Parameter::Query { parameter_data, .. } => {
                query_params.push(param_of(
                    &parameter_data.name,
                    parameter_data.required,
                    &parameter_data.format,
                )?);
            }
            Parameter::Header { parameter_data, .. } | Parameter::Cookie { parameter_data, .. } => {
                bail!(
                    "parameter `{}`: only path and query parameters are supported",
                    parameter_data.name
                );
            }
        }
    }

    let body = match &operation.request_body {
        None => None,
        Some(body) => Some(request_body(spec, body)?),
    };
    let secured = match &operation.security {
        Some(requirements) => !requirements.is_empty(),
        None => spec.security.as_ref().is_some_and(|r| !r.is_empty()),
    };

    let mut responses = Vec::new();
    for (status, response) in &operation.responses.responses {
        let StatusCode::Code(status) = status else {
            bail!("status ranges such as {status} are not supported; name each status");
        };
        let response = resolve_response(spec, response)?;
        let body = reply_body(response, *status)?;
        responses.push(Reply {
            status: *status,
            description: response.description.clone(),
            body,
        });
    }
    if operation.responses.default.is_some() {
        bail!("`default` responses are not supported; name each status");
    }

    let declares = |status: u16| responses.iter().any(|reply| reply.status == status);
    let mut required = vec![(500, "every operation can fail")];
    if !path_params.is_empty() || !query_params.is_empty() || body.is_some() {
        required.push((400, "it has parameters or a body that can be malformed"));
    }
    if body.is_some() {
        required.push((415, "it has a JSON body"));
        required.push((422, "it has a JSON body"));
    }
    if secured {
        required.push((401, "it requires a bearer token"));
    }
    for (status, why) in required {
        if !declares(status) {
            bail!("operation `{id}` must declare a {status} response because {why}");
        }
    }

    Ok(Op {
        id,
        method: method.to_owned(),
        path: path.to_owned(),
        summary: operation.summary.clone().unwrap_or_default(),
        path_params,
        query_params,
        body,
        secured,
        responses,
    })
}

fn resolve_parameter<'a>(
    spec: &'a OpenAPI,
    param: &'a ReferenceOr<Parameter>,
) -> Result<&'a Parameter> {
    match param {
        ReferenceOr::Item(param) => Ok(param),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/parameters/")
                .with_context(|| format!("unsupported parameter reference {reference}"))?;
            match spec
                .components
                .as_ref()
                .and_then(|c| c.parameters.get(name))
            {
                Some(ReferenceOr::Item(param)) => Ok(param),
                _ => bail!("parameter reference {reference} does not resolve"),
            }
        }
    }
}

fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Result<&'a Response> {
    match response {
        ReferenceOr::Item(response) => Ok(response),
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/responses/")
                .with_context(|| format!("unsupported response reference {reference}"))?;
            match spec.components.as_ref().and_then(|c| c.responses.get(name)) {
                Some(ReferenceOr::Item(response)) => Ok(response),
                _ => bail!("response reference {reference} does not resolve"),
            }
        }
    }
}

/// The Rust type of a schema that must be a reference to a component schema.
fn schema_ref_type(schema: &ReferenceOr<Schema>, what: &str) -> Result<TokenStream> {
    match schema {
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .with_context(|| format!("{what}: unsupported schema reference {reference}"))?;
            let ident = format_ident!("{}", name.to_upper_camel_case());
            Ok(quote! { types::#ident })
        }
        ReferenceOr::Item(_) => bail!("{what} must be a `$ref` to a component schema"),
    }
}

fn request_body(spec: &OpenAPI, body: &ReferenceOr<RequestBody>) -> Result<TokenStream> {
    let body = match body {
        ReferenceOr::Item(body) => body,
        ReferenceOr::Reference { reference } => {
            let name = reference
                .strip_prefix("#/components/requestBodies/")
                .with_context(|| format!("unsupported request body reference {reference}"))?;
            match spec
                .components
                .as_ref()
                .and_then(|c| c.request_bodies.get(name))
            {
                Some(ReferenceOr::Item(body)) => body,
                _ => bail!("request body reference {reference} does not resolve"),
            }
        }
    };
    if !body.required {
        bail!("request bodies must be `required: true`");
    }
    let media = body
        .content
        .get("application/json")
        .filter(|_| body.content.len() == 1)
        .context("a request body must have exactly one media type, application/json")?;
    let schema = media
        .schema
        .as_ref()
        .context("the request body has no schema")?;
    schema_ref_type(schema, "the request body schema")
}

fn reply_body(response: &Response, status: u16) -> Result<ReplyBody> {
    if response.content.is_empty() {
        return Ok(ReplyBody::Empty);
    }
    if response.content.len() != 1 {
        bail!("response {status} must have one media type");
    }
    let Some((content_type, media)) = response.content.iter().next() else {
        return Ok(ReplyBody::Empty);
    };
    let schema = media
        .schema
        .as_ref()
        .with_context(|| format!("response {status} has no schema"))?;
    if content_type == "application/json" {
        let rust_type = schema_ref_type(schema, &format!("response {status}"))?;
        if status >= 400 && rust_type.to_string() != quote!(types::Error).to_string() {
            bail!("error response {status} must use the `Error` schema");
        }
        return Ok(ReplyBody::Json(rust_type));
    }
    match schema {
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(_)),
            ..
        }) if status < 400 => Ok(ReplyBody::Text {
            content_type: content_type.clone(),
        }),
        _ => bail!("response {status}: a {content_type} body must be a string schema"),
    }
}

fn param_of(name: &str, required: bool, format: &ParameterSchemaOrContent) -> Result<Param> {
    let ParameterSchemaOrContent::Schema(schema) = format else {
        bail!("parameter `{name}`: `content` parameters are not supported");
    };
    let schema = match schema {
        ReferenceOr::Reference { .. } => {
            let rust_type = schema_ref_type(schema, &format!("parameter `{name}`"))?;
            return Ok(Param {
                name: name.to_owned(),
                rust_type,
                required,
                default: None,
                checks: vec![],
            });
        }
        ReferenceOr::Item(schema) => schema,
    };
    let mut checks = Vec::new();
    let rust_type = match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            if let Some(min) = string.min_length {
                checks.push(Check::MinLength(min));
            }
            if let Some(max) = string.max_length {
                checks.push(Check::MaxLength(max));
            }
            let is_uuid =
                matches!(&string.format, VariantOrUnknownOrEmpty::Unknown(f) if f == "uuid");
            if string.pattern.is_some() && !is_uuid {
                // typify enforces patterns on component schemas; an inline one would be
                // silently ignored here, so it is refused instead.
                bail!(
                    "parameter `{name}`: put patterned strings in a component schema and `$ref` it"
                );
            }
            match &string.format {
                VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => {
                    quote! { uuid::Uuid }
                }
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => {
                    quote! { chrono::DateTime<chrono::Utc> }
                }
                _ if !string.enumeration.is_empty() => {
                    bail!("parameter `{name}`: put enums in a component schema and `$ref` it")
                }
                _ => quote! { String },
            }
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            if let Some(min) = integer.minimum {
                checks.push(Check::Min(min));
            }
            if let Some(max) = integer.maximum {
                checks.push(Check::Max(max));
            }
            match &integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => quote! { i32 },
                _ => quote! { i64 },
            }
        }
        SchemaKind::Type(Type::Boolean(_)) => quote! { bool },
        _ => bail!("parameter `{name}`: only string, integer and boolean schemas (or a `$ref`)"),
    };
    let default = match &schema.schema_data.default {
        None => None,
        Some(serde_json::Value::Number(number)) => {
            let literal: TokenStream = number
                .to_string()
                .parse()
                .map_err(|_| anyhow::anyhow!("bad default"))?;
            Some(literal)
        }
        Some(serde_json::Value::Bool(value)) => Some(quote! { #value }),
        Some(serde_json::Value::String(value)) => Some(quote! { #value.to_owned() }),
        Some(other) => bail!("parameter `{name}`: unsupported default {other}"),
    };
    Ok(Param {
        name: name.to_owned(),
        rust_type,
        required,
        default,
        checks,
    })
}

fn variant_name(status: u16) -> Result<Ident> {
    let reason = axum_reason(status).with_context(|| format!("unknown status {status}"))?;
    Ok(format_ident!("{}", reason.to_upper_camel_case()))
}

/// The canonical reason phrase of a status, as `http` spells it.
fn axum_reason(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => return None,
    })
}

fn status_const(status: u16) -> Result<TokenStream> {
    let reason = axum_reason(status).with_context(|| format!("unknown status {status}"))?;
    let ident = match status {
        200 => format_ident!("OK"),
        _ => format_ident!("{}", reason.to_uppercase().replace(' ', "_")),
    };
    Ok(quote! { StatusCode::#ident })
}

fn op_ident(op: &Op) -> Ident {
    format_ident!("{}", op.id.to_snake_case())
}

fn type_ident(op: &Op, suffix: &str) -> Ident {
    format_ident!("{}{suffix}", op.id.to_upper_camel_case())
}

fn trait_method(op: &Op) -> TokenStream {
    let method = op_ident(op);
    let response = type_ident(op, "Response");
    let doc = format!(
        " {} (`{} {}`)",
        op.summary,
        op.method.to_uppercase(),
        op.path
    );
    let mut args = vec![quote! { ctx: RequestContext }];
    if op.secured {
        args.push(quote! { token: BearerToken });
    }
    if !op.path_params.is_empty() {
        let path = type_ident(op, "Path");
        args.push(quote! { path: #path });
    }
    if !op.query_params.is_empty() {
        let query = type_ident(op, "Query");
        args.push(quote! { query: #query });
    }
    if let Some(body) = &op.body {
        args.push(quote! { body: #body });
    }
    quote! {
        #[doc = #doc]
        fn #method(&self, #(#args),*) -> impl Future<Output = #response> + Send;
    }
}

/// The response enum, and the parameter structs of one operation.
fn op_items(op: &Op) -> TokenStream {
    let response = type_ident(op, "Response");
    let doc = format!(
        " The responses `{}` declares, one variant per status.",
        op.id
    );
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    let mut error_arms = Vec::new();
    let mut responses = Vec::new();
    for reply in &op.responses {
        // Statuses were checked when the operation was read.
        let (Ok(variant), Ok(status)) = (variant_name(reply.status), status_const(reply.status))
        else {
            continue;
        };
        let vdoc = format!(" {}: {}", reply.status, reply.description.trim());
        let (code, description) = (reply.status, reply.description.trim());
        responses.push(quote! { (#code, #description) });
        match &reply.body {
            ReplyBody::Empty => {
                variants.push(quote! { #[doc = #vdoc] #variant });
                arms.push(quote! { Self::#variant => #status.into_response() });
            }
            ReplyBody::Json(rust_type) => {
                variants.push(quote! { #[doc = #vdoc] #variant(#rust_type) });
                arms.push(quote! { Self::#variant(body) => (#status, Json(body)).into_response() });
                if reply.status >= 400 {
                    let code = reply.status;
                    error_arms.push(quote! { #code => Self::#variant(body) });
                }
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
    quote! {
        #path_struct
        #query_struct

        #[doc = #doc]
        #[derive(Debug)]
        pub enum #response {
            #(#variants,)*
        }

        impl #response {
            /// Every status this type can answer, with its description.
            pub const RESPONSES: &'static [(u16, &'static str)] = &[#(#responses),*];
        }

        impl IntoResponse for #response {
            fn into_response(self) -> Response {
                match self {
                    #(#arms,)*
                }
            }
        }

        impl FromError for #response {
            fn from_error(status: StatusCode, body: types::Error) -> Self {
                match status.as_u16() {
                    #(#error_arms,)*
                    other => {
                        tracing::error!(status = other, operation = #op_id, "handler answered with a status the contract does not declare");
                        Self::InternalServerError(body)
                    }
                }
            }
        }
    }
}

fn params_struct(op: &Op, ident: &Ident, params: &[Param], location: &str) -> TokenStream {
    let doc = format!(" The {location} parameters of `{}`.", op.id);
    let mut fields = Vec::new();
    let mut default_fns = Vec::new();
    let mut checks = Vec::new();
    let mut infos = Vec::new();
    for param in params {
        let field = format_ident!("{}", param.name.to_snake_case());
        let wire_name = &param.name;
        let rust_type = &param.rust_type;
        let rename = (field != param.name).then(|| quote! { #[serde(rename = #wire_name)] });
        let (field_type, default_attr, is_option) = match (&param.default, param.required) {
            (Some(value), _) => {
                let default_fn = format_ident!("default_{}_{}", op.id.to_snake_case(), field);
                let path = default_fn.to_string();
                default_fns.push(quote! { fn #default_fn() -> #rust_type { #value } });
                (
                    quote! { #rust_type },
                    quote! { #[serde(default = #path)] },
                    false,
                )
            }
            (None, true) => (quote! { #rust_type }, quote! {}, false),
            (None, false) => (quote! { Option<#rust_type> }, quote! {}, true),
        };
        fields.push(quote! { #rename #default_attr pub #field: #field_type });
        let required = param.required && param.default.is_none();
        infos.push(
            quote! { ParameterInfo { name: #wire_name, location: #location, required: #required } },
        );

        let tests: Vec<TokenStream> = param
            .checks
            .iter()
            .map(|check| match check {
                Check::Min(min) => {
                    let message = format!("{location} parameter `{wire_name}` must be at least {min}");
                    quote! { if i64::from(*value) < #min { return Err(format!("{}, got {}", #message, value)); } }
                }
                Check::Max(max) => {
                    let message = format!("{location} parameter `{wire_name}` must be at most {max}");
                    quote! { if i64::from(*value) > #max { return Err(format!("{}, got {}", #message, value)); } }
                }
                Check::MinLength(min) => {
                    let message = format!("{location} parameter `{wire_name}` must have at least {min} characters");
                    quote! { if value.chars().count() < #min { return Err(#message.to_owned()); } }
                }
                Check::MaxLength(max) => {
                    let message = format!("{location} parameter `{wire_name}` must have at most {max} characters");
                    quote! { if value.chars().count() > #max { return Err(#message.to_owned()); } }
                }
            })
            .collect();
        if !tests.is_empty() {
            checks.push(if is_option {
                quote! { if let Some(value) = &self.#field { #(#tests)* } }
            } else {
                quote! { { let value = &self.#field; #(#tests)* } }
            });
        }
    }
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Deserialize)]
        pub struct #ident {
            #(#fields,)*
        }

        impl #ident {
            /// The parameters as this struct reads them.
            pub const PARAMETERS: &'static [ParameterInfo] = &[#(#infos),*];

            /// Checks the limits the contract sets on each parameter.
            pub fn check(&self) -> Result<(), String> {
                #(#checks)*
                Ok(())
            }
        }

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
        for (i, op) in ops.iter().enumerate() {
            let method = format_ident!("{}", op.method);
            let handler = op_ident(op);
            if i == 0 {
                chain = quote! { routing::#method(#handler::<A>) };
            } else {
                chain = quote! { #chain.#method(#handler::<A>) };
            }
        }
        router = quote! { #router.route(#path, #chain) };
    }
    router
}

fn router_fn(op: &Op, trait_name: &Ident) -> TokenStream {
    let handler = op_ident(op);
    let response = type_ident(op, "Response");
    let mut extractors = vec![
        quote! { State(api): State<A> },
        quote! { headers: HeaderMap },
    ];
    let mut steps = Vec::new();
    let mut call_args = vec![quote! { ctx }];

    if op.secured {
        steps.push(quote! {
            let Some(token) = BearerToken::from_headers(&ctx.headers) else {
                let body = ctx.error("unauthorized", "this operation needs a bearer token: `Authorization: Bearer <token>`");
                return #response::Unauthorized(body).into_response();
            };
        });
        call_args.push(quote! { token });
    }
    if !op.path_params.is_empty() {
        let path_type = type_ident(op, "Path");
        extractors.push(
            quote! { path: Result<Path<#path_type>, axum::extract::rejection::PathRejection> },
        );
        steps.push(quote! {
            let path = match path {
                Ok(Path(path)) => path,
                Err(rejection) => {
                    let body = ctx.error("invalid_path", rejection.body_text());
                    return #response::BadRequest(body).into_response();
                }
            };
            if let Err(message) = path.check() {
                return #response::BadRequest(ctx.error("invalid_path", message)).into_response();
            }
        });
        call_args.push(quote! { path });
    }
    if !op.query_params.is_empty() {
        let query_type = type_ident(op, "Query");
        extractors.push(
            quote! { query: Result<Query<#query_type>, axum::extract::rejection::QueryRejection> },
        );
        steps.push(quote! {
            let query = match query {
                Ok(Query(query)) => query,
                Err(rejection) => {
                    let body = ctx.error("invalid_query", rejection.body_text());
                    return #response::BadRequest(body).into_response();
                }
            };
            if let Err(message) = query.check() {
                return #response::BadRequest(ctx.error("invalid_query", message)).into_response();
            }
        });
        call_args.push(quote! { query });
    }
    if let Some(body_type) = &op.body {
        extractors.push(quote! { body: Result<Json<#body_type>, JsonRejection> });
        steps.push(quote! {
            let body = match body {
                Ok(Json(body)) => body,
                Err(JsonRejection::MissingJsonContentType(rejection)) => {
                    let body = ctx.error("unsupported_media_type", rejection.body_text());
                    return #response::UnsupportedMediaType(body).into_response();
                }
                Err(JsonRejection::JsonDataError(rejection)) => {
                    let body = ctx.error("invalid_body", rejection.body_text());
                    return #response::UnprocessableEntity(body).into_response();
                }
                Err(rejection) => {
                    let body = ctx.error("malformed_body", rejection.body_text());
                    return #response::BadRequest(body).into_response();
                }
            };
        });
        call_args.push(quote! { body });
    }
    quote! {
        async fn #handler<A: #trait_name>(#(#extractors),*) -> Response {
            let ctx = RequestContext::from_headers(headers);
            #(#steps)*
            api.#handler(#(#call_args),*).await.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_follow_reason_phrases() {
        let name = |status| variant_name(status).map(|ident| ident.to_string()).ok();
        assert_eq!(name(200).as_deref(), Some("Ok"));
        assert_eq!(name(204).as_deref(), Some("NoContent"));
        assert_eq!(name(422).as_deref(), Some("UnprocessableEntity"));
        assert_eq!(name(599), None);
    }

    #[test]
    fn status_constants_match_http() {
        assert_eq!(
            status_const(200).map(|t| t.to_string()).ok().as_deref(),
            Some("StatusCode :: OK")
        );
        assert_eq!(
            status_const(415).map(|t| t.to_string()).ok().as_deref(),
            Some("StatusCode :: UNSUPPORTED_MEDIA_TYPE")
        );
    }
}
