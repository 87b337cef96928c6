//! The models dl-api serves: loaded at their configured versions and warmed up before the
//! service reports ready, then loaded (another version), swapped and unloaded per name
//! through the repository API (`repository`) without dropping a request.

pub mod categories;
pub mod head;
pub mod image;
pub mod repository;
pub mod text;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::batcher::{BatchPolicy, Batcher};
use crate::config::Config;
use crate::error::DlError;
use crate::metrics::Metrics;
use crate::preprocess::PIXELS_PER_IMAGE;
use crate::runtime;

use self::image::{ImageInput, ImageModel};
use self::text::TextModel;

/// A tensor as the Open Inference Protocol describes it (`-1` = any size).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TensorSpec {
    pub name: &'static str,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    #[schema(example = "efficientnet-lite0")]
    pub name: &'static str,
    #[schema(example = "1")]
    pub version: String,
    #[schema(example = "onnxruntime_onnx")]
    pub platform: &'static str,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// Load plus warm-up time.
    pub load_seconds: f64,
    /// The model file this server loaded.
    #[schema(value_type = String)]
    pub path: PathBuf,
    pub sessions: usize,
}

pub struct Loaded<B: crate::batcher::Backend> {
    pub backend: Arc<B>,
    pub batcher: Batcher<B>,
    pub info: ModelInfo,
}

/// A kind of model dl-api serves: its name, its tensors, how its files become a backend, and
/// an input to warm a new session with.
pub trait ModelKind: crate::batcher::Backend + Sized {
    const NAME: &'static str;
    fn open(dir: &Path) -> anyhow::Result<Self>;
    fn warm_up() -> Self::Input;
    fn inputs() -> Vec<TensorSpec>;
    fn outputs() -> Vec<TensorSpec>;
}

/// What a model name serves now. Requests take a clone of the `Arc` and keep it to the end, so
/// a load swaps in the new version without touching requests already on the old one: its
/// batcher (and sessions) go away when the last of them finishes.
enum Serving<B: crate::batcher::Backend> {
    Ready(Arc<Loaded<B>>),
    /// Unloaded through the repository API: known, not serving.
    Unloaded,
    /// Not configured (`DL_TEXT_MODEL_DIR=""`) and never loaded.
    Off,
}

pub struct Slot<B: crate::batcher::Backend> {
    serving: RwLock<Serving<B>>,
}

impl<B: ModelKind> Slot<B> {
    fn new(serving: Serving<B>) -> Self {
        Self { serving: RwLock::new(serving) }
    }

    /// The version serving now, for one request.
    pub fn get(&self) -> Result<Arc<Loaded<B>>, DlError> {
        match &*self.serving.read().unwrap_or_else(|p| p.into_inner()) {
            Serving::Ready(loaded) => Ok(loaded.clone()),
            Serving::Unloaded => Err(DlError::ModelNotReady(B::NAME.into())),
            Serving::Off => Err(DlError::ModelNotFound(B::NAME.into())),
        }
    }

    pub fn info(&self) -> Option<ModelInfo> {
        self.get().ok().map(|l| l.info.clone())
    }

    /// Puts `next` in place; the previous version drains on its own (see `Serving`).
    pub fn replace(&self, next: Option<Arc<Loaded<B>>>) {
        let next = match next {
            Some(loaded) => Serving::Ready(loaded),
            None => Serving::Unloaded,
        };
        *self.serving.write().unwrap_or_else(|p| p.into_inner()) = next;
    }
}

pub struct Models {
    pub image: Slot<ImageModel>,
    pub text: Slot<TextModel>,
    /// One load at a time: two loads of the same model would race to be the one serving.
    pub(crate) loading: tokio::sync::Mutex<()>,
}

impl Models {
    /// What serves now, image model first.
    pub fn infos(&self) -> Vec<ModelInfo> {
        [self.image.info(), self.text.info()].into_iter().flatten().collect()
    }

    /// Each configured model and whether it serves (false: unloaded).
    pub fn readiness(&self) -> Vec<(&'static str, bool)> {
        let state = |name, served: Result<(), DlError>| match served {
            Ok(()) => Some((name, true)),
            Err(DlError::ModelNotReady(_)) => Some((name, false)),
            Err(_) => None,
        };
        [state(image::NAME, self.image.get().map(drop)), state(text::NAME, self.text.get().map(drop))]
            .into_iter()
            .flatten()
            .collect()
    }

