//! Which execution provider a model's sessions actually run on, and why not the one asked for.
//!
//! `cuda` means the GPU or not ready: a CUDA that cannot be had — a CPU-only ONNX Runtime, a
//! NVIDIA library missing, no driver, a driver too old, no device — is a reason, reported in
//! `/readyz`, the model metadata and `dl_api_model_execution_provider`, never a silent CPU.
//! Only `DL_CPU_FALLBACK=true` serves on CPU then, and says so in the same places.

use std::path::Path;

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    Cpu,
    /// Needs ONNX Runtime's GPU build, the NVIDIA libraries and a driver (the dl-api-gpu image
    /// on a GPU node): without them the server stays not ready, saying why — unless
    /// `DL_CPU_FALLBACK` allows CPU (`crate::provider`).
    Cuda,
}

/// Where a model's sessions run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Placement {
    /// What the configuration asked for (`DL_EXECUTION_PROVIDER`).
    #[schema(value_type = String, example = "cuda")]
    pub requested: ExecutionProvider,
    /// What the sessions run on.
    #[schema(value_type = String, example = "cpu")]
    pub provider: ExecutionProvider,
    /// Why `provider` is not `requested` (absent when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "libcuda.so.1: cannot open shared object file: No such file or directory")]
    pub reason: Option<String>,
}

impl Placement {
    pub fn as_requested(provider: ExecutionProvider) -> Self {
        Self { requested: provider, provider, reason: None }
    }

    pub fn fell_back(reason: String) -> Self {
        Self { requested: ExecutionProvider::Cuda, provider: ExecutionProvider::Cpu, reason: Some(reason) }
    }
}

/// CUDA was asked for and cannot be had; `DL_CPU_FALLBACK` is off. The server stays up and
/// not ready, saying this.
#[derive(Debug, Clone, thiserror::Error)]
#[error("CUDA execution provider unavailable: {0}")]
pub struct CudaUnavailable(pub String);

/// The provider library ONNX Runtime's GPU build loads for CUDA, beside `libonnxruntime`.
pub const CUDA_PROVIDER_LIBRARY: &str = "libonnxruntime_providers_cuda.so";
const SHARED_PROVIDER_LIBRARY: &str = "libonnxruntime_providers_shared.so";

/// Why ONNX Runtime's CUDA provider cannot load next to the library at `ort_library`, in the
/// dynamic loader's words (which library is missing), or `None` when it loads. ONNX Runtime
/// itself only reports "Failed to load shared library" and logs the rest.
pub fn cuda_libraries_missing(ort_library: &Path) -> Option<String> {
    let dir = ort_library.parent().unwrap_or(Path::new("."));
    let cuda = dir.join(CUDA_PROVIDER_LIBRARY);
    if !cuda.is_file() {
        return Some(format!(
            "the ONNX Runtime in {} is a CPU-only build (no {CUDA_PROVIDER_LIBRARY} beside it): \
             CUDA needs its GPU build (PyPI onnxruntime-gpu) and the NVIDIA libraries it loads",
            dir.display()
        ));
    }
    // As ONNX Runtime does it: the shared provider library first, global, then the CUDA one,
    // resolving every symbol now so that a missing library shows here and not mid-request.
    let shared = dir.join(SHARED_PROVIDER_LIBRARY);
    let flags_global = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL;
    let flags_local = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL;
    // SAFETY: these are ONNX Runtime's own provider libraries, which ONNX Runtime loads into
    // this process the same way when the CUDA provider registers; their initialisers only
    // register symbols.
    let loaded = unsafe {
        if shared.is_file() {
            if let Err(e) = libloading::os::unix::Library::open(Some(&shared), flags_global) {
                return Some(explain(&loader_message(&e)));
            }
        }
        libloading::os::unix::Library::open(Some(&cuda), flags_local)
    };
    match loaded {
        // Kept loaded: ONNX Runtime opens it again by path, and unloading CUDA libraries
        // from a process is not safe.
        Ok(lib) => {
            std::mem::forget(lib);
            None
        }
        Err(e) => Some(explain(&loader_message(&e))),
    }
}

/// dlerror()'s text: libloading's error says only "dlopen failed" and keeps it as the source.
fn loader_message(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(source) => source.to_string(),
        None => e.to_string(),
    }
}

/// The loader's message, with what to do about the library only a node's driver provides.
fn explain(loader: &str) -> String {
    if loader.contains("libcuda.so") {
        format!(
            "{loader} — libcuda.so.1 is the NVIDIA driver's library, mounted into GPU pods by the \
             NVIDIA container toolkit: no driver on this node, or the pod not given a GPU"
        )
    } else {
        loader.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temp dir, removed by the test's end of scope.
    struct TempDir(std::path::PathBuf);
    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("dl-api-provider-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_cpu_only_runtime_is_named_as_such() {
        let dir = TempDir::new("cpu-only");
        let ort = dir.path().join("libonnxruntime.so.1.31.1");
        std::fs::write(&ort, b"").unwrap();
        let reason = cuda_libraries_missing(&ort).expect("no CUDA provider library");
        assert!(reason.contains("CPU-only build") && reason.contains(CUDA_PROVIDER_LIBRARY), "{reason}");
    }

    #[test]
    fn a_provider_library_that_does_not_load_is_explained_in_the_loaders_words() {
        let dir = TempDir::new("not-elf");
        let ort = dir.path().join("libonnxruntime.so.1.31.1");
        std::fs::write(dir.path().join(CUDA_PROVIDER_LIBRARY), b"not an ELF file").unwrap();
        let reason = cuda_libraries_missing(&ort).expect("the provider cannot load");
        assert!(reason.contains(CUDA_PROVIDER_LIBRARY), "{reason}");
        assert!(!reason.contains("CPU-only"), "{reason}");
    }

    #[test]
    fn a_missing_driver_library_says_where_it_comes_from() {
        let why = explain("libcuda.so.1: cannot open shared object file: No such file or directory");
        assert!(why.starts_with("libcuda.so.1: cannot open") && why.contains("NVIDIA container toolkit"), "{why}");
        assert_eq!(
            explain("libcublasLt.so.13: cannot open shared object file"),
            "libcublasLt.so.13: cannot open shared object file"
        );
    }

    #[test]
    fn placements_serialise_lowercase_and_omit_an_empty_reason() {
        let json = serde_json::to_value(Placement::as_requested(ExecutionProvider::Cpu)).unwrap();
        assert_eq!(json, serde_json::json!({"requested": "cpu", "provider": "cpu"}));
        let json = serde_json::to_value(Placement::fell_back("no driver".into())).unwrap();
        assert_eq!(json, serde_json::json!({"requested": "cuda", "provider": "cpu", "reason": "no driver"}));
    }
}
