//! A request rate limit per credential: a keyed token bucket (GCRA: one "theoretical arrival time" per
//! key, no floating point). Time is passed in, so the arithmetic is tested without waiting.
//!
//! It shares Roster fairly between the identity providers and scripts that call it; it is not a defence
//! against a flood from many addresses (a reverse proxy in front is the place for that).

use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How many requests one credential may make: `burst` at once, then one every `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    interval: Duration,
    burst: u32,
}

impl RateLimit {
    /// `per_second` requests a second on average, with bursts of up to `burst` (each at least 1).
    pub fn per_second(per_second: u32, burst: u32) -> RateLimit {
        RateLimit {
            interval: Duration::from_secs(1) / per_second.max(1),
            burst: burst.max(1),
        }
    }

    /// One request every `interval` on average, with bursts of up to `burst` (at least 1).
    pub fn one_every(interval: Duration, burst: u32) -> RateLimit {
        RateLimit {
            interval,
            burst: burst.max(1),
        }
    }

    /// The average rate, in requests a second.
    pub fn requests_per_second(&self) -> f64 {
        match self.interval.as_secs_f64() {
            s if s > 0.0 => 1.0 / s,
            _ => f64::INFINITY,
        }
    }

    /// The largest burst.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// How far ahead of `now` a key's arrival time may run: the burst less the request being made.
    fn tolerance(&self) -> Duration {
        self.interval.saturating_mul(self.burst - 1)
    }
}

/// Keys are SHA-256 digests, so the table holds no credential.
pub(crate) type Key = [u8; 32];

/// Keys kept at most; past that, keys whose buckets are full again are forgotten (see [`Limiter::check`]).
const MAX_KEYS: usize = 10_000;

/// The buckets of every key seen recently.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    /// For each key, when its bucket will be full again (its theoretical arrival time).
    full_at: HashMap<Key, Instant>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            full_at: HashMap::new(),
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Counts a request by `key` at `now`: `Ok` if it may go on, else how long until it may.
    ///
    /// A key whose bucket is full again is the same as a key never seen, so when the table reaches
    /// [`MAX_KEYS`] those are dropped; if every key is still in use (a flood of made-up credentials), the
    /// table is cleared: forgetting buckets only ever lets requests through, it never refuses a caller
    /// that has not used up its own burst.
    pub(crate) fn check(&mut self, key: Key, now: Instant) -> Result<(), Duration> {
        if self.full_at.len() >= MAX_KEYS && !self.full_at.contains_key(&key) {
            self.full_at.retain(|_, full| *full > now);
            if self.full_at.len() >= MAX_KEYS {
                self.full_at.clear();
            }
        }
        let full = self.full_at.get(&key).copied().unwrap_or(now).max(now);
        let ahead = full - now;
        let tolerance = self.limit.tolerance();
        if ahead > tolerance {
            return Err(ahead - tolerance);
        }
        self.full_at.insert(key, full + self.limit.interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let mut l = Limiter::new(RateLimit::one_every(Duration::from_secs(2), 3));
        let t0 = Instant::now();
        let k = [1u8; 32];
        for i in 0..3 {
            assert_eq!(
                l.check(k, t0),
                Ok(()),
                "request {i} of the burst of 3 goes through"
            );
        }
        assert_eq!(
            l.check(k, t0),
            Err(Duration::from_secs(2)),
            "the fourth waits one interval"
        );
        assert_eq!(
            l.check(k, t0 + Duration::from_millis(500)),
            Err(Duration::from_millis(1500)),
            "and is told how long is left"
        );
        assert_eq!(l.check(k, t0 + Duration::from_secs(2)), Ok(()));
        assert!(
            l.check(k, t0 + Duration::from_secs(2)).is_err(),
            "one interval buys one request"
        );
        assert_eq!(
            l.check(k, t0 + Duration::from_secs(60)),
            Ok(()),
            "after a long pause the burst is back"
        );
        for _ in 0..2 {
            assert_eq!(l.check(k, t0 + Duration::from_secs(60)), Ok(()));
        }
    }

    #[test]
    fn keys_do_not_share_buckets() {
        let mut l = Limiter::new(RateLimit::one_every(Duration::from_secs(60), 1));
        let t0 = Instant::now();
        assert_eq!(l.check([1; 32], t0), Ok(()));
        assert!(l.check([1; 32], t0).is_err());
        assert_eq!(
            l.check([2; 32], t0),
            Ok(()),
            "one credential using up its requests leaves another's alone"
        );
    }

    #[test]
    fn a_full_table_forgets_only_idle_keys_first() {
        let mut l = Limiter::new(RateLimit::one_every(Duration::from_secs(1), 1));
        let t0 = Instant::now();
        for i in 0..MAX_KEYS {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            assert_eq!(l.check(k, t0), Ok(()));
        }
        let busy = [0u8; 32];
        let later = t0 + Duration::from_secs(2);
        assert_eq!(l.check(busy, later), Ok(()), "key 0's bucket refilled");
        assert_eq!(l.check([9; 32], later), Ok(()), "a new key gets a bucket");
        assert!(
            l.full_at.len() <= 2,
            "the idle keys were dropped, not the ones in use: {}",
            l.full_at.len()
        );
        assert!(l.check(busy, later).is_err(), "and key 0 is still limited");
    }

    #[test]
    fn rates_read_back() {
        let r = RateLimit::per_second(50, 100);
        assert_eq!(r.burst(), 100);
        assert!((r.requests_per_second() - 50.0).abs() < 1e-9);
        assert_eq!(
            RateLimit::per_second(0, 0).burst(),
            1,
            "a burst of 0 would refuse everything"
        );
    }
}
