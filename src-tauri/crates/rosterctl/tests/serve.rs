//! `rosterctl serve`: the real binary on 127.0.0.1, its one line, `/health`, SIGTERM, and its refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ctl(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rosterctl"));
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("ROSTER_DATA_DIR")
        .env_remove("ROSTER_SECRET_STORE");
    c
}

/// Stops the server when the test ends, however it ends.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rosterctl serve` with `args` and returns it with the line it printed.
fn serve(mut command: Command, args: &[&str]) -> (Serving, String) {
    let mut child = command
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let mut serving = Serving(child);
    if line.is_empty() {
        let mut err = String::new();
        let _ = serving.0.kill();
        if let Some(mut e) = serving.0.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        panic!("rosterctl serve printed nothing: {err}");
    }
    (serving, line)
}

/// The `host:port` after "listening on " in the line `serve` prints.
fn listening_on(line: &str) -> String {
    let rest = line
        .split("listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in: {line}"));
    rest.chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect()
}

/// Stops it as a service manager would (SIGTERM on Unix) and waits for it to exit.
fn stop(mut serving: Serving) -> std::process::ExitStatus {
    #[cfg(unix)]
    {
        let sent = Command::new("kill")
            .args(["-TERM", &serving.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }
    #[cfg(not(unix))]
    {
        let _ = serving.0.kill();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = serving.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "rosterctl serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
}

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
