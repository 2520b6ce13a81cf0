//! Admin API applications and the audit trail (schema 8).
//!
//! Invariants:
//! - an application's secret key is never here: it lives in the secret store. What is here is its
//!   `secret_generation`, bumped by every reset in the same write, so a server in another process that
//!   cached the old secret sees that it changed and reads the new one before it verifies again;
//! - every change the audit trail records is written in the same transaction as the entry ([`Store::audited`]):
//!   a change without its entry, or an entry without its change, cannot be read.

use crate::{Result, Store, StoreError};
use roster_core::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};

/// The Admin API tables, shared by the current schema and the upgrade to 8.
pub const TABLES: &str = r#"
-- Admin API applications. The secret key lives in the secret store only; secret_generation is bumped by
-- every reset so that every process serving the API drops the old one at once.
CREATE TABLE api_applications (
    ikey TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grants TEXT NOT NULL,                -- JSON array of grant names (read_resource, write_resource, ...)
    host TEXT,                           -- the API hostname clients sign, when not the server's own
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    secret_generation INTEGER NOT NULL DEFAULT 1
);
-- What operators, syncs and Admin API applications changed, newest last.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('operator', 'sync', 'api')),
    actor TEXT NOT NULL,                 -- an operator's email, a sync's name, an application's name
    action TEXT NOT NULL,                -- user_create, user_update, user_delete, group_add_user, ...
    object TEXT NOT NULL,                -- the username, group name, admin email or setting changed
    description TEXT NOT NULL            -- JSON object: what changed
);
CREATE INDEX audit_log_at ON audit_log(at);
"#;

/// An Admin API application as stored (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiApplication {
    /// Its integration key (`DI` and 18 characters), unique across tenants.
    pub ikey: String,
    /// Its name.
    pub name: String,
    /// Its grants, by name.
    pub grants: Vec<String>,
    /// The API hostname clients sign, when not the server's own.
    pub host: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last used (to the minute).
    pub last_used: Option<Timestamp>,
    /// Bumped by every reset of its secret key.
    pub secret_generation: i64,
}

/// Who made a change the audit trail records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// An operator, in the app or with rosterctl.
    Operator,
    /// A directory sync.
    Sync,
    /// An Admin API application.
    Api,
}

impl ActorKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Operator => "operator",
            ActorKind::Sync => "sync",
            ActorKind::Api => "api",
        }
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who kind.
    pub actor_kind: ActorKind,
    /// Who: an operator's email, a sync's name, an application's name.
    pub actor: String,
    /// What was done (`user_create`, …).
    pub action: String,
    /// To what.
    pub object: String,
    /// What changed (a JSON object).
    pub description: serde_json::Value,
}

/// An audit entry as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its position in the trail.
    pub seq: i64,
    /// The entry.
    pub entry: AuditEntry,
}

fn app_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiApplication> {
    let grants: String = r.get(2)?;
    Ok(ApiApplication {
        ikey: r.get(0)?,
        name: r.get(1)?,
        grants: serde_json::from_str(&grants).unwrap_or_default(),
        host: r.get(3)?,
        created_at: Timestamp(r.get(4)?),
        last_used: r.get::<_, Option<i64>>(5)?.map(Timestamp),
        secret_generation: r.get(6)?,
    })
}

const APP_COLUMNS: &str = "ikey, name, grants, host, created_at, last_used, secret_generation";

pub(crate) fn insert_audit(tx: &rusqlite::Connection, e: &AuditEntry) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit_log (at, actor_kind, actor, action, object, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        e.at.0,
        e.actor_kind.as_str(),
        e.actor,
        e.action,
        e.object,
        e.description.to_string()
    ])?;
    Ok(())
}

fn missing(ikey: &str) -> StoreError {
    StoreError::NotFound(format!(
        "There is no Admin API application with the integration key {ikey} in this tenant. List them with `rosterctl api list`."
    ))
}

