//! Secret newtypes: zeroized on drop, redacted `Debug`, constant-time equality.
//!
//! None of these types derives `Debug` or `PartialEq`: `Debug` prints `Name(<redacted>)` and
//! equality goes through [`subtle::ConstantTimeEq`]. Access to the secret is explicit
//! (`expose_secret`).

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CoreError, EncodedAttribute};

/// `N` secret bytes (keys, PRF outputs, seeds).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes<const N: usize>([u8; N]);

/// A 32-byte secret key.
pub type SecretKeyBytes = SecretBytes<32>;

impl<const N: usize> SecretBytes<N> {
    /// Wraps secret bytes. The caller should zeroize its own copy.
    pub const fn new(bytes: [u8; N]) -> SecretBytes<N> {
        SecretBytes(bytes)
    }

    /// Copies secret bytes from a slice.
    ///
    /// # Errors
    /// [`CoreError::InvalidLength`] if `bytes.len() != N`.
    pub fn from_slice(bytes: &[u8]) -> Result<SecretBytes<N>, CoreError> {
        <[u8; N]>::try_from(bytes)
            .map(SecretBytes)
            .map_err(|_| CoreError::InvalidLength {
                what: "secret bytes",
                expected: N,
                actual: bytes.len(),
            })
    }

    /// The secret bytes.
    pub const fn expose_secret(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>(<redacted>)")
    }
}

impl<const N: usize> ConstantTimeEq for SecretBytes<N> {
    fn ct_eq(&self, other: &SecretBytes<N>) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl<const N: usize> PartialEq for SecretBytes<N> {
    /// Constant time.
    fn eq(&self, other: &SecretBytes<N>) -> bool {
        self.ct_eq(other).into()
    }
}

impl<const N: usize> Eq for SecretBytes<N> {}

/// The per-person pseudonym secret `nym`: an integer strictly below 2^248 (32 big-endian bytes,
/// first byte zero), derived by the issuer with a PRF under a key kept apart from its database.
///
/// Never disclosed. Serde (for wallet storage and issuance only) writes the 32 bytes as
/// base64url.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Nym([u8; 32]);

impl Nym {
    /// Parses the 32 big-endian bytes of a nym.
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] if the value is ≥ 2^248.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Result<Nym, CoreError> {
        if bytes[0] != 0 {
            return Err(CoreError::EncodingOutOfRange { what: "nym" });
        }
        Ok(Nym(*bytes))
    }

    /// A nym from a 32-byte PRF output, truncated to 248 bits (`0x00 ‖ prf[0..31]`).
    pub fn from_prf_output(prf: &[u8; 32]) -> Nym {
        let mut b = [0u8; 32];
        b[1..].copy_from_slice(&prf[..31]);
        Nym(b)
    }

    /// The 32 big-endian bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }

    /// The attribute encoding (the integer itself). Secret: zeroize it after use.
    pub fn encode(&self) -> EncodedAttribute {
        // Invariant: self.0[0] == 0, so the value is below 2^248.
        EncodedAttribute::from_be_bytes_unchecked(self.0)
    }
}

impl fmt::Debug for Nym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nym(<redacted>)")
    }
}

impl ConstantTimeEq for Nym {
    fn ct_eq(&self, other: &Nym) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for Nym {
    /// Constant time.
    fn eq(&self, other: &Nym) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Nym {}

impl serde::Serialize for Nym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::b64::array::serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for Nym {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Nym, D::Error> {
        let mut b: [u8; 32] = crate::b64::array::deserialize(d)?;
        let r = Nym::from_be_bytes(&b).map_err(serde::de::Error::custom);
        b.zeroize();
        r
    }
}

/// The wallet passphrase (口令). It encrypts the wallet at rest and never leaves the device;
/// deliberately not serializable.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(passphrase: String) -> Passphrase {
        Passphrase(passphrase)
    }

    /// The passphrase.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the passphrase is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Passphrase {
    fn from(s: String) -> Passphrase {
        Passphrase(s)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

impl ConstantTimeEq for Passphrase {
    /// Constant time in the contents; the lengths are not secret-independent.
    fn ct_eq(&self, other: &Passphrase) -> Choice {
        self.0.as_bytes().ct_eq(other.0.as_bytes())
    }
}

impl PartialEq for Passphrase {
    /// Constant time in the contents (see [`ConstantTimeEq`]).
    fn eq(&self, other: &Passphrase) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Passphrase {}

/// The wallet's holder-binding secret `s` (specs/credential.md §2.3): an integer in
/// `[1, 2^248)` (32 big-endian bytes, first byte zero), created in the wallet and kept only in
/// its encrypted file. The issuer never sees it: it signs a Blind BBS commitment to it (BBS
/// suites) and [`HolderBinding`] `= Poseidon(s)` (Groth16 suite), and every presentation proves
/// knowledge of it.
///
/// Serde (the wallet's encrypted contents only) writes the 32 bytes as base64url.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct HolderSecret([u8; 32]);

impl HolderSecret {
    /// Parses the 32 big-endian bytes of a secret.
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] if the value is 0 or ≥ 2^248.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Result<HolderSecret, CoreError> {
        if bytes[0] != 0 || bytes.iter().all(|b| *b == 0) {
            return Err(CoreError::EncodingOutOfRange {
                what: "holder secret",
            });
        }
        Ok(HolderSecret(*bytes))
    }

    /// A secret from 32 uniformly random bytes, truncated to 248 bits (`0x00 ‖ random[0..31]`).
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] in the 2^-248 case that the result is 0.
    pub fn from_random(random: &[u8; 32]) -> Result<HolderSecret, CoreError> {
        let mut b = [0u8; 32];
        b[1..].copy_from_slice(&random[..31]);
        let s = HolderSecret::from_be_bytes(&b);
        b.zeroize();
        s
    }

    /// The 32 big-endian bytes.
    pub const fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for HolderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HolderSecret(<redacted>)")
    }
}