    /// Loads every configured model at its configured version, runs one warm-up inference
    /// through each session, and starts the batchers. Must run inside the tokio runtime.
    pub async fn load(config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let image = load::<ImageModel>(config, metrics, config.image_dir(), &config.image_model_version).await?;
        let text = match config.text_dir() {
            None => Serving::Off,
            Some(dir) => Serving::Ready(load::<TextModel>(config, metrics, dir, &config.text_model_version).await?),
        };
        Ok(Self {
            image: Slot::new(Serving::Ready(image)),
            text: Slot::new(text),
            loading: tokio::sync::Mutex::new(()),
        })
    }
}

/// Loads version `version` of `B` from `dir`: sessions, a warm-up run through each, a batcher.
pub async fn load<B: ModelKind>(
    config: &Config,
    metrics: &Metrics,
    dir: PathBuf,
    version: &str,
) -> anyhow::Result<Arc<Loaded<B>>> {
    let policy = BatchPolicy {
        concurrency: config.concurrency.max(1),
        queue_capacity: config.queue_capacity,
        max_batch: config.max_batch.max(1),
        max_delay: Duration::from_millis(config.queue_delay_ms()),
    };
    let cfg = config.clone();
    let version = version.to_string();
    let (backend, sessions, info) = tokio::task::spawn_blocking(move || open::<B>(&cfg, &dir, version)).await??;
    metrics.loaded(B::NAME, info.load_seconds);
    Ok(Arc::new(Loaded {
        batcher: Batcher::start(B::NAME, backend.clone(), sessions, policy, metrics.model(B::NAME)),
        backend,
        info,
    }))
}

type OpenResult<B> = anyhow::Result<(Arc<B>, Vec<ort::session::Session>, ModelInfo)>;

fn open<B: ModelKind>(config: &Config, dir: &Path, version: String) -> OpenResult<B> {
    let started = Instant::now();
    let env = runtime::environment(&config.ort_library())?;
    let path = dir.join("model.onnx");
    let model = Arc::new(B::open(dir)?);
    let mut sessions = Vec::new();
    for _ in 0..config.concurrency.max(1) {
        let mut s = runtime::session(env, &path, config.threads_per_session(), config.execution_provider)?;
        model.run(&mut s, vec![B::warm_up()]).map_err(|e| anyhow::anyhow!("warm-up of {}: {e}", path.display()))?;
        sessions.push(s);
    }
    let info = ModelInfo {
        name: B::NAME,
        version,
        platform: "onnxruntime_onnx",
        inputs: B::inputs(),
        outputs: B::outputs(),
        load_seconds: started.elapsed().as_secs_f64(),
        path,
        sessions: sessions.len(),
    };
    tracing::info!(model = B::NAME, version = %info.version, seconds = info.load_seconds, sessions = info.sessions, "model loaded");
    Ok((model, sessions, info))
}

impl ModelKind for ImageModel {
    const NAME: &'static str = image::NAME;

    fn open(dir: &Path) -> anyhow::Result<Self> {
        ImageModel::load(dir)
    }

    fn warm_up() -> ImageInput {
        ImageInput { pixels: vec![0.0; PIXELS_PER_IMAGE], rows: 1 }
    }

    fn inputs() -> Vec<TensorSpec> {
        vec![TensorSpec { name: "input", datatype: "FP32", shape: vec![-1, 3, 224, 224] }]
    }

    fn outputs() -> Vec<TensorSpec> {
        vec![
            TensorSpec { name: "logits", datatype: "FP32", shape: vec![-1, image::CLASSES as i64] },
            TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, image::EMBEDDING as i64] },
        ]
    }
}

impl ModelKind for TextModel {
    const NAME: &'static str = text::NAME;

    fn open(dir: &Path) -> anyhow::Result<Self> {
        TextModel::load(dir)
    }

    fn warm_up() -> Vec<String> {
        vec!["warm-up".to_string()]
    }

    fn inputs() -> Vec<TensorSpec> {
        vec![TensorSpec { name: "text", datatype: "BYTES", shape: vec![-1] }]
    }

    fn outputs() -> Vec<TensorSpec> {
        vec![TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, text::DIM as i64] }]
    }
}
