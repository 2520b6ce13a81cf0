//! One place per kind: a connection kind's string is written in the registry (`src/kinds.rs` and
//! `src/kinds/`) and in the connector crates, nowhere else. The application layer, `rosterctl`, the Tauri
//! shell and the window read the registry (the window through `connection_kinds`) instead of naming a kind,
//! so adding a kind is one descriptor. This test scans their sources (not tests, fixtures or the generated
//! types) and names each file and line that writes a kind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use regex::Regex;
use std::path::{Path, PathBuf};

/// The kinds whose names are unlike anything else. `demo` also names the demo tenant and the cloud demos'
/// flag, so it counts only where it stands for a kind (`kind: "demo"`, `kind === 'demo'`).
const KINDS: &str = "active_directory|openldap|entra|google|okta|scim";

/// Where a kind may not be written in the Rust sources: a quoted kind (also escaped inside a string), or
/// `demo` given as a kind.
fn rust_patterns() -> Vec<Regex> {
    vec![
        Regex::new(&format!(r#"\\?"({KINDS})\\?""#)).unwrap(),
        Regex::new(r#"\bkind\\?"?\s*(:|==|!=)\s*\\?"demo\\?""#).unwrap(),
    ]
}

/// The same in the window's TypeScript and Svelte sources, with any quote.
fn ui_patterns() -> Vec<Regex> {
    vec![
        Regex::new(&format!(r#"['"`]({KINDS})['"`]"#)).unwrap(),
        Regex::new(r#"\bkind['"]?\s*(:|===|!==|==|!=)\s*['"`]demo['"`]"#).unwrap(),
        Regex::new(r#"['"`]demo['"`]\s+as\s+ConnectionKind"#).unwrap(),
    ]
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Every file under `dir` whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            files(&path, exts, out);
        } else if exts.iter().any(|x| path.to_string_lossy().ends_with(x)) {
            out.push(path);
        }
    }
}

/// The lines of `text` that write a kind, as `file:line: text`. Rust test code is left out: a file's
/// `#[cfg(test)]` part (tests come last in a module, as in every Roster crate).
fn offending(name: &str, text: &str, patterns: &[Regex], rust: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if rust && line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        if rust && line.trim_start().starts_with("//") {
            continue;
        }
        // A SCIM integration's flavor names the client that pushes (`okta`), not a connection kind: Rust
        // names it `ScimFlavor::…`; the window, a value typed `ScimFlavor` or held in a `flavor`.
        if (rust && line.contains("ScimFlavor::"))
            || (!rust && (line.contains("ScimFlavor") || line.contains("flavor ===")))
        {
            continue;
        }
        if patterns.iter().any(|p| p.is_match(line)) {
            out.push(format!("{name}:{}: {}", i + 1, line.trim()));
        }
    }
    out
}

/// The sources the rule covers, each with whether it is Rust.
fn sources() -> Vec<(PathBuf, bool)> {
    let root = root();
    let mut rust = Vec::new();
    files(
        &root.join("src-tauri/crates/roster-api/src"),
        &[".rs"],
        &mut rust,
    );
    files(
        &root.join("src-tauri/crates/rosterctl/src"),
        &[".rs"],
        &mut rust,
    );
    for e in std::fs::read_dir(root.join("src-tauri")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rs") {
            rust.push(p);
        }
    }
    let registry = root.join("src-tauri/crates/roster-api/src/kinds");
    let rust = rust.into_iter().filter(|p| {
        // The registry itself; test modules kept in files of their own (`mod tests;`, the recorder).
        let name = p.file_name().unwrap().to_string_lossy();
        !(p.starts_with(&registry)
            || p.with_extension("") == registry
            || name == "tests.rs"
            || name == "recording.rs")
    });
    let mut ui = Vec::new();
    files(&root.join("ui/src"), &[".ts", ".svelte"], &mut ui);
    let ui = ui.into_iter().filter(|p| {
        // The generated types (ConnectionKind lists every kind), tests and their helpers.
        let s = p.to_string_lossy();
        !(s.contains("/generated/")
            || s.ends_with(".test.ts")
            || s.ends_with("/backend/testing.ts"))
    });
    rust.map(|p| (p, true))
        .chain(ui.map(|p| (p, false)))
        .collect()
}

#[test]
fn no_kind_is_named_outside_the_registry_and_the_connectors() {
    let root = root().canonicalize().unwrap();
    let (rust, ui) = (rust_patterns(), ui_patterns());
    let mut found = Vec::new();
    let sources = sources();
    assert!(
        sources.len() > 50,
        "the scan finds the sources it covers: {}",
        sources.len()
    );
    for (path, is_rust) in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path
            .canonicalize()
            .unwrap()
            .strip_prefix(&root)
            .unwrap()
            .display()
            .to_string();
        let patterns = if is_rust { &rust } else { &ui };
        found.extend(offending(&name, &text, patterns, is_rust));
    }
    assert!(
        found.is_empty(),
        "A connection kind is written outside the registry (roster-api's kinds.rs and kinds/) and the connector crates. Read it from the registry instead (ConnectionKind, KindInfo; the window: connection_kinds):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_finds_a_kind_however_it_is_written() {
    let rust = rust_patterns();
    for line in [
        r#"if c.kind == "okta" {"#,
        r##"let spec = r#"{"connection": {"kind": "demo"}}"#;"##,
        r#"format!("{{\"kind\": \"entra\"}}")"#,
        r#"kind == "demo""#,
    ] {
        assert_eq!(
            offending("x.rs", line, &rust, true).len(),
            1,
            "Rust: {line}"
        );
    }
    for line in [
        "r#\"{\"tenant\": \"demo\"}\"#", // the demo tenant, not a kind
        "let demo = o.remove(\"demo\");",
        "// a comment may name \"okta\"",
        "Okta => \"Okta\",",
    ] {
        assert!(
            offending("x.rs", line, &rust, true).is_empty(),
            "Rust: {line}"
        );
    }
    assert!(
        offending(
            "x.rs",
            "#[cfg(test)]\nmod t { const K: &str = \"scim\"; }",
            &rust,
            true
        )
        .is_empty(),
        "test code may name kinds"
    );
    let ui = ui_patterns();
    for line in [
        "if (c.kind === 'openldap') {",
        "connection: { kind: 'demo', seed: 7 }",
        "const k = `google`;",
        "'demo' as ConnectionKind",
    ] {
        assert_eq!(offending("x.ts", line, &ui, false).len(), 1, "UI: {line}");
    }
    for line in [
        "let adding = $state<'demo' | 'ldap' | 'cloud' | null>(null);",
        "title=\"Okta users\"",
    ] {
        assert!(offending("x.ts", line, &ui, false).is_empty(), "UI: {line}");
    }
}
