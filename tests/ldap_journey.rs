//! OpenLDAP through every layer: a spec file with a CA file and a bind password, the password in the
//! secret store (never the tenant database), syncs against a real slapd, the server stopped mid-sync, a
//! rename and a move that keep the user, and a user removed from the groups then added back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

#[path = "../src-tauri/crates/connector-ldap/tests/support/mod.rs"]
mod slapd;

use roster_api::{
    spec, Caller, ManualClock, MemorySecrets, Options, Roster, RunMode, SecretStore, Session,
    Trigger,
};
use roster_core::Timestamp;
use slapd::{Slapd, ADMIN, BASE, PASSWORD};
use std::sync::Arc;

async fn admin(srv: &Slapd) -> ldap3::Ldap {
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
    ldap
}

fn status(s: &Session<'_>, username: &str) -> Option<String> {
    s.users_page(username, roster_api::PageAt::Offset(0), 10)
        .unwrap()
        .rows
        .into_iter()
        .find(|u| u.username == username)
        .map(|u| u.status.as_str().to_string())
}

#[tokio::test]
async fn openldap_sync_through_the_application_layer() {
    let Some(mut srv) = Slapd::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: secrets.clone(),
        clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, srv.ca("test-ca")).unwrap();
    let spec_text = format!(
        r#"{{"name": "Staff", "type": "user",
            "connection": {{"kind": "openldap", "servers": ["ldap://127.0.0.1:{}"], "transport": "starttls",
                            "ca_cert_file": "{}", "bind_dn": "{ADMIN}", "bind_password": "{PASSWORD}", "base_dn": "{BASE}",
                            "disabled_when": {{"attribute": "employeeType", "value": "disabled"}}}},
            "groups": ["cn=staff,ou=groups,{BASE}"],
            "attributes": {{"username": "uid", "email": "mail", "realname": "displayName"}},
            "deletion_threshold_percent": 50}}"#,
        srv.ldap_port,
        ca.display()
    );
    // Before saving: test the connection and pick groups from the unsaved settings.
    let draft: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(&spec_text).unwrap()["connection"].clone();
    let mut draft = draft;
    draft["ca_pem"] = serde_json::Value::String(srv.ca("test-ca"));
    draft.as_object_mut().unwrap().remove("ca_cert_file");
    let checks = s.test_connection_draft(draft.clone()).await.unwrap();
    assert!(
        checks
            .last()
            .is_some_and(|c| c.ok && c.step == roster_api::json::CheckStep::BaseDn),
        "an unsaved connection can be tested: {checks:?}"
    );
    let groups = s
        .search_groups_draft(draft.clone(), "sta", 10)
        .await
        .unwrap();
    assert_eq!(
        groups[0].external_id.to_lowercase(),
        format!("cn=staff,ou=groups,{BASE}"),
        "and its groups picked by name"
    );
    assert!(
        s.list_connections().unwrap().is_empty(),
        "testing saves nothing"
    );
    let mut bad = draft;
    bad["bind_password"] = serde_json::Value::String("wrong".into());
    let checks = s.test_connection_draft(bad).await.unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c.step == roster_api::json::CheckStep::Bind && !c.ok),
        "a wrong password fails at the bind step: {checks:?}"
    );

    let mut spec = spec::parse(&spec_text).unwrap();
    spec.read_files().unwrap(); // what rosterctl and the app do: the CA file is read on this machine
    let key = s.add_directory(spec).unwrap().directory_key;
    let conn = s.list_connections().unwrap().remove(0);
    assert_eq!(conn.kind.as_str(), "openldap");
    assert!(
        conn.config.get("ca_pem").is_some(),
        "the CA certificate is kept with the connection"
    );
    let stored = secrets
        .get(&format!("acme/{}/bind_password", conn.id))
        .unwrap()
        .map(|s| s.0);
    assert_eq!(
        stored.as_deref(),
        Some(PASSWORD),
        "the bind password is in the secret store"
    );
    let db = std::fs::read(dir.path().join("tenants/acme.sqlite3")).unwrap();
    let wal = std::fs::read(dir.path().join("tenants/acme.sqlite3-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes
                .windows(b"bind_password".len())
                .any(|w| w == b"bind_password"),
            "no password field in the tenant database"
        );
    }

    let checks = s.test_connection(&conn.id).await.unwrap();
    assert!(
        checks.len() == 5 && checks.iter().all(|c| c.ok),
        "Test connection passes every step: {checks:?}"
    );
    let picked = s.search_groups(&conn.id, "eng", 10).await.unwrap();
    assert_eq!(
        picked.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        vec!["engineering"],
        "the group picker searches by name"
    );

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
    assert_eq!(
        first.counts.created, 5,
        "alice, bob, zoe, dave, frank: {:?}",
        first.counts
    );
    assert_eq!(
        first.counts.skipped, 1,
        "the entry without a uid is skipped, and the run goes on"
    );
    assert!(
        first.errors[0].message.contains("\"uid\""),
        "{:?}",
        first.errors
    );
    assert_eq!(status(&s, "bob").as_deref(), Some("disabled"));
    assert_eq!(status(&s, "frank").as_deref(), Some("disabled"));
    assert_eq!(status(&s, "alice").as_deref(), Some("active"));

    // The server stops: the run fails and changes nothing; once it is back the next run succeeds.
    srv.stop();
    let before = s
        .users_page("", roster_api::PageAt::Offset(0), 100)
        .unwrap();
    let failed = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Schedule)
        .await
        .unwrap();
    assert_eq!(failed.outcome, roster_api::json::RunOutcome::Failed);
    assert!(
        failed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("nothing was changed")),
        "{:?}",
        failed.message
    );
    assert_eq!(
        s.users_page("", roster_api::PageAt::Offset(0), 100)
            .unwrap(),
        before,
        "a failed run changes nothing"
    );
    srv.restart();

    // A rename (uid zoe -> zoe.n) and a move (alice to ou=moved): same entryUUID, same Roster user.
    let mut ldap = admin(&srv).await;
    ldap.modifydn(
        &format!("uid=zoe,ou=people,{BASE}"),
        "uid=zoe.n",
        true,
        None,
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    ldap.modifydn(
        &format!("uid=alice,ou=people,{BASE}"),
        "uid=alice",
        true,
        Some(&format!("ou=moved,{BASE}")),
    )
    .await
    .unwrap()
    .success()
    .unwrap();
    // slapd's refint overlay rewrites the groups' member values after the move returns, in the
    // background; wait for it, as a later sync would.
    let moved = format!("uid=alice,ou=moved,{BASE}");
    for attempt in 0.. {
        let (entries, _) = ldap
            .search(
                &format!("cn=staff,ou=groups,{BASE}"),
                ldap3::Scope::Base,
                "(objectClass=*)",
                vec!["member"],
            )
            .await
            .unwrap()
            .success()
            .unwrap();
        let members = ldap3::SearchEntry::construct(entries[0].clone())
            .attrs
            .remove("member")
            .unwrap_or_default();
        if members.iter().any(|m| m.eq_ignore_ascii_case(&moved)) {
            break;
        }
        // refint rewrites member values in a background thread: on a loaded machine that can take a while,
        // so wait generously (30 s) — only a refint that never runs fails the test.
        assert!(attempt < 600, "slapd's refint never updated the group");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let zoe_id = s
        .users_page("zoe", roster_api::PageAt::Offset(0), 10)
        .unwrap()
        .rows[0]
        .user_id
        .clone();
    let after = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        after.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        after.message
    );
    assert_eq!(
        after.counts.trashed, 0,
        "neither the renamed nor the moved user is lost: {:?}",
        after.changes
    );
    let renamed = s
        .users_page("zoe.n", roster_api::PageAt::Offset(0), 10)
        .unwrap()
        .rows;
    assert_eq!(renamed.len(), 1);
    assert_eq!(
        renamed[0].user_id, zoe_id,
        "the rename kept the user (entryUUID)"
    );
    assert_eq!(
        status(&s, "alice").as_deref(),
        Some("active"),
        "the move kept alice in her groups"
    );

    // Removed from the group: trash; added back: restored.
    let staff = format!("cn=engineering,ou=groups,{BASE}");
    let dave = format!("uid=dave,ou=people,{BASE}");
    let rm = ldap3::Mod::Delete("member", std::collections::HashSet::from([dave.as_str()]));
    ldap.modify(&staff, vec![rm])
        .await
        .unwrap()
        .success()
        .unwrap();
    let removed = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert!(
        removed
            .changes
            .iter()
            .any(|c| c.key == "dave" && c.action == roster_core::plan::Action::Trash),
        "{:?}",
        removed.changes
    );
    let add = ldap3::Mod::Add("member", std::collections::HashSet::from([dave.as_str()]));
    ldap.modify(&staff, vec![add])
        .await
        .unwrap()
        .success()
        .unwrap();
    let back = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert!(
        back.changes
            .iter()
            .any(|c| c.key == "dave" && c.action == roster_core::plan::Action::Restore),
        "{:?}",
        back.changes
    );
    let one = s
        .run_sync(&key, RunMode::Individual("zoe.n".into()), Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(
        one.counts.seen, 1,
        "an individual sync reads the one user from the directory"
    );
}
