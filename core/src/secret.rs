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
