//! A candidate plugin version in shadow: on a share of calls it gets the same input as the
//! strategy that answered, after that answer is on its way; its own answer is compared with it
//! and counted (same, diverged, or the error kind), never used.
//!
//! Shadow calls run on one background thread behind a bounded queue, so they never add to a
//! request's latency and a busy host sheds them (counted as `dropped`) instead of queueing
//! without bound. The candidate runs under the limits, configuration and answer checks it
//! would serve under: what it would do once promoted is what the counters say.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use plugin_strategies as s;

use crate::error::PluginError;
use crate::plugin::Plugin;
use crate::text::capped;

/// Shadow calls waiting to run; past this they are dropped.
const QUEUE: usize = 64;
/// Longest divergence or error description kept.
const NOTE_BYTES: usize = 300;

fn default_share() -> u8 {
    10
}

/// The plugins file's `candidate` of a strategy.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CandidateConfig {
    pub module: PathBuf,
    /// Required: a candidate is always pinned.
    pub sha256: String,
    /// Percent of calls also run on the candidate, 1..=100.
    #[serde(default = "default_share")]
    pub share_percent: u8,
}

/// What a candidate did since this replica loaded it (`/readyz`, for the operator).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CandidateReport {
    /// The candidate's sha256 (the pinned one, also when it failed to load).
    pub digest: String,
    pub share_percent: u8,
    /// Shadow calls that ran (same + diverged + errors).
    pub calls: u64,
    pub same: u64,
    pub diverged: u64,
    pub errors: u64,
    /// Shadow calls shed because the queue was full.
    pub dropped: u64,
    /// The candidate's mean wall time per call, ms.
    pub mean_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_divergence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Not compiled yet (after start-up, in the background): no shadow calls until it is.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compiling: bool,
    /// Why the candidate is not running at all (it failed to load): an error by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_error: Option<String>,
}

#[derive(Default)]
struct Counters {
    seen: AtomicU64,
    same: AtomicU64,
    diverged: AtomicU64,
    errors: AtomicU64,
    dropped: AtomicU64,
    micros: AtomicU64,
    last_divergence: Mutex<Option<String>>,
    last_error: Mutex<Option<String>>,
}

/// A strategy's candidate: its plugin (None when it failed to load) and its counters, which
/// survive reloads that keep the same digest.
pub struct Candidate {
    pub cfg: CandidateConfig,
    pub plugin: Option<Arc<Plugin>>,
    pub load_error: Option<String>,
    pub mtime: Option<std::time::SystemTime>,
    /// Not compiled yet: the registry serves first and compiles candidates after start-up.
    pub pending: bool,
    counters: Arc<Counters>,
}

impl Candidate {
    pub fn new(
        cfg: CandidateConfig,
        loaded: Result<Arc<Plugin>, PluginError>,
        mtime: Option<std::time::SystemTime>,
        previous: Option<&Candidate>,
    ) -> Self {
        let counters = previous
            .filter(|p| p.cfg.sha256.eq_ignore_ascii_case(&cfg.sha256))
            .map(|p| p.counters.clone())
            .unwrap_or_default();
        let (plugin, load_error) = match loaded {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(capped(&format!("{e} ({})", e.kind()), NOTE_BYTES))),
        };
        Self { cfg, plugin, load_error, mtime, pending: false, counters }
    }

    /// A candidate to compile later (its counts carried over from `previous` as in `new`).
    pub fn pending(cfg: CandidateConfig, mtime: Option<std::time::SystemTime>, previous: Option<&Candidate>) -> Self {
        let counters = previous
            .filter(|p| p.cfg.sha256.eq_ignore_ascii_case(&cfg.sha256))
            .map(|p| p.counters.clone())
            .unwrap_or_default();
        Self { cfg, plugin: None, load_error: None, mtime, pending: true, counters }
    }

    /// Whether this call is one of the shared ones: evenly spread (call n is picked when
    /// ⌊(n+1)·share/100⌋ moves), so 10% is every tenth call, not ten in a row.
    pub fn picks(&self) -> bool {
        let n = self.counters.seen.fetch_add(1, Ordering::Relaxed);
        let share = u64::from(self.cfg.share_percent.min(100));
        (n + 1) * share / 100 > n * share / 100
    }

    pub fn report(&self) -> CandidateReport {
        let c = &self.counters;
        let (same, diverged, errors) =
            (c.same.load(Ordering::Relaxed), c.diverged.load(Ordering::Relaxed), c.errors.load(Ordering::Relaxed));
        let calls = same + diverged + errors;
        CandidateReport {
            digest: self.cfg.sha256.to_lowercase(),
            share_percent: self.cfg.share_percent,
            calls,
            same,
            diverged,
            errors,
            dropped: c.dropped.load(Ordering::Relaxed),
            mean_ms: (calls > 0).then(|| c.micros.load(Ordering::Relaxed) as f64 / calls as f64 / 1e3),
            last_divergence: c.last_divergence.lock().expect("shadow lock").clone(),
            last_error: c.last_error.lock().expect("shadow lock").clone(),
            load_error: self.load_error.clone(),
            compiling: self.pending,
        }
    }
}

