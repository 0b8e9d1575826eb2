//! netid's presentation on top of IETF BBS (specs/bbs.md §5).
//!
//! Relation proved, under one Fiat–Shamir challenge from a merlin transcript that absorbs the
//! request (app id, nonce, statements through the request hash) and the issuer key:
//!
//! 1. knowledge of a Blind BBS signature `(A, e)` under the issuer key `W` on the 12 netid/v1
//!    attribute scalars `m_0..m_11`, the credential's `secret_prover_blind` `m_12` and the
//!    wallet secret `m_13 = s`, with the requested attributes disclosed and `m_12`, `m_13` never
//!    (a proof of knowledge of the signature in the form of Tessaro and Zhu, `pok`, over the
//!    generators `(Q_1, H_0..H_11)` of the interface `ciphersuite_id || "H2G_NETID_V1_CRED_"`
//!    followed by the blind generators `(Q_2, J_1)` of `"BLIND_" || api_id`:
//!    draft-irtf-cfrg-bbs-blind-signatures). The responses `m̂_12`, `m̂_13`
//!    enter the one challenge with every other, so no presentation exists without `s`: this is
//!    the holder binding (specs/bbs.md §8.3);
//! 2. if asked, `P = m_nym · H_app` with `H_app = hash_to_curve_g1(app_id, ciphersuite_id ||
//!    "H2G_HM2S_PSEUDONYM_")` — the per-verifier pseudonym of
//!    draft-irtf-cfrg-bbs-per-verifier-linkability, the response for `m_nym` shared with (1);
//! 3. for each range statement `δ = s·(m_a − k) ∈ [0, 2^(8·n))` (`birthdate ≤ cutoff`:
//!    `s = −1, k = cutoff`, n = 2; `expiry ≥ today`: `s = +1, k = today`, n = 2; `assurance ≥ l`:
//!    `s = +1, k = l`, n = 1): digits `d_i` with `δ = Σ 2^(8·i)·d_i`, each with a proof of
//!    knowledge of the issuer's BBS signature on `d_i` under the digit interface, linked to (1)
//!    by the linear relation `s·(m̂_a − c·k) = Σ 2^(8·i)·d̂_i` between responses.
//!
//! Proving is constant-time in the credential, the signature and the blindings; verification is
//! variable-time. Both compute on blst's points (`msm::blst`, specs/bbs.md §3, §5.4.1).
#![allow(non_snake_case)]

mod pok;
mod presentation;
pub mod range;
pub mod transcript;

#[cfg(test)]
mod tests;

pub use presentation::{VerifiedPresentation, PRESENTATION_VERSION};
pub use range::{DigitSignatures, DIGIT_BITS, DIGIT_COUNT};

use bls12_381::Scalar;
use netid_core::issuer_api::BindingCommitment;
use netid_core::{
    Attribute, CredentialAttributes, DisclosedAttributes, EncodedAttribute, HolderSecret, Nym,
    Suite,
};
use rand_core::CryptoRng;
use zeroize::Zeroize;

use crate::blind::{BlindBbs, Commitment, ProverBlind};
use crate::error::{BbsError, Result};
use crate::generators::Generators;
use crate::keys::{PublicKey, SecretKey};
use crate::pseudonym::pseudonym_api_id;
use crate::signature::Signature;
use crate::suite::Ciphersuite;
use crate::Bbs;

/// Header of every netid/v1 credential signature.
pub const CREDENTIAL_HEADER: &[u8] = b"netid/v1/credential";

/// netid's BBS suite for one ciphersuite: credential issuance, presentation, verification.
#[derive(Debug, Clone)]
pub struct NetidBbs {
    suite: Ciphersuite,
    cred: Bbs,
    blind: BlindBbs,
    digit: Bbs,
}

/// Number of signed messages of a netid BBS credential: the 12 attributes, the
/// `secret_prover_blind` and the wallet secret.
pub const SIGNED_MESSAGES: usize = Attribute::COUNT + 2;

/// The holder's half of a BBS credential (never sent anywhere): the wallet secret and the
/// credential's `secret_prover_blind` from the commitment it was issued on.
#[derive(Clone, Copy)]
pub struct HolderKey<'a> {
    /// The wallet secret `s`.
    pub secret: &'a HolderSecret,
    /// The credential's `secret_prover_blind`.
    pub prover_blind: &'a ProverBlind,
}

impl core::fmt::Debug for HolderKey<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HolderKey(<redacted>)")
    }
}

