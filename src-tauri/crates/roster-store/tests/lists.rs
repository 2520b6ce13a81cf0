//! The lists' sorts and filters, a user's and a group's page, a user's history, purging one user and
//! Sync History's series, on real SQLite files; and the same lists at 100,000 users, where every sort and
//! filter must be an index walk (SQLite's own query plan says so), never a sort of the whole table.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_core::plan::{plan, Scope};
use roster_core::source::{SourceBatch, SourceGroup, SourceUser};
use roster_core::{ObjectKind, SyncSettings, Timestamp};
use roster_store::{
    ApplyOptions, Candidates, DirectoryRecord, GroupQuery, ManagedFilter, Store, Trigger,
    UserQuery, UserSort,
};
use std::path::Path;

mod common;
use common::{connection, insert_sync, new_store, user_sync, NOW};

fn add_directory(store: &Store, n: u8, name: &str) -> DirectoryRecord {
    let conn = format!("conn-{n}");
    insert_sync(
        store,
        &connection(&conn, "demo", "Demo", serde_json::json!({"seed": n})),
        DirectoryRecord {
            groups: vec![format!("g{n}")],
            deletion_threshold_percent: 100,
            precedence: n.into(),
            ..user_sync(n, name, &conn)
        },
    )
}

/// Users `(uid, display name)` in the directory's one group.
fn batch(d: &DirectoryRecord, users: &[(&str, &str)]) -> SourceBatch {
    SourceBatch {
        users: users
            .iter()
            .map(|(uid, cn)| SourceUser {
                external_id: format!("ext-{uid}").into(),
                attributes: vec![
                    ("uid".into(), uid.to_string()),
                    ("displayName".into(), cn.to_string()),
                    ("mail".into(), format!("{uid}@example.org")),
                ],
                disabled: false,
                locator: None,
            })
            .collect(),
        groups: vec![SourceGroup {
            external_id: d.groups[0].clone(),
            name: format!("{} staff", d.name),
            description: None,
            members: users
                .iter()
                .map(|(u, _)| format!("ext-{u}").into())
                .collect(),
        }],
        ..Default::default()
    }
}

/// A complete, successful full run at `now`; returns its id.
fn sync(store: &Store, d: &DirectoryRecord, users: &[(&str, &str)], now: Timestamp) -> i64 {
    let cands = Candidates {
        usernames: users.iter().map(|(u, _)| u.to_string()).collect(),
        emails: Vec::new(),
    };
    let settings = SyncSettings {
        key: d.key.clone(),
        name: d.name.clone(),
        sync_type: d.sync_type,
        attributes: d.attributes.clone(),
        roles: Vec::new(),
        deletion_threshold_percent: 100,
        retention_days: 7,
        others: Default::default(),
    };
    let (snap, rev) = store.snapshot(&d.key, &cands).unwrap();
    let b = batch(d, users);
    let p = plan(&settings, &snap, &Scope::Full(&b), now);
    let (run, _lease) = store.begin_run(&d.key, Trigger::Manual, now).unwrap();
    store
        .apply(
            &p,
            &ApplyOptions {
                run_id: run,
                key: &d.key,
                expected_data_revision: rev,
                conflicts: &p.conflicts,
                complete: true,
                full: true,
                now,
                connection_state: None,
                outcome: "succeeded",
                approves: None,
                message: "ok",
                cursor: None,
            },
        )
        .unwrap();
    run
}

fn names(page: &roster_store::Page<roster_store::UserRow>) -> Vec<&str> {
    page.rows.iter().map(|r| r.username.as_str()).collect()
}

