//! Presentations: the holder's answer to a request.

use subtle::ConstantTimeEq;

use crate::request::FORMAT_VERSION;
use crate::{b64::Bytes, CoreError, DisclosedAttributes, PresentationRequest, Suite};

/// A presentation answering a [`PresentationRequest`].
///
/// JSON: `request_hash`, `pseudonym` and `proof` are base64url without padding; `disclosed` is
/// an object from attribute names to plain values ([`DisclosedAttributes`]). The formats of
/// `pseudonym` and `proof` are defined by the suite.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// Format version; [`FORMAT_VERSION`].
    #[serde(deserialize_with = "crate::json::int")]
    pub version: u16,
    /// The suite the proof is in.
    pub suite: Suite,
    /// [`PresentationRequest::request_hash`] of the request answered.
    #[serde(with = "crate::b64::array")]
    pub request_hash: [u8; 32],
    /// Attributes disclosed in the clear.
    #[serde(default)]
    pub disclosed: DisclosedAttributes,
    /// The per-app pseudonym (suite-specific encoding), if asked.
    #[serde(default)]
    pub pseudonym: Option<Bytes>,
    /// The proof (suite-specific encoding).
    pub proof: Bytes,
    /// The revocation epoch whose keys the proof is checked against (specs/revocation.md §4):
    /// for BBS the epoch whose key signed the credential, for Groth16 the epoch of the root
    /// proved against. Absent: the verifier's current epoch. Verifiers accept the current
    /// epoch and the grace epochs before it. Not bound by the proof, and need not be: it only
    /// selects a key or root, and under any other the proof fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
}

impl Presentation {
    /// Checks that this presentation claims to answer `request` in the way it asks, before any
    /// proof is verified: same format version, a suite the request accepts, the request's hash,
    /// exactly the requested attributes disclosed (each a well-formed value), and a pseudonym
    /// iff one was asked.
    ///
    /// # Errors
    /// [`CoreError::UnsupportedVersion`] or [`CoreError::InvalidPresentation`].
    pub fn check_answers(&self, request: &PresentationRequest) -> Result<(), CoreError> {
        if self.version != FORMAT_VERSION {
            return Err(CoreError::UnsupportedVersion {
                what: "presentation",
                version: self.version,
            });
        }
        if !request.suites.contains(&self.suite) {
            return Err(CoreError::InvalidPresentation(
                "suite not accepted by the request",
            ));
        }
        if !bool::from(self.request_hash.ct_eq(&request.request_hash())) {
            return Err(CoreError::InvalidPresentation(
                "request hash does not match the request",
            ));
        }
        if self.disclosed.attributes() != request.statements.disclose {
            return Err(CoreError::InvalidPresentation(
                "disclosed attributes differ from the requested ones",
            ));
        }
        self.disclosed.encode()?;
        if self.pseudonym.is_some() != request.statements.pseudonym {
            return Err(CoreError::InvalidPresentation(
                "pseudonym present iff requested does not hold",
            ));
        }
        if self.proof.is_empty() {
            return Err(CoreError::InvalidPresentation("empty proof"));
        }
        Ok(())
    }
}
