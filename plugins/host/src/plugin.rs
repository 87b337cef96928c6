//! A loaded plugin and its calls.
//!
//! Loading checks, in order: the sha256 pin, that the bytes are a component, that it exports
//! the expected world at a contract version the host loads (`CONTRACT_VERSIONS`: the current
//! one and the older ones, whose input lacks the newer fields), and that it links (its imports are the
//! host's `log` and `config`; anything else it imports — WASI clocks, randomness, files —
//! becomes a function that traps). Each call then gets a fresh `Store` from the
//! `InstancePre`, with the tenant's fuel, deadline, memory, output and log limits. Every copy
//! out of the plugin is bounded before it is made (hostcall fuel), and the text the host keeps
//! of an answer or an error is cut to the limits' caps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker};
use wasmtime::{Store, Trap};

use plugin_strategies as s;
use plugin_strategies::verify::{verify_plan, PlanRules};

use crate::bindings::{payment, recommend, v0_1, v0_2};
use crate::engine::PluginEngine;
use crate::error::PluginError;
use crate::limits::Limits;
use crate::state::{CallState, LogLine};
use crate::text::capped;
use crate::{convert, CONTRACT_VERSION, CONTRACT_VERSIONS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Payment,
    Recommendation,
}

impl Kind {
    pub fn interface(self) -> &'static str {
        match self {
            Kind::Payment => "payment",
            Kind::Recommendation => "recommend",
        }
    }

    pub fn world(self) -> &'static str {
        match self {
            Kind::Payment => "payment-strategy",
            Kind::Recommendation => "recommendation-strategy",
        }
    }
}

/// A component ready to instantiate, per world and contract version.
enum Pre {
    Payment(payment::PaymentStrategyPre<CallState>),
    Recommendation(recommend::RecommendationStrategyPre<CallState>),
    PaymentV0_2(v0_2::payment::PaymentStrategyPre<CallState>),
    RecommendationV0_2(v0_2::recommend::RecommendationStrategyPre<CallState>),
    PaymentV0_1(v0_1::payment::PaymentStrategyPre<CallState>),
    RecommendationV0_1(v0_1::recommend::RecommendationStrategyPre<CallState>),
}

pub struct Plugin {
    pub name: String,
    pub digest: String,
    pub kind: Kind,
    /// The contract version it was built against, e.g. "0.3.0".
    pub contract: String,
    pre: Pre,
}

/// A successful call and what it cost.
#[derive(Debug, Clone)]
pub struct CallOutcome<T> {
    pub value: T,
    pub fuel_used: u64,
    pub wall: Duration,
    pub logs: Vec<LogLine>,
    pub logs_dropped: usize,
}

/// Finds the contract version a component's export was built for.
fn exported_version(engine: &PluginEngine, component: &Component, kind: Kind) -> Result<String, PluginError> {
    let prefix = format!("gajyeogagu:plugins/{}@", kind.interface());
    let ty = component.component_type();
    for (name, _) in ty.exports(engine.engine()) {
        if let Some(v) = name.strip_prefix(&prefix) {
            return Ok(v.to_string());
        }
    }
    Err(PluginError::WrongWorld(kind.world().into()))
}

/// Which of the versions the host loads `found` is compatible with: semver, where a major
/// version breaks and, in 0.x, every minor version does (0.1.7 is 0.1.0's; 0.4.0 is no one's).
fn compatible(found: &str) -> Option<(u64, u64)> {
    let mut parts = found.split('.').map(|p| p.parse::<u64>().ok());
    let (major, minor) = (parts.next().flatten()?, parts.next().flatten()?);
    CONTRACT_VERSIONS.iter().map(|&(a, b, _)| (a, b)).find(|&(a, b)| a == major && (a != 0 || b == minor))
}

