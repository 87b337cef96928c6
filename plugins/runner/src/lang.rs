//! JavaScript and Python plugin projects: how they build into a component. Rust projects build
//! with cargo and the SDK (`kit::build`); these build with the registries' own tools —
//! `componentize-js` (npm) and `componentize-py` (PyPI) — against the copy of the contract in
//! the project's `wit/`, and are described by `gajyeogagu-plugin.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context as _};
use serde::{Deserialize, Serialize};

use crate::built::Built;

/// The contract the runner was built with, copied into new JS and Python projects.
pub const CONTRACT: &str = include_str!("../../wit/plugins.wit");

/// The file that marks a JS or Python project.
pub const MANIFEST: &str = "gajyeogagu-plugin.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Rust,
    Js,
    Python,
}

/// `gajyeogagu-plugin.json`: what to build, from what.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    /// `payment-strategy` or `recommendation-strategy`.
    pub world: String,
    pub lang: Lang,
}

impl Lang {
    /// The strategy's source file in a new project.
    pub fn source_file(self) -> &'static str {
        match self {
            Lang::Rust => "src/lib.rs",
            Lang::Js => "strategy.js",
            Lang::Python => "app.py",
        }
    }

    /// (environment variable, command, how to get it).
    fn tool(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Lang::Js => (
                "COMPONENTIZE_JS",
                "componentize-js",
                "npm install @bytecodealliance/componentize-js@0.23.0 (this repository: scripts/plugin-langs.sh)",
            ),
            Lang::Python => (
                "COMPONENTIZE_PY",
                "componentize-py",
                "pip install componentize-py==0.25.1 (this repository: scripts/plugin-langs.sh)",
            ),
            Lang::Rust => ("CARGO", "cargo", "rustup"),
        }
    }

    /// The tool's command: `$COMPONENTIZE_JS`/`$COMPONENTIZE_PY`, else the name on PATH.
    fn command(self) -> anyhow::Result<PathBuf> {
        let (var, name, hint) = self.tool();
        if let Some(path) = std::env::var_os(var) {
            return Ok(PathBuf::from(path));
        }
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|c| c.is_file()))
            .unwrap_or_default();
        on_path.ok_or_else(|| anyhow!("{name} not found on PATH or in ${var}: {hint}"))
    }
}

pub fn read_manifest(dir: &Path) -> anyhow::Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)?;
    let m: Manifest = serde_json::from_str(&text).with_context(|| path.display().to_string())?;
    if !["payment-strategy", "recommendation-strategy"].contains(&m.world.as_str()) || m.lang == Lang::Rust {
        bail!("{}: world must be payment-strategy or recommendation-strategy, lang js or python", path.display());
    }
    Ok(Some(m))
}

/// Builds `dir` into `dir/target/NAME.wasm` with the language's componentizer.
pub fn build(dir: &Path, m: &Manifest) -> anyhow::Result<Built> {
    let out_dir = dir.join("target");
    std::fs::create_dir_all(&out_dir)?;
    let wasm = out_dir.join(format!("{}.wasm", m.name));
    if m.lang == Lang::Js {
        check_js_syntax(dir, m.lang.source_file(), &out_dir)?;
    }
    let mut cmd = Command::new(m.lang.command()?);
    cmd.current_dir(dir);
    match m.lang {
        // stdio and HTTP are off: the sandbox has neither (log through `host.log`).
        Lang::Js => cmd.arg(m.lang.source_file()).args(["-w", "wit", "-n", &m.world]).args([
            "-d",
            "stdio",
            "http",
            "fetch-event",
            "-o",
        ]),
        Lang::Python => cmd.args(["-d", "wit", "-w", &m.world, "componentize", "app", "-o"]),
        Lang::Rust => unreachable!("Rust projects build with cargo"),
    };
    let out = cmd.arg(&wasm).output().with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!("the build failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    let bytes = std::fs::read(&wasm).with_context(|| wasm.display().to_string())?;
    Ok(Built { wasm, bytes })
}

/// componentize-js answers a syntax error with "failed to parse JS source, encountered [1]
/// errors" — not which error, nor where. Node says both: the source is checked first, as an ES
/// module (a copy named `.mjs`: `node --check` reads `.js` as CommonJS and trips on `export`).
fn check_js_syntax(dir: &Path, source: &str, out_dir: &Path) -> anyhow::Result<()> {
    let copy = out_dir.join("syntax-check.mjs");
    std::fs::copy(dir.join(source), &copy).with_context(|| format!("{}", dir.join(source).display()))?;
    // Node names the file by its absolute path: that is what its message is rewritten from.
    let copy = copy.canonicalize()?;
    let out = match Command::new("node").arg("--check").arg(&copy).output() {
        Ok(out) => out,
        Err(_) => return Ok(()), // no node on PATH: the componentizer reports what it can
    };
    let _ = std::fs::remove_file(&copy);
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr).replace(&copy.display().to_string(), source);
        let said: Vec<&str> =
            said.lines().filter(|l| !l.trim_start().starts_with("at ") && !l.starts_with("Node.js v")).collect();
        bail!("the build failed: {source} is not valid JavaScript:\n{}", said.join("\n").trim());
    }
    Ok(())
}
