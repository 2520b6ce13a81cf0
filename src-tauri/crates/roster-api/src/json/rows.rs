//! The rows of the window's lists (users, groups, administrators), a page at a time.

use super::{decode, time};
use crate::error::Result;
use roster_core::{AdminRole, AdminStatus, UserStatus};
use serde::Serialize;
use ts_rs::TS;

/// A page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Page<T> {
    /// Rows matching the query, in all pages: counted for pages asked for by position (the window's
    /// lists), not for pages that follow a key.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// This page.
    pub rows: Vec<T>,
    /// Where the next page starts (a key to read on from), or `None` after the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// The store's page, each row converted.
    pub(crate) fn from_store<S>(
        p: roster_store::Page<S>,
        row: impl Fn(S) -> Result<T>,
    ) -> Result<Self> {
        Ok(Page {
            total: p.total,
            next: p.next,
            rows: p.rows.into_iter().map(row).collect::<Result<_>>()?,
        })
    }
}

/// A user in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UserRow {
    /// Id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub realname: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Status.
    pub status: UserStatus,
    /// Groups.
    pub groups: Vec<String>,
    /// Managing sync's name.
    pub managed_by: Option<String>,
    /// Last written by a sync.
    pub last_directory_sync: Option<String>,
    /// For users in the trash: when they are deleted for good.
    pub purge_at: Option<String>,
}

impl UserRow {
    pub(crate) fn from_store(r: roster_store::UserRow, retention_days: u32) -> Result<Self> {
        Ok(UserRow {
            status: decode("user status", &r.status)?,
            user_id: r.user_id,
            username: r.username,
            realname: r.realname,
            email: r.email,
            groups: r.groups,
            managed_by: r.managed_by,
            last_directory_sync: time(r.last_directory_sync),
            purge_at: time(r.trashed_at.map(|t| t.plus_days(retention_days))),
        })
    }
}

/// A group in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GroupRow {
    /// Id.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Members.
    #[ts(type = "number")]
    pub member_count: u64,
    /// Managing sync's name.
    pub managed_by: Option<String>,
    /// Duo's group status (applies to the members; operators set it, syncs never change it).
    pub status: roster_core::GroupStatus,
}

impl From<roster_store::GroupRow> for GroupRow {
    fn from(r: roster_store::GroupRow) -> Self {
        GroupRow {
            group_id: r.group_id,
            name: r.name,
            description: r.description,
            member_count: r.member_count,
            managed_by: r.managed_by,
            status: r.status,
        }
    }
}

/// An administrator in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AdminRow {
    /// Id.
    pub admin_id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role.
    pub role: AdminRole,
    /// Status.
    pub status: AdminStatus,
    /// Managing sync's name.
    pub managed_by: Option<String>,
}

impl AdminRow {
    pub(crate) fn from_store(r: roster_store::AdminRow) -> Result<Self> {
        Ok(AdminRow {
            role: decode("administrator role", &r.role)?,
            status: decode("administrator status", &r.status)?,
            admin_id: r.admin_id,
            name: r.name,
            email: r.email,
            managed_by: r.managed_by,
        })
    }
}
