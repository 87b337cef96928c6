//! Prometheus metrics: HTTP requests by route template and status, latency histogram,
//! database pool gauges, and security counters.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: String,
}

type HistogramFamily = Family<HttpLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    latency: HistogramFamily,
    pool_open: Gauge,
    pool_idle: Gauge,
    pub refresh_reuse: Counter,
    pub auth_failures: Family<ReasonLabels, Counter>,
    pub rate_limited: Family<ReasonLabels, Counter>,
    /// Photo-analysis jobs by outcome (done, retry, failed).
    pub ml_jobs: Family<ReasonLabels, Counter>,
    pub ml_indexed: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Service metrics plus the plugin host's (`crud_api_plugin_*`).
    pub fn with_plugins(plugins: &plugin_host::registry::PluginMetrics) -> Self {
        let mut m = Self::new();
        plugins.register(&mut m.registry);
        m
    }

    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("crud_api");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let pool_open = Gauge::default();
        let pool_idle = Gauge::default();
        let refresh_reuse = Counter::default();
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        let rate_limited = Family::<ReasonLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route template and status", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route template and status",
            latency.clone(),
        );
        registry.register("db_pool_connections", "Open database connections", pool_open.clone());
        registry.register("db_pool_idle_connections", "Idle database connections", pool_idle.clone());
        registry.register(
            "refresh_token_reuse",
            "Refresh tokens presented twice (families revoked)",
            refresh_reuse.clone(),
        );
        registry.register("auth_failures", "Failed sign-ins by reason", auth_failures.clone());
        registry.register("rate_limited", "Requests refused by rate limits", rate_limited.clone());
        let ml_jobs = Family::<ReasonLabels, Counter>::default();
        let ml_indexed = Gauge::default();
        registry.register("ml_jobs", "Photo-analysis jobs by outcome", ml_jobs.clone());
        registry.register("ml_index_products", "Products in the embedding index", ml_indexed.clone());
        Self {
            registry,
            requests,
            latency,
            pool_open,
            pool_idle,
            refresh_reuse,
            auth_failures,
            rate_limited,
            ml_jobs,
            ml_indexed,
        }
    }

    /// A gauge a feature keeps itself (the decode budget's, the open streams'), exported here.
    pub fn register_gauge(&mut self, name: &str, help: &str, gauge: Gauge<i64, std::sync::atomic::AtomicI64>) {
        self.registry.register(name, help, gauge);
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = HttpLabels { method: method.to_string(), route: route.to_string(), status };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }

    pub fn set_pool(&self, open: u32, idle: usize) {
        self.pool_open.set(open as i64);
        self.pool_idle.set(idle as i64);
    }

    pub fn reason(family: &Family<ReasonLabels, Counter>, reason: &str) {
        family.get_or_create(&ReasonLabels { reason: reason.to_string() }).inc();
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String never fails");
        out
    }
}
