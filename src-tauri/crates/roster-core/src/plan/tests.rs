//! Planner tests: one rule per test, each assertion saying why the rule must hold.

use super::*;
use crate::ids::DirectoryKey;
use crate::model::{AttributeMap, RoleMapping};

const NOW: Timestamp = Timestamp(1_800_000_000);
const DAY: i64 = 86_400;

fn key() -> DirectoryKey {
    DirectoryKey::from_random([1; 16])
}

fn settings() -> SyncSettings {
    SyncSettings {
        key: key(),
        name: "Staff".into(),
        sync_type: SyncType::User,
        attributes: AttributeMap::ldap_default(),
        roles: Vec::new(),
        deletion_threshold_percent: 10,
        retention_days: 7,
        others: Default::default(),
    }
}

fn admin_settings() -> SyncSettings {
    SyncSettings {
        sync_type: SyncType::Admin,
        roles: vec![
            RoleMapping {
                group: "g-admins".into(),
                role: AdminRole::Administrator,
            },
            RoleMapping {
                group: "g-help".into(),
                role: AdminRole::HelpDesk,
            },
        ],
        ..settings()
    }
}

fn su(ext: &str, uid: &str) -> SourceUser {
    SourceUser {
        external_id: ext.into(),
        attributes: vec![
            ("uid".into(), uid.into()),
            ("mail".into(), format!("{uid}@example.org")),
            ("displayName".into(), format!("User {uid}")),
        ],
        disabled: false,
        locator: None,
    }
}

fn group(ext: &str, name: &str, members: &[&str]) -> SourceGroup {
    SourceGroup {
        external_id: ext.into(),
        name: name.into(),
        description: None,
        members: members.iter().map(|m| (*m).into()).collect(),
    }
}

fn batch(users: Vec<SourceUser>, groups: Vec<SourceGroup>) -> SourceBatch {
    SourceBatch {
        users,
        groups,
        ..Default::default()
    }
}

/// Applies a plan to a snapshot the way the store does, so multi-run rules can be tested purely.
fn apply(snapshot: &mut Snapshot, plan: &Plan) {
    for op in &plan.groups {
        snapshot.groups.retain(|g| g.id != op.group.id);
        if op.action != Action::Delete {
            snapshot.groups.push(op.group.clone());
        }
    }
    for op in &plan.users {
        snapshot.users.retain(|u| u.id != op.user.id);
        if op.action != Action::Purge {
            snapshot.users.push(op.user.clone());
        }
    }
    for op in &plan.admins {
        snapshot.admins.retain(|a| a.id != op.admin.id);
        if op.action != Action::Purge {
            snapshot.admins.push(op.admin.clone());
        }
    }
}

fn full(s: &SyncSettings, snap: &Snapshot, b: &SourceBatch, now: Timestamp) -> Plan {
    plan(s, snap, &Scope::Full(b), now)
}

fn user_op<'a>(p: &'a Plan, username: &str) -> Option<&'a UserOp> {
    p.users
        .iter()
        .find(|op| op.user.fields.username == username)
}

fn synced(users: Vec<SourceUser>, groups: Vec<SourceGroup>) -> Snapshot {
    let mut snap = Snapshot::default();
    let p = full(&settings(), &snap, &batch(users, groups), NOW);
    apply(&mut snap, &p);
    snap
}

#[test]
fn creates_members_of_selected_groups_with_their_groups() {
    let b = batch(
        vec![su("1", "alice"), su("2", "bob"), su("3", "carol")],
        vec![
            group("g1", "Engineering", &["1", "2"]),
            group("g2", "Sales", &["2"]),
        ],
    );
    let p = full(&settings(), &Snapshot::default(), &b, NOW);
    assert_eq!(
        p.counts.created, 2,
        "only members of selected groups are imported; carol is in none"
    );
    assert_eq!(
        p.counts.groups_created, 2,
        "each selected group becomes a Roster group"
    );
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(bob.action, Action::Create);
    assert_eq!(bob.user.groups.len(), 2, "bob is in both selected groups");
    assert_eq!(
        bob.user.status,
        UserStatus::Active,
        "an enabled source account is active"
    );
    assert_eq!(
        bob.user.fields.email.as_deref(),
        Some("bob@example.org"),
        "mapped fields are filled"
    );
    assert_eq!(
        bob.user.managed_by,
        Some(key()),
        "the creating sync manages the user"
    );
    assert!(
        p.hold.is_none(),
        "a first sync trashes nobody and is never held"
    );
}

#[test]
fn plan_is_deterministic_and_sorted() {
    let users = vec![su("3", "zed"), su("1", "Amy"), su("2", "bob")];
    let b1 = batch(users.clone(), vec![group("g", "All", &["1", "2", "3"])]);
    let mut rev = users;
    rev.reverse();
    let b2 = batch(rev, vec![group("g", "All", &["3", "2", "1"])]);
    let p1 = full(&settings(), &Snapshot::default(), &b1, NOW);
    let p2 = full(&settings(), &Snapshot::default(), &b2, NOW);
    assert_eq!(
        p1, p2,
        "the same source content in another order must give the same plan"
    );
    let names: Vec<_> = p1
        .users
        .iter()
        .map(|o| o.user.fields.username.as_str())
        .collect();
    assert_eq!(
        names,
        vec!["Amy", "bob", "zed"],
        "users are sorted case-insensitively by username"
    );
}

#[test]
fn no_change_resync_plans_nothing() {
    let users = vec![su("1", "alice"), su("2", "bob")];
    let groups = vec![group("g1", "Engineering", &["1", "2"])];
    let snap = synced(users.clone(), groups.clone());
    let p = full(
        &settings(),
        &snap,
        &batch(users, groups),
        Timestamp(NOW.0 + 60),
    );
    assert!(
        p.is_empty(),
        "a resync with nothing changed in the source must change nothing: {:?}",
        p.changes()
    );
    assert_eq!(
        p.counts.seen, 2,
        "seen still counts every user the source returned"
    );
}

