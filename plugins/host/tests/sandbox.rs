//! The first-party plugins through the real host, and the hostile ones contained.
//! Needs `make plugins` (make test runs it first).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plugin_host::{Kind, Limits, Plugin, PluginEngine, PluginError};
use plugin_strategies as s;
use plugin_strategies::verify::PlanRules;

use common::wasm;

fn engine() -> PluginEngine {
    PluginEngine::new(None).unwrap()
}

fn checkout() -> s::Checkout {
    let line = |id: &str, cat: &str, seller: &str, price: i64, qty: u32| s::Line {
        product_id: id.into(),
        title: id.into(),
        category: cat.into(),
        seller_id: seller.into(),
        unit_price: price,
        quantity: qty,
        width_cm: Some(200),
        depth_cm: Some(90),
        height_cm: Some(80),
        weight_kg: None,
    };
    s::Checkout {
        order_id: "o1".into(),
        buyer_id: "b1".into(),
        delivery_area: "강남구".into(),
        pickup_area: "마포구".into(),
        distance_km: Some(13.5),
        lines: vec![line("p1", "sofa", "s1", 150_000, 1), line("p2", "lighting", "s2", 20_000, 2)],
        coupon: Some("WELCOME10".into()),
        placed_at: Default::default(),
    }
}

/// The gateways a crud-api instance has by default.
fn rules() -> PlanRules {
    PlanRules::platform_default()
}

fn config() -> Arc<BTreeMap<String, String>> {
    Arc::new([("coupons".to_string(), "WELCOME10:10%".to_string())].into_iter().collect())
}

#[test]
fn payment_standard_in_wasm_equals_the_native_policy() {
    let e = engine();
    let p = Plugin::load(&e, "payment-standard", Kind::Payment, &wasm("payment_standard"), None).unwrap();
    let out = p.quote(config(), Limits::default(), &checkout(), &rules()).unwrap();
    let native = s::payment_standard::quote(config().as_ref(), &checkout()).unwrap();
    assert_eq!(out.value, native);
    assert!(out.fuel_used > 1_000 && out.fuel_used < Limits::default().fuel, "{}", out.fuel_used);
    assert_eq!(p.digest, plugin_host::digest(&wasm("payment_standard")));
}

#[test]
fn tenants_differ_payment_promo_is_another_policy() {
    let e = engine();
    let std_p = Plugin::load(&e, "std", Kind::Payment, &wasm("payment_standard"), None).unwrap();
    let promo = Plugin::load(&e, "promo", Kind::Payment, &wasm("payment_promo"), None).unwrap();
    let a = std_p.quote(config(), Limits::default(), &checkout(), &rules()).unwrap().value;
    let b = promo.quote(config(), Limits::default(), &checkout(), &rules()).unwrap().value;
    assert!(a.delivery_fee > 0);
    assert_eq!(b.delivery_fee, 0, "promo delivers for free");
    assert_ne!(a.total, b.total);
    assert_eq!(b, s::payment_promo::quote(config().as_ref(), &checkout()).unwrap());
}

#[test]
fn recommend_style_in_wasm_equals_native_on_a_thousand_candidates() {
    let e = engine();
    let p = Plugin::load(&e, "recommend-style", Kind::Recommendation, &wasm("recommend_style"), None).unwrap();
    let ctx = s::Context {
        style_preferences: vec!["modern".into()],
        recent_categories: vec!["sofa".into()],
        limit: 24,
        ..Default::default()
    };
    let cands = s::recommend_style::synthetic_candidates(1000);
    let out = p.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap();
    assert_eq!(out.value, s::recommend_style::rank_records(&BTreeMap::new(), &ctx, &cands).unwrap());
    assert_eq!(out.value.len(), 24);
}

#[test]
fn a_session_reuses_one_instance_for_many_calls() {
    let e = engine();
    let p = Plugin::load(&e, "std", Kind::Payment, &wasm("payment_standard"), None).unwrap();
    let mut session = p.session(config(), Limits::default()).unwrap();
    let first = session.quote(&checkout(), &rules()).unwrap();
    for _ in 0..50 {
        let again = session.quote(&checkout(), &rules()).unwrap();
        assert_eq!(again.value, first.value);
    }
}

