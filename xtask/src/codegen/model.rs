//! The first stage of generation: an OpenAPI document read into the small model that the
//! server and client emitters need. Everything the generator cannot honour is an error here, with the place
//! in the spec it comes from; nothing is skipped.

use anyhow::{Context, Result, bail};
use http::{Method, StatusCode};
use openapiv3::{
    Components, IntegerFormat, OpenAPI, Operation, Parameter, ParameterData,
    ParameterSchemaOrContent, ReferenceOr, RequestBody, Response, Schema, SchemaKind,
    SecurityScheme, StringFormat, Type, VariantOrUnknownOrEmpty,
};

/// The operations of one spec, in spec order.
#[derive(Debug)]
pub struct Api {
    pub title: String,
    pub ops: Vec<Op>,
}

/// An operation as the server and the client see it.
#[derive(Debug)]
pub struct Op {
    pub id: String,
    pub method: Method,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub path_params: Vec<Param>,
    pub query_params: Vec<Param>,
    /// Header parameters, each a string (`Idempotency-Key`, for example).
    pub header_params: Vec<Param>,
    /// The component schema of the JSON request body.
    pub body: Option<String>,
    /// Whether the operation needs a bearer token.
    pub secured: bool,
    pub replies: Vec<Reply>,
}

#[derive(Debug)]
pub struct Param {
    pub name: String,
    pub description: String,
    pub kind: ParamKind,
    pub required: bool,
    pub default: Option<serde_json::Value>,
    pub limits: Vec<Limit>,
}

/// The Rust type a parameter reads into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamKind {
    /// A `$ref` to a component schema, by name.
    Schema(String),
    Uuid,
    DateTime,
    String,
    Int32,
    Int64,
    Bool,
}

/// A limit the spec sets on a parameter, checked after it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Min(i64),
    Max(i64),
    MinLength(usize),
    MaxLength(usize),
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub description: String,
    pub body: ReplyBody,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ReplyBody {
    Empty,
    /// A component schema, by name.
    Json(String),
    /// A string body of another media type, such as `image/svg+xml`.
    Text {
        content_type: String,
    },
}

/// Reads every operation of `spec`.
pub fn read(spec: &OpenAPI) -> Result<Api> {
    let mut ops = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            bail!("path {path}: `$ref` path items are not supported");
        };
        for (method, operation) in item.iter() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes())
                .with_context(|| format!("{path}: unknown method {method}"))?;
            let op = read_operation(spec, path, method.clone(), &item.parameters, operation)
                .with_context(|| format!("{method} {path}"))?;
            ops.push(op);
        }
    }
    Ok(Api {
        title: spec.info.title.clone(),
        ops,
    })
}

fn read_operation(
    spec: &OpenAPI,
    path: &str,
    method: Method,
    path_item_params: &[ReferenceOr<Parameter>],
    operation: &Operation,
) -> Result<Op> {
    let id = operation
        .operation_id
        .clone()
        .context("every operation needs an operationId")?;
    let mut path_params = Vec::new();
    let mut query_params = Vec::new();
    let mut header_params = Vec::new();
    for param in path_item_params.iter().chain(&operation.parameters) {
        match resolve(spec, param)? {
            // A path parameter is always required, whatever the spec says.
            Parameter::Path { parameter_data, .. } => {
                path_params.push(Param {
                    required: true,
                    ..read_param(spec, parameter_data)?
                });
            }
            Parameter::Query { parameter_data, .. } => {
                query_params.push(read_param(spec, parameter_data)?);
            }
            Parameter::Header { parameter_data, .. } => {
                let param = read_param(spec, parameter_data)?;
                // Header values are text: a number or a flag would need parsing rules of
                // its own, which no spec has needed.
                let is_text = match &param.kind {
                    ParamKind::Int32 | ParamKind::Int64 | ParamKind::Bool => false,
                    ParamKind::Schema(name) => is_string_schema(spec, name),
                    ParamKind::Uuid | ParamKind::DateTime | ParamKind::String => true,
                };
                if !is_text {
                    bail!("header parameter `{}` must be a string", param.name);
                }
                header_params.push(param);
            }
            Parameter::Cookie { parameter_data, .. } => {
                bail!(
                    "parameter `{}`: cookie parameters are not supported",
                    parameter_data.name
                );
            }
        }
    }

    let body = match &operation.request_body {
        None => None,
        Some(body) => Some(read_request_body(spec, resolve(spec, body)?)?),
    };
    let requirements = operation.security.as_ref().or(spec.security.as_ref());
    let mut secured = false;
    for scheme in requirements.into_iter().flatten().flat_map(|r| r.keys()) {
        check_bearer_scheme(spec, scheme)?;
        secured = true;
    }

    if operation.responses.default.is_some() {
        bail!("`default` responses are not supported; name each status");
    }
    let mut replies = Vec::new();
    for (status, response) in &operation.responses.responses {
        let openapiv3::StatusCode::Code(code) = status else {
            bail!("status ranges such as {status} are not supported; name each status");
        };
        let status = StatusCode::from_u16(*code)
            .ok()
            .filter(|status| status.canonical_reason().is_some())
            .with_context(|| format!("{code} is not a status with a name"))?;
        let response = resolve(spec, response)?;
        replies.push(Reply {
            status,
            description: response.description.trim().to_owned(),
            body: read_reply_body(spec, response, status)?,
        });
    }

    Ok(Op {
        id,
        method,
        path: path.to_owned(),
        summary: operation.summary.clone().unwrap_or_default(),
        description: operation
            .description
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        path_params,
        query_params,
        header_params,
        body,
        secured,
        replies,
    })
}

