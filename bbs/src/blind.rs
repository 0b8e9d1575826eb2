//! Blind BBS signatures: `draft-irtf-cfrg-bbs-blind-signatures` (the operations its published
//! fixtures define, see `tests/fixtures/blind/SOURCE.md`; specs/bbs.md §8).
//!
//! The prover commits to messages the signer never sees; the signer signs its own messages and
//! the commitment; the prover then verifies the signature and proves knowledge of it exactly as
//! with an ordinary BBS signature.
//!
//! Relations (with `(Q_1, H_1..H_L)` the interface's generators and `(Q_2, J_1..J_M)` the blind
//! generators of `"BLIND_" ‖ api_id`):
//! - **Commit** proves knowledge of `(secret_prover_blind, m_1..m_M)` with
//!   `C = Q_2·secret_prover_blind + Σ J_i·m_i` (a Schnorr proof under
//!   `calculate_blind_challenge(C, C̄, (Q_2, J_1..J_M))`).
//! - **BlindSign**: `A = B·1/(SK + e)` with `B = P1 + Q_1·domain + Σ H_i·msg_i + C`,
//!   `e = hash_to_scalar(SK ‖ B)` (as the fixtures compute it) and `domain` over `(Q_1; H_1..H_L, Q_2, J_1..J_M)`.
//! - **Verify / ProofGen / ProofVerify**: the BBS core operations over the generators
//!   `(Q_1, H_1..H_L, Q_2, J_1..J_M)` and the messages `(msg_1..msg_L, secret_prover_blind,
//!   m_1..m_M)`; the committed message `j` is at index `L + 1 + j` of that list.
//!
//! Commit and proof generation are constant-time in the committed messages and the blinds;
//! BlindSign is constant-time in the secret key; commitment verification works on public data.
#![allow(non_snake_case)]

use bls12_381::{G1Affine, G1Projective, Scalar};
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::{decode_g1, decode_nonzero_scalar, decode_scalar};
use crate::error::{BbsError, Result};
use crate::generators::Generators;
use crate::keys::{PublicKey, SecretKey};
use crate::msm::{msm_ct, msm_vartime};
use crate::proof::{calculate_random_scalars, core_proof_gen, core_proof_verify, Proof};
use crate::signature::{calculate_domain, compute_B, core_verify, Signature};
use crate::suite::{scalar_to_be, Ciphersuite, POINT_LEN, SCALAR_LEN};

/// The suffix of the Blind BBS interface's `api_id`: `ciphersuite_id ‖ "BLIND_H2G_HM2S_"`.
pub const BLIND_API_SUFFIX: &[u8] = b"BLIND_H2G_HM2S_";

/// Shortest encoded commitment with proof: `C`, `s^` and the challenge (no committed messages).
pub const COMMITMENT_LEN_FLOOR: usize = POINT_LEN + 2 * SCALAR_LEN;

/// A commitment to the prover's messages with its proof of correctness
/// (`commitment_with_proof`): `C` and the Schnorr proof `(s^, (m^_1..m^_M), challenge)`.
///
/// Public: the prover sends it to the signer. Decoding validates the point (on the curve, in the
/// subgroup, not the identity) and every scalar (canonical, non-zero), as the draft's
/// `octets_to_commitment_with_proof`.
#[derive(Clone, PartialEq, Eq)]
pub struct Commitment {
    C: G1Affine,
    s_hat: Scalar,
    m_hat: Vec<Scalar>,
    c: Scalar,
}

impl core::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Commitment({})", hex::encode(self.to_bytes()))
    }
}

impl Commitment {
    /// How many messages the commitment commits to (`M`), the prover blind not counted.
    pub fn committed_count(&self) -> usize {
        self.m_hat.len()
    }

