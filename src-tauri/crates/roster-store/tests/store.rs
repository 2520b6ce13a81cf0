//! Store tests on real SQLite files in a temporary directory. One behaviour per test, each with a "why".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_core::plan::{plan, Scope, Snapshot};
use roster_core::source::{SourceBatch, SourceGroup, SourceUser};
use roster_core::{DirectoryKey, SyncSettings, Timestamp};
use roster_store::schema;
use roster_store::{ApplyOptions, Candidates, DirectoryRecord, PageAt, Store, StoreError, Trigger};
use std::path::Path;

mod common;
use common::{connection, insert_sync, new_store, schema_shape, settings, user_sync, NOW};

fn add_directory(store: &Store) -> DirectoryRecord {
    insert_sync(
        store,
        &connection("conn-1", "demo", "Demo", serde_json::json!({"seed": 1})),
        DirectoryRecord {
            groups: vec!["g1".into()],
            ..user_sync(3, "Staff", "conn-1")
        },
    )
}

fn batch(names: &[&str]) -> SourceBatch {
    SourceBatch {
        users: names
            .iter()
            .map(|n| SourceUser {
                external_id: format!("ext-{n}").into(),
                attributes: vec![
                    ("uid".into(), n.to_string()),
                    ("mail".into(), format!("{n}@example.org")),
                ],
                disabled: false,
                locator: None,
            })
            .collect(),
        groups: vec![SourceGroup {
            external_id: "g1".into(),
            name: "Staff".into(),
            description: None,
            members: names.iter().map(|n| format!("ext-{n}").into()).collect(),
        }],
        ..Default::default()
    }
}

/// How the tests apply a plan: a complete, successful full run at NOW.
fn opts<'a>(
    run_id: i64,
    key: &'a DirectoryKey,
    expected_data_revision: i64,
    conflicts: &'a [roster_core::Conflict],
) -> ApplyOptions<'a> {
    ApplyOptions {
        run_id,
        key,
        expected_data_revision,
        conflicts,
        complete: true,
        full: true,
        now: NOW,
        connection_state: None,
        outcome: "succeeded",
        approves: None,
        message: "ok",
        cursor: None,
    }
}

fn sync(store: &Store, d: &DirectoryRecord, names: &[&str]) -> Result<i64, StoreError> {
    sync_batch(store, d, names, &batch(names))
}

fn sync_batch(
    store: &Store,
    d: &DirectoryRecord,
    names: &[&str],
    b: &SourceBatch,
) -> Result<i64, StoreError> {
    let cands = Candidates {
        usernames: names.iter().map(|s| s.to_string()).collect(),
        emails: Vec::new(),
    };
    let (snap, rev) = store.snapshot(&d.key, &cands)?;
    let p = plan(&settings(d), &snap, &Scope::Full(b), NOW);
    let (run, _lease) = store.begin_run(&d.key, Trigger::Manual, NOW)?;
    store.apply(&p, &opts(run, &d.key, rev, &p.conflicts))?;
    Ok(run)
}

#[test]
fn a_new_database_is_a_tenant_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    assert_eq!(store.tenant().unwrap().name, "Acme");
    drop(store);
    let again = Store::open(&dir.path().join("t.sqlite3"), None).unwrap();
    assert_eq!(
        again.tenant().unwrap().pending_deletion_days,
        7,
        "the default retention is Duo's 7 days"
    );
}

