//! Transport types at the boundary (src-tauri/ipc-contract.md). Converted from domain and store types here,
//! so no front door depends on their shape.

use crate::error::Result;
use roster_core::{Change, Conflict, Counts, EntryError, SyncType, Timestamp};
use serde::Serialize;
use ts_rs::TS;

mod lists;
mod operators;
mod rows;
mod server;
mod status;
pub use lists::*;
pub use operators::{
    ActingAs, Operator, OperatorFilter, OperatorSort, Refusal, SwitchTarget, TenantSettings,
};
pub use rows::{AdminRow, GroupRow, Page, UserRow};
pub use server::{ApiGrantInfo, ServerSetup, ServerStatus, ServerTls};
pub(crate) use status::decode;
pub use status::{
    CheckStep, ConnectionStatus, DirectoryStatus, ProgressPhase, RunOutcome, RunTrigger, Schedule,
};

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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

/// A kind of connection, as the window offers it: everything the window needs to know about a kind,
/// so it names none itself (`connection_kinds`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ConnectionKindInfo {
    /// The kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Its name in sentences ("Microsoft Entra ID").
    pub name: String,
    /// Its short name in lists ("Entra ID").
    pub short_name: String,
    /// The name of its offline demo ("Entra ID (demo)"), for cloud kinds when this build has one.
    pub demo_name: Option<String>,
    /// How Roster reaches its directories.
    pub access: KindAccess,
    /// Whether it has user syncs.
    pub user_syncs: bool,
    /// Whether it has admin syncs.
    pub admin_syncs: bool,
    /// Whether this version of Roster can add it.
    pub available: bool,
    /// The secrets its connections keep in the secret store.
    pub secrets: Vec<crate::kinds::ConnectionSecret>,
    /// Cloud kinds: how the window sets up a connection (the app registration's guide and settings).
    pub setup: Option<&'static crate::kinds::CloudSetup>,
    /// LDAP kinds: how the window sets up a connection (examples, username attributes, schema).
    pub ldap_setup: Option<&'static crate::kinds::LdapSetup>,
}

/// How Roster reaches a kind's directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KindAccess {
    /// Generated in this process (the demo directory).
    Builtin,
    /// An LDAP server: a bind account, Test connection, a certificate.
    Ldap,
    /// A vendor's API, after signing in through the browser.
    Cloud,
    /// The directory pushes to Roster.
    Inbound,
}

impl From<crate::kinds::ConnectionKind> for ConnectionKindInfo {
    fn from(k: crate::kinds::ConnectionKind) -> Self {
        use crate::kinds::Access;
        let i = k.info();
        let access = match i.access {
            Access::Builtin => KindAccess::Builtin,
            Access::Ldap(_) => KindAccess::Ldap,
            Access::Cloud(_) => KindAccess::Cloud,
            Access::Inbound => KindAccess::Inbound,
        };
        ConnectionKindInfo {
            kind: k,
            name: i.name.into(),
            short_name: i.short_name.into(),
            // The emulators come with the `demo` feature.
            demo_name: (access == KindAccess::Cloud && cfg!(feature = "demo"))
                .then(|| k.demo_name()),
            access,
            user_syncs: i.user_syncs,
            admin_syncs: i.admin_syncs,
            available: i.available,
            secrets: i.secrets.to_vec(),
            setup: i.setup,
            ldap_setup: i.ldap_setup,
        }
    }
}

/// A connection, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConnectionBrief {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Name.
    pub name: String,
}

/// A connection in full (never its secrets).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Connection {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: crate::kinds::ConnectionKind,
    /// Name.
    pub name: String,
    /// Settings (never secrets). LDAP: servers, transport, ca_pem, verify_hostname, bind_dn, base_dn, …
    /// Cloud: the vendor's settings.
    #[ts(type = "Record<string, unknown>")]
    pub config: serde_json::Value,
    /// Whether it can be used.
    pub status: ConnectionStatus,
    /// The secret an admin can enter again for it, in words ("bind password", "client secret"), if it
    /// keeps one (`connection_set_secret`).
    pub secret: Option<String>,
    /// Who authorized it.
    pub authorized_by: Option<String>,
    /// When.
    pub authorized_at: Option<String>,
    /// Directory syncs using it.
    pub used_by: Vec<String>,
}

/// A run in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RunSummary {
    /// Id.
    #[ts(type = "number")]
    pub run_id: i64,
    /// Directory key.
    pub directory_key: String,
    /// Directory name.
    pub directory_name: String,
    /// Trigger.
    pub trigger: RunTrigger,
    /// Outcome.
    pub outcome: RunOutcome,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RunReport {
    /// Id (null for previews).
    #[ts(type = "number | null")]
    pub run_id: Option<i64>,
    /// Directory key.
    pub directory_key: String,
    /// Directory name.
    pub directory_name: String,
    /// Trigger.
    pub trigger: RunTrigger,
    /// Outcome.
    pub outcome: RunOutcome,
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
    #[ts(type = "number")]
    pub changes_total: u64,
    /// Skipped entries.
    pub errors: Vec<EntryError>,
    /// Users, groups and admins other syncs also find, and which sync keeps each.
    pub conflicts: Vec<Conflict>,
    /// Why it was held.
    pub held_reason: Option<String>,
}

/// A page of a run's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ChangePage {
    /// The changes, in the log's order.
    pub changes: Vec<Change>,
    /// Where the next page starts, or `None` after the last.
    #[ts(type = "number | null")]
    pub next: Option<u64>,
}

