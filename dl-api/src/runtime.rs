//! ONNX Runtime: load the shared library once, then build sessions on the
//! configured execution provider — or say why not (`crate::provider`).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{anyhow, bail, Context};
use ort::environment::Environment;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;

use crate::config::Config;
use crate::devices::Target;
use crate::provider::{CudaUnavailable, ExecutionProvider, Placement};

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

/// A session for `model` with `threads` intra-op threads where `target` says, and where it
/// runs (`crate::provider`). CUDA that cannot be had — its libraries, its registration or the
/// session itself failing — is `CudaUnavailable` with the reason, unless `cpu_fallback` lets the
/// session run on CPU (reported in the placement). An error that CPU hits too is the model's.
pub fn session(
    env: &Environment,
    ort_library: &Path,
    model: &Path,
    threads: usize,
    target: Target,
) -> anyhow::Result<(Session, Placement)> {
    if !model.is_file() {
        bail!("model file {} not found — run scripts/fetch-models.sh (make models)", model.display());
    }
    if target.provider == ExecutionProvider::Cpu {
        return Ok((cpu_session(env, model, threads)?, Placement::as_requested(target.provider)));
    }
    let reason = match cuda_session(env, ort_library, model, threads, target.device) {
        Ok(session) => {
            tracing::info!(model = %model.display(), device = target.device, "running on CUDA");
            return Ok((session, Placement::as_requested(target.provider)));
        }
        Err(reason) => reason,
    };
    // Whether the model itself is at fault: CPU fails the same way then.
    let session = cpu_session(env, model, threads)?;
    if !target.cpu_fallback {
        return Err(CudaUnavailable(reason).into());
    }
    tracing::warn!(model = %model.display(), %reason, "CUDA unavailable; running on CPU as DL_CPU_FALLBACK allows");
    Ok((session, Placement::fell_back(reason)))
}

/// One session as `config` places its first (for the tools and tests that run a model directly).
pub fn configured_session(env: &Environment, config: &Config, model: &Path, threads: usize) -> anyhow::Result<Session> {
    Ok(session(env, &config.ort_library(), model, threads, config.session_targets()[0])?.0)
}

fn builder(env: &Environment, threads: usize) -> anyhow::Result<SessionBuilder> {
    Session::builder(env)
        .map_err(|e| anyhow!("{e}"))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| anyhow!("{e}"))?
        .with_intra_threads(threads)
        .map_err(|e| anyhow!("{e}"))?
        .with_inter_threads(1)
        .map_err(|e| anyhow!("{e}"))
}

fn cpu_session(env: &Environment, model: &Path, threads: usize) -> anyhow::Result<Session> {
    builder(env, threads)?.commit_from_file(model).with_context(|| format!("loading {}", model.display()))
}

/// A CUDA session, or why there is none. Creating the session is where a driver that is too
/// old or a missing device shows (`cudaSetDevice`), after the provider registered fine.
fn cuda_session(
    env: &Environment,
    ort_library: &Path,
    model: &Path,
    threads: usize,
    device: i32,
) -> Result<Session, String> {
    if let Some(reason) = crate::provider::cuda_libraries_missing(ort_library) {
        return Err(reason);
    }
    let mut builder = builder(env, threads).map_err(|e| e.to_string())?;
    let cuda = ort::ep::CUDA::default().with_device_id(device).build();
    cuda.register(&mut builder).map_err(|e| format!("the CUDA execution provider did not register: {e}"))?;
    builder.commit_from_file(model).map_err(|e| format!("creating a CUDA session failed: {e}"))
}
