//! Domain endpoints: analyse photos (one, or a stream of many), embed text, list models.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::analysis::{analyze as run_analysis, Analysis};
use crate::error::{DlError, Problem};
use crate::http::body::{json, uploads};
use crate::models::ModelInfo;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyzeQuery {
    /// Leave the 1280 floats out of the answer when the caller only wants labels.
    #[serde(default = "yes")]
    #[param(default = true)]
    pub embedding: bool,
}

/// A photo's bytes, as the body (`image/jpeg`, `image/png`, `image/webp`).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documentation only: the body is read by `body::uploads`
pub struct ImageBytes(Vec<u8>);

/// One photo as a multipart file part.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only
pub struct PhotoUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Many photos as multipart file parts.
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only
pub struct PhotosUpload {
    #[schema(value_type = Vec<String>, format = Binary)]
    pub files: Vec<Vec<u8>>,
}

/// One line of `/v1/analyze/stream`: a photo's analysis, a photo's failure, or the end.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum StreamLine {
    Analysed {
        /// The photo's position in the request, from 0.
        index: usize,
        filename: Option<String>,
        result: Box<Analysis>,
    },
    Failed {
        index: usize,
        filename: Option<String>,
        error: StreamError,
    },
    Done {
        done: bool,
        /// Photos in the request.
        count: usize,
    },
}

/// Why one photo of a stream failed; the stream goes on.
#[derive(Serialize, ToSchema)]
pub struct StreamError {
    #[schema(example = 400)]
    pub status: u16,
    #[schema(example = "invalid_image")]
    pub code: &'static str,
    pub detail: String,
}

fn yes() -> bool {
    true
}

