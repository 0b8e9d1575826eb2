//! The 网号 (network number): a keyed pseudorandom *permutation* of the ID number, rendered as
//! letters and digits with a check character (specs/issuer.md §4).
//!
//! # Construction
//!
//! The 17-digit body of a GB 11643 ID number (the 18th character is a function of it) is an
//! integer `n < 10^17`. A balanced Feistel network on 58 bits (two 29-bit halves, 10 rounds,
//! round function `F_i(x) = HMAC-SHA256(K, "netid/v1/netid" ‖ u8(i) ‖ u64_be(x))` truncated to 29
//! bits) is a permutation `E` of `[0, 2^58)`. Restricted to `[0, 10^17)` by *cycle walking*
//! (`c = E(n)`; while `c ≥ 10^17`, `c = E(c)`) it is a permutation of `[0, 10^17)`: the walk stays
//! on the cycle of `E` through `n`, which returns to `n < 10^17`, so it terminates, and the
//! inverse walk with `E⁻¹` recovers `n`, so the map is one-to-one. Since `2^58 / 10^17 ≈ 2.9`,
//! the walk takes 2.9 steps on average.
//!
//! `c` is written as 12 Crockford base-32 characters (`0-9A-Z` without `I L O U`; `32^12 = 2^60 >
//! 10^17`) followed by one check character from the same alphabet.
//!
//! # Check character
//!
//! With the characters' values `v_0 … v_11` in `GF(32) = GF(2)[x]/(x^5 + x^2 + 1)` and `α = x`,
//! the check value is `v_12 = Σ_{i<12} α^(12−i) v_i`, so that `Σ_{i≤12} α^(12−i) v_i = 0`
//! (Horner: `acc = α·acc + v`, then `v_12 = α·acc`). This is Damm's algorithm with the totally
//! anti-symmetric quasigroup `a ∗ b = α·a + b`, i.e. one parity symbol of a linear code: a change
//! `δ ≠ 0` of one character changes the sum by `α^k δ ≠ 0`; swapping neighbours `u ≠ w` by
//! `α^k (α + 1)(u + w) ≠ 0`; swapping characters two apart by `α^k (α + 1)^2 (u + w) ≠ 0`. So
//! every single-character error, every adjacent transposition and every jump transposition is
//! detected, and the check character never is one of the confusable `I L O U`. (The first draft
//! used ISO 7064 MOD 37-36 over `0-9A-Z`: it misses about 0.15 % of adjacent transpositions,
//! e.g. `FG` ↔ `GF`, and its check character can be `I`, `L`, `O` or `U`.)
//!
//! # Properties
//!
//! * One-to-one: two people never share a 网号, one person always gets the same one
//!   (re-enrolment), with no database coordination.
//! * Without the key the 网号 reveals nothing about the ID number (a PRP is a PRF up to the
//!   birthday bound; 10 rounds of a PRF give a strong PRP, Luby–Rackoff/Patarin).
//! * *With* the key it can be inverted ([`NetidKey::unpermute`]): the key is as sensitive as the
//!   register of ID numbers itself. (A non-invertible PRF would not help much: plausible ID
//!   numbers number about 10^11 and can be enumerated by anyone holding the key.)
//! * Not constant time: the number of cycle-walking steps depends on the input. The issuer
//!   computes 网号s only on enrolment, so this leaks at most ~1.5 bits per enrolment timing.

use core::fmt;
use std::str::FromStr;

use hmac::Mac;
use netid_core::{dst, SecretKeyBytes};

use crate::id_number::IdNumber;
use crate::keys::hmac_sha256;
use crate::IssuerError;

/// Crockford base-32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of the payload.
pub const PAYLOAD_LEN: usize = 12;
/// Total length of a 网号.
pub const NETID_LEN: usize = PAYLOAD_LEN + 1;
/// Size of the domain: ID bodies are below 10^17.
pub const DOMAIN: u64 = 100_000_000_000_000_000;
const HALF_BITS: u32 = 29;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
const ROUNDS: u8 = 10;

/// The secret key of the 网号 permutation (zeroized on drop, redacted `Debug`).
#[derive(Clone)]
pub struct NetidKey(SecretKeyBytes);

impl fmt::Debug for NetidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NetidKey(<redacted>)")
    }
}

