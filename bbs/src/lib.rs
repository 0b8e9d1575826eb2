//! # netid-bbs
//!
//! BBS signatures exactly as specified by the IETF CFRG draft `draft-irtf-cfrg-bbs-signatures`
//! (the version of the published fixtures, see `tests/fixtures/SOURCE.md`), for both BLS12-381
//! ciphersuites (`BLS12-381-SHA-256` and `BLS12-381-SHAKE-256`), plus the per-verifier pseudonym
//! of `draft-irtf-cfrg-bbs-per-verifier-linkability`. netid's issuer signs credentials with it and
//! the holder's wallet proves statements about them in zero knowledge.
//!
//! The normative description of what is IETF and what is netid's extension, with byte layouts, is
//! `specs/bbs.md` in the repository.
//!
//! ```
//! use netid_bbs::{Bbs, Ciphersuite, SecretKey};
//!
//! # fn main() -> Result<(), netid_bbs::BbsError> {
//! let bbs = Bbs::new(Ciphersuite::Sha256);
//! let sk = SecretKey::generate(bbs.suite(), &mut rand::rng())?;
//! let pk = sk.public_key();
//! let messages = [b"given_name=\xe4\xb8\xbd".as_slice(), b"family_name=Li", b"birthdate=2001-05-04"];
//!
//! let signature = bbs.sign(&sk, &pk, b"header", &messages)?;
//! bbs.verify(&pk, &signature, b"header", &messages)?;
//!
//! // Disclose only the first message; the others stay hidden.
//! let proof = bbs.proof_gen(&pk, &signature, b"header", b"nonce", &messages, &[0], &mut rand::rng())?;
//! bbs.proof_verify(&pk, &proof, b"header", b"nonce", &messages[..1], &[0])?;
//! assert!(bbs.proof_verify(&pk, &proof, b"header", b"other nonce", &messages[..1], &[0]).is_err());
//! # Ok(())
//! # }
//! ```
//!
//! ## Constant time
//!
//! Operations on secrets (KeyGen, Sign, ProofGen, the pseudonym) are constant-time: scalar
//! multiplications use fixed windows with table lookups by conditional selection, and the
//! `bls12_381` field arithmetic is constant-time. Verification (Verify, ProofVerify) and all
//! decoding work on public data and use variable-time multi-scalar multiplication; they are
//! documented as such in [`msm`](crate) internals. Hash-to-curve works on public inputs.
//!
//! ## Performance
//!
//! Generators are computed once per `(ciphersuite, api_id)` and cached with fixed-base tables;
//! verification uses one multi-Miller loop and one final exponentiation. See the `bbs` criterion
//! benchmark, which measures this crate against the `zkryptium` crate in the same run.

pub mod blind;
mod blst_backend;
mod codec;
mod error;
mod generators;
mod keys;
mod msm;
pub mod netid;
mod proof;
pub mod pseudonym;
mod signature;
mod suite;

pub use blind::{BlindBbs, Commitment, ProverBlind};
pub use bls12_381;
pub use codec::hex_field;
pub use error::{BbsError, Result};
pub use generators::{Generators, MAX_TABLES};
pub use keys::{PublicKey, SecretKey};
pub use proof::{
    calculate_random_scalars, core_proof_gen, core_proof_verify, seeded_random_scalars, Proof,
    PROOF_LEN_FLOOR,
};
pub use signature::{core_sign, core_verify, Signature, SIGNATURE_LEN};
pub use suite::{Ciphersuite, EXPAND_LEN, G2_POINT_LEN, POINT_LEN, SCALAR_LEN};

use bls12_381::Scalar;
use rand_core::CryptoRng;

/// A BBS interface (draft §3.6): a ciphersuite and an `api_id`.
///
/// [`Bbs::new`] is the draft's "BBS Signatures Interface" (`api_id = ciphersuite_id ||
/// "H2G_HM2S_"`, messages hashed to scalars). The `*_scalars` methods are the draft's core
/// operations, for interfaces that map messages to scalars their own way (netid encodes integer
/// attributes as integers so that it can prove ranges over them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bbs {
    suite: Ciphersuite,
    api_id: Vec<u8>,
}

impl Bbs {
    /// The IETF BBS Signatures Interface of `suite`.
    pub fn new(suite: Ciphersuite) -> Self {
        Bbs {
            suite,
            api_id: suite.api_id(),
        }
    }

