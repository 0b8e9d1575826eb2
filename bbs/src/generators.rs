//! Cached generators with precomputed fixed-base tables (draft §4.1 `create_generators`;
//! specs/bbs.md §6).
//!
//! The draft allows caching the output of `create_generators` and the chain value `v` so the list
//! can be extended. This module keeps, per `(ciphersuite, api_id)`, the points computed so far and
//! the chain value, and a fixed-base table for the first [`MAX_TABLES`] of them and for `P1`.

use bls12_381::{G1Affine, G1Projective, Scalar};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Result;
use crate::msm::{blst, FixedBaseTable};
use crate::suite::{generator_chain, generator_chain_from, generator_dsts, Ciphersuite};

/// Generators beyond this index get no fixed-base table (each table is about 100 KiB); they are
/// multiplied with the windowed variable-base method instead.
pub const MAX_TABLES: usize = 64;

struct Chain {
    points: Vec<G1Affine>,
    tables: Vec<Arc<FixedBaseTable>>,
    blst_tables: Vec<Arc<blst::FixedBaseTable>>,
    v: Vec<u8>,
}

type Key = (Ciphersuite, Vec<u8>);

fn cache() -> &'static Mutex<HashMap<Key, Arc<Mutex<Chain>>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Mutex<Chain>>>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn p1_table(suite: Ciphersuite) -> Arc<FixedBaseTable> {
    static T: [OnceLock<Arc<FixedBaseTable>>; 2] = [OnceLock::new(), OnceLock::new()];
    T[suite as usize]
        .get_or_init(|| Arc::new(FixedBaseTable::new(&suite.p1())))
        .clone()
}

fn p1_table_blst(suite: Ciphersuite) -> Arc<blst::FixedBaseTable> {
    static T: [OnceLock<Arc<blst::FixedBaseTable>>; 2] = [OnceLock::new(), OnceLock::new()];
    T[suite as usize]
        .get_or_init(|| Arc::new(blst::FixedBaseTable::new(&blst::from_zk(&suite.p1()))))
        .clone()
}

/// The generators `(Q_1, H_1, …, H_L)` for one ciphersuite and `api_id`, plus `P1`, with
/// precomputed tables. Cheap to clone.
#[derive(Clone)]
pub struct Generators {
    suite: Ciphersuite,
    points: Vec<G1Affine>,
    tables: Vec<Arc<FixedBaseTable>>,
    p1: Arc<FixedBaseTable>,
    /// The same tables over blst's points (the netid presentation).
    blst_tables: Vec<Arc<blst::FixedBaseTable>>,
    blst_p1: Arc<blst::FixedBaseTable>,
}

impl core::fmt::Debug for Generators {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Generators")
            .field("suite", &self.suite)
            .field("count", &self.points.len())
            .finish()
    }
}

impl Generators {
    /// `create_generators(count, api_id)`, served from the process-wide cache (computed and
    /// extended on demand; thread-safe).
    pub fn get(suite: Ciphersuite, api_id: &[u8], count: usize) -> Result<Generators> {
        let chain = {
            let mut map = cache().lock().unwrap_or_else(|e| e.into_inner());
            map.entry((suite, api_id.to_vec()))
                .or_insert_with(|| {
                    Arc::new(Mutex::new(Chain {
                        points: Vec::new(),
                        tables: Vec::new(),
                        blst_tables: Vec::new(),
                        v: Vec::new(),
                    }))
                })
                .clone()
        };
        let mut chain = chain.lock().unwrap_or_else(|e| e.into_inner());
        let have = chain.points.len();
        if have < count {
            let (seed, seed_dst, gen_dst) = generator_dsts(api_id);
            let (new, v) = if have == 0 {
                generator_chain(suite, &seed, &seed_dst, &gen_dst, 0, count)?
            } else {
                let v = chain.v.clone();
                generator_chain_from(suite, v, &seed_dst, &gen_dst, have, count - have)?
            };
            chain.points.extend(new);
            chain.v = v;
        }
        let want_tables = count.min(MAX_TABLES);
        while chain.tables.len() < want_tables {
            let i = chain.tables.len();
            let t = Arc::new(FixedBaseTable::new(&chain.points[i]));
            chain.tables.push(t);
            let t = Arc::new(blst::FixedBaseTable::new(&blst::from_zk(&chain.points[i])));
            chain.blst_tables.push(t);
        }
        Ok(Generators {
            suite,
            points: chain.points[..count].to_vec(),
            tables: chain.tables[..want_tables].to_vec(),
            p1: p1_table(suite),
            blst_tables: chain.blst_tables[..want_tables].to_vec(),
            blst_p1: p1_table_blst(suite),
        })
    }

    /// The ciphersuite.
    pub fn suite(&self) -> Ciphersuite {
        self.suite
    }

    /// Number of generators (`L + 1`).
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// True when there are no generators.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The points `(Q_1, H_1, …, H_L)`.
    pub fn points(&self) -> &[G1Affine] {
        &self.points
    }

    /// The list `self ‖ other` (same ciphersuite): Blind BBS signs under the signer's generators
    /// followed by the blind generators. Fixed-base tables carry over where they cover a prefix.
    pub fn concat(&self, other: &Generators) -> Generators {
        let mut points = self.points.clone();
        points.extend_from_slice(&other.points);
        let mut tables = self.tables.clone();
        let mut blst_tables = self.blst_tables.clone();
        if tables.len() == self.points.len() {
            let room = MAX_TABLES.saturating_sub(tables.len());
            tables.extend(other.tables.iter().take(room).cloned());
            blst_tables.extend(other.blst_tables.iter().take(room).cloned());
        }
        Generators {
            suite: self.suite,
            points,
            tables,
            p1: self.p1.clone(),
            blst_tables,
            blst_p1: self.blst_p1.clone(),
        }
    }

