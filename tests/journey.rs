//! Journeys across crates, through the application layer every front door uses: a consultant creates a
//! tenant, adds the demo directory, previews, syncs, lets the organisation change, syncs again, watches the
//! trash purge after the retention (with an injected clock), and approves a held run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{
    spec, ApiError, Caller, Code, ManualClock, MemorySecrets, Options, Roster, RunMode, Session,
    Trigger,
};
use roster_core::Timestamp;
use std::sync::Arc;

const T0: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn roster(dir: &std::path::Path, clock: Arc<ManualClock>) -> Arc<Roster> {
    Arc::new(
        Roster::new(Options {
            data_dir: dir.to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock,
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap(),
    )
}

fn demo_spec(users: usize) -> spec::DirectorySpec {
    spec::parse(&format!(
        r#"{{"name": "Demo", "type": "user", "connection": {{"kind": "demo", "seed": 7, "users": {users}}}}}"#
    ))
    .unwrap()
}

fn user_status(s: &Session<'_>, username: &str) -> Option<String> {
    let page = s
        .users_page(username, roster_api::PageAt::Offset(0), 50)
        .unwrap();
    page.rows
        .into_iter()
        .find(|u| u.username == username)
        .map(|u| u.status.as_str().to_string())
}

#[tokio::test]
async fn consultant_journey_preview_sync_change_trash_purge_and_held_approval() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = roster(dir.path(), clock.clone());
    let t = r.create_tenant("Acme Dental", None).unwrap();
    let s = r.session("acme dental", &Caller::Local).unwrap();
    assert_eq!(
        t.id, "acme-dental",
        "tenant files are named from the tenant name"
    );
    let key = s.add_directory(demo_spec(300)).unwrap().directory_key;

    // Preview: the plan, nothing applied.
    let preview = s
        .run_sync(&key, RunMode::Preview, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(preview.outcome, roster_api::json::RunOutcome::Preview);
    assert_eq!(
        preview.counts.created, 300,
        "a first preview shows every user as created"
    );
    assert_eq!(
        s.users_page("", roster_api::PageAt::Offset(0), 10)
            .unwrap()
            .total,
        Some(0),
        "a preview changes nothing"
    );
    assert!(
        s.list_runs(Some(&key), 10).unwrap().is_empty(),
        "a preview leaves no run record"
    );

    // First sync.
    let first = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(first.outcome, roster_api::json::RunOutcome::Succeeded);
    assert_eq!(first.counts.created, 300);
    assert_eq!(
        first.changes.len(),
        300 + first.counts.groups_created as usize,
        "one change record per object"
    );
    assert_eq!(
        s.users_page("", roster_api::PageAt::Offset(0), 10)
            .unwrap()
            .total,
        Some(300),
        "every user is in the store"
    );
    let disabled_at_start = s
        .users_page("", roster_api::PageAt::Offset(0), 1000)
        .unwrap()
        .rows
        .iter()
        .filter(|u| u.status == roster_core::UserStatus::Disabled)
        .count();
    assert!(
        disabled_at_start > 0,
        "the demo organisation has disabled accounts, synced as disabled"
    );
    let dirs = s.list_directories().unwrap();
    assert_eq!(
        dirs[0].last_full_sync.as_deref(),
        Some(Timestamp(T0).to_rfc3339().as_str())
    );

    // The organisation changes; the second sync shows real changes and applies them.
    clock.advance(1800);
    let second = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Schedule)
        .await
        .unwrap();
    assert_eq!(
        second.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        second.message
    );
    assert!(
        second.counts.created >= 3 && second.counts.trashed >= 2 && second.counts.disabled >= 1,
        "hires, leavers and disables: {:?}",
        second.counts
    );
    let trashed: Vec<String> = second
        .changes
        .iter()
        .filter(|c| c.action == roster_core::plan::Action::Trash)
        .map(|c| c.key.clone())
        .collect();
    for c in second
        .changes
        .iter()
        .filter(|c| c.action == roster_core::plan::Action::Disable)
    {
        assert_eq!(
            user_status(&s, &c.key).as_deref(),
            Some("disabled"),
            "{} was disabled in the source",
            c.key
        );
    }
    let trash = s
        .trash_page("", roster_api::PageAt::Offset(0), 100)
        .unwrap();
    assert_eq!(
        trash.total.unwrap_or(0) as usize,
        trashed.len(),
        "every leaver is in the trash"
    );
    assert_eq!(
        trash.rows[0].purge_at.as_deref(),
        Some(Timestamp(T0 + 1800 + 7 * DAY).to_rfc3339().as_str()),
        "the trash says when each user is deleted for good"
    );

    // A held run: with a 0% threshold any leaver holds the run, and nothing is applied.
    s.update_directory(
        &key,
        roster_api::DirectoryPatch {
            deletion_threshold_percent: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    clock.advance(1800);
    let before = s
        .users_page("", roster_api::PageAt::Offset(0), 1000)
        .unwrap();
    let held = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Schedule)
        .await
        .unwrap();
    assert_eq!(held.outcome, roster_api::json::RunOutcome::Held);
    assert!(
        held.held_reason
            .as_deref()
            .is_some_and(|h| h.contains("threshold")),
        "{:?}",
        held.held_reason
    );
    assert!(
        !held.changes.is_empty(),
        "a held run lists what it would change, for review"
    );
    assert_eq!(
        s.users_page("", roster_api::PageAt::Offset(0), 1000)
            .unwrap(),
        before,
        "a held run changes nothing"
    );
    let held_id = held.run_id.unwrap();
    assert_eq!(
        s.run_detail(held_id).unwrap().changes,
        held.changes,
        "the held run's changes are kept for review"
    );
    let approved = s
        .run_sync(&key, RunMode::Full { approve: true }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(approved.outcome, roster_api::json::RunOutcome::Succeeded);
    assert!(approved.counts.trashed > 0);
    assert_eq!(
        s.run_detail(held_id).unwrap().outcome,
        roster_api::json::RunOutcome::Approved,
        "approving marks the held run"
    );

    // After the retention the first leavers are purged.
    s.update_directory(
        &key,
        roster_api::DirectoryPatch {
            deletion_threshold_percent: Some(100),
            ..Default::default()
        },
    )
    .unwrap();
    clock.advance(7 * DAY);
    let later = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Schedule)
        .await
        .unwrap();
    assert!(
        later.counts.purged as usize >= trashed.len(),
        "users trashed 7 days ago are purged: {:?}",
        later.counts
    );
    for name in &trashed {
        let still = s
            .trash_page(name, roster_api::PageAt::Offset(0), 10)
            .unwrap()
            .rows
            .iter()
            .any(|u| &u.username == name);
        assert!(
            !still,
            "{name} must be deleted for good after the retention"
        );
    }

    // Individual sync of one user.
    let someone = s
        .users_page("", roster_api::PageAt::Offset(0), 1)
        .unwrap()
        .rows[0]
        .username
        .clone();
    let one = s
        .run_sync(&key, RunMode::Individual(someone.clone()), Trigger::Manual)
        .await
        .unwrap();
    assert!(
        one.changes.iter().all(|c| c.key == someone),
        "an individual sync touches only that user"
    );
    let missing = s
        .run_sync(
            &key,
            RunMode::Individual("no.such.person".into()),
            Trigger::Manual,
        )
        .await
        .unwrap();
    assert_eq!(
        missing.outcome,
        roster_api::json::RunOutcome::Failed,
        "an unknown username is a failed run that says so"
    );
    assert!(missing
        .message
        .as_deref()
        .is_some_and(|m| m.contains("no.such.person")));

    let runs = s.list_runs(Some(&key), 50).unwrap();
    assert!(
        runs.iter()
            .any(|x| x.trigger == roster_api::json::RunTrigger::Individual),
        "individual runs are recorded with their trigger"
    );
    assert!(
        runs.windows(2).all(|w| w[0].run_id > w[1].run_id),
        "runs are listed newest first"
    );
}

#[tokio::test]
async fn a_new_install_opens_on_a_demo_tenant_with_user_and_admin_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(T0))));
    let t = r.default_tenant(true).unwrap();
    assert_eq!(t.name, "Demo");
    let s = r.session(&t.id, &Caller::Local).unwrap();
    let dirs = s.list_directories().unwrap();
    assert_eq!(dirs.len(), 2, "a user sync and an admin sync");
    assert_eq!(
        dirs[0].connection.id, dirs[1].connection.id,
        "one connection serves both syncs"
    );
    let admin = dirs
        .iter()
        .find(|d| d.sync_type == roster_core::SyncType::Admin)
        .unwrap();
    let report = s
        .run_sync(
            &admin.directory_key,
            RunMode::Full { approve: false },
            Trigger::Manual,
        )
        .await
        .unwrap();
    assert_eq!(report.outcome, roster_api::json::RunOutcome::Succeeded);
    let admins = s
        .admins_page("", roster_api::PageAt::Offset(0), 100)
        .unwrap();
    assert!(
        admins.total >= Some(5),
        "the role groups' members become administrators"
    );
    assert!(
        admins
            .rows
            .iter()
            .any(|a| a.role == roster_core::AdminRole::Administrator)
            && admins
                .rows
                .iter()
                .any(|a| a.role == roster_core::AdminRole::HelpDesk)
    );
    assert!(
        admins
            .rows
            .iter()
            .filter(|a| a.managed_by.is_some())
            .all(|a| a.role != roster_core::AdminRole::Owner),
        "Owners are never synced"
    );
    assert!(
        admins
            .rows
            .iter()
            .any(|a| a.role == roster_core::AdminRole::Owner && a.managed_by.is_none()),
        "the tenant's own Owner (the person at this computer) is an administrator by hand"
    );
    // Reopening uses the same tenant; it does not create another.
    drop(s);
    drop(r);
    let again = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(T0))));
    let t = again.default_tenant(true).unwrap();
    assert_eq!(again.list_tenants().unwrap().len(), 1);
    // A connection in use cannot be deleted.
    let err = again
        .session(&t.id, &Caller::Local)
        .unwrap()
        .delete_connection(&dirs[0].connection.id)
        .unwrap_err();
    assert_eq!(err.code, Code::Conflict);
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(T0))));
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let err: ApiError = spec::parse(
        r#"{"name": "x", "type": "user", "connection": {"kind": "demo", "users": "many"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.code, Code::Validation);
    assert!(
        err.message.contains("README"),
        "the message points at the documentation: {}",
        err.message
    );
    let err = s
        .run_sync(
            "DSNOTAKEY",
            RunMode::Full { approve: false },
            Trigger::Manual,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::NotFound);
    assert!(
        err.message.contains("directory list"),
        "the message says how to find keys: {}",
        err.message
    );
    assert!(
        s.list_directories().unwrap().is_empty(),
        "nothing was added"
    );

    // A foreign SQLite file and a damaged one among the tenants.
    let foreign = dir.path().join("tenants/foreign.sqlite3");
    rusqlite_like_file(&foreign, b"SQLite format 3\0garbage garbage garbage");
    let before = std::fs::read(&foreign).unwrap();
    let err = r.tenant("foreign").unwrap_err();
    assert_eq!(err.code, Code::IncompatibleStore, "{}", err.message);
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the file is left as it was"
    );
    let listed = r.list_tenants().unwrap();
    assert!(
        listed
            .iter()
            .any(|t| t.id == "foreign" && t.name.contains("cannot be opened")),
        "the list says which tenant is broken"
    );

    // The username attribute is fixed after the first sync.
    let key = s.add_directory(demo_spec(20)).unwrap().directory_key;
    s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    let mut attrs = roster_core::AttributeMap::ldap_default();
    attrs.username = "mail".into();
    let err = s
        .update_directory(
            &key,
            roster_api::DirectoryPatch {
                attributes: Some(attrs),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        err.message
            .contains("cannot be changed after the first sync"),
        "{}",
        err.message
    );

    // Export carries configuration and no users; import makes a working copy.
    let export = s.export_tenant().unwrap();
    let text = serde_json::to_string(&export).unwrap();
    assert!(
        !text.contains("northwind.demo"),
        "an export carries no user data"
    );
    let copy = r.import_tenant("Acme copy", &export).unwrap();
    let s = r.session(&copy.id, &Caller::Local).unwrap();
    assert_eq!(
        s.list_directories().unwrap()[0].directory_key,
        key,
        "directory keys survive export and import"
    );
    assert_eq!(
        s.users_page("", roster_api::PageAt::Offset(0), 1)
            .unwrap()
            .total,
        Some(0)
    );
}

