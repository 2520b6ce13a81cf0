//! Locks that hold across processes: the encrypted file's own lock (see `file.rs`) and the key locks of
//! [`SecretStore::lock_key`](crate::SecretStore::lock_key).
//!
//! Cross-process locks here are OS advisory locks on small empty files (`std::fs::File::lock`: `flock` on
//! Unix, `LockFileEx` on Windows). The OS releases such a lock when the file handle that holds it is
//! closed, also when its process crashes or is killed; so a lock file left behind is only an empty file
//! and never blocks anyone. Lock files are never deleted: a process waiting on a lock file that another
//! process has just unlinked would lock a file nobody else sees, and two processes could then both "hold"
//! the lock. Locks belong to the open file, not to the process, so two handles in one process exclude each
//! other like two processes do (which the tests rely on).
//!
//! Only Roster's own processes take these locks; they do not stop other programs from reading or
//! replacing the files.

use crate::SecretError;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

/// Exclusive use of one secret's key, held until dropped (see
/// [`SecretStore::lock_key`](crate::SecretStore::lock_key)). Not re-entrant: locking a key again while
/// holding it, in the same thread or process, waits forever.
#[must_use = "the key is unlocked as soon as this is dropped"]
pub struct KeyLock {
    held: Held,
}

enum Held {
    /// The locked file; closing it (also by a crash) releases the lock.
    File(File),
    /// The key, in [`LOCAL_HELD`] until this is dropped.
    Local(String),
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        match &self.held {
            Held::File(file) => {
                // Closing the file right after this releases the lock as well, so an error here
                // changes nothing.
                let _ = file.unlock();
            }
            Held::Local(key) => {
                let mut held = LOCAL_HELD.lock().unwrap_or_else(PoisonError::into_inner);
                held.remove(key);
                drop(held);
                LOCAL_FREED.notify_all();
            }
        }
    }
}

impl std::fmt::Debug for KeyLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.held {
            Held::File(_) => "file",
            Held::Local(_) => "process",
        };
        f.debug_struct("KeyLock").field("across", &how).finish()
    }
}

/// Keys locked by [`KeyLock::in_process`] in this process. Invariant: a key is in the set exactly while a
/// [`KeyLock`] holding it in-process exists. Changed only by single inserts and removes, so the set stays
/// consistent even if a thread panicked while holding the mutex, and a poisoned mutex is used again.
static LOCAL_HELD: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// Signalled whenever a key leaves [`LOCAL_HELD`].
static LOCAL_FREED: Condvar = Condvar::new();

impl KeyLock {
    /// Locks `key` within this process only, waiting while another thread holds it. For stores that have
    /// no place for lock files: another process using the same store is not held off.
    pub fn in_process(key: &str) -> Result<KeyLock, SecretError> {
        let mut held = LOCAL_HELD.lock().unwrap_or_else(PoisonError::into_inner);
        while held.contains(key) {
            held = LOCAL_FREED
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner);
        }
        held.insert(key.to_string());
        Ok(KeyLock {
            held: Held::Local(key.to_string()),
        })
    }

    /// Locks `key` for every process that locks it in the same folder `dir` (created if missing, owner-only
    /// on Unix), waiting while another holds it. The lock file is named by a hash of the key, so key names
    /// do not show in the folder.
    pub fn in_dir(dir: &Path, key: &str) -> Result<KeyLock, SecretError> {
        create_private_dir(dir)?;
        let path = key_lock_path(dir, key);
        let file = open_lock_file(&path)?;
        file.lock().map_err(|e| lock_failed(&path, &e))?;
        Ok(KeyLock {
            held: Held::File(file),
        })
    }
}

/// The lock file of `key` in `dir`: the first 128 bits of the key's SHA-256, in hex. A fixed, documented
/// hash, so that every Roster build (the app and an older or newer `rosterctl`) picks the same file.
pub(crate) fn key_lock_path(dir: &Path, key: &str) -> PathBuf {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.lock"))
}

