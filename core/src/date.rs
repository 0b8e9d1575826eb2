//! Calendar dates as days since 1900-01-01, and the age cutoff.
//!
//! # Representation
//!
//! A [`Date`] is a proleptic Gregorian calendar date in the range `1900-01-01..=9999-12-31`,
//! stored as the number of days since 1900-01-01 (day 0 = 1900-01-01, day 1 = 1900-01-02, …,
//! [`Date::MAX`] = 9999-12-31 = day 2 958 463). That integer is what the `birthdate` and
//! `expiry` attributes encode, so a range proof over dates is a range proof over integers below
//! 2^22. Dates carry no time zone: "today" is the verifier's civil date (for netid, China
//! Standard Time; [`Date::from_unix_seconds`] gives the UTC date of a timestamp and takes an
//! offset for other zones).
//!
//! # Notes: conversion
//!
//! Conversion uses Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms (400-year
//! eras of 146 097 days, years starting on 1 March so the leap day is the last day of the
//! year), shifted by 25 567 days (1900-01-01 is 25 567 days before 1970-01-01).
//!
//! # Notes: age cutoff
//!
//! A person born on `b` is at least `n` full years old on `today` iff `b <= age_cutoff(today, n)`,
//! where `age_cutoff(today, n)` is the same month and day `n` years earlier, except that
//! 29 February in a common year becomes 28 February. Consequently a person born on 29 February
//! turns `n` on 1 March in common years and on 29 February in leap years.

use core::fmt;
use core::str::FromStr;

use crate::CoreError;

/// Days from 0000-03-01 (proleptic) to 1970-01-01 in Hinnant's algorithm.
const UNIX_EPOCH_SHIFT: i64 = 719_468;
/// 1900-01-01 is this many days before 1970-01-01.
const DAYS_1900_TO_1970: i64 = 25_567;
/// Seconds per day.
const SECONDS_PER_DAY: i64 = 86_400;

