//! `cargo xtask storefront`: builds the storefront's bundle, the directory the edge
//! serves. Cargo compiles the app for wasm32, wasm-bindgen writes the JavaScript glue
//! (its version must be the one in Cargo.lock), wasm-opt shrinks the module, and the
//! page and stylesheet are copied beside them. Each file also gets a `.gz` twin for the
//! edge to serve precompressed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

/// The most the compressed WebAssembly module may weigh.
pub const WASM_GZIP_BUDGET: u64 = 700 * 1024;

/// Sizes of the built bundle, in bytes.
#[derive(Debug)]
pub struct Bundle {
    pub dir: PathBuf,
    pub wasm: u64,
    pub wasm_gzip: u64,
    pub js_gzip: u64,
}

/// Where the bundle goes unless told otherwise: beside the other build output.
pub fn default_out(root: &Path) -> PathBuf {
    target_dir(root).join("storefront")
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| {
        format!(
            "cannot run {:?} (is it installed? `make deps`)",
            command.get_program()
        )
    })?;
    ensure!(status.success(), "{command:?} failed with {status}");
    Ok(())
}

fn output(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| {
        format!(
            "cannot run {:?} (is it installed? `make deps`)",
            command.get_program()
        )
    })?;
    ensure!(
        output.status.success(),
        "{command:?} failed with {}",
        output.status
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|line| line.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn gzip(path: &Path) -> Result<u64> {
    run(Command::new("gzip")
        .args(["-9", "--keep", "--force", "--no-name"])
        .arg(path))?;
    let mut gz = path.as_os_str().to_owned();
    gz.push(".gz");
    Ok(fs::metadata(&gz)?.len())
}

pub fn build(root: &Path, out: &Path) -> Result<Bundle> {
    let wanted = locked_wasm_bindgen(root)?;
    let found = output(Command::new("wasm-bindgen").arg("--version"))?;
    ensure!(
        found.split_whitespace().nth(1) == Some(wanted.as_str()),
        "wasm-bindgen-cli is {}, but Cargo.lock pins wasm-bindgen {wanted}; `make deps` installs the pinned one",
        found.trim()
    );

    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
            .current_dir(root)
            .args([
                "build",
                "--locked",
                "--package",
                "storefront",
                "--profile",
                "wasm-release",
            ])
            .args(["--target", "wasm32-unknown-unknown"]),
    )?;
    let wasm = target_dir(root).join("wasm32-unknown-unknown/wasm-release/storefront.wasm");

    if out.exists() {
        fs::remove_dir_all(out).with_context(|| format!("clearing {}", out.display()))?;
    }
    fs::create_dir_all(out)?;
    run(Command::new("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "storefront",
            "--out-dir",
        ])
        .arg(out)
        .arg(&wasm))?;
    let module = out.join("storefront_bg.wasm");
    // The features rustc enables by default for wasm32, so wasm-opt keeps them.
    run(Command::new("wasm-opt")
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
        ])
        .args([
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(&module)
        .arg("-o")
        .arg(&module))?;

    let frontend = root.join("frontend");
    fs::copy(frontend.join("index.html"), out.join("index.html"))?;
    for asset in fs::read_dir(frontend.join("assets"))? {
        let asset = asset?;
        fs::copy(asset.path(), out.join(asset.file_name()))?;
    }
    for name in ["index.html", "style.css"] {
        gzip(&out.join(name))?;
    }
    let bundle = Bundle {
        dir: out.to_owned(),
        wasm: fs::metadata(&module)?.len(),
        wasm_gzip: gzip(&module)?,
        js_gzip: gzip(&out.join("storefront.js"))?,
    };
    ensure!(
        bundle.wasm_gzip <= WASM_GZIP_BUDGET,
        "the storefront's WebAssembly is {} KiB gzipped, over its budget of {} KiB",
        bundle.wasm_gzip / 1024,
        WASM_GZIP_BUDGET / 1024
    );
    Ok(bundle)
}