#[test]
fn updates_only_sync_managed_fields() {
    let groups = vec![group("g1", "Eng", &["1"])];
    let mut snap = synced(vec![su("1", "alice")], groups.clone());
    // An admin edits a field the mapping does not manage.
    snap.users[0].fields.notes = Some("VIP".into());
    let mut changed = su("1", "alice");
    changed.attributes.retain(|(n, _)| &**n != "mail");
    changed
        .attributes
        .push(("mail".into(), "alice.new@example.org".into()));
    let p = full(&settings(), &snap, &batch(vec![changed], groups), NOW);
    let op = user_op(&p, "alice").unwrap();
    assert_eq!(op.action, Action::Update);
    assert_eq!(
        op.fields.len(),
        1,
        "only the email changed: {:?}",
        op.fields
    );
    assert_eq!(op.fields[0].field, "email");
    assert_eq!(
        op.user.fields.notes.as_deref(),
        Some("VIP"),
        "notes are not mapped, so the sync must keep the manual value"
    );
}

#[test]
fn disabled_in_source_disables_and_reenabled_activates() {
    let groups = vec![group("g1", "Eng", &["1"])];
    let snap = synced(vec![su("1", "alice")], groups.clone());
    let mut off = su("1", "alice");
    off.disabled = true;
    let p = full(
        &settings(),
        &snap,
        &batch(vec![off.clone()], groups.clone()),
        NOW,
    );
    let op = user_op(&p, "alice").unwrap();
    assert_eq!(
        (op.action, op.user.status),
        (Action::Disable, UserStatus::Disabled),
        "disabled in the source means disabled in Roster"
    );
    assert_eq!(p.counts.disabled, 1);
    let mut snap2 = snap.clone();
    apply(&mut snap2, &p);
    let p2 = full(
        &settings(),
        &snap2,
        &batch(vec![su("1", "alice")], groups),
        NOW,
    );
    let op2 = user_op(&p2, "alice").unwrap();
    assert_eq!(
        (op2.action, op2.user.status),
        (Action::Enable, UserStatus::Active),
        "re-enabled in the source means active again"
    );
}

#[test]
fn bypass_and_locked_out_are_kept_while_the_source_is_enabled() {
    let groups = vec![group("g1", "Eng", &["1", "2"])];
    let mut snap = synced(vec![su("1", "alice"), su("2", "bob")], groups.clone());
    snap.users
        .iter_mut()
        .find(|u| u.fields.username == "alice")
        .unwrap()
        .status = UserStatus::Bypass;
    snap.users
        .iter_mut()
        .find(|u| u.fields.username == "bob")
        .unwrap()
        .status = UserStatus::LockedOut;
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "alice"), su("2", "bob")], groups.clone()),
        NOW,
    );
    assert!(
        p.is_empty(),
        "a sync never reads or applies locked-out state and leaves bypass alone: {:?}",
        p.changes()
    );
    let mut off = su("2", "bob");
    off.disabled = true;
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "alice"), off], groups),
        NOW,
    );
    assert_eq!(
        user_op(&p, "bob").unwrap().user.status,
        UserStatus::Disabled,
        "disabled in the source wins over locked out"
    );
}

#[test]
fn removed_from_every_group_goes_to_trash_then_purged_after_retention() {
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..settings()
    };
    let groups = vec![group("g1", "Eng", &["1", "2"])];
    let snap = synced(vec![su("1", "alice"), su("2", "bob")], groups);
    let b = batch(
        vec![su("1", "alice"), su("2", "bob")],
        vec![group("g1", "Eng", &["1"])],
    );
    let p = full(&s, &snap, &b, NOW);
    let op = user_op(&p, "bob").unwrap();
    assert_eq!(
        op.action,
        Action::Trash,
        "a user removed from every synced group goes to the trash"
    );
    assert_eq!(op.user.status, UserStatus::PendingDeletion);
    assert_eq!(
        op.user.trashed_at,
        Some(NOW),
        "the trash records when, so the retention can run out"
    );
    assert!(
        op.user.groups.is_empty(),
        "a trashed user is in no synced group"
    );
    let mut snap = snap;
    apply(&mut snap, &p);
    let p = full(&s, &snap, &b, Timestamp(NOW.0 + 6 * DAY));
    assert!(
        p.users.is_empty(),
        "six days in, still within the 7-day retention: nothing happens"
    );
    let p = full(&s, &snap, &b, Timestamp(NOW.0 + 7 * DAY));
    assert_eq!(
        user_op(&p, "bob").map(|o| o.action),
        Some(Action::Purge),
        "after the retention the user is purged"
    );
    assert_eq!(p.counts.purged, 1);
}

#[test]
fn a_trashed_user_who_comes_back_is_restored() {
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..settings()
    };
    let mut snap = synced(
        vec![su("1", "alice"), su("2", "bob")],
        vec![group("g1", "Eng", &["1", "2"])],
    );
    let p = full(
        &s,
        &snap,
        &batch(vec![su("1", "alice")], vec![group("g1", "Eng", &["1"])]),
        NOW,
    );
    apply(&mut snap, &p);
    let p = full(
        &s,
        &snap,
        &batch(
            vec![su("1", "alice"), su("2", "bob")],
            vec![group("g1", "Eng", &["1", "2"])],
        ),
        NOW,
    );
    let op = user_op(&p, "bob").unwrap();
    assert_eq!(
        op.action,
        Action::Restore,
        "a user back in a synced group leaves the trash"
    );
    assert_eq!(
        op.user.status,
        UserStatus::Active,
        "restored users take their status from the source"
    );
    assert_eq!(op.user.trashed_at, None);
    assert_eq!(op.user.groups.len(), 1, "memberships come back");
}

#[test]
fn an_existing_user_with_the_same_username_is_taken_over() {
    let manual = User {
        id: UserId("DUMANUAL0000000000000".into()),
        fields: UserFields {
            username: "Alice".into(),
            notes: Some("made by hand".into()),
            ..Default::default()
        },
        status: UserStatus::Bypass,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    let snap = Snapshot {
        users: vec![manual.clone()],
        ..Default::default()
    };
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "alice")], vec![group("g1", "Eng", &["1"])]),
        NOW,
    );
    let op = user_op(&p, "alice").unwrap();
    assert_eq!(
        op.action,
        Action::TakeOver,
        "usernames match case-insensitively, so the sync takes the user over"
    );
    assert_eq!(
        op.user.id, manual.id,
        "taking over keeps the existing user's id"
    );
    assert_eq!(op.user.managed_by, Some(key()));
    assert_eq!(
        op.user.fields.email.as_deref(),
        Some("alice@example.org"),
        "synced fields are overwritten"
    );
    assert_eq!(
        op.user.fields.notes.as_deref(),
        Some("made by hand"),
        "unmapped fields are kept"
    );
    assert_eq!(p.counts.taken_over, 1);
    assert_eq!(p.counts.created, 0, "taking over is not creating");
}

