//! Resource → desired children, without an API server.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::EnvVar;
use operator::build::{crud_api, dl_api};
use operator::crd::{ApiTenant, ModelDeployment};

fn sample<K: serde::de::DeserializeOwned + kube::Resource>(file: &str) -> K {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crds/samples").join(file);
    let mut k: K = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // As the API server would return it.
    k.meta_mut().uid = Some("0b6c3a4e-1111-2222-3333-444455556666".into());
    k
}

fn env<'a>(envs: &'a [EnvVar], name: &str) -> Option<&'a str> {
    envs.iter().find(|e| e.name == name).and_then(|e| e.value.as_deref())
}

#[test]
fn model_deployment_becomes_a_gpu_dl_api() {
    let md: ModelDeployment = sample("model-deployment.yaml");
    let c = dl_api::build(&md).unwrap();
    let d = &c.deployment;
    assert_eq!(d.metadata.name.as_deref(), Some("furniture-vision-dl-api"));
    assert_eq!(d.metadata.namespace.as_deref(), Some("shop"));
    let owner = &d.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("ModelDeployment", "furniture-vision", Some(true))
    );
    let spec = d.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(2));
    let pod = spec.template.spec.as_ref().unwrap();
    let ctr = &pod.containers[0];
    let envs = ctr.env.as_ref().unwrap();
    assert_eq!(env(envs, "DL_CONCURRENCY"), Some("2"));
    assert_eq!(env(envs, "DL_MAX_BATCH"), Some("8"));
    assert_eq!(env(envs, "DL_MAX_QUEUE_DELAY_MS"), Some("4"));
    assert_eq!(env(envs, "DL_EXECUTION_PROVIDER"), Some("cuda"));
    assert_eq!(env(envs, "DL_GPUS"), Some("1"), "concurrency is per GPU: the nvidia.com/gpu limit");
    // Rollouts replace GPU pods in place: a surge pod would wait for the GPU the old one holds.
    let rolling = spec.strategy.as_ref().unwrap().rolling_update.as_ref().unwrap();
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    assert_eq!(
        (rolling.max_surge.clone(), rolling.max_unavailable.clone()),
        (Some(IntOrString::Int(0)), Some(IntOrString::Int(1)))
    );
    assert_eq!(env(envs, "DL_IMAGE_MODEL_DIR"), Some("/models/efficientnet-lite0/1"));
    assert_eq!(env(envs, "DL_IMAGE_MODEL_VERSION"), Some("1"), "the version the ModelDeployment names");
    let limits = ctr.resources.as_ref().unwrap().limits.as_ref().unwrap();
    assert_eq!(limits["nvidia.com/gpu"].0, "1");
    assert_eq!(pod.node_selector.as_ref().unwrap()["nvidia.com/gpu.present"], "true");
    assert_eq!(pod.tolerations.as_ref().unwrap()[0].key.as_deref(), Some("nvidia.com/gpu"));
    assert_eq!(ctr.readiness_probe.as_ref().unwrap().http_get.as_ref().unwrap().path.as_deref(), Some("/readyz"));
    assert_eq!(ctr.liveness_probe.as_ref().unwrap().http_get.as_ref().unwrap().path.as_deref(), Some("/healthz"));
    assert_eq!(ctr.security_context.as_ref().unwrap().run_as_non_root, Some(true));
    assert_eq!(c.service.spec.as_ref().unwrap().ports.as_ref().unwrap()[0].port, 8002);
    assert_eq!(
        c.pdb.as_ref().unwrap().spec.as_ref().unwrap().min_available,
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1))
    );
    assert!(c.hpa.is_none());
    // Deterministic: building twice gives the same children (same hash annotation).
    let again = dl_api::build(&md).unwrap();
    assert_eq!(again.deployment, c.deployment);
}