/// After every hostile call, a good plugin on the same engine still answers.
fn still_serves(e: &PluginEngine) {
    let p = Plugin::load(e, "std", Kind::Payment, &wasm("payment_standard"), None).unwrap();
    assert!(p.quote(config(), Limits::default(), &checkout(), &rules()).is_ok());
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let e = engine();
    let p = Plugin::load(&e, "loop", Kind::Payment, &wasm("hostile_loop"), None).unwrap();
    let limits = Limits { fuel: 5_000_000, ..Limits::default() };
    assert_eq!(p.quote(config(), limits, &checkout(), &rules()).unwrap_err(), PluginError::FuelExhausted(5_000_000));
    still_serves(&e);
}

#[test]
fn an_infinite_loop_with_fuel_to_spare_hits_the_deadline() {
    let e = engine();
    let p = Plugin::load(&e, "loop", Kind::Payment, &wasm("hostile_loop"), None).unwrap();
    let limits = Limits { fuel: u64::MAX / 2, timeout: Duration::from_millis(50), ..Limits::default() };
    let started = std::time::Instant::now();
    assert_eq!(p.quote(config(), limits, &checkout(), &rules()).unwrap_err(), PluginError::Timeout(50));
    assert!(started.elapsed() < Duration::from_secs(5));
    still_serves(&e);
}