#[test]
fn foreign_corrupt_and_newer_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.sqlite3");
    std::fs::write(&text, b"just some text, not a database at all").unwrap();
    let err = Store::open(&text, None).unwrap_err();
    assert!(
        matches!(err, StoreError::NotADatabase(_)),
        "a text file must be refused as not a database: {err}"
    );
    assert_eq!(
        std::fs::read(&text).unwrap(),
        b"just some text, not a database at all",
        "nothing may be written to it"
    );

    let foreign = dir.path().join("other.sqlite3");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&foreign).unwrap();
    let err = Store::open(&foreign, None).unwrap_err();
    assert!(
        matches!(err, StoreError::Foreign(_)),
        "another program's database must be refused: {err}"
    );
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "and left byte for byte as it was"
    );

    let newer = dir.path().join("newer.sqlite3");
    drop(new_store(dir.path()));
    std::fs::copy(dir.path().join("t.sqlite3"), &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let err = Store::open(&newer, None).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew(_)),
        "a database from a newer Roster must be refused: {err}"
    );
    assert!(
        err.to_string().contains("Update Roster"),
        "the message must say what to do: {err}"
    );

    let corrupt = dir.path().join("corrupt.sqlite3");
    let mut bytes = std::fs::read(dir.path().join("t.sqlite3")).unwrap();
    for b in bytes.iter_mut().skip(100) {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, &bytes).unwrap();
    let err = Store::open(&corrupt, None).map(|s| s.tenant()).err();
    assert!(
        err.is_some(),
        "a damaged database must fail with an error, not open as if fine"
    );
}

