//! Digit signatures for range proofs (specs/bbs.md §5.4).
//!
//! A range proof shows `δ ∈ [0, 2^(8·n))` by writing `δ = Σ 2^(8·i) d_i` and proving, for each
//! digit, knowledge of a BBS signature by the issuer on `d_i` under the digit interface (its own
//! `api_id` and header). The issuer signs exactly the 256 values `0..256`, so a digit with a
//! signature is in range (set membership by signatures, Camenisch–Chaabouni–shelat 2008). The
//! issuer publishes the 256 signatures (20 KiB) with its metadata; wallets load and batch-verify
//! them once. Verifiers need only the issuer's public key.

use std::sync::OnceLock;

use bls12_381::{G1Affine, G1Projective, Scalar};

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::error::{BbsError, Result};
use crate::keys::{PublicKey, SecretKey};
use crate::msm::{blst, msm_vartime};
use crate::signature::{calculate_domain, neg_bp2_prepared, Signature, SIGNATURE_LEN};
use crate::Bbs;

/// Bits per digit.
pub const DIGIT_BITS: u32 = 8;
/// Number of signed digit values (`2^DIGIT_BITS`).
pub const DIGIT_COUNT: usize = 1 << DIGIT_BITS;
/// Header of every digit signature.
pub const DIGIT_HEADER: &[u8] = b"netid/v1/range-digit";
/// Magic and version of the encoded digit signature set.
const MAGIC: &[u8; 8] = b"NIDRDS01";

/// The issuer's signatures on the digits `0..256`, for one public key and ciphersuite.
#[derive(Clone)]
pub struct DigitSignatures {
    pk: PublicKey,
    sigs: Vec<Signature>,
    /// `[A_d, 2^128·A_d, Y_d, 2^128·Y_d]` with `Y_d = x·A_d` for each digit, computed from
    /// public data on a prover's first use.
    prepared: OnceLock<Vec<[blst::G1Affine; 4]>>,
}

impl core::fmt::Debug for DigitSignatures {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DigitSignatures")
            .field("pk", &self.pk)
            .field("count", &self.sigs.len())
            .finish()
    }
}

impl DigitSignatures {
    /// Signs the 256 digits (issuer side; about 0.1 s).
    pub fn generate(digit: &Bbs, sk: &SecretKey, pk: &PublicKey) -> Result<DigitSignatures> {
        let sigs = (0..DIGIT_COUNT as u64)
            .map(|d| digit.sign_scalars(sk, pk, DIGIT_HEADER, &[Scalar::from(d)]))
            .collect::<Result<Vec<_>>>()?;
        Ok(DigitSignatures {
            pk: pk.clone(),
            sigs,
            prepared: OnceLock::new(),
        })
    }

    /// For every digit `d`: `[A_d, 2^128·A_d, Y_d, 2^128·Y_d]` with `Y_d = B_d − e_d·A_d`
    /// (`= x·A_d`) and `B_d = P1 + Q_1·domain + H_1·d` of the digit interface — the bases of the
    /// prover's digit commitment (specs/bbs.md §5.3), which then needs no `B_d` of its own and
    /// half the doublings. Computed from public data (variable-time) once per set, on first use
    /// (≈ 0.1 s on the 2-core machine); verifiers never need it.
    pub(crate) fn prepared(&self, digit: &Bbs) -> Result<&[[blst::G1Affine; 4]]> {
        use group13::Curve as _;
        if let Some(p) = self.prepared.get() {
            return Ok(p);
        }
        let gens = digit.generators(2)?;
        let domain = calculate_domain(&self.pk, &gens, DIGIT_HEADER, digit.api_id());
        let h1 = blst::G1Projective::from(blst::from_zk(&gens.points()[1]));
        let b0 = crate::signature::compute_B(&gens, &domain, &[], false);
        let mut b = blst::G1Projective::from(blst::from_zk(&G1Affine::from(b0)));
        let a: Vec<blst::G1Projective> = self
            .sigs
            .iter()
            .map(|s| blst::G1Projective::from(blst::from_zk(&s.A)))
            .collect();
        let tables = blst::WindowTables::new(&a);
        let mut proj = Vec::with_capacity(4 * self.sigs.len());
        for (d, s) in self.sigs.iter().enumerate() {
            let y = b - tables.mul_vartime(d, &s.e);
            proj.extend([a[d], blst::times_2_128(&a[d]), y, blst::times_2_128(&y)]);
            b += h1;
        }
        let mut aff = vec![blst::G1Affine::default(); proj.len()];
        blst::G1Projective::batch_normalize(&proj, &mut aff);
        let out = aff
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        Ok(self.prepared.get_or_init(|| out))
    }

    /// The prepared bases of digit `d` (from [`DigitSignatures::prepared`]) and its signature's
    /// `e`, selected in constant time: every entry is read and the match kept by conditional
    /// selection, so neither timing nor the memory access pattern depends on the (secret)
    /// digit. The set always holds all 256 digits.
    pub(crate) fn select_ct(
        &self,
        prepared: &[[blst::G1Affine; 4]],
        d: u8,
    ) -> ([blst::G1Affine; 4], Scalar) {
        let mut pts = [blst::G1Affine::default(); 4];
        let mut e = Scalar::zero();
        for (i, (s, p)) in self.sigs.iter().zip(prepared).enumerate() {
            let hit = (i as u8).ct_eq(&d) & Choice::from(u8::from(i < DIGIT_COUNT));
            for (o, q) in pts.iter_mut().zip(p) {
                o.conditional_assign(q, hit);
            }
            e = Scalar::conditional_select(&e, &s.e, hit);
        }
        (pts, e)
    }