/// How a shadow call ended, for the metrics: `same`, `diverged` or the error kind.
pub struct ShadowResult {
    pub digest: String,
    pub outcome: String,
    pub wall: Duration,
}

type Job = Box<dyn FnOnce() + Send>;

/// The background thread that runs shadow calls.
pub struct ShadowWorker {
    tx: SyncSender<Job>,
}

impl ShadowWorker {
    /// Starts the thread; it ends when the worker (its sender) is dropped.
    pub fn start() -> Self {
        let (tx, rx) = sync_channel::<Job>(QUEUE);
        let _ = std::thread::Builder::new().name("plugin-shadow".into()).spawn(move || {
            while let Ok(job) = rx.recv() {
                // A panic in one shadow call must not end the thread for the others.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        });
        Self { tx }
    }

    /// Runs `call` on the candidate in the background, compares its value with `served`,
    /// counts the outcome, and hands it to `done` (metrics). The caller decided the call is
    /// in the candidate's share (`Candidate::picks`).
    pub fn submit<T: Send + 'static>(
        &self,
        candidate: &Candidate,
        served: T,
        call: impl FnOnce(&Plugin) -> Result<crate::CallOutcome<T>, PluginError> + Send + 'static,
        compare: fn(&T, &T) -> Option<String>,
        done: impl FnOnce(ShadowResult) + Send + 'static,
    ) {
        let Some(plugin) = candidate.plugin.clone() else { return };
        let counters = candidate.counters.clone();
        let job: Job = Box::new(move || {
            let started = std::time::Instant::now();
            let result = call(&plugin);
            let wall = started.elapsed();
            counters.micros.fetch_add(wall.as_micros() as u64, Ordering::Relaxed);
            let outcome = match result {
                Ok(out) => match compare(&served, &out.value) {
                    None => {
                        counters.same.fetch_add(1, Ordering::Relaxed);
                        "same".to_string()
                    }
                    Some(how) => {
                        counters.diverged.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(digest = %plugin.digest, divergence = %how, "candidate plugin diverged");
                        *counters.last_divergence.lock().expect("shadow lock") = Some(capped(&how, NOTE_BYTES));
                        "diverged".to_string()
                    }
                },
                Err(e) => {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(digest = %plugin.digest, kind = e.kind(), error = %e, "candidate plugin failed");
                    *counters.last_error.lock().expect("shadow lock") =
                        Some(capped(&format!("{e} ({})", e.kind()), NOTE_BYTES));
                    e.kind().to_string()
                }
            };
            done(ShadowResult { digest: plugin.digest.clone(), outcome, wall });
        });
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.tx.try_send(job) {
            candidate.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// None when the plans are the same; else the fields that differ, served → candidate.
pub fn compare_plans(served: &s::Plan, candidate: &s::Plan) -> Option<String> {
    if served == candidate {
        return None;
    }
    let mut diffs = Vec::new();
    for (name, a, b) in [
        ("total", served.total, candidate.total),
        ("delivery_fee", served.delivery_fee, candidate.delivery_fee),
        ("commission", served.commission, candidate.commission),
    ] {
        if a != b {
            diffs.push(format!("{name} {a} → {b}"));
        }
    }
    for (name, differs) in [
        ("adjustments", served.adjustments != candidate.adjustments),
        ("payouts", served.payouts != candidate.payouts),
        ("methods", served.methods != candidate.methods),
        ("gateway", served.gateway != candidate.gateway),
        ("notes", served.notes != candidate.notes),
    ] {
        if differs {
            diffs.push(format!("{name} differ"));
        }
    }
    Some(diffs.join(", "))
}

/// None when the rankings list the same ids in the same order (scores and reasons are the
/// candidate's own business); else how the order differs.
pub fn compare_rankings(served: &[s::Ranked], candidate: &[s::Ranked]) -> Option<String> {
    let ids = |r: &[s::Ranked]| r.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    let (a, b) = (ids(served), ids(candidate));
    if a == b {
        return None;
    }
    let common = a.iter().filter(|id| b.contains(id)).count();
    let first = |v: &[String]| v.first().cloned().unwrap_or_else(|| "nothing".into());
    Some(format!(
        "first {} → {}; {common} of {} served items also ranked ({} ranked)",
        first(&a),
        first(&b),
        a.len(),
        b.len()
    ))
}

/// Reports per strategy, for `/readyz`.
pub type CandidateReports = BTreeMap<String, CandidateReport>;

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(share: u8) -> Candidate {
        let cfg = CandidateConfig { module: "m.wasm".into(), sha256: "A".repeat(64), share_percent: share };
        Candidate::new(cfg, Err(PluginError::NotConfigured), None, None)
    }

    #[test]
    fn the_share_is_spread_evenly() {
        let c = candidate(10);
        let picked: Vec<bool> = (0..100).map(|_| c.picks()).collect();
        assert_eq!(picked.iter().filter(|p| **p).count(), 10);
        assert!(picked.chunks(10).all(|w| w.iter().filter(|p| **p).count() == 1), "one in each ten: {picked:?}");
        let all = candidate(100);
        assert!((0..50).all(|_| all.picks()));
        let none = candidate(0);
        assert!((0..50).all(|_| !none.picks()));
    }

    #[test]
    fn counters_survive_a_reload_of_the_same_digest_only() {
        let a = candidate(10);
        a.counters.same.fetch_add(3, Ordering::Relaxed);
        let cfg = |sha: &str| CandidateConfig { module: "m.wasm".into(), sha256: sha.into(), share_percent: 10 };
        let same = Candidate::new(cfg(&"a".repeat(64)), Err(PluginError::NotConfigured), None, Some(&a));
        assert_eq!(same.report().same, 3);
        let other = Candidate::new(cfg(&"b".repeat(64)), Err(PluginError::NotConfigured), None, Some(&a));
        assert_eq!(other.report().same, 0);
        assert_eq!(other.report().digest, "b".repeat(64));
        assert!(other.report().load_error.unwrap().contains("not_configured"));
    }

    #[test]
    fn divergence_names_what_differs() {
        let plan = |total, fee| s::Plan {
            adjustments: vec![],
            delivery_fee: fee,
            commission: 0,
            payouts: vec![],
            methods: vec!["card".into()],
            gateway: "sandbox".into(),
            total,
            notes: vec![],
        };
        assert_eq!(compare_plans(&plan(100, 10), &plan(100, 10)), None);
        assert_eq!(compare_plans(&plan(100, 10), &plan(90, 0)).unwrap(), "total 100 → 90, delivery_fee 10 → 0");
        let r = |ids: &[&str]| {
            ids.iter().map(|i| s::Ranked { id: i.to_string(), score: 1.0, reason: String::new() }).collect::<Vec<_>>()
        };
        assert_eq!(compare_rankings(&r(&["a", "b"]), &r(&["a", "b"])), None);
        assert_eq!(
            compare_rankings(&r(&["a", "b", "c"]), &r(&["b", "a"])).unwrap(),
            "first a → b; 2 of 3 served items also ranked (2 ranked)"
        );
    }
}
