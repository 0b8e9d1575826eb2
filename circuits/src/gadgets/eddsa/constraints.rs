//! In-circuit EdDSA-Poseidon verification on BabyJubJub (specs/groth16.md §3), the twin of
//! [`PublicKey::verify`](super::PublicKey::verify).
//!
//! Enforces, for public key `A`, signature `(R8, S)` and message `m`:
//!
//! * `A` and `R8` on the curve; `8·A ≠ O` (so `A` is not of small order; the verifier also checks
//!   natively that `A` is in the prime-order subgroup when it takes the key from the issuer);
//! * `S = Σ s_i 2^i` with 251 bits and `S ≤ l − 1` (strict: no malleable `S + l`);
//! * `hm = Poseidon(R8.x, R8.y, A.x, A.y, m)` decomposed into 254 bits *strictly* (`< r`);
//! * `S·B8 = R8 + hm·(8·A)`. Since `S·B8` and `hm·(8A)` lie in the prime-order subgroup, this
//!   also forces `R8` into it.
//!
//! Costs (3,974 in all, pinned in the tests with this breakdown; circomlib's
//! `EdDSAPoseidonVerifier` has 4,217):
//!
//! | step | constraints |
//! |---|---|
//! | `A`, `R8` on the curve (4 each) | 8 |
//! | `S`: 251 bits, recomposition, `S ≤ l − 1` | 617 |
//! | `Poseidon(5)` | 321 |
//! | `hm`: 254 bits, strict (`< r`) | 640 |
//! | `8·A` (3 doublings) and `8·A ≠ O` | 16 |
//! | `hm·(8A)`: signed-digit Montgomery double-add ([`signed_digit_mul`]) | 1,525 |
//! | `S·B8`: 3-bit windows of constants ([`fixed_base_mul`]), 84 windows | 831 |
//! | correction for even `hm`, two additions, final equality | 16 |
//!
//! Twisted Edwards addition is circomlib's complete formula in 6 constraints, doubling the
//! dedicated formula in 5; a 3-bit window lookup of constants costs 4 products.
#![allow(non_snake_case)]

use ark_bn254::Fr;
#[cfg(test)]
use ark_ff::Zero;
use ark_ff::{BigInteger, Field, One};
use ark_r1cs_std::{
    alloc::{AllocVar, AllocationMode},
    boolean::Boolean,
    eq::EqGadget,
    fields::{fp::FpVar, FieldVar},
    GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, Namespace, SynthesisError};
use core::borrow::Borrow;

use super::{sub_order, Point, PublicKey, Signature, COEFF_A, COEFF_D};
use crate::gadgets::poseidon::constraints::PoseidonGadget;
use crate::gadgets::range::constraints::to_bits_le_strict_small;

/// Bits of `S` (`l < 2^251`).
pub const S_BITS: usize = 251;

/// An allocated curve point (circomlib coordinates).
#[derive(Clone)]
pub struct PointVar {
    /// x
    pub x: FpVar<Fr>,
    /// y
    pub y: FpVar<Fr>,
}

fn cs_of(vars: &[&FpVar<Fr>]) -> ConstraintSystemRef<Fr> {
    vars.iter()
        .fold(ConstraintSystemRef::None, |acc, v| acc.or(v.cs()))
}

