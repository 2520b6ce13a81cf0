//! The window's lists through the application layer, on the demo directory synced for real: the Users
//! list's search, filters and sorts, a user's page (synced fields marked with their attribute) and history
//! across runs, a group's members, the trash (restore, purge now, who may), Sync History's runs and series.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::json::{
    GroupListQuery, ManagedBy, RunOutcome, UserListQuery, UserRow, UserSortKey,
};
use roster_api::{
    spec, Caller, Code, DirectoryPatch, ManualClock, MemorySecrets, NewUser, Options, Roster,
    RunMode, Session, Trigger, UserEdit,
};
use roster_core::{ObjectKind, Timestamp, UserStatus};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

struct Tenant {
    _dir: tempfile::TempDir,
    roster: Roster,
    clock: Arc<ManualClock>,
    key: String,
}

/// A tenant with a demo user sync of 60 people, synced twice (the organisation changes between the
/// runs: hires, leavers, renames), and a user added by hand in Bypass.
async fn tenant() -> (Tenant, Vec<roster_api::json::RunReport>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let roster = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: clock.clone(),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    roster.create_tenant("Acme", None).unwrap();
    let s = roster.session("Acme", &Caller::Local).unwrap();
    let key = s
        .add_directory(
            spec::parse(r#"{"name": "Staff", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 60}}"#)
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
    let mut reports = Vec::new();
    for _ in 0..2 {
        let r = s
            .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
            .await
            .unwrap();
        assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.message);
        reports.push(r);
        clock.advance(3600);
    }
    s.add_user(NewUser {
        username: "hand.made".into(),
        realname: Some("Zz Hand".into()),
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
    drop(s);
    (
        Tenant {
            _dir: dir,
            roster,
            clock,
            key,
        },
        reports,
    )
}

fn session(t: &Tenant) -> Session<'_> {
    t.roster.session("Acme", &Caller::Local).unwrap()
}

fn all(s: &Session<'_>, trash: bool, q: UserListQuery) -> Vec<UserRow> {
    s.user_list(trash, &q, 0, 1000).unwrap().rows
}

#[tokio::test]
async fn users_search_filter_and_sort_from_the_store() {
    let (t, _) = tenant().await;
    let s = session(&t);
    let everyone = all(&s, false, UserListQuery::default());
    assert!(
        everyone.len() > 50,
        "the demo's people and the hand-made user"
    );
    let usernames: Vec<&str> = everyone.iter().map(|u| u.username.as_str()).collect();
    let mut sorted = usernames.clone();
    sorted.sort_by_key(|u| u.to_lowercase());
    assert_eq!(usernames, sorted, "by username unless asked otherwise");

    let by_name_desc = all(
        &s,
        false,
        UserListQuery {
            sort: UserSortKey::Name,
            descending: true,
            ..Default::default()
        },
    );
    let names: Vec<String> = by_name_desc
        .iter()
        .map(|u| u.realname.clone().unwrap_or_default().to_lowercase())
        .collect();
    assert!(
        names.windows(2).all(|w| w[0] >= w[1]),
        "descending by display name: {names:?}"
    );

    let synced = all(
        &s,
        false,
        UserListQuery {
            managed_by: ManagedBy::Sync { key: t.key.clone() },
            ..Default::default()
        },
    );
    assert_eq!(synced.len(), everyone.len() - 1);
    assert!(synced
        .iter()
        .all(|u| u.managed_by.as_deref() == Some("Staff")));
    let by_hand = all(
        &s,
        false,
        UserListQuery {
            managed_by: ManagedBy::ByHand,
            ..Default::default()
        },
    );
    assert_eq!(
        by_hand
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["hand.made"]
    );
    let bypass = all(
        &s,
        false,
        UserListQuery {
            status: Some(UserStatus::Bypass),
            ..Default::default()
        },
    );
    assert_eq!(bypass.len(), 1);
    let someone = &synced[3];
    let found = all(
        &s,
        false,
        UserListQuery {
            search: someone.email.clone().unwrap().to_uppercase(),
            ..Default::default()
        },
    );
    assert_eq!(found.len(), 1, "a search by email, any case");

    let refused = s
        .user_list(
            false,
            &UserListQuery {
                status: Some(UserStatus::PendingDeletion),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap_err();
    assert_eq!(refused.code, Code::Validation);
    assert!(
        refused.message.contains("Open the Trash"),
        "{}",
        refused.message
    );
    let page = s
        .user_list(false, &UserListQuery::default(), 10, 5)
        .unwrap();
    assert_eq!(page.rows.len(), 5);
    assert_eq!(page.total, Some(everyone.len() as u64));
    assert_eq!(
        page.rows[0].username, everyone[10].username,
        "a page at a position"
    );
}

#[tokio::test]
async fn a_users_page_marks_synced_fields_and_shows_their_history_across_runs() {
    let (t, reports) = tenant().await;
    let s = session(&t);
    // Someone the second run changed (the demo renames or moves people between runs).
    let changed = reports[1]
        .changes
        .iter()
        .find(|c| c.object == ObjectKind::User && c.action == roster_core::plan::Action::Update)
        .expect("the demo organisation changed someone between the runs");
    let row = all(
        &s,
        false,
        UserListQuery {
            search: changed.key.clone(),
            ..Default::default()
        },
    )
    .into_iter()
    .find(|u| u.username.eq_ignore_ascii_case(&changed.key))
    .unwrap();
    let detail = s.user_detail(&row.user_id).unwrap();
    assert_eq!(detail.managed_by.as_ref().unwrap().name, "Staff");
    assert_eq!(detail.managed_by.as_ref().unwrap().directory_key, t.key);
    let field = |label: &str| detail.fields.iter().find(|f| f.label == label).unwrap();
    assert_eq!(field("Username").synced_from.as_deref(), Some("uid"));
    assert_eq!(field("Email").synced_from.as_deref(), Some("mail"));
    assert_eq!(field("Email").values, vec![row.email.clone().unwrap()]);
    assert_eq!(
        field("Notes").synced_from,
        None,
        "the demo's mapping leaves notes to Duo"
    );
    assert_eq!(
        detail
            .groups
            .iter()
            .map(|g| g.name.clone())
            .collect::<Vec<_>>(),
        row.groups
    );

    let history = s.user_history(&row.user_id, None, 50).unwrap();
    let actions: Vec<(i64, &str)> = history
        .entries
        .iter()
        .map(|e| (e.run_id, e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            (reports[1].run_id.unwrap(), "update"),
            (reports[0].run_id.unwrap(), "create")
        ],
        "newest first, one entry per run that changed them"
    );
    assert_eq!(history.entries[0].fields, changed.fields);
    assert_eq!(history.entries[0].sync.name, "Staff");
    let first = s.user_history(&row.user_id, None, 1).unwrap();
    assert_eq!(first.entries.len(), 1);
    let rest = s
        .user_history(&row.user_id, first.next.as_deref(), 1)
        .unwrap();
    assert_eq!(
        rest.entries[0].action.as_str(),
        "create",
        "the next page goes on where the first ended"
    );

    let hand = all(
        &s,
        false,
        UserListQuery {
            search: "hand.made".into(),
            ..Default::default()
        },
    );
    let d = s.user_detail(&hand[0].user_id).unwrap();
    assert!(d.managed_by.is_none() && d.fields.iter().all(|f| f.synced_from.is_none()));
    assert_eq!(d.status, UserStatus::Bypass);
    assert!(s
        .user_history(&hand[0].user_id, None, 10)
        .unwrap()
        .entries
        .is_empty());

    let missing = s.user_detail("DUNOSUCHUSER").unwrap_err();
    assert_eq!(missing.code, Code::NotFound);
    let bad = s.user_history(&row.user_id, Some("later"), 10).unwrap_err();
    assert_eq!(bad.code, Code::Validation, "{}", bad.message);
}

#[tokio::test]
async fn a_groups_page_pages_its_members_and_groups_filter_by_sync() {
    let (t, _) = tenant().await;
    let s = session(&t);
    let groups = s
        .group_list(
            &GroupListQuery {
                managed_by: ManagedBy::Sync { key: t.key.clone() },
                ..Default::default()
            },
            0,
            100,
        )
        .unwrap();
    assert!(!groups.rows.is_empty());
    let g = groups.rows.iter().max_by_key(|g| g.member_count).unwrap();
    let detail = s.group_detail(&g.group_id).unwrap();
    assert_eq!(detail.member_count, g.member_count);
    assert_eq!(detail.managed_by.unwrap().directory_key, t.key);
    let first = s.group_members(&g.group_id, 0, 2).unwrap();
    assert_eq!(first.total, Some(g.member_count));
    let everyone = s.group_members(&g.group_id, 0, 1000).unwrap();
    assert_eq!(everyone.rows.len() as u64, g.member_count);
    assert!(everyone.rows.iter().all(|u| u.groups.contains(&g.name)));
    let none = s
        .group_list(
            &GroupListQuery {
                managed_by: ManagedBy::ByHand,
                ..Default::default()
            },
            0,
            100,
        )
        .unwrap();
    assert_eq!(none.total, Some(0), "no group was made by hand");
    assert_eq!(s.group_detail("DGNOPE").unwrap_err().code, Code::NotFound);
}

#[tokio::test]
async fn the_trash_restores_and_purges_now_and_says_who_may() {
    let (t, reports) = tenant().await;
    let s = session(&t);
    // The demo's leavers went to the trash; one more user goes by hand.
    let trashed = reports[1].counts.trashed as usize;
    assert!(trashed >= 1, "the demo's leavers go to the trash");
    s.trash_user("hand.made").unwrap();
    let trash = all(
        &s,
        true,
        UserListQuery {
            sort: UserSortKey::DaysLeft,
            ..Default::default()
        },
    );
    assert_eq!(trash.len(), trashed + 1);
    assert_eq!(
        trash.last().unwrap().username,
        "hand.made",
        "trashed last, deleted last"
    );
    assert!(trash
        .iter()
        .all(|u| u.status == UserStatus::PendingDeletion && u.purge_at.is_some()));
    let trashed = trashed + 1;

    let actions = s.list_actions();
    assert!(
        actions.restore.allowed && actions.purge.allowed,
        "the Owner may"
    );
    s.purge_user(&trash[0].username).unwrap();
    s.restore_user(&trash[1].username).unwrap();
    let after = all(&s, true, UserListQuery::default());
    assert_eq!(after.len(), trashed - 2);
    let restored = all(
        &s,
        false,
        UserListQuery {
            search: trash[1].username.clone(),
            ..Default::default()
        },
    );
    assert_eq!(restored[0].status, UserStatus::Active);
    assert!(
        all(
            &s,
            false,
            UserListQuery {
                search: trash[0].username.clone(),
                ..Default::default()
            }
        )
        .iter()
        .all(|u| !u.username.eq_ignore_ascii_case(&trash[0].username)),
        "purged for good"
    );
    assert_eq!(
        s.purge_user(&trash[1].username).unwrap_err().code,
        Code::NotFound
    );

    s.add_operator("rita@acme.test", "Rita", "Read-only")
        .unwrap();
    let ro = t
        .roster
        .session("Acme", &Caller::As("rita@acme.test".into()))
        .unwrap();
    let may = ro.list_actions();
    assert!(!may.purge.allowed && !may.restore.allowed);
    assert!(
        may.purge.reason.unwrap().contains("User Manager"),
        "why not names the roles"
    );
    assert_eq!(
        ro.purge_user(&trash[1].username).unwrap_err().code,
        Code::Forbidden
    );
}

#[tokio::test]
async fn sync_history_pages_runs_and_draws_each_syncs_users_and_changes() {
    let (t, reports) = tenant().await;
    let s = session(&t);
    t.clock.advance(60);
    let series = s.history_series(100).unwrap();
    assert_eq!(series.syncs.len(), 1);
    let line = &series.syncs[0];
    assert_eq!(line.sync.name, "Staff");
    assert_eq!(
        line.points.iter().map(|p| p.run_id).collect::<Vec<_>>(),
        reports
            .iter()
            .map(|r| r.run_id.unwrap())
            .collect::<Vec<_>>(),
        "one point per run, oldest first"
    );
    let managed = all(
        &s,
        false,
        UserListQuery {
            managed_by: ManagedBy::Sync { key: t.key.clone() },
            ..Default::default()
        },
    )
    .len();
    assert_eq!(
        line.points[1].managed,
        Some(managed as u64),
        "users managed after the latest run"
    );
    assert_eq!(
        line.points[0].managed,
        Some(reports[0].counts.created),
        "the first run created them all"
    );
    assert_eq!(
        line.points[0].changes,
        reports[0].counts.created + reports[0].counts.groups_created
    );
    assert_eq!(
        s.history_series(1).unwrap().syncs[0].points.len(),
        1,
        "bounded per sync"
    );

    let first = s.runs_page(None, None, None, 1).unwrap();
    assert_eq!(
        first.runs[0].run_id,
        reports[1].run_id.unwrap(),
        "newest first"
    );
    let next = s.runs_page(None, None, first.next, 1).unwrap();
    assert_eq!(next.runs[0].run_id, reports[0].run_id.unwrap());
    assert!(s
        .runs_page(Some(&t.key), None, next.next, 10)
        .unwrap()
        .runs
        .is_empty());
    assert_eq!(
        s.runs_page(Some("DSNOPE"), None, None, 10)
            .unwrap_err()
            .code,
        Code::NotFound
    );

    // The outcome filter is the store's: a page holds only runs that ended that way, and pages on.
    let ok = s
        .runs_page(Some(&t.key), Some(RunOutcome::Succeeded), None, 1)
        .unwrap();
    assert_eq!(ok.runs[0].run_id, reports[1].run_id.unwrap());
    let older = s
        .runs_page(Some(&t.key), Some(RunOutcome::Succeeded), ok.next, 1)
        .unwrap();
    assert_eq!(older.runs[0].run_id, reports[0].run_id.unwrap());
    for o in [
        RunOutcome::Failed,
        RunOutcome::Held,
        RunOutcome::Interrupted,
    ] {
        let page = s.runs_page(None, Some(o), None, 10).unwrap();
        assert!(
            page.runs.is_empty() && page.next.is_none(),
            "no run ended {o:?}: {page:?}"
        );
    }
}
