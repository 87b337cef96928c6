//! The sandbox gateway's records: what it captured and cancelled, per payment key. In the
//! database, so every replica is the same gateway.

use chrono::Utc;
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Capture {
    pub payment_key: String,
    pub order_id: Uuid,
    pub amount: i64,
    pub cancelled: i64,
    pub method: String,
}

/// Records a capture; false when the key was captured before.
#[tracing::instrument(skip_all)]
pub async fn capture(db: &Db, key: &str, order_id: Uuid, amount: i64, method: &str) -> Result<bool, sqlx::Error> {
    let sql = "INSERT INTO sandbox_captures (payment_key, order_id, amount, cancelled, method, created_at) \
               VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (payment_key) DO NOTHING";
    let n = on_db!(db, |pool| sqlx::query(sql)
        .bind(key)
        .bind(order_id)
        .bind(amount)
        .bind(method)
        .bind(Utc::now())
        .execute(pool)
        .await?
        .rows_affected());
    Ok(n == 1)
}

#[tracing::instrument(skip_all)]
pub async fn get(db: &Db, key: &str) -> Result<Option<Capture>, sqlx::Error> {
    let sql = "SELECT payment_key, order_id, amount, cancelled, method FROM sandbox_captures WHERE payment_key = $1";
    on_db!(db, |pool| sqlx::query_as::<_, Capture>(sql).bind(key).fetch_optional(pool).await)
}

/// Cancels `amount` more of a capture; false when that would exceed what was captured.
#[tracing::instrument(skip_all)]
pub async fn cancel(db: &Db, key: &str, amount: i64) -> Result<bool, sqlx::Error> {
    let sql =
        "UPDATE sandbox_captures SET cancelled = cancelled + $2 WHERE payment_key = $1 AND cancelled + $2 <= amount";
    let n = on_db!(db, |pool| sqlx::query(sql).bind(key).bind(amount).execute(pool).await?.rows_affected());
    Ok(n == 1)
}

/// How many captures there are (tests check "exactly once").
#[tracing::instrument(skip_all)]
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    on_db!(db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM sandbox_captures").fetch_one(pool).await)
}
