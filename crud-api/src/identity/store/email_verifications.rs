//! Email verification links in the database: only each token's SHA-256 is stored, and a token
//! is spent by one conditional UPDATE (of two replicas redeeming it at once, one wins).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[tracing::instrument(skip_all)]
pub async fn insert(
    db: &Db,
    token_hash: &str,
    user_id: Uuid,
    email: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO email_verifications (token_hash, user_id, email, created_at, expires_at) \
               VALUES ($1, $2, $3, $4, $5)";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(token_hash)
        .bind(user_id)
        .bind(email)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Spends the token: its (user, email) when it is known, unspent and unexpired.
#[tracing::instrument(skip_all)]
pub async fn spend(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let sql = "UPDATE email_verifications SET used_at = $2 \
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id, email";
    on_db!(db, |pool| sqlx::query_as::<_, (Uuid, String)>(sql).bind(token_hash).bind(now).fetch_optional(pool).await)
}

/// Every link of `user_id` stops working (the email was proven some other way).
#[tracing::instrument(skip_all)]
pub async fn spend_all(db: &Db, user_id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "UPDATE email_verifications SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL";
    on_db!(db, |pool| sqlx::query(sql).bind(user_id).bind(now).execute(pool).await.map(|_| ()))
}

#[tracing::instrument(skip_all)]
pub async fn purge_expired(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM email_verifications WHERE expires_at < $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
}
