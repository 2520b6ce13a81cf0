//! Store tests on real SQLite files in a temporary directory. One behaviour per test, each with a "why".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_core::plan::{plan, Scope, Snapshot};
use roster_core::source::{SourceBatch, SourceGroup, SourceUser};
use roster_core::{AttributeMap, DirectoryKey, SyncSettings, SyncType, Timestamp};
use roster_store::schema;
use roster_store::{
    ApplyOptions, Candidates, ConnectionRecord, DirectoryRecord, Store, StoreError, Trigger,
};
use std::path::Path;

const NOW: Timestamp = Timestamp(1_800_000_000);

fn new_store(dir: &Path) -> Store {
    Store::open(&dir.join("t.sqlite3"), Some(("Acme", NOW))).unwrap()
}

fn add_directory(store: &Store) -> DirectoryRecord {
    store
        .insert_connection(&ConnectionRecord {
            id: "conn-1".into(),
            kind: "demo".into(),
            name: "Demo".into(),
            config: serde_json::json!({"seed": 1}),
            status: "ready".into(),
            authorized_by: None,
            authorized_at: None,
            state: serde_json::json!({}),
            created_at: NOW,
        })
        .unwrap();
    let d = DirectoryRecord {
        key: DirectoryKey::from_random([3; 16]),
        name: "Staff".into(),
        sync_type: SyncType::User,
        connection_id: "conn-1".into(),
        groups: vec!["g1".into()],
        attributes: AttributeMap::ldap_default(),
        roles: Vec::new(),
        paused: false,
        interval_minutes: 30,
        last_full_sync: None,
        status: "never_synced".into(),
        revision: 0,
        deletion_threshold_percent: 10,
        created_at: NOW,
        cursor: None,
    };
    store.insert_directory(&d).unwrap();
    d
}

