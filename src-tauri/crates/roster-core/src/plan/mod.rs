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

#[cfg(test)]
mod tests;

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
            action: op.action.as_str().into(),
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let u = self.users.iter().map(|op| Change {
            object: ObjectKind::User,
            key: op.user.fields.username.clone(),
            action: op.action.as_str().into(),
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let m = self.memberships.iter().map(|op| Change {
            object: ObjectKind::User,
            key: op.username.clone(),
            action: Action::Update.as_str().into(),
            fields: op.fields.clone(),
            reason: op.reason.clone(),
        });
        let a = self.admins.iter().map(|op| Change {
            object: ObjectKind::Admin,
            key: op.admin.email.clone(),
            action: op.action.as_str().into(),
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

/// The groups part, shared by user and admin syncs: selected groups become Roster groups (user syncs only).
struct GroupResolution {
    /// source group external id -> Roster group id (for groups that exist after the plan).
    ids: HashMap<String, GroupId>,
    /// Roster group id -> name, for reports.
    names: HashMap<GroupId, String>,
    /// Selected groups (external ids) left to a sync that takes precedence: their members are still in
    /// this sync's scope, but the group is not this sync's to write.
    yielded: HashSet<String>,
}

fn resolve_groups(
    settings: &SyncSettings,
    snapshot: &Snapshot,
    sources: &[&SourceGroup],
    delete_unlisted: bool,
    plan: &mut Plan,
) -> GroupResolution {
    let key = &settings.key;
    let mut managed: HashMap<&str, &Group> = HashMap::default();
    let mut by_name: HashMap<String, &Group> = HashMap::default();
    for g in &snapshot.groups {
        if g.managed_by.as_ref() == Some(key) {
            if let Some(ext) = g.external_id.as_deref() {
                managed.insert(ext, g);
            }
        }
        by_name.insert(fold(&g.name), g);
    }
    let mut res = GroupResolution {
        ids: HashMap::default(),
        names: HashMap::default(),
        yielded: HashSet::default(),
    };
    let mut names_taken: HashMap<String, &str> = HashMap::default();
    let mut claimed: HashSet<&GroupId> = HashSet::default();
    let mut sorted: Vec<&SourceGroup> = sources.to_vec();
    sorted.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    for src in sorted {
        if let Some(other) = names_taken.get(&fold(&src.name)) {
            plan.errors.push(EntryError::new(
                src.external_id.clone(),
                format!(
                    "Skipped: the group name \"{}\" is also used by the selected group {other}. Group names must be unique; rename one of them in the directory.",
                    src.name
                ),
            ));
            plan.counts.skipped += 1;
            continue;
        }
        names_taken.insert(fold(&src.name), &src.external_id);
        let existing = managed
            .get(src.external_id.as_str())
            .copied()
            .or_else(|| by_name.get(&fold(&src.name)).copied())
            .filter(|g| !claimed.contains(&g.id));
        if let Some((owner, other)) =
            existing.and_then(|g| precedes(settings, g.managed_by.as_ref()))
        {
            plan.counts.conflicts += 1;
            plan.conflicts.push(Conflict {
                object: ObjectKind::Group,
                key: src.name.clone(),
                other: owner.to_string(),
                other_name: other.name.clone(),
                kept: false,
                message: format!(
                    "The sync \"{}\" manages the group \"{}\" and comes first in the order of precedence, so this sync leaves the group to it; its members are still synced here. To manage the group from this sync, move this sync above \"{}\".",
                    other.name, src.name, other.name
                ),
            });
            res.yielded.insert(src.external_id.clone());
            continue;
        }
        let desired = Group {
            id: existing
                .map(|g| g.id.clone())
                .unwrap_or_else(|| GroupId::derive(key, &src.external_id)),
            name: src.name.clone(),
            description: src.description.clone(),
            managed_by: Some(key.clone()),
            external_id: Some(src.external_id.clone()),
        };
        match existing {
            None => {
                plan.counts.groups_created += 1;
                plan.groups.push(GroupOp {
                    action: Action::Create,
                    group: desired.clone(),
                    fields: Vec::new(),
                    reason: format!("Selected in the sync \"{}\".", settings.name),
                });
            }
            Some(old) => {
                claimed.insert(&old.id);
                let mut fields = Vec::new();
                diff(
                    &mut fields,
                    "name",
                    Some(old.name.clone()),
                    Some(desired.name.clone()),
                );
                diff(
                    &mut fields,
                    "description",
                    old.description.clone(),
                    desired.description.clone(),
                );
                let taken_over = old.managed_by.as_ref() != Some(key);
                if taken_over {
                    diff(
                        &mut fields,
                        "managed_by",
                        old.managed_by.as_ref().map(ToString::to_string),
                        Some(key.to_string()),
                    );
                    plan.counts.groups_updated += 1;
                    let reason = match previous_owner(settings, old.managed_by.as_ref()) {
                        Some((other, other_name)) => {
                            plan.counts.conflicts += 1;
                            plan.conflicts.push(Conflict {
                                object: ObjectKind::Group,
                                key: src.name.clone(),
                                other,
                                other_name: other_name.clone(),
                                kept: true,
                                message: format!(
                                    "The sync \"{other_name}\" also selects the group \"{}\"; this sync comes first in the order of precedence, so it manages the group.",
                                    src.name
                                ),
                            });
                            format!("The sync \"{other_name}\" managed this group; this sync comes first in the order of precedence, so it manages the group now and replaces its members.")
                        }
                        None => "A group with this name already existed; this sync manages it now and replaces its members.".into(),
                    };
                    plan.groups.push(GroupOp {
                        action: Action::TakeOver,
                        group: desired.clone(),
                        fields,
                        reason,
                    });
                } else if !fields.is_empty() || old.external_id != desired.external_id {
                    plan.counts.groups_updated += 1;
                    plan.groups.push(GroupOp {
                        action: Action::Update,
                        group: desired.clone(),
                        fields,
                        reason: "Changed in the directory.".into(),
                    });
                }
            }
        }
        res.ids.insert(src.external_id.clone(), desired.id.clone());
        res.names.insert(desired.id.clone(), desired.name.clone());
    }
    if delete_unlisted {
        for g in snapshot
            .groups
            .iter()
            .filter(|g| g.managed_by.as_ref() == Some(key))
        {
            if !res.names.contains_key(&g.id) {
                plan.counts.groups_deleted += 1;
                plan.groups.push(GroupOp {
                    action: Action::Delete,
                    group: g.clone(),
                    fields: Vec::new(),
                    reason:
                        "No longer synced: the group was deselected or deleted in the directory."
                            .into(),
                });
            }
        }
    } else {
        // Individual syncs keep every other group; remember their names for reports.
        for g in snapshot
            .groups
            .iter()
            .filter(|g| g.managed_by.as_ref() == Some(key))
        {
            res.names
                .entry(g.id.clone())
                .or_insert_with(|| g.name.clone());
        }
    }
    res
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

/// A mapped source user, ready to plan.
struct Incoming<'a> {
    source: &'a SourceUser,
    fields: UserFields,
    groups: GroupSet<'a>,
}

/// A user's groups: positions in a sorted list of group ids, sorted and without repeats (so the groups
/// they name are sorted too, as `User::groups` is).
#[derive(Clone, Copy)]
struct GroupSet<'a> {
    ids: &'a [GroupId],
    members: &'a [u32],
}

impl GroupSet<'_> {
    /// Whether `groups` (sorted) names exactly these groups.
    fn same_as(&self, groups: &[GroupId]) -> bool {
        groups.len() == self.members.len()
            && groups
                .iter()
                .zip(self.members)
                .all(|(g, &i)| self.ids.get(i as usize) == Some(g))
    }

    fn to_vec(self) -> Vec<GroupId> {
        self.members
            .iter()
            .filter_map(|&i| self.ids.get(i as usize).cloned())
            .collect()
    }
}

struct UserPlanner<'a> {
    settings: &'a SyncSettings,
    snapshot: &'a Snapshot,
    now: Timestamp,
    plan: Plan,
    by_external: HashMap<&'a str, &'a User>,
    by_username: HashMap<Folded<'a>, &'a User>,
    claimed: HashSet<&'a UserId>,
    group_names: HashMap<GroupId, String>,
    /// Users this sync finds but leaves to a sync that takes precedence, with this sync's groups they are
    /// in (whose membership this sync still writes).
    yielded: Vec<(&'a User, Vec<GroupId>)>,
}

impl<'a> UserPlanner<'a> {
    fn new(settings: &'a SyncSettings, snapshot: &'a Snapshot, now: Timestamp) -> Self {
        let mut by_external = HashMap::default();
        let mut by_username = HashMap::default();
        for u in &snapshot.users {
            if u.managed_by.as_ref() == Some(&settings.key) {
                if let Some(ext) = u.external_id.as_deref() {
                    by_external.insert(ext, u);
                }
            }
            by_username.insert(Folded(&u.fields.username), u);
        }
        UserPlanner {
            settings,
            snapshot,
            now,
            plan: Plan::default(),
            by_external,
            by_username,
            claimed: HashSet::default(),
            group_names: HashMap::default(),
            yielded: Vec::new(),
        }
    }

    fn run(mut self, scope: &Scope<'_>) -> Plan {
        match scope {
            Scope::Full(batch) => self.full(batch),
            Scope::Individual { key, lookup } => self.individual(key, lookup),
        }
        self.plan
    }

    fn managed(&self) -> impl Iterator<Item = &'a User> + '_ {
        let key = &self.settings.key;
        self.snapshot
            .users
            .iter()
            .filter(move |u| u.managed_by.as_ref() == Some(key))
    }

    fn full(&mut self, batch: &SourceBatch) {
        for missing in &batch.missing_groups {
            self.plan.errors.push(EntryError::new(
                missing.clone(),
                "This selected group was not found in the directory. Its members who are in no other synced group go to the trash. If the group was renamed or moved, select it again.",
            ));
        }
        let sources: Vec<&SourceGroup> = batch.groups.iter().collect();
        let res = resolve_groups(self.settings, self.snapshot, &sources, true, &mut self.plan);
        // Each user's groups as positions in `group_ids` (sorted, so sorted positions are sorted ids):
        // four bytes a membership, and an unchanged user is compared without building a list.
        let mut group_ids: Vec<GroupId> = res.ids.values().cloned().collect();
        group_ids.sort();
        group_ids.dedup();
        let mut memberships: HashMap<&str, Vec<u32>> = HashMap::default();
        for g in &batch.groups {
            if res.yielded.contains(&g.external_id) {
                // Another sync writes this group; its members are still in this sync's scope.
                for m in &g.members {
                    memberships.entry(m.as_ref()).or_default();
                }
                continue;
            }
            let Some(id) = res.ids.get(&g.external_id) else {
                continue;
            };
            let Ok(pos) = group_ids.binary_search(id) else {
                continue;
            };
            for m in &g.members {
                memberships.entry(m.as_ref()).or_default().push(pos as u32);
            }
        }
        for groups in memberships.values_mut() {
            groups.sort_unstable();
            groups.dedup();
        }
        self.group_names = res.names;

        // Pass 1, usernames only: set aside entries without one and entries whose usernames collide.
        // Mapping waits for pass 2, one user at a time, so an unchanged user's mapped fields are dropped
        // as soon as they are compared (a no-change resync of 100,000 users keeps no copy of them).
        let mut protected_usernames: HashSet<String> = HashSet::default();
        let mut protected_external: HashSet<&str> = HashSet::default();
        let mut seen_external: HashSet<&str> = HashSet::default();
        let username_attr = &self.settings.attributes.username;
        let mut named: Vec<(Folded<'_>, &SourceUser)> = Vec::with_capacity(batch.users.len());
        for su in &batch.users {
            if !memberships.contains_key(su.external_id.as_ref()) {
                continue;
            }
            if !seen_external.insert(su.external_id.as_ref()) {
                continue; // the same entry listed twice by the connector
            }
            self.plan.counts.seen += 1;
            match su.first(username_attr).map(str::trim) {
                Some(u) => named.push((Folded(u), su)),
                None => {
                    protected_external.insert(su.external_id.as_ref());
                    self.plan.counts.skipped += 1;
                    let e = crate::mapping::MappingError::NoUsername {
                        attribute: username_attr.clone(),
                    };
                    self.plan.errors.push(EntryError::for_entry(
                        su,
                        &self.settings.attributes,
                        None,
                        e.message(),
                    ));
                }
            }
        }
        named.sort_by(|a, b| {
            cmp_folded(a.0 .0, b.0 .0).then_with(|| a.1.external_id.cmp(&b.1.external_id))
        });
        let mut accepted: Vec<&SourceUser> = Vec::with_capacity(named.len());
        let mut i = 0;
        while i < named.len() {
            let mut j = i + 1;
            while j < named.len() && named[j].0 == named[i].0 {
                j += 1;
            }
            if j - i == 1 {
                accepted.push(named[i].1);
            } else {
                for (_, su) in &named[i..j] {
                    let username = su
                        .first(username_attr)
                        .unwrap_or_default()
                        .trim()
                        .to_string();
                    protected_external.insert(su.external_id.as_ref());
                    self.plan.counts.skipped += 1;
                    let message = format!(
                        "Skipped: {} entries in this sync have the username \"{username}\". Make usernames unique in the directory, or choose another username attribute.",
                        j - i,
                    );
                    self.plan.errors.push(EntryError::for_entry(
                        su,
                        &self.settings.attributes,
                        Some(&username),
                        message,
                    ));
                }
                protected_usernames.insert(fold(named[i].0 .0));
            }
            i = j;
        }
        drop(named);
        // Pass 2. Claim existing users by stable id first, so a rename never looks like a leaver plus a hire.
        accepted.sort_by_key(|su| !self.by_external.contains_key(su.external_id.as_ref()));
        let groups_of = |su: &SourceUser| GroupSet {
            ids: &group_ids,
            members: memberships
                .get(su.external_id.as_ref())
                .map_or(&[][..], Vec::as_slice),
        };
        let verdicts = self.unchanged_all(&accepted, &groups_of);
        for (su, unchanged) in accepted.into_iter().zip(verdicts) {
            if let Some(old) = unchanged {
                if self.claimed.insert(&old.id) {
                    continue; // nothing to do (a second claim falls through to report it)
                }
            }
            match map_user(&self.settings.attributes, su) {
                Ok(fields) => {
                    let groups = memberships
                        .get(su.external_id.as_ref())
                        .map_or(&[][..], Vec::as_slice);
                    self.plan_incoming(Incoming {
                        source: su,
                        fields,
                        groups: GroupSet {
                            ids: &group_ids,
                            members: groups,
                        },
                    });
                }
                Err(e) => {
                    self.plan.counts.skipped += 1;
                    self.plan.errors.push(EntryError::for_entry(
                        su,
                        &self.settings.attributes,
                        None,
                        e.message(),
                    ));
                }
            }
        }

        // Incremental fetches: users present and unchanged in the source. Only their memberships can
        // differ (group entries are always read in full).
        for ext in &batch.unchanged {
            let Some(groups) = memberships.get(ext.as_ref()) else {
                continue;
            };
            if !seen_external.insert(ext.as_ref()) {
                continue;
            }
            self.plan.counts.seen += 1;
            let Some(old) = self.by_external.get(ext.as_ref()).copied() else {
                // The connector reads unknown users in full; an unknown id here is its mistake. Keep it safe.
                protected_external.insert(ext.as_ref());
                continue;
            };
            if !self.claimed.insert(&old.id) {
                continue;
            }
            let groups = GroupSet {
                ids: &group_ids,
                members: groups,
            };
            if !groups.same_as(&old.groups) && old.status != UserStatus::PendingDeletion {
                let groups = groups.to_vec();
                let mut fields = Vec::new();
                diff(
                    &mut fields,
                    "groups",
                    self.names_of(&old.groups),
                    self.names_of(&groups),
                );
                let mut after = old.clone();
                after.groups = groups;
                after.last_directory_sync = Some(self.now);
                self.plan.counts.updated += 1;
                self.plan.users.push(UserOp {
                    action: Action::Update,
                    user: after,
                    fields,
                    reason: "Group membership changed in the directory.".into(),
                });
            }
        }

        self.plan_memberships(&protected_usernames);

        // Managed users who were not seen: trash, or purge after the retention.
        let mut managed_active = 0u64;
        let mut trashed = 0u64;
        let managed: Vec<&User> = self.managed().collect();
        for u in managed {
            if u.status != UserStatus::PendingDeletion {
                managed_active += 1;
            }
            if self.claimed.contains(&u.id) {
                continue;
            }
            let protected = protected_usernames.contains(&fold(&u.fields.username))
                || u.external_id
                    .as_deref()
                    .is_some_and(|e| protected_external.contains(e));
            if protected {
                continue;
            }
            if self.trash_or_purge(
                u,
                "Not in any synced group: removed from the groups, or deleted in the directory.",
            ) {
                trashed += 1;
            }
        }
        if managed_active > 0 && self.plan.counts.seen == 0 {
            self.plan.hold = Some(format!(
                "The directory returned no users, but this sync manages {managed_active}. Nothing was changed. Check the selected groups and the connection; if the directory really is empty now, approve the run to move them all to the trash."
            ));
        } else if trashed * 100
            > managed_active * u64::from(self.settings.deletion_threshold_percent)
        {
            self.plan.hold = Some(format!(
                "This run would move {trashed} of {managed_active} users to the trash, more than the {}% safety threshold. Nothing was changed. Review the changes, then approve the run to apply them.",
                self.settings.deletion_threshold_percent
            ));
        }
    }

    /// Membership of this sync's groups for the users other syncs manage: the users it left to a sync that
    /// takes precedence are added to the groups they are in here, and members it no longer finds are taken
    /// out. A username that collided in this sync's own entries is left as it is (its entries were skipped).
    fn plan_memberships(&mut self, protected_usernames: &HashSet<String>) {
        let mut current: HashMap<&UserId, &'a ForeignMember> =
            self.snapshot.foreign.iter().map(|f| (&f.id, f)).collect();
        let mut desired: Vec<(&UserId, &str, Vec<GroupId>)> = Vec::new();
        for (user, groups) in std::mem::take(&mut self.yielded) {
            current.remove(&user.id);
            desired.push((&user.id, &user.fields.username, groups));
        }
        for f in current.into_values() {
            if !protected_usernames.contains(&fold(&f.username)) {
                desired.push((&f.id, &f.username, Vec::new()));
            }
        }
        let before: HashMap<&UserId, &[GroupId]> = self
            .snapshot
            .foreign
            .iter()
            .map(|f| (&f.id, f.groups.as_slice()))
            .collect();
        for (id, username, groups) in desired {
            let old = before.get(id).copied().unwrap_or(&[]);
            if old == groups.as_slice() {
                continue;
            }
            let mut fields = Vec::new();
            diff(
                &mut fields,
                "groups",
                self.names_of(old),
                self.names_of(&groups),
            );
            self.plan.counts.memberships += 1;
            self.plan.memberships.push(MembershipOp {
                user: id.clone(),
                username: username.to_string(),
                reason: if groups.is_empty() {
                    "No longer in this sync's groups in the directory (another sync manages the user).".into()
                } else {
                    "Membership of this sync's groups changed in the directory (another sync manages the user).".into()
                },
                groups,
                fields,
            });
        }
    }

    /// Trashes `u` if it is not in the trash yet, or purges it if its retention ran out. Returns whether it
    /// was newly trashed.
    fn trash_or_purge(&mut self, u: &User, reason: &str) -> bool {
        if u.status == UserStatus::PendingDeletion {
            if let Some(at) = u.trashed_at {
                if at.plus_days(self.settings.retention_days) <= self.now {
                    self.plan.counts.purged += 1;
                    self.plan.users.push(UserOp {
                        action: Action::Purge,
                        user: u.clone(),
                        fields: Vec::new(),
                        reason: format!(
                            "In the trash for {} days: deleted for good.",
                            self.settings.retention_days
                        ),
                    });
                }
            }
            return false;
        }
        let mut after = u.clone();
        after.status = UserStatus::PendingDeletion;
        after.trashed_at = Some(self.now);
        after.groups.clear();
        let mut fields = vec![FieldChange {
            field: "status".into(),
            before: Some(u.status.as_str().into()),
            after: Some(UserStatus::PendingDeletion.as_str().into()),
        }];
        diff(&mut fields, "groups", self.names_of(&u.groups), None);
        self.plan.counts.trashed += 1;
        self.plan.users.push(UserOp {
            action: Action::Trash,
            user: after,
            fields,
            reason: reason.into(),
        });
        true
    }

    fn names_of(&self, groups: &[GroupId]) -> Option<String> {
        let mut names: Vec<String> = groups
            .iter()
            .map(|g| {
                self.group_names
                    .get(g)
                    .cloned()
                    .unwrap_or_else(|| g.to_string())
            })
            .collect();
        names.sort_by_key(|n| fold(n));
        join(&names)
    }

    /// The stored user that `su` leaves exactly as it is, if any: it matches a user this sync manages by
    /// stable id (and no other user by username), and its status, groups and mapped fields are the stored
    /// ones. What [`Self::plan_incoming`] would conclude, read-only, so that it can run on several
    /// threads; the caller still claims the user, in order, before skipping it.
    fn unchanged(&self, su: &SourceUser, groups: GroupSet<'_>) -> Option<&'a User> {
        let old = *self.by_external.get(su.external_id.as_ref())?;
        let fields = map_user(&self.settings.attributes, su).ok()?;
        if let Some(other) = self.by_username.get(&Folded(&fields.username)) {
            if other.id != old.id {
                return None;
            }
        }
        let status = match (old.status, su.disabled) {
            (_, true) => UserStatus::Disabled,
            (UserStatus::Disabled | UserStatus::PendingDeletion, false) => UserStatus::Active,
            (s, false) => s,
        };
        let same = old.managed_by.as_ref() == Some(&self.settings.key)
            && old.status == status
            && groups.same_as(&old.groups)
            && old.external_id.as_deref() == Some(&*su.external_id)
            && self.same_managed_fields(&old.fields, &fields);
        same.then_some(old)
    }

    /// [`Self::unchanged`] for every user, in order; on several threads for a large directory (a resync of
    /// 100,000 users is mostly this, and the directory's server is idle by now).
    fn unchanged_all<'b>(
        &self,
        users: &[&'b SourceUser],
        groups_of: &(dyn Fn(&SourceUser) -> GroupSet<'b> + Sync),
    ) -> Vec<Option<&'a User>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        if threads < 2 || users.len() < 20_000 {
            return users
                .iter()
                .map(|su| self.unchanged(su, groups_of(su)))
                .collect();
        }
        let chunk = users.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = users
                .chunks(chunk)
                .map(|part| {
                    let handle = scope.spawn(move || {
                        part.iter()
                            .map(|su| self.unchanged(su, groups_of(su)))
                            .collect::<Vec<_>>()
                    });
                    (part.len(), handle)
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|(len, handle)| {
                    // A thread that failed only costs speed: its users are planned in full.
                    handle.join().unwrap_or_else(|_| vec![None; len])
                })
                .collect()
        })
    }

    fn plan_incoming(&mut self, inc: Incoming<'_>) {
        let key = &self.settings.key;
        let by_ext = self
            .by_external
            .get(inc.source.external_id.as_ref())
            .copied();
        let by_name = self.by_username.get(&Folded(&inc.fields.username)).copied();
        let existing = match (by_ext, by_name) {
            (Some(e), Some(n)) if e.id != n.id => {
                // Renamed in the source to a username another Roster user already has.
                self.claimed.insert(&e.id);
                self.plan.counts.skipped += 1;
                self.plan.errors.push(EntryError::for_entry(
                    inc.source,
                    &self.settings.attributes,
                    Some(&inc.fields.username),
                    format!(
                        "Skipped: this user was renamed from \"{}\" to \"{}\", but another user already has that username. Rename or delete the other user, then sync again.",
                        e.fields.username, inc.fields.username
                    ),
                ));
                return;
            }
            (Some(e), _) => Some(e),
            (None, n) => n,
        };
        if let Some(e) = existing {
            if e.status != UserStatus::PendingDeletion {
                if let Some((owner, other)) = precedes(self.settings, e.managed_by.as_ref()) {
                    self.plan.counts.conflicts += 1;
                    self.plan.conflicts.push(Conflict {
                        object: ObjectKind::User,
                        key: e.fields.username.clone(),
                        other: owner.to_string(),
                        other_name: other.name.clone(),
                        kept: false,
                        message: format!(
                            "The sync \"{}\" manages this user and comes first in the order of precedence, so this sync leaves the user's fields and status to it and only keeps its own groups' membership. To manage the user from this sync, move this sync above \"{}\", or select groups that do not overlap.",
                            other.name, other.name
                        ),
                    });
                    self.yielded.push((e, inc.groups.to_vec()));
                    return;
                }
            }
            if !self.claimed.insert(&e.id) {
                self.plan.counts.skipped += 1;
                self.plan.errors.push(EntryError::for_entry(
                    inc.source,
                    &self.settings.attributes,
                    Some(&inc.fields.username),
                    "Skipped: another entry in this sync already matched the same Roster user. Make usernames unique in the directory.",
                ));
                return;
            }
        }
        let status = match (existing.map(|e| e.status), inc.source.disabled) {
            (_, true) => UserStatus::Disabled,
            (None, false)
            | (Some(UserStatus::Disabled), false)
            | (Some(UserStatus::PendingDeletion), false) => UserStatus::Active,
            (Some(s), false) => s,
        };
        let Some(old) = existing else {
            self.plan.counts.created += 1;
            let user = User {
                id: UserId::derive(key, &inc.source.external_id),
                fields: inc.fields,
                status,
                managed_by: Some(key.clone()),
                external_id: Some(inc.source.external_id.to_string()),
                last_directory_sync: Some(self.now),
                trashed_at: None,
                groups: inc.groups.to_vec(),
            };
            let reason = match self.names_of(&user.groups) {
                Some(g) => format!("New member of {g}."),
                None => "New in the directory.".into(),
            };
            self.plan.users.push(UserOp {
                action: Action::Create,
                user,
                fields: Vec::new(),
                reason,
            });
            return;
        };
        // Fast path: nothing this sync manages differs. At 100,000 users a resync is mostly this branch, so
        // it compares in place and allocates nothing.
        let managed_here = old.managed_by.as_ref() == Some(key);
        if managed_here
            && old.status == status
            && inc.groups.same_as(&old.groups)
            && old.external_id.as_deref() == Some(&*inc.source.external_id)
            && self.same_managed_fields(&old.fields, &inc.fields)
        {
            return;
        }
        let fields = self.merge_fields(&old.fields, inc.fields);
        let mut after = old.clone();
        let mut changes = Vec::new();
        self.diff_fields(&mut changes, &old.fields, &fields);
        after.fields = fields;
        diff(
            &mut changes,
            "status",
            Some(old.status.as_str().into()),
            Some(status.as_str().into()),
        );
        after.status = status;
        let new_groups = inc.groups.to_vec();
        let old_groups = if old.managed_by.as_ref() == Some(key) {
            old.groups.clone()
        } else {
            Vec::new()
        };
        diff(
            &mut changes,
            "groups",
            self.names_of(&old_groups),
            self.names_of(&new_groups),
        );
        after.groups = new_groups;
        diff(
            &mut changes,
            "external_id",
            old.external_id.clone(),
            Some(inc.source.external_id.to_string()),
        );
        after.external_id = Some(inc.source.external_id.to_string());
        after.trashed_at = None;
        after.last_directory_sync = Some(self.now);
        let (action, reason) = if old.managed_by.as_ref() != Some(key) {
            diff(
                &mut changes,
                "managed_by",
                old.managed_by.as_ref().map(ToString::to_string),
                Some(key.to_string()),
            );
            after.managed_by = Some(key.clone());
            self.plan.counts.taken_over += 1;
            match previous_owner(self.settings, old.managed_by.as_ref()) {
                Some((other, other_name)) if old.status != UserStatus::PendingDeletion => {
                    self.plan.counts.conflicts += 1;
                    self.plan.conflicts.push(Conflict {
                        object: ObjectKind::User,
                        key: after.fields.username.clone(),
                        other,
                        other_name: other_name.clone(),
                        kept: true,
                        message: format!("The sync \"{other_name}\" also finds this user; this sync comes first in the order of precedence, so it manages the user."),
                    });
                    (Action::TakeOver, format!(
                        "The sync \"{other_name}\" managed this user; the sync \"{}\" comes first in the order of precedence, so it manages the user now and overwrites its synced fields.",
                        self.settings.name
                    ))
                }
                Some((_, other_name)) => (Action::TakeOver, format!(
                    "The sync \"{other_name}\" had moved this user to the trash; the sync \"{}\" still finds the user, so it manages the user now and restores it.",
                    self.settings.name
                )),
                None => (Action::TakeOver, format!(
                    "A user with the username \"{}\" already existed; the sync \"{}\" manages it now and overwrites its synced fields.",
                    after.fields.username, self.settings.name
                )),
            }
        } else if old.status == UserStatus::PendingDeletion {
            self.plan.counts.restored += 1;
            (
                Action::Restore,
                "Back in a synced group: restored from the trash.".to_string(),
            )
        } else if status == UserStatus::Disabled && old.status != UserStatus::Disabled {
            self.plan.counts.disabled += 1;
            (Action::Disable, "Disabled in the directory.".to_string())
        } else if status == UserStatus::Active && old.status == UserStatus::Disabled {
            self.plan.counts.enabled += 1;
            (
                Action::Enable,
                "Enabled again in the directory.".to_string(),
            )
        } else if changes.is_empty() {
            return;
        } else {
            self.plan.counts.updated += 1;
            (Action::Update, "Changed in the directory.".to_string())
        };
        self.plan.users.push(UserOp {
            action,
            user: after,
            fields: changes,
            reason,
        });
    }

    /// The user's fields after the sync: mapped fields from the source, everything else kept.
    fn merge_fields(&self, old: &UserFields, new: UserFields) -> UserFields {
        let map = &self.settings.attributes;
        let mut out = old.clone();
        out.username = new.username;
        if !map.aliases.is_empty() {
            out.aliases = new.aliases;
        }
        if map.realname.is_some() {
            out.realname = new.realname;
        }
        if map.firstname.is_some() {
            out.firstname = new.firstname;
        }
        if map.lastname.is_some() {
            out.lastname = new.lastname;
        }
        if map.email.is_some() {
            out.email = new.email;
        }
        if !map.phones.is_empty() {
            out.phones = new.phones;
        }
        if map.notes.is_some() {
            out.notes = new.notes;
        }
        for name in map.custom.keys() {
            match new.custom.get(name) {
                Some(v) => {
                    out.custom.insert(name.clone(), v.clone());
                }
                None => {
                    out.custom.remove(name);
                }
            }
        }
        out
    }

    /// Whether every field the mapping manages is equal in `old` and `new`.
    fn same_managed_fields(&self, old: &UserFields, new: &UserFields) -> bool {
        let map = &self.settings.attributes;
        old.username == new.username
            && (map.aliases.is_empty() || old.aliases == new.aliases)
            && (map.realname.is_none() || old.realname == new.realname)
            && (map.firstname.is_none() || old.firstname == new.firstname)
            && (map.lastname.is_none() || old.lastname == new.lastname)
            && (map.email.is_none() || old.email == new.email)
            && (map.phones.is_empty() || old.phones == new.phones)
            && (map.notes.is_none() || old.notes == new.notes)
            && map
                .custom
                .keys()
                .all(|k| old.custom.get(k) == new.custom.get(k))
    }

    fn diff_fields(&self, out: &mut Vec<FieldChange>, old: &UserFields, new: &UserFields) {
        diff(
            out,
            "username",
            Some(old.username.clone()),
            Some(new.username.clone()),
        );
        diff(out, "aliases", join(&old.aliases), join(&new.aliases));
        diff(out, "realname", opt(&old.realname), opt(&new.realname));
        diff(out, "firstname", opt(&old.firstname), opt(&new.firstname));
        diff(out, "lastname", opt(&old.lastname), opt(&new.lastname));
        diff(out, "email", opt(&old.email), opt(&new.email));
        diff(out, "phones", join(&old.phones), join(&new.phones));
        diff(out, "notes", opt(&old.notes), opt(&new.notes));
        let names: std::collections::BTreeSet<&String> =
            old.custom.keys().chain(new.custom.keys()).collect();
        for name in names {
            diff(
                out,
                &format!("custom.{name}"),
                old.custom.get(name).cloned(),
                new.custom.get(name).cloned(),
            );
        }
    }

    fn individual(&mut self, key: &str, lookup: &SourceLookup) {
        let member_groups: Vec<&SourceGroup> = lookup
            .groups
            .iter()
            .filter(|(_, m)| *m)
            .map(|(g, _)| g)
            .collect();
        let res = resolve_groups(
            self.settings,
            self.snapshot,
            &member_groups,
            false,
            &mut self.plan,
        );
        self.group_names = res.names;
        // Individual runs only create groups; they never rename or take over others.
        self.plan.groups.retain(|op| op.action == Action::Create);
        let mapped = lookup
            .user
            .as_ref()
            .filter(|_| !member_groups.is_empty())
            .map(|su| (su, map_user(&self.settings.attributes, su)));
        match mapped {
            Some((su, Ok(fields))) => {
                self.plan.counts.seen = 1;
                let mut groups: Vec<GroupId> = member_groups
                    .iter()
                    .filter_map(|g| res.ids.get(&g.external_id).cloned())
                    .collect();
                groups.sort();
                groups.dedup();
                let all: Vec<u32> = (0..groups.len() as u32).collect();
                self.plan_incoming(Incoming {
                    source: su,
                    fields,
                    groups: GroupSet {
                        ids: &groups,
                        members: &all,
                    },
                });
            }
            Some((su, Err(e))) => {
                self.plan.counts.seen = 1;
                self.plan.counts.skipped += 1;
                self.plan.errors.push(EntryError::for_entry(
                    su,
                    &self.settings.attributes,
                    None,
                    e.message(),
                ));
            }
            None => {
                let existing = self
                    .managed()
                    .find(|u| fold(&u.fields.username) == fold(key));
                match existing {
                    Some(u) => {
                        let reason = if lookup.user.is_some() {
                            "Not in any synced group any more."
                        } else {
                            "Not found in the directory."
                        };
                        self.trash_or_purge(u, reason);
                    }
                    None => self.plan.errors.push(EntryError::new(
                        key.to_string(),
                        format!(
                            "No user with the username \"{key}\" was found in the synced groups, and this sync manages no such user. Check the spelling, and that the user is in a selected group."
                        ),
                    )),
                }
            }
        }
    }
}

struct AdminPlanner<'a> {
    settings: &'a SyncSettings,
    snapshot: &'a Snapshot,
    now: Timestamp,
    plan: Plan,
    by_external: HashMap<&'a str, &'a Admin>,
    by_email: HashMap<String, &'a Admin>,
    claimed: HashSet<&'a AdminId>,
}

impl<'a> AdminPlanner<'a> {
    fn new(settings: &'a SyncSettings, snapshot: &'a Snapshot, now: Timestamp) -> Self {
        let mut by_external = HashMap::default();
        let mut by_email = HashMap::default();
        for a in &snapshot.admins {
            if a.managed_by.as_ref() == Some(&settings.key) {
                if let Some(ext) = a.external_id.as_deref() {
                    by_external.insert(ext, a);
                }
            }
            by_email.insert(fold(&a.email), a);
        }
        AdminPlanner {
            settings,
            snapshot,
            now,
            plan: Plan::default(),
            by_external,
            by_email,
            claimed: HashSet::default(),
        }
    }

    fn role_of(&self, group_external_id: &str) -> Option<AdminRole> {
        self.settings
            .roles
            .iter()
            .find(|m| m.group.eq_ignore_ascii_case(group_external_id))
            .map(|m| m.role)
            .filter(|r| *r != AdminRole::Owner)
    }

    fn run(mut self, scope: &Scope<'_>) -> Plan {
        match scope {
            Scope::Full(batch) => self.full(batch),
            Scope::Individual { key, lookup } => self.individual(key, lookup),
        }
        self.plan
    }

    fn full(&mut self, batch: &SourceBatch) {
        for missing in &batch.missing_groups {
            self.plan.errors.push(EntryError::new(
                missing.clone(),
                "This role-mapped group was not found in the directory. Its members who are in no other mapped group are disabled. If the group was renamed or moved, map it again.",
            ));
        }
        let mut roles: HashMap<&str, AdminRole> = HashMap::default();
        for g in &batch.groups {
            let Some(role) = self.role_of(&g.external_id) else {
                continue;
            };
            for m in &g.members {
                let e = roles.entry(m.as_ref()).or_insert(role);
                *e = (*e).min(role); // Ord follows privilege: smaller = more privileged.
            }
        }
        let mut protected: HashSet<String> = HashSet::default();
        let mut users: Vec<&SourceUser> = batch
            .users
            .iter()
            .filter(|u| roles.contains_key(u.external_id.as_ref()))
            .collect();
        users.sort_by(|a, b| a.external_id.cmp(&b.external_id));
        users.dedup_by(|a, b| a.external_id == b.external_id);
        // Claim by stable id first, as for users.
        users.sort_by_key(|u| !self.by_external.contains_key(u.external_id.as_ref()));
        for su in users {
            self.plan.counts.seen += 1;
            if let Some(role) = roles.get(su.external_id.as_ref()) {
                if let Some(email) = self.plan_admin(su, *role) {
                    protected.insert(email);
                }
            }
        }
        let mut managed_active = 0u64;
        let mut left = 0u64;
        let key = &self.settings.key;
        let managed: Vec<&Admin> = self
            .snapshot
            .admins
            .iter()
            .filter(|a| a.managed_by.as_ref() == Some(key))
            .collect();
        for a in managed {
            if a.left_at.is_none() {
                managed_active += 1;
            }
            if self.claimed.contains(&a.id) || protected.contains(&fold(&a.email)) {
                continue;
            }
            if self.leave(a, "Not in any role-mapped group any more: removed from the groups, or deleted in the directory.") {
                left += 1;
            }
        }
        if managed_active > 0 && self.plan.counts.seen == 0 {
            self.plan.hold = Some(format!(
                "The directory returned no administrators, but this sync manages {managed_active}. Nothing was changed. Check the role mappings and the connection; approve the run if this is really intended."
            ));
        } else if left * 100 > managed_active * u64::from(self.settings.deletion_threshold_percent)
        {
            self.plan.hold = Some(format!(
                "This run would disable {left} of {managed_active} administrators, more than the {}% safety threshold. Nothing was changed. Review the changes, then approve the run to apply them.",
                self.settings.deletion_threshold_percent
            ));
        }
    }

    /// Disables an admin who left every mapped group, or removes them after the retention.
    fn leave(&mut self, a: &Admin, reason: &str) -> bool {
        match a.left_at {
            Some(at) => {
                if at.plus_days(self.settings.retention_days) <= self.now {
                    self.plan.counts.purged += 1;
                    self.plan.admins.push(AdminOp {
                        action: Action::Purge,
                        admin: a.clone(),
                        fields: Vec::new(),
                        reason: format!(
                            "Disabled for {} days after leaving every mapped group: removed.",
                            self.settings.retention_days
                        ),
                    });
                }
                false
            }
            None => {
                let mut after = a.clone();
                after.status = AdminStatus::Disabled;
                after.left_at = Some(self.now);
                let mut fields = Vec::new();
                diff(
                    &mut fields,
                    "status",
                    Some(a.status.as_str().into()),
                    Some(AdminStatus::Disabled.as_str().into()),
                );
                self.plan.counts.trashed += 1;
                self.plan.admins.push(AdminOp {
                    action: Action::Disable,
                    admin: after,
                    fields,
                    reason: reason.into(),
                });
                true
            }
        }
    }

    /// Plans one admin; returns the folded email when the entry is valid (so it is protected from leaving).
    fn plan_admin(&mut self, su: &SourceUser, role: AdminRole) -> Option<String> {
        let map = &self.settings.attributes;
        let email = map
            .email
            .as_deref()
            .and_then(|a| su.first(a))
            .map(|s| s.trim().to_string());
        let Some(email) = email.filter(|e| !e.is_empty()) else {
            self.plan.counts.skipped += 1;
            self.plan.errors.push(EntryError::for_entry(
                su,
                map,
                su.first(&map.username),
                "Skipped: administrators are matched by email, and this entry has no email. Fill in the email attribute in the directory.",
            ));
            return None;
        };
        let name = map
            .realname
            .as_deref()
            .and_then(|a| su.first(a))
            .map(str::to_string)
            .or_else(|| {
                let f = map.firstname.as_deref().and_then(|a| su.first(a));
                let l = map.lastname.as_deref().and_then(|a| su.first(a));
                match (f, l) {
                    (Some(f), Some(l)) => Some(format!("{f} {l}")),
                    (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
                    (None, None) => None,
                }
            })
            .unwrap_or_else(|| email.clone());
        let phone = map
            .phones
            .iter()
            .find_map(|a| su.first(a))
            .map(str::to_string);
        let folded = fold(&email);
        let existing = self
            .by_external
            .get(su.external_id.as_ref())
            .copied()
            .or_else(|| self.by_email.get(&folded).copied());
        if let Some(e) = existing {
            if e.left_at.is_none() {
                if let Some((owner, other)) = precedes(self.settings, e.managed_by.as_ref()) {
                    self.plan.counts.conflicts += 1;
                    self.plan.conflicts.push(Conflict {
                        object: ObjectKind::Admin,
                        key: e.email.clone(),
                        other: owner.to_string(),
                        other_name: other.name.clone(),
                        kept: false,
                        message: format!(
                            "The sync \"{}\" manages this administrator and comes first in the order of precedence, so this sync leaves the administrator to it. To manage the administrator from this sync, move this sync above \"{}\".",
                            other.name, other.name
                        ),
                    });
                    return Some(folded);
                }
            }
            if e.role == AdminRole::Owner {
                self.plan.counts.skipped += 1;
                self.plan.errors.push(EntryError::new(
                    email,
                    "Skipped: an Owner already has this email, and Owners are never synced. Manage this Owner by hand, or use another email in the directory.",
                ));
                return Some(folded);
            }
            if !self.claimed.insert(&e.id) {
                self.plan.counts.skipped += 1;
                self.plan.errors.push(EntryError::new(
                    email,
                    "Skipped: another entry in this sync already matched the same administrator. Make emails unique in the directory.",
                ));
                return Some(folded);
            }
        }
        let key = &self.settings.key;
        let status = if su.disabled {
            AdminStatus::Disabled
        } else {
            AdminStatus::Active
        };
        let desired = Admin {
            id: existing
                .map(|e| e.id.clone())
                .unwrap_or_else(|| AdminId::derive(key, &su.external_id)),
            name,
            email,
            phone,
            role,
            status,
            managed_by: Some(key.clone()),
            external_id: Some(su.external_id.to_string()),
            last_directory_sync: Some(self.now),
            left_at: None,
        };
        let Some(old) = existing else {
            self.plan.counts.created += 1;
            self.plan.admins.push(AdminOp {
                action: Action::Create,
                reason: format!("Member of a group mapped to the {} role.", role.as_str()),
                admin: desired,
                fields: Vec::new(),
            });
            return Some(folded);
        };
        let mut fields = Vec::new();
        diff(
            &mut fields,
            "name",
            Some(old.name.clone()),
            Some(desired.name.clone()),
        );
        diff(
            &mut fields,
            "email",
            Some(old.email.clone()),
            Some(desired.email.clone()),
        );
        diff(
            &mut fields,
            "phone",
            old.phone.clone(),
            desired.phone.clone(),
        );
        diff(
            &mut fields,
            "role",
            Some(old.role.as_str().into()),
            Some(desired.role.as_str().into()),
        );
        diff(
            &mut fields,
            "status",
            Some(old.status.as_str().into()),
            Some(desired.status.as_str().into()),
        );
        let (action, reason) = if old.managed_by.as_ref() != Some(key) {
            diff(
                &mut fields,
                "managed_by",
                old.managed_by.as_ref().map(ToString::to_string),
                Some(key.to_string()),
            );
            self.plan.counts.taken_over += 1;
            match previous_owner(self.settings, old.managed_by.as_ref()) {
                Some((other, other_name)) if old.left_at.is_none() => {
                    self.plan.counts.conflicts += 1;
                    self.plan.conflicts.push(Conflict {
                        object: ObjectKind::Admin,
                        key: desired.email.clone(),
                        other,
                        other_name: other_name.clone(),
                        kept: true,
                        message: format!("The sync \"{other_name}\" also finds this administrator; this sync comes first in the order of precedence, so it manages the administrator."),
                    });
                    (
                        Action::TakeOver,
                        format!("The sync \"{other_name}\" managed this administrator; this sync comes first in the order of precedence, so it manages the administrator now."),
                    )
                }
                _ => (
                    Action::TakeOver,
                    "An administrator with this email already existed; this sync manages it now."
                        .to_string(),
                ),
            }
        } else if old.left_at.is_some() && !su.disabled {
            self.plan.counts.enabled += 1;
            (Action::Enable, "Back in a role-mapped group.".to_string())
        } else if desired.status == AdminStatus::Disabled && old.status != AdminStatus::Disabled {
            self.plan.counts.disabled += 1;
            (Action::Disable, "Disabled in the directory.".to_string())
        } else if desired.status == AdminStatus::Active && old.status == AdminStatus::Disabled {
            self.plan.counts.enabled += 1;
            (
                Action::Enable,
                "Enabled again in the directory.".to_string(),
            )
        } else if fields.is_empty() && old.external_id == desired.external_id {
            return Some(folded);
        } else {
            self.plan.counts.updated += 1;
            (Action::Update, "Changed in the directory.".to_string())
        };
        self.plan.admins.push(AdminOp {
            action,
            admin: desired,
            fields,
            reason,
        });
        Some(folded)
    }

    fn individual(&mut self, key: &str, lookup: &SourceLookup) {
        let role = lookup
            .groups
            .iter()
            .filter(|(_, member)| *member)
            .filter_map(|(g, _)| self.role_of(&g.external_id))
            .min();
        match (&lookup.user, role) {
            (Some(su), Some(role)) => {
                self.plan.counts.seen = 1;
                self.plan_admin(su, role);
            }
            _ => {
                let skey = &self.settings.key;
                let existing =
                    self.snapshot.admins.iter().find(|a| {
                        a.managed_by.as_ref() == Some(skey) && fold(&a.email) == fold(key)
                    });
                match existing {
                    Some(a) => {
                        self.leave(a, "Not in any role-mapped group any more.");
                    }
                    None => self.plan.errors.push(EntryError::new(
                        key.to_string(),
                        format!("No administrator with the email \"{key}\" was found in the role-mapped groups. Check the spelling, and that the person is in a mapped group."),
                    )),
                }
            }
        }
    }
}
