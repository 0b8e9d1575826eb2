//! Scalar multiplication in G1: fixed-base tables for the generators, windowed multi-scalar
//! multiplication for variable bases (specs/bbs.md §6, "Performance").
//!
//! Every function says whether it is constant-time. The `_ct` functions run the same sequence of
//! group operations and memory accesses whatever the scalars are (table entries are chosen with
//! `subtle`'s conditional selection over the whole window); they are used wherever a scalar is
//! secret (signing, proof generation). The `_vartime` functions branch on the scalars and index
//! tables directly; they are used only where every scalar is public (verification).

use bls12_381::Scalar;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Bits per window.
const W: usize = 4;
/// Entries per window (including the identity at 0).
const WSIZE: usize = 1 << W;
/// Windows needed to cover a 256-bit scalar.
pub(crate) const NWIN: usize = 256 / W;

/// The `i`-th 4-bit digit (little-endian) of a scalar's canonical little-endian bytes.
#[inline(always)]
fn nibble(bytes: &[u8; 32], i: usize) -> u8 {
    (bytes[i / 2] >> (4 * (i % 2))) & 0x0f
}

/// Bits per window of the fixed-base tables (signed digits).
const FW: usize = 5;
/// Fixed-base windows: 51 cover the 255 bits of a scalar, one more takes the last carry.
const FNWIN: usize = 52;
/// Entries per fixed-base window: `0..=16` (a digit's magnitude).
const FSIZE: usize = (1 << (FW - 1)) + 1;

/// The signed radix-32 digits `d_i ∈ [−16, 16)` (the last one in `{0, 1}`) with
/// `s = Σ d_i·32^i`, as (magnitude, negative) pairs. Branch-free: constant-time in `s`.
fn signed_radix32(s: &Scalar) -> [(u8, Choice); FNWIN] {
    let mut bytes = s.to_bytes();
    let mut out = [(0u8, Choice::from(0)); FNWIN];
    let mut carry = 0u16;
    for (i, o) in out.iter_mut().enumerate() {
        let bit = FW * i;
        // Five bits starting at `bit` (reading past the end gives zeros).
        let lo = u16::from(bytes.get(bit / 8).copied().unwrap_or(0));
        let hi = u16::from(bytes.get(bit / 8 + 1).copied().unwrap_or(0));
        let v = (((hi << 8) | lo) >> (bit % 8)) & 0x1f;
        let v = v + carry; // 0..=32
        carry = (v + 16) >> FW; // 1 when v ≥ 16
        let d = v as i16 - ((carry << FW) as i16); // −16..=15
        let neg = ((d >> 15) & 1) as u8;
        let mag = ((d ^ -(i16::from(neg))) + i16::from(neg)) as u8; // |d|
        *o = (mag, Choice::from(neg));
    }
    bytes.zeroize();
    out
}

/// `s = s_lo + 2^128·s_hi` with both halves below `2^128`, constant-time.
pub(crate) fn split128(s: &Scalar) -> [Scalar; 2] {
    let mut b = s.to_bytes();
    let mut halves = [[0u8; 32]; 2];
    halves[0][..16].copy_from_slice(&b[..16]);
    halves[1][..16].copy_from_slice(&b[16..]);
    let out = halves.map(|h| Scalar::from_bytes(&h).unwrap_or(Scalar::zero()));
    b.zeroize();
    halves.zeroize();
    out
}

/// Entries of a width-5 NAF table: the odd multiples `P, 3P, …, 15P`.
const ODD: usize = 8;

