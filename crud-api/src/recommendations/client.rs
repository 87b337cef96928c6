//! HTTP client for dl-api's `/v1/analyze` (API key from `DL_API_KEY`, never logged).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::platform::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// Unreachable, timed out, overloaded or failing: worth retrying later.
    #[error("inference service unavailable: {0}")]
    Unavailable(String),
    /// The service refused this input (4xx): retrying cannot help.
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

/// dl-api's answer, or what its refusal means: 4xx (but 401 and 429) is the input's fault,
/// the rest an outage to retry.
async fn answer<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, MlError> {
    let status = res.status();
    if status.is_success() {
        return res.json().await.map_err(|e| MlError::Unavailable(format!("unreadable answer: {e}")));
    }
    let detail = res
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v["detail"].as_str().map(String::from))
        .unwrap_or_default();
    if status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS {
        // 401 means our key is wrong: an operator problem, retried like an outage.
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(MlError::Unavailable("dl-api refused DL_API_KEY".into()));
        }
        return Err(MlError::Rejected { status: status.as_u16(), detail });
    }
    Err(MlError::Unavailable(format!("{status}: {detail}")))
}
