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

/// The root of an all-[`LIVE`] subtree of height `level` (`level ≤ DEPTH`): the value of every
/// node at that level that nothing under it has changed.
///
/// # Panics
/// Never for `level ≤ DEPTH`; a larger level is a caller bug and panics.
pub fn zero_hash(level: usize) -> Fr {
    zero_hashes()[level]
}

/// Height of a bucket: the issuer serves the tree in buckets of `2^16` slots
/// (specs/revocation.md §8).
pub const BUCKET_BITS: usize = 16;
/// Number of buckets: `2^16`.
pub const BUCKETS: u64 = 1 << (DEPTH - BUCKET_BITS);
/// Number of siblings above a bucket: levels `BUCKET_BITS..DEPTH`.
pub const UPPER: usize = DEPTH - BUCKET_BITS;

/// The root of one bucket's subtree (a node at level [`BUCKET_BITS`]) from the offsets of its
/// revoked slots (any order; duplicates count once), and the `BUCKET_BITS` lower siblings of
/// offset `want`. Empty subtrees take their known default values, so the cost is at most
/// `r·16` Poseidon hashes for `r` revoked slots.
pub fn bucket_subtree(revoked: &[u16], want: u16) -> (Fr, [Fr; BUCKET_BITS]) {
    let mut level: Vec<(u64, Fr)> = revoked.iter().map(|&o| (u64::from(o), REVOKED)).collect();
    level.sort_unstable_by_key(|(i, _)| *i);
    level.dedup_by_key(|(i, _)| *i);
    let mut siblings = [LIVE; BUCKET_BITS];
    let mut idx = u64::from(want);
    for (k, sib) in siblings.iter_mut().enumerate() {
        *sib = level
            .binary_search_by_key(&(idx ^ 1), |(j, _)| *j)
            .map_or(zero_hashes()[k], |p| level[p].1);
        let mut next: Vec<(u64, Fr)> = Vec::with_capacity(level.len());
        let mut p = 0;
        while p < level.len() {
            let (i, v) = level[p];
            let parent = i >> 1;
            let (left, right) = if i & 1 == 0 {
                match level.get(p + 1) {
                    Some(&(j, w)) if j == i + 1 => {
                        p += 1;
                        (v, w)
                    }
                    _ => (v, zero_hashes()[k]),
                }
            } else {
                (zero_hashes()[k], v)
            };
            next.push((parent, poseidon2(left, right)));
            p += 1;
        }
        level = next;
        idx >>= 1;
    }
    let root = level
        .first()
        .map_or(zero_hashes()[BUCKET_BITS], |(_, v)| *v);
    (root, siblings)
}

/// The authentication path of `slot` from its bucket: the bucket's revoked offsets and the
/// [`UPPER`] siblings above the bucket (level `BUCKET_BITS` first), as the issuer serves them
/// (specs/revocation.md §8). The wallet computes its own path this way, so it never names its
/// slot to anyone.
///
/// # Errors
/// [`CircuitError::Tree`] for a slot outside the tree.
pub fn path_from_bucket(slot: u64, revoked: &[u16], upper: &[Fr; UPPER]) -> Result<MerklePath> {
    RevocationTree::check_index(slot)?;
    let offset = u16::try_from(slot & ((1 << BUCKET_BITS) - 1))
        .map_err(|_| CircuitError::Tree("bucket offset".into()))?;
    let (_, lower) = bucket_subtree(revoked, offset);
    let mut siblings = [LIVE; DEPTH];
    siblings[..BUCKET_BITS].copy_from_slice(&lower);
    siblings[BUCKET_BITS..].copy_from_slice(upper);
    Ok(MerklePath { siblings })
}

impl RevocationTree {
    /// Bucket `b` as the issuer serves it: its revoked offsets (ascending) and the siblings
    /// above it. For tests and benchmarks; the issuer builds buckets from its database.
    pub fn bucket(&self, b: u64) -> (Vec<u16>, [Fr; UPPER]) {
        let lo = b << BUCKET_BITS;
        let mut revoked: Vec<u16> = self
            .nodes
            .iter()
            .filter(|((level, i), v)| *level == 0 && (*i >> BUCKET_BITS) == b && v.is_one())
            .filter_map(|((_, i), _)| u16::try_from(i - lo).ok())
            .collect();
        revoked.sort_unstable();
        let mut upper = [LIVE; UPPER];
        let mut idx = b;
        for (j, s) in upper.iter_mut().enumerate() {
            *s = self.node(BUCKET_BITS + j, idx ^ 1);
            idx >>= 1;
        }
        (revoked, upper)
    }
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

    #[test]
    fn bucket_subtree_of_an_empty_bucket_is_the_default_node() {
        let (root, sibs) = bucket_subtree(&[], 9);
        assert_eq!(root, zero_hash(BUCKET_BITS));
        for (k, s) in sibs.iter().enumerate() {
            assert_eq!(*s, zero_hash(k));
        }
    }

    #[test]
    fn paths_from_buckets_equal_the_trees_paths() {
        // Two revoked slots in bucket 3 (adjacent, and far apart), one in the last bucket.
        let b3 = 3u64 << BUCKET_BITS;
        let revoked = [b3 + 4, b3 + 5, b3 + 60_000, CAPACITY - 2, 17];
        let t = RevocationTree::from_revoked(revoked).unwrap();
        for slot in [
            b3 + 4,
            b3 + 6,
            b3 + 65_535,
            b3,
            CAPACITY - 1,
            0,
            17,
            1 << 20,
        ] {
            let (offs, upper) = t.bucket(slot >> BUCKET_BITS);
            let path = path_from_bucket(slot, &offs, &upper).unwrap();
            assert_eq!(path, t.path(slot).unwrap(), "slot {slot}");
            let leaf = if t.is_revoked(slot) { REVOKED } else { LIVE };
            assert_eq!(path.root(slot, leaf), t.root());
        }
        // The bucket's own root is the tree's node at level BUCKET_BITS.
        let (offs, _) = t.bucket(3);
        assert_eq!(offs, [4, 5, 60_000]);
        assert_eq!(bucket_subtree(&offs, 0).0, t.node(BUCKET_BITS, 3));
        assert!(path_from_bucket(CAPACITY, &[], &[LIVE; UPPER]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn bucket_paths_equal_tree_paths(
            offs in proptest::collection::vec(0u16..64, 0..10),
            want in 0u16..64,
        ) {
            let b = 7u64;
            let t = RevocationTree::from_revoked(
                offs.iter().map(|&o| (b << BUCKET_BITS) + u64::from(o)),
            ).unwrap();
            let (served, upper) = t.bucket(b);
            let slot = (b << BUCKET_BITS) + u64::from(want);
            prop_assert_eq!(path_from_bucket(slot, &served, &upper).unwrap(), t.path(slot).unwrap());
            // Order and duplicates of the offsets do not matter.
            let (root, _) = bucket_subtree(&offs, want);
            prop_assert_eq!(root, t.node(BUCKET_BITS, b));
        }
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
