//! `plugin-runner build` and `plugin-runner test`: the component of a plugin project, and its
//! fixtures run under the service's limits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context as _};
use plugin_host::{Clock, Kind, Limits, Plugin, PluginEngine, PluginError};
use serde_json::{json, Value};

use crate::built::Built;
use crate::{cache_dir, call, Strategy, UsageError};

/// The package name in `dir/Cargo.toml` (its first `name = "…"`, which is the package's).
fn package_name(dir: &Path) -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).with_context(|| {
        format!("{}: not a plugin project (no Cargo.toml or {})", dir.display(), crate::lang::MANIFEST)
    })?;
    manifest
        .lines()
        .find_map(|l| l.trim().strip_prefix("name").map(str::trim).and_then(|r| r.strip_prefix('=')))
        .map(|v| v.trim().trim_matches('"').to_string())
        .ok_or_else(|| anyhow!("{}/Cargo.toml names no package", dir.display()))
}

/// The project's component: `cargo rustc` for wasm32-wasip2 with the project's `plugin`
/// profile (as `make plugins` does), or the JS/Python project's componentizer (`lang`).
pub fn build(dir: &Path) -> anyhow::Result<Built> {
    if let Some(manifest) = crate::lang::read_manifest(dir)? {
        return crate::lang::build(dir, &manifest);
    }
    let name = package_name(dir)?;
    // Quietly make sure the target is there (rustup's own message if it can't).
    let _ = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).output();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "rustc",
            "--quiet",
            "--lib",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "plugin",
            "--crate-type",
            "cdylib",
        ])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("the build failed (cargo's messages above)");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| dir.join("target"));
    let wasm = target.join("wasm32-wasip2/plugin").join(format!("{}.wasm", name.replace('-', "_")));
    let bytes = std::fs::read(&wasm).with_context(|| format!("{}", wasm.display()))?;
    Ok(Built { wasm, bytes })
}

/// Whether `actual` has everything `expected` names: objects by their listed keys, arrays
/// element by element (same length), anything else equal. The first difference, if any.
fn mismatch(expected: &Value, actual: &Value, at: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, v)| match a.get(k) {
            Some(x) => mismatch(v, x, &format!("{at}.{k}")),
            None => Some(format!("{at}.{k}: missing")),
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            e.iter().zip(a).enumerate().find_map(|(i, (v, x))| mismatch(v, x, &format!("{at}[{i}]")))
        }
        (Value::Array(e), Value::Array(a)) => Some(format!("{at}: {} items expected, got {}", e.len(), a.len())),
        (e, a) if e == a => None,
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => None,
        (e, a) => Some(format!("{at}: expected {e}, got {a}")),
    }
}

/// Builds, loads the component (either world), and runs each fixture: exit 0 when all pass.
pub fn test(dir: &Path) -> Result<(Value, bool), UsageError> {
    let built = build(dir)?;
    let engine = PluginEngine::new(cache_dir(None))?;
    let name = built.wasm.display().to_string();
    let (plugin, strategy) = match Plugin::load(&engine, &name, Kind::Payment, &built.bytes, None) {
        Ok(p) => (p, Strategy::Payment),
        Err(PluginError::WrongWorld(_)) => {
            (Plugin::load(&engine, &name, Kind::Recommendation, &built.bytes, None)?, Strategy::Recommend)
        }
        Err(e) => return Err(UsageError(e.into())),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("fixtures"))
        .with_context(|| format!("{}/fixtures", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(UsageError(anyhow!("no fixtures in {}/fixtures", dir.display())));
    }
    let mut results = Vec::new();
    for file in &files {
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(file)?).with_context(|| format!("{}", file.display()))?;
        let label = fixture["name"].as_str().map(String::from).unwrap_or_else(|| file.display().to_string());
        let config: BTreeMap<String, String> = fixture["config"]
            .as_object()
            .map(|m| {
                m.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), String::from))).collect()
            })
            .unwrap_or_default();
        let clock = match fixture["time_zone"].as_str() {
            Some(zone) => Clock::named(zone).map_err(|e| UsageError(anyhow!("{}: {e}", file.display())))?,
            None => Clock::default(),
        };
        let (doc, _) = call(&plugin, strategy, Arc::new(config), Limits::default(), &clock, &fixture["input"], 1)
            .map_err(|UsageError(e)| UsageError(e.context(file.display().to_string())))?;
        let why = match (fixture["expect"].get("output"), fixture["expect"].get("error")) {
            (Some(expected), _) if doc["ok"] == true => mismatch(expected, &doc["output"], "output"),
            (Some(_), _) => Some(format!("failed: {} ({})", doc["error"], doc["kind"])),
            (None, Some(kind)) if doc["kind"] == *kind => None,
            (None, Some(kind)) => Some(format!(
                "expected the error {kind}, got {}",
                if doc["ok"] == true { "an answer".into() } else { doc["kind"].to_string() }
            )),
            (None, None) => Some("the fixture has no expect.output or expect.error".into()),
        };
        eprintln!(
            "{}  {label}{}",
            if why.is_none() { "ok  " } else { "FAIL" },
            why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
        );
        results.push(json!({ "fixture": file.file_name().map(|f| f.to_string_lossy().to_string()), "name": label,
                             "passed": why.is_none(), "why": why, "fuel_used": doc["fuel_used"], "wall_ms": doc["wall_ms"],
                             "logs": doc["logs"] }));
    }
    let passed = results.iter().all(|r| r["passed"] == true);
    Ok((
        json!({ "ok": passed, "component": built.wasm, "sha256": plugin_host::digest(&built.bytes), "fixtures": results }),
        passed,
    ))
}
