//! The SCIM replica and the push transaction, on real SQLite files. One behaviour per test, each with a
//! "why".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

use common::{
    add_integration, new_store, push_user, push_user_noting, resource, schema_shape, settings,
    source, NOW,
};
use roster_core::plan::{plan, PushBatch, Scope};
use roster_core::Timestamp;
use roster_store::{
    Lookup, PageAt, Resource, ResourceKind, ScimToken, StoreError, PUSH_RUN_WINDOW_SECS,
};

#[test]
fn a_push_writes_the_replica_and_the_users_together_and_records_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);

    let stored = store
        .scim_resource(&d.key, ResourceKind::User, "u1")
        .unwrap()
        .unwrap();
    assert_eq!(stored.name, "alice");
    let page = store
        .users_page("alice", false, PageAt::Offset(0), 10)
        .unwrap();
    assert_eq!(page.rows.len(), 1, "the pushed user is a Roster user");
    let runs = store.runs(Some(d.key.as_str()), 10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].trigger, "scim");
    assert_eq!(runs[0].counts.created, 1);
    let counts = store.scim_counts(&d.key).unwrap();
    assert_eq!((counts.users, counts.groups), (1, 0));
    assert_eq!(counts.last_push, Some(NOW));
}

#[test]
fn a_push_that_fails_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    let failed = store.push(&d.key, NOW, |p| -> Result<(), StoreError> {
        p.put(ResourceKind::User, &resource("u1", "alice", NOW))?;
        let snap = p.snapshot(&["u1"], &["alice"], &[], &[])?;
        let batch = PushBatch {
            users: vec![(source("u1", "alice"), Vec::new())],
            ..Default::default()
        };
        let plan = plan(&settings(&d), &snap, &Scope::Push(&batch), NOW);
        p.apply(&plan, &plan.conflicts, &|_| String::new())?;
        // Something after the apply fails (a later check of the request): all of it must go.
        Err(StoreError::Conflict("refused after the apply".into()))
    });
    assert!(failed.is_err());
    assert!(store
        .scim_resource(&d.key, ResourceKind::User, "u1")
        .unwrap()
        .is_none());
    assert!(
        store
            .users_page("", false, PageAt::Offset(0), 10)
            .unwrap()
            .rows
            .is_empty(),
        "the user the plan created is gone with the replica's row"
    );
    assert!(store.runs(Some(d.key.as_str()), 10).unwrap().is_empty());
}

#[test]
fn pushes_within_a_minute_are_one_run_and_later_ones_start_another() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    push_user(&store, &d, "u2", "bob", Timestamp(NOW.0 + 30));
    push_user(
        &store,
        &d,
        "u3",
        "carol",
        Timestamp(NOW.0 + PUSH_RUN_WINDOW_SECS + 1),
    );
    let runs = store.runs(Some(d.key.as_str()), 10).unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let first = runs.iter().find(|r| r.started_at == NOW).unwrap();
    assert_eq!(
        first.counts.created, 2,
        "counts add up across the run's pushes"
    );
    assert_eq!(first.finished_at, Some(Timestamp(NOW.0 + 30)));
    assert_eq!(first.message.as_deref(), Some("2 created"));
    let (changes, _) = store.run_changes(first.id, 0, 10).unwrap();
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["alice", "bob"], "both pushes' changes, in order");

    // A push that changes nothing is not recorded.
    store
        .push(
            &d.key,
            Timestamp(NOW.0 + 200),
            |p| -> Result<(), StoreError> {
                let snap = p.snapshot(&["u1"], &["alice"], &[], &[])?;
                let batch = PushBatch {
                    users: vec![(source("u1", "alice"), Vec::new())],
                    ..Default::default()
                };
                let plan = plan(&settings(&d), &snap, &Scope::Push(&batch), p.now());
                assert!(plan.is_empty(), "{plan:?}");
                assert_eq!(p.apply(&plan, &[], &|_| String::new())?, None);
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(store.runs(Some(d.key.as_str()), 10).unwrap().len(), 2);
}

#[test]
fn a_runs_window_is_measured_from_its_first_push_and_includes_its_last_second() {
    // Why: a steady stream of pushes (a client importing for an hour) must not grow one run forever, and
    // a push exactly at the window's end still belongs to the run it was grouped with.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    let at = |s: i64| Timestamp(NOW.0 + s);
    push_user(&store, &d, "u1", "alice", at(0));
    push_user(&store, &d, "u2", "bob", at(45));
    push_user(&store, &d, "u3", "carol", at(PUSH_RUN_WINDOW_SECS));
    // Within a minute of the last push, but not of the run's first: a new run.
    push_user(&store, &d, "u4", "dave", at(PUSH_RUN_WINDOW_SECS + 10));
    let mut runs = store.runs(Some(d.key.as_str()), 10).unwrap();
    runs.sort_by_key(|r| r.started_at);
    let spans: Vec<_> = runs
        .iter()
        .map(|r| (r.started_at, r.finished_at, r.counts.created))
        .collect();
    assert_eq!(
        spans,
        [
            (at(0), Some(at(PUSH_RUN_WINDOW_SECS)), 3),
            (
                at(PUSH_RUN_WINDOW_SECS + 10),
                Some(at(PUSH_RUN_WINDOW_SECS + 10)),
                1
            ),
        ]
    );
    let (changes, _) = store.run_changes(runs[1].id, 0, 10).unwrap();
    let keys: Vec<&str> = changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["dave"], "the new run holds only its own push");
}

