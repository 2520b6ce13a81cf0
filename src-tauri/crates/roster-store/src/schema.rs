//! The schema: the current SQL and version at the top, the upgrade ladder below.
//!
//! NEVER edit [`V1`]: it is the first schema as shipped, kept so the upgrade test can build an old database.

use crate::{Result, StoreError};
use roster_core::Timestamp;
use rusqlite::{Connection, TransactionBehavior};
use std::io::Read;
use std::path::Path;

mod upgrade;
use upgrade::upgrade_from;

/// `PRAGMA application_id` of a Roster tenant database ("RSTR").
pub const APPLICATION_ID: i32 = 0x5253_5452;

/// The schema version this build writes.
pub const VERSION: i32 = 15;

/// The SCIM tables (schema 7), shared by [`CURRENT`] and the upgrade to 7. Schema 15 keeps a user's groups
/// as one list and drops `scim_members_user` (`upgrade::SCIM_USER_GROUPS`).
pub const SCIM: &str = r#"
-- Inbound SCIM integrations (directories of kind scim). The bearer token is never stored: only its SHA-256.
CREATE TABLE scim_tokens (
    directory_key TEXT PRIMARY KEY REFERENCES directories(key) ON DELETE CASCADE,
    sha256 BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
-- What each integration's client pushed, as pushed: Roster's users and groups are planned from it.
CREATE TABLE scim_resources (
    seq INTEGER PRIMARY KEY,             -- creation order: lists page in a stable order
    directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
    id TEXT NOT NULL,
    name TEXT NOT NULL COLLATE NOCASE,   -- userName, or a group's displayName
    external_id TEXT,
    email TEXT COLLATE NOCASE,
    doc TEXT NOT NULL,                   -- JSON as pushed, without id, meta and members
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    UNIQUE (directory_key, kind, id),
    UNIQUE (directory_key, kind, name)
);
CREATE INDEX scim_resources_external ON scim_resources(directory_key, kind, external_id);
CREATE INDEX scim_resources_email ON scim_resources(directory_key, kind, email);
CREATE TABLE scim_members (
    directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (directory_key, group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX scim_members_user ON scim_members(directory_key, user_id);
"#;

/// The lists' indexes and the runs' managed count (schema 9), shared by [`CURRENT`] and the upgrade to 9:
/// each sort of the Users and Trash lists, each filter by status or by sync, and a user's history, read as
/// one index range, so a page of 100,000 users costs a walk to its position and not a sort of them all.
pub const LISTS: &str = r#"
DROP INDEX IF EXISTS users_status;
CREATE INDEX users_status ON users(status, username);
CREATE INDEX users_managed_username ON users(managed_by, username);
CREATE INDEX users_realname ON users(realname COLLATE NOCASE, username);
CREATE INDEX users_email ON users(email COLLATE NOCASE, username);
CREATE INDEX users_last_sync ON users(last_directory_sync, username);
CREATE INDEX users_trash ON users(status, trashed_at, username);
CREATE INDEX groups_managed_name ON groups(managed_by, name);
-- A user's (group's, admin's) history: the changes recorded for it, newest run first.
CREATE INDEX run_changes_object ON run_changes(object, key COLLATE NOCASE, run_id);
-- Users (or admins) the sync manages once the run is applied: Sync History's "users over time".
ALTER TABLE sync_runs ADD COLUMN managed_after INTEGER;
"#;

/// The indexes [`LISTS`] creates on `users` (name, then what follows `ON`): a large first sync drops them
/// and builds them again once its rows are in (`bulk.rs`); a test checks [`LISTS`] creates exactly these.
pub const USER_LIST_INDEXES: [(&str, &str); 6] = [
    ("users_status", "users(status, username)"),
    ("users_managed_username", "users(managed_by, username)"),
    ("users_realname", "users(realname COLLATE NOCASE, username)"),
    ("users_email", "users(email COLLATE NOCASE, username)"),
    ("users_last_sync", "users(last_directory_sync, username)"),
    ("users_trash", "users(status, trashed_at, username)"),
];

/// Operators' local passphrases and the tenant's default deletion threshold (schema 10), shared by
/// [`CURRENT`] and the upgrade to 10. Self-contained (columns added to existing tables), so it can move to
/// another step of the ladder unchanged.
pub const LOCAL_PASSPHRASES: &str = r#"
-- An operator's local passphrase, as an Argon2id PHC string (never the passphrase): entered in the
-- window to act as them. NULL when none is set.
ALTER TABLE admins ADD COLUMN passphrase_hash TEXT;
-- The deletion threshold a new sync starts with when its settings name none.
ALTER TABLE tenant ADD COLUMN default_deletion_threshold_percent INTEGER NOT NULL DEFAULT 10;
"#;

/// The Admin API's lookups at scale (schema 11), shared by new databases and the upgrade to 11: a user found
/// by an alias through an index (`user_aliases`, which triggers keep equal to every row's `aliases`
/// whoever writes it: a sync, a push, the Admin API, an operator), and by email through an index.
pub const LOOKUPS: &str = r#"
CREATE TABLE user_aliases (
    alias TEXT NOT NULL COLLATE NOCASE,
    user_id TEXT NOT NULL,
    PRIMARY KEY (alias, user_id)
) WITHOUT ROWID;
CREATE INDEX user_aliases_user ON user_aliases(user_id);
-- Most users have no aliases ('[]'): the triggers do nothing for them.
CREATE TRIGGER users_aliases_update AFTER UPDATE OF aliases, id ON users
    WHEN NEW.aliases IS NOT OLD.aliases OR NEW.id IS NOT OLD.id BEGIN
    DELETE FROM user_aliases WHERE user_id = OLD.id;
    INSERT OR IGNORE INTO user_aliases (alias, user_id)
        SELECT value, NEW.id FROM json_each(NEW.aliases) WHERE value IS NOT NULL AND value != '';
END;
CREATE TRIGGER users_aliases_delete AFTER DELETE ON users WHEN OLD.aliases != '[]' BEGIN
    DELETE FROM user_aliases WHERE user_id = OLD.id;
END;
-- Email lookups use `users_email` (schema 9, [`LISTS`]): (email, username).
"#;

/// The trigger that copies a new user's aliases into `user_aliases` (schema 11, with [`LOOKUPS`]). Its own
/// constant because a large first sync drops it and copies the aliases itself (`bulk`): a trigger on
/// `users` makes SQLite journal every page each `INSERT` touches, in case the trigger fails half way,
/// which cost a 100,000-user first sync about a third of a second.
pub const ALIASES_INSERT_TRIGGER: &str = r#"
CREATE TRIGGER users_aliases_insert AFTER INSERT ON users WHEN NEW.aliases != '[]' BEGIN
    INSERT OR IGNORE INTO user_aliases (alias, user_id)
        SELECT value, NEW.id FROM json_each(NEW.aliases) WHERE value IS NOT NULL AND value != '';
END;
"#;

/// Copies every user's aliases into `user_aliases` (what [`ALIASES_INSERT_TRIGGER`] does row by row).
pub const COPY_ALIASES: &str = "INSERT OR IGNORE INTO user_aliases (alias, user_id)
    SELECT a.value, u.id FROM users u, json_each(u.aliases) a
    WHERE u.aliases != '[]' AND a.value IS NOT NULL AND a.value != '';";

/// The current schema, for new databases (with [`SCIM`], `adminapi::TABLES`, [`LISTS`],
/// [`LOCAL_PASSPHRASES`], [`LOOKUPS`] and [`ALIASES_INSERT_TRIGGER`]).
pub const CURRENT: &str = r#"
CREATE TABLE tenant (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    pending_deletion_days INTEGER NOT NULL DEFAULT 7,
    -- Bumped by every write to users, groups and admins (and by anything that changes what a plan would
    -- be, such as the order of precedence): a plan made from an older snapshot is made again.
    data_revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,                 -- JSON, never secrets (those live in the OS keychain)
    status TEXT NOT NULL DEFAULT 'ready',
    authorized_by TEXT,
    authorized_at INTEGER,
    state TEXT NOT NULL DEFAULT '{}',     -- JSON the connector keeps between runs (cursors, demo epoch)
    created_at INTEGER NOT NULL
);
CREATE TABLE directories (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sync_type TEXT NOT NULL CHECK (sync_type IN ('user', 'admin')),
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE RESTRICT,
    selected_groups TEXT NOT NULL,        -- JSON array of source group ids
    attributes TEXT NOT NULL,             -- JSON AttributeMap
    roles TEXT NOT NULL DEFAULT '[]',     -- JSON array of RoleMapping
    paused INTEGER NOT NULL DEFAULT 0,
    interval_minutes INTEGER NOT NULL DEFAULT 30,
    last_full_sync INTEGER,
    status TEXT NOT NULL DEFAULT 'never_synced',
    revision INTEGER NOT NULL DEFAULT 0,  -- bumped by every apply; a stale plan is refused
    created_at INTEGER NOT NULL,
    deletion_threshold_percent INTEGER NOT NULL DEFAULT 10,
    sync_cursor TEXT,                     -- where the next incremental fetch starts (connector-defined)
    cursor_basis TEXT,                    -- digest of the configuration the cursor was made under
    -- Order of precedence among the syncs of the same type (1 first): what two syncs both find belongs
    -- to the one that comes first.
    precedence INTEGER NOT NULL DEFAULT 0,
    -- When scheduled runs start counting: NULL until the admin starts the first run (a new sync waits
    -- for Preview and Sync Now), or the time the admin asked for scheduled runs to begin.
    schedule_from INTEGER
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE UNIQUE,
    aliases TEXT NOT NULL DEFAULT '[]',
    realname TEXT,
    firstname TEXT,
    lastname TEXT,
    email TEXT,
    phones TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    last_directory_sync INTEGER,
    trashed_at INTEGER,
    created_at INTEGER NOT NULL,
    -- The user's groups: a JSON array of group ids, sorted. One row per user, not one per membership: a
    -- first sync of 100,000 users in 1,000 groups writes 100,000 rows, not 1,100,000. Deleting or taking
    -- over a group removes it from every list in the same transaction (what a foreign key's cascade did).
    group_ids TEXT NOT NULL DEFAULT '[]'
);
-- By sync, then by the source's id: what a sync manages, and one user a push names, each one index range.
CREATE INDEX users_managed_by ON users(managed_by, external_id);
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description TEXT,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE admins (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    phone TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    last_directory_sync INTEGER,
    left_at INTEGER,
    created_at INTEGER NOT NULL,
    -- An operator acting with a custom role instead of one of Duo's (`role` is then Read-only).
    custom_role TEXT REFERENCES roles(name) ON DELETE RESTRICT
);
CREATE INDEX admins_managed_by ON admins(managed_by);
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    outcome TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    counts TEXT NOT NULL DEFAULT '{}',
    message TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    held_reason TEXT,
    approved_run_id INTEGER REFERENCES sync_runs(id) ON DELETE SET NULL,
    conflicts TEXT NOT NULL DEFAULT '[]'  -- JSON array of Conflict: what other syncs also found
);
CREATE INDEX sync_runs_directory ON sync_runs(directory_key, id);
CREATE TABLE run_changes (
    run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
-- What each sync left to a sync that comes first in the order of precedence, as of its last complete
-- run: so the sync that keeps an object can report the overlap too.
CREATE TABLE sync_conflicts (
    directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    winner TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (directory_key, object, key, winner)
) WITHOUT ROWID;
CREATE INDEX sync_conflicts_winner ON sync_conflicts(winner);
-- Custom administrator roles, with the seed's two directory permissions.
CREATE TABLE roles (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    directory_config TEXT NOT NULL CHECK (directory_config IN ('all', 'none')),
    run_syncs TEXT NOT NULL CHECK (run_syncs IN ('all', 'individual', 'none')),
    created_at INTEGER NOT NULL
);
"#;

/// The id of the Owner a tenant is created with.
pub const OWNER_ID: &str = "DEOWNER0000000000000";
/// The Owner's email when nobody gave one: the person using this copy of Roster.
pub const DEFAULT_OWNER_EMAIL: &str = "owner@localhost";

/// The first shipped schema (version 1). Frozen.
pub const V1: &str = r#"
CREATE TABLE tenant (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    pending_deletion_days INTEGER NOT NULL DEFAULT 7
);
CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ready',
    authorized_by TEXT,
    authorized_at INTEGER,
    state TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE TABLE directories (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sync_type TEXT NOT NULL CHECK (sync_type IN ('user', 'admin')),
    connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE RESTRICT,
    selected_groups TEXT NOT NULL,
    attributes TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    paused INTEGER NOT NULL DEFAULT 0,
    interval_minutes INTEGER NOT NULL DEFAULT 30,
    last_full_sync INTEGER,
    status TEXT NOT NULL DEFAULT 'never_synced',
    revision INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL COLLATE NOCASE UNIQUE,
    aliases TEXT NOT NULL DEFAULT '[]',
    realname TEXT,
    firstname TEXT,
    lastname TEXT,
    email TEXT,
    phones TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    last_directory_sync INTEGER,
    trashed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_managed_by ON users(managed_by);
CREATE INDEX users_status ON users(status);
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description TEXT,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE admins (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    phone TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    managed_by TEXT REFERENCES directories(key) ON DELETE SET NULL,
    external_id TEXT,
    last_directory_sync INTEGER,
    left_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX admins_managed_by ON admins(managed_by);
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    directory_key TEXT NOT NULL REFERENCES directories(key) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    outcome TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    counts TEXT NOT NULL DEFAULT '{}',
    message TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    held_reason TEXT
);
CREATE INDEX sync_runs_directory ON sync_runs(directory_key, id);
CREATE TABLE run_changes (
    run_id INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"#;

/// Refuses files that are not SQLite databases, by their 16-byte header. An empty file is a database
/// SQLite has not written yet only when it is being created; opened as a tenant, it is reported as empty
/// and left as it is.
pub(crate) fn check_header(path: &Path, creating: bool) -> Result<()> {
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| {
        StoreError::NotFound(format!(
            "The tenant file {} cannot be opened: {e}.",
            path.display()
        ))
    })?;
    let n = file.read(&mut header).unwrap_or(0);
    if n == 0 {
        if creating {
            return Ok(());
        }
        return Err(StoreError::Empty(format!(
            "The tenant file {} is empty (0 bytes): it holds no tenant. Nothing was changed. Restore it from a backup, or delete the file.",
            path.display()
        )));
    }
    if n < 16 || &header != b"SQLite format 3\0" {
        return Err(StoreError::NotADatabase(format!(
            "{} is not a Roster tenant database (it is not a SQLite file). Nothing was changed. Choose the right file, or restore it from a backup.",
            path.display()
        )));
    }
    Ok(())
}

/// Refuses SQLite databases of other programs, and Roster databases newer than this build.
pub(crate) fn check_identity(conn: &Connection, path: &Path) -> Result<()> {
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| StoreError::at(path, e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| StoreError::at(path, e))?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
        return Err(StoreError::Foreign(format!(
            "{} is a SQLite database, but not a Roster tenant. Nothing was changed. Choose a Roster tenant file.",
            path.display()
        )));
    }
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > VERSION {
        return Err(StoreError::TooNew(format!(
            "{} was written by a newer version of Roster (schema {version}; this version reads up to {VERSION}). Nothing was changed. Update Roster to open it.",
            path.display()
        )));
    }
    Ok(())
}

/// Brings the database to [`VERSION`]: a new one gets [`CURRENT`] and its tenant row, an older one climbs
/// the ladder. All in one IMMEDIATE transaction.
pub(crate) fn migrate(
    conn: &mut Connection,
    create: Option<&crate::NewTenant<'_>>,
    path: &Path,
) -> Result<()> {
    // Up to date: nothing to write, so nothing to wait for (another process may be applying a sync).
    let current: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        let Some(new) = create else {
            return Err(StoreError::Foreign(format!(
                "{} is an empty database, not a Roster tenant. Nothing was changed.",
                path.display()
            )));
        };
        tx.execute_batch(CURRENT)?;
        tx.execute_batch(SCIM)?;
        tx.execute_batch(crate::adminapi::TABLES)?;
        tx.execute_batch(LISTS)?;
        tx.execute_batch(LOCAL_PASSPHRASES)?;
        tx.execute_batch(LOOKUPS)?;
        tx.execute_batch(ALIASES_INSERT_TRIGGER)?;
        tx.execute_batch(upgrade::RUN_OUTCOMES)?;
        tx.execute_batch(upgrade::GROUP_STATUS)?;
        tx.execute_batch(upgrade::GROUPS_BY_SOURCE)?;
        tx.execute_batch(upgrade::SCIM_USER_GROUPS)?;
        tx.execute(
            "INSERT INTO tenant (id, name, created_at) VALUES (1, ?1, ?2)",
            rusqlite::params![new.name, new.created_at.0],
        )?;
        tx.execute(
            "INSERT INTO admins (id, name, email, role, status, created_at) VALUES (?1, ?2, ?3, 'Owner', 'Active', ?4)",
            rusqlite::params![OWNER_ID, new.owner_name, new.owner_email, new.created_at.0],
        )?;
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {VERSION};"
        ))?;
    } else {
        let mut v = version;
        while v < VERSION {
            upgrade_from(&tx, v)?;
            v += 1;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {VERSION};"))?;
    }
    tx.commit()?;
    Ok(())
}

/// Creates a database at schema [`V1`] (for the upgrade test and for tools that need an old file).
pub fn create_v1(path: &Path, tenant_name: &str, now: Timestamp) -> Result<()> {
    let conn = Connection::open(path)?;
    conn.execute_batch(V1)?;
    conn.execute(
        "INSERT INTO tenant (id, name, created_at) VALUES (1, ?1, ?2)",
        rusqlite::params![tenant_name, now.0],
    )?;
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;"
    ))?;
    Ok(())
}
