//! Tenant settings, connections, directory syncs and run records.

use crate::{Result, Store, StoreError};
use roster_core::{
    AttributeMap, Change, Conflict, Counts, DirectoryKey, EntryError, ObjectKind, RoleMapping,
    SyncType, Timestamp,
};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

/// The tenant's own row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRecord {
    /// Display name.
    pub name: String,
    /// Created.
    pub created_at: Timestamp,
    /// Days in the trash before users are deleted for good.
    pub pending_deletion_days: u32,
}

/// A connection to a source directory. `config` never holds secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// Id (`conn-…`).
    pub id: String,
    /// `demo`, `active_directory`, `openldap`, `entra`, `google`, `okta`, `scim`.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Kind-specific settings (JSON).
    pub config: serde_json::Value,
    /// `ready`, `needs_reauthorization`, …
    pub status: String,
    /// Who authorized a cloud connection.
    pub authorized_by: Option<String>,
    /// When.
    pub authorized_at: Option<Timestamp>,
    /// State the connector keeps between runs (JSON).
    pub state: serde_json::Value,
    /// Created.
    pub created_at: Timestamp,
}

/// A directory sync's configuration and status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRecord {
    /// The stable directory key.
    pub key: DirectoryKey,
    /// Display name.
    pub name: String,
    /// User or admin sync.
    pub sync_type: SyncType,
    /// The connection it reads through.
    pub connection_id: String,
    /// Selected groups (source ids).
    pub groups: Vec<String>,
    /// Attribute mapping.
    pub attributes: AttributeMap,
    /// Admin syncs: group -> role.
    pub roles: Vec<RoleMapping>,
    /// Scheduled syncs paused.
    pub paused: bool,
    /// Schedule interval.
    pub interval_minutes: u32,
    /// When the last full sync was applied.
    pub last_full_sync: Option<Timestamp>,
    /// `never_synced`, `ok`, `failed`, `held`.
    pub status: String,
    /// Bumped by every apply of a sync run, and by the first push of each run of an integration.
    pub revision: i64,
    /// Safety threshold, percent.
    pub deletion_threshold_percent: u8,
    /// Created.
    pub created_at: Timestamp,
    /// Where the next incremental fetch starts, and the configuration digest it was made under.
    #[serde(default)]
    pub cursor: Option<(String, String)>,
    /// Place in the order of precedence among the tenant's syncs of the same type (1 comes first).
    /// Assigned by the store when the sync is added: after every other sync of its type.
    #[serde(default)]
    pub precedence: i64,
    /// When scheduled runs start counting; `None` until the admin starts the first run.
    #[serde(default)]
    pub schedule_from: Option<Timestamp>,
}

/// How a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The scheduler.
    Schedule,
    /// Sync Now.
    Manual,
    /// One user or admin.
    Individual,
    /// The Admin API.
    Api,
    /// A SCIM push.
    Scim,
}

impl Trigger {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Manual => "manual",
            Trigger::Individual => "individual",
            Trigger::Api => "api",
            Trigger::Scim => "scim",
        }
    }
}

/// What a held run records for review.
#[derive(Debug, Clone, Copy)]
pub struct HeldRun<'a> {
    /// Why it was held (plain English, says how to approve).
    pub reason: &'a str,
    /// Counts of what it would do.
    pub counts: &'a Counts,
    /// Skipped entries.
    pub errors: &'a [EntryError],
    /// The plan it would apply (its change log is recorded for review).
    pub plan: &'a roster_core::plan::Plan,
    /// What other syncs also found.
    pub conflicts: &'a [Conflict],
}

/// A run as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Id.
    pub id: i64,
    /// Directory.
    pub directory_key: DirectoryKey,
    /// Trigger.
    pub trigger: String,
    /// `running`, `succeeded`, `failed`, `held`, `approved`, `interrupted`.
    pub outcome: String,
    /// Start.
    pub started_at: Timestamp,
    /// End.
    pub finished_at: Option<Timestamp>,
    /// Counts.
    pub counts: Counts,
    /// Failure or summary message.
    pub message: Option<String>,
    /// Skipped entries.
    pub errors: Vec<EntryError>,
    /// Why it was held.
    pub held_reason: Option<String>,
    /// For an approving run: the held run it approved.
    pub approved_run_id: Option<i64>,
    /// What other syncs also found.
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
}

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

fn json<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