    /// [`Generators::add_p1`] over blst's points.
    pub(crate) fn add_p1_blst(&self, acc: &mut blst::G1Projective, s: &Scalar, ct: bool) {
        if ct {
            self.blst_p1.mul_add_ct(acc, s)
        } else {
            self.blst_p1.mul_add_vartime(acc, s)
        }
    }

    /// [`Generators::lincomb`] over blst's points.
    pub(crate) fn lincomb_blst(&self, terms: &[(usize, Scalar)], ct: bool) -> blst::G1Projective {
        let mut acc = <blst::G1Projective as group13::Group>::identity();
        let mut rest = Vec::new();
        for (i, s) in terms {
            match self.blst_tables.get(*i) {
                Some(t) if ct => t.mul_add_ct(&mut acc, s),
                Some(t) => t.mul_add_vartime(&mut acc, s),
                None => rest.push((
                    blst::G1Projective::from(blst::from_zk(&self.points[*i])),
                    *s,
                )),
            }
        }
        if !rest.is_empty() {
            acc += if ct {
                blst::msm_ct(&rest)
            } else {
                blst::msm_vartime(&rest)
            };
        }
        acc
    }

    /// `acc += s · P1`.
    pub(crate) fn add_p1(&self, acc: &mut G1Projective, s: &Scalar, ct: bool) {
        if ct {
            self.p1.mul_add_ct(acc, s)
        } else {
            self.p1.mul_add_vartime(acc, s)
        }
    }

    /// `Σ sᵢ · G[idxᵢ]` over generator indexes (0 = `Q_1`, i = `H_i`), constant-time in the
    /// scalars when `ct` is set.
    pub(crate) fn lincomb(&self, terms: &[(usize, Scalar)], ct: bool) -> G1Projective {
        let mut acc = G1Projective::identity();
        let mut rest = Vec::new();
        for (i, s) in terms {
            match self.tables.get(*i) {
                Some(t) if ct => t.mul_add_ct(&mut acc, s),
                Some(t) => t.mul_add_vartime(&mut acc, s),
                None => rest.push((G1Projective::from(self.points[*i]), *s)),
            }
        }
        if !rest.is_empty() {
            acc += if ct {
                crate::msm::msm_ct(&rest)
            } else {
                crate::msm::msm_vartime(&rest)
            };
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cache_extends_consistently() {
        let api = b"netid-test-api-id";
        let s = Ciphersuite::Sha256;
        let small = Generators::get(s, api, 3).unwrap();
        let big = Generators::get(s, api, 7).unwrap();
        let direct = s.create_generators(7, api).unwrap();
        assert_eq!(&big.points()[..3], small.points());
        assert_eq!(big.points(), &direct[..]);
        assert_eq!(Generators::get(s, api, 2).unwrap().points(), &direct[..2]);
    }

    #[test]
    fn concat_keeps_order_and_tables() {
        let s = Ciphersuite::Sha256;
        let a = Generators::get(s, b"netid-test-a", 3).unwrap();
        let b = Generators::get(s, b"netid-test-b", 2).unwrap();
        let ab = a.concat(&b);
        assert_eq!(ab.len(), 5);
        assert_eq!(&ab.points()[..3], a.points());
        assert_eq!(&ab.points()[3..], b.points());
        let terms = [(1, Scalar::from(7u64)), (4, Scalar::from(9u64))];
        let naive = ab.points()[1] * Scalar::from(7u64) + ab.points()[4] * Scalar::from(9u64);
        assert_eq!(ab.lincomb(&terms, true), naive);
        assert_eq!(ab.lincomb(&terms, false), naive);
    }

    #[test]
    fn lincomb_beyond_tables() {
        let api = b"netid-test-many";
        let s = Ciphersuite::Shake256;
        let n = MAX_TABLES + 3;
        let g = Generators::get(s, api, n).unwrap();
        let terms: Vec<(usize, Scalar)> = [0, 5, n - 1, n - 2]
            .iter()
            .map(|&i| (i, Scalar::from(i as u64 + 11)))
            .collect();
        let naive: G1Projective = terms.iter().map(|(i, x)| g.points()[*i] * x).sum();
        assert_eq!(g.lincomb(&terms, true), naive);
        assert_eq!(g.lincomb(&terms, false), naive);
        // The blst tables agree, inside and beyond the tables, with P1 too.
        let zk = |p: blst::G1Projective| blst::to_zk(&group13::Curve::to_affine(&p));
        assert_eq!(zk(g.lincomb_blst(&terms, true)), G1Affine::from(naive));
        assert_eq!(zk(g.lincomb_blst(&terms, false)), G1Affine::from(naive));
        let s7 = Scalar::from(7u64);
        let mut a = G1Projective::identity();
        g.add_p1(&mut a, &s7, true);
        for ct in [true, false] {
            let mut b = <blst::G1Projective as group13::Group>::identity();
            g.add_p1_blst(&mut b, &s7, ct);
            assert_eq!(zk(b), G1Affine::from(a));
        }
    }
}
