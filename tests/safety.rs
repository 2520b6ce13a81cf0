//! What must never happen, through the application layer every front door uses: a failed add that leaves
//! something behind, files other users can read, a secret that cannot be entered again, two syncs taking
//! the same people from each other, one tenant's run showing in another, a read that writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::{
    json, spec, Caller, Code, Event, EventSink, ManualClock, MemorySecrets, Options, PageAt,
    Roster, RunMode, SecretStore, Session, Trigger,
};
use roster_core::Timestamp;
use std::sync::{Arc, Mutex};

const T0: i64 = 1_800_000_000;

/// A secret store that counts what it holds, so a test can see nothing was left behind.
#[derive(Default)]
struct Counted(MemorySecrets, Mutex<std::collections::BTreeSet<String>>);

impl SecretStore for Counted {
    fn get(
        &self,
        key: &str,
    ) -> Result<Option<roster_secrets::Sensitive<String>>, roster_secrets::SecretError> {
        self.0.get(key)
    }
    fn set(
        &self,
        key: &str,
        value: &roster_secrets::Sensitive<String>,
    ) -> Result<(), roster_secrets::SecretError> {
        self.1.lock().unwrap().insert(key.to_string());
        self.0.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), roster_secrets::SecretError> {
        self.1.lock().unwrap().remove(key);
        self.0.delete(key)
    }
    fn kind(&self) -> &'static str {
        "keychain"
    }
}

/// Events, kept.
#[derive(Default)]
struct Kept(Mutex<Vec<Event>>);

impl EventSink for Kept {
    fn emit(&self, event: Event) {
        self.0.lock().unwrap().push(event);
    }
}

fn roster_with(
    dir: &std::path::Path,
    secrets: Arc<dyn SecretStore>,
    events: Arc<dyn EventSink>,
) -> Arc<Roster> {
    Arc::new(
        Roster::new(Options {
            data_dir: dir.to_path_buf(),
            secrets,
            clock: Arc::new(ManualClock::new(Timestamp(T0))),
            events,
        })
        .unwrap(),
    )
}

fn roster(dir: &std::path::Path) -> Arc<Roster> {
    roster_with(
        dir,
        Arc::new(MemorySecrets::default()),
        Arc::new(roster_api::NoEvents),
    )
}

fn ldap_spec(name: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "type": "user", {extra}
            "connection": {{"kind": "openldap", "servers": ["ldaps://127.0.0.1:1"], "transport": "ldaps",
                           "bind_dn": "cn=admin,dc=example,dc=org", "bind_password": "s3cret-pw", "base_dn": "dc=example,dc=org"}}}}"#
    )
}

