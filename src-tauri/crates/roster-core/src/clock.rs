//! Time, passed in. Logic never reads the system clock itself, so tests can move time forward
//! (for example past the trash retention) without waiting.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch, UTC. Stored as an integer in SQLite; formatted as RFC 3339 at the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// This timestamp moved forward by `days` whole days.
    pub fn plus_days(self, days: u32) -> Timestamp {
        Timestamp(self.0 + i64::from(days) * 86_400)
    }

    /// RFC 3339 in UTC, e.g. `2026-11-28T20:35:00Z`. Out-of-range values print as the raw number.
    pub fn to_rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp(time::OffsetDateTime::now_utc().unix_timestamp())
    }
}

/// A clock that only moves when told to; for tests and benchmarks.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: Timestamp) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(at.0))
    }
    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
    }
    /// Sets the clock.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
