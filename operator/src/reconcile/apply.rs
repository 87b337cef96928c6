//! Apply-if-different: a child is sent (server-side apply, forced, our field manager) only
//! when it is missing or some field we set differs from the live object. A pass with
//! nothing to change therefore writes nothing; a field someone else changed (drift) is
//! put back.
//!
//! "Live" is the operator's watch cache of that kind (`run::Caches`), not a GET: reads per
//! reconcile were most of the operator's requests (a GET per child on every pass, and a
//! thousand resources are reconciled two or three times each while their children appear).
//! The controllers are triggered from the same shared watches, after the cache holds the
//! event, so a child changed behind our back is seen changed by the reconcile it triggers.

use std::fmt::Debug;

use kube::api::{Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::build::MANAGER;
use crate::metrics::Metrics;

/// True when every field of `desired` has the same value in `live` (extra fields in
/// `live` — server defaults, status, other managers' fields — are ignored).
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| match l.get(k) {
            Some(lv) => is_subset(v, lv),
            // Go's `omitempty`: the server drops empty strings, lists and maps.
            None => {
                v.is_null()
                    || v == &Value::String(String::new())
                    || v == &Value::Array(vec![])
                    || v == &Value::Object(Default::default())
            }
        }),
        (Value::Array(d), Value::Array(l)) => d.len() == l.len() && d.iter().zip(l).all(|(a, b)| is_subset(a, b)),
        (Value::Null, _) => true,
        (a, b) => a == b,
    }
}

/// The cached object `name` in `namespace`.
pub fn cached<K>(cache: &Store<K>, namespace: &str, name: &str) -> Option<K>
where
    K: Resource<DynamicType = ()> + Clone,
{
    cache.get(&ObjectRef::new(name).within(namespace)).map(|k| (*k).clone())
}

/// Applies `desired` unless the cached live object already matches it. Returns the object as
/// the API server holds it afterwards.
pub async fn apply<K>(api: &Api<K>, cache: &Store<K>, desired: &K, metrics: &Metrics) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let name = desired.meta().name.clone().expect("builders name every child");
    let namespace = desired.meta().namespace.as_deref().unwrap_or_default();
    if let Some(live) = cache.get(&ObjectRef::new(&name).within(namespace)) {
        let d = serde_json::to_value(desired).expect("children serialise");
        let l = serde_json::to_value(&*live).expect("objects serialise");
        if is_subset(&d, &l) {
            return Ok((*live).clone());
        }
    }
    let applied = api.patch(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(desired)).await?;
    metrics.wrote(&K::kind(&()));
    Ok(applied)
}

/// Deletes a child we no longer want (e.g. the PDB after `disruptionBudget` was removed).
pub async fn remove<K>(api: &Api<K>, cache: &Store<K>, name: &str, metrics: &Metrics) -> Result<bool, kube::Error>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
{
    let namespace = api.namespace().unwrap_or_default().to_string();
    if cached(cache, &namespace, name).is_none() {
        return Ok(false);
    }
    match api.delete(name, &Default::default()).await {
        Ok(_) => {
            metrics.wrote(&K::kind(&()));
            Ok(true)
        }
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subset_ignores_server_defaults_but_sees_changes() {
        let desired = json!({"spec": {"replicas": 2, "template": {"containers": [{"name": "a", "image": "x"}]}}});
        let live = json!({"spec": {"replicas": 2, "progressDeadlineSeconds": 600,
            "template": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "IfNotPresent"}]}},
            "status": {"readyReplicas": 1}});
        assert!(is_subset(&desired, &live));
        let scaled = json!({"spec": {"replicas": 5, "template": {"containers": [{"name": "a", "image": "x"}]}}});
        assert!(!is_subset(&desired, &scaled));
        let extra_container =
            json!({"spec": {"replicas": 2, "template": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}});
        assert!(!is_subset(&desired, &extra_container));
        assert!(!is_subset(&json!({"metadata": {"labels": {"a": "1"}}}), &json!({"metadata": {}})));
        // An env var with an empty value comes back without `value`.
        assert!(is_subset(&json!({"env": [{"name": "A", "value": ""}]}), &json!({"env": [{"name": "A"}]})));
    }
}
