//! Domain endpoints: analyse photos (one, or a stream of many), embed text, list models.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::analysis::{analyze as run_analysis, Analysis};
use crate::error::DlError;
use crate::http::body::uploads;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct AnalyzeQuery {
    /// Leave the 1280 floats out of the answer when the caller only wants labels.
    #[serde(default = "yes")]
    pub embedding: bool,
}

fn yes() -> bool {
    true
}

/// `POST /v1/analyze`: a raw image body or a multipart with one image.
pub async fn analyze(
    State(state): State<AppState>,
    Query(q): Query<AnalyzeQuery>,
    req: Request,
) -> Result<Json<Analysis>, DlError> {
    let mut images = uploads(req, 1).await?;
    let image = images.pop().expect("uploads returns at least one");
    Ok(Json(run_analysis(&state, image.bytes, q.embedding).await?))
}

/// `POST /v1/analyze/stream`: multipart with many images; one JSON result per image,
/// in the order they finish, as NDJSON (default) or Server-Sent Events
/// (`Accept: text/event-stream`). A failed image yields an error line, not a broken stream.
pub async fn analyze_stream(
    State(state): State<AppState>,
    Query(q): Query<AnalyzeQuery>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, DlError> {
    let sse =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/event-stream"));
    let images = uploads(req, state.config.max_stream_images).await?;
    let total = images.len();
    // Enough in flight to fill batches on every runner, few enough to leave queue room for others.
    let parallel = (state.config.max_batch * state.config.concurrency).clamp(1, 32);
    let with_embedding = q.embedding;
    let lines = futures_util::stream::iter(images.into_iter().enumerate())
        .map(move |(index, image)| {
            let state = state.clone();
            async move {
                let filename = image.filename.clone();
                let value = match run_analysis(&state, image.bytes, with_embedding).await {
                    Ok(a) => json!({ "index": index, "filename": filename, "result": a }),
                    Err(e) => json!({
                        "index": index, "filename": filename,
                        "error": { "status": e.status().as_u16(), "code": e.code(), "detail": e.to_string() }
                    }),
                };
                value
            }
        })
        .buffer_unordered(parallel)
        .chain(futures_util::stream::once(async move { json!({ "done": true, "count": total }) }))
        .map(move |value: Value| {
            let text = serde_json::to_string(&value).expect("JSON values serialise");
            let framed = if sse { format!("data: {text}\n\n") } else { format!("{text}\n") };
            Ok::<_, Infallible>(Bytes::from(framed))
        });
    let content_type = if sse { "text/event-stream" } else { "application/x-ndjson" };
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], Body::from_stream(lines))
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct EmbedRequest {
    pub texts: Vec<String>,
}

const MAX_TEXTS: usize = 64;
const MAX_TEXT_CHARS: usize = 10_000;

/// `POST /v1/embed/text`: `{"texts": [...]}` → normalised 384-d MiniLM embeddings.
pub async fn embed_text(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, DlError> {
    let req: EmbedRequest =
        serde_json::from_slice(&body).map_err(|e| DlError::BadRequest(format!("invalid JSON body: {e}")))?;
    if req.texts.is_empty() || req.texts.len() > MAX_TEXTS {
        return Err(DlError::BadRequest(format!("texts must hold 1 to {MAX_TEXTS} strings")));
    }
    if req.texts.iter().any(|t| t.chars().count() > MAX_TEXT_CHARS) {
        return Err(DlError::TooLarge(format!("each text may have at most {MAX_TEXT_CHARS} characters")));
    }
    let models = state.models()?;
    let text = models.text.as_ref().ok_or_else(|| DlError::ModelNotFound(crate::models::text::NAME.into()))?;
    let embeddings = text.batcher.infer(req.texts).await?;
    Ok(Json(json!({
        "model": text.info.name,
        "model_version": text.info.version,
        "dimensions": crate::models::text::DIM,
        "embeddings": embeddings,
    })))
}

/// `GET /v1/models`: what is loaded, its tensors and how long it took.
pub async fn models(State(state): State<AppState>) -> Result<Json<Value>, DlError> {
    let models = state.models()?;
    let c = &state.config;
    Ok(Json(json!({
        "models": models.infos(),
        "execution_provider": format!("{:?}", c.execution_provider).to_lowercase(),
        "concurrency": c.concurrency,
        "queue_capacity": c.queue_capacity,
        "max_batch": c.max_batch,
        "max_queue_delay_ms": c.queue_delay_ms(),
        "intra_threads": c.threads_per_session(),
    })))
}