    /// `commitment_with_proof_to_octets`: `C ‖ s^ ‖ m^_1 … m^_M ‖ challenge`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(COMMITMENT_LEN_FLOOR + SCALAR_LEN * self.m_hat.len());
        out.extend_from_slice(&self.C.to_compressed());
        out.extend_from_slice(&scalar_to_be(&self.s_hat));
        for m in &self.m_hat {
            out.extend_from_slice(&scalar_to_be(m));
        }
        out.extend_from_slice(&scalar_to_be(&self.c));
        out
    }

    /// `octets_to_commitment_with_proof`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Commitment> {
        if bytes.len() < COMMITMENT_LEN_FLOOR || (bytes.len() - POINT_LEN) % SCALAR_LEN != 0 {
            return Err(BbsError::Length {
                what: "commitment with proof",
                expected: COMMITMENT_LEN_FLOOR,
                got: bytes.len(),
            });
        }
        let C = decode_g1(&bytes[..POINT_LEN], "commitment C")?;
        let scalars = bytes[POINT_LEN..]
            .chunks_exact(SCALAR_LEN)
            .map(|b| decode_nonzero_scalar(b, "commitment proof scalar"))
            .collect::<Result<Vec<_>>>()?;
        let n = scalars.len();
        Ok(Commitment {
            C,
            s_hat: scalars[0],
            m_hat: scalars[1..n - 1].to_vec(),
            c: scalars[n - 1],
        })
    }
}

/// The prover's secret blind (`secret_prover_blind`), returned by [`BlindBbs::commit`] and needed
/// to verify the signature and to prove with it. Zeroized on drop, redacted in `Debug`, compared
/// in constant time. Zero stands for "no commitment", as in the draft.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ProverBlind(Scalar);

impl core::fmt::Debug for ProverBlind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ProverBlind(<redacted>)")
    }
}

impl ConstantTimeEq for ProverBlind {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl PartialEq for ProverBlind {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for ProverBlind {}

impl ProverBlind {
    /// The zero blind: what VerifyBlindSign and BlindProofGen use for a signature made without a
    /// commitment.
    pub fn zero() -> ProverBlind {
        ProverBlind(Scalar::zero())
    }

    /// From 32 big-endian bytes (a canonical scalar; zero allowed).
    pub fn from_bytes(bytes: &[u8]) -> Result<ProverBlind> {
        decode_scalar(bytes, "secret prover blind").map(ProverBlind)
    }

    /// 32 big-endian bytes, in a zeroizing buffer.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(scalar_to_be(&self.0))
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}

/// The Blind BBS interface of a ciphersuite: `api_id = ciphersuite_id ‖ "BLIND_H2G_HM2S_"`, blind
/// generators from `"BLIND_" ‖ api_id`.
///
/// ```
/// use netid_bbs::{BlindBbs, Ciphersuite, SecretKey};
///
/// # fn main() -> Result<(), netid_bbs::BbsError> {
/// let bbs = BlindBbs::new(Ciphersuite::Sha256);
/// let mut rng = rand::rng();
/// // The prover commits to a message only it knows.
/// let (commitment, blind) = bbs.commit(&[b"wallet secret"], &mut rng)?;
/// // The signer checks the commitment's proof and signs its own messages with it.
/// let sk = SecretKey::generate(bbs.suite(), &mut rng)?;
/// let pk = sk.public_key();
/// let sig = bbs.blind_sign(&sk, &pk, Some(&commitment), b"header", &[b"birthdate=2001-05-04"])?;
/// bbs.verify(&pk, &sig, b"header", &[b"birthdate=2001-05-04"], &[b"wallet secret"], &blind)?;
/// // A proof that discloses the signer's message and keeps the committed one hidden.
/// let proof = bbs.proof_gen(&pk, &sig, b"header", b"nonce", &[b"birthdate=2001-05-04"],
///     &[b"wallet secret"], &[0], &[], &blind, &mut rng)?;
/// bbs.proof_verify(&pk, &proof, b"header", b"nonce", 1, &[b"birthdate=2001-05-04"], &[0],
///     &[] as &[&[u8]], &[])?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindBbs {
    suite: Ciphersuite,
    api_id: Vec<u8>,
    blind_api_id: Vec<u8>,
}

impl BlindBbs {
    /// The draft's Blind BBS interface of `suite`.
    pub fn new(suite: Ciphersuite) -> Self {
        Self::with_api_id(suite, &[suite.id(), BLIND_API_SUFFIX].concat())
    }

    /// An interface with its own `api_id` (blind generators from `"BLIND_" ‖ api_id`).
    pub fn with_api_id(suite: Ciphersuite, api_id: &[u8]) -> Self {
        BlindBbs {
            suite,
            api_id: api_id.to_vec(),
            blind_api_id: [b"BLIND_".as_slice(), api_id].concat(),
        }
    }

    /// The ciphersuite.
    pub fn suite(&self) -> Ciphersuite {
        self.suite
    }

    /// The interface's `api_id`.
    pub fn api_id(&self) -> &[u8] {
        &self.api_id
    }

