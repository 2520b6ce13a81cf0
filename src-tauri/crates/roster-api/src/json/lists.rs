//! The lists' queries (what the window sends: a search, filters, an order) and what a user's page, a
//! group's page, a user's history and Sync History's charts show.

use super::{RunOutcome, RunTrigger};
use roster_core::{FieldChange, SyncType, UserStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How the Users and Trash lists are ordered (ties by username).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UserSortKey {
    /// Username.
    #[default]
    Username,
    /// Display name.
    Name,
    /// Email.
    Email,
    /// Status.
    Status,
    /// When a sync last wrote the user.
    LastSync,
    /// The trash: when the user is deleted for good (soonest first).
    DaysLeft,
}

/// Which users (or groups) a list shows by who manages them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ManagedBy {
    /// Everyone.
    #[default]
    Any,
    /// Only those added by hand (no sync manages them).
    ByHand,
    /// Only those one sync manages.
    Sync {
        /// The sync's key.
        key: String,
    },
}

/// What the Users or Trash list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct UserListQuery {
    /// Part of a username, display name or email; empty for everyone.
    pub search: String,
    /// Only this status (the Users list; the trash holds only `pending deletion`).
    pub status: Option<UserStatus>,
    /// Who manages them.
    pub managed_by: ManagedBy,
    /// The order.
    pub sort: UserSortKey,
    /// Reversed.
    pub descending: bool,
}

/// How the Groups list is ordered (ties by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum GroupSortKey {
    /// Name.
    #[default]
    Name,
    /// The managing sync.
    Sync,
}

/// What the Groups list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
pub struct GroupListQuery {
    /// Part of a name or description.
    pub search: String,
    /// Who manages them.
    pub managed_by: ManagedBy,
    /// Only this status.
    pub status: Option<roster_core::GroupStatus>,
    /// The order.
    pub sort: GroupSortKey,
    /// Reversed.
    pub descending: bool,
}

/// A sync, by key and name (to link to its page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncRef {
    /// Key.
    pub directory_key: String,
    /// Name.
    pub name: String,
}

/// A group, by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GroupRef {
    /// Id.
    pub group_id: String,
    /// Name.
    pub name: String,
}

/// One field of a user's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UserField {
    /// Duo's name for it ("Email", "Phones", a custom attribute's name).
    pub label: String,
    /// Its values (most fields have at most one).
    pub values: Vec<String>,
    /// For a field the managing sync writes: the source attribute it comes from. Such a field is changed
    /// in the directory, not here.
    pub synced_from: Option<String>,
}

/// A user's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UserDetail {
    /// Id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Status.
    pub status: UserStatus,
    /// The sync that manages the user, if one does.
    pub managed_by: Option<SyncRef>,
    /// Fields, in Duo's order; custom attributes last.
    pub fields: Vec<UserField>,
    /// Groups, by name.
    pub groups: Vec<GroupRef>,
    /// When a sync last wrote the user.
    pub last_directory_sync: Option<String>,
    /// For a user in the trash: when they are deleted for good.
    pub purge_at: Option<String>,
}

/// A group's page (its members are paged separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GroupDetail {
    /// Id.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Members.
    #[ts(type = "number")]
    pub member_count: u64,
    /// The sync that manages it, if one does.
    pub managed_by: Option<SyncRef>,
    /// Duo's group status (operators set it; a sync never changes it).
    pub status: roster_core::GroupStatus,
}

/// A change a sync run applied to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryEntry {
    /// The run (its report has everything else it did).
    #[ts(type = "number")]
    pub run_id: i64,
    /// The sync that ran.
    pub sync: SyncRef,
    /// When the run started.
    pub at: String,
    /// What happened.
    pub action: roster_core::plan::Action,
    /// Fields before and after.
    pub fields: Vec<FieldChange>,
    /// Why, in plain English.
    pub reason: String,
}

/// A page of a user's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<HistoryEntry>,
    /// Where the next (older) page starts, or `None` after the last.
    pub next: Option<String>,
}

/// What the acting operator may do on the lists, each with why not (from the roles, never guessed by the
/// window).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ListActions {
    /// Restoring a user from the trash.
    pub restore: Allowance,
    /// Deleting a user in the trash for good now.
    pub purge: Allowance,
    /// Setting a group's status (the roles that may change a user's status).
    pub set_group_status: Allowance,
}

/// Whether an action is allowed, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Allowance {
    /// Allowed.
    pub allowed: bool,
    /// Why not, naming the role it needs.
    pub reason: Option<String>,
}

/// A page of runs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RunsPage {
    /// The runs.
    pub runs: Vec<super::RunSummary>,
    /// The run to read on before (pass as `before`), or `None` after the oldest.
    #[ts(type = "number | null")]
    pub next: Option<i64>,
}

/// A run's point in Sync History's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SeriesPoint {
    /// The run.
    #[ts(type = "number")]
    pub run_id: i64,
    /// When it started.
    pub at: String,
    /// How it went.
    pub outcome: RunOutcome,
    /// How it started.
    pub trigger: RunTrigger,
    /// Users (admins, for an admin sync) the sync managed after it; `None` when it applied nothing (held,
    /// failed) or was recorded before Roster counted them.
    #[ts(type = "number | null")]
    pub managed: Option<u64>,
    /// Objects it changed (created, updated, disabled, enabled, trashed, restored, purged, taken over,
    /// groups created, updated or deleted); a held run's count is what it would have changed.
    #[ts(type = "number")]
    pub changes: u64,
}

/// One sync's line in Sync History's charts: its latest runs, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncSeries {
    /// The sync.
    pub sync: SyncRef,
    /// What it imports.
    pub sync_type: SyncType,
    /// Its runs.
    pub points: Vec<SeriesPoint>,
}

/// Sync History's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistorySeries {
    /// Each sync with runs, by name.
    pub syncs: Vec<SyncSeries>,
    /// The most runs each sync shows.
    #[ts(type = "number")]
    pub per_sync: u64,
}
