//! The Gajyeogagu operator: turns `ModelDeployment` and `ApiTenant` resources into dl-api
//! and crud-api Deployments, Services and configuration.

pub mod build;
pub mod crd;
pub mod leader;
pub mod metrics;
pub mod reconcile;
pub mod run;
