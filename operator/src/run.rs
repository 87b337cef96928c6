//! Wiring: the two controllers (each watching its resource and the children it owns), the
//! health/metrics endpoint, leader election and graceful shutdown.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Api, Client, ResourceExt};

use crate::crd::{ApiTenant, ModelDeployment};
use crate::metrics::Metrics;
use crate::reconcile::{api_tenant, model_deployment, Context};

/// Reconciles running at once per controller.
pub const RECONCILE_CONCURRENCY: u16 = 16;

/// Runs both controllers until `shutdown` resolves. `namespace`: watch one namespace, or all.
pub async fn controllers(
    client: Client,
    namespace: Option<&str>,
    metrics: Arc<Metrics>,
    identity: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let reporter = Reporter { controller: crate::build::MANAGER.into(), instance: Some(identity.into()) };
    let ctx = Arc::new(Context::new(client.clone(), metrics, Recorder::new(client.clone(), reporter)));
    fn api<K>(client: &Client, ns: Option<&str>) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    let wc = watcher::Config::default();
    // Bounded parallel reconciles: unbounded, a thousand objects at start-up open a thousand
    // connections and run into the API server's in-flight limits (429s and retry storms).
    let cfg = controller::Config::default().concurrency(RECONCILE_CONCURRENCY);
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let stop_md = stop_tx.subscribe();
    let stop_t = stop_tx.subscribe();
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let wait = |mut rx: tokio::sync::broadcast::Receiver<()>| async move {
        let _ = rx.recv().await;
    };

    let mds = Controller::new(api::<ModelDeployment>(&client, namespace), wc.clone())
        .owns(api::<Deployment>(&client, namespace), wc.clone())
        .owns(api::<Service>(&client, namespace), wc.clone())
        .with_config(cfg.clone())
        .graceful_shutdown_on(wait(stop_md))
        .run(model_deployment::reconcile, model_deployment::error_policy, ctx.clone())
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "ModelDeployment controller event");
            }
        });

    let tenants = Controller::new(api::<ApiTenant>(&client, namespace), wc.clone())
        .owns(api::<Deployment>(&client, namespace), wc.clone())
        .owns(api::<Service>(&client, namespace), wc.clone())
        .owns(api::<ConfigMap>(&client, namespace), wc.clone());
    // A tenant depends on the ModelDeployment it names: re-reconcile it when that changes.
    let store = tenants.store();
    let tenants = tenants
        .watches(api::<ModelDeployment>(&client, namespace), wc, move |md| {
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
    tokio::join!(mds, tenants);
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
