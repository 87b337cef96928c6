//! A strategy's candidate plugin version, judged from the shadow counts the ready crud-api
//! replicas report in `/readyz`: it keeps shadowing, is promoted after a clean window, or is
//! rolled back on errors. The phase is final for a digest (a new candidate sha256 starts
//! over), and `crud_api::serving` turns it into the modules the replicas get.

use std::collections::BTreeMap;

use super::served::{abbrev, CandidateStats, Served};
use crate::crd::api_tenant::{PluginCandidate, RolloutPhase, RolloutStatus, TenantPlugins};
use crate::crd::Condition;

/// The rollouts of every strategy that has a candidate in the spec.
pub fn judge_all(
    plugins: &TenantPlugins,
    previous: &BTreeMap<String, RolloutStatus>,
    served: &Served,
) -> BTreeMap<String, RolloutStatus> {
    [("payment", &plugins.payment), ("recommendation", &plugins.recommendation)]
        .into_iter()
        .filter_map(|(kind, m)| {
            let candidate = m.as_ref()?.candidate.as_ref()?;
            Some((kind.to_string(), judge(kind, candidate, previous.get(kind), served)))
        })
        .collect()
}

/// One strategy's rollout. Counts are summed over the replicas that report this candidate and
/// never go backwards (a replica that restarts starts its counts again).
pub fn judge(
    kind: &str,
    candidate: &PluginCandidate,
    previous: Option<&RolloutStatus>,
    served: &Served,
) -> RolloutStatus {
    let previous = previous.filter(|p| p.candidate == candidate.sha256);
    if let Some(done) = previous.filter(|p| p.phase != RolloutPhase::Shadowing) {
        return done.clone();
    }
    let reports: Vec<&CandidateStats> =
        served.candidates.iter().filter_map(|r| r.get(kind)).filter(|s| s.digest == candidate.sha256).collect();
    let sum = |f: fn(&CandidateStats) -> u64| reports.iter().map(|s| f(s)).sum::<u64>() as i64;
    let load_errors: Vec<&str> = reports.iter().filter_map(|s| s.load_error.as_deref()).collect();
    let was = |f: fn(&RolloutStatus) -> i64| previous.map_or(0, f);
    let calls = sum(|s| s.calls).max(was(|p| p.calls));
    let same = sum(|s| s.same).max(was(|p| p.same));
    let diverged = sum(|s| s.diverged).max(was(|p| p.diverged));
    // A replica that could not load the candidate is an error by itself.
    let errors = (sum(|s| s.errors) + load_errors.len() as i64).max(was(|p| p.errors));
    let dropped = sum(|s| s.dropped).max(was(|p| p.dropped));
    let timed: u64 = reports.iter().map(|s| s.calls).sum();
    let mean_ms = if timed > 0 {
        Some(reports.iter().map(|s| s.mean_ms.unwrap_or(0.0) * s.calls as f64).sum::<f64>() / timed as f64)
    } else {
        previous.and_then(|p| p.mean_ms)
    };
    let last_error = load_errors.first().copied().or_else(|| reports.iter().find_map(|s| s.last_error.as_deref()));
    let last_divergence = reports.iter().find_map(|s| s.last_divergence.as_deref());
    let diverged_percent = if calls > 0 { diverged as f64 * 100.0 / calls as f64 } else { 0.0 };
    let counts = format!("{same} same, {diverged} diverged, {errors} errors");
    let (phase, message) = if errors >= candidate.rollback_after_errors {
        (
            RolloutPhase::RolledBack,
            format!(
                "rolled back {} after {errors} errors in {calls} shadow calls: {}",
                abbrev(&candidate.sha256),
                last_error.unwrap_or("(no detail)")
            ),
        )
    } else if reports.is_empty() && calls == 0 {
        (RolloutPhase::Shadowing, format!("waiting for the replicas to load candidate {}", abbrev(&candidate.sha256)))
    } else if calls >= candidate.promote_after_calls {
        match candidate.max_diverged_percent {
            Some(max) if diverged_percent > f64::from(max) => (
                RolloutPhase::Shadowing,
                format!(
                    "not promoted: {diverged_percent:.1}% of {calls} calls diverged (max {max}%); last: {}",
                    last_divergence.unwrap_or("-")
                ),
            ),
            _ => (
                RolloutPhase::Promoted,
                format!("promoted {} after {calls} shadow calls: {counts}", abbrev(&candidate.sha256)),
            ),
        }
    } else {
        let last = last_divergence.map(|d| format!(" (last: {d})")).unwrap_or_default();
        (
            RolloutPhase::Shadowing,
            format!(
                "{calls}/{} shadow calls: {same} same, {diverged} diverged{last}, {errors} errors",
                candidate.promote_after_calls
            ),
        )
    };
    RolloutStatus {
        candidate: candidate.sha256.clone(),
        phase,
        calls,
        same,
        diverged,
        errors,
        dropped,
        mean_ms: mean_ms.map(|m| (m * 1000.0).round() / 1000.0),
        message,
    }
}

