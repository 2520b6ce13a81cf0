//! The opt-in encrypted secrets file, for machines without a keychain.
//!
//! Format (JSON): `{"version":1,"salt":b64,"nonce":b64,"data":b64}`; `data` is the ChaCha20-Poly1305
//! encryption of a JSON map key -> secret under a key derived from the passphrase with Argon2id (a new salt
//! and nonce on every write).
//!
//! Several processes use the file at once (the app, `rosterctl`, `rosterctl serve`), so every change is
//! one step for all of them. Invariants:
//! - A change (read, change, write back) happens only while holding the exclusive OS lock on the lock file
//!   next to the file (`secrets.enc.json.lock`); a separate file, because the secrets file itself is
//!   replaced on every write and a lock on it would stay with the replaced copy. So no change is lost to
//!   another process's change made from an older copy.
//! - The new contents go to a temporary file with a unique name in the same folder, owner-only (0600 on
//!   Unix) from its creation, flushed to disk, then renamed over the file, and the folder is flushed
//!   (Unix). The file is thus always a whole old or a whole new version, also after a crash or power cut;
//!   a crashed writer leaves at most a temporary file, which the next writer removes, and its lock is
//!   released by the OS when it dies.
//! - Reads take the shared lock while they read the file's bytes (not while they derive the key), so
//!   they never overlap a writer's rename. The rename alone already guarantees whole versions on Unix;
//!   the lock also keeps reads clear of the moment the file is replaced on Windows, where opening a file
//!   being replaced can fail, and costs a reader little while no one writes.
//! - The key locks of [`SecretStore::lock_key`] are files in the folder `secrets.enc.json.key-locks` next
//!   to the file, one per key (see [`KeyLock::in_dir`]).
//!
//! Key derivation (Argon2id, deliberately slow) runs once per read and twice per change (the current
//! file's key, then the new salt's); the locks add none.

use crate::lock::{create_private_dir, open_lock_file, owner_only};
use crate::{KeyLock, SecretError, SecretStore, Sensitive};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// How the names of temporary files end; they are `.<file name>.<random>.tmp`.
const TEMP_SUFFIX: &str = ".tmp";
/// How many random letters and digits temporary file names have.
const TEMP_RANDOM_LEN: usize = 8;

/// Secrets encrypted at rest in one file.
pub struct EncryptedFile {
    path: PathBuf,
    passphrase: Sensitive<String>,
    /// Makes this instance's writers take turns before they take the OS lock. The OS lock alone excludes
    /// them already (each change opens the lock file anew, and the lock belongs to the open file), except
    /// where the OS emulates it with per-process locks (Linux on NFS); this keeps at least this process's
    /// own writers apart there.
    writing: Mutex<()>,
}

impl std::fmt::Debug for EncryptedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedFile")
            .field("path", &self.path)
            .finish()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Envelope {
    version: u32,
    salt: String,
    nonce: String,
    data: String,
}

fn derive(passphrase: &str, salt: &[u8]) -> Result<Key, SecretError> {
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| SecretError::Other(format!("key derivation failed: {e}")))?;
    Ok(Key::from(key))
}

/// `path` with `suffix` added to its file name (`secrets.enc.json` -> `secrets.enc.json.lock`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Flushes the folder's list of files so that a rename in it survives a power cut (POSIX leaves that to a
/// sync of the folder). Best effort: the rename has already happened, and some file systems refuse to
/// sync a folder; failing the write there would report as lost a change that is in place.
#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Windows: the standard library cannot open a folder to flush it; NTFS journals the rename itself.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

impl EncryptedFile {
    /// The file at `path`, opened with `passphrase` (created on first write).
    pub fn new(path: &Path, passphrase: Sensitive<String>) -> Self {
        EncryptedFile {
            path: path.to_path_buf(),
            passphrase,
            writing: Mutex::new(()),
        }
    }

