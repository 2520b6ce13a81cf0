//! A user's page (fields, the sync that writes each, groups), a user's history across runs, and a group's
//! page with its members.

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_core::{AttributeMap, ObjectKind, User};

/// The most history entries a page holds.
const MAX_HISTORY: u64 = 200;

/// The user's fields in Duo's order, each with the source attribute the managing sync maps to it.
fn fields(user: &User, map: Option<&AttributeMap>) -> Vec<json::UserField> {
    let f = &user.fields;
    let one = |v: &Option<String>| v.iter().cloned().collect::<Vec<_>>();
    let from = |a: Option<&String>| map.and(a.cloned());
    let joined = |v: &[String]| map.and((!v.is_empty()).then(|| v.join(", ")));
    let mut out = vec![
        (
            "Username",
            vec![f.username.clone()],
            from(map.map(|m| &m.username)),
        ),
        (
            "Username aliases",
            f.aliases.clone(),
            map.and_then(|m| joined(&m.aliases)),
        ),
        (
            "Full name",
            one(&f.realname),
            from(map.and_then(|m| m.realname.as_ref())),
        ),
        (
            "First name",
            one(&f.firstname),
            from(map.and_then(|m| m.firstname.as_ref())),
        ),
        (
            "Last name",
            one(&f.lastname),
            from(map.and_then(|m| m.lastname.as_ref())),
        ),
        (
            "Email",
            one(&f.email),
            from(map.and_then(|m| m.email.as_ref())),
        ),
        (
            "Phones",
            f.phones.clone(),
            map.and_then(|m| joined(&m.phones)),
        ),
        (
            "Notes",
            one(&f.notes),
            from(map.and_then(|m| m.notes.as_ref())),
        ),
    ]
    .into_iter()
    .map(|(label, values, synced_from)| json::UserField {
        label: label.into(),
        values,
        synced_from,
    })
    .collect::<Vec<_>>();
    // Custom attributes: the ones the user has, and the ones the sync maps (empty until the directory
    // fills them), by name.
    let mut names: Vec<&String> = f.custom.keys().collect();
    if let Some(m) = map {
        names.extend(m.custom.keys());
    }
    names.sort();
    names.dedup();
    out.extend(names.into_iter().map(|n| json::UserField {
        label: n.clone(),
        values: f.custom.get(n).cloned().into_iter().collect(),
        synced_from: map.and_then(|m| m.custom.get(n).cloned()),
    }));
    out
}

impl Session<'_> {
    fn user_by_id(&self, user_id: &str) -> Result<roster_store::UserDetailRecord> {
        self.tenant.store.user_by_id(user_id)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no user with the id {user_id} in this tenant. They may have been deleted for good; search the Users list."
            ))
        })
    }

    /// A user's page: their fields (each synced one with the attribute it comes from), groups and status.
    pub fn user_detail(&self, user_id: &str) -> Result<json::UserDetail> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let roster_store::UserDetailRecord {
            user,
            sync_name,
            groups,
        } = self.user_by_id(user_id)?;
        let directory = match &user.managed_by {
            Some(k) => Some(t.store.directory(k.as_str())?),
            None => None,
        };
        let days = t.store.tenant()?.pending_deletion_days;
        Ok(json::UserDetail {
            fields: fields(&user, directory.as_ref().map(|d| &d.attributes)),
            user_id: user.id.as_str().to_string(),
            username: user.fields.username.clone(),
            status: user.status,
            managed_by: user.managed_by.as_ref().map(|k| json::SyncRef {
                directory_key: k.to_string(),
                name: sync_name.unwrap_or_default(),
            }),
            groups: groups
                .into_iter()
                .map(|(group_id, name)| json::GroupRef { group_id, name })
                .collect(),
            last_directory_sync: user.last_directory_sync.map(|t| t.to_rfc3339()),
            purge_at: user.trashed_at.map(|t| t.plus_days(days).to_rfc3339()),
        })
    }

    /// A page of what sync runs changed on a user, newest first (`before`: a previous page's `next`).
    /// Changes are recorded under the username a run saw: after a rename, older entries stay under the
    /// old name.
    pub fn user_history(
        &self,
        user_id: &str,
        before: Option<&str>,
        limit: u64,
    ) -> Result<json::HistoryPage> {
        self.require(Permission::View)?;
        let user = self.user_by_id(user_id)?.user;
        let before = match before {
            None => None,
            Some(b) => Some(
                b.split_once(':')
                    .and_then(|(r, s)| Some((r.parse().ok()?, s.parse().ok()?)))
                    .ok_or_else(|| {
                        ApiError::validation(format!(
                            "\"{b}\" is not where a page of history starts. Read the history again from its first page."
                        ))
                    })?,
            ),
        };
        let limit = limit.clamp(1, MAX_HISTORY);
        let rows = self.tenant.store.object_history(
            ObjectKind::User,
            &user.fields.username,
            before,
            limit,
        )?;
        let next = (rows.len() as u64 >= limit)
            .then(|| rows.last().map(|r| format!("{}:{}", r.run_id, r.seq)))
            .flatten();
        Ok(json::HistoryPage {
            entries: rows
                .into_iter()
                .map(|r| json::HistoryEntry {
                    run_id: r.run_id,
                    sync: json::SyncRef {
                        directory_key: r.directory_key,
                        name: r.directory_name,
                    },
                    at: r.at.to_rfc3339(),
                    action: r.change.action,
                    fields: r.change.fields,
                    reason: r.change.reason,
                })
                .collect(),
            next,
        })
    }

    /// A group's page.
    pub fn group_detail(&self, group_id: &str) -> Result<json::GroupDetail> {
        self.require(Permission::View)?;
        let (g, key) = self.tenant.store.group_by_id(group_id)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no group with the id {group_id} in this tenant. Its sync may have deleted it; search the Groups list."
            ))
        })?;
        Ok(json::GroupDetail {
            managed_by: key.map(|k| json::SyncRef {
                directory_key: k,
                name: g.managed_by.clone().unwrap_or_default(),
            }),
            group_id: g.group_id,
            name: g.name,
            description: g.description,
            member_count: g.member_count,
            status: g.status,
        })
    }

    /// A page of a group's members, by username.
    pub fn group_members(
        &self,
        group_id: &str,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        let days = t.store.tenant()?.pending_deletion_days;
        let p = t
            .store
            .group_members(group_id, offset, limit.clamp(1, super::MAX_PAGE))?;
        json::Page::from_store(p, |r| json::UserRow::from_store(r, days))
    }
}