#[test]
fn names_are_unique_within_an_integration_and_lookups_use_the_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    let taken = store.push(&d.key, NOW, |p| {
        p.put(ResourceKind::User, &resource("u2", "ALICE", NOW))
    });
    match taken {
        Err(StoreError::Conflict(m)) => assert!(m.contains("ALICE"), "{m}"),
        other => panic!("a second user named alice (any case) must be refused: {other:?}"),
    }
    // A group may have a user's name: names are unique per kind.
    store
        .push(&d.key, NOW, |p| {
            p.put(ResourceKind::Group, &resource("g1", "alice", NOW))
        })
        .unwrap();

    let by = |l: Lookup<'_>| {
        store
            .scim_find(&d.key, ResourceKind::User, l, 0, 10)
            .unwrap()
            .1
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by(Lookup::Name("Alice")),
        ["u1"],
        "userName is case-insensitive"
    );
    assert_eq!(by(Lookup::ExternalId("okta-u1")), ["u1"]);
    assert!(
        by(Lookup::ExternalId("OKTA-U1")).is_empty(),
        "externalId is exact"
    );
    assert_eq!(by(Lookup::Email("ALICE@example.org")), ["u1"]);
    assert_eq!(by(Lookup::Id("u1")), ["u1"]);
    let (total, page) = store.scim_page(&d.key, ResourceKind::User, 0, 10).unwrap();
    assert_eq!((total, page.len()), (1, 1));
}

#[test]
fn members_follow_their_users_and_groups() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    push_user(&store, &d, "u2", "bob", NOW);
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            p.put(ResourceKind::Group, &resource("g1", "Engineering", NOW))?;
            let mut added = p.add_members("g1", &["u1".into(), "u2".into(), "u1".into()])?;
            added.sort();
            assert_eq!(added, ["u1", "u2"], "a member is added once");
            assert!(
                p.add_members("g1", &["u2".into()])?.is_empty(),
                "already in"
            );
            match p.add_members("g1", &["u2".into(), "ghost1".into(), "ghost2".into()]) {
                Err(StoreError::NotFound(m)) => {
                    assert!(m.contains("\"ghost1\""), "the first missing: {m}");
                    assert!(!m.contains("ghost2"), "{m}");
                }
                other => panic!("{other:?}"),
            }
            Ok(())
        })
        .unwrap();
    let names: Vec<String> = store
        .scim_members(&d.key, "g1")
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(store.scim_groups_of(&d.key, "u1").unwrap().len(), 1);

    // Removing a user takes it out of its groups.
    store
        .push(&d.key, NOW, |p| p.remove(ResourceKind::User, "u1"))
        .unwrap();
    assert_eq!(store.scim_members(&d.key, "g1").unwrap().len(), 1);
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            assert_eq!(p.remove_members("g1", &["u2".into(), "u9".into()])?, ["u2"]);
            Ok(())
        })
        .unwrap();
    assert!(store.scim_members(&d.key, "g1").unwrap().is_empty());
}

