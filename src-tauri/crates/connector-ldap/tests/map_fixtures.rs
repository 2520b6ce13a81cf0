//! The pure mapping on entries recorded from the real servers (tests/fixtures, written by the slapd and
//! Samba tests with ROSTER_RECORD_FIXTURES=1). No server needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_connector_ldap::map::{self, Entry};
use roster_connector_ldap::{Flavor, Settings, Transport};
use std::collections::HashMap;

#[derive(serde::Deserialize)]
struct Recorded {
    users: Vec<Entry>,
    groups: Vec<Entry>,
}

fn settings() -> Settings {
    serde_json::from_value(serde_json::json!({
        "servers": ["ldap://127.0.0.1"], "transport": "starttls", "base_dn": "dc=example,dc=org",
        "disabled_when": {"attribute": "employeeType", "value": "disabled"}
    }))
    .unwrap()
}

fn batch(
    flavor: Flavor,
    s: &Settings,
    rec: Recorded,
    selected: &[&str],
    member: &str,
) -> roster_core::source::SourceBatch {
    let mut names = HashMap::new();
    let users = rec
        .users
        .into_iter()
        .map(|e| (e.dn.clone(), map::user(flavor, s, e, &mut names)))
        .collect();
    let groups: Vec<_> = rec
        .groups
        .into_iter()
        .map(|e| map::group(e, member))
        .collect();
    let sel: Vec<String> = selected.iter().map(|x| x.to_string()).collect();
    map::assemble(
        &sel,
        groups,
        users,
        member.eq_ignore_ascii_case("memberUid"),
    )
}

#[test]
fn active_directory_entries_map_to_users_with_guids_sids_and_disabled_state() {
    let rec: Recorded =
        serde_json::from_str(include_str!("fixtures/active_directory.json")).unwrap();
    let s = Settings {
        transport: Transport::Ldaps,
        ..settings()
    };
    let b = batch(
        Flavor::ActiveDirectory,
        &s,
        rec,
        &["cn=staff,cn=users,dc=samdom,dc=test"],
        "member",
    );
    assert_eq!(
        b.groups.len(),
        1,
        "the selected group is found whatever the DN's case"
    );
    assert_eq!(
        b.users.len(),
        3,
        "Staff's members through nested Engineering"
    );
    let by = |n: &str| {
        b.users
            .iter()
            .find(|u| u.first("sAMAccountName") == Some(n))
            .unwrap()
    };
    let guid = &by("alice").external_id;
    assert!(
        guid.len() == 36 && guid.split('-').count() == 5,
        "objectGUID in its text form: {guid}"
    );
    assert!(
        by("alice")
            .first("objectSid")
            .is_some_and(|s| s.starts_with("S-1-5-21-")),
        "objectSid decoded"
    );
    assert!(
        by("bob").disabled && !by("alice").disabled,
        "userAccountControl bit 2"
    );
    assert_eq!(by("zoe").first("displayName"), Some("Zoë Núñez"));
}

#[test]
fn openldap_entries_map_with_nesting_cycles_and_member_uid() {
    let s = settings();
    let rec: Recorded = serde_json::from_str(include_str!("fixtures/openldap.json")).unwrap();
    let b = batch(
        Flavor::Openldap,
        &s,
        rec,
        &["cn=staff,ou=groups,dc=example,dc=org"],
        "member",
    );
    let mut uids: Vec<&str> = b.users.iter().filter_map(|u| u.first("uid")).collect();
    uids.sort();
    assert_eq!(
        uids,
        vec!["alice", "bob", "dave", "frank", "zoe"],
        "nested members, the staff/engineering cycle visited once"
    );
    assert_eq!(
        b.users.len(),
        6,
        "and the member without a uid, which the planner will skip with an error"
    );
    let by = |n: &str| b.users.iter().find(|u| u.first("uid") == Some(n)).unwrap();
    assert!(by("bob").disabled, "pwdAccountLockedTime");
    assert!(by("frank").disabled, "the admin's disabled_when attribute");
    assert!(!by("alice").disabled);
    let rec: Recorded = serde_json::from_str(include_str!("fixtures/openldap.json")).unwrap();
    let b = batch(
        Flavor::Openldap,
        &s,
        rec,
        &["cn=ops,ou=groups,dc=example,dc=org"],
        "memberUid",
    );
    let mut uids: Vec<&str> = b.users.iter().filter_map(|u| u.first("uid")).collect();
    uids.sort();
    assert_eq!(uids, vec!["alice", "dave"], "posixGroup members by uid");
}
