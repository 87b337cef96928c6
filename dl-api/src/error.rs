//! dl-api's failures and their one mapping to RFC 9457 problem responses.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const PROBLEM_TYPE_BASE: &str = "https://gajyeogagu.io/problems/";

#[derive(Debug, thiserror::Error)]
pub enum DlError {
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("no route {0}; see /docs for the API")]
    RouteNotFound(String),
    #[error("{method} is not allowed here")]
    MethodNotAllowed { method: String },
    #[error("not an image we can read: {0}")]
    BadImage(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("model {0} not found")]
    ModelNotFound(String),
    #[error("model {0} is not ready")]
    ModelNotReady(String),
    /// The version is there but doesn't load (bad files); the serving version goes on serving.
    #[error("loading {0}")]
    LoadFailed(String),
    #[error("model {model} is overloaded; retry later")]
    Overloaded { model: String, retry_after: Duration },
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem: what every failure answers, as `application/problem+json`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://gajyeogagu.io/problems/<code>`.
    #[serde(rename = "type")]
    #[schema(example = "https://gajyeogagu.io/problems/invalid_image")]
    pub type_uri: String,
    #[schema(example = "Invalid image")]
    pub title: &'static str,
    /// The HTTP status code, repeated.
    #[schema(value_type = u16, format = Int32, minimum = 100, maximum = 599, example = 400)]
    pub status: u16,
    #[schema(example = "not an image we can read: unrecognised format (JPEG, PNG or WebP expected)")]
    pub detail: String,
    /// Stable machine-readable code; never renamed.
    #[schema(example = "invalid_image")]
    pub code: &'static str,
    /// The detail again: KServe V2 clients (tritonclient) read `error`.
    pub error: String,
}

impl DlError {
    pub fn status(&self) -> StatusCode {
        match self {
            DlError::Unauthorized => StatusCode::UNAUTHORIZED,
            DlError::Forbidden(_) => StatusCode::FORBIDDEN,
            DlError::LoadFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DlError::BadRequest(_) | DlError::BadImage(_) => StatusCode::BAD_REQUEST,
            DlError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            DlError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DlError::ModelNotFound(_) | DlError::RouteNotFound(_) => StatusCode::NOT_FOUND,
            DlError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            DlError::ModelNotReady(_) | DlError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            DlError::Inference(_) | DlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            DlError::Unauthorized => "unauthorized",
            DlError::Forbidden(_) => "forbidden",
            DlError::LoadFailed(_) => "model_load_failed",
            DlError::BadRequest(_) => "malformed_request",
            DlError::RouteNotFound(_) => "not_found",
            DlError::MethodNotAllowed { .. } => "method_not_allowed",
            DlError::BadImage(_) => "invalid_image",
            DlError::TooLarge(_) => "payload_too_large",
            DlError::UnsupportedMediaType(_) => "unsupported_media_type",
            DlError::ModelNotFound(_) => "model_not_found",
            DlError::ModelNotReady(_) => "model_not_ready",
            DlError::Overloaded { .. } => "overloaded",
            DlError::Inference(_) => "inference_failed",
            DlError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            DlError::Unauthorized => "Unauthorized",
            DlError::Forbidden(_) => "Forbidden",
            DlError::LoadFailed(_) => "Model load failed",
            DlError::BadRequest(_) => "Malformed request",
            DlError::RouteNotFound(_) => "Not found",
            DlError::MethodNotAllowed { .. } => "Method not allowed",
            DlError::BadImage(_) => "Invalid image",
            DlError::TooLarge(_) => "Payload too large",
            DlError::UnsupportedMediaType(_) => "Unsupported media type",
            DlError::ModelNotFound(_) => "Model not found",
            DlError::ModelNotReady(_) => "Model not ready",
            DlError::Overloaded { .. } => "Overloaded",
            DlError::Inference(_) => "Inference failed",
            DlError::Internal(_) => "Internal error",
        }
    }
}

impl IntoResponse for DlError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && !matches!(self, DlError::Overloaded { .. } | DlError::ModelNotReady(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let detail = self.to_string();
        let body = Problem {
            type_uri: format!("{PROBLEM_TYPE_BASE}{}", self.code()),
            title: self.title(),
            status: status.as_u16(),
            detail: detail.clone(),
            code: self.code(),
            error: detail,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        match &self {
            DlError::Overloaded { retry_after, .. } => {
                let secs = retry_after.as_secs().max(1);
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            DlError::ModelNotReady(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            DlError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer, ApiKey"));
            }
            _ => {}
        }
        response
    }
}
