//! Pages of the full user list as the Admin API reads them: a page that continues the one just read seeks
//! after its last username instead of skipping `offset` entries, and must give exactly what LIMIT/OFFSET
//! gives, also when someone wrote in between (through this store or another connection to the file).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_core::{Timestamp, User, UserFields, UserId, UserStatus};
use roster_store::{ActorKind, AuditEntry, Store, UserFilter};

const NOW: Timestamp = Timestamp(1_800_000_000);

fn audit() -> AuditEntry {
    AuditEntry {
        at: NOW,
        actor_kind: ActorKind::Api,
        actor: "test".into(),
        action: "user_create".into(),
        object: "x".into(),
        description: serde_json::json!({}),
    }
}

fn add(store: &Store, name: &str) {
    let user = User {
        id: UserId(format!("DU{:0>18}", name.to_uppercase().replace('-', "X"))),
        fields: UserFields {
            username: name.into(),
            ..Default::default()
        },
        status: UserStatus::Active,
        managed_by: None,
        external_id: None,
        last_directory_sync: None,
        trashed_at: None,
        groups: Vec::new(),
    };
    store.create_user_audited(&user, NOW, &audit()).unwrap();
}

fn names(store: &Store, from: u64, limit: u64) -> (Vec<String>, u64) {
    let (rows, total) = store.duo_users(&UserFilter::All, from, limit).unwrap();
    (
        rows.into_iter().map(|r| r.user.fields.username).collect(),
        total,
    )
}

/// The page at `from` as LIMIT/OFFSET gives it: cut from the whole list, read in one page.
fn expected(store: &Store, from: usize, limit: usize) -> (Vec<String>, u64) {
    let (all, total) = names(store, 0, 10_000);
    (all.into_iter().skip(from).take(limit).collect(), total)
}

#[test]
fn continued_pages_are_the_pages_offset_gives_even_after_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    let store = Store::open(&path, Some(&roster_store::NewTenant::named("T", NOW))).unwrap();
    // Mixed case: the list is ordered ignoring case, and so must the seek be.
    for i in 0..40 {
        add(
            &store,
            &if i % 3 == 0 {
                format!("User-{i:02}")
            } else {
                format!("user-{i:02}")
            },
        );
    }
    let (whole, total) = names(&store, 0, 1_000);
    assert_eq!(total, 40);
    let mut read = Vec::new();
    let mut from = 0;
    loop {
        let (page, t) = names(&store, from, 7);
        assert_eq!(t, 40, "every page tells the total");
        if page.is_empty() {
            break;
        }
        from += page.len() as u64;
        read.extend(page);
    }
    assert_eq!(
        read, whole,
        "read page after page, the list is the whole list"
    );

    // Writes between two pages: through this store, then through another connection to the file.
    let (first, _) = names(&store, 0, 10);
    assert_eq!(first, whole[..10]);
    add(&store, "aaa-first");
    let got = names(&store, 10, 10);
    assert_eq!(
        got,
        expected(&store, 10, 10),
        "a user added before the position shifts the page"
    );
    assert_eq!(got.1, 41);
    let _ = names(&store, 20, 10);
    let other = Store::open(&path, None).unwrap();
    other
        .delete_user_audited(&format!("DU{:0>18}", "USERX05"), &audit())
        .unwrap();
    let got = names(&store, 30, 10);
    assert_eq!(
        got,
        expected(&store, 30, 10),
        "a user deleted elsewhere shifts the page back"
    );
    assert_eq!(got.1, 40);

    // Pages asked for out of order, and one asked twice, are still the offset's.
    for (from, limit) in [(5, 3), (33, 10), (5, 3), (8, 4), (12, 4), (0, 2)] {
        assert_eq!(
            names(&store, from, limit),
            expected(&store, from as usize, limit as usize)
        );
    }
}
