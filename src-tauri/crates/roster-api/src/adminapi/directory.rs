//! Groups and administrators through the Admin API: lists, one of each, a group's members.

use super::shapes::{self, DuoAdmin, DuoGroup, DuoMember};
use super::{AdminApiDoor, Grant, Listed};
use crate::error::{ApiError, Result};

impl AdminApiDoor<'_> {
    /// A page of groups (only `ids`, when given).
    pub fn groups(
        &self,
        ids: Option<&[String]>,
        offset: u64,
        limit: u64,
    ) -> Result<Listed<DuoGroup>> {
        self.require(Grant::ReadResource)?;
        let (rows, total) = self.store().duo_groups(ids, offset, limit)?;
        Ok(Listed {
            items: rows.iter().map(shapes::group_record).collect(),
            total,
        })
    }

    /// One group.
    pub fn group(&self, id: &str) -> Result<DuoGroup> {
        self.require(Grant::ReadResource)?;
        let g = self
            .store()
            .duo_group(id)?
            .ok_or_else(|| ApiError::not_found(format!("There is no group with the id {id}.")))?;
        Ok(shapes::group_record(&g))
    }

    /// Sets a group's status (Duo's "Modify Group" with `status`: active, bypass or disabled, in any
    /// case), recorded in the administrator log as the application's change; answers the group as it is
    /// now.
    pub fn set_group_status(&self, id: &str, status: &str) -> Result<DuoGroup> {
        self.require(Grant::WriteResource)?;
        let found = |id: &str| -> Result<_> {
            self.store()
                .duo_group(id)?
                .ok_or_else(|| ApiError::not_found(format!("There is no group with the id {id}.")))
        };
        let before = found(id)?;
        let status = roster_core::GroupStatus::parse(status).ok_or_else(|| {
            ApiError::validation(format!(
                "status: \"{status}\" is not a group status; use active, bypass or disabled"
            ))
        })?;
        let audit = self.audit(
            "group_update",
            &before.group.name,
            serde_json::json!({ "status": status.as_str() }),
        );
        self.store().set_group_status(id, status, Some(&audit))?;
        Ok(shapes::group_record(&found(id)?))
    }

    /// A page of a group's members.
    pub fn group_users(&self, id: &str, offset: u64, limit: u64) -> Result<Listed<DuoMember>> {
        self.group(id)?;
        let (rows, total) = self.store().duo_group_members(id, offset, limit)?;
        Ok(Listed {
            items: rows
                .into_iter()
                .map(|(user_id, username)| DuoMember { user_id, username })
                .collect(),
            total,
        })
    }

    /// A page of administrators.
    pub fn admins(&self, offset: u64, limit: u64) -> Result<Listed<DuoAdmin>> {
        self.require(Grant::Admins)?;
        let (rows, total) = self.store().duo_admins(offset, limit)?;
        Ok(Listed {
            items: rows.iter().map(shapes::admin).collect(),
            total,
        })
    }

    /// One administrator.
    pub fn admin(&self, id: &str) -> Result<DuoAdmin> {
        self.require(Grant::Admins)?;
        let a = self.store().duo_admin(id)?.ok_or_else(|| {
            ApiError::not_found(format!("There is no administrator with the id {id}."))
        })?;
        Ok(shapes::admin(&a))
    }

    /// Deletes an administrator. Administrators an admin sync manages, and Owners, cannot be deleted
    /// through the API.
    pub fn delete_admin(&self, id: &str) -> Result<()> {
        self.require(Grant::Admins)?;
        let a = self.store().duo_admin(id)?.ok_or_else(|| {
            ApiError::not_found(format!("There is no administrator with the id {id}."))
        })?;
        if let Some(k) = &a.admin.managed_by {
            let sync = self.store().directory(k.as_str())?.name;
            return Err(ApiError::validation(format!(
                "{} is managed by the admin directory sync \"{sync}\" and cannot be deleted through the Admin API. Remove them from the directory's mapped groups; the next sync disables them.",
                a.admin.email
            )));
        }
        if a.admin.role == roster_core::AdminRole::Owner {
            return Err(ApiError::validation(format!(
                "{} is an Owner; Owners cannot be deleted through the Admin API.",
                a.admin.email
            )));
        }
        let audit = self.audit(
            "admin_delete",
            &a.admin.email,
            serde_json::json!({"admin_id": id}),
        );
        Ok(self.store().delete_admin_audited(id, &audit)?)
    }
}
