//! The generator against a small fixture spec: its output is committed under
//! `tests/golden/shelf-api` (a workspace member, so it must also compile), and the house
//! rules it enforces fail with a message that says what to fix.
//!
//! After an intended change to the generator: `UPDATE_GOLDEN=1 cargo test -p xtask`.

use std::path::Path;

use xtask::codegen::{Files, openapi};

fn xtask_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_fixture_generates_the_committed_golden_crate() {
    let mut files = Files::default();
    openapi::generate(
        xtask_dir(),
        Path::new("tests/fixtures/shelf.yaml"),
        Path::new("tests/golden"),
        &mut files,
    )
    .expect("the fixture generates");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let stale = files
        .sync(xtask_dir(), !update)
        .expect("the golden files are readable");
    assert!(
        stale.is_empty(),
        "the generator's output changed; if that is intended, run `UPDATE_GOLDEN=1 cargo test -p xtask`:\n  {}",
        stale.join("\n  ")
    );
}

/// Generates from the fixture with `edit` applied and returns the error message.
fn error_after(edit: impl FnOnce(&mut serde_yaml::Value)) -> String {
    let text = std::fs::read_to_string(xtask_dir().join("tests/fixtures/shelf.yaml"))
        .expect("the fixture");
    let mut spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    edit(&mut spec);
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("broken.yaml"),
        serde_yaml::to_string(&spec).expect("YAML"),
    )
    .expect("written");
    let mut files = Files::default();
    let err = openapi::generate(
        dir.path(),
        Path::new("broken.yaml"),
        Path::new("out"),
        &mut files,
    )
    .expect_err("the generator refuses the spec");
    format!("{err:#}")
}

#[test]
fn an_operation_without_a_500_is_refused() {
    let message = error_after(|spec| {
        let responses = &mut spec["paths"]["/v1/items/{item_id}"]["get"]["responses"];
        responses.as_mapping_mut().expect("a mapping").remove("500");
    });
    assert!(
        message.contains("`getItem` must declare a 500"),
        "{message}"
    );
}

#[test]
fn an_operation_without_a_503_is_refused() {
    let message = error_after(|spec| {
        let responses = &mut spec["paths"]["/v1/items/{item_id}"]["get"]["responses"];
        responses.as_mapping_mut().expect("a mapping").remove("503");
    });
    assert!(
        message.contains("`getItem` must declare a 503"),
        "{message}"
    );
}

#[test]
fn a_body_without_415_and_422_is_refused() {
    let message = error_after(|spec| {
        let responses = &mut spec["paths"]["/v1/items"]["post"]["responses"];
        responses.as_mapping_mut().expect("a mapping").remove("422");
    });
    assert!(
        message.contains("`createItem` must declare a 422"),
        "{message}"
    );
}

#[test]
fn a_secured_operation_without_401_is_refused() {
    let message = error_after(|spec| {
        let responses = &mut spec["paths"]["/v1/items"]["post"]["responses"];
        responses.as_mapping_mut().expect("a mapping").remove("401");
    });
    assert!(message.contains("must declare a 401"), "{message}");
}

#[test]
fn a_secured_operation_without_429_is_refused() {
    let message = error_after(|spec| {
        let responses = &mut spec["paths"]["/v1/items"]["post"]["responses"];
        responses.as_mapping_mut().expect("a mapping").remove("429");
    });
    assert!(message.contains("must declare a 429"), "{message}");
}

#[test]
fn an_operation_without_an_id_is_refused() {
    let message = error_after(|spec| {
        let get = &mut spec["paths"]["/v1/items/{item_id}"]["get"];
        get.as_mapping_mut()
            .expect("a mapping")
            .remove("operationId");
    });
    assert!(message.contains("operationId"), "{message}");
}

#[test]
fn an_error_body_other_than_the_error_schema_is_refused() {
    let message = error_after(|spec| {
        spec["components"]["responses"]["Problem"]["content"]["application/json"]["schema"]["$ref"] =
            serde_yaml::Value::from("#/components/schemas/Item");
    });
    assert!(message.contains("must use the `Error` schema"), "{message}");
}

#[test]
fn an_inline_enum_parameter_is_refused() {
    let message = error_after(|spec| {
        spec["paths"]["/v1/items"]["get"]["parameters"][1]["schema"] =
            serde_yaml::from_str("{type: string, enum: [red, green]}").expect("YAML");
    });
    assert!(
        message.contains("put enums in a component schema"),
        "{message}"
    );
}

#[test]
fn an_inline_patterned_parameter_is_refused() {
    let message = error_after(|spec| {
        spec["paths"]["/v1/items"]["get"]["parameters"][2]["schema"]["pattern"] =
            serde_yaml::Value::from("^[a-z]*$");
    });
    assert!(
        message.contains("put patterned strings in a component schema"),
        "{message}"
    );
}

#[test]
fn a_header_parameter_that_is_not_a_string_is_refused() {
    let message = error_after(|spec| {
        spec["paths"]["/v1/items"]["post"]["parameters"][0]["schema"] =
            serde_yaml::from_str("{type: integer, format: int32}").expect("YAML");
    });
    assert!(
        message.contains("header parameter `Idempotency-Key` must be a string"),
        "{message}"
    );
}

#[test]
fn a_cookie_parameter_is_refused() {
    let message = error_after(|spec| {
        spec["paths"]["/v1/items"]["post"]["parameters"][0]["in"] =
            serde_yaml::Value::from("cookie");
    });
    assert!(
        message.contains("cookie parameters are not supported"),
        "{message}"
    );
}

#[test]
fn a_pattern_without_a_linear_time_equivalent_is_refused() {
    let message = error_after(|spec| {
        spec["components"]["schemas"]["ItemName"]["pattern"] = serde_yaml::Value::from("^(a+)\\1$");
    });
    assert!(
        message.contains("backreferences") && message.contains("^(a+)\\1$"),
        "{message}"
    );
}