impl NetidBbs {
    /// The suite for a ciphersuite.
    pub fn new(suite: Ciphersuite) -> NetidBbs {
        let cred_api = [suite.id(), b"H2G_NETID_V1_CRED_"].concat();
        NetidBbs {
            suite,
            blind: BlindBbs::with_api_id(suite, &cred_api),
            cred: Bbs::with_api_id(suite, &cred_api),
            digit: Bbs::with_api_id(suite, &[suite.id(), b"H2G_NETID_V1_DIGIT_"].concat()),
        }
    }

    /// The suite for a netid-core [`Suite`] (`None` for Groth16).
    pub fn for_suite(suite: Suite) -> Option<NetidBbs> {
        match suite {
            Suite::BbsSha256 => Some(Self::new(Ciphersuite::Sha256)),
            Suite::BbsShake256 => Some(Self::new(Ciphersuite::Shake256)),
            _ => None,
        }
    }

    /// The ciphersuite.
    pub fn ciphersuite(&self) -> Ciphersuite {
        self.suite
    }

    /// The netid-core suite name.
    pub fn core_suite(&self) -> Suite {
        match self.suite {
            Ciphersuite::Sha256 => Suite::BbsSha256,
            Ciphersuite::Shake256 => Suite::BbsShake256,
        }
    }

    /// The credential interface (`api_id = ciphersuite_id || "H2G_NETID_V1_CRED_"`).
    pub fn credential_interface(&self) -> &Bbs {
        &self.cred
    }

    /// The digit interface of the range proofs.
    pub fn digit_interface(&self) -> &Bbs {
        &self.digit
    }

    /// The BBS scalar of `nym`: the draft's pseudonym `pid` mapping
    /// (`messages_to_scalars(nym, ciphersuite_id || "H2G_HM2S_PSEUDONYM_")`), so that the
    /// presentation's pseudonym equals `netid-bbs pseudonym` with `pid = nym`.
    pub fn nym_scalar(&self, nym: &Nym) -> Scalar {
        self.suite
            .messages_to_scalars(&[nym.expose_secret()], &pseudonym_api_id(self.suite))[0]
    }

    /// The 12 attribute scalars in schema order (specs/bbs.md §5.1): the netid-core encoding as
    /// an integer, except `nym` ([`NetidBbs::nym_scalar`]).
    pub fn attribute_scalars(&self, attrs: &CredentialAttributes) -> [Scalar; Attribute::COUNT] {
        let enc = attrs.encode();
        let mut out = [Scalar::zero(); Attribute::COUNT];
        for a in Attribute::ALL {
            out[a.index()] = if a == Attribute::Nym {
                self.nym_scalar(&attrs.nym)
            } else {
                encoded_to_scalar(&enc[a])
            };
        }
        out
    }

    /// The Blind BBS interface of the credentials (same `api_id` as
    /// [`NetidBbs::credential_interface`]; blind generators from `"BLIND_" ‖ api_id`).
    pub fn blind_interface(&self) -> &BlindBbs {
        &self.blind
    }

    /// The wallet secret as a BBS scalar: the integer itself (`< 2^248`, never reduced).
    pub fn secret_scalar(secret: &HolderSecret) -> Scalar {
        let mut le = *secret.expose_secret();
        le.reverse();
        let s = Option::<Scalar>::from(Scalar::from_bytes(&le)).unwrap_or(Scalar::zero());
        le.zeroize();
        s
    }

    /// The generators of a credential signature: `(Q_1, H_0..H_11, Q_2, J_1)`.
    pub(crate) fn signed_generators(&self) -> Result<Generators> {
        self.blind.all_generators(Attribute::COUNT, 1)
    }

    /// The 14 signed message scalars: attributes, `secret_prover_blind`, `s`. Secret: zeroize.
    pub(crate) fn signed_scalars(
        &self,
        attrs: &CredentialAttributes,
        holder: HolderKey<'_>,
    ) -> Vec<Scalar> {
        let mut v = Vec::with_capacity(SIGNED_MESSAGES);
        v.extend_from_slice(&self.attribute_scalars(attrs));
        v.push(*holder.prover_blind.scalar());
        v.push(Self::secret_scalar(holder.secret));
        v
    }