/// The width-5 non-adjacent form of a scalar: digits in `{0, ±1, ±3, …, ±15}`, least significant
/// first, at most one non-zero digit in any five consecutive ones (about 256/6 non-zero).
/// Variable-time: public scalars only.
fn wnaf5(s: &Scalar) -> [i8; 257] {
    let b = s.to_bytes();
    let mut k = [0u64; 5];
    for (i, limb) in k.iter_mut().take(4).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[8 * i..8 * i + 8]);
        *limb = u64::from_le_bytes(w);
    }
    let mut out = [0i8; 257];
    let mut i = 0;
    while k.iter().any(|&l| l != 0) && i < out.len() {
        if k[0] & 1 == 1 {
            let m = (k[0] & 31) as i8;
            let d = if m >= 16 { m - 32 } else { m };
            out[i] = d;
            // k -= d (d odd, |d| < 16), with borrow or carry through the limbs.
            if d > 0 {
                let mut borrow = d.unsigned_abs() as u64;
                for l in k.iter_mut() {
                    let (v, o) = l.overflowing_sub(borrow);
                    *l = v;
                    borrow = u64::from(o);
                    if borrow == 0 {
                        break;
                    }
                }
            } else {
                let mut carry = d.unsigned_abs() as u64;
                for l in k.iter_mut() {
                    let (v, o) = l.overflowing_add(carry);
                    *l = v;
                    carry = u64::from(o);
                    if carry == 0 {
                        break;
                    }
                }
            }
        }
        for j in 0..4 {
            k[j] = (k[j] >> 1) | (k[j + 1] << 63);
        }
        k[4] >>= 1;
        i += 1;
    }
    out
}

