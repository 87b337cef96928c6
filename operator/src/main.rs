//! `gajyeogagu-operator`: waits to lead (Lease), then runs the controllers until SIGTERM
//! or until it loses the lease (it exits, so a restarted pod rejoins as a candidate).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use operator::leader::LeaderElector;
use operator::metrics::Metrics;

#[derive(Parser, Debug)]
#[command(name = "gajyeogagu-operator", version)]
struct Args {
    /// Health and metrics listen address.
    #[arg(long, env = "OPERATOR_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    http_addr: SocketAddr,
    /// Watch only this namespace (default: all).
    #[arg(long, env = "WATCH_NAMESPACE")]
    namespace: Option<String>,
    /// Leader election (off: this replica reconciles at once; for a single replica or tests).
    #[arg(long, env = "LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    leader_election: bool,
    #[arg(long, env = "LEASE_NAMESPACE", default_value = "gajyeogagu-system")]
    lease_namespace: String,
    #[arg(long, env = "LEASE_NAME", default_value = "gajyeogagu-operator")]
    lease_name: String,
    #[arg(long, env = "LEASE_SECONDS", default_value_t = 15)]
    lease_seconds: u64,
    /// This replica's identity (the pod name via the downward API).
    #[arg(long, env = "POD_NAME", default_value = "gajyeogagu-operator")]
    identity: String,
}

/// How long in-flight reconciles may take to finish after a stop signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,kube=warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).json().init();
    let client = kube::Client::try_default().await?;
    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    tokio::spawn(operator::run::serve_http(args.http_addr, metrics.clone(), ready.clone()));

    let (lost_tx, lost_rx) = tokio::sync::oneshot::channel::<()>();
    let mut leadership = None;
    if args.leader_election {
        let elector = LeaderElector::new(
            client.clone(),
            &args.lease_namespace,
            &args.lease_name,
            &args.identity,
            Duration::from_secs(args.lease_seconds),
        );
        loop {
            match elector.try_acquire().await {
                Ok(true) => break,
                // A standby that reaches the API server and reads the lease is ready: it can take
                // over. (Not-ready standbys would leave a 2-replica Deployment never available
                // and block every rolling update.)
                Ok(false) => {
                    ready.store(true, Ordering::Relaxed);
                    tracing::info!(identity = %args.identity, "standing by: another replica leads");
                }
                Err(e) => {
                    ready.store(false, Ordering::Relaxed);
                    tracing::warn!(identity = %args.identity, error = %e, "cannot read the leader lease");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(elector.renew_every()) => {}
                _ = shutdown_signal() => return Ok(()),
            }
        }
        tracing::info!(identity = %args.identity, "leading");
        let elector = Arc::new(elector);
        let renewing = elector.clone();
        let renewer = tokio::spawn(async move {
            loop {
                tokio::time::sleep(renewing.renew_every()).await;
                if !renewing.try_acquire().await.unwrap_or(false) {
                    tracing::error!("lost the lease; stopping");
                    let _ = lost_tx.send(());
                    return;
                }
            }
        });
        leadership = Some((elector, renewer));
    } else {
        drop(lost_tx);
    }
    ready.store(true, Ordering::Relaxed);
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            Ok(()) = lost_rx => {}
        }
        let _ = stopping_tx.send(());
    };
    // Reconciles in flight may finish, within a bound: the kubelet kills the pod after its
    // grace period anyway, and a standby is waiting for the lease.
    let drained = async {
        let _ = stopping_rx.await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = operator::run::controllers(client, args.namespace.as_deref(), metrics, &args.identity, stop) => {
            tracing::info!("controllers stopped");
        }
        _ = drained => tracing::warn!(grace = ?SHUTDOWN_GRACE, "controllers still draining; stopping anyway"),
    }
    if let Some((elector, renewer)) = leadership {
        renewer.abort();
        match elector.release().await {
            Ok(()) => tracing::info!(identity = %args.identity, "lease released"),
            Err(e) => tracing::warn!(error = %e, "could not release the lease; it expires instead"),
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term => {} }
}
