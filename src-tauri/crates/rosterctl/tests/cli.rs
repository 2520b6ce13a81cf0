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

fn demo_spec_file(dir: &Path, name: &str, users: usize, groups: &str) -> String {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(
        &path,
        format!(
            r#"{{"name": "{name}", "type": "user", "deletion_threshold_percent": 100, "groups": {groups},
                "connection": {{"kind": "demo", "seed": 7, "users": {users}}}}}"#
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn two_processes_syncing_overlapping_groups_at_once_both_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ctl(dir, &["tenant", "create", "Acme"]).status.success());
    let staff = r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo", "cn=Engineering,ou=Groups,dc=northwind,dc=demo"]"#;
    let mut keys = Vec::new();
    for name in ["First", "Second"] {
        let spec = demo_spec_file(dir, name, 20_000, staff);
        let added = ok_json(
            dir,
            &["--tenant", "Acme", "directory", "add", "--spec", &spec],
        );
        keys.push(added["directory_key"].as_str().unwrap().to_string());
    }
    // Both start at once: both plan from an empty tenant, both create the same groups and users.
    let runs: Vec<_> = keys
        .iter()
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_rosterctl"))
                .arg("--data-dir")
                .arg(dir)
                .args(["--tenant", "Acme", "sync", "run", k, "--json"])
                .env_remove("ROSTER_DATA_DIR")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a run must not fail on the other one: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("UNIQUE"), "{}", stderr(&out));
    }
    let users = ok_json(dir, &["--tenant", "Acme", "users", "list", "--json"]);
    assert_eq!(users.as_array().unwrap().len(), 20_000, "everyone once");
}

#[test]
fn lists_stream_whole_and_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ctl(dir, &["tenant", "create", "Acme"]).status.success());
    let spec = demo_spec_file(
        dir,
        "Staff",
        2_500,
        r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo"]"#,
    );
    ok_json(
        dir,
        &["--tenant", "Acme", "directory", "add", "--spec", &spec],
    );
    let out = ctl(
        dir,
        &["--tenant", "Acme", "sync", "run", "--json", &{
            let d = ok_json(dir, &["--tenant", "Acme", "directory", "list", "--json"]);
            d[0]["directory_key"].as_str().unwrap().to_string()
        }],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let users = ok_json(dir, &["--tenant", "Acme", "users", "list", "--json"]);
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2_500, "every user, over three pages of 1,000");
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    sorted.dedup();
    assert_eq!(sorted, names, "in order, each once");
    // `rosterctl … | head`: the reader goes away after a few lines.
    let mut child = Command::new(env!("CARGO_BIN_EXE_rosterctl"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--tenant", "Acme", "users", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && !stderr(&out).contains("panicked"),
        "a closed pipe ends the command quietly: {:?} {}",
        out.status,
        stderr(&out)
    );
}

