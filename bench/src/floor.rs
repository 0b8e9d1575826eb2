//! The Groth16 floor: a plain `ark-groth16` proof of a chain of multiplications with exactly as
//! many constraints and public inputs as netid's presentation circuit. Proving and verifying
//! cost depends on those sizes (and the witness' shape), so this is what any circuit of that
//! size costs with the same library; netid's overhead above it is witness generation, the
//! request-derived public inputs and decoding.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{prepare_verifying_key, Groth16, ProvingKey};
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, fields::FieldVar};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode,
};
use ark_serialize::CanonicalSerialize;
use indicatif::ProgressBar;
use rand_chacha::rand_core::SeedableRng;

use crate::{BenchError, Config, Result, Stats};

/// `acc = x · p_1 ⋯ p_k`, then squarings: one constraint per multiplication.
#[derive(Clone, Debug)]
pub struct FloorCircuit {
    /// Public inputs (`k`).
    pub public_inputs: usize,
    /// Squarings after the input multiplications.
    pub squarings: usize,
    /// The witness `x` and the public inputs' values (None during setup).
    pub values: Option<(Fr, Vec<Fr>)>,
}

impl ConstraintSynthesizer<Fr> for FloorCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let missing = || SynthesisError::AssignmentMissing;
        let values = self.values.as_ref();
        let mut acc = FpVar::new_witness(cs.clone(), || values.map(|v| v.0).ok_or_else(missing))?;
        for i in 0..self.public_inputs {
            let p = FpVar::new_input(cs.clone(), || {
                values.and_then(|v| v.1.get(i).copied()).ok_or_else(missing)
            })?;
            acc *= &p;
        }
        for _ in 0..self.squarings {
            acc = acc.square()?;
        }
        Ok(())
    }
}

fn count(c: &FloorCircuit) -> Result<(usize, usize)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    c.clone()
        .generate_constraints(cs.clone())
        .map_err(|e| BenchError::Internal(format!("floor circuit: {e}")))?;
    Ok((cs.num_constraints(), cs.num_instance_variables() - 1))
}

/// A floor circuit of exactly `constraints` constraints and `public_inputs` inputs.
pub fn circuit(constraints: usize, public_inputs: usize) -> Result<FloorCircuit> {
    let mut c = FloorCircuit {
        public_inputs,
        squarings: constraints.saturating_sub(public_inputs),
        values: None,
    };
    let (n, k) = count(&c)?;
    // Adjust for any constraint the gadgets add or save.
    c.squarings = (c.squarings + constraints).saturating_sub(n);
    let (n2, k2) = count(&c)?;
    if n2 != constraints || k != public_inputs || k2 != public_inputs {
        return Err(BenchError::Internal(format!(
            "floor circuit has {n2} constraints / {k2} inputs, wanted {constraints} / {public_inputs}"
        )));
    }
    Ok(c)
}

/// Measurements of the floor.
#[derive(Clone, Debug)]
pub struct Floor {
    /// Constraints.
    pub constraints: usize,
    /// Public inputs.
    pub public_inputs: usize,
    /// Setup (when measured).
    pub setup: Option<Stats>,
    /// Proving.
    pub prove: Stats,
    /// Verifying (prepared key; inputs prepared by arkworks).
    pub verify: Stats,
    /// Compressed proof bytes.
    pub proof_bytes: usize,
}

/// Sets up, proves and verifies the floor of the given size, sampling as `config` says.
pub fn measure(
    config: &Config,
    progress: &ProgressBar,
    constraints: usize,
    public_inputs: usize,
) -> Result<Floor> {
    let shape = circuit(constraints, public_inputs)?;
    let err = |e: SynthesisError| BenchError::Peer {
        peer: "ark-groth16",
        message: e.to_string(),
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let setup_once = |rng: &mut rand_chacha::ChaCha20Rng| -> Result<ProvingKey<Bn254>> {
        Groth16::<Bn254>::generate_random_parameters_with_reduction(shape.clone(), rng).map_err(err)
    };
    let setup = if config.setup {
        progress.set_message("floor: ark-groth16 setup");
        let s = config.setup_sampling.measure(|| setup_once(&mut rng))?;
        progress.inc(1);
        Some(s)
    } else {
        None
    };
    let pk = setup_once(&mut rng)?;
    let pvk = prepare_verifying_key(&pk.vk);
    let x = Fr::from(3u64);
    // Full-size random public inputs: small ones would make arkworks' input preparation (one
    // scalar multiplication each) look cheaper than any real statement's.
    let inputs: Vec<Fr> = (0..public_inputs).map(|_| Fr::rand(&mut rng)).collect();
    let filled = FloorCircuit {
        values: Some((x, inputs.clone())),
        ..shape
    };
    progress.set_message("floor: ark-groth16 prove");
    let prove = config.slow.measure(|| {
        Groth16::<Bn254>::create_random_proof_with_reduction(filled.clone(), &pk, &mut rng)
            .map_err(err)
    })?;
    progress.inc(1);
    let proof =
        Groth16::<Bn254>::create_random_proof_with_reduction(filled, &pk, &mut rng).map_err(err)?;
    progress.set_message("floor: ark-groth16 verify");
    let verify =
        config.fast.measure(
            || match Groth16::<Bn254>::verify_proof(&pvk, &proof, &inputs) {
                Ok(true) => Ok(()),
                Ok(false) => Err(BenchError::Internal("floor proof does not verify".into())),
                Err(e) => Err(err(e)),
            },
        )?;
    progress.inc(1);
    Ok(Floor {
        constraints,
        public_inputs,
        setup,
        prove,
        verify,
        proof_bytes: proof.compressed_size(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn floor_has_the_asked_size() {
        let c = circuit(100, 5).unwrap();
        assert_eq!(count(&c).unwrap(), (100, 5));
    }
}
