//! The operator against a real kube-apiserver (see `cluster`): CRD validation, children,
//! server-side-apply ownership, status from faked Deployment status, drift repair,
//! idempotency (no writes on a pass with nothing to change) and tenant wiring.

mod cluster;

use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Api, Client, ResourceExt};
use operator::crd::{ApiTenant, ModelDeployment};
use operator::metrics::Metrics;
use serde_json::{json, Value};

use cluster::eventually;

fn sample(file: &str, ns: &str) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crds/samples").join(file);
    let mut v: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["metadata"]["namespace"] = json!(ns);
    v
}

/// Runs the controllers for `ns` in the background until the returned sender drops.
fn start_operator(client: &Client, ns: &str) -> (Arc<Metrics>, tokio::sync::oneshot::Sender<()>) {
    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (client, ns, m) = (client.clone(), ns.to_string(), metrics.clone());
    tokio::spawn(async move {
        operator::run::controllers(client, Some(&ns), m, "test", async move {
            let _ = rx.await;
        })
        .await;
    });
    (metrics, tx)
}

fn condition(status: &Value, t: &str) -> Option<(String, String)> {
    status["conditions"].as_array()?.iter().find(|c| c["type"] == t).map(|c| {
        (c["status"].as_str().unwrap_or_default().to_string(), c["reason"].as_str().unwrap_or_default().to_string())
    })
}

/// What the deployment controller would write once the pods are up.
async fn fake_available(deployments: &Api<Deployment>, name: &str, ready: i32) {
    let d = deployments.get(name).await.unwrap();
    let status = json!({ "status": {
    "observedGeneration": d.metadata.generation, "replicas": ready, "readyReplicas": ready,
    "updatedReplicas": ready, "availableReplicas": ready,
    "conditions": [
        { "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable", "message": "ok",
          "lastTransitionTime": "2026-11-26T00:00:00Z", "lastUpdateTime": "2026-11-26T00:00:00Z" },
        { "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": "ok",
          "lastTransitionTime": "2026-11-26T00:00:00Z", "lastUpdateTime": "2026-11-26T00:00:00Z" }
    ]}});
    deployments.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
}

#[tokio::test]
async fn the_api_server_refuses_broken_resources_with_a_message_that_says_what_to_fix() {
    let ns = "cel";
    let client = cluster::client(ns).await;
    // Untyped, so values the Rust types could never hold reach the server too.
    let mds: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ApiResource::erase::<ModelDeployment>(&()));
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let create_md = |patch: Value| {
        let mut v = sample("model-deployment.yaml", ns);
        json_patch(&mut v, &patch);
        serde_json::from_value::<DynamicObject>(v).unwrap()
    };
    let cases = [
        (json!({"spec": {"autoscaling": {"minReplicas": 1, "maxReplicas": 3}}}), "set either replicas or autoscaling"),
        (
            json!({"spec": {"replicas": null, "autoscaling": {"minReplicas": 5, "maxReplicas": 3}}}),
            "minReplicas must not exceed maxReplicas",
        ),
        (json!({"spec": {"model": {"uri": "https://m.example/x.tgz"}}}), "set exactly one of uri, pvc or configMap"),
        (json!({"spec": {"concurrency": 0}}), "spec.concurrency"),
        (json!({"spec": {"executionProvider": "tpu"}}), "spec.executionProvider"),
    ];
    for (i, (patch, message)) in cases.iter().enumerate() {
        let mut md = create_md(patch.clone());
        md.metadata.name = Some(format!("bad-{i}"));
        let err = mds.create(&PostParams::default(), &md).await.expect_err("refused");
        let kube::Error::Api(e) = err else { panic!("{err}") };
        assert_eq!(e.code, 422, "{}", e.message);
        assert!(e.message.contains(message), "{patch}: {}", e.message);
    }
    let mut t: ApiTenant = serde_json::from_value(sample("api-tenant.yaml", ns)).unwrap();
    t.spec.plugins.payment.as_mut().unwrap().sha256 = "not-a-digest".into();
    let kube::Error::Api(e) = tenants.create(&PostParams::default(), &t).await.expect_err("refused") else { panic!() };
    assert!(e.message.contains("sha256 must be 64 lowercase hex characters"), "{}", e.message);
    let mut t: ApiTenant = serde_json::from_value(sample("api-tenant.yaml", ns)).unwrap();
    t.spec.plugins.time_zone = Some("Seoul time".into());
    let kube::Error::Api(e) = tenants.create(&PostParams::default(), &t).await.expect_err("refused") else { panic!() };
    assert!(e.message.contains("timeZone must be an IANA name"), "{}", e.message);
    // Answers build absolute URLs from it: a relative or non-http base is refused up front.
    let mut t: ApiTenant = serde_json::from_value(sample("api-tenant.yaml", ns)).unwrap();
    t.spec.public_base_url = Some("shop.example/api".into());
    let kube::Error::Api(e) = tenants.create(&PostParams::default(), &t).await.expect_err("refused") else { panic!() };
    assert!(e.message.contains("publicBaseUrl must be an absolute http(s) URL"), "{}", e.message);
    // tenantId is immutable.
    let t: ApiTenant = serde_json::from_value(sample("api-tenant.yaml", ns)).unwrap();
    tenants.create(&PostParams::default(), &t).await.unwrap();
    let change = json!({"spec": {"tenantId": "busan"}});
    let kube::Error::Api(e) =
        tenants.patch("seoul", &PatchParams::default(), &Patch::Merge(&change)).await.expect_err("refused")
    else {
        panic!()
    };
    assert!(e.message.contains("tenantId is immutable"), "{}", e.message);
}

