//! `ApiTenant` (short name `tenant`): one tenant's crud-api, with its database, keys,
//! strategy plugins and the ModelDeployment it uses for AI.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Condition, DisruptionBudget, SecretKeyRef};
use super::network::TenantNetwork;

#[derive(CustomResource, KubeSchema, Deserialize, Serialize, Clone, Debug, PartialEq)]
#[kube(
    group = "gajyeogagu.io",
    version = "v1alpha1",
    kind = "ApiTenant",
    namespaced,
    shortname = "tenant",
    status = "ApiTenantStatus",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Replicas","type":"integer","jsonPath":".status.readyReplicas"}"#,
    printcolumn = r#"{"name":"Endpoint","type":"string","jsonPath":".status.endpoint"}"#,
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".status.conditions[?(@.type==\"CandidateRollout\")].reason"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ApiTenantSpec {
    /// Stable tenant id (a DNS label); immutable.
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')").message("tenantId must be a DNS label: lowercase letters, digits and '-', at most 63"))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("tenantId is immutable"))]
    pub tenant_id: String,
    /// The crud-api container image.
    #[x_kube(validation = Rule::new("self.size() > 0").message("image must not be empty"))]
    pub image: String,
    #[serde(default = "one")]
    #[schemars(range(min = 0, max = 50))]
    pub replicas: i32,
    /// Secret key holding `DATABASE_URL` (PostgreSQL).
    pub database_secret_ref: SecretKeyRef,
    pub auth: TenantAuth,
    #[serde(default)]
    pub plugins: TenantPlugins,
    /// Name of the ModelDeployment (same namespace) for photo analysis and style match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_deployment: Option<String>,
    /// Public host name; with it the tenant's `PUBLIC_BASE_URL` is `https://<host>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')").message("ingressHost must be a DNS name"))]
    pub ingress_host: Option<String>,
    /// The address clients reach this tenant at, when it is not `https://<ingressHost>` (a
    /// LoadBalancer, a NodePort, a port-forward): answers give absolute URLs built from it —
    /// photos, the notification stream, OAuth redirects (`PUBLIC_BASE_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^https?://[^/?#]+(/.*)?$')").message("publicBaseUrl must be an absolute http(s) URL"))]
    pub public_base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption_budget: Option<DisruptionBudget>,
    /// Photos on S3-compatible object storage, shared by every replica. Without it each
    /// replica keeps photos in its own emptyDir: fine for one replica only (a photo uploaded
    /// through one replica would 404 on the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_storage: Option<ObjectStorage>,
    /// Outgoing mail: the email verification links sign-ups get. Without it messages are only
    /// written to the pod's emptyDir (`/data/mail`) and never delivered — sign-ups can't verify
    /// their address (and so can't link a Google or Kakao account to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<TenantMail>,
    /// The tenant's NetworkPolicy (written with or without this): who may reach crud-api, and
    /// optionally where it may connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<TenantNetwork>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantMail {
    /// Secret key holding the SMTP URL: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://relay:25`.
    pub smtp_url_secret_ref: SecretKeyRef,
    /// The sender, e.g. `가져가구 <no-reply@shop.example>` (default
    /// `Gajyeogagu <no-reply@gajyeogagu.io>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 3, max = 320))]
    pub from: Option<String>,
    /// The frontend page a verification link opens (`?token=…` appended; it posts the token to
    /// `POST /api/v1/auth/verify-email`). Default `https://<ingressHost>/verify-email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://.+"))]
    pub verification_url: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStorage {
    /// The bucket (it must exist).
    #[schemars(length(min = 3, max = 63))]
    pub bucket: String,
    /// The S3 endpoint, e.g. `http://minio.storage.svc:9000`; absent: AWS S3 in `region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    /// Secret (same namespace) with keys `accessKeyId` and `secretAccessKey`.
    #[schemars(length(min = 1, max = 253))]
    pub credentials_secret: String,
    /// Where clients fetch photos straight from the bucket or a CDN in front of it
    /// (`IMAGE_BASE_URL`): image URLs become `<publicUrl>/<key>`. Absent: through the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.matches('^https?://[^/?#]+(/.*)?$')").message("publicUrl must be an absolute http(s) URL"))]
    pub public_url: Option<String>,
}

fn default_region() -> String {
    "us-east-1".into()
}

fn one() -> i32 {
    1
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantAuth {
    /// Ed25519 PKCS#8 PEM that signs access tokens.
    pub signing_key_secret_ref: SecretKeyRef,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oidc: Vec<OidcClient>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OidcClient {
    pub provider: OidcProvider,
    #[schemars(length(min = 1))]
    pub client_id: String,
    pub client_secret_ref: SecretKeyRef,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum OidcProvider {
    Google,
    Kakao,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantPlugins {
    /// The tenant's IANA time zone (default Asia/Seoul): the clock plugins read the order's
    /// and the request's time on. crud-api checks the name against its tzdb and reports an
    /// unknown one in `/readyz` (`plugins.error`), keeping the zone it had.
    #[x_kube(validation = Rule::new("self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$')").message("timeZone must be an IANA name such as Asia/Seoul"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PluginModule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<PluginModule>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginModule {
    pub source: PluginSource,
    /// sha256 of the module, hex; the host refuses any other bytes.
    #[x_kube(validation = Rule::new("self.matches('^[a-f0-9]{64}$')").message("sha256 must be 64 lowercase hex characters"))]
    pub sha256: String,
    #[serde(default)]
    pub limits: PluginLimits,
    #[serde(default)]
    pub fallback: PluginFallback,
    /// Read-only settings the plugin reads through `host.config`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub config: BTreeMap<String, String>,
    /// A new version to try in shadow: it runs on a share of calls next to this one (same
    /// input, limits and config), its answers compared and never used; the operator promotes
    /// it after a clean window or rolls it back on errors (`status.rollouts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<PluginCandidate>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginCandidate {
    pub source: PluginSource,
    /// sha256 of the candidate module, hex.
    #[x_kube(validation = Rule::new("self.matches('^[a-f0-9]{64}$')").message("candidate sha256 must be 64 lowercase hex characters"))]
    pub sha256: String,
    /// Percent of calls also run on the candidate (each replica spreads them evenly).
    #[serde(default = "default_share")]
    #[schemars(range(min = 1, max = 100))]
    pub share_percent: i32,
    /// Shadow calls, summed over the ready replicas, after which a candidate within its error
    /// and divergence bounds is promoted.
    #[serde(default = "default_promote_after")]
    #[schemars(range(min = 1))]
    pub promote_after_calls: i64,
    /// Candidate errors (a trap, timeout, refusal, an answer the host rejects, a module that
    /// does not load) that roll it back.
    #[serde(default = "default_rollback_after")]
    #[schemars(range(min = 1))]
    pub rollback_after_errors: i64,
    /// If set, a candidate whose answers differ from the current version's on more than this
    /// percent of calls is not promoted (it stays in shadow, and the status says why). Unset:
    /// divergence is reported only — a new pricing policy is meant to differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub max_diverged_percent: Option<i32>,
}

fn default_share() -> i32 {
    10
}
fn default_promote_after() -> i64 {
    500
}
fn default_rollback_after() -> i64 {
    1
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, KubeSchema)]
#[x_kube(validation = Rule::new("[has(self.configMap), has(self.secret), has(self.url)].filter(x, x).size() == 1").message("set exactly one of configMap, secret or url"))]
#[serde(rename_all = "camelCase")]
pub struct PluginSource {
    /// A key in a ConfigMap (binaryData) holding the `.wasm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<KeyRef>,
    /// A key in a Secret holding the `.wasm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<KeyRef>,
    /// An HTTPS URL, fetched by an init container and checked against `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.startsWith('https://')").message("url must be https://"))]
    pub url: Option<String>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginLimits {
    /// Instructions per call.
    #[serde(default = "default_fuel")]
    #[schemars(range(min = 1000, max = 10_000_000_000_i64))]
    pub fuel: i64,
    #[serde(default = "default_memory")]
    #[schemars(range(min = 1, max = 1024))]
    pub memory_mib: i32,
    #[serde(default = "default_timeout")]
    #[schemars(range(min = 1, max = 10_000))]
    pub timeout_ms: i32,
}

impl Default for PluginLimits {
    fn default() -> Self {
        Self { fuel: default_fuel(), memory_mib: default_memory(), timeout_ms: default_timeout() }
    }
}

fn default_fuel() -> i64 {
    50_000_000
}
fn default_memory() -> i32 {
    32
}
fn default_timeout() -> i32 {
    200
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PluginFallback {
    /// The built-in Rust strategy answers when the plugin fails.
    #[default]
    Builtin,
    /// The caller gets the error (503).
    FailClosed,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiTenantStatus {
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub ready_replicas: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// sha256 of the plugin module each strategy (`payment`, `recommendation`) runs, read back
    /// from the ready crud-api replicas — not copied from the spec. A strategy is absent while
    /// replicas disagree (a rollout); the `PluginsCurrent` condition compares with the spec.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plugin_digests: BTreeMap<String, String>,
    /// Each strategy's candidate (`payment`, `recommendation`): its phase and the shadow
    /// counts summed over the ready replicas.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rollouts: BTreeMap<String, RolloutStatus>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// The candidate's sha256.
    pub candidate: String,
    /// `Shadowing`, then `Promoted` (it serves in place of the spec's module) or `RolledBack`
    /// (it no longer runs). Final for this digest: a new candidate sha256 starts over.
    pub phase: RolloutPhase,
    #[serde(default)]
    pub calls: i64,
    #[serde(default)]
    pub same: i64,
    #[serde(default)]
    pub diverged: i64,
    #[serde(default)]
    pub errors: i64,
    /// Calls the replicas shed from the shadow (busy).
    #[serde(default)]
    pub dropped: i64,
    /// The candidate's mean wall time per call, ms (over all replicas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ms: Option<f64>,
    pub message: String,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RolloutPhase {
    #[default]
    Shadowing,
    Promoted,
    RolledBack,
}