/// Two syncs and a user added by hand: the lists a small tenant shows.
fn small_tenant(dir: &Path) -> (Store, DirectoryRecord, DirectoryRecord) {
    let store = new_store(dir);
    let staff = add_directory(&store, 1, "Staff");
    let lab = add_directory(&store, 2, "Lab");
    sync(
        &store,
        &staff,
        &[
            ("carol", "Aaron Carol"),
            ("alice", "Young Alice"),
            ("bob", "Xu Bob"),
        ],
        NOW,
    );
    sync(&store, &lab, &[("dave", "Able Dave")], NOW);
    let mut hand = roster_core::User {
        id: roster_core::UserId("DUHAND00000000000000".into()),
        fields: Default::default(),
        status: roster_core::UserStatus::Bypass,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    hand.fields.username = "erin".into();
    store.insert_user(&hand, NOW, None).unwrap();
    (store, staff, lab)
}

#[test]
fn users_sort_by_each_column_either_way_and_filter_by_status_and_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, _lab) = small_tenant(dir.path());
    let list = |q: UserQuery<'_>| store.user_list(&q, 0, 50).unwrap();

    let all = list(UserQuery::default());
    assert_eq!(all.total, Some(5));
    assert_eq!(names(&all), ["alice", "bob", "carol", "dave", "erin"]);
    let by_name = list(UserQuery {
        sort: UserSort::Name,
        ..Default::default()
    });
    assert_eq!(
        names(&by_name),
        ["erin", "carol", "dave", "bob", "alice"],
        "by display name, the user without one first"
    );
    let by_name_desc = list(UserQuery {
        sort: UserSort::Name,
        descending: true,
        ..Default::default()
    });
    assert_eq!(
        names(&by_name_desc),
        ["alice", "bob", "dave", "carol", "erin"]
    );
    let by_status = list(UserQuery {
        sort: UserSort::Status,
        ..Default::default()
    });
    assert_eq!(
        names(&by_status),
        ["alice", "bob", "carol", "dave", "erin"],
        "active before bypass"
    );

    let bypass = list(UserQuery {
        status: Some("bypass"),
        ..Default::default()
    });
    assert_eq!(names(&bypass), ["erin"]);
    assert_eq!(bypass.total, Some(1));
    let staff_only = list(UserQuery {
        managed: ManagedFilter::By(&staff.key.0),
        ..Default::default()
    });
    assert_eq!(names(&staff_only), ["alice", "bob", "carol"]);
    assert!(staff_only
        .rows
        .iter()
        .all(|r| r.managed_by.as_deref() == Some("Staff")));
    let by_hand = list(UserQuery {
        managed: ManagedFilter::Unmanaged,
        ..Default::default()
    });
    assert_eq!(names(&by_hand), ["erin"]);
    let searched = list(UserQuery {
        search: "YOUNG",
        managed: ManagedFilter::By(&staff.key.0),
        ..Default::default()
    });
    assert_eq!(
        names(&searched),
        ["alice"],
        "the search and the filters apply together"
    );

    let second = store.user_list(&UserQuery::default(), 2, 2).unwrap();
    assert_eq!(names(&second), ["carol", "dave"]);
    assert_eq!(second.next.as_deref(), Some("4"), "more follow");
    assert_eq!(
        store.user_list(&UserQuery::default(), 4, 2).unwrap().next,
        None
    );
}

#[test]
fn the_trash_lists_by_days_left_and_purges_one_user_now() {
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, _lab) = small_tenant(dir.path());
    // Bob leaves the directory, then Alice a day later.
    sync(
        &store,
        &staff,
        &[("carol", "Aaron Carol"), ("alice", "Young Alice")],
        NOW,
    );
    sync(
        &store,
        &staff,
        &[("carol", "Aaron Carol")],
        Timestamp(NOW.0 + 86_400),
    );
    let trash = |sort, descending| {
        store
            .user_list(
                &UserQuery {
                    trash: true,
                    sort,
                    descending,
                    ..Default::default()
                },
                0,
                10,
            )
            .unwrap()
    };
    assert_eq!(
        names(&trash(UserSort::Trashed, false)),
        ["bob", "alice"],
        "soonest deleted first"
    );
    assert_eq!(names(&trash(UserSort::Trashed, true)), ["alice", "bob"]);
    assert_eq!(
        names(&store.user_list(&UserQuery::default(), 0, 10).unwrap()),
        ["carol", "dave", "erin"],
        "the Users list leaves the trash out"
    );

    let before = store.data_revision().unwrap();
    store.purge_user("BOB").unwrap();
    assert_eq!(names(&trash(UserSort::Username, false)), ["alice"]);
    assert!(
        store.data_revision().unwrap() > before,
        "a purge makes plans read before it stale"
    );
    let err = store.purge_user("carol").unwrap_err();
    assert!(
        err.to_string().contains("no user \"carol\" in the trash"),
        "only users in the trash can be purged: {err}"
    );
    assert_eq!(
        store.user_list(&UserQuery::default(), 0, 10).unwrap().total,
        Some(3)
    );
}

