use std::path::Path;

/// What went wrong in the store. Messages are plain English and say what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a SQLite database at all.
    #[error("{0}")]
    NotADatabase(String),
    /// A SQLite database that is not a Roster tenant.
    #[error("{0}")]
    Foreign(String),
    /// The tenant file is empty (0 bytes).
    #[error("{0}")]
    Empty(String),
    /// Something was written to the tenant's users, groups or admins after the plan's snapshot was read;
    /// nothing was applied, and the plan must be made again.
    #[error("{0}")]
    Stale(String),
    /// Written by a newer Roster.
    #[error("{0}")]
    TooNew(String),
    /// SQLite reports corruption.
    #[error("{0}")]
    Corrupt(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the current state (another run got there first, a name is taken…).
    #[error("{0}")]
    Conflict(String),
    /// A stored value could not be read back.
    #[error("A stored value could not be read: {0}. The tenant database may have been edited by another program; restore it from a backup.")]
    Decode(String),
    /// Any other SQLite failure.
    #[error("The tenant database reported an error: {0}")]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt(
                "The tenant database is damaged (SQLite reports corruption). Nothing was changed. Restore the file from a backup, or delete the tenant and create it again.".into(),
            ),
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase(
                "The tenant file is not a SQLite database. Nothing was changed. Restore it from a backup, or delete the tenant and create it again.".into(),
            ),
            Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => StoreError::Sqlite(e),
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Decode(e.to_string())
    }
}

impl StoreError {
    /// Adds the file's path to messages about the file itself.
    pub(crate) fn with_path(self, path: &Path) -> Self {
        match self {
            StoreError::Corrupt(m) => StoreError::Corrupt(format!("{} ({})", m, path.display())),
            StoreError::NotADatabase(m) => {
                StoreError::NotADatabase(format!("{} ({})", m, path.display()))
            }
            other => other,
        }
    }
    pub(crate) fn at(path: &Path, e: rusqlite::Error) -> Self {
        StoreError::from(e).with_path(path)
    }
}
