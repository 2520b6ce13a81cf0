//! Who acts in the window: local passphrases (stored as Argon2id hashes, never as passphrases), the rule
//! for switching the acting operator, the permissions `acting_as` reports, the operators' list, and the
//! tenant's settings (a default deletion threshold new syncs start with).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_api::json::{ManagedBy, OperatorFilter, OperatorSort};
use roster_api::{
    spec, AdminStatus, Caller, Code, DirectoryConfig, ManualClock, MemorySecrets, Options,
    Permission, Roster, RunSyncs,
};
use roster_core::Timestamp;
use std::sync::Arc;

const T: &str = "Acme";
const OWNER: &str = "owner@localhost";

fn roster(dir: &std::path::Path) -> Roster {
    let clock = Arc::new(ManualClock::new(Timestamp(1_800_000_000)));
    let r = Roster::new(Options {
        data_dir: dir.to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: clock.clone(),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    r.create_tenant(T, None).unwrap();
    // The tenant's own Owner comes first: the others are added later.
    clock.advance(60);
    let s = r.session(T, &Caller::Local).unwrap();
    s.create_role(
        "Individual syncs",
        DirectoryConfig::None,
        RunSyncs::Individual,
    )
    .unwrap();
    for (email, name, role) in [
        ("olga@acme.test", "Olga", "Owner"),
        ("uma@acme.test", "Uma", "User Manager"),
        ("rita@acme.test", "Rita", "Read-only"),
        ("ivy@acme.test", "Ivy", "Individual syncs"),
    ] {
        s.add_operator(email, name, role).unwrap();
    }
    r
}

fn as_(email: &str) -> Caller {
    Caller::As(email.into())
}

#[test]
fn a_passphrase_is_stored_as_an_argon2id_hash_and_never_as_itself() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let s = r.session(T, &Caller::Local).unwrap();
    let op = s
        .set_operator_passphrase("uma@acme.test", Some("correct horse battery"))
        .unwrap();
    assert!(op.has_passphrase);
    let db = std::fs::read_dir(dir.path().join("tenants"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "sqlite3"))
        .unwrap();
    let c = rusqlite::Connection::open(&db).unwrap();
    let stored: String = c
        .query_row(
            "SELECT passphrase_hash FROM admins WHERE email = 'uma@acme.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(
        !stored.contains("correct horse"),
        "the hash is not the passphrase"
    );
    let raw = std::fs::read(&db).unwrap();
    assert!(
        !raw.windows(13).any(|w| w == b"correct horse"),
        "the passphrase is nowhere in the file"
    );
    // Too short is refused, and nothing changes.
    let e = s
        .set_operator_passphrase("uma@acme.test", Some("short"))
        .unwrap_err();
    assert_eq!(e.code, Code::Validation, "{}", e.message);
    let again: String = c
        .query_row(
            "SELECT passphrase_hash FROM admins WHERE email = 'uma@acme.test'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(again, stored);
    // Cleared.
    let op = s.set_operator_passphrase("uma@acme.test", None).unwrap();
    assert!(!op.has_passphrase);
}

#[test]
fn operators_set_their_own_passphrase_and_only_an_owner_sets_others() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let uma = r.session(T, &as_("uma@acme.test")).unwrap();
    assert!(
        uma.set_operator_passphrase("uma@acme.test", Some("uma's own phrase"))
            .unwrap()
            .has_passphrase
    );
    let e = uma
        .set_operator_passphrase("rita@acme.test", Some("not hers to set"))
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden);
    assert!(e.message.contains("Owner role"), "{}", e.message);
    let olga = r.session(T, &as_("olga@acme.test")).unwrap();
    assert!(
        olga.set_operator_passphrase("rita@acme.test", Some("rita's phrase"))
            .unwrap()
            .has_passphrase
    );
}

