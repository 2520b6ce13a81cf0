//! End-to-end tests of roles in the real app (WebKitGTK through tauri-driver): who acts in the sidebar and
//! switching operator, what a role may do on the screens, and Settings.
//!
//! - The Owner views as a User Manager, who sees no admin syncs (Admin Directory Sync says they need the
//!   Owner role, Directory Sync lists user syncs only), runs a user sync, and is told why administrators
//!   and settings are not theirs to change.
//! - A User Manager switches to an administrator with a custom role limited to individual syncs: a wrong
//!   passphrase is refused, the right one switches; that role's Sync Now is refused by the application
//!   layer with the role it needs, and its individual sync runs. Back to the Owner without a passphrase.
//! - A retention change in Settings is saved in the tenant (read back through the application layer).
//!
//! Runs under the README's test command (ROSTER_UI_TEST=1, Xvfb, tauri-driver); otherwise says so and skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "ui_e2e/common.rs"]
mod common;

use common::{roster_at, ui_turn, Driver};
use roster_api::{spec, Caller, DirectoryConfig, PageAt, RunMode, RunSyncs, Trigger};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);
const TENANT: &str = "Roles";
const UMA: &str = "uma@roles.test";
const IVY: &str = "ivy@roles.test";
const IVY_PASSPHRASE: &str = "ivy's long passphrase";

/// What the tests start from.
struct Tenant {
    dir: tempfile::TempDir,
    user_sync: String,
    admin_sync: String,
    /// A user the demo directory has (synced once), for an individual sync.
    username: String,
}

