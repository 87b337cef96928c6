//! Operator metrics (`gajyeogagu_operator_*`): reconciles, errors by kind, duration, and
//! the API writes the reconcilers issue (0 on a pass with nothing to change).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub kind: String,
    pub error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WriteLabels {
    pub resource: String,
}

type Histograms = Family<KindLabels, Histogram, fn() -> Histogram>;

fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

pub struct Metrics {
    registry: Registry,
    pub reconciles: Family<KindLabels, Counter>,
    pub errors: Family<ErrorLabels, Counter>,
    pub duration: Histograms,
    pub writes: Family<WriteLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("gajyeogagu_operator");
        let m = Self {
            reconciles: Family::default(),
            errors: Family::default(),
            duration: Family::new_with_constructor(seconds),
            writes: Family::default(),
            registry: Registry::default(),
        };
        registry.register("reconciles", "Reconcile passes by resource kind", m.reconciles.clone());
        registry.register("reconcile_errors", "Failed reconciles by kind and error", m.errors.clone());
        registry.register("reconcile_duration_seconds", "Reconcile duration by kind", m.duration.clone());
        registry.register("api_writes", "Create/patch requests the reconcilers sent, by resource", m.writes.clone());
        Self { registry, ..m }
    }
}

impl Metrics {
    pub fn wrote(&self, resource: &str) {
        self.writes.get_or_create(&WriteLabels { resource: resource.to_string() }).inc();
    }

    pub fn total_writes(&self) -> u64 {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("encode to String");
        out.lines()
            .filter(|l| l.starts_with("gajyeogagu_operator_api_writes_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("encode to String");
        out
    }
}
