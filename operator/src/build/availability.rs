//! How the API pods ride out node drains and node failures — the same for crud-api and dl-api:
//! - replicas spread over nodes (soft: a one-node cluster still runs them all), so a drained or
//!   lost node takes at most its share;
//! - a preStop pause, so a pod leaving (eviction, rollout) is out of its Service's endpoints on
//!   every node before it stops accepting connections — without it, requests kube-proxy still
//!   routed to it in that second were refused;
//! - on a node that stops answering, pods leave after 30 s rather than the 300 s Kubernetes
//!   gives by default: they are stateless, and their replacements start in seconds.

use k8s_openapi::api::core::v1::{Lifecycle, LifecycleHandler, SleepAction, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::common::selector;

/// Seconds a leaving pod keeps serving (kube-proxy and ingress controllers catch up meanwhile).
pub const PRE_STOP_SECONDS: i64 = 5;
/// Seconds pods stay bound to a node that is not ready or unreachable.
pub const NODE_FAILURE_SECONDS: i64 = 30;
const NODE_FAILURE_TAINTS: [&str; 2] = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

pub fn pre_stop() -> Lifecycle {
    Lifecycle {
        pre_stop: Some(LifecycleHandler {
            sleep: Some(SleepAction { seconds: PRE_STOP_SECONDS }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `own` plus the node-failure tolerations, for each taint `own` does not already tolerate.
pub fn tolerations(own: Option<&[Toleration]>) -> Vec<Toleration> {
    let mut all = own.map(<[Toleration]>::to_vec).unwrap_or_default();
    for key in NODE_FAILURE_TAINTS {
        if !all.iter().any(|t| t.key.as_deref() == Some(key)) {
            all.push(Toleration {
                key: Some(key.into()),
                operator: Some("Exists".into()),
                effect: Some("NoExecute".into()),
                toleration_seconds: Some(NODE_FAILURE_SECONDS),
                value: None,
            });
        }
    }
    all
}

/// At most one more replica on any node than on another, when the scheduler can manage it.
pub fn spread(component: &str, instance: &str) -> Vec<TopologySpreadConstraint> {
    vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".into(),
        when_unsatisfiable: "ScheduleAnyway".into(),
        label_selector: Some(LabelSelector { match_labels: Some(selector(component, instance)), ..Default::default() }),
        ..Default::default()
    }]
}