/// The names of the groups the integration `d`'s user `id` is in, as its `groups` attribute lists them.
fn replica_groups(
    store: &roster_store::Store,
    d: &roster_store::DirectoryRecord,
    id: &str,
) -> Vec<String> {
    store
        .scim_groups_of(&d.key, id)
        .unwrap()
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// The groups a SCIM user is in (its `groups` attribute, and what a push plans for it) are kept as one
/// list per user, not read back from the memberships: every way a membership ends must take the group off
/// the list, or a group deleted and pushed again with the same id would find its old members back.
#[test]
fn a_users_groups_follow_every_membership_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    push_user(&store, &d, "u2", "bob", NOW);
    let groups_of = |u: &str| replica_groups(&store, &d, u);
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            // Created in this order, with ids that sort the other way: groups are listed as created.
            p.put(ResourceKind::Group, &resource("gz", "Zeta", NOW))?;
            p.put(ResourceKind::Group, &resource("ga", "Alpha", NOW))?;
            p.put(ResourceKind::Group, &resource("gm", "Mu", NOW))?;
            for g in ["ga", "gm", "gz"] {
                p.add_members(g, &["u1".into()])?;
            }
            p.add_members("ga", &["u2".into()])?;
            assert_eq!(p.groups_of("u1")?.len(), 3, "read in the push too");
            // A refused addition adds no one, not even the users named before the unknown one.
            assert!(p.add_members("gm", &["u2".into(), "ghost".into()]).is_err());
            Ok(())
        })
        .unwrap();
    assert_eq!(groups_of("u1"), ["Zeta", "Alpha", "Mu"]);
    assert_eq!(
        groups_of("u2"),
        ["Alpha"],
        "the refused addition left bob out of Mu"
    );
    assert!(
        store
            .scim_members(&d.key, "gm")
            .unwrap()
            .iter()
            .all(|(u, _)| u != "u2"),
        "nor made him a member"
    );

    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            p.remove_members("gm", &["u1".into()])?;
            Ok(())
        })
        .unwrap();
    assert_eq!(groups_of("u1"), ["Zeta", "Alpha"], "a removed member");

    store
        .push(&d.key, NOW, |p| p.remove(ResourceKind::Group, "ga"))
        .unwrap();
    assert_eq!(groups_of("u1"), ["Zeta"], "a deleted group");
    assert!(groups_of("u2").is_empty());
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            p.put(ResourceKind::Group, &resource("ga", "Alpha again", NOW))?;
            Ok(())
        })
        .unwrap();
    assert_eq!(
        groups_of("u1"),
        ["Zeta"],
        "a group pushed again with a deleted one's id starts empty"
    );
    assert!(store.scim_members(&d.key, "ga").unwrap().is_empty());

    // A deleted user leaves its groups, and one pushed again with its id is in none.
    store
        .push(&d.key, NOW, |p| p.remove(ResourceKind::User, "u1"))
        .unwrap();
    assert!(store.scim_members(&d.key, "gz").unwrap().is_empty());
    push_user(&store, &d, "u1", "alice", NOW);
    assert!(groups_of("u1").is_empty());
    assert!(
        store.scim_members(&d.key, "gz").unwrap().is_empty(),
        "no membership of the deleted user is left to find the new one"
    );
}

/// Schema 15 moved each SCIM user's groups from an index of the memberships into one list per user: a
/// tenant upgraded from 14 answers the same groups, and has the schema of a new one.
#[test]
fn the_upgrade_to_15_makes_each_scim_users_list_of_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    {
        let store = new_store(dir.path());
        let d = add_integration(&store);
        push_user(&store, &d, "u1", "alice", NOW);
        push_user(&store, &d, "u2", "bob", NOW);
        store
            .push(&d.key, NOW, |p| -> Result<(), StoreError> {
                p.put(ResourceKind::Group, &resource("g2", "Staff", NOW))?;
                p.put(ResourceKind::Group, &resource("g1", "Admins", NOW))?;
                p.add_members("g2", &["u1".into(), "u2".into()])?;
                p.add_members("g1", &["u1".into()])?;
                Ok(())
            })
            .unwrap();
    }
    let new_shape = schema_shape(&path);
    // The same tenant as schema 14 kept it: the memberships indexed by user, nothing on the rows.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE INDEX scim_members_user ON scim_members(directory_key, user_id);
             DROP TABLE scim_user_groups;
             PRAGMA user_version = 14;",
        )
        .unwrap();
    assert_ne!(schema_shape(&path), new_shape);

    let store = roster_store::Store::open(&path, None).unwrap();
    let d = store.directories().unwrap().remove(0);
    let groups_of = |u: &str| replica_groups(&store, &d, u);
    assert_eq!(groups_of("u1"), ["Staff", "Admins"]);
    assert_eq!(groups_of("u2"), ["Staff"]);
    drop(store);
    assert_eq!(schema_shape(&path), new_shape, "the schema of a new tenant");
    let rows: Vec<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .prepare("SELECT group_ids FROM scim_user_groups ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        rows,
        [r#"["g1","g2"]"#, r#"["g2"]"#],
        "sorted, as a push writes them"
    );
}