fn rusqlite_like_file(path: &std::path::Path, bytes: &[u8]) {
    let mut v = bytes.to_vec();
    v.resize(4096, 0x41);
    std::fs::write(path, v).unwrap();
}

/// The desktop app's synchronous commands run on the UI thread, outside the async runtime: adding a
/// directory sync there must still schedule it (this once crashed the app). A new sync waits for the
/// admin's first run (the app says "use Preview, then Sync Now"); one added with `"first_run": "now"`
/// (the demo tenant of a new install) runs at once.
#[test]
fn a_new_sync_waits_for_the_admins_first_run_and_then_runs_on_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(T0))));
    r.create_tenant("Acme", None).unwrap();
    rt.block_on(async { r.start_scheduler() }).unwrap();
    let r2 = r.clone();
    let (waiting, at_once) = std::thread::spawn(move || {
        let s = r2.session("Acme", &Caller::Local).unwrap();
        let waiting = s.add_directory(demo_spec(10)).unwrap().directory_key;
        let now = spec::parse(
            r#"{"name": "Now", "type": "user", "first_run": "now", "connection": {"kind": "demo", "seed": 8, "users": 10}}"#,
        )
        .unwrap();
        (waiting, s.add_directory(now).unwrap().directory_key)
    })
    .join()
    .expect("no panic");
    let s = r.session("Acme", &Caller::Local).unwrap();
    let outcome = |key: &str| {
        s.list_runs(Some(key), 1)
            .unwrap()
            .first()
            .map(|x| x.outcome)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while outcome(&at_once) != Some(roster_api::json::RunOutcome::Succeeded) {
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduler ran the sync added to run at once"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        outcome(&waiting),
        None,
        "a new sync does not run by itself before the admin's first run"
    );
    let schedule = |key: &str| {
        s.list_directories()
            .unwrap()
            .into_iter()
            .find(|d| d.directory_key == key)
            .unwrap()
            .schedule
    };
    assert_eq!(
        schedule(&waiting),
        roster_api::json::Schedule::Waiting,
        "and says it waits"
    );
    rt.block_on(s.run_sync(&waiting, RunMode::Preview, Trigger::Manual))
        .unwrap();
    assert_eq!(
        schedule(&waiting),
        roster_api::json::Schedule::Waiting,
        "a preview does not start the schedule"
    );
    rt.block_on(s.run_sync(&waiting, RunMode::Full { approve: false }, Trigger::Manual))
        .unwrap();
    assert_eq!(
        schedule(&waiting),
        roster_api::json::Schedule::Scheduled,
        "Sync Now starts the schedule"
    );
    rt.block_on(r.stop_scheduler());
}
