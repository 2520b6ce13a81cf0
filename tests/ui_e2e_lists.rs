//! End-to-end UI tests of the lists (UI-3) in the real app (WebKitGTK through tauri-driver): the Users list
//! searched, filtered by status and by sync, and sorted; a user's page with synced fields and history
//! across runs; restoring and purging from the trash; Sync History's charts with a point per run and a run
//! opened from the list. The tenant is synced through the application layer before the app opens, twice,
//! so that the demo organisation's changes between the runs make history, leavers and two points. A group's
//! status is set on its page and the Groups list filtered by it.
//! Runs under ROSTER_UI_TEST=1 (see tests/ui_e2e.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::*;
use roster_api::json::{GroupListQuery, RunReport, UserListQuery, UserSortKey};
use roster_api::{
    spec, Caller, DirectoryPatch, MemorySecrets, NewUser, Options, Roster, RunMode, SystemClock,
    Trigger, UserEdit,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// A data directory whose tenant's demo user sync (300 people) ran twice, and a user added by hand in
/// Bypass. Returns the sync's key and the two runs' reports.
fn synced_twice(dir: &std::path::Path) -> (String, Vec<RunReport>) {
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("E2E", None).unwrap();
    let s = r.session("E2E", &Caller::Local).unwrap();
    let key = s
        .add_directory(
            spec::parse(r#"{"name": "Demo staff", "type": "user", "paused": true, "connection": {"kind": "demo", "seed": 7, "users": 300}}"#)
                .unwrap(),
        )
        .unwrap()
        .directory_key;
    s.update_directory(
        &key,
        DirectoryPatch {
            deletion_threshold_percent: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let reports: Vec<RunReport> = (0..2)
        .map(|_| {
            rt.block_on(s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual))
                .unwrap()
        })
        .collect();
    s.add_user(NewUser {
        username: "hand.made".into(),
        ..Default::default()
    })
    .unwrap();
    s.update_user(
        "hand.made",
        UserEdit {
            status: Some("bypass".into()),
            ..Default::default()
        },
    )
    .unwrap();
    // One more in the trash, by hand, so the trash holds at least two whatever the demo's leavers.
    s.add_user(NewUser {
        username: "hand.gone".into(),
        ..Default::default()
    })
    .unwrap();
    s.trash_user("hand.gone").unwrap();
    (key, reports)
}

/// The first usernames the backend lists for `q`, to compare the window's order with.
fn first_usernames(dir: &std::path::Path, q: UserListQuery, n: usize) -> Vec<String> {
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    let s = r.session("E2E", &Caller::Local).unwrap();
    s.user_list(false, &q, 0, n as u64)
        .unwrap()
        .rows
        .into_iter()
        .map(|u| u.username)
        .collect()
}

fn total(d: &Driver, testid: &str) -> u64 {
    let e = d.wait_for(&format!("[data-testid='{testid}']"), T);
    d.attribute(&e, "data-total")
        .and_then(|t| t.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Sets a `<select>` as a person picking an option does (its change event).
fn choose(d: &Driver, css: &str, value: &str) {
    d.wait_for(css, T);
    d.execute(
        "const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change', {bubbles: true}));",
        json!([css, value]),
    );
}

/// The usernames of the rows shown, in order.
fn shown(d: &Driver, rows: &str) -> Vec<String> {
    d.find_all(rows)
        .iter()
        .filter_map(|e| d.attribute(e, "data-username"))
        .collect()
}

#[test]
fn users_search_filter_sort_and_a_users_page_with_history() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (key, reports) = synced_twice(dir.path());
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());

    d.click(&d.wait_for("[data-testid='nav-users']", T));
    assert!(
        eventually(T, || total(&d, "users-total") > 290),
        "the synced people and the hand-made user are listed"
    );
    let everyone = total(&d, "users-total");
    let link = d.wait_for("[data-testid='users-directory-sync']", T);
    // WebDriver gives a link's href resolved (tauri://localhost#/…): compare its hash.
    assert!(d
        .attribute(&link, "href")
        .unwrap_or_default()
        .ends_with("#/directories"));
    let add = d.wait_for("[data-testid='users-add-sync']", T);
    assert!(d
        .attribute(&add, "href")
        .unwrap_or_default()
        .ends_with("#/directories?add=1"));

    // Filter by status, then by "added by hand", then by the sync.
    choose(&d, "[data-testid='filter-status']", "bypass");
    assert!(
        eventually(T, || total(&d, "users-total") == 1),
        "one user is in Bypass"
    );
    assert_eq!(shown(&d, "[data-testid='user-row']"), ["hand.made"]);
    choose(&d, "[data-testid='filter-status']", "");
    choose(&d, "[data-testid='filter-managed']", "by_hand");
    assert!(eventually(T, || total(&d, "users-total") == 1));
    choose(&d, "[data-testid='filter-managed']", &key);
    assert!(
        eventually(T, || total(&d, "users-total") == everyone - 1),
        "everyone but the hand-made user"
    );
    choose(&d, "[data-testid='filter-managed']", "");

    // Sort by name, twice: the window shows the backend's order, then its reverse.
    d.click(&d.wait_for("[data-testid='sort-name']", T));
    let by_name = first_usernames(
        dir.path(),
        UserListQuery {
            sort: UserSortKey::Name,
            ..Default::default()
        },
        5,
    );
    assert!(
        eventually(T, || shown(&d, "[data-testid='user-row']")
            .starts_with(&by_name)),
        "sorted by name: expected {by_name:?} first, the window shows {:?}",
        shown(&d, "[data-testid='user-row']")
    );
    d.click(&d.wait_for("[data-testid='sort-name']", T));
    let desc = first_usernames(
        dir.path(),
        UserListQuery {
            sort: UserSortKey::Name,
            descending: true,
            ..Default::default()
        },
        5,
    );
    assert!(
        eventually(T, || shown(&d, "[data-testid='user-row']")
            .starts_with(&desc)),
        "then reversed"
    );
    let header = d.wait_for("[data-testid='sort-name']", T);
    assert_eq!(
        d.attribute(&header, "data-sorted").as_deref(),
        Some("descending")
    );

    // Search for someone the second run changed, and open their page.
    let changed = reports[1]
        .changes
        .iter()
        .find(|c| {
            c.object == roster_core::ObjectKind::User
                && c.action == roster_core::plan::Action::Update
        })
        .expect("the demo organisation changed someone between the runs");
    let search = d.wait_for("[data-testid='list-search']", T);
    d.type_text(&search, &changed.key);
    let row = format!("[data-testid='user-row'][data-username='{}']", changed.key);
    d.wait_for(&row, T);
    d.click(&d.wait_for(&format!("{row} [data-testid='user-link']"), T));
    let name = d.wait_for("[data-testid='user-name']", T);
    assert_eq!(d.text(&name), changed.key);
    let email = d.wait_for("[data-testid='user-field'][data-label='Email']", T);
    assert_eq!(
        d.attribute(&email, "data-synced").as_deref(),
        Some("mail"),
        "the email is synced from mail"
    );
    let notes = d.wait_for("[data-testid='user-field'][data-label='Notes']", T);
    assert_eq!(
        d.attribute(&notes, "data-synced").as_deref(),
        Some(""),
        "notes are not synced"
    );
    assert!(d
        .text_of("[data-testid='user-sync']")
        .contains("Demo staff"));
    d.wait_for("[data-testid='history-entry']", T);
    let actions: Vec<String> = d
        .find_all("[data-testid='history-entry']")
        .iter()
        .filter_map(|e| d.attribute(e, "data-action"))
        .collect();
    assert_eq!(
        actions,
        ["update", "create"],
        "newest first, one entry per run that changed them"
    );
}

#[test]
fn restore_and_purge_from_the_trash_and_sync_history_charts() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_key, reports) = synced_twice(dir.path());
    let trashed = reports[1].counts.trashed + 1; // the demo's leavers and hand.gone
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());

    d.click(&d.wait_for("[data-testid='nav-trash']", T));
    assert!(eventually(T, || total(&d, "trash-total") == trashed));
    let names = shown(&d, "[data-testid='trash-row']");
    let (first, second) = (names[0].clone(), names[1].clone());
    assert!(
        d.text_of("[data-testid='days-left']").contains("days left"),
        "{}",
        d.text_of("[data-testid='days-left']")
    );

    d.click(&d.wait_for(&format!("[data-testid='restore-{first}']"), T));
    d.wait_for("[data-testid='trash-done']", T);
    assert!(
        eventually(T, || total(&d, "trash-total") == trashed - 1),
        "restored users leave the trash"
    );

    d.click(&d.wait_for(&format!("[data-testid='purge-{second}']"), T));
    d.wait_for("[data-testid='purge-dialog']", T);
    d.click(&d.wait_for("[data-testid='purge-confirm']", T));
    assert!(
        eventually(T, || total(&d, "trash-total") == trashed - 2),
        "a purged user is gone"
    );
    assert!(!shown(&d, "[data-testid='trash-row']").contains(&second));

    // The restored user is active again; the purged one is not listed anywhere.
    d.click(&d.wait_for("[data-testid='nav-users']", T));
    let search = d.wait_for("[data-testid='list-search']", T);
    d.type_text(&search, &first);
    d.wait_for(
        &format!("[data-testid='user-row'][data-username='{first}'][data-status='active']"),
        T,
    );

    // Sync History: one point per applied run of the sync, one bar per run, and a run opened from the list.
    d.click(&d.wait_for("[data-testid='nav-history']", T));
    let users = d.wait_for("[data-testid='chart-users']", T);
    assert_eq!(d.attribute(&users, "data-points").as_deref(), Some("2"));
    assert_eq!(d.find_all("[data-testid='users-point']").len(), 2);
    assert_eq!(d.find_all("[data-testid='changes-bar']").len(), 2);
    d.click(&d.wait_for("[data-testid='history-run']", T));
    let report = d.wait_for("[data-testid='run-report']", T);
    assert_eq!(
        d.attribute(&report, "data-run-id"),
        reports[1].run_id.map(|id| id.to_string()),
        "the newest run opens"
    );
}