    /// The folder of the file (and of its lock and temporary files).
    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }

    fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    fn key_lock_dir(&self) -> PathBuf {
        with_suffix(&self.path, ".key-locks")
    }

    /// `.secrets.enc.json.`: temporary files are `.secrets.enc.json.<random>.tmp`, see [`Self::is_temp`].
    fn temp_prefix(&self) -> String {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "secrets".into());
        format!(".{name}.")
    }

    fn read_failed(&self, e: &std::io::Error) -> SecretError {
        SecretError::Other(format!(
            "the secrets file {} could not be read ({e}). Check that Roster may read it.",
            self.path.display()
        ))
    }

    fn write_failed(&self, e: &std::io::Error) -> SecretError {
        SecretError::Other(format!(
            "the secrets file {} could not be written ({e}); the secrets saved before are unchanged. Check that the disk has free space and that Roster may write in {}, then try again.",
            self.path.display(),
            self.dir().display()
        ))
    }

    /// The file's text, `None` if there is no file. The caller must hold the lock (shared or exclusive).
    fn read_file(&self) -> Result<Option<String>, SecretError> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.read_failed(&e)),
        }
    }

    /// The file's text, read under the shared lock (see the module's invariants). The lock is released
    /// before the caller derives the key, so writers do not wait for a reader's Argon2.
    fn read_file_shared(&self) -> Result<Option<String>, SecretError> {
        if !self.dir().is_dir() {
            // No folder, no file; and a read must not create folders.
            return Ok(None);
        }
        let lock = open_lock_file(&self.lock_path())?;
        lock.lock_shared().map_err(|e| self.read_failed(&e))?;
        self.read_file()
    }

    /// Takes the exclusive lock for a change, waiting for every other writer and reader of the file, in
    /// any process, to finish. Released when the returned file is dropped (or the process dies). Holders
    /// do local work only (derive, encrypt, write), so waits are short.
    fn write_lock(&self) -> Result<File, SecretError> {
        create_private_dir(self.dir())?;
        let lock = open_lock_file(&self.lock_path())?;
        lock.lock().map_err(|e| self.write_failed(&e))?;
        Ok(lock)
    }

    fn decrypt(&self, text: &str) -> Result<BTreeMap<String, String>, SecretError> {
        let wrong = || SecretError::WrongPassphrase(self.path.display().to_string());
        let env: Envelope = serde_json::from_str(text).map_err(|_| wrong())?;
        let salt = B64.decode(env.salt).map_err(|_| wrong())?;
        let nonce = B64.decode(env.nonce).map_err(|_| wrong())?;
        let data = B64.decode(env.data).map_err(|_| wrong())?;
        if nonce.len() != 12 {
            return Err(wrong());
        }
        let cipher = ChaCha20Poly1305::new(&derive(self.passphrase.expose(), &salt)?);
        let plain = cipher
            .decrypt(Nonce::from_slice(&nonce), data.as_slice())
            .map_err(|_| wrong())?;
        serde_json::from_slice(&plain).map_err(|_| wrong())
    }

    /// Every secret in the file (none if there is no file).
    fn load(&self) -> Result<BTreeMap<String, String>, SecretError> {
        match self.read_file_shared()? {
            Some(text) => self.decrypt(&text),
            None => Ok(BTreeMap::new()),
        }
    }

    /// Reads the secrets, lets `edit` change them (it says whether it did), and writes them back, as one
    /// step for every process (see the module's invariants).
    fn change(
        &self,
        edit: impl FnOnce(&mut BTreeMap<String, String>) -> bool,
    ) -> Result<(), SecretError> {
        // The mutex guards no data, so a thread that panicked holding it left nothing inconsistent.
        let _this_process = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let _all_processes = self.write_lock()?;
        let mut map = match self.read_file()? {
            Some(text) => self.decrypt(&text)?,
            None => BTreeMap::new(),
        };
        if !edit(&mut map) {
            return Ok(());
        }
        self.remove_leftover_temps();
        self.save(&map)
    }

    /// Whether `name` is the name of one of this file's temporary files: the prefix, exactly
    /// [`TEMP_RANDOM_LEN`] letters and digits, the suffix. Exact, so that the temporary files of another
    /// secrets file in the same folder (`secrets.enc.json.old`: `.secrets.enc.json.old.<random>.tmp`) are
    /// never taken for this one's.
    fn is_temp(&self, name: &str) -> bool {
        name.strip_prefix(&self.temp_prefix())
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .is_some_and(|random| {
                random.len() == TEMP_RANDOM_LEN && random.chars().all(|c| c.is_ascii_alphanumeric())
            })
    }

    /// Removes temporary files left by writers that crashed. Called with the exclusive lock held: writers
    /// create their temporary file only while holding it, so any temporary file seen now is a leftover.
    /// Best effort: a leftover that cannot be removed hurts nothing (each write picks a new name).
    fn remove_leftover_temps(&self) {
        let Ok(entries) = std::fs::read_dir(self.dir()) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_str().is_some_and(|n| self.is_temp(n)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// A new temporary file with a unique name next to the file, owner-only (0600 on Unix) from the moment
    /// it exists, before anything is written to it.
    fn temp_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        let prefix = self.temp_prefix();
        let mut builder = tempfile::Builder::new();
        builder
            .prefix(&prefix)
            .rand_bytes(TEMP_RANDOM_LEN)
            .suffix(TEMP_SUFFIX);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o600));
        }
        let tmp = builder.tempfile_in(self.dir())?;
        // The umask may have narrowed the mode further; make it exactly owner read and write.
        owner_only(tmp.as_file())?;
        Ok(tmp)
    }

    /// Encrypts `map` under a new salt and nonce and puts it in place of the file (temporary file, flush,
    /// rename, folder flush). Called with the exclusive lock held.
    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut nonce);
        let cipher = ChaCha20Poly1305::new(&derive(self.passphrase.expose(), &salt)?);
        let plain = serde_json::to_vec(map).map_err(|e| SecretError::Other(e.to_string()))?;
        let data = cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_slice())
            .map_err(|_| SecretError::Other("encryption failed".into()))?;
        let env = Envelope {
            version: 1,
            salt: B64.encode(salt),
            nonce: B64.encode(nonce),
            data: B64.encode(data),
        };
        let text = serde_json::to_string(&env).map_err(|e| SecretError::Other(e.to_string()))?;
        // On any error below, dropping the temporary file deletes it.
        let mut tmp = self.temp_file().map_err(|e| self.write_failed(&e))?;
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.write_failed(&e))?;
        tmp.persist(&self.path)
            .map_err(|e| self.write_failed(&e.error))?;
        sync_dir(self.dir());
        Ok(())
    }
}