/// Defines the host interface of a bindings module in `linker`, traps for the rest, and
/// makes the world's `…Pre` (a `WrongWorld` error when the component doesn't fit it).
macro_rules! prepare {
    ($linker:expr, $engine:expr, $component:expr, $kind:expr, $($m:ident)::+, $pre:ident) => {{
        let link_err = |e: wasmtime::Error| PluginError::Invalid(format!("linking: {e}"));
        $($m)::+::gajyeogagu::plugins::host::add_to_linker::<CallState, wasmtime::component::HasSelf<CallState>>(
            &mut $linker,
            |s| s,
        )
        .map_err(link_err)?;
        crate::wasi::define(&mut $linker, $engine, $component).map_err(link_err)?;
        $linker.define_unknown_imports_as_traps($component).map_err(link_err)?;
        let pre = $linker.instantiate_pre($component).map_err(link_err)?;
        $($m)::+::$pre::new(pre).map_err(|_| PluginError::WrongWorld($kind.world().into()))?
    }};
}

impl Plugin {
    pub fn load(
        engine: &PluginEngine,
        name: &str,
        kind: Kind,
        bytes: &[u8],
        pinned_sha256: Option<&str>,
    ) -> Result<Self, PluginError> {
        let digest = crate::digest(bytes);
        if let Some(expected) = pinned_sha256 {
            if !expected.eq_ignore_ascii_case(&digest) {
                return Err(PluginError::DigestMismatch { expected: expected.to_lowercase(), actual: digest });
            }
        }
        if !bytes.starts_with(b"\0asm") {
            return Err(PluginError::Invalid("missing the \\0asm header".into()));
        }
        let component = engine.compile(bytes, &digest)?;
        let found = exported_version(engine, &component, kind)?;
        let Some(version) = compatible(&found) else {
            return Err(PluginError::IncompatibleVersion {
                found: format!("gajyeogagu:plugins@{found}"),
                expected: CONTRACT_VERSIONS
                    .iter()
                    .map(|(a, b, c)| format!("{a}.{b}.{c}"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            });
        };
        let mut linker: Linker<CallState> = Linker::new(engine.engine());
        let current = (CONTRACT_VERSION.0, CONTRACT_VERSION.1);
        let e = engine.engine();
        let pre = match (kind, version) {
            (Kind::Payment, v) if v == current => {
                Pre::Payment(prepare!(linker, e, &component, kind, payment, PaymentStrategyPre))
            }
            (Kind::Recommendation, v) if v == current => {
                Pre::Recommendation(prepare!(linker, e, &component, kind, recommend, RecommendationStrategyPre))
            }
            (Kind::Payment, (0, 2)) => {
                Pre::PaymentV0_2(prepare!(linker, e, &component, kind, v0_2::payment, PaymentStrategyPre))
            }
            (Kind::Recommendation, (0, 2)) => Pre::RecommendationV0_2(prepare!(
                linker,
                e,
                &component,
                kind,
                v0_2::recommend,
                RecommendationStrategyPre
            )),
            (Kind::Payment, _) => {
                Pre::PaymentV0_1(prepare!(linker, e, &component, kind, v0_1::payment, PaymentStrategyPre))
            }
            (Kind::Recommendation, _) => Pre::RecommendationV0_1(prepare!(
                linker,
                e,
                &component,
                kind,
                v0_1::recommend,
                RecommendationStrategyPre
            )),
        };
        Ok(Self { name: name.into(), digest, kind, contract: found, pre })
    }

    fn store(
        &self,
        engine: &wasmtime::Engine,
        config: Arc<BTreeMap<String, String>>,
        limits: Limits,
    ) -> Result<Store<CallState>, PluginError> {
        let mut store = Store::new(engine, CallState::new(config, limits));
        store.limiter(|s| s as &mut dyn wasmtime::ResourceLimiter);
        store.set_fuel(limits.fuel).map_err(|e| PluginError::Trap(e.to_string()))?;
        store.set_epoch_deadline(PluginEngine::ticks(limits.timeout));
        // At the deadline: CPU time decides, not a busy host's wall clock (`deadline`).
        store.epoch_deadline_callback(crate::deadline::check);
        // Bounds what each guest→host call and each answer may copy out of the plugin's
        // memory, checked by wasmtime before it allocates: without it one `log` of a 16 MiB
        // string costs the host 16 MiB, and a list of strings that all point at the same big
        // string costs it that many times over.
        store.set_hostcall_fuel(limits.output_bytes);
        Ok(store)
    }

    /// A session: one store and instance, for several calls (benchmarks; trusted batch work).
    /// After a trap the session is dead: start a new one.
    pub fn session(&self, config: Arc<BTreeMap<String, String>>, limits: Limits) -> Result<Session<'_>, PluginError> {
        let engine = match &self.pre {
            Pre::Payment(p) => p.engine().clone(),
            Pre::Recommendation(p) => p.engine().clone(),
            Pre::PaymentV0_2(p) => p.engine().clone(),
            Pre::RecommendationV0_2(p) => p.engine().clone(),
            Pre::PaymentV0_1(p) => p.engine().clone(),
            Pre::RecommendationV0_1(p) => p.engine().clone(),
        };
        let mut store = self.store(&engine, config, limits)?;
        let failed = |e, store: &Store<CallState>| classify(e, store, &limits);
        let bound = match &self.pre {
            Pre::Payment(p) => Bound::Payment(p.instantiate(&mut store).map_err(|e| failed(e, &store))?),
            Pre::Recommendation(p) => Bound::Recommendation(p.instantiate(&mut store).map_err(|e| failed(e, &store))?),
            Pre::PaymentV0_2(p) => Bound::PaymentV0_2(p.instantiate(&mut store).map_err(|e| failed(e, &store))?),
            Pre::RecommendationV0_2(p) => {
                Bound::RecommendationV0_2(p.instantiate(&mut store).map_err(|e| failed(e, &store))?)
            }
            Pre::PaymentV0_1(p) => Bound::PaymentV0_1(p.instantiate(&mut store).map_err(|e| failed(e, &store))?),
            Pre::RecommendationV0_1(p) => {
                Bound::RecommendationV0_1(p.instantiate(&mut store).map_err(|e| failed(e, &store))?)
            }
        };
        Ok(Session { plugin: self, store, bound })
    }

    /// One quote in a fresh store.
    pub fn quote(
        &self,
        config: Arc<BTreeMap<String, String>>,
        limits: Limits,
        input: &s::Checkout,
        rules: &PlanRules,
    ) -> Result<CallOutcome<s::Plan>, PluginError> {
        let started = Instant::now();
        let mut session = self.session(config, limits)?;
        let mut out = session.quote(input, rules)?;
        out.wall = started.elapsed();
        Ok(out)
    }

    /// One ranking in a fresh store.
    pub fn rank(
        &self,
        config: Arc<BTreeMap<String, String>>,
        limits: Limits,
        ctx: &s::Context,
        candidates: &[s::Candidate],
    ) -> Result<CallOutcome<Vec<s::Ranked>>, PluginError> {
        let started = Instant::now();
        let mut session = self.session(config, limits)?;
        let mut out = session.rank(ctx, candidates)?;
        out.wall = started.elapsed();
        Ok(out)
    }
}

enum Bound {
    Payment(payment::PaymentStrategy),
    Recommendation(recommend::RecommendationStrategy),
    PaymentV0_2(v0_2::payment::PaymentStrategy),
    RecommendationV0_2(v0_2::recommend::RecommendationStrategy),
    PaymentV0_1(v0_1::payment::PaymentStrategy),
    RecommendationV0_1(v0_1::recommend::RecommendationStrategy),
}

pub struct Session<'p> {
    plugin: &'p Plugin,
    store: Store<CallState>,
    bound: Bound,
}