#[test]
fn a_groups_status_is_set_on_its_page_and_filters_the_groups_list() {
    let Some(_turn) = ui_turn() else { return };
    let dir = tempfile::tempdir().unwrap();
    synced_twice(dir.path());
    let roster = || {
        Roster::new(Options {
            data_dir: dir.path().to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock: Arc::new(SystemClock),
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap()
    };
    let groups = {
        let r = roster();
        let s = r.session("E2E", &Caller::Local).unwrap();
        s.group_list(&GroupListQuery::default(), 0, 1000).unwrap()
    };
    let every = groups.total.unwrap();
    assert!(every >= 2, "the demo has groups");
    let group = groups.rows[1].clone();
    assert_eq!(group.status, roster_core::GroupStatus::Active);
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), dir.path().to_str().unwrap());

    d.click(&d.wait_for("[data-testid='nav-groups']", T));
    assert!(eventually(T, || total(&d, "groups-total") == every));
    let row = format!(
        "[data-testid='group-row'][data-group-id='{}']",
        group.group_id
    );
    d.wait_for(&format!("{row}[data-status='active']"), T);
    d.click(&d.wait_for(&format!("{row} [data-testid='group-link']"), T));
    assert_eq!(
        d.text(&d.wait_for("[data-testid='group-name']", T)),
        group.name
    );
    d.wait_for("[data-testid='group-status'][data-status='active']", T);
    choose(&d, "[data-testid='group-status-choice']", "bypass");
    d.click(&d.wait_for("[data-testid='group-status-save']:not([disabled])", T));
    d.wait_for("[data-testid='group-status'][data-status='bypass']", T);
    assert!(d
        .text_of("[data-testid='group-status-saved']")
        .contains("Bypass"));
    {
        let r = roster();
        let s = r.session("E2E", &Caller::Local).unwrap();
        assert_eq!(
            s.group_detail(&group.group_id).unwrap().status,
            roster_core::GroupStatus::Bypass,
            "the window saved it"
        );
    }

    // The Groups list filtered by status: the one group set to Bypass, then every other group.
    d.click(&d.wait_for("[data-testid='nav-groups']", T));
    choose(&d, "[data-testid='filter-group-status']", "bypass");
    assert!(eventually(T, || total(&d, "groups-total") == 1));
    d.wait_for(&format!("{row}[data-status='bypass']"), T);
    assert_eq!(d.find_all("[data-testid='group-row']").len(), 1);
    choose(&d, "[data-testid='filter-group-status']", "active");
    assert!(eventually(T, || total(&d, "groups-total") == every - 1));
    choose(&d, "[data-testid='filter-group-status']", "disabled");
    assert!(eventually(T, || total(&d, "groups-total") == 0));
}
