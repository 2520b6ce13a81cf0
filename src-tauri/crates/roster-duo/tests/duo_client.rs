//! The real duo_client (from .ci/venv) builds every request the emulated Admin API serves, with
//! signature versions 5, 4, 2 (SHA-512 and SHA-1) and 1; `duo_client_capture.py` captures them instead
//! of sending them. Each must verify, resolve to its route, carry only parameters that route accepts,
//! and decode to what the client meant.
//!
//! Needs `.ci/venv` (made by `.ci/setup`). Without it the test says so and passes, unless
//! ROSTER_REQUIRE_PYTHON_TOOLS=1 (as `.ci/test` sets), which makes a missing tool a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

use roster_duo::signing::{parse_date, DEFAULT_WINDOW_SECS};
use roster_duo::{route, verify, Code, Endpoint, ReplayCache, Request, SigVersion};
use serde_json::Value;

const IKEY: &str = "DIWJ8X6AEYOR5OMC6TQ1";
const SKEY: &str = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep";

fn python() -> Option<PathBuf> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../.ci/venv/bin/python");
    if py.is_file() {
        return Some(py);
    }
    if std::env::var("ROSTER_REQUIRE_PYTHON_TOOLS").as_deref() == Ok("1") {
        panic!("{} is missing: run .ci/setup", py.display());
    }
    eprintln!("skipped: {} is missing (run .ci/setup)", py.display());
    None
}

/// Every request duo_client built, as JSON objects.
fn captured(py: &Path) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/duo_client_capture.py");
    let out = Command::new(py)
        .arg(script)
        .args([IKEY, SKEY, "127.0.0.1"])
        .output()
        .expect("run duo_client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn version(n: u64) -> SigVersion {
    match n {
        1 => SigVersion::V1,
        2 => SigVersion::V2,
        4 => SigVersion::V4,
        5 => SigVersion::V5,
        _ => panic!("duo_client has no signature version {n}"),
    }
}

#[test]
fn every_request_duo_client_builds_verifies_routes_and_decodes() {
    let Some(py) = python() else { return };
    let requests = captured(&py);
    assert_eq!(
        requests.len(),
        5 * 24,
        "24 calls for each of 5 signature kinds"
    );
    let mut replay = ReplayCache::default();
    let mut endpoints = std::collections::HashSet::new();
    for r in &requests {
        let method = r["method"].as_str().unwrap();
        let uri = r["uri"].as_str().unwrap();
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let headers: Vec<(&str, &str)> = r["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        let body = r["body"].as_str().unwrap().as_bytes();
        let request = Request {
            method,
            path,
            query,
            headers: &headers,
            body,
        };
        // The client's own date is "now": the check is of signing, not of this machine's clock.
        let date = headers
            .iter()
            .find(|(n, _)| *n == "Date")
            .map(|(_, v)| *v)
            .unwrap();
        let now = parse_date(date).unwrap();
        let secret = |ikey: &str| (ikey == IKEY).then_some(SKEY);
        let what = format!("v{} {} {method} {uri}", r["sig_version"], r["digest"]);

        let verified = verify(
            &request,
            "127.0.0.1",
            now,
            DEFAULT_WINDOW_SECS,
            secret,
            &mut replay,
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            verified.version,
            version(r["sig_version"].as_u64().unwrap()),
            "{what}"
        );
        assert_eq!(verified.ikey, IKEY);

        let matched = route(method, path).unwrap_or_else(|e| panic!("{what}: {e}"));
        verified
            .params
            .reject_unknown(matched.route.params)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        endpoints.insert(matched.endpoint());

        match matched.endpoint() {
            Endpoint::UserCreate => {
                let p = &verified.params;
                assert_eq!(p.str("notes").unwrap(), Some("\u{fc} & = + ~"), "{what}");
                assert_eq!(p.str("realname").unwrap(), Some("Joe Smith"), "{what}");
                assert_eq!(
                    p.with_prefix("custom_attributes.").unwrap(),
                    vec![("dept", "Sales")],
                    "{what}"
                );
            }
            Endpoint::UserUpdate => {
                assert_eq!(
                    verified.params.str("realname").unwrap(),
                    Some("Joe  Smith"),
                    "{what}"
                );
            }
            Endpoint::UsersList if verified.params.contains("username_list") => {
                let names = verified.params.json_str_list("username_list", 100).unwrap();
                assert_eq!(
                    names,
                    Some(vec!["j smith".to_string(), "a+b@example.com".to_string()]),
                    "{what}"
                );
            }
            Endpoint::SettingsUpdate => {
                assert_eq!(
                    verified.params.int("lockout_threshold", 1..=9999).unwrap(),
                    Some(10)
                );
            }
            _ => {}
        }
    }
    assert_eq!(
        endpoints.len(),
        22,
        "every endpoint was exercised: {endpoints:?}"
    );
}

#[test]
fn a_request_signed_with_another_secret_or_for_another_host_is_refused() {
    let Some(py) = python() else { return };
    let requests = captured(&py);
    let r = &requests[0];
    let uri = r["uri"].as_str().unwrap();
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let headers: Vec<(&str, &str)> = r["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    let request = Request {
        method: "GET",
        path,
        query,
        headers: &headers,
        body: b"",
    };
    let date = headers
        .iter()
        .find(|(n, _)| *n == "Date")
        .map(|(_, v)| *v)
        .unwrap();
    let now = parse_date(date).unwrap();
    let mut replay = ReplayCache::default();
    let wrong_secret = verify(
        &request,
        "127.0.0.1",
        now,
        300,
        |_| Some("other"),
        &mut replay,
    );
    assert_eq!(
        wrong_secret.map_err(|e| e.code).err(),
        Some(Code::InvalidSignature)
    );
    let wrong_host = verify(&request, "localhost", now, 300, |_| Some(SKEY), &mut replay);
    assert_eq!(
        wrong_host.map_err(|e| e.code).err(),
        Some(Code::InvalidSignature)
    );
    let unknown_key = verify(
        &request,
        "127.0.0.1",
        now,
        300,
        |_| None::<&str>,
        &mut replay,
    );
    assert_eq!(
        unknown_key.map_err(|e| e.code).err(),
        Some(Code::InvalidIntegrationKey)
    );
}
