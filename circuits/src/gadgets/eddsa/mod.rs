//! EdDSA-Poseidon on BabyJubJub, compatible with circomlibjs `eddsa.signPoseidon` /
//! `verifyPoseidon` (specs/groth16.md §3).
//!
//! BabyJubJub is the twisted Edwards curve `a·x² + y² = 1 + d·x²·y²` with `a = 168700`,
//! `d = 168696` over BN254's scalar field. All coordinates here are circomlib's (not
//! ark-ed-on-bn254's `a = 1` model), so values equal circomlibjs's output byte for byte. The
//! prime-order subgroup has order `l` (circomlib's `subOrder`, the modulus of
//! `ark_ed_on_bn254::Fr`) and generator `B8` (circomlib's `Base8`); the cofactor is 8.
//!
//! * Key: `h = BLAKE-512(sk)`, `s = prune(h[0..32])` (clear bits 0–2 and 255, set bit 254) as a
//!   little-endian integer, `A = (s >> 3)·B8`.
//! * Sign `m ∈ F_r`: `r = LE(BLAKE-512(h[32..64] ‖ LE32(m))) mod l`, `R8 = r·B8`,
//!   `hm = Poseidon(R8.x, R8.y, A.x, A.y, m)`, `S = (r + hm·s) mod l`.
//! * Verify: `A`, `R8` on the curve, `S < l`, and `S·B8 = R8 + (8·hm)·A`. We also reject
//!   public keys that are not in the prime-order subgroup or are the identity (when decoding).
//!
//! Encodings: a point is circomlib's `packPoint`, 32 bytes: `y` little-endian with the top bit
//! set iff `x > (p−1)/2`; a signature is `pack(R8) ‖ LE32(S)` (64 bytes). Decoding rejects
//! non-canonical `y`, points off the curve or outside the subgroup, the identity as a key, and
//! `S ≥ l`.
//!
//! Native arithmetic is not constant-time (ark-ff's is not); signing happens on the issuer's
//! server, and the key is zeroized after use.
#![allow(non_snake_case)]

pub mod blake512;
pub mod constraints;

use ark_bn254::Fr;
use ark_ff::{BigInteger, BigInteger256, Field, One, PrimeField, Zero};
use std::str::FromStr;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{CircuitError, Result};
use crate::gadgets::poseidon::{fr_from_le_canonical, poseidon};
use blake512::blake512;

/// Curve coefficient `a`.
pub const COEFF_A: u64 = 168_700;
/// Curve coefficient `d`.
pub const COEFF_D: u64 = 168_696;

/// The subgroup order `l` as a big integer.
pub fn sub_order() -> BigInteger256 {
    <ark_ed_on_bn254::Fr as PrimeField>::MODULUS
}

/// A point in circomlib's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// x
    pub x: Fr,
    /// y
    pub y: Fr,
}

impl Point {
    /// The identity `(0, 1)`.
    pub const IDENTITY: Point = Point {
        x: <Fr as ark_ff::AdditiveGroup>::ZERO,
        y: <Fr as Field>::ONE,
    };

    /// circomlib's `Base8`, the generator of the prime-order subgroup.
    pub fn base8() -> Point {
        static B8: std::sync::OnceLock<Point> = std::sync::OnceLock::new();
        *B8.get_or_init(|| Point {
            x: fr_const(
                "5299619240641551281634865583518297030282874472190772894086521144482721001553",
            ),
            y: fr_const(
                "16950150798460657717958625567821834550301663161624707787222815936182638968203",
            ),
        })
    }

    /// Whether the point satisfies the curve equation.
    pub fn is_on_curve(&self) -> bool {
        let (x2, y2) = (self.x.square(), self.y.square());
        Fr::from(COEFF_A) * x2 + y2 == Fr::one() + Fr::from(COEFF_D) * x2 * y2
    }

    /// Complete twisted Edwards addition.
    pub fn add(&self, o: &Point) -> Point {
        let a = Fr::from(COEFF_A);
        let d = Fr::from(COEFF_D);
        let beta = self.x * o.y;
        let gamma = self.y * o.x;
        let delta = (self.y - a * self.x) * (o.x + o.y);
        let tau = beta * gamma;
        let x = (beta + gamma) * (Fr::one() + d * tau).inverse().unwrap_or_default();
        let y = (delta + a * beta - gamma) * (Fr::one() - d * tau).inverse().unwrap_or_default();
        Point { x, y }
    }