/// The deadline counts the plugin's own CPU time: twelve calls that each need a quarter of
/// their 200 ms budget all answer while they share two cores (a wall-clock deadline timed
/// most of them out: ~300 ms of waiting each), and a call that needs more CPU than its budget
/// still times out.
#[test]
fn the_deadline_counts_cpu_time_so_a_busy_host_is_not_the_plugins_failure() {
    let e = engine();
    let p = Plugin::load(&e, "spin", Kind::Payment, &wasm("hostile_loop"), None).unwrap();
    let spin = |n: u64| Arc::new(BTreeMap::from([("spin".to_string(), n.to_string())]));
    let fuel = u64::MAX / 2;
    // Iterations for ~50 ms of CPU on this machine (CPU time: the machine may be busy). The
    // fastest of three probes: the first call also pays one-time costs (a fresh pool slot's
    // pages), which made `n` too small and the over-budget call below fit in its budget.
    let probe = 5_000_000;
    let alone = Limits { fuel, timeout: Duration::from_secs(10), ..Limits::default() };
    let cpu = plugin_host::cpu_time::thread_cpu_time;
    let per_probe = (0..3)
        .map(|_| {
            let before = cpu().unwrap();
            p.quote(spin(probe), alone, &checkout(), &rules()).unwrap();
            cpu().unwrap() - before
        })
        .min()
        .unwrap();
    let n = (probe as f64 * 0.050 / per_probe.as_secs_f64()) as u64;

    let limits = Limits { fuel, timeout: Duration::from_millis(200), ..Limits::default() };
    let results: Vec<_> = std::thread::scope(|scope| {
        let calls: Vec<_> =
            (0..12).map(|_| scope.spawn(|| p.quote(spin(n), limits, &checkout(), &rules()).map(|_| ()))).collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "{} of 12 failed: {failed:?}", failed.len());
    // ~800 ms of CPU against a 200 ms budget.
    assert_eq!(p.quote(spin(n * 16), limits, &checkout(), &rules()).unwrap_err(), PluginError::Timeout(200));
    still_serves(&e);
}

#[test]
fn a_memory_bomb_hits_the_cap() {
    let e = engine();
    let p = Plugin::load(&e, "hog", Kind::Payment, &wasm("hostile_memory"), None).unwrap();
    let limits =
        Limits { memory_bytes: 8 << 20, fuel: u64::MAX / 2, timeout: Duration::from_secs(5), ..Limits::default() };
    assert_eq!(p.quote(config(), limits, &checkout(), &rules()).unwrap_err(), PluginError::MemoryExceeded(8 << 20));
    still_serves(&e);
}

/// Calls reuse pool slots whose pages stay resident (engine.rs), but never their contents:
/// each call of a plugin that looks for its previous calls' data finds none.
#[test]
fn every_call_starts_from_the_modules_initial_memory() {
    let e = engine();
    let p = Plugin::load(&e, "hog", Kind::Payment, &wasm("hostile_memory"), None).unwrap();
    let remember: Arc<BTreeMap<String, String>> = Arc::new([("mode".to_string(), "remember".to_string())].into());
    let limits =
        Limits { memory_bytes: 16 << 20, fuel: u64::MAX / 2, timeout: Duration::from_secs(5), ..Limits::default() };
    for call in 0..5 {
        let err = p.quote(remember.clone(), limits, &checkout(), &rules()).unwrap_err();
        assert_eq!(err, PluginError::Refused("calls=1 static_dirty=false heap_dirty=false".into()), "call {call}");
    }
    // The same instance twice (a session) does remember: the guest's probe works.
    let mut session = p.session(remember, limits).unwrap();
    session.quote(&checkout(), &rules()).unwrap_err();
    let err = session.quote(&checkout(), &rules()).unwrap_err();
    assert_eq!(err, PluginError::Refused("calls=2 static_dirty=true heap_dirty=false".into()));
}

#[test]
fn a_panic_is_a_contained_trap_that_says_what_panicked() {
    let e = engine();
    let p = Plugin::load(&e, "boom", Kind::Payment, &wasm("hostile_trap"), None).unwrap();
    let err = p.quote(config(), Limits::default(), &checkout(), &rules()).unwrap_err();
    assert_eq!(err.kind(), "trap", "{err}");
    // It used to say only "error while executing at wasm backtrace".
    let text = err.to_string();
    assert!(text.contains("panicked at") && text.contains("lines were too many for me"), "{text}");
    assert!(text.contains("hostile-trap/src/lib.rs:"), "the place: {text}");
    assert!(!text.contains('\n'), "one line: {text}");
    still_serves(&e);
}

/// `println!` and `SystemTime::now` reach for WASI, which the sandbox does not provide: the
/// error names the import, so the author knows which line of theirs to change.
#[test]
fn a_wasi_call_is_a_trap_that_names_the_import() {
    let e = engine();
    let p = Plugin::load(&e, "wasi", Kind::Payment, &wasm("hostile_trap"), None).unwrap();
    for (mode, import) in [("print", "wasi:cli/std"), ("file", "wasi:filesystem/")] {
        let cfg = Arc::new(BTreeMap::from([("mode".to_string(), mode.to_string())]));
        let err = p.quote(cfg, Limits::default(), &checkout(), &rules()).unwrap_err();
        assert_eq!(err.kind(), "trap", "{mode}: {err}");
        let text = err.to_string();
        assert!(text.contains(import) && text.contains("does not provide"), "{mode}: {text}");
    }
    still_serves(&e);
}

#[test]
fn huge_answers_are_refused_before_the_host_copies_them() {
    let e = engine();
    let p = Plugin::load(&e, "flood", Kind::Payment, &wasm("hostile_output"), None).unwrap();
    let generous =
        Limits { fuel: u64::MAX / 2, timeout: Duration::from_secs(10), memory_bytes: 128 << 20, ..Limits::default() };
    // 20,000 notes of 200 bytes: over the 1 MiB copy cap, refused while being lifted.
    let err = p.quote(config(), generous, &checkout(), &rules()).unwrap_err();
    assert_eq!(err, PluginError::CopyTooLarge(1 << 20));
    assert_eq!(err.kind(), "output_too_large");
    // With room to copy it all, the plan is still no plan: a buyer is shown at most 20 notes.
    let open = Limits { output_bytes: 64 << 20, ..generous };
    let err = p.session(config(), open).unwrap().quote(&checkout(), &rules()).unwrap_err();
    assert_eq!(err.kind(), "invalid_plan", "{err}");
    assert!(err.to_string().contains("notes"), "{err}");
    still_serves(&e);
}

#[test]
fn loading_refuses_wrong_versions_bad_bytes_and_digest_mismatches() {
    let e = engine();
    let err = Plugin::load(&e, "future", Kind::Payment, &wasm("hostile_wrong_version"), None).err().unwrap();
    assert_eq!(
        err,
        PluginError::IncompatibleVersion {
            found: "gajyeogagu:plugins@1.0.0".into(),
            expected: "0.3.0 or 0.2.0 or 0.1.0".into()
        }
    );
    assert!(err.to_string().contains("rebuild against plugins/wit"));
    assert_eq!(
        Plugin::load(&e, "junk", Kind::Payment, b"\x00asm\x0d\x00\x01\x00garbage", None).err().unwrap().kind(),
        "invalid"
    );
    assert_eq!(Plugin::load(&e, "text", Kind::Payment, b"hello", None).err().unwrap().kind(), "invalid");
    let bytes = wasm("payment_standard");
    let wrong = "0".repeat(64);
    assert!(matches!(
        Plugin::load(&e, "pinned", Kind::Payment, &bytes, Some(&wrong)),
        Err(PluginError::DigestMismatch { .. })
    ));
    let right = plugin_host::digest(&bytes).to_uppercase();
    assert!(Plugin::load(&e, "pinned", Kind::Payment, &bytes, Some(&right)).is_ok());
    // A payment plugin is not a recommendation plugin.
    assert!(matches!(Plugin::load(&e, "std", Kind::Recommendation, &bytes, None), Err(PluginError::WrongWorld(_))));
}

#[test]
fn plugins_built_against_contract_0_1_0_keep_loading_and_answering() {
    let e = engine();
    let pay = Plugin::load(&e, "legacy", Kind::Payment, &wasm("legacy_payment_v0_1"), None).unwrap();
    assert_eq!(pay.contract, "0.1.0");
    let out = pay.quote(config(), Limits::default(), &checkout(), &rules()).unwrap();
    // 150,000 + 2 × 20,000, checked by the host like any plan.
    assert_eq!((out.value.total, out.value.delivery_fee), (190_000, 0));
    assert_eq!(out.value.notes, ["contract 0.1.0"]);
    assert_eq!(out.logs[0].message, "quoted by a 0.1.0 plugin");

    let rank = Plugin::load(&e, "legacy", Kind::Recommendation, &wasm("legacy_recommend_v0_1"), None).unwrap();
    let cands = s::recommend_style::synthetic_candidates(50);
    let ctx = s::Context { limit: 3, ..Default::default() };
    let out = rank.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap().value;
    let mut cheapest: Vec<_> = cands.iter().map(|c| (c.price, c.id.clone())).collect();
    cheapest.sort();
    assert_eq!(out.iter().map(|r| r.id.clone()).collect::<Vec<_>>()[0], cheapest[0].1);
    assert_eq!(out.len(), 3);

    let current = Plugin::load(&e, "std", Kind::Payment, &wasm("payment_standard"), None).unwrap();
    assert_eq!(current.contract, "0.3.0");
}

/// Contract 0.2.0 passed candidates as records; 0.3.0 passes columns. A 0.2.0 plugin still
/// gets records — with the clock, which 0.1.0 lacked — and answers with ids.
#[test]
fn recommendation_plugins_built_against_contract_0_2_0_keep_loading_and_answering() {
    let e = engine();
    let rank = Plugin::load(&e, "legacy", Kind::Recommendation, &wasm("legacy_recommend_v0_2"), None).unwrap();
    assert_eq!(rank.contract, "0.2.0");
    let cands = s::recommend_style::synthetic_candidates(50);
    // 2026-12-05 00:30 in Seoul: a Saturday.
    let ctx =
        s::Context { limit: 3, now: plugin_host::Clock::default().at_millis(1_796_398_205_250), ..Default::default() };
    let out = rank.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap().value;
    let mut cheapest: Vec<_> = cands.iter().map(|c| (c.price, c.id.clone())).collect();
    cheapest.sort();
    let ids: Vec<_> = out.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, cheapest.iter().take(3).map(|c| c.1.clone()).collect::<Vec<_>>());
    assert_eq!(out[0].reason, "lowest price, Weekday::Saturday");
    assert_eq!(out[0].score, -(cheapest[0].0 as f64));
}