#[test]
fn a_failed_add_leaves_no_connection_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(Counted::default());
    let r = roster_with(dir.path(), secrets.clone(), Arc::new(roster_api::NoEvents));
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    s.add_directory(
        spec::parse(&ldap_spec(
            "Staff",
            r#""groups": ["cn=staff,dc=example,dc=org"],"#,
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        secrets.1.lock().unwrap().len(),
        1,
        "the first add keeps its password"
    );
    let failing = [
        // A duplicate name.
        ldap_spec("staff", r#""groups": ["cn=staff,dc=example,dc=org"],"#),
        // No group.
        ldap_spec("Other", ""),
    ];
    for text in &failing {
        let spec = spec::parse(text).unwrap();
        let err = s.add_directory(spec).unwrap_err();
        assert!(err.message.contains("Nothing was added"), "{}", err.message);
    }
    // An Owner role and an unknown role are refused when the spec is read, before anything is written.
    for role in ["Owner", "Wizard"] {
        let text = format!(
            r#"{{"name": "Admins", "type": "admin", "roles": {{"cn=admins,dc=example,dc=org": "{role}"}},
                "connection": {{"kind": "openldap", "servers": ["ldaps://127.0.0.1:1"], "transport": "ldaps",
                               "bind_dn": "cn=admin,dc=example,dc=org", "bind_password": "pw", "base_dn": "dc=example,dc=org"}}}}"#
        );
        assert!(spec::parse(&text).is_err(), "{role} is refused");
    }
    assert_eq!(
        s.list_connections().unwrap().len(),
        1,
        "failed adds leave no connection behind"
    );
    assert_eq!(
        secrets.1.lock().unwrap().len(),
        1,
        "and no orphaned bind password"
    );
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_tenant_files_are_private_and_reads_create_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let r = roster(&data);
    assert!(r.list_tenants().unwrap().is_empty());
    assert!(
        !data.exists(),
        "listing tenants (a read-only command) does not create the data directory"
    );
    r.create_tenant("Acme", None).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory is private");
    assert_eq!(mode(&data.join("tenants")), 0o700);
    assert_eq!(
        mode(&data.join("tenants/acme.sqlite3")),
        0o600,
        "tenant files hold personal data"
    );
    // A data directory from an older Roster, created under a usual umask.
    drop(r);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        data.join("tenants/acme.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let r = roster(&data);
    r.session("Acme", &Caller::Local).unwrap();
    assert_eq!(mode(&data), 0o700, "made private when opened");
    assert_eq!(mode(&data.join("tenants/acme.sqlite3")), 0o600);
}

#[tokio::test]
async fn a_secret_missing_after_an_import_is_entered_again() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster_with(
        dir.path(),
        Arc::new(Counted::default()),
        Arc::new(roster_api::NoEvents),
    );
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    s.add_directory(
        spec::parse(&ldap_spec(
            "Staff",
            r#""groups": ["cn=staff,dc=example,dc=org"],"#,
        ))
        .unwrap(),
    )
    .unwrap();
    let export = s.export_tenant().unwrap();
    r.import_tenant("Copy", &export).unwrap();
    let s = r.session("Copy", &Caller::Local).unwrap();
    let c = s.list_connections().unwrap().remove(0);
    assert_eq!(
        c.status,
        roster_api::json::ConnectionStatus::NeedsCredentials,
        "an import never carries secrets"
    );
    let key = s.list_directories().unwrap().remove(0).directory_key;
    let run = s
        .run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    let message = run.message.unwrap_or_default();
    assert_eq!(run.outcome, roster_api::json::RunOutcome::Failed);
    assert!(
        message.contains("not in the OS keychain")
            && message.contains(&format!("rosterctl connection set-secret {}", c.id)),
        "the failure names the store in use and how to enter the password again: {message}"
    );
    let err = s
        .set_connection_secret(&c.id, roster_secrets::Sensitive(String::new()))
        .unwrap_err();
    assert_eq!(err.code, Code::Validation, "an empty secret is refused");
    let c = s
        .set_connection_secret(&c.id, roster_secrets::Sensitive("s3cret-pw".into()))
        .unwrap();
    assert_eq!(
        c.status,
        roster_api::json::ConnectionStatus::Ready,
        "entering it makes the connection ready"
    );
    let checks = s.test_connection(&c.id).await.unwrap();
    assert!(
        checks
            .iter()
            .all(|k| !k.detail.contains("not in the OS keychain")),
        "the password is found now (the unreachable test server fails later steps): {checks:?}"
    );
}

fn demo(name: &str, seed: u64, groups: &str) -> spec::DirectorySpec {
    spec::parse(&format!(
        r#"{{"name": "{name}", "type": "user", "deletion_threshold_percent": 100, "groups": {groups},
            "connection": {{"kind": "demo", "seed": {seed}, "users": 400}}}}"#
    ))
    .unwrap()
}

fn owners(s: &Session<'_>) -> std::collections::BTreeMap<String, Option<String>> {
    let mut out = std::collections::BTreeMap::new();
    let mut after = String::new();
    loop {
        let page = s.users_page("", PageAt::After(&after), 500).unwrap();
        for u in &page.rows {
            out.insert(u.username.clone(), u.managed_by.clone());
        }
        match page.next {
            Some(k) => after = k,
            None => return out,
        }
    }
}