impl NetidKey {
    /// Wraps 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> NetidKey {
        NetidKey(SecretKeyBytes::new(bytes))
    }

    /// Wraps a secret key.
    pub fn from_secret(key: SecretKeyBytes) -> NetidKey {
        NetidKey(key)
    }

    pub(crate) fn secret(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }

    fn round(&self, i: u8, half: u64) -> u64 {
        let mut mac = hmac_sha256(self.secret());
        mac.update(dst::NETID);
        mac.update(&[i]);
        mac.update(&half.to_be_bytes());
        let out = mac.finalize().into_bytes();
        let mut w = [0u8; 8];
        w.copy_from_slice(&out[..8]);
        u64::from_be_bytes(w) & HALF_MASK
    }

    fn feistel(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x >> HALF_BITS, x & HALF_MASK);
        for i in 0..ROUNDS {
            let t = l ^ self.round(i, r);
            l = r;
            r = t;
        }
        (l << HALF_BITS) | r
    }

    fn feistel_inv(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x >> HALF_BITS, x & HALF_MASK);
        for i in (0..ROUNDS).rev() {
            let t = r ^ self.round(i, l);
            r = l;
            l = t;
        }
        (l << HALF_BITS) | r
    }

    /// The permutation of `[0, 10^17)`; `None` for `n ≥ 10^17`.
    pub fn permute(&self, n: u64) -> Option<u64> {
        if n >= DOMAIN {
            return None;
        }
        let mut c = self.feistel(n);
        while c >= DOMAIN {
            c = self.feistel(c);
        }
        Some(c)
    }

    /// The inverse permutation (key-rotation tooling and tests); `None` for `c ≥ 10^17`.
    pub fn unpermute(&self, c: u64) -> Option<u64> {
        if c >= DOMAIN {
            return None;
        }
        let mut n = self.feistel_inv(c);
        while n >= DOMAIN {
            n = self.feistel_inv(n);
        }
        Some(n)
    }

    /// The 网号 of an ID number.
    pub fn netid_number(&self, id: &IdNumber) -> NetidNumber {
        // body_value() < 10^17 by construction, so permute never returns None.
        let c = self.permute(id.body_value()).unwrap_or(0);
        NetidNumber::from_value(c)
    }

    /// The 17-digit ID body behind a 网号 (support tooling: re-keying `id_hash`).
    pub fn id_body_of(&self, netid: &NetidNumber) -> Option<u64> {
        self.unpermute(netid.value())
    }
}

/// A 网号: 12 Crockford base-32 characters and a check character, canonical upper case.
///
/// Identifying: `Debug` is redacted and there is no `Display`; use [`NetidNumber::as_str`] or
/// [`NetidNumber::grouped`] where it is meant to be shown. Serde writes the canonical string and
/// checks shape and check character when reading.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NetidNumber(String);

impl fmt::Debug for NetidNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NetidNumber(<redacted>)")
    }
}

impl NetidNumber {
    /// Renders `c < 10^17` (the permuted ID body).
    fn from_value(mut c: u64) -> NetidNumber {
        let mut out = [b'0'; NETID_LEN];
        for slot in out[..PAYLOAD_LEN].iter_mut().rev() {
            *slot = ALPHABET[(c % 32) as usize];
            c /= 32;
        }
        out[PAYLOAD_LEN] = check_char(&out[..PAYLOAD_LEN]);
        NetidNumber(out.iter().map(|&b| char::from(b)).collect())
    }

    /// Parses a 网号 typed by a person: case-insensitive; `-` and spaces ignored; the Crockford
    /// aliases `I`/`L` (→ `1`) and `O` (→ `0`) are accepted.
    ///
    /// # Errors
    /// [`IssuerError::InvalidNetidNumber`] naming the problem (length, character, range, check
    /// character).
    pub fn parse(s: &str) -> Result<NetidNumber, IssuerError> {
        let mut out = Vec::with_capacity(NETID_LEN);
        for ch in s.chars().filter(|c| *c != '-' && *c != ' ') {
            if out.len() == NETID_LEN {
                return Err(IssuerError::InvalidNetidNumber("a 网号 has 13 characters"));
            }
            if !ch.is_ascii_alphanumeric() {
                return Err(IssuerError::InvalidNetidNumber(
                    "a 网号 has only letters and digits",
                ));
            }
            let b = match ch.to_ascii_uppercase() as u8 {
                b'I' | b'L' => b'1',
                b'O' => b'0',
                b'U' => {
                    return Err(IssuerError::InvalidNetidNumber(
                        "a 网号 has only letters and digits (no U)",
                    ))
                }
                b => b,
            };
            out.push(b);
        }
        if out.len() != NETID_LEN {
            return Err(IssuerError::InvalidNetidNumber("a 网号 has 13 characters"));
        }
        let value = payload_value(&out[..PAYLOAD_LEN]);
        if value >= DOMAIN {
            return Err(IssuerError::InvalidNetidNumber("out of range"));
        }
        if check_char(&out[..PAYLOAD_LEN]) != out[PAYLOAD_LEN] {
            return Err(IssuerError::InvalidNetidNumber(
                "the check character does not match (a character was mistyped)",
            ));
        }
        Ok(NetidNumber(out.iter().map(|&b| char::from(b)).collect()))
    }