/// Whether the component schema `name` is a string (with a format, pattern or enum).
fn is_string_schema(spec: &OpenAPI, name: &str) -> bool {
    let schema = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get(name));
    matches!(
        schema,
        Some(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(_)),
            ..
        }))
    )
}

/// A named security scheme, which must be HTTP bearer: the only kind the runtime reads.
fn check_bearer_scheme(spec: &OpenAPI, name: &str) -> Result<()> {
    let scheme = spec
        .components
        .as_ref()
        .and_then(|c| c.security_schemes.get(name))
        .with_context(|| format!("security scheme `{name}` is not in components"))?;
    match scheme {
        ReferenceOr::Item(SecurityScheme::HTTP { scheme, .. })
            if scheme.eq_ignore_ascii_case("bearer") =>
        {
            Ok(())
        }
        _ => bail!("security scheme `{name}`: only `type: http, scheme: bearer` is supported"),
    }
}

/// A kind of component that `$ref`s can point at.
pub trait Component: Sized {
    const PREFIX: &'static str;
    fn get<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>>;
}

macro_rules! component {
    ($type:ty, $prefix:literal, $field:ident) => {
        impl Component for $type {
            const PREFIX: &'static str = $prefix;
            fn get<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>> {
                components.$field.get(name)
            }
        }
    };
}

component!(Parameter, "#/components/parameters/", parameters);
component!(Response, "#/components/responses/", responses);
component!(RequestBody, "#/components/requestBodies/", request_bodies);
component!(Schema, "#/components/schemas/", schemas);

/// The component a reference names, checked to exist.
pub fn component_name<T: Component>(spec: &OpenAPI, reference: &str) -> Result<String> {
    let name = reference
        .strip_prefix(T::PREFIX)
        .with_context(|| format!("`{reference}` is not a reference to {}", T::PREFIX))?;
    let exists = spec
        .components
        .as_ref()
        .is_some_and(|components| T::get(components, name).is_some());
    if !exists {
        bail!("`{reference}` does not resolve");
    }
    Ok(name.to_owned())
}

/// The one `$ref` resolver: an item as it is, a reference followed into components
/// (one level; a reference to a reference is refused).
pub fn resolve<'a, T: Component>(spec: &'a OpenAPI, item: &'a ReferenceOr<T>) -> Result<&'a T> {
    match item {
        ReferenceOr::Item(item) => Ok(item),
        ReferenceOr::Reference { reference } => {
            let name = component_name::<T>(spec, reference)?;
            match spec.components.as_ref().and_then(|c| T::get(c, &name)) {
                Some(ReferenceOr::Item(item)) => Ok(item),
                _ => bail!("`{reference}` points at another reference"),
            }
        }
    }
}

/// The component schema a body or parameter refers to; an inline schema is refused, so
/// the type comes from typify with every rule it enforces.
fn schema_name(spec: &OpenAPI, schema: &ReferenceOr<Schema>, what: &str) -> Result<String> {
    match schema {
        ReferenceOr::Reference { reference } => {
            component_name::<Schema>(spec, reference).with_context(|| what.to_owned())
        }
        ReferenceOr::Item(_) => bail!("{what} must be a `$ref` to a component schema"),
    }
}

fn read_request_body(spec: &OpenAPI, body: &RequestBody) -> Result<String> {
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
    schema_name(spec, schema, "the request body schema")
}

