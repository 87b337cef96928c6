//! Kubernetes Events for the condition flips users watch (`kubectl describe`, `kubectl get
//! events`), for both kinds: one place decides what is news.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType};

use super::Context;
use crate::crd::Condition;

/// A Kubernetes Event when `Ready`, `Degraded` or `CandidateRollout` flips (not on every
/// status refresh): `CandidatePromoted` (Normal) and `CandidateRolledBack` (Warning) for the
/// last.
pub(crate) async fn publish_transition(
    ctx: &Context,
    reference: &ObjectReference,
    old: &[Condition],
    new: &[Condition],
) {
    let status = |conds: &[Condition], t: &str| conds.iter().find(|c| c.type_ == t).map(|c| c.status.clone());
    for (t, good) in [("Ready", "True"), ("Degraded", "False"), ("CandidateRollout", "True")] {
        let (before, after) = (status(old, t), status(new, t));
        if before == after {
            continue;
        }
        // A condition's first value is not a flip: every new resource starts not ready and not
        // degraded, and a thousand resources made at once would publish two thousand Events
        // saying so. Trouble from the start (Degraded=True) and a candidate's start are news.
        if before.is_none() && t != "CandidateRollout" && !(t == "Degraded" && after.as_deref() == Some("True")) {
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
