//! Users through the Admin API: lists with Duo's filters, one user, adding, changing (never a field a
//! sync manages: the refusal names the sync), deleting for good (skipping the trash, as Duo's API does),
//! and a user's groups.

use super::shapes::{self, DuoGroup, DuoUser};
use super::{AdminApiDoor, Grant, Listed};
use crate::error::{ApiError, Result};
use rand::RngCore;
use roster_core::edit::{apply_edit, UserEdit};
use roster_core::{DirectoryKey, User, UserFields, UserId, UserStatus, MAX_ALIASES};
use roster_store::{UserFilter, UserRecord};

/// What a request sets on a user. `Some("")` clears a text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserWrite {
    /// Username (required to add).
    pub username: Option<String>,
    /// Full name.
    pub realname: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// `active`, `bypass` or `disabled`.
    pub status: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Aliases set by slot (1 to 8); an empty value clears the slot.
    pub alias_slots: Vec<(usize, String)>,
    /// Custom attributes to set (an empty value removes one).
    pub custom: Vec<(String, String)>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("There is no user with the id {id}."))
}

fn managed(field: &str, username: &str, sync: &str) -> ApiError {
    ApiError::validation(format!(
        "The {field} of {username} is managed by the directory sync \"{sync}\". Change it in the source directory; the next sync brings it here."
    ))
}

