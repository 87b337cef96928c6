//! The photo-analysis worker: claims queued jobs, sends each photo to dl-api, and
//! stores the category suggestion, labels, colours, style and embedding.
//!
//! dl-api being down never touches uploads (they only queue a job); here it means a
//! retry with exponential back-off (`ML_BACKOFF_MS` doubling, at most 5 minutes) until
//! `ML_MAX_ATTEMPTS`. An image dl-api refuses (4xx) fails at once — retrying can't help.
//! Several instances may run workers: claims never overlap (see `store::analysis_jobs`).

use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use crate::catalogue::store::{categories, images};
use crate::platform::metrics::Metrics;
use crate::recommendations::client::MlError;
use crate::recommendations::store::analysis_jobs::{self, JobRow};
use crate::recommendations::store::embeddings;
use crate::recommendations::suggest::{self, top_level_slugs};
use crate::state::AppState;

/// Jobs claimed per round; dl-api batches concurrent requests.
const BATCH: i64 = 4;
/// A claim older than this belongs to a worker that died.
const STALE: Duration = Duration::from_secs(600);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[tracing::instrument(skip_all)]
pub async fn run(state: AppState) {
    let reload_every = Duration::from_secs(state.config.ml_index_reload_secs.max(1));
    let mut last_reload = Instant::now();
    let mut last_requeue = Instant::now() - STALE;
    let worker_id = format!("crud-api-{}", Uuid::now_v7().simple());
    let enabled = state.dl.is_some() && state.config.ml_worker;
    if enabled {
        tracing::info!(worker = %worker_id, "photo-analysis worker started");
    }
    loop {
        if last_reload.elapsed() >= reload_every {
            match state.index.reload(&state.db).await {
                Ok(n) => {
                    state.metrics.ml_indexed.set(n as i64);
                }
                Err(e) => tracing::warn!(error = %e, "embedding index reload failed"),
            }
            last_reload = Instant::now();
        }
        let idle = Duration::from_millis(state.config.ml_poll_ms.max(10));
        if !enabled {
            tokio::time::sleep(reload_every).await;
            continue;
        }
        if last_requeue.elapsed() >= Duration::from_secs(60) {
            let before = chrono::Utc::now() - chrono::Duration::from_std(STALE).expect("small duration");
            if let Err(e) = analysis_jobs::requeue_stale(&state.db, before).await {
                tracing::warn!(error = %e, "requeueing stale analysis jobs failed");
            }
            last_requeue = Instant::now();
        }
        let jobs = match analysis_jobs::claim(&state.db, &worker_id, BATCH).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "claiming analysis jobs failed");
                tokio::time::sleep(idle).await;
                continue;
            }
        };
        if jobs.is_empty() {
            tokio::time::sleep(idle).await;
            continue;
        }
        futures_util::future::join_all(jobs.into_iter().map(|job| process(&state, job))).await;
    }
}

/// Delay before retry number `attempts` (1-based): base × 2^(attempts−1), capped.
pub fn backoff(base_ms: u64, attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_millis(base_ms.saturating_mul(1u64 << exp)).min(MAX_BACKOFF)
}

#[tracing::instrument(skip_all, fields(job = %job.id, image = %job.image_id, attempt = job.attempts))]
async fn process(state: &AppState, job: JobRow) {
    let outcome = analyse(state, &job).await;
    let db = &state.db;
    let recorded = match &outcome {
        Ok(()) => {
            Metrics::reason(&state.metrics.ml_jobs, "done");
            Ok(())
        }
        Err(MlError::Rejected { .. }) => {
            Metrics::reason(&state.metrics.ml_jobs, "failed");
            tracing::warn!(error = %outcome.as_ref().unwrap_err(), "image refused by dl-api; job failed");
            analysis_jobs::fail(db, job.id, &outcome.as_ref().unwrap_err().to_string(), 0, chrono::Utc::now()).await
        }
        Err(e) => {
            let last = job.attempts >= state.config.ml_max_attempts;
            Metrics::reason(&state.metrics.ml_jobs, if last { "failed" } else { "retry" });
            let wait = backoff(state.config.ml_backoff_ms, job.attempts);
            tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, last, "photo analysis failed");
            let at = chrono::Utc::now() + chrono::Duration::from_std(wait).expect("bounded back-off");
            analysis_jobs::fail(db, job.id, &e.to_string(), state.config.ml_max_attempts, at).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "recording the analysis outcome failed; the job will be requeued when stale");
    }
}

async fn analyse(state: &AppState, job: &JobRow) -> Result<(), MlError> {
    let dl = state.dl.as_ref().ok_or(MlError::NotConfigured)?;
    let db_err = |e: sqlx::Error| MlError::Unavailable(format!("database: {e}"));
    let Some(image) = images::by_id(&state.db, job.image_id).await.map_err(db_err)? else {
        // The image (and with it the job) was deleted meanwhile.
        return Ok(());
    };
    let path = state
        .images
        .path_of(&image.image_key)
        .ok_or(MlError::Rejected { status: 400, detail: format!("invalid image key {}", image.image_key) })?;
    let bytes =
        tokio::fs::read(&path).await.map_err(|e| MlError::Unavailable(format!("reading {}: {e}", image.image_key)))?;
    let analysis = dl.analyze(bytes, &image.content_type).await?;
    embeddings::put(&state.db, image.id, image.product_id, &analysis.model, &analysis.embedding)
        .await
        .map_err(db_err)?;
    let slugs = top_level_slugs(&categories::all(&state.db).await.map_err(db_err)?);
    let neighbours = state.index.nearest(&analysis.embedding, suggest::K, |e| e.product_id != image.product_id);
    let suggestion = suggest::suggest(&analysis, &neighbours, &slugs);
    let style = state.index.style_of(&analysis.embedding);
    let result = json!({
        "model": analysis.model,
        "category": suggestion,
        "categories": analysis.categories,
        "furniture_probability": analysis.furniture_probability,
        "labels": analysis.labels,
        "colours": analysis.colours,
        "style": style.map(|(label, similarity)| json!({ "label": label, "similarity": similarity })),
    });
    // Index first, then say "done": a client that sees the analysis done finds the photo in
    // similar items and style matches on this replica (the other way round, a test under load
    // saw "done" with the index one short).
    state.index.refresh_product(&state.db, image.product_id).await.map_err(db_err)?;
    state.metrics.ml_indexed.set(state.index.len() as i64);
    analysis_jobs::complete(&state.db, job.id, &result.to_string()).await.map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1000, 1), Duration::from_secs(1));
        assert_eq!(backoff(1000, 2), Duration::from_secs(2));
        assert_eq!(backoff(1000, 4), Duration::from_secs(8));
        assert_eq!(backoff(1000, 30), MAX_BACKOFF);
        assert_eq!(backoff(1000, 0), Duration::from_secs(1));
    }
}
