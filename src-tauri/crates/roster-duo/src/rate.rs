//! Per-application rate limits, as Duo's maintainers stated them (duo_client_python#101): per minute,
//! modifying an object 300, getting one object 300, getting a page 200, getting everything unpaged 40,
//! reading logs 2.
//!
//! Each `(ikey, class)` has a token bucket holding up to a minute's allowance and refilling evenly over
//! the minute; a call takes one token or is refused with 42901 and the whole seconds until a token is
//! back (`Retry-After`). Memory is bounded: buckets that have refilled completely are forgotten (they
//! behave exactly like new ones), and past `capacity` buckets new applications are refused until room
//! frees up.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::error::DuoError;

/// The kind of call a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateClass {
    /// Create, change or delete one object: 300 per minute.
    ModifyObject,
    /// Get one object: 300 per minute.
    GetObject,
    /// Get one page of a list: 200 per minute.
    GetPage,
    /// Get a whole list without paging: 40 per minute.
    GetAll,
    /// Read a log: 2 per minute.
    Logs,
}

impl RateClass {
    /// Calls allowed per minute.
    pub fn per_minute(self) -> u32 {
        match self {
            RateClass::ModifyObject | RateClass::GetObject => 300,
            RateClass::GetPage => 200,
            RateClass::GetAll => 40,
            RateClass::Logs => 2,
        }
    }
}

/// One token, in bucket units (milliseconds per minute).
const TOKEN: u64 = 60_000;

/// The default number of `(ikey, class)` buckets kept.
pub const DEFAULT_BUCKETS: usize = 10_000;

/// Token buckets per `(ikey, class)`, owned by the caller.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    capacity: usize,
    /// Tokens are counted in units of 1/60 000 token, so a class refills exactly `per_minute` units
    /// per millisecond: integer arithmetic with no drift.
    buckets: HashMap<(String, RateClass), Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    units: u64,
    updated_ms: i128,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(DEFAULT_BUCKETS)
    }
}

impl RateLimiter {
    /// A limiter keeping at most `capacity` buckets (at least 1).
    pub fn new(capacity: usize) -> Self {
        RateLimiter {
            capacity: capacity.max(1),
            buckets: HashMap::new(),
        }
    }

    /// Takes one call of `class` for `ikey` at `now`, or 42901 with `retry_after` seconds.
    pub fn check(
        &mut self,
        ikey: &str,
        class: RateClass,
        now: OffsetDateTime,
    ) -> Result<(), DuoError> {
        let now_ms = now.unix_timestamp_nanos() / 1_000_000;
        let full = u64::from(class.per_minute()) * TOKEN;
        let key = (ikey.to_string(), class);
        if !self.buckets.contains_key(&key) && self.buckets.len() >= self.capacity {
            self.forget_full(now_ms);
            if self.buckets.len() >= self.capacity {
                return Err(DuoError::too_many_requests(60));
            }
        }
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            units: full,
            updated_ms: now_ms,
        });
        // Refill: per_minute tokens per 60 000 ms is per_minute units per ms. A clock that went back
        // refills nothing.
        let elapsed = u64::try_from((now_ms - bucket.updated_ms).max(0)).unwrap_or(u64::MAX);
        let refill = elapsed.saturating_mul(u64::from(class.per_minute()));
        bucket.units = bucket.units.saturating_add(refill).min(full);
        bucket.updated_ms = bucket.updated_ms.max(now_ms);
        if bucket.units >= TOKEN {
            bucket.units -= TOKEN;
            return Ok(());
        }
        let missing = TOKEN - bucket.units;
        let wait_ms = missing.div_ceil(u64::from(class.per_minute()));
        Err(DuoError::too_many_requests(wait_ms.div_ceil(1000)))
    }

    /// How many buckets are kept now.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Drops the buckets that would be full by `now_ms`: they are indistinguishable from new ones.
    fn forget_full(&mut self, now_ms: i128) {
        self.buckets.retain(|(_, class), b| {
            let full = u64::from(class.per_minute()) * TOKEN;
            let elapsed = u64::try_from((now_ms - b.updated_ms).max(0)).unwrap_or(u64::MAX);
            b.units
                .saturating_add(elapsed.saturating_mul(u64::from(class.per_minute())))
                < full
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use time::Duration;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn the_documented_allowances() {
        assert_eq!(RateClass::ModifyObject.per_minute(), 300);
        assert_eq!(RateClass::GetObject.per_minute(), 300);
        assert_eq!(RateClass::GetPage.per_minute(), 200);
        assert_eq!(RateClass::GetAll.per_minute(), 40);
        assert_eq!(RateClass::Logs.per_minute(), 2);
    }

    #[test]
    fn a_minutes_allowance_then_429_with_retry_after() {
        let mut limiter = RateLimiter::default();
        for i in 0..200 {
            assert_eq!(
                limiter.check("DI1", RateClass::GetPage, t0()),
                Ok(()),
                "call {i}"
            );
        }
        let refused = limiter.check("DI1", RateClass::GetPage, t0());
        assert_eq!(
            refused.as_ref().map_err(|e| e.code),
            Err(Code::TooManyRequests)
        );
        assert_eq!(
            refused.err().and_then(|e| e.retry_after),
            Some(1),
            "one token is back in 300 ms"
        );
        assert_eq!(
            limiter.check(
                "DI1",
                RateClass::GetPage,
                t0() + Duration::milliseconds(300)
            ),
            Ok(())
        );
        assert_eq!(
            limiter.check("DI2", RateClass::GetPage, t0()),
            Ok(()),
            "per application"
        );
        assert_eq!(
            limiter.check("DI1", RateClass::GetObject, t0()),
            Ok(()),
            "per class"
        );
    }

    #[test]
    fn logs_allow_two_a_minute() {
        let mut limiter = RateLimiter::default();
        assert_eq!(limiter.check("DI1", RateClass::Logs, t0()), Ok(()));
        assert_eq!(limiter.check("DI1", RateClass::Logs, t0()), Ok(()));
        let third = limiter.check("DI1", RateClass::Logs, t0() + Duration::seconds(10));
        assert_eq!(third.err().and_then(|e| e.retry_after), Some(20));
        assert_eq!(
            limiter.check("DI1", RateClass::Logs, t0() + Duration::seconds(30)),
            Ok(())
        );
    }

    #[test]
    fn a_clock_going_back_refills_nothing() {
        let mut limiter = RateLimiter::default();
        assert_eq!(limiter.check("DI1", RateClass::Logs, t0()), Ok(()));
        assert_eq!(limiter.check("DI1", RateClass::Logs, t0()), Ok(()));
        let earlier = t0() - Duration::minutes(5);
        assert!(limiter.check("DI1", RateClass::Logs, earlier).is_err());
    }

    #[test]
    fn memory_is_bounded_and_full_buckets_are_forgotten() {
        let mut limiter = RateLimiter::new(2);
        assert_eq!(limiter.check("DI1", RateClass::GetAll, t0()), Ok(()));
        assert_eq!(limiter.check("DI2", RateClass::GetAll, t0()), Ok(()));
        let third = limiter.check("DI3", RateClass::GetAll, t0());
        assert_eq!(third.map_err(|e| e.code), Err(Code::TooManyRequests));
        assert_eq!(limiter.len(), 2);
        let later = t0() + Duration::minutes(2);
        assert_eq!(limiter.check("DI3", RateClass::GetAll, later), Ok(()));
        assert_eq!(limiter.len(), 1, "the refilled buckets were dropped");
    }
}
