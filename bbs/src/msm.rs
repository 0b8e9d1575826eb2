//! Scalar multiplication in G1: fixed-base tables for the generators, windowed multi-scalar
//! multiplication for variable bases (specs/bbs.md §6, "Performance").
//!
//! Every function says whether it is constant-time. The `_ct` functions run the same sequence of
//! group operations and memory accesses whatever the scalars are (table entries are chosen with
//! `subtle`'s conditional selection over the whole window); they are used wherever a scalar is
//! secret (signing, proof generation). The `_vartime` functions branch on the scalars and index
//! tables directly; they are used only where every scalar is public (verification).

use bls12_381::{G1Affine, G1Projective, Scalar};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Bits per window.
const W: usize = 4;
/// Entries per window (including the identity at 0).
const WSIZE: usize = 1 << W;
/// Windows needed to cover a 256-bit scalar.
const NWIN: usize = 256 / W;

/// The `i`-th 4-bit digit (little-endian) of a scalar's canonical little-endian bytes.
#[inline(always)]
fn nibble(bytes: &[u8; 32], i: usize) -> u8 {
    (bytes[i / 2] >> (4 * (i % 2))) & 0x0f
}

/// A fixed-base table for one point `G`: window `i` holds `j · 16^i · G` for `j = 0..16`, so a
/// multiplication is 64 mixed additions and no doublings. About 100 KiB per point.
pub(crate) struct FixedBaseTable {
    windows: Vec<[G1Affine; WSIZE]>,
}

impl FixedBaseTable {
    /// Precomputes the table (≈ 1,000 additions and one batched inversion).
    pub(crate) fn new(base: &G1Affine) -> Self {
        let mut proj = Vec::with_capacity(NWIN * WSIZE);
        let mut b = G1Projective::from(base);
        for _ in 0..NWIN {
            let mut acc = G1Projective::identity();
            for _ in 0..WSIZE {
                proj.push(acc);
                acc += b;
            }
            b = acc; // 16 · b
        }
        let mut aff = vec![G1Affine::identity(); proj.len()];
        G1Projective::batch_normalize(&proj, &mut aff);
        let windows = aff
            .chunks_exact(WSIZE)
            .map(|c| {
                let mut w = [G1Affine::identity(); WSIZE];
                w.copy_from_slice(c);
                w
            })
            .collect();
        FixedBaseTable { windows }
    }

    /// `acc += s · G`, constant-time in `s`.
    pub(crate) fn mul_add_ct(&self, acc: &mut G1Projective, s: &Scalar) {
        let mut bytes = s.to_bytes();
        for (i, window) in self.windows.iter().enumerate() {
            let d = nibble(&bytes, i);
            let mut sel = G1Affine::identity();
            for (j, p) in window.iter().enumerate() {
                sel.conditional_assign(p, (j as u8).ct_eq(&d));
            }
            *acc = acc.add_mixed(&sel);
        }
        bytes.zeroize();
    }

    /// `acc += s · G`, variable-time (public `s` only).
    pub(crate) fn mul_add_vartime(&self, acc: &mut G1Projective, s: &Scalar) {
        let bytes = s.to_bytes();
        for (i, window) in self.windows.iter().enumerate() {
            let d = nibble(&bytes, i) as usize;
            if d != 0 {
                *acc = acc.add_mixed(&window[d]);
            }
        }
    }
}

/// Window tables for a few variable points, built once and shared by several multi-scalar
/// multiplications over the same points (e.g. `Ā`, `B̄`, `T₁` all combine `A` and `B`).
pub(crate) struct WindowTables {
    tables: Vec<[G1Affine; WSIZE]>,
}

impl WindowTables {
    /// Builds `0·P … 15·P` for each point (15 additions and one batched inversion per point).
    pub(crate) fn new(points: &[G1Projective]) -> Self {
        let mut proj = Vec::with_capacity(points.len() * WSIZE);
        for p in points {
            let mut acc = G1Projective::identity();
            for _ in 0..WSIZE {
                proj.push(acc);
                acc += p;
            }
        }
        let mut aff = vec![G1Affine::identity(); proj.len()];
        G1Projective::batch_normalize(&proj, &mut aff);
        let tables = aff
            .chunks_exact(WSIZE)
            .map(|c| {
                let mut w = [G1Affine::identity(); WSIZE];
                w.copy_from_slice(c);
                w
            })
            .collect();
        WindowTables { tables }
    }

    /// `Σ sᵢ · Pᵢ` (scalars aligned with the points given to [`WindowTables::new`]) by the
    /// fixed-window Straus method with shared doublings; constant-time in the scalars.
    pub(crate) fn msm_ct(&self, scalars: &[Scalar]) -> G1Projective {
        debug_assert_eq!(scalars.len(), self.tables.len());
        let mut bytes: Vec<[u8; 32]> = scalars.iter().map(|s| s.to_bytes()).collect();
        let mut acc = G1Projective::identity();
        for i in (0..NWIN).rev() {
            if i != NWIN - 1 {
                for _ in 0..W {
                    acc = acc.double();
                }
            }
            for (t, b) in self.tables.iter().zip(bytes.iter()) {
                let d = nibble(b, i);
                let mut sel = G1Affine::identity();
                for (j, p) in t.iter().enumerate() {
                    sel.conditional_assign(p, (j as u8).ct_eq(&d));
                }
                acc = acc.add_mixed(&sel);
            }
        }
        for b in bytes.iter_mut() {
            b.zeroize();
        }
        acc
    }

