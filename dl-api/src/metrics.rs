//! Prometheus metrics (`dl_api_*`): HTTP requests by route template, and per model
//! the queue depth, runs in flight, batch sizes, queue wait, inference latency,
//! rejections and failures.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::provider::{ExecutionProvider, Placement};

fn provider_name(p: ExecutionProvider) -> String {
    match p {
        ExecutionProvider::Cpu => "cpu".into(),
        ExecutionProvider::Cuda => "cuda".into(),
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PlacementLabels {
    model: String,
    requested: String,
    provider: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds() -> Histogram {
    // 0.5 ms … ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

fn batch_sizes() -> Histogram {
    Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
}

/// One model's handles into the families below.
#[derive(Clone)]
pub struct ModelMetrics {
    pub queue_depth: Gauge,
    pub in_flight: Gauge,
    pub batch_rows: Histogram,
    pub queue_wait: Histogram,
    pub inference_seconds: Histogram,
    pub rejected: Counter,
    pub failures: Counter,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: Histograms<HttpLabels>,
    queue_depth: Family<ModelLabels, Gauge>,
    in_flight: Family<ModelLabels, Gauge>,
    batch_rows: Histograms<ModelLabels>,
    queue_wait: Histograms<ModelLabels>,
    inference: Histograms<ModelLabels>,
    rejected: Family<ModelLabels, Counter>,
    failures: Family<ModelLabels, Counter>,
    load_seconds: Family<ModelLabels, Gauge<f64, std::sync::atomic::AtomicU64>>,
    placement: Family<PlacementLabels, Gauge>,
    /// Each model's current placement labels, to drop them when a reload places it elsewhere.
    placed: std::sync::Mutex<std::collections::HashMap<String, PlacementLabels>>,
    provider_unavailable: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dl_api");
        let m = Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(seconds),
            queue_depth: Family::default(),
            in_flight: Family::default(),
            batch_rows: Family::new_with_constructor(batch_sizes),
            queue_wait: Family::new_with_constructor(seconds),
            inference: Family::new_with_constructor(seconds),
            rejected: Family::default(),
            failures: Family::default(),
            load_seconds: Family::default(),
            placement: Family::default(),
            placed: Default::default(),
            provider_unavailable: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("http_requests", "HTTP requests by route template and status", m.requests.clone());
        registry.register("http_request_duration_seconds", "HTTP latency by route template", m.latency.clone());
        registry.register("queue_depth", "Requests waiting for an inference run", m.queue_depth.clone());
        registry.register("inference_in_flight", "Inference runs executing now", m.in_flight.clone());
        registry.register("batch_rows", "Rows per inference run (dynamic batching)", m.batch_rows.clone());
        registry.register("queue_wait_seconds", "Time from enqueue to run start", m.queue_wait.clone());
        registry.register("inference_duration_seconds", "Inference run latency by model", m.inference.clone());
        registry.register("rejected", "Requests refused because the queue was full", m.rejected.clone());
        registry.register("inference_failures", "Inference runs that failed", m.failures.clone());
        registry.register("model_load_seconds", "Time to load and warm up each model", m.load_seconds.clone());
        registry.register(
            "model_execution_provider",
            "1 for the provider each model runs on and the one it was asked to run on (they differ only with DL_CPU_FALLBACK)",
            m.placement.clone(),
        );
        registry.register(
            "execution_provider_unavailable",
            "1 while the server is not ready because the requested execution provider (CUDA) cannot be had",
            m.provider_unavailable.clone(),
        );
        Self { registry, ..m }
    }

    pub fn model(&self, model: &str) -> ModelMetrics {
        let l = ModelLabels { model: model.to_string() };
        ModelMetrics {
            queue_depth: self.queue_depth.get_or_create(&l).clone(),
            in_flight: self.in_flight.get_or_create(&l).clone(),
            batch_rows: self.batch_rows.get_or_create(&l).clone(),
            queue_wait: self.queue_wait.get_or_create(&l).clone(),
            inference_seconds: self.inference.get_or_create(&l).clone(),
            rejected: self.rejected.get_or_create(&l).clone(),
            failures: self.failures.get_or_create(&l).clone(),
        }
    }

    pub fn loaded(&self, model: &str, seconds: f64, placement: &Placement) {
        self.load_seconds.get_or_create(&ModelLabels { model: model.to_string() }).set(seconds);
        let labels = PlacementLabels {
            model: model.to_string(),
            requested: provider_name(placement.requested),
            provider: provider_name(placement.provider),
        };
        let mut placed = self.placed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(before) = placed.insert(model.to_string(), labels.clone()) {
            if before != labels {
                self.placement.remove(&before);
            }
        }
        self.placement.get_or_create(&labels).set(1);
    }

    /// The server stays not ready: CUDA was asked for and cannot be had.
    pub fn provider_unavailable(&self) {
        self.provider_unavailable.set(1);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String never fails");
        out
    }
}

/// Route layer: every request under its route template, never the raw path.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    let labels = HttpLabels { method, route, status: res.status().as_u16() };
    metrics.requests.get_or_create(&labels).inc();
    metrics.latency.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    res
}