/// wasmtime's message when a copy out of the guest would exceed the hostcall fuel (its error
/// type is private; the message is pinned by the sandbox tests).
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

fn classify(e: wasmtime::Error, store: &Store<CallState>, limits: &Limits) -> PluginError {
    if store.data().memory_denied {
        return PluginError::MemoryExceeded(limits.memory_bytes);
    }
    let err = match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginError::FuelExhausted(limits.fuel),
        Some(Trap::Interrupt) => PluginError::Timeout(limits.timeout.as_millis()),
        Some(t) => PluginError::Trap(trap_cause(&e, store).map_or_else(|| t.to_string(), |c| format!("{c} ({t})"))),
        None if format!("{e:?}").contains(HOSTCALL_FUEL_EXHAUSTED) => PluginError::CopyTooLarge(limits.output_bytes),
        // Otherwise wasmtime says "error while executing … wasm backtrace …", which names no
        // cause: say what the plugin did, if the store or the error chain tells.
        None => PluginError::Trap(
            trap_cause(&e, store)
                .unwrap_or_else(|| format!("{e}").lines().next().unwrap_or("trap").trim_end_matches(':').to_string()),
        ),
    };
    err.capped(limits.error_bytes)
}

/// What made the plugin trap, when it can be told: the panic the guest SDK logged (`panicked
/// at file:line: message`), or the import the plugin called that the sandbox does not
/// provide (every WASI import: `println!`, `SystemTime`, `HashMap`'s random seed…).
fn trap_cause(e: &wasmtime::Error, store: &Store<CallState>) -> Option<String> {
    if let Some(panic) = store.data().logs.iter().rev().find(|l| l.message.starts_with("panicked at")) {
        return Some(panic.message.clone());
    }
    let chain = format!("{e:?}");
    let import = chain.split("unknown import: `").nth(1)?.split('`').next()?;
    Some(format!(
        "called `{import}`, which the sandbox does not provide (of WASI only the environment, clocks \
         and randomness, all deterministic: no files, sockets, stdin, stdout or stderr)"
    ))
}