fn settings(d: &DirectoryRecord) -> SyncSettings {
    SyncSettings {
        key: d.key.clone(),
        name: d.name.clone(),
        sync_type: d.sync_type,
        attributes: d.attributes.clone(),
        roles: Vec::new(),
        deletion_threshold_percent: 10,
        retention_days: 7,
    }
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
    let snap = store.snapshot(&d.key, &cands)?;
    let p = plan(&settings(d), &snap, &Scope::Full(b), NOW);
    let run = store.begin_run(&d.key, Trigger::Manual, NOW)?;
    let rev = store.directory(d.key.as_str())?.revision;
    store.apply(
        &p,
        &p.changes(),
        &ApplyOptions {
            run_id: run,
            key: &d.key,
            expected_revision: rev,
            full: true,
            now: NOW,
            connection_state: None,
            outcome: "succeeded",
            approves: None,
            message: "ok",
            cursor: None,
        },
    )?;
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
             INSERT INTO users (id, username, status, managed_by, created_at) VALUES ('DUAAAAAAAAAAAAAAAAAA', 'ann', 'active', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO users (id, username, status, created_at) VALUES ('DUBBBBBBBBBBBBBBBBBB', 'bo', 'active', 1);
             INSERT INTO groups (id, name, managed_by, created_at) VALUES ('DGAAAAAAAAAAAAAAAAAA', 'Staff', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO groups (id, name, managed_by, created_at) VALUES ('DGBBBBBBBBBBBBBBBBBB', 'Admins', 'DSAAAAAAAAAAAAAAAAAA', 1);
             INSERT INTO memberships (group_id, user_id) VALUES ('DGBBBBBBBBBBBBBBBBBB', 'DUAAAAAAAAAAAAAAAAAA'), ('DGAAAAAAAAAAAAAAAAAA', 'DUAAAAAAAAAAAAAAAAAA');",
        )
        .unwrap();
    let store = Store::open(&old, None).unwrap();
    let users = store.users_page("", false, 0, 10).unwrap();
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
    let groups = store.groups_page("", 0, 10).unwrap();
    assert_eq!(
        groups
            .rows
            .iter()
            .map(|g| g.member_count)
            .collect::<Vec<_>>(),
        vec![1, 1],
        "member counts survive the upgrade"
    );
    let snap = store
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
    drop(store);
    drop(new_store(dir.path()));
    let shape = |p: &Path| -> Vec<(String, String, String, i64, Option<String>)> {
        let c = rusqlite::Connection::open(p).unwrap();
        let mut tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        tables.sort();
        let mut out = Vec::new();
        for t in tables {
            let mut st = c.prepare(&format!("PRAGMA table_xinfo('{t}')")).unwrap();
            let cols = st
                .query_map([], |r| {
                    Ok((
                        t.clone(),
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .unwrap()
                .map(Result::unwrap);
            out.extend(cols);
        }
        out.push((
            "user_version".into(),
            String::new(),
            String::new(),
            c.query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap(),
            None,
        ));
        out
    };
    assert_eq!(
        shape(&old),
        shape(&dir.path().join("t.sqlite3")),
        "an upgraded database must have exactly the schema of a new one"
    );
}

#[test]
fn apply_writes_users_groups_memberships_and_the_run_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    let run = sync(&store, &d, &["alice", "bob"]).unwrap();
    let page = store.users_page("", false, 0, 10).unwrap();
    assert_eq!(page.total, 2);
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
    let (rec, changes) = store.run(run).unwrap();
    assert_eq!(rec.outcome, "succeeded");
    assert_eq!(rec.counts.created, 2);
    assert_eq!(
        changes.len(),
        3,
        "one change record per object: one group and two users"
    );
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
    let groups = store.groups_page("", 0, 10).unwrap();
    assert_eq!(
        groups
            .rows
            .iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect::<Vec<_>>(),
        vec![("Staff", 2)],
        "the synced group replaces the members of the group it takes over"
    );
    let carol = store.users_page("carol", false, 0, 10).unwrap();
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
    let users = store.users_page("", false, 0, 10).unwrap();
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
    let run = store.begin_run(&d.key, Trigger::Manual, NOW).unwrap();
    let err = store
        .apply(
            &p,
            &p.changes(),
            &ApplyOptions {
                run_id: run,
                key: &d.key,
                expected_revision: 1,
                full: true,
                now: NOW,
                connection_state: None,
                outcome: "succeeded",
                approves: None,
                message: "",
                cursor: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Sqlite(_)),
        "the duplicate username must fail: {err}"
    );
    let users = store.users_page("", false, 0, 10).unwrap();
    assert_eq!(
        users.total, 1,
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
    let p = plan(&settings(&d), &Snapshot::default(), &Scope::Full(&b), NOW);
    let run = store.begin_run(&d.key, Trigger::Manual, NOW).unwrap();
    let err = store
        .apply(
            &p,
            &p.changes(),
            &ApplyOptions {
                run_id: run,
                key: &d.key,
                expected_revision: 0,
                full: true,
                now: NOW,
                connection_state: None,
                outcome: "succeeded",
                approves: None,
                message: "",
                cursor: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(_)),
        "a plan made before another run applied must be refused: {err}"
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
    store.delete_directory(d.key.as_str()).unwrap();
    store.delete_connection("conn-1").unwrap();
}

#[test]
fn expired_trash_is_purged_and_search_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    sync(&store, &d, &["alice", "bob", "carol"]).unwrap();
    store.trash_user("BOB", NOW).unwrap();
    assert_eq!(
        store.users_page("", true, 0, 10).unwrap().total,
        1,
        "bob is in the trash"
    );
    assert_eq!(
        store
            .purge_expired_trash(Timestamp(NOW.0 + 6 * 86_400))
            .unwrap(),
        0,
        "not before the retention"
    );
    assert_eq!(
        store
            .purge_expired_trash(Timestamp(NOW.0 + 7 * 86_400))
            .unwrap(),
        1,
        "deleted for good after it"
    );
    let page = store.users_page("CAR", false, 0, 10).unwrap();
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.username.as_str())
            .collect::<Vec<_>>(),
        vec!["carol"],
        "search is case-insensitive"
    );
    let page = store.users_page("", false, 1, 1).unwrap();
    assert_eq!(
        (page.total, page.rows[0].username.as_str()),
        (2, "carol"),
        "pages are sorted by username"
    );
    assert_eq!(
        store.users_page("50%_", false, 0, 10).unwrap().total,
        0,
        "LIKE wildcards in a query are matched literally"
    );
}

#[test]
fn interrupted_runs_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store);
    store.begin_run(&d.key, Trigger::Schedule, NOW).unwrap();
    assert_eq!(store.mark_interrupted_runs(NOW).unwrap(), 1);
    assert_eq!(
        store.runs(None, 1).unwrap()[0].outcome,
        "interrupted",
        "a run left running by a dead process is marked"
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
    store.insert_user(&carol, NOW).unwrap();
    let cands = Candidates {
        usernames: vec!["alice".into(), "bob".into(), "carol".into()],
        emails: Vec::new(),
    };
    let whole = store.snapshot(&d.key, &cands).unwrap();
    // The managed part is read on a connection of its own (the engine reads it on another thread while
    // the directory is fetched), then completed with the candidates.
    let mut parts = Store::managed_snapshot_at(store.path(), &d.key).unwrap();
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