    /// Negation `(−x, y)`.
    pub fn neg(&self) -> Point {
        Point {
            x: -self.x,
            y: self.y,
        }
    }

    /// `k·P` for a little-endian bit string (double-and-add, MSB first).
    pub fn mul_bits_le(&self, bits: &[bool]) -> Point {
        let mut acc = Point::IDENTITY;
        for b in bits.iter().rev() {
            acc = acc.add(&acc);
            if *b {
                acc = acc.add(self);
            }
        }
        acc
    }

    /// `k·P` for an integer `k` (any size).
    pub fn mul_bigint(&self, k: &BigInteger256) -> Point {
        self.mul_bits_le(&k.to_bits_le())
    }

    /// Whether `l·P` is the identity (P in the prime-order subgroup; needs P on the curve).
    pub fn is_in_subgroup(&self) -> bool {
        self.mul_bigint(&sub_order()) == Point::IDENTITY
    }

    /// circomlib's `packPoint`.
    pub fn pack(&self) -> [u8; 32] {
        let mut out = crate::presentation::fr_to_bytes(&self.y);
        if self.x.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO {
            out[31] |= 0x80;
        }
        out
    }

    /// Inverse of [`pack`](Self::pack): rejects non-canonical `y` and `y` with no point.
    pub fn unpack(bytes: &[u8]) -> Result<Point> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CircuitError::encoding("point", "expected 32 bytes"))?;
        let mut yb = bytes;
        let sign = yb[31] & 0x80 != 0;
        yb[31] &= 0x7f;
        let y = fr_from_le_canonical(&yb)
            .ok_or_else(|| CircuitError::encoding("point", "y is not canonical"))?;
        let y2 = y.square();
        let x2 = (Fr::one() - y2)
            * (Fr::from(COEFF_A) - Fr::from(COEFF_D) * y2)
                .inverse()
                .ok_or_else(|| CircuitError::encoding("point", "not on the curve"))?;
        let mut x = x2
            .sqrt()
            .ok_or_else(|| CircuitError::encoding("point", "not on the curve"))?;
        if (x.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO) != sign {
            x = -x;
        }
        if x.is_zero() && sign {
            return Err(CircuitError::encoding(
                "point",
                "non-canonical sign of x = 0",
            ));
        }
        let p = Point { x, y };
        debug_assert!(p.is_on_curve());
        Ok(p)
    }
}

/// `√a` in `F_r`, the root `≤ (r−1)/2`:
/// 7214280148105020021932206872019688659210616427216992810330019057549499971851.
///
/// `(x, y) ↦ (x·√a, y)` maps circomlib's curve `a·x² + y² = 1 + d·x²·y²` isomorphically onto
/// ark-ed-on-bn254's `x'² + y² = 1 + (d/a)·x'²·y²` (it substitutes `x'² = a·x²`); the inverse
/// divides by `√a`. The other root gives the same map composed with negation.
pub fn sqrt_a() -> Fr {
    fr_const("7214280148105020021932206872019688659210616427216992810330019057549499971851")
}

impl Point {
    /// The same point on ark-ed-on-bn254's `a = 1` model: `(x·√a, y)`.
    pub fn to_ark(&self) -> ark_ed_on_bn254::EdwardsAffine {
        ark_ed_on_bn254::EdwardsAffine::new_unchecked(self.x * sqrt_a(), self.y)
    }

    /// From ark-ed-on-bn254's model: `(x'/√a, y)`.
    pub fn from_ark(p: &ark_ed_on_bn254::EdwardsAffine) -> Point {
        Point {
            x: p.x * sqrt_a().inverse().unwrap_or_default(),
            y: p.y,
        }
    }
}

