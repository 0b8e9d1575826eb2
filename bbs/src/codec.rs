//! Canonical encodings of points and scalars, validated on every decode (draft §6.4, Appendix
//! "Point Encoding"; specs/bbs.md §3).

use bls12_381::{G1Affine, G2Affine, Scalar};
use ff::Field;

use crate::error::{BbsError, Result};
use crate::suite::{G2_POINT_LEN, POINT_LEN, SCALAR_LEN};

/// Decodes a compressed G1 point: canonical encoding, on the curve, in the prime-order subgroup,
/// and not the identity (checked by blst: `blst_backend`).
pub(crate) fn decode_g1(bytes: &[u8], what: &'static str) -> Result<G1Affine> {
    let arr: &[u8; POINT_LEN] = bytes.try_into().map_err(|_| BbsError::Length {
        what,
        expected: POINT_LEN,
        got: bytes.len(),
    })?;
    let p = crate::blst_backend::decode_g1(arr).ok_or(BbsError::InvalidPoint(what))?;
    if bool::from(p.is_identity()) {
        return Err(BbsError::IdentityPoint(what));
    }
    Ok(p)
}

/// Decodes a compressed G2 point with the same checks as [`decode_g1`].
pub(crate) fn decode_g2(bytes: &[u8], what: &'static str) -> Result<G2Affine> {
    let arr: &[u8; G2_POINT_LEN] = bytes.try_into().map_err(|_| BbsError::Length {
        what,
        expected: G2_POINT_LEN,
        got: bytes.len(),
    })?;
    let p = Option::<G2Affine>::from(G2Affine::from_compressed(arr))
        .ok_or(BbsError::InvalidPoint(what))?;
    if bool::from(p.is_identity()) {
        return Err(BbsError::IdentityPoint(what));
    }
    Ok(p)
}

/// Decodes a 32-byte big-endian scalar that must be canonical (`< r`), zero allowed.
pub(crate) fn decode_scalar(bytes: &[u8], what: &'static str) -> Result<Scalar> {
    let arr: &[u8; SCALAR_LEN] = bytes.try_into().map_err(|_| BbsError::Length {
        what,
        expected: SCALAR_LEN,
        got: bytes.len(),
    })?;
    let mut le = *arr;
    le.reverse();
    Option::<Scalar>::from(Scalar::from_bytes(&le)).ok_or(BbsError::InvalidScalar(what))
}

/// Decodes a canonical scalar in `1..r` (the draft rejects 0 in signatures and proofs).
pub(crate) fn decode_nonzero_scalar(bytes: &[u8], what: &'static str) -> Result<Scalar> {
    let s = decode_scalar(bytes, what)?;
    if bool::from(s.is_zero()) {
        return Err(BbsError::InvalidScalar(what));
    }
    Ok(s)
}

/// Decodes hex, naming the field on failure.
pub fn hex_field(s: &str, what: &str) -> Result<Vec<u8>> {
    hex::decode(s).map_err(|_| BbsError::Hex {
        what: what.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::suite::scalar_to_be;

    #[test]
    fn rejects_bad_points() {
        // identity
        let mut id = [0u8; 48];
        id[0] = 0xc0;
        assert_eq!(decode_g1(&id, "A"), Err(BbsError::IdentityPoint("A")));
        // wrong length
        assert!(matches!(
            decode_g1(&id[..47], "A"),
            Err(BbsError::Length { .. })
        ));
        // not compressed flag
        let g = G1Affine::generator().to_compressed();
        let mut u = g;
        u[0] &= 0x7f;
        assert_eq!(decode_g1(&u, "A"), Err(BbsError::InvalidPoint("A")));
        // x not on curve: flip low bit until invalid
        let mut bad = g;
        bad[47] ^= 1;
        let r = decode_g1(&bad, "A");
        assert!(r.is_err() || r.unwrap() != G1Affine::generator());
        // x >= p (non-canonical)
        let mut big = [0xffu8; 48];
        big[0] = 0x9f;
        assert_eq!(decode_g1(&big, "A"), Err(BbsError::InvalidPoint("A")));
        assert_eq!(decode_g1(&g, "A").unwrap(), G1Affine::generator());
    }

    #[test]
    fn rejects_non_canonical_scalars() {
        let minus_one = scalar_to_be(&-Scalar::one());
        assert_eq!(decode_scalar(&minus_one, "s").unwrap(), -Scalar::one());
        // r itself = (r - 1) + 1
        let mut r = minus_one;
        r[31] += 1;
        assert_eq!(decode_scalar(&r, "s"), Err(BbsError::InvalidScalar("s")));
        assert_eq!(
            decode_nonzero_scalar(&[0u8; 32], "s"),
            Err(BbsError::InvalidScalar("s"))
        );
        assert!(decode_scalar(&[0u8; 32], "s").is_ok());
    }
}