const CONNECTION_COLUMNS: &str =
    "id, kind, name, config, status, authorized_by, authorized_at, state, created_at";

fn connection_row(r: &Row<'_>) -> rusqlite::Result<ConnectionRecord> {
    Ok(ConnectionRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        config: json(r.get(3)?)?,
        status: r.get(4)?,
        authorized_by: r.get(5)?,
        authorized_at: ts(r.get(6)?),
        state: json(r.get(7)?)?,
        created_at: Timestamp(r.get(8)?),
    })
}

const DIRECTORY_COLUMNS: &str = "key, name, sync_type, connection_id, selected_groups, attributes, roles, paused, interval_minutes, last_full_sync, status, revision, deletion_threshold_percent, created_at, sync_cursor, cursor_basis, precedence, schedule_from";

fn directory_row(r: &Row<'_>) -> rusqlite::Result<DirectoryRecord> {
    let sync_type: String = r.get(2)?;
    Ok(DirectoryRecord {
        key: DirectoryKey(r.get(0)?),
        name: r.get(1)?,
        sync_type: if sync_type == "admin" {
            SyncType::Admin
        } else {
            SyncType::User
        },
        connection_id: r.get(3)?,
        groups: json(r.get(4)?)?,
        attributes: json(r.get(5)?)?,
        roles: json(r.get(6)?)?,
        paused: r.get(7)?,
        interval_minutes: r.get(8)?,
        last_full_sync: ts(r.get(9)?),
        status: r.get(10)?,
        revision: r.get(11)?,
        deletion_threshold_percent: r.get(12)?,
        created_at: Timestamp(r.get(13)?),
        cursor: match (
            r.get::<_, Option<String>>(14)?,
            r.get::<_, Option<String>>(15)?,
        ) {
            (Some(c), Some(b)) => Some((c, b)),
            _ => None,
        },
        precedence: r.get(16)?,
        schedule_from: ts(r.get(17)?),
    })
}

pub(crate) const RUN_COLUMNS: &str = "id, directory_key, trigger, outcome, started_at, finished_at, counts, message, errors, held_reason, approved_run_id, conflicts";

pub(crate) fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        id: r.get(0)?,
        directory_key: DirectoryKey(r.get(1)?),
        trigger: r.get(2)?,
        outcome: r.get(3)?,
        started_at: Timestamp(r.get(4)?),
        finished_at: ts(r.get(5)?),
        counts: json(r.get(6)?)?,
        message: r.get(7)?,
        errors: json(r.get(8)?)?,
        held_reason: r.get(9)?,
        approved_run_id: r.get(10)?,
        conflicts: json(r.get(11)?)?,
    })
}

/// What a run left by a process that is gone says.
const INTERRUPTED: &str = "Roster stopped before this run finished. Nothing from it was applied.";

/// A change's action as the change log stores it (its snake_case name).
pub(crate) fn action(text: String) -> rusqlite::Result<roster_core::plan::Action> {
    roster_core::plan::Action::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown change action {text:?}").into(),
        )
    })
}

fn object_kind(s: &str) -> ObjectKind {
    match s {
        "group" => ObjectKind::Group,
        "admin" => ObjectKind::Admin,
        _ => ObjectKind::User,
    }
}

/// Bumps the tenant's data revision: plans made from snapshots read before this write are made again.
pub(crate) fn bump_data_revision(c: &rusqlite::Connection) -> Result<()> {
    c.prepare_cached("UPDATE tenant SET data_revision = data_revision + 1 WHERE id = 1")?
        .execute([])?;
    Ok(())
}

impl Store {
    /// The tenant row.
    pub fn tenant(&self) -> Result<TenantRecord> {
        let c = self.reader();
        Ok(c.query_row(
            "SELECT name, created_at, pending_deletion_days FROM tenant WHERE id = 1",
            [],
            |r| {
                Ok(TenantRecord {
                    name: r.get(0)?,
                    created_at: Timestamp(r.get(1)?),
                    pending_deletion_days: r.get(2)?,
                })
            },
        )?)
    }

    /// Renames the tenant.
    pub fn rename_tenant(&self, name: &str) -> Result<()> {
        self.writer()
            .execute("UPDATE tenant SET name = ?1 WHERE id = 1", [name])?;
        Ok(())
    }