    /// `create_generators(count, api_id)`: `(Q_1, H_1, …)`, cached.
    pub fn generators(&self, count: usize) -> Result<Generators> {
        Generators::get(self.suite, &self.api_id, count)
    }

    /// `create_generators(count, "BLIND_" ‖ api_id)`: `(Q_2, J_1, …)`, cached.
    pub fn blind_generators(&self, count: usize) -> Result<Generators> {
        Generators::get(self.suite, &self.blind_api_id, count)
    }

    /// `messages_to_scalars(messages, api_id)`.
    pub fn messages_to_scalars<M: AsRef<[u8]>>(&self, messages: &[M]) -> Vec<Scalar> {
        self.suite.messages_to_scalars(messages, &self.api_id)
    }

    /// `(Q_1, H_1..H_L, Q_2, J_1..J_M)`.
    pub(crate) fn all_generators(&self, L: usize, M: usize) -> Result<Generators> {
        Ok(self
            .generators(L + 1)?
            .concat(&self.blind_generators(M + 1)?))
    }

    /// `Commit(committed_messages, api_id)` with fresh randomness.
    pub fn commit<M: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        &self,
        committed_messages: &[M],
        rng: &mut R,
    ) -> Result<(Commitment, ProverBlind)> {
        let mut scalars = self.messages_to_scalars(committed_messages);
        let res = self.commit_scalars(&scalars, rng);
        scalars.zeroize();
        res
    }

    /// CoreCommit over message scalars with fresh randomness.
    pub fn commit_scalars<R: CryptoRng + ?Sized>(
        &self,
        committed: &[Scalar],
        rng: &mut R,
    ) -> Result<(Commitment, ProverBlind)> {
        let mut rs = calculate_random_scalars(rng, committed.len() + 2);
        let res = self.commit_with_random_scalars(committed, &rs);
        rs.zeroize();
        res
    }

    /// CoreCommit with the caller's `M + 2` random scalars `(secret_prover_blind, s~, m~_1..m~_M)`
    /// (from [`calculate_random_scalars`], or [`crate::seeded_random_scalars`] for fixtures).
    pub fn commit_with_random_scalars(
        &self,
        committed: &[Scalar],
        random_scalars: &[Scalar],
    ) -> Result<(Commitment, ProverBlind)> {
        let M = committed.len();
        if random_scalars.len() != M + 2 {
            return Err(BbsError::TooLarge("random scalar count must be M + 2"));
        }
        let gens = self.blind_generators(M + 1)?;
        let blind = ProverBlind(random_scalars[0]);
        let s_tilde = random_scalars[1];
        let m_tilde = &random_scalars[2..];
        let mut c_terms: Vec<(usize, Scalar)> = Vec::with_capacity(M + 1);
        c_terms.push((0, blind.0));
        c_terms.extend(committed.iter().enumerate().map(|(i, m)| (i + 1, *m)));
        let mut cbar_terms: Vec<(usize, Scalar)> = Vec::with_capacity(M + 1);
        cbar_terms.push((0, s_tilde));
        cbar_terms.extend(m_tilde.iter().enumerate().map(|(i, m)| (i + 1, *m)));
        let C = gens.lincomb(&c_terms, true);
        let Cbar = gens.lincomb(&cbar_terms, true);
        c_terms.zeroize();
        cbar_terms.zeroize();
        let mut aff = [G1Affine::identity(); 2];
        G1Projective::batch_normalize(&[C, Cbar], &mut aff);
        if bool::from(aff[0].is_identity()) {
            return Err(BbsError::Degenerate("commitment is the identity"));
        }
        let c = blind_challenge(&gens, &aff[0], &aff[1], &self.api_id);
        let commitment = Commitment {
            C: aff[0],
            s_hat: s_tilde + blind.0 * c,
            m_hat: m_tilde
                .iter()
                .zip(committed)
                .map(|(t, m)| t + m * c)
                .collect(),
            c,
        };
        Ok((commitment, blind))
    }

    /// CoreCommitVerify: checks a commitment's proof of correctness. `Err(InvalidCommitment)`
    /// when it does not verify.
    pub fn verify_commitment(&self, commitment: &Commitment) -> Result<()> {
        let gens = self.blind_generators(commitment.committed_count() + 1)?;
        verify_commitment_with(&gens, commitment, &self.api_id)
    }