    /// The public key the digits are signed under.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// Encoding: `"NIDRDS01" ‖ PK (96) ‖ 256 × signature (80)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 96 + DIGIT_COUNT * SIGNATURE_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.pk.to_bytes());
        for s in &self.sigs {
            out.extend_from_slice(&s.to_bytes());
        }
        out
    }

    /// Decodes and verifies the whole set against `digit` (the interface) in one batched
    /// pairing check; every signature must be valid for its digit.
    pub fn from_bytes(digit: &Bbs, bytes: &[u8]) -> Result<DigitSignatures> {
        let expected = 8 + 96 + DIGIT_COUNT * SIGNATURE_LEN;
        if bytes.len() != expected {
            return Err(BbsError::Length {
                what: "digit signatures",
                expected,
                got: bytes.len(),
            });
        }
        if &bytes[..8] != MAGIC {
            return Err(BbsError::InvalidSignature);
        }
        let pk = PublicKey::from_bytes(&bytes[8..104])?;
        let sigs = bytes[104..]
            .chunks_exact(SIGNATURE_LEN)
            .map(Signature::from_bytes)
            .collect::<Result<Vec<_>>>()?;
        let set = DigitSignatures {
            pk,
            sigs,
            prepared: OnceLock::new(),
        };
        set.verify(digit, &mut rand::rng())?;
        Ok(set)
    }

    /// Batch verification with random 128-bit weights `ρ_d`:
    /// `e(Σ ρ_d·A_d, W) · e(Σ ρ_d·(A_d·e_d − B_d), BP2) = 1` with `B_d = B_0 + H_1·d`.
    pub fn verify<R: rand_core::CryptoRng + ?Sized>(&self, digit: &Bbs, rng: &mut R) -> Result<()> {
        if self.sigs.len() != DIGIT_COUNT {
            return Err(BbsError::InvalidSignature);
        }
        let gens = digit.generators(2)?;
        let domain = calculate_domain(&self.pk, &gens, DIGIT_HEADER, digit.api_id());
        let b0 = crate::signature::compute_B(&gens, &domain, &[], false);
        let rho: Vec<Scalar> = (0..DIGIT_COUNT)
            .map(|_| {
                let mut b = [0u8; 32];
                rng.fill_bytes(&mut b[..16]);
                Scalar::from_bytes(&b).unwrap_or(Scalar::one())
            })
            .collect();
        let lhs_terms: Vec<(G1Projective, Scalar)> = self
            .sigs
            .iter()
            .zip(&rho)
            .map(|(s, r)| (G1Projective::from(s.A), *r))
            .collect();
        let lhs = msm_vartime(&lhs_terms);
        let mut rhs_terms: Vec<(G1Projective, Scalar)> = self
            .sigs
            .iter()
            .zip(&rho)
            .map(|(s, r)| (G1Projective::from(s.A), r * s.e))
            .collect();
        let sum_rho: Scalar = rho.iter().sum();
        let sum_rho_d: Scalar = rho
            .iter()
            .enumerate()
            .map(|(d, r)| r * Scalar::from(d as u64))
            .sum();
        rhs_terms.push((b0, -sum_rho));
        rhs_terms.push((G1Projective::from(gens.points()[1]), -sum_rho_d));
        let rhs = msm_vartime(&rhs_terms);
        let mut aff = [G1Affine::identity(); 2];
        G1Projective::batch_normalize(&[lhs, -rhs], &mut aff);
        // e(lhs, W) · e(-(rhs), -BP2) = e(lhs, W) · e(rhs, BP2)
        let ok = crate::blst_backend::pairing_is_one(&[
            (&aff[0], self.pk.prepared()),
            (&aff[1], neg_bp2_prepared()),
        ]);
        if ok && !bool::from(lhs.is_identity()) {
            Ok(())
        } else {
            Err(BbsError::InvalidSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Ciphersuite;

    #[test]
    fn select_ct_returns_each_digit_signature_and_its_bases() {
        let suite = Ciphersuite::Sha256;
        let digit = Bbs::with_api_id(suite, b"netid-test-digits");
        let sk = SecretKey::keygen(suite, &[9u8; 32], b"", None).unwrap();
        let set = DigitSignatures::generate(&digit, &sk, &sk.public_key()).unwrap();
        let prepared = set.prepared(&digit).unwrap().to_vec();
        assert_eq!(prepared.len(), DIGIT_COUNT);
        let two128 = Scalar::from_raw([0, 0, 1, 0]);
        for d in 0..DIGIT_COUNT {
            let (bases, e) = set.select_ct(&prepared, d as u8);
            let [A, A_hi, Y, Y_hi] = bases.map(|p| blst::to_zk(&p));
            assert_eq!((A, e), (set.sigs[d].A, set.sigs[d].e), "digit {d}");
            // Y_d = x·A_d, and the 2^128 multiples.
            assert_eq!(Y, G1Affine::from(A * sk.scalar()), "digit {d}");
            assert_eq!(A_hi, G1Affine::from(A * two128), "digit {d}");
            assert_eq!(Y_hi, G1Affine::from(Y * two128), "digit {d}");
        }
        // Computed once.
        assert!(std::ptr::eq(
            set.prepared(&digit).unwrap(),
            set.prepared(&digit).unwrap()
        ));
    }
}