/// The G1 tables and multiplications, for one curve library's point types (`G1Projective`,
/// `G1Affine` in scope where the macro is used). Scalars are always `bls12_381::Scalar`: only
/// their canonical little-endian bytes are read.
macro_rules! g1_msm {
    () => {
        /// A fixed-base table for one point `G`: window `i` holds `j · 32^i · G` for `j = 0..=16`, and a
        /// multiplication by signed radix-32 digits is 52 mixed additions (a negative digit negates the
        /// entry) and no doublings. About 90 KiB per point.
        pub(crate) struct FixedBaseTable {
            windows: Vec<[G1Affine; FSIZE]>,
        }

        impl FixedBaseTable {
            /// Precomputes the table (≈ 850 additions and one batched inversion).
            pub(crate) fn new(base: &G1Affine) -> Self {
                let mut proj = Vec::with_capacity(FNWIN * FSIZE);
                let mut b = G1Projective::from(base);
                for _ in 0..FNWIN {
                    let mut acc = G1Projective::identity();
                    for _ in 0..FSIZE {
                        proj.push(acc);
                        acc += b;
                    }
                    b = acc - b; // 17·b − b = 16·b; the next window's base is 32·b
                    b = b.double();
                }
                let mut aff = vec![G1Affine::identity(); proj.len()];
                G1Projective::batch_normalize(&proj, &mut aff);
                let windows = aff
                    .chunks_exact(FSIZE)
                    .map(|c| {
                        let mut w = [G1Affine::identity(); FSIZE];
                        w.copy_from_slice(c);
                        w
                    })
                    .collect();
                FixedBaseTable { windows }
            }

            /// `acc += s · G`, constant-time in `s`: every entry of every window is read.
            pub(crate) fn mul_add_ct(&self, acc: &mut G1Projective, s: &Scalar) {
                let mut digits = signed_radix32(s);
                for (window, (mag, neg)) in self.windows.iter().zip(digits.iter()) {
                    let mut sel = G1Affine::identity();
                    for (j, p) in window.iter().enumerate() {
                        sel.conditional_assign(p, (j as u8).ct_eq(mag));
                    }
                    let minus = -sel;
                    sel.conditional_assign(&minus, *neg);
                    *acc += &sel;
                }
                for d in digits.iter_mut() {
                    d.0.zeroize();
                    d.1 = Choice::from(0);
                }
            }

            /// `acc += s · G`, variable-time (public `s` only).
            pub(crate) fn mul_add_vartime(&self, acc: &mut G1Projective, s: &Scalar) {
                for (window, (mag, neg)) in self.windows.iter().zip(signed_radix32(s)) {
                    if mag != 0 {
                        let p = window[mag as usize];
                        *acc += if bool::from(neg) { -p } else { p };
                    }
                }
            }
        }

        /// Window tables for a few variable points, built once and shared by several multi-scalar
        /// multiplications over the same points (e.g. `Ā`, `B̄`, `T₁` all combine `A` and `B`).
        pub(crate) struct WindowTables {
            tables: Vec<[G1Projective; WSIZE]>,
        }

        impl WindowTables {
            /// Builds `0·P … 15·P` for each point (15 additions per point). The entries stay
            /// projective: for tables used a few times, normalising them (an inversion and three
            /// multiplications per entry) costs more than mixed additions save.
            pub(crate) fn new(points: &[G1Projective]) -> Self {
                let tables = points
                    .iter()
                    .map(|p| {
                        let mut w = [G1Projective::identity(); WSIZE];
                        for j in 1..WSIZE {
                            w[j] = w[j - 1] + p;
                        }
                        w
                    })
                    .collect();
                WindowTables { tables }
            }

            /// `Σ sᵢ · Pᵢ` (scalars aligned with the points given to [`WindowTables::new`]) by the
            /// fixed-window Straus method with shared doublings; constant-time in the scalars.
            pub(crate) fn msm_ct(&self, scalars: &[Scalar]) -> G1Projective {
                debug_assert_eq!(scalars.len(), self.tables.len());
                let idx: Vec<usize> = (0..scalars.len()).collect();
                self.straus_ct(&idx, scalars, NWIN)
            }

            /// `s · P_i` for the `i`-th point alone, constant-time in `s`.
            pub(crate) fn mul_ct(&self, i: usize, s: &Scalar) -> G1Projective {
                self.straus_ct(&[i], core::slice::from_ref(s), NWIN)
            }

            /// `Σ s_k · P_{idx_k}` over a subset of the points, for scalars below `2^(4·nwin)` (higher
            /// bits are ignored): Straus with shared doublings over `nwin` windows, constant-time in the
            /// scalars. With `nwin = 32` and the points `P`, `2^128·P` this is a multiplication by a
            /// full scalar split in halves, with half the doublings.
            pub(crate) fn straus_ct(
                &self,
                idx: &[usize],
                scalars: &[Scalar],
                nwin: usize,
            ) -> G1Projective {
                debug_assert_eq!(idx.len(), scalars.len());
                debug_assert!(nwin <= NWIN);
                let mut bytes: Vec<[u8; 32]> = scalars.iter().map(|s| s.to_bytes()).collect();
                let mut acc = G1Projective::identity();
                for w in (0..nwin).rev() {
                    if w != nwin - 1 {
                        for _ in 0..W {
                            acc = acc.double();
                        }
                    }
                    for (&i, b) in idx.iter().zip(&bytes) {
                        let d = nibble(b, w);
                        let mut sel = G1Projective::identity();
                        for (j, p) in self.tables[i].iter().enumerate() {
                            sel.conditional_assign(p, (j as u8).ct_eq(&d));
                        }
                        acc += sel;
                    }
                }
                for b in bytes.iter_mut() {
                    b.zeroize();
                }
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
                        acc += t[d];
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
                            acc += t[d];
                        }
                    }
                }
                acc
            }
        }

        /// Odd-multiple tables (`P, 3P, …, 15P`) of a few variable points for width-5 NAF
        /// multiplication: variable-time, public scalars only (verification). About 43
        /// additions per 256-bit scalar against 64 with 4-bit windows, and a table of 8
        /// entries (one doubling, seven additions) against 16.
        pub(crate) struct OddTables {
            tables: Vec<[G1Projective; ODD]>,
        }

        impl OddTables {
            /// Builds the odd multiples of each point.
            pub(crate) fn new(points: &[G1Projective]) -> Self {
                let tables = points
                    .iter()
                    .map(|p| {
                        let two = p.double();
                        let mut t = [*p; ODD];
                        for j in 1..ODD {
                            t[j] = t[j - 1] + two;
                        }
                        t
                    })
                    .collect();
                OddTables { tables }
            }

            /// `Σ sᵢ · Pᵢ` (scalars aligned with the points).
            #[cfg(test)]
            pub(crate) fn msm(&self, scalars: &[Scalar]) -> G1Projective {
                let terms: Vec<(&OddTables, usize, Scalar)> = scalars
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (self, i, *s))
                    .collect();
                odd_straus(&terms)
            }
        }

        /// `Σ sᵢ · Pᵢ` over entries of existing odd-multiple tables (`(tables, index, scalar)`),
        /// by Straus over width-5 NAF digits with shared doublings. Variable-time.
        pub(crate) fn odd_straus(terms: &[(&OddTables, usize, Scalar)]) -> G1Projective {
            let nafs: Vec<[i8; 257]> = terms.iter().map(|(_, _, s)| wnaf5(s)).collect();
            let Some(top) = (0..257).rev().find(|&i| nafs.iter().any(|n| n[i] != 0)) else {
                return G1Projective::identity();
            };
            let mut acc = G1Projective::identity();
            for i in (0..=top).rev() {
                if i != top {
                    acc = acc.double();
                }
                for ((t, j, _), n) in terms.iter().zip(&nafs) {
                    let d = n[i];
                    if d > 0 {
                        acc += t.tables[*j][(d / 2) as usize];
                    } else if d < 0 {
                        acc -= t.tables[*j][(-d / 2) as usize];
                    }
                }
            }
            acc
        }

        /// `2^128·P`.
        pub(crate) fn times_2_128(p: &G1Projective) -> G1Projective {
            let mut q = *p;
            for _ in 0..128 {
                q = q.double();
            }
            q
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
    };
}

