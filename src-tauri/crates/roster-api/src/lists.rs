//! The window's lists: users, the trash, groups and administrators, a page at a time, searched,
//! filtered and sorted by the store's indexes; a user's and a group's page and a user's history
//! ([`detail`]); Sync History's runs and charts ([`history`]).

mod detail;
mod history;

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_store::{GroupQuery, GroupSort, ManagedFilter, PageAt, UserQuery, UserSort};

/// The largest page a list reads at once.
const MAX_PAGE: u64 = 1000;

pub(crate) fn managed(m: &json::ManagedBy) -> ManagedFilter<'_> {
    match m {
        json::ManagedBy::Any => ManagedFilter::Any,
        json::ManagedBy::ByHand => ManagedFilter::Unmanaged,
        json::ManagedBy::Sync { key } => ManagedFilter::By(key),
    }
}

fn user_sort(k: json::UserSortKey) -> UserSort {
    match k {
        json::UserSortKey::Username => UserSort::Username,
        json::UserSortKey::Name => UserSort::Name,
        json::UserSortKey::Email => UserSort::Email,
        json::UserSortKey::Status => UserSort::Status,
        json::UserSortKey::LastSync => UserSort::LastSync,
        json::UserSortKey::DaysLeft => UserSort::Trashed,
    }
}

impl Session<'_> {
    /// A page of users (outside the trash), by username: at a position (the window's lists), or after
    /// a username (reading the whole list, each page costing the same).
    pub fn users_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.require(Permission::View)?;
        self.user_rows(query, false, at, limit)
    }

    /// A page of users in the trash.
    pub fn trash_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.require(Permission::View)?;
        self.user_rows(query, true, at, limit)
    }

    fn user_rows(
        &self,
        query: &str,
        trash: bool,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        let t = self.tenant.clone();
        let days = t.store.tenant()?.pending_deletion_days;
        let p = t
            .store
            .users_page(query, trash, at, limit.clamp(1, MAX_PAGE))?;
        json::Page::from_store(p, |r| json::UserRow::from_store(r, days))
    }

    /// A page of groups.
    pub fn groups_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::GroupRow>> {
        self.require(Permission::View)?;
        let p = self
            .tenant
            .store
            .groups_page(query, at, limit.clamp(1, MAX_PAGE))?;
        json::Page::from_store(p, |r| Ok(json::GroupRow::from(r)))
    }

    /// A page of administrators.
    pub fn admins_page(
        &self,
        query: &str,
        at: PageAt<'_>,
        limit: u64,
    ) -> Result<json::Page<json::AdminRow>> {
        self.require(Permission::View)?;
        let p = self
            .tenant
            .store
            .admins_page(query, at, limit.clamp(1, MAX_PAGE))?;
        json::Page::from_store(p, json::AdminRow::from_store)
    }
}

impl Session<'_> {
    /// A page of the Users list (`trash`: the Trash) at a position: searched, filtered by status and by
    /// managing sync, sorted.
    pub fn user_list(
        &self,
        trash: bool,
        q: &json::UserListQuery,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::UserRow>> {
        self.require(Permission::View)?;
        let t = self.tenant.clone();
        if q.status == Some(roster_core::UserStatus::PendingDeletion) && !trash {
            return Err(ApiError::validation(
                "Users pending deletion are in the Trash, not the Users list. Open the Trash to see them.",
            ));
        }
        let days = t.store.tenant()?.pending_deletion_days;
        let query = UserQuery {
            search: &q.search,
            trash,
            status: if trash {
                None
            } else {
                q.status.map(|s| s.as_str())
            },
            managed: managed(&q.managed_by),
            sort: user_sort(q.sort),
            descending: q.descending,
        };
        let p = t
            .store
            .user_list(&query, offset, limit.clamp(1, MAX_PAGE))?;
        json::Page::from_store(p, |r| json::UserRow::from_store(r, days))
    }

    /// A page of the Groups list at a position: searched, filtered by managing sync and by status,
    /// sorted.
    pub fn group_list(
        &self,
        q: &json::GroupListQuery,
        offset: u64,
        limit: u64,
    ) -> Result<json::Page<json::GroupRow>> {
        self.require(Permission::View)?;
        let sort = match q.sort {
            json::GroupSortKey::Name => GroupSort::Name,
            json::GroupSortKey::Sync => GroupSort::Sync,
        };
        let query = GroupQuery {
            search: &q.search,
            managed: managed(&q.managed_by),
            status: q.status,
            sort,
            descending: q.descending,
        };
        let p = self
            .tenant
            .store
            .group_list(&query, offset, limit.clamp(1, MAX_PAGE))?;
        json::Page::from_store(p, |r| Ok(json::GroupRow::from(r)))
    }

    /// Sets a group's status (Duo's group status, which applies to its members). The roles that may
    /// change a user's status may change a group's; a sync never changes it back.
    pub fn set_group_status(
        &self,
        group_id: &str,
        status: roster_core::GroupStatus,
    ) -> Result<json::GroupRow> {
        self.require(Permission::UpdateUsers)?;
        let t = self.tenant.clone();
        let (before, _) = t.store.group_by_id(group_id)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no group with the id {group_id}. It may have been deleted; reload the Groups list."
            ))
        })?;
        let audit = self.operator_audit(
            "group_update",
            &before.name,
            serde_json::json!({ "status": status.as_str() }),
        );
        t.store.set_group_status(group_id, status, Some(&audit))?;
        let (after, _) = t.store.group_by_id(group_id)?.ok_or_else(|| {
            ApiError::not_found(format!("There is no group with the id {group_id}."))
        })?;
        Ok(json::GroupRow::from(after))
    }

    /// Deletes one user in the trash for good now, without waiting for the retention ("purge now").
    pub fn purge_user(&self, username: &str) -> Result<()> {
        self.require(Permission::CreateDeleteUsers)?;
        Ok(self.tenant.store.purge_user(username)?)
    }

    /// What the acting operator may do on the lists, and why not.
    pub fn list_actions(&self) -> json::ListActions {
        let allowance = |p: Permission| match self.require(p) {
            Ok(()) => json::Allowance {
                allowed: true,
                reason: None,
            },
            Err(e) => json::Allowance {
                allowed: false,
                reason: Some(e.message),
            },
        };
        json::ListActions {
            restore: allowance(Permission::CreateDeleteUsers),
            purge: allowance(Permission::CreateDeleteUsers),
            set_group_status: allowance(Permission::UpdateUsers),
        }
    }
}
