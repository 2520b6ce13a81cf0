//! The signatures of changing requests seen inside the date window, so that a captured POST or DELETE
//! cannot be sent again while its date is still accepted.
//!
//! Memory is bounded: an entry lives until its request's date leaves the window (pruned on every
//! check), entries are 16-byte digests of `(ikey, signature)`, and there are at most `capacity` of
//! them. When full of live entries, a new changing request is refused with 42901 and a `Retry-After`
//! until the oldest expires: refusing is safe, forgetting would let a replay through.
//!
//! Note: duo_client's dates have one-second resolution, so two identical POSTs sent within the same
//! second carry the same signature and the second is refused as a replay.

use std::collections::{HashMap, VecDeque};

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::error::{Code, DuoError};

/// The default number of signatures remembered (about 3 MB at most).
pub const DEFAULT_CAPACITY: usize = 65_536;

/// Signatures seen recently, owned by the caller (one per server).
#[derive(Debug, Clone)]
pub struct ReplayCache {
    capacity: usize,
    /// Digest → Unix second after which the entry may be forgotten.
    seen: HashMap<[u8; 16], i64>,
    /// Digests in insertion order, for pruning from the front.
    order: VecDeque<([u8; 16], i64)>,
}

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache::new(DEFAULT_CAPACITY)
    }
}

impl ReplayCache {
    /// A cache remembering at most `capacity` signatures (at least 1).
    pub fn new(capacity: usize) -> Self {
        ReplayCache {
            capacity: capacity.max(1),
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// How many signatures are remembered now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Records `signature` of `ikey` for a request dated `date`; 40103 when it was already recorded
    /// and has not expired, 42901 when the cache is full of live entries.
    pub fn check_and_record(
        &mut self,
        ikey: &str,
        signature: &[u8],
        date: OffsetDateTime,
        now: OffsetDateTime,
        window_secs: i64,
    ) -> Result<(), DuoError> {
        let now_secs = now.unix_timestamp();
        self.prune(now_secs);
        let key = digest(ikey, signature);
        if let Some(expires) = self.seen.get(&key) {
            if *expires >= now_secs {
                return Err(DuoError::with_detail(
                    Code::InvalidSignature,
                    "this signed request was already used",
                ));
            }
        }
        if self.seen.len() >= self.capacity {
            let oldest = self.order.front().map_or(now_secs, |(_, e)| *e);
            let wait = u64::try_from(oldest.saturating_sub(now_secs)).unwrap_or(0) + 1;
            return Err(DuoError::too_many_requests(wait));
        }
        let expires = date.unix_timestamp().saturating_add(window_secs);
        self.seen.insert(key, expires);
        self.order.push_back((key, expires));
        Ok(())
    }

    /// Forgets entries whose date has left the window. Entries are pruned in insertion order; one
    /// that expires before an older neighbour waits for it, and lookups check expiry themselves.
    fn prune(&mut self, now_secs: i64) {
        while let Some((key, expires)) = self.order.front().copied() {
            if expires >= now_secs {
                break;
            }
            self.order.pop_front();
            if self.seen.get(&key) == Some(&expires) {
                self.seen.remove(&key);
            }
        }
    }
}

fn digest(ikey: &str, signature: &[u8]) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(ikey.as_bytes());
    hasher.update([0]);
    hasher.update(signature);
    let full = hasher.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn a_signature_is_accepted_once_inside_the_window() {
        let mut cache = ReplayCache::default();
        assert_eq!(
            cache.check_and_record("DI1", b"sig", at(0), at(1), 300),
            Ok(())
        );
        let again = cache.check_and_record("DI1", b"sig", at(0), at(200), 300);
        assert_eq!(again.map_err(|e| e.code), Err(Code::InvalidSignature));
        assert_eq!(
            cache.check_and_record("DI2", b"sig", at(0), at(2), 300),
            Ok(()),
            "the same bytes from another application are another signature"
        );
    }

    #[test]
    fn entries_are_forgotten_once_their_date_leaves_the_window() {
        let mut cache = ReplayCache::default();
        for i in 0..100 {
            let sig = format!("sig{i}");
            assert_eq!(
                cache.check_and_record("DI1", sig.as_bytes(), at(i), at(i), 300),
                Ok(())
            );
        }
        assert_eq!(cache.len(), 100);
        assert_eq!(
            cache.check_and_record("DI1", b"late", at(400), at(400), 300),
            Ok(())
        );
        assert!(
            cache.len() < 100,
            "entries dated before 100 s are gone: {}",
            cache.len()
        );
        let much_later = at(400) + Duration::hours(1);
        assert_eq!(
            cache.check_and_record("DI1", b"x", much_later, much_later, 300),
            Ok(())
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_full_cache_refuses_rather_than_forgets() {
        let mut cache = ReplayCache::new(2);
        assert_eq!(
            cache.check_and_record("DI1", b"a", at(0), at(0), 300),
            Ok(())
        );
        assert_eq!(
            cache.check_and_record("DI1", b"b", at(10), at(10), 300),
            Ok(())
        );
        let full = cache.check_and_record("DI1", b"c", at(20), at(20), 300);
        assert_eq!(
            full.as_ref().map_err(|e| e.code),
            Err(Code::TooManyRequests)
        );
        assert_eq!(full.err().and_then(|e| e.retry_after), Some(281));
        assert_eq!(
            cache.check_and_record("DI1", b"c", at(301), at(301), 300),
            Ok(()),
            "after the oldest expires there is room again"
        );
        let replay = cache.check_and_record("DI1", b"b", at(10), at(302), 300);
        assert_eq!(replay.map_err(|e| e.code), Err(Code::InvalidSignature));
    }
}
