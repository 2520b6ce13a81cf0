//! `rosterctl serve`: the real binary on 127.0.0.1, its one line, `/health`, SIGTERM, and its refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod serving;

use serving::{ctl, listening_on, serve, stop};
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn serve_prints_where_it_listens_answers_health_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let (serving, line) = serve(ctl(tmp.path()), &["--listen", "127.0.0.1:0"]);
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    let addr = listening_on(&line);
    assert!(
        line.contains(&format!("http://{addr}")) && line.contains("Ctrl+C"),
        "it says where it listens and how to stop it: {line}"
    );
    assert!(
        !line.contains("fingerprint"),
        "plain HTTP has no certificate: {line}"
    );

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: roster\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");

    let status = stop(serving);
    assert!(
        status.success() || cfg!(not(unix)),
        "SIGTERM is a clean stop: {status:?}"
    );
}

#[test]
fn serve_refuses_plain_http_beyond_loopback_and_says_which_flags_help() {
    let tmp = tempfile::tempdir().unwrap();
    // A documentation address: the refusal comes before any binding.
    let out = ctl(tmp.path())
        .args(["serve", "--listen", "192.0.2.10:8742"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("--tls-generate") && err.contains("--tls-cert"),
        "{err}"
    );
}

#[test]
fn serve_with_a_generated_certificate_prints_the_same_fingerprint_each_time() {
    let tmp = tempfile::tempdir().unwrap();
    let with_secrets = || {
        let mut c = ctl(tmp.path());
        c.env("ROSTER_SECRET_STORE", "encrypted-file")
            .env("ROSTER_SECRETS_PASSPHRASE", "test passphrase");
        c
    };
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--tls-generate",
        "--host-name",
        "roster.test",
    ];
    let fingerprint_in = |line: &str| -> String {
        let f: String = line
            .split("fingerprint ")
            .nth(1)
            .unwrap_or_else(|| panic!("no fingerprint in: {line}"))
            .chars()
            .take(95)
            .collect();
        assert!(
            f.split(':').count() == 32 && f.split(':').all(|b| b.len() == 2),
            "32 colon-separated bytes: {f}"
        );
        f
    };

    let (serving, line) = serve(with_secrets(), &args);
    assert!(
        line.contains("https://roster.test:"),
        "the public address uses the host name: {line}"
    );
    let first = fingerprint_in(&line);
    stop(serving);

    let (serving, line) = serve(with_secrets(), &args);
    assert_eq!(
        fingerprint_in(&line),
        first,
        "the certificate is kept, so a pinned fingerprint stays valid"
    );
    stop(serving);
    assert!(tmp.path().join("server-certificate.pem").is_file());
}
