//! What serves each strategy of a tenant: its plugin (pinned by sha256), the limits it runs
//! under, and its fallback — and hot reload.
//!
//! The configuration is a JSON file (a ConfigMap in Kubernetes):
//!
//! ```json
//! { "time_zone": "Asia/Seoul",
//!   "payment": { "module": "payment-standard.wasm", "sha256": "…", "fuel": 50000000,
//!                "timeout_ms": 200, "memory_mb": 32, "fallback": "builtin",
//!                "config": { "coupons": "WELCOME10:10%" } },
//!   "recommendation": { "module": "recommend-style.wasm", "sha256": "…", "fallback": "builtin",
//!                       "candidate": { "module": "recommend-v2.wasm", "sha256": "…", "share_percent": 10 } } }
//! ```
//!
//! A `candidate` runs in shadow on its share of calls (`shadow`): compared, counted, never
//! used — the operator promotes or rolls it back from those counts.
//!
//! Module paths are relative to the file. `reload()` re-reads the file and modules and swaps
//! in what validates; a broken new version leaves the old one serving. Calls in flight keep
//! the `Arc<Plugin>` they started with.
//!
//! Candidates are compiled after start-up, not before: `new` loads what serves and leaves
//! candidates pending; `start` (or any `reload`) compiles them on a background thread, each
//! within a size cap (`MAX_MODULE_BYTES`, for every module) and a compile deadline — a huge or
//! slow candidate once held back every new replica's readiness.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry as MetricsRegistry;
use serde::Deserialize;

use plugin_strategies as s;
use plugin_strategies::verify::{verify_plan, PlanRules};

use crate::clock::Clock;
use crate::engine::PluginEngine;
use crate::error::PluginError;
use crate::limits::Limits;
use crate::plugin::{Kind, Plugin};
use crate::shadow::{self, Candidate, CandidateConfig, CandidateReports, ShadowResult, ShadowWorker};
use crate::state::LogLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The built-in Rust strategy (the same policy as the first-party plugin).
    #[default]
    Builtin,
    /// Refuse: the caller gets the error.
    FailClosed,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StrategyConfig {
    pub module: Option<PathBuf>,
    pub sha256: Option<String>,
    pub fuel: Option<u64>,
    pub timeout_ms: Option<u64>,
    pub memory_mb: Option<usize>,
    pub output_kb: Option<usize>,
    #[serde(default)]
    pub fallback: Fallback,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// A new version to run in shadow next to `module`, under the same limits and config.
    pub candidate: Option<CandidateConfig>,
}

impl StrategyConfig {
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(d.fuel),
            timeout: self.timeout_ms.map(Duration::from_millis).unwrap_or(d.timeout),
            memory_bytes: self.memory_mb.map(|m| m << 20).unwrap_or(d.memory_bytes),
            output_bytes: self.output_kb.map(|k| k << 10).unwrap_or(d.output_bytes),
            ..d
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PluginsFile {
    /// The tenant's IANA time zone: the clock plugins read (default Asia/Seoul).
    pub time_zone: Option<String>,
    pub payment: Option<StrategyConfig>,
    pub recommendation: Option<StrategyConfig>,
}

/// What a strategy call produced.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    pub value: T,
    /// Digest of the plugin that answered; None when the fallback did.
    pub digest: Option<String>,
    /// Why the fallback answered, if it did.
    pub fallback_reason: Option<PluginError>,
    pub fuel_used: u64,
    pub logs: Vec<LogLine>,
}

struct Active {
    cfg: StrategyConfig,
    config: Arc<BTreeMap<String, String>>,
    plugin: Option<Arc<Plugin>>,
    mtime: Option<SystemTime>,
    candidate: Option<Candidate>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    strategy: String,
    digest: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TrapLabels {
    strategy: String,
    digest: String,
    cause: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StrategyLabels {
    strategy: String,
    digest: String,
}

fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.000_01, 2.0, 20))
}

fn fuel_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1_000.0, 4.0, 12))
}

