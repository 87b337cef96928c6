//! Open Inference Protocol (KServe V2) over REST, including the binary tensor
//! extension. Health answers carry JSON bodies (`{"live":true}`) because
//! tritonclient parses them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::DlError;
use crate::models::image::{ImageInput, CLASSES, EMBEDDING};
use crate::models::{image, text, ModelInfo, Models};
use crate::oip::binary::{self, HEADER_LENGTH};
use crate::oip::tensor::{
    elements, f32_from_bytes, f32_from_json, f32_to_bytes, strings_from_bytes, strings_from_json,
};
use crate::oip::{InferResponse, ResponseOutput};
use crate::preprocess::PIXELS_PER_IMAGE;
use crate::state::AppState;

/// Rows one infer call may carry.
const MAX_ROWS: usize = 64;

pub async fn live() -> Json<Value> {
    Json(json!({ "live": true }))
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let ready = state.models.get().is_some();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "ready": ready }))).into_response()
}

pub async fn server_metadata() -> Json<Value> {
    Json(json!({
        "name": "gajyeogagu-dl-api",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["binary_tensor_data", "model_repository"],
    }))
}

fn info<'a>(models: &'a Models, name: &str, version: Option<&str>) -> Result<&'a ModelInfo, DlError> {
    let found = models.infos().into_iter().find(|i| i.name == name);
    match (found, version) {
        (Some(i), None) => Ok(i),
        (Some(i), Some(v)) if v.is_empty() || v == i.version => Ok(i),
        _ => Err(DlError::ModelNotFound(match version {
            Some(v) => format!("{name} version {v}"),
            None => name.to_string(),
        })),
    }
}

fn metadata(state: &AppState, name: &str, version: Option<&str>) -> Result<Json<Value>, DlError> {
    let i = info(state.models()?, name, version)?;
    Ok(Json(json!({
        "name": i.name,
        "versions": [i.version],
        "platform": i.platform,
        "inputs": i.inputs,
        "outputs": i.outputs,
    })))
}

pub async fn model_metadata(State(state): State<AppState>, Path(model): Path<String>) -> Result<Json<Value>, DlError> {
    metadata(&state, &model, None)
}

pub async fn model_metadata_versioned(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
) -> Result<Json<Value>, DlError> {
    metadata(&state, &model, Some(&version))
}

fn model_ready_body(state: &AppState, name: &str, version: Option<&str>) -> Result<Json<Value>, DlError> {
    let i = info(state.models()?, name, version)?;
    Ok(Json(json!({ "name": i.name, "ready": true })))
}

pub async fn model_ready(State(state): State<AppState>, Path(model): Path<String>) -> Result<Json<Value>, DlError> {
    model_ready_body(&state, &model, None)
}

pub async fn model_ready_versioned(
    State(state): State<AppState>,
    Path((model, version)): Path<(String, String)>,
) -> Result<Json<Value>, DlError> {
    model_ready_body(&state, &model, Some(&version))
}

pub async fn infer(
    State(state): State<AppState>,
    Path(model): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DlError> {
    run_infer(&state, &model, None, &headers, body).await
}

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
    let models = state.models()?;
    let i = info(models, model, version)?;
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
    if i.name == image::NAME {
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
        let result = models.image.batcher.infer(ImageInput { pixels, rows }).await?;
        let logits: Vec<f32> = result.iter().flat_map(|r| r.logits.iter().copied()).collect();
        let embedding: Vec<f32> = result.iter().flat_map(|r| r.embedding.iter().copied()).collect();
        outputs.push((output("logits", vec![rows as i64, CLASSES as i64]), logits));
        outputs.push((output("embedding", vec![rows as i64, EMBEDDING as i64]), embedding));
    } else {
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
        let loaded = models.text.as_ref().ok_or_else(|| DlError::ModelNotFound(text::NAME.into()))?;
        let result = loaded.batcher.infer(texts).await?;
        let flat: Vec<f32> = result.into_iter().flatten().collect();
        outputs.push((output("embedding", vec![rows as i64, text::DIM as i64]), flat));
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
        model_version: i.version.to_string(),
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
