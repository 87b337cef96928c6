//! dl-api configuration: flags with environment fallbacks; defaults point into the
//! model cache that `scripts/fetch-models.sh` fills.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::Parser;

/// (Defined with what it means, in `crate::provider`.)
pub use crate::provider::ExecutionProvider;

#[derive(Debug, Clone, Parser)]
#[command(name = "dl-api", version, about = "Gajyeogagu inference API")]
pub struct Config {
    /// Listen address.
    #[arg(long, env = "DL_API_ADDR", default_value = "0.0.0.0:8002")]
    pub addr: SocketAddr,
    /// Accepted API keys, comma-separated.
    #[arg(long, env = "DL_API_KEYS", default_value = "", hide_env_values = true)]
    pub api_keys: String,
    /// A file with one accepted API key per line (for mounted secrets).
    #[arg(long, env = "DL_API_KEYS_FILE")]
    pub api_keys_file: Option<PathBuf>,
    /// Keys that may also manage models (`/v2/repository/…`), comma-separated. None: nobody may.
    #[arg(long, env = "DL_ADMIN_API_KEYS", default_value = "", hide_env_values = true)]
    pub admin_api_keys: String,
    /// A file with one admin key per line.
    #[arg(long, env = "DL_ADMIN_API_KEYS_FILE")]
    pub admin_api_keys_file: Option<PathBuf>,
    /// The model repository: `<name>/<version>/model.onnx` (with `labels.txt` or
    /// `tokenizer.json`), the versions `/v2/repository/models/<name>/load` can load.
    /// Default: `models/` in the model cache.
    #[arg(long, env = "DL_MODEL_REPOSITORY")]
    pub model_repository: Option<PathBuf>,
    /// The image model's version to serve at start (its directory in the repository, unless
    /// `DL_IMAGE_MODEL_DIR` names one; then it is that directory's version).
    #[arg(long, env = "DL_IMAGE_MODEL_VERSION", default_value = "1", value_parser = version_name)]
    pub image_model_version: String,
    /// The text model's version to serve at start, as for the image model.
    #[arg(long, env = "DL_TEXT_MODEL_VERSION", default_value = "1", value_parser = version_name)]
    pub text_model_version: String,
    /// ONNX Runtime shared library (`libonnxruntime.so.*`).
    #[arg(long, env = "ORT_DYLIB_PATH")]
    pub ort_dylib_path: Option<PathBuf>,
    /// Directory with the image model (`model.onnx`, `labels.txt`).
    #[arg(long, env = "DL_IMAGE_MODEL_DIR")]
    pub image_model_dir: Option<PathBuf>,
    /// Directory with the text model (`model.onnx`, `tokenizer.json`); empty disables it.
    /// (clap's path parser refuses empty values, and the operator sets it empty for image-only
    /// ModelDeployments: the plain OS-string parser keeps "" meaning "off".)
    #[arg(long, env = "DL_TEXT_MODEL_DIR", value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub text_model_dir: Option<PathBuf>,
    /// The multilingual text model's version to serve at start, as for the image model.
    #[arg(long, env = "DL_MULTILINGUAL_MODEL_VERSION", default_value = "1", value_parser = version_name)]
    pub multilingual_model_version: String,
    /// Directory with the multilingual text model (USE-multilingual v3: `model.onnx`,
    /// `tokenizer.json`). Unset: its repository directory, served when it holds a model;
    /// empty disables it.
    #[arg(long, env = "DL_MULTILINGUAL_MODEL_DIR", value_parser = clap::builder::OsStringValueParser::new().map(PathBuf::from))]
    pub multilingual_model_dir: Option<PathBuf>,
    /// Style prototypes (JSON, as crud-api's `/api/v1/admin/style-prototypes` exports them);
    /// `/v1/analyze` then names each photo's nearest style.
    #[arg(long, env = "DL_STYLE_PROTOTYPES")]
    pub style_prototypes: Option<PathBuf>,
    /// Inference runs allowed at once per model (each has its own session); on CUDA, per GPU.
    #[arg(long, env = "DL_CONCURRENCY", default_value_t = 2)]
    pub concurrency: usize,
    /// Requests that may wait per model; beyond it callers get 503 + Retry-After.
    #[arg(long, env = "DL_QUEUE_CAPACITY", default_value_t = 64)]
    pub queue_capacity: usize,
    /// Largest batch one run may take (rows).
    #[arg(long, env = "DL_MAX_BATCH", default_value_t = 8)]
    pub max_batch: usize,
    /// How long a run waits for more requests to fill its batch (ms); 0 turns batching off.
    /// Default: 4 on CUDA, 0 on CPU, where batches measured no faster (docs/benchmarks.md).
    #[arg(long, env = "DL_MAX_QUEUE_DELAY_MS")]
    pub max_queue_delay_ms: Option<u64>,
    /// ONNX Runtime intra-op threads per session (0 = cores / concurrency).
    #[arg(long, env = "DL_INTRA_THREADS", default_value_t = 0)]
    pub intra_threads: usize,
    /// Where inference runs: `cpu`, or `cuda` (the GPU or not ready, with the reason).
    #[arg(long, env = "DL_EXECUTION_PROVIDER", value_enum, default_value = "cpu")]
    pub execution_provider: ExecutionProvider,
    /// With `cuda`: the GPUs this pod may use — the `nvidia.com/gpu` limit, which the operator
    /// passes. `concurrency` sessions run on each. Default: the `/dev/nvidiaN` nodes present.
    #[arg(long, env = "DL_GPUS")]
    pub gpus: Option<usize>,
    /// With `cuda`: serve on CPU when CUDA cannot be had, instead of staying not ready. The
    /// fallback and its reason show in `/readyz`, the model metadata and the metrics.
    #[arg(long, env = "DL_CPU_FALLBACK", default_value_t = false, action = clap::ArgAction::Set)]
    pub cpu_fallback: bool,
    /// Largest request body (bytes).
    #[arg(long, env = "DL_MAX_BODY_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest image (width × height) that will be decoded.
    #[arg(long, env = "DL_MAX_IMAGE_PIXELS", default_value_t = 40_000_000)]
    pub max_image_pixels: u64,
    /// Most images in one stream request.
    #[arg(long, env = "DL_MAX_STREAM_IMAGES", default_value_t = 64)]
    pub max_stream_images: usize,
    /// Log format: text or json.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl Config {
    /// Default cache location (`$GAJYEOGAGU_CACHE` or `~/.cache/gajyeogagu`).
    pub fn cache_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("GAJYEOGAGU_CACHE") {
            return PathBuf::from(dir);
        }
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        home.join(".cache/gajyeogagu")
    }

    pub fn ort_library(&self) -> PathBuf {
        self.ort_dylib_path
            .clone()
            .unwrap_or_else(|| Self::cache_dir().join("onnxruntime-1.31.1/libonnxruntime.so.1.31.1"))
    }

    pub fn repository(&self) -> PathBuf {
        self.model_repository.clone().unwrap_or_else(|| Self::cache_dir().join("models"))
    }

    /// All accepted keys from the env list and the key file. Empty keys are ignored.
    pub fn keys(&self) -> anyhow::Result<Vec<String>> {
        read_keys(&self.api_keys, self.api_keys_file.as_ref(), "DL_API_KEYS_FILE")
    }

    /// The keys that may also manage models.
    pub fn admin_keys(&self) -> anyhow::Result<Vec<String>> {
        read_keys(&self.admin_api_keys, self.admin_api_keys_file.as_ref(), "DL_ADMIN_API_KEYS_FILE")
    }

    /// One target per session of a model: `concurrency` per GPU on CUDA (`crate::devices`).
    pub fn session_targets(&self) -> Vec<crate::devices::Target> {
        let gpus = match self.execution_provider {
            ExecutionProvider::Cuda => {
                self.gpus.unwrap_or_else(|| crate::devices::gpus_visible(std::path::Path::new("/dev")))
            }
            ExecutionProvider::Cpu => 0,
        };
        crate::devices::layout(self.execution_provider, self.cpu_fallback, self.concurrency, gpus)
    }

    pub fn queue_delay_ms(&self) -> u64 {
        self.max_queue_delay_ms.unwrap_or(match self.execution_provider {
            ExecutionProvider::Cuda => 4,
            ExecutionProvider::Cpu => 0,
        })
    }

    pub fn threads_per_session(&self) -> usize {
        if self.intra_threads > 0 {
            return self.intra_threads;
        }
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        (cores / self.concurrency.max(1)).max(1)
    }
}

fn read_keys(list: &str, file: Option<&PathBuf>, what: &str) -> anyhow::Result<Vec<String>> {
    let mut keys: Vec<String> = list.split(',').map(str::trim).map(String::from).collect();
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {what} {}: {e}", path.display()))?;
        keys.extend(text.lines().map(str::trim).map(String::from));
    }
    keys.retain(|k| !k.is_empty());
    Ok(keys)
}

/// A model version: a directory name in the repository, so no path separators or dot-names.
pub fn version_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a model version (1–63 of A–Z a–z 0–9 . _ -, not starting with a dot)"))
    }
}
