//! The verifier's one error type.
//!
//! Verification failures are deliberately coarse: a presentation whose proof does not verify is
//! [`VerifierError::Rejected`], whatever hidden attribute made it fail (an under-age holder, a
//! revoked or expired credential, an altered value and a forged proof all look the same). No
//! message carries a secret: not the 网号, an ID number or a birthdate.

use netid_core::CoreError;

/// What can go wrong in the verifier.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifierError {
    /// The presentation does not verify (proof, claimed answers or suite); no further detail.
    #[error("presentation rejected")]
    Rejected,
    /// The request's nonce was already answered (replayed presentation).
    #[error("request already answered (replay)")]
    Replayed,
    /// The request is not one this verifier issued (or it was forgotten after expiry).
    #[error("unknown request")]
    UnknownRequest,
    /// The request has expired.
    #[error("request expired")]
    Expired,
    /// The request took too many rejected presentations and is closed (the app creates a new
    /// one).
    #[error("request closed after too many rejected presentations")]
    Closed,
    /// A rate limit was reached (per app or client address); retry after this many seconds.
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited {
        /// Seconds until the limit's window ends.
        retry_after: u64,
    },
    /// Every verification slot is busy and the queue is full; retry shortly.
    #[error("busy, retry shortly")]
    Busy,
    /// The request (or what was asked to build it) is malformed, or the app may not ask for it.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The app's certificate or key is malformed or does not match.
    #[error("invalid app: {0}")]
    InvalidApp(String),
    /// The issuer metadata is malformed (a key does not decode, a wrong length, …).
    #[error("invalid issuer metadata: {0}")]
    InvalidMetadata(String),
    /// Newer issuer metadata whose epoch records do not reach the one in force: the records
    /// of the epochs after `after` and before `before` are needed
    /// ([`crate::Verifier::refresh_from`] fetches them).
    #[error("the epoch records after epoch {after} and before epoch {before} are needed")]
    EpochGap {
        /// The epoch of the record in force.
        after: u64,
        /// The oldest record the new document carries.
        before: u64,
    },
    /// The issuer could not be reached or answered unexpectedly.
    #[error("issuer unavailable: {0}")]
    Issuer(String),
    /// The replay cache failed (e.g. Redis unreachable); the presentation is not accepted.
    #[error("replay cache unavailable: {0}")]
    ReplayCache(String),
    /// The request store failed (e.g. Redis unreachable).
    #[error("request store unavailable: {0}")]
    Store(String),
}

impl From<redis::RedisError> for VerifierError {
    fn from(e: redis::RedisError) -> VerifierError {
        VerifierError::ReplayCache(e.to_string())
    }
}

impl VerifierError {
    /// [`VerifierError::InvalidMetadata`] from a core error about a metadata document (its
    /// message once, not wrapped twice).
    pub fn from_metadata(e: CoreError) -> VerifierError {
        match e {
            CoreError::InvalidMetadata(m) => VerifierError::InvalidMetadata(m.to_owned()),
            other => VerifierError::InvalidMetadata(other.to_string()),
        }
    }

    /// An invalid-request error from a core error (core messages name fields, never values).
    pub(crate) fn request(e: CoreError) -> VerifierError {
        VerifierError::InvalidRequest(e.to_string())
    }
}

/// `Result` with [`VerifierError`].
pub type Result<T, E = VerifierError> = core::result::Result<T, E>;
