//! `cargo xtask contracts`: the breaking-change gates.
//!
//! `specs/baseline/` holds the released contracts. The working specs may only change in
//! ways every released consumer survives: `oasdiff breaking` judges the OpenAPI documents
//! and `buf breaking` the protobuf packages. A breaking OpenAPI change passes only with
//! a new major `info.version`; then, and for any deliberate release,
//! `cargo xtask contracts bless` copies the working specs over the baseline.
//!
//! Both tools are found on PATH (`make` puts `~/.cache/localmart/tools/bin` there).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// What the gates found, contract by contract.
#[derive(Debug, Default)]
pub struct Report {
    /// Contracts that passed, with a word on why.
    pub passed: Vec<String>,
    /// Contracts that failed, with the tool's explanation.
    pub failed: Vec<String>,
}

/// Runs every gate on the specs under `root`.
pub fn check(root: &Path) -> Result<Report> {
    let mut report = Report::default();
    for spec in openapi_specs(root)? {
        check_openapi(root, &spec, &mut report)?;
    }
    check_proto(root, &mut report)?;
    Ok(report)
}

/// Makes the working specs the released baseline.
pub fn bless(root: &Path) -> Result<()> {
    let baseline = root.join("specs/baseline");
    if baseline.exists() {
        fs::remove_dir_all(&baseline).context("clearing specs/baseline")?;
    }
    for spec in openapi_specs(root)? {
        let target = baseline.join("openapi").join(file_name(&spec)?);
        copy(&spec, &target)?;
    }
    copy_tree(&root.join("specs/proto"), &baseline.join("proto"))?;
    Ok(())
}

fn openapi_specs(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("specs/openapi");
    let mut specs: Vec<PathBuf> = fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    specs.sort();
    Ok(specs)
}

fn file_name(path: &Path) -> Result<&str> {
    path.file_name()
        .and_then(|name| name.to_str())
        .context("a spec file name that is not UTF-8")
}

fn check_openapi(root: &Path, spec: &Path, report: &mut Report) -> Result<()> {
    let name = file_name(spec)?;
    let baseline = root.join("specs/baseline/openapi").join(name);
    if !baseline.exists() {
        report.failed.push(format!(
            "{name}: no released baseline; release it with `cargo xtask contracts bless`"
        ));
        return Ok(());
    }
    let output = Command::new("oasdiff")
        .arg("breaking")
        .arg(&baseline)
        .arg(spec)
        .args(["--fail-on", "ERR"])
        .output()
        .context("running oasdiff (install it with `make deps`)")?;
    let text = String::from_utf8_lossy(&output.stdout).replace(&root.display().to_string(), "");
    if output.status.success() {
        report
            .passed
            .push(format!("{name}: no breaking change against the baseline"));
        return Ok(());
    }
    if !output.stderr.is_empty() && text.trim().is_empty() {
        bail!(
            "oasdiff failed on {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let (released, working) = (major_version(&baseline)?, major_version(spec)?);
    if working > released {
        report.passed.push(format!(
            "{name}: breaking changes, allowed by the new major version {released} -> {working}; \
             bless the baseline when it is released"
        ));
    } else {
        report.failed.push(format!(
            "{name}: breaking change against the released contract (major version {working} unchanged):\n{}\n\
             Keep the change compatible, or bump info.version to {}.0.0 and run `cargo xtask contracts bless`.",
            text.trim(),
            released + 1,
        ));
    }
    Ok(())
}

fn check_proto(root: &Path, report: &mut Report) -> Result<()> {
    let baseline = root.join("specs/baseline/proto");
    if !baseline.exists() {
        report.failed.push(
            "proto: no released baseline; release it with `cargo xtask contracts bless`".to_owned(),
        );
        return Ok(());
    }
    let output = Command::new("buf")
        .current_dir(root)
        .args([
            "breaking",
            "specs/proto",
            "--against",
            "specs/baseline/proto",
        ])
        .output()
        .context("running buf (install it with `make deps`)")?;
    if output.status.success() {
        report
            .passed
            .push("proto: no breaking change against the baseline".to_owned());
    } else {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        report.failed.push(format!(
            "proto: breaking change against the released contract:\n{}\n\
             Keep the change wire-compatible (add fields, reserve removed numbers), or publish a new \
             package version (e.g. localmart.catalog.v2) beside the old one.",
            text.trim()
        ));
    }
    Ok(())
}

/// The major number of a spec's `info.version`.
fn major_version(spec: &Path) -> Result<u64> {
    let text = fs::read_to_string(spec).with_context(|| format!("reading {}", spec.display()))?;
    let document: serde_yaml::Value = serde_yaml::from_str(&text)?;
    let version = document["info"]["version"]
        .as_str()
        .context("a spec without info.version")?;
    version
        .split('.')
        .next()
        .and_then(|major| major.parse().ok())
        .with_context(|| format!("info.version {version:?} is not semantic"))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let target = to.join(path.file_name().context("a file name")?);
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}