/// A point of the prime-order subgroup with no known discrete logarithm to `B8` or any key:
/// `8·unpack(y_i)` for the first counter `i` where `y_i = SHA-256("netid/v1/groth16/eddsa-offset"
/// ‖ u32_be(i))[0..31]` (big-endian) is the `y` of a curve point. The in-circuit
/// multiplication starts from it so that its incomplete formulas never meet an exceptional case
/// (specs/groth16.md §3).
pub fn offset_generator() -> Point {
    static G: std::sync::OnceLock<Point> = std::sync::OnceLock::new();
    *G.get_or_init(|| {
        use sha2::{Digest, Sha256};
        for i in 0u32.. {
            let d = Sha256::new()
                .chain_update(b"netid/v1/groth16/eddsa-offset")
                .chain_update(i.to_be_bytes())
                .finalize();
            let y = Fr::from_be_bytes_mod_order(&d[..31]);
            let bytes = crate::presentation::fr_to_bytes(&y);
            if let Ok(p) = Point::unpack(&bytes) {
                let g = p.mul_bits_le(&[false, false, false, true]);
                if g != Point::IDENTITY {
                    return g;
                }
            }
        }
        Point::IDENTITY
    })
}

fn fr_const(s: &str) -> Fr {
    Fr::from_str(s).unwrap_or_default()
}

/// An issuer's EdDSA public key `A` (in the prime-order subgroup, not the identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(Point);

impl PublicKey {
    /// Validates a point as a public key: on the curve, in the subgroup, not the identity.
    pub fn from_point(p: Point) -> Result<PublicKey> {
        if !p.is_on_curve() || !p.is_in_subgroup() || p == Point::IDENTITY {
            return Err(CircuitError::encoding(
                "public key",
                "not a point of the prime-order subgroup other than the identity",
            ));
        }
        Ok(PublicKey(p))
    }

    /// From circomlib coordinates `(Ax, Ay)`, validated.
    pub fn from_coordinates(x: Fr, y: Fr) -> Result<PublicKey> {
        PublicKey::from_point(Point { x, y })
    }

    /// `(Ax, Ay)`.
    pub fn coordinates(&self) -> (Fr, Fr) {
        (self.0.x, self.0.y)
    }

    /// The point.
    pub fn point(&self) -> &Point {
        &self.0
    }

    /// Packed (32 bytes).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.pack()
    }

    /// Unpacks and validates.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey> {
        PublicKey::from_point(Point::unpack(bytes)?)
    }

    /// Verifies `sig` on `msg` (circomlibjs `verifyPoseidon`, with the key validated).
    pub fn verify(&self, msg: Fr, sig: &Signature) -> Result<()> {
        if !sig.R8.is_on_curve() || sig.S >= sub_order() {
            return Err(CircuitError::InvalidSignature);
        }
        let hm = challenge(&sig.R8, self, msg);
        // (8·hm)·A with 8·hm as an integer, as circomlibjs computes it (no reduction).
        let mut bits = vec![false; 3];
        bits.extend(hm.into_bigint().to_bits_le());
        let left = Point::base8().mul_bigint(&sig.S);
        let right = sig.R8.add(&self.0.mul_bits_le(&bits));
        if left == right {
            Ok(())
        } else {
            Err(CircuitError::InvalidSignature)
        }
    }
}

/// `hm = Poseidon(R8.x, R8.y, A.x, A.y, m)`.
pub fn challenge(R8: &Point, A: &PublicKey, msg: Fr) -> Fr {
    poseidon(&[R8.x, R8.y, A.0.x, A.0.y, msg]).unwrap_or_default()
}

/// An EdDSA-Poseidon signature `(R8, S)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The nonce point.
    pub R8: Point,
    /// The response, `< l`.
    pub S: BigInteger256,
}

impl Signature {
    /// From circomlib's decimal fields, validated (`R8` on the curve, `S < l`).
    pub fn from_parts(R8: Point, S: BigInteger256) -> Result<Signature> {
        if !R8.is_on_curve() {
            return Err(CircuitError::encoding(
                "signature",
                "R8 is not on the curve",
            ));
        }
        if S >= sub_order() {
            return Err(CircuitError::encoding(
                "signature",
                "S is not below the subgroup order",
            ));
        }
        Ok(Signature { R8, S })
    }

    /// `S` as a BN254 field element (it is below `l < r`).
    pub fn s_field(&self) -> Fr {
        Fr::from_bigint(self.S).unwrap_or_default()
    }