    /// The wallet's commitment to its secret for enrolment or refresh (Blind BBS Commit with one
    /// committed message): send the commitment, keep the `secret_prover_blind` with the
    /// credential issued on it.
    pub fn commit_binding<R: CryptoRng + ?Sized>(
        &self,
        secret: &HolderSecret,
        rng: &mut R,
    ) -> Result<(Commitment, ProverBlind)> {
        let mut s = [Self::secret_scalar(secret)];
        let res = self.blind.commit_scalars(&s, rng);
        s.zeroize();
        res
    }

    /// The wallet's commitments for an enrolment or refresh asking for `suites` (empty: every
    /// BBS suite; non-BBS suites are skipped): one [`BindingCommitment`] per BBS suite, each
    /// with the prover blind to keep beside the credential issued on it.
    pub fn binding_commitments<R: CryptoRng + ?Sized>(
        secret: &HolderSecret,
        suites: &[Suite],
        rng: &mut R,
    ) -> Result<Vec<(BindingCommitment, ProverBlind)>> {
        let all = [Suite::BbsSha256, Suite::BbsShake256];
        let wanted = if suites.is_empty() { &all[..] } else { suites };
        let mut out = Vec::with_capacity(wanted.len());
        for &suite in wanted {
            let Some(n) = NetidBbs::for_suite(suite) else {
                continue;
            };
            let (c, blind) = n.commit_binding(secret, rng)?;
            out.push((
                BindingCommitment {
                    suite,
                    commitment: c.to_bytes(),
                },
                blind,
            ));
        }
        Ok(out)
    }

    /// Issues (blind-signs) a credential on the wallet's `commitment` to its secret: the
    /// attributes are validated, the commitment must commit to exactly one message and its proof
    /// must verify ([`BbsError::InvalidCommitment`] otherwise).
    pub fn issue(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        attrs: &CredentialAttributes,
        commitment: &Commitment,
    ) -> Result<Signature> {
        attrs
            .validate()
            .map_err(|e| BbsError::Statement(e.to_string()))?;
        if commitment.committed_count() != 1 {
            return Err(BbsError::InvalidCommitment);
        }
        self.blind.blind_sign_scalars(
            sk,
            pk,
            Some(commitment),
            CREDENTIAL_HEADER,
            &self.attribute_scalars(attrs),
        )
    }

    /// Verifies a credential signature with the holder's secret and blind (holder side, on
    /// receipt): it fails for a credential issued on another wallet's commitment.
    pub fn verify_credential(
        &self,
        pk: &PublicKey,
        attrs: &CredentialAttributes,
        sig: &Signature,
        holder: HolderKey<'_>,
    ) -> Result<()> {
        let mut s = [Self::secret_scalar(holder.secret)];
        let res = self.blind.verify_scalars(
            pk,
            sig,
            CREDENTIAL_HEADER,
            &self.attribute_scalars(attrs),
            &s,
            holder.prover_blind,
        );
        s.zeroize();
        res
    }

    /// The issuer's digit signatures for range proofs (issuer side; about a second).
    pub fn digit_signatures(&self, sk: &SecretKey, pk: &PublicKey) -> Result<DigitSignatures> {
        DigitSignatures::generate(&self.digit, sk, pk)
    }

    /// Decodes and batch-verifies published digit signatures.
    pub fn load_digit_signatures(&self, bytes: &[u8]) -> Result<DigitSignatures> {
        DigitSignatures::from_bytes(&self.digit, bytes)
    }
}

/// An encoded attribute (< 2^248) as a scalar; never reduced.
pub(crate) fn encoded_to_scalar(e: &EncodedAttribute) -> Scalar {
    // < 2^248 < r, so the canonical decoding always succeeds.
    Option::<Scalar>::from(Scalar::from_bytes(&e.to_le_bytes())).unwrap_or(Scalar::zero())
}

/// The disclosed attributes' scalars, in index order, after checking each value's encoding.
pub(crate) fn disclosed_scalars(
    disclosed: &DisclosedAttributes,
) -> Result<(Vec<usize>, Vec<Scalar>)> {
    let enc = disclosed
        .encode()
        .map_err(|e| BbsError::Statement(e.to_string()))?;
    let mut idx = Vec::with_capacity(enc.len());
    let mut sc = Vec::with_capacity(enc.len());
    for (a, e) in enc {
        if matches!(a, Attribute::Nym | Attribute::Binding) {
            return Err(BbsError::Statement(format!("{a} is never disclosed")));
        }
        idx.push(a.index());
        sc.push(encoded_to_scalar(&e));
    }
    Ok((idx, sc))
}
