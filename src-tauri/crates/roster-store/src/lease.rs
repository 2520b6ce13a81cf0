//! Which runs are really in progress, across processes (the desktop app, `rosterctl`, `rosterctl serve`).
//!
//! A run holds an exclusive OS lock on `<tenant file>.runs/<directory key>.lock` from the moment it is
//! recorded until it is finished; the OS releases the lock when the process ends, however it ends. So a
//! run recorded as `running` whose lock anyone can take was left by a process that is gone (it changed
//! nothing: its apply transaction never committed), and a second run of the same sync in another process
//! is refused instead of racing the first.

use crate::{Result, StoreError};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held while a run of one directory sync is in progress; dropping it ends the run's claim.
#[derive(Debug)]
pub struct RunLease {
    // The lock lives as long as the open file.
    _file: File,
}

/// The folder of a tenant's run locks.
pub(crate) fn lease_dir(tenant: &Path) -> PathBuf {
    PathBuf::from(format!("{}.runs", tenant.display()))
}

fn lock_file(tenant: &Path, key: &str) -> Result<File> {
    let dir = lease_dir(tenant);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    let unusable = |e: std::io::Error| {
        StoreError::NotFound(format!(
            "Roster cannot use its run lock folder {}: {e}. Check that the tenant's folder is writable.",
            dir.display()
        ))
    };
    builder.create(&dir).map_err(unusable)?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(dir.join(format!("{key}.lock")))
        .map_err(unusable)
}

/// Takes the lease of directory sync `key`, or says that a run of it is in progress elsewhere.
pub(crate) fn acquire(tenant: &Path, key: &str) -> Result<RunLease> {
    let file = lock_file(tenant, key)?;
    match file.try_lock() {
        Ok(()) => Ok(RunLease { _file: file }),
        Err(TryLockError::WouldBlock) => Err(StoreError::Conflict(
            "This directory sync is already running (in this window, another Roster window, or rosterctl). Wait for that run to finish, then try again.".into(),
        )),
        Err(TryLockError::Error(e)) => Err(StoreError::NotFound(format!(
            "Roster cannot lock the run of this directory sync: {e}. Check that the tenant's folder is writable."
        ))),
    }
}

/// Whether a run of directory sync `key` is in progress in some process. Does not create anything when
/// no run ever took the lease.
pub(crate) fn in_progress(tenant: &Path, key: &str) -> bool {
    let path = lease_dir(tenant).join(format!("{key}.lock"));
    let Ok(file) = OpenOptions::new().read(true).write(true).open(path) else {
        return false;
    };
    match file.try_lock() {
        // Nobody holds it; ours is released when `file` closes.
        Ok(()) => false,
        Err(TryLockError::WouldBlock) => true,
        // Cannot tell: do not call a run that may be alive interrupted.
        Err(TryLockError::Error(_)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_exclusive_and_released_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = dir.path().join("t.sqlite3");
        assert!(
            !in_progress(&tenant, "DSX"),
            "no lease ever taken: nothing in progress"
        );
        let lease = acquire(&tenant, "DSX").unwrap();
        assert!(in_progress(&tenant, "DSX"), "a held lease is seen");
        assert!(
            matches!(acquire(&tenant, "DSX"), Err(StoreError::Conflict(_))),
            "a second run of the same sync is refused"
        );
        assert!(
            acquire(&tenant, "DSY").is_ok(),
            "another sync's run is not affected"
        );
        drop(lease);
        assert!(
            !in_progress(&tenant, "DSX"),
            "a dropped lease (or an ended process) frees the sync"
        );
    }
}
