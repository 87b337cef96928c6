//! The custom resources (group `gajyeogagu.io`, version `v1alpha1`), defined as Rust types;
//! their OpenAPI schemas (with CEL rules) are generated from these by `crdgen` into `crds/`.

pub mod api_tenant;
pub mod common;
pub mod model_deployment;
pub mod network;

pub use api_tenant::{ApiTenant, ApiTenantSpec, ApiTenantStatus};
pub use common::{Condition, SecretKeyRef};
pub use model_deployment::{ModelDeployment, ModelDeploymentSpec, ModelDeploymentStatus};

pub const GROUP: &str = "gajyeogagu.io";

/// The CRDs as YAML documents, in a stable order (`crds/crds.yaml`, and
/// `kustomize/base/crds.yaml` for kustomize, which only reads files under its root).
pub fn all_yaml() -> String {
    use kube::CustomResourceExt;
    let docs = [serde_yaml::to_string(&ModelDeployment::crd()), serde_yaml::to_string(&ApiTenant::crd())];
    docs.into_iter().map(|d| d.expect("CRDs serialise")).collect::<Vec<_>>().join("---\n")
}
