//! Users by hand: adding, editing (never a field a sync manages), the trash, and the retention.

use crate::error::{ApiError, Result};
use crate::json;
use crate::session::Session;
use rand::RngCore;
use roster_core::access::Permission;
use roster_core::DirectoryKey;
use roster_store::PageAt;

/// A user added by hand.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Username (unique, case-insensitive).
    pub username: String,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Display name.
    #[serde(default)]
    pub realname: Option<String>,
}

impl Session<'_> {
    fn user_row(&self, username: &str) -> Result<json::UserRow> {
        let t = self.tenant.clone();
        let days = t.store.tenant()?.pending_deletion_days;
        for trash in [false, true] {
            let page = t
                .store
                .users_page(username, trash, PageAt::After(""), 1000)?;
            if let Some(r) = page
                .rows
                .into_iter()
                .find(|r| r.username.eq_ignore_ascii_case(username))
            {
                return json::UserRow::from_store(r, days);
            }
        }
        Err(ApiError::not_found(format!(
            "There is no user \"{username}\" in this tenant."
        )))
    }

    /// Adds a user by hand.
    pub fn add_user(&self, new: NewUser) -> Result<json::UserRow> {
        self.require(Permission::CreateDeleteUsers)?;
        let t = self.tenant.clone();
        let username = crate::names::check_name("user", &new.username)?;
        if let Some(r) = &new.realname {
            crate::names::check_name("display", r)?;
        }
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let base = roster_core::User {
            id: roster_core::UserId::derive(&DirectoryKey::from_random(b), &username),
            fields: roster_core::UserFields {
                username: username.clone(),
                ..Default::default()
            },
            status: roster_core::UserStatus::Active,
            managed_by: None,
            external_id: None,
            last_directory_sync: None,
            trashed_at: None,
            groups: Vec::new(),
        };
        let edit = roster_core::edit::UserEdit {
            email: new.email,
            realname: new.realname,
            ..Default::default()
        };
        let audit = self.operator_audit(
            "user_create",
            &username,
            serde_json::json!({"email": edit.email, "realname": edit.realname}),
        );
        let user =
            roster_core::edit::apply_edit(&base, None, &edit).map_err(ApiError::validation)?;
        t.store.insert_user(&user, self.now(), Some(&audit))?;
        self.user_row(&username)
    }

    /// Edits a user by hand. Fields a directory sync manages are refused with a message saying where to
    /// change them.
    pub fn update_user(
        &self,
        username: &str,
        edit: roster_core::edit::UserEdit,
    ) -> Result<json::UserRow> {
        self.require(Permission::UpdateUsers)?;
        let t = self.tenant.clone();
        let user = t.store.user_by_username(username)?.ok_or_else(|| {
            ApiError::not_found(format!("There is no user \"{username}\" in this tenant."))
        })?;
        let managing = match &user.managed_by {
            Some(k) => Some(t.store.directory(k.as_str())?),
            None => None,
        };
        // What the operator asked to change: the fields given, not the ones left alone.
        let mut described = serde_json::to_value(&edit).unwrap_or_default();
        if let Some(m) = described.as_object_mut() {
            m.retain(|_, v| !v.is_null());
        }
        let after = roster_core::edit::apply_edit(
            &user,
            managing.as_ref().map(|d| (d.name.as_str(), &d.attributes)),
            &edit,
        )
        .map_err(ApiError::validation)?;
        let audit = self.operator_audit("user_update", &user.fields.username, described);
        t.store.save_user_edit(&after, Some(&audit))?;
        self.user_row(&after.fields.username)
    }

    /// Moves a user to the trash by hand. A synced user who is still in a synced group comes back at the
    /// next sync.
    pub fn trash_user(&self, username: &str) -> Result<()> {
        self.require(Permission::CreateDeleteUsers)?;
        let audit = self.operator_audit("user_trash", username, serde_json::json!({}));
        Ok(self
            .tenant
            .store
            .trash_user(username, self.now(), Some(&audit))?)
    }

    /// Restores a user from the trash.
    pub fn restore_user(&self, username: &str) -> Result<()> {
        self.require(Permission::CreateDeleteUsers)?;
        let audit = self.operator_audit("user_restore", username, serde_json::json!({}));
        Ok(self.tenant.store.restore_user(username, Some(&audit))?)
    }

    /// Deletes for good the users whose time in the trash has run out. Returns how many.
    pub fn purge_trash(&self) -> Result<usize> {
        self.require(Permission::PurgeExpiredTrash)?;
        let audit = self.operator_audit("trash_purge", "trash", serde_json::json!({}));
        Ok(self
            .tenant
            .store
            .purge_expired_trash(self.now(), Some(&audit))?)
    }

    /// Sets the trash retention (1 to 365 days).
    pub fn set_retention_days(&self, days: u32) -> Result<()> {
        self.require(Permission::TenantSettings)?;
        if !(1..=365).contains(&days) {
            return Err(ApiError::validation(
                "The trash retention must be between 1 and 365 days.",
            ));
        }
        let audit = self.operator_audit(
            "customer_update",
            "pending_deletion_days",
            serde_json::json!({"pending_deletion_days": days}),
        );
        Ok(self
            .tenant
            .store
            .set_pending_deletion_days(days, Some(&audit))?)
    }
}
