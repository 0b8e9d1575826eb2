//! The 网号 (network number): a keyed pseudorandom *permutation* of the ID number, rendered as
//! letters and digits with a check character (specs/issuer.md §2).
//!
//! The 17-digit body of a GB 11643 ID number (the 18th character is a function of it) is an
//! integer `n < 10^17`. A 10-round Feistel network on 58 bits with HMAC-SHA256 round functions,
//! restricted to `[0, 10^17)` by cycle walking, maps it to `c < 10^17`; `c` is written as 12
//! Crockford base-32 characters followed by one ISO 7064 MOD 37-36 check character. Because the
//! map is a permutation, two people never share a 网号 and one person always gets the same one
//! (re-enrolment); without the key the 网号 reveals nothing about the ID number.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Crockford base-32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters of the payload.
pub const PAYLOAD_LEN: usize = 12;
/// Total length of a 网号.
pub const NETID_LEN: usize = PAYLOAD_LEN + 1;
const DOMAIN: u64 = 100_000_000_000_000_000; // 10^17
const HALF_BITS: u32 = 29;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
const ROUNDS: u8 = 10;

/// The secret key of the 网号 permutation.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct NetidKey([u8; 32]);

impl core::fmt::Debug for NetidKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("NetidKey(<redacted>)")
    }
}

impl NetidKey {
    /// Wraps 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> NetidKey {
        NetidKey(bytes)
    }

    fn round(&self, i: u8, half: u64) -> u64 {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable_hmac());
        mac.update(b"netid/v1/netid-number/feistel");
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

    /// The permutation of `[0, 10^17)` (cycle walking over the 58-bit Feistel network).
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

    /// The inverse permutation (issuer-side support tooling and tests).
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

    /// The 网号 of an ID number's 17-digit body (`None` if it is not 17 ASCII digits).
    pub fn netid_number(&self, body17: &str) -> Option<String> {
        if body17.len() != 17 || !body17.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = body17.parse().ok()?;
        Some(render(self.permute(n)?))
    }
}

#[cold]
fn unreachable_hmac() -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot happen.
    <Hmac<Sha256> as Mac>::new_from_slice(&[0u8; 32]).unwrap_or_else(|_| unreachable_hmac())
}

/// Renders `c < 10^17` as 12 base-32 characters and a check character.
fn render(mut c: u64) -> String {
    let mut out = [b'0'; NETID_LEN];
    for i in (0..PAYLOAD_LEN).rev() {
        out[i] = ALPHABET[(c % 32) as usize];
        c /= 32;
    }
    out[PAYLOAD_LEN] = check_char(&out[..PAYLOAD_LEN]);
    out.iter().map(|&b| b as char).collect()
}

/// ISO 7064 MOD 37-36 over the characters' values in `0-9A-Z` (`0..36`): the check character
/// makes the whole string verify; it detects every single-character error and every adjacent
/// transposition.
fn check_char(payload: &[u8]) -> u8 {
    let mut p: u32 = 36;
    for &ch in payload {
        let v = value36(ch).unwrap_or(0);
        let mut s = (p + v) % 36;
        if s == 0 {
            s = 36;
        }
        p = (2 * s) % 37;
    }
    let check = (37 - p) % 36;
    digit36(check)
}

fn value36(ch: u8) -> Option<u32> {
    match ch {
        b'0'..=b'9' => Some(u32::from(ch - b'0')),
        b'A'..=b'Z' => Some(u32::from(ch - b'A') + 10),
        _ => None,
    }
}

fn digit36(v: u32) -> u8 {
    if v < 10 {
        b'0' + v as u8
    } else {
        b'A' + (v - 10) as u8
    }
}

/// Checks the shape and check character of a 网号 typed by a person (case-insensitive; `-` and
/// spaces ignored) and returns its canonical form.
pub fn parse_netid_number(s: &str) -> Option<String> {
    let canon: String = s
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let b = canon.as_bytes();
    if b.len() != NETID_LEN || !b[..PAYLOAD_LEN].iter().all(|c| ALPHABET.contains(c)) {
        return None;
    }
    (check_char(&b[..PAYLOAD_LEN]) == b[PAYLOAD_LEN]).then_some(canon)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn key() -> NetidKey {
        NetidKey::new([7u8; 32])
    }

    #[test]
    fn shape_and_determinism() {
        let k = key();
        let a = k.netid_number("11010519491231002").unwrap();
        assert_eq!(a.len(), NETID_LEN);
        assert_eq!(a, k.netid_number("11010519491231002").unwrap());
        assert_eq!(parse_netid_number(&a), Some(a.clone()));
        assert_eq!(parse_netid_number(&a.to_lowercase()), Some(a.clone()));
        assert_ne!(
            a,
            NetidKey::new([8u8; 32])
                .netid_number("11010519491231002")
                .unwrap()
        );
        assert!(k.netid_number("1101051949123100").is_none());
        assert!(k.netid_number("1101051949123100X").is_none());
    }

    #[test]
    fn check_character_catches_single_errors_and_transpositions() {
        let a = key().netid_number("44030419900101123").unwrap();
        let b = a.as_bytes();
        for i in 0..NETID_LEN {
            for &c in ALPHABET.iter() {
                if c != b[i] {
                    let mut m = b.to_vec();
                    m[i] = c;
                    assert!(parse_netid_number(std::str::from_utf8(&m).unwrap()).is_none());
                }
            }
        }
        for i in 0..NETID_LEN - 1 {
            if b[i] != b[i + 1] {
                let mut m = b.to_vec();
                m.swap(i, i + 1);
                assert!(parse_netid_number(std::str::from_utf8(&m).unwrap()).is_none());
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
        }

        #[test]
        fn distinct_ids_distinct_numbers(a in 0u64..DOMAIN, b in 0u64..DOMAIN) {
            prop_assume!(a != b);
            let k = key();
            prop_assert_ne!(k.permute(a), k.permute(b));
        }
    }
}
