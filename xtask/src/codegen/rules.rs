//! The second stage: the house rules the generated router relies on, checked on the model.
//! The runtime answers malformed requests with fixed statuses (`api_runtime::extract`),
//! so every operation must declare them, and every error body must be the `Error` schema
//! that the runtime's `ErrorBody` serializes as.

use anyhow::{Context, Result, bail};
use http::StatusCode;
use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use super::model::{Api, Op, ReplyBody};

/// Checks `api` (read from `spec`) against every house rule; the first broken rule is the
/// error, in words that say what to change.
pub fn check(spec: &OpenAPI, api: &Api) -> Result<()> {
    check_error_schema(spec)?;
    for op in &api.ops {
        check_operation(op).with_context(|| format!("{} {}", op.method, op.path))?;
    }
    Ok(())
}

fn check_error_schema(spec: &OpenAPI) -> Result<()> {
    let error = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get("Error"))
        .context("the spec has no `Error` schema; every error response uses it")?;
    let ReferenceOr::Item(Schema {
        schema_kind: SchemaKind::Type(Type::Object(object)),
        ..
    }) = error
    else {
        bail!("the `Error` schema must be an object");
    };
    for field in ["code", "message", "request_id"] {
        let is_string = matches!(
            object.properties.get(field),
            Some(ReferenceOr::Item(schema)) if matches!(schema.schema_kind, SchemaKind::Type(Type::String(_)))
        );
        if !is_string || !object.required.iter().any(|r| r == field) {
            bail!("the `Error` schema must have a required string `{field}`");
        }
    }
    Ok(())
}

fn check_operation(op: &Op) -> Result<()> {
    let id = &op.id;
    let mut required = vec![
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "every operation can fail",
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "every service sheds load and ends requests that outlive their deadline \
             (`platform::overload`)",
        ),
    ];
    let has_params =
        !(op.path_params.is_empty() && op.query_params.is_empty() && op.header_params.is_empty());
    if has_params || op.body.is_some() {
        required.push((
            StatusCode::BAD_REQUEST,
            "it has parameters or a body that can be malformed",
        ));
    }
    if op.body.is_some() {
        required.push((StatusCode::UNSUPPORTED_MEDIA_TYPE, "it has a JSON body"));
        required.push((StatusCode::UNPROCESSABLE_ENTITY, "it has a JSON body"));
    }
    if op.secured {
        required.push((StatusCode::UNAUTHORIZED, "it requires a bearer token"));
        required.push((
            StatusCode::TOO_MANY_REQUESTS,
            "it requires a bearer token, and wrong tokens are limited (`platform::admin`)",
        ));
    }
    for (status, why) in required {
        if !op.replies.iter().any(|reply| reply.status == status) {
            bail!(
                "operation `{id}` must declare a {} response because {why}",
                status.as_u16()
            );
        }
    }
    for reply in &op.replies {
        let code = reply.status.as_u16();
        let is_error = reply.status.is_client_error() || reply.status.is_server_error();
        match &reply.body {
            ReplyBody::Json(schema) if is_error && schema != "Error" => {
                bail!("operation `{id}`: error response {code} must use the `Error` schema")
            }
            ReplyBody::Empty | ReplyBody::Text { .. } if is_error => {
                bail!("operation `{id}`: error response {code} must have the `Error` body")
            }
            _ if !is_error && !reply.status.is_success() => {
                bail!("operation `{id}`: response {code} is neither a success nor an error")
            }
            _ => {}
        }
    }
    if !op.replies.iter().any(|reply| reply.status.is_success()) {
        bail!("operation `{id}` declares no success response");
    }
    Ok(())
}
