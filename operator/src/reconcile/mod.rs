//! Reconcilers: apply the builders' children with server-side apply — only when they
//! differ from what the API server holds — and derive status from the children.

pub mod api_tenant;
pub mod apply;
pub mod model_deployment;
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
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
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

/// Back-off after a failed reconcile: the controller retries this object later.
pub fn error_policy<K>(_obj: Arc<K>, err: &Error, ctx: Arc<Context>, kind: &str) -> Action {
    ctx.metrics
        .errors
        .get_or_create(&crate::metrics::ErrorLabels { kind: kind.to_string(), error: err.kind().to_string() })
        .inc();
    tracing::warn!(%kind, error = %err, "reconcile failed; retrying");
    Action::requeue(Duration::from_secs(5))
}