/// A tenant with a paused demo user sync (synced once) and a paused demo admin sync, a User Manager, and
/// an administrator with a custom role limited to individual syncs who has a local passphrase.
fn prepare() -> Tenant {
    let dir = tempfile::tempdir().unwrap();
    let r = roster_at(dir.path());
    r.create_tenant(TENANT, None).unwrap();
    let s = r.session(TENANT, &Caller::Local).unwrap();
    let add = |body: &str| {
        s.add_directory(spec::parse(body).unwrap())
            .unwrap()
            .directory_key
    };
    let user_sync = add(
        r#"{"name": "Staff", "type": "user", "paused": true, "connection": {"kind": "demo", "seed": 7, "users": 40}}"#,
    );
    let admin_sync = add(
        r#"{"name": "Admins", "type": "admin", "paused": true, "connection": {"kind": "demo", "seed": 8, "users": 10}}"#,
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(s.run_sync(
        &user_sync,
        RunMode::Full { approve: false },
        Trigger::Manual,
    ))
    .unwrap();
    let username = s
        .users_page("", PageAt::Offset(0), 1)
        .unwrap()
        .rows
        .remove(0)
        .username;
    s.create_role(
        "Individual syncs",
        DirectoryConfig::None,
        RunSyncs::Individual,
    )
    .unwrap();
    s.add_operator(UMA, "Uma Manager", "User Manager").unwrap();
    s.add_operator(IVY, "Ivy Individual", "Individual syncs")
        .unwrap();
    s.set_operator_passphrase(IVY, Some(IVY_PASSPHRASE))
        .unwrap();
    drop(s);
    drop(r);
    Tenant {
        dir,
        user_sync,
        admin_sync,
        username,
    }
}

fn open(t: &Tenant) -> Driver {
    let mut d = Driver::start();
    d.open(env!("CARGO_BIN_EXE_roster"), t.dir.path().to_str().unwrap());
    d
}

/// Waits until the sidebar says the window acts with `role`.
fn acting_role(d: &Driver, role: &str) {
    let deadline = std::time::Instant::now() + T;
    loop {
        let shown = d.text_of("[data-testid='acting-role']");
        if shown == role {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sidebar shows {shown:?}, not {role:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Opens Switch…, picks `email`, enters `passphrase` when given, and submits.
fn switch_to(d: &Driver, email: &str, passphrase: Option<&str>) {
    if d.find_all("[data-testid='acting-dialog']").is_empty() {
        d.click(&d.wait_for("[data-testid='acting-switch']", T));
    }
    d.click(&d.wait_for(
        &format!("[data-testid='acting-target'] option[value='{email}']"),
        T,
    ));
    if let Some(p) = passphrase {
        let field = d.wait_for("[data-testid='acting-passphrase']", T);
        d.clear(&field);
        d.type_text(&field, p);
    }
    d.click(&d.wait_for("[data-testid='acting-submit']", T));
}

fn go(d: &Driver, hash: &str) {
    d.execute(&format!("location.hash = '{hash}'"), serde_json::json!([]));
}

#[test]
fn a_user_manager_the_owner_views_as_sees_no_admin_syncs_and_runs_only_user_syncs() {
    let Some(_turn) = ui_turn() else { return };
    let t = prepare();
    let d = open(&t);
    acting_role(&d, "Owner");
    // The Owner sees the admin sync.
    go(&d, "#/admin-sync");
    d.wait_for("[data-testid='admin-tab-syncs']", T);

    // View as the User Manager: no passphrase asked of an Owner.
    d.click(&d.wait_for("[data-testid='acting-switch']", T));
    d.wait_for(
        &format!("[data-testid='acting-target'] option[value='{UMA}']"),
        T,
    );
    assert!(
        d.find_all("[data-testid='acting-passphrase']").is_empty(),
        "an Owner views as anyone without a passphrase"
    );
    switch_to(&d, UMA, None);
    acting_role(&d, "User Manager");
    assert_eq!(d.text_of("[data-testid='acting-name']"), "Uma Manager");

    // No admin syncs: the page says why, and Directory Sync lists the user sync only.
    go(&d, "#/admin-sync");
    let line = d.text(&d.wait_for("[data-testid='admin-sync-owner-only']", T));
    assert!(line.contains("need the Owner role"), "{line}");
    go(&d, "#/directories");
    d.wait_for(&format!("[data-testid='sync-now-{}']", t.user_sync), T);
    assert!(
        d.find_all(&format!("[data-testid='sync-now-{}']", t.admin_sync))
            .is_empty(),
        "a User Manager is not offered the admin sync"
    );
    // A user sync runs.
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{}']", t.user_sync), T));
    let report = d.wait_for(
        &format!(
            "[data-testid='run-report'][data-key='{}'][data-outcome]",
            t.user_sync
        ),
        Duration::from_secs(120),
    );
    assert_eq!(
        d.attribute(&report, "data-outcome").as_deref(),
        Some("succeeded"),
        "{}",
        d.text(&report)
    );

    // Administrators and Settings say why their actions are missing.
    go(&d, "#/admins");
    let add = d.wait_for("[data-testid='admin-add']", T);
    assert!(
        d.attribute(&add, "disabled").is_some(),
        "a User Manager cannot add administrators"
    );
    let why = d.text(&d.wait_for("[data-testid='admins-missing']", T));
    assert!(why.contains("needs the Owner role"), "{why}");
    assert!(why.contains("User Manager (uma@roles.test)"), "{why}");
    go(&d, "#/settings");
    let retention = d.wait_for("[data-testid='settings-retention']", T);
    assert!(d.attribute(&retention, "disabled").is_some());
    let why = d.text(&d.wait_for("[data-testid='settings-missing']", T));
    assert!(why.contains("the Owner or Administrator role"), "{why}");
}

#[test]
fn a_custom_role_limited_to_individual_syncs_after_switching_with_a_passphrase() {
    let Some(_turn) = ui_turn() else { return };
    let t = prepare();
    let d = open(&t);
    acting_role(&d, "Owner");
    switch_to(&d, UMA, None);
    acting_role(&d, "User Manager");

    // A User Manager is asked for Ivy's passphrase; a wrong one is refused and nothing changes.
    switch_to(&d, IVY, Some("not the passphrase"));
    let problem = d.text(&d.wait_for("[data-testid='acting-problem']", T));
    assert!(
        problem.contains("not ivy@roles.test's passphrase"),
        "{problem}"
    );
    assert_eq!(d.text_of("[data-testid='acting-role']"), "User Manager");
    switch_to(&d, IVY, Some(IVY_PASSPHRASE));
    acting_role(&d, "Individual syncs (custom role)");

    // Sync Now is refused by the application layer, naming what the role lacks.
    go(&d, "#/directories");
    d.click(&d.wait_for(&format!("[data-testid='sync-now-{}']", t.user_sync), T));
    let banner = d.text(&d.wait_for("[data-testid='error-banner'][data-code='forbidden']", T));
    assert!(
        banner.contains("Running user directory syncs needs"),
        "{banner}"
    );
    // Syncing one user is what the role allows.
    d.click(&d.wait_for(&format!("[data-testid='sync-one-{}']", t.user_sync), T));
    let input = d.wait_for(
        &format!("[data-testid='sync-one-input-{}']", t.user_sync),
        T,
    );
    d.type_text(&input, &t.username);
    d.click(&d.wait_for(
        &format!("[data-testid='sync-one-submit-{}']", t.user_sync),
        T,
    ));
    let result = d.wait_for(
        &format!("[data-testid='sync-one-result-{}'][data-tone]", t.user_sync),
        Duration::from_secs(120),
    );
    assert_eq!(
        d.attribute(&result, "data-tone").as_deref(),
        Some("ok"),
        "{}",
        d.text(&result)
    );

    // Back to the Owner, who has no passphrase.
    d.click(&d.wait_for("[data-testid='acting-switch']", T));
    let owner = d.wait_for("[data-testid='acting-target'] option", T);
    let owner_email = d.attribute(&owner, "value").unwrap();
    switch_to(&d, &owner_email, None);
    acting_role(&d, "Owner");
}

#[test]
fn a_retention_change_in_settings_is_kept_in_the_tenant() {
    let Some(_turn) = ui_turn() else { return };
    let t = prepare();
    let d = open(&t);
    acting_role(&d, "Owner");
    go(&d, "#/settings");
    let field = d.wait_for("[data-testid='settings-retention']", T);
    std::thread::sleep(Duration::from_millis(500)); // the settings arrive after the screen
    assert_eq!(d.value(&field), "7");
    d.clear(&field);
    d.type_text(&field, "21");
    d.click(&d.wait_for("[data-testid='settings-retention-save']", T));
    d.wait_for("[data-testid='settings-saved']", T);
    // Read back from the tenant file, through the application layer.
    let r = roster_at(t.dir.path());
    let settings = r
        .session(TENANT, &Caller::Local)
        .unwrap()
        .tenant_settings()
        .unwrap();
    assert_eq!(settings.pending_deletion_days, 21);
    // And shown again when the screen opens anew.
    go(&d, "#/users");
    go(&d, "#/settings");
    let field = d.wait_for("[data-testid='settings-retention']", T);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.value(&field), "21");
}
