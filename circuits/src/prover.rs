//! The Groth16 prover of the presentation suite (specs/groth16.md §10): the proof
//! `(A, B, C)` of Groth16 (specs/groth16.md §2) for a satisfying assignment `w` of the
//! circuit's R1CS, with snarkjs's QAP ([`crate::qap::SnarkjsQap`]):
//!
//! ```text
//! A = α + Σ_i w_i·A_i + r·δ            (G1)
//! B = β + Σ_i w_i·B_i + s·δ            (G2, and its G1 twin B')
//! C = Σ_{i aux} w_i·L_i + Σ_j h_j·H_j + s·A + r·B' − r·s·δ
//! ```
//!
//! It computes exactly what ark-groth16's `create_proof_with_reduction` computes (a test
//! compares the two proofs byte for byte under the same `r, s`), in less time:
//!
//! - **No constraint synthesis per proof.** The constraint matrices depend only on the circuit;
//!   [`CircuitMatrices`] synthesises them once per process. Each proof runs the circuit in
//!   witness-only mode (no linear combinations stored, no matrices built) and checks that the
//!   assignment has the matrices' shape.
//! - **Batch-affine MSMs.** The five multi-scalar multiplications use [`crate::msm`]
//!   (Pippenger with bucket sums in affine coordinates, one inversion per round) instead of
//!   arkworks' mixed additions. The witness map (FFTs) and the final combination are
//!   arkworks'.
//!
//! Nothing here is secret-dependent in its memory access pattern beyond what arkworks' own
//! prover does: Pippenger indexes buckets by scalar digits in both.

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};
use ark_groth16::r1cs_to_qap::R1CSToQAP;
use ark_groth16::{Proof, ProvingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};

use crate::error::{CircuitError, Result};
use crate::msm::msm;
use crate::qap::SnarkjsQap;

/// A circuit's R1CS matrices `[A, B, C]` (rows of `(coefficient, wire)`), as arkworks'
/// generator and prover build them (optimisation goal: constraints), and its sizes.
#[derive(Debug, Clone)]
pub struct CircuitMatrices {
    pub(crate) abc: [Matrix<Fr>; 3],
    /// Instance variables, the constant 1 included.
    pub(crate) num_instance: usize,
    /// Witness variables.
    pub(crate) num_witness: usize,
    /// Constraints.
    pub(crate) num_constraints: usize,
}

impl CircuitMatrices {
    /// Synthesises `circuit` in setup mode.
    pub fn of<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<CircuitMatrices> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        let mut matrices = cs.to_matrices()?;
        let abc = matrices
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| CircuitError::Keys("the circuit has no R1CS constraints".into()))?;
        let abc: [Matrix<Fr>; 3] = abc
            .try_into()
            .map_err(|_| CircuitError::Keys("expected three R1CS matrices".into()))?;
        Ok(CircuitMatrices {
            abc,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// The presentation circuit's matrices, synthesised once per process.
    ///
    /// # Errors
    /// [`CircuitError::Keys`] (an internal error: the circuit does not synthesise).
    pub fn presentation() -> Result<&'static CircuitMatrices> {
        static M: std::sync::OnceLock<Option<CircuitMatrices>> = std::sync::OnceLock::new();
        M.get_or_init(|| {
            CircuitMatrices::of(crate::presentation::circuit::PresentationCircuit::default()).ok()
        })
        .as_ref()
        .ok_or_else(|| CircuitError::Keys("cannot synthesize the presentation circuit".into()))
    }

    /// Wires: the constant 1, the public inputs, the witness.
    pub fn num_wires(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// The full assignment `(1, inputs…, witness…)` of `circuit`, synthesised in witness-only
    /// mode; it must have this system's shape.
    pub fn assignment<C: ConstraintSynthesizer<Fr>>(&self, circuit: C) -> Result<Vec<Fr>> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: false,
            generate_lc_assignments: false,
        });
        circuit.generate_constraints(cs.clone())?;
        let cs = cs
            .borrow()
            .ok_or_else(|| CircuitError::Keys("no constraint system".into()))?;
        let instance = cs.instance_assignment()?;
        let witness = cs.witness_assignment()?;
        if instance.len() != self.num_instance || witness.len() != self.num_witness {
            return Err(CircuitError::Keys(format!(
                "the assignment has {} + {} variables, the circuit {} + {}",
                instance.len(),
                witness.len(),
                self.num_instance,
                self.num_witness
            )));
        }
        let mut full = Vec::with_capacity(self.num_wires());
        full.extend_from_slice(instance);
        full.extend_from_slice(witness);
        Ok(full)
    }
}

