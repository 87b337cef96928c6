//! ApiTenant → crud-api ConfigMap (plugins.json), Deployment, Service and optional
//! PodDisruptionBudget, wired to the ModelDeployment it names.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, KeyToPath,
    PodSpec, PodTemplateSpec, SecretKeySelector, SecretVolumeSource, Service, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::ResourceExt;
use serde_json::{json, Value};

use super::common::{
    child_name, disruption_budget, env, http_service, labels, owner_reference, selector, spec_hash, stamp,
};
use super::dl_api::{self, probe, restricted, FETCHER_IMAGE};
use super::{availability, network_policy};
use crate::crd::api_tenant::{
    ApiTenant, OidcProvider, PluginFallback, PluginModule, PluginSource, RolloutPhase, RolloutStatus,
};
use crate::crd::model_deployment::ModelDeployment;

pub const COMPONENT: &str = "crud-api";
pub const PORT: i32 = 8001;
const SECRETS_DIR: &str = "/var/run/secrets/gajyeogagu";
const CONFIG_DIR: &str = "/etc/gajyeogagu";
const PLUGINS_DIR: &str = "/plugins";

pub struct Children {
    pub config_map: ConfigMap,
    pub deployment: Deployment,
    pub service: Service,
    pub pdb: Option<PodDisruptionBudget>,
    pub network_policy: NetworkPolicy,
}

pub fn name(t: &ApiTenant) -> String {
    child_name(&t.name_any(), COMPONENT)
}

pub fn endpoint(t_name: &str, namespace: &str) -> String {
    format!("http://{}.{namespace}.svc:{PORT}", child_name(t_name, COMPONENT))
}

fn meta(t: &ApiTenant, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: t.namespace(),
        labels: Some(labels(COMPONENT, &t.name_any())),
        owner_references: Some(vec![owner_reference(t)]),
        ..Default::default()
    }
}

