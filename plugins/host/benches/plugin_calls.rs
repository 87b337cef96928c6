//! Plugin call latency, printed as numbers (`cargo bench -p plugin-host`; needs `make plugins`).
//!
//! - payment quote with a fresh `Store` + instance per call (what crud-api does) and on a
//!   reused instance;
//! - recommendation ranking of 1,000 candidates in Wasm (contract 0.3.0: columns) vs the same
//!   code native, and what contract 0.2.0's records cost at the boundary alone.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_host::{Kind, Limits, Plugin, PluginEngine};
use plugin_strategies as s;
use plugin_strategies::verify::PlanRules;

fn wasm(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm32-wasip2/plugin")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} — run `make plugins` first", path.display()))
}

fn stats(name: &str, mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<52} n={:<6} mean {:>9.1} µs   p50 {:>9.1} µs   p99 {:>9.1} µs",
        samples.len(),
        mean.as_secs_f64() * 1e6,
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6
    );
    pct(0.50).as_secs_f64()
}

fn time<F: FnMut()>(n: usize, mut f: F) -> Vec<Duration> {
    for _ in 0..n / 10 {
        f(); // warm-up
    }
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn main() {
    let engine = PluginEngine::new(None).unwrap();
    let line = |id: &str, cat: &str, price: i64| s::Line {
        product_id: id.into(),
        title: id.into(),
        category: cat.into(),
        seller_id: "s1".into(),
        unit_price: price,
        quantity: 1,
        width_cm: Some(200),
        depth_cm: Some(90),
        height_cm: Some(80),
        weight_kg: None,
    };
    let checkout = s::Checkout {
        order_id: "o".into(),
        buyer_id: "b".into(),
        delivery_area: "강남구".into(),
        pickup_area: "마포구".into(),
        distance_km: Some(12.0),
        coupon: Some("WELCOME10".into()),
        placed_at: Default::default(),
        lines: vec![line("p1", "sofa", 150_000), line("p2", "lighting", 20_000), line("p3", "desk", 90_000)],
    };
    let config: Arc<BTreeMap<String, String>> =
        Arc::new([("coupons".to_string(), "WELCOME10:10%".to_string())].into_iter().collect());
    let rules = PlanRules::platform_default();
    let pay = Plugin::load(&engine, "payment-standard", Kind::Payment, &wasm("payment_standard"), None).unwrap();

    println!("== plugin calls ({} cores)", std::thread::available_parallelism().map_or(0, |n| n.get()));
    stats(
        "payment quote, fresh store + instance per call",
        time(5000, || {
            pay.quote(config.clone(), Limits::default(), &checkout, &rules).unwrap();
        }),
    );
    let mut session = pay.session(config.clone(), Limits::default()).unwrap();
    stats(
        "payment quote, reused instance",
        time(5000, || {
            session.quote(&checkout, &rules).unwrap();
        }),
    );
    stats(
        "payment quote, native Rust",
        time(5000, || {
            s::payment_standard::quote(config.as_ref(), &checkout).unwrap();
        }),
    );

    let rec = Plugin::load(&engine, "recommend-style", Kind::Recommendation, &wasm("recommend_style"), None).unwrap();
    let ctx = s::Context {
        style_preferences: vec!["modern".into()],
        recent_categories: vec!["sofa".into()],
        limit: 20,
        ..Default::default()
    };
    let cands = s::recommend_style::synthetic_candidates(1000);
    let wasm_fresh = stats(
        "rank 1,000 candidates, Wasm (fresh instance)",
        time(300, || {
            rec.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap();
        }),
    );
    let mut rs = rec.session(Arc::default(), Limits::default()).unwrap();
    let wasm_reused = stats(
        "rank 1,000 candidates, Wasm (reused instance)",
        time(300, || {
            rs.rank(&ctx, &cands).unwrap();
        }),
    );
    let native = stats(
        "rank 1,000 candidates, native Rust",
        time(300, || {
            s::recommend_style::rank_records(&BTreeMap::new(), &ctx, &cands).unwrap();
        }),
    );
    println!("Wasm / native (p50): fresh {:.2}x, reused {:.2}x", wasm_fresh / native, wasm_reused / native);

    // What the records of contract 0.2.0 cost at the boundary alone: a plugin that only sorts
    // by price, given the same thousand candidates as records.
    let legacy =
        Plugin::load(&engine, "legacy-v0.2", Kind::Recommendation, &wasm("legacy_recommend_v0_2"), None).unwrap();
    let mut ls = legacy.session(Arc::default(), Limits::default()).unwrap();
    stats(
        "rank 1,000, contract 0.2.0 records, sort by price only",
        time(300, || {
            ls.rank(&ctx, &cands).unwrap();
        }),
    );
}
