//! GB 11643-1999 citizen identity numbers (公民身份号码), checked for real (specs/issuer.md §2).
//!
//! 18 characters: a 6-digit administrative region code (GB/T 2260), the birthdate `YYYYMMDD`, a
//! 3-digit sequence code (odd for men, even for women) and an ISO 7064 MOD 11-2 check character
//! (`0`–`9` or `X`). [`IdNumber::parse`] checks, in this order, and reports the first failure:
//!
//! 1. length 18 after trimming surrounding white space ([`IdNumberError::Length`]);
//! 2. 17 ASCII digits and a final digit or `X`; a lowercase `x` is accepted and normalised to `X`
//!    because phone keyboards and forms produce it ([`IdNumberError::Characters`]);
//! 3. the region code's first two digits are a province-level code: 11–15, 21–23, 31–37, 41–46,
//!    50–54, 61–65, 71 (Taiwan), 81 (Hong Kong), 82 (Macao), and 83, the code GB 11643-format
//!    residence permits of Taiwan residents carry ([`IdNumberError::Region`]); the remaining four
//!    digits are not checked against the (changing) list of counties;
//! 4. the birthdate is a real calendar date, not before 1900-01-01 and not after `today`
//!    ([`IdNumberError::BirthdateInvalid`], [`IdNumberError::BirthdateFuture`]);
//! 5. the sequence code is not `000` ([`IdNumberError::Sequence`]; codes run from 001);
//! 6. the check character ([`IdNumberError::Checksum`]): `Σ a_i·2^(17−i) + check ≡ 1 (mod 11)`.
//!    It catches every single-character change and every swap of two adjacent body digits.
//!
//! Errors name the rule that failed, never the number. [`IdNumber`] is a secret: zeroized on drop,
//! redacted `Debug`, constant-time equality, explicit [`IdNumber::expose_secret`].

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
    /// The embedded birthdate is not a real date (or is before 1900).
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

pub use netid_core::card::Sex;

/// Province-level codes accepted as the first two digits.
pub const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

pub use netid_core::card::id_number_check_character as check_character;

/// Decimal value of ASCII digits (callers pass validated digits, at most 4).
fn decimal(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |acc, d| {
        acc * 10 + u32::from(d.wrapping_sub(b'0') % 10)
    })
}

fn embedded_birthdate(n: &[u8; 18]) -> Result<Date, IdNumberError> {
    let (y, m, d) = (decimal(&n[6..10]), decimal(&n[10..12]), decimal(&n[12..14]));
    let y = u16::try_from(y).map_err(|_| IdNumberError::BirthdateInvalid)?;
    let m = u8::try_from(m).map_err(|_| IdNumberError::BirthdateInvalid)?;
    let d = u8::try_from(d).map_err(|_| IdNumberError::BirthdateInvalid)?;
    Date::from_ymd(y, m, d).map_err(|_| IdNumberError::BirthdateInvalid)
}

/// A validated ID number (secret: zeroized on drop, redacted `Debug`, constant-time equality).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct IdNumber([u8; 18]);

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdNumber(<redacted>)")
    }
}