#[test]
fn cpu_fallback_is_passed_only_when_asked() {
    let mut md: ModelDeployment = sample("model-deployment.yaml");
    let envs = |md: &ModelDeployment| {
        let d = dl_api::build(md).unwrap().deployment;
        d.spec.unwrap().template.spec.unwrap().containers[0].env.clone().unwrap()
    };
    // Off: no variable at all (dl-api's default), so existing pods don't roll on an upgrade.
    assert_eq!(env(&envs(&md), "DL_CPU_FALLBACK"), None);
    md.spec.cpu_fallback = true;
    assert_eq!(env(&envs(&md), "DL_CPU_FALLBACK"), Some("true"));
    assert_eq!(env(&envs(&md), "DL_EXECUTION_PROVIDER"), Some("cuda"));
    // Without GPUs: the default rolling update (surge first), and no DL_GPUS.
    md.spec.resources = None;
    let d = dl_api::build(&md).unwrap().deployment;
    assert!(d.spec.as_ref().unwrap().strategy.is_none());
    assert_eq!(env(&envs(&md), "DL_GPUS"), None);
}

#[test]
fn autoscaling_leaves_replicas_to_the_hpa_and_bad_uris_are_refused() {
    let mut md: ModelDeployment = sample("model-deployment.yaml");
    md.spec.replicas = None;
    md.spec.autoscaling =
        Some(serde_json::from_value(serde_json::json!({"minReplicas": 1, "maxReplicas": 4})).unwrap());
    let c = dl_api::build(&md).unwrap();
    assert_eq!(c.deployment.spec.as_ref().unwrap().replicas, None);
    let hpa = c.hpa.unwrap();
    assert_eq!(hpa.spec.as_ref().unwrap().max_replicas, 4);
    md.spec.model.pvc = None;
    md.spec.model.uri = Some("s3://bucket/model".into());
    assert!(dl_api::build(&md).is_err());
    md.spec.model.uri = Some("https://models.example.com/effnet.tar.gz".into());
    let c = dl_api::build(&md).unwrap();
    let init = c.deployment.spec.unwrap().template.spec.unwrap().init_containers.unwrap();
    assert_eq!(init[0].name, "fetch-model");
}

/// The init container's own script, run here with sh and curl over a `file://` archive: a pinned
/// digest that matches unpacks the model; one that doesn't stops before anything is unpacked
/// (the model was piped straight into tar, unchecked).
#[test]
fn a_pinned_model_archive_is_checked_before_it_is_unpacked() {
    let mut md: ModelDeployment = sample("model-deployment.yaml");
    md.spec.model.pvc = None;
    md.spec.model.uri = Some("https://models.example.com/effnet.tar.gz".into());
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("model.onnx"), b"weights").unwrap();
    let archive = dir.path().join("model.tar.gz");
    assert!(std::process::Command::new("tar")
        .args(["-czf", archive.to_str().unwrap(), "-C", src.to_str().unwrap(), "model.onnx"])
        .status()
        .unwrap()
        .success());
    let digest = hex::encode(sha2::Digest::finalize(sha2::Digest::chain_update(
        sha2::Sha256::default(),
        std::fs::read(&archive).unwrap(),
    )));

    let mut run = |pin: Option<&str>| {
        md.spec.model.sha256 = pin.map(String::from);
        let init = dl_api::build(&md).unwrap().deployment.spec.unwrap().template.spec.unwrap().init_containers.unwrap();
        let c = &init[0];
        let script = &c.command.as_ref().unwrap()[2];
        let out = dir.path().join(format!("models-{}", pin.map_or("none", |p| &p[..8])));
        std::fs::create_dir_all(&out).unwrap();
        let envs = c.env.as_ref().unwrap();
        let value = |name: &str| envs.iter().find(|e| e.name == name).unwrap().value.clone().unwrap();
        assert_eq!(value("MODEL_SHA256"), pin.unwrap_or(""));
        let status = std::process::Command::new("sh")
            .args(["-c", script])
            .env("MODEL_URI", format!("file://{}", archive.display()))
            .env("MODEL_SHA256", value("MODEL_SHA256"))
            .env("MODEL_DIR", &out)
            .status()
            .unwrap();
        (status.success(), out.join("model.onnx").exists())
    };
    assert_eq!(run(Some(&digest)), (true, true));
    assert_eq!(run(Some(&"0".repeat(64))), (false, false), "a swapped archive must not be unpacked");
    assert_eq!(run(None), (true, true), "unpinned: loaded as before");
}

