//! The image-analysis job queue. Workers (`ml::worker`) claim jobs in batches; on PostgreSQL
//! concurrent claimers skip each other's rows (`FOR UPDATE SKIP LOCKED`), on SQLite the
//! single-writer lock makes the claim atomic.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::on_db;
use crate::platform::db::Db;
use crate::recommendations::analysis_status::AnalysisStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub image_id: Uuid,
    pub status: AnalysisStatus,
    pub attempts: i32,
    pub claimed_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub result: Option<String>,
    pub error: Option<String>,
}

const COLUMNS: &str = "id, image_id, status, attempts, claimed_by, created_at, result, error";

/// Claims up to `limit` pending jobs whose back-off has passed for `worker`, oldest first.
#[tracing::instrument(skip(db))]
pub async fn claim(db: &Db, worker: &str, limit: i64) -> Result<Vec<JobRow>, sqlx::Error> {
    let lock = match db {
        Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        Db::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE image_analysis_jobs SET status = 'running', claimed_by = $1, claimed_at = $2, \
         attempts = attempts + 1, updated_at = $2 \
         WHERE id IN (SELECT id FROM image_analysis_jobs WHERE status = 'pending' \
         AND (run_after IS NULL OR run_after <= $4) ORDER BY created_at, id LIMIT $3 {lock}) \
         RETURNING {COLUMNS}"
    );
    on_db!(db, |pool| sqlx::query_as::<_, JobRow>(&sql)
        .bind(worker)
        .bind(Utc::now())
        .bind(limit)
        .bind(Utc::now().timestamp_millis())
        .fetch_all(pool)
        .await)
}

/// Records a finished job's result (JSON).
#[tracing::instrument(skip_all)]
pub async fn complete(db: &Db, id: Uuid, result: &str) -> Result<(), sqlx::Error> {
    let sql =
        "UPDATE image_analysis_jobs SET status = 'done', result = $2, error = NULL, updated_at = $3 WHERE id = $1";
    on_db!(db, |pool| sqlx::query(sql).bind(id).bind(result).bind(Utc::now()).execute(pool).await.map(|_| ()))
}

/// Puts a claimed job back, not before `retry_at`, without spending the attempt its claim
/// took: the service wasn't ready to look at the photo, the photo didn't fail.
#[tracing::instrument(skip_all)]
pub async fn postpone(db: &Db, id: Uuid, retry_at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let sql = "UPDATE image_analysis_jobs SET status = 'pending', claimed_by = NULL, run_after = $2, \
               attempts = attempts - 1, updated_at = $3 WHERE id = $1 AND status = 'running'";
    // `run_after` is epoch milliseconds, as `fail` writes it and `claim` reads it.
    on_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(retry_at.timestamp_millis())
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Records a failure: back to pending (not before `retry_at`) while attempts remain, failed
/// after `max_attempts`.
#[tracing::instrument(skip_all)]
pub async fn fail(
    db: &Db,
    id: Uuid,
    error: &str,
    max_attempts: i32,
    retry_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let sql = "UPDATE image_analysis_jobs SET error = $2, updated_at = $3, claimed_by = NULL, run_after = $5, \
               status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'pending' END WHERE id = $1";
    on_db!(db, |pool| sqlx::query(sql)
        .bind(id)
        .bind(error)
        .bind(Utc::now())
        .bind(max_attempts)
        .bind(retry_at.timestamp_millis())
        .execute(pool)
        .await
        .map(|_| ()))
}

/// Returns jobs whose worker vanished (claimed before `stale_before`) to the queue.
#[tracing::instrument(skip_all)]
pub async fn requeue_stale(db: &Db, stale_before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE image_analysis_jobs SET status = 'pending', claimed_by = NULL, updated_at = $2 \
               WHERE status = 'running' AND claimed_at < $1";
    Ok(on_db!(db, |pool| sqlx::query(sql).bind(stale_before).bind(Utc::now()).execute(pool).await?.rows_affected()))
}

#[tracing::instrument(skip_all)]
pub async fn for_image(db: &Db, image_id: Uuid) -> Result<Option<JobRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM image_analysis_jobs WHERE image_id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, JobRow>(&sql).bind(image_id).fetch_optional(pool).await)
}
