//! Serving: bind first (liveness answers at once), load models in the background,
//! flip readiness when they are warm, drain on SIGTERM.

use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;

use crate::api_keys::ApiKeys;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::models::Models;
use crate::provider::CudaUnavailable;
use crate::state::AppState;

pub fn state(config: Config) -> anyhow::Result<AppState> {
    let keys = config.keys()?;
    if keys.is_empty() {
        anyhow::bail!("no API keys configured: set DL_API_KEYS or DL_API_KEYS_FILE");
    }
    let admin_keys = config.admin_keys()?;
    let styles = match &config.style_prototypes {
        Some(path) => crate::styles::Styles::load(path)?,
        None => crate::styles::Styles::default(),
    };
    Ok(AppState {
        styles: Arc::new(styles),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::new()),
        models: Arc::new(OnceLock::new()),
        unavailable: Arc::new(OnceLock::new()),
        keys: Arc::new(ApiKeys::new(&keys, &admin_keys)),
    })
}

/// Serves on `listener` until `shutdown` resolves. A model that fails to load ends
/// the server with that error (an orchestrator restarts it; readiness never lied) — except
/// CUDA that cannot be had, where the server stays up and `/readyz` says why.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = crate::http::router(state.clone());
    let (failed_tx, failed_rx) = tokio::sync::oneshot::channel::<anyhow::Error>();
    let loader = state.clone();
    tokio::spawn(async move {
        match Models::load(&loader.config, &loader.metrics).await {
            Ok(models) => {
                let _ = loader.models.set(models);
                tracing::info!("all models loaded and warm; ready");
            }
            // CUDA asked for and not to be had: stay up, not ready, saying why — an orchestrator
            // reads it from /readyz (a crash loop would only show a restart count).
            Err(e) if e.downcast_ref::<CudaUnavailable>().is_some() => {
                tracing::error!(error = %e, "not ready: set DL_CPU_FALLBACK=true to serve on CPU instead");
                loader.metrics.provider_unavailable();
                let _ = loader.unavailable.set(e.to_string());
            }
            Err(e) => {
                let _ = failed_tx.send(e);
            }
        }
    });
    let failed = Arc::new(tokio::sync::Mutex::new(None));
    let failed_slot = failed.clone();
    let stop = async move {
        tokio::select! {
            _ = shutdown => {}
            Ok(e) = failed_rx => {
                tracing::error!(error = %e, "model loading failed");
                *failed_slot.lock().await = Some(e);
            }
        }
    };
    axum::serve(listener, app).with_graceful_shutdown(stop).await?;
    if let Some(e) = failed.lock().await.take() {
        return Err(e);
    }
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received; draining");
}

/// Logging: `tracing` to stdout, text or JSON, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,ort=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}
