//! Who may reach a tenant's crud-api or a model's dl-api, and where a tenant's crud-api may
//! connect: the NetworkPolicies the operator writes for each (`build::network_policy`).

use k8s_openapi::api::networking::v1::{NetworkPolicyEgressRule, NetworkPolicyPeer};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ApiTenant's network: crud-api admits only the operator and `ingressFrom`; with `egress`
/// it connects only to cluster DNS, the ModelDeployment it names and those rules.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantNetwork {
    /// Who may reach crud-api besides the operator (it reads each replica's `/readyz`): your
    /// ingress controller, a gateway, a metrics scraper. Absent: pods in namespaces labelled
    /// `gajyeogagu.io/ingress: "true"`. Other tenants' pods, and other pods of this namespace,
    /// are refused either way (`kubectl port-forward` is not subject to policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_from: Option<Vec<NetworkPolicyPeer>>,
    /// Where crud-api may connect besides cluster DNS and the ModelDeployment it names — its
    /// PostgreSQL, object storage, SMTP server, OpenID providers (rules as in a
    /// NetworkPolicy). Absent: crud-api's egress is not restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<NetworkPolicyEgressRule>>,
}

/// A ModelDeployment's network: dl-api admits the crud-api pods of the tenants that name it
/// (same namespace) and these peers only.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelNetwork {
    /// Who else may reach dl-api: a metrics scraper, another client of the inference API.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress_from: Vec<NetworkPolicyPeer>,
}