impl ConstantTimeEq for IdNumber {
    fn ct_eq(&self, other: &IdNumber) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for IdNumber {
    /// Constant time.
    fn eq(&self, other: &IdNumber) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for IdNumber {}

impl IdNumber {
    /// Parses and validates `s` as of `today` (see the module documentation for the rules).
    ///
    /// # Errors
    /// The first rule that fails, as an [`IdNumberError`].
    pub fn parse(s: &str, today: Date) -> Result<IdNumber, IdNumberError> {
        let b = s.trim().as_bytes();
        let mut n: [u8; 18] = b.try_into().map_err(|_| IdNumberError::Length)?;
        let result = Self::check(&mut n, today);
        match result {
            Ok(()) => Ok(IdNumber(n)),
            Err(e) => {
                n.zeroize();
                Err(e)
            }
        }
    }

    fn check(n: &mut [u8; 18], today: Date) -> Result<(), IdNumberError> {
        if n[17] == b'x' {
            n[17] = b'X';
        }
        if !n[..17].iter().all(u8::is_ascii_digit) || !(n[17].is_ascii_digit() || n[17] == b'X') {
            return Err(IdNumberError::Characters);
        }
        let province = decimal(&n[0..2]);
        if !PROVINCES.iter().any(|p| u32::from(*p) == province) {
            return Err(IdNumberError::Region);
        }
        if embedded_birthdate(n)? > today {
            return Err(IdNumberError::BirthdateFuture);
        }
        if decimal(&n[14..17]) == 0 {
            return Err(IdNumberError::Sequence);
        }
        let mut body = [0u8; 17];
        body.copy_from_slice(&n[..17]);
        let ok = check_character(&body) == Some(n[17]);
        body.zeroize();
        if ok {
            Ok(())
        } else {
            Err(IdNumberError::Checksum)
        }
    }

    /// The embedded birthdate.
    pub fn birthdate(&self) -> Date {
        // Validated at parse time; the fallback is unreachable.
        embedded_birthdate(&self.0).unwrap_or(Date::MIN)
    }

    /// The registered sex (parity of the sequence code).
    pub fn sex(&self) -> Sex {
        if self.0[16].wrapping_sub(b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The province-level code (first two digits), e.g. 11 for Beijing, 81 for Hong Kong.
    pub fn province(&self) -> u8 {
        // Two validated digits: at most 99.
        u8::try_from(decimal(&self.0[0..2])).unwrap_or(0)
    }

    /// The 17-digit body (input of the 网号 permutation, the keyed ID hash and the nym PRF).
    pub fn body(&self) -> &[u8; 17] {
        self.0.first_chunk::<17>().unwrap_or(&[b'0'; 17])
    }

    /// The body as an integer below 10^17.
    pub fn body_value(&self) -> u64 {
        self.body().iter().fold(0u64, |acc, d| {
            acc * 10 + u64::from(d.wrapping_sub(b'0') % 10)
        })
    }

    /// All 18 characters (check character upper case). Secret: do not log.
    pub fn expose_secret(&self) -> &str {
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
        format!("{body}{}", check_character(&b).unwrap() as char)
    }

    #[test]
    fn standard_example_and_rules() {
        // The GB 11643-1999 annex example: 11010519491231002X.
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.birthdate(), Date::from_ymd(1949, 12, 31).unwrap());
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.province(), 11);
        assert_eq!(id.body(), b"11010519491231002");
        assert_eq!(id.body_value(), 11_010_519_491_231_002);
        let lower = IdNumber::parse(" 11010519491231002x\n", today()).unwrap();
        assert_eq!(lower, id);
        assert_eq!(lower.expose_secret(), "11010519491231002X");
        assert_eq!(format!("{id:?}"), "IdNumber(<redacted>)");
        let e = |s: &str| IdNumber::parse(s, today()).unwrap_err();
        assert_eq!(e(""), IdNumberError::Length);
        assert_eq!(e("1101051949123100"), IdNumberError::Length);
        assert_eq!(e("11010519491231002XX"), IdNumberError::Length);
        assert_eq!(e("11010519491231002Y"), IdNumberError::Characters);
        assert_eq!(e("1101051949123100X2"), IdNumberError::Characters);
        assert_eq!(e("11010519491231002 1"), IdNumberError::Length);
        assert_eq!(e("１101051949123100"), IdNumberError::Characters); // full-width 1: 3 bytes
        assert_eq!(e("110105194912310021"), IdNumberError::Checksum);
        assert_eq!(e(&make("990105", "19491231", "002")), IdNumberError::Region);
        assert_eq!(e(&make("000000", "19491231", "002")), IdNumberError::Region);
        assert_eq!(e(&make("160105", "19491231", "002")), IdNumberError::Region);
        assert_eq!(
            e(&make("110105", "20230229", "002")),
            IdNumberError::BirthdateInvalid
        );
        assert_eq!(
            e(&make("110105", "20231301", "002")),
            IdNumberError::BirthdateInvalid
        );
        assert_eq!(
            e(&make("110105", "18991231", "002")),
            IdNumberError::BirthdateInvalid
        );
        assert_eq!(
            e(&make("110105", "20261124", "002")),
            IdNumberError::BirthdateFuture
        );
        assert_eq!(
            e(&make("110105", "19491231", "000")),
            IdNumberError::Sequence
        );
        // Born today: fine. 29 February in a leap year: fine.
        assert!(IdNumber::parse(&make("110105", "20261123", "001"), today()).is_ok());
        let leap = IdNumber::parse(&make("440305", "20240229", "011"), today()).unwrap();
        assert_eq!(leap.sex(), Sex::Male);
        // Hong Kong, Macao and Taiwan residence permits.
        for r in ["810000", "820000", "830000"] {
            assert!(IdNumber::parse(&make(r, "19900101", "123"), today()).is_ok());
        }
        assert_eq!(check_character(b"1101051949123100a"), None);
    }

    #[test]
    fn error_messages_do_not_contain_the_number() {
        for s in ["110105194912310021", "99010519491231002X"] {
            let msg = IdNumber::parse(s, today()).unwrap_err().to_string();
            assert!(!msg.contains("1949") && !msg.contains("110105"), "{msg}");
        }
    }

    fn valid_number() -> impl Strategy<Value = (String, Date)> {
        (
            0usize..PROVINCES.len(),
            0u32..10_000,
            0u32..46_000,
            1u32..1000,
        )
            .prop_map(|(p, rest, days, seq)| {
                let birth = Date::from_days(days).unwrap();
                let (y, m, d) = birth.ymd();
                let s = make(
                    &format!("{:02}{rest:04}", PROVINCES[p]),
                    &format!("{y:04}{m:02}{d:02}"),
                    &format!("{seq:03}"),
                );
                (s, birth)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn generated_numbers_parse((s, birth) in valid_number()) {
            let id = IdNumber::parse(&s, today()).unwrap();
            prop_assert_eq!(id.birthdate(), birth);
            prop_assert_eq!(id.expose_secret(), s.as_str());
        }

        #[test]
        fn any_single_character_change_is_rejected(
            (s, _birth) in valid_number(), pos in 0usize..18, replacement in any::<char>(),
        ) {
            let mut chars: Vec<char> = s.chars().collect();
            prop_assume!(chars[pos] != replacement);
            prop_assume!(!(pos == 17 && chars[17] == 'X' && replacement == 'x'));
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(IdNumber::parse(&changed, today()).is_err());
        }

        #[test]
        fn any_single_digit_change_is_rejected(
            (s, _birth) in valid_number(), pos in 0usize..18, delta in 1u8..11,
        ) {
            let mut b = s.into_bytes();
            let alphabet = b"0123456789X";
            let cur = alphabet.iter().position(|c| *c == b[pos]).unwrap();
            let next = alphabet[(cur + usize::from(delta)) % 11];
            prop_assume!(pos == 17 || next != b'X');
            b[pos] = next;
            prop_assert!(IdNumber::parse(std::str::from_utf8(&b).unwrap(), today()).is_err());
        }

        #[test]
        fn adjacent_swaps_in_the_body_are_rejected((s, _birth) in valid_number(), pos in 0usize..16) {
            let mut b = s.into_bytes();
            prop_assume!(b[pos] != b[pos + 1]);
            b.swap(pos, pos + 1);
            prop_assert!(IdNumber::parse(std::str::from_utf8(&b).unwrap(), today()).is_err());
        }
    }
}
