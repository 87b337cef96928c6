//! The `Idempotency-Key` protocol (checkout uses it): the same key with the same body gets the
//! first answer again, with another body a 422; while the first request runs, a 409 with
//! `Retry-After`. Client errors and successes are saved and replayed; server errors release
//! the key so a retry can run.
//!
//! Crashes: work that commits records what it created in the key's row *in its own
//! transaction* (`store::idempotency::RECORD_RESOURCE`), so a retry after a crash between the
//! commit and the saved answer rebuilds the answer (`Begin::Completed`) instead of doing the
//! work twice; a claim whose process died before committing is taken over after
//! `IN_PROGRESS_LEASE` (it used to block the key until the 48-hour purge).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub mod store;

use self::store::Claim;
use crate::platform::db::Db;
use crate::platform::error::{ApiError, ApiResult};

/// How long a claim may stay "in progress" before it counts as abandoned. Checkout takes
/// milliseconds; a claim this old belongs to a process that died.
pub const IN_PROGRESS_LEASE: chrono::Duration = chrono::Duration::seconds(30);

/// A client's `Idempotency-Key`: 1 to 100 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 100;

    pub fn from_headers(headers: &HeaderMap) -> ApiResult<Self> {
        let key = headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::Malformed("the Idempotency-Key header is required".into()))?;
        if key.len() > Self::MAX_LEN {
            return Err(ApiError::Malformed("Idempotency-Key must be at most 100 characters".into()));
        }
        Ok(Self(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// sha256 of the parsed JSON body, so whitespace and key order don't make "different" requests.
pub fn request_hash(body: &[u8]) -> String {
    let canonical: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// What to do with a request.
pub enum Begin {
    /// Do the work, then `finish`.
    Run,
    /// Answer this (a replay of the first answer).
    Replay(Response),
    /// The work committed and created this id, but its answer was lost: rebuild it, `finish`.
    Completed(Uuid),
}

/// One user's use of one key.
pub struct Idempotent<'a> {
    db: &'a Db,
    user: Uuid,
    key: IdempotencyKey,
}

impl<'a> Idempotent<'a> {
    pub fn new(db: &'a Db, user: Uuid, key: IdempotencyKey) -> Self {
        Self { db, user, key }
    }

    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }

    #[tracing::instrument(skip_all, fields(key = %self.key.0))]
    pub async fn begin(&self, body: &[u8]) -> ApiResult<Begin> {
        let hash = request_hash(body);
        Ok(match store::claim(self.db, self.user, &self.key.0, &hash, IN_PROGRESS_LEASE).await? {
            Claim::New => Begin::Run,
            Claim::Completed(id) => Begin::Completed(id),
            Claim::Replay(status, body) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let ct = if status.is_success() { "application/json" } else { "application/problem+json" };
                Begin::Replay((status, [("content-type", ct), ("idempotent-replayed", "true")], body).into_response())
            }
            Claim::InProgress { since } => {
                let left = (since + IN_PROGRESS_LEASE - chrono::Utc::now()).num_seconds();
                return Err(ApiError::IdempotencyInProgress { retry_after_secs: left.clamp(1, 30) as u64 });
            }
            Claim::Mismatch => return Err(ApiError::IdempotencyKeyReused),
        })
    }

    /// Saves what the client sees (successes and refusals alike) and answers it; forgets the
    /// key on server errors so a retry can go through.
    pub async fn finish<T: Serialize>(&self, result: ApiResult<T>, success: StatusCode) -> ApiResult<Response> {
        let (status, body) = match &result {
            Ok(resp) => (success, serde_json::to_string(resp).map_err(anyhow::Error::from)?),
            Err(e) if e.status_and_code().0.is_client_error() => {
                (e.status_and_code().0, serde_json::to_string(&e.problem()).map_err(anyhow::Error::from)?)
            }
            Err(_) => {
                store::release(self.db, self.user, &self.key.0).await?;
                return result.map(|resp| (success, Json(resp)).into_response());
            }
        };
        store::save(self.db, self.user, &self.key.0, status.as_u16(), &body).await?;
        result.map(|resp| (success, Json(resp)).into_response())
    }
}
