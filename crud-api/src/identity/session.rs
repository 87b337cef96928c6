//! Token pairs: a short-lived access JWT plus an opaque, rotating refresh token.
//!
//! Refresh tokens are 256-bit random strings; only their SHA-256 is stored. Each use rotates
//! the token within its family; presenting a token that was already used means it leaked
//! (or a client bug), so the whole family is revoked and the caller gets 401. Rotation and
//! reuse detection are one atomic step on the family (see `store::refresh_tokens`), so this
//! holds for concurrent presentations on any number of instances.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::identity::role::Realm;
use crate::identity::store::refresh_tokens::{self, NewToken, RefreshTokenRow, Rotation};
use crate::platform::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// EdDSA JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; send to the refresh endpoint. Single use: each refresh returns a new one.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Seconds until the refresh token expires.
    #[schema(example = 2592000)]
    pub refresh_expires_in: u64,
}

/// Who a token pair is for.
pub struct Subject<'a> {
    pub realm: Realm,
    pub id: Uuid,
    pub role: Option<&'a str>,
    pub seller: bool,
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random 20-character password for generated accounts.
pub fn random_password() -> String {
    let mut bytes = [0u8; 15];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn access_token(state: &AppState, who: &Subject<'_>, refresh_token: String) -> Result<TokenPair, ApiError> {
    let cfg = &state.config;
    let access_token = state.keys.issue(who.realm, who.id, who.role, who.seller, cfg.access_token_ttl_secs)?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: cfg.access_token_ttl_secs,
        refresh_expires_in: cfg.refresh_token_ttl_secs,
    })
}

fn refresh_expiry(state: &AppState) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(state.config.refresh_token_ttl_secs as i64)
}

/// Issues a pair at sign-in: a new refresh family starts.
pub async fn issue_pair(state: &AppState, who: Subject<'_>) -> Result<TokenPair, ApiError> {
    let refresh_token = new_refresh_token();
    let new = NewToken { hash: &hash_refresh_token(&refresh_token), expires_at: refresh_expiry(state) };
    refresh_tokens::start_family(&state.db, who.realm.as_str(), who.id, &new).await?;
    access_token(state, &who, refresh_token)
}

/// Looks up a presented refresh token of `realm` and checks it can still be used. Cheap
/// checks only: the rotation itself (`rotate_pair`) rechecks under the family's lock. A token
/// already used here means it leaked (or a client bug): its family is revoked.
pub async fn presented_refresh(state: &AppState, realm: Realm, token: &str) -> Result<RefreshTokenRow, ApiError> {
    let row =
        refresh_tokens::by_hash(&state.db, &hash_refresh_token(token)).await?.ok_or(ApiError::InvalidRefreshToken)?;
    if row.realm != realm.as_str() {
        return Err(ApiError::WrongRealm);
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::InvalidRefreshToken);
    }
    if row.used_at.is_some() {
        return Err(reused(state, &row, refresh_tokens::revoke_family(&state.db, row.family_id).await?));
    }
    if row.expires_at <= Utc::now() {
        return Err(ApiError::RefreshTokenExpired);
    }
    Ok(row)
}

fn reused(state: &AppState, row: &RefreshTokenRow, revoked: u64) -> ApiError {
    tracing::warn!(family = %row.family_id, subject = %row.subject_id, revoked, "refresh token reuse; family revoked");
    state.metrics.refresh_reuse.inc();
    ApiError::RefreshTokenReused
}

/// Rotates `old` (from `presented_refresh`) into a new pair for `who`, in one atomic step:
/// of concurrent presentations of one token exactly one succeeds, and then the family is
/// revoked — the winner's new token included.
pub async fn rotate_pair(state: &AppState, old: &RefreshTokenRow, who: Subject<'_>) -> Result<TokenPair, ApiError> {
    let refresh_token = new_refresh_token();
    let new = NewToken { hash: &hash_refresh_token(&refresh_token), expires_at: refresh_expiry(state) };
    match refresh_tokens::rotate(&state.db, old, &new).await? {
        Rotation::Rotated => access_token(state, &who, refresh_token),
        Rotation::Reused => Err(reused(state, old, 0)),
        Rotation::Revoked => Err(ApiError::InvalidRefreshToken),
    }
}

/// Revokes the family of a refresh token of `realm`; unknown tokens are ignored (logout is
/// idempotent and must not reveal whether a token existed).
pub async fn revoke(state: &AppState, realm: Realm, token: &str) -> Result<(), ApiError> {
    if let Some(row) = refresh_tokens::by_hash(&state.db, &hash_refresh_token(token)).await? {
        if row.realm == realm.as_str() {
            refresh_tokens::revoke_family(&state.db, row.family_id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_256_bit_and_unique() {
        let a = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(a, new_refresh_token());
        assert_eq!(hash_refresh_token(&a).len(), 64);
    }
}
