//! Roster's SCIM server, the real binary (`rosterctl serve`) on 127.0.0.1, checked by the real SCIM
//! conformance tester (scim2-tester, from .ci/venv) for both flavors, over HTTP and over HTTPS with the
//! certificate Roster generates.
//!
//! Needs `.ci/venv` (made by `.ci/setup`). Without it the tests say so and pass, unless
//! ROSTER_REQUIRE_PYTHON_TOOLS=1 (as `.ci/test` sets), which makes a missing tool a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod serving;

use serving::{ctl, listening_on, serve, stop};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python with the SCIM tester, or `None` (after saying why) when it is missing and not required.
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

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/scim/conformance.py")
}

/// `rosterctl` with the encrypted-file secret store (a generated certificate keeps its key there).
fn with_secrets(dir: &Path) -> Command {
    let mut c = ctl(dir);
    c.env("ROSTER_SECRET_STORE", "encrypted-file")
        .env("ROSTER_SECRETS_PASSPHRASE", "test passphrase");
    c
}

/// A tenant with one integration per flavor: (key, token) each.
fn integrations(dir: &Path) -> Vec<(String, String)> {
    let out = with_secrets(dir)
        .args(["tenant", "create", "Acme"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    ["okta", "generic"]
        .iter()
        .map(|flavor| {
            let out = with_secrets(dir)
                .args(["--tenant", "Acme", "scim", "create", "--name"])
                .arg(format!("{flavor} push"))
                .args(["--flavor", flavor, "--json"])
                .output()
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            (
                v["directory_key"].as_str().unwrap().to_string(),
                v["token"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Runs the conformance tester; every check must be SUCCESS.
fn conformance(py: &Path, base_url: &str, token: &str, ca: Option<&Path>) {
    let mut c = Command::new(py);
    c.arg(script()).arg(base_url).arg(token);
    if let Some(ca) = ca {
        c.arg("--ca-cert").arg(ca);
    }
    let out = c.output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let failed: Vec<&str> = report
        .lines()
        .filter(|l| !l.starts_with("SUCCESS\t"))
        .collect();
    let checks = report.lines().count();
    assert!(
        out.status.success() && failed.is_empty() && checks >= 100,
        "{checks} checks at {base_url}; not SUCCESS:\n{}\n{}",
        failed.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_conformance_check_passes_for_both_flavors_over_http() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let made = integrations(tmp.path());
    let (serving, line) = serve(with_secrets(tmp.path()), &["--listen", "127.0.0.1:0"]);
    let addr = listening_on(&line);
    for (key, token) in &made {
        conformance(&py, &format!("http://{addr}/scim/v2/{key}"), token, None);
    }
    stop(serving);
}

#[test]
fn every_conformance_check_passes_for_both_flavors_over_https_with_the_generated_certificate() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let made = integrations(tmp.path());
    let (serving, line) = serve(
        with_secrets(tmp.path()),
        &["--listen", "127.0.0.1:0", "--tls-generate"],
    );
    assert!(line.contains("fingerprint"), "{line}");
    let addr = listening_on(&line);
    // The client trusts exactly Roster's generated certificate, as an admin who pinned it would.
    let ca = tmp.path().join("server-certificate.pem");
    for (key, token) in &made {
        conformance(
            &py,
            &format!("https://{addr}/scim/v2/{key}"),
            token,
            Some(&ca),
        );
    }
    stop(serving);
}