#[test]
fn read_only_commands_create_nothing_and_an_empty_tenant_file_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("never-created");
    let out = ctl(&dir, &["tenant", "list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ctl(&dir, &["users", "list"]);
    assert_eq!(out.status.code(), Some(1), "no tenant yet");
    assert!(
        !dir.exists(),
        "read-only commands leave no data directory behind"
    );
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(dir.join("tenants")).unwrap();
    std::fs::write(dir.join("tenants/empty.sqlite3"), b"").unwrap();
    let out = ctl(&dir, &["--tenant", "empty", "users", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("empty (0 bytes)"), "{}", stderr(&out));
    assert_eq!(
        std::fs::metadata(dir.join("tenants/empty.sqlite3"))
            .unwrap()
            .len(),
        0,
        "the empty file is left as it was"
    );
    let listed = ok_json(&dir, &["tenant", "list", "--json"]);
    assert!(
        listed[0]["name"].as_str().unwrap().contains("empty file"),
        "{listed}"
    );
}

#[test]
fn a_secret_is_entered_again_from_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let with_file_store = |args: &[&str], input: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rosterctl"));
        cmd.arg("--data-dir")
            .arg(dir)
            .args(args)
            .env("ROSTER_SECRET_STORE", "encrypted-file")
            .env("ROSTER_SECRETS_PASSPHRASE", "correct horse")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = input {
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), text.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    };
    assert!(with_file_store(&["tenant", "create", "Acme"], None)
        .status
        .success());
    let spec = dir.join("ldap.json");
    std::fs::write(
        &spec,
        r#"{"name": "Staff", "type": "user", "groups": ["cn=staff,dc=example,dc=org"],
            "connection": {"kind": "openldap", "servers": ["ldaps://127.0.0.1:1"], "transport": "ldaps",
                           "bind_dn": "cn=admin,dc=example,dc=org", "bind_password": "first-pw", "base_dn": "dc=example,dc=org"}}"#,
    )
    .unwrap();
    let out = with_file_store(
        &[
            "--tenant",
            "Acme",
            "directory",
            "add",
            "--spec",
            spec.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let export = with_file_store(&["--tenant", "Acme", "tenant", "export"], None);
    std::fs::write(dir.join("export.json"), &export.stdout).unwrap();
    let out = with_file_store(
        &[
            "tenant",
            "import",
            "Copy",
            dir.join("export.json").to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let conns: Value = serde_json::from_slice(
        &with_file_store(&["--tenant", "Copy", "connection", "list", "--json"], None).stdout,
    )
    .unwrap();
    let id = conns[0]["id"].as_str().unwrap().to_string();
    assert_eq!(conns[0]["status"], "needs_credentials");
    let out = with_file_store(&["--tenant", "Copy", "connection", "test", &id], None);
    let said = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    assert!(
        said.contains("encrypted secrets file") && said.contains("set-secret"),
        "the message names the store in use and the command: {said}"
    );
    let out = with_file_store(
        &["--tenant", "Copy", "connection", "set-secret", &id],
        Some("second-pw\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("second-pw"),
        "the secret is never printed"
    );
    let conns: Value = serde_json::from_slice(
        &with_file_store(&["--tenant", "Copy", "connection", "list", "--json"], None).stdout,
    )
    .unwrap();
    assert_eq!(conns[0]["status"], "ready");
    // The server is not there: one plain line on stderr, no library log lines, no colour codes.
    let out = with_file_store(&["--tenant", "Copy", "connection", "test", &id], None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "one line per error: {err}");
    assert!(!err.contains('\u{1b}') && !err.contains("WARN"), "{err}");
    let file = std::fs::read_to_string(dir.join("secrets.enc.json")).unwrap();
    assert!(!file.contains("second-pw"), "stored encrypted");
}

/// The one line a refused command prints, after checking it failed with exit code 1.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = ctl(dir, args);
    assert_eq!(out.status.code(), Some(1), "{args:?} is refused");
    let msg = stderr(&out);
    assert_eq!(msg.trim().lines().count(), 1, "one line: {msg}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {msg}");
    msg
}

fn operator<'a>(all: &'a Value, email: &str) -> Option<&'a Value> {
    all.as_array().unwrap().iter().find(|o| o["email"] == email)
}

#[test]
fn operators_custom_roles_and_acting_as_another_operator() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ctl(
        dir,
        &[
            "tenant",
            "create",
            "Acme",
            "--owner-email",
            "olivia@acme.test",
            "--owner-name",
            "Olivia"
        ]
    )
    .status
    .success());
    let t = |args: &[&str]| -> Vec<String> {
        ["--tenant", "Acme"]
            .iter()
            .chain(args)
            .map(|s| s.to_string())
            .collect()
    };
    let run = |args: &[&str]| ctl(dir, &t(args).iter().map(String::as_str).collect::<Vec<_>>());
    let json =
        |args: &[&str]| ok_json(dir, &t(args).iter().map(String::as_str).collect::<Vec<_>>());
    let refuse =
        |args: &[&str]| refused(dir, &t(args).iter().map(String::as_str).collect::<Vec<_>>());

    // Custom roles with the seed's two permissions.
    let runners = json(&[
        "role",
        "create",
        "Sync runners",
        "--directory-config",
        "none",
        "--run-syncs",
        "all",
        "--json",
    ]);
    assert_eq!(
        (
            &runners["name"],
            &runners["directory_config"],
            &runners["run_syncs"]
        ),
        (
            &Value::from("Sync runners"),
            &Value::from("none"),
            &Value::from("all")
        )
    );
    json(&[
        "role",
        "create",
        "Configurers",
        "--directory-config",
        "all",
        "--run-syncs",
        "individual",
        "--json",
    ]);
    let roles = json(&["role", "list", "--json"]);
    assert_eq!(
        roles
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (
                r["name"].as_str().unwrap(),
                r["run_syncs"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        vec![("Configurers", "individual"), ("Sync runners", "all")],
        "roles are listed by name, with their permissions"
    );
    let bad = run(&[
        "role",
        "create",
        "X",
        "--directory-config",
        "some",
        "--run-syncs",
        "all",
    ]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "clap refuses a value that is not all or none"
    );

    // Operators with Duo's roles and a custom role.
    for (email, name, role) in [
        ("uma@acme.test", "Uma", "User Manager"),
        ("rita@acme.test", "Rita", "Read-only"),
        ("nina@acme.test", "Nina", "Sync runners"),
    ] {
        let o = json(&[
            "operator", "add", "--email", email, "--name", name, "--role", role, "--json",
        ]);
        assert_eq!(o["email"], email);
    }
    let all = json(&["operator", "list", "--json"]);
    assert_eq!(
        all.as_array().unwrap().len(),
        4,
        "the Owner and three more: {all}"
    );
    assert_eq!(operator(&all, "olivia@acme.test").unwrap()["role"], "Owner");
    assert_eq!(
        operator(&all, "uma@acme.test").unwrap()["role"],
        "User Manager"
    );
    let nina = operator(&all, "nina@acme.test").unwrap();
    assert_eq!(
        (&nina["role"], &nina["custom_role"]),
        (
            // Duo's role is Read-only under a custom role; the custom role says what more it may do.
            &Value::from("Read-only"),
            &Value::from("Sync runners")
        )
    );

    // A User Manager adds a user sync, but not an admin sync.
    let user_spec = demo_spec_file(
        dir,
        "Staff",
        20,
        r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo"]"#,
    );
    let added = json(&[
        "--as",
        "uma@acme.test",
        "directory",
        "add",
        "--spec",
        &user_spec,
    ]);
    let key = added["directory_key"].as_str().unwrap().to_string();
    let admin_spec = dir.join("admins.json");
    std::fs::write(
        &admin_spec,
        r#"{"name": "Admins", "type": "admin", "connection": {"kind": "demo", "seed": 7, "users": 20}}"#,
    )
    .unwrap();
    let admin_spec = admin_spec.to_str().unwrap();
    let msg = refuse(&[
        "--as",
        "uma@acme.test",
        "directory",
        "add",
        "--spec",
        admin_spec,
    ]);
    assert!(
        msg.contains("admin directory syncs needs the Owner role")
            && msg.contains("User Manager (uma@acme.test)"),
        "the refusal names the role needed and the caller's: {msg}"
    );

    // Read-only looks, and is refused anything else in one line naming the roles needed.
    let listed = json(&["--as", "rita@acme.test", "directory", "list", "--json"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "Read-only sees the sync"
    );
    let other = demo_spec_file(
        dir,
        "Other",
        20,
        r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo"]"#,
    );
    let msg = refuse(&[
        "--as",
        "rita@acme.test",
        "directory",
        "add",
        "--spec",
        &other,
    ]);
    assert!(
        msg.contains("Owner, Administrator or User Manager role")
            && msg.contains("Read-only (rita@acme.test)"),
        "{msg}"
    );
    let msg = refuse(&["--as", "rita@acme.test", "sync", "run", &key]);
    assert!(msg.contains("Running user directory syncs needs"), "{msg}");

    // The custom role runs syncs but configures none.
    let report = json(&["--as", "nina@acme.test", "sync", "run", &key, "--json"]);
    assert_eq!(report["outcome"], "succeeded", "{report}");
    let msg = refuse(&["--as", "nina@acme.test", "directory", "pause", &key]);
    assert!(msg.contains("Sync runners (custom role)"), "{msg}");

    // An unknown email is refused, saying how to find who may act.
    let msg = refuse(&["--as", "nobody@acme.test", "directory", "list"]);
    assert!(
        msg.contains("nobody@acme.test") && msg.contains("rosterctl operator list"),
        "{msg}"
    );

    // Only the Owner manages operators.
    let msg = refuse(&[
        "--as",
        "uma@acme.test",
        "operator",
        "set-role",
        "rita@acme.test",
        "Help Desk",
    ]);
    assert!(msg.contains("needs the Owner role"), "{msg}");
    let msg = refuse(&[
        "--as",
        "uma@acme.test",
        "role",
        "create",
        "Mine",
        "--directory-config",
        "all",
        "--run-syncs",
        "all",
    ]);
    assert!(msg.contains("needs the Owner role"), "{msg}");
    assert!(
        run(&["operator", "set-role", "rita@acme.test", "Help Desk"])
            .status
            .success()
    );
    let all = json(&["operator", "list", "--json"]);
    assert_eq!(
        operator(&all, "rita@acme.test").unwrap()["role"],
        "Help Desk"
    );

    // A disabled operator cannot act until the Owner activates them.
    assert!(
        run(&["operator", "set-status", "uma@acme.test", "disabled"])
            .status
            .success()
    );
    let msg = refuse(&["--as", "uma@acme.test", "directory", "list"]);
    assert!(
        msg.contains("disabled") && msg.contains("operator set-status uma@acme.test active"),
        "{msg}"
    );
    assert!(run(&["operator", "set-status", "uma@acme.test", "active"])
        .status
        .success());
    assert!(run(&["--as", "uma@acme.test", "directory", "list"])
        .status
        .success());

    // The last Owner stays; others can be removed.
    let msg = refuse(&["operator", "remove", "olivia@acme.test"]);
    assert!(msg.contains("only Owner"), "{msg}");
    let msg = refuse(&["operator", "set-status", "olivia@acme.test", "disabled"]);
    assert!(msg.contains("Owners cannot be disabled"), "{msg}");
    assert!(run(&["operator", "remove", "rita@acme.test"])
        .status
        .success());
    let all = json(&["operator", "list", "--json"]);
    assert!(operator(&all, "rita@acme.test").is_none(), "removed: {all}");
    assert!(
        operator(&all, "olivia@acme.test").is_some(),
        "the Owner stays"
    );
}
