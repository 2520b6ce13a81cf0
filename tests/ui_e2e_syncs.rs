//! End-to-end tests of the sync screens in the real app (WebKitGTK through tauri-driver): Users → Directory
//! Sync ("Manage User Sync"), a sync's page, Administrators → Admin Directory Sync. Deleting syncs with each
//! connection choice, the disabled trash icon of a connection in use, a held run approved and one discarded,
//! individual user and admin syncs. (SCIM Integrations: tests/ui_e2e_scim.rs.)
//! Runs under the README's test command (ROSTER_UI_TEST=1, Xvfb, tauri-driver); otherwise says so and skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::{eventually, gone, open_app, roster_at, ui_turn, Driver};
use roster_api::{spec, Caller, DirectoryPatch, PageAt, Roster, RunMode, Trigger};
use serde_json::json;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn add(r: &Roster, spec: serde_json::Value) -> String {
    r.session("E2E", &Caller::Local)
        .unwrap()
        .add_directory(spec::parse(&spec.to_string()).unwrap())
        .unwrap()
        .directory_key
}

fn connection_of(r: &Roster, key: &str) -> String {
    r.session("E2E", &Caller::Local)
        .unwrap()
        .list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.directory_key == key)
        .unwrap()
        .connection
        .id
}

fn ldap(host: &str) -> serde_json::Value {
    json!({"kind": "openldap", "servers": [format!("ldap://{host}:389")], "transport": "clear",
        "base_dn": "dc=example,dc=org"})
}

fn go(d: &Driver, hash: &str) {
    d.execute("location.hash = arguments[0];", json!([hash]));
}

/// Clicks the first element matching `css` once it shows, scrolled to the middle of the window first (the
/// sync page is taller than the window; WebKitWebDriver refuses a click on what the header covers).
fn press(d: &Driver, css: &str) {
    let el = d.wait_for(css, T);
    d.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        json!([{common::ELEMENT: el}]),
    );
    let answer = d.cmd(
        reqwest::Method::POST,
        &format!("/element/{el}/click"),
        Some(json!({})),
    );
    assert!(answer.is_null(), "clicking {css}: {answer}");
}

