//! Conditions from a child Deployment, following Kubernetes conventions: `Ready`,
//! `Progressing`, `Degraded`, each with reason, message, observed generation and a
//! transition time that only moves when the status flips.

use k8s_openapi::api::apps::v1::Deployment;

use crate::crd::Condition;

/// A problem the reconciler found (bad spec, missing reference) or a pod reported
/// (unschedulable, stuck container).
pub struct Problem {
    pub reason: String,
    pub message: String,
}

pub struct Derived {
    pub conditions: Vec<Condition>,
    pub ready_replicas: i32,
}

fn cond(type_: &str, ok: bool, reason: &str, message: String, generation: Option<i64>) -> Condition {
    Condition {
        type_: type_.into(),
        status: if ok { "True" } else { "False" }.into(),
        reason: reason.into(),
        message,
        last_transition_time: String::new(),
        observed_generation: generation,
    }
}

pub fn derive(deployment: Option<&Deployment>, generation: Option<i64>, problem: Option<&Problem>) -> Derived {
    let Some(dep) = deployment else {
        let (reason, message) = match problem {
            Some(p) => (p.reason.as_str(), p.message.clone()),
            None => ("Creating", "waiting for the Deployment to be created".to_string()),
        };
        return Derived {
            conditions: vec![
                cond("Ready", false, reason, message.clone(), generation),
                cond("Progressing", problem.is_none(), reason, message.clone(), generation),
                cond("Degraded", problem.is_some(), reason, message, generation),
            ],
            ready_replicas: 0,
        };
    };
    let want = dep.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let st = dep.status.clone().unwrap_or_default();
    let ready = st.ready_replicas.unwrap_or(0);
    let updated = st.updated_replicas.unwrap_or(0);
    let dep_conds = st.conditions.unwrap_or_default();
    let find = |t: &str| dep_conds.iter().find(|c| c.type_ == t);
    let available = find("Available").is_some_and(|c| c.status == "True");
    let deadline = find("Progressing").filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    let current = st.observed_generation >= dep.metadata.generation;
    let rolled_out = current && updated >= want && ready >= want;

    let mut conditions = Vec::new();
    let is_ready = available && ready >= want.min(1) && deadline.is_none();
    conditions.push(if is_ready {
        cond("Ready", true, "MinimumReplicasAvailable", format!("{ready}/{want} replicas ready"), generation)
    } else if let Some(d) = deadline {
        cond("Ready", false, "ProgressDeadlineExceeded", d.message.clone().unwrap_or_default(), generation)
    } else if let Some(p) = problem {
        // Not ready and something says why (a pod the scheduler can't place, an image that
        // won't pull): that, rather than a bare replica count.
        cond("Ready", false, &p.reason, format!("{ready}/{want} replicas ready: {}", p.message), generation)
    } else {
        cond("Ready", false, "ReplicasNotReady", format!("{ready}/{want} replicas ready"), generation)
    });
    conditions.push(if deadline.is_some() {
        cond("Progressing", false, "ProgressDeadlineExceeded", "the rollout stopped making progress".into(), generation)
    } else if rolled_out {
        cond("Progressing", false, "RolloutComplete", format!("{updated} replicas up to date"), generation)
    } else {
        cond("Progressing", true, "RollingOut", format!("{updated}/{want} updated, {ready} ready"), generation)
    });
    conditions.push(match (deadline, problem) {
        (Some(d), _) => {
            cond("Degraded", true, "ProgressDeadlineExceeded", d.message.clone().unwrap_or_default(), generation)
        }
        (None, Some(p)) => cond("Degraded", true, &p.reason, p.message.clone(), generation),
        (None, None) => cond("Degraded", false, "AsExpected", "no problems".into(), generation),
    });
    Derived { conditions, ready_replicas: ready }
}

/// Keeps each condition's previous transition time unless its status changed.
pub fn carry_transitions(new: &mut [Condition], old: &[Condition], now: &str) {
    for c in new.iter_mut() {
        c.last_transition_time = match old.iter().find(|o| o.type_ == c.type_) {
            Some(o) if o.status == c.status => o.last_transition_time.clone(),
            _ => now.to_string(),
        };
    }
}

/// Now, as conditions' `lastTransitionTime` (RFC 3339, whole seconds).
pub(crate) fn now() -> String {
    k8s_openapi::jiff::Timestamp::now().round(k8s_openapi::jiff::Unit::Second).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentCondition, DeploymentSpec, DeploymentStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn dep(want: i32, ready: i32, conds: &[(&str, &str, &str)]) -> Deployment {
        Deployment {
            metadata: ObjectMeta { generation: Some(2), ..Default::default() },
            spec: Some(DeploymentSpec { replicas: Some(want), ..Default::default() }),
            status: Some(DeploymentStatus {
                observed_generation: Some(2),
                ready_replicas: Some(ready),
                updated_replicas: Some(ready),
                conditions: Some(
                    conds
                        .iter()
                        .map(|(t, s, r)| DeploymentCondition {
                            type_: t.to_string(),
                            status: s.to_string(),
                            reason: Some(r.to_string()),
                            message: Some(format!("{t} {r}")),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
        }
    }

    fn get<'a>(d: &'a Derived, t: &str) -> &'a Condition {
        d.conditions.iter().find(|c| c.type_ == t).unwrap()
    }

    #[test]
    fn available_deployment_is_ready() {
        let d = derive(
            Some(&dep(
                2,
                2,
                &[("Available", "True", "MinimumReplicasAvailable"), ("Progressing", "True", "NewReplicaSetAvailable")],
            )),
            Some(7),
            None,
        );
        assert_eq!(get(&d, "Ready").status, "True");
        assert_eq!(get(&d, "Progressing").status, "False");
        assert_eq!(get(&d, "Degraded").status, "False");
        assert_eq!(get(&d, "Ready").observed_generation, Some(7));
        assert_eq!(d.ready_replicas, 2);
    }

    #[test]
    fn deadline_exceeded_is_degraded() {
        let d = derive(
            Some(&dep(
                2,
                0,
                &[
                    ("Available", "False", "MinimumReplicasUnavailable"),
                    ("Progressing", "False", "ProgressDeadlineExceeded"),
                ],
            )),
            Some(1),
            None,
        );
        assert_eq!(get(&d, "Ready").status, "False");
        assert_eq!(get(&d, "Degraded").status, "True");
        assert_eq!(get(&d, "Degraded").reason, "ProgressDeadlineExceeded");
    }

    #[test]
    fn rolling_out_and_missing() {
        let d = derive(Some(&dep(3, 1, &[("Available", "True", "x")])), Some(1), None);
        assert_eq!(get(&d, "Progressing").status, "True");
        let d = derive(None, Some(1), None);
        assert_eq!(get(&d, "Ready").reason, "Creating");
        let p = Problem { reason: "UnsupportedModelUri".into(), message: "s3".into() };
        let d = derive(None, Some(1), Some(&p));
        assert_eq!(get(&d, "Degraded").status, "True");
    }

    #[test]
    fn transition_time_moves_only_on_flips() {
        let mut old = derive(None, Some(1), None).conditions;
        carry_transitions(&mut old, &[], "t1");
        let mut new = derive(None, Some(1), None).conditions;
        carry_transitions(&mut new, &old, "t2");
        assert!(new.iter().all(|c| c.last_transition_time == "t1"));
        let mut flipped = derive(Some(&dep(1, 1, &[("Available", "True", "x")])), Some(1), None).conditions;
        carry_transitions(&mut flipped, &old, "t3");
        assert_eq!(flipped.iter().find(|c| c.type_ == "Ready").unwrap().last_transition_time, "t3");
    }
}
