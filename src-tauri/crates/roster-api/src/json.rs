//! Transport types at the boundary (src-tauri/ipc-contract.md). Converted from domain and store types here,
//! so no front door depends on their shape.

use roster_core::{Change, Conflict, Counts, EntryError, Timestamp};
use serde::Serialize;

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Id (file name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether it is the open tenant.
    pub current: bool,
    /// Created (RFC 3339).
    pub created_at: String,
}

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActingAs {
    /// Email, when an operator acts (the schedule has none).
    pub email: Option<String>,
    /// Name.
    pub name: String,
    /// Role, as shown ("Owner", "Sync operators (custom role)").
    pub role: String,
}

/// An operator of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operator {
    /// Email: the operator's key.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role, as shown.
    pub role: String,
    /// The custom role's name, for operators with one.
    pub custom_role: Option<String>,
    /// `Active`, `Disabled`, …
    pub status: String,
    /// The sync that manages it, if one does (its name, role and status come from the directory).
    pub managed_by: Option<String>,
}

/// A kind of connection, as the window offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionKindInfo {
    /// The kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Its name in sentences.
    pub name: String,
    /// Its short name in lists.
    pub short_name: String,
    /// Whether adding a connection signs in through the browser.
    pub signs_in: bool,
    /// Whether its connections are LDAP servers (a bind password, Test connection, a certificate).
    pub ldap: bool,
    /// Whether it has user syncs.
    pub user_syncs: bool,
    /// Whether it has admin syncs.
    pub admin_syncs: bool,
    /// Whether this version of Roster can add it.
    pub available: bool,
}

impl From<crate::kinds::ConnectionKind> for ConnectionKindInfo {
    fn from(k: crate::kinds::ConnectionKind) -> Self {
        let i = k.info();
        ConnectionKindInfo {
            kind: k,
            name: i.name.into(),
            short_name: i.short_name.into(),
            signs_in: matches!(i.access, crate::kinds::Access::Cloud(_)),
            ldap: matches!(i.access, crate::kinds::Access::Ldap(_)),
            user_syncs: i.user_syncs,
            admin_syncs: i.admin_syncs,
            available: i.available,
        }
    }
}

/// A connection, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionBrief {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Name.
    pub name: String,
}

/// A connection in full (never its secrets).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connection {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Name.
    pub name: String,
    /// Settings.
    pub config: serde_json::Value,
    /// `ready`, `needs_reauthorization`, `needs_credentials`.
    pub status: String,
    /// Who authorized it.
    pub authorized_by: Option<String>,
    /// When.
    pub authorized_at: Option<String>,
    /// Directory syncs using it.
    pub used_by: Vec<String>,
}

/// A run in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Id.
    pub run_id: i64,
    /// Directory key.
    pub directory_key: String,
    /// Directory name.
    pub directory_name: String,
    /// Trigger.
    pub trigger: String,
    /// Outcome.
    pub outcome: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: Option<String>,
    /// Counts.
    pub counts: Counts,
    /// Summary or failure reason.
    pub message: Option<String>,
}

/// A run in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Id (null for previews).
    pub run_id: Option<i64>,
    /// Directory key.
    pub directory_key: String,
    /// Directory name.
    pub directory_name: String,
    /// Trigger.
    pub trigger: String,
    /// Outcome.
    pub outcome: String,
    /// Start.
    pub started_at: String,
    /// End.
    pub finished_at: Option<String>,
    /// Counts.
    pub counts: Counts,
    /// Summary, failure reason, or hold reason.
    pub message: Option<String>,
    /// Per-object changes: the first of them when there are many (`changes_total` says how many); the
    /// rest are read page by page with the run's id.
    pub changes: Vec<Change>,
    /// How many objects the run changed (or would change).
    pub changes_total: u64,
    /// Skipped entries.
    pub errors: Vec<EntryError>,
    /// Users, groups and admins other syncs also find, and which sync keeps each.
    pub conflicts: Vec<Conflict>,
    /// Why it was held.
    pub held_reason: Option<String>,
}

/// A page of a run's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangePage {
    /// The changes, in the log's order.
    pub changes: Vec<Change>,
    /// Where the next page starts, or `None` after the last.
    pub next: Option<u64>,
}

/// A directory sync just added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedDirectory {
    /// Its key.
    pub directory_key: String,
    /// Overlaps with the tenant's other syncs found when it was added (groups both select), each saying
    /// which sync keeps what both find; the first runs report every user and group concerned.
    pub conflicts: Vec<String>,
}

