//! Reconcilers: apply the builders' children with server-side apply — only when they
//! differ from what the API server holds — and derive status from the children.

pub mod api_tenant;
pub mod apply;
pub mod caches;
pub mod events;
pub mod model_deployment;
pub mod placement;
pub mod pods;
pub mod rollout;
pub mod served;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;
use kube::runtime::events::Recorder;
use kube::Client;

use crate::metrics::Metrics;

/// Shared by every reconcile.
pub struct Context {
    pub client: Client,
    /// Children and models as the watches last saw them.
    pub caches: caches::Caches,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// Reads the served plugin digests from crud-api replicas (plain HTTP inside the cluster).
    pub http: reqwest::Client,
}

impl Context {
    pub fn new(client: Client, caches: caches::Caches, metrics: Arc<Metrics>, recorder: Recorder) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .build()
            .expect("a plain HTTP client builds");
        Self { client, caches, metrics, recorder, http }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("resource has no namespace")]
    NoNamespace,
}

impl Error {
    /// Metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Kube(kube::Error::Api(_)) => "api",
            Error::Kube(_) => "client",
            Error::NoNamespace => "no_namespace",
        }
    }
}

/// Periodic re-check even without events (drift the watches could miss).
pub const RESYNC: Duration = Duration::from_secs(300);

/// Re-check while something is on its way (a rollout, pods not placed yet, plugins not yet
/// served): pod conditions and replicas' answers don't trigger watches on the resource.
pub const SETTLING: Duration = Duration::from_secs(5);

/// `RESYNC` once every condition is where it should be, `SETTLING` until then.
pub fn next_check(conditions: &[crate::crd::Condition]) -> Action {
    let is = |t: &str, s: &str| conditions.iter().any(|c| c.type_ == t && c.status == s);
    let settled = is("Ready", "True")
        && !is("Progressing", "True")
        && !is("Degraded", "True")
        && !conditions.iter().any(|c| c.type_ == "PluginsCurrent" && c.status != "True")
        // A candidate in shadow: its counts are read again soon.
        && !is("CandidateRollout", "Unknown");
    Action::requeue(if settled { RESYNC } else { SETTLING })
}

/// Back-off after a failed reconcile: the controller retries this object later.
pub fn error_policy<K>(_obj: Arc<K>, err: &Error, ctx: Arc<Context>, kind: &str) -> Action {
    ctx.metrics
        .errors
        .get_or_create(&crate::metrics::ErrorLabels { kind: kind.to_string(), error: err.kind().to_string() })
        .inc();
    tracing::warn!(%kind, error = %err, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(5))
}
