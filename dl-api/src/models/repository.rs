//! The model repository (Open Inference Protocol `model_repository` extension): which versions
//! each model has on disk, which one serves, and loading or unloading one while requests run.
//!
//! Layout, as Triton's: `<repository>/<name>/<version>/model.onnx` plus the model's own files
//! (`labels.txt`, `tokenizer.json`); the configured directories (`DL_IMAGE_MODEL_DIR`, …) count
//! as their configured version.

use std::cmp::Ordering;
use std::path::Path;

use serde::Serialize;
use utoipa::ToSchema;

use super::table::{self, Entry};
use super::{load, ModelKind, Models, Slot, SlotRef};
use crate::config::{version_name, Config};
use crate::error::DlError;
use crate::metrics::Metrics;

/// One version of one model, as `POST /v2/repository/index` lists it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct IndexEntry {
    #[schema(example = "efficientnet-lite0")]
    pub name: &'static str,
    #[schema(example = "1")]
    pub version: String,
    /// `READY` (serving) or `UNAVAILABLE`.
    #[schema(example = "READY")]
    pub state: &'static str,
    /// Why it isn't serving; empty when it is.
    #[schema(example = "")]
    pub reason: String,
}

/// Versions of `name` on disk: the repository's directories holding a `model.onnx`, plus the
/// configured one, in `by_version` order.
pub fn versions_on_disk(config: &Config, name: &str) -> Vec<String> {
    let mut versions: Vec<String> = std::fs::read_dir(config.repository().join(name))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("model.onnx").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|v| version_name(v).is_ok())
        .collect();
    if let Some((dir, v)) = table::entry(name).and_then(|e| e.serves_at_start(config)) {
        if dir.join("model.onnx").is_file() && !versions.contains(&v) {
            versions.push(v);
        }
    }
    versions.sort_by(|a, b| by_version(a, b));
    versions
}

/// Numbers first, in numeric order (2 before 10), then the rest as text.
fn by_version(a: &str, b: &str) -> Ordering {
    let key = |v: &str| (v.parse::<u64>().map_err(|_| v.to_string()), v.to_string());
    key(a).cmp(&key(b))
}

impl Models {
    /// Every version of every model, serving or not; only the serving ones with `ready_only`.
    pub fn index(&self, config: &Config, ready_only: bool) -> Vec<IndexEntry> {
        let mut entries = Vec::new();
        for name in self.names() {
            let serving = self.slot(name).and_then(|s| s.info()).map(|i| i.version);
            let mut versions = versions_on_disk(config, name);
            if let Some(v) = &serving {
                if !versions.contains(v) {
                    versions.push(v.clone()); // its files went away after it loaded
                }
            }
            for version in versions {
                let ready = serving.as_ref() == Some(&version);
                if ready_only && !ready {
                    continue;
                }
                let reason = match (&serving, ready) {
                    (_, true) => String::new(),
                    (Some(s), false) => format!("version {s} is serving"),
                    (None, false) => "unloaded".to_string(),
                };
                entries.push(IndexEntry { name, version, state: if ready { "READY" } else { "UNAVAILABLE" }, reason });
            }
        }
        entries
    }

    /// Loads `version` of `name` (default: its configured version) and makes it the one that
    /// serves. The version serving until then keeps answering while the new one loads and
    /// warms up, and finishes the requests it has; if the load fails it goes on serving.
    pub async fn load_version(
        &self,
        config: &Config,
        metrics: &Metrics,
        name: &str,
        version: Option<&str>,
    ) -> Result<String, DlError> {
        let entry = known(name)?;
        let version = match version {
            Some(v) => version_name(v).map_err(DlError::BadRequest)?,
            None => entry.configured(config).1.clone(),
        };
        let dir = entry.version_dir(config, &version);
        if !dir.join("model.onnx").is_file() {
            return Err(DlError::ModelNotFound(format!("{name} version {version}")));
        }
        let _one_at_a_time = self.loading.lock().await;
        match self.slot(name) {
            Some(SlotRef::Image(slot)) => swap_in(slot, config, metrics, &dir, &version).await?,
            Some(SlotRef::Text(slot)) => swap_in(slot, config, metrics, &dir, &version).await?,
            None => return Err(DlError::ModelNotFound(name.to_string())),
        }
        Ok(version)
    }

    /// Stops serving `name`: new requests get 503 `model_not_ready`; the ones running finish.
    pub async fn unload(&self, name: &str) -> Result<(), DlError> {
        let _one_at_a_time = self.loading.lock().await;
        self.slot(name).ok_or_else(|| DlError::ModelNotFound(name.to_string()))?.unload();
        tracing::info!(model = name, "model unloaded");
        Ok(())
    }
}

fn known(name: &str) -> Result<&'static Entry, DlError> {
    table::entry(name).ok_or_else(|| DlError::ModelNotFound(name.to_string()))
}

async fn swap_in<B: ModelKind>(
    slot: &Slot<B>,
    config: &Config,
    metrics: &Metrics,
    dir: &Path,
    version: &str,
) -> Result<(), DlError> {
    let loaded = load::<B>(slot.name, config, metrics, dir.to_path_buf(), version)
        .await
        .map_err(|e| DlError::LoadFailed(format!("{} version {version}: {e:#}", slot.name)))?;
    slot.replace(Some(loaded));
    tracing::info!(model = slot.name, version, "now serving");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_as_numbers_when_they_are() {
        let mut v = vec!["10", "2", "20a", "1", "b", "3", "a"];
        v.sort_by(|a, b| by_version(a, b));
        assert_eq!(v, ["1", "2", "3", "10", "20a", "a", "b"]);
    }
}
