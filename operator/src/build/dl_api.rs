//! ModelDeployment → dl-api Deployment, Service, optional PodDisruptionBudget and
//! HorizontalPodAutoscaler.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricIdentifier, MetricSpec,
    MetricTarget, PodsMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction, KeyToPath,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SecretVolumeSource,
    SecurityContext, Service, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;

use super::common::{
    child_name, disruption_budget, env, http_service, labels, owner_reference, selector, spec_hash, stamp,
};
use super::{availability, network_policy};
use crate::crd::model_deployment::{ExecutionProvider, ModelDeployment};

pub const COMPONENT: &str = "dl-api";
pub const PORT: i32 = 8002;
const KEYS_DIR: &str = "/var/run/secrets/gajyeogagu/api-keys";
const MODEL_DIR: &str = "/models";
/// Image of the init container that downloads `https://` models (a tar.gz of the model dir).
pub const FETCHER_IMAGE: &str = "docker.io/curlimages/curl:8.11.1";
/// The model download (the init container's script): the archive lands in a file first, its
/// SHA-256 is checked against `MODEL_SHA256` when the spec pins one, and only then unpacked — a
/// pipe straight into `tar` would have unpacked whatever arrived.
pub const FETCH_MODEL: &str = "set -eu; archive=\"$MODEL_DIR/.model.tar.gz\"; \
curl -fsSL \"$MODEL_URI\" -o \"$archive\"; \
if [ -n \"$MODEL_SHA256\" ]; then echo \"$MODEL_SHA256  $archive\" | sha256sum -c - >/dev/null \
|| { echo \"model archive: sha256 $(sha256sum \"$archive\" | cut -d' ' -f1), expected $MODEL_SHA256\" >&2; exit 1; }; fi; \
tar -xz -C \"$MODEL_DIR\" -f \"$archive\"; rm -f \"$archive\"";

/// What one ModelDeployment should own.
pub struct Children {
    pub deployment: Deployment,
    pub service: Service,
    pub pdb: Option<PodDisruptionBudget>,
    pub hpa: Option<HorizontalPodAutoscaler>,
    pub network_policy: NetworkPolicy,
}

/// Why a spec cannot be turned into children (reported as `Degraded`).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("model uri scheme {0:?} is not supported by this operator (use https:// or pvc://)")]
    UnsupportedUri(String),
}

pub fn name(md: &ModelDeployment) -> String {
    child_name(&md.name_any(), COMPONENT)
}

/// `http://<name>-dl-api.<namespace>.svc:8002`
pub fn endpoint(md_name: &str, namespace: &str) -> String {
    format!("http://{}.{namespace}.svc:{PORT}", child_name(md_name, COMPONENT))
}

fn meta(md: &ModelDeployment, name: String) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: md.namespace(),
        labels: Some(labels(COMPONENT, &md.name_any())),
        owner_references: Some(vec![owner_reference(md)]),
        ..Default::default()
    }
}