/// Plugin metrics, registered into the service's Prometheus registry.
#[derive(Clone)]
pub struct PluginMetrics {
    calls: Family<CallLabels, Counter>,
    latency: Family<StrategyLabels, Histogram, fn() -> Histogram>,
    fuel: Family<StrategyLabels, Histogram, fn() -> Histogram>,
    reloads: Family<CallLabels, Counter>,
    shadow_calls: Family<CallLabels, Counter>,
    traps: Family<TrapLabels, Counter>,
    shadow_latency: Family<StrategyLabels, Histogram, fn() -> Histogram>,
}

impl Default for PluginMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl PluginMetrics {
    pub fn new() -> Self {
        Self {
            calls: Family::default(),
            latency: Family::new_with_constructor(latency),
            fuel: Family::new_with_constructor(fuel_histogram),
            reloads: Family::default(),
            shadow_calls: Family::default(),
            traps: Family::default(),
            shadow_latency: Family::new_with_constructor(latency),
        }
    }

    pub fn register(&self, registry: &mut MetricsRegistry) {
        registry.register("plugin_calls", "Strategy plugin calls by outcome (ok or error kind)", self.calls.clone());
        registry.register("plugin_call_duration_seconds", "Strategy plugin call latency", self.latency.clone());
        registry.register("plugin_fuel_used", "Fuel (instructions) used per successful call", self.fuel.clone());
        registry.register("plugin_reloads", "Plugin (re)loads by outcome", self.reloads.clone());
        registry.register(
            "plugin_traps",
            "Plugin traps by cause: panic, the WASI interface the sandbox lacks, or wasmtime's trap",
            self.traps.clone(),
        );
        registry.register(
            "plugin_shadow_calls",
            "Candidate plugin calls in shadow by outcome (same, diverged, or the error kind)",
            self.shadow_calls.clone(),
        );
        registry.register(
            "plugin_shadow_call_duration_seconds",
            "Candidate plugin call latency in shadow",
            self.shadow_latency.clone(),
        );
    }

    fn shadow(&self, strategy: &str, r: ShadowResult) {
        self.shadow_calls
            .get_or_create(&CallLabels { strategy: strategy.into(), digest: r.digest.clone(), outcome: r.outcome })
            .inc();
        self.shadow_latency
            .get_or_create(&StrategyLabels { strategy: strategy.into(), digest: r.digest })
            .observe(r.wall.as_secs_f64());
    }
}

/// Largest module the host compiles. The kit's JavaScript and Python components are 12–18 MB;
/// compile time and memory grow with the bytes.
pub const MAX_MODULE_BYTES: u64 = 64 << 20;
/// Longest a candidate may take to compile before it is reported as failed.
pub const CANDIDATE_COMPILE_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Registry {
    engine: Arc<PluginEngine>,
    max_module_bytes: u64,
    candidate_compile_timeout: Duration,
    /// What this tenant can charge with: every plan, the fallback's too, is checked against it.
    rules: PlanRules,
    file: Option<PathBuf>,
    payment: RwLock<Active>,
    recommendation: RwLock<Active>,
    clock: RwLock<Clock>,
    /// Why the last (re)load failed, until one succeeds: shown in the service's readiness.
    problem: RwLock<Option<String>>,
    shadow: ShadowWorker,
    pub metrics: PluginMetrics,
}