#[test]
fn tenant_gets_plugins_config_secrets_and_the_model_endpoint() {
    let md: ModelDeployment = sample("model-deployment.yaml");
    let t: ApiTenant = sample("api-tenant.yaml");
    let c = crud_api::build(&t, Some(&md), &Default::default());
    let plugins: serde_json::Value =
        serde_json::from_str(&c.config_map.data.as_ref().unwrap()["plugins.json"]).unwrap();
    assert_eq!(plugins["payment"]["module"], "/plugins/payment/module.wasm");
    assert_eq!(plugins["payment"]["fuel"], 50_000_000);
    assert_eq!(plugins["payment"]["config"]["coupons"], "WELCOME10:10%");
    assert_eq!(plugins["recommendation"]["fallback"], "fail_closed");
    assert_eq!(plugins["time_zone"], "Asia/Seoul", "the tenant's clock reaches crud-api");
    let pod = c.deployment.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    let envs = pod.containers[0].env.as_ref().unwrap();
    assert_eq!(env(envs, "DL_API_URL"), Some("http://furniture-vision-dl-api.shop.svc:8002"));
    assert_eq!(env(envs, "DL_API_KEY"), Some("file:/var/run/secrets/gajyeogagu/dl-api/key"));
    assert_eq!(env(envs, "PUBLIC_BASE_URL"), Some("https://seoul.gajyeogagu.example"));
    // Verification mail: the SMTP URL (it carries a password) only by reference.
    let smtp = envs.iter().find(|e| e.name == "MAIL_SMTP_URL").unwrap();
    assert!(smtp.value.is_none());
    assert_eq!(smtp.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name, "seoul-smtp");
    assert_eq!(env(envs, "EMAIL_VERIFICATION_URL"), Some("https://seoul.gajyeogagu.example/verify-email"));
    assert_eq!(env(envs, "MAIL_DIR"), Some("/data/mail"), "a writable place even without SMTP");
    assert_eq!(env(envs, "GOOGLE_CLIENT_ID"), Some("1234.apps.googleusercontent.com"));
    let db = envs.iter().find(|e| e.name == "DATABASE_URL").unwrap();
    assert_eq!(db.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap().name, "seoul-db");
    let init = pod.init_containers.as_ref().unwrap();
    assert_eq!(init[0].name, "fetch-recommendation-plugin");
    let volumes: Vec<&str> = pod.volumes.as_ref().unwrap().iter().map(|v| v.name.as_str()).collect();
    for v in ["signing-key", "config", "plugin-payment", "plugin-recommendation", "dl-api-key", "oidc-google"] {
        assert!(volumes.contains(&v), "volume {v} in {volumes:?}");
    }
    // Photos in the tenant's bucket, credentials from its Secret (never in the spec).
    assert_eq!(env(envs, "S3_BUCKET"), Some("seoul-photos"));
    assert_eq!(env(envs, "S3_ENDPOINT"), Some("http://minio.storage.svc:9000"));
    let secret = envs.iter().find(|e| e.name == "S3_SECRET_ACCESS_KEY").unwrap();
    let from = secret.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
    assert_eq!((from.name.as_str(), from.key.as_str()), ("seoul-photos-credentials", "secretAccessKey"));
    assert!(env(envs, "IMAGE_BASE_URL").is_none(), "photos through the API unless the bucket is public");
    // Without the ModelDeployment the tenant runs without AI.
    let alone = crud_api::build(&t, None, &Default::default());
    let envs = alone.deployment.spec.unwrap().template.spec.unwrap().containers[0].env.clone().unwrap();
    assert!(env(&envs, "DL_API_URL").is_none());
    // Answers give absolute URLs: a tenant reached another way than its ingress says so, and
    // photos may come straight from the bucket's public address.
    let mut other = t.clone();
    other.spec.public_base_url = Some("http://192.0.2.10:30080".into());
    other.spec.object_storage.as_mut().unwrap().public_url = Some("https://photos.seoul.example".into());
    let built = crud_api::build(&other, None, &Default::default());
    let envs = built.deployment.spec.unwrap().template.spec.unwrap().containers[0].env.clone().unwrap();
    assert_eq!(env(&envs, "PUBLIC_BASE_URL"), Some("http://192.0.2.10:30080"));
    assert_eq!(env(&envs, "IMAGE_BASE_URL"), Some("https://photos.seoul.example"));
}

