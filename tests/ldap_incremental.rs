//! Incremental LDAP syncs leave exactly the state a full sync would: two tenants sync the same slapd, one
//! with scheduled (incremental) runs and one with Sync Now (full) runs, through the same changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../src-tauri/crates/connector-ldap/tests/support/mod.rs"]
mod slapd;

use roster_api::{
    spec, Caller, ManualClock, MemorySecrets, Options, Roster, RunMode, Session, Trigger,
};
use roster_core::Timestamp;
use slapd::{Slapd, ADMIN, BASE, PASSWORD};
use std::collections::HashSet;
use std::sync::Arc;

fn roster(dir: &std::path::Path, clock: Arc<ManualClock>) -> Roster {
    Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock,
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap()
}

/// A user as a list shows it: username, status, email, name, groups.
type Shown = (String, String, Option<String>, Option<String>, Vec<String>);

/// Everything a user list shows, without the per-tenant ids.
fn state(s: &Session<'_>) -> Vec<Shown> {
    let mut all: Vec<_> = s
        .users_page("", roster_api::PageAt::Offset(0), 1000)
        .unwrap()
        .rows
        .into_iter()
        .chain(
            s.trash_page("", roster_api::PageAt::Offset(0), 1000)
                .unwrap()
                .rows,
        )
        .map(|u| {
            (
                u.username,
                u.status.as_str().to_string(),
                u.email,
                u.realname,
                u.groups,
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn incremental_runs_end_where_full_runs_end() {
    let Some(srv) = Slapd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000)));
    let r = roster(dir.path(), clock.clone());
    let spec_text = format!(
        r#"{{"name": "Staff", "type": "user",
            "connection": {{"kind": "openldap", "servers": ["ldap://127.0.0.1:{}"], "transport": "starttls", "ca_pem": {},
                            "bind_dn": "{ADMIN}", "bind_password": "{PASSWORD}", "base_dn": "{BASE}",
                            "disabled_when": {{"attribute": "employeeType", "value": "disabled"}}}},
            "groups": ["cn=staff,ou=groups,{BASE}"], "deletion_threshold_percent": 100}}"#,
        srv.ldap_port,
        serde_json::to_string(&srv.ca("test-ca")).unwrap()
    );
    let mut keys = Vec::new();
    for name in ["Incremental", "Full"] {
        r.create_tenant(name, None).unwrap();
        let s = r.session(name, &Caller::Local).unwrap();
        let key = s
            .add_directory(spec::parse(&spec_text).unwrap())
            .unwrap()
            .directory_key;
        let first = s
            .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
            .await
            .unwrap();
        assert_eq!(
            first.outcome,
            roster_api::json::RunOutcome::Succeeded,
            "{:?}",
            first.message
        );
        keys.push(key);
    }

    // Changes of every kind: an attribute, a disable, a new member, a removal, a deletion, and an existing
    // unchanged person added to a selected group (their own entry does not change).
    let (conn, mut ldap) =
        ldap3::LdapConnAsync::new(&format!("ldap://127.0.0.1:{}", srv.ldap_port))
            .await
            .unwrap();
    tokio::spawn(async move {
        let _ = conn.drive().await;
    });
    ldap.simple_bind(ADMIN, PASSWORD)
        .await
        .unwrap()
        .success()
        .unwrap();
    let people = |uid: &str| format!("uid={uid},ou=people,{BASE}");
    let set = |v: &'static str| HashSet::from([v]);
    ldap.modify(
        &people("alice"),
        vec![ldap3::Mod::Replace("mail", set("alice.smith@example.org"))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.modify(
        &people("zoe"),
        vec![ldap3::Mod::Add("employeeType", set("disabled"))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.add(
        &people("gina"),
        vec![
            ("objectClass", set("inetOrgPerson")),
            ("uid", set("gina")),
            ("cn", set("Gina")),
            ("sn", set("Gina")),
            ("mail", set("gina@example.org")),
        ],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    let eng = format!("cn=engineering,ou=groups,{BASE}");
    let gina = people("gina");
    let bulk = people("bulk7");
    let dave = people("dave");
    ldap.modify(
        &eng,
        vec![ldap3::Mod::Add(
            "member",
            HashSet::from([gina.as_str(), bulk.as_str()]),
        )],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.modify(
        &eng,
        vec![ldap3::Mod::Delete("member", HashSet::from([dave.as_str()]))],
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.delete(&people("frank"))
        .await
        .unwrap()
        .success()
        .unwrap();

    clock.advance(1800);
    let s = r.session("Incremental", &Caller::Local).unwrap();
    let inc = s
        .run_sync(
            &keys[0],
            RunMode::Full { approve: false },
            Trigger::Schedule,
        )
        .await
        .unwrap();
    assert_eq!(
        inc.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        inc.message
    );
    let inc_dir = s.list_directories().unwrap().remove(0);
    assert_eq!(
        inc_dir.last_full_sync.as_deref(),
        Some(Timestamp(1_800_000_000).to_rfc3339().as_str()),
        "the scheduled run was incremental (it did not move the last full sync)"
    );
    let inc_state = state(&s);
    let inc_changes: Vec<(String, roster_core::plan::Action)> = inc
        .changes
        .iter()
        .map(|c| (c.key.clone(), c.action))
        .collect();

    let s = r.session("Full", &Caller::Local).unwrap();
    let full = s
        .run_sync(&keys[1], RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        full.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        full.message
    );
    let full_state = state(&s);
    let full_changes: Vec<(String, roster_core::plan::Action)> = full
        .changes
        .iter()
        .map(|c| (c.key.clone(), c.action))
        .collect();

    assert_eq!(inc_changes, full_changes, "the same changes are planned");
    assert_eq!(
        inc_state, full_state,
        "an incremental run leaves exactly the state a full run does"
    );
    for (who, action) in [
        ("alice", "update"),
        ("zoe", "disable"),
        ("gina", "create"),
        ("bulk7", "create"),
        ("dave", "trash"),
        ("frank", "trash"),
    ] {
        assert!(
            inc_changes.contains(&(
                who.to_string(),
                roster_core::plan::Action::parse(action).unwrap()
            )),
            "{who} {action}: {inc_changes:?}"
        );
    }

    // A day later, or after a configuration change, a scheduled run reads everything again.
    clock.advance(86_400);
    let s = r.session("Incremental", &Caller::Local).unwrap();
    let daily = s
        .run_sync(
            &keys[0],
            RunMode::Full { approve: false },
            Trigger::Schedule,
        )
        .await
        .unwrap();
    assert_eq!(daily.outcome, roster_api::json::RunOutcome::Succeeded);
    let moved = s.list_directories().unwrap().remove(0).last_full_sync;
    assert_eq!(
        moved.as_deref(),
        Some(
            Timestamp(1_800_000_000 + 1800 + 86_400)
                .to_rfc3339()
                .as_str()
        ),
        "the daily full sync moved the last full sync"
    );
}