#[test]
fn upgrades_from_the_first_schema_keep_data_and_match_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.sqlite3");
    schema::create_v1(&old, "Old tenant", NOW).unwrap();
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch(
            "INSERT INTO connections (id, kind, name, config, created_at) VALUES ('c', 'demo', 'Demo', '{}', 1);
             INSERT INTO directories (key, name, sync_type, connection_id, selected_groups, attributes, created_at)
             VALUES ('DSAAAAAAAAAAAAAAAAAA', 'Old', 'user', 'c', '[]', '{\"username\":\"uid\"}', 1);
             INSERT INTO users (id, username, aliases, status, managed_by, created_at) VALUES ('DUAAAAAAAAAAAAAAAAAA', 'ann', '[\"ann.a\"]', 'active', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO users (id, username, status, created_at) VALUES ('DUBBBBBBBBBBBBBBBBBB', 'bo', 'active', 1);
             INSERT INTO groups (id, name, managed_by, created_at) VALUES ('DGAAAAAAAAAAAAAAAAAA', 'Staff', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO groups (id, name, managed_by, created_at) VALUES ('DGBBBBBBBBBBBBBBBBBB', 'Admins', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO memberships (group_id, user_id) VALUES ('DGBBBBBBBBBBBBBBBBBB', 'DUAAAAAAAAAAAAAAAAAA'), ('DGAAAAAAAAAAAAAAAAAA', 'DUAAAAAAAAAAAAAAAAAA');",
        )
        .unwrap();
    let store = Store::open(&old, None).unwrap();
    let users = store.users_page("", false, PageAt::Offset(0), 10).unwrap();
    assert_eq!(
        users
            .rows
            .iter()
            .map(|u| (u.username.as_str(), u.groups.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("ann", vec!["Admins".to_string(), "Staff".to_string()]),
            ("bo", vec![])
        ],
        "version 4 moves each user's memberships onto the user's row"
    );
    let groups = store.groups_page("", PageAt::Offset(0), 10).unwrap();
    assert_eq!(
        groups
            .rows
            .iter()
            .map(|g| g.member_count)
            .collect::<Vec<_>>(),
        vec![1, 1],
        "member counts survive the upgrade"
    );
    assert!(
        groups
            .rows
            .iter()
            .all(|g| g.status == roster_core::GroupStatus::Active),
        "version 13 makes existing groups active"
    );
    let (snap, _) = store
        .snapshot(
            &roster_core::DirectoryKey("DSAAAAAAAAAAAAAAAAAA".into()),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(
        snap.users[0]
            .groups
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>(),
        vec!["DGAAAAAAAAAAAAAAAAAA", "DGBBBBBBBBBBBBBBBBBB"],
        "the sync's snapshot reads the upgraded memberships, sorted"
    );
    assert_eq!(
        store.tenant().unwrap().name,
        "Old tenant",
        "the upgrade keeps the tenant"
    );
    let d = store.directory("DSAAAAAAAAAAAAAAAAAA").unwrap();
    assert_eq!(
        d.deletion_threshold_percent, 10,
        "version 2's new column gets its default for old rows"
    );
    assert_eq!(
        (d.precedence, d.schedule_from),
        (1, Some(Timestamp(1))),
        "version 5 orders existing syncs by age and keeps their schedule running"
    );
    assert_eq!(
        store.first_owner().unwrap().map(|o| o.admin.email),
        Some(schema::DEFAULT_OWNER_EMAIL.to_string()),
        "version 6 gives a tenant from before operators its Owner"
    );
    let (by_alias, _) = store
        .duo_users(&roster_store::UserFilter::Username("ANN.A".into()), 0, 10)
        .unwrap();
    assert_eq!(
        by_alias
            .iter()
            .map(|u| u.user.fields.username.as_str())
            .collect::<Vec<_>>(),
        vec!["ann"],
        "version 9 indexes the aliases users already had"
    );
    drop(store);
    drop(new_store(dir.path()));
    assert_eq!(
        schema_shape(&old),
        schema_shape(&dir.path().join("t.sqlite3")),
        "an upgraded database must have exactly the schema of a new one"
    );
}

#[test]
fn apply_writes_users_groups_memberships_and_the_run_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let run = sync(&store, &d, &["alice", "bob"]).unwrap();
    let page = store.users_page("", false, PageAt::Offset(0), 10).unwrap();
    assert_eq!(page.total, Some(2));
    assert_eq!(
        page.rows[0].groups,
        vec!["Staff"],
        "memberships are written with the users"
    );
    assert_eq!(
        page.rows[0].managed_by.as_deref(),
        Some("Staff"),
        "the managing sync's name is listed"
    );
    let rec = store.run(run).unwrap();
    assert_eq!(rec.outcome, "succeeded");
    assert_eq!(rec.counts.created, 2);
    let (changes, next) = store.run_changes(run, 0, 1000).unwrap();
    assert_eq!(
        (changes.len(), next),
        (3, None),
        "one change record per object: one group and two users"
    );
    assert_eq!(store.run_change_count(run).unwrap(), 3);
    let (first, next) = store.run_changes(run, 0, 2).unwrap();
    let (rest, end) = store.run_changes(run, next.unwrap(), 2).unwrap();
    assert_eq!(
        (first.len(), rest.len(), end),
        (2, 1, None),
        "the change log reads page by page"
    );
    assert_eq!([first, rest].concat(), changes);
    let d2 = store.directory(d.key.as_str()).unwrap();
    assert_eq!(
        d2.last_full_sync,
        Some(NOW),
        "a full sync records when it ran"
    );
    assert_eq!(d2.revision, 1, "each apply bumps the revision");
}

#[test]
fn a_group_taken_over_or_deleted_keeps_no_members_from_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let db = rusqlite::Connection::open(dir.path().join("t.sqlite3")).unwrap();
    // A group made by hand with the synced group's name, and a member made by hand.
    db.execute_batch(
        "INSERT INTO groups (id, name, created_at) VALUES ('DGMANUALMANUALMANUAL', 'Staff', 1);
         INSERT INTO users (id, username, status, created_at, group_ids)
         VALUES ('DUMANUALMANUALMANUAL', 'carol', 'active', 1, '[\"DGMANUALMANUALMANUAL\"]');",
    )
    .unwrap();
    sync(&store, &d, &["alice", "bob"]).unwrap();
    let groups = store.groups_page("", PageAt::Offset(0), 10).unwrap();
    assert_eq!(
        groups
            .rows
            .iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect::<Vec<_>>(),
        vec![("Staff", 2)],
        "the synced group replaces the members of the group it takes over"
    );
    let carol = store
        .users_page("carol", false, PageAt::Offset(0), 10)
        .unwrap();
    assert!(
        carol.rows[0].groups.is_empty(),
        "{:?}",
        carol.rows[0].groups
    );

    // A leftover membership of the synced group on a user the sync does not manage (as an older
    // version could leave), then the sync moves to another group and deletes its old one.
    db.execute(
        "UPDATE users SET group_ids = json_array('DGMANUALMANUALMANUAL') WHERE username = 'carol'",
        [],
    )
    .unwrap();
    let mut moved = batch(&["alice", "bob"]);
    moved.groups[0].external_id = "g2".into();
    moved.groups[0].name = "Team".into();
    sync_batch(&store, &d, &["alice", "bob"], &moved).unwrap();
    let left: String = db
        .query_row(
            "SELECT group_ids FROM users WHERE username = 'carol'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, "[]", "a deleted group leaves no member lists behind");
    let users = store.users_page("", false, PageAt::Offset(0), 10).unwrap();
    assert_eq!(
        users
            .rows
            .iter()
            .map(|u| (u.username.as_str(), u.groups.clone()))
            .collect::<Vec<_>>(),
        vec![
            ("alice", vec!["Team".to_string()]),
            ("bob", vec!["Team".to_string()]),
            ("carol", vec![])
        ]
    );
}

#[test]
fn a_failing_apply_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice"]).unwrap();
    // A plan whose last write violates a constraint: creating "ALICE" again under another id.
    let b = batch(&["carol", "dave"]);
    let mut p = plan(&settings(&d), &Snapshot::default(), &Scope::Full(&b), NOW);
    p.users[1].user.fields.username = "ALICE".into();
    let (run, _lease) = store.begin_run(&d.key, Trigger::Manual, NOW).unwrap();
    let err = store
        .apply(&p, &opts(run, &d.key, store.data_revision().unwrap(), &[]))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Sqlite(_)),
        "the duplicate username must fail: {err}"
    );
    let users = store.users_page("", false, PageAt::Offset(0), 10).unwrap();
    assert_eq!(
        users.total,
        Some(1),
        "carol, written before the failure, must have been rolled back"
    );
    assert_eq!(
        store.runs(None, 10).unwrap()[0].outcome,
        "running",
        "the run record is not finished by a failed apply"
    );
    assert_eq!(
        store.directory(d.key.as_str()).unwrap().revision,
        1,
        "nor is the directory's revision"
    );
}

