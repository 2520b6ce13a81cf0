//! The opt-in encrypted secrets file, for machines without a keychain.
//!
//! Format (JSON): `{"version":1,"salt":b64,"nonce":b64,"data":b64}`; `data` is the ChaCha20-Poly1305
//! encryption of a JSON map key -> secret under a key derived from the passphrase with Argon2id. The whole
//! file is rewritten (to a temporary file, then renamed) on every change, so a crash never leaves half a file.

use crate::{SecretError, SecretStore, Sensitive};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Secrets encrypted at rest in one file.
pub struct EncryptedFile {
    path: PathBuf,
    passphrase: Sensitive<String>,
    lock: Mutex<()>,
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

impl EncryptedFile {
    /// The file at `path`, opened with `passphrase` (created on first write).
    pub fn new(path: &Path, passphrase: Sensitive<String>) -> Self {
        EncryptedFile {
            path: path.to_path_buf(),
            passphrase,
            lock: Mutex::new(()),
        }
    }

    fn load(&self) -> Result<BTreeMap<String, String>, SecretError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => {
                return Err(SecretError::Other(format!(
                    "cannot read {}: {e}",
                    self.path.display()
                )))
            }
        };
        let wrong = || SecretError::WrongPassphrase(self.path.display().to_string());
        let env: Envelope = serde_json::from_str(&text).map_err(|_| wrong())?;
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
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| SecretError::Other(e.to_string()))?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text)
            .map_err(|e| SecretError::Other(format!("cannot write {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            SecretError::Other(format!("cannot write {}: {e}", self.path.display()))
        })?;
        Ok(())
    }
}

impl SecretStore for EncryptedFile {
    fn get(&self, key: &str) -> Result<Option<Sensitive<String>>, SecretError> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        Ok(self.load()?.remove(key).map(Sensitive))
    }
    fn set(&self, key: &str, value: &Sensitive<String>) -> Result<(), SecretError> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        let mut map = self.load()?;
        map.insert(key.to_string(), value.expose().to_string());
        self.save(&map)
    }
    fn delete(&self, key: &str) -> Result<(), SecretError> {
        let _g = self
            .lock
            .lock()
            .map_err(|_| SecretError::Other("lock poisoned".into()))?;
        let mut map = self.load()?;
        if map.remove(key).is_some() {
            self.save(&map)?;
        }
        Ok(())
    }
    fn kind(&self) -> &'static str {
        "encrypted file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