    /// `BlindSign(SK, PK, commitment_with_proof, header, messages)`; `commitment` `None` is the
    /// draft's empty `commitment_with_proof`. The commitment's proof is verified first.
    pub fn blind_sign<M: AsRef<[u8]>>(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        commitment: Option<&Commitment>,
        header: &[u8],
        messages: &[M],
    ) -> Result<Signature> {
        self.blind_sign_scalars(
            sk,
            pk,
            commitment,
            header,
            &self.messages_to_scalars(messages),
        )
    }

    /// BlindSign over the signer's message scalars.
    pub fn blind_sign_scalars(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        commitment: Option<&Commitment>,
        header: &[u8],
        msgs: &[Scalar],
    ) -> Result<Signature> {
        let M = commitment.map_or(0, Commitment::committed_count);
        let gens = self.generators(msgs.len() + 1)?;
        let blind_gens = self.blind_generators(M + 1)?;
        let commit = match commitment {
            Some(c) => {
                verify_commitment_with(&blind_gens, c, &self.api_id)?;
                G1Projective::from(c.C)
            }
            None => G1Projective::identity(),
        };
        let all = gens.concat(&blind_gens);
        let domain = calculate_domain(pk, &all, header, &self.api_id);
        // B = P1 + Q_1·domain + Σ H_i·msg_i + commit (B_calculate).
        let B = G1Affine::from(compute_B(&gens, &domain, msgs, true) + commit);
        if bool::from(B.is_identity()) {
            return Err(BbsError::Degenerate("B is the identity"));
        }
        // FinalizeBlindSign: e = hash_to_scalar(serialize((SK, B)), api_id ‖ "H2S_"). The draft's
        // text also lists `domain`; every published fixture hashes SK and B only (B already
        // commits to domain), and the fixtures are what implementations interoperate on.
        let mut ser = Vec::with_capacity(SCALAR_LEN + POINT_LEN);
        ser.extend_from_slice(&scalar_to_be(sk.scalar()));
        ser.extend_from_slice(&B.to_compressed());
        let dst = [self.api_id.as_slice(), b"H2S_"].concat();
        let e = self.suite.hash_to_scalar(&[&ser], &dst);
        ser.zeroize();
        let inv = Option::<Scalar>::from((sk.scalar() + e).invert())
            .ok_or(BbsError::Degenerate("SK + e = 0"))?;
        let A = G1Affine::from(msm_ct(&[(G1Projective::from(B), inv)]));
        if bool::from(A.is_identity()) {
            return Err(BbsError::Degenerate("A is the identity"));
        }
        Ok(Signature { A, e })
    }

    /// `VerifyBlindSign(PK, signature, header, messages, committed_messages,
    /// secret_prover_blind)`; `Err(InvalidSignature)` if it does not verify.
    pub fn verify<M: AsRef<[u8]>, N: AsRef<[u8]>>(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        messages: &[M],
        committed_messages: &[N],
        blind: &ProverBlind,
    ) -> Result<()> {
        let mut committed = self.messages_to_scalars(committed_messages);
        let res = self.verify_scalars(
            pk,
            signature,
            header,
            &self.messages_to_scalars(messages),
            &committed,
            blind,
        );
        committed.zeroize();
        res
    }

    /// VerifyBlindSign over message scalars.
    pub fn verify_scalars(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        msgs: &[Scalar],
        committed: &[Scalar],
        blind: &ProverBlind,
    ) -> Result<()> {
        let gens = self.all_generators(msgs.len(), committed.len())?;
        let mut all = combine(msgs, blind, committed);
        let res = core_verify(pk, signature, &gens, header, &all, &self.api_id);
        all.zeroize();
        res
    }

