//! The planner: a pure, deterministic function from (what the store holds for a sync, what the source
//! returned, now) to the list of changes a run makes. The same plan is the preview, the held run's review
//! list and, once applied in one transaction by the store, the run's change log.
//!
//! Rules (brief/domain.md §1-§8):
//! - a source user in at least one selected group is created, or updated in the fields the sync manages only;
//! - disabled in the source -> `disabled`; enabled again -> `active` (a `bypass` or `locked out` user whose
//!   source account is enabled keeps that status: a sync never reads or applies locked-out state);
//! - a user the sync manages who is in no selected group any more (removed, or deleted in the source) goes to
//!   the trash as `pending deletion`; it is restored if it comes back; it is purged once it has been in the
//!   trash for the retention;
//! - an existing user with the same username (case-insensitive) is taken over, unless another sync that
//!   comes first in the tenant's order of precedence manages it: then this sync leaves the user (and, the
//!   same way, a group or an admin) to that sync and reports a conflict, so two syncs that find the same
//!   people never take them from each other run after run. A user in the trash is released: any sync that
//!   still finds it takes it over;
//! - a group's members are written by the sync that manages the group, whoever manages each member: a sync
//!   adds the users another sync manages to its own groups (and takes them out again), never to others';
//! - admin syncs: role = the most privileged role among the mapped groups the admin is in; Owners are never
//!   synced; admins in no mapped group are disabled, then removed after the retention;
//! - a run that would trash more than the sync's threshold share of its users, or whose source returned no
//!   users while the sync manages some, is held for approval.
//!
//! Invariant: the output is sorted (groups, then users, then admins; each by case-folded key) so that the same
//! input always gives the same plan.

use crate::clock::Timestamp;
use crate::ids::DirectoryKey;
use crate::ids::{AdminId, GroupId, UserId};
use crate::mapping::map_user;
use crate::model::{
    Admin, AdminRole, AdminStatus, Group, OtherSync, SyncSettings, SyncType, User, UserFields,
    UserStatus,
};
use crate::report::{Change, Conflict, Counts, EntryError, FieldChange, ObjectKind};
use crate::source::{SourceBatch, SourceGroup, SourceLookup, SourceUser};
/// The planner looks ids and names up a few hundred thousand times in a large run: foldhash is several
/// times faster than the default SipHash for these short keys. Nothing depends on iteration order (the plan
/// is sorted before it is returned), and the keys are still seeded per process.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

mod admins;
mod groups;
#[cfg(test)]
mod tests;
mod users;

use admins::AdminPlanner;
use users::UserPlanner;

/// What happens to one object. On the wire (reports, the change log, the window) it is the snake_case name
/// that [`Action::as_str`] gives.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// New object.
    Create,
    /// Managed fields changed.
    Update,
    /// An existing object with the same username/email/name now belongs to this sync.
    TakeOver,
    /// Disabled (user disabled in the source; admin disabled or gone from every mapped group).
    Disable,
    /// Enabled again in the source.
    Enable,
    /// Moved to the trash (`pending deletion`).
    Trash,
    /// Back from the trash.
    Restore,
    /// Deleted for good after the retention.
    Purge,
    /// A group that is no longer synced is deleted.
    Delete,
}

impl Action {
    /// The action's name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::TakeOver => "take_over",
            Action::Disable => "disable",
            Action::Enable => "enable",
            Action::Trash => "trash",
            Action::Restore => "restore",
            Action::Purge => "purge",
            Action::Delete => "delete",
        }
    }

    /// Every action, for parsing and tests.
    pub const ALL: [Action; 9] = [
        Action::Create,
        Action::Update,
        Action::TakeOver,
        Action::Disable,
        Action::Enable,
        Action::Trash,
        Action::Restore,
        Action::Purge,
        Action::Delete,
    ];

    /// The action named `s` (as [`Action::as_str`] writes it), if any.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so that `{:<10}` lines up the CLI's columns.
        f.pad(self.as_str())
    }
}

/// A planned change to a user. `user` is the user as it will be after the change (for a purge: as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserOp {
    /// What happens.
    pub action: Action,
    /// The user after the change.
    pub user: User,
    /// The fields that change (empty for a creation).
    pub fields: Vec<FieldChange>,
    /// Why.
    pub reason: String,
}

/// A planned change to a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOp {
    /// What happens.
    pub action: Action,
    /// The group after the change (for a deletion: as it is).
    pub group: Group,
    /// The fields that change.
    pub fields: Vec<FieldChange>,
    /// Why.
    pub reason: String,
}

