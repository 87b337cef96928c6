//! `ModelDeployment` (short name `md`): a dl-api serving one model, scaled and placed like
//! KServe's InferenceService predictor.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Affinity, ResourceRequirements, Toleration};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DisruptionBudget, SecretKeyRef};
use super::network::ModelNetwork;

#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "gajyeogagu.io",
    version = "v1alpha1",
    kind = "ModelDeployment",
    namespaced,
    shortname = "md",
    status = "ModelDeploymentStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Replicas","type":"integer","jsonPath":".status.readyReplicas"}"#,
    printcolumn = r#"{"name":"Provider","type":"string","jsonPath":".status.executionProvider"}"#,
    printcolumn = r#"{"name":"Endpoint","type":"string","jsonPath":".status.endpoint"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[x_kube(validation = Rule::new("!(has(self.replicas) && has(self.autoscaling))").message("set either replicas or autoscaling, not both"))]
#[serde(rename_all = "camelCase")]
pub struct ModelDeploymentSpec {
    /// Where the model comes from.
    pub model: ModelSource,
    /// The dl-api container image.
    #[x_kube(validation = Rule::new("self.size() > 0").message("image must not be empty"))]
    pub image: String,
    /// Fixed replica count (default 1). Mutually exclusive with `autoscaling`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub replicas: Option<i32>,
    /// Scale between bounds on a concurrency target (HPA on the dl-api queue metrics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// Concurrent inference runs per replica (`DL_CONCURRENCY`), the brief's GPU memory limit.
    #[serde(default = "default_concurrency")]
    #[schemars(range(min = 1, max = 64))]
    pub concurrency: i32,
    #[serde(default)]
    pub batching: Batching,
    /// Container resources; GPUs as `nvidia.com/gpu` limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// `cuda`: the GPU or not ready — dl-api reports why CUDA cannot be had in `/readyz`.
    #[serde(default)]
    pub execution_provider: ExecutionProvider,
    /// With `cuda`: serve on CPU when CUDA cannot be had (`DL_CPU_FALLBACK`), reported as
    /// such by dl-api, instead of staying not ready.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cpu_fallback: bool,
    /// RuntimeClass of the pods (e.g. `nvidia` on GPU nodes using the NVIDIA container runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    /// The Secret key holding the API keys dl-api accepts (one per line).
    pub api_key_secret_ref: SecretKeyRef,
    /// Optional PodDisruptionBudget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption_budget: Option<DisruptionBudget>,
    /// The NetworkPolicy in front of dl-api (written with or without this): the tenants that
    /// name this ModelDeployment, and these extra peers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<ModelNetwork>,
}

fn default_concurrency() -> i32 {
    2
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("[has(self.uri), has(self.pvc), has(self.configMap)].filter(x, x).size() == 1").message("set exactly one of uri, pvc or configMap"))]
#[x_kube(validation = Rule::new("!has(self.sha256) || (has(self.uri) && self.uri.startsWith('https://'))").message("sha256 pins an https:// uri's archive"))]
#[serde(rename_all = "camelCase")]
pub struct ModelSource {
    /// `https://`, `s3://`, `gs://` or `pvc://` URI of the model directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^(https|s3|gs|pvc)://.+')").message("uri must start with https://, s3://, gs:// or pvc://"))]
    pub uri: Option<String>,
    /// SHA-256 (hex) of the `https://` archive: the download is refused, and the pod does not
    /// start, when the bytes differ — a server or anyone on the way can't swap the model. Set
    /// it: without it whatever the URL serves is loaded (as for plugins, pin what you run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: Option<String>,
    /// A PersistentVolumeClaim holding the model directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pvc: Option<VolumePath>,
    /// A ConfigMap holding the model files (small models only: 1 MiB limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<VolumePath>,
    #[serde(default)]
    pub format: ModelFormat,
    /// Model version (`DL_IMAGE_MODEL_VERSION`): reported in every analysis, by `/v1/models`,
    /// the OIP metadata and the repository index; a directory name, as in a model repository.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"))]
    pub version: String,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumePath {
    /// Claim or ConfigMap name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Directory inside the volume ("" = its root).
    #[serde(default)]
    pub path: String,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelFormat {
    #[default]
    Onnx,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    #[default]
    Cpu,
    /// Needs the onnxruntime-gpu image and `nvidia.com/gpu` resources.
    Cuda,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("self.minReplicas <= self.maxReplicas").message("minReplicas must not exceed maxReplicas"))]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    #[schemars(range(min = 0, max = 100))]
    pub min_replicas: i32,
    #[schemars(range(min = 1, max = 100))]
    pub max_replicas: i32,
    /// Target in-flight inferences per replica.
    #[serde(default = "default_target")]
    #[schemars(range(min = 1, max = 1000))]
    pub target_concurrency: i32,
}

fn default_target() -> i32 {
    2
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Batching {
    /// Rows per inference run (`DL_MAX_BATCH`).
    #[serde(default = "default_max_batch")]
    #[schemars(range(min = 1, max = 256))]
    pub max_batch_size: i32,
    /// Wait for a batch to fill, ms (`DL_MAX_QUEUE_DELAY_MS`; 0 = off).
    #[serde(default)]
    #[schemars(range(min = 0, max = 1000))]
    pub max_queue_delay_ms: i32,
    /// Waiting requests per replica before 503 (`DL_QUEUE_CAPACITY`).
    #[serde(default = "default_queue")]
    #[schemars(range(min = 1, max = 100000))]
    pub queue_capacity: i32,
}

impl Default for Batching {
    fn default() -> Self {
        Self { max_batch_size: default_max_batch(), max_queue_delay_ms: 0, queue_capacity: default_queue() }
    }
}

fn default_max_batch() -> i32 {
    8
}

fn default_queue() -> i32 {
    64
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelDeploymentStatus {
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub ready_replicas: i32,
    /// In-cluster URL of the service (`http://<name>-dl-api.<ns>.svc:8002`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Where inference runs (`cpu`, `cuda`, `mixed`), read from the replicas' `/readyz` — not
    /// copied from the spec; absent while none runs. The `ProviderAsRequested` condition says
    /// why it differs from `executionProvider`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_provider: Option<String>,
}