impl Session<'_> {
    /// What the plugin logged in the last call, also when it failed (a successful call's lines
    /// are in its `CallOutcome`).
    pub fn logs(&self) -> &[LogLine] {
        &self.store.data().logs
    }

    /// Refills fuel and re-arms the deadline, so each call on a reused instance gets the full
    /// budget.
    fn arm(&mut self) -> Result<Limits, PluginError> {
        let limits = self.store.data().limits;
        self.store.set_fuel(limits.fuel).map_err(|e| PluginError::Trap(e.to_string()))?;
        self.store.set_epoch_deadline(PluginEngine::ticks(limits.timeout));
        let data = self.store.data_mut();
        data.started = crate::cpu_time::Started::now();
        data.logs.clear();
        data.logs_dropped = 0;
        Ok(limits)
    }

    fn finish<T>(&mut self, value: T, started: Instant) -> CallOutcome<T> {
        let limits = self.store.data().limits;
        let remaining = self.store.get_fuel().unwrap_or(0);
        let data = self.store.data_mut();
        CallOutcome {
            value,
            fuel_used: limits.fuel.saturating_sub(remaining),
            wall: started.elapsed(),
            logs: std::mem::take(&mut data.logs),
            logs_dropped: data.logs_dropped,
        }
    }

    /// One quote, checked: the plan must add up and be chargeable under `rules` (the tenant's
    /// gateways and methods); buyer-facing text in it is cut to `Limits::text_bytes`.
    pub fn quote(&mut self, input: &s::Checkout, rules: &PlanRules) -> Result<CallOutcome<s::Plan>, PluginError> {
        let limits = self.arm()?;
        let started = Instant::now();
        self.store.data_mut().now_millis = input.placed_at.unix_millis;
        let answer = match &self.bound {
            Bound::Payment(b) => b
                .gajyeogagu_plugins_payment()
                .call_quote(&mut self.store, &convert::checkout(input))
                .map(|a| a.map(convert::plan)),
            Bound::PaymentV0_2(b) => b
                .gajyeogagu_plugins_payment()
                .call_quote(&mut self.store, &convert::checkout_v0_2(input))
                .map(|a| a.map(convert::plan_v0_2)),
            Bound::PaymentV0_1(b) => b
                .gajyeogagu_plugins_payment()
                .call_quote(&mut self.store, &convert::checkout_v0_1(input))
                .map(|a| a.map(convert::plan_v0_1)),
            _ => return Err(PluginError::WrongWorld(Kind::Payment.world().into())),
        };
        let answer = answer.map_err(|e| classify(e, &self.store, &limits))?;
        let mut plan = answer.map_err(|e| PluginError::Refused(e).capped(limits.error_bytes))?;
        let size = convert::plan_size(&plan);
        if size > limits.output_bytes {
            return Err(PluginError::OutputTooLarge(size, limits.output_bytes));
        }
        verify_plan(input, &plan, rules).map_err(|e| PluginError::InvalidPlan(e).capped(limits.error_bytes))?;
        for note in &mut plan.notes {
            *note = capped(note, limits.text_bytes);
        }
        for a in &mut plan.adjustments {
            a.reason = capped(&a.reason, limits.text_bytes);
        }
        Ok(self.finish(plan, started))
    }

    pub fn rank(
        &mut self,
        ctx: &s::Context,
        candidates: &[s::Candidate],
    ) -> Result<CallOutcome<Vec<s::Ranked>>, PluginError> {
        let limits = self.arm()?;
        let started = Instant::now();
        self.store.data_mut().now_millis = ctx.now.unix_millis;
        let refused = |e| PluginError::Refused(e).capped(limits.error_bytes);
        let invalid = |e| PluginError::InvalidRanking(e).capped(limits.error_bytes);
        let ranked = match &self.bound {
            Bound::Recommendation(b) => {
                let columns = convert::candidates(candidates).map_err(PluginError::InputTooLarge)?;
                let picks = b
                    .gajyeogagu_plugins_recommend()
                    .call_rank(&mut self.store, &convert::context(ctx), &columns)
                    .map_err(|e| classify(e, &self.store, &limits))?
                    .map_err(refused)?;
                convert::picks(picks, candidates).map_err(invalid)?
            }
            Bound::RecommendationV0_2(b) => {
                let ranked = b
                    .gajyeogagu_plugins_recommend()
                    .call_rank(&mut self.store, &convert::context_v0_2(ctx), &convert::candidates_v0_2(candidates))
                    .map_err(|e| classify(e, &self.store, &limits))?
                    .map_err(refused)?;
                offered_once(convert::ranked_v0_2(ranked), candidates).map_err(invalid)?
            }
            Bound::RecommendationV0_1(b) => {
                let ranked = b
                    .gajyeogagu_plugins_recommend()
                    .call_rank(&mut self.store, &convert::context_v0_1(ctx), &convert::candidates_v0_1(candidates))
                    .map_err(|e| classify(e, &self.store, &limits))?
                    .map_err(refused)?;
                offered_once(convert::ranked_v0_1(ranked), candidates).map_err(invalid)?
            }
            _ => return Err(PluginError::WrongWorld(Kind::Recommendation.world().into())),
        };
        let size = convert::ranked_size(&ranked);
        if size > limits.output_bytes {
            return Err(PluginError::OutputTooLarge(size, limits.output_bytes));
        }
        if ranked.len() > ctx.limit as usize {
            return Err(PluginError::InvalidRanking(format!(
                "returned {} items for a limit of {}",
                ranked.len(),
                ctx.limit
            )));
        }
        let ranked =
            ranked.into_iter().map(|r| s::Ranked { reason: capped(&r.reason, limits.text_bytes), ..r }).collect();
        Ok(self.finish(ranked, started))
    }

    pub fn plugin(&self) -> &Plugin {
        self.plugin
    }
}

