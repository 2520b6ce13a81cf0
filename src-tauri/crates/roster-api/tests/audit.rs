//! The audit trail records what operators change by hand, in the change's own transaction: every change
//! below leaves exactly one entry naming the operator, and a refused change leaves none. Read back
//! through the Admin API's administrator log, as a script would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{
    spec, AdminStatus, Caller, DirectoryConfig, DirectoryPatch, ManualClock, MemorySecrets,
    NewUser, Options, Roster, RunSyncs, UserEdit,
};
use roster_core::Timestamp;
use std::sync::Arc;

const T0: i64 = 1_800_000_000;

/// (actor, action, object) of every entry, oldest first.
fn trail(r: &Roster, ikey: &str) -> Vec<(String, String, String)> {
    let door = r.admin_api_key(ikey).unwrap().unwrap().open();
    door.administrator_log(0, i64::MAX, 0, 1000, "roster.test")
        .unwrap()
        .items
        .into_iter()
        .map(|e| (e.username, e.action, e.object))
        .collect()
}

#[test]
fn what_operators_change_by_hand_is_in_the_audit_trail_and_refusals_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(T0)));
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: clock.clone(),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let ikey = s
        .create_api_application("Auditor", &["read_log".into()], None, "roster.test")
        .unwrap()
        .ikey;
    let before = trail(&r, &ikey).len();

    s.add_user(NewUser {
        username: "hand.made".into(),
        email: Some("hand@acme.test".into()),
        realname: None,
    })
    .unwrap();
    s.update_user(
        "hand.made",
        UserEdit {
            notes: Some("by hand".into()),
            ..Default::default()
        },
    )
    .unwrap();
    s.set_retention_days(1).unwrap();
    s.trash_user("hand.made").unwrap();
    s.restore_user("hand.made").unwrap();
    s.trash_user("hand.made").unwrap();
    clock.set(Timestamp(T0 + 2 * 86_400));
    assert_eq!(s.purge_trash().unwrap(), 1);
    assert_eq!(s.purge_trash().unwrap(), 0, "nothing left to purge");
    s.create_role("Syncer", DirectoryConfig::None, RunSyncs::Individual)
        .unwrap();
    s.add_operator("olivia@acme.test", "Olivia", "Read-only")
        .unwrap();
    s.set_operator_role("olivia@acme.test", "Syncer").unwrap();
    s.set_operator_status("olivia@acme.test", AdminStatus::Disabled)
        .unwrap();
    s.remove_operator("olivia@acme.test").unwrap();
    let added = s
        .add_directory(
            spec::parse(
                r#"{"name": "Staff", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 20}}"#,
            )
            .unwrap(),
        )
        .unwrap();
    s.update_directory(
        &added.directory_key,
        DirectoryPatch {
            interval_minutes: Some(60),
            ..Default::default()
        },
    )
    .unwrap();
    s.delete_directory(&added.directory_key).unwrap();

    let after = trail(&r, &ikey);
    let new: Vec<(&str, &str)> = after[before..]
        .iter()
        .map(|(_, action, object)| (action.as_str(), object.as_str()))
        .collect();
    assert_eq!(
        new,
        vec![
            ("user_create", "hand.made"),
            ("user_update", "hand.made"),
            ("customer_update", "pending_deletion_days"),
            ("user_trash", "hand.made"),
            ("user_restore", "hand.made"),
            ("user_trash", "hand.made"),
            ("trash_purge", "trash"),
            ("role_create", "Syncer"),
            ("admin_create", "olivia@acme.test"),
            ("admin_update", "olivia@acme.test"),
            ("admin_update", "olivia@acme.test"),
            ("admin_delete", "olivia@acme.test"),
            ("directory_create", "Staff"),
            ("directory_update", "Staff"),
            ("directory_delete", "Staff"),
        ],
        "one entry per change, in order: {after:?}"
    );
    let operator = &after[before].0;
    assert!(
        after[before..].iter().all(|(who, _, _)| who == operator) && !operator.starts_with("API"),
        "every entry names the operator: {after:?}"
    );

    // Refused changes write neither the change nor its entry.
    let count = after.len();
    assert!(s.trash_user("nobody").is_err());
    assert!(s.restore_user("hand.made").is_err(), "purged for good");
    assert!(s
        .add_user(NewUser {
            username: "HAND.MADE.TWO".into(),
            ..Default::default()
        })
        .is_ok());
    assert!(
        s.add_user(NewUser {
            username: "hand.made.two".into(),
            ..Default::default()
        })
        .is_err(),
        "usernames are unique whatever their case"
    );
    assert!(s.remove_operator("nobody@acme.test").is_err());
    assert!(s.set_retention_days(0).is_err());
    assert_eq!(
        trail(&r, &ikey).len(),
        count + 1,
        "only the user that was added has an entry"
    );
}
