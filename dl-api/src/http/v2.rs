//! Open Inference Protocol (KServe V2) over REST, including the binary tensor
//! extension. Health answers carry JSON bodies (`{"live":true}`) because
//! tritonclient parses them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{DlError, Problem};
use crate::models::backbone::{CLASSES, EMBEDDING};
use crate::models::image::{ImageInput, ImageModel};
use crate::models::text::TextModel;
use crate::models::{Loaded, ModelInfo, Models, SlotRef, TensorSpec};
use crate::oip::binary::{self, HEADER_LENGTH};
use crate::oip::tensor::{
    elements, f32_from_bytes, f32_from_json, f32_to_bytes, strings_from_bytes, strings_from_json,
};
use crate::oip::{InferRequest, InferResponse, ResponseOutput};
use crate::preprocess::PIXELS_PER_IMAGE;
use crate::provider::Placement;
use crate::state::AppState;

/// Rows one infer call may carry.
const MAX_ROWS: usize = 64;

#[derive(Serialize, ToSchema)]
pub struct ServerLive {
    pub live: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ServerReady {
    pub ready: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ServerMetadata {
    #[schema(example = "gajyeogagu-dl-api")]
    pub name: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// Protocol extensions this server implements.
    #[schema(example = json!(["binary_tensor_data", "model_repository"]))]
    pub extensions: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelMetadata {
    #[schema(example = "efficientnet-lite0")]
    pub name: &'static str,
    /// The version serving now (others: `/v2/repository/index`).
    pub versions: Vec<String>,
    #[schema(example = "onnxruntime_onnx")]
    pub platform: &'static str,
    pub inputs: Vec<TensorSpec>,
    pub outputs: Vec<TensorSpec>,
    /// Where the model runs, and why not where it was asked to (an extension of the protocol's
    /// metadata; clients ignore fields they do not know).
    pub placement: Placement,
}

#[derive(Serialize, ToSchema)]
pub struct ModelReady {
    #[schema(example = "efficientnet-lite0")]
    pub name: &'static str,
    pub ready: bool,
}

/// Server live (Open Inference Protocol)
///
/// The process answers (`{"live": true}`, which tritonclient parses).
#[utoipa::path(get, path = "/v2/health/live", operation_id = "server_live", tag = "inference",
    responses((status = 200, description = "Alive", body = ServerLive)))]
pub async fn live() -> Json<ServerLive> {
    Json(ServerLive { live: true })
}

/// Server ready (Open Inference Protocol)
///
/// 200 once every model is loaded and warm; 503 before (`{"ready": false}`).
#[utoipa::path(get, path = "/v2/health/ready", operation_id = "server_ready", tag = "inference",
    responses(
        (status = 200, description = "Ready", body = ServerReady),
        (status = 503, description = "Loading", body = ServerReady),
    ))]
pub async fn ready(State(state): State<AppState>) -> Response {
    let ready = state.models.get().is_some();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(ServerReady { ready })).into_response()
}

/// Server metadata (Open Inference Protocol)
///
/// The server's name, version and the protocol extensions it implements.
#[utoipa::path(get, path = "/v2", operation_id = "server_metadata", tag = "inference",
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, description = "Server metadata", body = ServerMetadata)))]
pub async fn server_metadata() -> Json<ServerMetadata> {
    Json(ServerMetadata {
        name: "gajyeogagu-dl-api",
        version: env!("CARGO_PKG_VERSION"),
        // Only what is implemented: clients take a listed extension's routes for granted.
        extensions: vec!["binary_tensor_data", "model_repository"],
    })
}

/// The version of a model serving now, held for one request (a load swapping in another
/// version doesn't touch it).
enum Target {
    Image(Arc<Loaded<ImageModel>>),
    Text(Arc<Loaded<TextModel>>),
}

impl Target {
    /// `name`'s serving version; when the path names a version, it must be that one.
    fn of(models: &Models, name: &str, version: Option<&str>) -> Result<Self, DlError> {
        let target = match models.slot(name) {
            Some(SlotRef::Image(slot)) => Target::Image(slot.get()?),
            Some(SlotRef::Text(slot)) => Target::Text(slot.get()?),
            None => return Err(DlError::ModelNotFound(name.to_string())),
        };
        match version {
            Some(v) if !v.is_empty() && v != target.info().version => {
                Err(DlError::ModelNotFound(format!("{name} version {v}")))
            }
            _ => Ok(target),
        }
    }

    fn info(&self) -> &ModelInfo {
        match self {
            Target::Image(l) => &l.info,
            Target::Text(l) => &l.info,
        }
    }
}