/// A planned change to an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminOp {
    /// What happens.
    pub action: Action,
    /// The admin after the change (for a removal: as it is).
    pub admin: Admin,
    /// The fields that change.
    pub fields: Vec<FieldChange>,
    /// Why.
    pub reason: String,
}

/// A planned change to which of this sync's groups a user that another sync manages is in. Nothing else of
/// the user changes: its fields, status and other groups belong to the sync that manages it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipOp {
    /// The user.
    pub user: UserId,
    /// Its username, for reports.
    pub username: String,
    /// This sync's groups the user is in after the change (sorted); empty takes it out of all of them.
    pub groups: Vec<GroupId>,
    /// The `groups` field before and after.
    pub fields: Vec<FieldChange>,
    /// Why.
    pub reason: String,
}

/// A user that another sync manages and that is in at least one of this sync's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignMember {
    /// The user.
    pub id: UserId,
    /// Its username, for reports.
    pub username: String,
    /// This sync's groups the user is in (sorted).
    pub groups: Vec<GroupId>,
}

/// What the store holds that a sync's plan may touch: the objects the sync manages, plus objects with the
/// same username/name/email that it would take over (or leave to a sync that takes precedence), and the
/// members of its groups that other syncs manage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Users.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Administrators.
    pub admins: Vec<Admin>,
    /// Users other syncs manage that are in this sync's groups.
    pub foreign: Vec<ForeignMember>,
}