    /// `pack(R8) ‖ LE32(S)`.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.R8.pack());
        out[32..].copy_from_slice(&self.S.to_bytes_le());
        out
    }

    /// Decodes and validates 64 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature> {
        if bytes.len() != 64 {
            return Err(CircuitError::encoding("signature", "expected 64 bytes"));
        }
        let R8 = Point::unpack(&bytes[..32])?;
        let mut limbs = [0u64; 4];
        for (l, c) in limbs.iter_mut().zip(bytes[32..].chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *l = u64::from_le_bytes(b);
        }
        Signature::from_parts(R8, BigInteger256::new(limbs))
    }
}

/// An EdDSA secret key: 32 random bytes (circomlib's `prv`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The expanded key: pruned scalar `s` and the nonce prefix.
struct Expanded {
    s: BigInteger256,
    prefix: [u8; 32],
}

impl Drop for Expanded {
    fn drop(&mut self) {
        self.s.0.zeroize();
        self.prefix.zeroize();
    }
}

impl SecretKey {
    /// Wraps 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// The raw bytes (for storing the key; handle with care).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Result<SecretKey> {
        use rand_core_06::RngCore;
        let mut b = [0u8; 32];
        rand_core_06::OsRng
            .try_fill_bytes(&mut b)
            .map_err(|e| CircuitError::Keys(format!("no randomness: {e}")))?;
        Ok(SecretKey(b))
    }

    fn expand(&self) -> Expanded {
        let mut h = blake512(&self.0);
        h[0] &= 0xf8;
        h[31] &= 0x7f;
        h[31] |= 0x40;
        let mut limbs = [0u64; 4];
        for (l, c) in limbs.iter_mut().zip(h[..32].chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *l = u64::from_le_bytes(b);
        }
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        h.zeroize();
        Expanded {
            s: BigInteger256::new(limbs),
            prefix,
        }
    }

    /// The public key `A = (s >> 3)·B8`.
    pub fn public_key(&self) -> PublicKey {
        let mut e = self.expand();
        let mut s3 = e.s;
        s3 >>= 3;
        let A = Point::base8().mul_bigint(&s3);
        s3.0.zeroize();
        e.s.0.zeroize();
        PublicKey(A)
    }

    /// circomlibjs `signPoseidon(prv, msg)`.
    pub fn sign(&self, msg: Fr) -> Signature {
        type Fl = ark_ed_on_bn254::Fr;
        let e = self.expand();
        let A = self.public_key();
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(&e.prefix);
        buf[32..].copy_from_slice(&crate::presentation::fr_to_bytes(&msg));
        let rh = blake512(&buf);
        buf.zeroize();
        let r = Fl::from_le_bytes_mod_order(&rh);
        let R8 = Point::base8().mul_bigint(&r.into_bigint());
        let hm = challenge(&R8, &A, msg);
        let hm_l = Fl::from_le_bytes_mod_order(&hm.into_bigint().to_bytes_le());
        let s_l = Fl::from_le_bytes_mod_order(&e.s.to_bytes_le());
        let S = (r + hm_l * s_l).into_bigint();
        Signature { R8, S }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(non_snake_case)]
    pub(crate) struct Case {
        pub key: String,
        pub msg: String,
        pub Ax: String,
        pub Ay: String,
        pub R8x: String,
        pub R8y: String,
        pub S: String,
        #[serde(rename = "packedA")]
        pub packed_a: String,
    }

    #[derive(serde::Deserialize)]
    pub(crate) struct File {
        #[serde(rename = "subOrder")]
        pub sub_order: String,
        pub base8: [String; 2],
        pub cases: Vec<Case>,
    }

    pub(crate) fn file() -> File {
        serde_json::from_str(include_str!(
            "../../../tests/vectors/eddsa_circomlibjs.json"
        ))
        .unwrap()
    }

    pub(crate) fn fr(s: &str) -> Fr {
        Fr::from_str(s).unwrap()
    }

    pub(crate) fn big(s: &str) -> BigInteger256 {
        fr(s).into_bigint()
    }

    #[test]
    fn curve_constants_match_circomlib() {
        let f = file();
        assert_eq!(sub_order(), big(&f.sub_order));
        assert_eq!(
            Point::base8(),
            Point {
                x: fr(&f.base8[0]),
                y: fr(&f.base8[1])
            }
        );
        assert!(Point::base8().is_on_curve());
        assert!(Point::base8().is_in_subgroup());
    }

    #[test]
    fn maps_onto_ark_ed_on_bn254() {
        use ark_ec::{AffineRepr, CurveGroup};
        assert_eq!(sqrt_a().square(), Fr::from(COEFF_A));
        assert!(sqrt_a().into_bigint() <= Fr::MODULUS_MINUS_ONE_DIV_TWO);
        let b8 = Point::base8().to_ark();
        assert!(b8.is_on_curve());
        assert!(b8.is_in_correct_subgroup_assuming_on_curve());
        assert!(!b8.is_zero());
        assert_eq!(Point::from_ark(&b8), Point::base8());
        assert_eq!(
            Point::IDENTITY.to_ark(),
            ark_ed_on_bn254::EdwardsAffine::zero()
        );
        // The map is a homomorphism: k·B8 + P agree on both models.
        let k = ark_ed_on_bn254::Fr::from(123_456_789u64);
        let p = Point::base8().mul_bigint(&k.into_bigint());
        assert_eq!(p.to_ark(), (b8 * k).into_affine());
        let q = p.add(&Point::base8());
        assert_eq!(q.to_ark(), (p.to_ark() + b8).into_affine());
        // ark's generator (a different subgroup generator) maps back onto circomlib's curve.
        let g = Point::from_ark(&ark_ed_on_bn254::EdwardsAffine::generator());
        assert!(g.is_on_curve() && g.is_in_subgroup());
    }

    #[test]
    fn matches_circomlibjs_sign_and_keys() {
        for c in file().cases {
            let key: [u8; 32] = hex::decode(&c.key).unwrap().try_into().unwrap();
            let sk = SecretKey::from_bytes(key);
            let pk = sk.public_key();
            assert_eq!(pk.coordinates(), (fr(&c.Ax), fr(&c.Ay)), "key {}", c.key);
            assert_eq!(hex::encode(pk.to_bytes()), c.packed_a);
            assert_eq!(PublicKey::from_bytes(&pk.to_bytes()).unwrap(), pk);
            let sig = sk.sign(fr(&c.msg));
            assert_eq!(
                sig.R8,
                Point {
                    x: fr(&c.R8x),
                    y: fr(&c.R8y)
                }
            );
            assert_eq!(sig.S, big(&c.S));
            pk.verify(fr(&c.msg), &sig).unwrap();
            assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
            assert!(pk.verify(fr(&c.msg) + Fr::one(), &sig).is_err());
        }
    }

    #[test]
    fn rejects_bad_signatures_and_keys() {
        let sk = SecretKey::from_bytes([9; 32]);
        let pk = sk.public_key();
        let m = Fr::from(42u64);
        let sig = sk.sign(m);
        // S + l: same point, but not canonical.
        let mut s_plus_l = sig.S;
        s_plus_l.add_with_carry(&sub_order());
        let forged = Signature {
            R8: sig.R8,
            S: s_plus_l,
        };
        assert!(pk.verify(m, &forged).is_err());
        assert!(Signature::from_parts(sig.R8, s_plus_l).is_err());
        // Other key.
        let other = SecretKey::from_bytes([10; 32]).public_key();
        assert!(other.verify(m, &sig).is_err());
        // Identity and small-order keys are refused.
        assert!(PublicKey::from_point(Point::IDENTITY).is_err());
        let small = Point {
            x: Fr::zero(),
            y: -Fr::one(),
        }; // order 2
        assert!(small.is_on_curve());
        assert!(PublicKey::from_point(small).is_err());
        // Off-curve.
        assert!(PublicKey::from_coordinates(Fr::one(), Fr::one()).is_err());
        // Decoding rejects garbage.
        assert!(Signature::from_bytes(&[0xff; 64]).is_err());
        assert!(PublicKey::from_bytes(&[1; 31]).is_err());
        assert_eq!(format!("{sk:?}"), "SecretKey(<redacted>)");
    }
}
