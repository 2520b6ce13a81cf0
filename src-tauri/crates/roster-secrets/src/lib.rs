//! Roster's secrets: bind passwords, OAuth tokens, API secret keys.
//!
//! What it owns: the [`SecretStore`] trait and its three implementations: the OS keychain ([`Keychain`],
//! through the `keyring` crate: Windows Credential Manager, macOS Keychain, Secret Service on Linux), an
//! in-memory store for tests ([`MemorySecrets`]), and an explicit opt-in for machines without a keychain
//! ([`EncryptedFile`]: Argon2id + ChaCha20-Poly1305, passphrase from the environment).
//!
//! Secrets that are read, changed and written back by more than one process (a rotated OAuth refresh
//! token: the app and `rosterctl serve` both refresh it) are changed under [`SecretStore::lock_key`], which
//! holds other Roster processes off where the store can ([`EncryptedFile`], and [`Keychain`] given a
//! folder for its lock files; see [`KeyLock`]).
//!
//! What it must not do: fall back silently. If the keychain is missing, callers get
//! [`SecretError::KeychainUnavailable`], whose message explains the opt-in; secrets never go to SQLite,
//! logs, events or error messages, and [`Sensitive`] keeps them out of `Debug` output and serialisation.

mod file;
mod lock;

pub use file::EncryptedFile;
pub use lock::KeyLock;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The keychain service name all Roster secrets live under.
pub const SERVICE: &str = "app.roster.desktop";

/// Environment variable that selects the secret store: `keychain` (default) or `encrypted-file`.
pub const STORE_ENV: &str = "ROSTER_SECRET_STORE";
/// Environment variable holding the passphrase of the encrypted secrets file.
pub const PASSPHRASE_ENV: &str = "ROSTER_SECRETS_PASSPHRASE";

/// A secret value. `Debug` and `Display` print `<redacted>`; serialising it fails.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(pub T);

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> serde::Serialize for Sensitive<T> {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a secret cannot be serialised"))
    }
}

impl Sensitive<String> {
    /// The secret itself, for the one place that must send it (a bind, a token request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a secret could not be read or written. Messages never contain the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No keychain on this machine (e.g. a headless Linux server without a Secret Service).
    #[error("No OS keychain is available on this machine ({0}). Roster keeps passwords and tokens only in the keychain. Run Roster in a desktop session with a keyring, or opt in to an encrypted secrets file: set {STORE_ENV}=encrypted-file and {PASSPHRASE_ENV} to a passphrase you keep safe.")]
    KeychainUnavailable(String),
    /// The encrypted file cannot be opened with this passphrase, or was damaged.
    #[error("The encrypted secrets file {0} cannot be read with this passphrase, or it was damaged. Set {PASSPHRASE_ENV} to the passphrase it was created with, or restore the file.")]
    WrongPassphrase(String),
    /// Configuration error (e.g. missing passphrase).
    #[error("{0}")]
    Configuration(String),
    /// Any other failure.
    #[error("The secret store failed: {0}")]
    Other(String),
}

/// Where secrets live. Keys are opaque strings such as `<tenant>/<connection>/bind_password`.
pub trait SecretStore: Send + Sync {
    /// Reads a secret; `None` if there is none under `key`.
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError>;
    /// Writes a secret.
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError>;
    /// Deletes a secret; deleting a missing one is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// A short name for messages (`keychain`, `encrypted file`, `memory`).
    fn kind(&self) -> &'static str;
    /// Waits until no one else holds `key`'s lock, then holds it until the returned [`KeyLock`] is
    /// dropped. For a read, change and write back of one secret that must not interleave with another's,
    /// such as redeeming a refresh token the vendor rotates: hold the lock, read the secret again, change
    /// it, write it, drop the lock. It holds off only other `lock_key` callers for the same key, not plain
    /// [`get`](Self::get)/[`set`](Self::set)/[`delete`](Self::delete) calls (each of which is atomic on its
    /// own), and it is not re-entrant.
    ///
    /// It blocks: from async code call it on a blocking thread (`tokio::task::spawn_blocking`). Holders
    /// must not wait on anything unbounded while holding it.
    ///
    /// The default holds off other threads of this process only ([`KeyLock::in_process`]); stores that
    /// other processes share should lock across processes, as [`EncryptedFile`] does.
    fn lock_key(&self, key: &str) -> Result<KeyLock, SecretError> {
        KeyLock::in_process(key)
    }
}

/// The OS keychain.
///
/// Keychain entries have no compare-and-swap, so [`SecretStore::lock_key`] uses lock files in a folder
/// given with [`Keychain::with_lock_dir`], shared by every Roster process of the user (the app and
/// `rosterctl`, which both use the data folder). Without one ([`Keychain::default`]), key locks hold off
/// other threads of this process only.
#[derive(Debug, Default, Clone)]
pub struct Keychain {
    lock_dir: Option<PathBuf>,
}

impl Keychain {
    /// The keychain, with the lock files of [`SecretStore::lock_key`] kept in `dir` (created when first
    /// needed).
    pub fn with_lock_dir(dir: &Path) -> Keychain {
        Keychain {
            lock_dir: Some(dir.to_path_buf()),
        }
    }
}

fn keychain_error(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) => {
            SecretError::KeychainUnavailable(inner.to_string())
        }
        keyring::Error::NoStorageAccess(inner) => {
            SecretError::KeychainUnavailable(inner.to_string())
        }
        other => SecretError::Other(other.to_string()),
    }
}

