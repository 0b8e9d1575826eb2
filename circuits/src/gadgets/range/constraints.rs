//! In-circuit range checks on small integers (specs/groth16.md §5).
//!
//! `to_bits_le_strict_small(x, n)` allocates `n` bits, enforces each is boolean (`n`
//! constraints) and that they recompose to `x` (1 constraint). For `n ≤ 252` the recomposition
//! cannot wrap modulo the field's order, so it proves `0 ≤ x < 2^n` exactly.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::SynthesisError;

/// Most bits a small-range decomposition may use (below the field's 254 bits, so no wrap).
pub const MAX_SMALL_BITS: usize = 252;

/// Decomposes `x` into `n` little-endian bits, enforcing `x < 2^n`.
pub fn to_bits_le_strict_small(
    x: &FpVar<Fr>,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    if n == 0 || n > MAX_SMALL_BITS {
        return Err(SynthesisError::Unsatisfiable);
    }
    let cs = x.cs();
    let value = x.value().ok();
    let bits = (0..n)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                value
                    .map(|v| v.into_bigint().get_bit(i))
                    .ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let recomposed = Boolean::le_bits_to_fp(&bits)?;
    recomposed.enforce_equal(x)?;
    Ok(bits)
}

/// Enforces `0 ≤ x < 2^n`.
pub fn enforce_in_range(x: &FpVar<Fr>, n: usize) -> Result<(), SynthesisError> {
    to_bits_le_strict_small(x, n).map(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::gadgets::range::{in_range, DATE_BITS};
    use ark_relations::gr1cs::ConstraintSystem;

    fn satisfied(v: Fr, n: usize) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FpVar::new_witness(cs.clone(), || Ok(v)).unwrap();
        enforce_in_range(&x, n).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn gadget_agrees_with_native() {
        for v in [
            Fr::from(0u64),
            Fr::from(1u64),
            Fr::from((1u64 << 22) - 1),
            Fr::from(1u64 << 22),
            -Fr::from(1u64),
            -Fr::from(1u64 << 21),
        ] {
            let (ok, n) = satisfied(v, DATE_BITS);
            assert_eq!(ok, in_range(v, DATE_BITS), "{v}");
            assert_eq!(n, DATE_BITS + 1);
        }
    }

    #[test]
    fn rejects_silly_widths() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let x = FpVar::new_witness(cs, || Ok(Fr::from(1u64))).unwrap();
        assert!(to_bits_le_strict_small(&x, 0).is_err());
        assert!(to_bits_le_strict_small(&x, 254).is_err());
    }
}
