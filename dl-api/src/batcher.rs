//! Per-model scheduling: a bounded queue in front of N runners (one ONNX Runtime
//! session each), with dynamic batching.
//!
//! `submit` never waits for room: when the queue is full the caller gets
//! `DlError::Overloaded` at once (503 + Retry-After), so memory stays bounded however
//! hard clients push. Each runner takes the oldest job, then keeps collecting jobs
//! until the batch holds `max_batch` rows or `max_delay` has passed since the first
//! one arrived, runs them as one tensor on a blocking thread, and hands each caller
//! its own rows back. Only one runner collects at a time (the receiver is behind a
//! lock), so batches fill instead of being split between idle runners.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ort::session::Session;
use tokio::sync::{mpsc, oneshot};

use crate::error::DlError;
use crate::metrics::ModelMetrics;

/// A model's batched forward pass.
pub trait Backend: Send + Sync + 'static {
    /// One caller's input (one or more rows).
    type Input: Send + 'static;
    /// One caller's output.
    type Output: Send + 'static;
    fn rows(input: &Self::Input) -> usize;
    /// Runs all inputs as one batch; returns one output per input, in order.
    fn run(&self, session: &mut Session, inputs: Vec<Self::Input>) -> Result<Vec<Self::Output>, DlError>;
}

#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy {
    pub concurrency: usize,
    pub queue_capacity: usize,
    pub max_batch: usize,
    /// Zero turns batching off: every job runs alone.
    pub max_delay: Duration,
}

struct Job<B: Backend> {
    input: B::Input,
    enqueued: Instant,
    reply: oneshot::Sender<Result<B::Output, DlError>>,
}

pub struct Batcher<B: Backend> {
    name: String,
    tx: mpsc::Sender<Job<B>>,
    metrics: ModelMetrics,
    retry_after: Duration,
}

impl<B: Backend> Batcher<B> {
    /// Starts one runner per session.
    pub fn start(
        name: &str,
        backend: Arc<B>,
        sessions: Vec<Session>,
        policy: BatchPolicy,
        metrics: ModelMetrics,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Job<B>>(policy.queue_capacity.max(1));
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for session in sessions {
            let runner = Runner {
                backend: backend.clone(),
                session: Arc::new(Mutex::new(session)),
                rx: rx.clone(),
                policy,
                metrics: metrics.clone(),
            };
            tokio::spawn(runner.run());
        }
        Self { name: name.to_string(), tx, metrics, retry_after: Duration::from_secs(1) }
    }

    /// Queues `input` and waits for its result; refuses at once when the queue is full.
    pub async fn infer(&self, input: B::Input) -> Result<B::Output, DlError> {
        let (reply, rx) = oneshot::channel();
        let job = Job { input, enqueued: Instant::now(), reply };
        match self.tx.try_send(job) {
            Ok(()) => self.metrics.queue_depth.inc(),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.metrics.rejected.inc();
                return Err(DlError::Overloaded { model: self.name.clone(), retry_after: self.retry_after });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                return Err(DlError::ModelNotReady(self.name.clone()));
            }
        };
        rx.await.map_err(|_| DlError::Internal("inference runner stopped".into()))?
    }
}

struct Runner<B: Backend> {
    backend: Arc<B>,
    session: Arc<Mutex<Session>>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Job<B>>>>,
    policy: BatchPolicy,
    metrics: ModelMetrics,
}

impl<B: Backend> Runner<B> {
    async fn run(self) {
        while let Some(batch) = self.collect().await {
            self.metrics.queue_depth.dec_by(batch.len() as i64);
            let rows: usize = batch.iter().map(|j| B::rows(&j.input)).sum();
            self.metrics.batch_rows.observe(rows as f64);
            let now = Instant::now();
            for job in &batch {
                self.metrics.queue_wait.observe(now.duration_since(job.enqueued).as_secs_f64());
            }
            let (inputs, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|j| (j.input, j.reply)).unzip();
            let backend = self.backend.clone();
            let session = self.session.clone();
            self.metrics.in_flight.inc();
            let started = Instant::now();
            let result = tokio::task::spawn_blocking(move || {
                let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
                backend.run(&mut session, inputs)
            })
            .await
            .unwrap_or_else(|e| Err(DlError::Inference(format!("inference task panicked: {e}"))));
            self.metrics.in_flight.dec();
            self.metrics.inference_seconds.observe(started.elapsed().as_secs_f64());
            match result {
                Ok(outputs) => {
                    for (reply, output) in replies.into_iter().zip(outputs) {
                        let _ = reply.send(Ok(output));
                    }
                }
                Err(e) => {
                    self.metrics.failures.inc();
                    let message = e.to_string();
                    for reply in replies {
                        let _ = reply.send(Err(DlError::Inference(message.clone())));
                    }
                }
            }
        }
    }

    /// The next batch: the oldest job plus whatever arrives within the delay, up to
    /// `max_batch` rows. `None` once the queue is closed and drained.
    async fn collect(&self) -> Option<Vec<Job<B>>> {
        let mut rx = self.rx.lock().await;
        let first = rx.recv().await?;
        let mut rows = B::rows(&first.input);
        let mut batch = vec![first];
        if self.policy.max_delay.is_zero() {
            return Some(batch);
        }
        let deadline = tokio::time::Instant::now() + self.policy.max_delay;
        while rows < self.policy.max_batch {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(job)) => {
                    rows += B::rows(&job.input);
                    batch.push(job);
                }
                _ => break,
            }
        }
        Some(batch)
    }
}