/// Allocates `num / den` as a witness and enforces `q · den = num` (one constraint).
fn div(num: &FpVar<Fr>, den: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let cs = cs_of(&[num, den]);
    if cs.is_none() {
        let d = den
            .value()?
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        return Ok(FpVar::constant(num.value()? * d));
    }
    let q = FpVar::new_witness(cs, || {
        let d = den
            .value()?
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        Ok(num.value()? * d)
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: Point) -> PointVar {
        PointVar {
            x: FpVar::constant(p.x),
            y: FpVar::constant(p.y),
        }
    }

    /// The identity.
    pub fn identity() -> PointVar {
        PointVar::constant(Point::IDENTITY)
    }

    /// Enforces the curve equation (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let lhs = &x2 * Fr::from(COEFF_A) + &y2;
        let rhs = (&x2 * &y2) * Fr::from(COEFF_D) + Fr::one();
        lhs.enforce_equal(&rhs)
    }

    /// Complete addition (6 constraints for two variable points).
    pub fn add(&self, o: &PointVar) -> Result<PointVar, SynthesisError> {
        let a = Fr::from(COEFF_A);
        let d = Fr::from(COEFF_D);
        let beta = &self.x * &o.y;
        let gamma = &self.y * &o.x;
        let delta = (&self.y - &self.x * a) * (&o.x + &o.y);
        let tau = &beta * &gamma;
        let x = div(&(&beta + &gamma), &(&tau * d + Fr::one()))?;
        let y = div(
            &(&delta + &beta * a - &gamma),
            &(FpVar::constant(Fr::one()) - &tau * d),
        )?;
        Ok(PointVar { x, y })
    }

    /// Doubling (5 constraints); valid for points on the curve.
    pub fn double(&self) -> Result<PointVar, SynthesisError> {
        let a = Fr::from(COEFF_A);
        let xx = self.x.square()?;
        let yy = self.y.square()?;
        let xy = &self.x * &self.y;
        let ax2_y2 = &xx * a + &yy;
        let x = div(&xy.double()?, &ax2_y2)?;
        let y = div(
            &(&yy - &xx * a),
            &(FpVar::constant(Fr::from(2u64)) - &ax2_y2),
        )?;
        Ok(PointVar { x, y })
    }

    /// The value, if assigned.
    pub fn value(&self) -> Result<Point, SynthesisError> {
        Ok(Point {
            x: self.x.value()?,
            y: self.y.value()?,
        })
    }
}

impl AllocVar<Point, Fr> for PointVar {
    fn new_variable<T: Borrow<Point>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let p = f().map(|p| *p.borrow());
        let x = FpVar::new_variable(cs.clone(), || p.map(|p| p.x), mode)?;
        let y = FpVar::new_variable(cs, || p.map(|p| p.y), mode)?;
        Ok(PointVar { x, y })
    }
}

/// Multilinear coefficients of a table indexed by bits (Möbius transform): `f(k) =
/// Σ_{j ⊆ k} c_j`.
fn mobius<T: Clone + for<'a> core::ops::SubAssign<&'a T>>(table: &mut [T]) {
    let n = table.len();
    let mut bit = 1;
    while bit < n {
        for k in 0..n {
            if k & bit != 0 {
                let lo = table[k ^ bit].clone();
                table[k] -= &lo;
            }
        }
        bit <<= 1;
    }
}

/// The monomials `Π_{i ∈ k} b_i` for `k` in `0..2^bits.len()`; costs one constraint per monomial
/// of degree ≥ 2 with variable factors.
fn monomials(bits: &[Boolean<Fr>]) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
    let n = 1usize << bits.len();
    let mut m = vec![FpVar::constant(Fr::one()); n];
    for k in 1..n {
        let top = usize::BITS - 1 - k.leading_zeros();
        let rest = k ^ (1 << top);
        let b = FpVar::from(bits[top as usize].clone());
        m[k] = if rest == 0 { b } else { &m[rest] * b };
    }
    Ok(m)
}