    /// An interface with its own `api_id` (draft §3.8 "Defining new Interfaces").
    pub fn with_api_id(suite: Ciphersuite, api_id: &[u8]) -> Self {
        Bbs {
            suite,
            api_id: api_id.to_vec(),
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

    /// `create_generators(count, api_id)`, cached.
    pub fn generators(&self, count: usize) -> Result<Generators> {
        Generators::get(self.suite, &self.api_id, count)
    }

    /// `messages_to_scalars(messages, api_id)`.
    pub fn messages_to_scalars<M: AsRef<[u8]>>(&self, messages: &[M]) -> Vec<Scalar> {
        self.suite.messages_to_scalars(messages, &self.api_id)
    }

    /// `Sign(SK, PK, header, messages)`.
    pub fn sign<M: AsRef<[u8]>>(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        header: &[u8],
        messages: &[M],
    ) -> Result<Signature> {
        self.sign_scalars(sk, pk, header, &self.messages_to_scalars(messages))
    }

    /// CoreSign over message scalars.
    pub fn sign_scalars(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        header: &[u8],
        msgs: &[Scalar],
    ) -> Result<Signature> {
        let gens = self.generators(msgs.len() + 1)?;
        core_sign(sk, pk, &gens, header, msgs, &self.api_id)
    }

    /// `Verify(PK, signature, header, messages)`; `Err(InvalidSignature)` if it does not verify.
    pub fn verify<M: AsRef<[u8]>>(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        messages: &[M],
    ) -> Result<()> {
        self.verify_scalars(pk, signature, header, &self.messages_to_scalars(messages))
    }

    /// CoreVerify over message scalars.
    pub fn verify_scalars(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        msgs: &[Scalar],
    ) -> Result<()> {
        let gens = self.generators(msgs.len() + 1)?;
        core_verify(pk, signature, &gens, header, msgs, &self.api_id)
    }

    /// `ProofGen(PK, signature, header, ph, messages, disclosed_indexes)` with fresh randomness.
    #[allow(clippy::too_many_arguments)]
    pub fn proof_gen<M: AsRef<[u8]>, R: CryptoRng + ?Sized>(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        ph: &[u8],
        messages: &[M],
        disclosed: &[usize],
        rng: &mut R,
    ) -> Result<Proof> {
        let msgs = self.messages_to_scalars(messages);
        let u = msgs.len().saturating_sub(disclosed.len());
        let rs = calculate_random_scalars(rng, u + 5);
        self.proof_gen_with_scalars(pk, signature, header, ph, &msgs, disclosed, &rs)
    }

    /// CoreProofGen over message scalars with caller-supplied random scalars (`5 + U` of them).
    #[allow(clippy::too_many_arguments)]
    pub fn proof_gen_with_scalars(
        &self,
        pk: &PublicKey,
        signature: &Signature,
        header: &[u8],
        ph: &[u8],
        msgs: &[Scalar],
        disclosed: &[usize],
        random_scalars: &[Scalar],
    ) -> Result<Proof> {
        let gens = self.generators(msgs.len() + 1)?;
        core_proof_gen(
            pk,
            signature,
            &gens,
            header,
            ph,
            msgs,
            disclosed,
            &self.api_id,
            random_scalars,
        )
    }

    /// `ProofVerify(PK, proof, header, ph, disclosed_messages, disclosed_indexes)`;
    /// `Err(InvalidProof)` if it does not verify.
    pub fn proof_verify<M: AsRef<[u8]>>(
        &self,
        pk: &PublicKey,
        proof: &Proof,
        header: &[u8],
        ph: &[u8],
        disclosed_messages: &[M],
        disclosed: &[usize],
    ) -> Result<()> {
        let msgs = self.messages_to_scalars(disclosed_messages);
        self.proof_verify_scalars(pk, proof, header, ph, &msgs, disclosed)
    }

    /// CoreProofVerify over disclosed message scalars.
    pub fn proof_verify_scalars(
        &self,
        pk: &PublicKey,
        proof: &Proof,
        header: &[u8],
        ph: &[u8],
        disclosed_msgs: &[Scalar],
        disclosed: &[usize],
    ) -> Result<()> {
        let l = proof.undisclosed_count() + disclosed.len();
        let gens = self.generators(l + 1)?;
        core_proof_verify(
            pk,
            proof,
            &gens,
            header,
            ph,
            disclosed_msgs,
            disclosed,
            &self.api_id,
        )
    }
}