#[test]
fn switching_follows_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let t = r.tenant(T).unwrap();
    // An Owner views as anyone, without a passphrase.
    let (caller, acting) = t
        .switch_operator(&Caller::Local, "uma@acme.test", None)
        .unwrap();
    assert_eq!(caller, as_("uma@acme.test"));
    assert_eq!(acting.role_name, "User Manager");
    // A User Manager cannot switch to someone without a passphrase.
    let e = t
        .switch_operator(&caller, "rita@acme.test", None)
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden);
    assert!(e.message.contains("no local passphrase"), "{}", e.message);
    // Nor to another Owner without one.
    let e = t
        .switch_operator(&caller, "olga@acme.test", None)
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden);
    // With a passphrase set, it must be entered, and be the right one.
    r.session(T, &Caller::Local)
        .unwrap()
        .set_operator_passphrase("rita@acme.test", Some("rita's phrase"))
        .unwrap();
    let e = t
        .switch_operator(&caller, "rita@acme.test", None)
        .unwrap_err();
    assert_eq!(e.code, Code::Validation, "{}", e.message);
    let e = t
        .switch_operator(&caller, "rita@acme.test", Some("wrong phrase!"))
        .unwrap_err();
    assert_eq!(e.code, Code::Forbidden, "{}", e.message);
    assert!(
        e.message.contains("not rita@acme.test's passphrase"),
        "{}",
        e.message
    );
    let (rita, acting) = t
        .switch_operator(&caller, "rita@acme.test", Some("rita's phrase"))
        .unwrap();
    assert_eq!(rita, as_("rita@acme.test"));
    assert_eq!(acting.email.as_deref(), Some("rita@acme.test"));
    // Back to the first Owner: free while it has no passphrase…
    let (back, acting) = t.switch_operator(&rita, OWNER, None).unwrap();
    assert_eq!(
        back,
        Caller::Local,
        "the first Owner is the window's default caller"
    );
    assert_eq!(acting.role_name, "Owner");
    // …and needs it once it has one.
    r.session(T, &Caller::Local)
        .unwrap()
        .set_operator_passphrase(OWNER, Some("the owner's phrase"))
        .unwrap();
    assert_eq!(
        t.switch_operator(&rita, OWNER, None).unwrap_err().code,
        Code::Validation
    );
    assert_eq!(
        t.switch_operator(&rita, OWNER, Some("guess guess"))
            .unwrap_err()
            .code,
        Code::Forbidden
    );
    assert_eq!(
        t.switch_operator(&rita, OWNER, Some("the owner's phrase"))
            .unwrap()
            .0,
        Caller::Local
    );
    // A disabled operator cannot be acted as, whoever asks.
    r.session(T, &Caller::Local)
        .unwrap()
        .set_operator_status("rita@acme.test", AdminStatus::Disabled)
        .unwrap();
    assert_eq!(
        t.switch_operator(&Caller::Local, "rita@acme.test", None)
            .unwrap_err()
            .code,
        Code::Forbidden
    );
    // Nor can someone who is not an operator.
    assert_eq!(
        t.switch_operator(&Caller::Local, "nobody@acme.test", None)
            .unwrap_err()
            .code,
        Code::Forbidden
    );
}

#[test]
fn switch_targets_list_whom_the_rule_allows() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let owner = r.session(T, &Caller::Local).unwrap();
    owner
        .set_operator_passphrase("rita@acme.test", Some("rita's phrase"))
        .unwrap();
    let all = owner.switch_targets().unwrap();
    assert_eq!(all[0].email, OWNER);
    assert!(all[0].current);
    assert_eq!(all.len(), 5, "an Owner may view as every active operator");
    assert!(
        all.iter().all(|t| !t.needs_passphrase),
        "and needs no passphrase"
    );
    let uma = r.session(T, &as_("uma@acme.test")).unwrap();
    let targets: Vec<(String, bool)> = uma
        .switch_targets()
        .unwrap()
        .into_iter()
        .map(|t| (t.email, t.needs_passphrase))
        .collect();
    assert_eq!(
        targets,
        vec![
            ("uma@acme.test".to_string(), false),
            (OWNER.to_string(), false),
            ("rita@acme.test".to_string(), true),
        ]
    );
}

#[test]
fn acting_as_reports_every_permission_and_why_one_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let uma = r.session(T, &as_("uma@acme.test")).unwrap().acting_as();
    assert_eq!(
        uma.permissions.len() + uma.refused.len(),
        Permission::ALL.len()
    );
    assert!(uma.may(Permission::RunUserSyncs));
    assert!(!uma.may(Permission::RunAdminSyncs));
    let why = &uma
        .refused
        .iter()
        .find(|g| g.permission == Permission::ConfigureAdminSyncs)
        .unwrap()
        .why;
    assert!(why.contains("needs the Owner role"), "{why}");
    assert!(why.contains("User Manager (uma@acme.test)"), "{why}");
    let ivy = r.session(T, &as_("ivy@acme.test")).unwrap().acting_as();
    assert_eq!(ivy.role_name, "Individual syncs (custom role)");
    assert!(ivy.may(Permission::RunIndividualUsers));
    assert!(!ivy.may(Permission::RunUserSyncs));
    let owner = r.session(T, &Caller::Local).unwrap().acting_as();
    assert_eq!(owner.permissions.len(), Permission::ALL.len());
    assert!(owner.refused.is_empty());
}

