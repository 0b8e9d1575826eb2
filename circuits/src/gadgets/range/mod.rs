//! Range checks on small integers (specs/groth16.md §5): native twin of the gadget.
//!
//! A value `v` is *in range for `n` bits* when `0 ≤ v < 2^n` as an integer. The circuit proves
//! predicates on dates and levels this way: `birthdate ≤ cutoff` is `cutoff − birthdate ∈
//! [0, 2^22)`, which for dates below `2^22` days (year 13383) is exactly the comparison, without
//! a 254-bit comparator.

pub mod constraints;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

/// Bits for date differences: dates are days since 1900-01-01, all below `2^22`.
pub const DATE_BITS: usize = 22;
/// Bits for small levels (assurance).
pub const LEVEL_BITS: usize = 8;

/// Whether `v` lies in `[0, 2^bits)`.
pub fn in_range(v: Fr, bits: usize) -> bool {
    let b = v.into_bigint();
    b.num_bits() as usize <= bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds() {
        assert!(in_range(Fr::from(0u64), 1));
        assert!(in_range(Fr::from((1u64 << 22) - 1), DATE_BITS));
        assert!(!in_range(Fr::from(1u64 << 22), DATE_BITS));
        assert!(!in_range(-Fr::from(1u64), DATE_BITS));
    }
}
