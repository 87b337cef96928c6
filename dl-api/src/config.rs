//! dl-api configuration: flags with environment fallbacks; defaults point into the
//! model cache that `scripts/fetch-models.sh` fills.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecutionProvider {
    Cpu,
    /// Needs the `onnxruntime-gpu` build of the library; falls back to CPU with a warning.
    Cuda,
}

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
    /// Style prototypes (JSON, as crud-api's `/api/v1/admin/style-prototypes` exports them);
    /// `/v1/analyze` then names each photo's nearest style.
    #[arg(long, env = "DL_STYLE_PROTOTYPES")]
    pub style_prototypes: Option<PathBuf>,
    /// Inference runs allowed at once per model (each has its own session).
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
    #[arg(long, env = "DL_EXECUTION_PROVIDER", value_enum, default_value = "cpu")]
    pub execution_provider: ExecutionProvider,
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

    pub fn image_dir(&self) -> PathBuf {
        self.image_model_dir.clone().unwrap_or_else(|| Self::cache_dir().join("models/efficientnet-lite0/1"))
    }

    pub fn text_dir(&self) -> Option<PathBuf> {
        match &self.text_model_dir {
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some(p.clone()),
            None => Some(Self::cache_dir().join("models/minilm-l6-v2/1")),
        }
    }

    /// All accepted keys from the env list and the key file. Empty keys are ignored.
    pub fn keys(&self) -> anyhow::Result<Vec<String>> {
        let mut keys: Vec<String> = self.api_keys.split(',').map(str::trim).map(String::from).collect();
        if let Some(path) = &self.api_keys_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading DL_API_KEYS_FILE {}: {e}", path.display()))?;
            keys.extend(text.lines().map(str::trim).map(String::from));
        }
        keys.retain(|k| !k.is_empty());
        Ok(keys)
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn an_empty_text_model_dir_turns_the_text_model_off() {
        // What the operator's dl-api pods get: DL_TEXT_MODEL_DIR="" (found by `make e2e`: the pod
        // crash-looped on "a value is required for '--text-model-dir'").
        let c = Config::try_parse_from(["dl-api", "--text-model-dir", ""]).expect("an empty value parses");
        assert_eq!(c.text_dir(), None);
        let c = Config::try_parse_from(["dl-api", "--text-model-dir", "/m/text"]).unwrap();
        assert_eq!(c.text_dir(), Some(PathBuf::from("/m/text")));
    }
}
