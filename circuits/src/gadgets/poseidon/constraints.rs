//! In-circuit Poseidon, equal to the native [`poseidon`](super::poseidon) (circomlib's
//! `Poseidon(n)`; specs/groth16.md §2).
//!
//! Round-constant additions and MDS multiplications are linear, so they cost nothing: they stay
//! linear combinations. Each S-box `x⁵` costs three multiplication constraints (`x²`, `x⁴`,
//! `x⁴·x`); the first S-box on the capacity element acts on a constant and is free, so one hash
//! of `n` variable inputs (width `t = n + 1`) costs `3·(R_F·t + R_P(t)) − 3` constraints — 240
//! for two inputs, 321 for five, 504 for twelve. S-boxes on constants cost nothing.

use ark_bn254::Fr;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::SynthesisError;

use super::{params, PoseidonParams, FULL_ROUNDS, PARTIAL_ROUNDS};

/// The Poseidon hash as a gadget.
pub struct PoseidonGadget;

impl PoseidonGadget {
    /// Hashes 1 to 16 allocated field elements; returns the hash as an allocated value.
    pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
        let params = params(inputs.len()).map_err(|_| SynthesisError::Unsatisfiable)?;
        let mut state = Vec::with_capacity(params.width);
        state.push(FpVar::<Fr>::zero());
        state.extend_from_slice(inputs);
        Self::permute(params, &mut state)?;
        Ok(state.swap_remove(0))
    }

    /// Hashes two elements (Merkle nodes, pseudonyms).
    pub fn hash2(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        Self::hash(&[a.clone(), b.clone()])
    }

    /// The permutation on an allocated state.
    pub fn permute(params: &PoseidonParams, state: &mut [FpVar<Fr>]) -> Result<(), SynthesisError> {
        if state.len() != params.width {
            return Err(SynthesisError::Unsatisfiable);
        }
        for r in 0..params.rounds() {
            for (s, c) in state.iter_mut().zip(params.round_constants(r)) {
                *s += *c;
            }
            if params.is_full_round(r) {
                for s in state.iter_mut() {
                    *s = sbox(s)?;
                }
            } else {
                state[0] = sbox(&state[0])?;
            }
            let next: Vec<FpVar<Fr>> = params
                .mds
                .iter()
                .map(|row| {
                    row.iter()
                        .zip(state.iter())
                        .map(|(m, s)| s * *m)
                        .fold(FpVar::zero(), |acc, x| acc + x)
                })
                .collect();
            state.clone_from_slice(&next);
        }
        Ok(())
    }

    /// The constraints one hash of `inputs` elements costs (when its inputs are variables).
    pub const fn constraint_count(inputs: usize) -> usize {
        let t = inputs + 1;
        3 * (FULL_ROUNDS * t + PARTIAL_ROUNDS[t - 2]) - 3
    }
}

fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::gadgets::poseidon::{poseidon, tests::vectors, MAX_INPUTS};
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn gadget_equals_native_and_circomlibjs() {
        for (inputs, expected) in vectors().into_iter().step_by(3) {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<FpVar<Fr>> = inputs
                .iter()
                .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let h = PoseidonGadget::hash(&vars).unwrap();
            assert_eq!(h.value().unwrap(), expected);
            assert_eq!(h.value().unwrap(), poseidon(&inputs).unwrap());
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(
                cs.num_constraints(),
                PoseidonGadget::constraint_count(inputs.len()),
                "{} inputs",
                inputs.len()
            );
        }
    }

    #[test]
    fn pinned_constraint_counts() {
        assert_eq!(PoseidonGadget::constraint_count(1), 213);
        assert_eq!(PoseidonGadget::constraint_count(2), 240);
        assert_eq!(PoseidonGadget::constraint_count(5), 321);
        assert_eq!(PoseidonGadget::constraint_count(12), 504);
        assert_eq!(PoseidonGadget::constraint_count(MAX_INPUTS), 609);
    }

    #[test]
    fn wrong_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let h = PoseidonGadget::hash2(&a, &b).unwrap();
        let claimed = FpVar::new_input(cs.clone(), || Ok(Fr::from(3u64))).unwrap();
        use ark_r1cs_std::eq::EqGadget;
        h.enforce_equal(&claimed).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn constants_cost_nothing() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let h = PoseidonGadget::hash(&[FpVar::constant(Fr::from(7u64))]).unwrap();
        assert_eq!(cs.num_constraints(), 0);
        assert_eq!(h.value().unwrap(), poseidon(&[Fr::from(7u64)]).unwrap());
    }
}