#[test]
fn a_push_snapshot_reads_only_the_users_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    for i in 0..50 {
        push_user(&store, &d, &format!("u{i}"), &format!("user{i}"), NOW);
    }
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            let snap = p.snapshot(&["u7"], &["user7", "newcomer"], &[], &[])?;
            assert_eq!(snap.users.len(), 1, "{:?}", snap.users);
            assert_eq!(snap.users[0].fields.username, "user7");
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_user_deleted_by_its_client_and_created_again_under_a_new_id_comes_back_from_the_trash() {
    // Why: Entra ID deletes a user when it is unassigned and creates it again (a new SCIM id, the same
    // userName) when it is reassigned; the trashed Roster user must be matched by name and restored,
    // not collide with a second user of the same username.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            p.remove(ResourceKind::User, "u1")?;
            let snap = p.snapshot(&["u1"], &[], &[], &[])?;
            let batch = PushBatch {
                removed_users: vec!["u1".into()],
                ..Default::default()
            };
            let plan = plan(&settings(&d), &snap, &Scope::Push(&batch), NOW);
            p.apply(&plan, &plan.conflicts, &|_| String::new())?;
            Ok(())
        })
        .unwrap();
    let trashed = store
        .users_page("alice", true, PageAt::Offset(0), 10)
        .unwrap();
    assert_eq!(trashed.rows.len(), 1, "the deleted user is in the trash");

    let later = Timestamp(NOW.0 + 3_600);
    push_user(&store, &d, "u2", "alice", later);
    let active = store
        .users_page("alice", false, PageAt::Offset(0), 10)
        .unwrap();
    assert_eq!(active.rows.len(), 1, "alice is back");
    assert_eq!(
        active.rows[0].user_id, trashed.rows[0].user_id,
        "the same Roster user"
    );
    assert_eq!(active.rows[0].status, "active");
    assert!(store
        .users_page("alice", true, PageAt::Offset(0), 10)
        .unwrap()
        .rows
        .is_empty());
}

#[test]
fn a_new_token_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    assert!(store.scim_token(&d.key).unwrap().is_none());
    let token = |b: u8| ScimToken {
        sha256: vec![b; 32],
        created_at: NOW,
        expires_at: Timestamp(NOW.0 + 90 * 86_400),
    };
    store.set_scim_token(&d.key, &token(1)).unwrap();
    store.set_scim_token(&d.key, &token(2)).unwrap();
    assert_eq!(store.scim_token(&d.key).unwrap(), Some(token(2)));
    // Deleting the integration deletes its token and replica.
    push_user(&store, &d, "u1", "alice", NOW);
    store.delete_directory(d.key.as_str(), None).unwrap();
    assert!(store.scim_token(&d.key).unwrap().is_none());
    assert_eq!(store.scim_counts(&d.key).unwrap().users, 0);
}

#[test]
fn a_membership_change_rewrites_only_the_users_group_columns() {
    // SQLite rewrites every index on a column an UPDATE names, changed or not: a group PATCH of 100
    // members must not name the username (or any other indexed column) of each member.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    let probe = rusqlite::Connection::open(dir.path().join("t.sqlite3")).unwrap();
    probe
        .execute_batch(
            "CREATE TABLE probe (col TEXT);
             CREATE TRIGGER probe_username AFTER UPDATE OF username ON users BEGIN INSERT INTO probe VALUES ('username'); END;
             CREATE TRIGGER probe_groups AFTER UPDATE OF group_ids ON users BEGIN INSERT INTO probe VALUES ('group_ids'); END;",
        )
        .unwrap();
    let written = || -> Vec<String> {
        let mut st = probe.prepare("SELECT col FROM probe").unwrap();
        let cols = st.query_map([], |r| r.get(0)).unwrap();
        cols.collect::<Result<_, _>>().unwrap()
    };
    let later = Timestamp(NOW.0 + 5);
    store
        .push(&d.key, later, |p| -> Result<(), StoreError> {
            p.put(ResourceKind::Group, &resource("g1", "Engineering", later))?;
            p.add_members("g1", &["u1".into()])?;
            let snap = p.snapshot(&["u1"], &[], &["Engineering"], &["g1"])?;
            let batch = PushBatch {
                groups: vec![roster_core::source::SourceGroup {
                    external_id: "g1".into(),
                    name: "Engineering".into(),
                    description: None,
                    members: Vec::new(),
                }],
                memberships: vec![("u1".into(), vec![("g1".into(), true)])],
                ..Default::default()
            };
            let plan = plan(&settings(&d), &snap, &Scope::Push(&batch), later);
            assert_eq!(plan.users.len(), 1, "{plan:?}");
            p.apply(&plan, &plan.conflicts, &|_| String::new())?;
            Ok(())
        })
        .unwrap();
    assert_eq!(written(), ["group_ids"], "only the group list was named");

    // A rename names the username, as it must.
    push_user(&store, &d, "u1", "alice.smith", Timestamp(NOW.0 + 10));
    assert!(
        written().contains(&"username".to_string()),
        "{:?}",
        written()
    );
}