fn secret_volume(name: &str, secret: &str, key: &str, path: &str) -> Volume {
    Volume {
        name: name.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.into()),
            items: Some(vec![KeyToPath { key: key.into(), path: path.into(), mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn mount(name: &str, path: String) -> VolumeMount {
    VolumeMount { name: name.into(), mount_path: path, read_only: Some(true), ..Default::default() }
}

/// The host's plugins.json entry for one module (format of `plugins/demo/plugins.json`), with
/// its candidate when it has one.
fn plugin_entry(kind: &str, m: &PluginModule) -> Value {
    let mut entry = json!({
        "module": format!("{PLUGINS_DIR}/{kind}/module.wasm"),
        "sha256": m.sha256,
        "fuel": m.limits.fuel,
        "timeout_ms": m.limits.timeout_ms,
        "memory_mb": m.limits.memory_mib,
        "fallback": match m.fallback { PluginFallback::Builtin => "builtin", PluginFallback::FailClosed => "fail_closed" },
        "config": m.config,
    });
    if let Some(c) = &m.candidate {
        entry["candidate"] = json!({
            "module": format!("{PLUGINS_DIR}/{kind}-candidate/module.wasm"),
            "sha256": c.sha256,
            "share_percent": c.share_percent.clamp(1, 100),
        });
    }
    entry
}

/// The modules each strategy's replicas get, after the rollouts: a promoted candidate serves
/// in place of the spec's module (the spec is the user's: the operator doesn't rewrite it);
/// a rolled-back one no longer runs; a shadowing one runs next to the module.
pub fn serving(t: &ApiTenant, rollouts: &BTreeMap<String, RolloutStatus>) -> Vec<(&'static str, PluginModule)> {
    let p = &t.spec.plugins;
    [("payment", &p.payment), ("recommendation", &p.recommendation)]
        .into_iter()
        .filter_map(|(kind, m)| {
            let m = m.as_ref()?;
            let phase = m
                .candidate
                .as_ref()
                .and_then(|c| rollouts.get(kind).filter(|r| r.candidate == c.sha256))
                .map(|r| r.phase);
            Some((
                kind,
                match (phase, &m.candidate) {
                    (Some(RolloutPhase::Promoted), Some(c)) => PluginModule {
                        source: c.source.clone(),
                        sha256: c.sha256.clone(),
                        candidate: None,
                        ..m.clone()
                    },
                    (Some(RolloutPhase::RolledBack), _) => PluginModule { candidate: None, ..m.clone() },
                    _ => m.clone(),
                },
            ))
        })
        .collect()
}

/// A plugin module's bytes at `{PLUGINS_DIR}/{dir}/module.wasm`: a ConfigMap or Secret key
/// mounted there, or an init container that fetches the URL and checks the sha256.
fn module_volume(
    dir: &str,
    source: &PluginSource,
    sha256: &str,
    volumes: &mut Vec<Volume>,
    mounts: &mut Vec<VolumeMount>,
    init_containers: &mut Vec<Container>,
) {
    let vol = format!("plugin-{dir}");
    let items = |key: &str| Some(vec![KeyToPath { key: key.into(), path: "module.wasm".into(), mode: None }]);
    if let Some(cm) = &source.config_map {
        volumes.push(Volume {
            name: vol.clone(),
            config_map: Some(ConfigMapVolumeSource {
                name: cm.name.clone(),
                items: items(&cm.key),
                ..Default::default()
            }),
            ..Default::default()
        });
    } else if let Some(s) = &source.secret {
        volumes.push(Volume {
            name: vol.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(s.name.clone()),
                items: items(&s.key),
                ..Default::default()
            }),
            ..Default::default()
        });
    } else if let Some(url) = &source.url {
        // Fetched at pod start; the host checks the sha256 pin before running it anyway.
        volumes.push(Volume {
            name: vol.clone(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        init_containers.push(Container {
            name: format!("fetch-{dir}-plugin"),
            image: Some(FETCHER_IMAGE.into()),
            command: Some(vec![
                "sh".into(),
                "-c".into(),
                "curl -fsSL \"$URL\" -o /out/module.wasm && echo \"$SHA256  /out/module.wasm\" | sha256sum -c -".into(),
            ]),
            env: Some(vec![env("URL", url), env("SHA256", sha256)]),
            volume_mounts: Some(vec![VolumeMount {
                name: vol.clone(),
                mount_path: "/out".into(),
                ..Default::default()
            }]),
            security_context: Some(restricted()),
            ..Default::default()
        });
    }
    mounts.push(mount(&vol, format!("{PLUGINS_DIR}/{dir}")));
}

/// An environment variable read from a Secret's key (never its value in the Deployment).
fn secret_env(name: &str, secret: &str, key: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector { name: secret.into(), key: key.into(), optional: Some(false) }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `model`: the referenced ModelDeployment when it exists (its key secret is mounted);
/// `rollouts`: the candidates' phases (`status.rollouts`, as just judged).
pub fn build(t: &ApiTenant, model: Option<&ModelDeployment>, rollouts: &BTreeMap<String, RolloutStatus>) -> Children {
    let spec = &t.spec;
    let name = name(t);
    let instance = t.name_any();
    let namespace = t.namespace().unwrap_or_default();

    let modules = serving(t, rollouts);
    let mut plugins_json: serde_json::Map<String, Value> =
        modules.iter().map(|(k, m)| (k.to_string(), plugin_entry(k, m))).collect();
    if let Some(zone) = &spec.plugins.time_zone {
        plugins_json.insert("time_zone".into(), json!(zone));
    }
    let mut config_map = ConfigMap {
        metadata: meta(t, child_name(&instance, "crud-api-config")),
        data: Some(BTreeMap::from([(
            "plugins.json".to_string(),
            serde_json::to_string_pretty(&plugins_json).expect("JSON serialises"),
        )])),
        ..Default::default()
    };
    let h = spec_hash(&config_map);
    stamp(&mut config_map.metadata, h.clone());

    let mut envs = vec![
        env("CRUD_API_ADDR", format!("0.0.0.0:{PORT}")),
        secret_env("DATABASE_URL", &spec.database_secret_ref.name, &spec.database_secret_ref.key),
        env("JWT_SIGNING_KEY_FILE", format!("{SECRETS_DIR}/signing/key.pem")),
        env("PLUGINS_CONFIG", format!("{CONFIG_DIR}/plugins.json")),
        env("PLUGIN_CACHE_DIR", "/tmp/plugin-cache"),
        env("IMAGE_DIR", "/data/images"),
        // Without `spec.mail` messages land here (writable emptyDir), undelivered.
        env("MAIL_DIR", "/data/mail"),
        env("LOG_FORMAT", "json"),
    ];
    if let Some(mail) = &spec.mail {
        envs.push(secret_env("MAIL_SMTP_URL", &mail.smtp_url_secret_ref.name, &mail.smtp_url_secret_ref.key));
        if let Some(from) = &mail.from {
            envs.push(env("MAIL_FROM", from));
        }
        if let Some(url) = &mail.verification_url {
            envs.push(env("EMAIL_VERIFICATION_URL", url));
        }
    }
    match (&spec.public_base_url, &spec.ingress_host) {
        (Some(url), _) => envs.push(env("PUBLIC_BASE_URL", url)),
        (None, Some(host)) => envs.push(env("PUBLIC_BASE_URL", format!("https://{host}"))),
        (None, None) => {}
    }
    if let Some(o) = &spec.object_storage {
        envs.push(env("S3_BUCKET", &o.bucket));
        if let Some(url) = &o.public_url {
            envs.push(env("IMAGE_BASE_URL", url));
        }
        envs.push(env("S3_REGION", &o.region));
        if let Some(endpoint) = &o.endpoint {
            envs.push(env("S3_ENDPOINT", endpoint));
        }
        for (name, key) in [("S3_ACCESS_KEY_ID", "accessKeyId"), ("S3_SECRET_ACCESS_KEY", "secretAccessKey")] {
            envs.push(secret_env(name, &o.credentials_secret, key));
        }
    }
    let mut volumes = vec![
        secret_volume(
            "signing-key",
            &spec.auth.signing_key_secret_ref.name,
            &spec.auth.signing_key_secret_ref.key,
            "key.pem",
        ),
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: child_name(&instance, "crud-api-config"),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume { name: "tmp".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() },
        Volume { name: "data".into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() },
    ];
    let mut mounts = vec![
        mount("signing-key", format!("{SECRETS_DIR}/signing")),
        mount("config", CONFIG_DIR.into()),
        VolumeMount { name: "tmp".into(), mount_path: "/tmp".into(), ..Default::default() },
        VolumeMount { name: "data".into(), mount_path: "/data".into(), ..Default::default() },
    ];
    for oidc in &spec.auth.oidc {
        let p = match oidc.provider {
            OidcProvider::Google => "google",
            OidcProvider::Kakao => "kakao",
        };
        let upper = p.to_uppercase();
        envs.push(env(&format!("{upper}_CLIENT_ID"), &oidc.client_id));
        envs.push(env(&format!("{upper}_CLIENT_SECRET"), format!("file:{SECRETS_DIR}/oidc-{p}/secret")));
        volumes.push(secret_volume(
            &format!("oidc-{p}"),
            &oidc.client_secret_ref.name,
            &oidc.client_secret_ref.key,
            "secret",
        ));
        mounts.push(mount(&format!("oidc-{p}"), format!("{SECRETS_DIR}/oidc-{p}")));
    }
    let mut init_containers = Vec::new();
    for (kind, m) in &modules {
        module_volume(kind, &m.source, &m.sha256, &mut volumes, &mut mounts, &mut init_containers);
        if let Some(c) = &m.candidate {
            let dir = format!("{kind}-candidate");
            module_volume(&dir, &c.source, &c.sha256, &mut volumes, &mut mounts, &mut init_containers);
        }
    }
    if let Some(md) = model {
        let md_ns = md.namespace().unwrap_or_else(|| namespace.clone());
        envs.push(env("DL_API_URL", dl_api::endpoint(&md.name_any(), &md_ns)));
        envs.push(env("DL_API_KEY", format!("file:{SECRETS_DIR}/dl-api/key")));
        volumes.push(secret_volume(
            "dl-api-key",
            &md.spec.api_key_secret_ref.name,
            &md.spec.api_key_secret_ref.key,
            "key",
        ));
        mounts.push(mount("dl-api-key", format!("{SECRETS_DIR}/dl-api")));
    }

    let container = Container {
        name: COMPONENT.into(),
        image: Some(spec.image.clone()),
        lifecycle: Some(availability::pre_stop()),
        ports: Some(vec![ContainerPort { name: Some("http".into()), container_port: PORT, ..Default::default() }]),
        env: Some(envs),
        volume_mounts: Some(mounts),
        readiness_probe: Some(probe("/readyz", 5, 3)),
        liveness_probe: Some(probe("/healthz", 10, 10)),
        security_context: Some(restricted()),
        ..Default::default()
    };
    let mut deployment = Deployment {
        metadata: meta(t, name.clone()),
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector { match_labels: Some(selector(COMPONENT, &instance)), ..Default::default() },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some({
                        let mut l = labels(COMPONENT, &instance);
                        l.insert("gajyeogagu.io/tenant".into(), spec.tenant_id.clone());
                        // The model's dl-api admits pods carrying its name (network_policy).
                        if let Some(md) = model {
                            l.insert(network_policy::MODEL_LABEL.into(), md.name_any());
                        }
                        l
                    }),
                    // Plugin config changes roll the pods (the host also hot-reloads).
                    annotations: Some(BTreeMap::from([("gajyeogagu.io/config-hash".to_string(), h)])),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    tolerations: Some(availability::tolerations(None)),
                    topology_spread_constraints: Some(availability::spread(COMPONENT, &instance)),
                    init_containers: (!init_containers.is_empty()).then_some(init_containers),
                    volumes: Some(volumes),
                    automount_service_account_token: Some(false),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    };
    let h = spec_hash(&deployment);
    stamp(&mut deployment.metadata, h);

    let service = http_service(meta(t, name.clone()), COMPONENT, &instance, PORT);

    let pdb = spec
        .disruption_budget
        .as_ref()
        .map(|b| disruption_budget(meta(t, name.clone()), COMPONENT, &instance, b.min_available));
    let network_policy = network_policy::for_tenant(
        t,
        network_policy::Pods { selector: selector(COMPONENT, &instance), port: PORT },
        model.map(|md| network_policy::Pods {
            selector: selector(dl_api::COMPONENT, &md.name_any()),
            port: dl_api::PORT,
        }),
        meta(t, name),
    );
    Children { config_map, deployment, service, pdb, network_policy }
}