#[test]
fn deleting_syncs_with_each_connection_choice_and_the_trash_of_a_connection_in_use() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = roster_at(dir.path());
    r.create_tenant("E2E", None).unwrap();
    // "Staff" and "Contractors" share a connection; "Branch" has its own.
    let staff = add(
        &r,
        json!({"name": "Staff", "type": "user", "paused": true, "groups": ["cn=staff,dc=example,dc=org"], "connection": ldap("ldap-a.example.org")}),
    );
    let shared = connection_of(&r, &staff);
    let contractors = add(
        &r,
        json!({"name": "Contractors", "type": "user", "paused": true, "groups": ["cn=contractors,dc=example,dc=org"], "connection": shared}),
    );
    let branch = add(
        &r,
        json!({"name": "Branch", "type": "user", "paused": true, "groups": ["cn=branch,dc=example,dc=org"], "connection": ldap("ldap-b.example.org")}),
    );
    let own = connection_of(&r, &branch);
    drop(r);
    let d = open_app(dir.path());

    // The connection two syncs use: on-premises details, and a disabled trash icon that says why.
    let row = d.wait_for(
        &format!("[data-testid='connection'][data-id='{shared}']"),
        T,
    );
    assert!(
        d.text(&row).contains("dc=example,dc=org"),
        "{}",
        d.text(&row)
    );
    assert!(d.text(&row).contains("ldap://ldap-a.example.org:389"));
    let trash = d.wait_for(&format!("[data-testid='delete-connection-{shared}']"), T);
    assert!(
        d.attribute(&trash, "disabled").is_some(),
        "the trash of a connection in use is disabled"
    );
    let why = d.execute(
        "return document.querySelector(arguments[0]).textContent;",
        json!([format!("[data-testid='delete-connection-why-{shared}']")]),
    );
    let why = why.as_str().unwrap_or_default();
    assert!(
        why.contains("Staff") && why.contains("Contractors") && why.contains("delete"),
        "the tooltip says which syncs use it: {why:?}"
    );

    // Deleting one of two syncs on a connection: just "Delete", the connection stays.
    d.click(&d.wait_for(&format!("[data-testid='delete-sync-{staff}']"), T));
    d.wait_for("[data-testid='delete-sync-shared']", T);
    assert!(d
        .find_all("[data-testid='delete-sync-and-connection']")
        .is_empty());
    d.click(&d.wait_for("[data-testid='delete-sync-confirm']", T));
    assert!(gone(
        &d,
        &format!("[data-testid='directory-row'][data-key='{staff}']")
    ));
    d.wait_for(
        &format!("[data-testid='connection'][data-id='{shared}']"),
        T,
    );

    // The last sync on it: "Delete Directory Sync and Connection" deletes both.
    d.click(&d.wait_for(&format!("[data-testid='delete-sync-{contractors}']"), T));
    d.click(&d.wait_for("[data-testid='delete-sync-and-connection']", T));
    assert!(gone(
        &d,
        &format!("[data-testid='directory-row'][data-key='{contractors}']")
    ));
    assert!(gone(
        &d,
        &format!("[data-testid='connection'][data-id='{shared}']")
    ));

    // "Delete" keeps the connection for a later sync; unused, its trash works.
    d.click(&d.wait_for(&format!("[data-testid='delete-sync-{branch}']"), T));
    d.click(&d.wait_for("[data-testid='delete-sync-only']", T));
    assert!(gone(
        &d,
        &format!("[data-testid='directory-row'][data-key='{branch}']")
    ));
    d.click(&d.wait_for(
        &format!("[data-testid='delete-connection-{own}']:not([disabled])"),
        T,
    ));
    d.click(&d.wait_for("[data-testid='delete-connection-confirm']", T));
    assert!(gone(
        &d,
        &format!("[data-testid='connection'][data-id='{own}']")
    ));

    let r = roster_at(dir.path());
    let s = r.session("E2E", &Caller::Local).unwrap();
    assert!(s.list_directories().unwrap().is_empty());
    assert!(s.list_connections().unwrap().is_empty());
}

/// A demo sync with a held run waiting (its threshold at 0%: any leaver holds the run).
async fn held_run(r: &Roster, key: &str) -> i64 {
    let s = r.session("E2E", &Caller::Local).unwrap();
    let report = s
        .run_sync(key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        roster_api::json::RunOutcome::Held,
        "{report:?}"
    );
    report.run_id.unwrap()
}

