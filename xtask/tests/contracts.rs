//! The breaking-change gates on scratch copies of the specs: each worked example of
//! docs/contracts.md is applied to a copy, and the gate must say what it says there.
//! Needs `oasdiff` and `buf` on PATH (`make test` puts them there).

use std::fs;
use std::path::Path;

use xtask::contracts::{self, Report};

/// A copy of the workspace's specs (working and baseline) in a scratch directory.
fn scratch_specs() -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    copy_tree(&workspace.join("specs"), &scratch.path().join("specs"));
    scratch
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("a directory");
    for entry in fs::read_dir(from).expect("a readable directory") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copied");
        }
    }
}

/// Replaces `from` with `to` in a file of the scratch copy; `from` must be there.
fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("the spec");
    assert!(
        text.contains(from),
        "{file} no longer contains {from:?}; update the example"
    );
    fs::write(&path, text.replace(from, to)).expect("written");
}

fn failures(report: &Report, contract: &str) -> String {
    report
        .failed
        .iter()
        .filter(|f| f.starts_with(contract))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_released_specs_pass() {
    let scratch = scratch_specs();
    let report = contracts::check(scratch.path()).expect("the gates run");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(
        report.passed.len(),
        4,
        "three OpenAPI documents and the protobuf module"
    );
}

#[test]
fn renaming_a_field_reviews_reads_from_the_catalog_fails() {
    let scratch = scratch_specs();
    let root = scratch.path();
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "        review_attributes:\n",
        "        reviewable_attributes:\n",
    );
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "required: [product_id, name, category, active, image_url, review_attributes]",
        "required: [product_id, name, category, active, image_url, reviewable_attributes]",
    );
    let report = contracts::check(root).expect("the gates run");
    let failure = failures(&report, "catalog.yaml");
    assert!(failure.contains("review_attributes"), "{failure}");
    assert!(
        failure.contains("/internal/v1/products/{product_id}/review-context"),
        "{failure}"
    );
    assert!(failure.contains("bump info.version to 2.0.0"), "{failure}");
}

#[test]
fn the_same_rename_passes_with_a_new_major_version() {
    let scratch = scratch_specs();
    let root = scratch.path();
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "        review_attributes:\n",
        "        reviewable_attributes:\n",
    );
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "required: [product_id, name, category, active, image_url, review_attributes]",
        "required: [product_id, name, category, active, image_url, reviewable_attributes]",
    );
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "  version: 1.0.0",
        "  version: 2.0.0",
    );
    let report = contracts::check(root).expect("the gates run");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(
        report
            .passed
            .iter()
            .any(|p| p.contains("new major version 1 -> 2")),
        "{:?}",
        report.passed
    );
}

#[test]
fn tightening_a_limit_fails() {
    let scratch = scratch_specs();
    let root = scratch.path();
    edit(
        root,
        "specs/openapi/reviews.yaml",
        "    ReviewTitle:\n      type: string\n      minLength: 1\n      maxLength: 120",
        "    ReviewTitle:\n      type: string\n      minLength: 1\n      maxLength: 60",
    );
    let report = contracts::check(root).expect("the gates run");
    let failure = failures(&report, "reviews.yaml");
    assert!(failure.contains("maxLength was decreased"), "{failure}");
    assert!(failure.contains("title"), "{failure}");
}

#[test]
fn removing_a_grpc_field_fails() {
    let scratch = scratch_specs();
    let root = scratch.path();
    edit(
        root,
        "specs/proto/localmart/catalog/v1/catalog.proto",
        "  int32 available_stock = 4;\n",
        "",
    );
    let report = contracts::check(root).expect("the gates run");
    let failure = failures(&report, "proto");
    assert!(failure.contains("available_stock"), "{failure}");
    assert!(failure.contains("ProductValidation"), "{failure}");
}

#[test]
fn adding_an_optional_response_field_passes() {
    let scratch = scratch_specs();
    let root = scratch.path();
    edit(
        root,
        "specs/openapi/catalog.yaml",
        "        image_url:\n          type: string\n          description: Where the product's picture is",
        "        brand:\n          type: string\n        image_url:\n          type: string\n          description: Where the product's picture is",
    );
    let report = contracts::check(root).expect("the gates run");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
}