#[test]
fn plugins_read_the_tenants_clock_field_for_field() {
    let e = engine();
    let probe = wasm("clock_probe");
    // 2026-12-04T15:30:05.250Z: Saturday morning in Seoul, Friday evening in New York.
    let seoul = plugin_host::Clock::default().at_millis(1_796_398_205_250);
    let new_york = plugin_host::Clock::named("America/New_York").unwrap().at_millis(1_796_398_205_250);

    let pay = Plugin::load(&e, "probe", Kind::Payment, &probe, None).unwrap();
    let input = s::Checkout { placed_at: seoul, ..checkout() };
    let plan = pay.quote(config(), Limits::default(), &input, &rules()).unwrap().value;
    let n = plan.notes.len();
    assert_eq!(plan.notes[n - 2], "1796398205250 2026-12-05 00:30:05 Saturday Asia/Seoul +540");
    // std's clock (WASI's wall clock) reads the same instant; HashMap (WASI randomness) works
    // and iterates in the same order on every call.
    assert_eq!(plan.notes[n - 1].split(' ').take(2).collect::<Vec<_>>(), ["wasi", "1796398205250"]);
    let again = pay.quote(config(), Limits::default(), &input, &rules()).unwrap().value;
    assert_eq!(again.notes, plan.notes, "deterministic");

    let rank = Plugin::load(&e, "probe", Kind::Recommendation, &probe, None).unwrap();
    let ctx = s::Context { limit: 2, now: new_york, ..Default::default() };
    let out = rank.rank(Arc::default(), Limits::default(), &ctx, &s::recommend_style::synthetic_candidates(5)).unwrap();
    assert_eq!(out.value[0].reason, "1796398205250 2026-12-04 10:30:05 Friday America/New_York -300");
}

