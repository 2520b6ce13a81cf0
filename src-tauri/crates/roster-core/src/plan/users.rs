//! User syncs: who is created, updated, taken over, disabled, trashed, restored or purged, and the
//! membership of the sync's groups of users other syncs manage.

use super::groups::resolve_groups;
use super::*;

mod push;

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

pub(super) struct UserPlanner<'a> {
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
    pub(super) fn new(settings: &'a SyncSettings, snapshot: &'a Snapshot, now: Timestamp) -> Self {
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

    pub(super) fn run(mut self, scope: &Scope<'_>) -> Plan {
        match scope {
            Scope::Full(batch) => self.full(batch),
            Scope::Individual { key, lookup } => self.individual(key, lookup),
            Scope::Push(batch) => self.push(batch),
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
                self.regroup(
                    old,
                    groups.to_vec(),
                    "Group membership changed in the directory.",
                );
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

    /// Plans `old` with its groups changed to `groups` and nothing else (a membership-only change).
    fn regroup(&mut self, old: &User, groups: Vec<GroupId>, reason: &str) {
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
            reason: reason.into(),
        });
    }

    /// The groups' names, in case-insensitive order, for the change log. Borrowed and compared in place:
    /// a first sync asks this once per user, and sorting owned, lower-cased copies allocated a string per
    /// comparison (a fifth of a 100,000-user first sync's planning).
    fn names_of(&self, groups: &[GroupId]) -> Option<String> {
        let mut names: Vec<&str> = groups
            .iter()
            .map(|g| self.group_names.get(g).map_or(g.as_str(), String::as_str))
            .collect();
        names.sort_by(|a, b| cmp_folded(a, b));
        (!names.is_empty()).then(|| names.join(", "))
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
                    self.plan.conflict(Conflict {
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
                    self.plan.conflict(Conflict {
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