#[test]
fn a_stale_plan_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice"]).unwrap();
    let b = batch(&["alice", "bob"]);
    let (snap, stale) = store.snapshot(&d.key, &Candidates::default()).unwrap();
    let p = plan(&settings(&d), &snap, &Scope::Full(&b), NOW);
    // Someone adds a user by hand while the plan is made.
    let dave = roster_core::User {
        id: roster_core::UserId("DUDAVE00000000000000".into()),
        fields: roster_core::UserFields {
            username: "dave".into(),
            ..Default::default()
        },
        status: roster_core::UserStatus::Active,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    store.insert_user(&dave, NOW, None).unwrap();
    let (run, _lease) = store.begin_run(&d.key, Trigger::Manual, NOW).unwrap();
    let err = store.apply(&p, &opts(run, &d.key, stale, &[])).unwrap_err();
    assert!(
        matches!(err, StoreError::Stale(_)),
        "a plan made before something else wrote users must be refused as stale: {err}"
    );
    assert_eq!(
        store
            .users_page("", false, PageAt::Offset(0), 10)
            .unwrap()
            .total,
        Some(2),
        "and nothing of it was applied (alice and dave only)"
    );
}

#[test]
fn a_connection_in_use_cannot_be_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let err = store.delete_connection("conn-1").unwrap_err();
    assert!(
        err.to_string().contains("Staff"),
        "the refusal names the sync that uses it: {err}"
    );
    store.delete_directory(d.key.as_str(), None).unwrap();
    store.delete_connection("conn-1").unwrap();
}