/// A complete plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Group changes, sorted by name.
    pub groups: Vec<GroupOp>,
    /// User changes, sorted by username.
    pub users: Vec<UserOp>,
    /// Admin changes, sorted by email.
    pub admins: Vec<AdminOp>,
    /// Changes to the membership of this sync's groups of users other syncs manage, sorted by username.
    pub memberships: Vec<MembershipOp>,
    /// Objects another sync also finds, sorted by kind and key.
    pub conflicts: Vec<Conflict>,
    /// Source entries that were skipped.
    pub errors: Vec<EntryError>,
    /// Counts.
    pub counts: Counts,
    /// Why the run must be held for approval, if it must.
    pub hold: Option<String>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.users.is_empty()
            && self.admins.is_empty()
            && self.memberships.is_empty()
    }

    /// The run's change log, one record per object.
    pub fn changes(&self) -> Vec<Change> {
        self.changes_iter().collect()
    }

    /// Records an object another sync also finds (and counts it).
    fn conflict(&mut self, c: Conflict) {
        self.counts.conflicts += 1;
        self.conflicts.push(c);
    }

    /// How many records the change log has.
    pub fn change_count(&self) -> usize {
        self.groups.len() + self.users.len() + self.memberships.len() + self.admins.len()
    }

    /// The run's change log, one record at a time (a first sync of a million users has a million
    /// records: written to the store as they are made, never all in memory at once).
    pub fn changes_iter(&self) -> impl Iterator<Item = Change> + '_ {
        let g = self.groups.iter().map(|op| Change {
            object: ObjectKind::Group,
            key: op.group.name.clone(),
            action: op.action,
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let u = self.users.iter().map(|op| Change {
            object: ObjectKind::User,
            key: op.user.fields.username.clone(),
            action: op.action,
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let m = self.memberships.iter().map(|op| Change {
            object: ObjectKind::User,
            key: op.username.clone(),
            action: Action::Update,
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let a = self.admins.iter().map(|op| Change {
            object: ObjectKind::Admin,
            key: op.admin.email.clone(),
            action: op.action,
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        g.chain(u).chain(m).chain(a)
    }
}

/// Which objects a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Everything the sync manages (Sync Now, scheduled runs).
    Full(&'a SourceBatch),
    /// One user (user syncs, by username) or one admin (admin syncs, by email).
    Individual {
        /// The username or email asked for.
        key: &'a str,
        /// What the source said about it.
        lookup: &'a SourceLookup,
    },
    /// What an inbound integration (a SCIM client) pushed: only these objects change (user syncs only).
    Push(&'a PushBatch),
}

/// What a SCIM client pushed in one request, as a small source batch: the objects named here are planned
/// against what the store holds, and nothing else is touched (a push never trashes a user it does not
/// name, unlike a full sync, which trashes every user the source no longer lists).
///
/// Unlike a directory sync, an integration's users need no group: the client pushes exactly the people
/// assigned to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushBatch {
    /// Groups created or changed (renamed); their members come with the users (`members` is ignored).
    pub groups: Vec<SourceGroup>,
    /// Groups the client deleted (external ids).
    pub removed_groups: Vec<String>,
    /// Users created or changed, each with the external ids of every group of the integration it is in.
    pub users: Vec<(SourceUser, Vec<String>)>,
    /// Users the client deleted (external ids): they go to the trash, restorable for the retention.
    pub removed_users: Vec<String>,
    /// Users whose membership of the integration's groups changed and nothing else, each with the groups
    /// it joined or left: (external id, [(group external id, whether it is a member now)]). Only their
    /// groups change, from the stored ones, so adding 100 members re-plans no member's fields. Each must
    /// be a user the integration manages and that is not in the trash (the caller lists any other in
    /// `users`, planned in full); a user in both is planned from `users`.
    pub memberships: Vec<(String, Vec<(String, bool)>)>,
}

/// Case folding for usernames, group names and emails. ASCII only, exactly as SQLite's NOCASE collation
/// that enforces their uniqueness in the store, so the planner and the store always agree on a collision.
fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// Orders as `fold(a).cmp(&fold(b))` does, without allocating (a first sync sorts 100,000 creations).
fn cmp_folded(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// A name that hashes and compares as its [`fold`] would, without allocating the folded copy: the planner
/// keys 100,000 usernames twice in a large run.
#[derive(Debug, Clone, Copy)]
struct Folded<'a>(&'a str);

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Folded<'_> {}

impl std::hash::Hash for Folded<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // As `str` hashes: the bytes (folded, a chunk at a time), then a terminator.
        let mut buf = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            let out = &mut buf[..chunk.len()];
            out.copy_from_slice(chunk);
            out.make_ascii_lowercase();
            h.write(out);
        }
        h.write_u8(0xff);
    }
}

fn opt(v: &Option<String>) -> Option<String> {
    v.clone()
}

fn join(v: &[String]) -> Option<String> {
    if v.is_empty() {
        None
    } else {
        Some(v.join(", "))
    }
}

/// Plans a run. Pure: no I/O, no clock but `now`.
pub fn plan(
    settings: &SyncSettings,
    snapshot: &Snapshot,
    scope: &Scope<'_>,
    now: Timestamp,
) -> Plan {
    let mut plan = match settings.sync_type {
        SyncType::User => UserPlanner::new(settings, snapshot, now).run(scope),
        SyncType::Admin => AdminPlanner::new(settings, snapshot, now).run(scope),
    };
    plan.groups
        .sort_by(|a, b| cmp_folded(&a.group.name, &b.group.name).then(a.group.id.cmp(&b.group.id)));
    plan.users.sort_by(|a, b| {
        cmp_folded(&a.user.fields.username, &b.user.fields.username).then(a.user.id.cmp(&b.user.id))
    });
    plan.admins.sort_by(|a, b| {
        cmp_folded(&a.admin.email, &b.admin.email).then(a.admin.id.cmp(&b.admin.id))
    });
    plan.memberships
        .sort_by(|a, b| cmp_folded(&a.username, &b.username).then(a.user.cmp(&b.user)));
    plan.conflicts.sort_by(|a, b| {
        (a.object, &a.key, &a.other)
            .cmp(&(b.object, &b.key, &b.other))
            .then(a.kept.cmp(&b.kept))
    });
    plan.errors
        .sort_by(|a, b| a.key.cmp(&b.key).then(a.message.cmp(&b.message)));
    plan
}

/// The sync that manages an object, if it comes before this one in the order of precedence.
fn precedes<'s>(
    settings: &'s SyncSettings,
    owner: Option<&DirectoryKey>,
) -> Option<(&'s DirectoryKey, &'s OtherSync)> {
    let owner = owner.filter(|k| **k != settings.key)?;
    settings
        .others
        .get_key_value(owner)
        .filter(|(_, o)| o.takes_precedence)
}

/// The key and name of the sync that manages an object this sync takes over, when it is another sync
/// (one that comes after this one, or no longer exists).
fn previous_owner(
    settings: &SyncSettings,
    owner: Option<&DirectoryKey>,
) -> Option<(String, String)> {
    let owner = owner.filter(|k| **k != settings.key)?;
    let name = settings
        .others
        .get(owner)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| owner.to_string());
    Some((owner.to_string(), name))
}

fn diff(fields: &mut Vec<FieldChange>, field: &str, before: Option<String>, after: Option<String>) {
    if before != after {
        fields.push(FieldChange {
            field: field.into(),
            before,
            after,
        });
    }
}