#[test]
fn an_update_names_only_the_indexed_columns_that_changed() {
    // A PUT or a deactivation keeps the userName, externalId and email: naming them in the UPDATE would
    // rewrite three indexes of `scim_resources` for nothing.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    let old = resource("u1", "alice", NOW);
    store
        .push(&d.key, NOW, |p| p.put(ResourceKind::User, &old))
        .unwrap();
    let probe = rusqlite::Connection::open(dir.path().join("t.sqlite3")).unwrap();
    probe
        .execute_batch(
            "CREATE TABLE probe (col TEXT);
             CREATE TRIGGER probe_name AFTER UPDATE OF name ON scim_resources BEGIN INSERT INTO probe VALUES ('name'); END;
             CREATE TRIGGER probe_external AFTER UPDATE OF external_id ON scim_resources BEGIN INSERT INTO probe VALUES ('external_id'); END;
             CREATE TRIGGER probe_email AFTER UPDATE OF email ON scim_resources BEGIN INSERT INTO probe VALUES ('email'); END;
             CREATE TRIGGER probe_doc AFTER UPDATE OF doc ON scim_resources BEGIN INSERT INTO probe VALUES ('doc'); END;",
        )
        .unwrap();
    let written = || -> Vec<String> {
        let mut st = probe.prepare("SELECT col FROM probe ORDER BY col").unwrap();
        let cols = st.query_map([], |r| r.get(0)).unwrap();
        let cols = cols.collect::<Result<_, _>>().unwrap();
        probe.execute("DELETE FROM probe", []).unwrap();
        cols
    };
    let later = Timestamp(NOW.0 + 5);
    let new = Resource {
        doc: serde_json::json!({"userName": "alice", "active": false}).to_string(),
        modified_at: later,
        version: 2,
        ..old.clone()
    };
    store
        .push(&d.key, later, |p| p.update(ResourceKind::User, &old, &new))
        .unwrap();
    assert_eq!(written(), ["doc"]);
    assert_eq!(
        store
            .scim_resource(&d.key, ResourceKind::User, "u1")
            .unwrap()
            .unwrap(),
        new
    );

    // A rename and a new email are written, and a name another resource has is refused.
    let renamed = Resource {
        name: "alice.smith".into(),
        email: Some("alice.smith@example.org".into()),
        version: 3,
        ..new.clone()
    };
    store
        .push(&d.key, later, |p| {
            p.update(ResourceKind::User, &new, &renamed)
        })
        .unwrap();
    assert_eq!(written(), ["doc", "email", "name"]);
    assert_eq!(
        store
            .scim_find(
                &d.key,
                ResourceKind::User,
                Lookup::Name("ALICE.SMITH"),
                0,
                10
            )
            .unwrap()
            .1,
        [renamed]
    );
    let taken = store.push(&d.key, later, |p| {
        p.put(ResourceKind::User, &resource("u2", "bob", later))?;
        let bob = p.resource(ResourceKind::User, "u2")?.unwrap();
        let clash = Resource {
            name: "Alice.Smith".into(),
            version: 2,
            ..bob.clone()
        };
        p.update(ResourceKind::User, &bob, &clash)
    });
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        store
            .scim_resource(&d.key, ResourceKind::User, "u2")
            .unwrap(),
        None,
        "the refused push kept nothing"
    );
}

