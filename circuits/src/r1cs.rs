//! The presentation circuit as a rank-1 constraint system, and its export in the iden3 `.r1cs`
//! binary format that circom writes and snarkjs reads (specs/groth16.md §7.2), so that a
//! phase-2 ceremony runs on netid's circuit with the standard tooling, unchanged.
//!
//! Wires are arkworks' variables in arkworks' order: wire 0 is the constant 1, wires
//! `1..=NUM_PUBLIC_INPUTS` are the public inputs in netid's order (all declared as public
//! *inputs*, no outputs), then the witness. Constraints are the R1CS rows exactly as arkworks'
//! Groth16 generator and prover synthesise them (optimisation goal: constraints), in the same
//! order; snarkjs appends the same input-consistency rows as arkworks, so a `.zkey` made from
//! this file is a key for netid's prover.
//!
//! File layout (all integers little-endian):
//!
//! ```text
//! "r1cs" ‖ u32 version = 1 ‖ u32 number of sections = 3
//! section 1 (header):      u32 type = 1 ‖ u64 size ‖ u32 field size = 32 ‖ prime (32 B)
//!                          ‖ u32 nWires ‖ u32 nPubOut = 0 ‖ u32 nPubIn ‖ u32 nPrvIn = 0
//!                          ‖ u64 nLabels = nWires ‖ u32 nConstraints
//! section 2 (constraints): u32 type = 2 ‖ u64 size ‖ per constraint, A, B and C as
//!                          u32 nTerms ‖ nTerms × (u32 wire ‖ coefficient, 32 B, canonical)
//! section 3 (wire→label):  u32 type = 3 ‖ u64 size ‖ nWires × u64 label (= wire index)
//! ```

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_relations::gr1cs::ConstraintSynthesizer;
use sha2::{Digest, Sha256};

use crate::error::{CircuitError, Result};
use crate::prover::CircuitMatrices;

/// One linear combination: `(wire, coefficient)` sorted by wire, no zero coefficients.
pub type Lc = Vec<(u32, Fr)>;

/// The presentation circuit's constraint system, as the ceremony tools see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R1cs {
    /// Number of wires, the constant 1 included.
    pub num_wires: usize,
    /// Number of public inputs (wires `1..=num_public`).
    pub num_public: usize,
    /// The constraints `⟨A, w⟩ · ⟨B, w⟩ = ⟨C, w⟩`.
    pub constraints: Vec<[Lc; 3]>,
}

impl R1cs {
    /// The presentation circuit's constraint system (synthesised once per process).
    ///
    /// # Errors
    /// [`CircuitError::Synthesis`] (an internal error).
    pub fn presentation() -> Result<&'static R1cs> {
        static R: OnceLock<Option<R1cs>> = OnceLock::new();
        R.get_or_init(|| CircuitMatrices::presentation().ok().map(from_matrices))
            .as_ref()
            .ok_or_else(|| CircuitError::Keys("cannot synthesize the presentation circuit".into()))
    }

    /// The constraint system of any circuit, synthesised as arkworks' Groth16 generator does
    /// (for tests and tools that need another circuit's `.r1cs`).
    ///
    /// # Errors
    /// [`CircuitError::Synthesis`].
    pub fn from_circuit<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<R1cs> {
        synthesize(circuit)
    }

    /// Number of constraints (without the input-consistency rows the QAP adds).
    pub fn num_constraints(&self) -> usize {
        self.constraints.len()
    }

    /// The QAP domain size: the least power of two `≥ constraints + public inputs + 1`.
    pub fn domain_size(&self) -> usize {
        (self.num_constraints() + self.num_public + 1).next_power_of_two()
    }

    /// The `.r1cs` file (see the module docs).
    pub fn to_iden3_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"r1cs");
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&3u32.to_le_bytes());

        let mut header = Vec::new();
        header.extend_from_slice(&32u32.to_le_bytes());
        header.extend_from_slice(&fr_modulus_le());
        for n in [self.num_wires, 0, self.num_public, 0] {
            header.extend_from_slice(&(n as u32).to_le_bytes());
        }
        header.extend_from_slice(&(self.num_wires as u64).to_le_bytes());
        header.extend_from_slice(&(self.num_constraints() as u32).to_le_bytes());
        section(&mut out, 1, &header);

        let mut body = Vec::new();
        for row in &self.constraints {
            for lc in row {
                body.extend_from_slice(&(lc.len() as u32).to_le_bytes());
                for (wire, coeff) in lc {
                    body.extend_from_slice(&wire.to_le_bytes());
                    body.extend_from_slice(&fr_le(coeff));
                }
            }
        }
        section(&mut out, 2, &body);

        let mut labels = Vec::with_capacity(8 * self.num_wires);
        for w in 0..self.num_wires as u64 {
            labels.extend_from_slice(&w.to_le_bytes());
        }
        section(&mut out, 3, &labels);
        out
    }

    /// SHA-256 of the `.r1cs` file: the circuit's fingerprint (changes whenever the circuit
    /// does; names cached key files and is recorded in them).
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"netid/v1/groth16/circuit-fingerprint/r1cs");
        h.update(self.to_iden3_bytes());
        h.finalize().into()
    }
}