/// The tables and multiplications over zkcrypto's `bls12_381` points (credential issuance, the
/// IETF operations, Blind BBS).
mod zk {
    // Not every operation is needed over both libraries.
    #![allow(dead_code)]
    use super::*;
    use bls12_381::{G1Affine, G1Projective};
    g1_msm!();
}
pub(crate) use zk::*;

/// The same over blst's points (`blstrs`): the netid presentation, prover and verifier
/// (specs/bbs.md §3; blst doubles and adds faster on the 2-core machine).
pub(crate) mod blst {
    use super::*;
    pub(crate) use blstrs::{G1Affine, G1Projective};
    use group13::prime::PrimeCurveAffine as _;
    use group13::{Curve as _, Group as _};
    g1_msm!();

    /// Overwrites secret points with the identity. (blst's points implement no `Zeroize`; the
    /// `black_box` keeps the stores from being optimised away, on a best-effort basis.)
    pub(crate) fn wipe(points: &mut [G1Affine]) {
        for p in points.iter_mut() {
            *p = G1Affine::identity();
        }
        core::hint::black_box(points);
    }

    /// `λ = z² − 1` (z the BLS12-381 parameter): `λ² + λ + 1 ≡ 0 (mod r)`, the eigenvalue of the
    /// endomorphism `φ(x, y) = (β·x, y)` on G1 for [`BETA`].
    const LAMBDA: u128 = 0xac45_a401_0001_a402_0000_0000_ffff_ffff;

    /// The cube root of unity `β` in Fp (big-endian) with `φ(P) = λ·P` on G1.
    const BETA: [u8; 48] = [
        0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x99, 0xec, 0x02, 0x40, 0x86, 0x63, 0xd4, 0xde,
        0x85, 0xaa, 0x0d, 0x85, 0x7d, 0x89, 0x75, 0x9a, 0xd4, 0x89, 0x7d, 0x29, 0x65, 0x0f, 0xb8,
        0x5f, 0x9b, 0x40, 0x94, 0x27, 0xeb, 0x4f, 0x49, 0xff, 0xfd, 0x8b, 0xfd, 0x00, 0x00, 0x00,
        0x00, 0xaa, 0xac,
    ];

