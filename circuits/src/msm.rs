//! Multi-scalar multiplication `Σ k_i·P_i` over a short Weierstrass curve (BN254's G1 and G2)
//! by Pippenger's method with signed windows and **batch-affine bucket sums**: the Groth16
//! prover's five MSMs (specs/groth16.md §10).
//!
//! Per window of `c` bits, every point whose digit is `±d` goes to bucket `d` (negated for
//! `−d`), so there are `2^(c−1)` buckets. arkworks adds each point into its bucket with a
//! mixed Jacobian–affine addition (7M + 4S). Here the points are first sorted into their
//! buckets (a counting sort), then each bucket's points are summed pairwise, in rounds, in
//! affine coordinates: all the additions of a round share one field inversion (Montgomery's
//! trick), so an addition costs about 5M + 1S. A bucket of `m` points takes `⌈log2 m⌉`
//! rounds; the bucket sums are then combined as usual (`Σ d·B_d` by running sums) and the
//! windows by doublings. Windows are processed in parallel.
//!
//! Exceptional additions are handled exactly: `P + P` (a doubling, `λ = (3x² + a)/2y`) and
//! `P + (−P)` (the identity: the pair is dropped). Identity points and zero digits are
//! skipped. Only the speed differs from arkworks' `VariableBaseMSM`; tests compare the two on
//! random, repeated, negated, identity and small inputs.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

type BigIntOf<P> = <<P as ark_ec::CurveConfig>::ScalarField as PrimeField>::BigInt;

/// The window width for `n` points (measured on the 2-core machine, specs/groth16.md §10).
pub fn window_bits(n: usize) -> usize {
    match n {
        0..=31 => 3,
        32..=255 => 5,
        256..=1023 => 7,
        1024..=4095 => 8,
        4096..=32767 => 9,
        _ => 12,
    }
}

/// Bits `[start, start + c)` of `k` (`c ≤ 32`).
fn bits_at(limbs: &[u64], start: usize, c: usize) -> u64 {
    let (limb, shift) = (start / 64, start % 64);
    let mut v = limbs.get(limb).map_or(0, |l| l >> shift);
    if shift + c > 64 {
        if let Some(next) = limbs.get(limb + 1) {
            v |= next << (64 - shift);
        }
    }
    v & ((1u64 << c) - 1)
}

/// Signed base-`2^c` digits in `(−2^(c−1), 2^(c−1)]`, window-major: `out[w·n + i]` is the
/// `w`-th digit of scalar `i`; `Σ_w out[w·n + i]·2^(c·w) = k_i`.
fn signed_digits<B: BigInteger>(scalars: &[B], c: usize, windows: usize) -> Vec<i32> {
    let n = scalars.len();
    let mut out = vec![0i32; n * windows];
    let half = 1i64 << (c - 1);
    for (i, k) in scalars.iter().enumerate() {
        let limbs = k.as_ref();
        let mut carry = 0i64;
        for w in 0..windows {
            let mut d = bits_at(limbs, w * c, c) as i64 + carry;
            carry = 0;
            if d > half {
                d -= 1 << c;
                carry = 1;
            }
            out[w * n + i] = d as i32;
        }
    }
    out
}

/// `Σ k_i·P_i` (the shorter of the two slices sets the length, as in arkworks).
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[BigIntOf<P>]) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n == 0 {
        return Projective::zero();
    }
    let c = window_bits(n);
    let num_bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
    // One more window for the last carry.
    let windows = num_bits.div_ceil(c) + 1;
    let digits = signed_digits(scalars, c, windows);
    let sums: Vec<Projective<P>> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(bases, &digits[w * n..(w + 1) * n], c))
        .collect();
    let mut total = Projective::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    total
}

/// Replaces every non-zero element of `v` by its inverse with one field inversion
/// (Montgomery's trick: prefix products forward, inverses backward); zeros stay zero.
fn invert_all<F: Field>(v: &mut [F], prefix: &mut Vec<F>) {
    prefix.clear();
    let mut acc = F::ONE;
    for x in v.iter() {
        prefix.push(acc);
        if !x.is_zero() {
            acc *= x;
        }
    }
    // acc is a product of non-zero elements (or 1).
    let mut inv = acc.inverse().unwrap_or(F::ZERO);
    for (x, before) in v.iter_mut().zip(prefix.iter()).rev() {
        if x.is_zero() {
            continue;
        }
        let next = inv * *x;
        *x = inv * before;
        inv = next;
    }
}

