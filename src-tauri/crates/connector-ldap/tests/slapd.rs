//! The LDAP connector against a real OpenLDAP `slapd` (see support/mod.rs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod support;

use roster_connector_ldap::{Flavor, LdapConnector, Settings, Transport};
use roster_core::source::{Connector, ConnectorError, FetchRequest};
use support::{free_port, Slapd, BASE, ESCAPED_MEMBERS, GROUPS, PASSWORD};

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
    assert_eq!(
        by("alice").locator.as_deref(),
        Some("uid=alice,ou=people,dc=example,dc=org"),
        "a user's locator is its DN, for naming a skipped entry"
    );
}

fn uids(b: &roster_core::source::SourceBatch) -> Vec<&str> {
    let mut uids: Vec<&str> = b.users.iter().filter_map(|u| u.first("uid")).collect();
    uids.sort();
    uids
}

#[tokio::test]
async fn members_named_in_other_spellings_of_their_dns_are_all_kept() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    // The group is selected by yet another spelling of its DN than slapd returns.
    let fans = "CN=Doe\\2C Fans\\2BFriends, OU=Groups, DC=Example, DC=Org";
    let b = c.fetch(&request(&[fans])).await.unwrap();
    assert!(b.missing_groups.is_empty(), "{:?}", b.missing_groups);
    assert_eq!(
        uids(&b),
        ESCAPED_MEMBERS,
        "every member value names a user (or the nested group) in an equivalent spelling: none is dropped"
    );
    assert_eq!(b.groups[0].members.len(), ESCAPED_MEMBERS.len());
    let jdoe = b
        .users
        .iter()
        .find(|u| u.first("uid") == Some("jdoe"))
        .unwrap();
    assert_eq!(
        jdoe.locator.as_deref(),
        Some("cn=Doe\\2C John,ou=people,dc=example,dc=org"),
        "the locator is the DN as slapd returned it, not a normalised form"
    );

    // An incremental fetch resolves the members the same way.
    let mut req = request(&[fans]);
    req.since = Some(roster_core::source::Since {
        cursor: b.cursor.clone().expect("a full fetch returns a cursor"),
        known: b.users.iter().map(|u| u.external_id.clone()).collect(),
    });
    let quiet = c.fetch(&req).await.unwrap();
    assert!(quiet.incremental);
    assert_eq!(
        quiet.unchanged.len(),
        ESCAPED_MEMBERS.len(),
        "every member is still there"
    );

    // uniqueMember values: an optional unique identifier (#'0101'B) is cut off, a '#' inside the DN is not.
    let mut s = srv.settings(Transport::Starttls);
    s.member_attribute = Some("uniqueMember".into());
    s.group_object_class = Some("groupOfUniqueNames".into());
    let unique = format!("cn=unique fans,ou=groups,{BASE}");
    let b = connector(s).fetch(&request(&[&unique])).await.unwrap();
    assert_eq!(uids(&b), vec!["fan", "jdoe", "renee"]);
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
async fn the_group_picker_lists_groups_for_an_empty_query() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    let all = c.search_groups("", 5000).await.unwrap();
    assert_eq!(all.len(), GROUPS, "an empty query lists every group");
    let count = |name: &str| {
        all.iter()
            .find(|g| g.name == name)
            .and_then(|g| g.member_count)
    };
    assert_eq!(count("everyone"), Some(1600));
    assert_eq!(count("Doe, Fans+Friends"), Some(9));
    assert_eq!(count("staff"), Some(2));
    let names: Vec<String> = all.iter().map(|g| g.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed by name");

    let few = c.search_groups("  ", 10).await.unwrap();
    assert_eq!(few.len(), 10, "no more than the limit");
    for g in &few {
        assert!(
            all.iter()
                .any(|a| a.external_id == g.external_id && a.member_count == g.member_count),
            "{g:?} is one of the groups, with its member count"
        );
    }
    assert!(c.search_groups("", 0).await.unwrap().is_empty());

    // The server stops at the limit: an account that may read 100 entries lists 50 of the groups (reading
    // them all would pass its limit), and a limit above the account's shortens the list, not fails it.
    let mut limited = srv.settings(Transport::Starttls);
    limited.bind_dn = Some(format!("cn=reader,{BASE}"));
    let reader = connector(limited);
    assert_eq!(reader.search_groups("", 50).await.unwrap().len(), 50);
    assert_eq!(reader.search_groups("", 500).await.unwrap().len(), 100);
    let fans = c.search_groups(" FANS ", 100).await.unwrap();
    assert_eq!(
        fans.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        vec!["Doe, Fans+Friends", "Unique Fans"],
        "a query matches inside names, in any case"
    );
    assert!(
        c.search_groups("*", 100).await.unwrap().is_empty(),
        "a '*' in a query is a character, not a wildcard"
    );
}

