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
