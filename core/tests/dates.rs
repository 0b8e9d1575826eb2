//! Date arithmetic against chrono as an oracle, and the 29 February rules.
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Months, NaiveDate};
use netid_core::{
    age_cutoff, age_on, check_not_expired, days_in_month, is_leap_year, is_not_expired, CoreError,
    Date,
};
use proptest::prelude::*;

fn d(y: u16, m: u8, day: u8) -> Date {
    Date::from_ymd(y, m, day).unwrap()
}

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()
}

fn to_chrono(date: Date) -> NaiveDate {
    let (y, m, day) = date.ymd();
    NaiveDate::from_ymd_opt(y.into(), m.into(), day.into()).unwrap()
}

fn from_chrono(n: NaiveDate) -> Option<Date> {
    if n < base() {
        return None;
    }
    Date::from_days(u32::try_from((n - base()).num_days()).ok()?).ok()
}

fn any_date() -> impl Strategy<Value = Date> {
    (0..=Date::MAX.days()).prop_map(|n| Date::from_days(n).unwrap())
}

/// `(earlier, later)`, often within a few days of a whole number of years apart.
fn ordered_dates() -> impl Strategy<Value = (Date, Date)> {
    prop_oneof![
        (any_date(), any_date()).prop_map(|(a, b)| if a <= b { (a, b) } else { (b, a) }),
        (any_date(), 0u32..=120, 0u32..=3, any::<bool>()).prop_filter_map(
            "out of range",
            |(birth, years, days, forward)| {
                let t = birth.checked_add_years(years)?;
                let t = if forward {
                    t.checked_add_days(days)
                } else {
                    t.checked_sub_days(days)
                }?;
                (birth <= t).then_some((birth, t))
            }
        ),
    ]
}

proptest! {
    #[test]
    fn days_to_ymd_matches_chrono(n in 0..=Date::MAX.days()) {
        let date = Date::from_days(n).unwrap();
        let c = base() + chrono::Days::new(n.into());
        prop_assert_eq!(date.ymd(), (c.year() as u16, c.month() as u8, c.day() as u8));
        prop_assert_eq!(date.year(), c.year() as u16);
        prop_assert_eq!(date.month(), c.month() as u8);
        prop_assert_eq!(date.day(), c.day() as u8);
    }

    #[test]
    fn ymd_to_days_matches_chrono(y in 1900u16..=9999, m in 1u8..=12, day in 1u8..=31) {
        let ours = Date::from_ymd(y, m, day);
        match NaiveDate::from_ymd_opt(y.into(), m.into(), day.into()) {
            Some(c) => {
                let ours = ours.unwrap();
                prop_assert_eq!(i64::from(ours.days()), (c - base()).num_days());
                prop_assert_eq!(ours.ymd(), (y, m, day));
            }
            None => prop_assert!(matches!(ours, Err(CoreError::InvalidDate(_)))),
        }
    }

    #[test]
    fn iso_string_round_trip(date in any_date()) {
        let s = date.to_string();
        prop_assert_eq!(&s, &to_chrono(date).format("%Y-%m-%d").to_string());
        prop_assert_eq!(s.parse::<Date>().unwrap(), date);
        let json = serde_json::to_string(&date).unwrap();
        prop_assert_eq!(&json, &format!("\"{s}\""));
        prop_assert_eq!(serde_json::from_str::<Date>(&json).unwrap(), date);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,12}") {
        let _ = s.parse::<Date>();
    }

    #[test]
    fn parse_agrees_with_chrono(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
        let ours = s.parse::<Date>().ok();
        let theirs = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok().and_then(from_chrono);
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn age_cutoff_matches_chrono(today in any_date(), years in 0u32..=300) {
        let expected = to_chrono(today)
            .checked_sub_months(Months::new(12 * years))
            .and_then(from_chrono);
        match expected {
            Some(e) => prop_assert_eq!(age_cutoff(today, years).unwrap(), e),
            None => prop_assert_eq!(
                age_cutoff(today, years),
                Err(CoreError::AgeCutoffOutOfRange { years })
            ),
        }
    }

    #[test]
    fn add_years_matches_chrono(date in any_date(), years in 0u32..=300) {
        let expected = to_chrono(date)
            .checked_add_months(Months::new(12 * years))
            .and_then(from_chrono);
        prop_assert_eq!(date.checked_add_years(years), expected);
    }

    #[test]
    fn age_on_agrees_with_cutoff((birth, today) in ordered_dates(), years in 0u32..=150) {
        let age = age_on(birth, today).unwrap();
        match age_cutoff(today, years) {
            Ok(cutoff) => prop_assert_eq!(age >= years, birth <= cutoff),
            // No supported birthdate is old enough.
            Err(_) => prop_assert!(age < years),
        }
    }

    #[test]
    fn age_on_matches_chrono_years_since((birth, today) in ordered_dates()) {
        let expected = to_chrono(today).years_since(to_chrono(birth)).unwrap();
        prop_assert_eq!(age_on(birth, today).unwrap(), expected);
    }

    #[test]
    fn add_sub_days_match_chrono(date in any_date(), n in 0u32..=4_000_000) {
        let add = to_chrono(date).checked_add_days(chrono::Days::new(n.into())).and_then(from_chrono);
        prop_assert_eq!(date.checked_add_days(n), add);
        let sub = to_chrono(date).checked_sub_days(chrono::Days::new(n.into())).and_then(from_chrono);
        prop_assert_eq!(date.checked_sub_days(n), sub);
        if let Some(later) = date.checked_add_days(n) {
            prop_assert_eq!(later.days_since(date), Some(n));
        }
    }

    #[test]
    fn unix_seconds_match_chrono(secs in -2_208_988_800i64..=253_402_300_799, offset in -50_400i32..=50_400) {
        let expected = chrono::DateTime::from_timestamp(secs + i64::from(offset), 0)
            .map(|t| t.date_naive())
            .and_then(from_chrono);
        prop_assert_eq!(Date::from_unix_seconds(secs, offset).ok(), expected);
    }

    #[test]
    fn leap_years_match_chrono(y in 1900u16..=9999) {
        prop_assert_eq!(is_leap_year(y), NaiveDate::from_ymd_opt(y.into(), 2, 29).is_some());
        for m in 1..=12u8 {
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(i32::from(y) + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y.into(), u32::from(m) + 1, 1)
            }
            .unwrap();
            let first = NaiveDate::from_ymd_opt(y.into(), m.into(), 1).unwrap();
            prop_assert_eq!(i64::from(days_in_month(y, m)), (next - first).num_days());
        }
    }
}