/// A directory sync in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectorySummary {
    /// Key.
    pub directory_key: String,
    /// Name.
    pub name: String,
    /// `user` or `admin`.
    pub sync_type: String,
    /// Connection.
    pub connection: ConnectionBrief,
    /// `scheduled`, `paused`, or `waiting` (a new sync: scheduled runs start after the admin's first run).
    pub schedule: String,
    /// Interval.
    pub interval_minutes: u32,
    /// Last full sync.
    pub last_full_sync: Option<String>,
    /// `never_synced`, `ok`, `failed`, `held`, `running`.
    pub status: String,
    /// Latest run.
    pub last_run: Option<RunSummary>,
    /// Users (or admins) it manages.
    pub user_count: u64,
    /// Selected groups (user syncs) or role-mapped groups (admin syncs).
    pub groups: Vec<String>,
    /// Safety threshold.
    pub deletion_threshold_percent: u8,
    /// The username attribute (fixed after the first sync).
    pub username_attribute: String,
    /// Place in the order of precedence among the syncs of its type (1 first): what two syncs both find
    /// belongs to the one that comes first.
    pub precedence: i64,
    /// Users, groups and admins that this sync and another both find.
    pub conflicts: u64,
}

/// A page of a list: the store's own type, which already has the boundary's shape.
pub use roster_store::Page;

/// A user in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// Id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub realname: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Status.
    pub status: String,
    /// Groups.
    pub groups: Vec<String>,
    /// Managing sync's name.
    pub managed_by: Option<String>,
    /// Last written by a sync.
    pub last_directory_sync: Option<String>,
    /// For users in the trash: when they are deleted for good.
    pub purge_at: Option<String>,
}

impl UserRow {
    pub(crate) fn from_store(r: roster_store::UserRow, retention_days: u32) -> Self {
        UserRow {
            user_id: r.user_id,
            username: r.username,
            realname: r.realname,
            email: r.email,
            status: r.status,
            groups: r.groups,
            managed_by: r.managed_by,
            last_directory_sync: time(r.last_directory_sync),
            purge_at: time(r.trashed_at.map(|t| t.plus_days(retention_days))),
        }
    }
}

pub use roster_store::{AdminRow, GroupRow};

impl RunSummary {
    pub(crate) fn from_record(r: &roster_store::RunRecord, directory_name: &str) -> Self {
        RunSummary {
            run_id: r.id,
            directory_key: r.directory_key.to_string(),
            directory_name: directory_name.to_string(),
            trigger: r.trigger.clone(),
            outcome: r.outcome.clone(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: time(r.finished_at),
            counts: r.counts,
            message: r.message.clone(),
        }
    }
}

impl RunReport {
    pub(crate) fn from_engine(r: roster_engine::RunReport, directory_name: &str) -> Self {
        RunReport {
            run_id: r.run_id,
            directory_key: r.directory_key,
            directory_name: directory_name.to_string(),
            trigger: r.trigger,
            outcome: r.outcome.as_str().to_string(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: Some(r.finished_at.to_rfc3339()),
            counts: r.counts,
            message: Some(r.message),
            changes: r.changes,
            changes_total: r.changes_total,
            errors: r.errors,
            conflicts: r.conflicts,
            held_reason: r.held_reason,
        }
    }

    pub(crate) fn from_record(
        r: roster_store::RunRecord,
        changes: Vec<Change>,
        changes_total: u64,
        directory_name: &str,
    ) -> Self {
        let s = RunSummary::from_record(&r, directory_name);
        RunReport {
            run_id: Some(s.run_id),
            directory_key: s.directory_key,
            directory_name: s.directory_name,
            trigger: s.trigger,
            outcome: s.outcome,
            started_at: s.started_at,
            finished_at: s.finished_at,
            counts: s.counts,
            message: s.message,
            changes,
            changes_total,
            errors: r.errors,
            conflicts: r.conflicts,
            held_reason: r.held_reason,
        }
    }
}

/// Progress of a run, as sent to windows (`sync-progress`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressEvent {
    /// The tenant whose run this is: a window shows only the open tenant's runs.
    pub tenant: String,
    /// Directory key.
    pub directory_key: String,
    /// Run id.
    pub run_id: Option<i64>,
    /// Phase.
    pub phase: String,
    /// Done.
    pub done: u64,
    /// Total.
    pub total: u64,
    /// Message.
    pub message: String,
}

impl From<&roster_engine::Progress> for ProgressEvent {
    fn from(p: &roster_engine::Progress) -> Self {
        ProgressEvent {
            tenant: p.tenant.clone(),
            directory_key: p.directory_key.clone(),
            run_id: p.run_id,
            phase: p.phase.as_str().to_string(),
            done: p.done,
            total: p.total,
            message: p.message.clone(),
        }
    }
}

/// One step of "Test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionCheck {
    /// `resolve`, `connect`, `tls`, `bind`, `base_dn` (or `demo`).
    pub step: String,
    /// The server checked.
    pub server: String,
    /// Passed.
    pub ok: bool,
    /// What was found, or what to do.
    pub detail: String,
}
