//! Names, labels, owner references and change detection shared by the builders.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, Service, ServicePort, ServiceSpec};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::Resource;
use sha2::{Digest, Sha256};

/// The server-side-apply field manager.
pub const MANAGER: &str = "gajyeogagu-operator";
/// Annotation carrying the hash of what the operator last applied to a child.
pub const HASH_ANNOTATION: &str = "gajyeogagu.io/applied-hash";

/// Deterministic child name: `<resource>-<component>` (e.g. `shop-dl-api`).
pub fn child_name(owner: &str, component: &str) -> String {
    format!("{owner}-{component}")
}

pub fn labels(component: &str, instance: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), component.to_string()),
        ("app.kubernetes.io/instance".to_string(), instance.to_string()),
        ("app.kubernetes.io/part-of".to_string(), "gajyeogagu".to_string()),
        ("app.kubernetes.io/managed-by".to_string(), MANAGER.to_string()),
    ])
}

/// The selector subset of `labels` (stable: selectors are immutable on Deployments).
pub fn selector(component: &str, instance: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), component.to_string()),
        ("app.kubernetes.io/instance".to_string(), instance.to_string()),
    ])
}

/// Controller owner reference: children are garbage-collected with their resource.
pub fn owner_reference<K: Resource<DynamicType = ()>>(owner: &K) -> OwnerReference {
    owner.controller_owner_ref(&()).expect("resources from the API server have a uid")
}

/// Hash of a child's desired content; stored on the child so an unchanged resource
/// causes no write at all on the next pass.
pub fn spec_hash<T: serde::Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).expect("children serialise");
    hex::encode(&Sha256::digest(&bytes)[..12])
}

/// Stamps the content hash on a child (after building it, before applying it).
pub fn stamp(meta: &mut ObjectMeta, hash: String) {
    meta.annotations.get_or_insert_with(BTreeMap::new).insert(HASH_ANNOTATION.to_string(), hash);
}

/// A plain environment variable.
pub fn env(name: &str, value: impl ToString) -> EnvVar {
    EnvVar { name: name.to_string(), value: Some(value.to_string()), ..Default::default() }
}

/// The ClusterIP Service in front of a component's `http` port, hash-stamped.
pub fn http_service(meta: ObjectMeta, component: &str, instance: &str, port: i32) -> Service {
    let mut service = Service {
        metadata: meta,
        spec: Some(ServiceSpec {
            selector: Some(selector(component, instance)),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port,
                target_port: Some(IntOrString::String("http".into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let h = spec_hash(&service);
    stamp(&mut service.metadata, h);
    service
}

/// A PodDisruptionBudget keeping `min_available` of a component's pods up, hash-stamped.
pub fn disruption_budget(meta: ObjectMeta, component: &str, instance: &str, min_available: i32) -> PodDisruptionBudget {
    let mut pdb = PodDisruptionBudget {
        metadata: meta,
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(min_available)),
            selector: Some(LabelSelector { match_labels: Some(selector(component, instance)), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let h = spec_hash(&pdb);
    stamp(&mut pdb.metadata, h);
    pdb
}