#[test]
fn range_limits() {
    assert_eq!(Date::MIN, d(1900, 1, 1));
    assert_eq!(Date::MIN.days(), 0);
    assert_eq!(d(1900, 1, 2).days(), 1);
    assert_eq!(d(1900, 3, 1).days(), 59); // 1900 is not a leap year
    assert_eq!(d(1970, 1, 1), Date::UNIX_EPOCH);
    assert_eq!(Date::UNIX_EPOCH.days(), 25_567);
    assert_eq!(d(2000, 1, 1).days(), 36_524);
    assert_eq!(Date::MAX, d(9999, 12, 31));
    assert_eq!(Date::MAX.days(), 2_958_463);
    assert_eq!(
        Date::from_days(Date::MAX.days() + 1),
        Err(CoreError::DateOutOfRange)
    );
    assert_eq!(Date::MAX.checked_add_days(1), None);
    assert_eq!(Date::MIN.checked_sub_days(1), None);
    assert_eq!(Date::MAX.checked_add_years(1), None);
}

#[test]
fn bad_dates() {
    assert!(matches!(
        Date::from_ymd(2023, 2, 29),
        Err(CoreError::InvalidDate(_))
    ));
    assert!(matches!(
        Date::from_ymd(1900, 2, 29),
        Err(CoreError::InvalidDate(_))
    ));
    assert!(matches!(
        Date::from_ymd(2024, 4, 31),
        Err(CoreError::InvalidDate(_))
    ));
    assert!(matches!(
        Date::from_ymd(2024, 13, 1),
        Err(CoreError::InvalidDate(_))
    ));
    assert!(matches!(
        Date::from_ymd(2024, 0, 1),
        Err(CoreError::InvalidDate(_))
    ));
    assert!(matches!(
        Date::from_ymd(2024, 1, 0),
        Err(CoreError::InvalidDate(_))
    ));
    assert_eq!(Date::from_ymd(1899, 12, 31), Err(CoreError::DateOutOfRange));
    assert_eq!(Date::from_ymd(10000, 1, 1), Err(CoreError::DateOutOfRange));
    assert!(Date::from_ymd(2000, 2, 29).is_ok());
    for s in [
        "2023-02-29",
        "1899-12-31",
        "2024-1-01",
        "2024-01-1",
        "24-01-01",
        "2024/01/01",
        "2024-01-01T00:00:00",
        " 2024-01-01",
        "+2024-01-01",
        "２０２４-01-01",
        "",
        "2024-00-10",
        "2024-12-32",
    ] {
        assert!(s.parse::<Date>().is_err(), "{s:?} parsed");
    }
    assert!(serde_json::from_str::<Date>("\"2023-02-29\"").is_err());
    assert!(serde_json::from_str::<Date>("45000").is_err());
}