fn json_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    json_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[tokio::test]
async fn model_deployment_children_status_drift_and_idempotency() {
    let ns = "md";
    let client = cluster::client(ns).await;
    let (metrics, _stop) = start_operator(&client, ns);
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let services: Api<Service> = Api::namespaced(client.clone(), ns);
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), ns);
    let md: ModelDeployment = serde_json::from_value(sample("model-deployment.yaml", ns)).unwrap();
    mds.create(&PostParams::default(), &md).await.unwrap();

    let dep =
        eventually("the dl-api Deployment", || async { deployments.get_opt("furniture-vision-dl-api").await.unwrap() })
            .await;
    let owner = &dep.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.name.as_str()), ("ModelDeployment", "furniture-vision"));
    let managers: Vec<String> =
        dep.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
    assert!(managers.contains(&"gajyeogagu-operator".to_string()), "{managers:?}");
    let limits = dep.spec.as_ref().unwrap().template.spec.as_ref().unwrap().containers[0]
        .resources
        .clone()
        .unwrap()
        .limits
        .unwrap();
    assert_eq!(limits["nvidia.com/gpu"].0, "1");
    eventually("the Service", || async { services.get_opt("furniture-vision-dl-api").await.unwrap() }).await;
    eventually("the PodDisruptionBudget", || async { pdbs.get_opt("furniture-vision-dl-api").await.unwrap() }).await;

    // No pods run here: not ready yet, rolling out.
    let status = eventually("status", || async {
        let s = serde_json::to_value(mds.get("furniture-vision").await.unwrap().status?).unwrap();
        condition(&s, "Ready").map(|_| s)
    })
    .await;
    assert_eq!(condition(&status, "Ready").unwrap().0, "False");
    assert_eq!(status["endpoint"], "http://furniture-vision-dl-api.md.svc:8002");

    // The deployment controller reports the pods available → Ready.
    fake_available(&deployments, "furniture-vision-dl-api", 2).await;
    eventually("Ready=True", || async {
        let s = serde_json::to_value(mds.get("furniture-vision").await.unwrap().status?).unwrap();
        (condition(&s, "Ready")?.0 == "True" && s["readyReplicas"] == 2).then_some(())
    })
    .await;

    // Events tell flips, not first values: becoming ready is one; starting not ready is not
    // (a thousand new resources would otherwise publish a thousand warnings saying nothing).
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), ns);
    let reasons = eventually("a ReadyTrue event", || async {
        let reasons: Vec<String> =
            events.list(&Default::default()).await.ok()?.items.into_iter().filter_map(|e| e.reason).collect();
        reasons.contains(&"ReadyTrue".to_string()).then_some(reasons)
    })
    .await;
    assert!(!reasons.iter().any(|r| r == "ReadyFalse" || r == "DegradedFalse"), "{reasons:?}");

    // Drift: someone scales the Deployment by hand; the operator puts it back.
    let scale = json!({"spec": {"replicas": 5}});
    deployments.patch("furniture-vision-dl-api", &PatchParams::apply("someone").force(), &Patch::Apply(&json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "furniture-vision-dl-api"}, "spec": scale["spec"]
    }))).await.unwrap();
    eventually("drift repaired", || async {
        (deployments.get("furniture-vision-dl-api").await.unwrap().spec?.replicas == Some(2)).then_some(())
    })
    .await;

    // Idempotency: a pass with nothing to change (an annotation bump triggers it) writes nothing.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before = metrics.total_writes();
    let reconciles_before = metrics.render();
    mds.patch(
        "furniture-vision",
        &PatchParams::default(),
        &Patch::Merge(&json!({"metadata": {"annotations": {"touch": "1"}}})),
    )
    .await
    .unwrap();
    eventually("another reconcile", || async { (metrics.render() != reconciles_before).then_some(()) }).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let writes = |m: &str| m.lines().filter(|l| l.contains("api_writes_total")).collect::<Vec<_>>().join("\n");
    assert_eq!(
        metrics.total_writes(),
        before,
        "a pass with nothing to change must not write:\nbefore {}\nafter {}",
        writes(&reconciles_before),
        writes(&metrics.render())
    );

    // Removing the budget removes the PDB.
    mds.patch("furniture-vision", &PatchParams::default(), &Patch::Merge(&json!({"spec": {"disruptionBudget": null}})))
        .await
        .unwrap();
    eventually("PDB removed", || async {
        pdbs.get_opt("furniture-vision-dl-api").await.unwrap().is_none().then_some(())
    })
    .await;
}