/// A ranking by id (contracts before 0.3.0) checked: only ids offered, each once, every score
/// finite.
fn offered_once(ranked: Vec<s::Ranked>, candidates: &[s::Candidate]) -> Result<Vec<s::Ranked>, String> {
    let mut seen = std::collections::BTreeSet::new();
    for r in &ranked {
        if !candidates.iter().any(|c| c.id == r.id) || !seen.insert(r.id.as_str()) || !r.score.is_finite() {
            return Err(format!("ranked an unknown, duplicate or non-finite entry {}", r.id));
        }
    }
    Ok(ranked)
}

#[cfg(test)]
mod tests {
    use super::compatible;

    #[test]
    fn contract_versions() {
        assert_eq!(compatible("0.3.0"), Some((0, 3)));
        assert_eq!(compatible("0.2.0"), Some((0, 2)), "plugins built against 0.2.0 keep loading");
        assert_eq!(compatible("0.2.3"), Some((0, 2)));
        assert_eq!(compatible("0.1.0"), Some((0, 1)), "plugins built against 0.1.0 keep loading");
        assert_eq!(compatible("0.1.7"), Some((0, 1)));
        assert_eq!(compatible("0.4.0"), None);
        assert_eq!(compatible("1.0.0"), None);
        assert_eq!(compatible("garbage"), None);
    }
}
