//! The shape of `crud-api/src`, kept true: no import points back up (no circles either: the
//! module-graph crate checks every crate for those). Layers, read from the path:
//! - `…::http…` — the wire (a feature's handlers and views, and the cross-feature `http/`);
//! - `…::store…` — SQL;
//! - `platform::…` — config, database, errors, limits, metrics: nothing feature-specific;
//! - the rest of a feature folder — its types and flows;
//! - `state`, `startup`, `demo` and the crate root — the wiring.
//!
//! A store uses only stores, `platform` and plain types (feature modules that reach no store,
//! wire or wiring); flows use anything but the wire and the wiring; the wire uses anything but
//! the wiring (except `state`, which handlers receive). Read from the source text: `crate::…`
//! and `super::…` paths outside comments and test modules.

use std::collections::BTreeSet;
use std::path::Path;

use module_graph::Graph;

fn graph() -> Graph {
    module_graph::graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Platform,
    Store,
    Flow,
    Wire,
    Wiring,
}

fn layer(m: &str) -> Layer {
    let segments: Vec<&str> = m.split("::").collect();
    if segments.contains(&"http") {
        Layer::Wire
    } else if segments.contains(&"store") {
        Layer::Store
    } else if segments[0] == "platform" {
        Layer::Platform
    } else if ["", "state", "startup", "demo"].contains(&segments[0]) {
        Layer::Wiring
    } else {
        Layer::Flow
    }
}

/// Modules from which no store, wire or wiring module is reachable: plain types.
fn plain(g: &Graph) -> BTreeSet<String> {
    fn reaches_io(m: &str, g: &Graph, seen: &mut BTreeSet<String>) -> bool {
        if !seen.insert(m.to_string()) {
            return false;
        }
        [Layer::Store, Layer::Wire, Layer::Wiring].contains(&layer(m))
            || g.get(m).into_iter().flatten().any(|t| reaches_io(t, g, seen))
    }
    g.keys().filter(|m| layer(m) == Layer::Flow && !reaches_io(m, g, &mut BTreeSet::new())).cloned().collect()
}

#[test]
fn lower_layers_do_not_import_upper_ones() {
    let g = graph();
    let plain = plain(&g);
    assert!(plain.contains("orders::status") && !plain.contains("orders::flow"), "plain types: {plain:?}");
    let mut wrong = Vec::new();
    for (m, uses) in &g {
        for t in uses {
            let allowed = match (layer(m), layer(t)) {
                (Layer::Platform, to) => t.starts_with("platform") && to != Layer::Wire,
                (Layer::Store, Layer::Store | Layer::Platform) => true,
                (Layer::Store, Layer::Flow) => plain.contains(t),
                (Layer::Store, _) => false,
                (Layer::Flow, to) => ![Layer::Wire, Layer::Wiring].contains(&to),
                (Layer::Wire, to) => to != Layer::Wiring || t == "state",
                (Layer::Wiring, _) => true,
            };
            if !allowed {
                wrong.push(format!("{m} ({:?}) → {t} ({:?})", layer(m), layer(t)));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point back up:\n{}", wrong.join("\n"));
}

/// Features (the top-level folders: catalogue, orders, recommendations…) don't import each
/// other in a circle either: each has one owner for what it shares. Semantic search had two —
/// catalogue used recommendations' dl-api client and vector math, recommendations used
/// catalogue's listings — until the client moved down to `ml`; orders told notifications, which
/// read orders, until orders announced through its own `OrderEvents`. Their cores, that is: a
/// feature's wire may compose views from other features' stores (a notification shows its
/// order's photo).
#[test]
fn features_do_not_import_each_other_in_a_circle() {
    let g = graph();
    let wiring = ["", "state", "startup", "demo", "http", "platform"];
    let feature = |m: &str| m.split("::").next().unwrap_or("").to_string();
    let mut features = module_graph::Graph::new();
    for (m, uses) in g.iter().filter(|(m, _)| layer(m) != Layer::Wire) {
        let from = feature(m);
        if wiring.contains(&from.as_str()) {
            continue;
        }
        let entry = features.entry(from.clone()).or_default();
        for t in uses.iter().filter(|t| layer(t) != Layer::Wire).map(|t| feature(t)) {
            if t == from || wiring.contains(&t.as_str()) {
                continue;
            }
            entry.insert(t);
        }
    }
    assert!(features["recommendations"].contains("catalogue") && features["catalogue"].contains("ml"), "{features:?}");
    if let Some(circle) = module_graph::circle(&features) {
        panic!("features that import each other in a circle: {}", circle.join(" → "));
    }
}
