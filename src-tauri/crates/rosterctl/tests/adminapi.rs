//! Roster's Duo-compatible Admin API, the real binary (`rosterctl serve`) on 127.0.0.1, driven by Duo's
//! own client library (duo_client, from .ci/venv) over HTTP and over HTTPS with the certificate Roster
//! generates: paging iterators over a few thousand synced users, individual syncs, users with aliases and
//! custom attributes, signatures v5 and v2, and every refusal (see tests/adminapi/duo_client_checks.py).
//!
//! Needs `.ci/venv` (made by `.ci/setup`). Without it the tests say so and pass, unless
//! ROSTER_REQUIRE_PYTHON_TOOLS=1 (as `.ci/test` sets).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod serving;
#[path = "../../connector-ldap/tests/support/mod.rs"]
mod slapd;

use serde_json::{json, Value};
use serving::{ctl, listening_on, serve, stop};
use std::path::{Path, PathBuf};
use std::process::Command;

const USERS: usize = 2500;

fn python() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let py = root.join(".ci/venv/bin/python");
    if py.is_file() {
        return Some(py);
    }
    if std::env::var("ROSTER_REQUIRE_PYTHON_TOOLS").as_deref() == Ok("1") {
        panic!("{} is missing: run .ci/setup", py.display());
    }
    eprintln!("skipped: {} is missing (run .ci/setup)", py.display());
    None
}

fn with_secrets(dir: &Path) -> Command {
    let mut c = ctl(dir);
    c.env("ROSTER_SECRET_STORE", "encrypted-file")
        .env("ROSTER_SECRETS_PASSPHRASE", "test passphrase");
    c
}

fn run_json(dir: &Path, args: &[&str]) -> Value {
    let out = with_secrets(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_ok(dir: &Path, args: &[&str]) -> String {
    let out = with_secrets(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tenant with a synced user directory of [`USERS`] people, a synced admin directory, and two Admin
/// API applications (every grant; read only).
fn tenant(dir: &Path) -> Value {
    run_ok(dir, &["tenant", "create", "Acme"]);
    let users = dir.join("users.json");
    std::fs::write(
        &users,
        format!(
            r#"{{"name": "Staff", "type": "user", "deletion_threshold_percent": 100,
                "groups": ["cn=All Staff,ou=Groups,dc=northwind,dc=demo", "cn=Engineering,ou=Groups,dc=northwind,dc=demo"],
                "connection": {{"kind": "demo", "seed": 7, "users": {USERS}}}}}"#
        ),
    )
    .unwrap();
    let admins = dir.join("admins.json");
    std::fs::write(
        &admins,
        r#"{"name": "Admins", "type": "admin", "roles": {"cn=Engineering,ou=Groups,dc=northwind,dc=demo": "Administrator"},
            "connection": {"kind": "demo", "seed": 7, "users": 40}}"#,
    )
    .unwrap();
    let mut keys = Vec::new();
    for spec in [&users, &admins] {
        let added = run_json(
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
        run_ok(dir, &["--tenant", "Acme", "sync", "run", &key, "--json"]);
        keys.push(key);
    }
    let all = run_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "api",
            "create",
            "--name",
            "Script",
            "--grant",
            "read_resource,write_resource,admins,info,read_log,settings",
            "--json",
        ],
    );
    let ro = run_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "api",
            "create",
            "--name",
            "Reader",
            "--grant",
            "read_resource",
            "--json",
        ],
    );
    assert_eq!(all["host"], "127.0.0.1", "{all}");
    assert_eq!(all["skey"].as_str().unwrap().len(), 40);
    json!({
        "ikey": all["ikey"], "skey": all["skey"], "read_ikey": ro["ikey"], "read_skey": ro["skey"],
        "user_sync": keys[0], "admin_sync": keys[1], "synced_users": 1000, "host": "127.0.0.1",
    })
}

fn checks(py: &Path, cfg: &Value) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/adminapi/duo_client_checks.py");
    let out = Command::new(py)
        .arg(script)
        .arg(cfg.to_string())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("ALL OK"),
        "duo_client against {}:\n{report}\n{}",
        cfg["port"],
        String::from_utf8_lossy(&out.stderr)
    );
}

fn port(addr: &str) -> u16 {
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn duo_client_drives_every_endpoint_over_http() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = tenant(tmp.path());
    let (serving, line) = serve(with_secrets(tmp.path()), &["--listen", "127.0.0.1:0"]);
    cfg["port"] = json!(port(&listening_on(&line)));
    cfg["ca_certs"] = json!("HTTP");
    checks(&py, &cfg);
    // A reset secret stops working at once, in the server that is already running.
    let old = cfg["skey"].clone();
    let reset = run_json(
        tmp.path(),
        &[
            "--tenant",
            "Acme",
            "api",
            "reset-secret",
            cfg["ikey"].as_str().unwrap(),
            "--json",
        ],
    );
    assert_ne!(reset["skey"], old);
    let probe = |skey: &Value| {
        let code = format!(
            "import duo_client,sys\na=duo_client.Admin({:?},{},'127.0.0.1',ca_certs='HTTP',port={})\ntry:\n a.get_users(limit=1); print('accepted')\nexcept RuntimeError as e:\n print(e.status)",
            cfg["ikey"].as_str().unwrap(),
            skey,
            cfg["port"]
        );
        let out = Command::new(&py).arg("-c").arg(code).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(probe(&old), "401", "the old secret no longer works");
    assert_eq!(probe(&reset["skey"]), "accepted", "the new one does");
    let listed = run_json(tmp.path(), &["--tenant", "Acme", "api", "list", "--json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["last_used"].is_string()),
        "last used is recorded: {listed}"
    );
    stop(serving);
}

#[test]
fn duo_client_drives_every_endpoint_over_https_with_the_generated_certificate() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = tenant(tmp.path());
    let (serving, line) = serve(
        with_secrets(tmp.path()),
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-generate",
            "--host-name",
            "localhost",
        ],
    );
    // duo_client checks the certificate's DNS names (not its IP addresses): it connects to, and signs,
    // "localhost", the server's public host name here.
    cfg["host"] = json!("localhost");
    cfg["port"] = json!(port(&listening_on(&line)));
    cfg["ca_certs"] = json!(tmp.path().join("server-certificate.pem"));
    checks(&py, &cfg);
    stop(serving);
}