#[test]
fn expired_trash_is_purged_and_search_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice", "bob", "carol"]).unwrap();
    store.trash_user("BOB", NOW, None).unwrap();
    assert_eq!(
        store
            .users_page("", true, PageAt::Offset(0), 10)
            .unwrap()
            .total,
        Some(1),
        "bob is in the trash"
    );
    assert_eq!(
        store
            .purge_expired_trash(Timestamp(NOW.0 + 6 * 86_400), None)
            .unwrap(),
        0,
        "not before the retention"
    );
    assert_eq!(
        store
            .purge_expired_trash(Timestamp(NOW.0 + 7 * 86_400), None)
            .unwrap(),
        1,
        "deleted for good after it"
    );
    let page = store
        .users_page("CAR", false, PageAt::Offset(0), 10)
        .unwrap();
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.username.as_str())
            .collect::<Vec<_>>(),
        vec!["carol"],
        "search is case-insensitive"
    );
    let page = store.users_page("", false, PageAt::Offset(1), 1).unwrap();
    assert_eq!(
        (page.total, page.rows[0].username.as_str()),
        (Some(2), "carol"),
        "pages are sorted by username"
    );
    assert_eq!(
        store
            .users_page("50%_", false, PageAt::Offset(0), 10)
            .unwrap()
            .total,
        Some(0),
        "LIKE wildcards in a query are matched literally"
    );
}

#[test]
fn only_runs_whose_process_is_gone_are_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let (_, lease) = store.begin_run(&d.key, Trigger::Schedule, NOW).unwrap();
    // Another process (rosterctl beside the app) opens the tenant while the run is in progress.
    let other = Store::open(store.path(), None).unwrap();
    assert_eq!(
        other.runs(None, 1).unwrap()[0].outcome,
        "running",
        "a live run is shown as running, not interrupted"
    );
    assert_eq!(
        other.mark_interrupted_runs(NOW).unwrap(),
        0,
        "and is not marked"
    );
    assert!(
        matches!(
            other.begin_run(&d.key, Trigger::Manual, NOW),
            Err(StoreError::Conflict(_))
        ),
        "a second run of the same sync, from another process, is refused while the first runs"
    );
    drop(lease); // the process running it ends
    assert_eq!(
        other.runs(None, 1).unwrap()[0].outcome,
        "interrupted",
        "a run whose process is gone reads as interrupted"
    );
    let before = std::fs::read(store.path()).unwrap();
    let _ = other.runs(None, 10).unwrap();
    assert_eq!(
        std::fs::read(store.path()).unwrap(),
        before,
        "reading the runs writes nothing"
    );
    let (_, _lease) = other.begin_run(&d.key, Trigger::Manual, NOW).unwrap();
    let runs = other.runs(None, 2).unwrap();
    assert_eq!(
        (runs[0].outcome.as_str(), runs[1].outcome.as_str()),
        ("running", "interrupted"),
        "the next run records the dead one as interrupted"
    );
}

#[test]
fn a_snapshot_read_in_two_parts_equals_the_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice", "bob"]).unwrap();
    // carol exists unmanaged: a take-over candidate.
    let carol = roster_core::User {
        id: roster_core::UserId::derive(&DirectoryKey::from_random([3; 16]), "carol"),
        fields: roster_core::UserFields {
            username: "carol".into(),
            ..Default::default()
        },
        status: roster_core::UserStatus::Active,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    store.insert_user(&carol, NOW, None).unwrap();
    let cands = Candidates {
        usernames: vec!["alice".into(), "bob".into(), "carol".into()],
        emails: Vec::new(),
    };
    let (whole, _) = store.snapshot(&d.key, &cands).unwrap();
    // The managed part is read on a connection of its own (the engine reads it on another thread while
    // the directory is fetched), then completed with the candidates.
    let (mut parts, _) = Store::managed_snapshot_at(store.path(), &d.key).unwrap();
    assert_eq!(parts.users.len(), 2, "alice and bob, with their groups");
    assert!(parts.users.iter().all(|u| !u.groups.is_empty()));
    store.add_candidates(&d.key, &mut parts, &cands).unwrap();
    assert_eq!(
        parts.users.len(),
        3,
        "carol, unmanaged, would be taken over"
    );
    assert_eq!(parts, whole);
}

