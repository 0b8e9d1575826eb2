//! The device key: an Ed25519 key pair generated when the wallet is created, never leaving it.
//!
//! It authenticates enrolment and refresh (the issuer records
//! [`device_key_digest`](netid_core::device_key_digest) of the 32-byte public key with each
//! credential it issues); presentations are bound to the wallet's holder secret instead
//! (`Wallet::holder_secret`, specs/credential.md §2.3). The secret key is zeroized on drop, its `Debug` shows only the public key, and inside the encrypted
//! wallet it is written as hex through a stack buffer that is wiped afterwards.

use core::fmt;

use ed25519_dalek::{Signer, SigningKey};
use zeroize::{Zeroize, Zeroizing};

use crate::store::random_bytes;
use crate::WalletError;

/// The wallet's Ed25519 device key pair. Zeroized on drop; `Debug` shows the public key only.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`WalletError::Randomness`].
    pub(crate) fn generate() -> Result<DeviceKey, WalletError> {
        let seed = Zeroizing::new(random_bytes::<32>()?);
        Ok(DeviceKey(SigningKey::from_bytes(&seed)))
    }

    /// The 32-byte Ed25519 public key (sent to the issuer at enrolment).
    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// `device_key_digest(public_key)`: what the issuer records to recognise this device.
    pub fn digest(&self) -> [u8; 32] {
        netid_core::device_key_digest(&self.public_key())
    }

    /// An Ed25519 signature (RFC 8032) on `message`, 64 bytes.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("public_key", &hex::encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

fn hex_digit(v: u8) -> u8 {
    match v {
        0..=9 => b'0' + v,
        _ => b'a' + (v - 10),
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl serde::Serialize for DeviceKey {
    /// The 32-byte secret key as 64 lowercase hex digits.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut secret = Zeroizing::new(self.0.to_bytes());
        let mut buf = Zeroizing::new([0u8; 64]);
        for (i, b) in secret.iter().enumerate() {
            buf[2 * i] = hex_digit(b >> 4);
            buf[2 * i + 1] = hex_digit(b & 0x0f);
        }
        secret.zeroize();
        let text = core::str::from_utf8(&buf[..])
            .map_err(|_| serde::ser::Error::custom("device key encoding"))?;
        s.serialize_str(text)
    }
}

impl<'de> serde::Deserialize<'de> for DeviceKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DeviceKey, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = DeviceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 32-byte Ed25519 secret key as 64 lowercase hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DeviceKey, E> {
                let v = v.as_bytes();
                if v.len() != 64 {
                    return Err(E::custom("device key: wrong length"));
                }
                let mut secret = Zeroizing::new([0u8; 32]);
                for (i, pair) in v.chunks_exact(2).enumerate() {
                    match (hex_value(pair[0]), hex_value(pair[1])) {
                        (Some(h), Some(l)) => secret[i] = (h << 4) | l,
                        _ => return Err(E::custom("device key: not lowercase hex")),
                    }
                }
                Ok(DeviceKey(SigningKey::from_bytes(&secret)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    #[test]
    fn sign_verify_serde_and_debug() {
        let k = DeviceKey::generate().unwrap();
        let sig = k.sign(b"request hash");
        let vk = VerifyingKey::from_bytes(&k.public_key()).unwrap();
        vk.verify(b"request hash", &Signature::from_bytes(&sig))
            .unwrap();
        assert_eq!(k.digest(), netid_core::device_key_digest(&k.public_key()));

        let json = serde_json::to_string(&k).unwrap();
        let secret_hex = hex::encode(k.0.to_bytes());
        assert_eq!(json, format!("\"{secret_hex}\""));
        let back: DeviceKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back.public_key(), k.public_key());

        let dbg = format!("{k:?}");
        assert!(dbg.contains(&hex::encode(k.public_key())));
        assert!(!dbg.contains(&secret_hex));
        assert!(!dbg.contains(&format!("{:?}", k.0.to_bytes())));

        for bad in ["\"00\"", "\"zz\"", &json.to_uppercase(), "17"] {
            assert!(serde_json::from_str::<DeviceKey>(bad).is_err(), "{bad}");
        }
        assert_ne!(DeviceKey::generate().unwrap().public_key(), k.public_key());
    }
}
