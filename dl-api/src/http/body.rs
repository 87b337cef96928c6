//! Reading request bodies: image bytes (a raw `image/*` body or multipart parts) and JSON.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::http::StatusCode;
use bytes::Bytes;

use crate::error::DlError;

/// A JSON body, its errors a 400 that says what is wrong.
pub fn json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, DlError> {
    serde_json::from_slice(body).map_err(|e| DlError::BadRequest(format!("invalid JSON body: {e}")))
}

/// An optional JSON body (tritonclient sends `{}` or nothing): empty means the defaults.
pub fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, DlError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json(body)
}

/// One uploaded image and the name the client gave it.
pub struct Upload {
    pub filename: Option<String>,
    pub bytes: Bytes,
}

fn content_type(req: &Request) -> String {
    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase()
}

fn body_error(status: StatusCode, text: String) -> DlError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        DlError::TooLarge("request body is larger than the limit".into())
    } else {
        DlError::BadRequest(text)
    }
}

/// Every image in the request (at most `max`): the raw body, or each multipart
/// file part.
pub async fn uploads(req: Request, max: usize) -> Result<Vec<Upload>, DlError> {
    let ct = content_type(&req);
    if ct.starts_with("multipart/form-data") {
        let mut multipart =
            Multipart::from_request(req, &()).await.map_err(|e| body_error(e.status(), e.body_text()))?;
        let mut out = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| body_error(e.status(), e.body_text()))? {
            let filename = field.file_name().map(String::from);
            if filename.is_none() && field.content_type().is_none_or(|c| !c.starts_with("image/")) {
                continue; // a plain form field, not a file
            }
            if out.len() == max {
                return Err(DlError::TooLarge(format!("at most {max} images per request")));
            }
            let bytes = field.bytes().await.map_err(|e| body_error(e.status(), e.body_text()))?;
            out.push(Upload { filename, bytes });
        }
        if out.is_empty() {
            return Err(DlError::BadRequest("no image parts in the multipart body".into()));
        }
        return Ok(out);
    }
    if !(ct.is_empty() || ct.starts_with("image/") || ct.starts_with("application/octet-stream")) {
        return Err(DlError::UnsupportedMediaType(format!(
            "{ct}; send image/jpeg, image/png, image/webp or multipart/form-data"
        )));
    }
    let bytes = Bytes::from_request(req, &()).await.map_err(|e| body_error(e.status(), e.body_text()))?;
    Ok(vec![Upload { filename: None, bytes }])
}
