//! A push that changes only who is in a group: planned from what the store holds, one group at a time.

use super::*;

fn member(user: &str, changes: &[(&str, bool)]) -> (String, Vec<(String, bool)>) {
    (
        user.into(),
        changes.iter().map(|(g, m)| ((*g).into(), *m)).collect(),
    )
}

/// Engineering and Sales, with alice in Engineering and bob in no group.
fn two_groups_and_two_users() -> Snapshot {
    let mut snap = Snapshot::default();
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            groups: vec![group("g1", "Engineering", &[]), group("g2", "Sales", &[])],
            users: vec![
                (su("1", "alice"), vec!["g1".into()]),
                (su("2", "bob"), vec![]),
            ],
            ..Default::default()
        },
    );
    apply(&mut snap, &p);
    snap
}

#[test]
fn a_membership_change_changes_only_the_members_groups() {
    let mut snap = two_groups_and_two_users();
    // An admin's edit of a synced field in Roster: a membership change must not re-plan (and so
    // overwrite) it, since the request carries no user document.
    let alice = snap
        .users
        .iter_mut()
        .find(|u| u.fields.username == "alice")
        .unwrap();
    alice.fields.realname = Some("Alice (edited in Roster)".into());
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            memberships: vec![
                member("2", &[("g1", true)]),
                member("1", &[("g1", false), ("g2", true)]),
                member("1", &[]),
            ],
            ..Default::default()
        },
    );
    assert!(p.errors.is_empty() && p.conflicts.is_empty(), "{p:?}");
    assert_eq!(p.users.len(), 2, "{p:?}");
    assert_eq!(p.counts.updated, 2);
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(bob.action, Action::Update);
    assert_eq!(
        bob.fields,
        vec![FieldChange {
            field: "groups".into(),
            before: None,
            after: Some("Engineering".into()),
        }],
        "the one field that changed, by group name"
    );
    let alice = user_op(&p, "alice").unwrap();
    assert_eq!(alice.fields.len(), 1, "{:?}", alice.fields);
    assert_eq!(alice.fields[0].before.as_deref(), Some("Engineering"));
    assert_eq!(alice.fields[0].after.as_deref(), Some("Sales"));
    assert_eq!(
        alice.user.fields.realname.as_deref(),
        Some("Alice (edited in Roster)"),
        "the stored fields are kept as they are"
    );
    assert_eq!(alice.user.groups.len(), 1);

    // Joining a group one is already in changes nothing, and records nothing.
    apply(&mut snap, &p);
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            memberships: vec![member("2", &[("g1", true), ("unknown", true)])],
            ..Default::default()
        },
    );
    assert!(p.is_empty() && p.errors.is_empty(), "{p:?}");
}

#[test]
fn a_member_the_integration_does_not_hold_outside_the_trash_is_refused() {
    let mut snap = two_groups_and_two_users();
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            memberships: vec![member("9", &[("g1", true)])],
            ..Default::default()
        },
    );
    assert_eq!(p.errors.len(), 1, "no user 9: {p:?}");
    assert!(p.users.is_empty());

    // A user in the trash is planned in full by the caller (a push of it restores it); a membership
    // change alone must not bring it back.
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            removed_users: vec!["2".into()],
            ..Default::default()
        },
    );
    apply(&mut snap, &p);
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            memberships: vec![member("2", &[("g1", true)])],
            ..Default::default()
        },
    );
    assert_eq!(p.errors.len(), 1, "{p:?}");
    assert!(p.users.is_empty());
}

#[test]
fn a_user_pushed_in_full_is_planned_from_its_document_not_its_membership() {
    let snap = two_groups_and_two_users();
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            users: vec![(su("2", "bob"), vec!["g2".into()])],
            memberships: vec![member("2", &[("g1", true)])],
            ..Default::default()
        },
    );
    assert_eq!(p.users.len(), 1, "{p:?}");
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(
        bob.user.groups,
        vec![GroupId::derive(&key(), "g2")],
        "the full list wins"
    );
}