#[test]
fn precompiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let e = PluginEngine::new(Some(dir.path().to_path_buf())).unwrap();
    let bytes = wasm("payment_standard");
    Plugin::load(&e, "std", Kind::Payment, &bytes, None).unwrap();
    let digest = plugin_host::digest(&bytes);
    let cached: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.ends_with(format!("{digest}.cwasm"))).collect();
    assert_eq!(cached.len(), 1, "one precompiled file keyed by engine and digest");
    // A second engine loads from the cache and still works.
    let e2 = PluginEngine::new(Some(dir.path().to_path_buf())).unwrap();
    let p = Plugin::load(&e2, "std", Kind::Payment, &bytes, None).unwrap();
    assert!(p.quote(config(), Limits::default(), &checkout(), &rules()).is_ok());
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A ranking the host's checks refuse is `invalid_ranking`, not `refused` (which is the
/// plugin's own `Err`): the docs and the metrics can tell an author which it was.
#[test]
fn a_ranking_the_host_refuses_is_invalid_ranking() {
    let e = engine();
    let p = Plugin::load(&e, "liar", Kind::Recommendation, &wasm("hostile_rank"), None).unwrap();
    let cfg = Arc::new(BTreeMap::from([("mode".to_string(), "unknown-id".to_string())]));
    let ctx = s::Context { limit: 5, ..Default::default() };
    let cands = vec![s::Candidate {
        id: "p1".into(),
        category: "sofa".into(),
        price: 1000,
        age_days: 0,
        popularity: 0.0,
        similarity: None,
        distance_km: None,
        style_tags: vec![],
    }];
    let err = p.rank(cfg, Limits::default(), &ctx, &cands).unwrap_err();
    assert_eq!(err.kind(), "invalid_ranking", "{err}");
    assert!(err.to_string().contains("position 1"), "a position past the one candidate: {err}");
    let cfg = Arc::new(BTreeMap::from([("mode".to_string(), "duplicate".to_string())]));
    let err = p.rank(cfg, Limits::default(), &ctx, &cands).unwrap_err();
    assert_eq!(err.kind(), "invalid_ranking", "{err}");
    assert!(err.to_string().contains("position 0"), "one candidate twice: {err}");
}

/// Columns address names with 16-bit indices: candidates with more distinct tags than that
/// are refused by the host before the plugin is called, not wrapped into wrong tags.
#[test]
fn candidates_past_the_contracts_indices_are_refused_before_the_call() {
    let e = engine();
    let p = Plugin::load(&e, "recommend-style", Kind::Recommendation, &wasm("recommend_style"), None).unwrap();
    let mut cands = s::recommend_style::synthetic_candidates(2);
    cands[1].style_tags = (0..=u16::MAX as u32).map(|t| format!("t{t}")).collect();
    let ctx = s::Context { limit: 5, ..Default::default() };
    let err = p.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap_err();
    assert_eq!(err.kind(), "input_too_large", "{err}");
    cands[1].style_tags.truncate(1000);
    assert_eq!(p.rank(Arc::default(), Limits::default(), &ctx, &cands).unwrap().value.len(), 2);
}
