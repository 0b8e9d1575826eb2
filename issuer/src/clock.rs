//! Time, injectable: a [`Clock`] gives Unix seconds; [`today`] turns them into the civil date in
//! China Standard Time (UTC+8), the date every issuer rule is evaluated on.
//!
//! Library functions take `now: i64` (Unix seconds) or `today: Date` explicitly; a service holds
//! a `Clock` ([`SystemClock`] in production, [`ManualClock`] in tests) and passes its readings, so
//! expiry and age rules are tested without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use netid_core::Date;

use crate::IssuerError;

/// UTC offset of China Standard Time in seconds.
pub const CST_OFFSET_SECONDS: i32 = 8 * 3600;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now_unix(&self) -> i64;

    /// Today's date in China Standard Time.
    ///
    /// # Errors
    /// [`IssuerError::Core`] if the clock is outside the supported date range.
    fn today(&self) -> Result<Date, IssuerError> {
        today(self.now_unix())
    }
}

/// The civil date (UTC+8) of a Unix time.
///
/// # Errors
/// [`IssuerError::Core`] outside 1900-01-01..=9999-12-31.
pub fn today(now_unix: i64) -> Result<Date, IssuerError> {
    Ok(Date::from_unix_seconds(now_unix, CST_OFFSET_SECONDS)?)
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// A clock that only moves when told to (tests, simulations).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `now_unix`.
    pub fn new(now_unix: i64) -> ManualClock {
        ManualClock(AtomicI64::new(now_unix))
    }

    /// Sets the time.
    pub fn set(&self, now_unix: i64) {
        self.0.store(now_unix, Ordering::SeqCst);
    }

    /// Moves the time forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cst_dates() {
        // 2026-01-01T16:00:00Z is already 2 January in Beijing.
        let c = ManualClock::new(1_767_283_200);
        assert_eq!(c.today().unwrap(), Date::from_ymd(2026, 1, 2).unwrap());
        c.advance(-1);
        assert_eq!(c.today().unwrap(), Date::from_ymd(2026, 1, 1).unwrap());
        assert!(SystemClock.now_unix() > 1_700_000_000);
    }
}
