//! The revocation tree: a sparse Poseidon Merkle tree of depth 32 (specs/groth16.md §4,
//! specs/revocation.md).
//!
//! Leaf `i` is [`LIVE`] (0) while the credential with `rev_index = i` is not revoked (and for
//! indexes never used) and [`REVOKED`] (1) once it is. Inner nodes are
//! `Poseidon(left, right)`; the issuer publishes the root. A holder proves, in zero knowledge,
//! that the leaf at its hidden `rev_index` is `LIVE` under the published root, i.e.
//!
//! `root = fold(LIVE, path, bits(rev_index))`, where level `k` hashes
//! `(cur, sibling_k)` if bit `k` of the index is 0 and `(sibling_k, cur)` if it is 1.
//!
//! Only non-default nodes are stored, so a tree with `m` revocations holds `≤ 33·m` nodes;
//! revoking costs 32 hashes.

pub mod constraints;

use std::collections::HashMap;

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use super::poseidon::poseidon2;
use crate::error::{CircuitError, Result};

/// Depth of the revocation tree: `2^32` credential slots (specs/revocation.md §7).
pub const DEPTH: usize = 32;
/// Number of leaves.
pub const CAPACITY: u64 = 1 << DEPTH;
/// The leaf value of a live (not revoked) credential.
pub const LIVE: Fr = <Fr as ark_ff::AdditiveGroup>::ZERO;
/// The leaf value of a revoked credential.
pub const REVOKED: Fr = <Fr as ark_ff::Field>::ONE;

/// The sibling hashes from a leaf to the root (level 0 first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerklePath {
    /// `siblings[k]` is the sibling at level `k`.
    pub siblings: [Fr; DEPTH],
}

impl MerklePath {
    /// The root this path leads to from `leaf` at `index`.
    pub fn root(&self, index: u64, leaf: Fr) -> Fr {
        let mut cur = leaf;
        for (k, sib) in self.siblings.iter().enumerate() {
            cur = if (index >> k) & 1 == 0 {
                poseidon2(cur, *sib)
            } else {
                poseidon2(*sib, cur)
            };
        }
        cur
    }
}

/// Roots of all-`LIVE` subtrees: `zero[k]` is the root of a subtree of height `k`.
fn zero_hashes() -> &'static [Fr; DEPTH + 1] {
    static Z: std::sync::OnceLock<[Fr; DEPTH + 1]> = std::sync::OnceLock::new();
    Z.get_or_init(|| {
        let mut z = [LIVE; DEPTH + 1];
        for k in 0..DEPTH {
            z[k + 1] = poseidon2(z[k], z[k]);
        }
        z
    })
}

/// The sparse revocation tree.
#[derive(Debug, Clone, Default)]
pub struct RevocationTree {
    /// Non-default nodes by `(level, index at that level)`; level 0 are the leaves.
    nodes: HashMap<(usize, u64), Fr>,
}

impl RevocationTree {
    /// An empty tree: every credential live.
    pub fn new() -> RevocationTree {
        RevocationTree::default()
    }

    /// Builds the tree from a list of revoked indexes.
    pub fn from_revoked(revoked: impl IntoIterator<Item = u64>) -> Result<RevocationTree> {
        let mut t = RevocationTree::new();
        for i in revoked {
            t.revoke(i)?;
        }
        Ok(t)
    }

    fn node(&self, level: usize, index: u64) -> Fr {
        self.nodes
            .get(&(level, index))
            .copied()
            .unwrap_or(zero_hashes()[level])
    }

    fn check_index(index: u64) -> Result<()> {
        if index >= CAPACITY {
            return Err(CircuitError::Tree(format!(
                "index {index} is outside the tree (capacity {CAPACITY})"
            )));
        }
        Ok(())
    }

