//! A hostile plugin can't make the host allocate without bound: every copy out of plugin
//! memory is capped before it is made, and what the host keeps of text is cut to small caps.
//!
//! The stated bound (docs/plugins.md): one call raises the host's peak memory by at most the
//! plugin's own memory cap plus twice the per-call copy cap; N concurrent calls by N times
//! that. This binary measures the process's peak RSS (`VmHWM`), so it holds one test only —
//! nothing else runs beside it. Needs `make plugins`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use plugin_host::{Kind, Limits, Plugin, PluginEngine, PluginError};
use plugin_strategies as s;
use plugin_strategies::verify::PlanRules;

use common::{one_line_checkout, wasm};

/// Peak resident set of this process so far, bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb * 1024
}

fn mode(m: &str) -> Arc<BTreeMap<String, String>> {
    Arc::new([("mode".to_string(), m.to_string())].into_iter().collect())
}

/// Generous CPU so every attack runs to its end; memory and copy caps at their defaults.
fn limits() -> Limits {
    Limits { fuel: u64::MAX / 2, timeout: Duration::from_secs(30), ..Limits::default() }
}

#[test]
fn hostile_plugins_cannot_raise_host_memory_past_the_stated_bound() {
    let engine = PluginEngine::new(None).unwrap();
    let copier = Plugin::load(&engine, "copier", Kind::Payment, &wasm("hostile_copy"), None).unwrap();
    let ranker = Plugin::load(&engine, "verbose", Kind::Recommendation, &wasm("hostile_rank"), None).unwrap();
    let rules = PlanRules::platform_default();
    let l = limits();
    // Measured from here: the engine and both plugins are compiled and loaded.
    let before = peak_rss();

    // What each attack gets, one call at a time.
    let err = copier.quote(mode("log-bomb"), l, &one_line_checkout(), &rules).unwrap_err();
    assert_eq!(err, PluginError::CopyTooLarge(l.output_bytes), "a 16 MiB log line is over the copy cap");
    assert_eq!(err.kind(), "output_too_large");

    let out = copier.quote(mode("log-flood"), l, &one_line_checkout(), &rules).unwrap();
    assert_eq!(out.logs.len(), 100);
    assert!(out.logs.iter().all(|line| line.message.len() <= l.log_line_bytes + 3), "lines are cut");
    let kept: usize = out.logs.iter().map(|line| line.message.capacity()).sum();
    assert!(kept < 100 * 2048, "the host keeps the cut lines only, not their originals ({kept} bytes)");

    let err = copier.quote(mode("error-bomb"), l, &one_line_checkout(), &rules).unwrap_err();
    assert_eq!(err, PluginError::CopyTooLarge(l.output_bytes), "a 14 MiB error is over the copy cap");
    let err = copier.quote(mode("error-long"), l, &one_line_checkout(), &rules).unwrap_err();
    assert_eq!(err.kind(), "refused");
    assert!(err.to_string().len() <= l.error_bytes + 64, "error text is capped: {} bytes", err.to_string().len());

    let plan = copier.quote(mode("notes-long"), l, &one_line_checkout(), &rules).unwrap().value;
    assert!(plan.notes.iter().all(|n| n.len() <= l.text_bytes + 3), "notes are cut to the text cap");

    let ctx = s::Context { limit: 10, ..Default::default() };
    let ranked = ranker.rank(Arc::default(), l, &ctx, &s::recommend_style::synthetic_candidates(50)).unwrap().value;
    assert_eq!(ranked.len(), 10);
    assert!(ranked[0].reason.len() <= l.text_bytes + 3, "a 900 KiB reason is cut: {} bytes", ranked[0].reason.len());
    assert_eq!(ranked[1].reason, "비슷한 스타일", "short reasons pass untouched");

    // Now four at once, three rounds, every attack. From the start the peak may grow by at
    // most 4 × (memory cap + 2 × copy cap), plus 48 MiB for the allocator and thread stacks.
    let copier = Arc::new(copier);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let copier = copier.clone();
            let rules = rules.clone();
            std::thread::spawn(move || {
                for _ in 0..3 {
                    for m in ["log-bomb", "log-flood", "error-bomb", "error-long", "notes-long"] {
                        let _ = copier.quote(mode(m), limits(), &one_line_checkout(), &rules);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let grown = peak_rss().saturating_sub(before);
    let bound = 4 * (l.memory_bytes + 2 * l.output_bytes) + (48 << 20);
    println!("peak RSS grew by {} MiB under attack (bound {} MiB)", grown >> 20, bound >> 20);
    assert!(grown <= bound, "peak RSS grew by {} MiB; the bound is {} MiB", grown >> 20, bound >> 20);
}
