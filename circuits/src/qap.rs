//! snarkjs's R1CS-to-QAP convention, so that one prover serves development keys and keys from a
//! snarkjs phase-2 ceremony alike (specs/groth16.md §7.3).
//!
//! Both arkworks' default (libsnark's) reduction and snarkjs's build the same QAP: a domain `H`
//! of size `n ≥ constraints + public inputs + 1`, the R1CS rows at the first points and one row
//! `A_i = 1` per instance wire `i` (the input-consistency rows) after them; `u_i, v_i, w_i` are
//! the wires' interpolants over `H` and `Z` is `H`'s vanishing polynomial. They differ only in
//! how the proving key commits to `h(τ)·Z(τ)/δ`, where `p = A·B − C = h·Z` for a satisfying
//! witness (`A = Σ w_i u_i`, …):
//!
//! - libsnark: `H_i = τ^i·Z(τ)/δ` for `i < n − 1`; the prover computes the coefficients of `h`
//!   (three inverse FFTs, three FFTs on a coset, a division by `Z` there, one more inverse FFT).
//! - snarkjs: `H_i = L'_{2i+1}(τ)/δ` for `i < n`, where `L'_j` is the `j`-th Lagrange polynomial
//!   of the domain `H'` of size `2n` (generator `ω' = √ω`). Since `deg p ≤ 2n − 2` and `p`
//!   vanishes on the even points `ω'^{2i} = ω^i` of `H'`, `p(τ) = Σ_i p(ω'^{2i+1})·L'_{2i+1}(τ)`,
//!   so the prover needs only `p` on the odd points of `H'`: the coset `ω'·H`. That is three
//!   inverse FFTs and three FFTs on the coset, with no division and no final inverse FFT.
//!
//! [`SnarkjsQap`] implements the second for arkworks' generator and prover: `h_query_scalars`
//! gives the odd Lagrange coefficients of `H'` (so [`crate::keys::ProvingKeys::dev_setup`] makes
//! keys in snarkjs's layout), and the witness map gives `p` on `ω'·H`. A `.zkey` imported by
//! [`crate::zkey`] is therefore used as it is.

use ark_ff::{PrimeField, Zero};
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, Result as R1CSResult, SynthesisError};

/// The R1CS-to-QAP reduction of snarkjs (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct SnarkjsQap;

impl R1CSToQAP for SnarkjsQap {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> R1CSResult<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize)> {
        // The same QAP (interpolants over H, input-consistency rows after the constraints).
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> R1CSResult<Vec<F>> {
        let [a_rows, b_rows, c_rows] = matrices else {
            return Err(SynthesisError::Unsatisfiable);
        };
        let domain =
            D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        let wide = GeneralEvaluationDomain::<F>::new(2 * n)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        // ω' = the generator of the domain of size 2n: the odd points of H' are ω'·H.
        let coset = domain
            .get_coset(wide.group_gen())
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        if full_assignment.len() < num_inputs
            || a_rows.len() < num_constraints
            || b_rows.len() < num_constraints
            || c_rows.len() < num_constraints
        {
            return Err(SynthesisError::Unsatisfiable);
        }

        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        let mut c = vec![F::zero(); n];
        for i in 0..num_constraints {
            a[i] = evaluate_constraint(&a_rows[i], full_assignment);
            b[i] = evaluate_constraint(&b_rows[i], full_assignment);
            c[i] = evaluate_constraint(&c_rows[i], full_assignment);
        }
        a[num_constraints..num_constraints + num_inputs]
            .copy_from_slice(&full_assignment[..num_inputs]);

        // Values on H → coefficients → values on ω'·H, the three polynomials in parallel.
        {
            use rayon::prelude::*;
            [&mut a, &mut b, &mut c].into_par_iter().for_each(|v| {
                domain.ifft_in_place(v);
                coset.fft_in_place(v);
            });
        }
        for ((a_i, b_i), c_i) in a.iter_mut().zip(&b).zip(&c) {
            *a_i *= b_i;
            *a_i -= c_i;
        }
        Ok(a)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // arkworks' generator passes max_power = n − 1.
        let n = max_power + 1;
        let wide = GeneralEvaluationDomain::<F>::new(2 * n)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        if wide.size() != 2 * n {
            return Err(SynthesisError::PolynomialDegreeTooLarge);
        }
        let lagrange = wide.evaluate_all_lagrange_coefficients(t);
        let h: Vec<F> = lagrange
            .into_iter()
            .skip(1)
            .step_by(2)
            .map(|l| l * delta_inverse)
            .collect();
        if h.len() != n || h.iter().all(Zero::is_zero) {
            return Err(SynthesisError::Unsatisfiable);
        }
        Ok(h)
    }
}

