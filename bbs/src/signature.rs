//! BBS signatures: CoreSign and CoreVerify (draft §3.6.1, §3.6.2) and the signature encoding
//! (§6.4.2, §6.4.3).
//!
//! Relation: `A = B · 1/(SK + e)` with `B = P1 + Q_1·domain + Σ H_i·msg_i`, checked as
//! `e(A, W) · e(A·e − B, BP2) = 1`.
//!
//! Signing is constant-time in the secret key and the messages; verification is variable-time
//! (all its inputs are public).
#![allow(non_snake_case)]

use bls12_381::{G1Affine, G1Projective, Scalar};
use zeroize::Zeroize;

use crate::blst_backend::{bp2, pairing_is_one, G2Prep};
use crate::codec::{decode_g1, decode_nonzero_scalar};
use crate::error::{BbsError, Result};
use crate::generators::Generators;
use crate::keys::{PublicKey, SecretKey};
use crate::msm::{msm_ct, msm_vartime};
use crate::suite::{scalar_to_be, POINT_LEN, SCALAR_LEN};

/// Length of an encoded signature: a compressed G1 point and a scalar.
pub const SIGNATURE_LEN: usize = POINT_LEN + SCALAR_LEN;

/// A BBS signature `(A, e)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    pub(crate) A: G1Affine,
    pub(crate) e: Scalar,
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Signature({})", hex::encode(self.to_bytes()))
    }
}

impl Signature {
    /// `signature_to_octets`: `A` compressed (48 bytes) then `e` big-endian (32 bytes).
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out[..POINT_LEN].copy_from_slice(&self.A.to_compressed());
        out[POINT_LEN..].copy_from_slice(&scalar_to_be(&self.e));
        out
    }

    /// `octets_to_signature`: exact length, `A` a valid non-identity subgroup point, `0 < e < r`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(BbsError::Length {
                what: "signature",
                expected: SIGNATURE_LEN,
                got: bytes.len(),
            });
        }
        Ok(Signature {
            A: decode_g1(&bytes[..POINT_LEN], "signature A")?,
            e: decode_nonzero_scalar(&bytes[POINT_LEN..], "signature e")?,
        })
    }
}

/// `-BP2`, prepared once for the pairing.
pub(crate) fn neg_bp2_prepared() -> &'static G2Prep {
    crate::blst_backend::neg_bp2()
}

/// `calculate_domain(PK, Q_1, (H_1..H_L), header, api_id)` (draft §6.3).
pub(crate) fn calculate_domain(
    pk: &PublicKey,
    gens: &Generators,
    header: &[u8],
    api_id: &[u8],
) -> Scalar {
    let pts = gens.points();
    let L = (pts.len().saturating_sub(1)) as u64;
    let mut buf = Vec::with_capacity(96 + 8 + POINT_LEN * pts.len() + api_id.len() + 8);
    buf.extend_from_slice(&pk.to_bytes());
    buf.extend_from_slice(&L.to_be_bytes());
    for p in pts {
        buf.extend_from_slice(&p.to_compressed());
    }
    buf.extend_from_slice(api_id);
    buf.extend_from_slice(&(header.len() as u64).to_be_bytes());
    let dst = [api_id, b"H2S_"].concat();
    gens.suite().hash_to_scalar(&[&buf, header], &dst)
}

/// `B = P1 + Q_1·domain + Σ H_i·msg_i` over all messages.
pub(crate) fn compute_B(
    gens: &Generators,
    domain: &Scalar,
    msgs: &[Scalar],
    ct: bool,
) -> G1Projective {
    let mut terms = Vec::with_capacity(msgs.len() + 1);
    terms.push((0, *domain));
    terms.extend(msgs.iter().enumerate().map(|(i, m)| (i + 1, *m)));
    gens.lincomb(&terms, ct).add_mixed(&gens.suite().p1())
}

fn check_generators(gens: &Generators, L: usize) -> Result<()> {
    if gens.len() != L + 1 {
        return Err(BbsError::TooLarge(
            "generator count does not match the messages",
        ));
    }
    Ok(())
}

/// `CoreSign` (draft §3.6.1) over message scalars.
pub fn core_sign(
    sk: &SecretKey,
    pk: &PublicKey,
    gens: &Generators,
    header: &[u8],
    msgs: &[Scalar],
    api_id: &[u8],
) -> Result<Signature> {
    check_generators(gens, msgs.len())?;
    let domain = calculate_domain(pk, gens, header, api_id);
    let mut ser = Vec::with_capacity(SCALAR_LEN * (msgs.len() + 2));
    ser.extend_from_slice(&scalar_to_be(sk.scalar()));
    for m in msgs {
        ser.extend_from_slice(&scalar_to_be(m));
    }
    ser.extend_from_slice(&scalar_to_be(&domain));
    let dst = [api_id, b"H2S_"].concat();
    let e = gens.suite().hash_to_scalar(&[&ser], &dst);
    ser.zeroize();
    let B = compute_B(gens, &domain, msgs, true);
    let inv = Option::<Scalar>::from((sk.scalar() + e).invert())
        .ok_or(BbsError::Degenerate("SK + e = 0"))?;
    let A = G1Affine::from(msm_ct(&[(B, inv)]));
    if bool::from(A.is_identity()) {
        return Err(BbsError::Degenerate("A is the identity"));
    }
    Ok(Signature { A, e })
}

/// `CoreVerify` (draft §3.6.2) over message scalars. `Err(InvalidSignature)` when it does not
/// verify.
pub fn core_verify(
    pk: &PublicKey,
    sig: &Signature,
    gens: &Generators,
    header: &[u8],
    msgs: &[Scalar],
    api_id: &[u8],
) -> Result<()> {
    check_generators(gens, msgs.len()).map_err(|_| BbsError::InvalidSignature)?;
    let domain = calculate_domain(pk, gens, header, api_id);
    let B = compute_B(gens, &domain, msgs, false);
    let lhs = msm_vartime(&[(G1Projective::from(sig.A), sig.e)]) - B;
    let lhs = G1Affine::from(lhs);
    if pairing_is_one(&[(&sig.A, pk.prepared()), (&lhs, bp2())]) {
        Ok(())
    } else {
        Err(BbsError::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::suite::Ciphersuite;

    #[test]
    fn signature_decoding_rejects_bad_e_and_length() {
        let suite = Ciphersuite::Sha256;
        let sk = SecretKey::keygen(suite, &[3u8; 32], b"", None).unwrap();
        let pk = sk.public_key();
        let gens = Generators::get(suite, &suite.api_id(), 3).unwrap();
        let msgs = [Scalar::from(1u64), Scalar::from(2u64)];
        let sig = core_sign(&sk, &pk, &gens, b"h", &msgs, &suite.api_id()).unwrap();
        let bytes = sig.to_bytes();
        assert_eq!(Signature::from_bytes(&bytes).unwrap(), sig);
        let mut zero_e = bytes;
        zero_e[POINT_LEN..].fill(0);
        assert!(Signature::from_bytes(&zero_e).is_err());
        assert!(Signature::from_bytes(&bytes[..79]).is_err());
        core_verify(&pk, &sig, &gens, b"h", &msgs, &suite.api_id()).unwrap();
        assert_eq!(
            core_verify(&pk, &sig, &gens, b"x", &msgs, &suite.api_id()),
            Err(BbsError::InvalidSignature)
        );
    }
}