pub fn build(md: &ModelDeployment) -> Result<Children, SpecError> {
    let spec = &md.spec;
    let name = name(md);
    let instance = md.name_any();
    let model = &spec.model;

    let mut volumes = vec![Volume {
        name: "api-keys".into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(spec.api_key_secret_ref.name.clone()),
            items: Some(vec![KeyToPath { key: spec.api_key_secret_ref.key.clone(), path: "keys".into(), mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    }];
    let mut init_containers = Vec::new();
    let mut model_subdir = String::new();
    if let Some(pvc) = &model.pvc {
        volumes.push(Volume {
            name: "model".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: pvc.name.clone(),
                read_only: Some(true),
            }),
            ..Default::default()
        });
        model_subdir = pvc.path.clone();
    } else if let Some(cm) = &model.config_map {
        volumes.push(Volume {
            name: "model".into(),
            config_map: Some(ConfigMapVolumeSource { name: cm.name.clone(), ..Default::default() }),
            ..Default::default()
        });
        model_subdir = cm.path.clone();
    } else if let Some(uri) = &model.uri {
        if let Some(rest) = uri.strip_prefix("pvc://") {
            let (claim, path) = rest.split_once('/').unwrap_or((rest, ""));
            volumes.push(Volume {
                name: "model".into(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.to_string(),
                    read_only: Some(true),
                }),
                ..Default::default()
            });
            model_subdir = path.to_string();
        } else if uri.starts_with("https://") {
            volumes.push(Volume {
                name: "model".into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            });
            init_containers.push(Container {
                name: "fetch-model".into(),
                image: Some(FETCHER_IMAGE.into()),
                command: Some(vec!["sh".into(), "-c".into(), FETCH_MODEL.into()]),
                env: Some(vec![
                    env("MODEL_URI", uri),
                    env("MODEL_SHA256", model.sha256.as_deref().unwrap_or("")),
                    env("MODEL_DIR", MODEL_DIR),
                ]),
                volume_mounts: Some(vec![VolumeMount {
                    name: "model".into(),
                    mount_path: MODEL_DIR.into(),
                    ..Default::default()
                }]),
                security_context: Some(restricted()),
                ..Default::default()
            });
        } else {
            return Err(SpecError::UnsupportedUri(uri.split("://").next().unwrap_or("").to_string()));
        }
    }
    let model_dir = if model_subdir.is_empty() {
        MODEL_DIR.to_string()
    } else {
        format!("{MODEL_DIR}/{}", model_subdir.trim_matches('/'))
    };

    let provider = match spec.execution_provider {
        ExecutionProvider::Cpu => "cpu",
        ExecutionProvider::Cuda => "cuda",
    };
    let mut container = Container {
        name: COMPONENT.into(),
        image: Some(spec.image.clone()),
        lifecycle: Some(availability::pre_stop()),
        ports: Some(vec![ContainerPort { name: Some("http".into()), container_port: PORT, ..Default::default() }]),
        env: Some(vec![
            env("DL_API_ADDR", format!("0.0.0.0:{PORT}")),
            env("DL_API_KEYS_FILE", format!("{KEYS_DIR}/keys")),
            env("DL_IMAGE_MODEL_DIR", &model_dir),
            // The version dl-api reports in every answer and its repository index (it said "1"
            // whatever the ModelDeployment named).
            env("DL_IMAGE_MODEL_VERSION", &model.version),
            env("DL_TEXT_MODEL_DIR", ""),
            env("DL_CONCURRENCY", spec.concurrency),
            env("DL_MAX_BATCH", spec.batching.max_batch_size),
            env("DL_MAX_QUEUE_DELAY_MS", spec.batching.max_queue_delay_ms),
            env("DL_QUEUE_CAPACITY", spec.batching.queue_capacity),
            env("DL_EXECUTION_PROVIDER", provider),
            env("LOG_FORMAT", "json"),
        ]),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "api-keys".into(),
                mount_path: KEYS_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount {
                name: "model".into(),
                mount_path: MODEL_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            },
        ]),
        readiness_probe: Some(probe("/readyz", 2, 5)),
        liveness_probe: Some(probe("/healthz", 10, 10)),
        resources: spec.resources.clone(),
        security_context: Some(restricted()),
        ..Default::default()
    };
    let envs = container.env.get_or_insert_with(Vec::new);
    // Only when asked: an env var more would roll every existing dl-api on an operator upgrade.
    if spec.cpu_fallback {
        envs.push(env("DL_CPU_FALLBACK", true));
    }
    // `concurrency` is per GPU: dl-api runs that many sessions on each GPU the pod is given.
    if spec.execution_provider == ExecutionProvider::Cuda {
        if let Some(gpus) = gpu_limit(spec.resources.as_ref()) {
            envs.push(env("DL_GPUS", gpus));
        }
    }
    let template = PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(COMPONENT, &instance)),
            // A new model version rolls the pods even when the files keep their paths.
            annotations: Some(BTreeMap::from([("gajyeogagu.io/model-version".to_string(), model.version.clone())])),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![container],
            init_containers: (!init_containers.is_empty()).then_some(init_containers),
            volumes: Some(volumes),
            node_selector: spec.node_selector.clone(),
            tolerations: Some(availability::tolerations(spec.tolerations.as_deref())),
            topology_spread_constraints: Some(availability::spread(COMPONENT, &instance)),
            affinity: spec.affinity.clone(),
            runtime_class_name: spec.runtime_class_name.clone(),
            automount_service_account_token: Some(false),
            ..Default::default()
        }),
    };
    // With autoscaling the HPA owns `replicas`: leaving it out of the applied object keeps
    // server-side apply from fighting it.
    let replicas = if spec.autoscaling.is_some() { None } else { Some(spec.replicas.unwrap_or(1)) };
    let mut deployment = Deployment {
        metadata: meta(md, name.clone()),
        spec: Some(DeploymentSpec {
            replicas,
            selector: LabelSelector { match_labels: Some(selector(COMPONENT, &instance)), ..Default::default() },
            template,
            strategy: gpu_limit(spec.resources.as_ref()).map(|_| in_place()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let h = spec_hash(&deployment);
    stamp(&mut deployment.metadata, h);

    let service = http_service(meta(md, name.clone()), COMPONENT, &instance, PORT);

    let pdb = spec
        .disruption_budget
        .as_ref()
        .map(|b| disruption_budget(meta(md, name.clone()), COMPONENT, &instance, b.min_available));

    let hpa = spec.autoscaling.as_ref().map(|a| {
        let mut hpa = HorizontalPodAutoscaler {
            metadata: meta(md, name.clone()),
            spec: Some(HorizontalPodAutoscalerSpec {
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".into()),
                    kind: "Deployment".into(),
                    name: name.clone(),
                },
                min_replicas: Some(a.min_replicas.max(1)),
                max_replicas: a.max_replicas,
                // In-flight inferences per pod, from dl-api's /metrics via a metrics adapter.
                metrics: Some(vec![MetricSpec {
                    type_: "Pods".into(),
                    pods: Some(PodsMetricSource {
                        metric: MetricIdentifier { name: "dl_api_inference_in_flight".into(), selector: None },
                        target: MetricTarget {
                            type_: "AverageValue".into(),
                            average_value: Some(Quantity(a.target_concurrency.to_string())),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let h = spec_hash(&hpa);
        stamp(&mut hpa.metadata, h);
        hpa
    });

    let pods = network_policy::Pods { selector: selector(COMPONENT, &instance), port: PORT };
    let network_policy = network_policy::for_model(md, pods, meta(md, name.clone()));
    Ok(Children { deployment, service, pdb, hpa, network_policy })
}

pub(crate) fn probe(path: &str, period: i32, initial_delay: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("http".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        initial_delay_seconds: Some(initial_delay),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

/// Pod Security "restricted": non-root, no privilege escalation, no capabilities.
pub(crate) fn restricted() -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
        seccomp_profile: Some(k8s_openapi::api::core::v1::SeccompProfile {
            type_: "RuntimeDefault".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The pod's `nvidia.com/gpu` limit (the device plugin's count), when it sets one.
fn gpu_limit(resources: Option<&ResourceRequirements>) -> Option<u32> {
    let quantity = resources?.limits.as_ref()?.get("nvidia.com/gpu")?;
    quantity.0.parse().ok()
}

/// Rollouts of pods that take GPUs replace them one at a time, in place: a surge pod would wait
/// for a GPU only the pod it replaces frees — with every GPU of the pool taken (one replica on
/// the only GPU, the common case) the default 25 % surge never finished a rollout. The cost is
/// a replica fewer while one restarts: run two for no gap.
fn in_place() -> DeploymentStrategy {
    DeploymentStrategy {
        type_: Some("RollingUpdate".into()),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(IntOrString::Int(0)),
            max_unavailable: Some(IntOrString::Int(1)),
        }),
    }
}
