//! plugin-runner as a plugin author uses it.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_plugin-runner")).args(args).current_dir(root()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
}

const STD: &str = "target/wasm32-wasip2/plugin/payment_standard.wasm";

#[test]
fn quotes_a_checkout_with_config_and_reports_costs() {
    let (code, out, err) =
        run(&["payment", STD, "--input", "plugins/examples/checkout.json", "--config", "coupons=WELCOME10:10%"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["ok"], true);
    assert_eq!(out["output"]["adjustments"][0]["reason"], "쿠폰 WELCOME10 10%");
    assert!(out["fuel_used"].as_u64().unwrap() > 0);
    assert!(out["wall_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(out["digest"].as_str().unwrap().len(), 64);
}

#[test]
fn ranks_candidates() {
    let (code, out, err) = run(&[
        "recommend",
        "target/wasm32-wasip2/plugin/recommend_style.wasm",
        "--input",
        "plugins/examples/recommend.json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["output"].as_array().unwrap().len(), 3);
    assert_eq!(out["output"][0]["id"], "p1");
}

#[test]
fn failures_are_reported_with_their_kind() {
    let (code, out, _) = run(&[
        "payment",
        "target/wasm32-wasip2/plugin/hostile_loop.wasm",
        "--input",
        "plugins/examples/checkout.json",
        "--fuel",
        "1000000",
    ]);
    assert_eq!(code, 1);
    assert_eq!(out["kind"], "fuel_exhausted");
    let (code, out, _) =
        run(&["payment", STD, "--input", "plugins/examples/checkout.json", "--sha256", &"0".repeat(64)]);
    assert_eq!(code, 1);
    assert_eq!(out["kind"], "digest_mismatch");
    let (code, _, err) = run(&["payment", STD, "--input", "no-such-file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("plugin-runner:"), "{err}");
}
