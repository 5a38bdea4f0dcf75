//! A running service held to its spec in two ways that can each fail on their own:
//!
//! - its live document (`/openapi.json`) is the spec itself, so Swagger UI at `/docs/`
//!   shows every schema and can build every request;
//! - its compiled router serves exactly the spec's operations: [`probes`] lists, for
//!   every path of the spec, a request for each declared method (which must reach an
//!   operation) and for each undeclared one (which the router must refuse with
//!   `method_not_allowed`), and [`judge`] reads the answers. A route mounted by hand on
//!   one of the spec's paths, or an operation the router lacks, shows up here even though
//!   the document is the spec. (A route at a path the spec does not name at all cannot be
//!   found by probing; the code review has to catch that.)
//!
//! [`violations`] checks a JSON value against a schema of the document, for the few
//! schema keywords LocalMart's specs use, so a test can show that an example body the
//! README gives fits the schema Swagger UI shows.

use anyhow::{Context, Result};
use serde_json::Value;

/// The methods a router can be asked for; OPTIONS, HEAD and TRACE are left out, since
/// axum answers HEAD for every GET route by itself.
pub const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "PATCH"];

/// One request to send to the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub method: &'static str,
    /// The spec's path, e.g. `/v1/carts/{cart_id}`.
    pub path: String,
    /// The path with each parameter filled in, ready to send.
    pub uri: String,
    /// The operationId when the spec declares this method on this path.
    pub operation_id: Option<String>,
}

/// Every probe for `spec`: each declared operation, and each undeclared method on each
/// of its paths. Path parameters are filled with the nil UUID; an operation must answer
/// that with its own 4xx (or success), never with the router's "no such route".
pub fn probes(spec: &Value) -> Result<Vec<Probe>> {
    let paths = spec["paths"].as_object().context("the spec has no paths")?;
    let mut found = Vec::new();
    for (path, item) in paths {
        let uri = fill_parameters(path);
        for method in METHODS {
            let operation_id = item.get(method.to_lowercase()).map(|operation| {
                operation["operationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
            found.push(Probe {
                method,
                path: path.clone(),
                uri: uri.clone(),
                operation_id,
            });
        }
    }
    Ok(found)
}

fn fill_parameters(path: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                filled.push_str("00000000-0000-0000-0000-000000000000");
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// What is wrong with the router's answer to `probe` (its status and the `code` of its
/// error body, if any), or `None` when it is what the spec says.
pub fn judge(probe: &Probe, status: u16, code: Option<&str>) -> Option<String> {
    let refused_by_router = matches!(code, Some("route_not_found" | "method_not_allowed"));
    match &probe.operation_id {
        Some(id) if refused_by_router => Some(format!(
            "{} {} ({id}): in the spec, not served (answered {status} {})",
            probe.method,
            probe.path,
            code.unwrap_or_default()
        )),
        None if !(status == 405 && code == Some("method_not_allowed")) => Some(format!(
            "{} {}: not in the spec, but served (answered {status} {})",
            probe.method,
            probe.path,
            code.unwrap_or_default()
        )),
        _ => None,
    }
}

/// The request body schema of operation `operation_id` in `document`.
pub fn request_body_schema<'a>(document: &'a Value, operation_id: &str) -> Result<&'a Value> {
    let paths = document["paths"]
        .as_object()
        .context("the document has no paths")?;
    let operation = paths
        .values()
        .flat_map(|item| item.as_object().into_iter().flat_map(|item| item.values()))
        .find(|operation| operation["operationId"] == operation_id)
        .with_context(|| format!("no operation {operation_id}"))?;
    let body = resolve(document, &operation["requestBody"])?;
    Ok(&body["content"]["application/json"]["schema"])
}

/// A `$ref` within the document, followed; anything else as it is.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> Result<&'a Value> {
    match value["$ref"].as_str() {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .with_context(|| format!("{reference} is not within the document"))?;
            document
                .pointer(pointer)
                .with_context(|| format!("{reference} points at nothing"))
        }
        None => Ok(value),
    }
}

/// Where `value` breaks `schema` (a schema of `document`), one line each; empty when it
/// fits. Knows `$ref`, `type`, `required`, `properties`, `additionalProperties: false`,
/// `items`, `enum`, `minimum`, `maximum`, `minLength`, `maxLength` and `format: uuid`.
pub fn violations(document: &Value, schema: &Value, value: &Value) -> Result<Vec<String>> {
    let mut found = Vec::new();
    check(document, schema, value, "body", &mut found)?;
    Ok(found)
}

