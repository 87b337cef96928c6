//! `plugin-runner`: the plugin author's kit — scaffold, build, test, and run a strategy plugin
//! the way crud-api does, from the command line.
//!
//! ```text
//! plugin-runner new payment|recommendation NAME [--lang rust|js|python] [--sdk PATH | --sdk-git URL]
//! plugin-runner build [DIR]          # the component, its size and sha256
//! plugin-runner test [DIR]           # DIR/fixtures/*.json under the service's limits
//! plugin-runner payment plugin.wasm --input checkout.json [--config key=value]… [--repeat N]
//! plugin-runner recommend plugin.wasm --input request.json
//! ```
//! The service's limits by default (fuel, the 200 ms deadline, the 32 MiB memory cap), a fresh
//! instance per call as in the service, and compiled components cached on disk (keyed by
//! engine and digest) so a second run starts in milliseconds. Prints one JSON document: the
//! output or the error (its kind and cause), fuel used, wall time (min/median/max over
//! `--repeat` runs) and the plugin's log lines — also when it failed.
//!
//! Exit status: 0 the plugin answered; 1 the plugin failed (the JSON says how); 2 bad usage or
//! input (a missing file, input that is not the documented shape); 3 the runner itself broke.

mod built;
mod json;
mod kit;
mod lang;
mod scaffold;
mod schema;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use plugin_host::{Clock, Kind, Limits, LogLine, Plugin, PluginEngine, PluginError};
use plugin_strategies::verify::PlanRules;
use serde_json::{json, Value};

/// Which world a run calls.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Strategy {
    Payment,
    Recommend,
}

