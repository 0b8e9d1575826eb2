//! BBS proofs of knowledge of a signature with selective disclosure: CoreProofGen and
//! CoreProofVerify (draft §3.6.3, §3.6.4), their subroutines ProofInit, ProofFinalize,
//! ProofVerifyInit and ProofChallengeCalculate (§3.7), and the proof encoding (§6.4.4, §6.4.5).
//!
//! Relation proved (specs/bbs.md §2.3): knowledge of `(A, e)` and of the undisclosed messages
//! `m_j` such that `A = B/(SK + e)` for `B = P1 + Q_1·domain + Σ H_i·m_i`, via the randomised
//! `Ā = A·r1·r2`, `D = B·r2`, `B̄ = D·r1 − Ā·e` with `e(Ā, W) = e(B̄, BP2)` and the Schnorr
//! equations `B̄ = Ā·(−e) + D·r1` and `P1 + Q_1·domain + Σ_disclosed H_i·m_i = D·r3 − Σ_undisclosed
//! H_j·m_j` (with `r3 = 1/r2`), under the challenge of ProofChallengeCalculate.
//!
//! Proof generation is constant-time in the signature, the undisclosed messages and the random
//! scalars; verification is variable-time (its inputs are public).
#![allow(non_snake_case)]

use bls12_381::{G1Affine, G1Projective, Scalar};
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::codec::{decode_g1, decode_nonzero_scalar};
use crate::error::{BbsError, Result};
use crate::generators::Generators;
use crate::keys::PublicKey;
use crate::msm::WindowTables;
use crate::signature::{calculate_domain, compute_B, neg_bp2_prepared, Signature};
use crate::suite::{scalar_to_be, Ciphersuite, EXPAND_LEN, POINT_LEN, SCALAR_LEN};

/// Shortest possible proof: 3 points and 4 scalars (no undisclosed messages).
pub const PROOF_LEN_FLOOR: usize = 3 * POINT_LEN + 4 * SCALAR_LEN;

/// A BBS proof `(Ā, B̄, D, ê, r̂1, r̂3, (m̂_j), c)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Proof {
    pub(crate) A_bar: G1Affine,
    pub(crate) B_bar: G1Affine,
    pub(crate) D: G1Affine,
    pub(crate) e_hat: Scalar,
    pub(crate) r1_hat: Scalar,
    pub(crate) r3_hat: Scalar,
    pub(crate) m_hat: Vec<Scalar>,
    pub(crate) c: Scalar,
}

impl core::fmt::Debug for Proof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Proof({})", hex::encode(self.to_bytes()))
    }
}

impl Proof {
    /// Number of undisclosed messages the proof covers.
    pub fn undisclosed_count(&self) -> usize {
        self.m_hat.len()
    }

    /// `proof_to_octets`: `Ā ‖ B̄ ‖ D ‖ ê ‖ r̂1 ‖ r̂3 ‖ m̂_1 … m̂_U ‖ c`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PROOF_LEN_FLOOR + SCALAR_LEN * self.m_hat.len());
        for p in [&self.A_bar, &self.B_bar, &self.D] {
            out.extend_from_slice(&p.to_compressed());
        }
        for s in [&self.e_hat, &self.r1_hat, &self.r3_hat]
            .into_iter()
            .chain(self.m_hat.iter())
            .chain([&self.c])
        {
            out.extend_from_slice(&scalar_to_be(s));
        }
        out
    }

    /// `octets_to_proof`: every point a valid non-identity subgroup point, every scalar
    /// canonical and non-zero, no trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof> {
        if bytes.len() < PROOF_LEN_FLOOR || (bytes.len() - 3 * POINT_LEN) % SCALAR_LEN != 0 {
            return Err(BbsError::Length {
                what: "proof",
                expected: PROOF_LEN_FLOOR,
                got: bytes.len(),
            });
        }
        let A_bar = decode_g1(&bytes[..POINT_LEN], "proof Abar")?;
        let B_bar = decode_g1(&bytes[POINT_LEN..2 * POINT_LEN], "proof Bbar")?;
        let D = decode_g1(&bytes[2 * POINT_LEN..3 * POINT_LEN], "proof D")?;
        let scalars = bytes[3 * POINT_LEN..]
            .chunks_exact(SCALAR_LEN)
            .map(|c| decode_nonzero_scalar(c, "proof scalar"))
            .collect::<Result<Vec<_>>>()?;
        let n = scalars.len();
        Ok(Proof {
            A_bar,
            B_bar,
            D,
            e_hat: scalars[0],
            r1_hat: scalars[1],
            r3_hat: scalars[2],
            m_hat: scalars[3..n - 1].to_vec(),
            c: scalars[n - 1],
        })
    }
}

