//! Identifiers. Object ids follow Duo's shape: two letters naming the kind, then 18 characters.
//!
//! Ids of objects a sync creates are derived from the directory key and the object's stable id in the
//! source, so a plan is deterministic (same input, same output) and a user who leaves and comes back after
//! being purged gets the same id again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn encode18(bytes: &[u8]) -> String {
    // 18 base32 characters = 90 bits of the digest.
    let mut out = String::with_capacity(18);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
            if out.len() == 18 {
                return out;
            }
        }
    }
    out
}

fn derive(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    format!("{prefix}{}", encode18(&h.finalize()))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id a sync gives the object it imports from `external_id`.
            pub fn derive(directory: &DirectoryKey, external_id: &str) -> Self {
                $name(derive($prefix, &[&directory.0, external_id]))
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A user's id (`DU…`).
    UserId, "DU"
);
/// A group's id (`DG…`). Shared (`Arc<str>`): every member's group list points at one allocation, so
/// 100,000 users in a handful of groups do not carry hundreds of thousands of copies of a few ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(pub std::sync::Arc<str>);

impl GroupId {
    /// The id a sync gives the group it imports from `external_id`.
    pub fn derive(directory: &DirectoryKey, external_id: &str) -> Self {
        GroupId(derive("DG", &[&directory.0, external_id]).into())
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
id_type!(
    /// An administrator's id (`DE…`).
    AdminId, "DE"
);

/// The stable key of a directory sync (`DS…`), shown on the sync's page and used by the Admin API's
/// `syncuser`/`syncadmin` endpoints. It never changes for the life of the sync.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DirectoryKey(pub String);

impl DirectoryKey {
    /// A new key from 16 random bytes (randomness is passed in).
    pub fn from_random(bytes: [u8; 16]) -> Self {
        DirectoryKey(format!("DS{}", encode18(&bytes)))
    }
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether `text` has the shape of a directory key.
    pub fn is_well_formed(text: &str) -> bool {
        text.len() == 20
            && text.starts_with("DS")
            && text[2..].bytes().all(|b| ALPHABET.contains(&b))
    }
}

impl fmt::Display for DirectoryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let k = DirectoryKey::from_random([7; 16]);
        assert!(
            DirectoryKey::is_well_formed(k.as_str()),
            "a fresh key must be well formed: {k}"
        );
        let a = UserId::derive(&k, "guid-1");
        assert_eq!(
            a,
            UserId::derive(&k, "guid-1"),
            "the same source object must always get the same id"
        );
        assert_ne!(
            a,
            UserId::derive(&k, "guid-2"),
            "different source objects must get different ids"
        );
        assert_eq!(a.as_str().len(), 20, "ids have Duo's 20-character shape");
        assert!(a.as_str().starts_with("DU"));
        assert!(GroupId::derive(&k, "guid-1").as_str().starts_with("DG"));
    }
}