#[test]
fn api_commands_create_list_change_and_delete_applications() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run_ok(dir, &["tenant", "create", "Acme"]);
    let made = run_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "api",
            "create",
            "--name",
            "Script",
            "--grant",
            "read_resource",
            "--json",
        ],
    );
    let ikey = made["ikey"].as_str().unwrap();
    assert!(ikey.starts_with("DI") && ikey.len() == 20, "{made}");
    let listed = run_json(dir, &["--tenant", "Acme", "api", "list", "--json"]);
    assert_eq!(listed[0]["grants"], json!(["read_resource"]));
    assert!(
        !listed.to_string().contains(made["skey"].as_str().unwrap()),
        "the secret is shown once only"
    );
    run_ok(
        dir,
        &[
            "--tenant",
            "Acme",
            "api",
            "grants",
            ikey,
            "--grant",
            "read_resource,settings",
        ],
    );
    let listed = run_json(dir, &["--tenant", "Acme", "api", "list", "--json"]);
    assert_eq!(listed[0]["grants"], json!(["read_resource", "settings"]));
    let bad = with_secrets(dir)
        .args([
            "--tenant",
            "Acme",
            "api",
            "create",
            "--name",
            "X",
            "--grant",
            "everything",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an Admin API permission"));
    run_ok(dir, &["--tenant", "Acme", "api", "delete", ikey]);
    let listed = run_json(dir, &["--tenant", "Acme", "api", "list", "--json"]);
    assert_eq!(listed, json!([]));
}

/// `ldapmodify` as the directory's administrator: what someone changing the directory does.
fn ldapmodify(srv: &slapd::Slapd, ldif: &str) {
    use std::io::Write as _;
    let mut child = Command::new("ldapmodify")
        .args(["-x", "-H", &format!("ldap://127.0.0.1:{}", srv.ldap_port)])
        .args(["-D", slapd::ADMIN, "-w", slapd::PASSWORD])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ldif.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ldapmodify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn duo_client_syncs_one_user_from_a_real_slapd() {
    let Some(srv) = slapd::Slapd::start() else {
        return;
    };
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    run_ok(dir, &["tenant", "create", "Acme"]);
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, srv.ca("test-ca")).unwrap();
    let base = slapd::BASE;
    let spec = dir.join("ldap.json");
    std::fs::write(
        &spec,
        format!(
            r#"{{"name": "Engineering", "type": "user", "deletion_threshold_percent": 100,
                "connection": {{"kind": "openldap", "servers": ["ldap://127.0.0.1:{}"], "transport": "starttls",
                                "ca_cert_file": "{}", "bind_dn": "{}", "bind_password": "{}", "base_dn": "{base}"}},
                "groups": ["cn=engineering,ou=groups,{base}"],
                "attributes": {{"username": "uid", "email": "mail", "realname": "displayName"}}}}"#,
            srv.ldap_port,
            ca.display(),
            slapd::ADMIN,
            slapd::PASSWORD
        ),
    )
    .unwrap();
    let added = run_json(
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
    run_ok(dir, &["--tenant", "Acme", "sync", "run", &key, "--json"]);
    let keys = run_json(
        dir,
        &[
            "--tenant",
            "Acme",
            "api",
            "create",
            "--name",
            "Sync script",
            "--grant",
            "read_resource,write_resource",
            "--json",
        ],
    );
    // Someone changes the directory: zoe gets a new email, dave leaves the synced group.
    ldapmodify(
        &srv,
        &format!(
            "dn: uid=zoe,ou=people,{base}\nchangetype: modify\nreplace: mail\nmail: zoe.new@example.org\n\n\
             dn: cn=engineering,ou=groups,{base}\nchangetype: modify\ndelete: member\nmember: uid=dave,ou=people,{base}\n"
        ),
    );
    let (serving, line) = serve(with_secrets(dir), &["--listen", "127.0.0.1:0"]);
    let cfg = json!({
        "host": "127.0.0.1", "port": port(&listening_on(&line)), "ca_certs": "HTTP",
        "ikey": keys["ikey"], "skey": keys["skey"], "user_sync": key,
        "changed": "zoe", "changed_email": "zoe.new@example.org", "removed": "dave", "untouched": "bob",
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/adminapi/duo_client_sync_checks.py");
    let out = Command::new(&py)
        .arg(script)
        .arg(cfg.to_string())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.contains("ALL OK"),
        "duo_client sync_user against slapd:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop(serving);
}
