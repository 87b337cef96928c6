//! Every crate of the workspace keeps an import graph without circles: a file that imports its
//! way back to itself can't be read, tested or moved on its own (the fix is to move the shared
//! type down, not to merge the files). The crates are the root manifest's members, so a new
//! one is checked without being listed here.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The directories of the workspace's members (`members = [...]`, `dir/*` expanded).
fn members() -> Vec<PathBuf> {
    let root = workspace();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let list = &manifest[manifest.find("members = [").expect("a members list") + 11..];
    let list = &list[..list.find(']').unwrap()];
    let mut out = Vec::new();
    for entry in list.split(',').map(|e| e.trim().trim_matches('"')).filter(|e| !e.is_empty()) {
        match entry.strip_suffix("/*") {
            Some(parent) => {
                let mut dirs: Vec<PathBuf> =
                    std::fs::read_dir(root.join(parent)).unwrap().map(|e| e.unwrap().path()).collect();
                dirs.sort();
                out.extend(dirs.into_iter().filter(|d| d.join("Cargo.toml").is_file()));
            }
            None => out.push(root.join(entry)),
        }
    }
    out
}

#[test]
fn no_crate_has_an_import_circle() {
    let members = members();
    let names: Vec<String> =
        members.iter().map(|m| m.strip_prefix(workspace()).unwrap().display().to_string()).collect();
    for expected in ["crud-api", "dl-api", "operator", "plugins/host", "plugins/runner", "tools/module-graph"] {
        assert!(names.iter().any(|n| n == expected), "{expected} not among the members {names:?}");
    }
    let mut circles = Vec::new();
    for (dir, name) in members.iter().zip(&names) {
        let graph = module_graph::graph(&dir.join("src"));
        assert!(!graph.is_empty(), "{name}: no modules found");
        if let Some(circle) = module_graph::circle(&graph) {
            circles.push(format!("{name}: {}", circle.join(" → ")));
        }
    }
    assert!(circles.is_empty(), "modules that import each other in a circle:\n{}", circles.join("\n"));
}

/// The walk sees a crate's real imports, binaries without a library included.
#[test]
fn the_graph_sees_real_imports() {
    let root = workspace();
    let crud = module_graph::graph(&root.join("crud-api/src"));
    assert!(crud.len() > 50, "crud-api: only {} modules", crud.len());
    assert!(crud["orders::http::handlers"].contains("orders::store"), "{:?}", crud["orders::http::handlers"]);
    let runner = module_graph::graph(&root.join("plugins/runner/src"));
    assert!(runner.contains_key("") && runner.contains_key("kit"), "plugin-runner (main.rs only): {runner:?}");
    let dl = module_graph::graph(&root.join("dl-api/src"));
    assert!(dl["state"].contains("config"), "{:?}", dl["state"]);
}
