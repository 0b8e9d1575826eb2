//! The crate's one error type.

/// Everything that can go wrong in `netid-bbs`.
///
/// Verification failures are deliberately coarse ([`BbsError::InvalidSignature`],
/// [`BbsError::InvalidProof`]): they never say which check failed, so a verifier leaks nothing
/// about the secret inputs of a prover through its error messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BbsError {
    /// An encoded value has the wrong length.
    #[error("{what}: expected {expected} bytes, got {got}")]
    Length {
        /// What was being decoded.
        what: &'static str,
        /// Expected length in bytes.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// Bytes that should encode a point do not encode a valid point of the right subgroup.
    #[error("{0}: not a valid compressed point in the prime-order subgroup")]
    InvalidPoint(&'static str),
    /// A point that must not be the identity is the identity.
    #[error("{0}: the identity point is not allowed here")]
    IdentityPoint(&'static str),
    /// Bytes that should encode a scalar are not canonical (≥ r) or are zero where that is banned.
    #[error("{0}: not a canonical non-zero scalar")]
    InvalidScalar(&'static str),
    /// Key material too short or key info too long (KeyGen).
    #[error("invalid key material: {0}")]
    KeyMaterial(&'static str),
    /// Disclosed indexes are out of range, not strictly ascending, or do not match the messages.
    #[error("invalid disclosed indexes: {0}")]
    Indexes(&'static str),
    /// Inputs larger than the draft or this implementation allows.
    #[error("input too large: {0}")]
    TooLarge(&'static str),
    /// The signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// The proof does not verify.
    #[error("invalid proof")]
    InvalidProof,
    /// A Blind BBS commitment's proof of correctness does not verify.
    #[error("invalid commitment")]
    InvalidCommitment,
    /// A degenerate case the draft says to reject (e.g. `SK + e = 0`); astronomically unlikely.
    #[error("degenerate value: {0}")]
    Degenerate(&'static str),
    /// The holder cannot prove what is asked (a predicate is false for the credential, the
    /// statement is malformed, or the credential is invalid). Prover side only.
    #[error("cannot prove the statement: {0}")]
    Statement(String),
    /// A presentation does not answer its request (wrong suite, request hash, disclosed set,
    /// pseudonym presence, or a malformed proof encoding). Carries only public information.
    #[error("presentation does not answer the request: {0}")]
    InvalidPresentation(String),
    /// Hex input could not be decoded.
    #[error("{what}: invalid hex")]
    Hex {
        /// The field that held the bad hex.
        what: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = BbsError> = core::result::Result<T, E>;
