//! Fallbacks, fail-closed, and hot reload through the registry.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plugin_host::registry::PluginMetrics;
use plugin_host::{PluginEngine, PluginError, Registry};
use plugin_strategies as s;

use common::{one_line_checkout, wasm_path};

fn install(dir: &Path, name: &str) -> String {
    let bytes = std::fs::read(wasm_path(name)).expect("run `make plugins` first");
    std::fs::write(dir.join(format!("{name}.wasm")), &bytes).unwrap();
    plugin_host::digest(&bytes)
}

fn write_config(dir: &Path, module: &str, sha: &str, fallback: &str) -> PathBuf {
    let file = dir.join("plugins.json");
    let json = serde_json::json!({
        "payment": { "module": format!("{module}.wasm"), "sha256": sha, "fallback": fallback, "fuel": 5_000_000, "timeout_ms": 100 }
    });
    std::fs::write(&file, json.to_string()).unwrap();
    file
}

fn registry(file: Option<PathBuf>) -> Result<Registry, PluginError> {
    Ok(Registry::new(Arc::new(PluginEngine::new(None).unwrap()), file, PluginMetrics::new()))
}

/// A registry whose candidates have compiled (what `start`'s thread does after start-up).
fn compiled(file: Option<PathBuf>) -> Result<Registry, PluginError> {
    let r = registry(file)?;
    r.reload();
    Ok(r)
}

#[test]
fn no_plugin_means_the_builtin_strategy() {
    let r = registry(None).unwrap();
    let out = r.quote(&one_line_checkout()).unwrap();
    assert!(out.digest.is_none());
    assert_eq!(
        out.value,
        s::payment_standard::quote(&std::collections::BTreeMap::new(), &one_line_checkout()).unwrap()
    );
}

#[test]
fn a_failing_plugin_falls_back_or_fails_closed_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let sha = install(dir.path(), "hostile_trap");
    let r = registry(Some(write_config(dir.path(), "hostile_trap", &sha, "builtin"))).unwrap();
    let out = r.quote(&one_line_checkout()).unwrap();
    assert!(out.digest.is_none());
    assert_eq!(out.fallback_reason.unwrap().kind(), "trap");

    let sha = install(dir.path(), "hostile_loop");
    let r = registry(Some(write_config(dir.path(), "hostile_loop", &sha, "fail_closed"))).unwrap();
    assert_eq!(r.quote(&one_line_checkout()).unwrap_err().kind(), "fuel_exhausted");
}

#[test]
fn hot_reload_swaps_good_modules_and_keeps_the_old_one_on_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let std_sha = install(dir.path(), "payment_standard");
    let file = write_config(dir.path(), "payment_standard", &std_sha, "fail_closed");
    let r = registry(Some(file.clone())).unwrap();
    assert_eq!(r.digests().0.as_deref(), Some(std_sha.as_str()));
    assert!(r.quote(&one_line_checkout()).unwrap().value.delivery_fee > 0);

    // A new version, with its new pin: swapped in.
    let promo_sha = install(dir.path(), "payment_promo");
    write_config(dir.path(), "payment_promo", &promo_sha, "fail_closed");
    r.reload();
    assert_eq!(r.digests().0.as_deref(), Some(promo_sha.as_str()));
    assert_eq!(r.quote(&one_line_checkout()).unwrap().value.delivery_fee, 0);

    // A broken upload (bytes don't match the pin): the promo keeps serving.
    std::fs::write(dir.path().join("payment_promo.wasm"), b"\0asm broken").unwrap();
    r.reload();
    assert_eq!(r.digests().0.as_deref(), Some(promo_sha.as_str()));
    assert_eq!(r.quote(&one_line_checkout()).unwrap().digest.as_deref(), Some(promo_sha.as_str()));

    assert!(r.problem().is_some_and(|p| p.contains("digest_mismatch")), "{:?}", r.problem());

    // An incompatible plugin at start-up is not loaded: the built-in strategy serves and the
    // registry says why (the service shows it in /readyz).
    let future = install(dir.path(), "hostile_wrong_version");
    let bad = write_config(dir.path(), "hostile_wrong_version", &future, "builtin");
    let r = registry(Some(bad)).unwrap();
    assert!(r.problem().is_some_and(|p| p.contains("incompatible_version")), "{:?}", r.problem());
    let out = r.quote(&one_line_checkout()).unwrap();
    assert_eq!(out.digest, None, "the built-in strategy answered");
    // An unreadable plugins file: the same.
    let r = registry(Some(dir.path().join("missing.json"))).unwrap();
    assert!(r.problem().is_some_and(|p| p.starts_with("plugins file:")), "{:?}", r.problem());
    assert!(r.quote(&one_line_checkout()).is_ok());
}

