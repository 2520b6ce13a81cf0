//! What a run reports: counts and one record per object changed, saying what changed and why.

use serde::{Deserialize, Serialize};

/// The kind of object a change is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// A group (applied first, so users can refer to it).
    Group,
    /// A user.
    User,
    /// An administrator.
    Admin,
}

impl ObjectKind {
    /// `group`, `user` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Group => "group",
            ObjectKind::User => "user",
            ObjectKind::Admin => "admin",
        }
    }
}

/// One field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldChange {
    /// Field name (`email`, `status`, `groups`, `custom.department`…).
    pub field: String,
    /// Value before, if any.
    pub before: Option<String>,
    /// Value after, if any.
    pub after: Option<String>,
}

/// One object changed by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Change {
    /// Object kind.
    pub object: ObjectKind,
    /// Human key: username, group name, or admin email.
    pub key: String,
    /// What happened (`create`, `update`, `take_over`, `disable`, `enable`, `trash`, `restore`, `purge`, `delete`).
    pub action: crate::plan::Action,
    /// Field changes (empty for creations, whose fields are the object itself).
    pub fields: Vec<FieldChange>,
    /// Why, in plain English.
    pub reason: String,
}

/// A source entry that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct EntryError {
    /// Where to find the entry: its DN (LDAP) or sign-in name (cloud directories); else its username; a
    /// stable id (entryUUID, objectGUID) only when the directory gave nothing better. Groups: their id.
    pub key: String,
    /// The entry's display name, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl EntryError {
    /// An error about the object named `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        EntryError {
            key: key.into(),
            name: None,
            message: message.into(),
        }
    }

    /// An error about a source entry, named so an admin can find it: by its locator (DN, sign-in name),
    /// else by `username`, else by its stable id; with its display name from the mapping's `realname`
    /// attribute (or first and last name).
    pub fn for_entry(
        user: &crate::source::SourceUser,
        map: &crate::model::AttributeMap,
        username: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let key = user
            .locator
            .clone()
            .filter(|l| !l.trim().is_empty())
            .or_else(|| username.map(str::to_string))
            .unwrap_or_else(|| user.external_id.to_string());
        let name = map
            .realname
            .as_deref()
            .and_then(|a| user.first(a))
            .map(|n| n.trim().to_string())
            .or_else(|| {
                let part =
                    |a: &Option<String>| a.as_deref().and_then(|a| user.first(a)).map(str::trim);
                match (part(&map.firstname), part(&map.lastname)) {
                    (Some(f), Some(l)) => Some(format!("{f} {l}")),
                    (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
                    (None, None) => None,
                }
            })
            .filter(|n| !n.is_empty() && Some(n.as_str()) != username);
        EntryError {
            key,
            name,
            message: message.into(),
        }
    }
}

/// Counts for one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Counts {
    /// Users (or admins) the source returned.
    #[ts(type = "number")]
    pub seen: u64,
    /// Created.
    #[ts(type = "number")]
    pub created: u64,
    /// Updated (fields other than status).
    #[ts(type = "number")]
    pub updated: u64,
    /// Disabled because the source disabled them.
    #[ts(type = "number")]
    pub disabled: u64,
    /// Re-enabled because the source re-enabled them.
    #[ts(type = "number")]
    pub enabled: u64,
    /// Moved to the trash (users) or disabled for leaving every mapped group (admins).
    #[ts(type = "number")]
    pub trashed: u64,
    /// Restored from the trash.
    #[ts(type = "number")]
    pub restored: u64,
    /// Deleted for good after the retention.
    #[ts(type = "number")]
    pub purged: u64,
    /// Existing objects with the same username/email taken over by this sync.
    #[ts(type = "number")]
    pub taken_over: u64,
    /// Groups created.
    #[ts(type = "number")]
    pub groups_created: u64,
    /// Groups updated.
    #[ts(type = "number")]
    pub groups_updated: u64,
    /// Groups deleted.
    #[ts(type = "number")]
    pub groups_deleted: u64,
    /// Source entries skipped with an error.
    #[ts(type = "number")]
    pub skipped: u64,
    /// Users, groups or admins that another sync also finds (see [`Conflict`]).
    #[ts(type = "number")]
    pub conflicts: u64,
    /// Users another sync manages whose membership of this sync's groups changed.
    #[ts(type = "number")]
    pub memberships: u64,
}

impl std::ops::AddAssign for Counts {
    /// Adds another run's counts (pushes a SCIM client makes within a minute are recorded as one run).
    fn add_assign(&mut self, o: Counts) {
        // Destructured, so that a new count cannot be forgotten here.
        let Counts {
            seen,
            created,
            updated,
            disabled,
            enabled,
            trashed,
            restored,
            purged,
            taken_over,
            groups_created,
            groups_updated,
            groups_deleted,
            skipped,
            conflicts,
            memberships,
        } = o;
        self.seen += seen;
        self.created += created;
        self.updated += updated;
        self.disabled += disabled;
        self.enabled += enabled;
        self.trashed += trashed;
        self.restored += restored;
        self.purged += purged;
        self.taken_over += taken_over;
        self.groups_created += groups_created;
        self.groups_updated += groups_updated;
        self.groups_deleted += groups_deleted;
        self.skipped += skipped;
        self.conflicts += conflicts;
        self.memberships += memberships;
    }
}

/// A user, group or administrator that two directory syncs both find. The one that comes first in the
/// tenant's order of precedence manages it; the other leaves it alone (it still adds the user to its own
/// groups), and both report the overlap, instead of taking it from each other on every run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Conflict {
    /// Object kind.
    pub object: ObjectKind,
    /// Username, group name or admin email.
    pub key: String,
    /// The other sync's key.
    pub other: String,
    /// The other sync's name.
    pub other_name: String,
    /// Whether the sync reporting it keeps the object (it takes precedence over the other).
    pub kept: bool,
    /// What happened and what to do, in plain English.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use crate::plan::Action;

    /// Reports stored before actions were typed, the Admin API and the CLI's JSON all carry the action's
    /// snake_case name: serde must write and read exactly what `as_str` says.
    #[test]
    fn an_action_is_its_name_on_the_wire() {
        for a in Action::ALL {
            let wire = serde_json::to_string(&a).unwrap();
            assert_eq!(wire, format!("\"{}\"", a.as_str()));
            assert_eq!(serde_json::from_str::<Action>(&wire).unwrap(), a);
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("takeover"), None);
    }
}