#[tokio::test]
async fn progress_deadline_exceeded_is_degraded() {
    let ns = "deadline";
    let client = cluster::client(ns).await;
    let (_metrics, _stop) = start_operator(&client, ns);
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let md: ModelDeployment = serde_json::from_value(sample("model-deployment.yaml", ns)).unwrap();
    mds.create(&PostParams::default(), &md).await.unwrap();
    let d = eventually("Deployment", || async { deployments.get_opt("furniture-vision-dl-api").await.unwrap() }).await;
    let status = json!({ "status": { "observedGeneration": d.metadata.generation, "replicas": 2, "readyReplicas": 0,
    "updatedReplicas": 2, "unavailableReplicas": 2,
    "conditions": [
        { "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "no pods",
          "lastTransitionTime": "2026-11-26T00:00:00Z", "lastUpdateTime": "2026-11-26T00:00:00Z" },
        { "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
          "message": "ReplicaSet has timed out progressing.",
          "lastTransitionTime": "2026-11-26T00:00:00Z", "lastUpdateTime": "2026-11-26T00:00:00Z" }
    ]}});
    deployments.patch_status("furniture-vision-dl-api", &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
    let s = eventually("Degraded", || async {
        let s = serde_json::to_value(mds.get("furniture-vision").await.unwrap().status?).unwrap();
        (condition(&s, "Degraded")?.0 == "True").then_some(s)
    })
    .await;
    assert_eq!(condition(&s, "Degraded").unwrap().1, "ProgressDeadlineExceeded");
    assert_eq!(condition(&s, "Ready").unwrap().0, "False");
}

#[tokio::test]
async fn tenant_is_wired_to_its_model_deployment_when_it_appears() {
    let ns = "tenant";
    let client = cluster::client(ns).await;
    let (_metrics, _stop) = start_operator(&client, ns);
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let t: ApiTenant = serde_json::from_value(sample("api-tenant.yaml", ns)).unwrap();
    tenants.create(&PostParams::default(), &t).await.unwrap();

    // Its ModelDeployment does not exist yet: crud-api runs without AI, Degraded says why.
    let s = eventually("Degraded", || async {
        let s = serde_json::to_value(tenants.get("seoul").await.unwrap().status?).unwrap();
        (condition(&s, "Degraded")?.0 == "True").then_some(s)
    })
    .await;
    assert_eq!(condition(&s, "Degraded").unwrap().1, "ModelDeploymentNotFound");
    // No replica runs yet, so nothing is known to be served: the spec's pins are not copied.
    assert!(s.get("pluginDigests").is_none(), "{s}");
    assert_eq!(condition(&s, "PluginsCurrent").unwrap(), ("Unknown".into(), "NoReplicaAnswered".into()));
    let cm = cms.get("seoul-crud-api-config").await.unwrap();
    let plugins: Value = serde_json::from_str(&cm.data.unwrap()["plugins.json"]).unwrap();
    assert_eq!(plugins["payment"]["memory_mb"], 32);

    // The ModelDeployment appears: the tenant is re-reconciled and wired to it.
    let md: ModelDeployment = serde_json::from_value(sample("model-deployment.yaml", ns)).unwrap();
    mds.create(&PostParams::default(), &md).await.unwrap();
    eventually("DL_API_URL wired", || async {
        let d = deployments.get("seoul-crud-api").await.ok()?;
        let envs = d.spec?.template.spec?.containers[0].env.clone()?;
        envs.iter()
            .any(|e| {
                e.name == "DL_API_URL" && e.value.as_deref() == Some("http://furniture-vision-dl-api.tenant.svc:8002")
            })
            .then_some(())
    })
    .await;
    eventually("Degraded cleared", || async {
        let s = serde_json::to_value(tenants.get("seoul").await.unwrap().status?).unwrap();
        (condition(&s, "Degraded")?.0 == "False").then_some(())
    })
    .await;
    let dep = deployments.get("seoul-crud-api").await.unwrap();
    assert_eq!(dep.owner_references()[0].kind, "ApiTenant");

    // Both are isolated on the network: the API server took the policies, and the tenant's pods
    // now carry the model's name, which is what the model's dl-api admits.
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), ns);
    let tenant_np =
        eventually("the tenant's NetworkPolicy", || async { policies.get_opt("seoul-crud-api").await.unwrap() }).await;
    assert_eq!(tenant_np.owner_references()[0].kind, "ApiTenant");
    let model_np = eventually("the model's NetworkPolicy", || async {
        policies.get_opt("furniture-vision-dl-api").await.unwrap()
    })
    .await;
    let from = serde_json::to_value(&model_np.spec.unwrap().ingress.unwrap()[0].from).unwrap();
    assert_eq!(from[0]["podSelector"]["matchLabels"]["gajyeogagu.io/model-deployment"], "furniture-vision");
    let labels = dep.spec.unwrap().template.metadata.unwrap().labels.unwrap();
    assert_eq!(labels["gajyeogagu.io/model-deployment"], "furniture-vision");
}