impl SecretStore for Keychain {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        let entry = keyring::Entry::new(SERVICE, key).map_err(keychain_error)?;
        match entry.get_password() {
            Ok(v) => Ok(Some(Sensitive(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        let entry = keyring::Entry::new(SERVICE, key).map_err(keychain_error)?;
        entry.set_password(value.expose()).map_err(keychain_error)
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        let entry = keyring::Entry::new(SERVICE, key).map_err(keychain_error)?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
    fn kind(&self) -> &'static str {
        "keychain"
    }
    fn lock_key(&self, key: &str) -> Result<KeyLock, SecretError> {
        match &self.lock_dir {
            Some(dir) => KeyLock::in_dir(dir, key),
            None => KeyLock::in_process(key),
        }
    }
}

/// Secrets in memory, gone when the process ends. For tests.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        let m = self
            .0
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        Ok(m.get(key).cloned().map(Sensitive))
    }
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        let mut m = self
            .0
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        m.insert(key.to_string(), value.0.clone());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        let mut m = self
            .0
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        m.remove(key);
        Ok(())
    }
    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// The folder, next to the encrypted file's place, of the keychain's key lock files.
pub const KEYCHAIN_LOCK_DIR: &str = "keychain.key-locks";

/// The secret store chosen by the environment: the keychain unless [`STORE_ENV`] opts in to the encrypted
/// file (kept at `file_path`). An unknown value is an error, not a fallback. The keychain keeps its key
/// lock files in [`KEYCHAIN_LOCK_DIR`] in `file_path`'s folder, so that every process given the same
/// `file_path` (the app and `rosterctl` on one data folder) shares them.
pub fn from_env(
    store: Option<&str>,
    passphrase: Option<String>,
    file_path: &Path,
) -> Result<Box<dyn SecretStore>, SecretError> {
    match store.map(str::trim) {
        None | Some("") | Some("keychain") => Ok(Box::new(match file_path.parent() {
            Some(dir) => Keychain::with_lock_dir(&dir.join(KEYCHAIN_LOCK_DIR)),
            None => Keychain::default(),
        })),
        Some("encrypted-file") => {
            let pass = passphrase.filter(|p| !p.is_empty()).ok_or_else(|| {
                SecretError::Configuration(format!(
                    "{STORE_ENV}=encrypted-file needs a passphrase: set {PASSPHRASE_ENV}."
                ))
            })?;
            Ok(Box::new(EncryptedFile::new(file_path, Sensitive(pass))))
        }
        Some(other) => Err(SecretError::Configuration(format!(
            "{STORE_ENV}={other} is not a secret store Roster knows. Use \"keychain\" (the default) or \"encrypted-file\"."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_never_print_or_serialise() {
        let s = Sensitive("hunter2".to_string());
        assert_eq!(
            format!("{s:?} {s}"),
            "<redacted> <redacted>",
            "secrets must not reach logs through Debug or Display"
        );
        assert!(
            serde_json::to_string(&s).is_err(),
            "secrets must not reach JSON (events, files, API answers)"
        );
    }

    #[test]
    fn memory_store_round_trips() {
        let m = MemorySecrets::default();
        m.set("t/c/pw", &Sensitive("pw".into())).unwrap();
        assert_eq!(m.get("t/c/pw").unwrap().map(|s| s.0), Some("pw".into()));
        m.delete("t/c/pw").unwrap();
        assert!(
            m.get("t/c/pw").unwrap().is_none(),
            "a deleted secret is gone"
        );
    }

    #[test]
    fn unknown_store_names_are_refused_not_replaced() {
        let dir = std::env::temp_dir();
        let err = from_env(Some("plaintext"), None, &dir.join("x"))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains("not a secret store")),
            "no silent fallback for an unknown store"
        );
        let err = from_env(Some("encrypted-file"), None, &dir.join("x"))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains(PASSPHRASE_ENV)),
            "the opt-in without a passphrase says which variable to set"
        );
    }

    /// The keychain's key locks are files in the data folder, shared by the processes that use it, so that
    /// the app and `rosterctl` refresh a connection's tokens one at a time. No keychain is touched.
    #[test]
    fn keychain_key_locks_live_in_the_data_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = from_env(None, None, &dir.path().join("secrets.enc.json")).unwrap();
        assert_eq!(store.kind(), "keychain");
        let held = store.lock_key("tenant/conn/oauth").unwrap();
        let lock_dir = dir.path().join(KEYCHAIN_LOCK_DIR);
        assert!(
            lock::key_lock_path(&lock_dir, "tenant/conn/oauth").is_file(),
            "the lock is a file in the data folder, which other processes see"
        );
        let other = Keychain::with_lock_dir(&lock_dir);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(other.lock_key("tenant/conn/oauth").map(|_| ()));
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "another handle on the same folder waits"
        );
        drop(held);
        assert!(matches!(
            rx.recv_timeout(std::time::Duration::from_secs(10)),
            Ok(Ok(()))
        ));
    }

    /// The real OS keychain. Runs only where one exists: set ROSTER_TEST_KEYCHAIN=1 (CI runs this inside a
    /// D-Bus session with gnome-keyring unlocked).
    #[test]
    fn os_keychain_round_trips() {
        if std::env::var("ROSTER_TEST_KEYCHAIN").as_deref() != Ok("1") {
            eprintln!(
                "skipped: set ROSTER_TEST_KEYCHAIN=1 in a session with a keychain to run this test"
            );
            return;
        }
        let k = Keychain::default();
        let key = format!("test/{}/pw", std::process::id());
        k.set(&key, &Sensitive("s3cret".into())).unwrap();
        assert_eq!(
            k.get(&key).unwrap().map(|s| s.0),
            Some("s3cret".into()),
            "the keychain returns what was stored"
        );
        k.delete(&key).unwrap();
        assert!(
            k.get(&key).unwrap().is_none(),
            "and forgets it when deleted"
        );
    }
}