    /// `BlindProofGen(PK, signature, header, ph, messages, committed_messages,
    /// disclosed_indexes, disclosed_commitment_indexes, secret_prover_blind)` with fresh
    /// randomness. The argument list mirrors the draft's.
    #[allow(clippy::too_many_arguments)]
    pub fn proof_gen<M: AsRef<[u8]>, N: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        ph: &[u8],
        messages: &[M],
        committed_messages: &[N],
        disclosed: &[usize],
        disclosed_committed: &[usize],
        blind: &ProverBlind,
        rng: &mut R,
    ) -> Result<Proof> {
        let msgs = self.messages_to_scalars(messages);
        let mut committed = self.messages_to_scalars(committed_messages);
        let total = msgs.len() + 1 + committed.len();
        let u = total.saturating_sub(disclosed.len() + disclosed_committed.len());
        let mut rs = calculate_random_scalars(rng, u + 5);
        let res = self.proof_gen_with_scalars(
            pk,
            signature,
            header,
            ph,
            &msgs,
            &committed,
            disclosed,
            disclosed_committed,
            blind,
            &rs,
        );
        rs.zeroize();
        committed.zeroize();
        res
    }

    /// BlindProofGen over message scalars with the caller's `5 + U` random scalars, where `U`
    /// counts the undisclosed messages including the prover blind.
    #[allow(clippy::too_many_arguments)]
    pub fn proof_gen_with_scalars(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        ph: &[u8],
        msgs: &[Scalar],
        committed: &[Scalar],
        disclosed: &[usize],
        disclosed_committed: &[usize],
        blind: &ProverBlind,
        random_scalars: &[Scalar],
    ) -> Result<Proof> {
        let (L, M) = (msgs.len(), committed.len());
        let indexes = combined_indexes(L, M, disclosed, disclosed_committed)?;
        let gens = self.all_generators(L, M)?;
        let mut all = combine(msgs, blind, committed);
        let res = core_proof_gen(
            pk,
            signature,
            &gens,
            header,
            ph,
            &all,
            &indexes,
            &self.api_id,
            random_scalars,
        );
        all.zeroize();
        res
    }

    /// `BlindProofVerify(PK, proof, header, ph, L, disclosed_messages,
    /// disclosed_committed_messages, disclosed_indexes, disclosed_committed_indexes)`, where `L`
    /// is the number of the signer's messages; `Err(InvalidProof)` if it does not verify.
    #[allow(clippy::too_many_arguments)]
    pub fn proof_verify<M: AsRef<[u8]>, N: AsRef<[u8]>>(
        &self,
        pk: &PublicKey,
        proof: &Proof,
        header: &[u8],
        ph: &[u8],
        L: usize,
        disclosed_messages: &[M],
        disclosed: &[usize],
        disclosed_committed_messages: &[N],
        disclosed_committed: &[usize],
    ) -> Result<()> {
        self.proof_verify_scalars(
            pk,
            proof,
            header,
            ph,
            L,
            &self.messages_to_scalars(disclosed_messages),
            disclosed,
            &self.messages_to_scalars(disclosed_committed_messages),
            disclosed_committed,
        )
    }

    /// BlindProofVerify over disclosed message scalars.
    #[allow(clippy::too_many_arguments)]
    pub fn proof_verify_scalars(
        &self,
        pk: &PublicKey,
        proof: &Proof,
        header: &[u8],
        ph: &[u8],
        L: usize,
        disclosed_msgs: &[Scalar],
        disclosed: &[usize],
        disclosed_committed_msgs: &[Scalar],
        disclosed_committed: &[usize],
    ) -> Result<()> {
        if disclosed_msgs.len() != disclosed.len()
            || disclosed_committed_msgs.len() != disclosed_committed.len()
        {
            return Err(BbsError::InvalidProof);
        }
        let total = proof.undisclosed_count() + disclosed.len() + disclosed_committed.len();
        // total = L + 1 + M: the signer's messages, the prover blind, the committed messages.
        let M = total.checked_sub(L + 1).ok_or(BbsError::InvalidProof)?;
        let indexes = combined_indexes(L, M, disclosed, disclosed_committed)
            .map_err(|_| BbsError::InvalidProof)?;
        let gens = self.all_generators(L, M)?;
        let mut msgs = Vec::with_capacity(indexes.len());
        msgs.extend_from_slice(disclosed_msgs);
        msgs.extend_from_slice(disclosed_committed_msgs);
        core_proof_verify(pk, proof, &gens, header, ph, &msgs, &indexes, &self.api_id)
    }
}

/// `msgs ‖ secret_prover_blind ‖ committed`, the message order of Verify and ProofGen.
fn combine(msgs: &[Scalar], blind: &ProverBlind, committed: &[Scalar]) -> Vec<Scalar> {
    let mut all = Vec::with_capacity(msgs.len() + 1 + committed.len());
    all.extend_from_slice(msgs);
    all.push(*blind.scalar());
    all.extend_from_slice(committed);
    all
}

