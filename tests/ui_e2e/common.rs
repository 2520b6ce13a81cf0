//! What every UI e2e file shares (`#[path = "ui_e2e/common.rs"] mod common;`): the WebDriver client for
//! tauri-driver, the data directories the tests open the real app on, and waiting helpers.

#![allow(dead_code)] // each test file uses some of them

use roster_api::{spec, MemorySecrets, Options, Roster, SystemClock};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::blocking::Client,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            // One session at a time: always end it, or the next test run cannot start one.
            let _ = self
                .http
                .delete(format!("{}/session/{s}", self.base))
                .send();
        }
        // SIGTERM first: tauri-driver then stops the WebKitWebDriver it started; SIGKILL would orphan it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two distinct free loopback ports. Both listeners are held while the second is picked: released one
/// by one, the kernel may hand the same port out twice.
pub fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    pub fn start() -> Driver {
        Driver::start_with_env(&[])
    }

    /// Starts tauri-driver with `env` set for it and so for the app it launches (e.g. the GTK settings
    /// that make the window dark). A port taken between being picked and being bound makes tauri-driver
    /// stop at once: that costs an attempt on fresh ports (two at most), not the test.
    pub fn start_with_env(env: &[(&str, &std::ffi::OsStr)]) -> Driver {
        let mut failures = Vec::new();
        loop {
            match Driver::try_start(env) {
                Ok(driver) => return driver,
                Err(e) if failures.len() < 2 => failures.push(e),
                Err(e) => panic!("{}\n{e}", failures.join("\n")),
            }
        }
    }

    fn try_start(env: &[(&str, &std::ffi::OsStr)]) -> Result<Driver, String> {
        let (port, native) = free_ports();
        let mut cmd = Command::new("tauri-driver");
        cmd.envs(env.iter().copied());
        // Cloud sign-ins: the test opens the consent page itself instead of a system browser.
        cmd.env("ROSTER_NO_BROWSER", "1");
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            // No keychain here (e.g. a developer's headless run): the explicit encrypted-file opt-in.
            cmd.env("ROSTER_SECRET_STORE", "encrypted-file")
                .env("ROSTER_SECRETS_PASSPHRASE", "ui-test");
        }
        let mut child = cmd
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver must be installed (cargo install tauri-driver --locked)");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        // A short timeout: if another process took the port, it may accept and never answer.
        let answers = || {
            http.get(format!("{base}/status"))
                .timeout(Duration::from_secs(2))
                .send()
                .is_ok()
        };
        while !answers() {
            if let Some(status) = child.try_wait().unwrap() {
                // It says why on its standard output, which the tests do not show: for a taken port,
                // "can not listen to address", and it exits with status 0.
                return Err(format!(
                    "tauri-driver stopped ({status}) before listening on {base}: was the port taken?"
                ));
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "tauri-driver did not start listening on {base} within 30 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(Driver {
            child,
            base,
            http,
            session: None,
        })
    }

    pub fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!(
            "{}/session/{}{path}",
            self.base,
            self.session.as_deref().unwrap_or("")
        );
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().unwrap().json().unwrap();
        v["value"].clone()
    }

    pub fn open(&mut self, app: &str, data_dir: &str) {
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {"application": app, "args": ["--data-dir", data_dir]}}}});
        let v: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        self.session = Some(id);
    }

    pub fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.cmd(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            if Instant::now() >= deadline {
                // What the window shows says why far better than the selector alone.
                let page = self.execute("return document.body.innerText", json!([]));
                panic!(
                    "no element matched {css} within {timeout:?}; the window shows:\n{}",
                    page.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn type_text(&self, element: &str, text: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    pub fn click(&self, element: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    pub fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .as_str()
        .map(str::to_string)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    pub fn text(&self, element: &str) -> String {
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// An input's current value (the property, which the window binds; not the attribute).
    pub fn value(&self, element: &str) -> String {
        self.execute("return arguments[0].value", json!([{ ELEMENT: element }]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn clear(&self, element: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        );
    }

    /// The text of the first element matching `css`, or "" when there is none.
    pub fn text_of(&self, css: &str) -> String {
        self.find_all(css)
            .first()
            .map(|e| self.text(e))
            .unwrap_or_default()
    }

    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None);
        if let Some(b64) = v.as_str() {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
                let _ = std::fs::write(path, bytes);
            }
        }
    }
}

/// A data directory with one tenant whose demo user sync is paused, so the only sync is the one the test
/// clicks.
pub fn prepare(dir: &std::path::Path) -> String {
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("E2E", None).unwrap();
    r.session("E2E", &roster_api::Caller::Local)
        .unwrap()
        .add_directory(
        spec::parse(r#"{"name": "Demo staff", "type": "user", "paused": true, "connection": {"kind": "demo", "seed": 7, "users": 300}}"#)
            .unwrap(),
    )
    .unwrap().directory_key
}

/// A data directory with one empty tenant, and the real app opened on it.
pub fn app_with_empty_tenant(name: &str) -> (tempfile::TempDir, Driver) {
    let dir = tempfile::tempdir().unwrap();
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant(name, None).unwrap();
    drop(r);
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());
    (dir, d)
}

/// Clicks Sync Now on the only directory sync of the list (a new sync waits for this first run: its schedule
/// starts only after it), and waits for its report.
pub fn sync_new_directory(d: &Driver, t: Duration) -> String {
    let row = d.wait_for("[data-testid='directory-row']", t);
    assert_eq!(
        d.attribute(&row, "data-schedule").as_deref(),
        Some("waiting"),
        "a new sync waits for its first run"
    );
    let detail = d.text_of("[data-testid='directory-schedule-detail']");
    assert_eq!(
        detail,
        "Scheduled runs start after its first run: use Preview, then Sync Now."
    );
    let key = d.attribute(&row, "data-key").unwrap();
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{key}']"), t));
    let report = d.wait_for(
        &format!("[data-testid='run-report'][data-key='{key}'][data-outcome]"),
        Duration::from_secs(120),
    );
    let outcome = d.attribute(&report, "data-outcome").unwrap_or_default();
    assert_eq!(outcome, "succeeded", "{}", d.text(&report));
    key
}

/// How many users the Users screen lists after a sync; 0 if none appear within two minutes.
pub fn users_listed(d: &Driver, t: Duration) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        d.click(&d.wait_for("[data-testid='nav-users']", t));
        let total = d.wait_for("[data-testid='users-total']", t);
        std::thread::sleep(Duration::from_millis(500));
        let n: u64 = d
            .attribute(&total, "data-total")
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        if n > 0 || Instant::now() > deadline {
            return n;
        }
        d.click(&d.wait_for("[data-testid='nav-directories']", t));
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// One WebDriver session at a time: the UI tests take turns.
pub static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn at the display, or `None` (said on stderr) where UI tests are not to run.
pub fn ui_turn() -> Option<std::sync::MutexGuard<'static, ()>> {
    if std::env::var("ROSTER_UI_TEST").as_deref() != Ok("1") {
        eprintln!("skipped: the UI tests run under the README's test command (ROSTER_UI_TEST=1, with Xvfb and tauri-driver)");
        return None;
    }
    Some(
        ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Waits until `ok` holds, up to `t`; false if it never did.
pub fn eventually(t: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + t;
    loop {
        if ok() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The application on `dir`, as the app opens it (secrets in memory): to set a tenant up before the window
/// opens on it.
pub fn roster_at(dir: &Path) -> Roster {
    Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap()
}

/// The real app opened on `dir`, once its navigation shows.
pub fn open_app(dir: &Path) -> Driver {
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.to_str().unwrap());
    d.wait_for("[data-testid='nav-directories']", Duration::from_secs(60));
    d
}

/// Whether nothing matches `css` within 30 s.
pub fn gone(d: &Driver, css: &str) -> bool {
    eventually(Duration::from_secs(30), || d.find_all(css).is_empty())
}
