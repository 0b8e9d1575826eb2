//! In-circuit revocation check: the leaf at a hidden index is [`LIVE`] under a
//! public root (specs/groth16.md §4).
//!
//! Per level: one constraint chooses the left child (`left = cur + b·(sib − cur)`; the right one
//! is `cur + sib − left`, free) and one Poseidon(2) hashes them: `DEPTH · (1 + 240) = 7,712`
//! constraints, plus the index's bit decomposition done by the caller.

use ark_bn254::Fr;
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
};
use ark_relations::gr1cs::{Namespace, SynthesisError};
use core::borrow::Borrow;

use super::{MerklePath, DEPTH, LIVE};
use crate::gadgets::poseidon::constraints::PoseidonGadget;

/// An allocated authentication path.
#[derive(Clone)]
pub struct MerklePathVar {
    /// Siblings, level 0 first.
    pub siblings: Vec<FpVar<Fr>>,
}

impl AllocVar<MerklePath, Fr> for MerklePathVar {
    fn new_variable<T: Borrow<MerklePath>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let ns = cs.into();
        let cs = ns.cs();
        let path = f().map(|p| p.borrow().siblings);
        let siblings = (0..DEPTH)
            .map(|k| {
                FpVar::new_variable(
                    cs.clone(),
                    || path.as_ref().map(|s| s[k]).map_err(|e| *e),
                    mode,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MerklePathVar { siblings })
    }
}

/// The revocation check as a gadget.
pub struct RevocationGadget;

impl RevocationGadget {
    /// The root reached from `leaf` at the index whose little-endian bits are `index_bits`.
    pub fn root(
        leaf: &FpVar<Fr>,
        index_bits: &[Boolean<Fr>],
        path: &MerklePathVar,
    ) -> Result<FpVar<Fr>, SynthesisError> {
        if index_bits.len() != DEPTH || path.siblings.len() != DEPTH {
            return Err(SynthesisError::Unsatisfiable);
        }
        let mut cur = leaf.clone();
        for (bit, sib) in index_bits.iter().zip(&path.siblings) {
            // left = bit ? sib : cur ; right = bit ? cur : sib
            let left = bit.select(sib, &cur)?;
            let right = &cur + sib - &left;
            cur = PoseidonGadget::hash2(&left, &right)?;
        }
        Ok(cur)
    }

    /// Enforces that the leaf at the index is `LIVE` under `root`.
    pub fn enforce_live(
        root: &FpVar<Fr>,
        index_bits: &[Boolean<Fr>],
        path: &MerklePathVar,
    ) -> Result<(), SynthesisError> {
        let reached = Self::root(&FpVar::constant(LIVE), index_bits, path)?;
        reached.enforce_equal(root)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::gadgets::merkle::RevocationTree;
    use crate::gadgets::range::constraints::to_bits_le_strict_small;
    use ark_relations::gr1cs::ConstraintSystem;

    fn check(tree: &RevocationTree, index: u64, root: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let idx = FpVar::new_witness(cs.clone(), || Ok(Fr::from(index))).unwrap();
        let bits = to_bits_le_strict_small(&idx, DEPTH).unwrap();
        let path =
            MerklePathVar::new_witness(cs.clone(), || Ok(tree.path(index).unwrap())).unwrap();
        let root = FpVar::new_input(cs.clone(), || Ok(root)).unwrap();
        let before = cs.num_constraints();
        RevocationGadget::enforce_live(&root, &bits, &path).unwrap();
        let n = cs.num_constraints() - before;
        (cs.is_satisfied().unwrap(), n)
    }

    #[test]
    fn live_leaf_is_accepted_revoked_is_not() {
        let tree = RevocationTree::from_revoked([3, 700_000]).unwrap();
        let (ok, n) = check(&tree, 4, tree.root());
        assert!(ok);
        // 32 levels of (select + Poseidon(2)) and the final equality with the root.
        assert_eq!(n, 32 * 241 + 1);
        assert!(check(&tree, 700_001, tree.root()).0);
        assert!(!check(&tree, 3, tree.root()).0, "revoked leaf");
        assert!(!check(&tree, 700_000, tree.root()).0, "revoked leaf");
        assert!(!check(&tree, 4, Fr::from(5u64)).0, "other root");
        // Against a root from before the revocation, the revoked holder still proves liveness:
        // this is why verifiers take the root (and epoch) from the issuer's current metadata and
        // never from the holder.
        let old = RevocationTree::from_revoked([700_000]).unwrap();
        assert!(check(&tree, 3, old.root()).0);
    }

    #[test]
    fn gadget_root_equals_native() {
        let tree = RevocationTree::from_revoked([1, 2, 99]).unwrap();
        for index in [0u64, 1, 99, 1 << 19] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let idx = FpVar::new_witness(cs.clone(), || Ok(Fr::from(index))).unwrap();
            let bits = to_bits_le_strict_small(&idx, DEPTH).unwrap();
            let p = tree.path(index).unwrap();
            let pv = MerklePathVar::new_witness(cs.clone(), || Ok(p.clone())).unwrap();
            let leaf = if tree.is_revoked(index) {
                super::super::REVOKED
            } else {
                LIVE
            };
            let lv = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
            let r = RevocationGadget::root(&lv, &bits, &pv).unwrap();
            use ark_r1cs_std::GR1CSVar;
            assert_eq!(r.value().unwrap(), p.root(index, leaf));
            assert_eq!(r.value().unwrap(), tree.root());
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