/// `k·B + offset` for a constant base and offset and little-endian bits, with 3-bit windows of
/// constants (the offset is folded into the first window's table, so it costs nothing).
pub fn fixed_base_mul(
    base: Point,
    bits: &[Boolean<Fr>],
    offset: Point,
) -> Result<PointVar, SynthesisError> {
    let mut acc: Option<PointVar> = None;
    let mut window_base = base;
    for (w, chunk) in bits.chunks(3).enumerate() {
        // Table of k·window_base (+ offset in window 0) for k = 0..8, as multilinear
        // coefficients.
        let mut tx = Vec::with_capacity(8);
        let mut ty = Vec::with_capacity(8);
        let mut p = if w == 0 { offset } else { Point::IDENTITY };
        for _ in 0..8 {
            tx.push(p.x);
            ty.push(p.y);
            p = p.add(&window_base);
        }
        window_base = if w == 0 { p.add(&offset.neg()) } else { p }; // 8·window_base
        mobius(&mut tx);
        mobius(&mut ty);
        let mut padded = chunk.to_vec();
        padded.resize(3, Boolean::FALSE);
        let m = monomials(&padded)?;
        let x = m
            .iter()
            .zip(&tx)
            .fold(FpVar::zero(), |s, (m, c)| s + m * *c);
        let y = m
            .iter()
            .zip(&ty)
            .fold(FpVar::zero(), |s, (m, c)| s + m * *c);
        let term = PointVar { x, y };
        acc = Some(match acc {
            None => term,
            Some(a) => a.add(&term)?,
        });
    }
    acc.ok_or(SynthesisError::Unsatisfiable)
}

/// `k·P` for a variable point and little-endian bits, with 2-bit windows.
pub fn variable_base_mul(P: &PointVar, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    let P2 = P.double()?;
    let P3 = P2.add(P)?;
    let table = [PointVar::identity(), P.clone(), P2, P3];
    let mut cx: Vec<FpVar<Fr>> = table.iter().map(|p| p.x.clone()).collect();
    let mut cy: Vec<FpVar<Fr>> = table.iter().map(|p| p.y.clone()).collect();
    mobius(&mut cx);
    mobius(&mut cy);
    let mut acc: Option<PointVar> = None;
    let windows: Vec<&[Boolean<Fr>]> = bits.chunks(2).collect();
    for w in windows.iter().rev() {
        let mut padded = w.to_vec();
        padded.resize(2, Boolean::FALSE);
        let m = monomials(&padded)?;
        let x = m.iter().zip(&cx).fold(FpVar::zero(), |s, (m, c)| s + m * c);
        let y = m.iter().zip(&cy).fold(FpVar::zero(), |s, (m, c)| s + m * c);
        let term = PointVar { x, y };
        acc = Some(match acc {
            None => term,
            Some(a) => a.double()?.double()?.add(&term)?,
        });
    }
    acc.ok_or(SynthesisError::Unsatisfiable)
}

/// Montgomery coefficient `A = 2(a + d)/(a − d)` of the birationally equivalent curve
/// `v² = u³ + A·u² + u` (`B = 1`).
pub const MONT_A: u64 = 168_698;

/// A point in Montgomery coordinates `(u, v) = ((1 + y)/(1 − y), u/x)`.
#[derive(Clone)]
struct MontVar {
    u: FpVar<Fr>,
    v: FpVar<Fr>,
}

impl MontVar {
    /// From Edwards (2 constraints); the point must not be of order ≤ 2 (`x ≠ 0`).
    fn from_edwards(p: &PointVar) -> Result<MontVar, SynthesisError> {
        let u = div(
            &(FpVar::constant(Fr::one()) + &p.y),
            &(FpVar::constant(Fr::one()) - &p.y),
        )?;
        let v = div(&u, &p.x)?;
        Ok(MontVar { u, v })
    }

    /// To Edwards (2 constraints): `x = u/v`, `y = (u − 1)/(u + 1)`.
    fn to_edwards(&self) -> Result<PointVar, SynthesisError> {
        let x = div(&self.u, &self.v)?;
        let y = div(&(&self.u - Fr::one()), &(&self.u + Fr::one()))?;
        Ok(PointVar { x, y })
    }

    /// Incomplete addition `P + Q` (3 constraints; needs `u_P ≠ u_Q`).
    fn add(&self, q: &MontVar) -> Result<MontVar, SynthesisError> {
        let lambda = div(&(&q.v - &self.v), &(&q.u - &self.u))?;
        let u = lambda.square()? - Fr::from(MONT_A) - &self.u - &q.u;
        let v = &lambda * (&self.u - &u) - &self.v;
        Ok(MontVar { u, v })
    }

