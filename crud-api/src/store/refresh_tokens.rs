//! Refresh tokens, stored only as SHA-256 hashes and grouped in families.
//!
//! A family starts at login and each refresh adds one token to it. Rotation is a single
//! conditional `UPDATE … WHERE used_at IS NULL`, so of two concurrent refreshes with the same
//! token exactly one wins on both backends; the loser is treated as reuse.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::store::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub family_id: Uuid,
    pub realm: String,
    pub subject_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    token_hash: &str,
    family_id: Uuid,
    realm: &str,
    subject_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO refresh_tokens (id, token_hash, family_id, realm, subject_id, issued_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_db!(db, pool => sqlx::query(sql)
        .bind(Uuid::now_v7())
        .bind(token_hash)
        .bind(family_id)
        .bind(realm)
        .bind(subject_id)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn by_hash(db: &Db, token_hash: &str) -> Result<Option<RefreshTokenRow>, sqlx::Error> {
    let sql = "SELECT id, family_id, realm, subject_id, expires_at, used_at, revoked_at \
               FROM refresh_tokens WHERE token_hash = $1";
    on_db!(db, pool => sqlx::query_as::<_, RefreshTokenRow>(sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await)
}

/// Marks a token used. False when it was already used: the caller must treat that as reuse.
#[tracing::instrument(skip_all)]
pub async fn mark_used(db: &Db, id: Uuid) -> Result<bool, sqlx::Error> {
    let sql = "UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL";
    let n = on_db!(db, pool => sqlx::query(sql).bind(id).bind(Utc::now()).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// Revokes every token of a family.
#[tracing::instrument(skip_all)]
pub async fn revoke_family(db: &Db, family_id: Uuid) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";
    Ok(on_db!(db, pool => sqlx::query(sql).bind(family_id).bind(Utc::now()).execute(pool).await?.rows_affected()))
}

/// Deletes tokens that expired more than a day ago (their families can't be used anyway).
#[tracing::instrument(skip_all)]
pub async fn purge_expired(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM refresh_tokens WHERE expires_at < $1";
    Ok(on_db!(db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
}
