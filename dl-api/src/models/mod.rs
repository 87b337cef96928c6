//! The models dl-api serves, loaded once at start-up and warmed up before the
//! service reports ready.

pub mod categories;
pub mod image;
pub mod text;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::batcher::{BatchPolicy, Batcher};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::preprocess::PIXELS_PER_IMAGE;
use crate::runtime;

use self::image::{ImageInput, ImageModel};
use self::text::TextModel;

/// A tensor as the Open Inference Protocol describes it (`-1` = any size).
#[derive(Debug, Clone, Serialize)]
pub struct TensorSpec {
    pub name: &'static str,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub platform: &'static str,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// Load plus warm-up time.
    pub load_seconds: f64,
    pub path: PathBuf,
    pub sessions: usize,
}

pub struct Loaded<B: crate::batcher::Backend> {
    pub backend: Arc<B>,
    pub batcher: Batcher<B>,
    pub info: ModelInfo,
}

pub struct Models {
    pub image: Loaded<ImageModel>,
    pub text: Option<Loaded<TextModel>>,
}

impl Models {
    pub fn infos(&self) -> Vec<&ModelInfo> {
        let mut v = vec![&self.image.info];
        if let Some(t) = &self.text {
            v.push(&t.info);
        }
        v
    }

    /// Loads every configured model, runs one warm-up inference through each
    /// session, and starts the batchers. Must run inside the tokio runtime.
    pub async fn load(config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let policy = BatchPolicy {
            concurrency: config.concurrency.max(1),
            queue_capacity: config.queue_capacity,
            max_batch: config.max_batch.max(1),
            max_delay: Duration::from_millis(config.queue_delay_ms()),
        };
        let cfg = config.clone();
        let image = tokio::task::spawn_blocking(move || load_image(&cfg)).await??;
        let image = Loaded {
            batcher: Batcher::start(image::NAME, image.0.clone(), image.1, policy, metrics.model(image::NAME)),
            backend: image.0,
            info: image.2,
        };
        metrics.loaded(image::NAME, image.info.load_seconds);
        let text = match config.text_dir() {
            None => None,
            Some(dir) => {
                let cfg = config.clone();
                let (backend, sessions, info) = tokio::task::spawn_blocking(move || load_text(&cfg, dir)).await??;
                metrics.loaded(text::NAME, info.load_seconds);
                Some(Loaded {
                    batcher: Batcher::start(text::NAME, backend.clone(), sessions, policy, metrics.model(text::NAME)),
                    backend,
                    info,
                })
            }
        };
        Ok(Self { image, text })
    }
}

type LoadResult<B> = anyhow::Result<(Arc<B>, Vec<ort::session::Session>, ModelInfo)>;

fn load_image(config: &Config) -> LoadResult<ImageModel> {
    use crate::batcher::Backend;
    let started = Instant::now();
    let env = runtime::environment(&config.ort_library())?;
    let dir = config.image_dir();
    let path = dir.join("model.onnx");
    let model = Arc::new(ImageModel::load(&dir)?);
    let mut sessions = Vec::new();
    for _ in 0..config.concurrency.max(1) {
        let mut s = runtime::session(env, &path, config.threads_per_session(), config.execution_provider)?;
        let warm = ImageInput { pixels: vec![0.0; PIXELS_PER_IMAGE], rows: 1 };
        model.run(&mut s, vec![warm]).map_err(|e| anyhow::anyhow!("warm-up of {}: {e}", path.display()))?;
        sessions.push(s);
    }
    let info = ModelInfo {
        name: image::NAME,
        version: image::VERSION,
        platform: "onnxruntime_onnx",
        inputs: vec![TensorSpec { name: "input", datatype: "FP32", shape: vec![-1, 3, 224, 224] }],
        outputs: vec![
            TensorSpec { name: "logits", datatype: "FP32", shape: vec![-1, image::CLASSES as i64] },
            TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, image::EMBEDDING as i64] },
        ],
        load_seconds: started.elapsed().as_secs_f64(),
        path,
        sessions: sessions.len(),
    };
    tracing::info!(model = image::NAME, seconds = info.load_seconds, sessions = info.sessions, "model loaded");
    Ok((model, sessions, info))
}

fn load_text(config: &Config, dir: PathBuf) -> LoadResult<TextModel> {
    use crate::batcher::Backend;
    let started = Instant::now();
    let env = runtime::environment(&config.ort_library())?;
    let path = dir.join("model.onnx");
    let model = Arc::new(TextModel::load(&dir)?);
    let mut sessions = Vec::new();
    for _ in 0..config.concurrency.max(1) {
        let mut s = runtime::session(env, &path, config.threads_per_session(), config.execution_provider)?;
        model
            .run(&mut s, vec![vec!["warm-up".to_string()]])
            .map_err(|e| anyhow::anyhow!("warm-up of {}: {e}", path.display()))?;
        sessions.push(s);
    }
    let info = ModelInfo {
        name: text::NAME,
        version: text::VERSION,
        platform: "onnxruntime_onnx",
        inputs: vec![TensorSpec { name: "text", datatype: "BYTES", shape: vec![-1] }],
        outputs: vec![TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, text::DIM as i64] }],
        load_seconds: started.elapsed().as_secs_f64(),
        path,
        sessions: sessions.len(),
    };
    tracing::info!(model = text::NAME, seconds = info.load_seconds, sessions = info.sessions, "model loaded");
    Ok((model, sessions, info))
}
