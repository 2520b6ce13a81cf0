//! An individual lookup (one user's sync) reads only the groups containing the user, walking upward
//! through nesting; these tests check, against a real slapd, that it says exactly what a full fetch of
//! the same directory says about each user: found or not, its attributes, and for every selected group
//! its name, description and whether the user is in it (nested, through cycles, spelt otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use roster_connector_ldap::{Flavor, LdapConnector, Settings, Transport};
use roster_core::source::{Connector, FetchRequest, SourceBatch, SourceLookup};
use support::{Slapd, BASE, PASSWORD};

fn request(groups: &[String]) -> FetchRequest {
    FetchRequest {
        since: None,
        groups: groups.to_vec(),
        attributes: ["uid", "mail", "displayName", "telephoneNumber"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

type Membership = (String, String, Option<String>, bool);

/// What the full fetch says about the user with `uid`: (external id, group, name, description, member).
fn from_full(full: &SourceBatch, id: &str) -> Vec<Membership> {
    full.groups
        .iter()
        .map(|g| {
            let member = g.members.iter().any(|m| &**m == id);
            (
                g.external_id.clone(),
                g.name.clone(),
                g.description.clone(),
                member,
            )
        })
        .collect()
}

fn from_lookup(l: &SourceLookup) -> Vec<Membership> {
    l.groups
        .iter()
        .map(|(g, m)| {
            (
                g.external_id.clone(),
                g.name.clone(),
                g.description.clone(),
                *m,
            )
        })
        .collect()
}

/// Compares the lookup of each of `uids` with the full fetch; returns how many memberships were found.
async fn same_as_full(s: Settings, groups: &[String], uids: &[&str]) -> usize {
    let c = LdapConnector::new(Flavor::Openldap, s, Some(PASSWORD.into()));
    let req = request(groups);
    let full = c.fetch(&req).await.unwrap();
    let mut found = 0;
    for uid in uids {
        let l = c.fetch_user(&req, "uid", uid).await.unwrap();
        let Some(user) = &l.user else {
            assert!(uid.starts_with("nobody"), "{uid} exists in the directory");
            assert!(l.groups.iter().all(|(_, m)| !m), "no one is in no group");
            assert_eq!(
                l.groups.len(),
                full.groups.len(),
                "the selected groups are listed even for a user not found"
            );
            continue;
        };
        assert_eq!(user.first("uid"), Some(*uid));
        let expected = from_full(&full, &user.external_id);
        assert_eq!(from_lookup(&l), expected, "{uid}'s groups");
        for (g, m) in &l.groups {
            let members: Vec<&str> = g.members.iter().map(|m| &**m).collect();
            let alone: Vec<&str> = if *m { vec![&*user.external_id] } else { vec![] };
            assert_eq!(
                members, alone,
                "a lookup's group lists the user alone, or no one"
            );
        }
        match full
            .users
            .iter()
            .find(|u| u.external_id == user.external_id)
        {
            Some(u) => assert_eq!(u, user, "{uid} reads as in the full fetch"),
            None => assert!(
                expected.iter().all(|(_, _, _, m)| !m),
                "{uid} is in no selected group, as the full fetch has it"
            ),
        }
        found += l.groups.iter().filter(|(_, m)| *m).count();
    }
    found
}

fn g(rdn: &str) -> String {
    format!("{rdn},ou=groups,{BASE}")
}

#[tokio::test]
async fn a_lookup_finds_the_groups_a_full_fetch_finds() {
    let Some(srv) = Slapd::start() else { return };
    let s = srv.settings(Transport::Starttls);
    let selected = vec![
        g("cn=staff"),       // alice; engineering nested, and staff inside it (a cycle)
        g("CN=Engineering"), // spelt otherwise than slapd returns it
        g("cn=Doe\\2C Fans\\2BFriends"), // escaped; C# Devs nested (alice); members spelt otherwise
        g("cn=C# Devs"),
        format!("cn=STAFF,ou=moved,{BASE}"), // bob
        g("cn=no such group"),               // missing: listed by neither
        "cn=elsewhere,dc=other".to_string(), // outside the base DN
        g("cn=staff"),                       // selected twice: listed twice, as the full fetch does
    ];
    let uids = [
        "alice",
        "bob",
        "zoe",
        "dave",
        "frank",
        "jdoe",
        "smithjones",
        "ann",
        "fan",
        "renee",
        "padded",
        "jim",
        "backslash",
        "bulk7",
        "nobody",
    ];
    let found = same_as_full(s, &selected, &uids).await;
    // alice: staff (twice), engineering (nested both ways), Doe Fans+Friends (via C# Devs), C# Devs; bob:
    // staff (twice), engineering, STAFF; zoe, dave, frank: staff (twice), engineering; the eight escaped
    // names: Doe Fans+Friends (alice counted above).
    assert_eq!(found, 5 + 4 + 3 * 3 + 8, "the nested memberships are found");
}

#[tokio::test]
async fn lookups_match_full_fetches_for_member_uid_and_unique_member_groups() {
    let Some(srv) = Slapd::start() else { return };
    let mut s = srv.settings(Transport::Starttls);
    s.member_attribute = Some("memberUid".into());
    s.group_object_class = Some("posixGroup".into());
    let found = same_as_full(s, &[g("cn=ops")], &["alice", "dave", "zoe", "nobody"]).await;
    assert_eq!(found, 2, "alice and dave are in ops by uid");

    let mut s = srv.settings(Transport::Starttls);
    s.member_attribute = Some("uniqueMember".into());
    s.group_object_class = Some("groupOfUniqueNames".into());
    let found = same_as_full(
        s,
        &[g("cn=Unique Fans")],
        &["jdoe", "fan", "renee", "alice"],
    )
    .await;
    assert_eq!(found, 3, "uniqueMember values with and without a unique id");
}
