//! GB 11643-1999 citizen identity numbers (公民身份号码), checked for real (specs/issuer.md §1).
//!
//! 18 characters: a 6-digit administrative region code, the birthdate `YYYYMMDD`, a 3-digit
//! sequence code (odd for men, even for women) and an ISO 7064 MOD 11-2 check character
//! (`0`–`9` or `X`; a lowercase `x` is accepted and normalised). We check: the length and
//! character set, that the region code's first two digits are a province-level code in use
//! (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82), that the birthdate is a real calendar
//! date not after `today` and not before 1900-01-01, that the sequence is not `000`, and the check
//! character. Errors name the rule that failed, never the number.

use core::fmt;

use netid_core::Date;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Why an ID number was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdNumberError {
    /// Not 18 characters.
    #[error("an ID number has 18 characters")]
    Length,
    /// A character other than digits (and a final X).
    #[error("an ID number has 17 digits and a final digit or X")]
    Characters,
    /// The region code is not a province-level code in use.
    #[error("the region code is not a valid province code")]
    Region,
    /// The embedded birthdate is not a real date.
    #[error("the embedded birthdate is not a real date")]
    BirthdateInvalid,
    /// The embedded birthdate lies in the future.
    #[error("the embedded birthdate is in the future")]
    BirthdateFuture,
    /// The sequence code is 000.
    #[error("the sequence code 000 is not issued")]
    Sequence,
    /// The check character does not match.
    #[error("the check character does not match (a digit was mistyped)")]
    Checksum,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The ISO 7064 MOD 11-2 check character of a 17-digit body.
pub fn check_character(body: &[u8; 17]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// A validated ID number (secret: zeroized on drop, redacted `Debug`, constant-time equality).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct IdNumber([u8; 18]);

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdNumber(<redacted>)")
    }
}

impl PartialEq for IdNumber {
    fn eq(&self, other: &IdNumber) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for IdNumber {}

impl IdNumber {
    /// Parses and validates `s` as of `today`.
    ///
    /// # Errors
    /// The first rule that fails, as an [`IdNumberError`].
    pub fn parse(s: &str, today: Date) -> Result<IdNumber, IdNumberError> {
        let b = s.trim().as_bytes();
        if b.len() != 18 {
            return Err(IdNumberError::Length);
        }
        let mut n = [0u8; 18];
        n.copy_from_slice(b);
        if n[17] == b'x' {
            n[17] = b'X';
        }
        if !n[..17].iter().all(u8::is_ascii_digit) || !(n[17].is_ascii_digit() || n[17] == b'X') {
            n.zeroize();
            return Err(IdNumberError::Characters);
        }
        let num = |r: core::ops::Range<usize>| {
            n[r].iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let province = num(0..2) as u8;
        let (y, m, d) = (num(6..10), num(10..12), num(12..14));
        let seq = num(14..17);
        let result = (|| {
            if !PROVINCES.contains(&province) {
                return Err(IdNumberError::Region);
            }
            let birth = Date::from_ymd(
                u16::try_from(y).map_err(|_| IdNumberError::BirthdateInvalid)?,
                u8::try_from(m).map_err(|_| IdNumberError::BirthdateInvalid)?,
                u8::try_from(d).map_err(|_| IdNumberError::BirthdateInvalid)?,
            )
            .map_err(|_| IdNumberError::BirthdateInvalid)?;
            if birth > today {
                return Err(IdNumberError::BirthdateFuture);
            }
            if seq == 0 {
                return Err(IdNumberError::Sequence);
            }
            let mut body = [0u8; 17];
            body.copy_from_slice(&n[..17]);
            let ok = check_character(&body) == n[17];
            body.zeroize();
            if !ok {
                return Err(IdNumberError::Checksum);
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(IdNumber(n)),
            Err(e) => {
                n.zeroize();
                Err(e)
            }
        }
    }

    /// The embedded birthdate.
    pub fn birthdate(&self) -> Date {
        let num = |r: core::ops::Range<usize>| {
            self.0[r]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        // Validated at parse time.
        Date::from_ymd(num(6..10) as u16, num(10..12) as u8, num(12..14) as u8).unwrap_or(Date::MIN)
    }

    /// Whether the sequence code is odd (registered male).
    pub fn sequence_is_odd(&self) -> bool {
        (self.0[16] - b'0') % 2 == 1
    }

    /// The 17-digit body (input of the 网号 permutation and the keyed ID hash).
    pub fn body(&self) -> &[u8] {
        &self.0[..17]
    }

    /// All 18 characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and X were admitted.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> Date {
        Date::from_ymd(2026, 11, 23).unwrap()
    }

    fn make(region: &str, ymd: &str, seq: &str) -> String {
        let body = format!("{region}{ymd}{seq}");
        let b: [u8; 17] = body.as_bytes().try_into().unwrap();
        format!("{body}{}", check_character(&b) as char)
    }

    #[test]
    fn standard_example_and_rules() {
        // The GB 11643-1999 annex example: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.birthdate(), Date::from_ymd(1949, 12, 31).unwrap());
        assert!(!id.sequence_is_odd());
        assert!(IdNumber::parse("11010519491231002x", today()).is_ok());
        assert_eq!(format!("{id:?}"), "IdNumber(<redacted>)");
        let e = |s: &str| IdNumber::parse(s, today()).unwrap_err();
        assert_eq!(e("1101051949123100"), IdNumberError::Length);
        assert_eq!(e("11010519491231002Y"), IdNumberError::Characters);
        assert_eq!(e("11010519491231002 1"), IdNumberError::Length);
        assert_eq!(e("110105194912310021"), IdNumberError::Checksum);
        assert_eq!(e(&make("990105", "19491231", "002")), IdNumberError::Region);
        assert_eq!(
            e(&make("110105", "20230229", "002")),
            IdNumberError::BirthdateInvalid
        );
        assert_eq!(
            e(&make("110105", "20270101", "002")),
            IdNumberError::BirthdateFuture
        );
        assert_eq!(
            e(&make("110105", "19491231", "000")),
            IdNumberError::Sequence
        );
        assert!(IdNumber::parse(&make("440305", "20240229", "011"), today()).is_ok());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn valid_numbers_parse_and_single_changes_are_caught(
            p in 0usize..34, rest in 0u32..10_000, days in 0u32..45_000, seq in 1u32..1000,
            pos in 0usize..18, delta in 1u8..10,
        ) {
            let birth = Date::from_days(days).unwrap();
            let (y, m, d) = birth.ymd();
            let s = make(&format!("{:02}{:04}", PROVINCES[p], rest),
                         &format!("{y:04}{m:02}{d:02}"), &format!("{seq:03}"));
            let id = IdNumber::parse(&s, today()).unwrap();
            prop_assert_eq!(id.birthdate(), birth);
            // Any single-digit change is rejected by some rule (mostly the checksum).
            let mut b = s.into_bytes();
            if pos < 17 {
                b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            } else {
                let cur = CHECK.iter().position(|c| *c == b[17]).unwrap();
                b[17] = CHECK[(cur + delta as usize) % 11];
            }
            prop_assert!(IdNumber::parse(std::str::from_utf8(&b).unwrap(), today()).is_err());
        }
    }
}