/// Analyse a photo
///
/// A furniture photo → the category to suggest (with its confidence), ImageNet labels, dominant
/// colours, the nearest style and a 1280-d embedding. Send the raw image (`image/jpeg`,
/// `image/png`, `image/webp`) or a multipart body with one image part.
#[utoipa::path(post, path = "/v1/analyze", operation_id = "analyze", tag = "analysis",
    security(("api_key" = []), ("bearer" = [])), params(AnalyzeQuery),
    request_body(content(
        (ImageBytes = "image/jpeg"), (ImageBytes = "image/png"), (ImageBytes = "image/webp"),
        (PhotoUpload = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "What the photo shows", body = Analysis),
        (status = 400, description = "Not an image we can read", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body or pixel count over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an image or multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Queue full (Retry-After) or models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn analyze(
    State(state): State<AppState>,
    Query(q): Query<AnalyzeQuery>,
    req: Request,
) -> Result<Json<Analysis>, DlError> {
    let mut images = uploads(req, 1).await?;
    let image = images.pop().expect("uploads returns at least one");
    Ok(Json(run_analysis(&state, image.bytes, q.embedding).await?))
}

/// Analyse many photos as a stream
///
/// A multipart body with many image parts; one JSON line per photo in the order they finish,
/// as NDJSON (default) or Server-Sent Events (`Accept: text/event-stream`), then a `done` line.
/// A photo that fails gives an error line, not a broken stream.
#[utoipa::path(post, path = "/v1/analyze/stream", operation_id = "analyze_stream", tag = "analysis",
    security(("api_key" = []), ("bearer" = [])), params(AnalyzeQuery),
    request_body(content = PhotosUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "One line per photo, then `done`", content(
            (StreamLine = "application/x-ndjson"), (StreamLine = "text/event-stream"),
        )),
        (status = 400, description = "No image parts", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many photos or too large a body", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a multipart body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
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
                match run_analysis(&state, image.bytes, with_embedding).await {
                    Ok(a) => StreamLine::Analysed { index, filename, result: Box::new(a) },
                    Err(e) => StreamLine::Failed {
                        index,
                        filename,
                        error: StreamError { status: e.status().as_u16(), code: e.code(), detail: e.to_string() },
                    },
                }
            }
        })
        .buffer_unordered(parallel)
        .chain(futures_util::stream::once(async move { StreamLine::Done { done: true, count: total } }))
        .map(move |value: StreamLine| {
            let text = serde_json::to_string(&value).expect("JSON values serialise");
            let framed = if sse { format!("data: {text}\n\n") } else { format!("{text}\n") };
            Ok::<_, Infallible>(Bytes::from(framed))
        });
    let content_type = if sse { "text/event-stream" } else { "application/x-ndjson" };
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], Body::from_stream(lines))
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbedRequest {
    /// 1 to 64 texts of at most 10,000 characters each.
    #[schema(example = json!(["grey fabric three-seater sofa", "원목 책상"]))]
    pub texts: Vec<String>,
    /// `minilm-l6-v2` (default; English, 384-d) or `use-multilingual-v3` (Korean and English in
    /// one space, 512-d).
    #[serde(default)]
    #[schema(example = "use-multilingual-v3")]
    pub model: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EmbedResponse {
    #[schema(example = "minilm-l6-v2")]
    pub model: &'static str,
    #[schema(example = "1")]
    pub model_version: String,
    #[schema(example = 512)]
    pub dimensions: usize,
    /// One L2-normalised vector per text, in order (cosine similarity = dot product).
    pub embeddings: Vec<Vec<f32>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    pub models: Vec<ModelInfo>,
    /// `cpu` or `cuda`.
    #[schema(example = "cpu")]
    pub execution_provider: String,
    /// Sessions per model.
    pub concurrency: usize,
    /// Requests that may wait per model before 503.
    pub queue_capacity: usize,
    pub max_batch: usize,
    pub max_queue_delay_ms: u64,
    /// ONNX Runtime threads per session.
    pub intra_threads: usize,
}

const MAX_TEXTS: usize = 64;
const MAX_TEXT_CHARS: usize = 10_000;

/// Embed texts
///
/// `{"texts": [...]}` → one L2-normalised embedding per text: 384-d English (MiniLM), or with
/// `"model": "use-multilingual-v3"` 512-d Korean and English in one space.
#[utoipa::path(post, path = "/v1/embed/text", operation_id = "embed_text", tag = "text",
    security(("api_key" = []), ("bearer" = [])),
    request_body = EmbedRequest,
    responses(
        (status = 200, description = "The embeddings", body = EmbedResponse),
        (status = 400, description = "Not JSON, or not 1 to 64 texts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such text model, or it is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The text model is unloaded, the queue full (Retry-After) or models still loading", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A text over 10,000 characters", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn embed_text(State(state): State<AppState>, body: Bytes) -> Result<Json<EmbedResponse>, DlError> {
    let req: EmbedRequest = json(&body)?;
    if req.texts.is_empty() || req.texts.len() > MAX_TEXTS {
        return Err(DlError::BadRequest(format!("texts must hold 1 to {MAX_TEXTS} strings")));
    }
    if req.texts.iter().any(|t| t.chars().count() > MAX_TEXT_CHARS) {
        return Err(DlError::TooLarge(format!("each text may have at most {MAX_TEXT_CHARS} characters")));
    }
    let models = state.models()?;
    let name = req.model.as_deref().unwrap_or(crate::models::text::NAME);
    let text = match models.slot(name) {
        Some(crate::models::SlotRef::Text(slot)) => slot.get()?,
        _ => return Err(DlError::ModelNotFound(format!("{name} (text models: minilm-l6-v2, use-multilingual-v3)"))),
    };
    let embeddings = text.batcher.infer(req.texts).await?;
    Ok(Json(EmbedResponse {
        model: text.info.name,
        model_version: text.info.version.clone(),
        dimensions: embeddings.first().map_or(0, Vec::len),
        embeddings,
    }))
}

/// List the models
///
/// What is loaded — each model's tensors, load time and sessions — and how requests are
/// scheduled onto it.
#[utoipa::path(get, path = "/v1/models", operation_id = "list_models", tag = "models",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The loaded models", body = ModelsResponse),
        (status = 503, description = "Models still loading", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn models(State(state): State<AppState>) -> Result<Json<ModelsResponse>, DlError> {
    let models = state.models()?;
    let c = &state.config;
    Ok(Json(ModelsResponse {
        models: models.infos(),
        execution_provider: format!("{:?}", c.execution_provider).to_lowercase(),
        concurrency: c.concurrency,
        queue_capacity: c.queue_capacity,
        max_batch: c.max_batch,
        max_queue_delay_ms: c.queue_delay_ms(),
        intra_threads: c.threads_per_session(),
    }))
}