#[tokio::test]
async fn only_one_replica_leads_and_an_expired_lease_is_taken_over() {
    use operator::leader::LeaderElector;
    let ns = "leader";
    let client = cluster::client(ns).await;
    let lease = std::time::Duration::from_secs(2);
    let a = LeaderElector::new(client.clone(), ns, "operator", "replica-a", lease);
    let b = LeaderElector::new(client.clone(), ns, "operator", "replica-b", lease);
    assert!(a.try_acquire().await.unwrap(), "the first candidate takes the free lease");
    assert!(!b.try_acquire().await.unwrap(), "the second stands by");
    assert!(a.try_acquire().await.unwrap(), "the leader renews");
    assert!(!b.try_acquire().await.unwrap());
    // The leader stops renewing (crashed): after the lease duration the standby takes over.
    tokio::time::sleep(lease + std::time::Duration::from_millis(1200)).await;
    assert!(b.try_acquire().await.unwrap(), "expired lease taken over");
    assert!(!a.try_acquire().await.unwrap(), "the old leader does not get it back");
    let l: k8s_openapi::api::coordination::v1::Lease =
        Api::namespaced(client.clone(), ns).get("operator").await.unwrap();
    let spec = l.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-b"));
    assert_eq!(spec.lease_transitions, Some(1));

    // A leader that shuts down cleanly gives the lease up: the standby takes it at once
    // instead of waiting out the lease (found by `make e2e`: a deleted leader pod kept
    // renewing while it drained, and the hand-over took over a minute).
    let long = std::time::Duration::from_secs(3600);
    let c = LeaderElector::new(client.clone(), ns, "operator-2", "replica-c", long);
    let d = LeaderElector::new(client.clone(), ns, "operator-2", "replica-d", long);
    assert!(c.try_acquire().await.unwrap());
    assert!(!d.try_acquire().await.unwrap());
    d.release().await.unwrap();
    assert!(c.try_acquire().await.unwrap(), "a standby's release leaves the leader's lease alone");
    c.release().await.unwrap();
    assert!(d.try_acquire().await.unwrap(), "a released lease is taken at once");
    assert!(!c.try_acquire().await.unwrap());
}

