//! The shape of the application layer, checked on its source: no file over 500 lines, and no cycle between
//! its top-level modules (a module names another through `crate::<module>`, in a `use` or a path; a child
//! module counts as its parent). Foundations (`error`, `json`, `session`, `names`, `kinds`) stay at the
//! bottom: they name no module that names them back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without comments (`//…` to the end of the line, `/* … */`), so a doc link is not a dependency.
/// String literals (raw ones too) and the character literal `'"'` are skipped over whole, so a `//` inside
/// one is not a comment.
fn without_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_');
        // A raw string: r"…", r#"…"#, …
        if c == 'r' && !after_ident {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            if chars.get(i + 1 + hashes) == Some(&'"') {
                let close: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let start = i;
                i += 2 + hashes;
                while i < chars.len() && !chars[i..].starts_with(&close) {
                    i += 1;
                }
                i = (i + close.len()).min(chars.len());
                out.extend(&chars[start..i]);
                continue;
            }
        }
        match (c, next) {
            ('\'', Some('"')) if chars.get(i + 2) == Some(&'\'') => {
                out.push_str("'\"'");
                i += 3;
            }
            ('"', _) => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i = (i + 1).min(chars.len());
                out.extend(&chars[start..i]);
            }
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i = (i + 2).min(chars.len());
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first names of every `crate::…` path in `code`: `crate::a::b` gives `a`; `crate::{a::b, c}` gives
/// `a` and `c`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `my_crate::`, not `crate::`
        }
        let after = rest.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // The top-level items of the group: split on commas outside nested braces.
            let mut depth = 0;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(ident_at(group[start..j].trim()).to_string());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident_at(group[start..j].trim()).to_string());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident_at(after).to_string());
        }
    }
    found.remove("");
    found
}

/// The top-level modules declared in `lib.rs` (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn top_level_modules() -> BTreeSet<String> {
    let lib = without_comments(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            l.strip_prefix("mod ")
                .and_then(|m| m.strip_suffix(';'))
                .map(|m| m.trim().to_string())
        })
        .collect()
}

/// The top-level module a file belongs to (`spec/cloud.rs` belongs to `spec`); `None` for `lib.rs`.
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(m) => Some(m.to_string()),
        None => Some(first),
    }
}

/// Which top-level module names which.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = top_level_modules();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for f in files {
        let Some(from) = module_of(&f) else { continue };
        let code = without_comments(&std::fs::read_to_string(&f).unwrap());
        for to in crate_paths(&code) {
            if to != from && modules.contains(&to) {
                g.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    g
}

/// A cycle in `g`, as the modules along it (the first repeated at the end), if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::OnPath);
        path.push(node.to_string());
        for next in g.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::Unseen) {
                Mark::OnPath => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::Unseen => {
                    if let Some(c) = visit(g, next, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in g.keys() {
        if marks.get(node).copied().unwrap_or(Mark::Unseen) == Mark::Unseen {
            if let Some(c) = visit(g, node, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn edges(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in pairs {
        g.entry(a.to_string()).or_default().insert(b.to_string());
        g.entry(b.to_string()).or_default();
    }
    g
}

#[test]
fn paths_are_read_from_uses_groups_and_expressions_but_not_comments() {
    let code = without_comments(
        "use crate::error::{ApiError, Result};\nuse crate::{json, Roster, spec::{a, b}};\n// crate::tenants in a comment\n/// [`crate::users`] in a doc\nlet x = crate::names::check_name(\"a // b\", n);\nlet q = '\"'; let r = r#\"{\"u\": \"ldap://h\"}\"#;\nlet y = my_crate::runs::x; /* crate::lists */ crate::kinds::X",
    );
    assert_eq!(
        crate_paths(&code),
        ["Roster", "error", "json", "kinds", "names", "spec"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
        "comments and other crates' paths are not dependencies; groups and nested groups are"
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_only_a_cycle() {
    let cyclic = edges(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    let cycle = find_cycle(&cyclic).expect("a -> b -> c -> a is a cycle");
    assert_eq!(cycle.first(), cycle.last(), "a cycle ends where it starts");
    assert_eq!(cycle.len(), 4, "three modules and back: {cycle:?}");
    let acyclic = edges(&[("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]);
    assert_eq!(find_cycle(&acyclic), None, "a diamond is not a cycle");
}

#[test]
fn the_modules_of_the_application_layer_form_no_cycle() {
    let g = graph();
    assert!(
        g.len() >= 10 && g.values().map(BTreeSet::len).sum::<usize>() >= 10,
        "the graph was read from src/ (modules and their references): {g:?}"
    );
    if let Some(cycle) = find_cycle(&g) {
        panic!(
            "roster-api's modules form a cycle: {}. Move the item one of them takes from the next into a lower module (or into the module that uses it), so that each module only names modules below it.",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_foundations_name_no_module_above_them() {
    let g = graph();
    // What each foundation may name: only foundations below it.
    let allowed: [(&str, &[&str]); 5] = [
        ("error", &[]),
        ("names", &["error"]),
        ("kinds", &["error"]),
        ("json", &["error", "kinds"]),
        ("session", &["error", "json"]),
    ];
    for (module, below) in allowed {
        let names: Vec<&String> = g
            .get(module)
            .unwrap_or_else(|| panic!("lib.rs declares the module {module}"))
            .iter()
            .filter(|n| !below.contains(&n.as_str()))
            .collect();
        assert!(
            names.is_empty(),
            "{module} is a foundation of the application layer and may name only {below:?}, but names {names:?}"
        );
    }
}

#[test]
fn no_file_of_the_application_layer_is_over_500_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    assert!(files.len() >= 10, "the source files were found: {files:?}");
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "split these files by subject into modules of at most {MAX_LINES} lines: {}",
        long.join(", ")
    );
}
