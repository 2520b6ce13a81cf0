//! End-to-end UI test: the real desktop app in a real browser engine (WebKitGTK), driven through
//! tauri-driver and WebKitWebDriver. It syncs the demo directory by clicking Sync Now and finds the users
//! listed. Needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`: the README's test command starts
//! and installs them and sets ROSTER_UI_TEST=1; without that variable the test says so and does nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../src-tauri/crates/connector-ldap/tests/support/mod.rs"]
mod slapd;

use roster_api::{spec, MemorySecrets, Options, Roster, SystemClock};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

// The driver and the helpers every UI e2e file uses (tests/ui_e2e_*.rs).
#[path = "ui_e2e/common.rs"]
mod common;
use common::*;

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

    // "Add New Sync" opens the directory chooser.
    d.click(&d.wait_for("[data-testid='add-sync']", Duration::from_secs(60)));
    d.click(&d.wait_for("[data-testid='choose-openldap']", Duration::from_secs(60)));
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

    // The picker lists groups before anything is typed (an empty search is no filter error).
    d.wait_for("[data-testid='ldap-group-result']", Duration::from_secs(60));
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

    // The new directory sync is listed, waiting for its first run: Sync Now, then its users appear.
    sync_new_directory(&d, Duration::from_secs(30));
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

    // "Add New Sync" opens the directory chooser.
    d.click(&d.wait_for("[data-testid='add-sync']", Duration::from_secs(60)));
    d.click(&d.wait_for("[data-testid='choose-entra']", Duration::from_secs(60)));
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
        "[data-testid='connection'][data-kind='entra'][data-status='ready']",
        Duration::from_secs(10),
    );
    let by = d.wait_for("[data-testid='connection-detail']", t);
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
    // "Add New Sync" opens the directory chooser.
    d.click(&d.wait_for("[data-testid='add-sync']", t));
    d.click(&d.wait_for("[data-testid='choose-entra']", t));
    d.click(&d.wait_for("[data-testid='cloud-choice-saved']", t));
    d.click(&d.wait_for("[data-testid='cloud-next']", t));
    d.type_text(
        &d.wait_for("[data-testid='cloud-group-search']", t),
        "All Staff",
    );
    // Wait for the typed search's answer (every result names All Staff), not the list the picker opened
    // with: that list shrinks when the answer comes, and a click as it does lands where the row was.
    let deadline = Instant::now() + Duration::from_secs(60);
    let all_staff = loop {
        let texts: Vec<(String, String)> = d
            .find_all("[data-testid='cloud-group-result']")
            .into_iter()
            .map(|e| {
                let text = d
                    .cmd(reqwest::Method::GET, &format!("/element/{e}/text"), None)
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (e, text)
            })
            .collect();
        if !texts.is_empty() && texts.iter().all(|(_, text)| text.contains("All Staff")) {
            break texts[0].0.clone();
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
    d.wait_for("[data-testid='cloud-selected-group']", t);
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

    // The new sync waits for its first run: Sync Now, then its users appear.
    sync_new_directory(&d, t);
    let n = users_listed(&d, t);
    assert!(n > 400, "the demo tenant's staff are listed: {n}");
    let managed = d.wait_for(
        "[data-testid='user-row'] [data-testid='user-managed-by']",
        t,
    );
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

/// A new sync over the same demo source says what it shares with the first, moves up the order of
/// precedence, and then keeps what both find (the other sync's report lists the conflicts); an LDAP sync
/// whose bind password is not in the keychain fails saying what to do, and the Connections list takes the
/// password again.
#[test]
fn precedence_conflicts_and_a_bind_password_entered_again() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = prepare(dir.path());
    {
        // The password goes to this in-memory store, which the app does not have: as after a move.
        let r = Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock: Arc::new(SystemClock),
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap();
        r.session("E2E", &roster_api::Caller::Local)
            .unwrap()
            .add_directory(
            spec::parse(r#"{"name": "Staff LDAP", "type": "user", "paused": true, "groups": ["cn=staff,ou=groups,dc=example,dc=org"],
                "connection": {"kind": "openldap", "servers": ["ldap://127.0.0.1:1"], "transport": "starttls",
                "bind_dn": "cn=admin,dc=example,dc=org", "bind_password": "old", "base_dn": "dc=example,dc=org"}}"#)
            .unwrap(),
        )
        .unwrap();
    }
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());
    let t = Duration::from_secs(30);
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let precedence = |key: &str| {
        d.find_all(&format!("[data-testid='directory-row'][data-key='{key}']"))
            .first()
            .and_then(|r| d.attribute(r, "data-precedence"))
            .unwrap_or_default()
    };

    // Adding a demo directory over the same demo source names the overlap.
    // "Add New Sync" opens the directory chooser.
    d.click(&d.wait_for("[data-testid='add-sync']", Duration::from_secs(60)));
    d.click(&d.wait_for("[data-testid='choose-demo']", Duration::from_secs(60)));
    let name = d.wait_for("[data-testid='demo-name']", t);
    assert_eq!(
        d.attribute(&name, "maxlength").as_deref(),
        Some("100"),
        "the name input is capped by the backend's limit"
    );
    d.clear(&name);
    d.type_text(&name, "Demo copy");
    d.click(&d.wait_for("[data-testid='demo-submit']", t));
    let notice = d.wait_for("[data-testid='directory-added']", t);
    assert_eq!(d.attribute(&notice, "data-conflicts").as_deref(), Some("1"));
    let overlap = d.text_of("[data-testid='added-conflict']");
    assert!(
        overlap.contains("\"Demo staff\"") && overlap.contains("move this sync above"),
        "{overlap}"
    );
    let rows = d.find_all("[data-testid='directory-row']");
    let copy = rows
        .iter()
        .find(|r| d.text(r).contains("Demo copy"))
        .and_then(|r| d.attribute(r, "data-key"))
        .unwrap();
    assert_eq!(precedence(&copy), "3", "a new sync comes last");

    // Moved up twice, it comes first; the others make room.
    for _ in 0..2 {
        let before = precedence(&copy);
        d.click(&d.wait_for(&format!("[data-testid='move-up-{copy}']"), t));
        assert!(eventually(t, || precedence(&copy) != before));
    }
    assert_eq!(precedence(&copy), "1");
    assert_eq!(precedence(&first), "2");
    let up = d.wait_for(&format!("[data-testid='move-up-{copy}']"), t);
    assert!(
        d.attribute(&up, "disabled").is_some(),
        "the first sync cannot move up"
    );

    // Demo copy syncs first; Demo staff then leaves every user to it and says so.
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{copy}']"), t));
    d.wait_for(
        &format!("[data-testid='run-report'][data-key='{copy}'][data-outcome='succeeded']"),
        Duration::from_secs(120),
    );
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{first}']"), t));
    d.wait_for(
        &format!("[data-testid='run-report'][data-key='{first}'][data-outcome='succeeded']"),
        Duration::from_secs(120),
    );
    let conflicts = d.find_all("[data-testid='run-conflict'][data-kept='false']");
    assert!(
        conflicts.len() >= 300,
        "every user both find is listed: {}",
        conflicts.len()
    );
    let c = d.text(&conflicts[0]);
    assert!(
        c.contains("Left to “Demo copy”") && c.contains("comes first in the order of precedence"),
        "{c}"
    );
    let count = d.wait_for(
        &format!(
            "[data-testid='directory-row'][data-key='{first}'] [data-testid='directory-conflicts']"
        ),
        t,
    );
    assert!(
        d.text(&count).contains("conflicts with other syncs"),
        "{}",
        d.text(&count)
    );
    d.screenshot(&shots.join("ui-e2e-precedence.png"));

    // The LDAP sync's bind password is not in this app's keychain: its run fails saying what to do.
    let ldap_row = d
        .find_all("[data-testid='directory-row']")
        .into_iter()
        .find(|r| d.text(r).contains("Staff LDAP"))
        .unwrap();
    let ldap = d.attribute(&ldap_row, "data-key").unwrap();
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{ldap}']"), t));
    let failed = d.wait_for(
        &format!("[data-testid='run-report'][data-key='{ldap}'][data-outcome='failed']"),
        Duration::from_secs(60),
    );
    assert!(
        d.text(&failed)
            .contains("Enter it again: in the app, Connections → Enter bind password"),
        "{}",
        d.text(&failed)
    );
    let card = d.wait_for(
        "[data-testid='connection'][data-kind='openldap'][data-status='needs_credentials']",
        t,
    );
    let id = d.attribute(&card, "data-id").unwrap();
    let field = d.wait_for(&format!("[data-testid='connection-secret-{id}']"), t);
    assert_eq!(d.attribute(&field, "type").as_deref(), Some("password"));
    d.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        json!([{ ELEMENT: card }]),
    );
    std::thread::sleep(Duration::from_millis(500));
    d.screenshot(&shots.join("ui-e2e-needs-password.png"));
    d.type_text(&field, "n3w-bind-secret");
    d.click(&d.wait_for(&format!("[data-testid='connection-secret-save-{id}']"), t));
    d.wait_for(
        &format!("[data-testid='connection'][data-id='{id}'][data-status='ready']"),
        t,
    );
    let note = d.text_of("[data-testid='connection-note']");
    assert!(note.starts_with("Saved the bind password"), "{note}");
    let page = d.cmd(reqwest::Method::GET, "/source", None);
    assert!(
        !page
            .as_str()
            .unwrap_or_default()
            .contains("n3w-bind-secret"),
        "the password is nowhere in the page once sent"
    );
    // A ready LDAP connection with a bind DN can take its password again at any time.
    d.click(&d.wait_for(&format!("[data-testid='enter-secret-{id}']"), t));
    d.wait_for(&format!("[data-testid='connection-secret-{id}']"), t);
}
