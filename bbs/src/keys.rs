//! Key generation (draft §3.4: KeyGen, SkToPk) and the key types.
//!
//! The secret key is a scalar `0 < SK < r`, kept in a zeroizing newtype with a redacted `Debug`
//! and constant-time equality. The public key `W = SK · BP2` is a G2 point, validated (canonical,
//! on curve, in the subgroup, not the identity) whenever it is decoded.

use bls12_381::{G2Affine, G2Projective, Scalar};
use ff::Field;
use rand_core::CryptoRng;
use std::sync::Arc;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::blst_backend::G2Prep;
use crate::codec::{decode_g2, decode_scalar};
use crate::error::{BbsError, Result};
use crate::suite::{scalar_to_be, Ciphersuite, G2_POINT_LEN};

/// A BBS secret key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(Scalar);

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl ConstantTimeEq for SecretKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl SecretKey {
    /// `KeyGen(key_material, key_info, key_dst)` (draft §3.4.1). `key_dst` defaults to
    /// `api_id || "KEYGEN_DST_"` of the IETF interface (the value the draft's fixtures use).
    pub fn keygen(
        suite: Ciphersuite,
        key_material: &[u8],
        key_info: &[u8],
        key_dst: Option<&[u8]>,
    ) -> Result<SecretKey> {
        if key_material.len() < 32 {
            return Err(BbsError::KeyMaterial(
                "key material must be at least 32 bytes",
            ));
        }
        let info_len = u16::try_from(key_info.len())
            .map_err(|_| BbsError::KeyMaterial("key info must be at most 65535 bytes"))?;
        let default_dst;
        let dst = match key_dst {
            Some(d) => d,
            None => {
                default_dst = [suite.api_id().as_slice(), b"KEYGEN_DST_"].concat();
                &default_dst
            }
        };
        let sk = suite.hash_to_scalar(&[key_material, &info_len.to_be_bytes(), key_info], dst);
        if bool::from(sk.is_zero()) {
            return Err(BbsError::Degenerate("secret key is zero"));
        }
        Ok(SecretKey(sk))
    }

    /// A fresh key from 32 bytes of the given cryptographic RNG (through KeyGen).
    pub fn generate<R: CryptoRng + ?Sized>(suite: Ciphersuite, rng: &mut R) -> Result<SecretKey> {
        let mut material = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(material.as_mut());
        Self::keygen(suite, material.as_ref(), b"", None)
    }

    /// Decodes 32 big-endian bytes; rejects non-canonical values and zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretKey> {
        let s = decode_scalar(bytes, "secret key")?;
        if bool::from(s.is_zero()) {
            return Err(BbsError::InvalidScalar("secret key"));
        }
        Ok(SecretKey(s))
    }

    /// 32 big-endian bytes, zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(scalar_to_be(&self.0))
    }

    /// `SkToPk` (draft §3.4.2).
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(G2Affine::from(G2Projective::generator() * self.0))
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}

/// A BBS public key: a validated G2 point, with its encoding and the prepared form the pairing
/// needs (computed once).
#[derive(Clone)]
pub struct PublicKey {
    w: G2Affine,
    bytes: [u8; G2_POINT_LEN],
    prepared: Arc<G2Prep>,
}

impl core::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.bytes))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}

impl PublicKey {
    fn from_point(w: G2Affine) -> PublicKey {
        PublicKey {
            bytes: w.to_compressed(),
            prepared: Arc::new(G2Prep::new(&w)),
            w,
        }
    }

    /// `octets_to_pubkey` (draft §6.4.6): 96 bytes, canonical, in the subgroup, not the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey> {
        Ok(Self::from_point(decode_g2(bytes, "public key")?))
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; G2_POINT_LEN] {
        self.bytes
    }

    /// The point `W`.
    pub fn point(&self) -> &G2Affine {
        &self.w
    }

    pub(crate) fn prepared(&self) -> &G2Prep {
        &self.prepared
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let sk = SecretKey::keygen(Ciphersuite::Sha256, &[7u8; 32], b"", None).unwrap();
        let s = format!("{sk:?}");
        assert_eq!(s, "SecretKey(<redacted>)");
        assert!(!s.contains(&hex::encode(sk.to_bytes().as_ref())));
    }

    #[test]
    fn keygen_input_limits() {
        let s = Ciphersuite::Shake256;
        assert!(SecretKey::keygen(s, &[1u8; 31], b"", None).is_err());
        assert!(SecretKey::keygen(s, &[1u8; 32], &vec![0u8; 65536], None).is_err());
        assert!(SecretKey::keygen(s, &[1u8; 32], &vec![0u8; 65535], None).is_ok());
    }

    #[test]
    fn secret_key_bytes_round_trip_and_reject_zero() {
        let sk = SecretKey::keygen(Ciphersuite::Sha256, &[9u8; 40], b"i", None).unwrap();
        let back = SecretKey::from_bytes(sk.to_bytes().as_ref()).unwrap();
        assert!(bool::from(back.ct_eq(&sk)));
        assert!(SecretKey::from_bytes(&[0u8; 32]).is_err());
        assert_eq!(
            PublicKey::from_bytes(&sk.public_key().to_bytes()).unwrap(),
            sk.public_key()
        );
        let mut id = [0u8; 96];
        id[0] = 0xc0;
        assert!(PublicKey::from_bytes(&id).is_err());
    }
}