/// The disclosed indexes in the combined message list: the signer's as they are, committed
/// message `j` at `L + 1 + j`. Both lists must be strictly ascending and in range.
fn combined_indexes(
    L: usize,
    M: usize,
    disclosed: &[usize],
    disclosed_committed: &[usize],
) -> Result<Vec<usize>> {
    for (list, n) in [(disclosed, L), (disclosed_committed, M)] {
        if list.windows(2).any(|w| w[0] >= w[1]) {
            return Err(BbsError::Indexes("indexes must be strictly ascending"));
        }
        if list.last().is_some_and(|&i| i >= n) {
            return Err(BbsError::Indexes("index out of range"));
        }
    }
    Ok(disclosed
        .iter()
        .copied()
        .chain(disclosed_committed.iter().map(|j| L + 1 + j))
        .collect())
}

/// `calculate_blind_challenge(C, Cbar, (Q_2, J_1..J_M), api_id)`:
/// `hash_to_scalar(I2OSP(M, 8) ‖ Q_2 ‖ J_1 … J_M ‖ C ‖ Cbar, api_id ‖ "H2S_")`.
fn blind_challenge(gens: &Generators, C: &G1Affine, Cbar: &G1Affine, api_id: &[u8]) -> Scalar {
    let pts = gens.points();
    let M = pts.len().saturating_sub(1) as u64;
    let mut buf = Vec::with_capacity(8 + POINT_LEN * (pts.len() + 2));
    buf.extend_from_slice(&M.to_be_bytes());
    for p in pts.iter().chain([C, Cbar]) {
        buf.extend_from_slice(&p.to_compressed());
    }
    let dst = [api_id, b"H2S_"].concat();
    gens.suite().hash_to_scalar(&[&buf], &dst)
}

/// CoreCommitVerify with the blind generators already fetched.
fn verify_commitment_with(gens: &Generators, c: &Commitment, api_id: &[u8]) -> Result<()> {
    if gens.len() != c.committed_count() + 1 {
        return Err(BbsError::InvalidCommitment);
    }
    let mut terms = Vec::with_capacity(gens.len());
    terms.push((0, c.s_hat));
    terms.extend(c.m_hat.iter().enumerate().map(|(i, m)| (i + 1, *m)));
    let Cbar = gens.lincomb(&terms, false) + msm_vartime(&[(G1Projective::from(c.C), -c.c)]);
    let cv = blind_challenge(gens, &c.C, &G1Affine::from(Cbar), api_id);
    if cv == c.c {
        Ok(())
    } else {
        Err(BbsError::InvalidCommitment)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn combined_indexes_map_committed_after_the_blind() {
        assert_eq!(
            combined_indexes(3, 2, &[0, 2], &[1]).unwrap(),
            vec![0, 2, 5]
        );
        assert!(combined_indexes(3, 2, &[3], &[]).is_err());
        assert!(combined_indexes(3, 2, &[], &[2]).is_err());
        assert!(combined_indexes(3, 2, &[1, 0], &[]).is_err());
        assert!(combined_indexes(3, 2, &[], &[1, 1]).is_err());
    }

    #[test]
    fn commitment_decoding_rejects_bad_lengths_and_scalars() {
        let bbs = BlindBbs::new(Ciphersuite::Sha256);
        let (c, _) = bbs
            .commit(&[b"a".as_slice(), b"b"], &mut rand::rng())
            .unwrap();
        let bytes = c.to_bytes();
        assert_eq!(bytes.len(), COMMITMENT_LEN_FLOOR + 2 * SCALAR_LEN);
        assert_eq!(Commitment::from_bytes(&bytes).unwrap(), c);
        assert!(Commitment::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Commitment::from_bytes(&bytes[..COMMITMENT_LEN_FLOOR - SCALAR_LEN]).is_err());
        let mut zero = bytes.clone();
        zero[POINT_LEN..POINT_LEN + SCALAR_LEN].fill(0);
        assert!(Commitment::from_bytes(&zero).is_err());
        let mut big = bytes.clone();
        big[POINT_LEN..POINT_LEN + SCALAR_LEN].fill(0xff);
        assert!(Commitment::from_bytes(&big).is_err());
        let mut identity = bytes;
        identity[..POINT_LEN].fill(0);
        identity[0] = 0xc0;
        assert!(matches!(
            Commitment::from_bytes(&identity),
            Err(BbsError::IdentityPoint(_))
        ));
    }

    #[test]
    fn prover_blind_is_redacted_and_round_trips() {
        let b = ProverBlind(Scalar::from(42u64));
        assert_eq!(format!("{b:?}"), "ProverBlind(<redacted>)");
        assert_eq!(ProverBlind::from_bytes(b.to_bytes().as_ref()).unwrap(), b);
        assert_ne!(b, ProverBlind::zero());
    }
}
