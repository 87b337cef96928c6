//! Token pairs: a short-lived access JWT plus an opaque, rotating refresh token.
//!
//! Refresh tokens are 256-bit random strings; only their SHA-256 is stored. Each use rotates
//! the token within its family; presenting a token that was already used means it leaked
//! (or a client bug), so the whole family is revoked and the caller gets 401.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Realm;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::refresh_tokens::{self, RefreshTokenRow};

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

/// Issues a pair; `family` is `None` at login (a new family starts) and the old family on
/// refresh.
pub async fn issue_pair(state: &AppState, who: Subject<'_>, family: Option<Uuid>) -> Result<TokenPair, ApiError> {
    let cfg = &state.config;
    let access_token = state.keys.issue(who.realm, who.id, who.role, who.seller, cfg.access_token_ttl_secs)?;
    let refresh_token = new_refresh_token();
    let expires_at = Utc::now() + chrono::Duration::seconds(cfg.refresh_token_ttl_secs as i64);
    refresh_tokens::insert(
        &state.db,
        &hash_refresh_token(&refresh_token),
        family.unwrap_or_else(Uuid::now_v7),
        who.realm.as_str(),
        who.id,
        expires_at,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer",
        expires_in: cfg.access_token_ttl_secs,
        refresh_expires_in: cfg.refresh_token_ttl_secs,
    })
}

/// Consumes a refresh token of `realm`. On success the caller issues the next pair in the
/// returned row's family. Reuse revokes the family.
pub async fn consume_refresh(state: &AppState, realm: Realm, token: &str) -> Result<RefreshTokenRow, ApiError> {
    let row =
        refresh_tokens::by_hash(&state.db, &hash_refresh_token(token)).await?.ok_or(ApiError::InvalidRefreshToken)?;
    if row.realm != realm.as_str() {
        return Err(ApiError::WrongRealm);
    }
    if row.revoked_at.is_some() {
        return Err(ApiError::InvalidRefreshToken);
    }
    if row.used_at.is_some() || !refresh_tokens::mark_used(&state.db, row.id).await? {
        let revoked = refresh_tokens::revoke_family(&state.db, row.family_id).await?;
        tracing::warn!(family = %row.family_id, subject = %row.subject_id, revoked, "refresh token reuse; family revoked");
        state.metrics.refresh_reuse.inc();
        return Err(ApiError::RefreshTokenReused);
    }
    if row.expires_at <= Utc::now() {
        return Err(ApiError::RefreshTokenExpired);
    }
    Ok(row)
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
