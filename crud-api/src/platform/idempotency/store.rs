//! Idempotency keys: per user, claimed with `INSERT … ON CONFLICT DO NOTHING`, the first
//! response saved and replayed for the same key and body (the protocol is `crate::platform::idempotency`).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

pub enum Claim {
    /// First use, or a claim abandoned by a crash taken over: go ahead, then `save`.
    New,
    /// Seen before with the same body and finished: replay this (status, body).
    Replay(u16, String),
    /// The work committed (it created `resource_id`) but its answer was never saved.
    Completed(Uuid),
    /// Seen before with the same body, still being processed since `since`.
    InProgress { since: DateTime<Utc> },
    /// Seen before with a different body.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    response_code: Option<i32>,
    response_body: Option<String>,
    resource_id: Option<Uuid>,
    created_at: DateTime<Utc>,
}

/// Records, inside the work's own transaction, what it created (`$1` user, `$2` key, `$3` id).
pub const RECORD_RESOURCE: &str = "UPDATE idempotency_keys SET resource_id = $3 WHERE user_id = $1 AND idem_key = $2";

/// Claims `key` for `user_id`. A claim still in progress after `lease` was abandoned (its
/// process died before committing anything): the first caller to see that takes it over.
#[tracing::instrument(skip_all)]
pub async fn claim(
    db: &Db,
    user_id: Uuid,
    key: &str,
    request_hash: &str,
    lease: Duration,
) -> Result<Claim, sqlx::Error> {
    let now = Utc::now();
    let insert = "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                  ON CONFLICT (user_id, idem_key) DO NOTHING";
    let inserted = on_db!(db, |pool| sqlx::query(insert)
        .bind(user_id)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected())
        == 1;
    if inserted {
        return Ok(Claim::New);
    }
    let select = "SELECT request_hash, response_code, response_body, resource_id, created_at FROM idempotency_keys \
                  WHERE user_id = $1 AND idem_key = $2";
    let row = on_db!(db, |pool| sqlx::query_as::<_, Row>(select).bind(user_id).bind(key).fetch_optional(pool).await?);
    let Some(r) = row else {
        return Ok(Claim::InProgress { since: now }); // released between our insert and select: retry
    };
    if r.request_hash != request_hash {
        return Ok(Claim::Mismatch);
    }
    if let (Some(code), Some(body)) = (r.response_code, r.response_body) {
        return Ok(Claim::Replay(code as u16, body));
    }
    if let Some(id) = r.resource_id {
        return Ok(Claim::Completed(id));
    }
    if r.created_at + lease > now {
        return Ok(Claim::InProgress { since: r.created_at });
    }
    // Abandoned: take it over, unless another retry just did (it moved the claim time past
    // the lease, so this conditional update finds nothing).
    let take = "UPDATE idempotency_keys SET created_at = $4 WHERE user_id = $1 AND idem_key = $2 \
                AND response_code IS NULL AND resource_id IS NULL AND created_at <= $3";
    let taken = on_db!(db, |pool| sqlx::query(take)
        .bind(user_id)
        .bind(key)
        .bind(now - lease)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected())
        == 1;
    Ok(if taken { Claim::New } else { Claim::InProgress { since: now } })
}

#[tracing::instrument(skip_all)]
pub async fn save(db: &Db, user_id: Uuid, key: &str, code: u16, body: &str) -> Result<(), sqlx::Error> {
    let sql = "UPDATE idempotency_keys SET response_code = $3, response_body = $4 WHERE user_id = $1 AND idem_key = $2";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(user_id)
        .bind(key)
        .bind(code as i32)
        .bind(body)
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Forgets a claim whose request failed unexpectedly, so a retry can run.
#[tracing::instrument(skip_all)]
pub async fn release(db: &Db, user_id: Uuid, key: &str) -> Result<(), sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2 AND response_code IS NULL \
               AND resource_id IS NULL";
    on_db!(db, |pool| sqlx::query(sql).bind(user_id).bind(key).execute(pool).await.map(|_| ()))
}

/// Drops keys older than `before` (kept at least 24 h).
#[tracing::instrument(skip_all)]
pub async fn purge(db: &Db, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM idempotency_keys WHERE created_at < $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
}
