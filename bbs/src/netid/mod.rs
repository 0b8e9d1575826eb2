//! netid's presentation on top of IETF BBS (specs/bbs.md §5).
//!
//! Relation proved, under one Fiat–Shamir challenge from a merlin transcript that absorbs the
//! request (app id, nonce, statements through the request hash) and the issuer key:
//!
//! 1. knowledge of a BBS signature `(A, e)` under the issuer key `W` on the 12 netid/v1
//!    attribute scalars `m_0..m_11`, with the requested ones disclosed (the draft's CoreProofGen
//!    relation, interface `ciphersuite_id || "H2G_NETID_V1_CRED_"`);
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
//! variable-time.
#![allow(non_snake_case)]

mod presentation;
pub mod range;
pub mod transcript;

#[cfg(test)]
mod tests;

pub use presentation::{VerifiedPresentation, PRESENTATION_VERSION};
pub use range::{DigitSignatures, DIGIT_BITS, DIGIT_COUNT};

use bls12_381::Scalar;
use netid_core::{
    Attribute, CredentialAttributes, DisclosedAttributes, EncodedAttribute, Nym, Suite,
};

use crate::error::{BbsError, Result};
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
    digit: Bbs,
}

impl NetidBbs {
    /// The suite for a ciphersuite.
    pub fn new(suite: Ciphersuite) -> NetidBbs {
        NetidBbs {
            suite,
            cred: Bbs::with_api_id(suite, &[suite.id(), b"H2G_NETID_V1_CRED_"].concat()),
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

    /// Issues (signs) a credential; the attributes are validated first.
    pub fn issue(
        &self,
        sk: &SecretKey,
        pk: &PublicKey,
        attrs: &CredentialAttributes,
    ) -> Result<Signature> {
        attrs
            .validate()
            .map_err(|e| BbsError::Statement(e.to_string()))?;
        self.cred
            .sign_scalars(sk, pk, CREDENTIAL_HEADER, &self.attribute_scalars(attrs))
    }

    /// Verifies a credential signature (holder side, on receipt).
    pub fn verify_credential(
        &self,
        pk: &PublicKey,
        attrs: &CredentialAttributes,
        sig: &Signature,
    ) -> Result<()> {
        self.cred
            .verify_scalars(pk, sig, CREDENTIAL_HEADER, &self.attribute_scalars(attrs))
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
        if a == Attribute::Nym {
            return Err(BbsError::Statement("nym is never disclosed".into()));
        }
        idx.push(a.index());
        sc.push(encoded_to_scalar(&e));
    }
    Ok((idx, sc))
}
