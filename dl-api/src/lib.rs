//! dl-api: Gajyeogagu's inference service. EfficientNet-Lite0 (photos → category,
//! labels, colours, embedding) and MiniLM (text → embedding) on ONNX Runtime,
//! behind the Open Inference Protocol and a small domain API.

pub mod analysis;
pub mod api_keys;
pub mod auth;
pub mod batcher;
pub mod colours;
pub mod config;
pub mod devices;
pub mod error;
pub mod eval;
pub mod eval_crosslingual;
pub mod eval_metrics;
pub mod http;
pub mod metrics;
pub mod models;
pub mod oip;
pub mod preprocess;
pub mod provider;
pub mod runtime;
pub mod startup;
pub mod state;
pub mod styles;
