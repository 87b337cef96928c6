//! Idempotency keys: per user, claimed with `INSERT … ON CONFLICT DO NOTHING`, the first
//! response saved and replayed for the same key and body.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::store::Db;

pub enum Claim {
    /// First use: go ahead, then `save` the response.
    New,
    /// Seen before with the same body and finished: replay this (status, body).
    Replay(u16, String),
    /// Seen before with the same body, still being processed.
    InProgress,
    /// Seen before with a different body.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    response_code: Option<i32>,
    response_body: Option<String>,
}

pub async fn claim(db: &Db, user_id: Uuid, key: &str, request_hash: &str) -> Result<Claim, sqlx::Error> {
    let insert = "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (user_id, idem_key) DO NOTHING";
    let inserted = on_db!(db, pool => sqlx::query(insert)
        .bind(user_id).bind(key).bind(request_hash).bind(Utc::now())
        .execute(pool).await?.rows_affected())
        == 1;
    if inserted {
        return Ok(Claim::New);
    }
    let select =
        "SELECT request_hash, response_code, response_body FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2";
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(select).bind(user_id).bind(key).fetch_optional(pool).await?);
    Ok(match row {
        None => Claim::InProgress, // released between our insert and select: let the client retry
        Some(r) if r.request_hash != request_hash => Claim::Mismatch,
        Some(Row { response_code: Some(code), response_body: Some(body), .. }) => Claim::Replay(code as u16, body),
        Some(_) => Claim::InProgress,
    })
}

pub async fn save(db: &Db, user_id: Uuid, key: &str, code: u16, body: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE idempotency_keys SET response_code = $3, response_body = $4 WHERE user_id = $1 AND idem_key = $2";
    on_db!(db, pool => sqlx::query(sql).bind(user_id).bind(key).bind(code as i32).bind(body).execute(pool).await.map(|_| ()))
}

/// Forgets a claim whose request failed unexpectedly, so a retry can run.
pub async fn release(db: &Db, user_id: Uuid, key: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND response_code IS NULL";
    on_db!(db, pool => sqlx::query(sql).bind(user_id).bind(key).execute(pool).await.map(|_| ()))
}

/// Drops keys older than `before` (kept at least 24 h).
pub async fn purge(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
    Ok(on_db!(db, pool => sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
}