/// A candidate is mounted and named in plugins.json while it shadows; once promoted it is the
/// module (the spec untouched); once rolled back it is gone.
#[test]
fn a_candidate_shadows_then_serves_or_disappears_with_its_rollout() {
    use operator::crd::api_tenant::{RolloutPhase, RolloutStatus};
    let mut t: ApiTenant = sample("api-tenant.yaml");
    let c = "c".repeat(64);
    t.spec.plugins.payment.as_mut().unwrap().candidate = Some(
        serde_json::from_value(serde_json::json!({
            "source": { "url": "https://plugins.example.com/payment-v2.wasm" }, "sha256": c, "sharePercent": 20
        }))
        .unwrap(),
    );
    let primary = t.spec.plugins.payment.as_ref().unwrap().sha256.clone();
    let plugins_of = |children: &crud_api::Children| -> serde_json::Value {
        serde_json::from_str(&children.config_map.data.as_ref().unwrap()["plugins.json"]).unwrap()
    };
    let names = |children: &crud_api::Children| -> (Vec<String>, Vec<String>) {
        let pod = children.deployment.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
        (
            pod.volumes.as_ref().unwrap().iter().map(|v| v.name.clone()).collect(),
            pod.init_containers.iter().flatten().map(|c| c.name.clone()).collect(),
        )
    };

    let shadowing = crud_api::build(&t, None, &Default::default());
    let p = plugins_of(&shadowing);
    assert_eq!(p["payment"]["sha256"], primary.as_str());
    assert_eq!(p["payment"]["candidate"]["sha256"], c.as_str());
    assert_eq!(p["payment"]["candidate"]["share_percent"], 20);
    assert_eq!(p["payment"]["candidate"]["module"], "/plugins/payment-candidate/module.wasm");
    let (volumes, inits) = names(&shadowing);
    assert!(volumes.contains(&"plugin-payment-candidate".to_string()), "{volumes:?}");
    assert!(inits.contains(&"fetch-payment-candidate-plugin".to_string()), "{inits:?}");

    let phase = |phase| {
        BTreeMap::from([(
            "payment".to_string(),
            RolloutStatus { candidate: c.clone(), phase, message: String::new(), ..Default::default() },
        )])
    };
    let promoted = crud_api::build(&t, None, &phase(RolloutPhase::Promoted));
    let p = plugins_of(&promoted);
    assert_eq!(p["payment"]["sha256"], c.as_str(), "the candidate serves");
    assert!(p["payment"].get("candidate").is_none());
    assert_eq!(p["payment"]["fuel"], 50_000_000, "under the spec's limits");
    assert!(names(&promoted).1.contains(&"fetch-payment-plugin".to_string()), "its url is fetched as the module");

    let rolled_back = crud_api::build(&t, None, &phase(RolloutPhase::RolledBack));
    let p = plugins_of(&rolled_back);
    assert_eq!(p["payment"]["sha256"], primary.as_str());
    assert!(p["payment"].get("candidate").is_none());
    assert!(!names(&rolled_back).0.contains(&"plugin-payment-candidate".to_string()));

    // A rollout of another digest says nothing about this candidate.
    let stale = BTreeMap::from([(
        "payment".to_string(),
        RolloutStatus { candidate: "d".repeat(64), phase: RolloutPhase::Promoted, ..Default::default() },
    )]);
    assert_eq!(plugins_of(&crud_api::build(&t, None, &stale))["payment"]["candidate"]["sha256"], c.as_str());
}

/// The tenant's NetworkPolicy, as JSON (easier to assert on than the typed tree).
fn policy_json(np: &k8s_openapi::api::networking::v1::NetworkPolicy) -> serde_json::Value {
    serde_json::to_value(np.spec.as_ref().unwrap()).unwrap()
}

