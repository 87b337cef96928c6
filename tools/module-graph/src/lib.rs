//! The import graph of one crate's modules, read from its source text — what the workspace's
//! shape tests check: no file imports its way back to itself (`circle`), and crud-api's layers
//! (`crud-api/tests/module_graph.rs`). An edge is a `crate::…` or `super::…` path outside
//! comments and test modules, or a child module a file declares *and* names (`routes::…`);
//! paths through a `pub use` facade count as using the module that defines the item.
//!
//! Text, not a compiler: it is cheap enough to run in every `cargo test`, and its own tests pin
//! what it must see.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// module → the modules (files) it uses. The crate root is "".
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The crate whose sources are in `src`: rooted at `lib.rs`, or at `main.rs` when it has no
/// library (binaries beside a library, and `src/bin/`, are crates of their own).
pub fn sources(src: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = if src.join("lib.rs").is_file() { "lib" } else { "main" };
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .filter(|p| !p.starts_with(src.join("bin")))
        .filter(|p| root == "main" || p != &src.join("main.rs"))
        .map(|p| {
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut module = rel.to_string_lossy().replace('/', "::");
            module = module.trim_end_matches("::mod").to_string();
            if module == root {
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
pub fn paths(module: &str, code: &str) -> Vec<String> {
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

/// The graph of the crate whose sources are in `src`.
pub fn graph(src: &Path) -> Graph {
    let src = sources(src);
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

/// A circle of imports, if there is one: the modules in order, the first repeated at the end.
pub fn circle(g: &Graph) -> Option<Vec<String>> {
    // Depth-first search for a back edge, reporting the circle it closes.
    fn visit(m: &str, g: &Graph, stack: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
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
    g.keys().find_map(|m| visit(m, g, &mut Vec::new(), &mut done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parser_expands_groups_and_super() {
        let got =
            paths("http::orders", "use crate::store::{orders::{self, Actor}, Db};\nuse super::extract::AuthUser;");
        assert_eq!(got, ["store::orders", "store::orders::Actor", "store::Db", "http::extract::AuthUser"]);
        assert_eq!(paths("http", "pub mod routes;\nmod extract;\nfn f() { routes::routes(); }"), ["http::routes"]);
    }

    #[test]
    fn a_circle_is_found_and_named() {
        let g: Graph = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(m, to)| (m.to_string(), to.into_iter().map(String::from).collect()))
            .collect();
        assert_eq!(circle(&g).unwrap(), ["a", "b", "c", "a"]);
        let mut dag = g.clone();
        dag.get_mut("c").unwrap().clear();
        assert_eq!(circle(&dag), None);
    }
}
