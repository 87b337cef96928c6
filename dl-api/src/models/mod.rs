//! The models dl-api serves: loaded at their configured versions and warmed up before the
//! service reports ready, then loaded (another version), swapped and unloaded per name
//! through the repository API (`repository`) without dropping a request. Which models there
//! are, and how each is configured, is the table in `table`: one slot per entry, in its order.

pub mod backbone;
pub mod categories;
pub mod head;
pub mod image;
pub mod multilingual;
pub mod repository;
pub mod table;
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
use crate::provider::Placement;
use crate::runtime;

use self::image::{ImageInput, ImageModel};
use self::table::{Kind, MODELS};
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
    /// Where its sessions run, and why not where `DL_EXECUTION_PROVIDER` asked.
    pub placement: Placement,
    /// On CUDA, the device each session is pinned to (`concurrency` per GPU); empty on CPU.
    pub devices: Vec<i32>,
}

pub struct Loaded<B: crate::batcher::Backend> {
    pub backend: Arc<B>,
    pub batcher: Batcher<B>,
    pub info: ModelInfo,
}

/// A kind of model dl-api serves: its tensors, how its files become a backend, and an input
/// to warm a new session with. (Its name is the slot's: one kind may serve under several
/// names, as the two text models do.)
pub trait ModelKind: crate::batcher::Backend + Sized {
    fn open(dir: &Path) -> anyhow::Result<Self>;
    fn warm_up() -> Self::Input;
    fn inputs() -> Vec<TensorSpec>;
    /// The outputs, as the loaded graph declares them (`session`: its first session).
    fn outputs(session: &ort::session::Session) -> Vec<TensorSpec>;
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
    pub name: &'static str,
    serving: RwLock<Serving<B>>,
}

impl<B: ModelKind> Slot<B> {
    fn new(name: &'static str, serving: Serving<B>) -> Self {
        Self { name, serving: RwLock::new(serving) }
    }

    /// Loads what `config` serves under `entry`'s name at start (or leaves the slot off).
    async fn at_start(entry: &table::Entry, config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let name = entry.name;
        let serving = match entry.serves_at_start(config) {
            None => Serving::Off,
            Some((dir, version)) => Serving::Ready(load::<B>(name, config, metrics, dir, &version).await?),
        };
        Ok(Self::new(name, serving))
    }

    /// The version serving now, for one request.
    pub fn get(&self) -> Result<Arc<Loaded<B>>, DlError> {
        match &*self.serving.read().unwrap_or_else(|p| p.into_inner()) {
            Serving::Ready(loaded) => Ok(loaded.clone()),
            Serving::Unloaded => Err(DlError::ModelNotReady(self.name.into())),
            Serving::Off => Err(DlError::ModelNotFound(self.name.into())),
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
    /// One per entry of `table::MODELS`, in its order.
    slots: Vec<AnySlot>,
    /// One load at a time: two loads of the same model would race to be the one serving.
    pub(crate) loading: tokio::sync::Mutex<()>,
}

/// A slot of either kind.
enum AnySlot {
    Image(Slot<ImageModel>),
    Text(Slot<TextModel>),
}

impl AnySlot {
    fn name(&self) -> &'static str {
        match self {
            AnySlot::Image(s) => s.name,
            AnySlot::Text(s) => s.name,
        }
    }

    fn by_ref(&self) -> SlotRef<'_> {
        match self {
            AnySlot::Image(s) => SlotRef::Image(s),
            AnySlot::Text(s) => SlotRef::Text(s),
        }
    }
}

/// A model name's slot, whatever its kind.
pub enum SlotRef<'a> {
    Image(&'a Slot<ImageModel>),
    Text(&'a Slot<TextModel>),
}

impl SlotRef<'_> {
    pub fn info(&self) -> Option<ModelInfo> {
        match self {
            SlotRef::Image(s) => s.info(),
            SlotRef::Text(s) => s.info(),
        }
    }

    /// Serving (true), unloaded (false), or not configured (None).
    fn ready(&self) -> Option<bool> {
        let served = match self {
            SlotRef::Image(s) => s.get().map(drop),
            SlotRef::Text(s) => s.get().map(drop),
        };
        match served {
            Ok(()) => Some(true),
            Err(DlError::ModelNotReady(_)) => Some(false),
            Err(_) => None,
        }
    }

    pub fn unload(&self) {
        match self {
            SlotRef::Image(s) => s.replace(None),
            SlotRef::Text(s) => s.replace(None),
        }
    }
}