#[tokio::test]
async fn two_syncs_of_overlapping_directories_settle_instead_of_flipping() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    // Two connections to the same demo directory: "All staff" selects everyone, "Engineering" one
    // division, so every engineer is found by both; both select Leadership.
    let first = s
        .add_directory(demo(
            "All staff",
            7,
            r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo", "cn=Leadership,ou=Groups,dc=northwind,dc=demo"]"#,
        ))
        .unwrap();
    assert!(first.conflicts.is_empty());
    let second = s
        .add_directory(demo(
            "Engineering",
            7,
            r#"["cn=Engineering,ou=Groups,dc=northwind,dc=demo", "cn=Leadership,ou=Groups,dc=northwind,dc=demo"]"#,
        ))
        .unwrap();
    assert!(
        second
            .conflicts
            .iter()
            .any(|c| c.contains("All staff") && c.contains("comes first")),
        "the overlap is reported when the second sync is added: {:?}",
        second.conflicts
    );
    let run = |key: String| {
        let s = &s;
        async move {
            s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
                .await
                .unwrap()
        }
    };
    // The second runs first and creates the engineers; the first takes them over, once.
    let b = run(second.directory_key.clone()).await;
    assert_eq!(
        b.outcome,
        roster_api::json::RunOutcome::Succeeded,
        "{:?}",
        b.message
    );
    let a = run(first.directory_key.clone()).await;
    assert!(a.counts.taken_over > 0, "{:?}", a.counts);
    // The demo directory changes a little at every run (hires, leavers), so a new hire may be created by
    // the second sync and then taken by the first; what must never happen is a user going back.
    for round in 0..3 {
        let before = owners(&s);
        let b = run(second.directory_key.clone()).await;
        assert_eq!(b.counts.taken_over, 0, "round {round}: nothing flips back");
        assert!(
            b.conflicts
                .iter()
                .any(|c| !c.kept && c.other_name == "All staff"),
            "round {round}: the second sync reports what it leaves to the first"
        );
        let created_by_second: Vec<&str> = b
            .changes
            .iter()
            .filter(|c| c.action == roster_core::plan::Action::Create)
            .map(|c| c.key.as_str())
            .collect();
        let a = run(first.directory_key.clone()).await;
        let taken: Vec<&str> = a
            .changes
            .iter()
            .filter(|c| c.action == roster_core::plan::Action::TakeOver)
            .map(|c| c.key.as_str())
            .collect();
        assert!(
            taken.iter().all(|k| created_by_second.contains(k)),
            "round {round}: the first sync takes over only new hires the second saw first: {taken:?}"
        );
        assert!(
            a.conflicts
                .iter()
                .any(|c| c.kept && c.other_name == "Engineering"),
            "round {round}: the first sync reports the overlap too"
        );
        let after = owners(&s);
        for (user, owner) in &before {
            if let Some(now) = after.get(user) {
                assert!(
                    now == owner || owner.as_deref() != Some("All staff"),
                    "round {round}: {user} left the first sync for {now:?}"
                );
            }
        }
    }
    // Engineers are in both syncs' groups.
    let eng = s
        .users_page("", PageAt::Offset(0), 1000)
        .unwrap()
        .rows
        .into_iter()
        .find(|u| u.groups.iter().any(|g| g == "Engineering"))
        .expect("an engineer");
    assert!(
        eng.groups.iter().any(|g| g == "All Staff"),
        "an engineer keeps both groups: {:?}",
        eng.groups
    );
    let summaries = s.list_directories().unwrap();
    assert!(
        summaries.iter().all(|d| d.conflicts > 0),
        "each sync shows its conflicts"
    );
    // Reordering hands the engineers to the second sync, once, and they settle again.
    s.update_directory(
        &second.directory_key,
        roster_api::DirectoryPatch {
            precedence: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let b = run(second.directory_key.clone()).await;
    assert!(
        b.counts.taken_over > 0,
        "the sync moved first takes them: {:?}",
        b.counts
    );
    let a = run(first.directory_key.clone()).await;
    assert!(
        a.changes
            .iter()
            .filter(|c| c.action == roster_core::plan::Action::TakeOver)
            .all(|c| !c.reason.contains("Engineering")),
        "and keeps them"
    );
}

#[tokio::test]
async fn a_run_reports_its_progress_under_its_own_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Kept::default());
    let r = roster_with(
        dir.path(),
        Arc::new(MemorySecrets::default()),
        events.clone(),
    );
    r.create_tenant("Acme", None).unwrap();
    r.create_tenant("Globex", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    let key = s
        .add_directory(demo(
            "Staff",
            7,
            r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo"]"#,
        ))
        .unwrap()
        .directory_key;
    s.run_sync(&key, RunMode::Full { approve: false }, Trigger::Manual)
        .await
        .unwrap();
    let kept = events.0.lock().unwrap();
    assert!(!kept.is_empty());
    for e in kept.iter() {
        let Event::Progress(p) = e;
        let sent = json::ProgressEvent::from(p);
        assert_eq!(
            sent.tenant, "acme",
            "every event names the tenant of its run"
        );
    }
}

#[test]
fn opening_a_tenant_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    r.create_tenant("Acme", None).unwrap();
    let s = r.session("Acme", &Caller::Local).unwrap();
    s.add_directory(demo(
        "Staff",
        7,
        r#"["cn=All Staff,ou=Groups,dc=northwind,dc=demo"]"#,
    ))
    .unwrap();
    drop(s);
    drop(r);
    let file = dir.path().join("tenants/acme.sqlite3");
    let before = std::fs::read(&file).unwrap();
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    let r = roster(dir.path());
    let s = r.session("Acme", &Caller::Local).unwrap();
    let _ = s.list_runs(None, 10).unwrap();
    let _ = s.list_directories().unwrap();
    drop(s);
    drop(r);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "opening and reading changed nothing"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    assert!(
        !dir.path().join("tenants/acme.sqlite3-wal").exists()
            || std::fs::metadata(dir.path().join("tenants/acme.sqlite3-wal"))
                .unwrap()
                .len()
                == 0,
        "nor wrote a journal"
    );
}