#[test]
fn a_tenant_admits_only_the_operator_and_ingress_namespaces_and_reaches_only_what_it_names() {
    let md: ModelDeployment = sample("model-deployment.yaml");
    let mut t: ApiTenant = sample("api-tenant.yaml");
    let c = crud_api::build(&t, Some(&md), &BTreeMap::new());
    let np = &c.network_policy;
    assert_eq!(np.metadata.name.as_deref(), Some("seoul-crud-api"));
    assert_eq!(np.metadata.owner_references.as_ref().unwrap()[0].kind, "ApiTenant");
    let p = policy_json(np);
    assert_eq!(p["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "crud-api");
    assert_eq!(p["podSelector"]["matchLabels"]["app.kubernetes.io/instance"], "seoul");
    // Without `network`: ingress from labelled namespaces and the operator, on crud-api's port
    // only; egress not restricted (the operator can't know where the database is).
    assert_eq!(p["policyTypes"], serde_json::json!(["Ingress"]));
    let from = &p["ingress"][0]["from"];
    assert_eq!(from.as_array().unwrap().len(), 2, "{from}");
    assert_eq!(from[0]["namespaceSelector"]["matchLabels"]["gajyeogagu.io/ingress"], "true");
    assert_eq!(from[1]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "gajyeogagu-operator");
    assert_eq!(from[1]["namespaceSelector"], serde_json::json!({}));
    assert_eq!(p["ingress"][0]["ports"], serde_json::json!([{"port": 8001, "protocol": "TCP"}]));
    assert!(p.get("egress").is_none());
    // The pods carry the model's name: its dl-api admits them by it.
    let pod_labels = c.deployment.spec.as_ref().unwrap().template.metadata.as_ref().unwrap().labels.clone().unwrap();
    assert_eq!(pod_labels.get("gajyeogagu.io/model-deployment").map(String::as_str), Some("furniture-vision"));

    // With `network`: the tenant's own peers replace the default, and egress is confined to
    // DNS, the model's dl-api and the rules given (its PostgreSQL).
    t.spec.network = Some(
        serde_json::from_value(serde_json::json!({
            "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "postgres"}}}], "ports": [{"port": 5432}]}]
        }))
        .unwrap(),
    );
    let p = policy_json(&crud_api::build(&t, Some(&md), &BTreeMap::new()).network_policy);
    assert_eq!(p["policyTypes"], serde_json::json!(["Ingress", "Egress"]));
    let from = &p["ingress"][0]["from"];
    assert_eq!(from[0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"], "ingress-nginx");
    assert_eq!(from[1]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "gajyeogagu-operator");
    let egress = p["egress"].as_array().unwrap();
    assert_eq!(egress.len(), 3);
    assert_eq!(egress[0]["to"][0]["podSelector"]["matchLabels"]["k8s-app"], "kube-dns");
    assert_eq!(egress[0]["ports"][0], serde_json::json!({"port": 53, "protocol": "UDP"}));
    assert_eq!(egress[1]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"], "furniture-vision");
    assert_eq!(egress[1]["ports"], serde_json::json!([{"port": 8002, "protocol": "TCP"}]));
    assert_eq!(egress[2]["to"][0]["podSelector"]["matchLabels"]["app"], "postgres");

    // No model (none named, or not found): no dl-api rule and no model label.
    let c = crud_api::build(&t, None, &BTreeMap::new());
    let p = policy_json(&c.network_policy);
    assert_eq!(p["egress"].as_array().unwrap().len(), 2);
    let pod_labels = c.deployment.spec.as_ref().unwrap().template.metadata.as_ref().unwrap().labels.clone().unwrap();
    assert!(!pod_labels.contains_key("gajyeogagu.io/model-deployment"));
}

#[test]
fn a_dl_api_admits_only_the_tenants_that_name_it_and_its_listed_peers() {
    let mut md: ModelDeployment = sample("model-deployment.yaml");
    let np = dl_api::build(&md).unwrap().network_policy;
    assert_eq!(np.metadata.name.as_deref(), Some("furniture-vision-dl-api"));
    let p = policy_json(&np);
    assert_eq!(p["policyTypes"], serde_json::json!(["Ingress"]));
    assert_eq!(p["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "dl-api");
    let from = p["ingress"][0]["from"].as_array().unwrap().clone();
    assert_eq!(from.len(), 2);
    // The operator's pods, in any namespace: it reads each replica's /readyz (the provider).
    assert_eq!(from[1]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], "gajyeogagu-operator");
    assert_eq!(from[1]["namespaceSelector"], serde_json::json!({}));
    // Same namespace (no namespaceSelector): pods labelled with this model's name — the
    // crud-api pods of the tenants that name it.
    assert!(from[0].get("namespaceSelector").is_none());
    assert_eq!(
        from[0]["podSelector"]["matchLabels"],
        serde_json::json!({"gajyeogagu.io/model-deployment": "furniture-vision"})
    );
    assert_eq!(p["ingress"][0]["ports"], serde_json::json!([{"port": 8002, "protocol": "TCP"}]));

    md.spec.network = Some(
        serde_json::from_value(serde_json::json!({
            "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
        }))
        .unwrap(),
    );
    let p = policy_json(&dl_api::build(&md).unwrap().network_policy);
    assert_eq!(p["ingress"][0]["from"].as_array().unwrap().len(), 3);
    assert_eq!(
        p["ingress"][0]["from"][2]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "monitoring"
    );
}

#[test]
fn api_pods_spread_over_nodes_leave_a_lost_node_in_30_s_and_pause_before_stopping() {
    let md: ModelDeployment = sample("model-deployment.yaml");
    let t: ApiTenant = sample("api-tenant.yaml");
    let dl = dl_api::build(&md).unwrap().deployment.spec.unwrap().template.spec.unwrap();
    let crud = crud_api::build(&t, Some(&md), &BTreeMap::new()).deployment.spec.unwrap().template.spec.unwrap();
    for (pod, component, instance) in [(&dl, "dl-api", "furniture-vision"), (&crud, "crud-api", "seoul")] {
        let pre_stop = pod.containers[0].lifecycle.as_ref().unwrap().pre_stop.as_ref().unwrap();
        assert_eq!(pre_stop.sleep.as_ref().unwrap().seconds, 5, "{component}");
        let spread = &pod.topology_spread_constraints.as_ref().unwrap()[0];
        assert_eq!(
            (spread.topology_key.as_str(), spread.max_skew, spread.when_unsatisfiable.as_str()),
            ("kubernetes.io/hostname", 1, "ScheduleAnyway")
        );
        let sel = spread.label_selector.as_ref().unwrap().match_labels.as_ref().unwrap();
        assert_eq!(
            (sel["app.kubernetes.io/name"].as_str(), sel["app.kubernetes.io/instance"].as_str()),
            (component, instance)
        );
        let tolerations = pod.tolerations.as_ref().unwrap();
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
            let t = tolerations.iter().find(|t| t.key.as_deref() == Some(key)).unwrap();
            assert_eq!((t.effect.as_deref(), t.toleration_seconds), (Some("NoExecute"), Some(30)), "{component} {key}");
        }
    }
    // The sample's own toleration (the GPU taint) is kept beside them.
    assert!(dl.tolerations.as_ref().unwrap().iter().any(|t| t.key.as_deref() == Some("nvidia.com/gpu")));

    // A toleration the spec gives for one of those taints is the user's choice: not doubled.
    let mut md = md;
    md.spec.tolerations = Some(vec![serde_json::from_value(serde_json::json!({
        "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 600
    }))
    .unwrap()]);
    let pod = dl_api::build(&md).unwrap().deployment.spec.unwrap().template.spec.unwrap();
    let unreachable: Vec<_> = pod
        .tolerations
        .unwrap()
        .into_iter()
        .filter(|t| t.key.as_deref() == Some("node.kubernetes.io/unreachable"))
        .collect();
    assert_eq!(unreachable.len(), 1);
    assert_eq!(unreachable[0].toleration_seconds, Some(600));
}
