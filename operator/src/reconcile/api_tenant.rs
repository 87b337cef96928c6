//! ApiTenant reconciler.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::apply::{apply, cached, remove};
use super::events::publish_transition;
use super::pods::Observed;
use super::status::{self, now, Problem};
use super::{next_check, rollout, served, Context, Error};
use crate::build::{crud_api, MANAGER};
use crate::crd::{ApiTenant, ApiTenantStatus, ModelDeployment};
use crate::metrics::KindLabels;

pub const KIND: &str = "ApiTenant";

pub async fn reconcile(t: Arc<ApiTenant>, ctx: Arc<Context>) -> Result<Action, Error> {
    let started = Instant::now();
    let ns = t.namespace().ok_or(Error::NoNamespace)?;
    let name = t.name_any();
    let (m, c) = (&ctx.metrics, &ctx.caches);
    let (model, problem) = match &t.spec.model_deployment {
        None => (None, None),
        Some(md_name) => match cached::<ModelDeployment>(&c.models, &ns, md_name) {
            Some(md) => (Some(md), None),
            None => (
                None,
                Some(Problem {
                    reason: "ModelDeploymentNotFound".into(),
                    message: format!("ModelDeployment {md_name} not found; running without photo analysis"),
                }),
            ),
        },
    };
    // The replicas first: what they serve and their candidates' counts decide the rollouts,
    // and the rollouts decide the modules the children get.
    let pods = Observed::list(&Api::<Pod>::namespaced(ctx.client.clone(), &ns), crud_api::COMPONENT, &name).await?;
    let served = served::read(&ctx.http, &pods.ready_endpoints()).await;
    let old = t.status.clone().unwrap_or_default();
    let rollouts = rollout::judge_all(&t.spec.plugins, &old.rollouts, &served);
    let children = crud_api::build(&t, model.as_ref(), &rollouts);
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
    let deployments: Api<Deployment> = Api::namespaced(ctx.client.clone(), &ns);
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(ctx.client.clone(), &ns);
    // The policy before the pods it protects: no replica runs unisolated, even briefly.
    let policies: Api<NetworkPolicy> = Api::namespaced(ctx.client.clone(), &ns);
    apply(&policies, &c.network_policies, &children.network_policy, m).await?;
    apply(&cms, &c.config_maps, &children.config_map, m).await?;
    let dep = apply(&deployments, &c.deployments, &children.deployment, m).await?;
    apply(&services, &c.services, &children.service, m).await?;
    match &children.pdb {
        Some(p) => drop(apply(&pdbs, &c.pdbs, p, m).await?),
        None => drop(remove(&pdbs, &c.pdbs, &crud_api::name(&t), m).await?),
    }

    let problem = problem.or_else(|| pods.problem());
    let derived = status::derive(Some(&dep), t.metadata.generation, problem.as_ref());
    // What should run: the spec's modules, or a promoted candidate in place of one.
    let pinned: BTreeMap<String, String> =
        crud_api::serving(&t, &rollouts).into_iter().map(|(k, m)| (k.to_string(), m.sha256)).collect();
    let verdict = served::judge(&pinned, &served, &old.plugin_digests, t.metadata.generation);
    let mut conditions = derived.conditions;
    conditions.push(verdict.condition);
    conditions.extend(rollout::condition(&rollouts, t.metadata.generation));
    status::carry_transitions(&mut conditions, &old.conditions, &now());
    let new = ApiTenantStatus {
        conditions,
        ready_replicas: derived.ready_replicas,
        endpoint: Some(crud_api::endpoint(&name, &ns)),
        observed_generation: t.metadata.generation,
        plugin_digests: verdict.digests,
        rollouts,
    };
    let next = next_check(&new.conditions);
    if new != old {
        let api: Api<ApiTenant> = Api::namespaced(ctx.client.clone(), &ns);
        let body = json!({ "apiVersion": "gajyeogagu.io/v1alpha1", "kind": KIND, "status": new });
        api.patch_status(&name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&body)).await?;
        m.wrote("ApiTenant/status");
        publish_transition(&ctx, &t.object_ref(&()), &old.conditions, &new.conditions).await;
    }
    let labels = KindLabels { kind: KIND.into() };
    m.reconciles.get_or_create(&labels).inc();
    m.duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    Ok(next)
}

pub fn error_policy(t: Arc<ApiTenant>, err: &Error, ctx: Arc<Context>) -> Action {
    super::error_policy(t, err, ctx, KIND)
}