#[test]
fn a_rename_in_the_source_keeps_the_user() {
    let groups = vec![group("g1", "Eng", &["1"])];
    let snap = synced(vec![su("1", "alice")], groups.clone());
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "alice.smith")], groups),
        NOW,
    );
    assert_eq!(
        p.users.len(),
        1,
        "a rename is one update, not a leaver and a hire: {:?}",
        p.changes()
    );
    let op = &p.users[0];
    assert_eq!(op.action, Action::Update);
    assert_eq!(
        op.user.id, snap.users[0].id,
        "the stable external id keeps the same Roster user"
    );
    assert!(op
        .fields
        .iter()
        .any(|f| f.field == "username" && f.after.as_deref() == Some("alice.smith")));
}

#[test]
fn entries_without_username_or_with_colliding_usernames_are_skipped_and_protected() {
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..settings()
    };
    let groups = vec![group("g1", "Eng", &["1", "2", "3"])];
    let snap = synced(
        vec![su("1", "alice"), su("2", "bob"), su("3", "carol")],
        groups.clone(),
    );
    let mut nouid = su("1", "alice");
    nouid.attributes.retain(|(n, _)| &**n != "uid");
    let b = batch(vec![nouid, su("2", "dup"), su("3", "DUP")], groups);
    let p = full(&s, &snap, &b, NOW);
    assert_eq!(
        p.counts.skipped, 3,
        "one entry without a username and two colliding ones are skipped"
    );
    assert_eq!(
        p.errors.len(),
        3,
        "each skipped entry gets its own error in the report"
    );
    assert!(
        p.users
            .iter()
            .all(|op| op.action != Action::Trash || op.user.fields.username != "alice"),
        "a user whose source entry was skipped must not be trashed for it"
    );
    assert!(
        p.errors.iter().any(|e| e.message.contains("\"uid\"")),
        "the error names the missing attribute"
    );
}

#[test]
fn skipped_entries_are_named_by_where_to_find_them_and_their_display_name() {
    let mut nouid = su("8f2c-uuid", "alice");
    nouid.attributes.retain(|(n, _)| &**n != "uid");
    nouid.locator = Some("cn=Doe\\, Alice,ou=people,dc=example,dc=org".into());
    let mut dup1 = su("uuid-2", "dup");
    dup1.locator = Some("cn=Dup One,ou=people,dc=example,dc=org".into());
    let dup2 = su("uuid-3", "DUP"); // no locator: named by its username
    let b = batch(
        vec![nouid, dup1, dup2],
        vec![group("g1", "Eng", &["8f2c-uuid", "uuid-2", "uuid-3"])],
    );
    let p = full(&settings(), &Snapshot::default(), &b, NOW);
    let keys: Vec<(&str, Option<&str>)> = p
        .errors
        .iter()
        .map(|e| (e.key.as_str(), e.name.as_deref()))
        .collect();
    assert!(
        keys.contains(&(
            "cn=Doe\\, Alice,ou=people,dc=example,dc=org",
            Some("User alice")
        )),
        "an entry without a username is named by its DN and display name, never by its entryUUID: {keys:?}"
    );
    assert!(
        keys.contains(&("cn=Dup One,ou=people,dc=example,dc=org", Some("User dup"))),
        "a colliding entry is named by its DN too: {keys:?}"
    );
    assert!(
        keys.contains(&("DUP", Some("User DUP"))),
        "without a DN, the username names the entry: {keys:?}"
    );
    assert!(
        p.errors.iter().all(|e| !e.key.contains("uuid")),
        "no report names an entry by an id nobody can look up: {keys:?}"
    );
}
#[test]
fn held_when_too_many_would_be_trashed_or_the_source_is_empty() {
    let users: Vec<SourceUser> = (0..20)
        .map(|i| su(&i.to_string(), &format!("u{i}")))
        .collect();
    let ids: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let snap = synced(users.clone(), vec![group("g", "All", &refs)]);
    // 2 of 20 = 10%: at the threshold, not over it.
    let p = full(
        &settings(),
        &snap,
        &batch(users.clone(), vec![group("g", "All", &refs[2..])]),
        NOW,
    );
    assert!(
        p.hold.is_none(),
        "exactly the threshold share is allowed: {:?}",
        p.hold
    );
    let p = full(
        &settings(),
        &snap,
        &batch(users.clone(), vec![group("g", "All", &refs[3..])]),
        NOW,
    );
    assert!(
        p.hold.as_deref().is_some_and(|h| h.contains("3 of 20")),
        "3 of 20 is over 10% and must be held: {:?}",
        p.hold
    );
    assert_eq!(
        p.counts.trashed, 3,
        "a held plan still lists what it would do, for review"
    );
    let p = full(
        &SyncSettings {
            deletion_threshold_percent: 100,
            ..settings()
        },
        &snap,
        &batch(Vec::new(), Vec::new()),
        NOW,
    );
    assert!(
        p.hold.as_deref().is_some_and(|h| h.contains("no users")),
        "an empty source is always held: {:?}",
        p.hold
    );
}

#[test]
fn deselected_groups_are_deleted_and_renamed_groups_updated() {
    let snap = synced(
        vec![su("1", "a")],
        vec![group("g1", "Eng", &["1"]), group("g2", "Ops", &["1"])],
    );
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "a")], vec![group("g1", "Engineering", &["1"])]),
        NOW,
    );
    let actions: Vec<_> = p
        .groups
        .iter()
        .map(|o| (o.group.name.as_str(), o.action))
        .collect();
    assert!(
        actions.contains(&("Engineering", Action::Update)),
        "a renamed group keeps its id and is updated: {actions:?}"
    );
    assert!(
        actions.contains(&("Ops", Action::Delete)),
        "a group no longer synced is deleted: {actions:?}"
    );
    let op = user_op(&p, "a").unwrap();
    assert!(
        op.fields.iter().any(|f| f.field == "groups"),
        "the user's membership change is reported on the user"
    );
}

#[test]
fn a_group_with_the_name_of_an_existing_group_is_taken_over() {
    let existing = Group {
        id: GroupId("DGMANUAL000000000000".into()),
        name: "eng".into(),
        description: None,
        managed_by: None,
        external_id: None,
    };
    let snap = Snapshot {
        groups: vec![existing.clone()],
        ..Default::default()
    };
    let p = full(
        &settings(),
        &snap,
        &batch(vec![su("1", "a")], vec![group("g1", "Eng", &["1"])]),
        NOW,
    );
    assert_eq!(
        p.groups[0].action,
        Action::TakeOver,
        "a synced group overwrites an existing group with the same name"
    );
    assert_eq!(p.groups[0].group.id, existing.id);
}

