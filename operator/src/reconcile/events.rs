//! Kubernetes Events for the condition flips users watch (`kubectl describe`, `kubectl get
//! events`), for both kinds: one place decides what is news.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};

use super::Context;
use crate::crd::Condition;

/// A Kubernetes Event when `Ready`, `Degraded`, `CandidateRollout` or `ProviderAsRequested`
/// flips (not on every status refresh): `CandidatePromoted` (Normal) and `CandidateRolledBack`
/// (Warning) for the third; `ProviderAsRequestedFalse` (Warning) when CUDA was asked for and not
/// obtained — not for the Unknown between (loading, no answer), nor for Unknown → True.
pub(crate) async fn publish_transition(
    ctx: &Context,
    reference: &ObjectReference,
    old: &[Condition],
    new: &[Condition],
) {
    let status = |conds: &[Condition], t: &str| conds.iter().find(|c| c.type_ == t).map(|c| c.status.clone());
    for (t, good) in
        [("Ready", "True"), ("Degraded", "False"), ("CandidateRollout", "True"), (super::placement::CONDITION, "True")]
    {
        let (before, after) = (status(old, t), status(new, t));
        if before == after {
            continue;
        }
        // A condition's first value is not a flip: every new resource starts not ready and not
        // degraded, and a thousand resources made at once would publish two thousand Events
        // saying so. Trouble from the start (Degraded=True) and a candidate's start are news.
        // So is a GPU deployment that cannot have CUDA from its first pass
        // (ProviderAsRequested=False), and the first verdict after an Unknown one.
        let trouble_from_start = (t == "Degraded" && after.as_deref() == Some("True"))
            || (t == super::placement::CONDITION && after.as_deref() == Some("False"));
        if before.is_none() && t != "CandidateRollout" && !trouble_from_start {
            continue;
        }
        if t == super::placement::CONDITION
            && (after.as_deref() == Some("Unknown")
                || before.as_deref() == Some("Unknown") && after.as_deref() == Some(good))
        {
            continue;
        }
        let Some(c) = new.iter().find(|c| c.type_ == t) else { continue };
        let event = Event {
            // A candidate starting its shadow is news, not trouble.
            type_: if after.as_deref() == Some(good) || (t == "CandidateRollout" && after.as_deref() == Some("Unknown"))
            {
                EventType::Normal
            } else {
                EventType::Warning
            },
            reason: if t == "CandidateRollout" { format!("Candidate{}", c.reason) } else { format!("{t}{}", c.status) },
            note: Some(c.message.chars().take(1000).collect()),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(e) = ctx.recorder.publish(&event, reference).await {
            tracing::warn!(error = %e, "publishing an event failed");
        }
    }
}
