//! A service's live OpenAPI document held to its spec, operation by operation: the same
//! operations (method and path), and for each the same operationId, parameters (name,
//! location, required) and response statuses.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::Value;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub operation_id: String,
    /// (location, name, required)
    pub parameters: BTreeSet<(String, String, bool)>,
    pub statuses: BTreeSet<String>,
}

/// Every operation of `document`, keyed by `METHOD /path`.
pub fn operations(document: &Value) -> Result<BTreeMap<String, Operation>> {
    let mut found = BTreeMap::new();
    let paths = document["paths"]
        .as_object()
        .context("the document has no paths")?;
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let listed = item["parameters"]
                .as_array()
                .into_iter()
                .chain(operation["parameters"].as_array())
                .flatten();
            let mut parameters = BTreeSet::new();
            for parameter in listed {
                let parameter = resolve(document, parameter)?;
                let location = parameter["in"].as_str().unwrap_or_default().to_owned();
                let name = parameter["name"].as_str().unwrap_or_default().to_owned();
                let required = parameter["required"]
                    .as_bool()
                    .unwrap_or(location == "path");
                parameters.insert((location, name, required));
            }
            let statuses = operation["responses"]
                .as_object()
                .map(|responses| responses.keys().cloned().collect())
                .unwrap_or_default();
            found.insert(
                format!("{} {path}", method.to_uppercase()),
                Operation {
                    operation_id: operation["operationId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    parameters,
                    statuses,
                },
            );
        }
    }
    Ok(found)
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

/// What differs between the spec and the live document, one line each; empty when they
/// agree.
pub fn differences(spec: &Value, live: &Value) -> Result<Vec<String>> {
    let spec = operations(spec)?;
    let live = operations(live)?;
    let mut found = Vec::new();
    for (key, declared) in &spec {
        let Some(served) = live.get(key) else {
            found.push(format!(
                "{key} ({}): in the spec, not served",
                declared.operation_id
            ));
            continue;
        };
        if served.operation_id != declared.operation_id {
            found.push(format!(
                "{key}: operationId is {} in the spec, {} served",
                declared.operation_id, served.operation_id
            ));
        }
        for (location, name, required) in declared.parameters.difference(&served.parameters) {
            found.push(format!(
                "{key} ({}): {location} parameter `{name}` (required: {required}) is in the spec, not served so",
                declared.operation_id
            ));
        }
        for (location, name, required) in served.parameters.difference(&declared.parameters) {
            found.push(format!(
                "{key} ({}): {location} parameter `{name}` (required: {required}) is served, not in the spec so",
                declared.operation_id
            ));
        }
        for status in declared.statuses.difference(&served.statuses) {
            found.push(format!(
                "{key} ({}): status {status} is in the spec, not served",
                declared.operation_id
            ));
        }
        for status in served.statuses.difference(&declared.statuses) {
            found.push(format!(
                "{key} ({}): status {status} is served, not in the spec",
                declared.operation_id
            ));
        }
    }
    for (key, served) in &live {
        if !spec.contains_key(key) {
            found.push(format!(
                "{key} ({}): served, not in the spec",
                served.operation_id
            ));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec() -> Value {
        json!({
            "paths": {
                "/v1/things/{id}": {
                    "parameters": [{ "$ref": "#/components/parameters/Id" }],
                    "get": {
                        "operationId": "getThing",
                        "parameters": [{ "name": "fields", "in": "query" }],
                        "responses": { "200": {}, "404": {} }
                    }
                }
            },
            "components": { "parameters": { "Id": { "name": "id", "in": "path", "required": true } } }
        })
    }

    fn live() -> Value {
        json!({
            "paths": {
                "/v1/things/{id}": {
                    "get": {
                        "operationId": "getThing",
                        "parameters": [
                            { "name": "id", "in": "path", "required": true },
                            { "name": "fields", "in": "query", "required": false }
                        ],
                        "responses": { "200": {}, "404": {} }
                    }
                }
            }
        })
    }

    #[test]
    fn a_document_that_serves_the_spec_agrees_with_it() {
        assert_eq!(
            differences(&spec(), &live()).expect("documents"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_kind_of_drift_is_named() {
        let mut live = live();
        let get = &mut live["paths"]["/v1/things/{id}"]["get"];
        get["operationId"] = json!("fetchThing");
        get["parameters"][1]["name"] = json!("select");
        get["responses"] = json!({ "200": {}, "410": {} });
        live["paths"]["/v1/other"] = json!({ "post": { "operationId": "other", "responses": {} } });
        let found = differences(&spec(), &live).expect("documents");
        assert_eq!(
            found,
            [
                "GET /v1/things/{id}: operationId is getThing in the spec, fetchThing served",
                "GET /v1/things/{id} (getThing): query parameter `fields` (required: false) is in the spec, not served so",
                "GET /v1/things/{id} (getThing): query parameter `select` (required: false) is served, not in the spec so",
                "GET /v1/things/{id} (getThing): status 404 is in the spec, not served",
                "GET /v1/things/{id} (getThing): status 410 is served, not in the spec",
                "POST /v1/other (other): served, not in the spec",
            ]
        );
    }

    #[test]
    fn an_operation_the_server_lacks_is_named() {
        let live = json!({ "paths": {} });
        let found = differences(&spec(), &live).expect("documents");
        assert_eq!(
            found,
            ["GET /v1/things/{id} (getThing): in the spec, not served"]
        );
    }
}