#[test]
fn a_users_page_and_history_and_a_groups_members() {
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, _lab) = small_tenant(dir.path());
    sync(
        &store,
        &staff,
        &[
            ("carol", "Aaron Q. Carol"),
            ("alice", "Young Alice"),
            ("bob", "Xu Bob"),
        ],
        Timestamp(NOW.0 + 60),
    );
    let carol = store
        .user_list(
            &UserQuery {
                search: "carol",
                ..Default::default()
            },
            0,
            1,
        )
        .unwrap()
        .rows[0]
        .clone();
    let roster_store::UserDetailRecord {
        user,
        sync_name,
        groups,
    } = store.user_by_id(&carol.user_id).unwrap().unwrap();
    assert_eq!(user.fields.realname.as_deref(), Some("Aaron Q. Carol"));
    assert_eq!(sync_name.as_deref(), Some("Staff"));
    assert_eq!(
        groups.iter().map(|g| g.1.as_str()).collect::<Vec<_>>(),
        ["Staff staff"]
    );
    assert!(store.user_by_id("DUNOPE").unwrap().is_none());

    let history = store
        .object_history(ObjectKind::User, "CAROL", None, 10)
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.change.action.as_str())
            .collect::<Vec<_>>(),
        ["update", "create"],
        "newest first, across runs, whatever the case of the username"
    );
    assert_eq!(history[0].directory_name, "Staff");
    assert!(history[0]
        .change
        .fields
        .iter()
        .any(|f| f.field == "realname"));
    let older = store
        .object_history(
            ObjectKind::User,
            "carol",
            Some((history[0].run_id, history[0].seq)),
            10,
        )
        .unwrap();
    assert_eq!(
        older.len(),
        1,
        "the next page starts after the last entry shown"
    );
    assert_eq!(older[0].change.action.as_str(), "create");

    let (group, key) = store.group_by_id(&groups[0].0).unwrap().unwrap();
    assert_eq!(group.member_count, 3);
    assert_eq!(key.as_deref(), Some(staff.key.0.as_str()));
    let members = store.group_members(&groups[0].0, 1, 1).unwrap();
    assert_eq!((members.total, names(&members)), (Some(3), vec!["bob"]));
    let groups_by_sync = store
        .group_list(
            &GroupQuery {
                managed: ManagedFilter::By(&staff.key.0),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(groups_by_sync.rows.len(), 1);
    assert_eq!(groups_by_sync.rows[0].member_count, 3);
}

#[test]
fn the_series_holds_each_syncs_latest_runs_with_its_users_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, lab) = small_tenant(dir.path());
    sync(
        &store,
        &staff,
        &[("carol", "Aaron Carol")],
        Timestamp(NOW.0 + 60),
    );
    let series = store.run_series(10).unwrap();
    let of = |d: &DirectoryRecord| -> Vec<Option<u64>> {
        series
            .iter()
            .filter(|p| p.run.directory_key == d.key)
            .map(|p| p.managed_after)
            .collect()
    };
    assert_eq!(
        of(&staff),
        [Some(3), Some(1)],
        "oldest first: 3 users, then 1 after two left"
    );
    assert_eq!(of(&lab), [Some(1)]);
    let latest = store.run_series(1).unwrap();
    assert_eq!(latest.len(), 2, "bounded per sync");
    let (runs, _) = store.runs_before(None, None, None, 2).unwrap();
    assert_eq!(runs.len(), 2);
    let (rest, _) = store.runs_before(None, None, Some(runs[1].id), 10).unwrap();
    assert_eq!(rest.len(), 1, "three runs in all");
}