#[test]
fn individual_sync_touches_only_that_user() {
    let groups = vec![group("g1", "Eng", &["1", "2"])];
    let snap = synced(vec![su("1", "alice"), su("2", "bob")], groups.clone());
    let mut changed = su("2", "bob");
    changed.disabled = true;
    let lookup = SourceLookup {
        user: Some(changed),
        groups: vec![(groups[0].clone(), true)],
    };
    let p = plan(
        &settings(),
        &snap,
        &Scope::Individual {
            key: "bob",
            lookup: &lookup,
        },
        NOW,
    );
    assert_eq!(p.users.len(), 1, "an individual sync changes one user");
    assert_eq!(p.users[0].action, Action::Disable);
    assert!(
        p.groups.is_empty(),
        "an individual sync never deletes or renames groups"
    );

    let gone = SourceLookup {
        user: None,
        groups: vec![(groups[0].clone(), false)],
    };
    let p = plan(
        &settings(),
        &snap,
        &Scope::Individual {
            key: "BOB",
            lookup: &gone,
        },
        NOW,
    );
    assert_eq!(
        p.users.first().map(|o| o.action),
        Some(Action::Trash),
        "a user gone from the source is marked for deletion"
    );
    let p = plan(
        &settings(),
        &snap,
        &Scope::Individual {
            key: "nobody",
            lookup: &gone,
        },
        NOW,
    );
    assert!(
        p.users.is_empty() && p.errors.len() == 1,
        "an unknown username changes nothing and says so"
    );
}

fn admin_user(ext: &str, email: &str) -> SourceUser {
    SourceUser {
        external_id: ext.into(),
        attributes: vec![
            ("uid".into(), ext.into()),
            ("mail".into(), email.into()),
            ("displayName".into(), format!("Admin {ext}")),
        ],
        disabled: false,
        locator: None,
    }
}

#[test]
fn admin_role_is_the_most_privileged_mapped_group() {
    let b = batch(
        vec![admin_user("1", "a@x.org"), admin_user("2", "b@x.org")],
        vec![
            group("g-help", "Help", &["1", "2"]),
            group("g-admins", "Admins", &["2"]),
        ],
    );
    let p = full(&admin_settings(), &Snapshot::default(), &b, NOW);
    let role = |e: &str| {
        p.admins
            .iter()
            .find(|o| o.admin.email == e)
            .map(|o| o.admin.role)
    };
    assert_eq!(role("a@x.org"), Some(AdminRole::HelpDesk));
    assert_eq!(
        role("b@x.org"),
        Some(AdminRole::Administrator),
        "in two mapped groups, the most privileged role wins"
    );
    assert!(
        p.groups.is_empty() && p.users.is_empty(),
        "admin syncs import administrators only"
    );
}

#[test]
fn owners_are_never_synced() {
    let owner = Admin {
        id: AdminId("DEOWNER0000000000000".into()),
        name: "Olivia".into(),
        email: "A@x.org".into(),
        phone: None,
        role: AdminRole::Owner,
        status: AdminStatus::Active,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        left_at: None,
    };
    let snap = Snapshot {
        admins: vec![owner],
        ..Default::default()
    };
    let p = full(
        &admin_settings(),
        &snap,
        &batch(
            vec![admin_user("1", "a@x.org")],
            vec![group("g-admins", "Admins", &["1"])],
        ),
        NOW,
    );
    assert!(
        p.admins.is_empty(),
        "an Owner with the same email must not be taken over"
    );
    assert!(p
        .errors
        .iter()
        .any(|e| e.message.contains("Owners are never synced")));
    let s = SyncSettings {
        roles: vec![RoleMapping {
            group: "g-owners".into(),
            role: AdminRole::Owner,
        }],
        ..admin_settings()
    };
    let p = full(
        &s,
        &Snapshot::default(),
        &batch(
            vec![admin_user("1", "a@x.org")],
            vec![group("g-owners", "Owners", &["1"])],
        ),
        NOW,
    );
    assert!(
        p.admins.is_empty(),
        "a group mapped to Owner grants nothing"
    );
}

#[test]
fn admins_who_leave_are_disabled_then_removed_after_retention() {
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..admin_settings()
    };
    let mut snap = Snapshot::default();
    let b = batch(
        vec![admin_user("1", "a@x.org"), admin_user("2", "b@x.org")],
        vec![group("g-admins", "Admins", &["1", "2"])],
    );
    let p = full(&s, &snap, &b, NOW);
    apply(&mut snap, &p);
    let b2 = batch(
        vec![admin_user("1", "a@x.org")],
        vec![group("g-admins", "Admins", &["1"])],
    );
    let p = full(&s, &snap, &b2, NOW);
    let op = p
        .admins
        .iter()
        .find(|o| o.admin.email == "b@x.org")
        .unwrap();
    assert_eq!(
        (op.action, op.admin.status),
        (Action::Disable, AdminStatus::Disabled),
        "an admin in no mapped group is disabled first"
    );
    apply(&mut snap, &p);
    let p = full(&s, &snap, &b2, Timestamp(NOW.0 + 7 * DAY));
    assert_eq!(
        p.admins.first().map(|o| o.action),
        Some(Action::Purge),
        "then removed after the retention"
    );
    let p = full(&s, &snap, &b, Timestamp(NOW.0 + DAY));
    let back = p
        .admins
        .iter()
        .find(|o| o.admin.email == "b@x.org")
        .unwrap();
    assert_eq!(
        (back.action, back.admin.status),
        (Action::Enable, AdminStatus::Active),
        "coming back within the retention re-enables"
    );
}

#[test]
fn admin_disabled_in_source_is_disabled() {
    let mut snap = Snapshot::default();
    let b = batch(
        vec![admin_user("1", "a@x.org")],
        vec![group("g-admins", "Admins", &["1"])],
    );
    let p0 = full(&admin_settings(), &snap, &b, NOW);
    apply(&mut snap, &p0);
    let mut off = admin_user("1", "a@x.org");
    off.disabled = true;
    let p = full(
        &admin_settings(),
        &snap,
        &batch(vec![off], vec![group("g-admins", "Admins", &["1"])]),
        NOW,
    );
    assert_eq!(
        p.admins[0].admin.status,
        AdminStatus::Disabled,
        "disabled in the source means a disabled admin"
    );
    assert_eq!(
        p.admins[0].admin.left_at, None,
        "disabled in the source is not leaving: no removal clock"
    );
}