/// Reads (within `max` bytes) and loads a module pinned by `sha256`.
fn load_module(
    engine: &PluginEngine,
    max: u64,
    kind: Kind,
    path: &Path,
    sha256: Option<&str>,
) -> Result<Arc<Plugin>, PluginError> {
    let unreadable = |e: std::io::Error| PluginError::Invalid(format!("{}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > max {
        return Err(PluginError::ModuleTooLarge(size, max));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let plugin = Plugin::load(engine, &path.display().to_string(), kind, &bytes, sha256)?;
    tracing::info!(strategy = kind.interface(), digest = %plugin.digest, module = %path.display(), "plugin loaded");
    Ok(Arc::new(plugin))
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl Registry {
    /// A registry from a plugins file (None: built-in strategies only). A file or module that
    /// can't be loaded does not stop the service: the built-in strategies serve, the error is
    /// logged and counted, and `problem` says why until a reload succeeds.
    pub fn new(engine: Arc<PluginEngine>, file: Option<PathBuf>, metrics: PluginMetrics) -> Self {
        let empty = || Active {
            cfg: StrategyConfig::default(),
            config: Arc::default(),
            plugin: None,
            mtime: None,
            candidate: None,
        };
        let r = Self {
            engine,
            max_module_bytes: MAX_MODULE_BYTES,
            candidate_compile_timeout: CANDIDATE_COMPILE_TIMEOUT,
            rules: PlanRules::platform_default(),
            file,
            payment: RwLock::new(empty()),
            recommendation: RwLock::new(empty()),
            clock: RwLock::new(Clock::default()),
            problem: RwLock::new(None),
            shadow: ShadowWorker::start(),
            metrics,
        };
        r.reload_all(false);
        r
    }

    /// The size cap of every module (default `MAX_MODULE_BYTES`); applies from the next load.
    pub fn with_max_module_bytes(mut self, bytes: u64) -> Self {
        self.max_module_bytes = bytes;
        self
    }

    /// How long a candidate may take to compile (default `CANDIDATE_COMPILE_TIMEOUT`).
    pub fn with_candidate_compile_timeout(mut self, timeout: Duration) -> Self {
        self.candidate_compile_timeout = timeout;
        self
    }

    /// Why the plugins asked for are not (all) serving — the last load's error — or None.
    pub fn problem(&self) -> Option<String> {
        self.problem.read().expect("plugin problem lock").clone()
    }

    fn count_reload(&self, strategy: &str, digest: &str, outcome: &str) {
        self.metrics
            .reloads
            .get_or_create(&CallLabels { strategy: strategy.into(), digest: digest.into(), outcome: outcome.into() })
            .inc();
    }

    /// The tenant's gateways and their methods (default: the platform's sandbox and Toss).
    /// A plan naming anything else is invalid, and the fallback answers.
    pub fn with_plan_rules(mut self, rules: PlanRules) -> Self {
        self.rules = rules;
        self
    }

    fn read_file(&self) -> Result<(PluginsFile, PathBuf), PluginError> {
        let Some(file) = &self.file else { return Ok((PluginsFile::default(), PathBuf::from("."))) };
        let text =
            std::fs::read_to_string(file).map_err(|e| PluginError::Invalid(format!("{}: {e}", file.display())))?;
        let parsed: PluginsFile =
            serde_json::from_str(&text).map_err(|e| PluginError::Invalid(format!("{}: {e}", file.display())))?;
        Ok((parsed, file.parent().map(Path::to_path_buf).unwrap_or_default()))
    }

    /// Re-reads everything; errors are logged, counted and kept in `problem` while the
    /// plugins that were serving (at start-up: the built-in strategies) keep serving.
    /// `compile_candidates` false: candidates stay pending (start-up).
    fn reload_all(&self, compile_candidates: bool) {
        let (file, base) = match self.read_file() {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = %e, "plugins file unreadable; keeping the current strategies");
                self.count_reload("plugins_file", "", e.kind());
                *self.problem.write().expect("plugin problem lock") = Some(format!("plugins file: {e}"));
                return;
            }
        };
        let mut first = None;
        match file.time_zone.as_deref().map_or_else(|| Ok(Clock::default()), Clock::named) {
            Ok(clock) => *self.clock.write().expect("clock lock") = clock,
            Err(e) => {
                tracing::error!(error = %e, "time zone not changed");
                self.count_reload("time_zone", "", e.kind());
                first = Some(format!("time_zone: {e}"));
            }
        }
        for (kind, cfg, slot) in [
            (Kind::Payment, file.payment, &self.payment),
            (Kind::Recommendation, file.recommendation, &self.recommendation),
        ] {
            let cfg = cfg.unwrap_or_default();
            match self.load_slot(kind, cfg, &base, slot, compile_candidates) {
                Ok(None) => {}
                Ok(Some(candidate_problem)) => {
                    first.get_or_insert(candidate_problem);
                }
                Err(e) => {
                    let name = kind.interface();
                    tracing::error!(strategy = name, error = %e, kind = e.kind(), "plugin not (re)loaded; the previous strategy keeps serving");
                    self.count_reload(name, "", e.kind());
                    first.get_or_insert(format!("{name}: {} ({})", e, e.kind()));
                }
            }
        }
        *self.problem.write().expect("plugin problem lock") = first;
    }

    /// Loads a module pinned by `sha256` from `path`.
    fn load_module(&self, kind: Kind, path: &Path, sha256: Option<&str>) -> Result<Arc<Plugin>, PluginError> {
        load_module(&self.engine, self.max_module_bytes, kind, path, sha256)
    }

    /// Loads a candidate on a thread of its own, waiting at most the compile deadline. A
    /// compile past it goes on to its end (wasmtime can't stop one; the size cap bounds it) and
    /// its result is dropped; the candidate is not compiled again until its file or pin changes.
    fn load_candidate(&self, kind: Kind, path: &Path, sha256: &str) -> Result<Arc<Plugin>, PluginError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (engine, max, path, sha) =
            (self.engine.clone(), self.max_module_bytes, path.to_path_buf(), sha256.to_string());
        std::thread::Builder::new()
            .name("plugin-compile".into())
            .spawn(move || {
                let _ = tx.send(load_module(&engine, max, kind, &path, Some(&sha)));
            })
            .map_err(|e| PluginError::Invalid(format!("no thread to compile on: {e}")))?;
        rx.recv_timeout(self.candidate_compile_timeout)
            .unwrap_or(Err(PluginError::CompileTimeout(self.candidate_compile_timeout.as_secs())))
    }

    /// (Re)loads what changed of one strategy. Err: the plugin itself failed (the slot keeps
    /// what it had); Ok(Some): only the candidate failed — the plugin serves, the candidate is
    /// reported with its load error (an error to the operator, which rolls it back).
    fn load_slot(
        &self,
        kind: Kind,
        cfg: StrategyConfig,
        base: &Path,
        slot: &RwLock<Active>,
        compile_candidates: bool,
    ) -> Result<Option<String>, PluginError> {
        let path = cfg.module.as_ref().map(|m| base.join(m));
        let new_mtime = path.as_deref().and_then(mtime);
        let candidate_path = cfg.candidate.as_ref().map(|c| base.join(&c.module));
        let candidate_mtime = candidate_path.as_deref().and_then(mtime);
        let (same_plugin, kept) = {
            let cur = slot.read().expect("plugin slot lock");
            let same_module =
                cur.plugin.as_ref().map(|p| p.name.clone()) == path.as_ref().map(|p| p.display().to_string());
            let same_plugin = same_module && cur.mtime == new_mtime && cur.cfg.sha256 == cfg.sha256;
            let same_candidate = match (&cur.candidate, &cfg.candidate) {
                (None, None) => true,
                (Some(c), Some(n)) => c.cfg == *n && c.mtime == candidate_mtime && !(compile_candidates && c.pending),
                _ => false,
            };
            if same_plugin
                && same_candidate
                && cur.cfg.config == cfg.config
                && cur.cfg.limits() == cfg.limits()
                && cur.cfg.fallback == cfg.fallback
            {
                // Unchanged; a candidate that failed to load is still a problem to report.
                let failed = cur.candidate.as_ref().and_then(|c| c.load_error.as_ref());
                return Ok(failed.map(|e| format!("{} candidate: {e}", kind.interface())));
            }
            (same_plugin, cur.plugin.clone())
        };
        let plugin = match &path {
            Some(_) if same_plugin => kept,
            Some(p) => {
                let plugin = self.load_module(kind, p, cfg.sha256.as_deref())?;
                self.count_reload(kind.interface(), &plugin.digest, "ok");
                Some(plugin)
            }
            None => None,
        };
        let mut candidate_problem = None;
        // Compiled before the slot is locked for writing: calls keep being served meanwhile.
        // At start-up not at all: left pending for `start`'s thread.
        let candidate = cfg.candidate.clone().zip(candidate_path).map(|(c, p)| {
            if !compile_candidates {
                return (c, None);
            }
            let loaded = self.load_candidate(kind, &p, &c.sha256);
            let name = kind.interface();
            match &loaded {
                Ok(plugin) => self.count_reload(&format!("{name}_candidate"), &plugin.digest, "ok"),
                Err(e) => {
                    tracing::error!(strategy = name, error = %e, kind = e.kind(), "candidate plugin not loaded");
                    self.count_reload(&format!("{name}_candidate"), "", e.kind());
                    candidate_problem = Some(format!("{name} candidate: {e} ({})", e.kind()));
                }
            }
            (c, Some(loaded))
        });
        let mut w = slot.write().expect("plugin slot lock");
        let candidate = candidate.map(|(c, loaded)| match loaded {
            Some(loaded) => Candidate::new(c, loaded, candidate_mtime, w.candidate.as_ref()),
            None => Candidate::pending(c, candidate_mtime, w.candidate.as_ref()),
        });
        *w = Active { config: Arc::new(cfg.config.clone()), cfg, plugin, mtime: new_mtime, candidate };
        Ok(candidate_problem)
    }

    /// Re-reads the plugins file and modules if anything changed, and compiles candidates.
    pub fn reload(&self) {
        self.reload_all(true);
    }

    /// The background thread, for the life of the process: compiles the candidates start-up
    /// left pending, then — with `reload_every` — polls for changes that often.
    pub fn start(self: &Arc<Self>, reload_every: Option<Duration>) {
        let weak = Arc::downgrade(self);
        let _ = std::thread::Builder::new().name("plugin-reload".into()).spawn(move || {
            if let Some(r) = weak.upgrade() {
                r.reload();
            }
            let Some(every) = reload_every else { return };
            loop {
                std::thread::sleep(every);
                match weak.upgrade() {
                    Some(r) => r.reload(),
                    None => break,
                }
            }
        });
    }

    /// The tenant's clock (its time zone from the plugins file).
    pub fn clock(&self) -> Clock {
        self.clock.read().expect("clock lock").clone()
    }

    /// (payment digest, recommendation digest) of what serves now.
    pub fn digests(&self) -> (Option<String>, Option<String>) {
        let d = |slot: &RwLock<Active>| slot.read().expect("lock").plugin.as_ref().map(|p| p.digest.clone());
        (d(&self.payment), d(&self.recommendation))
    }

    fn record(&self, strategy: &str, digest: &str, result: Result<(u64, Duration), &PluginError>) {
        let outcome = match result {
            Ok(_) => "ok".to_string(),
            Err(e) => e.kind().to_string(),
        };
        if let Some(cause) = result.err().and_then(PluginError::trap_cause) {
            self.metrics
                .traps
                .get_or_create(&TrapLabels { strategy: strategy.into(), digest: digest.into(), cause })
                .inc();
        }
        self.metrics
            .calls
            .get_or_create(&CallLabels { strategy: strategy.into(), digest: digest.into(), outcome })
            .inc();
        let labels = StrategyLabels { strategy: strategy.into(), digest: digest.into() };
        if let Ok((fuel, wall)) = result {
            self.metrics.latency.get_or_create(&labels).observe(wall.as_secs_f64());
            self.metrics.fuel.get_or_create(&labels).observe(fuel as f64);
        }
    }

    /// Runs a strategy: the plugin if one is loaded, else (or when it fails) the fallback.
    fn run<T>(
        &self,
        strategy: &str,
        slot: &RwLock<Active>,
        call: impl FnOnce(&Plugin, Arc<BTreeMap<String, String>>, Limits) -> Result<crate::CallOutcome<T>, PluginError>,
        builtin: impl FnOnce(&BTreeMap<String, String>) -> Result<T, String>,
    ) -> Result<Outcome<T>, PluginError> {
        let (plugin, config, cfg) = {
            let a = slot.read().expect("plugin slot lock");
            (a.plugin.clone(), a.config.clone(), a.cfg.clone())
        };
        let failure = match &plugin {
            // A panic in the host while it runs or checks a plugin (there should be none) is
            // that plugin's failure: counted, logged, and answered by the fallback.
            Some(p) => match catch_unwind(AssertUnwindSafe(|| call(p, config.clone(), cfg.limits())))
                .unwrap_or_else(|_| Err(PluginError::Trap("the host failed while running this plugin".into())))
            {
                Ok(out) => {
                    self.record(strategy, &p.digest, Ok((out.fuel_used, out.wall)));
                    return Ok(Outcome {
                        value: out.value,
                        digest: Some(p.digest.clone()),
                        fallback_reason: None,
                        fuel_used: out.fuel_used,
                        logs: out.logs,
                    });
                }
                Err(e) => {
                    self.record(strategy, &p.digest, Err(&e));
                    tracing::warn!(strategy, digest = %p.digest, kind = e.kind(), error = %e, "plugin failed");
                    Some(e)
                }
            },
            None => None,
        };
        match cfg.fallback {
            Fallback::FailClosed => Err(failure.unwrap_or(PluginError::NotConfigured)),
            Fallback::Builtin => {
                let value = builtin(config.as_ref()).map_err(PluginError::Refused)?;
                Ok(Outcome { value, digest: None, fallback_reason: failure, fuel_used: 0, logs: vec![] })
            }
        }
    }

    /// What each strategy's candidate did so far on this replica (empty: no candidates).
    pub fn candidates(&self) -> CandidateReports {
        [("payment", &self.payment), ("recommendation", &self.recommendation)]
            .into_iter()
            .filter_map(|(name, slot)| {
                Some((name.to_string(), slot.read().expect("plugin slot lock").candidate.as_ref()?.report()))
            })
            .collect()
    }

    /// Hands the strategy's candidate, if it has one and this call is in its share, the same
    /// input in the background (`make_call` builds the call only then: it clones the input).
    fn shadow<T, F>(
        &self,
        strategy: &'static str,
        slot: &RwLock<Active>,
        served: &T,
        make_call: impl FnOnce() -> F,
        compare: fn(&T, &T) -> Option<String>,
    ) where
        T: Clone + Send + 'static,
        F: FnOnce(&Plugin, Arc<BTreeMap<String, String>>, Limits) -> Result<crate::CallOutcome<T>, PluginError>
            + Send
            + 'static,
    {
        let a = slot.read().expect("plugin slot lock");
        let Some(candidate) = a.candidate.as_ref().filter(|c| c.plugin.is_some() && c.picks()) else { return };
        let (config, limits, call) = (a.config.clone(), a.cfg.limits(), make_call());
        let metrics = self.metrics.clone();
        self.shadow.submit(
            candidate,
            served.clone(),
            move |p| call(p, config, limits),
            compare,
            move |r| metrics.shadow(strategy, r),
        );
    }

    /// Runs the tenant's payment strategy, with its fallback. Synchronous and CPU-bound:
    /// async callers use a blocking thread.
    pub fn quote(&self, input: &s::Checkout) -> Result<Outcome<s::Plan>, PluginError> {
        let out = self.quote_served(input)?;
        self.shadow(
            "payment",
            &self.payment,
            &out.value,
            || {
                let (input, rules) = (input.clone(), self.rules.clone());
                move |p: &Plugin, config, limits| p.quote(config, limits, &input, &rules)
            },
            shadow::compare_plans,
        );
        Ok(out)
    }

    fn quote_served(&self, input: &s::Checkout) -> Result<Outcome<s::Plan>, PluginError> {
        self.run(
            "payment",
            &self.payment,
            |p, config, limits| p.quote(config, limits, input, &self.rules),
            |config| {
                // The built-in policy offers only what the gateway takes, and is checked like
                // a plugin: a tenant config naming a gateway this instance lacks fails here
                // (never silently another gateway), not at the gateway.
                let mut plan = s::payment_standard::quote(config, input)?;
                if let Some(supported) = self.rules.methods_of(&plan.gateway) {
                    plan.methods.retain(|m| supported.contains(m));
                }
                verify_plan(input, &plan, &self.rules).map_err(|e| format!("the built-in strategy's plan: {e}"))?;
                Ok(plan)
            },
        )
    }

    /// Runs the tenant's recommendation strategy, with its fallback.
    pub fn rank(&self, ctx: &s::Context, candidates: &[s::Candidate]) -> Result<Outcome<Vec<s::Ranked>>, PluginError> {
        let out = self.run(
            "recommendation",
            &self.recommendation,
            |p, config, limits| p.rank(config, limits, ctx, candidates),
            |config| s::recommend_style::rank_records(config, ctx, candidates),
        )?;
        self.shadow(
            "recommendation",
            &self.recommendation,
            &out.value,
            || {
                let (ctx, candidates) = (ctx.clone(), candidates.to_vec());
                move |p: &Plugin, config, limits| p.rank(config, limits, &ctx, &candidates)
            },
            |a: &Vec<s::Ranked>, b: &Vec<s::Ranked>| shadow::compare_rankings(a, b),
        );
        Ok(out)
    }
}