fn write_config_with(dir: &Path, module: &str, sha: &str, config: serde_json::Value) -> PathBuf {
    let file = dir.join("plugins.json");
    let json = serde_json::json!({
        "payment": { "module": format!("{module}.wasm"), "sha256": sha, "fallback": "builtin", "config": config }
    });
    std::fs::write(&file, json.to_string()).unwrap();
    file
}

fn metrics_text(r: &Registry) -> String {
    let mut reg = prometheus_client::registry::Registry::default();
    r.metrics.register(&mut reg);
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &reg).unwrap();
    out
}

/// Plans that add up wrongly (by `i64` wrap-around) or can't be charged by this tenant are
/// invalid, counted, and answered by the built-in fallback — never a 503, never accepted.
#[test]
fn plans_the_tenant_cannot_charge_are_answered_by_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let sha = install(dir.path(), "hostile_plan");
    for mode in ["overflow", "unknown-gateway", "unknown-method", "free-unknown-method"] {
        let file = write_config_with(dir.path(), "hostile_plan", &sha, serde_json::json!({ "mode": mode }));
        let r = registry(Some(file)).unwrap();
        let out = r.quote(&one_line_checkout()).unwrap();
        assert!(out.digest.is_none(), "{mode}: the fallback answers");
        let reason = out.fallback_reason.expect("a fallback reason");
        assert_eq!(reason.kind(), "invalid_plan", "{mode}: {reason}");
        s::verify::verify_plan(&one_line_checkout(), &out.value, &s::verify::PlanRules::platform_default()).unwrap();
        assert!(metrics_text(&r).contains("outcome=\"invalid_plan\""), "{mode}: the rejection is counted");
    }
    // The honest plan of the same plugin is taken as it is.
    let file = write_config_with(dir.path(), "hostile_plan", &sha, serde_json::json!({ "mode": "honest" }));
    assert_eq!(
        registry(Some(file)).unwrap().quote(&one_line_checkout()).unwrap().digest.as_deref(),
        Some(sha.as_str())
    );
}

/// A tenant with one gateway that takes cards only: a plugin offering wallets is refused, and
/// the built-in fallback offers only what that gateway takes.
#[test]
fn plans_are_checked_against_the_tenants_own_gateways_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let sha = install(dir.path(), "payment_standard");
    let file = write_config_with(dir.path(), "payment_standard", &sha, serde_json::json!({}));
    let cards_only = s::verify::PlanRules::new().with_gateway("sandbox", ["card"]);
    let r = registry(Some(file)).unwrap().with_plan_rules(cards_only);
    let out = r.quote(&one_line_checkout()).unwrap();
    assert_eq!(out.fallback_reason.map(|e| e.kind()), Some("invalid_plan"));
    assert_eq!(out.value.methods, ["card"]);

    // A built-in strategy configured for a gateway this instance lacks fails closed, with why.
    let toss_config = dir.path().join("toss.json");
    std::fs::write(&toss_config, serde_json::json!({ "payment": { "config": { "gateway": "toss" } } }).to_string())
        .unwrap();
    let sandbox_only = s::verify::PlanRules::new().with_gateway("sandbox", ["card"]);
    let r = registry(Some(toss_config)).unwrap().with_plan_rules(sandbox_only);
    let err = r.quote(&one_line_checkout()).unwrap_err();
    assert_eq!(err.kind(), "refused");
    assert!(err.to_string().contains("gateway \"toss\""), "{err}");
}