/// `Σ_i d_i·P_i` for one window's digits `d_i ∈ (−2^(c−1), 2^(c−1)]`.
fn window_sum<P: SWCurveConfig>(bases: &[Affine<P>], digits: &[i32], c: usize) -> Projective<P> {
    let nb = 1usize << (c - 1);
    // Counting sort of the points into buckets |d| − 1, negated for negative digits.
    let mut len = vec![0u32; nb];
    for (p, &d) in bases.iter().zip(digits) {
        if d != 0 && !p.is_zero() {
            len[d.unsigned_abs() as usize - 1] += 1;
        }
    }
    let mut start = Vec::with_capacity(nb);
    let mut total = 0usize;
    for &l in &len {
        start.push(total);
        total += l as usize;
    }
    let mut pts = vec![Affine::<P>::identity(); total];
    let mut next = start.clone();
    for (p, &d) in bases.iter().zip(digits) {
        if d != 0 && !p.is_zero() {
            let b = d.unsigned_abs() as usize - 1;
            pts[next[b]] = if d > 0 { *p } else { -*p };
            next[b] += 1;
        }
    }
    drop(next);

    // Rounds of pairwise affine additions inside every bucket, one inversion per round.
    let mut inv: Vec<P::BaseField> = Vec::with_capacity(total / 2);
    let mut scratch: Vec<P::BaseField> = Vec::with_capacity(total / 2);
    loop {
        inv.clear();
        for (&s, &l) in start.iter().zip(&len) {
            for j in 0..(l as usize) / 2 {
                let (p, q) = (&pts[s + 2 * j], &pts[s + 2 * j + 1]);
                inv.push(if p.x != q.x {
                    q.x - p.x
                } else if p.y == q.y {
                    p.y.double()
                } else {
                    // P + (−P): no division, the pair vanishes.
                    P::BaseField::zero()
                });
            }
        }
        if inv.is_empty() {
            break;
        }
        invert_all(&mut inv, &mut scratch);
        let mut k = 0;
        for (&s, l) in start.iter().zip(len.iter_mut()) {
            let m = *l as usize;
            if m < 2 {
                continue;
            }
            let mut out = 0;
            for j in 0..m / 2 {
                let (p, q) = (pts[s + 2 * j], pts[s + 2 * j + 1]);
                let i = inv[k];
                k += 1;
                if i.is_zero() {
                    continue;
                }
                let lambda = if p.x != q.x {
                    (q.y - p.y) * i
                } else {
                    let x2 = p.x.square();
                    (x2.double() + x2 + P::COEFF_A) * i
                };
                let x3 = lambda.square() - p.x - q.x;
                let y3 = lambda * (p.x - x3) - p.y;
                // out ≤ j < 2j: this slot was already read.
                pts[s + out] = Affine::new_unchecked(x3, y3);
                out += 1;
            }
            if m % 2 == 1 {
                pts[s + out] = pts[s + m - 1];
                out += 1;
            }
            *l = out as u32;
        }
    }

    // Σ_b (b + 1)·B_b by running sums, from the top bucket down.
    let mut running = Projective::<P>::zero();
    let mut acc = Projective::<P>::zero();
    for (&s, &l) in start.iter().zip(&len).rev() {
        if l == 1 {
            running += &pts[s];
        }
        acc += &running;
    }
    acc
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Projective};
    use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn invert_all_inverts_and_keeps_zeros() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([4; 32]);
        let mut v: Vec<Fr> = (0..50).map(|_| Fr::rand(&mut rng)).collect();
        v[0] = Fr::zero();
        v[17] = Fr::zero();
        v[49] = Fr::zero();
        let want: Vec<Fr> = v
            .iter()
            .map(|x| x.inverse().unwrap_or(Fr::zero()))
            .collect();
        invert_all(&mut v, &mut Vec::new());
        assert_eq!(v, want);
        let mut zeros = vec![Fr::zero(); 3];
        invert_all(&mut zeros, &mut Vec::new());
        assert!(zeros.iter().all(Zero::is_zero));
    }

    #[test]
    fn signed_digits_recompose_the_scalar() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
        for c in [3usize, 5, 8, 10, 12, 16] {
            let windows = 254usize.div_ceil(c) + 1;
            let ks: Vec<Fr> = (0..20)
                .map(|i| match i {
                    0 => Fr::zero(),
                    1 => -Fr::from(1u64),
                    2 => Fr::from(1u64 << (c - 1)),
                    _ => Fr::rand(&mut rng),
                })
                .collect();
            let big: Vec<_> = ks.iter().map(|k| k.into_bigint()).collect();
            let d = signed_digits(&big, c, windows);
            for (i, k) in ks.iter().enumerate() {
                let mut acc = Fr::zero();
                for w in (0..windows).rev() {
                    acc *= Fr::from(1u64 << c);
                    let v = d[w * ks.len() + i];
                    assert!(v > -(1 << (c - 1)) && v <= 1 << (c - 1));
                    acc += if v < 0 {
                        -Fr::from(v.unsigned_abs())
                    } else {
                        Fr::from(v as u64)
                    };
                }
                assert_eq!(acc, *k, "c = {c}");
            }
        }
    }

    fn inputs<G: CurveGroup<ScalarField = Fr>>(
        n: usize,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> (Vec<G::Affine>, Vec<Fr>) {
        let mut points: Vec<G::Affine> = (0..n)
            .map(|_| (G::generator() * Fr::rand(rng)).into_affine())
            .collect();
        let mut scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(rng)).collect();
        for i in (0..n).step_by(7) {
            points[i] = G::Affine::zero();
        }
        for i in (0..n).step_by(3) {
            scalars[i] = Fr::from((i % 5) as u64);
        }
        for i in (0..n).step_by(11) {
            scalars[i] = -Fr::from(1u64);
        }
        // The same point twice with the same digits (doublings in the bucket sums), a point
        // and its negation (cancellations), and many points in one bucket.
        if n > 60 {
            points[20] = points[10];
            scalars[20] = scalars[10];
            points[21] = -points[10];
            scalars[21] = scalars[10];
            for i in 30..60 {
                points[i] = points[30];
                scalars[i] = Fr::from(12345u64);
            }
        }
        (points, scalars)
    }

    #[test]
    fn matches_arkworks_in_g1() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([2; 32]);
        for n in [0usize, 1, 2, 3, 17, 100, 300, 1500, 5000] {
            let (points, scalars) = inputs::<G1Projective>(n, &mut rng);
            let big: Vec<_> = scalars.iter().map(|k| k.into_bigint()).collect();
            let want = G1Projective::msm(&points, &scalars).unwrap();
            assert_eq!(msm::<ark_bn254::g1::Config>(&points, &big), want, "n = {n}");
        }
        // All points equal, all digits equal: one bucket, a doubling at every round.
        let p: G1Affine = (G1Projective::generator() * Fr::from(99u64)).into_affine();
        let points = vec![p; 1000];
        let scalars = vec![Fr::from(7u64); 1000];
        let big: Vec<_> = scalars.iter().map(|k| k.into_bigint()).collect();
        assert_eq!(
            msm::<ark_bn254::g1::Config>(&points, &big),
            G1Projective::generator() * Fr::from(99u64 * 7 * 1000)
        );
    }

    #[test]
    fn matches_arkworks_in_g2() {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([3; 32]);
        for n in [1usize, 5, 64, 700, 3000] {
            let (points, scalars) = inputs::<G2Projective>(n, &mut rng);
            let big: Vec<_> = scalars.iter().map(|k| k.into_bigint()).collect();
            let want = G2Projective::msm(&points, &scalars).unwrap();
            let got = msm::<ark_bn254::g2::Config>(&points, &big);
            assert_eq!(got, want, "n = {n}");
        }
    }
}
