//! The window's lists: users, the trash, groups and administrators, a page at a time.

use crate::error::Result;
use crate::json;
use crate::session::Session;
use roster_core::access::Permission;
use roster_store::PageAt;

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
        let p = t.store.users_page(query, trash, at, limit.clamp(1, 1000))?;
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
            .groups_page(query, at, limit.clamp(1, 1000))?;
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
            .admins_page(query, at, limit.clamp(1, 1000))?;
        json::Page::from_store(p, json::AdminRow::from_store)
    }
}
