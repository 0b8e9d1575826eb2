//! The crate's single error type.
//!
//! Messages name *what* is wrong and never include secret or identifying values (no names, no
//! birthdates, no 网号, no secret bytes): errors may end up in logs (DESIGN §5).

use crate::attribute::{Attribute, Audience};

/// Every error `netid-core` returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A year/month/day triple that is not a calendar date (e.g. 2023-02-29, month 13).
    #[error("invalid calendar date: {0}")]
    InvalidDate(&'static str),

    /// A date outside the supported range `1900-01-01..=9999-12-31`.
    #[error("date outside the supported range 1900-01-01..=9999-12-31")]
    DateOutOfRange,

    /// A string that is not an ISO 8601 calendar date of the form `YYYY-MM-DD`.
    #[error("malformed date: {0} (expected YYYY-MM-DD)")]
    MalformedDate(&'static str),

    /// `age_cutoff(today, years)` would lie before 1900-01-01.
    #[error("age cutoff for {years} years lies before 1900-01-01")]
    AgeCutoffOutOfRange {
        /// The requested age in years (public: it comes from a request).
        years: u32,
    },

    /// An encoded attribute (or a nym) that is not strictly below 2^248.
    #[error("{what} is not strictly below 2^248")]
    EncodingOutOfRange {
        /// Which value was rejected.
        what: &'static str,
    },

    /// An attribute name that is not part of schema netid/v1.
    #[error("unknown attribute name {0:?}")]
    UnknownAttribute(String),

    /// An attribute index that is not part of schema netid/v1 (valid: 0..=11).
    #[error("unknown attribute index {0}")]
    UnknownAttributeIndex(u8),

    /// A proof suite name or code that is not known.
    #[error("unknown proof suite {0:?}")]
    UnknownSuite(String),

    /// A document type code that is not defined.
    #[error("unknown document type code {0}")]
    UnknownDocType(u64),

    /// An assurance level that is not defined (netid/v1 defines 1 and 2).
    #[error("unknown assurance level {0} (netid/v1 defines 1 and 2)")]
    UnknownAssuranceLevel(u64),

    /// A string that is not valid unpadded base64url.
    #[error("invalid base64url in {what} (URL-safe alphabet, no padding, canonical)")]
    InvalidBase64 {
        /// Which field was being decoded.
        what: &'static str,
    },

    /// A byte string of the wrong length.
    #[error("{what} has length {actual}, expected {expected}")]
    InvalidLength {
        /// Which field.
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length received.
        actual: usize,
    },

    /// A typed attribute value that violates the schema's rules.
    #[error("invalid value for attribute {attribute}: {reason}")]
    InvalidAttributeValue {
        /// The attribute.
        attribute: Attribute,
        /// What rule it violates.
        reason: &'static str,
    },

    /// A disclosed value of the wrong kind for its attribute (e.g. a string for `birthdate`).
    #[error("value of the wrong kind for attribute {attribute}")]
    WrongValueKind {
        /// The attribute.
        attribute: Attribute,
    },

    /// An attribute that may not be disclosed to this audience (`nym`: to no one).
    #[error("attribute {attribute} may not be disclosed to {audience}")]
    NotDisclosable {
        /// The attribute.
        attribute: Attribute,
        /// Who asked.
        audience: Audience,
    },

    /// A statement set that is malformed.
    #[error("invalid statements: {0}")]
    InvalidStatements(&'static str),

    /// A presentation request that is malformed.
    #[error("invalid presentation request: {0}")]
    InvalidRequest(&'static str),

    /// A presentation that is malformed or does not answer the request it claims to answer.
    #[error("invalid presentation: {0}")]
    InvalidPresentation(&'static str),

    /// A message format version this implementation does not support.
    #[error("unsupported {what} version {version}")]
    UnsupportedVersion {
        /// Which message.
        what: &'static str,
        /// The version received.
        version: u16,
    },

    /// An app certificate that is malformed, expired or not signed by the registry.
    #[error("invalid app certificate: {0}")]
    InvalidAppCertificate(&'static str),

    /// A request asks for something its app certificate does not allow.
    #[error("the app is not allowed to ask for {0}")]
    NotAllowed(&'static str),

    /// The credential's expiry date lies before today.
    #[error("credential expired")]
    Expired,

    /// Issuer metadata whose fields contradict each other.
    #[error("invalid issuer metadata: {0}")]
    InvalidMetadata(&'static str),

    /// Issuer metadata whose epoch records do not reach the record a reader holds: the records
    /// of the epochs after `after` and before `before` are needed to link them
    /// (`GET /v1/epochs/records?after=…`, specs/revocation.md §5).
    #[error("epoch records after epoch {after} and before epoch {before} are needed")]
    EpochGap {
        /// The held record's epoch.
        after: u64,
        /// The oldest record the document carries.
        before: u64,
    },
}
