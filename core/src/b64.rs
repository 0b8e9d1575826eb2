//! base64url (RFC 4648 §5, URL-safe alphabet, **no padding**) for every byte field in JSON.
//!
//! Decoding is strict: padding characters, characters outside the URL-safe alphabet, whitespace
//! and non-zero trailing bits are all rejected, so every byte string has exactly one textual
//! form. Use [`Bytes`] for variable-length fields, `#[serde(with = "netid_core::b64::array")]`
//! for `[u8; N]` fields, or the functions directly.

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serializer};

use crate::CoreError;

/// Encodes `bytes` as unpadded base64url.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes unpadded base64url. `what` names the field in the error.
///
/// # Errors
/// [`CoreError::InvalidBase64`] for anything but canonical unpadded base64url.
pub fn decode(s: &str, what: &'static str) -> Result<Vec<u8>, CoreError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| CoreError::InvalidBase64 { what })
}

/// Decodes unpadded base64url of exactly `N` bytes.
///
/// # Errors
/// [`CoreError::InvalidBase64`] or [`CoreError::InvalidLength`].
pub fn decode_array<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], CoreError> {
    let v = decode(s, what)?;
    <[u8; N]>::try_from(v.as_slice()).map_err(|_| CoreError::InvalidLength {
        what,
        expected: N,
        actual: v.len(),
    })
}

/// serde `with` functions for variable-length byte vectors (`Vec<u8>`).
pub fn serialize<S: Serializer>(bytes: impl AsRef<[u8]>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&encode(bytes))
}

/// serde `with` functions for variable-length byte vectors (`Vec<u8>`).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let s = String::deserialize(d)?;
    decode(&s, "bytes").map_err(serde::de::Error::custom)
}

/// serde `with` module for fixed-size arrays `[u8; N]`.
pub mod array {
    use super::*;

    /// Serializes `[u8; N]` as unpadded base64url.
    pub fn serialize<S: Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    /// Deserializes unpadded base64url of exactly `N` bytes.
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        decode_array(&s, "bytes").map_err(serde::de::Error::custom)
    }
}

/// A variable-length public byte string that serializes as unpadded base64url.
///
/// `Debug` prints lowercase hex. Not for secrets.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Bytes(Vec<u8>);

impl Bytes {
    /// Wraps a byte vector.
    pub const fn new(bytes: Vec<u8>) -> Bytes {
        Bytes(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The byte vector.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        Bytes(v)
    }
}

impl From<&[u8]> for Bytes {
    fn from(v: &[u8]) -> Bytes {
        Bytes(v.to_vec())
    }
}

impl<const N: usize> From<[u8; N]> for Bytes {
    fn from(v: [u8; N]) -> Bytes {
        Bytes(v.to_vec())
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(b: Bytes) -> Vec<u8> {
        b.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl core::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytes({})", hex::encode(&self.0))
    }
}

impl serde::Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        deserialize(d).map(Bytes)
    }
}
