//! Scale benchmark (ignored by default; `make bench-operator` runs it): the operator
//! converging 1,000 ModelDeployments and 100 ApiTenants on the test API server, the API
//! writes of a second full pass with nothing changed, and peak memory.

mod cluster;

use std::sync::Arc;
use std::time::Instant;

use futures_util::{stream, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, Resource, ResourceExt};
use operator::build::{crud_api, dl_api, MANAGER};
use operator::crd::{ApiTenant, ModelDeployment};
use operator::metrics::Metrics;
use operator::reconcile::status;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

/// `BENCH_MDS` / `BENCH_TENANTS` override the counts (1,000 / 100).
fn count(var: &str, default: usize) -> usize {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Waits until every ModelDeployment and ApiTenant has status (conservative: for its
/// generation), followed by watches: polling with a full list every half second made the API
/// server serialise a thousand objects twice a second, on the same two cores as the operator.
async fn wait_converged(mds: Api<ModelDeployment>, tenants: Api<ApiTenant>, want: (usize, usize)) {
    use kube::runtime::{watcher, WatchStreamExt};
    let md_events = watcher(mds, watcher::Config::default())
        .applied_objects()
        .map(|r| r.map(|m: ModelDeployment| (true, m.name_any(), m.status.and_then(|s| s.observed_generation))));
    let t_events = watcher(tenants, watcher::Config::default())
        .applied_objects()
        .map(|r| r.map(|t: ApiTenant| (false, t.name_any(), t.status.and_then(|s| s.observed_generation))));
    let mut events = std::pin::pin!(stream::select(md_events, t_events));
    let (mut m, mut t) = (std::collections::HashSet::new(), std::collections::HashSet::new());
    let (started, mut reported) = (Instant::now(), 0);
    while (m.len(), t.len()) != want {
        let next = tokio::time::timeout(std::time::Duration::from_secs(1200), events.next()).await;
        let Ok(Some(Ok((is_md, name, observed)))) = next else {
            panic!("not converged after 20 minutes or the watch ended ({}/{}, {}/{})", m.len(), want.0, t.len(), want.1)
        };
        if observed.is_some() {
            if is_md {
                m.insert(name)
            } else {
                t.insert(name)
            };
        }
        if started.elapsed().as_secs() >= reported + 30 {
            reported += 30;
            println!(
                "  {reported} s: {}/{} ModelDeployments, {}/{} ApiTenants with status",
                m.len(),
                want.0,
                t.len(),
                want.1
            );
        }
    }
}

/// Creates `mds` ModelDeployments and `tenants` ApiTenants from the samples in `ns` (32 at a
/// time) and returns them as the API server stored them.
async fn create(client: &Client, ns: &str, mds: usize, tenants: usize) -> (Vec<ModelDeployment>, Vec<ApiTenant>) {
    let sample = |file: &str| -> serde_json::Value {
        let path = format!("{}/../crds/samples/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (md_sample, t_sample) = (sample("model-deployment.yaml"), sample("api-tenant.yaml"));
    let md_api: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let t_api: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let created_mds = stream::iter(0..mds)
        .map(|i| {
            let mut v = md_sample.clone();
            v["metadata"] = json!({ "name": format!("model-{i:04}"), "namespace": ns });
            let api = md_api.clone();
            async move { api.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap() }
        })
        .buffered(32)
        .collect()
        .await;
    let created_tenants = stream::iter(0..tenants)
        .map(|i| {
            let mut v = t_sample.clone();
            v["metadata"] = json!({ "name": format!("tenant-{i:03}"), "namespace": ns });
            v["spec"]["tenantId"] = json!(format!("tenant-{i:03}"));
            v["spec"]["modelDeployment"] = json!(format!("model-{:04}", (i * 10) % mds));
            let api = t_api.clone();
            async move { api.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap() }
        })
        .buffered(32)
        .collect()
        .await;
    (created_mds, created_tenants)
}

/// One server-side apply as the operator sends it (its field manager, forced).
async fn ssa<K>(client: &Client, ns: &str, obj: &K) -> K
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope> + Serialize + DeserializeOwned,
    K: Clone + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.patch(&obj.name_any(), &PatchParams::apply(MANAGER).force(), &Patch::Apply(obj)).await.unwrap()
}

/// The status a reconcile would apply for `obj` whose Deployment is `dep`, server-side applied
/// to the status subresource as the operator does.
async fn ssa_status<K>(client: &Client, ns: &str, obj: &K, dep: &Deployment, endpoint: String)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope> + Clone + std::fmt::Debug,
    K: DeserializeOwned,
{
    let mut derived = status::derive(Some(dep), obj.meta().generation, None);
    status::carry_transitions(&mut derived.conditions, &[], "2026-12-02T00:00:00Z");
    let body = json!({ "apiVersion": K::api_version(&()), "kind": K::kind(&()), "status": {
        "conditions": derived.conditions, "readyReplicas": derived.ready_replicas,
        "endpoint": endpoint, "observedGeneration": obj.meta().generation } });
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    api.patch_status(&obj.name_any(), &PatchParams::apply(MANAGER).force(), &Patch::Apply(&body)).await.unwrap();
}

/// The API server's own ceiling for the operator's first pass: the same server-side applies
/// (each resource's children from the operator's builders, then its status, in order like a
/// reconcile) sent by a bare client at the operator's concurrency (`RECONCILE_CONCURRENCY`
/// resources at a time per kind, as per controller), with no reads, watches, events or
/// debounce. Returns the seconds taken and the applies sent.
async fn bare_client(client: &Client, ns: &str, mds: &[ModelDeployment], tenants: &[ApiTenant]) -> (f64, u64) {
    let applies = std::sync::atomic::AtomicU64::new(0);
    let count = |n: u64| applies.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    let md_jobs = stream::iter(mds).map(|md| async {
        let c = dl_api::build(md).unwrap();
        let dep: Deployment = ssa(client, ns, &c.deployment).await;
        ssa(client, ns, &c.service).await;
        let mut n = 3;
        if let Some(p) = &c.pdb {
            ssa(client, ns, p).await;
            n += 1;
        }
        if let Some(h) = &c.hpa {
            ssa(client, ns, h).await;
            n += 1;
        }
        ssa_status(client, ns, md, &dep, dl_api::endpoint(&md.name_any(), ns)).await;
        count(n);
    });
    let by_name: std::collections::HashMap<String, &ModelDeployment> = mds.iter().map(|m| (m.name_any(), m)).collect();
    let tenant_jobs = stream::iter(tenants).map(|t| {
        let by_name = &by_name;
        async move {
            let md = t.spec.model_deployment.as_ref().and_then(|n| by_name.get(n).copied());
            let c = crud_api::build(t, md, &Default::default());
            ssa(client, ns, &c.config_map).await;
            let dep: Deployment = ssa(client, ns, &c.deployment).await;
            ssa(client, ns, &c.service).await;
            let mut n = 4;
            if let Some(p) = &c.pdb {
                ssa(client, ns, p).await;
                n += 1;
            }
            ssa_status(client, ns, t, &dep, crud_api::endpoint(&t.name_any(), ns)).await;
            count(n);
        }
    });
    // Models and tenants side by side, each `RECONCILE_CONCURRENCY` at a time, as the two
    // controllers run.
    let concurrency = operator::run::RECONCILE_CONCURRENCY as usize;
    futures_util::join!(
        md_jobs.buffer_unordered(concurrency).collect::<Vec<()>>(),
        tenant_jobs.buffer_unordered(concurrency).collect::<Vec<()>>()
    );
    (started.elapsed().as_secs_f64(), applies.load(std::sync::atomic::Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(non_snake_case)]
#[ignore = "benchmark: make bench-operator"]
async fn converge_1000_model_deployments_and_100_tenants() {
    let (MDS, TENANTS) = (count("BENCH_MDS", 1000), count("BENCH_TENANTS", 100));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
    // The ceiling first, in a namespace of its own on the same API server.
    let bare_ns = "bench-bare";
    let bare = cluster::client(bare_ns).await;
    let (bare_mds, bare_tenants) = create(&bare, bare_ns, MDS, TENANTS).await;
    let (ceiling, applies) = bare_client(&bare, bare_ns, &bare_mds, &bare_tenants).await;
    println!(
        "bare client (the API server's ceiling): {applies} server-side applies in {ceiling:.1} s ({:.0}/s)",
        applies as f64 / ceiling
    );

    let ns = "bench";
    let client = cluster::client(ns).await;
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let created = Instant::now();
    create(&client, ns, MDS, TENANTS).await;
    println!("created {MDS} ModelDeployments and {TENANTS} ApiTenants in {:.1} s", created.elapsed().as_secs_f64());

    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let run =
        tokio::spawn(operator::run::controllers(client.clone(), Some(ns), metrics.clone(), "bench", async move {
            let _ = rx.await;
        }));
    wait_converged(mds.clone(), tenants.clone(), (MDS, TENANTS)).await;
    let first = started.elapsed().as_secs_f64();
    let first_writes = metrics.total_writes();
    println!("first pass: converged in {first:.1} s with {first_writes} API writes");
    println!("operator vs the bare client: {:.2} of the API server's ceiling", ceiling / first);
    let _ = tx.send(());
    let _ = run.await;

    // A fresh operator (as after a restart) reconciles everything again: nothing changed.
    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let second = Instant::now();
    let run =
        tokio::spawn(operator::run::controllers(client.clone(), Some(ns), metrics.clone(), "bench-2", async move {
            let _ = rx.await;
        }));
    let expected = (MDS + TENANTS) as u64;
    loop {
        let done: u64 = metrics
            .render()
            .lines()
            .filter(|l| l.starts_with("gajyeogagu_operator_reconciles_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        if done >= expected {
            break;
        }
        assert!(second.elapsed().as_secs() < 1200, "second pass stalled at {done}/{expected}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    println!(
        "second pass: {expected} reconciles in {:.1} s with {} API writes",
        second.elapsed().as_secs_f64(),
        metrics.total_writes()
    );
    println!("peak memory of the test process (operator + harness): {:.0} MiB", peak_rss_mib());
    assert_eq!(metrics.total_writes(), 0, "second pass wrote");
    let _ = tx.send(());
    let _ = run.await;
}