#[test]
fn opening_a_tenant_writes_nothing_and_reads_never_wait_for_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice", "bob"]).unwrap();
    // Another process is in the middle of applying a large sync: it holds the write lock.
    let writer = rusqlite::Connection::open(store.path()).unwrap();
    writer
        .execute_batch("BEGIN IMMEDIATE; UPDATE users SET notes = 'x';")
        .unwrap();
    let started = std::time::Instant::now();
    let reader = Store::open(store.path(), None).expect("opening must not need the write lock");
    let page = reader
        .users_page("", false, PageAt::Offset(0), 10)
        .expect("reading must not wait for the writer");
    assert_eq!(page.total, Some(2));
    assert!(
        reader.runs(None, 10).is_ok(),
        "the run list reads too (it writes nothing)"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "nothing waited for the writer's lock (the busy timeout is 10 s): {:?}",
        started.elapsed()
    );
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn an_empty_tenant_file_is_reported_and_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::write(&path, b"").unwrap();
    let err = Store::open(&path, None).unwrap_err();
    assert!(
        matches!(err, StoreError::Empty(_)) && err.to_string().contains("empty"),
        "a zero-byte tenant file is reported as empty: {err}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        0,
        "and is left unchanged (not turned into a database)"
    );
}

#[cfg(unix)]
#[test]
fn tenant_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice"]).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let wal = dir.path().join("t.sqlite3-wal");
    assert_eq!(mode(store.path()), 0o600, "a new tenant file is 0600");
    assert_eq!(mode(&wal), 0o600, "and so is SQLite's journal beside it");
    drop(store); // the last connection removes the journal
                 // A file from an older Roster, created under a usual umask.
    std::fs::set_permissions(
        dir.path().join("t.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let store = Store::open(&dir.path().join("t.sqlite3"), None).unwrap();
    assert_eq!(
        mode(store.path()),
        0o600,
        "opening an older file makes it private"
    );
    sync(&store, &d, &["alice", "bob"]).unwrap();
    assert_eq!(mode(&wal), 0o600, "and its new journal too");
}

#[test]
fn a_whole_list_is_read_page_by_page_after_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let names: Vec<String> = (0..250).map(|i| format!("User{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    sync(&store, &d, &refs).unwrap();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let at = match &after {
            Some(k) => PageAt::After(k),
            None => PageAt::Offset(0),
        };
        let page = store.users_page("", false, at, 100).unwrap();
        if after.is_some() {
            assert_eq!(page.total, None, "pages after a key are not counted again");
        }
        pages += 1;
        seen.extend(page.rows.iter().map(|r| r.username.clone()));
        match page.next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    assert_eq!(seen, names, "every user once, in order");
    assert_eq!(pages, 3, "250 users in pages of 100");
    let groups = store.groups_page("", PageAt::After("Staff"), 10).unwrap();
    assert!(
        groups.rows.is_empty() && groups.next.is_none(),
        "nothing after the last group"
    );
    let groups = store.groups_page("", PageAt::After("STA"), 10).unwrap();
    assert_eq!(
        groups.rows.len(),
        1,
        "keys compare case-insensitively, as the lists sort"
    );
}

#[test]
fn a_sync_writes_its_groups_members_whoever_manages_them_and_records_its_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let first = add_directory(&store);
    let second = DirectoryRecord {
        key: DirectoryKey::from_random([4; 16]),
        name: "Engineering".into(),
        groups: vec!["g2".into()],
        created_at: Timestamp(NOW.0 + 1),
        ..first.clone()
    };
    store.insert_directory(&second, None).unwrap();
    let dirs = store.directories().unwrap();
    let rank = |k: &DirectoryKey| dirs.iter().find(|d| &d.key == k).unwrap().precedence;
    assert_eq!(
        (rank(&first.key), rank(&second.key)),
        (1, 2),
        "syncs come in the order they were added"
    );
    sync(&store, &first, &["alice", "bob"]).unwrap();
    // The second sync finds alice too, in its own group "Eng".
    let b = SourceBatch {
        users: batch(&["alice", "carol"]).users,
        groups: vec![SourceGroup {
            external_id: "g2".into(),
            name: "Eng".into(),
            description: None,
            members: vec!["ext-alice".into(), "ext-carol".into()],
        }],
        ..Default::default()
    };
    let s2 = SyncSettings {
        others: [(
            first.key.clone(),
            roster_core::OtherSync {
                name: first.name.clone(),
                takes_precedence: true,
            },
        )]
        .into_iter()
        .collect(),
        ..settings(&second)
    };
    let cands = Candidates {
        usernames: vec!["alice".into(), "carol".into()],
        emails: Vec::new(),
    };
    let (snap, rev) = store.snapshot(&second.key, &cands).unwrap();
    let p = plan(&s2, &snap, &Scope::Full(&b), NOW);
    assert_eq!(
        p.memberships.len(),
        1,
        "alice joins Eng: {:?}",
        p.memberships
    );
    let (run, _lease) = store.begin_run(&second.key, Trigger::Manual, NOW).unwrap();
    store
        .apply(&p, &opts(run, &second.key, rev, &p.conflicts))
        .unwrap();
    let alice = store
        .users_page("alice", false, PageAt::Offset(0), 10)
        .unwrap()
        .rows
        .remove(0);
    assert_eq!(
        (alice.groups, alice.managed_by.as_deref()),
        (vec!["Eng".to_string(), "Staff".to_string()], Some("Staff")),
        "alice stays the first sync's and is in both syncs' groups"
    );
    let won = store.conflicts_won(&first.key).unwrap();
    assert_eq!(
        won.iter()
            .map(|c| (c.key.as_str(), c.other_name.as_str(), c.kept))
            .collect::<Vec<_>>(),
        vec![("alice", "Engineering", true)],
        "the first sync can report what the second left to it"
    );
    assert_eq!(
        store.runs(Some(second.key.as_str()), 1).unwrap()[0]
            .conflicts
            .len(),
        1,
        "the second sync's run records the conflict"
    );
    assert_eq!(
        store.conflict_counts().unwrap().get(first.key.as_str()),
        Some(&1)
    );
    // Reordering forgets conflicts recorded under the old order and makes plans in progress stale.
    let before = store.data_revision().unwrap();
    store.set_precedence(second.key.as_str(), 1).unwrap();
    let dirs = store.directories().unwrap();
    let rank = |k: &DirectoryKey| dirs.iter().find(|d| &d.key == k).unwrap().precedence;
    assert_eq!((rank(&second.key), rank(&first.key)), (1, 2));
    assert!(store.conflicts_won(&first.key).unwrap().is_empty());
    assert!(store.data_revision().unwrap() > before);
    store.delete_directory(second.key.as_str(), None).unwrap();
    assert_eq!(
        store.directory(first.key.as_str()).unwrap().precedence,
        1,
        "the syncs after a deleted one move up"
    );
}

