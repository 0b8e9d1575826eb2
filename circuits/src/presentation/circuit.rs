//! The presentation circuit (specs/groth16.md §6): constraints for the relation in
//! [the module docs](super), part by part, with the count of each part in [`PartCounts`].

use ark_bn254::Fr;
use ark_r1cs_std::{
    alloc::AllocVar,
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use netid_core::Attribute;

use super::{PublicInputs, Witness, FLAG_BITS};
use crate::gadgets::eddsa::constraints::{EdDsaPoseidonGadget, PublicKeyVar, SignatureVar};
use crate::gadgets::merkle::{constraints::MerklePathVar, constraints::RevocationGadget, DEPTH};
use crate::gadgets::poseidon::constraints::PoseidonGadget;
use crate::gadgets::range::{
    constraints::{enforce_in_range, to_bits_le_strict_small},
    DATE_BITS, LEVEL_BITS,
};

/// The presentation circuit. `None` fields synthesize the shape only (setup).
#[derive(Clone, Default)]
pub struct PresentationCircuit {
    /// Public inputs (None during setup).
    pub public: Option<PublicInputs>,
    /// Witness (None during setup).
    pub witness: Option<Witness>,
    /// When set, the constraint count after each part is recorded here (for `info` and the
    /// pinned-count tests).
    pub counts: Option<std::rc::Rc<std::cell::RefCell<PartCounts>>>,
}

impl core::fmt::Debug for PresentationCircuit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PresentationCircuit")
            .field("public", &self.public)
            .field("witness", &self.witness.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Constraints per part of the circuit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartCounts {
    /// Allocation of public inputs and bit decompositions of `mask` and `flags`.
    pub inputs: usize,
    /// `C = Poseidon(m_0..m_11)`.
    pub commitment: usize,
    /// EdDSA-Poseidon verification of the issuer's signature on `C`.
    pub signature: usize,
    /// Selective disclosure (`d_i = mask_i · m_i`).
    pub disclosure: usize,
    /// Age, expiry and assurance range checks.
    pub predicates: usize,
    /// Revocation: index bits and Merkle path.
    pub revocation: usize,
    /// Pseudonym.
    pub pseudonym: usize,
    /// Holder binding: `Poseidon(s) = m_binding`.
    pub binding: usize,
    /// Total.
    pub total: usize,
}

impl PartCounts {
    /// `(name, count)` rows, for printing.
    pub fn rows(&self) -> [(&'static str, usize); 9] {
        [
            ("public inputs, mask and flag bits", self.inputs),
            ("C = Poseidon(12 attributes)", self.commitment),
            ("EdDSA-Poseidon signature on C", self.signature),
            ("selective disclosure", self.disclosure),
            ("age / expiry / assurance ranges", self.predicates),
            ("revocation (index bits + depth-20 path)", self.revocation),
            ("pseudonym = Poseidon(nym, app_id)", self.pseudonym),
            ("holder binding = Poseidon(secret)", self.binding),
            ("total", self.total),
        ]
    }
}

fn get<T: Clone>(v: &Option<T>) -> Result<T, SynthesisError> {
    v.clone().ok_or(SynthesisError::AssignmentMissing)
}

impl ConstraintSynthesizer<Fr> for PresentationCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let p = &self.public;
        let w = &self.witness;
        let mut last = cs.num_constraints();
        let mut counts = PartCounts::default();
        let mut mark = |slot: &mut usize, cs: &ConstraintSystemRef<Fr>| {
            let n = cs.num_constraints();
            *slot = n - last;
            last = n;
        };

        // ---- public inputs, in the order of `PublicInputs::to_field_elements`
        let issuer = PublicKeyVar::new_input(cs.clone(), || get(p).map(|p| p.issuer))?;
        let input = |f: &dyn Fn(&PublicInputs) -> Fr| {
            FpVar::new_input(cs.clone(), || get(p).map(|p| f(&p)))
        };
        let request_hash = input(&|p| p.request_hash)?;
        let app_id = input(&|p| p.app_id)?;
        let pseudonym = input(&|p| p.pseudonym)?;
        let mask = input(&|p| Fr::from(p.mask))?;
        let disclosed = (0..Attribute::COUNT)
            .map(|i| input(&|p| p.disclosed[i]))
            .collect::<Result<Vec<_>, _>>()?;
        let flags = input(&|p| Fr::from(p.flags))?;
        let cutoff = input(&|p| Fr::from(p.cutoff))?;
        let today = input(&|p| Fr::from(p.today))?;
        let min_assurance = input(&|p| Fr::from(p.min_assurance))?;
        let rev_root = input(&|p| p.rev_root)?;

        // The request hash enters no other constraint; this one (Tornado Cash's "square" trick)
        // makes its use explicit, independent of the proof system's input-consistency rows.
        let _ = request_hash.square()?;

        let mask_bits = to_bits_le_strict_small(&mask, Attribute::COUNT)?;
        let flag_bits = to_bits_le_strict_small(&flags, FLAG_BITS)?;
        let (age_on, exp_on, asr_on, ps_on) =
            (&flag_bits[0], &flag_bits[1], &flag_bits[2], &flag_bits[3]);
        mark(&mut counts.inputs, &cs);

        // ---- witness
        let m = (0..Attribute::COUNT)
            .map(|i| FpVar::new_witness(cs.clone(), || get(w).map(|w| w.attributes[i])))
            .collect::<Result<Vec<_>, _>>()?;
        let sig = SignatureVar::new_witness(cs.clone(), || get(w).map(|w| w.signature))?;
        let path = MerklePathVar::new_witness(cs.clone(), || get(w).map(|w| w.path))?;
        let secret = FpVar::new_witness(cs.clone(), || get(w).map(|w| w.secret))?;
        let attr = |a: Attribute| &m[a.index()];

        // ---- 1. signature over C = Poseidon(attributes)
        let c = PoseidonGadget::hash(&m)?;
        mark(&mut counts.commitment, &cs);
        EdDsaPoseidonGadget::verify(&issuer, &sig, &c)?;
        mark(&mut counts.signature, &cs);

        // ---- 2. selective disclosure: d_i = mask_i · m_i
        for ((bit, d), v) in mask_bits.iter().zip(&disclosed).zip(&m) {
            let selected = FpVar::from(bit.clone()) * v;
            selected.enforce_equal(d)?;
        }
        mark(&mut counts.disclosure, &cs);

        // ---- 3. predicates as small ranges, switched by the flags
        let gated = |on: &Boolean<Fr>, x: FpVar<Fr>| FpVar::from(on.clone()) * x;
        enforce_in_range(
            &gated(age_on, &cutoff - attr(Attribute::Birthdate)),
            DATE_BITS,
        )?;
        enforce_in_range(&gated(exp_on, attr(Attribute::Expiry) - &today), DATE_BITS)?;
        enforce_in_range(
            &gated(asr_on, attr(Attribute::Assurance) - &min_assurance),
            LEVEL_BITS,
        )?;
        mark(&mut counts.predicates, &cs);

        // ---- 4. not revoked
        let index_bits = to_bits_le_strict_small(attr(Attribute::RevIndex), DEPTH)?;
        RevocationGadget::enforce_live(&rev_root, &index_bits, &path)?;
        mark(&mut counts.revocation, &cs);

        // ---- 5. pseudonym
        let nym_ps = PoseidonGadget::hash2(attr(Attribute::Nym), &app_id)?;
        let expected = FpVar::from(ps_on.clone()) * nym_ps;
        expected.enforce_equal(&pseudonym)?;
        mark(&mut counts.pseudonym, &cs);

        // ---- 6. holder binding: the prover knows s with Poseidon(s) = m_binding
        PoseidonGadget::hash(&[secret])?.enforce_equal(attr(Attribute::Binding))?;
        mark(&mut counts.binding, &cs);

        counts.total = cs.num_constraints();
        if let Some(slot) = &self.counts {
            *slot.borrow_mut() = counts;
        }
        Ok(())
    }
}
