//! Pairing checks and the decoding of received G1 points on blst, through `blstrs`
//! (specs/bbs.md §3).
//!
//! Everything else in this crate computes with zkcrypto's `bls12_381`. Verifying a presentation
//! is dominated by one two-pair pairing check and by the decompression, with subgroup check, of
//! every G1 point it carries; blst's assembly does both faster on the project's 2-core machine
//! (`cargo bench -p netid-bbs --bench presentation`, group `g1-primitives`). Both operations
//! take public inputs only, so constant time is not at stake.
//!
//! Points cross between the two libraries as uncompressed encodings, which both define the same
//! way (the ZCash serialisation of BLS12-381 points); only points that have already been
//! validated cross, so the receiving side parses them unchecked.

use std::sync::OnceLock;

use bls12_381::{G1Affine, G2Affine};
use group13::prime::PrimeCurveAffine as _;
use group13::Group as _;
use pairing::{MillerLoopResult as _, MultiMillerLoop as _};

use crate::msm::blst::from_zk;

/// A G2 point with its Miller-loop lines precomputed (blst), for repeated pairings.
pub(crate) struct G2Prep(blstrs::G2Prepared);

impl G2Prep {
    /// Prepares a validated G2 point.
    pub(crate) fn new(w: &G2Affine) -> G2Prep {
        let p = Option::<blstrs::G2Affine>::from(blstrs::G2Affine::from_uncompressed_unchecked(
            &w.to_uncompressed(),
        ))
        .unwrap_or_else(|| unreachable!("a bls12_381 G2 point re-encodes for blst"));
        G2Prep(blstrs::G2Prepared::from(p))
    }
}

/// `BP2`, prepared once.
pub(crate) fn bp2() -> &'static G2Prep {
    static P: OnceLock<G2Prep> = OnceLock::new();
    P.get_or_init(|| G2Prep::new(&G2Affine::generator()))
}

/// `−BP2`, prepared once.
pub(crate) fn neg_bp2() -> &'static G2Prep {
    static P: OnceLock<G2Prep> = OnceLock::new();
    P.get_or_init(|| G2Prep::new(&-G2Affine::generator()))
}

/// `Π e(P_i, Q_i) = 1`: one Miller loop per pair, multiplied, one final exponentiation.
pub(crate) fn pairing_is_one(pairs: &[(&G1Affine, &G2Prep)]) -> bool {
    let ps: Vec<blstrs::G1Affine> = pairs.iter().map(|(p, _)| from_zk(p)).collect();
    let terms: Vec<(&blstrs::G1Affine, &G2Prep)> =
        ps.iter().zip(pairs).map(|(p, (_, q))| (p, *q)).collect();
    pairing_is_one_blst(&terms)
}

/// `Π e(P_i, Q_i) = 1` for blst points.
pub(crate) fn pairing_is_one_blst(pairs: &[(&blstrs::G1Affine, &G2Prep)]) -> bool {
    let terms: Vec<(&blstrs::G1Affine, &blstrs::G2Prepared)> =
        pairs.iter().map(|(p, q)| (*p, &q.0)).collect();
    bool::from(
        blstrs::Bls12::multi_miller_loop(&terms)
            .final_exponentiation()
            .is_identity(),
    )
}

/// A received G1 point as a blst point: 48 bytes, canonical, on the curve, in the subgroup, not
/// the identity (`None` otherwise).
pub(crate) fn decode_g1_point(bytes: &[u8]) -> Option<blstrs::G1Affine> {
    let arr: &[u8; 48] = bytes.try_into().ok()?;
    let p = Option::<blstrs::G1Affine>::from(blstrs::G1Affine::from_compressed(arr))?;
    (!bool::from(p.is_identity())).then_some(p)
}