/// A directory sync just added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AddedDirectory {
    /// Its key.
    pub directory_key: String,
    /// Overlaps with the tenant's other syncs found when it was added (groups both select), each saying
    /// which sync keeps what both find; the first runs report every user and group concerned.
    pub conflicts: Vec<String>,
}

/// A directory sync in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DirectorySummary {
    /// Key.
    pub directory_key: String,
    /// Name.
    pub name: String,
    /// What it imports.
    pub sync_type: SyncType,
    /// Connection.
    pub connection: ConnectionBrief,
    /// Whether scheduled runs happen.
    pub schedule: Schedule,
    /// Interval.
    pub interval_minutes: u32,
    /// Last full sync.
    pub last_full_sync: Option<String>,
    /// How its latest full run went.
    pub status: DirectoryStatus,
    /// Latest run.
    pub last_run: Option<RunSummary>,
    /// Users (or admins) it manages.
    #[ts(type = "number")]
    pub user_count: u64,
    /// Selected groups (user syncs) or role-mapped groups (admin syncs).
    pub groups: Vec<String>,
    /// Safety threshold.
    pub deletion_threshold_percent: u8,
    /// The username attribute (fixed after the first sync).
    pub username_attribute: String,
    /// Which source attribute feeds which field.
    pub attributes: roster_core::AttributeMap,
    /// An admin sync's directory groups and the role each gives (empty for user syncs).
    pub roles: std::collections::BTreeMap<String, roster_core::AdminRole>,
    /// Place in the order of precedence among the syncs of its type (1 first): what two syncs both find
    /// belongs to the one that comes first.
    #[ts(type = "number")]
    pub precedence: i64,
    /// Users, groups and admins that this sync and another both find.
    #[ts(type = "number")]
    pub conflicts: u64,
}

impl RunSummary {
    pub(crate) fn from_record(r: &roster_store::RunRecord, directory_name: &str) -> Result<Self> {
        Ok(RunSummary {
            run_id: r.id,
            directory_key: r.directory_key.to_string(),
            directory_name: directory_name.to_string(),
            trigger: decode("run trigger", &r.trigger)?,
            outcome: decode("run outcome", &r.outcome)?,
            started_at: r.started_at.to_rfc3339(),
            finished_at: time(r.finished_at),
            counts: r.counts,
            message: r.message.clone(),
        })
    }
}

impl RunReport {
    pub(crate) fn from_engine(r: roster_engine::RunReport, directory_name: &str) -> Result<Self> {
        Ok(RunReport {
            run_id: r.run_id,
            trigger: decode("run trigger", &r.trigger)?,
            directory_key: r.directory_key,
            directory_name: directory_name.to_string(),
            outcome: r.outcome.into(),
            started_at: r.started_at.to_rfc3339(),
            finished_at: Some(r.finished_at.to_rfc3339()),
            counts: r.counts,
            message: Some(r.message),
            changes: r.changes,
            changes_total: r.changes_total,
            errors: r.errors,
            conflicts: r.conflicts,
            held_reason: r.held_reason,
        })
    }

    pub(crate) fn from_record(
        r: roster_store::RunRecord,
        changes: Vec<Change>,
        changes_total: u64,
        directory_name: &str,
    ) -> Result<Self> {
        let s = RunSummary::from_record(&r, directory_name)?;
        Ok(RunReport {
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
        })
    }
}

/// Progress of a run, as sent to windows (`sync-progress`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ProgressEvent {
    /// The tenant whose run this is: a window shows only the open tenant's runs.
    pub tenant: String,
    /// Directory key.
    pub directory_key: String,
    /// Run id.
    #[ts(type = "number | null")]
    pub run_id: Option<i64>,
    /// Phase.
    pub phase: ProgressPhase,
    /// Done.
    #[ts(type = "number")]
    pub done: u64,
    /// Total.
    #[ts(type = "number")]
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
            phase: p.phase.into(),
            done: p.done,
            total: p.total,
            message: p.message.clone(),
        }
    }
}

/// What a sign-in in the browser is doing, as sent to windows (`consent-progress`): sent once the
/// browser was asked to open the vendor's consent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConsentProgress {
    /// Waiting for the admin in the browser.
    pub state: ConsentState,
    /// The consent page, for the window to offer as a link (the browser may not have opened).
    pub authorization_url: String,
    /// The vendor's name as people read it ("Microsoft Entra ID", "Okta (demo)").
    pub vendor: String,
}

/// The state of a sign-in in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// The consent page is open; Roster waits for the admin.
    Waiting,
}

/// One step of "Test connection".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConnectionCheck {
    /// Which step.
    pub step: CheckStep,
    /// The server checked.
    pub server: String,
    /// Passed.
    pub ok: bool,
    /// What was found, or what to do.
    pub detail: String,
}

impl ConnectionCheck {
    /// A step of the LDAP connector's diagnosis.
    pub(crate) fn from_ldap(k: roster_connector_ldap::diagnose::Check) -> Result<Self> {
        Ok(ConnectionCheck {
            step: status::parse_name(&k.step).ok_or_else(|| {
                crate::ApiError::new(
                    crate::Code::Unknown,
                    format!(
                        "Test connection reported a step Roster does not know (\"{}\").",
                        k.step
                    ),
                )
            })?,
            server: k.server,
            ok: k.ok,
            detail: k.detail,
        })
    }
}

/// Limits the window's forms share with the backend, so they never offer more than it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppLimits {
    /// The longest tenant, directory sync or connection name, in characters.
    pub name_max: usize,
}
