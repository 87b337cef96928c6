//! The photo-analysis worker: claims queued jobs, sends each photo to dl-api, and
//! stores the category suggestion, labels, colours, style and embedding.
//!
//! dl-api being down never touches uploads (they only queue a job); here it means a
//! retry with exponential back-off (`ML_BACKOFF_MS` doubling, at most 5 minutes) until
//! `ML_MAX_ATTEMPTS`. An image dl-api refuses as such (400, 413, 415, 422) fails at once —
//! retrying can't help; any other refusal (a model not served, a wrong key) is retried.
//! Several instances may run workers: claims never overlap (see `store::analysis_jobs`).

use std::time::{Duration, Instant};
use uuid::Uuid;

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::catalogue::media::image_store::ImageStore;
use crate::catalogue::store::{categories, images};
use crate::ml::client::{DlClient, MlError};
use crate::platform::config::Config;
use crate::platform::db::Db;
use crate::platform::metrics::{Metrics, ReasonLabels};
use crate::recommendations::catalogue_training;
use crate::recommendations::findings::{Findings, StyleGuess};
use crate::recommendations::index::EmbeddingIndex;
use crate::recommendations::store::analysis_jobs::{self, JobRow};
use crate::recommendations::store::embeddings;
use crate::recommendations::suggest::{self, top_level_slugs};

/// Jobs claimed per round; dl-api batches concurrent requests.
const BATCH: i64 = 4;
/// A claim older than this belongs to a worker that died.
const STALE: Duration = Duration::from_secs(600);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The catalogue head is retrained at most this often (while photos stream in, the
/// catalogue keeps "growing"; and a shop below the minimum keeps being due).
const TRAIN_AT_MOST_EVERY: Duration = Duration::from_secs(30);

/// The worker's knobs, from the `ML_*` settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `ML_WORKER`: off leaves analysis to other replicas (the index still reloads).
    pub enabled: bool,
    pub poll_ms: u64,
    pub backoff_ms: u64,
    pub max_attempts: i32,
    pub index_reload_secs: u64,
}

impl Settings {
    pub fn from_config(c: &Config) -> Self {
        Self {
            enabled: c.ml_worker,
            poll_ms: c.ml_poll_ms,
            backoff_ms: c.ml_backoff_ms,
            max_attempts: c.ml_max_attempts,
            index_reload_secs: c.ml_index_reload_secs,
        }
    }
}

/// How long photo analysis pauses when dl-api answers that its models are still loading.
const NOT_READY_WAIT: Duration = Duration::from_secs(2);

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Processed {
    Recorded,
    /// Put back, its attempt returned: dl-api is still loading.
    DlNotReady,
}

/// The worker and what it needs: the database, dl-api, the photo files, the embedding index
/// it keeps current, and its two metrics.
pub struct Worker {
    pub db: Db,
    pub dl: Option<DlClient>,
    pub images: ImageStore,
    pub index: Arc<EmbeddingIndex>,
    pub settings: Settings,
    /// `ml_jobs` by outcome.
    pub jobs: Family<ReasonLabels, Counter>,
    /// `ml_index_products`.
    pub indexed: Gauge,
}

