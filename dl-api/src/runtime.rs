//! ONNX Runtime: load the shared library once, then build sessions on the
//! configured execution provider.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context};
use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;

use crate::config::ExecutionProvider;

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();

/// Load `libonnxruntime` from `path` (once per process) and return the environment.
pub fn environment(path: &Path) -> anyhow::Result<&'static Environment> {
    if let Some(env) = ENVIRONMENT.get() {
        return Ok(env);
    }
    if !path.is_file() {
        bail!(
            "ONNX Runtime library not found at {} — run scripts/fetch-models.sh (make models) \
             or point ORT_DYLIB_PATH at libonnxruntime.so",
            path.display()
        );
    }
    let env = ort::init_from(path)
        .map_err(|e| anyhow!("loading ONNX Runtime from {}: {e}", path.display()))?
        .with_name("dl-api")
        .with_telemetry(false)
        .build()
        .map_err(|e| anyhow!("creating the ONNX Runtime environment: {e}"))?;
    Ok(ENVIRONMENT.get_or_init(|| env))
}

/// A session for `model` with `threads` intra-op threads on `provider`.
///
/// CUDA needs the onnxruntime-gpu library; when it cannot register, ONNX Runtime
/// runs the graph on CPU and we log a warning (never a failed start).
pub fn session(
    env: &Environment,
    model: &Path,
    threads: usize,
    provider: ExecutionProvider,
) -> anyhow::Result<Session> {
    if !model.is_file() {
        bail!("model file {} not found — run scripts/fetch-models.sh (make models)", model.display());
    }
    let mut builder = Session::builder(env)
        .map_err(|e| anyhow!("{e}"))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| anyhow!("{e}"))?
        .with_intra_threads(threads)
        .map_err(|e| anyhow!("{e}"))?
        .with_inter_threads(1)
        .map_err(|e| anyhow!("{e}"))?;
    if provider == ExecutionProvider::Cuda {
        let cuda = ort::ep::CUDA::default().build();
        match cuda.register(&mut builder) {
            Ok(()) => tracing::info!(model = %model.display(), "CUDA execution provider registered"),
            Err(e) => tracing::warn!(error = %e, "CUDA execution provider unavailable; running on CPU"),
        }
    }
    builder.commit_from_file(model).with_context(|| format!("loading {}", model.display()))
}
