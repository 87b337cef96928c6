//! Wiring: the two controllers (each watching its resource and the children it owns), the
//! health/metrics endpoint, leader election and graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, store::Writer, ObjectRef, ReflectHandle};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client, ResourceExt};
use serde::de::DeserializeOwned;

use crate::crd::{ApiTenant, ModelDeployment};
use crate::metrics::Metrics;
use crate::reconcile::caches::Caches;
use crate::reconcile::{api_tenant, model_deployment, Context};

/// Reconciles running at once per controller.
pub const RECONCILE_CONCURRENCY: u16 = 16;

/// Quiet time after an object's last event before it is reconciled.
pub const DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(500);

/// Events a shared watch buffers per subscriber before it waits for the slowest one.
const SHARED_BUFFER: usize = 1024;

fn api<K>(client: &Client, ns: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match ns {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

fn sub<K>(w: &Writer<K>) -> ReflectHandle<K>
where
    K: kube::Resource<DynamicType = ()> + Clone + 'static,
{
    w.subscribe().expect("shared stores have subscribers")
}

/// A watch of `K` keeping `writer`'s cache current, run until dropped.
fn drive<K>(api: Api<K>, writer: Writer<K>) -> BoxFuture<'static, ()>
where
    K: kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
{
    watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect_shared(writer)
        .for_each(|e| async move {
            if let Err(e) = e {
                tracing::debug!(error = %e, "watch event");
            }
        })
        .boxed()
}

/// Runs both controllers until `shutdown` resolves. `namespace`: watch one namespace, or all.
pub async fn controllers(
    client: Client,
    namespace: Option<&str>,
    metrics: Arc<Metrics>,
    identity: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let reporter = Reporter { controller: crate::build::MANAGER.into(), instance: Some(identity.into()) };
    // One watch per kind, shared: it fills the cache the reconcilers read, and the controllers
    // subscribed to it hear of an object only once the cache holds it. PDBs, HPAs and
    // NetworkPolicies trigger nothing (nobody else edits them in practice; the periodic resync
    // puts them back).
    let (deployments, dep_w) = reflector::store_shared::<Deployment>(SHARED_BUFFER);
    let (services, svc_w) = reflector::store_shared::<Service>(SHARED_BUFFER);
    let (config_maps, cm_w) = reflector::store_shared::<ConfigMap>(SHARED_BUFFER);
    let (models, md_w) = reflector::store_shared::<ModelDeployment>(SHARED_BUFFER);
    let (pdbs, pdb_w) = reflector::store::<PodDisruptionBudget>();
    let (hpas, hpa_w) = reflector::store::<HorizontalPodAutoscaler>();
    let (network_policies, np_w) = reflector::store::<NetworkPolicy>();
    let (dep_md, dep_t, svc_md, svc_t) = (sub(&dep_w), sub(&dep_w), sub(&svc_w), sub(&svc_w));
    let (cm_t, md_md, md_t) = (sub(&cm_w), sub(&md_w), sub(&md_w));
    let caches = Caches { deployments, services, config_maps, pdbs, hpas, network_policies, models: models.clone() };
    let watches = futures_util::future::join_all([
        drive(api::<Deployment>(&client, namespace), dep_w),
        drive(api::<Service>(&client, namespace), svc_w),
        drive(api::<ConfigMap>(&client, namespace), cm_w),
        drive(api::<ModelDeployment>(&client, namespace), md_w),
        drive(api::<PodDisruptionBudget>(&client, namespace), pdb_w),
        drive(api::<HorizontalPodAutoscaler>(&client, namespace), hpa_w),
        drive(api::<NetworkPolicy>(&client, namespace), np_w),
    ]);
    let ctx = Arc::new(Context::new(client.clone(), caches.clone(), metrics, Recorder::new(client.clone(), reporter)));
    // Bounded parallel reconciles: unbounded, a thousand objects at start-up open a thousand
    // connections and run into the API server's in-flight limits (429s and retry storms).
    // Debounced: one reconcile writes a resource's children and status, and each of those comes
    // back as a watch event; collapsed, they make one re-check once the caches hold them all,
    // rather than several, each racing its cache and applying again.
    let cfg = controller::Config::default().concurrency(RECONCILE_CONCURRENCY).debounce(DEBOUNCE);
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let (stop_md, stop_t, mut stop_wait) = (stop_tx.subscribe(), stop_tx.subscribe(), stop_tx.subscribe());
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let wait = |mut rx: tokio::sync::broadcast::Receiver<()>| async move {
        let _ = rx.recv().await;
    };

    let mds = Controller::for_shared_stream(md_md, models)
        .owns_shared_stream(dep_md)
        .owns_shared_stream(svc_md)
        .with_config(cfg.clone())
        .graceful_shutdown_on(wait(stop_md))
        .run(model_deployment::reconcile, model_deployment::error_policy, ctx.clone())
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "ModelDeployment controller event");
            }
        });

    let tenants = Controller::new(api::<ApiTenant>(&client, namespace), watcher::Config::default())
        .owns_shared_stream(dep_t)
        .owns_shared_stream(svc_t)
        .owns_shared_stream(cm_t);
    // A tenant depends on the ModelDeployment it names: re-reconcile it when that changes.
    let store = tenants.store();
    let tenants = tenants
        .watches_shared_stream(md_t, move |md| {
            let ns = md.namespace();
            let name = md.name_any();
            store
                .state()
                .into_iter()
                .filter(|t| t.namespace() == ns && t.spec.model_deployment.as_deref() == Some(name.as_str()))
                .map(|t| ObjectRef::from_obj(&*t))
                .collect::<Vec<_>>()
        })
        .with_config(cfg)
        .graceful_shutdown_on(wait(stop_t))
        .run(api_tenant::reconcile, api_tenant::error_policy, ctx)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "ApiTenant controller event");
            }
        });
    let reconciling = async move {
        tokio::select! {
            ready = caches.ready() => if ready.is_err() { return },
            _ = stop_wait.recv() => return,
        }
        tokio::join!(mds, tenants);
    };
    // The watches run as long as the controllers do; they end with them.
    tokio::select! {
        _ = reconciling => {}
        _ = watches => {}
    }
}

/// `/healthz` (alive), `/readyz` (200 once this replica has reached the API server: leading with
/// its controllers running, or standing by and able to take over),
/// `/metrics`.
pub async fn serve_http(addr: SocketAddr, metrics: Arc<Metrics>, ready: Arc<AtomicBool>) -> anyhow::Result<()> {
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.clone();
                async move {
                    if ready.load(Ordering::Relaxed) {
                        (StatusCode::OK, "ready")
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "standby")
                    }
                }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move { metrics.render() }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