    /// A field element of the type of `like`, from 48 big-endian bytes, built with `From<u64>`
    /// and the field operations only (blstrs does not export its `Fp` type).
    fn field_from_be<F>(like: F, be: &[u8; 48]) -> F
    where
        F: From<u64> + Copy + core::ops::Mul<Output = F> + core::ops::Add<Output = F>,
    {
        let _ = like;
        let two32 = F::from(1u64 << 32);
        let two64 = two32 * two32;
        be.chunks_exact(8).fold(F::from(0u64), |acc, c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            acc * two64 + F::from(u64::from_be_bytes(w))
        })
    }

    type Endo = Box<dyn Fn(&G1Projective) -> G1Projective + Send + Sync>;

    /// `φ(P) = (β·X, Y, Z)` (the same in every projective representation).
    fn endo(p: &G1Projective) -> G1Projective {
        static E: std::sync::OnceLock<Endo> = std::sync::OnceLock::new();
        E.get_or_init(|| {
            let beta = field_from_be(G1Projective::generator().x(), &BETA);
            Box::new(move |p: &G1Projective| {
                G1Projective::from_raw_unchecked(p.x() * beta, p.y(), p.z())
            })
        })(p)
    }

    /// `s = k1 + k2·λ` with `k1 = s mod λ`, `k2 = s div λ`, both below `2^128` (as `s < r =
    /// λ² + λ + 1`). Variable-time: public scalars only.
    fn glv_split(s: &Scalar) -> [Scalar; 2] {
        let b = s.to_bytes();
        let word = |i: usize| {
            let mut w = [0u8; 16];
            w.copy_from_slice(&b[16 * i..16 * i + 16]);
            u128::from_le_bytes(w)
        };
        let (lo, hi) = (word(0), word(1));
        let (mut rem, mut q) = (0u128, 0u128);
        for i in (0..256).rev() {
            let bit = if i >= 128 {
                (hi >> (i - 128)) & 1
            } else {
                (lo >> i) & 1
            };
            let carry = rem >> 127;
            let shifted = (rem << 1) | bit;
            // The true value is carry·2^128 + shifted < 2λ: at most one subtraction.
            let ge = carry == 1 || shifted >= LAMBDA;
            rem = if ge {
                shifted.wrapping_sub(LAMBDA)
            } else {
                shifted
            };
            if i < 128 {
                q |= u128::from(ge) << i;
            }
        }
        [rem, q].map(|v| {
            let mut w = [0u8; 32];
            w[..16].copy_from_slice(&v.to_le_bytes());
            Scalar::from_bytes(&w).unwrap_or(Scalar::zero())
        })
    }

    /// Odd-multiple tables over `[P_0, φ(P_0), P_1, φ(P_1), …]` for [`glv_msm`]; the `φ`
    /// tables cost one field multiplication per entry. Entry `2i` is `P_i` itself, usable with
    /// [`odd_straus`] for scalars below `2^128`.
    pub(crate) fn glv_tables(points: &[G1Projective]) -> OddTables {
        let base = OddTables::new(points);
        let tables = base
            .tables
            .iter()
            .flat_map(|t| [*t, t.map(|p| endo(&p))])
            .collect();
        OddTables { tables }
    }

    /// `Σ sᵢ · Pᵢ` over tables from [`glv_tables`]: each scalar split by `λ`, so the shared
    /// doublings run over 128 bits instead of 256. Variable-time: public scalars only.
    pub(crate) fn glv_msm(tables: &OddTables, scalars: &[Scalar]) -> G1Projective {
        let terms: Vec<(&OddTables, usize, Scalar)> = scalars
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let [k1, k2] = glv_split(s);
                [(tables, 2 * i, k1), (tables, 2 * i + 1, k2)]
            })
            .collect();
        odd_straus(&terms)
    }

    #[cfg(test)]
    pub(crate) fn glv_split_for_tests(s: &Scalar) -> [Scalar; 2] {
        glv_split(s)
    }

    #[cfg(test)]
    pub(crate) fn endo_for_tests(p: &G1Projective) -> G1Projective {
        endo(p)
    }

    /// A validated `bls12_381` point as a blst point (through its uncompressed encoding).
    pub(crate) fn from_zk(p: &bls12_381::G1Affine) -> G1Affine {
        Option::<G1Affine>::from(G1Affine::from_uncompressed_unchecked(&p.to_uncompressed()))
            .unwrap_or_else(|| unreachable!("a bls12_381 G1 point re-encodes for blst"))
    }

    /// A blst point as a `bls12_381` point (through its uncompressed encoding).
    #[cfg(test)]
    pub(crate) fn to_zk(p: &G1Affine) -> bls12_381::G1Affine {
        Option::<bls12_381::G1Affine>::from(bls12_381::G1Affine::from_uncompressed_unchecked(
            &p.to_uncompressed(),
        ))
        .unwrap_or_else(|| unreachable!("a blst G1 point re-encodes for bls12_381"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls12_381::{G1Affine, G1Projective};
    use ff::Field;

    /// The GLV split reconstructs the scalar with both halves below 2^128, and φ is
    /// multiplication by λ on G1.
    #[test]
    fn glv_split_and_endomorphism() {
        use group13::Group as _;
        let mut r = rng();
        let lambda = Scalar::from_raw([0x0000_0000_ffff_ffff, 0xac45_a401_0001_a402, 0, 0]);
        let ones = Scalar::from_raw([u64::MAX; 4]);
        for s in [
            Scalar::zero(),
            Scalar::one(),
            -Scalar::one(),
            lambda,
            lambda - Scalar::one(),
            ones,
        ]
        .into_iter()
        .chain((0..50).map(|_| Scalar::random(&mut r)))
        {
            let [k1, k2] = blst::glv_split_for_tests(&s);
            assert_eq!(k1 + k2 * lambda, s);
            assert!(k1.to_bytes()[16..].iter().all(|b| *b == 0));
            assert!(k2.to_bytes()[16..].iter().all(|b| *b == 0));
        }
        let p = blst::G1Projective::generator() * blstrs::Scalar::from(987_654_321u64);
        let lam_b = blstrs::Scalar::from_bytes_le(&lambda.to_bytes()).unwrap();
        assert_eq!(blst::endo_for_tests(&p), p * lam_b);
    }

    #[test]
    fn wnaf_digits_reconstruct_the_scalar() {
        let mut r = rng();
        let ones = Scalar::from_raw([u64::MAX; 4]);
        for s in [
            Scalar::zero(),
            Scalar::one(),
            -Scalar::one(),
            Scalar::from(31u64),
            ones,
        ]
        .into_iter()
        .chain((0..50).map(|_| Scalar::random(&mut r)))
        {
            let n = wnaf5(&s);
            let mut acc = Scalar::zero();
            for d in n.iter().rev() {
                acc = acc.double()
                    + if *d >= 0 {
                        Scalar::from(*d as u64)
                    } else {
                        -Scalar::from(d.unsigned_abs() as u64)
                    };
            }
            assert_eq!(acc, s);
            assert!(n.iter().all(|d| *d == 0 || (d % 2 != 0 && d.abs() < 16)));
            for w in n.windows(5) {
                assert!(w.iter().filter(|d| **d != 0).count() <= 1);
            }
        }
    }

    #[test]
    fn odd_tables_match_naive() {
        let mut r = rng();
        let pts: Vec<G1Projective> = (0..3)
            .map(|_| G1Projective::generator() * Scalar::random(&mut r))
            .collect();
        let t = OddTables::new(&pts);
        for s in [
            Scalar::zero(),
            -Scalar::one(),
            Scalar::from(15u64),
            Scalar::random(&mut r),
        ] {
            let sc = [s, Scalar::random(&mut r), -s];
            let naive: G1Projective = pts.iter().zip(&sc).map(|(p, x)| p * x).sum();
            assert_eq!(t.msm(&sc), naive);
            assert_eq!(odd_straus(&[(&t, 2, s)]), pts[2] * s);
        }
        assert_eq!(t.msm(&[Scalar::zero(); 3]), G1Projective::identity());
    }

    /// The blst instance computes the same as the zkcrypto one (which the tests below check
    /// against naive multiplication), constant-time and variable-time, fixed and variable bases.
    #[test]
    fn blst_instance_agrees() {
        use group13::Curve as _;
        let mut r = rng();
        let zk_pts: Vec<G1Projective> = (0..4)
            .map(|_| G1Projective::generator() * Scalar::random(&mut r))
            .collect();
        let to_b = |p: &G1Projective| blst::G1Projective::from(blst::from_zk(&G1Affine::from(p)));
        let same = |b: blst::G1Projective, z: G1Projective| {
            assert_eq!(blst::to_zk(&b.to_affine()), G1Affine::from(z));
        };
        let b_pts: Vec<blst::G1Projective> = zk_pts.iter().map(to_b).collect();
        let (tz, tb) = (WindowTables::new(&zk_pts), blst::WindowTables::new(&b_pts));
        let ones = Scalar::from_raw([u64::MAX; 4]);
        for s in [Scalar::zero(), -Scalar::one(), ones, Scalar::random(&mut r)] {
            let sc = [s, Scalar::from(3u64), -s, Scalar::random(&mut r)];
            same(tb.msm_ct(&sc), tz.msm_ct(&sc));
            same(tb.msm_vartime(&sc), tz.msm_vartime(&sc));
            same(tb.mul_ct(2, &s), tz.mul_ct(2, &s));
            same(tb.mul_vartime(2, &s), tz.mul_vartime(2, &s));
            same(
                tb.straus_ct(&[3, 1], &sc[..2], NWIN / 2),
                tz.straus_ct(&[3, 1], &sc[..2], NWIN / 2),
            );
            let (fz, fb) = (
                FixedBaseTable::new(&G1Affine::from(zk_pts[0])),
                blst::FixedBaseTable::new(&blst::from_zk(&G1Affine::from(zk_pts[0]))),
            );
            for ct in [true, false] {
                let (mut az, mut ab) = (zk_pts[1], b_pts[1]);
                if ct {
                    fz.mul_add_ct(&mut az, &s);
                    fb.mul_add_ct(&mut ab, &s);
                } else {
                    fz.mul_add_vartime(&mut az, &s);
                    fb.mul_add_vartime(&mut ab, &s);
                }
                same(ab, az);
            }
            same(blst::times_2_128(&b_pts[0]), times_2_128(&zk_pts[0]));
            same(
                blst::OddTables::new(&b_pts).msm(&sc),
                OddTables::new(&zk_pts).msm(&sc),
            );
            let glv = blst::glv_tables(&b_pts);
            same(blst::glv_msm(&glv, &sc), OddTables::new(&zk_pts).msm(&sc));
            // Entry 2i of the GLV tables is P_i itself.
            same(
                blst::odd_straus(&[(&glv, 2, Scalar::from(12345u64))]),
                zk_pts[1] * Scalar::from(12345u64),
            );
        }
    }

    fn rng() -> impl rand_core::Rng {
        rand::rngs::StdRng::seed_from_u64(7)
    }
    use rand::SeedableRng;

    #[test]
    fn fixed_base_matches_naive() {
        let mut r = rng();
        let g = G1Affine::from(G1Projective::generator() * Scalar::random(&mut r));
        let t = FixedBaseTable::new(&g);
        // Edge digits: all-ones windows (carries all the way up), 16 and 15 in every window.
        let ones = Scalar::from_raw([u64::MAX; 4]);
        let sixteens = Scalar::from_raw([0x8421_0842_1084_2108; 4]);
        for s in [
            Scalar::zero(),
            Scalar::one(),
            -Scalar::one(),
            Scalar::from(16u64),
            Scalar::from(15u64),
            Scalar::from(31u64),
            ones,
            sixteens,
            -sixteens,
        ]
        .into_iter()
        .chain((0..30).map(|_| Scalar::random(&mut r)))
        {
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
            for s in [
                Scalar::zero(),
                Scalar::one(),
                -Scalar::one(),
                Scalar::random(&mut r),
            ] {
                assert_eq!(t.mul_ct(i, &s), p * s);
                assert_eq!(t.mul_vartime(i, &s), p * s);
            }
        }
        // Split scalars over (P, 2^128·P) in half the windows.
        let p = pts[0];
        let t2 = WindowTables::new(&[p, times_2_128(&p)]);
        for s in [Scalar::zero(), -Scalar::one(), Scalar::random(&mut r)] {
            let h = split128(&s);
            assert_eq!(h[0] + h[1] * Scalar::from_raw([0, 0, 1, 0]), s);
            assert_eq!(t2.straus_ct(&[0, 1], &h, NWIN / 2), p * s);
        }
        let zero = [(G1Projective::generator(), Scalar::zero())];
        assert_eq!(msm_vartime(&zero), G1Projective::identity());
        assert_eq!(msm_ct(&zero), G1Projective::identity());
    }
}
