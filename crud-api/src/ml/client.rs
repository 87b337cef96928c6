//! HTTP client for dl-api's `/v1/analyze` (API key from `DL_API_KEY`, never logged).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Unreachable, timed out, overloaded or failing: worth retrying later.
    #[error("inference service unavailable: {0}")]
    Unavailable(String),
    /// dl-api is up but its models are still loading (503 `model_not_ready`): the normal first
    /// seconds of a start, not an outage — wait, don't count it against the photo.
    #[error("inference service is still loading its models")]
    NotReady,
    /// The service refused this input (400, 413, 415, 422): retrying cannot help.
    #[error("inference service refused the image ({status}): {detail}")]
    Rejected { status: u16, detail: String },
    #[error("inference is not configured (set DL_API_URL)")]
    NotConfigured,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryScore {
    pub category: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Label {
    pub label: String,
    pub probability: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Colour {
    pub hex: String,
    pub name: String,
    pub fraction: f32,
}

/// The part of dl-api's analysis the marketplace keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub model: String,
    pub categories: Vec<CategoryScore>,
    /// The calibrated category probabilities of dl-api's category head (absent when
    /// the model version ships none).
    #[serde(default)]
    pub probabilities: Option<Vec<CategoryScore>>,
    pub furniture_probability: f32,
    pub labels: Vec<Label>,
    pub colours: Vec<Colour>,
    #[serde(default)]
    pub embedding: Vec<f32>,
}

#[derive(Clone)]
pub struct DlClient {
    http: reqwest::Client,
    base: String,
    key: Secret,
}

impl DlClient {
    pub fn new(base: &str, key: Secret, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .user_agent(concat!("gajyeogagu-crud-api/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base: base.trim_end_matches('/').to_string(), key })
    }

    /// Category scores, labels, colours and the normalised embedding of one photo.
    pub async fn analyze(&self, bytes: Vec<u8>, content_type: &str) -> Result<Analysis, MlError> {
        let res = self
            .http
            .post(format!("{}/v1/analyze", self.base))
            .header("x-api-key", self.key.expose())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| MlError::Unavailable(e.without_url().to_string()))?;
        answer(res).await
    }

    /// Multilingual sentence embeddings (dl-api's `use-multilingual-v3`: Korean and English
    /// in one space), one L2-normalised vector per text.
    pub async fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MlError> {
        #[derive(serde::Deserialize)]
        struct Embeddings {
            embeddings: Vec<Vec<f32>>,
        }
        let res = self
            .http
            .post(format!("{}/v1/embed/text", self.base))
            .header("x-api-key", self.key.expose())
            .json(&serde_json::json!({"model": TEXT_MODEL, "texts": texts}))
            .send()
            .await
            .map_err(|e| MlError::Unavailable(e.without_url().to_string()))?;
        Ok(answer::<Embeddings>(res).await?.embeddings)
    }
}

/// The text model listings and queries are embedded with.
pub const TEXT_MODEL: &str = "use-multilingual-v3";

/// dl-api's answer, or what its refusal means.
async fn answer<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, MlError> {
    let status = res.status();
    if status.is_success() {
        return res.json().await.map_err(|e| MlError::Unavailable(format!("unreadable answer: {e}")));
    }
    // The body as text first: a refusal that isn't problem+json still says something.
    let body = res.text().await.unwrap_or_default();
    Err(refusal(status.as_u16(), &body))
}

/// Only a refusal of the photo itself is final (the job fails at once): 400 (not an image),
/// 413 (too large), 415 (not a type dl-api reads), 422. Everything else is the deployment's
/// state, not the photo's — a wrong key (401/403), a model not (yet) served or a route missing
/// (404: a dl-api being replaced answered that once in the cluster test, and the seller's photo
/// failed for good), overload (429) or an outage (5xx) — and is retried with back-off.
fn refusal(status: u16, body: &str) -> MlError {
    let problem = serde_json::from_str::<serde_json::Value>(body).ok();
    let code = problem.as_ref().and_then(|v| v["code"].as_str().map(String::from));
    let detail = problem
        .as_ref()
        .and_then(|v| v["detail"].as_str().map(String::from))
        .unwrap_or_else(|| body.chars().take(200).collect());
    match status {
        503 if code.as_deref() == Some("model_not_ready") => MlError::NotReady,
        400 | 413 | 415 | 422 => MlError::Rejected { status, detail },
        401 => MlError::Unavailable("dl-api refused DL_API_KEY".into()),
        _ => MlError::Unavailable(format!("{status}: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &str, detail: &str) -> String {
        serde_json::json!({"type": format!("https://gajyeogagu.io/problems/{code}"), "status": status, "code": code, "detail": detail}).to_string()
    }

    #[test]
    fn refusals_of_the_photo_are_final() {
        for (status, code) in [(400, "invalid_image"), (413, "payload_too_large"), (415, "unsupported_media_type")] {
            match refusal(status, &problem(status, code, "why")) {
                MlError::Rejected { status: s, detail } => assert_eq!((s, detail.as_str()), (status, "why")),
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_model_not_served_or_a_missing_route_is_retried_not_blamed_on_the_photo() {
        for (status, body) in [
            (404, problem(404, "model_not_found", "model efficientnet-lite0 not found")),
            (404, String::new()),
            (403, problem(403, "forbidden", "this key may not analyse")),
            (405, String::new()),
            (408, String::new()),
            (429, problem(429, "overloaded", "retry later")),
            (503, problem(503, "overloaded", "queue full")),
            (503, String::new()),
        ] {
            assert!(matches!(refusal(status, &body), MlError::Unavailable(_)), "{status} must be retried");
        }
        // Still loading: a wait, not a failure.
        assert!(matches!(refusal(503, &problem(503, "model_not_ready", "loading")), MlError::NotReady));
        match refusal(404, "<html>not here</html>") {
            MlError::Unavailable(why) => assert_eq!(why, "404: <html>not here</html>"),
            other => panic!("{other:?}"),
        }
    }
}