#[derive(Debug, Parser)]
#[command(
    name = "plugin-runner",
    version,
    about = "Scaffold, build, test and run Gajyeogagu strategy plugins, as crud-api runs them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run a payment plugin on a checkout.
    Payment(Args),
    /// Run a recommendation plugin on a context and candidates.
    Recommend(Args),
    /// Create a standalone plugin project in ./NAME (builds outside this repository).
    New {
        world: NewWorld,
        name: String,
        /// The SDK's `plugins/guest` directory (default: this runner's checkout).
        #[arg(long, conflicts_with = "sdk_git")]
        sdk: Option<PathBuf>,
        /// Take the SDK from a git repository instead (its `plugins/guest` and `plugins/strategies`).
        #[arg(long)]
        sdk_git: Option<String>,
        /// The language: Rust (cargo and the SDK), JavaScript (componentize-js) or Python
        /// (componentize-py).
        #[arg(long, value_enum, default_value = "rust")]
        lang: lang::Lang,
    },
    /// Build the project in DIR (default: here) into a component.
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Build, then run every DIR/fixtures/*.json under the service's limits.
    Test {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum NewWorld {
    Payment,
    Recommendation,
}

#[derive(Debug, clap::Args)]
struct Args {
    /// The component (`.wasm`).
    plugin: PathBuf,
    /// Input JSON: a checkout (payment) or {"context": …, "candidates": […]} (recommend).
    #[arg(long)]
    input: PathBuf,
    /// Instruction budget (the service's by default).
    #[arg(long, default_value_t = Limits::default().fuel)]
    fuel: u64,
    /// Deadline in milliseconds (the service's by default).
    #[arg(long, default_value_t = Limits::default().timeout.as_millis() as u64)]
    timeout_ms: u64,
    /// Memory cap in MiB, initial memory included (the service's by default).
    #[arg(long, default_value_t = Limits::default().memory_bytes >> 20)]
    memory_mb: usize,
    /// Tenant configuration the plugin can read (repeatable).
    #[arg(long = "config", value_parser = parse_kv)]
    config: Vec<(String, String)>,
    /// The tenant's IANA time zone: the clock `placed_at`/`now` are read on, and what they
    /// are when the input leaves them out (the current time).
    #[arg(long, default_value = plugin_host::clock::DEFAULT_TIME_ZONE, value_parser = parse_zone)]
    time_zone: Clock,
    /// Expected sha256 of the module (refused on mismatch).
    #[arg(long)]
    sha256: Option<String>,
    /// Run the call this many times, each on a fresh instance, and report the wall-time spread.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    repeat: u32,
    /// Where compiled components are cached (default: $XDG_CACHE_HOME or ~/.cache, then
    /// gajyeogagu/plugin-runner); `none` compiles every time.
    #[arg(long)]
    cache_dir: Option<String>,
}

fn parse_zone(s: &str) -> Result<Clock, String> {
    Clock::named(s).map_err(|e| e.to_string())
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("expected key=value, got {s}"))
}

/// Bad usage or input (exit 2), as opposed to the plugin failing (exit 1).
pub(crate) struct UsageError(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.into())
    }
}

fn main() {
    let cli = Cli::parse();
    // A bug in the runner or the host is not the plugin's failure: say so with its own code.
    let outcome = std::panic::catch_unwind(|| match &cli.command {
        Command::Payment(args) => run(Strategy::Payment, args),
        Command::Recommend(args) => run(Strategy::Recommend, args),
        Command::New { world, name, sdk, sdk_git, lang } => {
            let sdk = match (sdk, sdk_git) {
                (_, Some(url)) => scaffold::Sdk::Git(url.clone()),
                (Some(path), None) => {
                    scaffold::Sdk::Path(path.canonicalize().map_err(|e| anyhow::anyhow!("--sdk: {e}"))?)
                }
                (None, None) => scaffold::default_sdk(),
            };
            let world = match world {
                NewWorld::Payment => scaffold::World::Payment,
                NewWorld::Recommendation => scaffold::World::Recommendation,
            };
            scaffold::new(std::path::Path::new(name), name, world, *lang, &sdk)?;
            Ok((json!({"ok": true, "created": name, "next": format!("cd {name} && plugin-runner test")}), true))
        }
        Command::Build { dir } => kit::build(dir).map(|b| (b.describe(), true)).map_err(UsageError),
        Command::Test { dir } => kit::test(dir),
    });
    match outcome {
        Ok(Ok((doc, ok))) => {
            // A reader that stops early (`| head`) is not an error worth a panic; the exit
            // code still says how the plugin did.
            use std::io::Write;
            let _ = writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&doc).expect("json"));
            std::process::exit(if ok { 0 } else { 1 });
        }
        Ok(Err(UsageError(e))) => {
            eprintln!("plugin-runner: {e:#}");
            std::process::exit(2);
        }
        Err(_) => {
            eprintln!("plugin-runner: internal error (the message above); please report it");
            std::process::exit(3);
        }
    }
}

pub(crate) fn cache_dir(arg: Option<&str>) -> Option<PathBuf> {
    match arg {
        Some("none") => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|c| c.join("gajyeogagu/plugin-runner")),
    }
}

fn logs_json(logs: &[LogLine]) -> Vec<Value> {
    logs.iter().map(|l| json!({"level": l.level, "message": l.message})).collect()
}

fn failure(e: &PluginError, digest: Option<&str>, logs: &[LogLine]) -> Value {
    json!({ "ok": false, "kind": e.kind(), "error": e.to_string(), "digest": digest, "logs": logs_json(logs) })
}

fn run(strategy: Strategy, args: &Args) -> Result<(Value, bool), UsageError> {
    let bytes = std::fs::read(&args.plugin).map_err(|e| anyhow::anyhow!("{}: {e}", args.plugin.display()))?;
    let text = std::fs::read_to_string(&args.input).map_err(|e| anyhow::anyhow!("{}: {e}", args.input.display()))?;
    let input: Value = serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.input.display()))?;
    let engine = PluginEngine::new(cache_dir(args.cache_dir.as_deref()))?;
    let kind = match strategy {
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
        Err(e) => return Ok((failure(&e, None, &[]), false)),
    };
    call(&plugin, strategy, config, limits, &args.time_zone, &input, args.repeat)
}

/// Runs `plugin` on `input` `repeat` times, each on a fresh instance: the JSON document and
/// whether the plugin answered.
pub(crate) fn call(
    plugin: &Plugin,
    strategy: Strategy,
    config: Arc<BTreeMap<String, String>>,
    limits: Limits,
    clock: &Clock,
    input: &Value,
    repeat: u32,
) -> Result<(Value, bool), UsageError> {
    // Checked before the first call: input that is not the documented shape is the author's
    // mistake to fix, not something to guess around.
    enum Input {
        Checkout(plugin_strategies::Checkout),
        Rank(plugin_strategies::Context, Vec<plugin_strategies::Candidate>),
    }
    let parsed = match strategy {
        Strategy::Payment => {
            schema::check(schema::CHECKOUT, input)?;
            Input::Checkout(json::checkout(input, clock).map_err(|e| e.context("input"))?)
        }
        Strategy::Recommend => {
            schema::check(schema::RANK_REQUEST, input)?;
            let (ctx, cands) = json::rank_request(input, clock).map_err(|e| e.context("input"))?;
            Input::Rank(ctx, cands)
        }
    };
    let mut walls = Vec::new();
    let mut last = None;
    for _ in 0..repeat {
        // A fresh instance per call, as the service runs plugins: its cost is in the time.
        let started = std::time::Instant::now();
        let mut session = match plugin.session(config.clone(), limits) {
            Ok(s) => s,
            Err(e) => return Ok((failure(&e, Some(&plugin.digest), &[]), false)),
        };
        let answer = match &parsed {
            Input::Checkout(c) => session
                .quote(c, &PlanRules::platform_default())
                .map(|o| (json::plan(&o.value), o.fuel_used, o.logs, o.logs_dropped))
                .inspect(|(plan, ..)| schema::assert_output(schema::PLAN, plan)),
            Input::Rank(ctx, cands) => session
                .rank(ctx, cands)
                .map(|o| (json::ranked(&o.value), o.fuel_used, o.logs, o.logs_dropped))
                .inspect(|(ranking, ..)| schema::assert_output(schema::RANKING, ranking)),
        };
        walls.push(started.elapsed().as_secs_f64() * 1e3);
        match answer {
            Ok(done) => last = Some(done),
            Err(e) => return Ok((failure(&e, Some(&plugin.digest), session.logs()), false)),
        }
    }
    let (output, fuel, logs, dropped) = last.expect("at least one run");
    walls.sort_by(f64::total_cmp);
    let mut doc = json!({
        "ok": true,
        "output": output,
        "fuel_used": fuel,
        "wall_ms": walls[walls.len() / 2],
        "digest": plugin.digest,
        "logs": logs_json(&logs),
        "logs_dropped": dropped,
    });
    if repeat > 1 {
        doc["runs"] = json!({
            "count": walls.len(),
            "wall_ms_min": walls[0],
            "wall_ms_median": walls[walls.len() / 2],
            "wall_ms_p95": walls[(walls.len() * 95 / 100).min(walls.len() - 1)],
            "wall_ms_max": walls[walls.len() - 1],
        });
    }
    Ok((doc, true))
}