    /// Incomplete `2P + Q` as `(P + Q) + P` without `v_{P+Q}` (5 constraints; needs
    /// `P ≠ ±Q` and `P + Q ≠ ±P`).
    fn double_add(&self, q: &MontVar) -> Result<MontVar, SynthesisError> {
        let l1 = div(&(&q.v - &self.v), &(&q.u - &self.u))?;
        let u_r = l1.square()? - Fr::from(MONT_A) - &self.u - &q.u;
        let l2 = div(&self.v.double()?, &(&self.u - &u_r))? - &l1;
        let u_s = l2.square()? - Fr::from(MONT_A) - &u_r - &self.u;
        let v_s = &l2 * (&self.u - &u_s) - &self.v;
        Ok(MontVar { u: u_s, v: v_s })
    }
}

/// Steps of the signed-digit multiplication (`hm` has 254 bits: `b_0` and 253 digits).
const HM_DIGITS: usize = 253;

/// For `P` of prime order and the 254 strict bits `b` of `h`, returns `(h + 1 − b_0)·P +
/// 2^253·G` with `G` the [offset generator](super::offset_generator).
///
/// Write `h = b_0 + 2k`, `k = Σ c_i 2^i` (`c_i = b_{i+1}`, 253 bits) and signed digits
/// `d_i = 2c_i − 1 ∈ {±1}`: then `Σ d_i 2^i = 2k + 1 − 2^253`, so Horner's rule from
/// `acc = G + P` with `acc ← 2·acc + d_i·P` ends at `2^253·G + (2k + 1)·P`. Each step is one
/// Montgomery double-add (5 constraints) plus the digit's sign on `v` (1 constraint). The
/// incomplete formulas meet an exceptional case only if `2^j·G = c·P` for a small `c`, i.e. only
/// with a discrete-logarithm relation between `G` and the issuer key.
pub fn signed_digit_mul(P: &PointVar, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
    if bits.len() != HM_DIGITS + 1 {
        return Err(SynthesisError::Unsatisfiable);
    }
    let pm = MontVar::from_edwards(P)?;
    let g = MontVar::from_edwards(&PointVar::constant(super::offset_generator()))?;
    let mut acc = g.add(&pm)?;
    for c in bits[1..].iter().rev() {
        // v_Q = (2c − 1)·v_P
        let cv = FpVar::from(c.clone()) * &pm.v;
        let q = MontVar {
            u: pm.u.clone(),
            v: cv.double()? - &pm.v,
        };
        acc = acc.double_add(&q)?;
    }
    acc.to_edwards()
}

/// An allocated public key.
#[derive(Clone)]
pub struct PublicKeyVar {
    /// The point `A`.
    pub A: PointVar,
}

impl AllocVar<PublicKey, Fr> for PublicKeyVar {
    fn new_variable<T: Borrow<PublicKey>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let A = PointVar::new_variable(cs, || f().map(|k| *k.borrow().point()), mode)?;
        Ok(PublicKeyVar { A })
    }
}

/// An allocated signature.
#[derive(Clone)]
pub struct SignatureVar {
    /// The nonce point.
    pub R8: PointVar,
    /// `S` as a field element (range-checked by the verifier gadget).
    pub S: FpVar<Fr>,
}

impl AllocVar<Signature, Fr> for SignatureVar {
    fn new_variable<T: Borrow<Signature>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let sig = f().map(|s| *s.borrow());
        let R8 = PointVar::new_variable(cs.clone(), || sig.map(|s| s.R8), mode)?;
        let S = FpVar::new_variable(cs, || sig.map(|s| s.s_field()), mode)?;
        Ok(SignatureVar { R8, S })
    }
}

/// The EdDSA-Poseidon verifier as a gadget.
pub struct EdDsaPoseidonGadget;

