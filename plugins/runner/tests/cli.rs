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

const TRAP: &str = "target/wasm32-wasip2/plugin/hostile_trap.wasm";

/// A panicking plugin: exit 1, and the output says what panicked and where (it said "error
/// while executing at wasm backtrace"), with the plugin's log lines.
#[test]
fn a_panic_is_reported_with_its_message_and_logs() {
    let (code, out, err) = run(&["payment", TRAP, "--input", "plugins/examples/checkout.json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out["kind"], "trap");
    let error = out["error"].as_str().unwrap();
    assert!(error.contains("panicked at") && error.contains("lines were too many for me"), "{out}");
    assert!(out["logs"].as_array().unwrap().iter().any(|l| l["level"] == "error"), "{out}");
    // A WASI call names the import.
    let (code, out, _) = run(&["payment", TRAP, "--input", "plugins/examples/checkout.json", "--config", "mode=print"]);
    assert_eq!(code, 1);
    assert!(out["error"].as_str().unwrap().contains("wasi:cli/stdout"), "{out}");
}

/// Input that breaks the published schema (`plugins/schemas/`) is the author's to fix: exit 2
/// naming the field and the rule (`"quantity": "3"` used to run as quantity 1).
#[test]
fn inputs_are_checked_against_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let mut checkout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("plugins/examples/checkout.json")).unwrap()).unwrap();
    checkout["lines"][0]["quantity"] = serde_json::json!("3");
    let path = dir.path().join("bad.json");
    std::fs::write(&path, checkout.to_string()).unwrap();
    let (code, out, err) = run(&["payment", STD, "--input", path.to_str().unwrap()]);
    assert_eq!((code, out), (2, serde_json::Value::Null), "{err}");
    assert!(err.contains("input.lines[0].quantity: \"3\" is not integer (plugins/schemas/)"), "{err}");
    // A misspelt field is no longer silently ignored: the published schema refuses it.
    checkout["lines"][0]["quantity"] = serde_json::json!(3);
    checkout["lines"][0]["widht_cm"] = serde_json::json!(200);
    std::fs::write(&path, checkout.to_string()).unwrap();
    let (code, _, err) = run(&["payment", STD, "--input", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("input.lines[0]: unknown field `widht_cm`"), "{err}");
}

