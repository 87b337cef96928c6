//! Fallbacks, fail-closed, and hot reload through the registry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plugin_host::registry::PluginMetrics;
use plugin_host::{PluginEngine, PluginError, Registry};
use plugin_strategies as s;

fn wasm_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/wasm32-wasip2/plugin").join(format!("{name}.wasm"))
}

fn install(dir: &Path, name: &str) -> String {
    let bytes = std::fs::read(wasm_path(name)).expect("run `make plugins` first");
    std::fs::write(dir.join(format!("{name}.wasm")), &bytes).unwrap();
    plugin_host::digest(&bytes)
}

fn checkout() -> s::Checkout {
    s::Checkout {
        order_id: "o".into(),
        buyer_id: "b".into(),
        delivery_area: "강남구".into(),
        pickup_area: "마포구".into(),
        distance_km: Some(5.0),
        coupon: None,
        lines: vec![s::Line {
            product_id: "p".into(),
            title: "t".into(),
            category: "sofa".into(),
            seller_id: "s".into(),
            unit_price: 100_000,
            quantity: 1,
            width_cm: None,
            depth_cm: None,
            height_cm: None,
            weight_kg: None,
        }],
    }
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
    Registry::new(Arc::new(PluginEngine::new(None).unwrap()), file, PluginMetrics::new())
}

#[test]
fn no_plugin_means_the_builtin_strategy() {
    let r = registry(None).unwrap();
    let out = r.quote(&checkout()).unwrap();
    assert!(out.digest.is_none());
    assert_eq!(out.value, s::payment_standard::quote(&std::collections::BTreeMap::new(), &checkout()).unwrap());
}

#[test]
fn a_failing_plugin_falls_back_or_fails_closed_as_configured() {
    let dir = tempfile::tempdir().unwrap();
    let sha = install(dir.path(), "hostile_trap");
    let r = registry(Some(write_config(dir.path(), "hostile_trap", &sha, "builtin"))).unwrap();
    let out = r.quote(&checkout()).unwrap();
    assert!(out.digest.is_none());
    assert_eq!(out.fallback_reason.unwrap().kind(), "trap");

    let sha = install(dir.path(), "hostile_loop");
    let r = registry(Some(write_config(dir.path(), "hostile_loop", &sha, "fail_closed"))).unwrap();
    assert_eq!(r.quote(&checkout()).unwrap_err().kind(), "fuel_exhausted");
}

#[test]
fn hot_reload_swaps_good_modules_and_keeps_the_old_one_on_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let std_sha = install(dir.path(), "payment_standard");
    let file = write_config(dir.path(), "payment_standard", &std_sha, "fail_closed");
    let r = registry(Some(file.clone())).unwrap();
    assert_eq!(r.digests().0.as_deref(), Some(std_sha.as_str()));
    assert!(r.quote(&checkout()).unwrap().value.delivery_fee > 0);

    // A new version, with its new pin: swapped in.
    let promo_sha = install(dir.path(), "payment_promo");
    write_config(dir.path(), "payment_promo", &promo_sha, "fail_closed");
    r.reload();
    assert_eq!(r.digests().0.as_deref(), Some(promo_sha.as_str()));
    assert_eq!(r.quote(&checkout()).unwrap().value.delivery_fee, 0);

    // A broken upload (bytes don't match the pin): the promo keeps serving.
    std::fs::write(dir.path().join("payment_promo.wasm"), b"\0asm broken").unwrap();
    r.reload();
    assert_eq!(r.digests().0.as_deref(), Some(promo_sha.as_str()));
    assert_eq!(r.quote(&checkout()).unwrap().digest.as_deref(), Some(promo_sha.as_str()));

    // An incompatible plugin at start-up is refused outright.
    let future = install(dir.path(), "hostile_wrong_version");
    let bad = write_config(dir.path(), "hostile_wrong_version", &future, "builtin");
    assert_eq!(registry(Some(bad)).err().unwrap().kind(), "incompatible_version");
}