#[test]
fn incremental_batches_keep_unchanged_users_and_apply_membership_changes() {
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..settings()
    };
    let snap = synced(
        vec![su("1", "alice"), su("2", "bob"), su("3", "carol")],
        vec![
            group("g1", "Eng", &["1", "2", "3"]),
            group("g2", "Ops", &["2"]),
        ],
    );
    // Only alice changed; bob and carol did not, but bob left Eng; dave is new; carol is gone.
    let mut changed = su("1", "alice");
    changed
        .attributes
        .push(("telephoneNumber".into(), "+1 555 0100".into()));
    let b = SourceBatch {
        users: vec![changed, su("4", "dave")],
        unchanged: vec!["2".into()],
        groups: vec![group("g1", "Eng", &["1", "4"]), group("g2", "Ops", &["2"])],
        incremental: true,
        ..Default::default()
    };
    let p = full(&s, &snap, &b, NOW);
    let action = |n: &str| user_op(&p, n).map(|o| o.action);
    assert_eq!(
        action("alice"),
        Some(Action::Update),
        "a changed user is updated"
    );
    assert_eq!(
        action("dave"),
        Some(Action::Create),
        "a new user is created"
    );
    assert_eq!(
        action("bob"),
        Some(Action::Update),
        "an unchanged user whose groups changed is updated"
    );
    assert_eq!(
        user_op(&p, "bob").unwrap().fields.len(),
        1,
        "only bob's groups changed: {:?}",
        user_op(&p, "bob").unwrap().fields
    );
    assert_eq!(
        action("carol"),
        Some(Action::Trash),
        "a user in neither list is gone from the groups"
    );
    assert_eq!(
        p.counts.seen, 3,
        "changed and unchanged users are both seen"
    );
    let quiet = SourceBatch {
        unchanged: vec!["1".into(), "2".into(), "3".into()],
        groups: vec![
            group("g1", "Eng", &["1", "2", "3"]),
            group("g2", "Ops", &["2"]),
        ],
        incremental: true,
        ..Default::default()
    };
    assert!(
        full(&s, &snap, &quiet, NOW).is_empty(),
        "an incremental batch with nothing changed plans nothing"
    );
}