/// The tenant's time zone comes from the plugins file; a name the tzdb doesn't know is
/// refused on reload, reported as the problem, and the clock keeps the zone it had.
#[test]
fn the_tenants_clock_follows_the_plugins_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plugins.json");
    assert_eq!(registry(None).unwrap().clock().name(), "Asia/Seoul", "the default market");
    std::fs::write(&file, r#"{ "time_zone": "Europe/Berlin" }"#).unwrap();
    let r = registry(Some(file.clone())).unwrap();
    assert_eq!(r.clock().name(), "Europe/Berlin");
    assert_eq!(r.clock().at_millis(0).utc_offset_minutes, 60);
    assert_eq!(r.problem(), None);

    std::fs::write(&file, r#"{ "time_zone": "Asia/Seul" }"#).unwrap();
    r.reload();
    assert_eq!(r.clock().name(), "Europe/Berlin");
    let problem = r.problem().unwrap();
    assert!(problem.contains("Asia/Seul"), "{problem}");
    assert!(metrics_text(&r).contains(r#"plugin_reloads_total{strategy="time_zone",digest="",outcome="invalid"} 1"#));
}

fn write_with_candidate(dir: &Path, primary: &str, candidate: &str, candidate_sha: &str, share: u8) -> PathBuf {
    let sha = install(dir, primary);
    install(dir, candidate);
    let file = dir.join("plugins.json");
    let json = serde_json::json!({
        "payment": { "module": format!("{primary}.wasm"), "sha256": sha, "fallback": "fail_closed",
                     "candidate": { "module": format!("{candidate}.wasm"), "sha256": candidate_sha, "share_percent": share } }
    });
    std::fs::write(&file, json.to_string()).unwrap();
    file
}

/// Waits (≤ 10 s) until the payment candidate has `calls` shadow calls: they run on a
/// background thread, after the answers were returned.
fn shadowed(r: &Registry, calls: u64) -> plugin_host::shadow::CandidateReport {
    let started = std::time::Instant::now();
    loop {
        let report = r.candidates()["payment"].clone();
        if report.calls >= calls || started.elapsed() > std::time::Duration::from_secs(10) {
            return report;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A candidate that answers differently is counted as diverged on its share of calls, with
/// what differs; the callers get the current plugin's answers, every time.
#[test]
fn a_diverging_candidate_is_reported_and_never_answers() {
    let dir = tempfile::tempdir().unwrap();
    let promo = install(dir.path(), "payment_promo");
    let r = compiled(Some(write_with_candidate(dir.path(), "payment_standard", "payment_promo", &promo, 100))).unwrap();
    let standard = plugin_host::digest(&std::fs::read(wasm_path("payment_standard")).unwrap());
    for _ in 0..20 {
        let out = r.quote(&one_line_checkout()).unwrap();
        assert_eq!(out.digest.as_deref(), Some(standard.as_str()), "the current plugin answers");
        assert!(out.value.delivery_fee > 0, "standard's plan, not promo's free delivery");
    }
    let report = shadowed(&r, 20);
    assert_eq!((report.calls, report.same, report.diverged, report.errors), (20, 0, 20, 0), "{report:?}");
    assert_eq!(report.digest, promo);
    assert!(report.last_divergence.as_deref().unwrap().contains("delivery_fee"), "{report:?}");
    assert!(report.mean_ms.unwrap() > 0.0);
    let metrics = metrics_text(&r);
    assert!(
        metrics.contains(&format!(
            r#"plugin_shadow_calls_total{{strategy="payment",digest="{promo}",outcome="diverged"}} 20"#
        )),
        "{metrics}"
    );
    assert_eq!(r.problem(), None);
}

/// The share is a share: 25% of 40 calls, each the same answer as the current version's.
#[test]
fn a_candidate_that_agrees_runs_on_its_share_only() {
    let dir = tempfile::tempdir().unwrap();
    let std_sha = plugin_host::digest(&std::fs::read(wasm_path("payment_standard")).unwrap());
    let r =
        compiled(Some(write_with_candidate(dir.path(), "payment_standard", "payment_standard", &std_sha, 25))).unwrap();
    for _ in 0..40 {
        r.quote(&one_line_checkout()).unwrap();
    }
    let report = shadowed(&r, 10);
    assert_eq!((report.calls, report.same, report.diverged, report.errors), (10, 10, 0, 0), "{report:?}");
}

/// A candidate that traps is counted with its cause; the callers never see it.
#[test]
fn a_failing_candidate_is_counted_and_the_callers_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let trap = install(dir.path(), "hostile_trap");
    let r = compiled(Some(write_with_candidate(dir.path(), "payment_standard", "hostile_trap", &trap, 100))).unwrap();
    for _ in 0..5 {
        assert!(r.quote(&one_line_checkout()).unwrap().digest.is_some());
    }
    let report = shadowed(&r, 5);
    assert_eq!((report.calls, report.errors), (5, 5), "{report:?}");
    assert!(report.last_error.as_deref().unwrap().contains("(trap)"), "{report:?}");
}

/// A candidate whose bytes don't match its pin is not run; it is reported with the load error
/// (for the operator: an error) and stays the service's problem on every reload, while the
/// current plugin serves.
#[test]
fn a_candidate_that_does_not_load_is_reported_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let r = compiled(Some(write_with_candidate(dir.path(), "payment_standard", "payment_promo", &"0".repeat(64), 100)))
        .unwrap();
    assert!(r.quote(&one_line_checkout()).unwrap().digest.is_some());
    let report = r.candidates()["payment"].clone();
    assert_eq!(report.calls, 0);
    assert!(report.load_error.as_deref().unwrap().contains("digest_mismatch"), "{report:?}");
    r.reload();
    assert!(r.problem().unwrap().starts_with("payment candidate:"), "{:?}", r.problem());
}

/// Recommendations too: a candidate that ranks by price diverges from the style ranking.
#[test]
fn a_recommendation_candidate_is_compared_by_its_order() {
    let dir = tempfile::tempdir().unwrap();
    let style = install(dir.path(), "recommend_style");
    let cheapest = install(dir.path(), "legacy_recommend_v0_1");
    let file = dir.path().join("plugins.json");
    let json = serde_json::json!({ "recommendation": {
        "module": "recommend_style.wasm", "sha256": style, "fallback": "fail_closed",
        "candidate": { "module": "legacy_recommend_v0_1.wasm", "sha256": cheapest, "share_percent": 100 } } });
    std::fs::write(&file, json.to_string()).unwrap();
    let r = compiled(Some(file)).unwrap();
    let ctx = s::Context { limit: 5, style_preferences: vec!["modern".into()], ..Default::default() };
    let cands = s::recommend_style::synthetic_candidates(200);
    let served = r.rank(&ctx, &cands).unwrap();
    assert_eq!(served.digest.as_deref(), Some(style.as_str()));
    let started = std::time::Instant::now();
    while r.candidates()["recommendation"].calls < 1 && started.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = r.candidates()["recommendation"].clone();
    assert_eq!((report.calls, report.diverged), (1, 1), "{report:?}");
    assert!(report.last_divergence.unwrap().starts_with(&format!("first {} → ", served.value[0].id)));
}

/// A trap's cause is counted, bounded: the panic, or the WASI interface the plugin reached for.
#[test]
fn trap_causes_are_in_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let sha = install(dir.path(), "hostile_trap");
    for (mode, cause) in [("panic", "panic"), ("print", "wasi:cli/stdout"), ("file", "wasi:filesystem/preopens")] {
        let file = write_config_with(dir.path(), "hostile_trap", &sha, serde_json::json!({ "mode": mode }));
        let r = registry(Some(file)).unwrap();
        let out = r.quote(&one_line_checkout()).unwrap();
        assert_eq!(out.fallback_reason.as_ref().unwrap().kind(), "trap");
        let metrics = metrics_text(&r);
        let line = format!(r#"plugin_traps_total{{strategy="payment",digest="{sha}",cause="{cause}"}} 1"#);
        assert!(metrics.contains(&line), "{mode}: {line} not in\n{metrics}");
    }
}

/// A candidate is compiled after the registry serves, not before: a new replica's readiness
/// waited for it (a JavaScript or Python candidate is 12–18 MB of Wasm).
#[test]
fn candidates_compile_after_start_up_and_the_plugin_serves_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let promo = install(dir.path(), "payment_promo");
    let r = registry(Some(write_with_candidate(dir.path(), "payment_standard", "payment_promo", &promo, 100))).unwrap();
    let report = r.candidates()["payment"].clone();
    assert!(report.compiling && report.load_error.is_none(), "pending after new(): {report:?}");
    assert!(r.quote(&one_line_checkout()).unwrap().digest.is_some(), "the plugin serves meanwhile");
    assert_eq!(r.problem(), None, "pending is not a problem");
    let r = Arc::new(r);
    r.start(None);
    let started = std::time::Instant::now();
    while r.candidates()["payment"].compiling && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = r.candidates()["payment"].clone();
    assert!(!report.compiling && report.load_error.is_none(), "{report:?}");
    r.quote(&one_line_checkout()).unwrap();
    assert_eq!(shadowed(&r, 1).calls, 1, "and then runs in shadow");
}

/// Too big to compile, or too slow: refused with the reason, never run, the plugin unaffected.
#[test]
fn oversized_and_slow_candidates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let promo = install(dir.path(), "payment_promo");
    let file = write_with_candidate(dir.path(), "payment_standard", "payment_promo", &promo, 100);
    let size = std::fs::metadata(dir.path().join("payment_promo.wasm")).unwrap().len();
    let r = registry(Some(file.clone())).unwrap().with_max_module_bytes(size - 1);
    r.reload();
    let report = r.candidates()["payment"].clone();
    assert!(report.load_error.as_deref().unwrap().contains("module_too_large"), "{report:?}");
    assert!(r.quote(&one_line_checkout()).unwrap().digest.is_some());

    // No disk cache (`PluginEngine::new(None)`): a real compile, far longer than a millisecond.
    let r = registry(Some(file)).unwrap().with_candidate_compile_timeout(std::time::Duration::from_millis(1));
    r.reload();
    let report = r.candidates()["payment"].clone();
    assert!(report.load_error.as_deref().unwrap().contains("compile_timeout"), "{report:?}");
    assert!(r.problem().unwrap().contains("candidate"), "{:?}", r.problem());
    assert!(r.quote(&one_line_checkout()).unwrap().digest.is_some());
}