/// Creates `dir` and its missing parents; folders created here are owner-only on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), SecretError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        SecretError::Other(format!(
            "the folder {} could not be created ({e}). Check that Roster may write there.",
            dir.display()
        ))
    })
}

/// Opens the lock file at `path`, creating it if needed, readable and writable by its owner only on
/// Unix. Its folder must exist.
pub(crate) fn open_lock_file(path: &Path) -> Result<File, SecretError> {
    let mut options = OpenOptions::new();
    // Nothing is ever written to a lock file; write access is asked for because Windows grants byte-range
    // locks only on handles opened for reading or writing, and creating the file needs it anyway.
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| lock_failed(path, &e))?;
    owner_only(&file).map_err(|e| lock_failed(path, &e))?;
    Ok(file)
}

/// Makes `file` readable and writable by its owner only (Unix). Files created here already are (mode
/// 0600, which the umask can only narrow); this also tightens files created before, by an older Roster or
/// by hand. On Windows the files inherit the access rules of the user's application-data folder.
#[cfg(unix)]
pub(crate) fn owner_only(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// See the Unix version: nothing to do on Windows.
#[cfg(not(unix))]
pub(crate) fn owner_only(_file: &File) -> std::io::Result<()> {
    Ok(())
}

fn lock_failed(path: &Path, e: &std::io::Error) -> SecretError {
    SecretError::Other(format!(
        "the lock file {} could not be used ({e}). Check that Roster may read and write files in its folder.",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `lock` on another thread and says whether it got the lock within `wait`; the thread keeps
    /// waiting otherwise and reports when it does get it.
    fn try_on_thread(
        lock: impl FnOnce() -> Result<KeyLock, SecretError> + Send + 'static,
    ) -> mpsc::Receiver<()> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let held = lock();
            assert!(held.is_ok(), "locking failed: {:?}", held.err());
            let _ = tx.send(());
            drop(held);
        });
        rx
    }

    #[test]
    fn in_process_locks_hold_off_the_same_key_only() {
        let key = format!("test/{}/in-process", std::process::id());
        let first = KeyLock::in_process(&key).unwrap();
        let k = key.clone();
        let waiting = try_on_thread(move || KeyLock::in_process(&k));
        assert!(
            waiting.recv_timeout(Duration::from_millis(300)).is_err(),
            "a second holder of the same key must wait"
        );
        let other = KeyLock::in_process(&format!("{key}/other"));
        assert!(other.is_ok(), "another key is not held off");
        drop(first);
        assert!(
            waiting.recv_timeout(Duration::from_secs(10)).is_ok(),
            "the waiter gets the key once it is released"
        );
    }

    #[test]
    fn lock_files_hold_off_other_handles_and_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let locks = dir.path().join("locks");
        let first = KeyLock::in_dir(&locks, "tenant/conn/oauth").unwrap();
        let d = locks.clone();
        // A second open of the same lock file, as another process would make.
        let waiting = try_on_thread(move || KeyLock::in_dir(&d, "tenant/conn/oauth"));
        assert!(
            waiting.recv_timeout(Duration::from_millis(300)).is_err(),
            "a second handle must wait for the first"
        );
        assert!(
            KeyLock::in_dir(&locks, "tenant/other/oauth").is_ok(),
            "another key has another lock file"
        );
        drop(first);
        assert!(waiting.recv_timeout(Duration::from_secs(10)).is_ok());
        let names: Vec<String> = std::fs::read_dir(&locks)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.contains("tenant") && !n.contains("oauth")),
            "lock files do not show key names: {names:?}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&locks), 0o700, "the lock folder is owner-only");
            assert_eq!(
                mode(&key_lock_path(&locks, "tenant/conn/oauth")),
                0o600,
                "lock files are owner-only"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_lock_file_is_made_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::write(&path, b"left by someone").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let f = open_lock_file(&path).unwrap();
        f.lock().unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
