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

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use crate::identity::jwt::JwtKeys;
use crate::identity::role::Realm;
use crate::identity::store::refresh_tokens::{self, NewToken, RefreshTokenRow, Rotation};
use crate::platform::db::Db;
use crate::platform::error::ApiError;

/// Why a refresh session refused; mapped once to problem+json with the codes clients know
/// (`invalid_refresh_token`, `wrong_realm`, `refresh_token_expired`, `refresh_token_reused`).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("invalid refresh token")]
    Invalid,
    #[error("this token belongs to another realm")]
    WrongRealm,
    #[error("refresh token expired")]
    Expired,
    /// A used token came back: it leaked (or a client bug); its family is revoked.
    #[error("refresh token reused")]
    Reused,
    #[error("cannot sign the access token: {0}")]
    Signing(anyhow::Error),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Invalid => ApiError::InvalidRefreshToken,
            SessionError::WrongRealm => ApiError::WrongRealm,
            SessionError::Expired => ApiError::RefreshTokenExpired,
            SessionError::Reused => ApiError::RefreshTokenReused,
            SessionError::Signing(e) => ApiError::Internal(e),
            SessionError::Db(e) => e.into(),
        }
    }
}

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

/// Refresh sessions and the token pairs they issue, with what they need: the database, the
/// signing keys, the two lifetimes and the reuse counter.
#[derive(Clone)]
pub struct Sessions {
    db: Db,
    keys: Arc<JwtKeys>,
    access_ttl_secs: u64,
    refresh_ttl_secs: u64,
    reuse: Counter,
}

impl Sessions {
    pub fn new(db: Db, keys: Arc<JwtKeys>, access_ttl_secs: u64, refresh_ttl_secs: u64, reuse: Counter) -> Self {
        Self { db, keys, access_ttl_secs, refresh_ttl_secs, reuse }
    }

    fn access_token(&self, who: &Subject<'_>, refresh_token: String) -> Result<TokenPair, SessionError> {
        let access_token = self
            .keys
            .issue(who.realm, who.id, who.role, who.seller, self.access_ttl_secs)
            .map_err(SessionError::Signing)?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.access_ttl_secs,
            refresh_expires_in: self.refresh_ttl_secs,
        })
    }

    fn refresh_expiry(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.refresh_ttl_secs as i64)
    }

    /// Issues a pair at sign-in: a new refresh family starts.
    pub async fn issue_pair(&self, who: Subject<'_>) -> Result<TokenPair, SessionError> {
        let refresh_token = new_refresh_token();
        let new = NewToken { hash: &hash_refresh_token(&refresh_token), expires_at: self.refresh_expiry() };
        refresh_tokens::start_family(&self.db, who.realm.as_str(), who.id, &new).await?;
        self.access_token(&who, refresh_token)
    }

    /// Looks up a presented refresh token of `realm` and checks it can still be used. Cheap
    /// checks only: the rotation itself (`rotate_pair`) rechecks under the family's lock. A token
    /// already used here means it leaked (or a client bug): its family is revoked.
    pub async fn presented_refresh(&self, realm: Realm, token: &str) -> Result<RefreshTokenRow, SessionError> {
        let row = refresh_tokens::by_hash(&self.db, &hash_refresh_token(token)).await?.ok_or(SessionError::Invalid)?;
        if row.realm != realm.as_str() {
            return Err(SessionError::WrongRealm);
        }
        if row.revoked_at.is_some() {
            return Err(SessionError::Invalid);
        }
        if row.used_at.is_some() {
            return Err(self.reused(&row, refresh_tokens::revoke_family(&self.db, row.family_id).await?));
        }
        if row.expires_at <= Utc::now() {
            return Err(SessionError::Expired);
        }
        Ok(row)
    }

    fn reused(&self, row: &RefreshTokenRow, revoked: u64) -> SessionError {
        tracing::warn!(family = %row.family_id, subject = %row.subject_id, revoked, "refresh token reuse; family revoked");
        self.reuse.inc();
        SessionError::Reused
    }

    /// Rotates `old` (from `presented_refresh`) into a new pair for `who`, in one atomic step:
    /// of concurrent presentations of one token exactly one succeeds, and then the family is
    /// revoked — the winner's new token included.
    pub async fn rotate_pair(&self, old: &RefreshTokenRow, who: Subject<'_>) -> Result<TokenPair, SessionError> {
        let refresh_token = new_refresh_token();
        let new = NewToken { hash: &hash_refresh_token(&refresh_token), expires_at: self.refresh_expiry() };
        match refresh_tokens::rotate(&self.db, old, &new).await? {
            Rotation::Rotated => self.access_token(&who, refresh_token),
            Rotation::Reused => Err(self.reused(old, 0)),
            Rotation::Revoked => Err(SessionError::Invalid),
        }
    }

    /// Revokes the family of a refresh token of `realm`; unknown tokens are ignored (logout is
    /// idempotent and must not reveal whether a token existed).
    pub async fn revoke(&self, realm: Realm, token: &str) -> Result<(), SessionError> {
        if let Some(row) = refresh_tokens::by_hash(&self.db, &hash_refresh_token(token)).await? {
            if row.realm == realm.as_str() {
                refresh_tokens::revoke_family(&self.db, row.family_id).await?;
            }
        }
        Ok(())
    }
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
