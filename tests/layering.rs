//! The crate's top-level modules form layers: no two import each other, directly or round a
//! longer cycle, and the leaf utilities import nothing of the crate. Read from the source
//! text (every `crate::module` outside a comment), so a new cycle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use crate::support::repo_path;

/// Modules that sit below everything: they may use the standard library and crates only.
const LEAVES: [&str; 3] = ["prng", "hash", "time"];

/// Each top-level module of `src/` and the top-level modules its code names.
fn module_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = repo_path("src");
    let mut modules: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("src/ is readable") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let files = modules.entry(name).or_default();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .into_iter()
        .map(|(module, files)| {
            let mut imports = BTreeSet::new();
            for file in files {
                let text = std::fs::read_to_string(&file).expect("a source file");
                for line in text
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                {
                    for (at, _) in line.match_indices("crate::") {
                        let rest = &line[at + "crate::".len()..];
                        let end = rest
                            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .unwrap_or(rest.len());
                        let target = &rest[..end];
                        if target != module && names.contains(target) {
                            imports.insert(target.to_string());
                        }
                    }
                }
            }
            (module, imports)
        })
        .collect()
}

fn collect_rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn no_two_modules_import_each_other() {
    let imports = module_imports();
    assert!(imports.len() > 10, "found only {:?}", imports.keys());
    let mut graph = DiGraph::<&str, ()>::new();
    let nodes: BTreeMap<&str, _> = imports
        .keys()
        .map(|name| (name.as_str(), graph.add_node(name.as_str())))
        .collect();
    for (module, targets) in &imports {
        for target in targets {
            graph.add_edge(nodes[module.as_str()], nodes[target.as_str()], ());
        }
    }
    let cycles: Vec<Vec<&str>> = tarjan_scc(&graph)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| component.into_iter().map(|node| graph[node]).collect())
        .collect();
    assert!(cycles.is_empty(), "modules import each other: {cycles:?}");
}

#[test]
fn leaf_utilities_import_nothing_of_the_crate() {
    let imports = module_imports();
    for leaf in LEAVES {
        let found = imports
            .get(leaf)
            .unwrap_or_else(|| panic!("no module {leaf}"));
        assert!(found.is_empty(), "{leaf} imports {found:?}");
    }
    // The engine knows no protocol, and the protocols know no tool.
    for (module, forbidden) in [
        ("sim", &["raft", "fle", "scenario", "fuzz", "registry"][..]),
        ("check", &["raft", "fle", "sim", "scenario"][..]),
        ("raft", &["fle", "scenario", "fuzz", "registry", "sim"][..]),
        ("fle", &["raft", "scenario", "fuzz", "registry", "sim"][..]),
        ("protocol", &["sim", "registry", "scenario"][..]),
    ] {
        let found = &imports[module];
        for target in forbidden {
            assert!(!found.contains(*target), "{module} imports {target}");
        }
    }
}