    /// Sets leaf `index` to `value` and updates the path to the root.
    fn set(&mut self, index: u64, value: Fr) -> Result<()> {
        Self::check_index(index)?;
        let mut cur = value;
        let mut idx = index;
        for level in 0..=DEPTH {
            if cur == zero_hashes()[level] {
                self.nodes.remove(&(level, idx));
            } else {
                self.nodes.insert((level, idx), cur);
            }
            if level == DEPTH {
                break;
            }
            let sib = self.node(level, idx ^ 1);
            cur = if idx & 1 == 0 {
                poseidon2(cur, sib)
            } else {
                poseidon2(sib, cur)
            };
            idx >>= 1;
        }
        Ok(())
    }

    /// Marks `index` revoked (idempotent).
    pub fn revoke(&mut self, index: u64) -> Result<()> {
        self.set(index, REVOKED)
    }

    /// Marks `index` live again (e.g. an administrative error undone).
    pub fn reinstate(&mut self, index: u64) -> Result<()> {
        self.set(index, LIVE)
    }

    /// Whether `index` is revoked.
    pub fn is_revoked(&self, index: u64) -> bool {
        index < CAPACITY && self.node(0, index) == REVOKED
    }

    /// The published root.
    pub fn root(&self) -> Fr {
        self.node(DEPTH, 0)
    }

    /// The authentication path of leaf `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath> {
        Self::check_index(index)?;
        let mut siblings = [Fr::zero(); DEPTH];
        let mut idx = index;
        for (level, s) in siblings.iter_mut().enumerate() {
            *s = self.node(level, idx ^ 1);
            idx >>= 1;
        }
        Ok(MerklePath { siblings })
    }

    /// Number of revoked leaves.
    pub fn revoked_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|((level, _), v)| *level == 0 && v.is_one())
            .count()
    }
}

/// The root of the tree with nothing revoked.
pub fn empty_root() -> Fr {
    zero_hashes()[DEPTH]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference: the root computed densely over a small prefix, padding with zero subtrees.
    fn dense_root(revoked: &[u64], width_log: usize) -> Fr {
        let mut level: Vec<Fr> = (0..1u64 << width_log)
            .map(|i| if revoked.contains(&i) { REVOKED } else { LIVE })
            .collect();
        for _ in 0..width_log {
            level = level.chunks(2).map(|c| poseidon2(c[0], c[1])).collect();
        }
        let mut cur = level[0];
        for k in width_log..DEPTH {
            cur = poseidon2(cur, zero_hashes()[k]);
        }
        cur
    }

    #[test]
    fn empty_tree_root_is_zero_hash() {
        assert_eq!(RevocationTree::new().root(), empty_root());
        assert_eq!(dense_root(&[], 4), empty_root());
    }

    #[test]
    fn revoke_changes_root_and_paths_verify() {
        let mut t = RevocationTree::new();
        t.revoke(5).unwrap();
        t.revoke(12).unwrap();
        assert_eq!(t.root(), dense_root(&[5, 12], 4));
        assert!(t.is_revoked(5) && !t.is_revoked(6));
        for i in [0u64, 5, 6, 12, 13, CAPACITY - 1] {
            let leaf = if t.is_revoked(i) { REVOKED } else { LIVE };
            assert_eq!(t.path(i).unwrap().root(i, leaf), t.root());
            // The other leaf value never reaches the root.
            let other = if leaf == LIVE { REVOKED } else { LIVE };
            assert_ne!(t.path(i).unwrap().root(i, other), t.root());
        }
        t.reinstate(5).unwrap();
        t.reinstate(12).unwrap();
        assert_eq!(t.root(), empty_root());
        assert!(t.nodes.is_empty());
    }

    #[test]
    fn out_of_range_index_is_an_error() {
        let mut t = RevocationTree::new();
        assert!(matches!(t.revoke(CAPACITY), Err(CircuitError::Tree(_))));
        assert!(t.path(u64::MAX).is_err());
        assert!(!t.is_revoked(CAPACITY));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn sparse_equals_dense(revoked in proptest::collection::vec(0u64..32, 0..8)) {
            let t = RevocationTree::from_revoked(revoked.iter().copied()).unwrap();
            prop_assert_eq!(t.root(), dense_root(&revoked, 5));
            let mut uniq = revoked.clone();
            uniq.sort_unstable();
            uniq.dedup();
            prop_assert_eq!(t.revoked_count(), uniq.len());
        }
    }
}