#[test]
fn a_push_reads_the_groups_it_names_and_its_users_groups_only() {
    // An integration with many groups must not read them all for every push: the snapshot holds the
    // groups named by the client's ids, the groups its users are in, and the groups with a pushed name.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    push_user(&store, &d, "u1", "alice", NOW);
    push_user(&store, &d, "u2", "bob", NOW);
    let group = |id: &str, name: &str| roster_core::source::SourceGroup {
        external_id: id.into(),
        name: name.into(),
        description: None,
        members: Vec::new(),
    };
    store
        .push(&d.key, NOW, |p| -> Result<(), StoreError> {
            for (id, name) in [("g1", "Engineering"), ("g2", "Sales"), ("g3", "Legal")] {
                p.put(ResourceKind::Group, &resource(id, name, NOW))?;
            }
            p.add_members("g1", &["u1".into()])?;
            let snap = p.snapshot(&["u1"], &[], &[], &["g1", "g2", "g3"])?;
            let batch = PushBatch {
                groups: vec![
                    group("g1", "Engineering"),
                    group("g2", "Sales"),
                    group("g3", "Legal"),
                ],
                memberships: vec![("u1".into(), vec![("g1".into(), true)])],
                ..Default::default()
            };
            let plan = plan(&settings(&d), &snap, &Scope::Push(&batch), NOW);
            p.apply(&plan, &plan.conflicts, &|_| String::new())?;
            Ok(())
        })
        .unwrap();
    let names = |users: &[&str], group_names: &[&str], groups: &[&str]| -> Vec<String> {
        store
            .push(&d.key, NOW, |p| -> Result<_, StoreError> {
                let snap = p.snapshot(users, &[], group_names, groups)?;
                let mut names: Vec<String> = snap.groups.iter().map(|g| g.name.clone()).collect();
                names.sort();
                Ok(names)
            })
            .unwrap()
    };
    assert_eq!(
        names(&["u2"], &[], &[]),
        Vec::<String>::new(),
        "bob is in no group"
    );
    assert_eq!(names(&["u1"], &[], &[]), ["Engineering"], "alice's group");
    assert_eq!(
        names(&["u2"], &[], &["g3"]),
        ["Legal"],
        "a group named by its id"
    );
    assert_eq!(
        names(&[], &["SALES"], &[]),
        ["Sales"],
        "a group with a pushed name, case-insensitively"
    );
    // Alice's snapshot lists her group, which the plan needs to keep it.
    let alice = store
        .push(&d.key, NOW, |p| -> Result<_, StoreError> {
            Ok(p.snapshot(&["u1"], &[], &[], &[])?.users)
        })
        .unwrap();
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0].groups.len(), 1);
}

#[test]
fn a_runs_conflicts_are_kept_by_the_pushes_that_add_none() {
    // A push writes the run's conflicts only when it adds one: the pushes in between must keep them.
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_integration(&store);
    let conflict = |key: &str| roster_core::Conflict {
        object: roster_core::ObjectKind::User,
        key: key.into(),
        other: "DSOTHER".into(),
        other_name: "Old LDAP".into(),
        kept: true,
        message: format!("took {key} over"),
    };
    let push = |id: &str, name: &str, at: Timestamp, found: Vec<roster_core::Conflict>| {
        push_user_noting(&store, &d, id, name, at, &found);
    };
    push("u1", "alice", NOW, vec![conflict("alice")]);
    push("u2", "bob", Timestamp(NOW.0 + 1), Vec::new());
    push("u3", "carol", Timestamp(NOW.0 + 2), vec![conflict("carol")]);
    push("u4", "dave", Timestamp(NOW.0 + 3), Vec::new());
    let runs = store.runs(Some(d.key.as_str()), 10).unwrap();
    assert_eq!(runs.len(), 1, "one run for the minute");
    assert_eq!(runs[0].counts.created, 4);
    assert_eq!(runs[0].message.as_deref(), Some("4 created"));
    assert_eq!(runs[0].finished_at, Some(Timestamp(NOW.0 + 3)));
    let keys: Vec<&str> = runs[0].conflicts.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["alice", "carol"]);
    // The integration's record changes once a run: its status, and its revision.
    let record = || {
        let d = store.directory(d.key.as_str()).unwrap();
        (d.status, d.revision)
    };
    assert_eq!(record(), ("ok".to_string(), 1));
    push(
        "u5",
        "erin",
        Timestamp(NOW.0 + 2 * PUSH_RUN_WINDOW_SECS),
        Vec::new(),
    );
    assert_eq!(record(), ("ok".to_string(), 2));
    assert_eq!(store.runs(Some(d.key.as_str()), 10).unwrap().len(), 2);
}