/// A crud-api replica as the operator sees it: a Ready pod object whose `http` port is a local
/// server answering `/readyz` with the digests in `served` (the kubelet and the container are
/// what this bare API server lacks; the operator's side — list pods, ask each — is real).
async fn fake_replica(pods: &Api<Pod>, name: &str, labels: Value, served: Arc<std::sync::Mutex<Value>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/readyz",
        axum::routing::get(move || {
            let served = served.clone();
            async move { axum::Json(json!({ "status": "ready", "plugins": served.lock().unwrap().clone() })) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": name, "labels": labels },
        "spec": { "containers": [{ "name": "crud-api", "image": "x", "ports": [{ "name": "http", "containerPort": port }] }] },
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let status = json!({ "status": { "phase": "Running", "podIP": "127.0.0.1", "podIPs": [{ "ip": "127.0.0.1" }],
        "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T00:00:00Z" }] } });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
}

#[tokio::test]
async fn plugin_digests_in_status_are_read_back_from_the_running_replicas() {
    let ns = "served";
    let client = cluster::client(ns).await;
    let (_metrics, _stop) = start_operator(&client, ns);
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let mut t = sample("api-tenant.yaml", ns);
    t["spec"]["modelDeployment"] = Value::Null;
    let t: ApiTenant = serde_json::from_value(t).unwrap();
    let pinned_payment = t.spec.plugins.payment.as_ref().unwrap().sha256.clone();
    let pinned_recommendation = t.spec.plugins.recommendation.as_ref().unwrap().sha256.clone();
    tenants.create(&PostParams::default(), &t).await.unwrap();

    // The replica refused the new payment module (its bytes didn't match the pin) and still
    // serves the old one: the status shows the old digest and says it is not the pinned one.
    let old = "1".repeat(64);
    let served = Arc::new(std::sync::Mutex::new(json!({ "payment": old, "recommendation": pinned_recommendation })));
    let labels = json!({ "app.kubernetes.io/name": "crud-api", "app.kubernetes.io/instance": "seoul" });
    fake_replica(&pods, "seoul-crud-api-a", labels, served.clone()).await;
    let status = |want: &'static str| {
        let tenants = tenants.clone();
        async move {
            let s = serde_json::to_value(tenants.get("seoul").await.unwrap().status?).unwrap();
            (condition(&s, "PluginsCurrent")?.0 == want).then_some(s)
        }
    };
    let s = eventually("PluginsCurrent=False", || status("False")).await;
    assert_eq!(s["pluginDigests"]["payment"], old, "{s}");
    assert_eq!(s["pluginDigests"]["recommendation"], pinned_recommendation.as_str());
    assert_eq!(condition(&s, "PluginsCurrent").unwrap().1, "PluginDigestMismatch");

    // The ConfigMap now holds the right bytes; the replica reloads → the status follows it.
    served.lock().unwrap()["payment"] = json!(pinned_payment);
    let s = eventually("PluginsCurrent=True", || status("True")).await;
    assert_eq!(s["pluginDigests"]["payment"], pinned_payment.as_str(), "{s}");
}

