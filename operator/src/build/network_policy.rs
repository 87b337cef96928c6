//! NetworkPolicies: tenants isolated on the network. A tenant's crud-api admits the operator
//! and the peers it lists (by default, namespaces labelled `gajyeogagu.io/ingress: "true"`,
//! where an ingress controller runs) — not other tenants' pods, not other pods of its
//! namespace; given `egress`, it connects only to cluster DNS, its ModelDeployment and those
//! rules. A dl-api admits the crud-api pods of the tenants that name its ModelDeployment
//! (labelled `gajyeogagu.io/model-deployment: <name>` by `crud_api::build`), the operator (it
//! reads each replica's `/readyz` for the provider it runs on) and the peers its spec lists.
//!
//! kubelet probes come from the pod's own node, which NetworkPolicy implementations admit;
//! `kubectl port-forward` enters the pod's network namespace and is not filtered at all.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;

use super::common::{spec_hash, stamp};
use crate::crd::{ApiTenant, ModelDeployment};

/// A component's pods (their selector labels) and the port they serve on. The builders pass
/// their own, so this module depends on neither of them.
pub struct Pods {
    pub selector: BTreeMap<String, String>,
    pub port: i32,
}

/// Namespaces whose pods may reach every tenant's crud-api unless a tenant says otherwise.
pub const INGRESS_NAMESPACE_LABEL: &str = "gajyeogagu.io/ingress";
/// On a tenant's crud-api pods: the ModelDeployment they may call.
pub const MODEL_LABEL: &str = "gajyeogagu.io/model-deployment";
/// The operator's pods (`app.kubernetes.io/name`), in whichever namespace it is installed.
const OPERATOR_NAME: &str = "gajyeogagu-operator";

fn match_labels(pairs: &[(&str, &str)]) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        ..Default::default()
    })
}

fn tcp(port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort { protocol: Some("TCP".into()), port: Some(IntOrString::Int(port)), end_port: None }
}

/// The operator's pods in any namespace.
fn operator() -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector::default()),
        pod_selector: match_labels(&[("app.kubernetes.io/name", OPERATOR_NAME)]),
        ip_block: None,
    }
}

/// Pods of namespaces labelled `gajyeogagu.io/ingress: "true"`.
fn ingress_namespaces() -> NetworkPolicyPeer {
    NetworkPolicyPeer { namespace_selector: match_labels(&[(INGRESS_NAMESPACE_LABEL, "true")]), ..Default::default() }
}

/// Cluster DNS (CoreDNS / kube-dns in kube-system), UDP and TCP 53.
fn dns() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: match_labels(&[("kubernetes.io/metadata.name", "kube-system")]),
            pod_selector: match_labels(&[("k8s-app", "kube-dns")]),
            ip_block: None,
        }]),
        ports: Some(vec![
            NetworkPolicyPort { protocol: Some("UDP".into()), port: Some(IntOrString::Int(53)), end_port: None },
            tcp(53),
        ]),
    }
}

fn policy(meta: ObjectMeta, spec: NetworkPolicySpec) -> NetworkPolicy {
    let mut np = NetworkPolicy { metadata: meta, spec: Some(spec) };
    let h = spec_hash(&np);
    stamp(&mut np.metadata, h);
    np
}

/// The tenant's crud-api policy. `model`: the dl-api of the ModelDeployment it names, when
/// that exists.
pub fn for_tenant(t: &ApiTenant, crud_api: Pods, model: Option<Pods>, meta: ObjectMeta) -> NetworkPolicy {
    let network = t.spec.network.clone().unwrap_or_default();
    let mut from = network.ingress_from.unwrap_or_else(|| vec![ingress_namespaces()]);
    from.push(operator());
    let ingress = vec![NetworkPolicyIngressRule { from: Some(from), ports: Some(vec![tcp(crud_api.port)]) }];
    let egress = network.egress.map(|rules| {
        let mut all = vec![dns()];
        if let Some(dl_api) = model {
            all.push(NetworkPolicyEgressRule {
                to: Some(vec![NetworkPolicyPeer {
                    pod_selector: Some(LabelSelector { match_labels: Some(dl_api.selector), ..Default::default() }),
                    ..Default::default()
                }]),
                ports: Some(vec![tcp(dl_api.port)]),
            });
        }
        all.extend(rules);
        all
    });
    let types = if egress.is_some() { vec!["Ingress", "Egress"] } else { vec!["Ingress"] };
    policy(
        meta,
        NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(crud_api.selector), ..Default::default() }),
            policy_types: Some(types.into_iter().map(String::from).collect()),
            ingress: Some(ingress),
            egress,
        },
    )
}

/// The ModelDeployment's dl-api policy: pods of its namespace labelled with its name — the
/// tenants' crud-api pods that name it — and the peers its spec lists.
pub fn for_model(md: &ModelDeployment, dl_api: Pods, meta: ObjectMeta) -> NetworkPolicy {
    let mut from = vec![
        NetworkPolicyPeer { pod_selector: match_labels(&[(MODEL_LABEL, &md.name_any())]), ..Default::default() },
        operator(),
    ];
    from.extend(md.spec.network.clone().unwrap_or_default().ingress_from);
    policy(
        meta,
        NetworkPolicySpec {
            pod_selector: Some(LabelSelector { match_labels: Some(dl_api.selector), ..Default::default() }),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule { from: Some(from), ports: Some(vec![tcp(dl_api.port)]) }]),
            egress: None,
        },
    )
}