impl EdDsaPoseidonGadget {
    /// Enforces that `sig` is a valid signature on `msg` under `pk` (the circuit is
    /// unsatisfiable otherwise).
    pub fn verify(
        pk: &PublicKeyVar,
        sig: &SignatureVar,
        msg: &FpVar<Fr>,
    ) -> Result<(), SynthesisError> {
        pk.A.enforce_on_curve()?;
        sig.R8.enforce_on_curve()?;

        // S < l, strictly, as 251 bits.
        let s_bits = to_bits_le_strict_small(&sig.S, S_BITS)?;
        let mut l_minus_1 = sub_order();
        l_minus_1.sub_with_borrow(&ark_ff::BigInteger256::from(1u64));
        // (The returned trailing run of ones needs no further constraint for `≤`.)
        let _ = Boolean::enforce_smaller_or_equal_than_le(&s_bits, l_minus_1)?;

        // hm, strictly decomposed (< r).
        let hm = PoseidonGadget::hash(&[
            sig.R8.x.clone(),
            sig.R8.y.clone(),
            pk.A.x.clone(),
            pk.A.y.clone(),
            msg.clone(),
        ])?;
        let hm_bits = ark_r1cs_std::convert::ToBitsGadget::to_bits_le(&hm)?;

        // A8 = 8·A, not the identity (x ≠ 0 on the subgroup means not O; the small-order
        // points all have x = 0 after multiplying by 8).
        let A8 = pk.A.double()?.double()?.double()?;
        A8.x.enforce_not_equal(&FpVar::zero())?;

        // S·B8 = R8 + hm·A8, with hm·A8 = acc − 2^253·G − (1 − b_0)·A8 (see
        // `signed_digit_mul`), rearranged so every correction is on the left:
        //   S·B8 + 2^253·G + (1 − b_0)·A8 = R8 + acc.
        let acc = signed_digit_mul(&A8, &hm_bits)?;
        let two_253_g = super::offset_generator().mul_bits_le(&{
            let mut b = vec![false; HM_DIGITS];
            b.push(true);
            b
        });
        let not_b0 = FpVar::from(!&hm_bits[0]);
        let corr = PointVar {
            x: &not_b0 * &A8.x,
            y: &not_b0 * (&A8.y - Fr::one()) + Fr::one(),
        };
        let left = fixed_base_mul(Point::base8(), &s_bits, two_253_g)?.add(&corr)?;
        let right = sig.R8.add(&acc)?;
        left.x.enforce_equal(&right.x)?;
        left.y.enforce_equal(&right.y)
    }
}

