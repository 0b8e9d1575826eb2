//! The crate's one error type.

use netid_core::CoreError;

/// Everything that can go wrong in netid-circuits.
///
/// Verification failures are deliberately coarse: [`CircuitError::InvalidProof`] and
/// [`CircuitError::InvalidSignature`] say nothing about *why* a check failed, so an error never
/// leaks which hidden attribute made a statement false.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CircuitError {
    /// Poseidon was asked for an arity circomlib does not define (1 to 16 inputs).
    #[error("poseidon takes 1 to 16 inputs, got {0}")]
    PoseidonArity(usize),
    /// Bytes or text that do not decode to a valid value (wrong length, non-canonical field
    /// element, point off the curve or outside the subgroup, bad number syntax).
    #[error("invalid encoding of {what}: {reason}")]
    Encoding {
        /// What was being decoded.
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// An EdDSA signature did not verify.
    #[error("signature does not verify")]
    InvalidSignature,
    /// A presentation proof did not verify.
    #[error("proof does not verify")]
    InvalidProof,
    /// A presentation does not even claim to answer the request it is checked against (wrong
    /// suite, request hash, disclosed set, missing pseudonym).
    #[error("presentation does not match the request: {0}")]
    InvalidPresentation(String),
    /// The credential does not satisfy what is asked (under age, expired, revoked, not
    /// disclosable), or the request is not one this circuit can answer. Nothing is proven.
    #[error("cannot prove the statement: {0}")]
    Statement(String),
    /// A revocation-tree index or argument is out of range.
    #[error("revocation tree: {0}")]
    Tree(String),
    /// Proving or verifying keys could not be created, read or validated.
    #[error("keys: {0}")]
    Keys(String),
    /// Constraint synthesis failed (an internal error: the witness does not fit the circuit).
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// An error from netid-core (schema, dates, requests).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A file could not be read or written.
    #[error("i/o error on {path}: {source}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = CircuitError> = core::result::Result<T, E>;

impl CircuitError {
    pub(crate) fn encoding(what: &'static str, reason: impl Into<String>) -> CircuitError {
        CircuitError::Encoding {
            what,
            reason: reason.into(),
        }
    }
}
