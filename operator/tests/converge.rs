//! Scale benchmark (ignored by default; `make bench-operator` runs it): the operator
//! converging 1,000 ModelDeployments and 100 ApiTenants on the test API server, the API
//! writes of a second full pass with nothing changed, and peak memory.

mod cluster;

use std::sync::Arc;
use std::time::Instant;

use futures_util::{stream, StreamExt};
use kube::api::{ListParams, PostParams};
use kube::Api;
use operator::crd::{ApiTenant, ModelDeployment};
use operator::metrics::Metrics;
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

async fn converged(mds: &Api<ModelDeployment>, tenants: &Api<ApiTenant>) -> (usize, usize) {
    // Conservative: a resource counts once its status reflects the current generation.
    let lp = ListParams::default();
    let m = mds
        .list(&lp)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|m| m.status.as_ref().is_some_and(|s| s.observed_generation.is_some()))
        .count();
    let t = tenants
        .list(&lp)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|t| t.status.as_ref().is_some_and(|s| s.observed_generation.is_some()))
        .count();
    (m, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(non_snake_case)]
#[ignore = "benchmark: make bench-operator"]
async fn converge_1000_model_deployments_and_100_tenants() {
    let (MDS, TENANTS) = (count("BENCH_MDS", 1000), count("BENCH_TENANTS", 100));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
    let ns = "bench";
    let client = cluster::client(ns).await;
    let mds: Api<ModelDeployment> = Api::namespaced(client.clone(), ns);
    let tenants: Api<ApiTenant> = Api::namespaced(client.clone(), ns);
    let md_sample: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../crds/samples/model-deployment.yaml"))
            .unwrap(),
    )
    .unwrap();
    let t_sample: serde_json::Value = serde_yaml::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../crds/samples/api-tenant.yaml")).unwrap(),
    )
    .unwrap();
    let created = Instant::now();
    stream::iter(0..MDS)
        .for_each_concurrent(32, |i| {
            let mut v = md_sample.clone();
            v["metadata"] = json!({ "name": format!("model-{i:04}"), "namespace": ns });
            let mds = mds.clone();
            async move {
                mds.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap();
            }
        })
        .await;
    stream::iter(0..TENANTS)
        .for_each_concurrent(32, |i| {
            let mut v = t_sample.clone();
            v["metadata"] = json!({ "name": format!("tenant-{i:03}"), "namespace": ns });
            v["spec"]["tenantId"] = json!(format!("tenant-{i:03}"));
            v["spec"]["modelDeployment"] = json!(format!("model-{:04}", (i * 10) % MDS));
            let tenants = tenants.clone();
            async move {
                tenants.create(&PostParams::default(), &serde_json::from_value(v).unwrap()).await.unwrap();
            }
        })
        .await;
    println!("created {MDS} ModelDeployments and {TENANTS} ApiTenants in {:.1} s", created.elapsed().as_secs_f64());

    let metrics = Arc::new(Metrics::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let run =
        tokio::spawn(operator::run::controllers(client.clone(), Some(ns), metrics.clone(), "bench", async move {
            let _ = rx.await;
        }));
    loop {
        let (m, t) = converged(&mds, &tenants).await;
        if m == MDS && t == TENANTS {
            break;
        }
        if started.elapsed().as_secs() % 30 == 0 {
            println!(
                "  {:.0} s: {m}/{MDS} ModelDeployments, {t}/{TENANTS} ApiTenants with status",
                started.elapsed().as_secs_f64()
            );
        }
        assert!(started.elapsed().as_secs() < 1200, "not converged after 20 minutes ({m}/{MDS}, {t}/{TENANTS})");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let first = started.elapsed().as_secs_f64();
    let first_writes = metrics.total_writes();
    println!("first pass: converged in {first:.1} s with {first_writes} API writes");
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
