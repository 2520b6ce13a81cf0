//! Admin syncs: administrators with the most privileged role of their mapped groups; Owners are never
//! synced; an admin in no mapped group is disabled, then removed after the retention.

use super::*;

pub(super) struct AdminPlanner<'a> {
    settings: &'a SyncSettings,
    snapshot: &'a Snapshot,
    now: Timestamp,
    plan: Plan,
    by_external: HashMap<&'a str, &'a Admin>,
    by_email: HashMap<String, &'a Admin>,
    claimed: HashSet<&'a AdminId>,
}

impl<'a> AdminPlanner<'a> {
    pub(super) fn new(settings: &'a SyncSettings, snapshot: &'a Snapshot, now: Timestamp) -> Self {
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

    pub(super) fn run(mut self, scope: &Scope<'_>) -> Plan {
        match scope {
            Scope::Full(batch) => self.full(batch),
            Scope::Individual { key, lookup } => self.individual(key, lookup),
            // Integrations push users and groups only (as Duo's Okta and Generic SCIM directories do); the
            // application layer never plans a push for an admin sync.
            Scope::Push(_) => {}
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
                    self.plan.conflict(Conflict {
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
                    self.plan.conflict(Conflict {
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
