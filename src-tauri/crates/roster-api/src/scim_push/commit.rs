//! From what a push changed in the integration's replica to Roster's users and groups: the plan, made
//! from a snapshot of the objects the request names (and nothing else), applied in the push's
//! transaction.
//!
//! A user whose document changed is planned in full from it. A user whose only change is joining or
//! leaving groups is planned from what Roster holds, with those groups changed: a `PATCH` adding 100
//! members reads and maps no member's document. One that Roster does not hold as the integration's
//! active or disabled user (another sync took it, or it is in the trash) is planned in full, as before,
//! so precedence and the trash apply to it as to any push.

use super::{owner_of_taken_name, parse_doc, refs, PushError};
use crate::scim::ScimDoor;
use roster_core::plan::{plan, PushBatch, Scope, Snapshot};
use roster_core::source::SourceGroup;
use roster_core::{User, UserStatus};
use roster_scim::{self as proto, ScimError};
use roster_store::{Push, ResourceKind};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What a push changed in the replica, to plan into Roster.
#[derive(Debug, Default)]
pub(super) struct Changed {
    /// Users created or whose document changed (planned in full).
    pub(super) users: Vec<String>,
    pub(super) removed_users: Vec<String>,
    pub(super) groups: Vec<String>,
    pub(super) removed_groups: Vec<String>,
    /// Membership changes in the order they were made: (user, group, whether it is a member now).
    members: Vec<(String, String, bool)>,
}

impl Changed {
    /// Notes that `users` joined `group`; whether there were any.
    pub(super) fn joined(&mut self, group: &str, users: Vec<String>) -> bool {
        self.member(group, users, true)
    }

    /// Notes that `users` left `group`; whether there were any.
    pub(super) fn left(&mut self, group: &str, users: Vec<String>) -> bool {
        self.member(group, users, false)
    }

    fn member(&mut self, group: &str, users: Vec<String>, now: bool) -> bool {
        let any = !users.is_empty();
        self.members
            .extend(users.into_iter().map(|u| (u, group.to_string(), now)));
        any
    }

    /// Each user whose membership changed and is not planned in full, with its groups' final state
    /// (the last change of each group wins).
    fn membership_only(&self) -> BTreeMap<&str, Vec<(String, bool)>> {
        let full: BTreeSet<&str> = self.users.iter().map(String::as_str).collect();
        let mut out: BTreeMap<&str, Vec<(String, bool)>> = BTreeMap::new();
        for (user, group, now) in &self.members {
            if full.contains(user.as_str()) {
                continue;
            }
            let groups = out.entry(user).or_default();
            match groups.iter_mut().find(|(g, _)| g == group) {
                Some(g) => g.1 = *now,
                None => groups.push((group.clone(), *now)),
            }
        }
        out
    }
}

/// The external ids of the users the snapshot holds as users the integration manages, outside the
/// trash: a membership change alone can be planned from them. A set, so that a `PATCH` of n members
/// asks n times in constant time rather than walking the snapshot each time.
fn held<'s>(snapshot: &'s Snapshot, key: &roster_core::DirectoryKey) -> HashSet<&'s str> {
    snapshot
        .users
        .iter()
        .filter(|u: &&User| {
            u.managed_by.as_ref() == Some(key) && u.status != UserStatus::PendingDeletion
        })
        .filter_map(|u| u.external_id.as_deref())
        .collect()
}

/// The integration's groups a push names (by the client's ids): those it creates, changes or removes,
/// those its users planned in full are listed in, and those whose members change. With its users' stored
/// groups, these are all the groups its plan can touch ([`Push::snapshot`]).
fn named_groups<'b>(
    batch: &'b PushBatch,
    memberships: &'b [(String, Vec<(String, bool)>)],
) -> Vec<&'b str> {
    let mut out: BTreeSet<&str> = BTreeSet::new();
    out.extend(batch.groups.iter().map(|g| g.external_id.as_str()));
    out.extend(batch.removed_groups.iter().map(String::as_str));
    out.extend(
        batch
            .users
            .iter()
            .flat_map(|(_, gs)| gs.iter().map(String::as_str)),
    );
    out.extend(
        memberships
            .iter()
            .flat_map(|(_, gs)| gs.iter().map(|(g, _)| g.as_str())),
    );
    out.into_iter().collect()
}