impl AdminApiDoor<'_> {
    /// A page of users matching `filter`.
    pub fn users(&self, filter: &UserFilter, offset: u64, limit: u64) -> Result<Listed<DuoUser>> {
        self.require(Grant::ReadResource)?;
        let (rows, total) = self.store().duo_users(filter, offset, limit)?;
        Ok(Listed {
            items: rows.iter().map(shapes::user).collect(),
            total,
        })
    }

    fn user_record(&self, id: &str) -> Result<UserRecord> {
        self.store().duo_user(id)?.ok_or_else(|| not_found(id))
    }

    /// One user.
    pub fn user(&self, id: &str) -> Result<DuoUser> {
        self.require(Grant::ReadResource)?;
        Ok(shapes::user(&self.user_record(id)?))
    }

    /// A page of a user's groups.
    pub fn user_groups(&self, id: &str, offset: u64, limit: u64) -> Result<Listed<DuoGroup>> {
        self.require(Grant::ReadResource)?;
        let r = self.user_record(id)?;
        let total = r.groups.len() as u64;
        Ok(Listed {
            items: r
                .groups
                .iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(shapes::group)
                .collect(),
            total,
        })
    }

    /// Adds a user, managed by no sync.
    pub fn create_user(&self, w: &UserWrite) -> Result<DuoUser> {
        self.require(Grant::WriteResource)?;
        let username = match w.username.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => crate::names::check_name("user", u)?,
            _ => {
                return Err(ApiError::validation(
                    "Give the new user's username (the username parameter).",
                ))
            }
        };
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let base = User {
            id: UserId::derive(&DirectoryKey::from_random(b), &username),
            fields: UserFields {
                username: username.clone(),
                ..Default::default()
            },
            status: UserStatus::Active,
            managed_by: None,
            external_id: None,
            last_directory_sync: None,
            trashed_at: None,
            groups: Vec::new(),
        };
        let user = self.edited(&base, w, None)?;
        let audit = self.audit("user_create", &username, describe(w));
        self.store()
            .create_user_audited(&user, self.roster.now(), &audit)?;
        Ok(shapes::user(&self.user_record(user.id.as_str())?))
    }

    /// Changes a user. Fields a sync manages are refused, naming the sync.
    pub fn update_user(&self, id: &str, w: &UserWrite) -> Result<DuoUser> {
        self.require(Grant::WriteResource)?;
        let before = self.user_record(id)?.user;
        let managing = match &before.managed_by {
            Some(k) => Some(self.store().directory(k.as_str())?),
            None => None,
        };
        let after = self.edited(
            &before,
            w,
            managing.as_ref().map(|d| (d.name.as_str(), &d.attributes)),
        )?;
        if after != before {
            let audit = self.audit("user_update", &before.fields.username, describe(w));
            self.store().save_user_audited(&after, &audit)?;
        }
        Ok(shapes::user(&self.user_record(id)?))
    }

    /// The user after `w`, or why `w` is refused.
    fn edited(
        &self,
        user: &User,
        w: &UserWrite,
        managing: Option<(&str, &roster_core::AttributeMap)>,
    ) -> Result<User> {
        let edit = UserEdit {
            realname: w.realname.clone(),
            firstname: w.firstname.clone(),
            lastname: w.lastname.clone(),
            email: w.email.clone(),
            notes: w.notes.clone(),
            phones: None,
            status: w.status.clone(),
        };
        let mut out = apply_edit(user, managing, &edit).map_err(ApiError::validation)?;
        let name = &user.fields.username;
        if let Some(u) = &w.username {
            if user.fields.username != *u && !u.trim().is_empty() {
                if let Some((sync, _)) = managing {
                    return Err(managed("username", name, sync));
                }
                out.fields.username = crate::names::check_name("user", u)?;
            }
        }
        if !w.alias_slots.is_empty() {
            if let Some((sync, map)) = managing {
                if !map.aliases.is_empty() {
                    return Err(managed("aliases", name, sync));
                }
            }
            let mut slots: Vec<Option<String>> = vec![None; MAX_ALIASES];
            for (i, a) in out.fields.aliases.iter().enumerate().take(MAX_ALIASES) {
                slots[i] = Some(a.clone());
            }
            for (slot, value) in &w.alias_slots {
                if !(1..=MAX_ALIASES).contains(slot) {
                    return Err(ApiError::validation(format!(
                        "alias{slot} is not an alias: use alias1 to alias{MAX_ALIASES}."
                    )));
                }
                let v = value.trim();
                if v.chars().any(char::is_control) || v.chars().count() > 100 {
                    return Err(ApiError::validation(format!(
                        "alias{slot} must be at most 100 characters without control characters."
                    )));
                }
                slots[slot - 1] = (!v.is_empty()).then(|| v.to_string());
            }
            out.fields.aliases = slots.into_iter().flatten().collect();
        }
        for (k, v) in &w.custom {
            if let Some((sync, map)) = managing {
                if map.custom.keys().any(|m| m.eq_ignore_ascii_case(k)) {
                    return Err(managed(&format!("custom attribute \"{k}\""), name, sync));
                }
            }
            let ok = !k.is_empty()
                && k.len() <= 256
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_'));
            if !ok {
                return Err(ApiError::validation(format!("\"{k}\" is not a custom attribute name: use up to 256 letters, digits, spaces, '-', '_' or '.'.")));
            }
            if v.is_empty() {
                out.fields.custom.remove(k);
            } else {
                out.fields.custom.insert(k.clone(), v.clone());
            }
        }
        Ok(out)
    }

    /// Deletes a user for good, skipping the trash (as Duo's API does).
    pub fn delete_user(&self, id: &str) -> Result<()> {
        self.require(Grant::WriteResource)?;
        let Some(r) = self.store().duo_user(id)? else {
            // Duo answers a delete of an unknown user with success: the user is gone either way.
            return Ok(());
        };
        let audit = self.audit(
            "user_delete",
            &r.user.fields.username,
            serde_json::json!({"user_id": id}),
        );
        Ok(self.store().delete_user_audited(id, &audit)?)
    }

    /// Adds (`add`) or removes a user's membership of a group. Groups a sync manages keep the members
    /// their sync gives them.
    pub fn set_user_group(&self, id: &str, group_id: &str, add: bool) -> Result<()> {
        self.require(Grant::WriteResource)?;
        let r = self.user_record(id)?;
        let Some(g) = self.store().duo_group(group_id)? else {
            return Err(ApiError::not_found(format!(
                "There is no group with the id {group_id}."
            )));
        };
        if let Some(k) = &g.group.managed_by {
            let sync = self.store().directory(k.as_str())?.name;
            return Err(ApiError::validation(format!(
                "The members of the group \"{}\" are managed by the directory sync \"{sync}\". Change them in the source directory; the next sync brings them here.",
                g.group.name
            )));
        }
        let (action, verb) = if add {
            ("group_add_user", "added to")
        } else {
            ("group_remove_user", "removed from")
        };
        let audit = self.audit(
            action,
            &g.group.name,
            serde_json::json!({"user": r.user.fields.username, "change": verb}),
        );
        self.store()
            .set_membership_audited(id, group_id, add, &audit)?;
        Ok(())
    }
}

/// What a write changed, for the audit trail (never secrets: users have none).
fn describe(w: &UserWrite) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("username", &w.username),
        ("realname", &w.realname),
        ("firstname", &w.firstname),
        ("lastname", &w.lastname),
        ("email", &w.email),
        ("status", &w.status),
        ("notes", &w.notes),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), v.clone().into());
        }
    }
    for (slot, v) in &w.alias_slots {
        m.insert(format!("alias{slot}"), v.clone().into());
    }
    for (k, v) in &w.custom {
        m.insert(format!("custom_attributes.{k}"), v.clone().into());
    }
    serde_json::Value::Object(m)
}