#[test]
fn a_large_resync_finds_exactly_what_changed() {
    // Above the size at which the unchanged users are recognised on several threads.
    let n = 25_000;
    let users: Vec<SourceUser> = (0..n)
        .map(|i| su(&format!("e{i}"), &format!("user{i}")))
        .collect();
    let ids =
        |range: std::ops::Range<usize>| -> Vec<String> { range.map(|i| format!("e{i}")).collect() };
    let groups_with = |g2: Vec<String>| {
        let a = ids(0..n);
        let b = ids(0..n / 2);
        vec![
            group(
                "g1",
                "Everyone",
                &a.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
            group(
                "g2",
                "Half",
                &g2.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
            group(
                "g3",
                "First half",
                &b.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
        ]
    };
    let first = full(
        &settings(),
        &Snapshot::default(),
        &batch(users.clone(), groups_with(ids(0..n / 2))),
        NOW,
    );
    assert_eq!(first.counts.created, n as u64);
    let snap = Snapshot {
        users: first.users.iter().map(|op| op.user.clone()).collect(),
        groups: first.groups.iter().map(|op| op.group.clone()).collect(),
        admins: Vec::new(),
        foreign: Vec::new(),
    };
    let later = Timestamp(NOW.0 + 60);
    let same = full(
        &settings(),
        &snap,
        &batch(users.clone(), groups_with(ids(0..n / 2))),
        later,
    );
    assert!(
        same.is_empty(),
        "nothing changed: {:?}",
        same.changes().first()
    );
    assert_eq!(same.counts.seen, n as u64);

    let mut changed = users.clone();
    changed[10].attributes[1].1 = "new-mail@example.org".into();
    changed[20_000].disabled = true;
    changed[300].attributes[0].1 = "renamed300".into();
    changed.truncate(n - 1); // e24999 is gone from the directory
    let mut half = ids(0..n / 2);
    half.retain(|e| e != "e5"); // e5 leaves "Half"
    let mut groups = groups_with(half);
    groups[0].members.retain(|m| m.as_ref() != "e24999");
    let p = full(&settings(), &snap, &batch(changed, groups), later);
    let ops: Vec<(String, Action)> = p
        .users
        .iter()
        .map(|op| (op.user.fields.username.clone(), op.action))
        .collect();
    assert_eq!(
        ops,
        vec![
            ("renamed300".to_string(), Action::Update),
            ("user10".to_string(), Action::Update),
            ("user20000".to_string(), Action::Disable),
            ("user24999".to_string(), Action::Trash),
            ("user5".to_string(), Action::Update),
        ],
        "exactly the changed users, each once"
    );
    assert_eq!(
        user_op(&p, "user20000").map(|op| op.user.status),
        Some(UserStatus::Disabled)
    );
    assert_eq!(
        user_op(&p, "user5").map(|op| op.user.groups.len()),
        Some(2),
        "user5 keeps Everyone and First half"
    );
    assert_eq!(p.counts.seen, (n - 1) as u64);
}

/// A tenant with several syncs, kept the way the store keeps it: each user's groups are all its groups,
/// whoever manages them. `snapshot_for` reads what the store reads for one sync, and `apply_for` writes a
/// plan the way the store does (a sync replaces only the memberships of the groups it manages).
#[derive(Default)]
struct World {
    users: Vec<User>,
    groups: Vec<Group>,
    admins: Vec<Admin>,
}

impl World {
    fn owned_groups(&self, key: &DirectoryKey) -> HashSet<GroupId> {
        self.groups
            .iter()
            .filter(|g| g.managed_by.as_ref() == Some(key))
            .map(|g| g.id.clone())
            .collect()
    }

    fn snapshot_for(&self, key: &DirectoryKey) -> Snapshot {
        let mine = self.owned_groups(key);
        let keep = |groups: &[GroupId]| -> Vec<GroupId> {
            let mut g: Vec<GroupId> = groups
                .iter()
                .filter(|g| mine.contains(*g))
                .cloned()
                .collect();
            g.sort();
            g
        };
        Snapshot {
            // Every user (the store reads only the ones the directory's usernames match; more is harmless).
            users: self
                .users
                .iter()
                .map(|u| User {
                    groups: keep(&u.groups),
                    ..u.clone()
                })
                .collect(),
            groups: self.groups.clone(),
            admins: self.admins.clone(),
            foreign: self
                .users
                .iter()
                .filter(|u| u.managed_by.as_ref() != Some(key))
                .map(|u| ForeignMember {
                    id: u.id.clone(),
                    username: u.fields.username.clone(),
                    groups: keep(&u.groups),
                })
                .filter(|f| !f.groups.is_empty())
                .collect(),
        }
    }

    fn apply_for(&mut self, key: &DirectoryKey, plan: &Plan) {
        let mut emptied: HashSet<GroupId> = HashSet::default();
        for op in &plan.groups {
            self.groups.retain(|g| g.id != op.group.id);
            if op.action != Action::Delete {
                self.groups.push(op.group.clone());
            }
            if matches!(op.action, Action::Delete | Action::TakeOver) {
                emptied.insert(op.group.id.clone());
            }
        }
        for u in &mut self.users {
            u.groups.retain(|g| !emptied.contains(g));
        }
        let mine = self.owned_groups(key);
        let merge = |old: &[GroupId], new: &[GroupId]| -> Vec<GroupId> {
            let mut g: Vec<GroupId> = old
                .iter()
                .filter(|g| !mine.contains(*g))
                .chain(new.iter())
                .cloned()
                .collect();
            g.sort();
            g.dedup();
            g
        };
        for op in &plan.users {
            let old = self.users.iter().position(|u| u.id == op.user.id);
            let old_groups = old
                .map(|i| self.users[i].groups.clone())
                .unwrap_or_default();
            if let Some(i) = old {
                self.users.remove(i);
            }
            if op.action != Action::Purge {
                let mut u = op.user.clone();
                u.groups = merge(&old_groups, &op.user.groups);
                self.users.push(u);
            }
        }
        for op in &plan.memberships {
            if let Some(u) = self.users.iter_mut().find(|u| u.id == op.user) {
                u.groups = merge(&u.groups, &op.groups);
            }
        }
        for op in &plan.admins {
            self.admins.retain(|a| a.id != op.admin.id);
            if op.action != Action::Purge {
                self.admins.push(op.admin.clone());
            }
        }
    }

    fn run(&mut self, s: &SyncSettings, b: &SourceBatch, now: Timestamp) -> Plan {
        let p = full(s, &self.snapshot_for(&s.key), b, now);
        self.apply_for(&s.key, &p);
        p
    }

    fn user(&self, username: &str) -> &User {
        self.users
            .iter()
            .find(|u| u.fields.username == username)
            .unwrap_or_else(|| panic!("no user {username}"))
    }

    fn group_names_of(&self, username: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .user(username)
            .groups
            .iter()
            .filter_map(|g| self.groups.iter().find(|x| &x.id == g))
            .map(|g| g.name.clone())
            .collect();
        names.sort();
        names
    }
}

/// Two user syncs, `first` before `second` in the order of precedence.
fn two_syncs() -> (SyncSettings, SyncSettings) {
    let a = DirectoryKey::from_random([10; 16]);
    let b = DirectoryKey::from_random([20; 16]);
    let first = SyncSettings {
        key: a.clone(),
        name: "All staff".into(),
        others: [(
            b.clone(),
            OtherSync {
                name: "Engineering".into(),
                takes_precedence: false,
            },
        )]
        .into_iter()
        .collect(),
        ..settings()
    };
    let second = SyncSettings {
        key: b,
        name: "Engineering".into(),
        others: [(
            a,
            OtherSync {
                name: "All staff".into(),
                takes_precedence: true,
            },
        )]
        .into_iter()
        .collect(),
        ..settings()
    };
    (first, second)
}

#[test]
fn two_syncs_that_find_the_same_users_do_not_take_them_from_each_other() {
    let (first, second) = two_syncs();
    // The same people in two directories (or two selections of one): first selects "Staff", second
    // selects "Eng" (alice and bob are in both).
    let staff = batch(
        vec![su("1", "alice"), su("2", "bob"), su("3", "carol")],
        vec![group("s", "Staff", &["1", "2", "3"])],
    );
    let eng = batch(
        vec![su("e1", "alice"), su("e2", "bob"), su("e4", "dave")],
        vec![group("e", "Eng", &["e1", "e2", "e4"])],
    );
    let mut w = World::default();
    // The second sync happens to run first: it creates alice, bob and dave.
    w.run(&second, &eng, NOW);
    assert_eq!(w.user("alice").managed_by.as_ref(), Some(&second.key));
    // The first sync comes first in precedence: it takes alice and bob over, and says so.
    let p = w.run(&first, &staff, NOW);
    assert_eq!(
        p.counts.taken_over, 2,
        "the sync that takes precedence takes over what both find"
    );
    assert!(
        p.conflicts
            .iter()
            .any(|c| c.key == "alice" && c.kept && c.other_name == "Engineering"),
        "and reports the overlap as a conflict it keeps: {:?}",
        p.conflicts
    );
    assert!(
        user_op(&p, "alice").is_some_and(|op| op.reason.contains("Engineering")),
        "the take-over names the sync it took the user from"
    );
    // From now on nobody flips: round after round, the second sync leaves alice and bob alone.
    for round in 0..3 {
        let p2 = w.run(&second, &eng, NOW);
        assert_eq!(
            p2.counts.taken_over, 0,
            "round {round}: the second sync never takes them back"
        );
        assert_eq!(
            p2.conflicts.iter().filter(|c| !c.kept).count(),
            2,
            "round {round}: it reports each user it leaves to the first sync: {:?}",
            p2.conflicts
        );
        let p1 = w.run(&first, &staff, NOW);
        assert!(
            p1.is_empty() && p1.counts.taken_over == 0,
            "round {round}: the first sync has nothing to change: {:?}",
            p1.users
        );
        assert_eq!(w.user("alice").managed_by.as_ref(), Some(&first.key));
        assert_eq!(
            w.group_names_of("alice"),
            vec!["Eng".to_string(), "Staff".to_string()],
            "round {round}: alice keeps both groups: each sync writes its own group's members"
        );
    }
    assert_eq!(
        w.user("dave").managed_by.as_ref(),
        Some(&second.key),
        "what only the second finds is its own"
    );
    let again = w.run(&second, &eng, NOW);
    assert!(
        again.is_empty(),
        "a settled pair of syncs plans nothing: {:?} {:?}",
        again.users,
        again.memberships
    );
}

#[test]
fn the_sync_that_comes_second_adds_and_removes_the_others_users_in_its_groups() {
    let (first, second) = two_syncs();
    let staff = batch(
        vec![su("1", "alice"), su("2", "bob")],
        vec![group("s", "Staff", &["1", "2"])],
    );
    let mut w = World::default();
    w.run(&first, &staff, NOW);
    let eng = batch(vec![su("e1", "alice")], vec![group("e", "Eng", &["e1"])]);
    let p = w.run(&second, &eng, NOW);
    assert_eq!(
        p.counts.created, 0,
        "alice exists and belongs to the first sync"
    );
    assert_eq!(
        p.memberships.len(),
        1,
        "alice joins the second sync's group"
    );
    assert_eq!(
        w.group_names_of("alice"),
        vec!["Eng".to_string(), "Staff".to_string()]
    );
    // bob joins Eng in the directory; alice leaves it.
    let eng2 = batch(vec![su("e2", "bob")], vec![group("e", "Eng", &["e2"])]);
    let p = w.run(&second, &eng2, NOW);
    let changed: Vec<(&str, usize)> = p
        .memberships
        .iter()
        .map(|m| (m.username.as_str(), m.groups.len()))
        .collect();
    assert_eq!(
        changed,
        vec![("alice", 0), ("bob", 1)],
        "a member the directory no longer lists is taken out; a new one is added"
    );
    assert_eq!(
        w.group_names_of("alice"),
        vec!["Staff".to_string()],
        "alice keeps the first sync's group"
    );
    assert_eq!(
        w.user("alice").status,
        UserStatus::Active,
        "and is not trashed by the second sync"
    );
    assert!(
        p.users.is_empty(),
        "the second sync never writes the fields or status of the first sync's users"
    );
}

#[test]
fn a_group_both_syncs_select_stays_with_the_sync_that_comes_first() {
    let (first, second) = two_syncs();
    let a = batch(
        vec![su("1", "alice")],
        vec![group("a-eng", "Engineering", &["1"])],
    );
    let b = batch(
        vec![su("b1", "bob")],
        vec![group("b-eng", "engineering", &["b1"])],
    );
    let mut w = World::default();
    w.run(&first, &a, NOW);
    let p = w.run(&second, &b, NOW);
    assert!(
        p.groups.is_empty(),
        "the second sync does not take the group over"
    );
    assert!(
        p.conflicts
            .iter()
            .any(|c| c.object == ObjectKind::Group && !c.kept && c.message.contains("All staff")),
        "it reports the group it leaves, naming the sync that keeps it: {:?}",
        p.conflicts
    );
    assert_eq!(
        user_op(&p, "bob").map(|op| op.action),
        Some(Action::Create),
        "the group's members are still in the second sync's scope"
    );
    for _ in 0..2 {
        let p1 = w.run(&first, &a, NOW);
        let p2 = w.run(&second, &b, NOW);
        assert!(
            p1.groups.is_empty() && p2.groups.is_empty(),
            "nobody takes the group from anybody"
        );
        assert!(p2.users.is_empty(), "bob stays as he is: {:?}", p2.users);
    }
    let g = w
        .groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case("engineering"))
        .unwrap();
    assert_eq!(g.managed_by.as_ref(), Some(&first.key));
}

#[test]
fn a_group_renamed_onto_the_name_of_a_group_the_first_sync_manages_keeps_its_name() {
    let (first, second) = two_syncs();
    let mut w = World::default();
    w.run(
        &first,
        &batch(
            vec![su("1", "alice")],
            vec![group("a-eng", "Engineering", &["1"])],
        ),
        NOW,
    );
    w.run(
        &second,
        &batch(vec![su("b1", "bob")], vec![group("b-ops", "Ops", &["b1"])]),
        NOW,
    );
    let p = w.run(
        &second,
        &batch(
            vec![su("b1", "bob")],
            vec![group("b-ops", "engineering", &["b1"])],
        ),
        NOW,
    );
    assert!(
        p.groups.is_empty(),
        "two groups cannot share a name, so nothing is renamed: {:?}",
        p.groups
    );
    assert!(
        p.conflicts.iter().any(|c| c.object == ObjectKind::Group
            && !c.kept
            && c.other == first.key.to_string()
            && c.message.contains("All staff")),
        "the refused rename names the sync that comes first: {:?}",
        p.conflicts
    );
    assert!(
        p.users.is_empty(),
        "bob stays in the group as it was: {:?}",
        p.users
    );
    let names: Vec<_> = w.groups.iter().map(|g| g.name.as_str()).collect();
    assert!(
        names.contains(&"Ops") && names.contains(&"Engineering"),
        "{names:?}"
    );

    // A group no sync manages is no precedence matter, but its name is still its own.
    let manual = Group {
        id: GroupId("DGMANUAL000000000000".into()),
        name: "Manual".into(),
        description: None,
        managed_by: None,
        external_id: None,
    };
    w.groups.push(manual);
    let p = w.run(
        &second,
        &batch(
            vec![su("b1", "bob")],
            vec![group("b-ops", "Manual", &["b1"])],
        ),
        NOW,
    );
    assert!(p.groups.is_empty(), "{:?}", p.groups);
    assert!(
        p.errors
            .iter()
            .any(|e| e.key == "b-ops" && e.message.contains("Manual")),
        "the refused rename is an entry error: {:?}",
        p.errors
    );
}

#[test]
fn a_user_the_first_sync_moved_to_the_trash_is_released_to_the_second() {
    let (first, second) = two_syncs();
    let mut w = World::default();
    w.run(
        &first,
        &batch(vec![su("1", "alice")], vec![group("s", "Staff", &["1"])]),
        NOW,
    );
    let eng = batch(vec![su("e1", "alice")], vec![group("e", "Eng", &["e1"])]);
    w.run(&second, &eng, NOW);
    // alice leaves Staff: the first sync trashes her.
    let p = w.run(&first, &batch(vec![], vec![group("s", "Staff", &[])]), NOW);
    assert!(
        p.hold.is_some(),
        "the first sync's only user leaving is held (an empty source)"
    );
    let s = SyncSettings {
        deletion_threshold_percent: 100,
        ..first.clone()
    };
    let p = full(
        &s,
        &w.snapshot_for(&s.key),
        &batch(vec![su("2", "zed")], vec![group("s", "Staff", &["2"])]),
        NOW,
    );
    w.apply_for(&s.key, &p);
    assert_eq!(w.user("alice").status, UserStatus::PendingDeletion);
    // The second sync still finds her: it takes her over and restores her.
    let p = w.run(&second, &eng, NOW);
    assert_eq!(
        user_op(&p, "alice").map(|op| op.action),
        Some(Action::TakeOver),
        "a user in the trash is released to a sync that still finds it"
    );
    assert_eq!(w.user("alice").status, UserStatus::Active);
    assert_eq!(w.user("alice").managed_by.as_ref(), Some(&second.key));
}

#[test]
fn an_admin_two_admin_syncs_find_stays_with_the_first() {
    let (first, second) = two_syncs();
    let first = SyncSettings {
        sync_type: SyncType::Admin,
        roles: admin_settings().roles,
        ..first
    };
    let second = SyncSettings {
        sync_type: SyncType::Admin,
        roles: admin_settings().roles,
        ..second
    };
    let b = batch(
        vec![admin_user("1", "a@x.org")],
        vec![group("g-admins", "Admins", &["1"])],
    );
    let mut w = World::default();
    w.run(&first, &b, NOW);
    for _ in 0..2 {
        let p = w.run(&second, &b, NOW);
        assert!(
            p.admins.is_empty(),
            "the second admin sync leaves the admin alone: {:?}",
            p.admins
        );
        assert_eq!(p.conflicts.len(), 1, "and reports it");
        assert!(
            w.run(&first, &b, NOW).admins.is_empty(),
            "the first one has nothing to do"
        );
    }
}

fn push(s: &SyncSettings, snap: &Snapshot, b: &PushBatch) -> Plan {
    plan(s, snap, &Scope::Push(b), NOW)
}

#[test]
fn a_push_creates_users_without_groups_and_touches_nothing_it_does_not_name() {
    let mut snap = Snapshot::default();
    let first = PushBatch {
        users: vec![(su("1", "alice"), vec![]), (su("2", "bob"), vec![])],
        ..Default::default()
    };
    let p = push(&settings(), &snap, &first);
    assert_eq!(
        p.counts.created, 2,
        "an integration's users need no group: {p:?}"
    );
    apply(&mut snap, &p);

    // A later push names carol only: alice and bob are not in it, and must stay (a full sync would trash
    // them, a push must not).
    let later = PushBatch {
        users: vec![(su("3", "carol"), vec![])],
        ..Default::default()
    };
    let p = push(&settings(), &snap, &later);
    assert_eq!(p.counts.created, 1);
    assert_eq!(p.counts.trashed, 0, "{p:?}");
    assert_eq!(p.users.len(), 1);
    assert!(p.hold.is_none(), "pushes are never held");
}

#[test]
fn a_push_updates_disables_and_trashes_the_users_it_names() {
    let mut snap = Snapshot::default();
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            users: vec![(su("1", "alice"), vec![]), (su("2", "bob"), vec![])],
            ..Default::default()
        },
    );
    apply(&mut snap, &p);

    let mut renamed = su("1", "alice");
    renamed.attributes[2].1 = "Alice Liddell".into();
    renamed.disabled = true;
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            users: vec![(renamed, vec![])],
            removed_users: vec!["2".into()],
            ..Default::default()
        },
    );
    let alice = user_op(&p, "alice").unwrap();
    assert_eq!(
        alice.user.status,
        UserStatus::Disabled,
        "active false disables"
    );
    assert_eq!(alice.user.fields.realname.as_deref(), Some("Alice Liddell"));
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(
        bob.action,
        Action::Trash,
        "a deleted user goes to the trash"
    );
    assert_eq!(bob.user.status, UserStatus::PendingDeletion);
    apply(&mut snap, &p);

    // Pushed again (the client re-creates the user), bob comes back from the trash.
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            users: vec![(su("2", "bob"), vec![])],
            ..Default::default()
        },
    );
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(bob.user.status, UserStatus::Active, "{p:?}");
    assert_eq!(p.counts.restored, 1);
}

