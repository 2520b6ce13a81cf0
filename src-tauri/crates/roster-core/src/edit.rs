//! Manual edits of users, as an admin makes them in the app or with `rosterctl users update`.
//!
//! Rule: the fields a directory sync manages are read-only by hand. They change in the source directory
//! and the next sync brings them here. Status follows Duo: `locked out` and `pending deletion` are never set
//! by an edit (the system and the trash set them), and a synced user's `disabled` follows the directory.

use crate::model::{AttributeMap, User, UserStatus};

/// What an admin asks to change. `Some("")` clears a text field.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserEdit {
    /// Display name.
    pub realname: Option<String>,
    /// First name.
    pub firstname: Option<String>,
    /// Last name.
    pub lastname: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Phones (replaces the list).
    pub phones: Option<Vec<String>>,
    /// Status: `active`, `bypass` or `disabled`.
    pub status: Option<String>,
}

fn text(v: &str) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The user after `edit`, or why the edit is refused (plain English, says what to do instead).
/// `managing` is the managing sync's name and attribute mapping, for a synced user.
pub fn apply_edit(
    user: &User,
    managing: Option<(&str, &AttributeMap)>,
    edit: &UserEdit,
) -> Result<User, String> {
    let mut out = user.clone();
    let managed = |field: &str, mapped: bool| -> Result<(), String> {
        match managing {
            Some((sync, _)) if mapped => Err(format!(
                "The {field} of {} is managed by the directory sync \"{sync}\". Change it in the source directory; the next sync brings it here.",
                user.fields.username
            )),
            _ => Ok(()),
        }
    };
    let map = managing.map(|(_, m)| m);
    if let Some(v) = &edit.realname {
        managed("display name", map.is_some_and(|m| m.realname.is_some()))?;
        out.fields.realname = text(v);
    }
    if let Some(v) = &edit.firstname {
        managed("first name", map.is_some_and(|m| m.firstname.is_some()))?;
        out.fields.firstname = text(v);
    }
    if let Some(v) = &edit.lastname {
        managed("last name", map.is_some_and(|m| m.lastname.is_some()))?;
        out.fields.lastname = text(v);
    }
    if let Some(v) = &edit.email {
        managed("email", map.is_some_and(|m| m.email.is_some()))?;
        let e = text(v);
        if e.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err(format!("\"{v}\" is not an email address."));
        }
        out.fields.email = e;
    }
    if let Some(v) = &edit.notes {
        managed("notes", map.is_some_and(|m| m.notes.is_some()))?;
        out.fields.notes = text(v);
    }
    if let Some(v) = &edit.phones {
        managed("phones", map.is_some_and(|m| !m.phones.is_empty()))?;
        out.fields.phones = v.iter().filter_map(|p| text(p)).collect();
    }
    if let Some(s) = &edit.status {
        let new = match UserStatus::parse(s) {
            Some(st @ (UserStatus::Active | UserStatus::Bypass | UserStatus::Disabled)) => st,
            Some(UserStatus::LockedOut) => {
                return Err("Only the system locks users out (after too many failed attempts). Choose active, bypass or disabled.".into())
            }
            Some(UserStatus::PendingDeletion) => return Err("To delete a user, move them to the trash.".into()),
            None => return Err(format!("\"{s}\" is not a user status. Choose active, bypass or disabled.")),
        };
        if user.status == UserStatus::PendingDeletion {
            return Err(format!(
                "{} is in the trash. Restore them first.",
                user.fields.username
            ));
        }
        if let Some((sync, _)) = managing {
            if new == UserStatus::Disabled || user.status == UserStatus::Disabled {
                return Err(format!(
                    "Whether {} is disabled follows the directory sync \"{sync}\". Disable or enable the account in the source directory.",
                    user.fields.username
                ));
            }
        }
        out.status = new;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DirectoryKey, UserId};
    use crate::model::UserFields;

    fn synced() -> User {
        User {
            id: UserId("DU1".into()),
            fields: UserFields {
                username: "alice".into(),
                email: Some("a@x.org".into()),
                ..Default::default()
            },
            status: UserStatus::Active,
            managed_by: Some(DirectoryKey("DS1".into())),
            external_id: Some("e1".into()),
            last_directory_sync: None,
            trashed_at: None,
            groups: Vec::new(),
        }
    }

    #[test]
    fn sync_managed_fields_are_read_only() {
        let map = AttributeMap::ldap_default();
        let err = apply_edit(
            &synced(),
            Some(("Staff", &map)),
            &UserEdit {
                email: Some("b@x.org".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.contains("managed by the directory sync \"Staff\""),
            "a mapped field cannot be edited by hand: {err}"
        );
        let ok = apply_edit(
            &synced(),
            Some(("Staff", &map)),
            &UserEdit {
                notes: Some("VIP".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ok.fields.notes.as_deref(),
            Some("VIP"),
            "an unmapped field can be edited"
        );
        let mut unmanaged = synced();
        unmanaged.managed_by = None;
        let ok = apply_edit(
            &unmanaged,
            None,
            &UserEdit {
                email: Some("b@x.org".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ok.fields.email.as_deref(),
            Some("b@x.org"),
            "a manual user is fully editable"
        );
    }

    #[test]
    fn status_edits_follow_duo() {
        let map = AttributeMap::ldap_default();
        let bypass = apply_edit(
            &synced(),
            Some(("Staff", &map)),
            &UserEdit {
                status: Some("bypass".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            bypass.status,
            UserStatus::Bypass,
            "bypass may be set on a synced user"
        );
        let err = apply_edit(
            &synced(),
            Some(("Staff", &map)),
            &UserEdit {
                status: Some("disabled".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.contains("source directory"),
            "a synced user's disabled state follows the directory: {err}"
        );
        let err = apply_edit(
            &synced(),
            None,
            &UserEdit {
                status: Some("locked out".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.contains("Only the system"), "{err}");
    }
}