/// `calculate_random_scalars(count)` (draft §6.1): `OS2IP(get_random(48)) mod r` each.
pub fn calculate_random_scalars<R: CryptoRng + ?Sized>(rng: &mut R, count: usize) -> Vec<Scalar> {
    (0..count)
        .map(|_| {
            let mut buf = [0u8; EXPAND_LEN];
            rng.fill_bytes(&mut buf);
            let s = wide_be_to_scalar(&buf);
            buf.zeroize();
            s
        })
        .collect()
}

/// `seeded_random_scalars(SEED, DST, count)` (draft Appendix "Mocked Random Scalars"): the
/// deterministic scalars the draft's ProofGen fixtures use. For tests and interop only.
pub fn seeded_random_scalars(
    suite: Ciphersuite,
    seed: &[u8],
    dst: &[u8],
    count: usize,
) -> Result<Vec<Scalar>> {
    let len = count
        .checked_mul(EXPAND_LEN)
        .filter(|&l| l <= 65535)
        .ok_or(BbsError::TooLarge("too many mocked random scalars"))?;
    let v = suite.expand_message(&[seed], dst, len)?;
    Ok(v.chunks_exact(EXPAND_LEN).map(wide_be_to_scalar).collect())
}

/// OS2IP of up to 64 big-endian bytes, reduced mod r.
fn wide_be_to_scalar(be: &[u8]) -> Scalar {
    let mut wide = [0u8; 64];
    for (i, b) in be.iter().rev().enumerate() {
        wide[i] = *b;
    }
    let s = Scalar::from_bytes_wide(&wide);
    wide.zeroize();
    s
}

/// Splits `0..L` into the disclosed indexes (validated: strictly ascending, in range) and the
/// undisclosed ones.
pub(crate) fn split_indexes(L: usize, disclosed: &[usize]) -> Result<Vec<usize>> {
    if disclosed.len() > L {
        return Err(BbsError::Indexes("more disclosed indexes than messages"));
    }
    if disclosed.windows(2).any(|w| w[0] >= w[1]) {
        return Err(BbsError::Indexes("indexes must be strictly ascending"));
    }
    if disclosed.last().is_some_and(|&i| i >= L) {
        return Err(BbsError::Indexes("index out of range"));
    }
    let mut und = Vec::with_capacity(L - disclosed.len());
    let mut d = disclosed.iter().peekable();
    for i in 0..L {
        if d.peek() == Some(&&i) {
            d.next();
        } else {
            und.push(i);
        }
    }
    Ok(und)
}

/// The output of ProofInit / ProofVerifyInit: `(Ā, B̄, D, T1, T2, domain)`.
pub(crate) struct InitRes {
    pub(crate) A_bar: G1Affine,
    pub(crate) B_bar: G1Affine,
    pub(crate) D: G1Affine,
    pub(crate) T1: G1Affine,
    pub(crate) T2: G1Affine,
    pub(crate) domain: Scalar,
}

/// The random scalars of ProofInit, named as in the draft.
pub(crate) struct Blindings<'a> {
    pub(crate) r1: Scalar,
    pub(crate) r2: Scalar,
    pub(crate) e_tilde: Scalar,
    pub(crate) r1_tilde: Scalar,
    pub(crate) r3_tilde: Scalar,
    pub(crate) m_tilde: &'a [Scalar],
}

impl Drop for Blindings<'_> {
    fn drop(&mut self) {
        self.r1.zeroize();
        self.r2.zeroize();
        self.e_tilde.zeroize();
        self.r1_tilde.zeroize();
        self.r3_tilde.zeroize();
    }
}

impl<'a> Blindings<'a> {
    pub(crate) fn from_slice(rs: &'a [Scalar], U: usize) -> Result<Self> {
        if rs.len() != U + 5 {
            return Err(BbsError::TooLarge("random scalar count must be U + 5"));
        }
        Ok(Blindings {
            r1: rs[0],
            r2: rs[1],
            e_tilde: rs[2],
            r1_tilde: rs[3],
            r3_tilde: rs[4],
            m_tilde: &rs[5..],
        })
    }
}