fn metadata(state: &AppState, name: &str, version: Option<&str>) -> Result<Json<ModelMetadata>, DlError> {
    let target = Target::of(state.models()?, name, version)?;
    let i = target.info();
    Ok(Json(ModelMetadata {
        name: i.name,
        versions: vec![i.version.clone()],
        platform: i.platform,
        inputs: i.inputs.clone(),
        outputs: i.outputs.clone(),
        placement: i.placement.clone(),
    }))
}

/// Model metadata (Open Inference Protocol)
///
/// The model's versions, platform and its input and output tensors.
#[utoipa::path(get, path = "/v2/models/{model}", operation_id = "model_metadata", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`")),
    responses(
        (status = 200, description = "Model metadata", body = ModelMetadata),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn model_metadata(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Json<ModelMetadata>, DlError> {
    metadata(&state, &model, None)
}

/// Model version metadata (Open Inference Protocol)
///
/// As model metadata, for the version the path names; 404 when another version serves.
#[utoipa::path(get, path = "/v2/models/{model}/versions/{version}", operation_id = "model_version_metadata", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`"), ("version" = String, Path, description = "The model's version (`/v1/models`)")),
    responses(
        (status = 200, description = "Model metadata", body = ModelMetadata),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn model_metadata_versioned(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
) -> Result<Json<ModelMetadata>, DlError> {
    metadata(&state, &model, Some(&version))
}

fn model_ready_body(state: &AppState, name: &str, version: Option<&str>) -> Result<Json<ModelReady>, DlError> {
    let target = Target::of(state.models()?, name, version)?;
    Ok(Json(ModelReady { name: target.info().name, ready: true }))
}

/// Model ready (Open Inference Protocol)
///
/// 200 while the model serves; 503 once unloaded through the repository API.
#[utoipa::path(get, path = "/v2/models/{model}/ready", operation_id = "model_ready", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`")),
    responses(
        (status = 200, description = "Ready", body = ModelReady),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn model_ready(
    State(state): State<AppState>,
    Path(model): Path<String>,
) -> Result<Json<ModelReady>, DlError> {
    model_ready_body(&state, &model, None)
}

/// Model version ready (Open Inference Protocol)
///
/// 200 while this version serves; 404 when another version does.
#[utoipa::path(get, path = "/v2/models/{model}/versions/{version}/ready", operation_id = "model_version_ready", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`"), ("version" = String, Path, description = "The model's version (`/v1/models`)")),
    responses(
        (status = 200, description = "Ready", body = ModelReady),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn model_ready_versioned(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
) -> Result<Json<ModelReady>, DlError> {
    model_ready_body(&state, &model, Some(&version))
}

/// Infer (Open Inference Protocol)
///
/// Tensors in, tensors out: `efficientnet-lite0` takes `input` FP32 `[N,3,224,224]` (the
/// `/v1/analyze` preparation) and gives `logits` `[N,1000]` and `embedding` `[N,1280]`;
/// `minilm-l6-v2` takes `text` BYTES `[N]` and gives `embedding` `[N,384]`. 1 to 64 rows.
/// With the binary tensor extension (tritonclient's default) the body is the JSON header
/// followed by the raw tensors, and `Inference-Header-Content-Length` says where the JSON ends.
#[utoipa::path(post, path = "/v2/models/{model}/infer", operation_id = "infer", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`")),
    request_body(content((InferRequest = "application/json"), (InferRequest = "application/octet-stream"))),
    responses(
        (status = 200, description = "The outputs", content((InferResponse = "application/json"), (InferResponse = "application/octet-stream"))),
        (status = 400, description = "Wrong input name, type, shape or data", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such model", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full (Retry-After) or models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn infer(
    State(state): State<AppState>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DlError> {
    run_infer(&state, &model, None, &headers, body).await
}

/// Infer with a model version (Open Inference Protocol)
///
/// As infer, answered only by the version the path names (404 when another version serves).
#[utoipa::path(post, path = "/v2/models/{model}/versions/{version}/infer", operation_id = "infer_version", tag = "inference",
    security(("api_key" = []), ("bearer" = [])), params(("model" = String, Path, description = "`efficientnet-lite0`, `minilm-l6-v2` or `use-multilingual-v3`"), ("version" = String, Path, description = "The model's version (`/v1/models`)")),
    request_body(content((InferRequest = "application/json"), (InferRequest = "application/octet-stream"))),
    responses(
        (status = 200, description = "The outputs", content((InferResponse = "application/json"), (InferResponse = "application/octet-stream"))),
        (status = 400, description = "Wrong input name, type, shape or data", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such model or version", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full (Retry-After) or models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn infer_versioned(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DlError> {
    run_infer(&state, &model, Some(&version), &headers, body).await
}

async fn run_infer(
    state: &AppState,
    model: &str,
    version: Option<&str>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, DlError> {
    let target = Target::of(state.models()?, model, version)?;
    let i = target.info();
    let header_length = match headers.get(HEADER_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| DlError::BadRequest("invalid Inference-Header-Content-Length".into()))?,
        ),
    };
    let parsed = binary::parse(body, header_length)?;
    let req = &parsed.request;
    if req.inputs.len() != 1 {
        return Err(DlError::BadRequest(format!("{} takes exactly one input, got {}", i.name, req.inputs.len())));
    }
    let input = &req.inputs[0];
    let spec = &i.inputs[0];
    if input.name != spec.name || input.datatype != spec.datatype {
        return Err(DlError::BadRequest(format!(
            "{} expects input {} of type {}, got {} of type {}",
            i.name, spec.name, spec.datatype, input.name, input.datatype
        )));
    }
    let count = elements(&input.shape)?;
    let chunk = parsed.chunks[0].as_ref();
    let data_missing = || DlError::BadRequest(format!("input {} carries no data", input.name));
    let mut outputs: Vec<(ResponseOutput, Vec<f32>)> = Vec::new();
    if let Target::Image(loaded) = &target {
        if input.shape.len() != 4 || input.shape[1..] != [3, 224, 224] {
            return Err(DlError::BadRequest(format!("input shape must be [N,3,224,224], got {:?}", input.shape)));
        }
        let rows = count / PIXELS_PER_IMAGE;
        check_rows(rows)?;
        let pixels = match (chunk, &input.data) {
            (Some(bytes), _) => f32_from_bytes(&input.name, bytes, count)?,
            (None, Some(data)) => f32_from_json(&input.name, data, count)?,
            (None, None) => return Err(data_missing()),
        };
        let result = loaded.batcher.infer(ImageInput { pixels, rows }).await?;
        let logits: Vec<f32> = result.iter().flat_map(|r| r.logits.iter().copied()).collect();
        let embedding: Vec<f32> = result.iter().flat_map(|r| r.embedding.iter().copied()).collect();
        outputs.push((output("logits", vec![rows as i64, CLASSES as i64]), logits));
        outputs.push((output("embedding", vec![rows as i64, EMBEDDING as i64]), embedding));
    } else if let Target::Text(loaded) = &target {
        let rows = count;
        if input.shape.is_empty() || input.shape.len() > 2 || (input.shape.len() == 2 && input.shape[1] != 1) {
            return Err(DlError::BadRequest(format!("input shape must be [N] or [N,1], got {:?}", input.shape)));
        }
        check_rows(rows)?;
        let texts = match (chunk, &input.data) {
            (Some(bytes), _) => strings_from_bytes(&input.name, bytes, count)?,
            (None, Some(data)) => strings_from_json(&input.name, data, count)?,
            (None, None) => return Err(data_missing()),
        };
        let result = loaded.batcher.infer(texts).await?;
        let dim = result.first().map_or(0, Vec::len);
        let flat: Vec<f32> = result.into_iter().flatten().collect();
        outputs.push((output("embedding", vec![rows as i64, dim as i64]), flat));
    }
    for o in &req.outputs.iter().flatten().collect::<Vec<_>>() {
        if !outputs.iter().any(|(r, _)| r.name == o.name) {
            return Err(DlError::BadRequest(format!("{} has no output {}", i.name, o.name)));
        }
    }
    outputs.retain(|(o, _)| req.wants(&o.name));
    let mut binaries = Vec::new();
    let mut response_outputs = Vec::new();
    for (mut o, values) in outputs {
        if req.wants_binary(&o.name) {
            binaries.push(Some(f32_to_bytes(&values)));
        } else {
            o.data = Some(Value::from(values));
            binaries.push(None);
        }
        response_outputs.push(o);
    }
    let response = InferResponse {
        model_name: i.name.to_string(),
        model_version: i.version.clone(),
        id: req.id.clone(),
        outputs: response_outputs,
    };
    let (body, header) = binary::encode(response, binaries);
    let mut res = body.into_response();
    let h = res.headers_mut();
    match header {
        Some(len) => {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            h.insert(HEADER_LENGTH, HeaderValue::from(len));
        }
        None => {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
    }
    Ok(res)
}

fn check_rows(rows: usize) -> Result<(), DlError> {
    if rows == 0 || rows > MAX_ROWS {
        return Err(DlError::BadRequest(format!("a request carries 1 to {MAX_ROWS} rows, got {rows}")));
    }
    Ok(())
}

fn output(name: &str, shape: Vec<i64>) -> ResponseOutput {
    ResponseOutput { name: name.to_string(), datatype: "FP32", shape, parameters: Default::default(), data: None }
}