impl Store {
    /// Runs `f` in one IMMEDIATE transaction and records `audit` in it: both are written, or neither.
    pub fn audited<T, E: From<StoreError>>(
        &self,
        audit: &AuditEntry,
        f: impl FnOnce(&Transaction<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut c = self.writer();
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&tx)?;
        insert_audit(&tx, audit)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` in one IMMEDIATE transaction and records `audit` in it, when given: an operator's change
    /// and its audit entry are written together, or neither. `None` only where no one acts (tests,
    /// restoring an exported tenant).
    pub(crate) fn write_audited<T>(
        &self,
        audit: Option<&AuditEntry>,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut c = self.writer();
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        if let Some(a) = audit {
            insert_audit(&tx, a)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Adds an application.
    pub fn insert_api_application(&self, a: &ApiApplication, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            tx.execute(
                &format!("INSERT INTO api_applications ({APP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    a.ikey,
                    a.name,
                    serde_json::to_string(&a.grants)?,
                    a.host,
                    a.created_at.0,
                    a.last_used.map(|t| t.0),
                    a.secret_generation
                ],
            )?;
            Ok(())
        })
    }

    /// The tenant's applications, by name.
    pub fn api_applications(&self) -> Result<Vec<ApiApplication>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {APP_COLUMNS} FROM api_applications ORDER BY name COLLATE NOCASE, ikey"
        ))?;
        let rows = st.query_map([], app_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One application.
    pub fn api_application(&self, ikey: &str) -> Result<Option<ApiApplication>> {
        let c = self.reader();
        let mut st = c.prepare_cached(&format!(
            "SELECT {APP_COLUMNS} FROM api_applications WHERE ikey = ?1"
        ))?;
        Ok(st.query_row([ikey], app_row).optional()?)
    }

    /// How many applications the tenant has.
    pub fn api_application_count(&self) -> Result<u64> {
        Ok(self
            .reader()
            .query_row("SELECT count(*) FROM api_applications", [], |r| r.get(0))?)
    }

    /// Replaces an application's grants.
    pub fn set_api_grants(&self, ikey: &str, grants: &[String], audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            let n = tx.execute(
                "UPDATE api_applications SET grants = ?2 WHERE ikey = ?1",
                params![ikey, serde_json::to_string(grants)?],
            )?;
            if n == 0 {
                return Err(missing(ikey));
            }
            Ok(())
        })
    }

    /// Bumps an application's secret generation (its secret key was replaced) and returns the new one.
    /// `replace` stores the new secret inside the same transaction, so that a failure to store it leaves
    /// the generation (and the old secret) as they were.
    pub fn reset_api_secret(
        &self,
        ikey: &str,
        audit: &AuditEntry,
        replace: impl FnOnce() -> Result<()>,
    ) -> Result<i64> {
        self.audited(audit, |tx| {
            let n = tx.execute(
                "UPDATE api_applications SET secret_generation = secret_generation + 1 WHERE ikey = ?1",
                [ikey],
            )?;
            if n == 0 {
                return Err(missing(ikey));
            }
            replace()?;
            Ok(tx.query_row(
                "SELECT secret_generation FROM api_applications WHERE ikey = ?1",
                [ikey],
                |r| r.get(0),
            )?)
        })
    }

    /// Deletes an application.
    pub fn delete_api_application(&self, ikey: &str, audit: &AuditEntry) -> Result<()> {
        self.audited(audit, |tx| {
            let n = tx.execute("DELETE FROM api_applications WHERE ikey = ?1", [ikey])?;
            if n == 0 {
                return Err(missing(ikey));
            }
            Ok(())
        })
    }

    /// An application's secret generation, read fresh (not from any cache): `None` if it is gone.
    pub fn api_secret_generation(&self, ikey: &str) -> Result<Option<i64>> {
        Ok(self
            .reader()
            .query_row(
                "SELECT secret_generation FROM api_applications WHERE ikey = ?1",
                [ikey],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Records that an application was used at `now`, unless it was recorded less than a minute ago (a
    /// busy script must not cost a write per request).
    pub fn touch_api_application(&self, ikey: &str, now: Timestamp) -> Result<()> {
        self.writer().execute(
            "UPDATE api_applications SET last_used = ?2 WHERE ikey = ?1 AND (last_used IS NULL OR last_used <= ?2 - 60)",
            params![ikey, now.0],
        )?;
        Ok(())
    }

    /// Records an entry on its own (for changes written elsewhere in one statement).
    pub fn audit(&self, e: &AuditEntry) -> Result<()> {
        insert_audit(&self.writer(), e)
    }

    /// A page of the audit trail between `mintime` and `maxtime` (seconds) after `after` (time,
    /// position), oldest first or (`desc`) newest first, and how many entries the window holds.
    pub fn audit_keyset(
        &self,
        mintime: i64,
        maxtime: i64,
        after: Option<(i64, i64)>,
        desc: bool,
        limit: u64,
    ) -> Result<(Vec<AuditRecord>, u64)> {
        let c = self.reader();
        let total: u64 = c.query_row(
            "SELECT count(*) FROM audit_log WHERE at BETWEEN ?1 AND ?2",
            params![mintime, maxtime],
            |r| r.get(0),
        )?;
        let (cmp, order) = if desc { ("<", "DESC") } else { (">", "ASC") };
        let (at, seq) = after.unwrap_or(if desc {
            (i64::MAX, i64::MAX)
        } else {
            (i64::MIN, i64::MIN)
        });
        let mut st = c.prepare_cached(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE at BETWEEN ?1 AND ?2 AND (at, seq) {cmp} (?3, ?4)
             ORDER BY at {order}, seq {order} LIMIT ?5"
        ))?;
        let rows = st.query_map(
            params![
                mintime,
                maxtime,
                at,
                seq,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            audit_row,
        )?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total))
    }

    /// A page of the audit trail between `mintime` and `maxtime` (inclusive, seconds), oldest first, and
    /// how many entries there are in that window.
    pub fn audit_page(
        &self,
        mintime: i64,
        maxtime: i64,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<AuditRecord>, u64)> {
        let c = self.reader();
        let total: u64 = c.query_row(
            "SELECT count(*) FROM audit_log WHERE at BETWEEN ?1 AND ?2",
            params![mintime, maxtime],
            |r| r.get(0),
        )?;
        let mut st = c.prepare_cached(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE at BETWEEN ?1 AND ?2 ORDER BY at, seq LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = st.query_map(
            params![
                mintime,
                maxtime,
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            audit_row,
        )?;
        Ok((rows.collect::<rusqlite::Result<_>>()?, total))
    }
}

const AUDIT_COLUMNS: &str = "seq, at, actor_kind, actor, action, object, description";

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
    let kind: String = r.get(2)?;
    let desc: String = r.get(6)?;
    Ok(AuditRecord {
        seq: r.get(0)?,
        entry: AuditEntry {
            at: Timestamp(r.get(1)?),
            actor_kind: match kind.as_str() {
                "sync" => ActorKind::Sync,
                "api" => ActorKind::Api,
                _ => ActorKind::Operator,
            },
            actor: r.get(3)?,
            action: r.get(4)?,
            object: r.get(5)?,
            description: serde_json::from_str(&desc).unwrap_or(serde_json::Value::String(desc)),
        },
    })
}