impl Worker {
    #[tracing::instrument(skip_all)]
    pub async fn run(self) {
        let reload_every = Duration::from_secs(self.settings.index_reload_secs.max(1));
        let mut last_reload = Instant::now();
        let mut last_requeue = Instant::now() - STALE;
        let mut last_training = Instant::now();
        let worker_id = format!("crud-api-{}", Uuid::now_v7().simple());
        let enabled = self.dl.is_some() && self.settings.enabled;
        let mut waiting_for_dl = false;
        if enabled {
            tracing::info!(worker = %worker_id, "photo-analysis worker started");
        }
        loop {
            if last_reload.elapsed() >= reload_every {
                match self.index.reload(&self.db).await {
                    Ok(n) => {
                        self.indexed.set(n as i64);
                    }
                    Err(e) => tracing::warn!(error = %e, "embedding index reload failed"),
                }
                last_reload = Instant::now();
            }
            if last_training.elapsed() >= TRAIN_AT_MOST_EVERY && self.index.catalogue_head_due() {
                if let Err(e) = catalogue_training::retrain(&self.db, &self.index).await {
                    tracing::warn!(error = %e, "training the catalogue category head failed");
                }
                last_training = Instant::now();
            }
            let idle = Duration::from_millis(self.settings.poll_ms.max(10));
            if !enabled {
                tokio::time::sleep(reload_every).await;
                continue;
            }
            if last_requeue.elapsed() >= Duration::from_secs(60) {
                let before = chrono::Utc::now() - chrono::Duration::from_std(STALE).expect("small duration");
                if let Err(e) = analysis_jobs::requeue_stale(&self.db, before).await {
                    tracing::warn!(error = %e, "requeueing stale analysis jobs failed");
                }
                last_requeue = Instant::now();
            }
            let jobs = match analysis_jobs::claim(&self.db, &worker_id, BATCH).await {
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
            let waited = futures_util::future::join_all(jobs.into_iter().map(|job| self.process(job))).await;
            if waited.contains(&Processed::DlNotReady) {
                // Told once per wait, at INFO: on a first start dl-api warms its models while
                // crud-api seeds photos, and that is no failure (it logged 31 ERRORs).
                if !waiting_for_dl {
                    tracing::info!("dl-api is still loading its models; photo analysis waits for it");
                    waiting_for_dl = true;
                }
                tokio::time::sleep(NOT_READY_WAIT).await;
            } else if waiting_for_dl {
                tracing::info!("dl-api is ready; photo analysis goes on");
                waiting_for_dl = false;
            }
        }
    }

    #[tracing::instrument(skip_all, fields(job = %job.id, image = %job.image_id, attempt = job.attempts))]
    async fn process(&self, job: JobRow) -> Processed {
        let outcome = self.analyse(&job).await;
        let db = &self.db;
        let mut processed = Processed::Recorded;
        let recorded = match &outcome {
            Ok(()) => {
                Metrics::reason(&self.jobs, "done");
                Ok(())
            }
            Err(MlError::NotReady) => {
                Metrics::reason(&self.jobs, "waiting");
                processed = Processed::DlNotReady;
                let at = chrono::Utc::now() + chrono::Duration::from_std(NOT_READY_WAIT).expect("small duration");
                analysis_jobs::postpone(db, job.id, at).await
            }
            Err(MlError::Rejected { .. }) => {
                Metrics::reason(&self.jobs, "failed");
                tracing::warn!(error = %outcome.as_ref().unwrap_err(), "image refused by dl-api; job failed");
                analysis_jobs::fail(db, job.id, &outcome.as_ref().unwrap_err().to_string(), 0, chrono::Utc::now()).await
            }
            Err(e) => {
                let last = job.attempts >= self.settings.max_attempts;
                Metrics::reason(&self.jobs, if last { "failed" } else { "retry" });
                let wait = backoff(self.settings.backoff_ms, job.attempts);
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, last, "photo analysis failed");
                let at = chrono::Utc::now() + chrono::Duration::from_std(wait).expect("bounded back-off");
                analysis_jobs::fail(db, job.id, &e.to_string(), self.settings.max_attempts, at).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "recording the analysis outcome failed; the job will be requeued when stale");
        }
        processed
    }

    async fn analyse(&self, job: &JobRow) -> Result<(), MlError> {
        let dl = self.dl.as_ref().ok_or(MlError::NotConfigured)?;
        let db_err = |e: sqlx::Error| MlError::Unavailable(format!("database: {e}"));
        let Some(image) = images::by_id(&self.db, job.image_id).await.map_err(db_err)? else {
            // The image (and with it the job) was deleted meanwhile.
            return Ok(());
        };
        let bytes = self
            .images
            .get(&image.image_key)
            .await
            .map_err(|e| MlError::Unavailable(format!("reading {}: {e}", image.image_key)))?
            .ok_or(MlError::Unavailable(format!("{} is not in the image store (yet)", image.image_key)))?;
        let analysis = dl.analyze(bytes, &image.content_type).await?;
        embeddings::put(&self.db, image.id, image.product_id, &analysis.model, &analysis.embedding)
            .await
            .map_err(db_err)?;
        let slugs = top_level_slugs(&categories::all(&self.db).await.map_err(db_err)?);
        let neighbours = self.index.nearest(&analysis.embedding, suggest::K, |e| e.product_id != image.product_id);
        let suggestion = suggest::suggest(&analysis, &neighbours, &slugs, self.index.catalogue_head().as_deref());
        let style = self.index.style_of(&analysis.embedding);
        let result = serde_json::to_value(Findings {
            model: analysis.model.clone(),
            category: suggestion,
            categories: analysis.categories.clone(),
            probabilities: analysis.probabilities.clone(),
            furniture_probability: analysis.furniture_probability,
            labels: analysis.labels.clone(),
            colours: analysis.colours.clone(),
            style: style.map(|(label, similarity)| StyleGuess { label, similarity }),
        })
        .map_err(|e| MlError::Unavailable(format!("findings: {e}")))?;
        // Index first, then say "done": a client that sees the analysis done finds the photo in
        // similar items and style matches on this replica (the other way round, a test under load
        // saw "done" with the index one short).
        self.index.refresh_product(&self.db, image.product_id).await.map_err(db_err)?;
        self.indexed.set(self.index.len() as i64);
        analysis_jobs::complete(&self.db, job.id, &result.to_string()).await.map_err(db_err)?;
        Ok(())
    }
}

/// Delay before retry number `attempts` (1-based): base × 2^(attempts−1), capped.
pub fn backoff(base_ms: u64, attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_millis(base_ms.saturating_mul(1u64 << exp)).min(MAX_BACKOFF)
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
