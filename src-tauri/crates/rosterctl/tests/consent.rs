//! Cloud consent from the command line: `rosterctl demo serve` starts the emulators and prints spec files;
//! `rosterctl directory add --spec FILE --no-browser` prints the sign-in URL alone on its first line, waits
//! on the loopback listener while a (scripted) browser approves, then prints the usual JSON;
//! `rosterctl connection reauthorize ID --no-browser` does the same for a saved connection. Secrets go to
//! the encrypted-file store here (no keychain needed), never to stdout or the database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_emulator::auth::{Browser, Decision};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const PASSPHRASE: &str = "correct horse battery staple";

fn ctl(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rosterctl"));
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("ROSTER_DATA_DIR")
        .env("ROSTER_SECRET_STORE", "encrypted-file")
        .env("ROSTER_SECRETS_PASSPHRASE", PASSPHRASE);
    c
}

/// Stops `rosterctl demo serve` when the test ends, however it ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a consent command: reads the URL from its first stdout line, lets a browser click `decision`,
/// and returns (exit success, the rest of stdout, stderr).
async fn with_consent(mut cmd: Command, decision: Decision) -> (bool, String, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first.trim().to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("code_challenge="),
        "the first line is the authorization URL alone: {first:?}"
    );
    Browser::new().visit(&url, decision).await.unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    (status.success(), url, rest, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert!(ctl(dir)
        .args(["tenant", "create", "Acme"])
        .status()
        .unwrap()
        .success());

    let mut serve = ctl(dir)
        .args(["demo", "serve", "--users", "120"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(serve.stdout.take().unwrap());
    // The spec document is one pretty-printed JSON object: read until it parses.
    let mut text = String::new();
    let specs: Value = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "demo serve ended early: {text}"
        );
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let _served = Served(serve);
    for kind in ["entra", "google", "okta"] {
        let spec = &specs[kind];
        assert_eq!(spec["connection"]["kind"], kind);
        let url = spec["connection"].to_string();
        assert!(
            url.contains("http://127.0.0.1:"),
            "emulators listen on loopback: {url}"
        );
    }

    // Entra from the spec `demo serve` printed, deny first: nothing is added.
    let file = dir.join("entra.json");
    std::fs::write(&file, specs["entra"].to_string()).unwrap();
    let mut add = ctl(dir);
    add.args(["directory", "add", "--spec"])
        .arg(&file)
        .arg("--no-browser");
    let (ok, _, _, err) = with_consent(add, Decision::Deny).await;
    assert!(!ok, "a denied consent fails");
    assert!(err.contains("declined"), "and says so: {err}");
    let conns = ctl(dir)
        .args(["connection", "list", "--json"])
        .output()
        .unwrap();
    let conns: Value = serde_json::from_slice(&conns.stdout).unwrap();
    assert_eq!(conns.as_array().unwrap().len(), 0, "nothing saved");

    // Approve: the usual JSON follows the URL line.
    let mut add = ctl(dir);
    add.args(["directory", "add", "--spec"])
        .arg(&file)
        .arg("--no-browser");
    let (ok, url, rest, err) = with_consent(add, Decision::Approve).await;
    assert!(ok, "{err}");
    let added: Value = serde_json::from_str(&rest).unwrap();
    let key = added["directory_key"].as_str().unwrap().to_string();
    assert!(!rest.contains("access_token") && !url.contains("client_secret"));

    let run = ctl(dir)
        .args(["sync", "run", &key, "--json"])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(
        report["counts"]["created"].as_u64().unwrap() > 50,
        "{report}"
    );

    // Reauthorize the saved connection the same way.
    let conns = ctl(dir)
        .args(["connection", "list", "--json"])
        .output()
        .unwrap();
    let conns: Value = serde_json::from_slice(&conns.stdout).unwrap();
    let id = conns[0]["id"].as_str().unwrap().to_string();
    assert!(conns[0]["authorized_by"].is_string(), "{conns}");
    let mut re = ctl(dir);
    re.args(["connection", "reauthorize", &id, "--no-browser"]);
    let (ok, _, rest, err) = with_consent(re, Decision::Approve).await;
    assert!(ok, "{err}");
    let c: Value = serde_json::from_str(&rest).unwrap();
    assert_eq!(c["status"], "ready");
    assert_eq!(c["used_by"][0], "Entra ID (demo)");

    // Tokens never reach the database or the outputs; they are in the encrypted secrets file.
    let db: Vec<u8> = std::fs::read_dir(dir.join("tenants"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file()) // the files, not the run locks' folder
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    let text = String::from_utf8_lossy(&db);
    assert!(
        !text.contains("refresh_token"),
        "no tokens in the tenant database"
    );
    let sealed = std::fs::read_to_string(dir.join("secrets.enc.json")).unwrap();
    assert!(
        !sealed.contains("refresh_token"),
        "the secrets file is encrypted"
    );

    // A consent nobody answers times out with a clear message.
    let mut slow = ctl(dir);
    slow.args([
        "connection",
        "reauthorize",
        &id,
        "--no-browser",
        "--consent-timeout",
        "1",
    ]);
    let out = slow.output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No answer came from the browser"), "{err}");
}