#[test]
fn operators_keep_an_owner_and_leave_synced_administrators_to_their_sync() {
    use roster_core::access::{Authority, CustomRole, DirectoryConfig, RunSyncs};
    use roster_core::{Admin, AdminId, AdminRole, AdminStatus};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &dir.path().join("t.sqlite3"),
        Some(&roster_store::NewTenant {
            name: "Acme",
            created_at: NOW,
            owner_email: "olivia@acme.test",
            owner_name: "Olivia",
        }),
    )
    .unwrap();
    let owner = store.first_owner().unwrap().unwrap();
    assert_eq!(
        (owner.admin.email.as_str(), &owner.authority),
        (
            "olivia@acme.test",
            &Authority::Role {
                role: AdminRole::Owner
            }
        ),
        "a new tenant has its Owner"
    );
    let admin = |email: &str, role: AdminRole| Admin {
        id: AdminId(format!("DE{:0>18}", email.len())),
        name: email.into(),
        email: email.into(),
        phone: None,
        role,
        status: AdminStatus::Active,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        left_at: None,
    };
    assert!(
        matches!(
            store.remove_operator("OLIVIA@acme.test", None),
            Err(StoreError::Conflict(_))
        ),
        "the only Owner cannot be removed"
    );
    assert!(
        store
            .set_operator_role("olivia@acme.test", AdminRole::ReadOnly, None, None)
            .is_err(),
        "nor demoted"
    );
    let syncer = CustomRole {
        name: "Sync runners".into(),
        directory_config: DirectoryConfig::None,
        run_syncs: RunSyncs::Individual,
    };
    store.add_role(&syncer, NOW, None).unwrap();
    assert!(matches!(
        store.add_role(&syncer, NOW, None),
        Err(StoreError::Conflict(_))
    ));
    store
        .add_operator(
            &admin("sam@acme.test", AdminRole::ReadOnly),
            Some("sync runners"),
            NOW,
            None,
        )
        .unwrap();
    assert_eq!(
        store.operator("Sam@Acme.test").unwrap().unwrap().authority,
        Authority::Custom(syncer.clone()),
        "an operator acts with its custom role; emails compare case-insensitively"
    );
    assert!(
        store
            .add_operator(
                &admin("x@acme.test", AdminRole::ReadOnly),
                Some("No such role"),
                NOW,
                None
            )
            .is_err(),
        "a custom role must exist"
    );
    store
        .set_operator_role("sam@acme.test", AdminRole::Owner, None, None)
        .unwrap();
    store
        .set_operator_role("olivia@acme.test", AdminRole::Administrator, None, None)
        .unwrap();
    assert_eq!(
        store.first_owner().unwrap().unwrap().admin.email,
        "sam@acme.test",
        "with another Owner, the first one may step down"
    );
    assert_eq!(store.operators().unwrap().len(), 2);
}