/// The service's limits by default, and `--repeat` reports the spread of fresh-instance calls.
#[test]
fn defaults_are_the_services_limits_and_repeat_reports_timing() {
    let help = Command::new(env!("CARGO_BIN_EXE_plugin-runner")).args(["payment", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("[default: 200]") && help.contains("[default: 50000000]") && help.contains("[default: 32]"),
        "{help}"
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let (code, out, err) =
        run(&["payment", STD, "--input", "plugins/examples/checkout.json", "--repeat", "5", "--cache-dir", cache]);
    assert_eq!(code, 0, "{err}");
    let runs = &out["runs"];
    assert_eq!(runs["count"], 5);
    let (min, max) = (runs["wall_ms_min"].as_f64().unwrap(), runs["wall_ms_max"].as_f64().unwrap());
    assert!(
        min > 0.0 && min <= runs["wall_ms_median"].as_f64().unwrap() && runs["wall_ms_median"].as_f64().unwrap() <= max
    );
    // The compiled component was cached for the next run.
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_some(), "nothing cached");
}

/// The kit from an empty directory outside the repository: `new` → `test` (which builds) for
/// both worlds passes its own fixtures; a wrong expectation fails with the difference.
/// The build shares this checkout's target directory only to reuse compiled dependencies.
#[test]
fn the_kit_scaffolds_builds_and_tests_a_project_outside_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    let kit = |dir: &std::path::Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_plugin-runner"))
            .args(args)
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", root().join("target"))
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
    };
    for (world, name) in [("payment", "kit-free-delivery"), ("recommendation", "kit-near-first")] {
        let (code, out, err) = kit(outside.path(), &["new", world, name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out["created"], name);
        let project = outside.path().join(name);
        let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
        assert!(!manifest.contains(".workspace") && manifest.contains("[profile.plugin]"), "{manifest}");
        let (code, out, err) = kit(&project, &["test"]);
        assert_eq!(code, 0, "{world}: {err}\n{out}");
        assert!(out["fixtures"].as_array().unwrap().iter().all(|f| f["passed"] == true), "{out}");
        assert_eq!(out["sha256"].as_str().unwrap().len(), 64);
    }
    // A wrong expectation: exit 1 and the first difference.
    let fixture = outside.path().join("kit-free-delivery/fixtures/free-delivery.json");
    let text = std::fs::read_to_string(&fixture).unwrap().replace(r#""delivery_fee": 0"#, r#""delivery_fee": 1"#);
    std::fs::write(&fixture, text).unwrap();
    let (code, out, err) = kit(&outside.path().join("kit-free-delivery"), &["test"]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("FAIL") && err.contains("output.delivery_fee: expected 1, got 0"), "{err}");
    // The weekend is the tenant's: the same instant is Friday on a UTC tenant's clock, and an
    // hour earlier it is Friday in Seoul too.
    let weekend = outside.path().join("kit-free-delivery/fixtures/weekend.json");
    let text = std::fs::read_to_string(&weekend).unwrap();
    std::fs::write(&weekend, text.replacen('{', r#"{ "time_zone": "UTC","#, 1)).unwrap();
    let (code, _, err) = kit(&outside.path().join("kit-free-delivery"), &["test"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("FAIL  placed on Saturday 00:30") && err.contains("delivery_fee: expected 0, got 11750"),
        "{err}"
    );
    std::fs::write(&weekend, text.replace("2026-12-04T15:30:00Z", "2026-12-04T14:30:00Z")).unwrap();
    let (_, _, err) = kit(&outside.path().join("kit-free-delivery"), &["test"]);
    assert!(err.contains("FAIL  placed on Saturday 00:30"), "{err}");
    // Names that are not crate names are refused, and so is a directory in use.
    assert_eq!(kit(outside.path(), &["new", "payment", "Bad Name"]).0, 2);
    assert_eq!(kit(outside.path(), &["new", "payment", "kit-free-delivery"]).0, 2);
}

/// The JavaScript and Python toolchains (`scripts/plugin-langs.sh`: componentize-js from npm,
/// componentize-py from PyPI, cached outside the clone; `make test` installs them first).
fn componentizers() -> Vec<(String, String)> {
    let out = Command::new(root().join("scripts/plugin-langs.sh")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// The kit in JavaScript or Python, from an empty directory outside the repository: `new
/// --lang` → `test` builds each world's component with the registry's componentizer and passes
/// the same fixtures as the Rust projects (the weekend on the tenant's clock included); the
/// components run in the sandbox under the service's default limits. One test per language, so
/// the two componentizers (single-threaded, most of a minute each) run side by side.
fn the_kit_works_in(lang: &str) {
    let outside = tempfile::tempdir().unwrap();
    let tools = componentizers();
    let kit = |dir: &std::path::Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_plugin-runner"))
            .args(args)
            .current_dir(dir)
            .envs(tools.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
    };
    for (world, fixtures) in [("payment", 4), ("recommendation", 1)] {
        let name = format!("{lang}-{world}");
        let (code, _, err) = kit(outside.path(), &["new", world, &name, "--lang", lang]);
        assert_eq!(code, 0, "{err}");
        let project = outside.path().join(&name);
        assert!(project.join("wit/plugins.wit").is_file() && project.join("gajyeogagu-plugin.json").is_file());
        let (code, out, err) = kit(&project, &["test"]);
        assert_eq!(code, 0, "{name}: {err}\n{out}");
        let results = out["fixtures"].as_array().unwrap();
        assert_eq!(results.len(), fixtures, "{out}");
        assert!(results.iter().all(|f| f["passed"] == true), "{name}: {out}");
    }
    // An exception says what and where (the templates log it as the host shows a trap's
    // cause): without that, the call ended as a bare trap naming a filesystem import (Python
    // looking for its traceback's source) or `unreachable` (JavaScript).
    let input = outside.path().join("in.json");
    std::fs::write(
        &input,
        r#"{"lines": [{"product_id": "p", "category": "chair", "seller_id": "s", "unit_price": 1}]}"#,
    )
    .unwrap();
    let (file, from, to, cause, expected) = match lang {
        "python" => {
            ("app.py", "    goods = sum(by_seller.values())", "    goods = 1 // 0", "app.py:", "ZeroDivisionError")
        }
        _ => {
            ("strategy.js", "  const goods = [", "  const goods = input.nothing.there; [", "strategy.js:", "TypeError")
        }
    };
    let project = outside.path().join(format!("{lang}-payment"));
    let source = std::fs::read_to_string(project.join(file)).unwrap();
    assert!(source.contains(from), "{lang}: the template changed");
    std::fs::write(project.join(file), source.replacen(from, to, 1)).unwrap();
    let (code, _, err) = kit(&project, &["build"]);
    assert_eq!(code, 0, "{err}");
    let wasm = format!("target/{lang}-payment.wasm");
    let (code, out, err) = kit(&project, &["payment", &wasm, "--input", input.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let error = out["error"].as_str().unwrap();
    assert!(error.contains(&format!("panicked at {cause}")) && error.contains(expected), "{lang}: {error}");
    // A mistake in the source is the build's error, saying what and where (JavaScript's was
    // "failed to parse JS source, encountered [1] errors": node now checks the source first).
    let (broken, from, to, says) = match lang {
        "python" => ("app.py", "class Payment", "class Payment(", "SyntaxError"),
        _ => ("strategy.js", "export const payment", "export const payment = (", "strategy.js:60"),
    };
    let path = project.join(broken);
    let source = std::fs::read_to_string(&path).unwrap();
    assert!(source.contains(from), "{lang}: the template changed");
    std::fs::write(&path, source.replacen(from, to, 1)).unwrap();
    let (code, _, err) = kit(&project, &["build"]);
    assert_eq!(code, 2);
    assert!(err.contains("the build failed") && err.contains(says) && err.contains("SyntaxError"), "{lang}: {err}");
}

#[test]
fn the_kit_works_in_javascript() {
    the_kit_works_in("js");
}

#[test]
fn the_kit_works_in_python() {
    the_kit_works_in("python");
}

/// docs/plugins.md shows what the runner prints for its example command: the plan's figures
/// must be exactly what it prints today, and the fuel within a quarter (it moves a little with
/// compiler versions), so the sample cannot go stale unnoticed (it had).
#[test]
fn the_guides_sample_output_is_what_the_runner_prints() {
    let guide = std::fs::read_to_string(root().join("docs/plugins.md")).unwrap();
    let sample = guide.split("--config coupons=WELCOME10:10% --repeat 100").nth(1).expect("the example command");
    let number = |key: &str| -> f64 {
        let at = sample.find(&format!("\"{key}\": ")).unwrap_or_else(|| panic!("{key} in the sample"));
        let rest = &sample[at + key.len() + 4..];
        rest[..rest.find([',', ' ', '}']).unwrap()].parse().unwrap()
    };
    let (code, out, err) = run(&[
        "payment",
        STD,
        "--input",
        "plugins/examples/checkout.json",
        "--config",
        "coupons=WELCOME10:10%",
        "--repeat",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    for key in ["total", "delivery_fee", "commission"] {
        assert_eq!(number(key), out["output"][key].as_f64().unwrap(), "docs/plugins.md says {key} {}", number(key));
    }
    let fuel = out["fuel_used"].as_f64().unwrap();
    assert!(
        (number("fuel_used") - fuel).abs() <= fuel / 4.0,
        "docs say fuel {}, the runner {fuel}",
        number("fuel_used")
    );
}

/// The input's time is read on the tenant's clock; a time without an offset, or a zone the
/// tzdb doesn't know, is the author's mistake (exit 2), never a guess.
#[test]
fn times_in_the_input_are_read_on_the_tenants_clock() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let checkout = |placed_at: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root().join("plugins/examples/checkout.json")).unwrap())
                .unwrap();
        v["placed_at"] = placed_at.into();
        std::fs::write(&input, v.to_string()).unwrap();
    };
    let probe = "target/wasm32-wasip2/plugin/clock_probe.wasm";
    let input_arg = input.to_str().unwrap();
    checkout("2026-12-04T15:30:00Z");
    let (code, out, err) = run(&["payment", probe, "--input", input_arg]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out["output"]["notes"].as_array().unwrap().iter().rev().nth(1).unwrap(),
        "1796398200000 2026-12-05 00:30:00 Saturday Asia/Seoul +540"
    );
    let (_, out, _) = run(&["payment", probe, "--input", input_arg, "--time-zone", "America/New_York"]);
    assert_eq!(
        out["output"]["notes"].as_array().unwrap().iter().rev().nth(1).unwrap(),
        "1796398200000 2026-12-04 10:30:00 Friday America/New_York -300"
    );
    checkout("2026-12-04 15:30");
    let (code, _, err) = run(&["payment", probe, "--input", input_arg]);
    assert_eq!(code, 2);
    assert!(err.contains("placed_at") && err.contains("RFC 3339"), "{err}");
    let (code, _, err) = run(&["payment", probe, "--input", input_arg, "--time-zone", "Asia/Seul"]);
    assert_eq!(code, 2);
    assert!(err.contains("Asia/Seul"), "{err}");
}

/// `plugin-runner … | head` closes the pipe early: the runner must not panic (it did, exit 101).
#[test]
fn a_reader_that_stops_early_is_no_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plugin-runner"))
        .args(["payment", STD, "--input", "plugins/examples/checkout.json", "--repeat", "300"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
