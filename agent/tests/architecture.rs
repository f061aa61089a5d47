//! The agent's house rules, checked on its source: every `crate::…` (and `super::…`) path in
//! `agent/src` is an edge from the unit of the file it is in to the unit it names, and each
//! edge must be in [`allowed`]. Units, lowest first:
//!
//! | unit | files | may use |
//! |---|---|---|
//! | `error`, `config` | `error.rs`, `config.rs` | nothing of the crate |
//! | `directory` | `directory/` | `error`, `config` |
//! | `web` | `web/` (HTTP plumbing) | `error`, `config` |
//! | `<role>` | a role folder's logic and records | the above but `web`, and the roles below it in [`ROLE_ORDER`] |
//! | `<role>::pages` | `<role>/pages.rs` | `web` and its own role (and what that may use) |
//! | `app` | `app.rs` (the one state) | every role's logic |
//! | `<role>::http` | `<role>/http.rs` | `app`, `web`, its own pages, any role's logic |
//! | `console` | `console/` | `app`, `web`, any role's logic and pages; no role's `http` |
//! | `server` | `server.rs` | everything but `commands` |
//! | `commands`, `root` | the CLI, `lib.rs`, `main.rs` | everything |
//!
//! The unit graph must also be free of cycles, and so must the graph of role folders.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Roles in dependency order: a role's logic may use the roles before it, never after.
const ROLE_ORDER: [&str; 4] = ["status", "issuer", "verifier", "public"];
const PLUMBING: [&str; 4] = ["error", "config", "directory", "web"];

fn is_role(name: &str) -> bool {
    ROLE_ORDER.contains(&name)
}

/// The unit a source file belongs to (path relative to `agent/src`).
fn unit_of_file(path: &str) -> String {
    let parts: Vec<&str> = path.trim_end_matches(".rs").split('/').collect();
    match parts.as_slice() {
        ["lib"] | ["main"] => "root".into(),
        [single] => (*single).into(),
        [folder, file] if is_role(folder) => match *file {
            "http" | "pages" => format!("{folder}::{file}"),
            "mod" => format!("{folder}::mod"),
            _ => (*folder).into(),
        },
        [folder, ..] => (*folder).into(),
        [] => "root".into(),
    }
}

/// The unit a path `crate::<top>[::<next>]` names.
fn unit_of_path(top: &str, next: Option<&str>) -> String {
    if is_role(top) {
        match next {
            Some(sub @ ("http" | "pages")) => format!("{top}::{sub}"),
            _ => top.into(),
        }
    } else {
        top.into()
    }
}

fn role_rank(role: &str) -> usize {
    ROLE_ORDER
        .iter()
        .position(|r| *r == role)
        .unwrap_or(usize::MAX)
}

/// Whether `from` may use `to`; `None` when allowed, else why not.
fn allowed(from: &str, to: &str) -> Option<String> {
    if from == to {
        return None;
    }
    let (from_role, from_kind) = split_unit(from);
    let (to_role, to_kind) = split_unit(to);
    let ok = match (from_role, from_kind) {
        ("root" | "commands", _) => true,
        ("server", _) => to != "commands",
        ("error" | "config", _) => false,
        ("directory" | "web", _) => matches!(to, "error" | "config"),
        ("app", _) => PLUMBING[..3].contains(&to) || (is_role(to_role) && to_kind == "logic"),
        ("console", _) => {
            PLUMBING.contains(&to)
                || to == "app"
                || (is_role(to_role) && matches!(to_kind, "logic" | "pages"))
        }
        (role, "mod") if is_role(role) => to_role == role || PLUMBING[..3].contains(&to),
        (role, "logic") if is_role(role) => {
            PLUMBING[..3].contains(&to)
                || (is_role(to_role) && to_kind == "logic" && role_rank(to_role) < role_rank(role))
        }
        (role, "pages") if is_role(role) => {
            PLUMBING.contains(&to) || (to_role == role && to_kind == "logic")
        }
        (role, "http") if is_role(role) => {
            PLUMBING.contains(&to)
                || to == "app"
                || (is_role(to_role) && to_kind == "logic")
                || (to_role == role && to_kind == "pages")
        }
        _ => false,
    };
    (!ok).then(|| format!("{from} may not use {to}"))
}