#[test]
fn the_operators_list_searches_filters_and_sorts_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let s = r.session(T, &Caller::Local).unwrap();
    s.set_operator_status("rita@acme.test", AdminStatus::Disabled)
        .unwrap();
    let f = |query: &str, status, managed, sort, descending| OperatorFilter {
        query: query.into(),
        status,
        managed,
        sort,
        descending,
    };
    let emails = |filter: OperatorFilter, offset, limit| -> (Vec<String>, Option<u64>) {
        let p = s.operators_page(&filter, offset, limit).unwrap();
        (p.rows.into_iter().map(|o| o.email).collect(), p.total)
    };
    assert_eq!(
        emails(f("", None, ManagedBy::Any, OperatorSort::Name, false), 0, 2),
        (
            vec!["ivy@acme.test".into(), "olga@acme.test".into()],
            Some(5)
        ),
        "by name, a page of two of five"
    );
    assert_eq!(
        emails(
            f("U", None, ManagedBy::Any, OperatorSort::Email, true),
            0,
            10
        )
        .0,
        vec!["uma@acme.test".to_string()],
        "searched by name or email, case-insensitive"
    );
    assert_eq!(
        emails(
            f(
                "",
                Some(AdminStatus::Disabled),
                ManagedBy::ByHand,
                OperatorSort::Email,
                false
            ),
            0,
            10
        )
        .0,
        vec!["rita@acme.test".to_string()]
    );
    assert_eq!(
        emails(
            f(
                "",
                None,
                ManagedBy::Sync {
                    key: "DSNONE".into()
                },
                OperatorSort::Role,
                false
            ),
            0,
            10
        ),
        (Vec::<String>::new(), Some(0))
    );
    let by_role = emails(
        f("", None, ManagedBy::Any, OperatorSort::Role, false),
        0,
        10,
    )
    .0;
    assert_eq!(
        by_role[0], "ivy@acme.test",
        "a custom role sorts by its name: {by_role:?}"
    );
}

#[test]
fn new_syncs_start_with_the_tenants_default_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let r = roster(dir.path());
    let s = r.session(T, &Caller::Local).unwrap();
    assert_eq!(
        s.tenant_settings()
            .unwrap()
            .default_deletion_threshold_percent,
        10
    );
    assert_eq!(
        s.set_default_deletion_threshold(101).unwrap_err().code,
        Code::Validation
    );
    s.set_default_deletion_threshold(35).unwrap();
    s.set_retention_days(21).unwrap();
    let settings = s.tenant_settings().unwrap();
    assert_eq!(
        (
            settings.pending_deletion_days,
            settings.default_deletion_threshold_percent
        ),
        (21, 35)
    );
    let add = |body: serde_json::Value| {
        s.add_directory(spec::parse(&body.to_string()).unwrap())
            .unwrap()
            .directory_key
    };
    let plain = add(serde_json::json!({"name": "Staff", "type": "user",
        "connection": {"kind": "demo", "seed": 1, "users": 3}}));
    let own = add(
        serde_json::json!({"name": "More", "type": "user", "deletion_threshold_percent": 5,
        "connection": {"kind": "demo", "seed": 2, "users": 3}}),
    );
    let list = s.list_directories().unwrap();
    let threshold = |k: &str| {
        list.iter()
            .find(|d| d.directory_key == k)
            .unwrap()
            .deletion_threshold_percent
    };
    assert_eq!((threshold(&plain), threshold(&own)), (35, 5));
    // Kept when the tenant is opened again.
    drop(s);
    drop(r);
    let r = Roster::new(Options {
        data_dir: dir.path().to_path_buf(),
        secrets: Arc::new(MemorySecrets::default()),
        clock: Arc::new(ManualClock::new(Timestamp(1_800_000_000))),
        events: Arc::new(roster_api::NoEvents),
    })
    .unwrap();
    let settings = r
        .session(T, &Caller::Local)
        .unwrap()
        .tenant_settings()
        .unwrap();
    assert_eq!(settings.default_deletion_threshold_percent, 35);
}
