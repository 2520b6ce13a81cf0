//! What a run reports: counts and one record per object changed, saying what changed and why.

use serde::{Deserialize, Serialize};

/// The kind of object a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name (`email`, `status`, `groups`, `custom.department`…).
    pub field: String,
    /// Value before, if any.
    pub before: Option<String>,
    /// Value after, if any.
    pub after: Option<String>,
}

/// One object changed by a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Object kind.
    pub object: ObjectKind,
    /// Human key: username, group name, or admin email.
    pub key: String,
    /// What happened (`create`, `update`, `take_over`, `disable`, `enable`, `trash`, `restore`, `purge`, `delete`).
    pub action: String,
    /// Field changes (empty for creations, whose fields are the object itself).
    pub fields: Vec<FieldChange>,
    /// Why, in plain English.
    pub reason: String,
}

/// A source entry that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryError {
    /// The entry's key (username, or external id when there is no username).
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Counts for one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Users (or admins) the source returned.
    pub seen: u64,
    /// Created.
    pub created: u64,
    /// Updated (fields other than status).
    pub updated: u64,
    /// Disabled because the source disabled them.
    pub disabled: u64,
    /// Re-enabled because the source re-enabled them.
    pub enabled: u64,
    /// Moved to the trash (users) or disabled for leaving every mapped group (admins).
    pub trashed: u64,
    /// Restored from the trash.
    pub restored: u64,
    /// Deleted for good after the retention.
    pub purged: u64,
    /// Existing objects with the same username/email taken over by this sync.
    pub taken_over: u64,
    /// Groups created.
    pub groups_created: u64,
    /// Groups updated.
    pub groups_updated: u64,
    /// Groups deleted.
    pub groups_deleted: u64,
    /// Source entries skipped with an error.
    pub skipped: u64,
}