/// `issuer::http` → (`issuer`, `http`); `issuer` → (`issuer`, `logic`); `web` → (`web`, ``).
fn split_unit(unit: &str) -> (&str, &str) {
    match unit.split_once("::") {
        Some((role, kind)) => (role, kind),
        None if is_role(unit) => (unit, "logic"),
        None => (unit, ""),
    }
}

/// Source without comments and string literals (paths in docs and strings are not edges).
fn code_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            i = end;
        } else if let Some(raw) = rest.strip_prefix("r#\"") {
            let end = raw.find("\"#").map_or(text.len(), |n| i + 3 + n + 2);
            out.push_str("\"\"");
            i = end;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if rest.starts_with("'\"'") {
            i += 3;
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Every `(top, next)` a `crate::` or `super::` path names in `code`. `super::` is resolved
/// for files one folder deep (their `super` is `crate::<folder>`).
fn referenced(code: &str, folder: Option<&str>) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for (prefix, base) in [("crate::", None), ("super::", folder)] {
        if prefix == "super::" && base.is_none() {
            continue;
        }
        let mut from = 0;
        while let Some(at) = code[from..].find(prefix) {
            let start = from + at;
            from = start + prefix.len();
            // Only whole path segments (`mycrate::` is not `crate::`).
            if start > 0 {
                let before = code.as_bytes()[start - 1];
                if before.is_ascii_alphanumeric() || before == b'_' {
                    continue;
                }
            }
            for path in expand(&code[from..]) {
                let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
                let mut segments = match base {
                    Some(folder) => {
                        let mut with = vec![folder.to_owned()];
                        with.extend(segments);
                        with
                    }
                    None => segments,
                };
                segments.retain(|s| !s.is_empty() && s != "self");
                if let Some(top) = segments.first().cloned() {
                    found.push((top, segments.get(1).cloned()));
                }
            }
        }
    }
    found
}

/// The paths after a `crate::`: `a::b::C` → [`a::b::C`]; `{a::b, c::{d, e}}` → each one.
fn expand(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut end = inner.len();
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let group = &inner[..end];
        let mut items = Vec::new();
        let (mut depth, mut last) = (0, 0);
        for (i, ch) in group.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&group[last..i]);
                    last = i + 1;
                }
                _ => {}
            }
        }
        items.push(&group[last..]);
        return items
            .into_iter()
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .flat_map(expand)
            .collect();
    }
    let mut path = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            path.push(ch);
        } else if rest[i..].starts_with("::{") {
            let mut out = Vec::new();
            for tail in expand(&rest[i + 2..]) {
                out.push(format!("{path}::{tail}"));
            }
            return out;
        } else if rest[i..].starts_with("::") {
            path.push_str("::");
            chars.next();
        } else {
            break;
        }
    }
    vec![path]
}

/// Every edge of the source tree under `src`: (from unit, to unit, file).
fn edges(src: &Path) -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut edges = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(src)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        edges.extend(edges_of(&rel, &text));
    }
    edges
}

fn edges_of(rel: &str, text: &str) -> Vec<(String, String, String)> {
    let from = unit_of_file(rel);
    let folder = rel
        .split_once('/')
        .filter(|(_, file)| *file != "mod.rs")
        .map(|(folder, _)| folder);
    referenced(&code_of(text), folder)
        .into_iter()
        .map(|(top, next)| {
            (
                from.clone(),
                unit_of_path(&top, next.as_deref()),
                rel.to_owned(),
            )
        })
        .filter(|(from, to, _)| from != to)
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The edges that break the rules, one line each.
fn violations(edges: &[(String, String, String)]) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for (from, to, file) in edges {
        if let Some(why) = allowed(from, to) {
            out.insert(format!("{file}: {why}"));
        }
    }
    out.into_iter().collect()
}