    /// Sets the trash retention.
    pub fn set_pending_deletion_days(
        &self,
        days: u32,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
            c.execute(
                "UPDATE tenant SET pending_deletion_days = ?1 WHERE id = 1",
                [days],
            )?;
            Ok(())
        })
    }

    /// Adds a connection.
    pub fn insert_connection(&self, c: &ConnectionRecord) -> Result<()> {
        insert_connection(&self.writer(), c)
    }

    /// One connection.
    pub fn connection(&self, id: &str) -> Result<ConnectionRecord> {
        let c = self.reader();
        c.query_row(
            &format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = ?1"),
            [id],
            connection_row,
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("There is no connection {id} in this tenant.")))
    }

    /// Every connection, by name; connections of the same name oldest first (an order that does not
    /// depend on their random ids).
    pub fn connections(&self) -> Result<Vec<ConnectionRecord>> {
        let c = self.reader();
        let mut st = c.prepare(&format!(
            "SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY name, created_at, id"
        ))?;
        let rows = st
            .query_map([], connection_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records a consent: the connection is ready again, authorized by `by` at `at`. Its settings may be
    /// replaced at the same time (a demo connection's endpoints move when the demo servers restart).
    pub fn set_connection_authorized(
        &self,
        id: &str,
        by: Option<&str>,
        at: Timestamp,
        config: Option<&serde_json::Value>,
    ) -> Result<()> {
        let n = self.writer().execute(
            "UPDATE connections SET status = 'ready', authorized_by = ?2, authorized_at = ?3, config = COALESCE(?4, config) WHERE id = ?1",
            params![id, by, at.0, config.map(|c| c.to_string())],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no connection {id} in this tenant."
            )));
        }
        Ok(())
    }

    /// Replaces a connection's settings (never secrets).
    pub fn update_connection_config(&self, id: &str, config: &serde_json::Value) -> Result<()> {
        self.writer().execute(
            "UPDATE connections SET config = ?2 WHERE id = ?1",
            params![id, config.to_string()],
        )?;
        Ok(())
    }

    /// Sets a connection's status (`ready`, `needs_reauthorization`).
    pub fn set_connection_status(&self, id: &str, status: &str) -> Result<()> {
        self.writer().execute(
            "UPDATE connections SET status = ?2 WHERE id = ?1",
            params![id, status],
        )?;
        Ok(())
    }

    /// Deletes a connection no directory sync uses.
    pub fn delete_connection(&self, id: &str) -> Result<()> {
        let c = self.writer();
        let users: Vec<String> = {
            let mut st =
                c.prepare("SELECT name FROM directories WHERE connection_id = ?1 ORDER BY name")?;
            let v = st
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        if !users.is_empty() {
            return Err(StoreError::Conflict(format!(
                "The connection is used by the directory sync(s) {}. Delete those syncs first, or point them at another connection.",
                users.join(", ")
            )));
        }
        let n = c.execute("DELETE FROM connections WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no connection {id} in this tenant."
            )));
        }
        Ok(())
    }

    /// Adds a directory sync, last in the order of precedence among the syncs of its type.
    pub fn insert_directory(
        &self,
        d: &DirectoryRecord,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |tx| insert_directory(tx, d))
    }

    /// Adds a connection and a directory sync that uses it, both or neither.
    pub fn insert_connection_and_directory(
        &self,
        connection: &ConnectionRecord,
        d: &DirectoryRecord,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |tx| {
            insert_connection(tx, connection)?;
            insert_directory(tx, d)
        })
    }

    /// Moves a directory sync to `position` (1 = first) in the order of precedence among the syncs of its
    /// type; the others keep their order. Conflicts recorded under the old order are forgotten (the next
    /// runs report them again), and plans in progress are made again.
    pub fn set_precedence(&self, key: &str, position: usize) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let sync_type: String = tx
            .query_row(
                "SELECT sync_type FROM directories WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(format!("There is no directory sync {key} in this tenant."))
            })?;
        let mut order: Vec<String> = {
            let mut st = tx.prepare(
                "SELECT key FROM directories WHERE sync_type = ?1 ORDER BY precedence, created_at, key",
            )?;
            let v = st
                .query_map([&sync_type], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            v
        };
        if position == 0 || position > order.len() {
            return Err(StoreError::Conflict(format!(
                "There are {} syncs of this type: the position must be between 1 and {}.",
                order.len(),
                order.len()
            )));
        }
        order.retain(|k| k != key);
        order.insert(position - 1, key.to_string());
        {
            let mut st = tx.prepare("UPDATE directories SET precedence = ?2 WHERE key = ?1")?;
            for (i, k) in order.iter().enumerate() {
                st.execute(params![k, i as i64 + 1])?;
            }
        }
        tx.execute(
            "DELETE FROM sync_conflicts WHERE directory_key IN (SELECT key FROM directories WHERE sync_type = ?1)",
            [&sync_type],
        )?;
        bump_data_revision(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Starts a sync's schedule at `at`, if it has not started yet (the admin's first run).
    pub fn start_schedule(&self, key: &str, at: Timestamp) -> Result<()> {
        self.writer().execute(
            "UPDATE directories SET schedule_from = ?2 WHERE key = ?1 AND schedule_from IS NULL",
            params![key, at.0],
        )?;
        Ok(())
    }

    /// Conflicts other syncs reported against `key` (what they found and left to it), as of their last
    /// complete runs.
    pub fn conflicts_won(&self, key: &DirectoryKey) -> Result<Vec<Conflict>> {
        let c = self.reader();
        let mut st = c.prepare_cached(
            "SELECT c.object, c.key, c.directory_key, d.name FROM sync_conflicts c JOIN directories d ON d.key = c.directory_key
             WHERE c.winner = ?1 ORDER BY c.object, c.key, c.directory_key",
        )?;
        let rows = st
            .query_map([&key.0], |r| {
                let object: String = r.get(0)?;
                let other_name: String = r.get(3)?;
                Ok(Conflict {
                    object: object_kind(&object),
                    key: r.get(1)?,
                    other: r.get(2)?,
                    message: format!(
                        "The sync \"{other_name}\" also finds this {object}; this sync comes first in the order of precedence, so it keeps it."
                    ),
                    other_name,
                    kept: true,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// How many conflicts each directory sync has with others (either side), by key.
    pub fn conflict_counts(&self) -> Result<std::collections::HashMap<String, u64>> {
        let c = self.reader();
        let mut st = c.prepare_cached(
            "SELECT directory_key, count(*) FROM sync_conflicts GROUP BY directory_key
             UNION ALL SELECT winner, count(*) FROM sync_conflicts GROUP BY winner",
        )?;
        let mut out = std::collections::HashMap::new();
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
            let (k, n) = row?;
            *out.entry(k).or_insert(0) += n;
        }
        Ok(out)
    }
}

fn insert_connection(c: &rusqlite::Connection, rec: &ConnectionRecord) -> Result<()> {
    c.execute(
        &format!("INSERT INTO connections ({CONNECTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            rec.id,
            rec.kind,
            rec.name,
            rec.config.to_string(),
            rec.status,
            rec.authorized_by,
            rec.authorized_at.map(|t| t.0),
            rec.state.to_string(),
            rec.created_at.0
        ],
    )?;
    Ok(())
}

fn insert_directory(c: &rusqlite::Connection, d: &DirectoryRecord) -> Result<()> {
    c.execute(
            &format!("INSERT INTO directories ({DIRECTORY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                (SELECT COALESCE(MAX(precedence), 0) + 1 FROM directories WHERE sync_type = ?3), ?17)"),
            params![
                d.key.0,
                d.name,
                d.sync_type.as_str(),
                d.connection_id,
                serde_json::to_string(&d.groups)?,
                serde_json::to_string(&d.attributes)?,
                serde_json::to_string(&d.roles)?,
                d.paused,
                d.interval_minutes,
                d.last_full_sync.map(|t| t.0),
                d.status,
                d.revision,
                d.deletion_threshold_percent,
                d.created_at.0,
                d.cursor.as_ref().map(|c| c.0.as_str()),
                d.cursor.as_ref().map(|c| c.1.as_str()),
                d.schedule_from.map(|t| t.0)
            ],
        )?;
    Ok(())
}

impl Store {
    /// One directory sync.
    pub fn directory(&self, key: &str) -> Result<DirectoryRecord> {
        let c = self.reader();
        c.query_row(&format!("SELECT {DIRECTORY_COLUMNS} FROM directories WHERE key = ?1"), [key], directory_row)
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "There is no directory sync with the key {key} in this tenant. List them with `rosterctl directory list`."
                ))
            })
    }

    /// Every directory sync, by name.
    pub fn directories(&self) -> Result<Vec<DirectoryRecord>> {
        directories(&self.reader())
    }

    /// Replaces a directory sync's configuration (not its status, revision or last sync time).
    pub fn update_directory_config(
        &self,
        d: &DirectoryRecord,
        audit: Option<&crate::AuditEntry>,
    ) -> Result<()> {
        self.write_audited(audit, |c| {
        let n = c.execute(
            "UPDATE directories SET name = ?2, selected_groups = ?3, attributes = ?4, roles = ?5, paused = ?6,
             interval_minutes = ?7, deletion_threshold_percent = ?8 WHERE key = ?1",
            params![
                d.key.0,
                d.name,
                serde_json::to_string(&d.groups)?,
                serde_json::to_string(&d.attributes)?,
                serde_json::to_string(&d.roles)?,
                d.paused,
                d.interval_minutes,
                d.deletion_threshold_percent
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "There is no directory sync {} in this tenant.",
                d.key
            )));
        }
        Ok(())
        })
    }

    /// Deletes a directory sync. Its users, groups and admins stay, no longer managed by a sync; the syncs
    /// after it in the order of precedence move up.
    pub fn delete_directory(&self, key: &str, audit: Option<&crate::AuditEntry>) -> Result<()> {
        self.write_audited(audit, |tx| {
        let found: Option<(String, i64)> = tx
            .query_row(
                "SELECT sync_type, precedence FROM directories WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((sync_type, precedence)) = found else {
            return Err(StoreError::NotFound(format!(
                "There is no directory sync {key} in this tenant."
            )));
        };
        tx.execute("DELETE FROM directories WHERE key = ?1", [key])?;
        tx.execute(
            "UPDATE directories SET precedence = precedence - 1 WHERE sync_type = ?1 AND precedence > ?2",
            params![sync_type, precedence],
        )?;
        bump_data_revision(tx)
        })
    }

    /// Records that a run started; returns its id and the lease it holds until it is finished (another
    /// run of the same sync, in any process, is refused meanwhile). Runs that processes left behind are
    /// recorded as interrupted at the same time.
    pub fn begin_run(
        &self,
        key: &DirectoryKey,
        trigger: Trigger,
        now: Timestamp,
    ) -> Result<(i64, crate::RunLease)> {
        let lease = crate::lease::acquire(self.path(), &key.0)?;
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        self.mark_interrupted(&tx, now, Some(&key.0))?;
        tx.execute(
            "INSERT INTO sync_runs (directory_key, trigger, outcome, started_at) VALUES (?1, ?2, 'running', ?3)",
            params![key.0, trigger.as_str(), now.0],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok((id, lease))
    }

    /// Whether a run of directory sync `key` is in progress, in this process or another.
    pub fn run_in_progress(&self, key: &str) -> bool {
        crate::lease::in_progress(self.path(), key)
    }

    /// Marks the runs recorded as running whose process is gone (nobody holds their lease) interrupted.
    /// `leased` is a sync whose lease the caller holds: its recorded runs are all dead.
    fn mark_interrupted(
        &self,
        c: &rusqlite::Connection,
        now: Timestamp,
        leased: Option<&str>,
    ) -> Result<usize> {
        let running: Vec<(i64, String)> = {
            let mut st = c.prepare_cached(
                "SELECT id, directory_key FROM sync_runs WHERE outcome = 'running'",
            )?;
            let v = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            v
        };
        let mut n = 0;
        for (id, key) in running {
            if leased == Some(key.as_str()) || !self.run_in_progress(&key) {
                n += c.execute(
                    "UPDATE sync_runs SET outcome = 'interrupted', finished_at = ?2, message = ?3 WHERE id = ?1",
                    params![id, now.0, INTERRUPTED],
                )?;
            }
        }
        Ok(n)
    }

    /// A run read back: one recorded as running whose process is gone is shown as interrupted (it is
    /// recorded so by the next run; reading writes nothing).
    pub(crate) fn as_seen(&self, mut run: RunRecord) -> RunRecord {
        if run.outcome == "running" && !self.run_in_progress(&run.directory_key.0) {
            run.outcome = "interrupted".into();
            run.message = Some(INTERRUPTED.into());
        }
        run
    }

    /// Records a failed run: nothing was applied; `message` says why and what to do.
    pub fn fail_run(&self, run_id: i64, now: Timestamp, message: &str) -> Result<()> {
        self.finish_unapplied(
            run_id,
            "failed",
            now,
            &Counts::default(),
            message,
            &[],
            std::iter::empty(),
            &[],
        )
    }

    /// Records a held run with the changes it would make, for review; nothing was applied.
    pub fn hold_run(&self, run_id: i64, now: Timestamp, held: &HeldRun<'_>) -> Result<()> {
        self.finish_unapplied(
            run_id,
            "held",
            now,
            held.counts,
            held.reason,
            held.errors,
            held.plan.changes_iter(),
            held.conflicts,
        )
    }

    #[allow(clippy::too_many_arguments)] // private; the two public doors above keep callers simple
    fn finish_unapplied(
        &self,
        run_id: i64,
        outcome: &str,
        now: Timestamp,
        counts: &Counts,
        message: &str,
        errors: &[EntryError],
        changes: impl Iterator<Item = Change>,
        conflicts: &[Conflict],
    ) -> Result<()> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let held = (outcome == "held").then_some(message);
        tx.execute(
            "UPDATE sync_runs SET outcome = ?2, finished_at = ?3, counts = ?4, message = ?5, errors = ?6, held_reason = ?7, conflicts = ?8 WHERE id = ?1",
            params![run_id, outcome, now.0, serde_json::to_string(counts)?, message, serde_json::to_string(errors)?, held, serde_json::to_string(conflicts)?],
        )?;
        crate::apply::insert_changes(&tx, run_id, 0, changes)?;
        tx.execute(
            // An individual run (one user) says nothing about the sync as a whole: a mistyped username
            // must not mark the directory sync failed.
            "UPDATE directories SET status = ?2
             WHERE key = (SELECT directory_key FROM sync_runs WHERE id = ?1 AND trigger != 'individual')",
            params![run_id, outcome],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records runs left `running` by a process that ended mid-run as `interrupted` (runs still in
    /// progress in another process are left alone). Their changes were never committed: the apply
    /// transaction is all or nothing.
    pub fn mark_interrupted_runs(&self, now: Timestamp) -> Result<usize> {
        let c = self.writer();
        self.mark_interrupted(&c, now, None)
    }

    /// Runs, newest first; of one directory or all.
    pub fn runs(&self, key: Option<&str>, limit: u32) -> Result<Vec<RunRecord>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM sync_runs WHERE (?1 IS NULL OR directory_key = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = st
            .query_map(params![key, limit], run_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().map(|r| self.as_seen(r)).collect())
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<RunRecord> {
        let c = self.reader();
        let run = c
            .query_row(
                &format!("SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = ?1"),
                [id],
                run_row,
            )
            .optional()?
            .ok_or_else(|| {
                StoreError::NotFound(format!("There is no sync run {id} in this tenant."))
            })?;
        Ok(self.as_seen(run))
    }

    /// A page of a run's change log: up to `limit` records from position `from` (0 first), and where the
    /// next page starts (`None` after the last).
    pub fn run_changes(
        &self,
        id: i64,
        from: u64,
        limit: u64,
    ) -> Result<(Vec<Change>, Option<u64>)> {
        let c = self.reader();
        let mut st = c.prepare_cached(
            "SELECT seq, object, key, action, fields, reason FROM run_changes WHERE run_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
        )?;
        let mut last = None;
        let changes = st
            .query_map(params![id, from, limit], |r| {
                let object: String = r.get(1)?;
                Ok((
                    r.get::<_, u64>(0)?,
                    Change {
                        object: object_kind(&object),
                        key: r.get(2)?,
                        action: action(r.get(3)?)?,
                        fields: json(r.get(4)?)?,
                        reason: r.get(5)?,
                    },
                ))
            })?
            .map(|row| {
                row.map(|(seq, change)| {
                    last = Some(seq);
                    change
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let next = match last {
            Some(seq) if changes.len() as u64 >= limit => Some(seq + 1),
            _ => None,
        };
        Ok((changes, next))
    }

    /// How many records a run's change log has.
    pub fn run_change_count(&self, id: i64) -> Result<u64> {
        Ok(self.reader().query_row(
            "SELECT count(*) FROM run_changes WHERE run_id = ?1",
            [id],
            |r| r.get(0),
        )?)
    }
}

/// Every directory sync, by name.
pub(crate) fn directories(c: &rusqlite::Connection) -> Result<Vec<DirectoryRecord>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {DIRECTORY_COLUMNS} FROM directories ORDER BY name COLLATE NOCASE, key"
    ))?;
    let rows = st
        .query_map([], directory_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