fn read_reply_body(spec: &OpenAPI, response: &Response, status: StatusCode) -> Result<ReplyBody> {
    let code = status.as_u16();
    for header in response.headers.keys() {
        // A 503's `Retry-After` is added by the service's middleware (`platform::http`,
        // or the service's own `retry_after_on_unavailable`), a 429's by the handler's error
        // (`ServiceError::with_retry_after`); no other header is.
        let says_when = matches!(
            status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
        );
        if !(header.eq_ignore_ascii_case("retry-after") && says_when) {
            bail!(
                "response {code}: header `{header}` is not supported (only the Retry-After of a 429 or a 503)"
            );
        }
    }
    let mut content = response.content.iter();
    let Some((content_type, media)) = content.next() else {
        return Ok(ReplyBody::Empty);
    };
    if content.next().is_some() {
        bail!("response {code} must have one media type");
    }
    let schema = media
        .schema
        .as_ref()
        .with_context(|| format!("response {code} has no schema"))?;
    if content_type == "application/json" {
        let name = schema_name(spec, schema, &format!("the schema of response {code}"))?;
        return Ok(ReplyBody::Json(name));
    }
    match schema {
        ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(_)),
            ..
        }) if status.is_success() => Ok(ReplyBody::Text {
            content_type: content_type.clone(),
        }),
        _ => bail!("response {code}: a {content_type} body must be a string schema of a 2xx"),
    }
}

fn read_param(spec: &OpenAPI, data: &ParameterData) -> Result<Param> {
    let name = data.name.as_str();
    let required = data.required;
    let description = data
        .description
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let ParameterSchemaOrContent::Schema(schema) = &data.format else {
        bail!("parameter `{name}`: `content` parameters are not supported");
    };
    let schema = match schema {
        ReferenceOr::Reference { .. } => {
            let kind =
                ParamKind::Schema(schema_name(spec, schema, &format!("parameter `{name}`"))?);
            return Ok(Param {
                name: name.to_owned(),
                description,
                kind,
                required,
                default: None,
                limits: vec![],
            });
        }
        ReferenceOr::Item(schema) => schema,
    };
    let mut limits = Vec::new();
    let kind = match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => {
            limits.extend(string.min_length.map(Limit::MinLength));
            limits.extend(string.max_length.map(Limit::MaxLength));
            if !string.enumeration.is_empty() {
                bail!("parameter `{name}`: put enums in a component schema and `$ref` it");
            }
            let kind = match &string.format {
                VariantOrUnknownOrEmpty::Empty => ParamKind::String,
                VariantOrUnknownOrEmpty::Unknown(format) if format == "uuid" => ParamKind::Uuid,
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => ParamKind::DateTime,
                other => bail!("parameter `{name}`: string format {other:?} is not supported"),
            };
            // A uuid's pattern only restates its format, which parsing enforces; any other
            // pattern would not be checked here, so it must live in a component schema,
            // where typify enforces it.
            if string.pattern.is_some() && kind != ParamKind::Uuid {
                bail!(
                    "parameter `{name}`: put patterned strings in a component schema and `$ref` it"
                );
            }
            kind
        }
        SchemaKind::Type(Type::Integer(integer)) => {
            limits.extend(integer.minimum.map(Limit::Min));
            limits.extend(integer.maximum.map(Limit::Max));
            if integer.exclusive_minimum
                || integer.exclusive_maximum
                || integer.multiple_of.is_some()
            {
                bail!("parameter `{name}`: exclusive bounds and multipleOf are not supported");
            }
            match &integer.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => ParamKind::Int32,
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64)
                | VariantOrUnknownOrEmpty::Empty => ParamKind::Int64,
                other => bail!("parameter `{name}`: integer format {other:?} is not supported"),
            }
        }
        SchemaKind::Type(Type::Boolean(_)) => ParamKind::Bool,
        _ => bail!("parameter `{name}`: only string, integer and boolean schemas (or a `$ref`)"),
    };
    let default = schema.schema_data.default.clone();
    match (&default, &kind) {
        (None, _)
        | (Some(serde_json::Value::Number(_)), ParamKind::Int32 | ParamKind::Int64)
        | (Some(serde_json::Value::Bool(_)), ParamKind::Bool)
        | (Some(serde_json::Value::String(_)), ParamKind::String) => {}
        (Some(other), _) => bail!("parameter `{name}`: default {other} does not fit its type"),
    }
    Ok(Param {
        name: name.to_owned(),
        description,
        kind,
        required,
        default,
        limits,
    })
}
