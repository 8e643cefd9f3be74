//! The server's modules depend on each other without a cycle (issue 14): the guard and
//! the renderer stand alone, handlers sit on top. Read from the sources — every
//! `crate::<module>` path outside comments and test code is an edge between top-level
//! modules — so a new back-edge fails here, not in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = top.trim_end_matches(".rs").to_string();
            if top == "lib" || rel.file_name().is_some_and(|f| f == "tests.rs") {
                continue; // the crate root re-exports everything; test files are tests
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            let deps = g.entry(top.clone()).or_default();
            for line in code.lines() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                        group.split('}').next().unwrap().split(',').collect()
                    } else {
                        vec![rest]
                    };
                    for n in names {
                        let n: String = n
                            .trim()
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        if n.is_empty() || n == top {
                            continue;
                        }
                        // `crate::AppState` and the like go through the root's re-exports,
                        // which would hide the edge: counted as an edge to the root.
                        let root = n.chars().next().is_some_and(|c| c.is_uppercase());
                        deps.insert(if root { "lib".to_string() } else { n });
                    }
                }
            }
        }
    }
    g
}

#[test]
fn server_modules_have_no_import_cycle() {
    let g = graph();
    for must in ["guard", "render", "authz", "routes", "fanout", "cot_stream"] {
        assert!(g.contains_key(must), "module {must} not found: {g:?}");
    }
    // The guard decides without the HTTP layer, the renderer, the fan-out or any listener.
    assert!(g["guard"].is_empty(), "guard imports {:?}", g["guard"]);
    assert!(g["render"].is_empty(), "render imports {:?}", g["render"]);
    for (m, deps) in &g {
        assert!(
            !deps.contains("lib"),
            "{m} names an item through the crate root"
        );
    }
    // Depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, bool>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(n) {
            Some(true) => return,
            Some(false) => panic!("import cycle: {} -> {n}", path.join(" -> ")),
            None => {}
        }
        state.insert(n, false);
        path.push(n);
        for d in g.get(n).into_iter().flatten() {
            visit(d, g, state, path);
        }
        path.pop();
        state.insert(n, true);
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        visit(n, &g, &mut state, &mut Vec::new());
    }
}