impl SecretStore for EncryptedFile {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(self.load()?.remove(key).map(Sensitive))
    }
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        self.change(|map| {
            map.insert(key.to_string(), value.expose().to_string());
            true
        })
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.change(|map| map.remove(key).is_some())
    }
    fn kind(&self) -> &'static str {
        "encrypted file"
    }
    /// Across processes: a lock file per key in `secrets.enc.json.key-locks` next to the file.
    fn lock_key(&self, key: &str) -> Result<KeyLock, SecretError> {
        KeyLock::in_dir(&self.key_lock_dir(), key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    const PASSPHRASE: &str = "correct horse";
    /// Set in a child process: what [`child_process`] does there.
    const CHILD_ROLE_ENV: &str = "ROSTER_SECRETS_TEST_CHILD";
    /// Set in a child process: the secrets file it works on.
    const CHILD_FILE_ENV: &str = "ROSTER_SECRETS_TEST_FILE";
    /// Printed by a child once it holds a lock, or has written all its secrets.
    const LOCKED: &str = "roster-test-child: locked";
    const WROTE: &str = "roster-test-child: wrote";
    const CHILDREN: usize = 16;
    const KEYS_PER_CHILD: usize = 3;
    const HELD_KEY: &str = "tenant/conn-1/oauth";

    fn store(path: &Path) -> EncryptedFile {
        EncryptedFile::new(path, Sensitive(PASSPHRASE.into()))
    }

    fn key_of(child: usize, i: usize) -> String {
        format!("tenant/conn-{child}/secret-{i}")
    }

    fn value_of(child: usize, i: usize) -> String {
        format!("value of {child}.{i}")
    }

    /// Kills the child process when dropped, so that a failed assertion leaves no process behind.
    struct Killed(Child);

    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Starts this test binary again, running only [`child_process`], as `role` on the file at `path`.
    fn spawn_child(role: &str, path: &Path) -> Child {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "file::tests::child_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ROLE_ENV, role)
            .env(CHILD_FILE_ENV, path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits until the child says it holds its lock.
    fn wait_until_locked(child: &mut Child) {
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let locked = lines.any(|l| l.is_ok_and(|l| l.contains(LOCKED)));
        let mut err = String::new();
        if !locked {
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
        }
        assert!(locked, "the child process never took its lock: {err}");
    }

    /// Not a test by itself: the body of the child processes that the multi-process tests start (they run
    /// it with `--ignored`). Fails if run without them.
    #[test]
    #[ignore = "a child process of the multi-process tests, which run it themselves"]
    fn child_process() {
        let role = std::env::var(CHILD_ROLE_ENV).expect("started by a multi-process test");
        let path = PathBuf::from(std::env::var_os(CHILD_FILE_ENV).expect("with a file"));
        let f = store(&path);
        let hold = |what: &str| {
            println!("{LOCKED} ({what})");
            std::io::stdout().flush().unwrap();
            // Killed by the parent long before this ends; the limit only bounds an orphan's life.
            std::thread::sleep(Duration::from_secs(120));
        };
        match role.split_once(':') {
            Some(("write", n)) => {
                let child: usize = n.parse().unwrap();
                for i in 0..KEYS_PER_CHILD {
                    f.set(&key_of(child, i), &Sensitive(value_of(child, i)))
                        .unwrap();
                }
                println!("{WROTE}");
            }
            _ if role == "hold-file" => {
                let _held = f.write_lock().unwrap();
                hold("file");
            }
            _ if role == "hold-key" => {
                let _held = f.lock_key(HELD_KEY).unwrap();
                hold("key");
            }
            _ => panic!("unknown child role {role}"),
        }
    }

    #[test]
    fn round_trips_encrypted_and_refuses_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let f = EncryptedFile::new(&path, Sensitive("correct horse".into()));
        f.set("t/c/bind_password", &Sensitive("Passw0rd!".into()))
            .unwrap();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert!(
            !on_disk.contains("Passw0rd!"),
            "the secret must not be stored in clear"
        );
        assert!(
            !on_disk.contains("bind_password"),
            "nor the names of the secrets"
        );
        let again = EncryptedFile::new(&path, Sensitive("correct horse".into()));
        assert_eq!(
            again.get("t/c/bind_password").unwrap().map(|s| s.0),
            Some("Passw0rd!".into())
        );
        let wrong = EncryptedFile::new(&path, Sensitive("battery staple".into()));
        let err = wrong.get("t/c/bind_password").unwrap_err();
        assert!(
            matches!(err, SecretError::WrongPassphrase(_)),
            "a wrong passphrase is a clear error: {err}"
        );
    }

    #[test]
    fn reads_of_a_missing_file_create_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-yet").join("secrets.enc.json");
        assert!(store(&path).get("k").unwrap().is_none());
        assert!(
            !dir.path().join("not-yet").exists(),
            "a read must not create the data folder"
        );
        store(&path).delete("k").unwrap();
        assert!(!path.exists(), "deleting a missing secret writes nothing");
    }

    /// The case: many processes (the app, `rosterctl`, `rosterctl serve`) writing secrets into the
    /// same file at once. Every secret must be there afterwards.
    #[test]
    fn concurrent_writers_in_many_processes_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc.json");
        let children: Vec<Child> = (0..CHILDREN)
            .map(|c| spawn_child(&format!("write:{c}"), &path))
            .collect();
        let mut failed = Vec::new();
        for (c, child) in children.into_iter().enumerate() {
            let out = child.wait_with_output().unwrap();
            if !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains(WROTE) {
                failed.push(format!(
                    "child {c} ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        assert!(
            failed.is_empty(),
            "{} of {CHILDREN} writer processes failed:\n{}",
            failed.len(),
            failed.join("\n")
        );
        let all = store(&path).load().unwrap();
        let mut missing = Vec::new();
        for c in 0..CHILDREN {
            for i in 0..KEYS_PER_CHILD {
                if all.get(&key_of(c, i)) != Some(&value_of(c, i)) {
                    missing.push(key_of(c, i));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} secrets written by concurrent processes are missing or wrong: {missing:?}",
            missing.len(),
            CHILDREN * KEYS_PER_CHILD
        );
        assert_eq!(all.len(), CHILDREN * KEYS_PER_CHILD, "and nothing else");
        let leftovers: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect();
        assert!(
            leftovers.is_empty(),
            "no temporary files left: {leftovers:?}"
        );
    }

    /// A process holding the file's lock holds off writers in other processes, and when it dies (crash,
    /// kill) the OS releases the lock: the lock file it leaves does not block the next write.
    #[test]
    fn a_writer_killed_while_holding_the_lock_does_not_block_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc.json");
        store(&path)
            .set("before", &Sensitive("kept".into()))
            .unwrap();
        let mut child = Killed(spawn_child("hold-file", &path));
        wait_until_locked(&mut child.0);

        let (tx, rx) = mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(store(&p).set("after", &Sensitive("written".into())));
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "a write must wait while another process holds the lock"
        );
        drop(child);
        let done = rx.recv_timeout(Duration::from_secs(60));
        assert!(
            matches!(done, Ok(Ok(()))),
            "the write goes through once the holder is gone: {done:?}"
        );
        let f = store(&path);
        assert_eq!(f.get("before").unwrap().map(|s| s.0), Some("kept".into()));
        assert_eq!(f.get("after").unwrap().map(|s| s.0), Some("written".into()));
    }

    /// The same for key locks ([`SecretStore::lock_key`]), which OAuth refreshes hold across a request.
    #[test]
    fn a_key_lock_holds_off_other_processes_until_its_holder_dies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc.json");
        let mut child = Killed(spawn_child("hold-key", &path));
        wait_until_locked(&mut child.0);

        let (tx, rx) = mpsc::channel();
        let p = path.clone();
        std::thread::spawn(move || {
            let held = store(&p).lock_key(HELD_KEY);
            let _ = tx.send(held.map(|_| ()));
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "the key is held by the other process"
        );
        assert!(
            store(&path).lock_key("tenant/other/oauth").is_ok(),
            "another key is free"
        );
        drop(child);
        let got = rx.recv_timeout(Duration::from_secs(30));
        assert!(
            matches!(got, Ok(Ok(()))),
            "free once its holder died: {got:?}"
        );
    }

    /// Temporary files of a writer that crashed between creating and renaming them, and a lock file with
    /// something in it, do not get in the way; the leftovers are removed by the next write.
    #[test]
    fn leftovers_of_a_crashed_writer_do_not_break_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.enc.json");
        let f = store(&path);
        f.set("a", &Sensitive("one".into())).unwrap();
        let leftover = dir.path().join(".secrets.enc.json.x7Yq2bK9.tmp");
        std::fs::write(&leftover, b"{\"version\":1,\"salt\":\"half a fi").unwrap();
        std::fs::write(f.lock_path(), b"junk").unwrap();

        f.set("b", &Sensitive("two".into())).unwrap();
        assert_eq!(f.get("a").unwrap().map(|s| s.0), Some("one".into()));
        assert_eq!(f.get("b").unwrap().map(|s| s.0), Some("two".into()));
        assert!(
            !leftover.exists(),
            "the crashed writer's temporary file is removed"
        );
        let others = [
            dir.path().join("roster.sqlite3"),
            // Another secrets file's temporary file, maybe being written right now.
            dir.path().join(".secrets.enc.json.old.x7Yq2bK9.tmp"),
        ];
        for o in &others {
            std::fs::write(o, b"not ours").unwrap();
        }
        f.delete("a").unwrap();
        for o in &others {
            assert!(o.exists(), "files that are not ours stay: {}", o.display());
        }
        assert!(f.get("a").unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_its_lock_files_and_temporary_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("secrets.enc.json");
        let f = store(&path);

        f.set("k", &Sensitive("v".into())).unwrap();
        assert_eq!(mode(&path), 0o600, "the secrets file");
        assert_eq!(mode(&f.lock_path()), 0o600, "its lock file");
        assert_eq!(mode(path.parent().unwrap()), 0o700, "a folder it created");

        let tmp = f.temp_file().unwrap();
        assert_eq!(
            mode(tmp.path()),
            0o600,
            "a temporary file is owner-only before anything is written to it"
        );
        assert_eq!(tmp.as_file().metadata().unwrap().len(), 0);
        let name = tmp.path().file_name().unwrap().to_str().unwrap();
        assert!(
            f.is_temp(name),
            "{name} is recognised as a leftover if left"
        );
        drop(tmp);

        // Files from an older Roster (or made by hand) are tightened by the next write.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(f.lock_path(), std::fs::Permissions::from_mode(0o666)).unwrap();
        f.set("k2", &Sensitive("v2".into())).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&f.lock_path()), 0o600);

        let _held = f.lock_key("tenant/conn/oauth").unwrap();
        let key_lock = crate::lock::key_lock_path(&f.key_lock_dir(), "tenant/conn/oauth");
        assert_eq!(mode(&key_lock), 0o600, "key lock files");
        assert_eq!(mode(&f.key_lock_dir()), 0o700, "and their folder");
    }
}
