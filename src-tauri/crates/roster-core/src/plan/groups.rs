//! Selected groups become Roster groups: created, renamed, taken over from a sync that comes later in the
//! order of precedence (or left to one that comes first), and deleted when no longer synced.

use super::*;

/// The groups part, shared by user and admin syncs: selected groups become Roster groups (user syncs only).
pub(super) struct GroupResolution {
    /// source group external id -> Roster group id (for groups that exist after the plan).
    pub(super) ids: HashMap<String, GroupId>,
    /// Roster group id -> name, for reports.
    pub(super) names: HashMap<GroupId, String>,
    /// Selected groups (external ids) left to a sync that takes precedence: their members are still in
    /// this sync's scope, but the group is not this sync's to write.
    pub(super) yielded: HashSet<String>,
}

pub(super) fn resolve_groups(
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
        if let Some(old) = existing.filter(|g| g.managed_by.as_ref() == Some(key)) {
            if renamed_onto_another(settings, old, src, &by_name, plan) {
                // Two groups cannot share a name: this sync's group keeps its old name (and its
                // members are still synced into it).
                claimed.insert(&old.id);
                res.ids.insert(src.external_id.clone(), old.id.clone());
                res.names.insert(old.id.clone(), old.name.clone());
                continue;
            }
        }
        if let Some((owner, other)) =
            existing.and_then(|g| precedes(settings, g.managed_by.as_ref()))
        {
            plan.conflict(Conflict {
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
                            plan.conflict(Conflict {
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

/// Whether this sync's group `old` is renamed (`src`) onto the name of another group in Roster, managed
/// by another sync or by none; then the rename is refused: a conflict naming the sync when that sync
/// comes first in the order of precedence (its group is not this sync's to take), else an entry error.
/// A group of this sync's own with that name is left to the usual path (a swap of names within one
/// sync).
fn renamed_onto_another(
    settings: &SyncSettings,
    old: &Group,
    src: &SourceGroup,
    by_name: &HashMap<String, &Group>,
    plan: &mut Plan,
) -> bool {
    let Some(other) = by_name
        .get(&fold(&src.name))
        .filter(|o| o.id != old.id && o.managed_by.as_ref() != Some(&settings.key))
    else {
        return false;
    };
    match precedes(settings, other.managed_by.as_ref()) {
        Some((owner, sync)) => plan.conflict(Conflict {
            object: ObjectKind::Group,
            key: src.name.clone(),
            other: owner.to_string(),
            other_name: sync.name.clone(),
            kept: false,
            message: format!(
                "The sync \"{}\" manages a group named \"{}\" and comes first in the order of precedence, so this sync's group \"{}\" keeps its name; its members are still synced here. To rename it, rename one of the two groups in its directory, or move this sync above \"{}\".",
                sync.name, src.name, old.name, sync.name
            ),
        }),
        None => {
            plan.errors.push(EntryError::new(
                src.external_id.clone(),
                format!(
                    "Skipped: the group \"{}\" was not renamed to \"{}\", because another group in Roster has that name. Group names must be unique; rename one of them.",
                    old.name, src.name
                ),
            ));
            plan.counts.skipped += 1;
        }
    }
    true
}
