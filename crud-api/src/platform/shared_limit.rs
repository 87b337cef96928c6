//! Rate limits that hold across replicas: a token bucket per key in the database, refilled,
//! taken from and read in one statement (so concurrent attempts on any replicas serialise on
//! the row). For the limits that guard secrets — sign-in attempts per account, delivery-code
//! guesses per order — where each replica counting alone multiplied the allowance by the
//! replica count (15 code guesses instead of 5 with three replicas). Per-IP flood limits stay
//! in-process (`ratelimit`): a database write per request would cost more than the flood.
//! Same arithmetic as the in-process buckets: a refused attempt takes nothing.

use std::time::Duration;

use crate::on_db;
use crate::platform::db::Db;

pub struct SharedLimiter {
    db: Db,
    capacity: f64,
    per_sec: f64,
}

/// The bucket after refilling since `updated_at` ($3: now, $2: capacity, $4: tokens per second).
const REFILLED: &str = "(CASE WHEN b.tokens + ($3 - b.updated_at) * $4 > $2 THEN $2 \
                        ELSE b.tokens + ($3 - b.updated_at) * $4 END)";

impl SharedLimiter {
    /// `capacity` attempts per `window`; 0 disables the limiter.
    pub fn new(db: Db, capacity: u32, window: Duration) -> Self {
        Self { db, capacity: capacity as f64, per_sec: capacity as f64 / window.as_secs_f64() }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub async fn check(&self, key: &str) -> Result<Result<(), Duration>, sqlx::Error> {
        if self.capacity == 0.0 {
            return Ok(Ok(()));
        }
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        let sql = format!(
            "INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at, granted) VALUES ($1, $2 - 1, $3, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               tokens = CASE WHEN {REFILLED} >= 1 THEN {REFILLED} - 1 ELSE {REFILLED} END, \
               granted = CASE WHEN {REFILLED} >= 1 THEN 1 ELSE 0 END, \
               updated_at = $3 \
             RETURNING tokens, granted"
        );
        let (tokens, granted): (f64, i32) = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(key)
            .bind(self.capacity)
            .bind(now)
            .bind(self.per_sec)
            .fetch_one(pool)
            .await)?;
        if granted == 1 {
            Ok(Ok(()))
        } else {
            Ok(Err(Duration::from_secs_f64(((1.0 - tokens) / self.per_sec).max(0.001))))
        }
    }
}

/// Drops buckets untouched since `before` (full again by then, so dropping changes nothing).
pub async fn purge(db: &Db, before: chrono::DateTime<chrono::Utc>) -> Result<u64, sqlx::Error> {
    let sql = "DELETE FROM rate_limit_buckets WHERE updated_at < $1";
    let before = before.timestamp() as f64;
    on_db!(db, |pool| Ok(sqlx::query(sql).bind(before).execute(pool).await?.rows_affected()))
}
