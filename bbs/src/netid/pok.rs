//! Proof of knowledge of a BBS signature without `D` (specs/bbs.md §5.3): the form of Tessaro
//! and Zhu ("Revisiting BBS Signatures", Eurocrypt 2023, §5), used for the credential and for
//! every range digit of a netid presentation.
//!
//! For a signature `(A, e)` on messages `m` under `B = P1 + Q_1·domain + Σ H_i·m_i`
//! (`A·(x + e) = B`, `x` the issuer's secret key), the prover draws `r ≠ 0` and sends
//! `Ā = r·A` and `B̄ = r·(B − e·A) = x·Ā`. With `α = 1/r` and `β = e/r`, the relation proved is
//!
//! ```text
//! e(Ā, W) = e(B̄, BP2),  Ā ≠ 1,
//! C_D := P1 + Q_1·domain + Σ_{i∈D} H_i·m_i = α·B̄ + β·Ā − Σ_{j∉D} H_j·m_j
//! ```
//!
//! by one Schnorr proof: `T = α̃·B̄ + β̃·Ā − Σ_{j∉D} m̃_j·H_j`, responses `α̂ = α̃ + c·α`,
//! `β̂ = β̃ + c·β`, `m̂_j = m̃_j + c·m_j`, and the verifier recomputes
//! `T = α̂·B̄ + β̂·Ā − Σ_{j∉D} m̂_j·H_j − c·C_D`. An extractor obtains `(α, β, m)` and from them
//! the signature `(α·Ā, β/α)`; `α = 0` would mean `B = β·Ā` and `B̄ = x·B/β`, i.e. computing
//! `x·P` in G1 for a `P` of the prover's choosing from `W = x·BP2` (co-CDH). `Ā = r·A` is a
//! uniformly random non-identity point and `B̄` is determined by it, so the pair reveals nothing
//! about `(A, e)` or the messages.
//!
//! Against the draft's CoreProofGen (`Ā, B̄, D`, responses `ê, r̂1, r̂3`) this saves a point and a
//! scalar per proof (80 bytes) and two of the prover's five variable-base multiplications; the
//! verifier decompresses two points instead of three and computes one commitment instead of two.
//!
//! The prover is constant-time in `A`, `e`, the messages and every random scalar. Points are
//! blst's (`msm::blst`); scalars are `bls12_381`'s.
#![allow(non_snake_case)]

use bls12_381::Scalar;
use zeroize::Zeroize;

use crate::error::{BbsError, Result};
use crate::msm::blst::{glv_msm, glv_tables, G1Projective, OddTables, WindowTables};
use crate::msm::{split128, NWIN};

/// The prover's first message for one signature: `Ā`, `B̄` and the signature part of `T`
/// (`α̃·B̄ + β̃·Ā`; the caller subtracts the hidden messages' `Σ m̃_j·H_j`).
pub(crate) struct SigCommit {
    pub(crate) A_bar: G1Projective,
    pub(crate) B_bar: G1Projective,
    pub(crate) T_sig: G1Projective,
    secrets: SigSecrets,
}

/// `α`, `β` and their blindings; wiped on drop.
struct SigSecrets {
    alpha: Scalar,
    beta: Scalar,
    alpha_t: Scalar,
    beta_t: Scalar,
}

impl Drop for SigSecrets {
    fn drop(&mut self) {
        self.alpha.zeroize();
        self.beta.zeroize();
        self.alpha_t.zeroize();
        self.beta_t.zeroize();
    }
}

