//! Names, labels, owner references and change detection shared by the builders.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
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