#[tokio::test]
async fn a_pod_no_node_can_take_is_reported_with_the_schedulers_reason() {
    let ns = "unschedulable";
    let client = cluster::client(ns).await;
    let (_metrics, _stop) = start_operator(&client, ns);
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let md: ModelDeployment = serde_json::from_value(sample("model-deployment.yaml", ns)).unwrap();
    mds.create(&PostParams::default(), &md).await.unwrap();
    let pod: Pod = serde_json::from_value(json!({
        "metadata": { "name": "furniture-vision-dl-api-x", "labels": {
            "app.kubernetes.io/name": "dl-api", "app.kubernetes.io/instance": "furniture-vision" } },
        "spec": { "containers": [{ "name": "dl-api", "image": "x" }] },
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let message = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.";
    let status = json!({ "status": { "phase": "Pending", "conditions": [{ "type": "PodScheduled", "status": "False",
        "reason": "Unschedulable", "message": message, "lastTransitionTime": "2026-12-01T00:00:00Z" }] } });
    pods.patch_status("furniture-vision-dl-api-x", &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
    let s = eventually("Ready=False, Unschedulable", || async {
        let s = serde_json::to_value(mds.get("furniture-vision").await.unwrap().status?).unwrap();
        (condition(&s, "Ready")?.1 == "Unschedulable").then_some(s)
    })
    .await;
    assert_eq!(condition(&s, "Degraded").unwrap(), ("True".into(), "Unschedulable".into()));
    let ready = s["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap();
    assert!(ready["message"].as_str().unwrap().ends_with(message), "{ready}");
}

/// A candidate plugin version through its rollout (issue 15), with the replicas' shadow counts
/// served by a fake replica: divergence is reported in the status while it shadows; a clean
/// window promotes it (plugins.json serves it, the spec untouched, an Event says so); a later
/// candidate that errors is rolled back (plugins.json drops it).
#[tokio::test]
async fn a_candidate_is_reported_then_promoted_when_clean_and_rolled_back_on_errors() {
    let ns = "rollout";
    let client = cluster::client(ns).await;
    let (_metrics, _stop) = start_operator(&client, ns);
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let v2 = "c".repeat(64);
    let v3 = "d".repeat(64);
    let mut t = sample("api-tenant.yaml", ns);
    t["spec"]["modelDeployment"] = Value::Null;
    t["spec"]["plugins"]["payment"]["candidate"] = json!({
        "source": { "configMap": { "name": "seoul-plugins", "key": "payment-v2.wasm" } },
        "sha256": v2, "sharePercent": 50, "promoteAfterCalls": 100, "rollbackAfterErrors": 1
    });
    let t: ApiTenant = serde_json::from_value(t).unwrap();
    let v1 = t.spec.plugins.payment.as_ref().unwrap().sha256.clone();
    let recommendation = t.spec.plugins.recommendation.as_ref().unwrap().sha256.clone();
    tenants.create(&PostParams::default(), &t).await.unwrap();

    let counts = |digest: &str, calls: u64, diverged: u64, errors: u64| {
        json!({ "digest": digest, "share_percent": 50, "calls": calls, "same": calls - diverged - errors,
                "diverged": diverged, "errors": errors, "dropped": 0, "mean_ms": 0.4,
                "last_divergence": "total 180000 → 162000, adjustments differ",
                "last_error": if errors > 0 { json!("trap: panicked at src/lib.rs:9:5: no weekday (trap)") } else { Value::Null } })
    };
    let served = Arc::new(std::sync::Mutex::new(json!({
        "payment": v1, "recommendation": recommendation, "candidates": { "payment": counts(&v2, 40, 10, 0) }
    })));
    let labels = json!({ "app.kubernetes.io/name": "crud-api", "app.kubernetes.io/instance": "seoul" });
    fake_replica(&pods, "seoul-crud-api-a", labels, served.clone()).await;
    let rollout = |phase: &'static str| {
        let tenants = tenants.clone();
        async move {
            let s = serde_json::to_value(tenants.get("seoul").await.unwrap().status?).unwrap();
            (s["rollouts"]["payment"]["phase"] == phase).then_some(s)
        }
    };
    let plugins_json = || async {
        let cm = cms.get("seoul-crud-api-config").await.unwrap();
        serde_json::from_str::<Value>(&cm.data.unwrap()["plugins.json"]).unwrap()
    };

    // Diverging in shadow: reported, still shadowing, the candidate mounted next to v1.
    let s = eventually("the divergence in the status", || async {
        rollout("Shadowing").await.filter(|s| s["rollouts"]["payment"]["diverged"] == 10)
    })
    .await;
    let r = &s["rollouts"]["payment"];
    assert_eq!((r["calls"].as_i64(), r["candidate"].as_str()), (Some(40), Some(v2.as_str())), "{s}");
    assert!(
        r["message"].as_str().unwrap().starts_with("40/100 shadow calls: 30 same, 10 diverged (last: total"),
        "{s}"
    );
    assert_eq!(condition(&s, "CandidateRollout").unwrap(), ("Unknown".into(), "Shadowing".into()));
    let p = plugins_json().await;
    assert_eq!(
        (p["payment"]["sha256"].as_str(), p["payment"]["candidate"]["sha256"].as_str()),
        (Some(v1.as_str()), Some(v2.as_str()))
    );

    // A clean window: promoted — v2 is the module now, the spec still says v1 + candidate v2.
    served.lock().unwrap()["candidates"]["payment"] = counts(&v2, 120, 30, 0);
    let s = eventually("promotion", || rollout("Promoted")).await;
    assert_eq!(condition(&s, "CandidateRollout").unwrap(), ("True".into(), "Promoted".into()));
    let p = eventually("plugins.json serving v2", || async {
        let p = plugins_json().await;
        (p["payment"]["sha256"] == v2.as_str()).then_some(p)
    })
    .await;
    assert!(p["payment"].get("candidate").is_none(), "{p}");
    assert_eq!(tenants.get("seoul").await.unwrap().spec.plugins.payment.unwrap().sha256, v1, "the spec is the user's");
    let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), ns);
    eventually("a CandidatePromoted event", || async {
        events
            .list(&Default::default())
            .await
            .ok()?
            .items
            .iter()
            .any(|e| e.reason.as_deref() == Some("CandidatePromoted"))
            .then_some(())
    })
    .await;

    // The user makes v2 the module and tries v3, which traps: rolled back, v2 keeps serving.
    let change = json!({ "spec": { "plugins": { "payment": {
        "source": { "configMap": { "name": "seoul-plugins", "key": "payment-v2.wasm" } }, "sha256": v2,
        "candidate": { "source": { "configMap": { "name": "seoul-plugins", "key": "payment-v3.wasm" } }, "sha256": v3,
                       "sharePercent": 50, "promoteAfterCalls": 100, "rollbackAfterErrors": 1 } } } } });
    tenants.patch("seoul", &PatchParams::default(), &Patch::Merge(&change)).await.unwrap();
    {
        let mut s = served.lock().unwrap();
        s["payment"] = json!(v2);
        s["candidates"]["payment"] = counts(&v3, 3, 0, 1);
    }
    let s = eventually("rollback", || rollout("RolledBack")).await;
    assert_eq!(condition(&s, "CandidateRollout").unwrap(), ("False".into(), "RolledBack".into()));
    assert!(s["rollouts"]["payment"]["message"].as_str().unwrap().contains("panicked at src/lib.rs:9:5"), "{s}");
    let p = eventually("plugins.json without v3", || async {
        let p = plugins_json().await;
        p["payment"].get("candidate").is_none().then_some(p)
    })
    .await;
    assert_eq!(p["payment"]["sha256"], v2.as_str());
    assert_eq!(condition(&s, "PluginsCurrent").unwrap().0, "True", "v2 serves as the spec now says: {s}");
}