    /// The canonical 13 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Groups of four for display: `7Q2K X9M4 ABCD 5`.
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(NETID_LEN + 3);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// The permuted value `c < 10^17` the payload encodes.
    pub fn value(&self) -> u64 {
        payload_value(&self.0.as_bytes()[..PAYLOAD_LEN.min(self.0.len())])
    }
}

impl FromStr for NetidNumber {
    type Err = IssuerError;

    fn from_str(s: &str) -> Result<NetidNumber, IssuerError> {
        NetidNumber::parse(s)
    }
}

impl serde::Serialize for NetidNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for NetidNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<NetidNumber, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        NetidNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn payload_value(payload: &[u8]) -> u64 {
    payload.iter().fold(0u64, |acc, ch| {
        let v = ALPHABET.iter().position(|a| a == ch).unwrap_or(0) as u64;
        acc.saturating_mul(32).saturating_add(v)
    })
}

/// `x^5 + x^2 + 1`, the reduction polynomial of GF(32).
const GF32_POLY: u8 = 0b10_0101;

/// Multiplication by `α = x` in GF(32).
fn mul_alpha(v: u8) -> u8 {
    let y = v << 1;
    if y & 0x20 != 0 {
        y ^ GF32_POLY
    } else {
        y
    }
}

/// The check character of a payload of Crockford characters (see the module documentation).
fn check_char(payload: &[u8]) -> u8 {
    let acc = payload.iter().fold(0u8, |acc, ch| {
        let v = ALPHABET.iter().position(|a| a == ch).unwrap_or(0) as u8;
        mul_alpha(acc) ^ v
    });
    ALPHABET[usize::from(mul_alpha(acc) & 31)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use netid_core::Date;
    use proptest::prelude::*;

    fn key() -> NetidKey {
        NetidKey::new([7u8; 32])
    }

    fn id(s: &str) -> IdNumber {
        IdNumber::parse(s, Date::from_ymd(2026, 1, 1).unwrap()).unwrap()
    }

    #[test]
    fn shape_and_determinism() {
        let k = key();
        let a = k.netid_number(&id("11010519491231002X"));
        assert_eq!(a.as_str().len(), NETID_LEN);
        assert_eq!(a, k.netid_number(&id("11010519491231002x")));
        assert_eq!(NetidNumber::parse(a.as_str()).unwrap(), a);
        assert_eq!(NetidNumber::parse(&a.as_str().to_lowercase()).unwrap(), a);
        assert_eq!(NetidNumber::parse(&a.grouped()).unwrap(), a);
        assert_eq!(a.grouped().len(), NETID_LEN + 3);
        assert_eq!(format!("{a:?}"), "NetidNumber(<redacted>)");
        assert_eq!(k.id_body_of(&a), Some(11_010_519_491_231_002));
        assert_ne!(
            a,
            NetidNumber::new_for_test(&NetidKey::new([8u8; 32]), "11010519491231002X")
        );
        // The permuted value is below 10^17 < 2^57: the first character is 0, 1 or 2.
        assert!(matches!(a.as_str().as_bytes()[0], b'0' | b'1' | b'2'));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<NetidNumber>(&json).unwrap(), a);
        assert!(serde_json::from_str::<NetidNumber>("\"0000000000001\"").is_err());
    }

    /// The refresh proof of possession signs `canonical_netid`: it must read every spelling
    /// exactly as this parser does, so that one 网号 has one signed message.
    #[test]
    fn the_signed_canonical_form_is_the_parsed_one() {
        let a = key().netid_number(&id("11010519491231002X"));
        let s = a.as_str();
        let mut variants = vec![
            s.to_owned(),
            s.to_lowercase(),
            a.grouped(),
            a.grouped().replace(' ', "-").to_lowercase(),
            format!(" {} ", a.grouped()),
        ];
        // Crockford reading: 1 may be typed I or L, 0 may be typed O.
        variants.push(s.replace('1', "I").replace('0', "o"));
        variants.push(s.replace('1', "l"));
        for v in variants {
            assert_eq!(NetidNumber::parse(&v).unwrap(), a, "{v}");
            assert_eq!(netid_core::issuer_api::canonical_netid(&v), s, "{v}");
            assert_eq!(
                netid_core::issuer_api::refresh_pop_message(&v, 1, &[0; 32], &[0; 32], &[]),
                netid_core::issuer_api::refresh_pop_message(s, 1, &[0; 32], &[0; 32], &[]),
            );
        }
    }

    impl NetidNumber {
        fn new_for_test(k: &NetidKey, s: &str) -> NetidNumber {
            k.netid_number(&id(s))
        }
    }

    #[test]
    fn parse_rejects_bad_shapes() {
        let a = key().netid_number(&id("11010519491231002X"));
        let s = a.as_str();
        assert!(NetidNumber::parse(&s[..12]).is_err());
        assert!(NetidNumber::parse(&format!("{s}0")).is_err());
        assert!(NetidNumber::parse(&format!("{}U{}", &s[..5], &s[6..])).is_err());
        assert!(NetidNumber::parse(&format!("{}*{}", &s[..5], &s[6..])).is_err());
        // Payload above 10^17: out of range even with a matching check character.
        let big = b"ZZZZZZZZZZZZ";
        let mut t = big.to_vec();
        t.push(check_char(big));
        let e = NetidNumber::parse(std::str::from_utf8(&t).unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "invalid 网号: out of range");
        // Crockford aliases in the payload.
        let zero = NetidNumber::from_value(0);
        let typed = format!("oooo-oooo-oooo-{}", &zero.as_str()[12..]).to_lowercase();
        assert_eq!(NetidNumber::parse(&typed).unwrap(), zero);
        let one = NetidNumber::from_value(1);
        let typed = format!("00000000000L{}", &one.as_str()[12..]);
        assert_eq!(NetidNumber::parse(&typed).unwrap(), one);
    }

    #[test]
    fn check_character_catches_single_errors_and_transpositions() {
        let a = key().netid_number(&id("11010519491231002X"));
        let b = a.as_str().as_bytes();
        let all36 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for i in 0..NETID_LEN {
            for &c in all36.iter() {
                if c != b[i] {
                    let mut m = b.to_vec();
                    m[i] = c;
                    let m = std::str::from_utf8(&m).unwrap();
                    // Crockford aliases of the same digit are the same 网号, not an error.
                    let same = matches!((c, b[i]), (b'I' | b'L', b'1') | (b'O', b'0'));
                    assert_eq!(NetidNumber::parse(m).is_ok(), same, "{i} {}", c as char);
                }
            }
        }
    }

    #[test]
    fn every_transposition_of_sample_numbers_is_detected() {
        // 67886154827972096 renders as 1W9E34FV0FG0…: MOD 37-36 missed the FG/GF swap.
        for c in [
            67_886_154_827_972_096,
            0,
            1,
            DOMAIN - 1,
            12_345_678_901_234_567,
        ] {
            let a = NetidNumber::from_value(c);
            let b = a.as_str().as_bytes();
            for i in 0..NETID_LEN {
                for j in i + 1..(i + 3).min(NETID_LEN) {
                    if b[i] != b[j] {
                        let mut m = b.to_vec();
                        m.swap(i, j);
                        assert!(NetidNumber::parse(std::str::from_utf8(&m).unwrap()).is_err());
                    }
                }
            }
        }
    }

    proptest! {
        #[test]
        fn permutation_round_trips_and_stays_in_domain(n in 0u64..DOMAIN) {
            let k = key();
            let c = k.permute(n).unwrap();
            prop_assert!(c < DOMAIN);
            prop_assert_eq!(k.unpermute(c), Some(n));
            let rendered = NetidNumber::from_value(c);
            prop_assert_eq!(rendered.value(), c);
            prop_assert_eq!(NetidNumber::parse(rendered.as_str()).unwrap(), rendered);
        }

        #[test]
        fn distinct_ids_distinct_numbers(a in 0u64..DOMAIN, b in 0u64..DOMAIN) {
            prop_assume!(a != b);
            let k = key();
            prop_assert_ne!(k.permute(a), k.permute(b));
        }

        #[test]
        fn transpositions_are_detected(
            c in 0u64..DOMAIN, i in 0usize..NETID_LEN - 1, jump in 1usize..3,
        ) {
            let a = NetidNumber::from_value(c);
            let mut m = a.as_str().as_bytes().to_vec();
            let j = (i + jump).min(NETID_LEN - 1);
            prop_assume!(m[i] != m[j]);
            m.swap(i, j);
            prop_assert!(NetidNumber::parse(std::str::from_utf8(&m).unwrap()).is_err());
        }
    }

    #[test]
    fn out_of_domain_is_none() {
        assert_eq!(key().permute(DOMAIN), None);
        assert_eq!(key().unpermute(u64::MAX), None);
    }
}