#[test]
fn an_operator_added_by_hand_is_disabled_and_activated_but_an_owner_is_never_disabled() {
    use roster_core::{Admin, AdminId, AdminRole, AdminStatus};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        &dir.path().join("t.sqlite3"),
        Some(&roster_store::NewTenant {
            name: "Acme",
            created_at: NOW,
            owner_email: "olivia@acme.test",
            owner_name: "Olivia",
        }),
    )
    .unwrap();
    store
        .add_operator(
            &Admin {
                id: AdminId("DE000000000000000001".into()),
                name: "Uma".into(),
                email: "uma@acme.test".into(),
                phone: None,
                role: AdminRole::UserManager,
                status: AdminStatus::Active,
                managed_by: None,
                external_id: None,
                last_directory_sync: None,
                left_at: None,
            },
            None,
            NOW,
            None,
        )
        .unwrap();
    let status = |email: &str| store.operator(email).unwrap().unwrap().admin.status;
    let before = store.data_revision().unwrap();
    store
        .set_operator_status("UMA@acme.test", AdminStatus::Disabled, None)
        .unwrap();
    assert_eq!(
        status("uma@acme.test"),
        AdminStatus::Disabled,
        "an operator added by hand can be disabled, found by email in any case"
    );
    assert!(
        store.data_revision().unwrap() > before,
        "the window sees the change"
    );
    store
        .set_operator_status("uma@acme.test", AdminStatus::Active, None)
        .unwrap();
    assert_eq!(
        status("uma@acme.test"),
        AdminStatus::Active,
        "and activated again"
    );
    assert!(
        matches!(
            store.set_operator_status("olivia@acme.test", AdminStatus::Disabled, None),
            Err(StoreError::Conflict(_))
        ),
        "Owners cannot be disabled, as in Duo"
    );
    assert_eq!(status("olivia@acme.test"), AdminStatus::Active);
    assert!(
        matches!(
            store.set_operator_status("nobody@acme.test", AdminStatus::Disabled, None),
            Err(StoreError::NotFound(_))
        ),
        "an unknown email is not found"
    );
}