impl ScimDoor {
    /// Plans what a push changed in the replica and applies it. Refused, so that nothing is kept, when a
    /// user or group it names belongs to a sync that comes first in the order of precedence.
    pub(super) fn commit(
        &self,
        p: &Push<'_>,
        mut changed: Changed,
    ) -> std::result::Result<(), PushError> {
        let mut batch = PushBatch::default();
        let mut group_names: Vec<String> = Vec::new();
        for id in &changed.removed_users {
            batch.removed_users.push(id.clone());
        }
        for id in &changed.groups {
            let Some(r) = p.resource(ResourceKind::Group, id)? else {
                continue;
            };
            batch.groups.push(SourceGroup {
                external_id: id.clone(),
                name: r.name.clone(),
                description: None,
                members: Vec::new(),
            });
            group_names.push(r.name.clone());
        }
        batch.removed_groups = std::mem::take(&mut changed.removed_groups);
        let memberships: Vec<(String, Vec<(String, bool)>)> = changed
            .membership_only()
            .into_iter()
            .map(|(u, g)| (u.to_string(), g))
            .collect();
        let mut full = std::mem::take(&mut changed.users);
        full.sort();
        full.dedup();
        let mut usernames = self.full_users(p, &full, &mut batch)?;
        let mut external: Vec<String> = full.clone();
        external.extend(batch.removed_users.iter().cloned());
        external.extend(memberships.iter().map(|(u, _)| u.clone()));
        let groups = named_groups(&batch, &memberships);
        let mut snapshot = p.snapshot(
            &refs(&external),
            &refs(&usernames),
            &refs(&group_names),
            &groups,
        )?;
        // A member Roster does not hold as the integration's own user is planned in full (and read again
        // with its username, which a take-over or a restore needs).
        let held_ids = held(&snapshot, &self.key);
        let (held_here, in_full): (Vec<_>, Vec<_>) = memberships
            .into_iter()
            .partition(|(u, _)| held_ids.contains(u.as_str()));
        if !in_full.is_empty() {
            let more: Vec<String> = in_full.into_iter().map(|(u, _)| u).collect();
            usernames.extend(self.full_users(p, &more, &mut batch)?);
            let groups = named_groups(&batch, &held_here);
            snapshot = p.snapshot(
                &refs(&external),
                &refs(&usernames),
                &refs(&group_names),
                &groups,
            )?;
        }
        batch.memberships = held_here;
        let all = p.directories()?;
        let Some(d) = all.iter().find(|d| d.key == self.key) else {
            return Err(PushError(ScimError::not_found(
                "This SCIM integration was deleted in Roster. Remove the app from your identity provider, or add a new integration and use its base URL and token.",
            )));
        };
        let settings = roster_engine::settings(d, p.retention_days()?, &all);
        let plan = plan(&settings, &snapshot, &Scope::Push(&batch), p.now());
        if let Some(c) = plan.conflicts.iter().find(|c| !c.kept) {
            return Err(PushError(ScimError::uniqueness(format!(
                "The {} \"{}\" belongs to the directory sync \"{}\" in Roster, which comes first in the order of precedence. Nothing was changed. Remove it from that sync, or move this integration above it in Roster's Directory Syncs.",
                c.object.as_str(),
                c.key,
                c.other_name
            ))));
        }
        if let Some(e) = plan.errors.first() {
            if let Some(d) = owner_of_taken_name(&e.key, &snapshot.users, &self.key)
                .and_then(|k| all.iter().find(|d| &d.key == k))
            {
                return Err(PushError(ScimError::uniqueness(format!(
                    "The user \"{}\" belongs to the directory sync \"{}\" in Roster, so no other user can take that userName. Nothing was changed. Choose another userName, or remove the user from that sync.",
                    e.key, d.name
                ))));
            }
            return Err(PushError(ScimError::uniqueness(format!(
                "{} Nothing was changed.",
                e.message
            ))));
        }
        p.apply(&plan, &plan.conflicts, &roster_engine::summary)?;
        Ok(())
    }

    /// Adds the users `ids` to the batch, each from its document with every group of the integration it
    /// is in; returns their usernames.
    fn full_users(
        &self,
        p: &Push<'_>,
        ids: &[String],
        batch: &mut PushBatch,
    ) -> Result<Vec<String>, PushError> {
        let mut usernames = Vec::new();
        for id in ids {
            let Some(r) = p.resource(ResourceKind::User, id)? else {
                continue; // removed by the same request
            };
            let doc = parse_doc(&r)?;
            let groups = p.groups_of(id)?.into_iter().map(|(g, _)| g).collect();
            batch.users.push((proto::user_source(id, &doc), groups));
            usernames.push(r.name);
        }
        Ok(usernames)
    }
}
