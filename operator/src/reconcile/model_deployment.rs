//! ModelDeployment reconciler.

use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::apply::{apply, cached, remove};
use super::placement;
use super::pods::Observed;
use super::status::{self, now, Problem};
use super::{next_check, Context, Error};
use crate::build::{dl_api, MANAGER};
use crate::crd::model_deployment::ExecutionProvider;
use crate::crd::{ModelDeployment, ModelDeploymentStatus};
use crate::metrics::KindLabels;

pub const KIND: &str = "ModelDeployment";

pub async fn reconcile(md: Arc<ModelDeployment>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let ns = md.namespace().ok_or(Error::NoNamespace)?;
    let name = md.name_any();
    let child = dl_api::name(&md);
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(ctx.client.clone(), &ns);
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(ctx.client.clone(), &ns);
    let policies: Api<NetworkPolicy> = Api::namespaced(ctx.client.clone(), &ns);
    let (m, c) = (&ctx.metrics, &ctx.caches);

    let (deployment, problem) = match dl_api::build(&md) {
        Ok(children) => {
            // The policy before the pods it protects.
            apply(&policies, &c.network_policies, &children.network_policy, m).await?;
            let dep = apply(&deployments, &c.deployments, &children.deployment, m).await?;
            apply(&services, &c.services, &children.service, m).await?;
            match &children.pdb {
                Some(p) => drop(apply(&pdbs, &c.pdbs, p, m).await?),
                None => drop(remove(&pdbs, &c.pdbs, &child, m).await?),
            }
            match &children.hpa {
                Some(h) => drop(apply(&hpas, &c.hpas, h, m).await?),
                None => drop(remove(&hpas, &c.hpas, &child, m).await?),
            }
            (Some(dep), None)
        }
        Err(e) => (
            cached(&c.deployments, &ns, &child),
            Some(Problem { reason: "InvalidSpec".into(), message: e.to_string() }),
        ),
    };

    let pods = Observed::list(&Api::<Pod>::namespaced(ctx.client.clone(), &ns), dl_api::COMPONENT, &name).await?;
    let old = md.status.clone().unwrap_or_default();
    // Where the replicas run, from their own /readyz (ready or not).
    let running = pods.running_endpoints();
    let answers = placement::read(&ctx.http, &running).await;
    let requested = match md.spec.execution_provider {
        ExecutionProvider::Cpu => "cpu",
        ExecutionProvider::Cuda => "cuda",
    };
    let placed =
        placement::judge(requested, &answers, running.len(), old.execution_provider.as_ref(), md.metadata.generation);
    // CUDA that cannot be had is why the replicas are not ready: `Ready` and `Degraded` say so.
    let cuda = placed
        .unavailable()
        .then(|| Problem { reason: placed.condition.reason.clone(), message: placed.condition.message.clone() });
    let problem = problem.or_else(|| pods.problem()).or(cuda);
    let derived = status::derive(deployment.as_ref(), md.metadata.generation, problem.as_ref());
    let mut conditions = derived.conditions;
    conditions.push(placed.condition);
    status::carry_transitions(&mut conditions, &old.conditions, &now());
    let new = ModelDeploymentStatus {
        conditions,
        ready_replicas: derived.ready_replicas,
        endpoint: Some(dl_api::endpoint(&name, &ns)),
        observed_generation: md.metadata.generation,
        execution_provider: placed.provider,
    };
    let next = next_check(&new.conditions);
    if new != old {
        let api: Api<ModelDeployment> = Api::namespaced(ctx.client.clone(), &ns);
        let body = json!({ "apiVersion": "gajyeogagu.io/v1alpha1", "kind": KIND, "status": new });
        api.patch_status(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&body)).await?;
        m.wrote("ModelDeployment/status");
        super::events::publish_transition(&ctx, &md.object_ref(&()), &old.conditions, &new.conditions).await;
    }
    let labels = KindLabels { kind: KIND.into() };
    m.reconciles.get_or_create(&labels).inc();
    m.duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    Ok(next)
}

pub fn error_policy(md: Arc<ModelDeployment>, err: &Error, ctx: Arc<Context>) -> Action {
    super::error_policy(md, err, ctx, KIND)
}