/// `CandidateRollout`: Unknown while any candidate shadows (re-checked every few seconds),
/// False when one was rolled back, True when all were promoted; absent without candidates.
pub fn condition(rollouts: &BTreeMap<String, RolloutStatus>, generation: Option<i64>) -> Option<Condition> {
    if rollouts.is_empty() {
        return None;
    }
    let any = |p: RolloutPhase| rollouts.values().any(|r| r.phase == p);
    let (status, reason) = if any(RolloutPhase::RolledBack) {
        ("False", "RolledBack")
    } else if any(RolloutPhase::Shadowing) {
        ("Unknown", "Shadowing")
    } else {
        ("True", "Promoted")
    };
    let message = rollouts.iter().map(|(k, r)| format!("{k}: {}", r.message)).collect::<Vec<_>>().join("; ");
    Some(Condition {
        type_: "CandidateRollout".into(),
        status: status.into(),
        reason: reason.into(),
        message,
        last_transition_time: String::new(),
        observed_generation: generation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn candidate() -> PluginCandidate {
        serde_json::from_value(serde_json::json!({
            "source": { "configMap": { "name": "p", "key": "k" } }, "sha256": C,
            "promoteAfterCalls": 100, "rollbackAfterErrors": 2
        }))
        .unwrap()
    }

    fn replica(calls: u64, diverged: u64, errors: u64) -> BTreeMap<String, CandidateStats> {
        let stats = CandidateStats {
            digest: C.into(),
            calls,
            same: calls - diverged - errors,
            diverged,
            errors,
            mean_ms: Some(1.0),
            last_divergence: (diverged > 0).then(|| "total 100 → 90".into()),
            last_error: (errors > 0).then(|| "trap: boom (trap)".into()),
            ..Default::default()
        };
        BTreeMap::from([("payment".to_string(), stats)])
    }

    fn served(replicas: Vec<BTreeMap<String, CandidateStats>>) -> Served {
        Served { asked: replicas.len(), candidates: replicas, replicas: vec![] }
    }

    #[test]
    fn counts_are_summed_over_replicas_and_divergence_is_reported() {
        let r = judge("payment", &candidate(), None, &served(vec![replica(30, 10, 0), replica(20, 5, 0)]));
        assert_eq!(r.phase, RolloutPhase::Shadowing);
        assert_eq!((r.calls, r.same, r.diverged, r.errors), (50, 35, 15, 0));
        assert_eq!(r.message, "50/100 shadow calls: 35 same, 15 diverged (last: total 100 → 90), 0 errors");
    }

    #[test]
    fn errors_roll_back_and_the_phase_is_final_for_the_digest() {
        let r = judge("payment", &candidate(), None, &served(vec![replica(30, 0, 1), replica(20, 0, 1)]));
        assert_eq!(r.phase, RolloutPhase::RolledBack);
        assert!(r.message.contains("after 2 errors in 50 shadow calls: trap: boom"), "{}", r.message);
        // The replicas no longer run it and report nothing: still rolled back.
        assert_eq!(judge("payment", &candidate(), Some(&r), &served(vec![])).phase, RolloutPhase::RolledBack);
        // A new candidate digest starts over.
        let mut next = candidate();
        next.sha256 = "d".repeat(64);
        assert_eq!(judge("payment", &next, Some(&r), &served(vec![])).phase, RolloutPhase::Shadowing);
    }

    #[test]
    fn a_clean_window_promotes_unless_divergence_is_bounded_and_exceeded() {
        let r = judge("payment", &candidate(), None, &served(vec![replica(60, 30, 0), replica(40, 20, 0)]));
        assert_eq!(r.phase, RolloutPhase::Promoted, "divergence is reported, not a veto: {}", r.message);
        let mut strict = candidate();
        strict.max_diverged_percent = Some(10);
        let r = judge("payment", &strict, None, &served(vec![replica(60, 30, 0), replica(40, 20, 0)]));
        assert_eq!(r.phase, RolloutPhase::Shadowing);
        assert!(r.message.starts_with("not promoted: 50.0% of 100 calls diverged (max 10%)"), "{}", r.message);
    }

    #[test]
    fn a_candidate_that_does_not_load_counts_as_an_error() {
        let mut bad = replica(0, 0, 0);
        bad.get_mut("payment").unwrap().load_error = Some("bytes do not match the pin (digest_mismatch)".into());
        let r = judge("payment", &candidate(), None, &served(vec![bad.clone(), bad]));
        assert_eq!(r.phase, RolloutPhase::RolledBack);
        assert!(r.message.contains("digest_mismatch"), "{}", r.message);
    }

    #[test]
    fn counts_never_go_backwards_when_a_replica_restarts() {
        let before = judge("payment", &candidate(), None, &served(vec![replica(40, 4, 0), replica(40, 4, 0)]));
        let after = judge("payment", &candidate(), Some(&before), &served(vec![replica(40, 4, 0), replica(2, 0, 0)]));
        assert_eq!((after.calls, after.diverged), (80, 8));
        let waiting = judge("payment", &candidate(), None, &served(vec![]));
        assert!(waiting.message.starts_with("waiting for the replicas"), "{}", waiting.message);
    }

    #[test]
    fn the_condition_says_the_worst_phase() {
        let mut rollouts = BTreeMap::new();
        assert!(condition(&rollouts, None).is_none());
        let shadowing = RolloutStatus { candidate: C.into(), message: "m".into(), ..Default::default() };
        rollouts.insert("payment".to_string(), shadowing.clone());
        assert_eq!(condition(&rollouts, None).unwrap().status, "Unknown");
        rollouts.insert("payment".to_string(), RolloutStatus { phase: RolloutPhase::Promoted, ..shadowing.clone() });
        assert_eq!(condition(&rollouts, None).unwrap().reason, "Promoted");
        rollouts.insert("recommendation".to_string(), RolloutStatus { phase: RolloutPhase::RolledBack, ..shadowing });
        let c = condition(&rollouts, Some(2)).unwrap();
        assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", "RolledBack"));
        assert_eq!(c.message, "payment: m; recommendation: m");
    }
}