#[test]
fn a_push_creates_renames_and_deletes_groups_and_sets_each_users_groups() {
    let mut snap = Snapshot::default();
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            groups: vec![group("g1", "Engineering", &[]), group("g2", "Sales", &[])],
            ..Default::default()
        },
    );
    assert_eq!(
        p.counts.groups_created, 2,
        "empty groups are created (Entra creates groups before their members)"
    );
    apply(&mut snap, &p);

    // Membership comes with the users: alice is in both, bob in Sales only; the groups are not pushed
    // again, so they are found by their external ids among the groups the integration manages.
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            users: vec![
                (su("1", "alice"), vec!["g1".into(), "g2".into()]),
                (su("2", "bob"), vec!["g2".into(), "unknown".into()]),
            ],
            ..Default::default()
        },
    );
    assert_eq!(p.counts.groups_created, 0);
    let alice = user_op(&p, "alice").unwrap();
    assert_eq!(alice.user.groups.len(), 2);
    let bob = user_op(&p, "bob").unwrap();
    assert_eq!(
        bob.user.groups.len(),
        1,
        "a group the integration does not have is ignored"
    );
    apply(&mut snap, &p);

    // A rename, and a delete.
    let p = push(
        &settings(),
        &snap,
        &PushBatch {
            groups: vec![group("g1", "Platform", &[])],
            removed_groups: vec!["g2".into()],
            ..Default::default()
        },
    );
    let renamed = p
        .groups
        .iter()
        .find(|g| g.action == Action::Update)
        .unwrap();
    assert_eq!(renamed.group.name, "Platform");
    let deleted = p
        .groups
        .iter()
        .find(|g| g.action == Action::Delete)
        .unwrap();
    assert_eq!(deleted.group.name, "Sales");
    assert!(p.users.is_empty(), "no user is named, so none changes");
}

#[test]
fn a_push_leaves_a_user_to_a_sync_that_comes_first() {
    let (first, second) = two_syncs();
    let mut snap = Snapshot::default();
    let p = full(
        &first,
        &snap,
        &batch(vec![su("1", "alice")], vec![group("g1", "Staff", &["1"])]),
        NOW,
    );
    apply(&mut snap, &p);
    let p = push(
        &second,
        &snap,
        &PushBatch {
            users: vec![(su("x", "alice"), vec![])],
            ..Default::default()
        },
    );
    assert!(p.users.is_empty(), "{p:?}");
    assert_eq!(p.conflicts.len(), 1);
    assert!(!p.conflicts[0].kept);
    assert_eq!(p.conflicts[0].other_name, "All staff");
}

mod push_members;
