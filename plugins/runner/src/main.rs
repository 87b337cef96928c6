//! `plugin-runner`: run a strategy plugin the way crud-api does, from the command line.
//!
//! ```text
//! plugin-runner payment plugin.wasm --input checkout.json [--fuel N] [--config key=value]…
//! plugin-runner recommend plugin.wasm --input request.json
//! ```
//! Prints one JSON document: the output (or the error and its kind), fuel used, wall time and
//! the plugin's log lines. Exit status 0 on success, 1 when the plugin failed, 2 on bad usage.

mod json;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use plugin_host::{Kind, Limits, Plugin, PluginEngine};
use plugin_strategies::verify::PlanRules;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Strategy {
    Payment,
    Recommend,
}

#[derive(Debug, Parser)]
#[command(name = "plugin-runner", version, about = "Run a Gajyeogagu strategy plugin locally")]
struct Args {
    /// Which world the plugin implements.
    strategy: Strategy,
    /// The component (`.wasm`).
    plugin: PathBuf,
    /// Input JSON: a checkout (payment) or {"context": …, "candidates": […]} (recommend).
    #[arg(long)]
    input: PathBuf,
    /// Instruction budget.
    #[arg(long, default_value_t = Limits::default().fuel)]
    fuel: u64,
    /// Deadline in milliseconds.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Memory cap in MiB.
    #[arg(long, default_value_t = 32)]
    memory_mb: usize,
    /// Tenant configuration the plugin can read (repeatable).
    #[arg(long = "config", value_parser = parse_kv)]
    config: Vec<(String, String)>,
    /// Expected sha256 of the module (refused on mismatch).
    #[arg(long)]
    sha256: Option<String>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("expected key=value, got {s}"))
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok((doc, ok)) => {
            println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
            std::process::exit(if ok { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("plugin-runner: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run(args: &Args) -> anyhow::Result<(serde_json::Value, bool)> {
    let bytes = std::fs::read(&args.plugin).map_err(|e| anyhow::anyhow!("{}: {e}", args.plugin.display()))?;
    let input: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&args.input)?)?;
    let engine = PluginEngine::new(None)?;
    let kind = match args.strategy {
        Strategy::Payment => Kind::Payment,
        Strategy::Recommend => Kind::Recommendation,
    };
    let limits = Limits {
        fuel: args.fuel,
        timeout: Duration::from_millis(args.timeout_ms),
        memory_bytes: args.memory_mb << 20,
        ..Limits::default()
    };
    let config: Arc<BTreeMap<String, String>> = Arc::new(args.config.iter().cloned().collect());
    let plugin = match Plugin::load(&engine, &args.plugin.display().to_string(), kind, &bytes, args.sha256.as_deref()) {
        Ok(p) => p,
        Err(e) => return Ok((serde_json::json!({ "ok": false, "error": e.to_string(), "kind": e.kind() }), false)),
    };
    let result = match args.strategy {
        Strategy::Payment => {
            let checkout = json::checkout(&input)?;
            plugin
                .quote(config, limits, &checkout, &PlanRules::platform_default())
                .map(|o| (json::plan(&o.value), o.fuel_used, o.wall, o.logs, o.logs_dropped))
        }
        Strategy::Recommend => {
            let (ctx, cands) = json::rank_request(&input)?;
            plugin
                .rank(config, limits, &ctx, &cands)
                .map(|o| (json::ranked(&o.value), o.fuel_used, o.wall, o.logs, o.logs_dropped))
        }
    };
    Ok(match result {
        Ok((output, fuel, wall, logs, dropped)) => (
            serde_json::json!({
                "ok": true,
                "output": output,
                "fuel_used": fuel,
                "wall_ms": wall.as_secs_f64() * 1e3,
                "digest": plugin.digest,
                "logs": logs.iter().map(|l| serde_json::json!({"level": l.level, "message": l.message})).collect::<Vec<_>>(),
                "logs_dropped": dropped,
            }),
            true,
        ),
        Err(e) => (
            serde_json::json!({ "ok": false, "error": e.to_string(), "kind": e.kind(), "digest": plugin.digest }),
            false,
        ),
    })
}
