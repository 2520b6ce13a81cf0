//! A group's status (Duo's group status, which applies to its members) through the application layer, on
//! the demo directory synced for real: set by an operator who may change a user's status, recorded in the
//! administrator log, shown by the Admin API's group objects, filtered on in the Groups list page by page,
//! kept by the next sync, and refused to a role that may not change it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::json::{GroupListQuery, GroupRow, ManagedBy};
use roster_api::{
    spec, Caller, Code, DirectoryPatch, ManualClock, MemorySecrets, Options, Roster, RunMode,
    Session, Trigger,
};
use roster_core::{GroupStatus, Timestamp};
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

fn filtered(
    s: &Session<'_>,
    status: Option<GroupStatus>,
    at: u64,
    limit: u64,
) -> (Vec<GroupRow>, u64) {
    let p = s
        .group_list(
            &GroupListQuery {
                status,
                ..Default::default()
            },
            at,
            limit,
        )
        .unwrap();
    (p.rows, p.total.unwrap())
}

async fn sync(s: &Session<'_>, key: &str) {
    let r = s
        .run_sync(key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        r.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        r.message
    );
}

#[tokio::test]
async fn operators_set_a_groups_status_the_list_filters_by_it_and_a_resync_keeps_it() {
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
    sync(&s, &key).await;
    let ikey = s
        .create_api_application(
            "Reader",
            &["read_log".into(), "read_resource".into()],
            None,
            "roster.test",
        )
        .unwrap()
        .ikey;

    // A sync makes its groups active.
    let (every, total) = filtered(&s, None, 0, 1000);
    assert!(total >= 4, "the demo has several groups: {total}");
    assert!(every.iter().all(|g| g.status == GroupStatus::Active));
    assert_eq!(filtered(&s, Some(GroupStatus::Bypass), 0, 10).1, 0);

    // The Owner sets three groups' status: two bypass, one disabled.
    let bypass = [every[0].group_id.clone(), every[2].group_id.clone()];
    for id in &bypass {
        let row = s.set_group_status(id, GroupStatus::Bypass).unwrap();
        assert_eq!(row.status, GroupStatus::Bypass);
    }
    s.set_group_status(&every[1].group_id, GroupStatus::Disabled)
        .unwrap();
    assert_eq!(
        s.group_detail(&every[1].group_id).unwrap().status,
        GroupStatus::Disabled
    );

    // The filter: one index range each, paged, with the total of every match.
    let (first, n) = filtered(&s, Some(GroupStatus::Bypass), 0, 1);
    assert_eq!((first.len(), n), (1, 2));
    let (second, _) = filtered(&s, Some(GroupStatus::Bypass), 1, 1);
    assert_eq!(second.len(), 1);
    let mut paged: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|g| g.group_id.clone())
        .collect();
    paged.sort();
    let mut want = bypass.to_vec();
    want.sort();
    assert_eq!(paged, want, "two pages of one hold both bypass groups");
    assert!(
        first[0].name.to_lowercase() < second[0].name.to_lowercase(),
        "by name"
    );
    assert_eq!(filtered(&s, Some(GroupStatus::Disabled), 0, 10).1, 1);
    assert_eq!(
        filtered(&s, Some(GroupStatus::Active), 0, 1000).1,
        total - 3
    );
    // With the managing-sync filter too.
    let both = s
        .group_list(
            &GroupListQuery {
                status: Some(GroupStatus::Bypass),
                managed_by: ManagedBy::ByHand,
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(both.total, Some(0), "the bypass groups are synced ones");

    // The Admin API's group objects answer it, in Duo's casing.
    let door = roster.admin_api_key(&ikey).unwrap().unwrap().open();
    assert_eq!(door.group(&bypass[0]).unwrap().status, "Bypass");
    assert_eq!(door.group(&every[1].group_id).unwrap().status, "Disabled");
    assert_eq!(door.group(&every[3].group_id).unwrap().status, "Active");
    // The administrator log names who changed which group.
    let log = door
        .administrator_log(0, i64::MAX, 0, 1000, "roster.test")
        .unwrap()
        .items;
    let changes: Vec<_> = log.iter().filter(|e| e.action == "group_update").collect();
    assert_eq!(changes.len(), 3);
    assert_eq!(changes[2].object, every[1].name);
    assert!(
        changes[2].description.contains("disabled"),
        "{}",
        changes[2].description
    );

    // A resync keeps what the operator set.
    clock.advance(3600);
    sync(&s, &key).await;
    assert_eq!(filtered(&s, Some(GroupStatus::Bypass), 0, 10).1, 2);
    assert_eq!(
        s.group_detail(&every[1].group_id).unwrap().status,
        GroupStatus::Disabled
    );

    // Help Desk may change a user's status, so a group's too; Read-only may not, and is told why.
    s.add_operator("hana@acme.test", "Hana", "Help Desk")
        .unwrap();
    s.add_operator("rita@acme.test", "Rita", "Read-only")
        .unwrap();
    let hd = roster
        .session("Acme", &Caller::As("hana@acme.test".into()))
        .unwrap();
    assert!(hd.list_actions().set_group_status.allowed);
    hd.set_group_status(&bypass[0], GroupStatus::Active)
        .unwrap();
    let ro = roster
        .session("Acme", &Caller::As("rita@acme.test".into()))
        .unwrap();
    let may = ro.list_actions().set_group_status;
    assert!(!may.allowed);
    assert!(
        may.reason.unwrap().contains("Help Desk"),
        "why not names the roles"
    );
    let refused = ro
        .set_group_status(&bypass[1], GroupStatus::Disabled)
        .unwrap_err();
    assert_eq!(refused.code, Code::Forbidden);
    assert_eq!(
        ro.group_detail(&bypass[1]).unwrap().status,
        GroupStatus::Bypass,
        "a refusal changes nothing"
    );
    assert_eq!(filtered(&s, Some(GroupStatus::Bypass), 0, 10).1, 1);
    assert_eq!(
        s.set_group_status("DGNOPE", GroupStatus::Bypass)
            .unwrap_err()
            .code,
        Code::NotFound
    );
}