#[tokio::test]
async fn groups_named_finds_exactly_the_groups_of_that_name() {
    let Some(srv) = Slapd::start() else { return };
    let c = connector(srv.settings(Transport::Starttls));
    // "Staff" is inside 1,110 other names, 1,050 of which sort before it.
    let mut found: Vec<String> = c
        .groups_named("Staff")
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.external_id)
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            format!("cn=STAFF,ou=moved,{BASE}"),
            format!("cn=staff,ou=groups,{BASE}")
        ],
        "both groups named exactly Staff (in any case), in two OUs, and no other"
    );
    let one = c.groups_named("staff 007").await.unwrap();
    assert_eq!(
        one.iter()
            .map(|g| (g.name.as_str(), g.member_count))
            .collect::<Vec<_>>(),
        vec![("Staff 007", Some(1))]
    );
    let fans = c.groups_named("doe, fans+friends").await.unwrap();
    assert_eq!(fans.len(), 1, "names with DN specials are matched as text");
    assert!(c.groups_named("Staf").await.unwrap().is_empty());
    assert!(
        c.groups_named("Staff*").await.unwrap().is_empty(),
        "a '*' in a name is a character, not a wildcard"
    );
}

#[tokio::test]
async fn size_limits_and_refused_paging_say_what_to_do() {
    let Some(srv) = Slapd::start() else { return };
    let everyone = format!("cn=everyone,ou=groups,{BASE}");
    let mut s = srv.settings(Transport::Starttls);
    s.bind_dn = Some(format!("cn=reader,{BASE}"));
    let err = connector(s)
        .fetch(&request(&[&everyone]))
        .await
        .unwrap_err();
    let m = err.to_string();
    assert!(
        matches!(err, ConnectorError::Configuration(_))
            && m.contains("size limit")
            && m.contains("paged-results control")
            && m.contains("raise")
            && !m.contains("result 4"),
        "the size limit is named with what to do: {m}"
    );
    let mut s = srv.settings(Transport::Starttls);
    s.bind_dn = Some(format!("cn=nopage,{BASE}"));
    let err = connector(s)
        .fetch(&request(&[&everyone]))
        .await
        .unwrap_err();
    let m = err.to_string();
    assert!(
        matches!(err, ConnectorError::Configuration(_))
            && m.contains("paged")
            && m.contains("bind account"),
        "a refused paged search says so: {m}"
    );
}

#[tokio::test]
async fn certificate_problems_say_what_to_fix_not_the_firewall() {
    let Some(mut srv) = Slapd::start() else {
        return;
    };
    let staff = format!("cn=staff,ou=groups,{BASE}");
    let staff = staff.as_str();
    let fetch = |s: Settings| async move { connector(s).fetch(&request(&[staff])).await };
    let tls_detail = |s: Settings| async move {
        let checks = connector(s).diagnose().await;
        checks
            .iter()
            .find(|c| c.step == "tls" && !c.ok)
            .map(|c| c.detail.clone())
            .unwrap_or_else(|| panic!("the TLS step fails: {checks:?}"))
    };

    for t in [Transport::Ldaps, Transport::Starttls] {
        let mut untrusted = srv.settings(t);
        untrusted.ca_pem = Some(srv.ca("other-ca"));
        let err = fetch(untrusted.clone()).await.unwrap_err();
        let m = err.to_string();
        assert!(
            matches!(err, ConnectorError::Configuration(_))
                && m.contains("not trusted")
                && m.contains("issuing CA")
                && !m.contains("firewall"),
            "{t:?}: an untrusted certificate asks for the issuing CA's certificate: {m}"
        );
        let d = tls_detail(untrusted).await;
        assert!(d.contains("issuing CA") && !d.contains("firewall"), "{d}");
    }

    srv.reissue_server_certificate("DNS:ldap.example.test", 30);
    let err = fetch(srv.settings(Transport::Ldaps)).await.unwrap_err();
    let m = err.to_string();
    assert!(
        matches!(err, ConnectorError::Configuration(_))
            && m.contains("127.0.0.1")
            && m.contains("ldap.example.test")
            && !m.contains("firewall"),
        "a certificate for another name says which names it has: {m}"
    );
    let d = tls_detail(srv.settings(Transport::Ldaps)).await;
    assert!(
        d.contains("ldap.example.test") && !d.contains("firewall"),
        "{d}"
    );
    let mut any_name = srv.settings(Transport::Ldaps);
    any_name.verify_hostname = false;
    assert!(
        fetch(any_name).await.is_ok(),
        "only the name was wrong: without host name verification it connects"
    );

    srv.reissue_server_certificate(support::SERVER_NAMES, -1);
    let err = fetch(srv.settings(Transport::Ldaps)).await.unwrap_err();
    let m = err.to_string();
    assert!(
        matches!(err, ConnectorError::Configuration(_))
            && m.contains("expired")
            && m.contains("Renew the certificate")
            && !m.contains("firewall"),
        "an expired certificate says so: {m}"
    );
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
        "(&(|(objectClass=groupOfNames)(objectClass=posixGroup))(!(cn=everyone))(!(cn=*staff 0*)))",
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
            let m = e.to_string();
            assert!(
                e.is_transient(),
                "a server that went away mid-search is a transient failure: {e}"
            );
            assert!(
                m.contains("connection to the directory server was lost")
                    && m.contains("Check that the server is running, then sync again")
                    && !m.contains("channel closed"),
                "the message says what happened and what to do: {m}"
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
