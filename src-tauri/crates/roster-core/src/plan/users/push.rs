//! Pushes from an inbound integration (a SCIM client): only the objects a request names are planned,
//! and a change of a group's members changes only those members' groups.

use super::super::groups::resolve_groups;
use super::*;

impl UserPlanner<'_> {
    /// A push: the groups it names are created, renamed or deleted; the users it names are created or
    /// updated (with exactly the integration's groups it lists for them) or trashed. Whatever it does not
    /// name stays as it is.
    pub(super) fn push(&mut self, batch: &PushBatch) {
        let key = &self.settings.key;
        let sources: Vec<&SourceGroup> = batch.groups.iter().collect();
        let res = resolve_groups(
            self.settings,
            self.snapshot,
            &sources,
            false,
            &mut self.plan,
        );
        let mut ids = res.ids;
        self.group_names = res.names;
        for g in &self.snapshot.groups {
            if g.managed_by.as_ref() == Some(key) {
                if let Some(ext) = &g.external_id {
                    ids.entry(ext.clone()).or_insert_with(|| g.id.clone());
                }
            }
        }
        for ext in &batch.removed_groups {
            let Some(g) = self.snapshot.groups.iter().find(|g| {
                g.managed_by.as_ref() == Some(key) && g.external_id.as_deref() == Some(ext)
            }) else {
                continue;
            };
            ids.remove(ext);
            self.plan.counts.groups_deleted += 1;
            self.plan.groups.push(GroupOp {
                action: Action::Delete,
                group: g.clone(),
                fields: Vec::new(),
                reason: "Deleted by the SCIM client.".into(),
            });
        }
        for (su, groups) in &batch.users {
            self.plan.counts.seen += 1;
            match map_user(&self.settings.attributes, su) {
                Ok(fields) => {
                    let mut mine: Vec<GroupId> =
                        groups.iter().filter_map(|g| ids.get(g).cloned()).collect();
                    mine.sort();
                    mine.dedup();
                    let all: Vec<u32> = (0..mine.len() as u32).collect();
                    self.plan_incoming(Incoming {
                        source: su,
                        fields,
                        groups: GroupSet {
                            ids: &mine,
                            members: &all,
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
        for (ext, changes) in &batch.memberships {
            self.plan_membership(ext, changes, &ids);
        }
        for ext in &batch.removed_users {
            if let Some(u) = self.by_external.get(ext.as_str()).copied() {
                self.trash_or_purge(u, "Deleted by the SCIM client.");
            }
        }
    }

    /// A user whose membership of the integration's groups changed and nothing else: its groups are the
    /// stored ones with `changes` made (group external id, whether the user is a member now); its fields
    /// and status stay as they are. A user the batch also lists in full is planned from that instead.
    fn plan_membership(
        &mut self,
        ext: &str,
        changes: &[(String, bool)],
        ids: &HashMap<String, GroupId>,
    ) {
        let Some(old) = self
            .by_external
            .get(ext)
            .copied()
            .filter(|u| u.status != UserStatus::PendingDeletion)
        else {
            // The caller lists such a user in full (`users`); one that is missing here is not the
            // integration's, or is in the trash, and a membership alone must not take it over or
            // restore it.
            self.plan.counts.skipped += 1;
            self.plan.errors.push(EntryError::new(
                ext.to_string(),
                "Skipped: the group's member is not a user this integration manages in Roster. Push the user again, then its groups.",
            ));
            return;
        };
        if !self.claimed.insert(&old.id) {
            return;
        }
        self.plan.counts.seen += 1;
        let mut groups = old.groups.clone();
        for (group, member) in changes {
            let Some(id) = ids.get(group) else {
                continue;
            };
            match (groups.binary_search(id), member) {
                (Err(at), true) => groups.insert(at, id.clone()),
                (Ok(at), false) => {
                    groups.remove(at);
                }
                _ => {}
            }
        }
        if groups != old.groups {
            self.regroup(old, groups, "Changed in the directory.");
        }
    }
}