fn section(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
}

/// Canonical little-endian bytes of a scalar.
pub(crate) fn fr_le(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

/// The BN254 scalar field modulus, little-endian.
pub(crate) fn fr_modulus_le() -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Fr::MODULUS.to_bytes_le());
    out
}

/// Synthesises `circuit` in setup mode exactly as arkworks' Groth16 generator and prover do.
pub(crate) fn synthesize<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<R1cs> {
    Ok(from_matrices(&CircuitMatrices::of(circuit)?))
}

/// The `.r1cs` view of arkworks' matrices: terms sorted by wire, merged, zeros dropped.
fn from_matrices(m: &CircuitMatrices) -> R1cs {
    let [a, b, c] = &m.abc;
    let num_public = m.num_instance - 1;
    let num_wires = m.num_wires();
    let lc = |row: &Vec<(Fr, usize)>| -> Lc {
        let mut terms: Vec<(u32, Fr)> = Vec::with_capacity(row.len());
        let mut sorted: Vec<(usize, Fr)> = row.iter().map(|&(c, i)| (i, c)).collect();
        sorted.sort_by_key(|&(i, _)| i);
        for (i, c) in sorted {
            match terms.last_mut() {
                Some((w, acc)) if *w as usize == i => *acc += c,
                _ => terms.push((i as u32, c)),
            }
        }
        terms.retain(|(_, c)| !c.is_zero());
        terms
    };
    let constraints = a
        .iter()
        .zip(b)
        .zip(c)
        .map(|((a, b), c)| [lc(a), lc(b), lc(c)])
        .collect();
    R1cs {
        num_wires,
        num_public,
        constraints,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::presentation::circuit::PresentationCircuit;
    use crate::presentation::NUM_PUBLIC_INPUTS;

    #[test]
    fn layout_of_the_exported_file() {
        let r = R1cs::presentation().unwrap();
        assert_eq!(r.num_public, NUM_PUBLIC_INPUTS);
        assert!(
            r.domain_size() <= 1 << 14,
            "the circuit must fit a 2^14 domain"
        );
        let bytes = r.to_iden3_bytes();
        assert_eq!(&bytes[..4], b"r1cs");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 1);
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 3);
        // header section
        assert_eq!(u32::from_le_bytes(bytes[12..16].try_into().unwrap()), 1);
        assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), 64);
        let h = &bytes[24..88];
        assert_eq!(u32::from_le_bytes(h[0..4].try_into().unwrap()), 32);
        assert_eq!(h[4..36], fr_modulus_le());
        let u = |o: usize| u32::from_le_bytes(h[o..o + 4].try_into().unwrap()) as usize;
        assert_eq!(u(36), r.num_wires);
        assert_eq!((u(40), u(44), u(48)), (0, NUM_PUBLIC_INPUTS, 0));
        assert_eq!(u(60), r.num_constraints());
        // Every coefficient is canonical and every wire exists.
        for row in &r.constraints {
            for lc in row {
                assert!(lc.windows(2).all(|w| w[0].0 < w[1].0));
                assert!(lc
                    .iter()
                    .all(|(w, c)| (*w as usize) < r.num_wires && !c.is_zero()));
            }
        }
        // Deterministic.
        assert_eq!(synthesize(PresentationCircuit::default()).unwrap(), *r);
    }
}
