//! Refresh tokens, stored only as SHA-256 hashes and grouped in families.
//!
//! A family starts at login and each refresh adds one token to it. A family has a row of its
//! own, and every change to a family — a rotation, a reuse revocation, a logout — happens in
//! one write transaction that first locks that row (`UPDATE … WHERE revoked_at IS NULL`: a row
//! lock on PostgreSQL, the database write lock under `BEGIN IMMEDIATE` on SQLite) and then
//! rechecks revocation. So two presentations of one token are serialised: one rotates, the
//! other sees the token used, and its revocation covers the winner's new token too — on any
//! number of instances sharing the database.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::begin_write;
use crate::on_db;
use crate::platform::db::Db;

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

/// A token to store: its hash and when it expires.
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The presented token is now used and the new one is stored.
    Rotated,
    /// The presented token had been used already: the family is now revoked.
    Reused,
    /// The family was revoked before this rotation could take it.
    Revoked,
}

const INSERT_TOKEN: &str = "INSERT INTO refresh_tokens \
     (id, token_hash, family_id, realm, subject_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// Starts a family (at login) with its first token.
#[tracing::instrument(skip_all)]
pub async fn start_family(db: &Db, realm: &str, subject_id: Uuid, token: &NewToken<'_>) -> Result<Uuid, sqlx::Error> {
    let family_id = Uuid::now_v7();
    let now = Utc::now();
    let family = "INSERT INTO refresh_families (id, realm, subject_id, created_at) VALUES ($1, $2, $3, $4)";
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        sqlx::query(family).bind(family_id).bind(realm).bind(subject_id).bind(now).execute(&mut *tx).await?;
        sqlx::query(INSERT_TOKEN)
            .bind(Uuid::now_v7())
            .bind(token.hash)
            .bind(family_id)
            .bind(realm)
            .bind(subject_id)
            .bind(now)
            .bind(token.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(family_id)
    })
}

#[tracing::instrument(skip_all)]
pub async fn by_hash(db: &Db, token_hash: &str) -> Result<Option<RefreshTokenRow>, sqlx::Error> {
    let sql = "SELECT id, family_id, realm, subject_id, expires_at, used_at, revoked_at \
               FROM refresh_tokens WHERE token_hash = $1";
    on_db!(db, |pool| sqlx::query_as::<_, RefreshTokenRow>(sql).bind(token_hash).fetch_optional(pool).await)
}

/// Locks the family row for the rest of the transaction; false when it is revoked (or gone).
const LOCK_FAMILY: &str = "UPDATE refresh_families SET last_used_at = $2 WHERE id = $1 AND revoked_at IS NULL";
const REVOKE_FAMILY: &str = "UPDATE refresh_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
const REVOKE_TOKENS: &str = "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL";

/// Uses `old` and adds `new` to its family, atomically: the family is locked, its revocation
/// rechecked, and the old token marked used only if it was unused — else the family is revoked
/// in the same transaction.
#[tracing::instrument(skip_all, fields(family = %old.family_id))]
pub async fn rotate(db: &Db, old: &RefreshTokenRow, new: &NewToken<'_>) -> Result<Rotation, sqlx::Error> {
    let now = Utc::now();
    let mark_used = "UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL";
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        let locked = sqlx::query(LOCK_FAMILY).bind(old.family_id).bind(now).execute(&mut *tx).await?.rows_affected();
        if locked == 0 {
            tx.rollback().await?;
            return Ok(Rotation::Revoked);
        }
        let used = sqlx::query(mark_used).bind(old.id).bind(now).execute(&mut *tx).await?.rows_affected();
        if used == 0 {
            sqlx::query(REVOKE_FAMILY).bind(old.family_id).bind(now).execute(&mut *tx).await?;
            sqlx::query(REVOKE_TOKENS).bind(old.family_id).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            return Ok(Rotation::Reused);
        }
        sqlx::query(INSERT_TOKEN)
            .bind(Uuid::now_v7())
            .bind(new.hash)
            .bind(old.family_id)
            .bind(&old.realm)
            .bind(old.subject_id)
            .bind(now)
            .bind(new.expires_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated)
    })
}

/// Revokes a family and every token in it (reuse, logout). Returns the tokens revoked.
#[tracing::instrument(skip_all)]
pub async fn revoke_family(db: &Db, family_id: Uuid) -> Result<u64, sqlx::Error> {
    let now = Utc::now();
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        sqlx::query(REVOKE_FAMILY).bind(family_id).bind(now).execute(&mut *tx).await?;
        let n = sqlx::query(REVOKE_TOKENS).bind(family_id).bind(now).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    })
}

/// Revokes every session of one account (an account taken back from whoever set its
/// password). Returns the tokens revoked.
#[tracing::instrument(skip_all)]
pub async fn revoke_subject(db: &Db, realm: &str, subject_id: Uuid) -> Result<u64, sqlx::Error> {
    let now = Utc::now();
    let families = "UPDATE refresh_families SET revoked_at = $3 WHERE revoked_at IS NULL AND id IN \
                    (SELECT family_id FROM refresh_tokens WHERE realm = $1 AND subject_id = $2)";
    let tokens =
        "UPDATE refresh_tokens SET revoked_at = $3 WHERE realm = $1 AND subject_id = $2 AND revoked_at IS NULL";
    on_db!(db, |pool| {
        let mut tx = begin_write!(db, pool);
        sqlx::query(families).bind(realm).bind(subject_id).bind(now).execute(&mut *tx).await?;
        let n = sqlx::query(tokens).bind(realm).bind(subject_id).bind(now).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    })
}

/// Deletes tokens that expired before `before` (their families can't be used anyway), then
/// families left with no tokens.
#[tracing::instrument(skip_all)]
pub async fn purge_expired(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let tokens = "DELETE FROM refresh_tokens WHERE expires_at < $1";
    let families = "DELETE FROM refresh_families WHERE created_at < $1 \
                    AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = refresh_families.id)";
    on_db!(db, |pool| {
        let n = sqlx::query(tokens).bind(before).execute(pool).await?.rows_affected();
        sqlx::query(families).bind(before).execute(pool).await?;
        Ok(n)
    })
}