/// ProofInit (draft §3.7.1). The argument list mirrors the draft's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn proof_init(
    pk: &PublicKey,
    sig: &Signature,
    gens: &Generators,
    bl: &Blindings<'_>,
    header: &[u8],
    msgs: &[Scalar],
    undisclosed: &[usize],
    api_id: &[u8],
) -> Result<InitRes> {
    if gens.len() != msgs.len() + 1 || bl.m_tilde.len() != undisclosed.len() {
        return Err(BbsError::TooLarge("generator or blinding count mismatch"));
    }
    let domain = calculate_domain(pk, gens, header, api_id);
    let B = compute_B(gens, &domain, msgs, true);
    let A = G1Projective::from(sig.A);
    // Ā, B̄, D, T1 and the D-part of T2 all combine A and B; build their window tables once.
    let (tA, tB, tAB) = (
        WindowTables::new(&[A]),
        WindowTables::new(&[B]),
        WindowTables::new(&[A, B]),
    );
    let r1r2 = bl.r1 * bl.r2;
    let A_bar = tA.msm_ct(&[r1r2]);
    let D = tB.msm_ct(&[bl.r2]);
    let B_bar = tAB.msm_ct(&[-(r1r2 * sig.e), r1r2]);
    let T1 = tAB.msm_ct(&[r1r2 * bl.e_tilde, bl.r2 * bl.r1_tilde]);
    let hj: Vec<(usize, Scalar)> = undisclosed
        .iter()
        .zip(bl.m_tilde)
        .map(|(&j, m)| (j + 1, *m))
        .collect();
    let T2 = tB.msm_ct(&[bl.r2 * bl.r3_tilde]) + gens.lincomb(&hj, true);
    let mut aff = [G1Affine::identity(); 5];
    G1Projective::batch_normalize(&[A_bar, B_bar, D, T1, T2], &mut aff);
    Ok(InitRes {
        A_bar: aff[0],
        B_bar: aff[1],
        D: aff[2],
        T1: aff[3],
        T2: aff[4],
        domain,
    })
}

/// ProofChallengeCalculate (draft §3.7.4).
pub(crate) fn challenge(
    suite: Ciphersuite,
    init: &InitRes,
    disclosed_msgs: &[Scalar],
    disclosed_idx: &[usize],
    ph: &[u8],
    api_id: &[u8],
) -> Scalar {
    let mut buf = Vec::with_capacity(8 + 40 * disclosed_idx.len() + 5 * POINT_LEN + 40);
    buf.extend_from_slice(&(disclosed_idx.len() as u64).to_be_bytes());
    for (i, m) in disclosed_idx.iter().zip(disclosed_msgs) {
        buf.extend_from_slice(&(*i as u64).to_be_bytes());
        buf.extend_from_slice(&scalar_to_be(m));
    }
    for p in [&init.A_bar, &init.B_bar, &init.D, &init.T1, &init.T2] {
        buf.extend_from_slice(&p.to_compressed());
    }
    buf.extend_from_slice(&scalar_to_be(&init.domain));
    buf.extend_from_slice(&(ph.len() as u64).to_be_bytes());
    let dst = [api_id, b"H2S_"].concat();
    suite.hash_to_scalar(&[&buf, ph], &dst)
}

/// ProofFinalize (draft §3.7.2).
pub(crate) fn proof_finalize(
    init: &InitRes,
    c: Scalar,
    e: &Scalar,
    bl: &Blindings<'_>,
    undisclosed_msgs: &[Scalar],
) -> Result<Proof> {
    let r3 = Option::<Scalar>::from(bl.r2.invert()).ok_or(BbsError::Degenerate("r2 = 0"))?;
    Ok(Proof {
        A_bar: init.A_bar,
        B_bar: init.B_bar,
        D: init.D,
        e_hat: bl.e_tilde + e * c,
        r1_hat: bl.r1_tilde - bl.r1 * c,
        r3_hat: bl.r3_tilde - r3 * c,
        m_hat: bl
            .m_tilde
            .iter()
            .zip(undisclosed_msgs)
            .map(|(t, m)| t + m * c)
            .collect(),
        c,
    })
}

/// `CoreProofGen` (draft §3.6.3) over message scalars, with the caller's `5 + U` random scalars
/// (from [`calculate_random_scalars`], or [`seeded_random_scalars`] for fixtures).
#[allow(clippy::too_many_arguments)]
pub fn core_proof_gen(
    pk: &PublicKey,
    sig: &Signature,
    gens: &Generators,
    header: &[u8],
    ph: &[u8],
    msgs: &[Scalar],
    disclosed: &[usize],
    api_id: &[u8],
    random_scalars: &[Scalar],
) -> Result<Proof> {
    let undisclosed = split_indexes(msgs.len(), disclosed)?;
    let bl = Blindings::from_slice(random_scalars, undisclosed.len())?;
    let init = proof_init(pk, sig, gens, &bl, header, msgs, &undisclosed, api_id)?;
    let d_msgs: Vec<Scalar> = disclosed.iter().map(|&i| msgs[i]).collect();
    let c = challenge(gens.suite(), &init, &d_msgs, disclosed, ph, api_id);
    let u_msgs: Vec<Scalar> = undisclosed.iter().map(|&j| msgs[j]).collect();
    proof_finalize(&init, c, &sig.e, &bl, &u_msgs)
}

