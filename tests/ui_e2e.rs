//! End-to-end UI test: the real desktop app in a real browser engine (WebKitGTK), driven through
//! tauri-driver and WebKitWebDriver. It syncs the demo directory by clicking Sync Now and finds the users
//! listed. Needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`: the README's test command starts
//! and installs them and sets ROSTER_UI_TEST=1; without that variable the test says so and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../src-tauri/crates/connector-ldap/tests/support/mod.rs"]
mod slapd;

use roster_api::{spec, MemorySecrets, Options, Roster, SystemClock};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new("tauri-driver");
        // Cloud sign-ins: the test opens the consent page itself instead of a system browser.
        cmd.env("ROSTER_NO_BROWSER", "1");
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            // No keychain here (e.g. a developer's headless run): the explicit encrypted-file opt-in.
            cmd.env("ROSTER_SECRET_STORE", "encrypted-file")
                .env("ROSTER_SECRETS_PASSPHRASE", "ui-test");
        }
        let child = cmd
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
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(
                Instant::now() < deadline,
                "tauri-driver did not start listening on {base}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Driver {
            child,
            base,
            http,
            session: None,
        }
    }

    fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    fn open(&mut self, app: &str, data_dir: &str) {
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

    fn find_all(&self, css: &str) -> Vec<String> {
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

    fn wait_for(&self, css: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(e) = self.find_all(css).into_iter().next() {
                return e;
            }
            assert!(
                Instant::now() < deadline,
                "no element matched {css} within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn type_text(&self, element: &str, text: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    fn click(&self, element: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .as_str()
        .map(str::to_string)
    }

    fn screenshot(&self, path: &std::path::Path) {
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
fn prepare(dir: &std::path::Path) -> String {
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
fn app_with_empty_tenant(name: &str) -> (tempfile::TempDir, Driver) {
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

/// How many users the Users screen lists once the scheduler has synced a new directory sync (it runs a
/// sync that never ran at once); 0 if none appear within two minutes.
fn users_listed(d: &Driver, t: Duration) -> u64 {
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
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn at the display, or `None` (said on stderr) where UI tests are not to run.
fn ui_turn() -> Option<std::sync::MutexGuard<'static, ()>> {
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

#[test]
fn sync_now_in_the_real_app_lists_the_demo_users() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = prepare(dir.path());
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());

    let sync_now = d.wait_for(
        &format!("[data-testid='sync-now-{key}']"),
        Duration::from_secs(60),
    );
    d.click(&sync_now);
    let deadline = Instant::now() + Duration::from_secs(120);
    let outcome = loop {
        let report = d.find_all("[data-testid='run-report']");
        if let Some(r) = report.first() {
            if let Some(o) = d.attribute(r, "data-outcome") {
                break o;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no run report appeared after Sync Now"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(
        outcome, "succeeded",
        "Sync Now of the demo directory must succeed"
    );

    let nav = d.wait_for("[data-testid='nav-users']", Duration::from_secs(10));
    d.click(&nav);
    d.wait_for("[data-testid='user-row']", Duration::from_secs(30));
    let total = d.wait_for("[data-testid='users-total']", Duration::from_secs(10));
    let n: u64 = d
        .attribute(&total, "data-total")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    assert_eq!(n, 300, "the users list shows every synced demo user");
    let rows = d.find_all("[data-testid='user-row']");
    assert!(
        !rows.is_empty() && rows.len() < 300,
        "the list is virtualised: {} rows rendered for 300 users",
        rows.len()
    );
    let rect = d.cmd(
        reqwest::Method::GET,
        &format!("/element/{}/rect", rows[0]),
        None,
    );
    let (y, h) = (
        rect["y"].as_f64().unwrap_or(-1.0),
        rect["height"].as_f64().unwrap_or(0.0),
    );
    assert!(
        h > 0.0 && (0.0..800.0).contains(&y),
        "the first user row is visible on screen: {rect}"
    );
    let first = d.attribute(&rows[0], "data-username").unwrap_or_default();
    assert!(
        first.contains('.'),
        "rows carry demo usernames (first.last): {first:?}"
    );
    std::thread::sleep(Duration::from_millis(500)); // let the page repaint before the screenshot
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-e2e-users.png");
    d.screenshot(&shot);
    eprintln!("screenshot: {}", shot.display());
}

/// Adds an OpenLDAP directory through the wizard against a real slapd (Test connection with a pasted CA,
/// the group picker), lets the scheduler sync it, and finds its users listed.
#[test]
fn the_add_directory_wizard_connects_to_a_real_slapd() {
    let Some(_turn) = ui_turn() else { return };
    let Some(srv) = slapd::Slapd::start() else {
        return;
    };
    let (_dir, d) = app_with_empty_tenant("LDAP");
    let t = Duration::from_secs(30);

    d.click(&d.wait_for("[data-testid='add-ldap']", Duration::from_secs(60)));
    d.click(&d.wait_for("[data-testid='ldap-kind'] option[value='openldap']", t));
    d.type_text(
        &d.wait_for("[data-testid='ldap-servers']", t),
        &format!("ldap://127.0.0.1:{}", srv.ldap_port),
    );
    d.click(&d.wait_for("[data-testid='ldap-transport'] option[value='starttls']", t));
    d.type_text(
        &d.wait_for("[data-testid='ldap-ca']", t),
        &srv.ca("test-ca"),
    );
    d.type_text(&d.wait_for("[data-testid='ldap-bind-dn']", t), slapd::ADMIN);
    d.type_text(
        &d.wait_for("[data-testid='ldap-password']", t),
        slapd::PASSWORD,
    );
    d.type_text(&d.wait_for("[data-testid='ldap-base-dn']", t), slapd::BASE);
    d.click(&d.wait_for("[data-testid='ldap-test']", t));
    let base = d.wait_for(
        "[data-testid='ldap-check'][data-step='base_dn']",
        Duration::from_secs(60),
    );
    assert_eq!(
        d.attribute(&base, "data-ok").as_deref(),
        Some("true"),
        "Test connection passes against the real slapd"
    );
    let tls = d.wait_for("[data-testid='ldap-check'][data-step='tls']", t);
    assert_eq!(
        d.attribute(&tls, "data-ok").as_deref(),
        Some("true"),
        "the TLS certificate is trusted with the pasted CA"
    );
    d.click(&d.wait_for("[data-testid='ldap-next']", t));

    d.type_text(&d.wait_for("[data-testid='ldap-group-search']", t), "staff");
    let staff = d.wait_for(
        "[data-testid='ldap-group-result'][data-dn^='cn=staff'] input",
        Duration::from_secs(60),
    );
    d.click(&staff);
    d.click(&d.wait_for("[data-testid='ldap-next']", t));
    d.type_text(
        &d.wait_for("[data-testid='ldap-name']", t),
        "Staff over LDAP",
    );
    d.click(&d.wait_for("[data-testid='ldap-save']", t));

    // The new directory sync is listed, and the scheduler syncs it at once (it has never run). Wait
    // for its users to appear.
    d.wait_for("[data-testid='directory-row']", Duration::from_secs(30));
    let n = users_listed(&d, t);
    assert_eq!(
        n, 5,
        "staff's five members with a uid are listed (the entry without one is skipped)"
    );
    d.wait_for("[data-testid='user-row'][data-username='alice']", t);
    std::thread::sleep(Duration::from_millis(500));
    d.screenshot(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-e2e-ldap.png"));
}

/// Adds "Entra ID (demo)" through the cloud wizard. The consent page is the emulator's, shown in the real
/// browser engine: the test reads the sign-in link the window offers, opens it in the app's own webview
/// (standing in for the system browser), clicks Approve, and comes back to the app, where the wizard picks
/// up the saved connection, the group picker lists the tenant's groups, and the new sync's users appear.
#[test]
fn the_cloud_wizard_signs_in_through_the_consent_page() {
    let Some(_turn) = ui_turn() else { return };
    let (_dir, d) = app_with_empty_tenant("Cloud");
    let t = Duration::from_secs(30);

    d.click(&d.wait_for("[data-testid='add-cloud']", Duration::from_secs(60)));
    d.click(&d.wait_for("[data-testid='cloud-choice-entra-demo']", t));
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    d.click(&d.wait_for("[data-testid='cloud-sign-in']", t));
    let link = d.wait_for("[data-testid='cloud-consent-url']", t);
    let deadline = Instant::now() + t;
    let url = loop {
        let v = d.cmd(
            reqwest::Method::GET,
            &format!("/element/{link}/property/value"),
            None,
        );
        match v.as_str() {
            Some(u) if u.starts_with("http://") => break u.to_string(),
            _ => {
                assert!(Instant::now() < deadline, "no sign-in link was offered");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    };
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "the demo signs in on loopback: {url}"
    );

    // The consent page, in the real browser engine.
    let app_url = d.cmd(reqwest::Method::GET, "/url", None);
    let app_url = app_url.as_str().unwrap().to_string();
    d.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})));
    let approve = d.wait_for("#approve", t);
    d.screenshot(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-e2e-consent.png"));
    d.click(&approve);
    // The browser lands on Roster's loopback listener, which says the connection is made.
    let deadline = Instant::now() + t;
    loop {
        let page = d.cmd(reqwest::Method::GET, "/source", None);
        let page = page.as_str().unwrap_or_default().to_string();
        if page.contains("Roster is connected to") {
            break;
        }
        assert!(
            !page.contains("was not connected"),
            "the sign-in failed: {page}"
        );
        assert!(
            Instant::now() < deadline,
            "no result page after Approve: {page}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // Back in the app: the connection was saved before the browser was told so; it shows who authorized it.
    d.cmd(reqwest::Method::POST, "/url", Some(json!({"url": app_url})));
    let conn = d.wait_for(
        "[data-testid='cloud-connection'][data-status='ready']",
        Duration::from_secs(10),
    );
    let by = d.wait_for("[data-testid='cloud-connection-authorized']", t);
    let by_text = d.cmd(reqwest::Method::GET, &format!("/element/{by}/text"), None);
    assert!(
        by_text
            .as_str()
            .unwrap_or_default()
            .contains("Authorized by"),
        "who authorized is shown: {by_text}"
    );
    assert!(d.attribute(&conn, "data-id").is_some());

    // The wizard picks up the saved connection: groups, name, save.
    d.click(&d.wait_for("[data-testid='add-cloud']", t));
    d.click(&d.wait_for("[data-testid='cloud-choice-saved']", t));
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    d.type_text(
        &d.wait_for("[data-testid='cloud-group-search']", t),
        "All Staff",
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let all_staff = loop {
        let found = d
            .find_all("[data-testid='cloud-group-result']")
            .into_iter()
            .find(|e| {
                d.cmd(reqwest::Method::GET, &format!("/element/{e}/text"), None)
                    .as_str()
                    .unwrap_or_default()
                    .contains("All Staff")
            });
        if let Some(e) = found {
            break e;
        }
        assert!(
            Instant::now() < deadline,
            "the group picker did not find All Staff"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    let checkbox = d.cmd(
        reqwest::Method::POST,
        &format!("/element/{all_staff}/element"),
        Some(json!({"using": "css selector", "value": "input"})),
    );
    d.click(checkbox[ELEMENT].as_str().unwrap());
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    // The wizard suggests a name; replace it.
    let name = d.wait_for("[data-testid='cloud-name']", t);
    d.cmd(
        reqwest::Method::POST,
        &format!("/element/{name}/clear"),
        Some(json!({})),
    );
    d.type_text(&name, "Entra staff");
    d.click(&d.wait_for("[data-testid='cloud-save']", t));

    // The scheduler syncs the new sync at once (it has never run); its users appear.
    d.wait_for("[data-testid='directory-row']", t);
    let n = users_listed(&d, t);
    assert!(n > 400, "the demo tenant's staff are listed: {n}");
    let managed = d.wait_for("[data-testid='user-row'] .vcell:last-child", t);
    let by = d.attribute(&managed, "title").unwrap_or_default();
    assert!(
        by.contains("Entra staff"),
        "rows name the sync that manages them: {by:?}"
    );
    let rows = d.find_all("[data-testid='user-row']");
    let first = d.attribute(&rows[0], "data-username").unwrap_or_default();
    assert!(
        first.ends_with("@northwind.onmicrosoft.com"),
        "Entra usernames are user principal names: {first:?}"
    );
    d.screenshot(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-e2e-cloud.png"));
}