/// The plan SQLite makes for `sql`, one line per step.
fn query_plan(path: &Path, sql: &str) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    st.query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn at_100000_users_every_sort_and_filter_walks_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let d = add_directory(&store, 1, "Staff");
    let path = dir.path().join("t.sqlite3");
    let started = std::time::Instant::now();
    {
        let mut c = rusqlite::Connection::open(&path).unwrap();
        let tx = c.transaction().unwrap();
        let mut st = tx
            .prepare("INSERT INTO users (id, username, realname, email, status, managed_by, last_directory_sync, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)")
            .unwrap();
        for i in 0..100_000u32 {
            let status = ["active", "bypass", "disabled", "locked out"][(i % 4) as usize];
            let managed = (i % 2 == 0).then_some(d.key.0.as_str());
            st.execute(rusqlite::params![
                format!("DU{i:018}"),
                format!("user{i:06}"),
                format!("Name {:06}", 99_999 - i),
                format!("u{i}@example.org"),
                status,
                managed,
                i64::from(i)
            ])
            .unwrap();
        }
        drop(st);
        tx.commit().unwrap();
    }
    eprintln!("100,000 users written in {:?}", started.elapsed());

    for sort in [
        UserSort::Username,
        UserSort::Name,
        UserSort::Email,
        UserSort::Status,
        UserSort::LastSync,
    ] {
        let started = std::time::Instant::now();
        let q = UserQuery {
            sort,
            ..Default::default()
        };
        let first = store.user_list(&q, 0, 200).unwrap();
        let last = store.user_list(&q, 99_800, 200).unwrap();
        eprintln!(
            "{sort:?}: the first and last pages in {:?}",
            started.elapsed()
        );
        assert_eq!(first.total, Some(100_000));
        assert_eq!((first.rows.len(), last.rows.len()), (200, 200));
        assert_eq!(last.next, None);
    }
    let by_name = first_by_name(&store, 1);
    assert_eq!(
        by_name.rows[0].username, "user099999",
        "names run the other way from usernames"
    );
    let q = UserQuery {
        status: Some("bypass"),
        managed: ManagedFilter::Unmanaged,
        ..Default::default()
    };
    let bypass_by_hand = store.user_list(&q, 0, 200).unwrap();
    assert_eq!(bypass_by_hand.total, Some(25_000));
    assert_eq!(bypass_by_hand.rows[0].username, "user000001");

    // The plans: each order is an index walk, with no temporary B-tree to sort 100,000 rows.
    for (what, order, filter) in [
        ("username", "username", "status != 'pending deletion'"),
        (
            "name",
            "realname COLLATE NOCASE, username",
            "status != 'pending deletion'",
        ),
        (
            "email",
            "email COLLATE NOCASE, username",
            "status != 'pending deletion'",
        ),
        ("status", "status, username", "status = 'bypass'"),
        (
            "last sync",
            "last_directory_sync, username",
            "status != 'pending deletion'",
        ),
        (
            "days left",
            "trashed_at, username",
            "status = 'pending deletion'",
        ),
        ("one sync", "username", "managed_by = 'x'"),
    ] {
        for dir in ["", " DESC"] {
            let order: String = order
                .split(", ")
                .map(|t| format!("{t}{dir}"))
                .collect::<Vec<_>>()
                .join(", ");
            let plan = query_plan(
                &path,
                &format!("SELECT id FROM users u WHERE {filter} ORDER BY {order} LIMIT 200"),
            );
            assert!(
                !plan.contains("TEMP B-TREE"),
                "sorting by {what}{dir} sorts the whole table:\n{plan}"
            );
        }
    }
    let plan = query_plan(
        &path,
        "SELECT run_id FROM run_changes WHERE object = 'user' AND key = 'x' COLLATE NOCASE ORDER BY run_id DESC, seq DESC",
    );
    assert!(
        plan.contains("run_changes_object") && !plan.contains("TEMP B-TREE"),
        "a user's history is one index range:\n{plan}"
    );
}

