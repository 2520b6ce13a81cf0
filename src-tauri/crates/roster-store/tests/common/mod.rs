//! What the SCIM tests share: a tenant on disk with one Okta integration, and a push of one user made
//! the way the application layer makes it.

#![allow(dead_code)] // each test file uses some of these

use roster_core::plan::{plan, PushBatch, Scope};
use roster_core::source::SourceUser;
use roster_core::{AttributeMap, Conflict, DirectoryKey, SyncSettings, SyncType, Timestamp};
use roster_store::{ConnectionRecord, DirectoryRecord, Resource, ResourceKind, Store, StoreError};
use std::path::Path;

pub const NOW: Timestamp = Timestamp(1_800_000_000);

pub fn new_store(dir: &Path) -> Store {
    Store::open(
        &dir.join("t.sqlite3"),
        Some(&roster_store::NewTenant::named("Acme", NOW)),
    )
    .unwrap()
}

/// A ready connection named `name` of `kind`.
pub fn connection(id: &str, kind: &str, name: &str, config: serde_json::Value) -> ConnectionRecord {
    ConnectionRecord {
        id: id.into(),
        kind: kind.into(),
        name: name.into(),
        config,
        status: "ready".into(),
        authorized_by: None,
        authorized_at: None,
        state: serde_json::json!({}),
        created_at: NOW,
    }
}

/// A user sync named `name` on connection `connection_id`, never run, its key made from `key`: LDAP's
/// attributes, no groups selected, first in the order of precedence. Tests change what they need.
pub fn user_sync(key: u8, name: &str, connection_id: &str) -> DirectoryRecord {
    DirectoryRecord {
        key: DirectoryKey::from_random([key; 16]),
        name: name.into(),
        sync_type: SyncType::User,
        connection_id: connection_id.into(),
        groups: Vec::new(),
        attributes: AttributeMap::ldap_default(),
        roles: Vec::new(),
        paused: false,
        interval_minutes: 30,
        last_full_sync: None,
        status: "never_synced".into(),
        revision: 0,
        deletion_threshold_percent: 10,
        created_at: NOW,
        cursor: None,
        precedence: 0,
        schedule_from: None,
    }
}

/// Inserts `connection` and `directory` (a sync on it); returns the directory.
pub fn insert_sync(
    store: &Store,
    connection: &ConnectionRecord,
    directory: DirectoryRecord,
) -> DirectoryRecord {
    store.insert_connection(connection).unwrap();
    store.insert_directory(&directory, None).unwrap();
    directory
}

pub fn add_integration(store: &Store) -> DirectoryRecord {
    insert_sync(
        store,
        &connection(
            "conn-scim",
            "scim",
            "Okta",
            serde_json::json!({"flavor": "okta"}),
        ),
        DirectoryRecord {
            attributes: AttributeMap {
                username: "userName".into(),
                ..AttributeMap::ldap_default()
            },
            ..user_sync(7, "Okta", "conn-scim")
        },
    )
}

pub fn settings(d: &DirectoryRecord) -> SyncSettings {
    SyncSettings {
        key: d.key.clone(),
        name: d.name.clone(),
        sync_type: d.sync_type,
        attributes: d.attributes.clone(),
        roles: Vec::new(),
        deletion_threshold_percent: 10,
        retention_days: 7,
        others: Default::default(),
    }
}

pub fn resource(id: &str, name: &str, now: Timestamp) -> Resource {
    Resource {
        id: id.into(),
        name: name.into(),
        external_id: Some(format!("okta-{id}")),
        email: Some(format!("{name}@example.org")),
        doc: serde_json::json!({"userName": name}).to_string(),
        created_at: now,
        modified_at: now,
        version: 1,
    }
}

pub fn source(id: &str, name: &str) -> SourceUser {
    SourceUser {
        external_id: id.into(),
        attributes: vec![
            ("userName".into(), name.into()),
            ("mail".into(), format!("{name}@example.org")),
        ],
        disabled: false,
        locator: Some(name.into()),
    }
}

/// One push of one user, the way the application layer makes it: write the replica, plan from what the
/// store holds, apply.
pub fn push_user(store: &Store, d: &DirectoryRecord, id: &str, name: &str, now: Timestamp) {
    push_user_noting(store, d, id, name, now, &[]);
}

/// [`push_user`], recording `conflicts` (besides its plan's) in the run.
pub fn push_user_noting(
    store: &Store,
    d: &DirectoryRecord,
    id: &str,
    name: &str,
    now: Timestamp,
    conflicts: &[Conflict],
) {
    store
        .push(&d.key, now, |p| -> Result<(), StoreError> {
            p.put(ResourceKind::User, &resource(id, name, now))?;
            let snap = p.snapshot(&[id], &[name], &[], &[])?;
            let batch = PushBatch {
                users: vec![(source(id, name), Vec::new())],
                ..Default::default()
            };
            let plan = plan(&settings(d), &snap, &Scope::Push(&batch), now);
            let mut noted = plan.conflicts.clone();
            noted.extend_from_slice(conflicts);
            p.apply(&plan, &noted, &|c| format!("{} created", c.created))?;
            Ok(())
        })
        .unwrap();
}

/// A database's tables, indexes and their columns (name, type, not null, default), and its schema version:
/// equal for two databases with the same schema.
pub fn schema_shape(p: &Path) -> Vec<(String, String, String, i64, Option<String>)> {
    let c = rusqlite::Connection::open(p).unwrap();
    let mut tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.sort();
    let mut out = Vec::new();
    for t in tables {
        let mut st = c.prepare(&format!("PRAGMA table_xinfo('{t}')")).unwrap();
        let cols = st
            .query_map([], |r| {
                Ok((
                    t.clone(),
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap);
        out.extend(cols);
    }
    out.push((
        "user_version".into(),
        String::new(),
        String::new(),
        c.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap(),
        None,
    ));
    out
}