/// ProofVerifyInit (draft §3.7.3).
pub(crate) fn proof_verify_init(
    pk: &PublicKey,
    proof: &Proof,
    gens: &Generators,
    header: &[u8],
    disclosed_msgs: &[Scalar],
    disclosed_idx: &[usize],
    api_id: &[u8],
) -> Result<InitRes> {
    let U = proof.m_hat.len();
    let R = disclosed_idx.len();
    let L = R + U;
    if disclosed_msgs.len() != R || gens.len() != L + 1 {
        return Err(BbsError::InvalidProof);
    }
    let undisclosed = split_indexes(L, disclosed_idx).map_err(|_| BbsError::InvalidProof)?;
    let domain = calculate_domain(pk, gens, header, api_id);
    let t = WindowTables::new(&[
        G1Projective::from(proof.B_bar),
        G1Projective::from(proof.A_bar),
        G1Projective::from(proof.D),
    ]);
    let c = proof.c;
    let T1 = t.msm_vartime(&[c, proof.e_hat, proof.r1_hat]);
    // T2 = Bv·c + D·r̂3 + Σ H_j·m̂_j with Bv·c = c·P1 + (c·domain)·Q_1 + Σ (c·msg_i)·H_i.
    let mut terms = Vec::with_capacity(L + 1);
    terms.push((0, c * domain));
    terms.extend(
        disclosed_idx
            .iter()
            .zip(disclosed_msgs)
            .map(|(&i, m)| (i + 1, c * m)),
    );
    terms.extend(
        undisclosed
            .iter()
            .zip(&proof.m_hat)
            .map(|(&j, m)| (j + 1, *m)),
    );
    let mut T2 = gens.lincomb(&terms, false);
    gens.add_p1(&mut T2, &c, false);
    T2 += t.msm_vartime(&[Scalar::zero(), Scalar::zero(), proof.r3_hat]);
    let mut aff = [G1Affine::identity(); 2];
    G1Projective::batch_normalize(&[T1, T2], &mut aff);
    Ok(InitRes {
        A_bar: proof.A_bar,
        B_bar: proof.B_bar,
        D: proof.D,
        T1: aff[0],
        T2: aff[1],
        domain,
    })
}

/// The pairing check `e(Ā, W) · e(B̄, −BP2) = 1`.
pub(crate) fn pairing_check(pk: &PublicKey, A_bar: &G1Affine, B_bar: &G1Affine) -> bool {
    crate::blst_backend::pairing_is_one(&[(A_bar, pk.prepared()), (B_bar, neg_bp2_prepared())])
}

/// `CoreProofVerify` (draft §3.6.4) over message scalars. `Err(InvalidProof)` when it does not
/// verify. The argument list mirrors the draft's.
#[allow(clippy::too_many_arguments)]
pub fn core_proof_verify(
    pk: &PublicKey,
    proof: &Proof,
    gens: &Generators,
    header: &[u8],
    ph: &[u8],
    disclosed_msgs: &[Scalar],
    disclosed_idx: &[usize],
    api_id: &[u8],
) -> Result<()> {
    let init = proof_verify_init(
        pk,
        proof,
        gens,
        header,
        disclosed_msgs,
        disclosed_idx,
        api_id,
    )?;
    let c = challenge(
        gens.suite(),
        &init,
        disclosed_msgs,
        disclosed_idx,
        ph,
        api_id,
    );
    if c != proof.c || !pairing_check(pk, &proof.A_bar, &proof.B_bar) {
        return Err(BbsError::InvalidProof);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn split_indexes_validates() {
        assert_eq!(split_indexes(4, &[1, 3]).unwrap(), vec![0, 2]);
        assert_eq!(split_indexes(2, &[]).unwrap(), vec![0, 1]);
        assert!(split_indexes(2, &[2]).is_err());
        assert!(split_indexes(3, &[1, 1]).is_err());
        assert!(split_indexes(3, &[2, 1]).is_err());
        assert!(split_indexes(1, &[0, 1]).is_err());
    }

    #[test]
    fn proof_decoding_rejects_garbage() {
        assert!(Proof::from_bytes(&[]).is_err());
        assert!(Proof::from_bytes(&[0u8; PROOF_LEN_FLOOR]).is_err());
        assert!(Proof::from_bytes(&[0u8; PROOF_LEN_FLOOR + 1]).is_err());
    }
}
