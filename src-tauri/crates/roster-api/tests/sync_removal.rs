//! What an admin ends from a sync's page, through the application layer: deleting a sync with the seed's
//! connection choice ("Delete Directory Sync and Connection" or "Delete"), discarding a held run, and
//! cancelling a run before it applies anything; and the acting operator's permissions the window reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::json::{DirectoryStatus, RunOutcome};
use roster_api::{
    spec, Caller, Code, ConnectionChoice, DirectoryPatch, ManualClock, MemorySecrets, Options,
    PageAt, Permission, Roster, RunMode, Session, Trigger,
};
use roster_core::Timestamp;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn roster(dir: &std::path::Path, clock: Arc<ManualClock>) -> Arc<Roster> {
    Arc::new(
        Roster::new(Options {
            data_dir: dir.to_path_buf(),
            secrets: Arc::new(MemorySecrets::default()),
            clock,
            events: Arc::new(roster_api::NoEvents),
        })
        .unwrap(),
    )
}

fn add(s: &Session<'_>, spec: serde_json::Value) -> String {
    s.add_directory(spec::parse(&spec.to_string()).unwrap())
        .unwrap()
        .directory_key
}

fn connection_of(s: &Session<'_>, key: &str) -> String {
    s.list_directories()
        .unwrap()
        .into_iter()
        .find(|d| d.directory_key == key)
        .unwrap()
        .connection
        .id
}

fn connection_ids(s: &Session<'_>) -> Vec<String> {
    s.list_connections()
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[test]
fn deleting_a_sync_keeps_or_deletes_its_connection_as_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(1_800_000_000))));
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let staff = add(
        &s,
        json!({"name": "Staff", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 5}}),
    );
    let shared = connection_of(&s, &staff);
    let admins = add(
        &s,
        json!({"name": "Admins", "type": "admin", "connection": shared}),
    );
    let solo = add(
        &s,
        json!({"name": "Solo", "type": "user", "connection": {"kind": "demo", "seed": 8, "users": 5}}),
    );
    let solo_conn = connection_of(&s, &solo);

    // A connection another sync uses cannot go with this one: refused, and nothing is deleted.
    let e = s
        .delete_directory_with(&staff, ConnectionChoice::Delete)
        .unwrap_err();
    assert_eq!(e.code, Code::Conflict, "{}", e.message);
    assert!(e.message.contains("Admins"), "names the other sync: {}", e.message);
    assert_eq!(s.list_directories().unwrap().len(), 3, "nothing was deleted");
    assert!(connection_ids(&s).contains(&shared));

    // "Delete": the sync goes, the connection stays for a later sync.
    s.delete_directory_with(&staff, ConnectionChoice::Keep)
        .unwrap();
    assert!(connection_ids(&s).contains(&shared));
    // "Delete Directory Sync and Connection": both go, and the other syncs keep their order.
    s.delete_directory_with(&admins, ConnectionChoice::Delete)
        .unwrap();
    assert!(!connection_ids(&s).contains(&shared));
    s.delete_directory_with(&solo, ConnectionChoice::Keep)
        .unwrap();
    assert_eq!(connection_ids(&s), vec![solo_conn.clone()]);
    assert!(s.list_directories().unwrap().is_empty());
    // An unused connection can be deleted on its own.
    s.delete_connection(&solo_conn).unwrap();
    assert!(connection_ids(&s).is_empty());
}

#[test]
fn a_user_manager_may_not_delete_an_admin_syncs_connection() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(1_800_000_000))));
    r.create_tenant("Acme", None).unwrap();
    let owner = r.session("Acme", &Caller::Local).unwrap();
    owner
        .add_operator("uma@acme.test", "Uma", "User Manager")
        .unwrap();
    let admins = add(
        &owner,
        json!({"name": "Admins", "type": "admin", "connection": {"kind": "demo", "seed": 7, "users": 5}}),
    );
    let uma = r
        .session("Acme", &Caller::As("uma@acme.test".into()))
        .unwrap();
    let e = uma
        .delete_directory_with(&admins, ConnectionChoice::Delete)
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden);
    assert_eq!(owner.list_directories().unwrap().len(), 1);

    // What each may do, as the window reads it.
    let mine = owner.acting_as().permissions;
    assert!(mine.contains(&Permission::ConfigureAdminSyncs));
    let hers = uma.acting_as().permissions;
    assert!(hers.contains(&Permission::ConfigureUserSyncs));
    assert!(!hers.contains(&Permission::ConfigureAdminSyncs));
    assert!(!hers.contains(&Permission::RunAdminSyncs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_held_run_applies_nothing_and_the_sync_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000)));
    let r = roster(dir.path(), clock.clone());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let key = add(
        &s,
        json!({"name": "Demo", "type": "user", "connection": {"kind": "demo", "seed": 7, "users": 300}}),
    );
    let first = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(first.outcome, RunOutcome::Succeeded);
    s.update_directory(
        &key,
        DirectoryPatch {
            deletion_threshold_percent: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    clock.advance(1800);
    let before = s.users_page("", PageAt::Offset(0), 1000).unwrap();
    let held = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    assert_eq!(held.outcome, RunOutcome::Held, "{:?}", held.message);
    let held_id = held.run_id.unwrap();

    let discarded = s.discard_held_run(held_id).unwrap();
    assert_eq!(discarded.outcome, RunOutcome::Discarded);
    assert!(discarded.message.unwrap_or_default().contains("Discarded by"));
    assert_eq!(
        s.users_page("", PageAt::Offset(0), 1000).unwrap(),
        before,
        "a discarded run changes nothing"
    );
    let d = s.list_directories().unwrap().remove(0);
    assert_eq!(d.status, DirectoryStatus::Ok, "the sync is as its last full run left it");
    let again = s.discard_held_run(held_id).unwrap_err();
    assert_eq!(again.code, Code::Conflict, "{}", again.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_applies_nothing_and_says_who_cancelled_it() {
    // A directory server that accepts the connection and never answers: the run waits there.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held_open = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            open.push(sock);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path(), Arc::new(ManualClock::new(Timestamp(1_800_000_000))));
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let key = add(
        &s,
        json!({"name": "Slow LDAP", "type": "user", "groups": ["cn=staff,dc=acme,dc=test"],
            "connection": {"kind": "openldap", "servers": [format!("ldap://127.0.0.1:{port}")],
                "transport": "clear", "base_dn": "dc=acme,dc=test"}}),
    );
    assert_eq!(
        s.cancel_run(&key).unwrap_err().code,
        Code::Conflict,
        "nothing to cancel before it runs"
    );
    let run = {
        let r = r.clone();
        let key = key.clone();
        tokio::spawn(async move {
            let s = r.session("Acme", &Caller::Local).unwrap();
            s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
                .await
        })
    };
    // Cancel once the run is recorded and waits on the directory.
    while !s
        .list_runs(Some(&key), 1)
        .unwrap()
        .first()
        .is_some_and(|r| r.outcome == RunOutcome::Running)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        match s.cancel_run(&key) {
            Ok(()) => break,
            Err(e) if e.code == Code::Conflict => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.outcome, RunOutcome::Failed);
    let message = report.message.unwrap_or_default();
    assert!(message.contains("Cancelled by"), "{message}");
    assert_eq!(s.list_runs(Some(&key), 1).unwrap()[0].outcome, RunOutcome::Failed);
    assert_eq!(s.users_page("", PageAt::Offset(0), 10).unwrap().rows.len(), 0);
    held_open.abort();
}