impl ConstantTimeEq for HolderSecret {
    fn ct_eq(&self, other: &HolderSecret) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for HolderSecret {
    /// Constant time.
    fn eq(&self, other: &HolderSecret) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for HolderSecret {}

impl serde::Serialize for HolderSecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::b64::array::serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for HolderSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HolderSecret, D::Error> {
        let mut b: [u8; 32] = crate::b64::array::deserialize(d)?;
        let r = HolderSecret::from_be_bytes(&b).map_err(serde::de::Error::custom);
        b.zeroize();
        r
    }
}

/// The BN254 scalar field order `r` (big-endian), the bound of a [`HolderBinding`].
pub const BN254_ORDER_BE: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58, 0x5d,
    0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
];

/// The credential attribute `binding`: `Poseidon(s)` of the wallet's [`HolderSecret`] over the
/// BN254 scalar field (circomlib's one-input Poseidon), as 32 canonical big-endian bytes
/// (`< r`). Not secret to the issuer (the wallet sends it at enrolment and refresh) but a stable
/// per-wallet value, so it is never disclosed to anyone; `Debug` is redacted.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolderBinding([u8; 32]);

impl HolderBinding {
    /// Parses a canonical big-endian BN254 field element.
    ///
    /// # Errors
    /// [`CoreError::EncodingOutOfRange`] if the value is ≥ `r`.
    pub fn from_be_bytes(bytes: &[u8; 32]) -> Result<HolderBinding, CoreError> {
        // Big-endian comparison: the first differing byte decides.
        let below = bytes
            .iter()
            .zip(BN254_ORDER_BE)
            .find(|(a, b)| **a != *b)
            .is_some_and(|(a, b)| *a < b);
        if !below {
            return Err(CoreError::EncodingOutOfRange {
                what: "holder binding",
            });
        }
        Ok(HolderBinding(*bytes))
    }

    /// The 32 big-endian bytes.
    pub const fn to_be_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// The attribute encoding: the field element as an integer (`< r_BN254 < 2^254`, so it is
    /// the same integer in both suites' fields).
    pub fn encode(&self) -> EncodedAttribute {
        EncodedAttribute::from_field_element_unchecked(self.0)
    }
}

impl fmt::Debug for HolderBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HolderBinding(<redacted>)")
    }
}

impl serde::Serialize for HolderBinding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::b64::array::serialize(&self.0, s)
    }
}

impl<'de> serde::Deserialize<'de> for HolderBinding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HolderBinding, D::Error> {
        let b: [u8; 32] = crate::b64::array::deserialize(d)?;
        HolderBinding::from_be_bytes(&b).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod binding_tests {
    use super::*;

    #[test]
    fn holder_secret_range_and_redaction() {
        let s = HolderSecret::from_random(&[0xab; 32]).unwrap();
        assert_eq!(s.expose_secret()[0], 0);
        assert_eq!(s.expose_secret()[1..], [0xab; 31]);
        assert_eq!(format!("{s:?}"), "HolderSecret(<redacted>)");
        assert!(HolderSecret::from_be_bytes(&[0; 32]).is_err());
        assert!(HolderSecret::from_random(&[0; 32]).is_err());
        let mut high = [0u8; 32];
        high[0] = 1;
        assert!(HolderSecret::from_be_bytes(&high).is_err());
        let json = serde_json::to_string(&s).unwrap();
        let back: HolderSecret = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn holder_binding_is_canonical_below_the_bn254_order() {
        let mut r_minus_1 = BN254_ORDER_BE;
        r_minus_1[31] -= 1;
        assert!(HolderBinding::from_be_bytes(&r_minus_1).is_ok());
        assert!(HolderBinding::from_be_bytes(&BN254_ORDER_BE).is_err());
        assert!(HolderBinding::from_be_bytes(&[0xff; 32]).is_err());
        let mut above = BN254_ORDER_BE;
        above[5] += 1;
        assert!(HolderBinding::from_be_bytes(&above).is_err());
        assert!(HolderBinding::from_be_bytes(&[0; 32]).is_ok());
        let b = HolderBinding::from_be_bytes(&r_minus_1).unwrap();
        assert_eq!(b.encode().to_be_bytes(), r_minus_1);
        assert_eq!(format!("{b:?}"), "HolderBinding(<redacted>)");
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<HolderBinding>(&json).unwrap(), b);
        let bad = serde_json::to_string(&crate::b64::encode(BN254_ORDER_BE)).unwrap();
        assert!(serde_json::from_str::<HolderBinding>(&bad).is_err());
    }
}