    /// `s · P_i` for the `i`-th point alone (fixed windows, doublings included), constant-time
    /// in `s`.
    pub(crate) fn mul_ct(&self, i: usize, s: &Scalar) -> G1Projective {
        let t = &self.tables[i];
        let mut bytes = s.to_bytes();
        let mut acc = G1Projective::identity();
        for w in (0..NWIN).rev() {
            if w != NWIN - 1 {
                for _ in 0..W {
                    acc = acc.double();
                }
            }
            let d = nibble(&bytes, w);
            let mut sel = G1Affine::identity();
            for (j, p) in t.iter().enumerate() {
                sel.conditional_assign(p, (j as u8).ct_eq(&d));
            }
            acc = acc.add_mixed(&sel);
        }
        bytes.zeroize();
        acc
    }

    /// `s · P_i` for the `i`-th point alone, variable-time (public `s` only).
    pub(crate) fn mul_vartime(&self, i: usize, s: &Scalar) -> G1Projective {
        let t = &self.tables[i];
        let bytes = s.to_bytes();
        let mut acc = G1Projective::identity();
        let mut started = false;
        for w in (0..NWIN).rev() {
            if started {
                for _ in 0..W {
                    acc = acc.double();
                }
            }
            let d = nibble(&bytes, w) as usize;
            if d != 0 {
                acc = acc.add_mixed(&t[d]);
                started = true;
            }
        }
        acc
    }

    /// `Σ sᵢ · Pᵢ`, variable-time (public scalars only).
    pub(crate) fn msm_vartime(&self, scalars: &[Scalar]) -> G1Projective {
        debug_assert_eq!(scalars.len(), self.tables.len());
        let bytes: Vec<[u8; 32]> = scalars.iter().map(|s| s.to_bytes()).collect();
        // Skip the leading all-zero windows (scalars are < 2^255).
        let top = (0..NWIN)
            .rev()
            .find(|&i| bytes.iter().any(|b| nibble(b, i) != 0));
        let Some(top) = top else {
            return G1Projective::identity();
        };
        let mut acc = G1Projective::identity();
        for i in (0..=top).rev() {
            if i != top {
                for _ in 0..W {
                    acc = acc.double();
                }
            }
            for (t, b) in self.tables.iter().zip(bytes.iter()) {
                let d = nibble(b, i) as usize;
                if d != 0 {
                    acc = acc.add_mixed(&t[d]);
                }
            }
        }
        acc
    }
}

/// `Σ sᵢ · Pᵢ`, constant-time in the scalars.
pub(crate) fn msm_ct(terms: &[(G1Projective, Scalar)]) -> G1Projective {
    let (p, s): (Vec<_>, Vec<_>) = terms.iter().copied().unzip();
    WindowTables::new(&p).msm_ct(&s)
}

/// `Σ sᵢ · Pᵢ`, variable-time (public scalars only).
pub(crate) fn msm_vartime(terms: &[(G1Projective, Scalar)]) -> G1Projective {
    let (p, s): (Vec<_>, Vec<_>) = terms.iter().copied().unzip();
    WindowTables::new(&p).msm_vartime(&s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ff::Field;

    fn rng() -> impl rand_core::Rng {
        rand::rngs::StdRng::seed_from_u64(7)
    }
    use rand::SeedableRng;

    #[test]
    fn fixed_base_matches_naive() {
        let mut r = rng();
        let g = G1Affine::from(G1Projective::generator() * Scalar::random(&mut r));
        let t = FixedBaseTable::new(&g);
        for s in [
            Scalar::zero(),
            Scalar::one(),
            -Scalar::one(),
            Scalar::random(&mut r),
        ] {
            let mut a = G1Projective::identity();
            t.mul_add_ct(&mut a, &s);
            assert_eq!(a, g * s);
            let mut b = G1Projective::generator();
            t.mul_add_vartime(&mut b, &s);
            assert_eq!(b, g * s + G1Projective::generator());
        }
    }

    #[test]
    fn msm_matches_naive() {
        let mut r = rng();
        for n in 0..5 {
            let terms: Vec<(G1Projective, Scalar)> = (0..n)
                .map(|i| {
                    let s = if i == 1 {
                        -Scalar::one()
                    } else {
                        Scalar::random(&mut r)
                    };
                    (G1Projective::generator() * Scalar::random(&mut r), s)
                })
                .collect();
            let naive: G1Projective = terms.iter().map(|(p, s)| p * s).sum();
            assert_eq!(msm_ct(&terms), naive);
            assert_eq!(msm_vartime(&terms), naive);
        }
        let pts: Vec<G1Projective> = (0..3)
            .map(|_| G1Projective::generator() * Scalar::random(&mut r))
            .collect();
        let t = WindowTables::new(&pts);
        for (i, p) in pts.iter().enumerate() {
            for s in [Scalar::zero(), Scalar::one(), -Scalar::one(), Scalar::random(&mut r)] {
                assert_eq!(t.mul_ct(i, &s), p * s);
                assert_eq!(t.mul_vartime(i, &s), p * s);
            }
        }
        let zero = [(G1Projective::generator(), Scalar::zero())];
        assert_eq!(msm_vartime(&zero), G1Projective::identity());
        assert_eq!(msm_ct(&zero), G1Projective::identity());
    }
}
