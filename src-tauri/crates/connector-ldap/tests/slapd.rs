//! The LDAP connector against a real OpenLDAP `slapd` (see support/mod.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use roster_connector_ldap::{Flavor, LdapConnector, Settings, Transport};
use roster_core::source::{Connector, ConnectorError, FetchRequest};
use support::{free_port, Slapd, BASE, PASSWORD};

fn request(groups: &[&str]) -> FetchRequest {
    FetchRequest {
        since: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
        attributes: ["uid", "mail", "displayName", "telephoneNumber"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

fn connector(s: Settings) -> LdapConnector {
    LdapConnector::new(Flavor::Openldap, s, Some(PASSWORD.into()))
}

#[tokio::test]
async fn starttls_fetch_resolves_nesting_cycles_disabled_and_non_ascii() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    let staff = format!("cn=staff,ou=groups,{BASE}");
    let b = c
        .fetch(&request(&[
            &staff,
            "cn=nonexistent,ou=groups,dc=example,dc=org",
        ]))
        .await
        .unwrap();
    assert_eq!(b.groups.len(), 1);
    assert_eq!(
        b.missing_groups,
        vec!["cn=nonexistent,ou=groups,dc=example,dc=org"],
        "a selected group the server lacks is reported"
    );
    let uid = |u: &roster_core::source::SourceUser| {
        u.first("uid")
            .map(str::to_string)
            .unwrap_or_else(|| "(no uid)".into())
    };
    let mut names: Vec<String> = b.users.iter().map(uid).collect();
    names.sort();
    assert_eq!(
        names,
        vec!["(no uid)", "alice", "bob", "dave", "frank", "zoe"],
        "staff's members through nested engineering, despite the cycle back to staff"
    );
    assert_eq!(b.groups[0].members.len(), 6);
    let by = |n: &str| b.users.iter().find(|u| uid(u) == n).unwrap();
    assert!(
        by("bob").disabled,
        "pwdAccountLockedTime marks an OpenLDAP account disabled"
    );
    assert!(
        by("frank").disabled,
        "so does the attribute and value the admin named"
    );
    assert!(!by("alice").disabled);
    assert_eq!(
        by("zoe").first("displayName"),
        Some("Zoë Ñúñez"),
        "non-ASCII values arrive intact"
    );
    assert_eq!(
        by("dave").first("mail"),
        None,
        "entries lacking attributes are read without error"
    );
    assert_eq!(
        by("alice").external_id.len(),
        36,
        "entryUUID is the stable id: {}",
        by("alice").external_id
    );
}

#[tokio::test]
async fn every_transport_works_and_bad_settings_say_what_to_fix() {
    let Some(srv) = Slapd::start() else { return };
    let staff = format!("cn=staff,ou=groups,{BASE}");
    for t in [Transport::Starttls, Transport::Ldaps] {
        let b = connector(srv.settings(t)).fetch(&request(&[&staff])).await;
        assert_eq!(
            b.map(|b| b.users.len()).ok(),
            Some(6),
            "{t:?} works with the test CA"
        );
    }
    let mut clear = srv.settings(Transport::Clear);
    let err = connector(clear.clone())
        .fetch(&request(&[&staff]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectorError::Configuration(ref m) if m.contains("clear")),
        "a clear-text password bind is refused unless allowed: {err}"
    );
    clear.allow_clear_password = true;
    assert!(
        connector(clear).fetch(&request(&[&staff])).await.is_ok(),
        "and works once explicitly allowed"
    );

    let mut untrusted = srv.settings(Transport::Ldaps);
    untrusted.ca_pem = Some(srv.ca("other-ca"));
    let err = connector(untrusted)
        .fetch(&request(&[&staff]))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not trusted") || err.to_string().contains("certificate"),
        "an untrusted certificate is named as such: {err}"
    );

    let wrong = LdapConnector::new(
        Flavor::Openldap,
        srv.settings(Transport::Starttls),
        Some("wrong".into()),
    );
    let err = wrong.fetch(&request(&[&staff])).await.unwrap_err();
    assert!(
        matches!(err, ConnectorError::Unauthorized(ref m) if m.contains("invalid credentials")),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_first_server_fails_over_to_the_next() {
    let Some(srv) = Slapd::start() else { return };
    let mut s = srv.settings(Transport::Starttls);
    s.servers
        .insert(0, format!("ldap://127.0.0.1:{}", free_port()));
    let staff = format!("cn=staff,ou=groups,{BASE}");
    let b = connector(s.clone())
        .fetch(&request(&[&staff]))
        .await
        .unwrap();
    assert_eq!(b.users.len(), 6, "the second server answers");
    s.servers.truncate(1);
    let err = connector(s).fetch(&request(&[&staff])).await.unwrap_err();
    assert!(
        err.is_transient() && err.to_string().contains("refused"),
        "no server reachable is a transient error that says why: {err}"
    );
}

#[tokio::test]
async fn paging_reads_more_than_the_size_limit_and_member_uid_groups_resolve() {
    let Some(srv) = Slapd::start() else { return };
    let everyone = format!("cn=everyone,ou=groups,{BASE}");
    let b = connector(srv.settings(Transport::Starttls))
        .fetch(&request(&[&everyone]))
        .await
        .unwrap();
    assert_eq!(
        b.users.len(),
        1600,
        "1,600 members read in pages of 1,000 despite slapd's limit of 500 per search"
    );
    let mut s = srv.settings(Transport::Starttls);
    s.member_attribute = Some("memberUid".into());
    s.group_object_class = Some("posixGroup".into());
    let ops = format!("cn=ops,ou=groups,{BASE}");
    let b = connector(s).fetch(&request(&[&ops])).await.unwrap();
    let mut uids: Vec<&str> = b.users.iter().filter_map(|u| u.first("uid")).collect();
    uids.sort();
    assert_eq!(
        uids,
        vec!["alice", "dave"],
        "posixGroup members are matched by uid"
    );
    // Incrementally too: the id scan then reads uid as well, to match memberUid values.
    let c = connector({
        let mut s = srv.settings(Transport::Starttls);
        s.member_attribute = Some("memberUid".into());
        s.group_object_class = Some("posixGroup".into());
        s
    });
    let mut req = request(&[&ops]);
    req.since = Some(roster_core::source::Since {
        cursor: b.cursor.clone().expect("a full fetch returns a cursor"),
        known: b.users.iter().map(|u| u.external_id.clone()).collect(),
    });
    let quiet = c.fetch(&req).await.unwrap();
    assert!(quiet.incremental);
    let mut members: Vec<String> = quiet.groups[0]
        .members
        .iter()
        .map(|m| m.to_string())
        .collect();
    members.sort();
    let mut expected: Vec<String> = b.users.iter().map(|u| u.external_id.to_string()).collect();
    expected.sort();
    assert_eq!(
        members, expected,
        "an incremental fetch resolves memberUid members as the full one did"
    );
}

#[tokio::test]
async fn group_picker_and_individual_lookup() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    let found = c.search_groups("ENG", 10).await.unwrap();
    assert_eq!(
        found.len(),
        1,
        "type-ahead matches names case-insensitively"
    );
    assert_eq!(found[0].name, "engineering");
    assert_eq!(
        found[0].member_count,
        Some(6),
        "the picker shows member counts"
    );
    let staff = format!("cn=staff,ou=groups,{BASE}");
    let l = c
        .fetch_user(&request(&[&staff]), "uid", "zoe")
        .await
        .unwrap();
    assert_eq!(l.user.as_ref().and_then(|u| u.first("uid")), Some("zoe"));
    assert_eq!(l.groups.len(), 1);
    assert!(l.groups[0].1, "zoe is a (nested) member of staff");
    let none = c
        .fetch_user(&request(&[&staff]), "uid", "nobody")
        .await
        .unwrap();
    assert!(none.user.is_none());
}

#[tokio::test]
async fn a_stopped_server_fails_the_fetch_as_transient() {
    let Some(mut srv) = Slapd::start() else {
        return;
    };
    let c = connector(srv.settings(Transport::Starttls));
    let staff = format!("cn=staff,ou=groups,{BASE}");
    assert!(c.fetch(&request(&[&staff])).await.is_ok());
    let _ = srv.child.kill();
    let _ = srv.child.wait();
    let err = c.fetch(&request(&[&staff])).await.unwrap_err();
    assert!(
        err.is_transient(),
        "a server that went away may come back: {err}"
    );
}

#[tokio::test]
async fn test_connection_diagnoses_each_step() {
    let Some(srv) = Slapd::start() else { return };
    let checks = connector(srv.settings(Transport::Ldaps)).diagnose().await;
    let steps: Vec<(&str, bool)> = checks.iter().map(|c| (c.step.as_str(), c.ok)).collect();
    assert_eq!(
        steps,
        vec![
            ("resolve", true),
            ("connect", true),
            ("tls", true),
            ("bind", true),
            ("base_dn", true)
        ],
        "{checks:?}"
    );
    let tls = &checks[2].detail;
    assert!(
        tls.contains("CN=localhost") && tls.contains("Roster Test CA") && tls.contains("SHA-256"),
        "the certificate's subject, issuer and fingerprint are shown: {tls}"
    );

    let mut s = srv.settings(Transport::Ldaps);
    s.servers
        .insert(0, format!("ldaps://127.0.0.1:{}", free_port()));
    s.ca_pem = Some(srv.ca("other-ca"));
    let checks = connector(s).diagnose().await;
    assert!(
        checks.iter().any(|c| c.step == "connect" && !c.ok),
        "a closed port fails at connect: {checks:?}"
    );
    assert!(
        checks.iter().any(|c| c.step == "tls" && !c.ok),
        "an untrusted certificate fails at TLS: {checks:?}"
    );

    let wrong = LdapConnector::new(
        Flavor::Openldap,
        srv.settings(Transport::Starttls),
        Some("nope".into()),
    );
    let checks = wrong.diagnose().await;
    let bind = checks.iter().find(|c| c.step == "bind").unwrap();
    assert!(
        !bind.ok && bind.detail.contains("invalid credentials"),
        "{bind:?}"
    );
}

#[tokio::test]
async fn incremental_fetch_reads_only_what_changed() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    let staff = format!("cn=staff,ou=groups,{BASE}");
    let full = c.fetch(&request(&[&staff])).await.unwrap();
    assert!(!full.incremental);
    let cursor = full.cursor.clone().expect("a full fetch returns a cursor");
    let known: std::collections::HashSet<std::sync::Arc<str>> =
        full.users.iter().map(|u| u.external_id.clone()).collect();
    let mut req = request(&[&staff]);
    req.since = Some(roster_core::source::Since {
        cursor: cursor.clone(),
        known: known.clone(),
    });
    let quiet = c.fetch(&req).await.unwrap();
    assert!(
        quiet.incremental && quiet.users.is_empty(),
        "nothing changed: nothing read in full ({} users)",
        quiet.users.len()
    );
    assert_eq!(
        quiet.unchanged.len(),
        full.users.len(),
        "every member is still there, unchanged"
    );

    // One user changes.
    let (conn, mut ldap) =
        ldap3::LdapConnAsync::new(&format!("ldap://127.0.0.1:{}", srv.ldap_port))
            .await
            .unwrap();
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    ldap.simple_bind(support::ADMIN, PASSWORD)
        .await
        .unwrap()
        .success()
        .unwrap();
    let mail = std::collections::HashSet::from(["alice.new@example.org"]);
    ldap.modify(
        &format!("uid=alice,ou=people,{BASE}"),
        vec![ldap3::Mod::Replace("mail", mail)],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let changed = c.fetch(&req).await.unwrap();
    assert!(changed.incremental);
    assert_eq!(
        changed.users.len(),
        1,
        "only the changed user is read in full"
    );
    assert_eq!(
        changed.users[0].first("mail"),
        Some("alice.new@example.org")
    );
    assert_eq!(changed.unchanged.len(), full.users.len() - 1);

    // A cursor from another server means a full fetch.
    req.since = Some(roster_core::source::Since {
        cursor: format!(
            "ldap://127.0.0.1:1\n{}",
            cursor.split('\n').nth(1).unwrap_or("")
        ),
        known,
    });
    let other = c.fetch(&req).await.unwrap();
    assert!(
        !other.incremental && other.users.len() == full.users.len(),
        "change marks are per server: another server's cursor is not used"
    );
}

/// Records raw entries from slapd as fixtures for the pure mapping tests (run with ROSTER_RECORD_FIXTURES=1).
#[tokio::test]
async fn record_openldap_fixtures() {
    if std::env::var("ROSTER_RECORD_FIXTURES").as_deref() != Ok("1") {
        return;
    }
    let Some(srv) = Slapd::start() else { return };
    let s = srv.settings(Transport::Starttls);
    let mut session = roster_connector_ldap::client::open(&s, Some(PASSWORD))
        .await
        .unwrap();
    let users: Vec<_> = roster_connector_ldap::client::search(
        &mut session.ldap,
        &s,
        "(&(objectClass=inetOrgPerson)(!(uid=bulk*)))",
        &[
            "uid",
            "mail",
            "displayName",
            "cn",
            "entryUUID",
            "entryCSN",
            "pwdAccountLockedTime",
            "employeeType",
        ]
        .map(String::from),
    )
    .await
    .unwrap();
    let groups = roster_connector_ldap::client::search(
        &mut session.ldap,
        &s,
        "(&(|(objectClass=groupOfNames)(objectClass=posixGroup))(!(cn=everyone)))",
        &["cn", "description", "member", "memberUid", "entryUUID"].map(String::from),
    )
    .await
    .unwrap();
    let out = serde_json::json!({"users": users, "groups": groups});
    std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openldap.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn a_server_stopped_during_a_paged_search_fails_cleanly() {
    let Some(mut srv) = Slapd::start() else {
        return;
    };
    let mut s = srv.settings(Transport::Starttls);
    s.page_size = 5; // hundreds of pages, so the stop lands mid-search
    let c = connector(s);
    let everyone = format!("cn=everyone,ou=groups,{BASE}");
    let req = request(&[&everyone]);
    let fetch = c.fetch(&req);
    let stop = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        srv.stop();
    };
    let (result, ()) = tokio::join!(fetch, stop);
    match result {
        Err(e) => {
            eprintln!("stopped mid-search: {e}");
            assert!(
                e.is_transient(),
                "a server that went away mid-search is a transient failure: {e}"
            );
        }
        Ok(b) => {
            eprintln!(
                "the search completed before the stop ({} users)",
                b.users.len()
            );
            assert_eq!(
                b.users.len(),
                1600,
                "if the search won the race it must at least be complete"
            );
        }
    }
}
