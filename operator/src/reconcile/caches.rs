//! The operator's watch caches: what the reconcilers read instead of asking the API server.
//! `run::controllers` fills them from shared watches (one per kind, also the controllers'
//! triggers) and starts reconciling only once every cache holds its first full list, so a
//! fresh operator never mistakes "not listed yet" for "missing" and writes.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::reflector::Store;

use crate::crd::ModelDeployment;

#[derive(Clone)]
pub struct Caches {
    pub deployments: Store<Deployment>,
    pub services: Store<Service>,
    pub config_maps: Store<ConfigMap>,
    pub pdbs: Store<PodDisruptionBudget>,
    pub hpas: Store<HorizontalPodAutoscaler>,
    pub network_policies: Store<NetworkPolicy>,
    /// Tenants read the ModelDeployment they name.
    pub models: Store<ModelDeployment>,
}

impl Caches {
    /// Resolves once every cache has its first full list (an error: a watch ended first).
    pub async fn ready(&self) -> Result<(), kube::runtime::reflector::store::WriterDropped> {
        self.deployments.wait_until_ready().await?;
        self.services.wait_until_ready().await?;
        self.config_maps.wait_until_ready().await?;
        self.pdbs.wait_until_ready().await?;
        self.hpas.wait_until_ready().await?;
        self.network_policies.wait_until_ready().await?;
        self.models.wait_until_ready().await
    }
}