/// A cycle in `graph`, if any, as the list of nodes around it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let at = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut found = stack[at..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(_) => {}
                None => {
                    if let Some(found) = visit(next, graph, state, stack) {
                        return Some(found);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node.as_str()) {
            let mut stack = Vec::new();
            if let Some(found) = visit(node, graph, &mut state, &mut stack) {
                return Some(found);
            }
        }
    }
    None
}

fn graph_of(
    edges: &[(String, String, String)],
    node: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to, _) in edges {
        if let (Some(from), Some(to)) = (node(from), node(to))
            && from != to
        {
            graph.entry(from).or_default().insert(to);
        }
    }
    graph
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn dependencies_point_one_way() {
    let edges = edges(&src_dir());
    assert!(
        edges.len() > 100,
        "the scan found only {} edges: is it reading agent/src?",
        edges.len()
    );
    let broken = violations(&edges);
    assert!(
        broken.is_empty(),
        "imports against the agent's layering (see agent/README.md):\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_cycle_between_units() {
    // Units, with a role folder's `mod.rs` (re-exports) counted as the role itself.
    let graph = graph_of(&edges(&src_dir()), |unit| {
        Some(unit.trim_end_matches("::mod").to_owned())
    });
    if let Some(found) = cycle(&graph) {
        panic!("import cycle between units: {}", found.join(" → "));
    }
}

#[test]
fn no_cycle_between_role_folders() {
    let folders = ["issuer", "status", "verifier", "public", "console"];
    let graph = graph_of(&edges(&src_dir()), |unit| {
        let folder = unit.split("::").next().unwrap_or(unit);
        folders.contains(&folder).then(|| folder.to_owned())
    });
    if let Some(found) = cycle(&graph) {
        panic!("import cycle between role folders: {}", found.join(" → "));
    }
}

// The checker itself: each forbidden kind of edge is caught.

fn broken(rel: &str, text: &str) -> Vec<String> {
    violations(&edges_of(rel, text))
}

#[test]
fn a_role_using_another_roles_routes_is_caught() {
    assert_eq!(
        broken("verifier/http.rs", "use crate::issuer::http::router;"),
        ["verifier/http.rs: verifier::http may not use issuer::http"]
    );
}

#[test]
fn role_logic_using_web_plumbing_is_caught() {
    assert_eq!(
        broken("issuer/offers.rs", "fn f() { crate::web::blocking(); }"),
        ["issuer/offers.rs: issuer may not use web"]
    );
}

#[test]
fn a_role_using_a_later_role_is_caught() {
    assert_eq!(
        broken(
            "status/service.rs",
            "use crate::{config::Settings, issuer::IssuerService};"
        ),
        ["status/service.rs: status may not use issuer"]
    );
    assert!(broken("issuer/protocol.rs", "use crate::status::StatusService;").is_empty());
}

#[test]
fn the_console_calling_routes_is_caught() {
    assert_eq!(
        broken(
            "console/pages.rs",
            "use crate::{\n    status::{http, records::Row},\n};"
        ),
        ["console/pages.rs: console may not use status::http"]
    );
}

#[test]
fn super_paths_resolve_to_the_folder() {
    assert_eq!(
        broken("issuer/bulk.rs", "use super::http::router;"),
        ["issuer/bulk.rs: issuer may not use issuer::http"]
    );
}

#[test]
fn comments_and_strings_are_not_edges() {
    assert!(
        broken(
            "issuer/offers.rs",
            "// see crate::web::ui\n/// [`crate::web`]\nlet s = \"crate::web::x\";"
        )
        .is_empty()
    );
}

#[test]
fn a_cycle_is_found() {
    let edges: Vec<(String, String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(f, t)| ((*f).to_owned(), (*t).to_owned(), String::new()))
        .collect();
    let graph = graph_of(&edges, |u| Some(u.to_owned()));
    assert_eq!(
        cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