/// Decodes a compressed G1 point: canonical encoding, on the curve, in the prime-order subgroup
/// (`None` otherwise). The identity is returned as such; the caller decides about it.
pub(crate) fn decode_g1(bytes: &[u8; 48]) -> Option<G1Affine> {
    let p = Option::<blstrs::G1Affine>::from(blstrs::G1Affine::from_compressed(bytes))?;
    Option::from(G1Affine::from_uncompressed_unchecked(&p.to_uncompressed()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use bls12_381::{pairing, G1Projective, G2Projective, Scalar};
    use proptest::prelude::*;

    fn point(k: u64) -> G1Affine {
        G1Affine::from(G1Projective::generator() * Scalar::from(k))
    }

    /// zkcrypto's own decoder, the reference.
    fn reference(bytes: &[u8; 48]) -> Option<G1Affine> {
        Option::from(G1Affine::from_compressed(bytes))
    }

    /// Non-identity results agree with the reference on every input (an encoding of the
    /// identity with stray bits may be read as the identity by one and refused by the other; the
    /// crate refuses the identity anyway).
    fn agrees(bytes: &[u8; 48]) -> bool {
        let not_identity = |p: &G1Affine| !bool::from(p.is_identity());
        decode_g1(bytes).filter(not_identity) == reference(bytes).filter(not_identity)
    }

    #[test]
    fn decoding_agrees_on_valid_and_edge_encodings() {
        for k in [1u64, 2, 3, 0xdead_beef] {
            let p = point(k);
            let b = p.to_compressed();
            assert_eq!(decode_g1(&b), Some(p));
            // The other sign: −P.
            let mut neg = b;
            neg[0] ^= 0x20;
            assert_eq!(decode_g1(&neg), Some(-p));
            // Without the compression flag, or with the infinity flag: refused by both.
            let mut raw = b;
            raw[0] &= 0x7f;
            assert_eq!(decode_g1(&raw), None);
            let mut inf = b;
            inf[0] |= 0x40;
            assert!(agrees(&inf));
        }
        // x = p and x = p + 1 (not canonical), with the compression flag.
        let p_be =
            hex::decode("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab")
                .unwrap();
        for add in [0u8, 1, 4] {
            let mut x: [u8; 48] = p_be.clone().try_into().unwrap();
            x[47] = x[47].wrapping_add(add);
            x[0] |= 0x80;
            assert_eq!(decode_g1(&x), None, "x = p + {add}");
            assert!(agrees(&x));
        }
        // The identity: decoded as such (the crate's codec refuses it).
        let mut id = [0u8; 48];
        id[0] = 0xc0;
        assert_eq!(decode_g1(&id), Some(G1Affine::identity()));
    }

    #[test]
    fn pairing_matches_the_reference() {
        let s = Scalar::from(0x1234_5678u64);
        let w = G2Affine::from(G2Projective::generator() * s);
        let (a, b) = (point(77), G1Affine::from(G1Projective::from(point(77)) * s));
        let wp = G2Prep::new(&w);
        // e(A, W) · e(s·A, −BP2) = 1, and not with another point.
        assert!(pairing_is_one(&[(&a, &wp), (&b, neg_bp2())]));
        assert!(!pairing_is_one(&[(&a, &wp), (&point(78), neg_bp2())]));
        assert!(pairing_is_one(&[(&b, bp2()), (&a, &G2Prep::new(&-w))]));
        assert_eq!(pairing(&a, &w), pairing(&b, &G2Affine::generator()));
        // The identity pairs to one.
        assert!(pairing_is_one(&[(&G1Affine::identity(), &wp)]));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Random bytes with the compression flag: mostly points off the curve or outside the
        /// subgroup; both decoders must say the same.
        #[test]
        fn decoding_agrees_on_random_bytes(mut b in prop::array::uniform32(any::<u8>()),
                                           tail in prop::array::uniform16(any::<u8>()),
                                           flags in 0u8..8) {
            let mut x = [0u8; 48];
            x[..32].copy_from_slice(&b);
            x[32..].copy_from_slice(&tail);
            x[0] = (x[0] & 0x1f) | (flags << 5);
            prop_assert!(agrees(&x));
            b.fill(0);
        }

        /// Bit flips of a valid encoding.
        #[test]
        fn decoding_agrees_on_bit_flips(k in 1u64.., pos in 0usize..48, bit in 0u8..8) {
            let mut b = point(k).to_compressed();
            b[pos] ^= 1 << bit;
            prop_assert!(agrees(&b));
        }
    }
}