#[test]
fn runs_filter_by_outcome_through_an_index_and_page_on() {
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, lab) = small_tenant(dir.path());
    let (failed, lease) = store.begin_run(&staff.key, Trigger::Manual, NOW).unwrap();
    store
        .fail_run(failed, NOW, "The server did not answer.")
        .unwrap();
    drop(lease);
    // Recorded as running, but its process is gone (nobody holds its lease): it reads as interrupted.
    let (gone, lease) = store.begin_run(&lab.key, Trigger::Manual, NOW).unwrap();
    drop(lease);
    let (running, _lease) = store.begin_run(&staff.key, Trigger::Manual, NOW).unwrap();
    let ids = |key: Option<&str>, outcome: Option<&str>| -> Vec<i64> {
        let (runs, _) = store.runs_before(key, outcome, None, 10).unwrap();
        runs.iter().map(|r| r.id).collect()
    };
    assert_eq!(ids(None, Some("failed")), [failed]);
    assert_eq!(ids(None, Some("interrupted")), [gone], "seen as it reads");
    assert_eq!(ids(None, Some("running")), [running]);
    assert_eq!(ids(None, Some("succeeded")).len(), 2);
    assert_eq!(ids(Some(&staff.key.0), Some("succeeded")).len(), 1);
    assert!(ids(Some(&lab.key.0), Some("failed")).is_empty());
    assert_eq!(ids(None, None).len(), 5);

    let (first, next) = store.runs_before(None, Some("succeeded"), None, 1).unwrap();
    assert_eq!(first.len(), 1);
    let (second, next) = store.runs_before(None, Some("succeeded"), next, 1).unwrap();
    assert_eq!(second.len(), 1);
    assert!(second[0].id < first[0].id, "newest first");
    let (rest, end) = store.runs_before(None, Some("succeeded"), next, 1).unwrap();
    assert!(
        rest.is_empty() && end.is_none(),
        "two succeeded runs in all"
    );

    let path = dir.path().join("t.sqlite3");
    for (filter, index) in [
        ("outcome IN ('failed')", "sync_runs_outcome"),
        (
            "directory_key = 'x' AND outcome IN ('failed')",
            "sync_runs_directory_outcome",
        ),
    ] {
        let plan = query_plan(
            &path,
            &format!(
                "SELECT id FROM sync_runs WHERE id < 100 AND {filter} ORDER BY id DESC LIMIT 50"
            ),
        );
        assert!(
            plan.contains(index) && !plan.contains("TEMP B-TREE"),
            "runs that ended one way are one index range:\n{plan}"
        );
    }
}

/// The indexes on `users`: name, root page and definition.
fn user_indexes(path: &Path) -> Vec<(String, i64, String)> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c
        .prepare("SELECT name, rootpage, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' AND sql IS NOT NULL ORDER BY name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The triggers on `users`: name and definition.
fn user_triggers(path: &Path) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'users' ORDER BY name")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// How many (alias, user) rows `user_aliases` holds for users whose username starts with `prefix`.
fn aliases_of(path: &Path, prefix: &str) -> i64 {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row(
        "SELECT count(*) FROM user_aliases a JOIN users u ON u.id = a.user_id WHERE u.username LIKE ?1 || '%' AND a.alias = u.email",
        [prefix],
        |r| r.get(0),
    )
    .unwrap()
}

/// The first `n` users by display name.
fn first_by_name(store: &Store, n: u64) -> roster_store::Page<roster_store::UserRow> {
    store
        .user_list(
            &UserQuery {
                sort: UserSort::Name,
                ..Default::default()
            },
            0,
            n,
        )
        .unwrap()
}

/// `(uid, display name)` pairs borrowed, as [`sync`] takes them.
fn as_refs(people: &[(String, String)]) -> Vec<(&str, &str)> {
    people
        .iter()
        .map(|(u, n)| (u.as_str(), n.as_str()))
        .collect()
}

/// Indexes' names and definitions, without their root pages.
fn definitions(v: &[(String, i64, String)]) -> Vec<(String, String)> {
    v.iter().map(|(n, _, s)| (n.clone(), s.clone())).collect()
}

/// The indexes on `users` once the store's background thread has built those a large first sync left
/// to it: waits until all are there, up to 30 seconds (a loaded machine).
fn user_indexes_built(path: &Path, count: usize) -> Vec<(String, i64, String)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = user_indexes(path);
        if now.len() >= count || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A first sync of 10,000 users builds the lists' indexes once its rows are in (roster-store's bulk.rs),