fn check(
    document: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    found: &mut Vec<String>,
) -> Result<()> {
    let schema = resolve(document, schema)?;
    let expected = schema["type"].as_str();
    let fits = match expected {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    };
    if !fits {
        found.push(format!(
            "{at}: expected {}, got {value}",
            expected.unwrap_or_default()
        ));
        return Ok(());
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        found.push(format!("{at}: {value} is not one of {}", schema["enum"]));
    }
    if let Some(number) = value.as_i64() {
        if schema["minimum"].as_i64().is_some_and(|min| number < min) {
            found.push(format!("{at}: {number} is below {}", schema["minimum"]));
        }
        if schema["maximum"].as_i64().is_some_and(|max| number > max) {
            found.push(format!("{at}: {number} is above {}", schema["maximum"]));
        }
    }
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|min| length < min) {
            found.push(format!("{at}: shorter than {}", schema["minLength"]));
        }
        if schema["maxLength"].as_u64().is_some_and(|max| length > max) {
            found.push(format!("{at}: longer than {}", schema["maxLength"]));
        }
        if schema["format"] == "uuid" && uuid::Uuid::parse_str(text).is_err() {
            found.push(format!("{at}: {text:?} is not a UUID"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                found.push(format!("{at}: `{name}` is required"));
            }
        }
        for (name, field) in object {
            let field_at = format!("{at}.{name}");
            match schema["properties"].get(name) {
                Some(property) => check(document, property, field, &field_at, found)?,
                None if schema["additionalProperties"] == false => {
                    found.push(format!("{field_at}: not a property of the schema"));
                }
                None => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (index, item) in items.iter().enumerate() {
            check(
                document,
                &schema["items"],
                item,
                &format!("{at}[{index}]"),
                found,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/v1/things/{id}": {
                    "get": { "operationId": "getThing" },
                    "put": {
                        "operationId": "putThing",
                        "requestBody": { "$ref": "#/components/requestBodies/Thing" }
                    }
                }
            },
            "components": {
                "requestBodies": {
                    "Thing": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Thing" } } } }
                },
                "schemas": {
                    "Thing": {
                        "type": "object",
                        "required": ["id", "count"],
                        "additionalProperties": false,
                        "properties": {
                            "id": { "type": "string", "format": "uuid" },
                            "count": { "$ref": "#/components/schemas/Count" },
                            "tags": { "type": "array", "items": { "type": "string", "enum": ["a", "b"] } }
                        }
                    },
                    "Count": { "type": "integer", "minimum": 1, "maximum": 9 }
                }
            }
        })
    }

    #[test]
    fn every_method_of_every_path_is_probed_with_its_parameters_filled() {
        let probes = probes(&spec()).expect("probes");
        assert_eq!(probes.len(), METHODS.len());
        let get = probes
            .iter()
            .find(|probe| probe.method == "GET")
            .expect("a GET");
        assert_eq!(get.uri, "/v1/things/00000000-0000-0000-0000-000000000000");
        assert_eq!(get.operation_id.as_deref(), Some("getThing"));
        let declared = probes.iter().filter(|p| p.operation_id.is_some()).count();
        assert_eq!(declared, 2);
    }

    #[test]
    fn a_router_that_matches_the_spec_passes() {
        let probes = probes(&spec()).expect("probes");
        for probe in &probes {
            let answer = if probe.operation_id.is_some() {
                (404, Some("thing_not_found"))
            } else {
                (405, Some("method_not_allowed"))
            };
            assert_eq!(judge(probe, answer.0, answer.1), None, "{probe:?}");
        }
    }

    #[test]
    fn a_missing_operation_and_an_extra_route_are_named() {
        let probes = probes(&spec()).expect("probes");
        let find = |method| {
            probes
                .iter()
                .find(|probe| probe.method == method)
                .expect("a probe")
        };
        assert_eq!(
            judge(find("GET"), 405, Some("method_not_allowed")).as_deref(),
            Some(
                "GET /v1/things/{id} (getThing): in the spec, not served (answered 405 method_not_allowed)"
            )
        );
        assert_eq!(
            judge(find("DELETE"), 204, None).as_deref(),
            Some("DELETE /v1/things/{id}: not in the spec, but served (answered 204 )")
        );
    }

    #[test]
    fn a_body_is_checked_against_the_schema_it_is_sent_with() {
        let document = spec();
        let schema = request_body_schema(&document, "putThing").expect("a schema");
        let fits =
            json!({ "id": "7a8b5e43-4f4e-4a57-9f36-0b1f0e8a8a11", "count": 2, "tags": ["a"] });
        assert_eq!(
            violations(&document, schema, &fits).expect("checked"),
            Vec::<String>::new()
        );
        let breaks = json!({ "id": "seven", "count": 10, "tags": ["c"], "extra": true });
        let mut found = violations(&document, schema, &breaks).expect("checked");
        found.sort();
        assert_eq!(
            found,
            [
                "body.count: 10 is above 9",
                "body.extra: not a property of the schema",
                "body.id: \"seven\" is not a UUID",
                "body.tags[0]: \"c\" is not one of [\"a\",\"b\"]",
            ]
        );
        let missing = json!({ "count": 1 });
        assert_eq!(
            violations(&document, schema, &missing).expect("checked"),
            ["body: `id` is required"]
        );
    }
}