/// Proves with `pk` for the full assignment `full` of the system `m`, with zero-knowledge
/// randomness `r, s`.
///
/// # Errors
/// [`CircuitError::Keys`] when the key's sizes do not match the system's;
/// [`CircuitError::Synthesis`] from the witness map.
pub fn prove(
    pk: &ProvingKey<Bn254>,
    m: &CircuitMatrices,
    full: &[Fr],
    r: Fr,
    s: Fr,
) -> Result<Proof<Bn254>> {
    let wires = m.num_wires();
    let mismatch = || CircuitError::Keys("the proving key does not match the circuit".into());
    if full.len() != wires
        || pk.a_query.len() != wires
        || pk.b_g1_query.len() != wires
        || pk.b_g2_query.len() != wires
        || pk.l_query.len() != m.num_witness
    {
        return Err(mismatch());
    }
    let w: Vec<_> = full.iter().map(|x| x.into_bigint()).collect();
    // The witness map (FFTs) and the four MSMs over the assignment run side by side; each
    // also splits its own work over the pool.
    let (h, (sum_a, sum_b1, sum_b2, sum_l)) = rayon::join(
        || {
            SnarkjsQap::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
                &m.abc,
                m.num_instance,
                m.num_constraints,
                full,
            )
        },
        || {
            // Σ over every wire, the constant 1 (wire 0) included: arkworks adds query[0]
            // once.
            (
                msm(&pk.a_query, &w),
                msm(&pk.b_g1_query, &w),
                msm(&pk.b_g2_query, &w),
                msm(&pk.l_query, &w[m.num_instance..]),
            )
        },
    );
    let h = h?;
    if h.len() != pk.h_query.len() {
        return Err(mismatch());
    }
    let h: Vec<_> = h.iter().map(|x| x.into_bigint()).collect();
    let sum_h = msm(&pk.h_query, &h);

    let delta1 = pk.delta_g1.into_group();
    let g_a = sum_a + pk.vk.alpha_g1 + delta1 * r;
    let g1_b = if r.is_zero() {
        G1Projective::zero()
    } else {
        sum_b1 + pk.beta_g1 + delta1 * s
    };
    let g2_b = sum_b2 + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
    let g_c = g_a * s + g1_b * r - delta1 * (r * s) + sum_l + sum_h;
    let [a, c] = G1Projective::normalize_batch(&[g_a, g_c])
        .try_into()
        .map_err(|_| mismatch())?;
    Ok(Proof {
        a,
        b: G2Projective::into_affine(g2_b),
        c,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::qap::toy::Toy;
    use ark_ff::UniformRand;
    use ark_groth16::Groth16;
    use ark_snark::SNARK;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn proof_is_arkworks_proof_for_the_same_randomness() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        let (pk, vk) = Groth16::<Bn254, SnarkjsQap>::circuit_specific_setup(
            Toy { x: None, y: None },
            &mut rng,
        )
        .unwrap();
        let m = CircuitMatrices::of(Toy { x: None, y: None }).unwrap();
        let circuit = Toy {
            x: Some(Fr::from(3u64)),
            y: Some(Fr::from(5u64)),
        };
        let full = m.assignment(circuit.clone()).unwrap();
        for (r, s) in [
            (Fr::rand(&mut rng), Fr::rand(&mut rng)),
            (Fr::zero(), Fr::zero()),
        ] {
            let ours = prove(&pk, &m, &full, r, s).unwrap();
            let theirs = Groth16::<Bn254, SnarkjsQap>::create_proof_with_reduction(
                circuit.clone(),
                &pk,
                r,
                s,
            )
            .unwrap();
            assert_eq!(ours, theirs);
            assert!(Groth16::<Bn254>::verify(&vk, &[Fr::from(15u64)], &ours).unwrap());
        }
        // A key of another shape is refused, not misused.
        let mut short = pk.clone();
        short.a_query.pop();
        assert!(matches!(
            prove(&short, &m, &full, Fr::from(1u64), Fr::from(1u64)),
            Err(CircuitError::Keys(_))
        ));
    }
}