/// A toy circuit for unit tests: `x · y = z` with `z` public, plus a chain of squarings.
#[cfg(test)]
pub(crate) mod toy {
    use ark_bn254::Fr;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, Result as R1CSResult};
    use ark_relations::lc;

    #[derive(Clone)]
    pub(crate) struct Toy {
        pub(crate) x: Option<Fr>,
        pub(crate) y: Option<Fr>,
    }

    impl ConstraintSynthesizer<Fr> for Toy {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> R1CSResult<()> {
            use ark_relations::gr1cs::SynthesisError::AssignmentMissing as M;
            let z = cs.new_input_variable(|| Ok(self.x.ok_or(M)? * self.y.ok_or(M)?))?;
            let x = cs.new_witness_variable(|| self.x.ok_or(M))?;
            let y = cs.new_witness_variable(|| self.y.ok_or(M))?;
            cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)?;
            let mut prev = (x, self.x);
            for _ in 0..5 {
                let v = prev.1.map(|p| p * p);
                let s = cs.new_witness_variable(|| v.ok_or(M))?;
                cs.enforce_r1cs_constraint(|| lc!() + prev.0, || lc!() + prev.0, || lc!() + s)?;
                prev = (s, v);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::toy::Toy;
    use super::*;
    use ark_bn254::{Bn254, Fr};
    use ark_groth16::Groth16;
    use ark_snark::SNARK;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn snarkjs_convention_proves_and_verifies() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
        let (pk, vk) = Groth16::<Bn254, SnarkjsQap>::circuit_specific_setup(
            Toy { x: None, y: None },
            &mut rng,
        )
        .unwrap();
        // H has n points (snarkjs), not n − 1 (libsnark).
        assert!(pk.h_query.len().is_power_of_two());
        let circuit = Toy {
            x: Some(Fr::from(3u64)),
            y: Some(Fr::from(5u64)),
        };
        let proof = Groth16::<Bn254, SnarkjsQap>::prove(&pk, circuit.clone(), &mut rng).unwrap();
        assert!(Groth16::<Bn254>::verify(&vk, &[Fr::from(15u64)], &proof).unwrap());
        assert!(!Groth16::<Bn254>::verify(&vk, &[Fr::from(16u64)], &proof).unwrap());
        // Keys of one convention do not prove in the other: the H query differs.
        let wrong = Groth16::<Bn254, LibsnarkReduction>::prove(&pk, circuit, &mut rng);
        assert!(
            !matches!(wrong, Ok(p) if Groth16::<Bn254>::verify(&vk, &[Fr::from(15u64)], &p).unwrap())
        );
    }

    #[test]
    fn odd_lagrange_coefficients_sum_to_the_vanishing_quotient() {
        // Σ_j L'_j(t) = 1, and the even ones alone sum to Z(t)-weighted terms: check instead
        // that Σ_i p(ω'^{2i+1}) L'_{2i+1}(t) = p(t) for p = Z·q, q of degree n − 2.
        let n = 8usize;
        let t = Fr::from(12345u64);
        let h = SnarkjsQap::h_query_scalars::<Fr, GeneralEvaluationDomain<Fr>>(
            n - 1,
            t,
            Fr::zero(),
            Fr::from(1u64),
        )
        .unwrap();
        let domain = GeneralEvaluationDomain::<Fr>::new(n).unwrap();
        let wide = GeneralEvaluationDomain::<Fr>::new(2 * n).unwrap();
        let q = |x: Fr| x * x + Fr::from(7u64) * x + Fr::from(2u64);
        let p = |x: Fr| domain.evaluate_vanishing_polynomial(x) * q(x);
        let g = wide.group_gen();
        let mut acc = Fr::zero();
        let mut point = g;
        for h_i in &h {
            acc += p(point) * h_i;
            point *= g * g;
        }
        assert_eq!(acc, p(t));
    }
}
