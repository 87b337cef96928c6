//! The shape of `crud-api/src`, kept true: no file imports its way back to itself (no
//! circles between modules), and no import points back up. Layers, read from the path:
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

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// module path ("" for the crate root) → source text without comments and test modules.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter(|p| !p.ends_with("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut module = rel.to_string_lossy().replace('/', "::");
            module = module.trim_end_matches("::mod").to_string();
            if module == "lib" {
                module.clear();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let text = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_string(),
                None => text,
            };
            let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect();
            (module, code.join("\n"))
        })
        .collect()
}

/// Every `crate::a::b` / `super::a` path in `code`, expanded over `{…}` groups, as absolute
/// module paths (relative to `module`'s parent for `super`).
fn paths(module: &str, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    // A module that declares a child and names it (`routes::…`) uses it; declaring alone
    // (a feature's `pub mod http;`) is structure, not use.
    for line in code.lines() {
        let l = line.trim();
        if let Some(name) = l.strip_prefix("pub mod ").or_else(|| l.strip_prefix("mod ")) {
            if let Some(name) = name.strip_suffix(';') {
                let named = code
                    .match_indices(&format!("{name}::"))
                    .any(|(i, _)| !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':'));
                if named {
                    out.push(join(module, name));
                }
            }
        }
    }
    for (prefix, base) in [("crate::", String::new()), ("super::", parent(module))] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue; // `$crate::` in macros, or part of a longer name
            }
            let end = path_end(rest);
            expand(&join(&base, ""), &rest[..end], &mut out);
        }
    }
    out
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}::{b}"),
    }
}

/// Length of the path at the start of `s`: identifiers, `::` and a balanced `{…}` group.
fn path_end(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth > 0 || c.is_alphanumeric() || c == '_' || c == ':' => {}
            _ => return i,
        }
    }
    s.len()
}

fn expand(base: &str, path: &str, out: &mut Vec<String>) {
    match path.find('{') {
        None => out.push(join(base, path.trim_end_matches(':'))),
        Some(i) => {
            let head = join(base, path[..i].trim_end_matches(':'));
            let inner = &path[i + 1..path.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let raw = inner[start..j].trim();
                        // `a as b` names a; a nested group keeps its spaces.
                        let item = if raw.contains('{') { raw } else { raw.split_whitespace().next().unwrap_or("") };
                        if item == "self" {
                            out.push(head.clone());
                        } else if !item.is_empty() {
                            expand(&head, item, out);
                        }
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        }
    }
}

/// module → the modules (files) it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = sources();
    let modules: BTreeSet<String> = src.keys().cloned().collect();
    let find = |p: &str| {
        let parts: Vec<&str> = p.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
    };
    // `pub use db::{Db, …};` in `store` makes `store::Db` mean `store::db`: follow re-exports,
    // so children naming a facade's item don't count as using the facade.
    let mut reexports = BTreeMap::new();
    for (m, code) in &src {
        for line in code.lines().map(str::trim).filter(|l| l.starts_with("pub use ") && !l.starts_with("pub use crate"))
        {
            let mut targets = Vec::new();
            expand(m, line.trim_start_matches("pub use ").trim_end_matches(';'), &mut targets);
            for t in targets {
                if let (Some(name), Some(module)) = (t.rsplit("::").next(), find(&t)) {
                    reexports.insert(join(m, name), module);
                }
            }
        }
    }
    let resolve = |p: &str| {
        let parts: Vec<&str> = p.split("::").collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find_map(|prefix| reexports.get(&prefix).cloned().or_else(|| modules.contains(&prefix).then_some(prefix)))
    };
    src.iter()
        .map(|(m, code)| {
            let uses = paths(m, code).iter().filter_map(|p| resolve(p)).filter(|t| t != m).collect();
            (m.clone(), uses)
        })
        .collect()
}

#[test]
fn the_module_graph_has_no_circles() {
    let g = graph();
    assert!(g.len() > 50, "found only {} modules: is the walk broken?", g.len());
    assert!(
        g["orders::http::handlers"].contains("orders::store"),
        "the parser must see plain imports: {:?}",
        g["orders::http::handlers"]
    );
    // Depth-first search for a back edge, reporting the circle it closes.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == m) {
            return Some(stack[i..].iter().cloned().chain([m.to_string()]).collect());
        }
        if done.contains(m) {
            return None;
        }
        stack.push(m.to_string());
        for t in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(t, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(circle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("modules import each other in a circle: {}", circle.join(" → "));
        }
    }
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
fn plain(g: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    fn reaches_io(m: &str, g: &BTreeMap<String, BTreeSet<String>>, seen: &mut BTreeSet<String>) -> bool {
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

#[test]
fn the_parser_expands_groups_and_super() {
    let got = paths("http::orders", "use crate::store::{orders::{self, Actor}, Db};\nuse super::extract::AuthUser;");
    assert_eq!(got, ["store::orders", "store::orders::Actor", "store::Db", "http::extract::AuthUser"]);
    assert_eq!(paths("http", "pub mod routes;\nmod extract;\nfn f() { routes::routes(); }"), ["http::routes"]);
}