/// right after its commit, instead of row by row, and copies their aliases without the insert trigger:
/// afterwards the indexes and triggers are exactly the schema's (new root pages show the indexes were
/// built again), every alias is in `user_aliases`, the lists walk the indexes, and a small sync after it
/// leaves them where they are and has its new users' aliases copied by the trigger.
#[test]
fn a_large_first_sync_rebuilds_the_list_indexes_exactly_as_the_schema_makes_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    let mut d = add_directory(&store, 1, "Staff");
    d.attributes.aliases = vec!["mail".into()];
    let path = dir.path().join("t.sqlite3");
    let before = user_indexes(&path);
    let triggers = user_triggers(&path);
    assert!(
        triggers.iter().any(|(n, _)| n == "users_aliases_insert"),
        "{triggers:?}"
    );
    assert!(
        before.iter().any(|(n, _, _)| n == "users_email"),
        "{before:?}"
    );

    let people: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("user{i:05}"), format!("Person {:05}", 9_999 - i)))
        .collect();
    let refs = as_refs(&people);
    sync(&store, &d, &refs, NOW);
    let after = user_indexes_built(&path, before.len());
    assert_eq!(user_triggers(&path), triggers);
    assert_eq!(aliases_of(&path, "user"), 10_000, "every new user's alias");
    assert_eq!(definitions(&after), definitions(&before));
    let rebuilt: Vec<&str> = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    for name in roster_store::schema::USER_LIST_INDEXES.map(|(n, _)| n) {
        assert!(
            rebuilt.contains(&name),
            "{name} was not rebuilt: {rebuilt:?}"
        );
    }
    let page = first_by_name(&store, 3);
    assert_eq!(names(&page), ["user09999", "user09998", "user09997"]);
    assert!(query_plan(
        &path,
        "SELECT username FROM users ORDER BY realname COLLATE NOCASE, username LIMIT 50"
    )
    .contains("users_realname"));

    // A small change later updates the indexes in place, and the trigger copies its new users' aliases.
    let mut fewer = refs[..9_990].to_vec();
    fewer.push(("late1", "Late One"));
    fewer.push(("late2", "Late Two"));
    sync(&store, &d, &fewer, Timestamp(NOW.0 + 60));
    assert_eq!(user_indexes(&path), after);
    assert_eq!(aliases_of(&path, "late"), 2);
}