#[test]
fn feb_29_birthday() {
    let born = d(2008, 2, 29);
    // 2026 is a common year: 18 on 1 March, not on 28 February.
    assert_eq!(age_cutoff(d(2026, 2, 28), 18).unwrap(), d(2008, 2, 28));
    assert!(born > age_cutoff(d(2026, 2, 28), 18).unwrap());
    assert_eq!(age_cutoff(d(2026, 3, 1), 18).unwrap(), d(2008, 3, 1));
    assert!(born <= age_cutoff(d(2026, 3, 1), 18).unwrap());
    assert_eq!(age_on(born, d(2026, 2, 28)), Some(17));
    assert_eq!(age_on(born, d(2026, 3, 1)), Some(18));
    // 2032 is a leap year: 24 on 29 February itself.
    assert_eq!(age_cutoff(d(2032, 2, 29), 24).unwrap(), born);
    assert_eq!(age_on(born, d(2032, 2, 28)), Some(23));
    assert_eq!(age_on(born, d(2032, 2, 29)), Some(24));
    // Today 29 February 2028, cutoff 18 years earlier (2010 is common): 28 February 2010.
    assert_eq!(age_cutoff(d(2028, 2, 29), 18).unwrap(), d(2010, 2, 28));
    assert!(d(2010, 2, 28) <= age_cutoff(d(2028, 2, 29), 18).unwrap());
    assert!(d(2010, 3, 1) > age_cutoff(d(2028, 2, 29), 18).unwrap());
    // 4 years back from a leap day lands on a leap day; 100 years back on 1928 (leap).
    assert_eq!(age_cutoff(d(2028, 2, 29), 4).unwrap(), d(2024, 2, 29));
    assert_eq!(age_cutoff(d(2000, 2, 29), 100).unwrap(), d(1900, 2, 28));
    // Adding years to a leap day.
    assert_eq!(born.checked_add_years(1), Some(d(2009, 2, 28)));
    assert_eq!(born.checked_add_years(4), Some(d(2012, 2, 29)));
}

#[test]
fn cutoff_edges() {
    assert_eq!(age_cutoff(d(2026, 3, 1), 0).unwrap(), d(2026, 3, 1));
    assert_eq!(age_cutoff(d(2026, 3, 1), 126).unwrap(), d(1900, 3, 1));
    assert_eq!(
        age_cutoff(d(2026, 3, 1), 127),
        Err(CoreError::AgeCutoffOutOfRange { years: 127 })
    );
    assert_eq!(age_cutoff(Date::MIN, 0).unwrap(), Date::MIN);
    assert!(age_cutoff(Date::MIN, 1).is_err());
    assert!(age_cutoff(d(2026, 3, 1), u32::MAX).is_err());
    // Born on the cutoff is old enough; the day after is not.
    let today = d(2026, 5, 17);
    let cutoff = age_cutoff(today, 18).unwrap();
    assert_eq!(age_on(cutoff, today), Some(18));
    assert_eq!(age_on(cutoff.checked_add_days(1).unwrap(), today), Some(17));
    assert_eq!(age_on(today.checked_add_days(1).unwrap(), today), None);
}

#[test]
fn expiry() {
    let today = d(2026, 3, 1);
    assert!(is_not_expired(today, today));
    assert!(is_not_expired(d(2026, 3, 2), today));
    assert!(!is_not_expired(d(2026, 2, 28), today));
    assert_eq!(check_not_expired(today, today), Ok(()));
    assert_eq!(
        check_not_expired(d(2026, 2, 28), today),
        Err(CoreError::Expired)
    );
}

#[test]
fn unix_seconds() {
    assert_eq!(Date::from_unix_seconds(0, 0).unwrap(), Date::UNIX_EPOCH);
    // 2026-02-28T16:00:00Z is 2026-03-01 00:00 in China Standard Time.
    let t = 1_772_294_400;
    assert_eq!(Date::from_unix_seconds(t, 0).unwrap(), d(2026, 2, 28));
    assert_eq!(Date::from_unix_seconds(t, 8 * 3600).unwrap(), d(2026, 3, 1));
    assert_eq!(
        Date::from_unix_seconds(-2_208_988_801, 0),
        Err(CoreError::DateOutOfRange)
    );
    assert_eq!(
        Date::from_unix_seconds(i64::MAX, 1),
        Err(CoreError::DateOutOfRange)
    );
}

#[test]
fn display_and_debug() {
    assert_eq!(d(1900, 1, 1).to_string(), "1900-01-01");
    assert_eq!(format!("{:?}", d(2008, 2, 29)), "Date(2008-02-29)");
}