#[test]
fn a_held_run_discarded_then_one_approved_and_individual_user_and_admin_syncs() {
    let Some(_turn) = ui_turn() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = roster_at(dir.path());
    r.create_tenant("E2E", None).unwrap();
    let key = add(
        &r,
        json!({"name": "Demo staff", "type": "user", "paused": true, "connection": {"kind": "demo", "seed": 7, "users": 300}}),
    );
    let admins = add(
        &r,
        json!({"name": "Demo admins", "type": "admin", "paused": true, "connection": connection_of(&r, &key)}),
    );
    let s = r.session("E2E", &Caller::Local).unwrap();
    rt.block_on(s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual))
        .unwrap();
    let username = s
        .users_page("", PageAt::Offset(0), 1)
        .unwrap()
        .rows
        .remove(0)
        .username;
    s.update_directory(
        &key,
        DirectoryPatch {
            deletion_threshold_percent: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    let first = rt.block_on(held_run(&r, &key));
    drop(s);
    let d = open_app(dir.path());

    // Discard: nothing applied, the run reads "discarded".
    go(&d, &format!("#/directories/{key}"));
    d.click(&d.wait_for(&format!("[data-testid='run-row'][data-run='{first}']"), T));
    d.wait_for("[data-testid='held-actions']", T);
    d.click(&d.wait_for("[data-testid='held-discard']", T));
    d.wait_for(
        &format!("[data-testid='run-row'][data-run='{first}'][data-outcome='discarded']"),
        T,
    );
    let s = r.session("E2E", &Caller::Local).unwrap();
    assert_eq!(
        s.run_detail(first).unwrap().outcome,
        roster_api::json::RunOutcome::Discarded
    );
    // More runs than a page holds (25 on the sync's page, 50 in Sync History) after it: the discarded run is
    // no longer among those listed, and the outcome filter still finds it (the backend filters the pages).
    for _ in 0..51 {
        let report = rt
            .block_on(s.run_sync(&key, RunMode::Individual(username.clone()), Trigger::Manual))
            .unwrap();
        assert_eq!(
            report.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{report:?}"
        );
    }
    go(&d, "#/directories");
    go(&d, &format!("#/directories/{key}"));
    assert!(eventually(T, || d
        .find_all("[data-testid='run-row']")
        .len()
        == 25));
    assert!(d
        .find_all(&format!("[data-testid='run-row'][data-run='{first}']"))
        .is_empty());
    // The runs filtered by outcome: only the discarded one.
    d.click(&d.wait_for(
        "[data-testid='runs-outcome-filter'] option[value='discarded']",
        T,
    ));
    d.wait_for(&format!("[data-testid='run-row'][data-run='{first}']"), T);
    assert!(gone(
        &d,
        "[data-testid='run-row']:not([data-outcome='discarded'])"
    ));
    assert_eq!(d.find_all("[data-testid='run-row']").len(), 1);
    d.click(&d.wait_for("[data-testid='runs-outcome-filter'] option[value='']", T));

    // Another held run, approved in the window: it applies.
    let second = rt.block_on(held_run(&r, &key));
    go(&d, "#/directories");
    go(&d, &format!("#/directories/{key}"));
    d.click(&d.wait_for(&format!("[data-testid='run-row'][data-run='{second}']"), T));
    d.click(&d.wait_for("[data-testid='held-approve']", T));
    let report = d.wait_for(
        &format!("[data-testid='run-report'][data-key='{key}'][data-outcome='succeeded']"),
        Duration::from_secs(120),
    );
    assert!(!d.text(&report).is_empty());
    assert_eq!(
        s.run_detail(second).unwrap().outcome,
        roster_api::json::RunOutcome::Approved
    );

    // Sync an individual user on the sync's page.
    let input = d.wait_for("[data-testid='page-sync-one-input']", T);
    d.type_text(&input, &username);
    d.click(&d.wait_for("[data-testid='page-sync-one-submit']", T));
    let result = d.wait_for(
        "[data-testid='page-sync-one-result']",
        Duration::from_secs(60),
    );
    assert_eq!(
        d.attribute(&result, "data-tone").as_deref(),
        Some("ok"),
        "{}",
        d.text(&result)
    );

    // The admin sync's page: sync it, then one administrator by email.
    go(&d, &format!("#/admin-sync/{admins}"));
    d.click(&d.wait_for("[data-testid='page-sync-now']", T));
    d.wait_for(
        &format!("[data-testid='run-report'][data-key='{admins}'][data-outcome='succeeded']"),
        Duration::from_secs(120),
    );
    let email = s
        .admins_page("", PageAt::Offset(0), 1000)
        .unwrap()
        .rows
        .into_iter()
        .find(|a| a.managed_by.is_some())
        .expect("the admin sync synced administrators")
        .email;
    let input = d.wait_for("[data-testid='page-sync-one-input']", T);
    d.type_text(&input, &email);
    d.click(&d.wait_for("[data-testid='page-sync-one-submit']", T));
    let result = d.wait_for(
        "[data-testid='page-sync-one-result'][data-tone]",
        Duration::from_secs(60),
    );
    assert_eq!(
        d.attribute(&result, "data-tone").as_deref(),
        Some("ok"),
        "{}",
        d.text(&result)
    );

    // Sync History, filtered to this sync's discarded runs: just the one discarded above, older than the
    // first page of this sync's runs.
    go(&d, "#/history");
    d.click(&d.wait_for(
        &format!("[data-testid='history-sync-filter'] option[value='{key}']"),
        T,
    ));
    d.click(&d.wait_for(
        "[data-testid='history-outcome-filter'] option[value='discarded']",
        T,
    ));
    assert!(eventually(T, || d
        .find_all("[data-testid='history-run']")
        .len()
        == 1));
    d.wait_for(
        &format!("[data-testid='history-run'][data-run-id='{first}']"),
        T,
    );
}

#[test]
fn editing_a_syncs_groups_and_threshold_and_an_admin_syncs_role_mapping() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let r = roster_at(dir.path());
    r.create_tenant("E2E", None).unwrap();
    let key = add(
        &r,
        json!({"name": "Demo staff", "type": "user", "paused": true, "connection": {"kind": "demo", "seed": 7, "users": 300}}),
    );
    let admins = add(
        &r,
        json!({"name": "Demo admins", "type": "admin", "paused": true, "connection": connection_of(&r, &key)}),
    );
    let summary = |k: &str| {
        r.session("E2E", &Caller::Local)
            .unwrap()
            .list_directories()
            .unwrap()
            .into_iter()
            .find(|d| d.directory_key == k)
            .unwrap()
    };
    let before = summary(&key);
    assert!(before.groups.len() > 1, "the demo selects several groups");
    let d = open_app(dir.path());

    // A user sync: drop a group in the picker (found by the search, with its member count), and raise the
    // deletion threshold; Save writes both.
    go(&d, &format!("#/directories/{key}"));
    let dropped = &before.groups[0];
    let result = d.wait_for(
        &format!("[data-testid='page-group-result'][data-id='{dropped}']"),
        T,
    );
    assert!(
        d.text(&result).contains("member"),
        "a result shows its member count: {}",
        d.text(&result)
    );
    press(
        &d,
        &format!("[data-testid='page-selected-group'][data-id='{dropped}'] [data-testid='page-remove-group']"),
    );
    assert!(gone(
        &d,
        &format!("[data-testid='page-selected-group'][data-id='{dropped}']")
    ));
    let threshold = d.wait_for("[data-testid='page-threshold']", T);
    d.clear(&threshold);
    d.type_text(&threshold, "33");
    press(&d, "[data-testid='page-settings-save']");
    let saved = d.wait_for("[data-testid='page-settings-saved']", T);
    assert_eq!(d.text(&saved), "Saved.");
    let after = summary(&key);
    assert_eq!(after.deletion_threshold_percent, 33);
    assert_eq!(after.groups, before.groups[1..].to_vec());

    // An admin sync: the role of a mapped group changes; Owner is never offered.
    go(&d, &format!("#/admin-sync/{admins}"));
    let (mapped, was) = summary(&admins).roles.into_iter().next().unwrap();
    assert_ne!(
        was,
        roster_core::AdminRole::HelpDesk,
        "the test changes the role"
    );
    let row = format!("[data-testid='page-selected-group'][data-id='{mapped}']");
    d.wait_for(&format!("{row} [data-testid='page-role']"), T);
    assert!(d
        .find_all("[data-testid='page-role'] option[value='Owner']")
        .is_empty());
    d.click(&d.wait_for(
        &format!("{row} [data-testid='page-role'] option[value='Help Desk']"),
        T,
    ));
    press(&d, "[data-testid='page-settings-save']");
    d.wait_for("[data-testid='page-settings-saved']", T);
    assert_eq!(
        summary(&admins).roles.get(&mapped),
        Some(&roster_core::AdminRole::HelpDesk)
    );
}
