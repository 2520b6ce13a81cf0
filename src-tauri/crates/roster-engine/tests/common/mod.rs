//! Set-up shared by the engine's tests: a tenant with the demo directory's connection and one user sync.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

use roster_core::{AttributeMap, DirectoryKey, SyncType, Timestamp};
use roster_store::{ConnectionRecord, DirectoryRecord, Store};

/// A new tenant in `dir` with a demo connection and one user sync of the demo's default groups, keyed
/// from `seed`, that holds a run deleting more than `threshold` percent of its users.
pub fn demo_sync(dir: &std::path::Path, seed: u8, threshold: u8) -> (Store, DirectoryKey) {
    let now = Timestamp(1_800_000_000);
    let store = Store::open(
        &dir.join("t.sqlite3"),
        Some(&roster_store::NewTenant::named("T", now)),
    )
    .unwrap();
    store
        .insert_connection(&ConnectionRecord {
            id: "c".into(),
            kind: "demo".into(),
            name: "Demo".into(),
            config: serde_json::json!({}),
            status: "ready".into(),
            authorized_by: None,
            authorized_at: None,
            state: serde_json::json!({}),
            created_at: now,
        })
        .unwrap();
    let key = DirectoryKey::from_random([seed; 16]);
    store
        .insert_directory(
            &DirectoryRecord {
                key: key.clone(),
                name: "Staff".into(),
                sync_type: SyncType::User,
                connection_id: "c".into(),
                groups: roster_demo::default_user_groups(),
                attributes: AttributeMap::ldap_default(),
                roles: Vec::new(),
                paused: false,
                interval_minutes: 30,
                last_full_sync: None,
                status: "never_synced".into(),
                revision: 0,
                deletion_threshold_percent: threshold,
                created_at: now,
                cursor: None,
                precedence: 0,
                schedule_from: None,
            },
            None,
        )
        .unwrap();
    (store, key)
}