/// Groups' status: set by hand, filtered on page by page through `groups_status_name` (SQLite's plan says
/// so at 20,000 groups), kept by a resync, and answered in the Admin API's records.
#[test]
fn groups_filter_by_status_page_on_and_a_resync_keeps_the_status() {
    use roster_core::GroupStatus;
    let dir = tempfile::tempdir().unwrap();
    let (store, staff, lab) = small_tenant(dir.path());
    let all = store.group_list(&GroupQuery::default(), 0, 10).unwrap();
    assert_eq!(all.total, Some(2));
    assert!(
        all.rows.iter().all(|g| g.status == GroupStatus::Active),
        "a sync makes groups active"
    );
    let staff_group = all
        .rows
        .iter()
        .find(|g| g.name == "Staff staff")
        .unwrap()
        .group_id
        .clone();
    let lab_group = all
        .rows
        .iter()
        .find(|g| g.name == "Lab staff")
        .unwrap()
        .group_id
        .clone();
    store
        .set_group_status(&staff_group, GroupStatus::Bypass, None)
        .unwrap();
    store
        .set_group_status(&lab_group, GroupStatus::Bypass, None)
        .unwrap();
    let bypass = |at, limit| {
        store
            .group_list(
                &GroupQuery {
                    status: Some(GroupStatus::Bypass),
                    ..Default::default()
                },
                at,
                limit,
            )
            .unwrap()
    };
    let first = bypass(0, 1);
    assert_eq!((first.total, first.rows.len()), (Some(2), 1));
    assert_eq!(first.rows[0].name, "Lab staff", "by name");
    assert_eq!(first.next.as_deref(), Some("1"));
    let second = bypass(1, 1);
    assert_eq!(second.rows[0].name, "Staff staff");
    assert_eq!(second.next, None);
    assert_eq!(second.rows[0].member_count, 3);
    let by_sync_and_status = store
        .group_list(
            &GroupQuery {
                status: Some(GroupStatus::Bypass),
                managed: ManagedFilter::By(&staff.key.0),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(by_sync_and_status.total, Some(1));
    let missing = store
        .set_group_status("DGNOPE", GroupStatus::Disabled, None)
        .unwrap_err();
    assert!(missing.to_string().contains("DGNOPE"), "{missing}");

    // A resync (the group renamed and its members changed in the directory) keeps what was set.
    sync(
        &store,
        &lab,
        &[("dave", "Able Dave"), ("fay", "Fay")],
        Timestamp(NOW.0 + 60),
    );
    let (g, _) = store.group_by_id(&lab_group).unwrap().unwrap();
    assert_eq!((g.status, g.member_count), (GroupStatus::Bypass, 2));
    assert_eq!(
        store.duo_group(&lab_group).unwrap().unwrap().status,
        GroupStatus::Bypass
    );
    let (records, _) = store
        .duo_users(&roster_store::UserFilter::Username("fay".into()), 0, 10)
        .unwrap();
    assert_eq!(
        records[0].groups[0].status,
        GroupStatus::Bypass,
        "a user's groups carry it too"
    );
    store
        .set_group_status(&lab_group, GroupStatus::Disabled, None)
        .unwrap();
    assert_eq!(bypass(0, 10).total, Some(1));

    // At scale, each status is one index range in name order (either way), with or without a search.
    let path = dir.path().join("t.sqlite3");
    {
        let mut c = rusqlite::Connection::open(&path).unwrap();
        let tx = c.transaction().unwrap();
        let mut st = tx
            .prepare("INSERT INTO groups (id, name, status, created_at) VALUES (?1, ?2, ?3, 1)")
            .unwrap();
        for i in 0..20_000u32 {
            let status = ["active", "bypass", "disabled"][(i % 3) as usize];
            st.execute(rusqlite::params![
                format!("DG{i:018}"),
                format!("group {i:05}"),
                status
            ])
            .unwrap();
        }
        drop(st);
        tx.execute_batch("ANALYZE").unwrap();
        tx.commit().unwrap();
    }
    for dir in ["", " DESC"] {
        let plan = query_plan(
            &path,
            &format!(
                "SELECT g.id FROM groups g WHERE ('%%' = '%%' OR g.name LIKE '%%' ESCAPE '\\' OR g.description LIKE '%%' ESCAPE '\\') AND 1 AND g.status = 'bypass' ORDER BY g.name{dir} LIMIT 200"
            ),
        );
        assert!(
            plan.contains("groups_status_name") && !plan.contains("TEMP B-TREE"),
            "the status filter{dir} walks its index:\n{plan}"
        );
    }
    let page = store
        .group_list(
            &GroupQuery {
                status: Some(GroupStatus::Disabled),
                descending: true,
                ..Default::default()
            },
            100,
            50,
        )
        .unwrap();
    assert_eq!(page.total, Some(6_666 + 1));
    assert!(page.rows.iter().all(|g| g.status == GroupStatus::Disabled));
    assert_eq!(page.rows.len(), 50);
}

/// A tenant whose list indexes are missing (a process stopped between a large first sync's commit and
/// their build): syncs still run and count right, the lists still answer, and opening the tenant again
/// builds the indexes exactly as the schema makes them.
#[test]
fn missing_list_indexes_are_built_when_the_tenant_is_opened_and_nothing_needs_them_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    let store = new_store(dir.path());
    let d = add_directory(&store, 1, "Staff");
    let complete = user_indexes(&path);
    let people: Vec<(String, String)> = (0..30)
        .map(|i| (format!("user{i:02}"), format!("Person {i:02}")))
        .collect();
    let refs = as_refs(&people);
    sync(&store, &d, &refs, NOW);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        for (name, _) in roster_store::schema::USER_LIST_INDEXES {
            c.execute_batch(&format!("DROP INDEX {name};")).unwrap();
        }
    }
    // Ten users leave the sync's group: they go to the trash, and the run counts what the sync keeps.
    let run = sync(&store, &d, &refs[..20], Timestamp(NOW.0 + 60));
    let c = rusqlite::Connection::open(&path).unwrap();
    let kept: i64 = c
        .query_row(
            "SELECT managed_after FROM sync_runs WHERE id = ?1",
            [run],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 20);
    let page = first_by_name(&store, 2);
    assert_eq!(names(&page), ["user00", "user01"]);
    assert!(user_indexes(&path).len() < complete.len());
    drop(store);

    let _again = Store::open(&path, None).unwrap();
    assert_eq!(definitions(&user_indexes(&path)), definitions(&complete));
}