/// Whether `year` is a Gregorian leap year.
pub const fn is_leap_year(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1..=12) of `year`; 0 for an invalid month.
pub const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid civil date (Hinnant's `days_from_civil`, years >= 1).
const fn days_from_civil(year: u16, month: u8, day: u8) -> i64 {
    let y = if month <= 2 {
        year as i64 - 1
    } else {
        year as i64
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - UNIX_EPOCH_SHIFT
}

/// Civil date of a day count since 1970-01-01 (Hinnant's `civil_from_days`), for the supported
/// range only.
const fn civil_from_days(z: i64) -> (u16, u8, u8) {
    let z = z + UNIX_EPOCH_SHIFT;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = if m <= 2 { y + 1 } else { y };
    (y as u16, m as u8, d as u8)
}

/// A calendar date in `1900-01-01..=9999-12-31`, stored as days since 1900-01-01.
///
/// Ordering is chronological. `Display`/`FromStr` and serde use ISO 8601 `YYYY-MM-DD`.
///
/// ```
/// use netid_core::Date;
/// let d = Date::from_ymd(2008, 2, 29)?;
/// assert_eq!(d.ymd(), (2008, 2, 29));
/// assert_eq!(d.to_string(), "2008-02-29");
/// assert_eq!("2008-02-29".parse::<Date>()?, d);
/// assert_eq!(Date::from_ymd(1900, 1, 1)?.days(), 0);
/// assert!(Date::from_ymd(2023, 2, 29).is_err());
/// # Ok::<(), netid_core::CoreError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(u32);

impl Date {
    /// 1900-01-01 (day 0), the earliest supported date.
    pub const MIN: Date = Date(0);
    /// 9999-12-31, the latest supported date.
    pub const MAX: Date = Date((days_from_civil(9999, 12, 31) + DAYS_1900_TO_1970) as u32);
    /// 1970-01-01.
    pub const UNIX_EPOCH: Date = Date(DAYS_1900_TO_1970 as u32);

    /// The date `days` days after 1900-01-01.
    ///
    /// # Errors
    /// [`CoreError::DateOutOfRange`] if the date would be after 9999-12-31.
    pub const fn from_days(days: u32) -> Result<Date, CoreError> {
        if days > Date::MAX.0 {
            Err(CoreError::DateOutOfRange)
        } else {
            Ok(Date(days))
        }
    }

    /// Days since 1900-01-01 (the attribute encoding).
    pub const fn days(self) -> u32 {
        self.0
    }

    /// The date with the given year, month (1..=12) and day (1..=31).
    ///
    /// # Errors
    /// [`CoreError::InvalidDate`] if the triple is not a calendar date (month 0 or 13,
    /// 31 April, 29 February in a common year, …); [`CoreError::DateOutOfRange`] if the year is
    /// outside 1900..=9999.
    pub const fn from_ymd(year: u16, month: u8, day: u8) -> Result<Date, CoreError> {
        if year < 1900 || year > 9999 {
            return Err(CoreError::DateOutOfRange);
        }
        if month < 1 || month > 12 {
            return Err(CoreError::InvalidDate("month out of range 1..=12"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(CoreError::InvalidDate("day out of range for the month"));
        }
        Ok(Date(
            (days_from_civil(year, month, day) + DAYS_1900_TO_1970) as u32,
        ))
    }

    /// `(year, month, day)`.
    pub const fn ymd(self) -> (u16, u8, u8) {
        civil_from_days(self.0 as i64 - DAYS_1900_TO_1970)
    }

    /// The year (1900..=9999).
    pub const fn year(self) -> u16 {
        self.ymd().0
    }

    /// The month (1..=12).
    pub const fn month(self) -> u8 {
        self.ymd().1
    }

    /// The day of the month (1..=31).
    pub const fn day(self) -> u8 {
        self.ymd().2
    }

    /// The civil date of a Unix timestamp in a time zone `utc_offset_seconds` east of UTC
    /// (China Standard Time: `8 * 3600`; UTC: 0).
    ///
    /// # Errors
    /// [`CoreError::DateOutOfRange`] if the date is outside the supported range.
    pub fn from_unix_seconds(
        unix_seconds: i64,
        utc_offset_seconds: i32,
    ) -> Result<Date, CoreError> {
        let local = unix_seconds
            .checked_add(i64::from(utc_offset_seconds))
            .ok_or(CoreError::DateOutOfRange)?;
        let days = local.div_euclid(SECONDS_PER_DAY) + DAYS_1900_TO_1970;
        let days = u32::try_from(days).map_err(|_| CoreError::DateOutOfRange)?;
        Date::from_days(days)
    }

    /// The date `n` days later, or `None` past 9999-12-31.
    pub const fn checked_add_days(self, n: u32) -> Option<Date> {
        match self.0.checked_add(n) {
            Some(d) if d <= Date::MAX.0 => Some(Date(d)),
            _ => None,
        }
    }

    /// The date `n` days earlier, or `None` before 1900-01-01.
    pub const fn checked_sub_days(self, n: u32) -> Option<Date> {
        match self.0.checked_sub(n) {
            Some(d) => Some(Date(d)),
            None => None,
        }
    }

    /// Days from `earlier` to `self`, or `None` if `earlier` is after `self`.
    pub const fn days_since(self, earlier: Date) -> Option<u32> {
        self.0.checked_sub(earlier.0)
    }

    /// The same month and day `years` years later, with 29 February becoming 28 February in a
    /// common year; `None` past 9999-12-31.
    pub fn checked_add_years(self, years: u32) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let y = u32::from(y).checked_add(years)?;
        let y = u16::try_from(y).ok().filter(|y| *y <= 9999)?;
        Date::from_ymd(y, m, d.min(days_in_month(y, m))).ok()
    }

    /// The same month and day `years` years earlier, with 29 February becoming 28 February in a
    /// common year; `None` before 1900-01-01.
    pub fn checked_sub_years(self, years: u32) -> Option<Date> {
        let (y, m, d) = self.ymd();
        let y = u32::from(y).checked_sub(years)?;
        let y = u16::try_from(y).ok().filter(|y| *y >= 1900)?;
        Date::from_ymd(y, m, d.min(days_in_month(y, m))).ok()
    }
}

/// The latest birthdate at which a person is at least `years` full years old on `today`.
///
/// That is `today` with the year decreased by `years`, where 29 February becomes 28 February
/// if the resulting year is a common year. "Age ≥ `years` on `today`" is exactly
/// `birthdate <= age_cutoff(today, years)`; see [`age_on`] for the same rule as an age.
///
/// ```
/// use netid_core::{age_cutoff, Date};
/// let born = Date::from_ymd(2008, 2, 29)?;
/// // 2026 is a common year: 18 on 1 March, not on 28 February.
/// assert!(born > age_cutoff(Date::from_ymd(2026, 2, 28)?, 18)?);
/// assert!(born <= age_cutoff(Date::from_ymd(2026, 3, 1)?, 18)?);
/// // Today 29 February 2028: the cutoff 18 years earlier is 28 February 2010.
/// assert_eq!(age_cutoff(Date::from_ymd(2028, 2, 29)?, 18)?, Date::from_ymd(2010, 2, 28)?);
/// # Ok::<(), netid_core::CoreError>(())
/// ```
///
/// # Errors
/// [`CoreError::AgeCutoffOutOfRange`] if the cutoff would be before 1900-01-01.
pub fn age_cutoff(today: Date, years: u32) -> Result<Date, CoreError> {
    today
        .checked_sub_years(years)
        .ok_or(CoreError::AgeCutoffOutOfRange { years })
}

/// The age in full years on `today` of a person born on `birthdate`, or `None` if `birthdate`
/// is after `today`.
///
/// A person born on 29 February has their birthday on 1 March in common years. For all
/// `birthdate <= today` and `n`, `age_on(birthdate, today) >= n` iff
/// `birthdate <= age_cutoff(today, n)`.
pub fn age_on(birthdate: Date, today: Date) -> Option<u32> {
    if birthdate > today {
        return None;
    }
    let (by, bm, bd) = birthdate.ymd();
    let (ty, tm, td) = today.ymd();
    let years = u32::from(ty - by);
    // (tm, td) < (bm, bd): the birthday has not come yet this year. For bd = 29 February in a
    // common year, (2, 28) < (2, 29) and (3, 1) > (2, 29): the birthday is 1 March.
    Some(if (tm, td) < (bm, bd) {
        years - 1
    } else {
        years
    })
}

/// Whether a credential with expiry date `expiry` is still valid on `today`: `expiry >= today`
/// (the expiry date is the last day of validity, inclusive).
pub const fn is_not_expired(expiry: Date, today: Date) -> bool {
    expiry.0 >= today.0
}

/// [`is_not_expired`] as a `Result`.
///
/// # Errors
/// [`CoreError::Expired`] if `expiry < today`.
pub const fn check_not_expired(expiry: Date, today: Date) -> Result<(), CoreError> {
    if is_not_expired(expiry, today) {
        Ok(())
    } else {
        Err(CoreError::Expired)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = CoreError;

    /// Parses exactly `YYYY-MM-DD` (ASCII digits, four-digit year, two-digit month and day).
    fn from_str(s: &str) -> Result<Date, CoreError> {
        let b = s.as_bytes();
        if b.len() != 10 {
            return Err(CoreError::MalformedDate("wrong length"));
        }
        if b[4] != b'-' || b[7] != b'-' {
            return Err(CoreError::MalformedDate("missing '-' separator"));
        }
        let num = |r: core::ops::Range<usize>| -> Result<u16, CoreError> {
            b[r].iter().try_fold(0u16, |acc, c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + u16::from(c - b'0'))
                } else {
                    Err(CoreError::MalformedDate("non-digit character"))
                }
            })
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        // m, d <= 99 here.
        Date::from_ymd(y, m as u8, d as u8)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO 8601 date YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(Date::MIN.ymd(), (1900, 1, 1));
        assert_eq!(Date::MAX.ymd(), (9999, 12, 31));
        assert_eq!(Date::MAX.days(), 2_958_463);
        assert!(Date::MAX.days() < 1 << 22);
        assert_eq!(Date::UNIX_EPOCH.ymd(), (1970, 1, 1));
    }
}
