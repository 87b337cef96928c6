//! What a child Deployment's pods say that its status does not: why a pod cannot be placed or
//! started — a Deployment only reports that after its ten-minute progress deadline — and where
//! the ready replicas answer.

use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::Api;

use super::status::Problem;
use super::Error;
use crate::build::selector;

/// Container waiting reasons that will not clear by themselves: each needs someone to act.
const STUCK: [&str; 6] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// The pods of one child, as listed now.
pub struct Observed {
    pods: Vec<Pod>,
}

impl Observed {
    /// Lists the pods the child Deployment selects (`component` of `instance`).
    pub async fn list(api: &Api<Pod>, component: &str, instance: &str) -> Result<Self, Error> {
        let labels =
            selector(component, instance).iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        // From the API server's watch cache (resourceVersion 0) rather than a quorum read of
        // etcd: every reconcile lists, and milliseconds of staleness change no verdict (the
        // reconcile re-checks every few seconds while pods are on their way).
        let mut pods = api.list(&ListParams::default().labels(&labels).match_any()).await?.items;
        // Pods on their way out say nothing about the new ones; names sort for stable messages.
        pods.retain(|p| p.metadata.deletion_timestamp.is_none());
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        Ok(Self { pods })
    }

    pub fn from_pods(pods: Vec<Pod>) -> Self {
        Self { pods }
    }

    /// The first thing keeping pods from running, with the scheduler's or kubelet's own words.
    /// Messages count pods rather than name them, so an unchanged situation reads the same on
    /// every pass (and the status is not rewritten).
    pub fn problem(&self) -> Option<Problem> {
        let total = self.pods.len();
        let unschedulable: Vec<&str> = self
            .pods
            .iter()
            .filter_map(|p| {
                let c = p.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "PodScheduled")?;
                (c.status == "False" && c.reason.as_deref() == Some("Unschedulable"))
                    .then(|| c.message.as_deref().unwrap_or("no node fits"))
            })
            .collect();
        if let Some(first) = unschedulable.first() {
            return Some(Problem {
                reason: "Unschedulable".into(),
                message: format!("{} of {total} pods can't be scheduled: {first}", unschedulable.len()),
            });
        }
        let stuck: Vec<(String, String, String)> = self
            .pods
            .iter()
            .filter_map(|p| {
                let st = p.status.as_ref()?;
                let all = st.init_container_statuses.iter().flatten().chain(st.container_statuses.iter().flatten());
                all.into_iter().find_map(|cs| {
                    let w = cs.state.as_ref()?.waiting.as_ref()?;
                    let reason = w.reason.as_deref()?;
                    STUCK
                        .contains(&reason)
                        .then(|| (reason.to_string(), cs.name.clone(), w.message.clone().unwrap_or_default()))
                })
            })
            .collect();
        let (reason, container, message) = stuck.first()?;
        let detail = if message.is_empty() { String::new() } else { format!(": {}", short(message)) };
        Some(Problem {
            reason: reason.clone(),
            message: format!("{} of {total} pods: container {container} is in {reason}{detail}", stuck.len()),
        })
    }

    /// `ip:port` of each Ready pod's `http` port, in pod-name order.
    pub fn ready_endpoints(&self) -> Vec<String> {
        self.endpoints(|p| {
            let conds = p.status.as_ref().and_then(|s| s.conditions.as_ref());
            conds.is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
    }

    /// `ip:port` of each running pod's `http` port, ready or not (a dl-api that cannot have
    /// CUDA runs, not ready, and says why in its `/readyz`).
    pub fn running_endpoints(&self) -> Vec<String> {
        self.endpoints(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    }

    fn endpoints(&self, which: impl Fn(&Pod) -> bool) -> Vec<String> {
        self.pods
            .iter()
            .filter(|p| which(p))
            .filter_map(|p| {
                let ip = p.status.as_ref()?.pod_ip.clone()?;
                let port = p
                    .spec
                    .as_ref()?
                    .containers
                    .iter()
                    .flat_map(|c| c.ports.iter().flatten())
                    .find(|port| port.name.as_deref() == Some("http"))?
                    .container_port;
                Some(if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") })
            })
            .collect()
    }
}

/// Kubelet messages can carry whole registry responses; a condition message stays readable.
fn short(message: &str) -> String {
    const MAX: usize = 300;
    match message.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &message[..i]),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": { "name": name },
            "spec": { "containers": [{ "name": "crud-api", "ports": [{ "name": "http", "containerPort": 8001 }] }] },
            "status": status,
        }))
        .unwrap()
    }

    #[test]
    fn unschedulable_pods_are_reported_with_the_schedulers_words() {
        let msg = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
        let o = Observed::from_pods(vec![
            pod("a", json!({ "conditions": [{ "type": "Ready", "status": "True" }], "podIP": "10.244.0.5" })),
            pod(
                "b",
                json!({ "conditions": [{ "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg }] }),
            ),
        ]);
        let p = o.problem().unwrap();
        assert_eq!(p.reason, "Unschedulable");
        assert_eq!(p.message, format!("1 of 2 pods can't be scheduled: {msg}"));
        assert_eq!(o.ready_endpoints(), vec!["10.244.0.5:8001"]);
        assert!(o.running_endpoints().is_empty(), "no pod says Running");
    }

    #[test]
    fn stuck_containers_are_reported_and_healthy_pods_are_not() {
        let o = Observed::from_pods(vec![pod(
            "a",
            json!({ "containerStatuses": [{ "name": "crud-api", "ready": false, "restartCount": 3, "image": "x", "imageID": "",
                "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container" } } }] }),
        )]);
        let p = o.problem().unwrap();
        assert_eq!(p.reason, "CrashLoopBackOff");
        assert!(p.message.contains("container crud-api is in CrashLoopBackOff: back-off 40s"), "{}", p.message);
        assert!(o.ready_endpoints().is_empty());

        let fine = Observed::from_pods(vec![pod(
            "a",
            json!({ "containerStatuses": [{ "name": "crud-api", "ready": false, "restartCount": 0, "image": "x", "imageID": "",
                "state": { "waiting": { "reason": "ContainerCreating" } } }] }),
        )]);
        assert!(fine.problem().is_none(), "starting up is not a problem");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let s = short(&"가".repeat(400));
        assert_eq!(s.chars().count(), 301);
    }
}
