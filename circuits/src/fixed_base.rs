//! Fixed-base multi-scalar multiplication for the Groth16 verifier's public-input combination
//! `IC_0 + Σ x_i·IC_i` (specs/groth16.md §10, verification).
//!
//! The bases `IC_i` are fixed by the verifying key, so a verifier can precompute, for every base
//! and every 4-bit window `w` of a scalar, the multiples `d·16^w·IC_i` for `d = 1..=15`. A
//! scalar then costs one mixed addition per non-zero nibble (at most 64 for a 254-bit field
//! element, none for a zero) and no doublings, against ~254 doublings plus the bucket additions
//! of a variable-base MSM. netid's presentation has 23 public inputs, most of them zero or
//! small (mask, flags, dates) and about seven full-size (issuer key, request hash, app id,
//! pseudonym, a disclosed value, revocation root); measured in `benches/groth16.rs`.
//!
//! Memory: 64 × 15 affine points per base (≈ 60 KiB), ≈ 1.4 MiB for the presentation key.
//! Built lazily on the first verification (a few milliseconds), so holders that only prove
//! never pay for it. Public inputs are public: nothing here needs to run in constant time.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;

/// Bits per window.
const WINDOW: usize = 4;
/// Non-zero digits per window.
const DIGITS: usize = (1 << WINDOW) - 1;
/// Windows covering a scalar.
const WINDOWS: usize = (Fr::MODULUS_BIT_SIZE as usize).div_ceil(WINDOW);

/// Precomputed multiples of a list of fixed G1 bases.
#[derive(Clone)]
pub struct FixedBaseTable {
    /// `table[i][w * DIGITS + d - 1] = d·16^w·bases[i]`.
    table: Vec<Vec<G1Affine>>,
}

impl core::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FixedBaseTable({} bases)", self.table.len())
    }
}

impl FixedBaseTable {
    /// Precomputes the multiples of every base.
    pub fn new(bases: &[G1Affine]) -> FixedBaseTable {
        let table = bases
            .iter()
            .map(|base| {
                let mut points = Vec::with_capacity(WINDOWS * DIGITS);
                let mut window_base = base.into_group();
                for _ in 0..WINDOWS {
                    let mut multiple = window_base;
                    for _ in 0..DIGITS {
                        points.push(multiple);
                        multiple += window_base;
                    }
                    // `multiple` is now 16·window_base.
                    window_base = multiple;
                }
                G1Projective::normalize_batch(&points)
            })
            .collect();
        FixedBaseTable { table }
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table has no bases.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// `Σ scalars[i]·bases[i]`, or `None` when the number of scalars differs from the number
    /// of bases.
    pub fn msm(&self, scalars: &[Fr]) -> Option<G1Projective> {
        if scalars.len() != self.table.len() {
            return None;
        }
        let mut acc = G1Projective::default();
        for (points, scalar) in self.table.iter().zip(scalars) {
            let limbs = scalar.into_bigint().0;
            for w in 0..WINDOWS {
                let bit = w * WINDOW;
                // Windows never straddle a 64-bit limb (64 is a multiple of WINDOW).
                let d = ((limbs[bit / 64] >> (bit % 64)) & DIGITS as u64) as usize;
                if d != 0 {
                    acc += points[w * DIGITS + d - 1];
                }
            }
        }
        Some(acc)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ark_ec::VariableBaseMSM;
    use ark_ff::{AdditiveGroup, Field, UniformRand};
    use rand_chacha::rand_core::SeedableRng;

    fn bases(n: usize, rng: &mut rand_chacha::ChaCha20Rng) -> Vec<G1Affine> {
        (0..n)
            .map(|_| G1Projective::rand(rng).into_affine())
            .collect()
    }

    #[test]
    fn agrees_with_variable_base_msm() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let b = bases(6, &mut rng);
        let t = FixedBaseTable::new(&b);
        assert_eq!(t.len(), 6);
        let edge = [
            Fr::ZERO,
            Fr::ONE,
            -Fr::ONE,
            Fr::from(15u64),
            Fr::from(16u64),
            Fr::from(u64::MAX),
        ];
        for round in 0..20 {
            let scalars: Vec<Fr> = if round == 0 {
                edge.to_vec()
            } else {
                (0..6).map(|_| Fr::rand(&mut rng)).collect()
            };
            let want = G1Projective::msm(&b, &scalars).unwrap();
            assert_eq!(t.msm(&scalars).unwrap(), want, "round {round}");
        }
        // Every single scalar against a scalar multiplication.
        for s in edge {
            let one = FixedBaseTable::new(&b[..1]);
            assert_eq!(one.msm(&[s]).unwrap(), b[0] * s);
        }
    }

    #[test]
    fn wrong_length_is_refused() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let t = FixedBaseTable::new(&bases(3, &mut rng));
        assert!(t.msm(&[Fr::ONE; 2]).is_none());
        assert!(t.msm(&[Fr::ONE; 4]).is_none());
        let empty = FixedBaseTable::new(&[]);
        assert!(empty.is_empty());
        assert_eq!(empty.msm(&[]).unwrap(), G1Projective::default());
    }
}