impl Models {
    /// The slot serving `name`.
    pub fn slot(&self, name: &str) -> Option<SlotRef<'_>> {
        self.slots.iter().find(|s| s.name() == name).map(AnySlot::by_ref)
    }

    /// The image model's slot (photo analysis).
    pub fn image(&self) -> &Slot<ImageModel> {
        self.slots
            .iter()
            .find_map(|s| match s {
                AnySlot::Image(slot) => Some(slot),
                AnySlot::Text(_) => None,
            })
            .expect("the table has an image model")
    }

    /// What serves now, in the table's order (image model first).
    pub fn infos(&self) -> Vec<ModelInfo> {
        self.slots.iter().filter_map(|s| s.by_ref().info()).collect()
    }

    /// Each configured model, whether it serves (false: unloaded) and where it runs.
    pub fn readiness(&self) -> Vec<(&'static str, bool, Option<Placement>)> {
        self.slots
            .iter()
            .filter_map(|s| {
                let slot = s.by_ref();
                Some((s.name(), slot.ready()?, slot.info().map(|i| i.placement)))
            })
            .collect()
    }

    /// Every model name this server knows, in the table's order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.slots.iter().map(AnySlot::name)
    }

    /// Loads every configured model at its configured version, runs one warm-up inference
    /// through each session, and starts the batchers. Must run inside the tokio runtime.
    pub async fn load(config: &Config, metrics: &Metrics) -> anyhow::Result<Self> {
        let mut slots = Vec::with_capacity(MODELS.len());
        for entry in &MODELS {
            slots.push(match entry.kind {
                Kind::Image => AnySlot::Image(Slot::at_start(entry, config, metrics).await?),
                Kind::Text => AnySlot::Text(Slot::at_start(entry, config, metrics).await?),
            });
        }
        Ok(Self { slots, loading: tokio::sync::Mutex::new(()) })
    }
}

/// Loads version `version` of `B` from `dir`: sessions, a warm-up run through each, a batcher.
pub async fn load<B: ModelKind>(
    name: &'static str,
    config: &Config,
    metrics: &Metrics,
    dir: PathBuf,
    version: &str,
) -> anyhow::Result<Arc<Loaded<B>>> {
    let cfg = config.clone();
    let version = version.to_string();
    let (backend, sessions, info) = tokio::task::spawn_blocking(move || open::<B>(name, &cfg, &dir, version)).await??;
    // One run at a time per session: as many as `open` laid out (concurrency per GPU on CUDA).
    let policy = BatchPolicy {
        concurrency: sessions.len(),
        queue_capacity: config.queue_capacity,
        max_batch: config.max_batch.max(1),
        max_delay: Duration::from_millis(config.queue_delay_ms()),
    };
    metrics.loaded(name, info.load_seconds, &info.placement);
    Ok(Arc::new(Loaded {
        batcher: Batcher::start(name, backend.clone(), sessions, policy, metrics.model(name)),
        backend,
        info,
    }))
}

type OpenResult<B> = anyhow::Result<(Arc<B>, Vec<ort::session::Session>, ModelInfo)>;

fn open<B: ModelKind>(name: &'static str, config: &Config, dir: &Path, version: String) -> OpenResult<B> {
    let started = Instant::now();
    let env = runtime::environment(&config.ort_library())?;
    let path = dir.join("model.onnx");
    let model = Arc::new(B::open(dir)?);
    let mut sessions = Vec::new();
    let mut placement = None;
    let targets = config.session_targets();
    for target in &targets {
        let (mut s, placed) =
            runtime::session(env, &config.ort_library(), &path, config.threads_per_session(), *target)?;
        model.run(&mut s, vec![B::warm_up()]).map_err(|e| anyhow::anyhow!("warm-up of {}: {e}", path.display()))?;
        sessions.push(s);
        placement.get_or_insert(placed);
    }
    let placement = placement.expect("at least one session");
    let info = ModelInfo {
        name,
        version,
        platform: "onnxruntime_onnx",
        inputs: B::inputs(),
        outputs: B::outputs(&sessions[0]),
        load_seconds: started.elapsed().as_secs_f64(),
        path,
        sessions: sessions.len(),
        devices: match placement.provider {
            crate::provider::ExecutionProvider::Cuda => targets.iter().map(|t| t.device).collect(),
            crate::provider::ExecutionProvider::Cpu => Vec::new(),
        },
        placement,
    };
    tracing::info!(model = name, version = %info.version, seconds = info.load_seconds, sessions = info.sessions, "model loaded");
    Ok((model, sessions, info))
}

impl ModelKind for ImageModel {
    fn open(dir: &Path) -> anyhow::Result<Self> {
        ImageModel::load(dir)
    }

    fn warm_up() -> ImageInput {
        ImageInput { pixels: vec![0.0; PIXELS_PER_IMAGE], rows: 1 }
    }

    fn inputs() -> Vec<TensorSpec> {
        vec![TensorSpec { name: "input", datatype: "FP32", shape: vec![-1, 3, 224, 224] }]
    }

    fn outputs(_: &ort::session::Session) -> Vec<TensorSpec> {
        vec![
            TensorSpec { name: "logits", datatype: "FP32", shape: vec![-1, backbone::CLASSES as i64] },
            TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, backbone::EMBEDDING as i64] },
        ]
    }
}

impl ModelKind for TextModel {
    fn open(dir: &Path) -> anyhow::Result<Self> {
        TextModel::load(dir)
    }

    fn warm_up() -> Vec<String> {
        vec!["warm-up".to_string()]
    }

    fn inputs() -> Vec<TensorSpec> {
        vec![TensorSpec { name: "text", datatype: "BYTES", shape: vec![-1] }]
    }

    fn outputs(session: &ort::session::Session) -> Vec<TensorSpec> {
        vec![TensorSpec { name: "embedding", datatype: "FP32", shape: vec![-1, text::dimensions(session) as i64] }]
    }
}