/// The window tables a commitment is computed from.
pub(crate) enum Bases<'a> {
    /// Tables over `[A, B]` with `B = P1 + Q_1·domain + Σ H_i·m_i`: `B̄ = r·B − r·e·A`.
    AB(&'a WindowTables),
    /// Tables over `[A, 2^128·A, Y, 2^128·Y]` with `Y = B − e·A = x·A` precomputed (range
    /// digits): `B̄ = r·Y`, and every product is a split scalar over half the doublings.
    Split(&'a WindowTables),
}

impl SigCommit {
    /// Commits to the signature `(A, e)`; `rand` holds `r, α̃, β̃` (`r ≠ 0`).
    pub(crate) fn new(bases: Bases<'_>, e: &Scalar, rand: &[Scalar; 3]) -> Result<SigCommit> {
        let [r, alpha_t, beta_t] = *rand;
        let alpha = Option::<Scalar>::from(r.invert()).ok_or(BbsError::Degenerate("r = 0"))?;
        let beta = e * alpha;
        // T_sig = α̃·B̄ + β̃·Ā, written over the bases so that it needs no table of its own.
        let (A_bar, B_bar, T_sig) = match bases {
            Bases::AB(t) => {
                let mut re = r * e;
                let mut coeffs = [r * beta_t - alpha_t * re, r * alpha_t];
                let out = (t.mul_ct(0, &r), t.msm_ct(&[-re, r]), t.msm_ct(&coeffs));
                re.zeroize();
                coeffs.zeroize();
                out
            }
            Bases::Split(t) => {
                let half = NWIN / 2;
                let mut rs = split128(&r);
                let (mut u, mut v) = (split128(&(r * beta_t)), split128(&(r * alpha_t)));
                let mut uv = [u[0], u[1], v[0], v[1]];
                let out = (
                    t.straus_ct(&[0, 1], &rs, half),
                    t.straus_ct(&[2, 3], &rs, half),
                    t.straus_ct(&[0, 1, 2, 3], &uv, half),
                );
                rs.zeroize();
                u.zeroize();
                v.zeroize();
                uv.zeroize();
                out
            }
        };
        Ok(SigCommit {
            A_bar,
            B_bar,
            T_sig,
            secrets: SigSecrets {
                alpha,
                beta,
                alpha_t,
                beta_t,
            },
        })
    }

    /// The responses `(α̂, β̂)` to the challenge `c`.
    pub(crate) fn respond(&self, c: &Scalar) -> (Scalar, Scalar) {
        let s = &self.secrets;
        (s.alpha_t + c * s.alpha, s.beta_t + c * s.beta)
    }
}

/// The verifier's signature part of `T`, `α̂·B̄ + β̂·Ā` (variable-time; public inputs), and
/// the GLV tables over `[B̄, φ(B̄), Ā, φ(Ā)]` it was computed with (entries 0 and 2 are reused
/// for the batched pairing check).
pub(crate) fn verify_sig_part(
    A_bar: G1Projective,
    B_bar: G1Projective,
    alpha_hat: &Scalar,
    beta_hat: &Scalar,
) -> (G1Projective, OddTables) {
    let t = glv_tables(&[B_bar, A_bar]);
    (glv_msm(&t, &[*alpha_hat, *beta_hat]), t)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::SecretKey;
    use crate::msm::blst;
    use crate::signature::{calculate_domain, compute_B};
    use crate::{Bbs, Ciphersuite};
    use bls12_381::{G1Affine, G2Affine};
    use ff::Field;
    use group13::{Curve as _, Group as _};
    use rand::SeedableRng;

    /// The native relation, checked directly: an honest commitment opens under the verifier's
    /// equation (with the messages hidden), and `e(Ā, W) = e(B̄, BP2)`; from the split bases
    /// over `Y` the same points come out as from `[A, B]`.
    #[test]
    fn commitment_and_responses_satisfy_the_relation() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let suite = Ciphersuite::Sha256;
        let bbs = Bbs::with_api_id(suite, b"netid-test-pok");
        let sk = SecretKey::keygen(suite, &[3u8; 32], b"", None).unwrap();
        let pk = sk.public_key();
        let msgs: Vec<Scalar> = (1..=3u64).map(Scalar::from).collect();
        let sig = bbs.sign_scalars(&sk, &pk, b"h", &msgs).unwrap();
        let gens = bbs.generators(msgs.len() + 1).unwrap();
        let domain = calculate_domain(&pk, &gens, b"h", bbs.api_id());
        let zB = compute_B(&gens, &domain, &msgs, false);
        let zA = bls12_381::G1Projective::from(sig.A);
        let zY = zB - zA * sig.e;
        let to_b =
            |p: bls12_381::G1Projective| G1Projective::from(blst::from_zk(&G1Affine::from(p)));
        let to_zk = |p: G1Projective| blst::to_zk(&p.to_affine());
        let (A, B, Y) = (to_b(zA), to_b(zB), to_b(zY));
        let rand = [0; 3].map(|_| Scalar::random(&mut rng));
        let with_b = SigCommit::new(Bases::AB(&WindowTables::new(&[A, B])), &sig.e, &rand).unwrap();
        let split = WindowTables::new(&[A, blst::times_2_128(&A), Y, blst::times_2_128(&Y)]);
        let with_y = SigCommit::new(Bases::Split(&split), &sig.e, &rand).unwrap();
        assert_eq!(with_b.A_bar, with_y.A_bar);
        assert_eq!(with_b.B_bar, with_y.B_bar);
        assert_eq!(with_b.T_sig, with_y.T_sig);
        // B̄ = x·Ā, checked by the pairing.
        let (A_bar, B_bar) = (to_zk(with_b.A_bar), to_zk(with_b.B_bar));
        let lhs = bls12_381::pairing(&A_bar, pk.point());
        let rhs = bls12_381::pairing(&B_bar, &G2Affine::generator());
        assert_eq!(lhs, rhs);
        // Hide message 1; disclose 0 and 2.
        let m_t = Scalar::random(&mut rng);
        let H = gens.points();
        let T = to_zk(with_b.T_sig) - H[2] * m_t;
        let c = Scalar::random(&mut rng);
        let (a_hat, b_hat) = with_b.respond(&c);
        let m_hat = m_t + c * msgs[1];
        let C_D = bls12_381::G1Projective::from(suite.p1())
            + H[0] * domain
            + H[1] * msgs[0]
            + H[3] * msgs[2];
        let sig_part = to_zk(verify_sig_part(with_b.A_bar, with_b.B_bar, &a_hat, &b_hat).0);
        let T_v = sig_part - H[2] * m_hat - C_D * c;
        assert_eq!(G1Affine::from(T), G1Affine::from(T_v));
        // Another message value does not open.
        let T_bad = sig_part - H[2] * (m_hat + Scalar::one()) - C_D * c;
        assert_ne!(G1Affine::from(T), G1Affine::from(T_bad));
    }

    #[test]
    fn zero_r_is_refused() {
        let g = G1Projective::generator();
        let rand = [Scalar::zero(), Scalar::one(), Scalar::one()];
        let t = WindowTables::new(&[g, g]);
        assert!(SigCommit::new(Bases::AB(&t), &Scalar::one(), &rand).is_err());
        let t = WindowTables::new(&[g, g, g, g]);
        assert!(SigCommit::new(Bases::Split(&t), &Scalar::one(), &rand).is_err());
    }
}