/// Bits of `k`, little-endian, as constants (tests and the native twin).
pub fn constant_bits(k: &ark_ff::BigInteger256, n: usize) -> Vec<Boolean<Fr>> {
    k.to_bits_le()
        .into_iter()
        .take(n)
        .map(Boolean::constant)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::{big, file, fr};
    use super::super::SecretKey;
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn run(pk: Point, sig: Signature, msg: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let pk = PublicKeyVar {
            A: PointVar::new_input(cs.clone(), || Ok(pk)).unwrap(),
        };
        let sig = SignatureVar::new_witness(cs.clone(), || Ok(sig)).unwrap();
        let msg = FpVar::new_witness(cs.clone(), || Ok(msg)).unwrap();
        match EdDsaPoseidonGadget::verify(&pk, &sig, &msg) {
            Ok(()) => (cs.is_satisfied().unwrap(), cs.num_constraints()),
            // Witness generation can fail on garbage (e.g. a division by zero): not satisfied.
            Err(_) => (false, cs.num_constraints()),
        }
    }

    /// circomlib's EdDSAPoseidonVerifier has 4,217 constraints; ours is pinned here.
    pub(crate) const GADGET_CONSTRAINTS: usize = 3_974;

    #[test]
    fn accepts_circomlibjs_signatures_and_pins_count() {
        for c in file().cases.iter() {
            let pk = Point {
                x: fr(&c.Ax),
                y: fr(&c.Ay),
            };
            let sig = Signature {
                R8: Point {
                    x: fr(&c.R8x),
                    y: fr(&c.R8y),
                },
                S: big(&c.S),
            };
            let (ok, n) = run(pk, sig, fr(&c.msg));
            assert!(ok, "key {} msg {}", c.key, c.msg);
            assert_eq!(n, GADGET_CONSTRAINTS);
        }
    }

    #[test]
    fn rejects_what_native_rejects() {
        let sk = SecretKey::from_bytes([3; 32]);
        let pk = sk.public_key();
        let m = Fr::from(77u64);
        let sig = sk.sign(m);
        assert!(run(*pk.point(), sig, m).0);
        // Wrong message.
        assert!(!run(*pk.point(), sig, m + Fr::one()).0);
        // Wrong key.
        let other = SecretKey::from_bytes([4; 32]).public_key();
        assert!(!run(*other.point(), sig, m).0);
        // Non-canonical S + l.
        let mut s = sig.S;
        s.add_with_carry(&sub_order());
        assert!(!run(*pk.point(), Signature { R8: sig.R8, S: s }, m).0);
        // Tampered R8 (another curve point).
        let r8 = sig.R8.add(&Point::base8());
        assert!(!run(*pk.point(), Signature { R8: r8, S: sig.S }, m).0);
        // R8 with a small-order component added: on the curve, same 8·R8, still rejected.
        let t2 = Point {
            x: Fr::zero(),
            y: -Fr::one(),
        };
        assert!(
            !run(
                *pk.point(),
                Signature {
                    R8: sig.R8.add(&t2),
                    S: sig.S
                },
                m
            )
            .0
        );
        // A small-order public key.
        assert!(!run(t2, sig, m).0);
        assert!(!run(Point::IDENTITY, sig, m).0);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

        /// Random keys and messages: native and gadget accept the signature and both reject it
        /// on another message.
        #[test]
        fn gadget_agrees_with_native(
            key in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            msg in proptest::array::uniform32(proptest::prelude::any::<u8>()),
        ) {
            use ark_ff::PrimeField;
            let sk = SecretKey::from_bytes(key);
            let pk = sk.public_key();
            let m = Fr::from_le_bytes_mod_order(&msg);
            let sig = sk.sign(m);
            proptest::prop_assert!(pk.verify(m, &sig).is_ok());
            let (ok, n) = run(*pk.point(), sig, m);
            proptest::prop_assert!(ok);
            proptest::prop_assert_eq!(n, GADGET_CONSTRAINTS);
            let m2 = m + Fr::one();
            proptest::prop_assert!(pk.verify(m2, &sig).is_err());
            proptest::prop_assert!(!run(*pk.point(), sig, m2).0);
        }
    }

    /// The verifier's steps, measured one by one (mirrors `EdDsaPoseidonGadget::verify`; the
    /// total must equal the pinned count).
    #[test]
    fn constraint_breakdown() {
        let sk = SecretKey::from_bytes([5; 32]);
        let pk = sk.public_key();
        let m = Fr::from(5u64);
        let sig = sk.sign(m);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let A = PointVar::new_input(cs.clone(), || Ok(*pk.point())).unwrap();
        let sv = SignatureVar::new_witness(cs.clone(), || Ok(sig)).unwrap();
        let msg = FpVar::new_witness(cs.clone(), || Ok(m)).unwrap();
        let mut last = cs.num_constraints();
        let mut step = || {
            let n = cs.num_constraints();
            let d = n - last;
            last = n;
            d
        };
        A.enforce_on_curve().unwrap();
        sv.R8.enforce_on_curve().unwrap();
        assert_eq!(step(), 8, "A, R8 on the curve");
        let s_bits = to_bits_le_strict_small(&sv.S, S_BITS).unwrap();
        let mut l1 = sub_order();
        l1.sub_with_borrow(&ark_ff::BigInteger256::from(1u64));
        let _ = Boolean::enforce_smaller_or_equal_than_le(&s_bits, l1).unwrap();
        assert_eq!(step(), 617, "S: 251 bits, S ≤ l − 1");
        let hm = PoseidonGadget::hash(&[
            sv.R8.x.clone(),
            sv.R8.y.clone(),
            A.x.clone(),
            A.y.clone(),
            msg,
        ])
        .unwrap();
        assert_eq!(step(), 321, "Poseidon(5)");
        let hm_bits = ark_r1cs_std::convert::ToBitsGadget::to_bits_le(&hm).unwrap();
        assert_eq!(step(), 640, "hm: 254 bits, strict");
        let A8 = A.double().unwrap().double().unwrap().double().unwrap();
        A8.x.enforce_not_equal(&FpVar::zero()).unwrap();
        assert_eq!(step(), 16, "8·A ≠ O");
        let acc = signed_digit_mul(&A8, &hm_bits).unwrap();
        assert_eq!(step(), 1525, "hm·(8A) signed-digit Montgomery");
        let left = fixed_base_mul(Point::base8(), &s_bits, Point::IDENTITY).unwrap();
        assert_eq!(step(), 831, "S·B8 fixed-base");
        let not_b0 = FpVar::from(!&hm_bits[0]);
        let corr = PointVar {
            x: &not_b0 * &A8.x,
            y: &not_b0 * (&A8.y - Fr::one()) + Fr::one(),
        };
        let left = left.add(&corr).unwrap();
        let right = sv.R8.add(&acc).unwrap();
        left.x.enforce_equal(&right.x).unwrap();
        left.y.enforce_equal(&right.y).unwrap();
        assert_eq!(step(), 16, "correction, two additions, final equality");
        assert_eq!(cs.num_constraints(), GADGET_CONSTRAINTS);
    }

    #[test]
    fn scalar_mul_gadgets_equal_native() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let k = big("123456789123456789123456789");
        let bits: Vec<Boolean<Fr>> = k
            .to_bits_le()
            .into_iter()
            .take(S_BITS)
            .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)).unwrap())
            .collect();
        let fixed = fixed_base_mul(Point::base8(), &bits, Point::IDENTITY).unwrap();
        assert_eq!(fixed.value().unwrap(), Point::base8().mul_bigint(&k));
        let off = super::super::offset_generator();
        let fixed_off = fixed_base_mul(Point::base8(), &bits, off).unwrap();
        assert_eq!(
            fixed_off.value().unwrap(),
            Point::base8().mul_bigint(&k).add(&off)
        );
        let P = Point::base8().mul_bigint(&big("99"));
        let pv = PointVar::new_witness(cs.clone(), || Ok(P)).unwrap();
        let var = variable_base_mul(&pv, &bits).unwrap();
        assert_eq!(var.value().unwrap(), P.mul_bigint(&k));
        assert!(cs.is_satisfied().unwrap());
        // Constant bits give the same result.
        let cb = constant_bits(&k, S_BITS);
        assert_eq!(
            fixed_base_mul(Point::base8(), &cb, Point::IDENTITY)
                .unwrap()
                .value()
                .unwrap(),
            Point::base8().mul_bigint(&k)
        );
        // Signed-digit multiplication: (h + 1 − b_0)·P + 2^253·G, for an even and an odd h.
        for h in [
            big("123456789123456789123456789"),
            big("98765432109876543210987654321"),
        ] {
            let hb: Vec<Boolean<Fr>> = h
                .to_bits_le()
                .into_iter()
                .take(HM_DIGITS + 1)
                .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)).unwrap())
                .collect();
            let got = signed_digit_mul(&pv, &hb).unwrap().value().unwrap();
            let mut scalar = h;
            if !h.get_bit(0) {
                scalar.add_with_carry(&ark_ff::BigInteger256::from(1u64));
            }
            let mut pow = vec![false; HM_DIGITS];
            pow.push(true);
            let want = P.mul_bigint(&scalar).add(&off.mul_bits_le(&pow));
            assert_eq!(got, want);
        }
        assert!(cs.is_satisfied().unwrap());
    }
}
