//! Shared state of the HTTP handlers.

use std::sync::{Arc, OnceLock};

use crate::config::Config;
use crate::error::DlError;
use crate::metrics::Metrics;
use crate::models::Models;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Filled once every model has loaded and warmed up; empty means not ready.
    pub models: Arc<OnceLock<Models>>,
    /// Set instead when the models cannot run where configured (CUDA unavailable): the reason.
    pub unavailable: Arc<OnceLock<String>>,
    pub keys: Arc<crate::api_keys::ApiKeys>,
    pub styles: Arc<crate::styles::Styles>,
}

impl AppState {
    pub fn models(&self) -> Result<&Models, DlError> {
        self.models.get().ok_or_else(|| DlError::ModelNotReady("all".into()))
    }
}
