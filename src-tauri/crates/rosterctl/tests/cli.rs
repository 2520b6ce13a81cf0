//! `rosterctl` end to end: the real binary, a real data directory, exit codes and messages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn ctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rosterctl"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("ROSTER_DATA_DIR")
        .output()
        .unwrap()
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let out = ctl(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} did not print JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn the_command_line_journey_with_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ctl(dir, &["tenant", "create", "Acme"]).status.success());
    let tenants = ok_json(dir, &["tenant", "list", "--json"]);
    assert_eq!(tenants[0]["name"], "Acme");

    // A malformed spec: one clear line, nothing added.
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "Demo", "type": "user", "connection": {"kind": "demo", "users": -3}}"#,
    )
    .unwrap();
    let out = ctl(
        dir,
        &[
            "--tenant",
            "Acme",
            "directory",
            "add",
            "--spec",
            bad.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "a malformed spec is an error");
    let msg = stderr(&out);
    assert_eq!(
        msg.trim().lines().count(),
        1,
        "the reason is one line: {msg}"
    );
    assert!(
        msg.contains("not valid") && msg.contains("README"),
        "it says what is wrong and where to look: {msg}"
    );
    assert_eq!(
        ok_json(dir, &["--tenant", "Acme", "directory", "list", "--json"]),
        Value::Array(vec![]),
        "nothing was added"
    );

    let spec = dir.join("demo.json");
    std::fs::write(&spec, r#"{"name": "Demo", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}"#).unwrap();
    let added = ok_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "directory",
            "add",
            "--spec",
            spec.to_str().unwrap(),
        ],
    );
    let key = added["directory_key"].as_str().unwrap().to_string();
    assert!(
        key.starts_with("DS") && key.len() == 20,
        "a Duo-shaped directory key: {key}"
    );

    let preview = ok_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "sync",
            "run",
            &key,
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(preview["outcome"], "preview");
    assert_eq!(
        ok_json(dir, &["--tenant", "Acme", "users", "list", "--json"]),
        Value::Array(vec![]),
        "a dry run changes nothing"
    );

    let report = ok_json(dir, &["--tenant", "Acme", "sync", "run", &key, "--json"]);
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["counts"]["created"], 300);
    let users = ok_json(dir, &["--tenant", "Acme", "users", "list", "--json"]);
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 300);
    for field in ["username", "email", "status", "groups", "managed_by"] {
        assert!(
            users[0].get(field).is_some(),
            "user entries carry {field}: {}",
            users[0]
        );
    }
    assert_eq!(users[0]["managed_by"], "Demo");

    // A held run exits 3 and says how to approve; approving applies it.
    let set = ctl(
        dir,
        &[
            "--tenant",
            "Acme",
            "directory",
            "set",
            &key,
            "--deletion-threshold-percent",
            "0",
        ],
    );
    assert!(set.status.success(), "{}", stderr(&set));
    let held = ctl(dir, &["--tenant", "Acme", "sync", "run", &key, "--json"]);
    assert_eq!(
        held.status.code(),
        Some(3),
        "a held run exits with 3: {}",
        stderr(&held)
    );
    assert!(
        stderr(&held).contains(&format!("rosterctl sync run {key} --approve")),
        "it says how to approve: {}",
        stderr(&held)
    );
    let after_hold = ok_json(dir, &["--tenant", "Acme", "users", "list", "--json"]);
    assert_eq!(
        after_hold.as_array().unwrap().len(),
        300,
        "a held run changes nothing"
    );
    let approved = ok_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "sync",
            "run",
            &key,
            "--approve",
            "--json",
        ],
    );
    assert_eq!(approved["outcome"], "succeeded");
    let runs = ok_json(dir, &["--tenant", "Acme", "runs", "list", &key, "--json"]);
    assert_eq!(
        runs.as_array().unwrap().len(),
        3,
        "first sync, held run, approving run"
    );
    assert_eq!(runs[1]["outcome"], "approved");

    // Sync-managed fields are read-only by hand; the rest is editable.
    let name = users[0]["username"].as_str().unwrap();
    let out = ctl(
        dir,
        &[
            "--tenant",
            "Acme",
            "users",
            "update",
            name,
            "--email",
            "someone@else.example",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("managed by the directory sync \"Demo\""),
        "{}",
        stderr(&out)
    );
    let edited = ok_json(
        dir,
        &[
            "--tenant", "Acme", "users", "update", name, "--status", "bypass",
        ],
    );
    assert_eq!(edited["status"], "bypass");
    let one = ok_json(
        dir,
        &["--tenant", "Acme", "sync", "user", &key, name, "--json"],
    );
    assert_ne!(one["outcome"], "failed", "{one}");
    let after = ok_json(
        dir,
        &[
            "--tenant", "Acme", "users", "list", "--query", name, "--json",
        ],
    );
    assert_eq!(
        after[0]["status"], "bypass",
        "a sync leaves bypass alone while the source account is enabled"
    );

    // Unknown keys and broken tenant files.
    let out = ctl(
        dir,
        &[
            "--tenant",
            "Acme",
            "sync",
            "run",
            "DSDOESNOTEXIST",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("directory list"), "{}", stderr(&out));
    let broken = dir.join("tenants/broken.sqlite3");
    std::fs::write(&broken, b"this is not a database").unwrap();
    let out = ctl(dir, &["--tenant", "broken", "users", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a Roster tenant database"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(&broken).unwrap(),
        b"this is not a database",
        "the broken file is untouched"
    );
}
