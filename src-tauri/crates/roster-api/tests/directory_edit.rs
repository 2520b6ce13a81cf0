//! Editing a sync from its page, through the application layer: a user sync's groups, interval and
//! threshold; an admin sync's role mapping (never Owner); and every refused edit changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::json::DirectorySummary;
use roster_api::{
    spec, Caller, Code, DirectoryPatch, ManualClock, MemorySecrets, Options, Roster, Session,
};
use roster_core::{AdminRole, Timestamp};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

fn roster(dir: &std::path::Path) -> Arc<Roster> {
    Arc::new(
        Roster::new(Options {
            data_dir: dir.to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap(),
    )
}

fn add(s: &Session<'_>, kind: &str) -> String {
    let spec = json!({"name": format!("Demo {kind}"), "type": kind, "connection": {"kind": "demo", "seed": 7, "users": 50}});
    s.add_directory(spec::parse(&spec.to_string()).unwrap())
        .unwrap()
        .directory_key
}

fn summary(s: &Session<'_>, key: &str) -> DirectorySummary {
    s.list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.directory_key == key)
        .unwrap()
}

#[test]
fn a_user_syncs_groups_interval_and_threshold_are_saved_together() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let key = add(&s, "user");
    let before = summary(&s, &key);
    assert!(before.roles.is_empty(), "a user sync maps no roles");
    assert_eq!(before.attributes.username, before.username_attribute);
    let group = before.groups[0].clone();

    let after = s
        .update_directory(
            &key,
            DirectoryPatch {
                groups: Some(vec![group.clone()]),
                interval_minutes: Some(90),
                deletion_threshold_percent: Some(12),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(after.groups, vec![group]);
    assert_eq!(after.interval_minutes, 90);
    assert_eq!(after.deletion_threshold_percent, 12);
    assert_eq!(summary(&s, &key), after, "the list reads what was saved");

    let mut roles = BTreeMap::new();
    roles.insert("cn=x".to_string(), AdminRole::HelpDesk);
    let refused = s
        .update_directory(
            &key,
            DirectoryPatch {
                roles: Some(roles),
                deletion_threshold_percent: Some(40),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(refused.code, Code::Validation, "{}", refused.message);
    assert!(
        refused.message.contains("Only admin syncs"),
        "{}",
        refused.message
    );
    assert_eq!(summary(&s, &key), after, "a refused edit changes nothing");
}

#[test]
fn an_admin_syncs_role_mapping_is_saved_and_owner_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let key = add(&s, "admin");
    let before = summary(&s, &key);
    assert!(!before.roles.is_empty(), "the demo maps its role groups");
    let group = before.roles.keys().next().unwrap().clone();

    let mut roles = BTreeMap::new();
    roles.insert(group.clone(), AdminRole::HelpDesk);
    let after = s
        .update_directory(
            &key,
            DirectoryPatch {
                roles: Some(roles.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(after.roles, roles);
    assert_eq!(after.groups, vec![format!("{group} → Help Desk")]);

    let mut owner = roles.clone();
    owner.insert("cn=Owners".into(), AdminRole::Owner);
    for (patch, says) in [
        (
            DirectoryPatch {
                roles: Some(owner),
                interval_minutes: Some(30),
                ..Default::default()
            },
            "Owners are never synced",
        ),
        (
            DirectoryPatch {
                roles: Some(BTreeMap::new()),
                ..Default::default()
            },
            "at least one group",
        ),
        (
            DirectoryPatch {
                groups: Some(vec![group.clone()]),
                ..Default::default()
            },
            "maps groups to roles",
        ),
    ] {
        let e = s.update_directory(&key, patch).unwrap_err();
        assert_eq!(e.code, Code::Validation, "{}", e.message);
        assert!(e.message.contains(says), "{}", e.message);
        assert_eq!(summary(&s, &key), after, "a refused edit changes nothing");
    }
}
