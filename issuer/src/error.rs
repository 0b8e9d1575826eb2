//! The crate's single error type, [`IssuerError`].
//!
//! Every variant is precise enough for a service to answer with a 4xx status and a clear message
//! ([`IssuerError::code`] gives a stable machine-readable code, [`IssuerError::is_client_error`]
//! separates the caller's mistakes from the issuer's failures). Messages name *what* is wrong and
//! never contain an ID number, a name, a birthdate, a phone number, a code or a 网号 (DESIGN §5):
//! errors end up in logs and in HTTP responses.

use std::error::Error as StdError;

use netid_core::CoreError;

use crate::id_number::IdNumberError;

/// Why a phone confirmation code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneCodeError {
    /// The code does not match; `attempts_left` more tries remain on this challenge.
    #[error("wrong confirmation code ({attempts_left} attempts left)")]
    Wrong {
        /// Tries left before the challenge is locked.
        attempts_left: u32,
    },
    /// The challenge's validity ran out; ask for a new code.
    #[error("the confirmation code has expired; request a new one")]
    Expired,
    /// The code was already used once successfully.
    #[error("the confirmation code was already used")]
    Reused,
    /// The attempt limit was reached; the challenge is locked.
    #[error("too many wrong confirmation codes; request a new one")]
    TooManyAttempts,
    /// No challenge with that id exists (never created, or purged).
    #[error("unknown confirmation challenge")]
    UnknownChallenge,
    /// A code that is not six ASCII digits.
    #[error("a confirmation code is six digits")]
    Malformed,
}

/// Every error `netid-issuer` returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// The ID number breaks a GB 11643-1999 rule (the reason names the rule, never the number).
    #[error("invalid ID number: {reason}")]
    InvalidIdNumber {
        /// The rule that failed.
        reason: IdNumberError,
    },
    /// A 网号 of the wrong shape or with a wrong check character.
    #[error("invalid 网号: {0}")]
    InvalidNetidNumber(&'static str),
    /// The ID card document is malformed (bad field, bad length, dates out of order).
    #[error("malformed ID card: {0}")]
    CardMalformed(&'static str),
    /// The card is signed by a key that is not on the issuer's trusted card-authority list.
    #[error("the ID card is not signed by a trusted card authority")]
    CardUntrustedAuthority,
    /// The card's signature does not verify under its authority key.
    #[error("the ID card signature is invalid")]
    CardSignature,
    /// The card's validity starts after today.
    #[error("the ID card is not yet valid")]
    CardNotYetValid,
    /// The card's validity ended before today.
    #[error("the ID card has expired")]
    CardExpired,
    /// The card contradicts itself (e.g. the birthdate differs from the one in the ID number).
    #[error("the ID card is inconsistent: {0}")]
    CardMismatch(&'static str),
    /// A document type the issuer does not enrol with.
    #[error("document type not accepted: {0}")]
    UnsupportedDocument(&'static str),
    /// The face sample is malformed or lacks what the matcher needs.
    #[error("invalid face sample: {0}")]
    FaceSample(&'static str),
    /// The face-match score is below the configured threshold.
    #[error("the face does not match the ID card")]
    FaceMismatch,
    /// A phone number that is not a valid E.164 number.
    #[error("invalid phone number: {0}")]
    InvalidPhoneNumber(&'static str),
    /// A phone confirmation code was not accepted.
    #[error("phone confirmation failed: {0}")]
    PhoneCode(PhoneCodeError),
    /// The code sender could not deliver the confirmation code.
    #[error("the confirmation code could not be delivered")]
    CodeDelivery,
    /// A child under 14 applied alone: only a guardian can enrol them.
    #[error("a child under 14 can only be enrolled by a guardian")]
    MinorNeedsGuardian,
    /// A 14–17-year-old's enrolment waits for a guardian's approval.
    #[error("a guardian must approve this enrolment before a credential is issued")]
    GuardianApprovalRequired,
    /// The guardian does not qualify (not enrolled, not an adult, not active, not related, …).
    #[error("invalid guardian: {0}")]
    InvalidGuardian(&'static str),
    /// Guardian permission bits that are not defined.
    #[error("invalid guardian permissions: {0}")]
    InvalidPermissions(&'static str),
    /// A record that does not exist (`what` names the kind of record).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A record that existed and is kept no longer (a pruned epoch's revocation bucket).
    #[error("{0} is no longer kept")]
    Gone(&'static str),
    /// A write that conflicts with existing data (duplicate app id, …).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The operation is not allowed in the record's current state.
    #[error("not allowed: {0}")]
    NotAllowed(&'static str),
    /// Any other malformed input.
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// An error from netid-core (schema rules, dates, encodings).
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A key file or key value is unusable (wrong length, wrong permissions, not hex, …).
    #[error("key error: {what}")]
    Key {
        /// What is wrong.
        what: &'static str,
        /// The underlying I/O error, if any.
        #[source]
        source: Option<std::io::Error>,
    },
    /// A key file is not the one whose fingerprint the database recorded: the replica's key
    /// directory belongs to another issuer, or was empty and got fresh keys.
    #[error(
        "key file {key} does not match the key recorded in the database (another issuer's key \
         directory, or an empty one that got new keys); refusing to start"
    )]
    ForeignKey {
        /// The key file's name.
        key: &'static str,
    },
    /// The database holds persons but no key fingerprints (it predates them): the operator
    /// records them with `netid-issuer init`.
    #[error(
        "the database holds enrolments but no key fingerprints; run `netid-issuer init` with \
         this database's key files to record them"
    )]
    KeysNotRecorded,
    /// A rate limit was reached; retry after this many seconds.
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited {
        /// Seconds until the limit's window ends.
        retry_after: u64,
    },
    /// The stored data contradicts the configured keys (e.g. the 网号 key was changed).
    #[error("stored data is inconsistent with the issuer keys: {0}")]
    KeyMismatch(&'static str),
    /// A bounded counter ran out (e.g. the 32-bit revocation index space).
    #[error("exhausted: {0}")]
    Exhausted(&'static str),
    /// The storage backend failed (connection, I/O, corrupt row). `op` names the operation; the
    /// backend's error is the source (it never carries bound values).
    #[error("storage failure during {op}")]
    Storage {
        /// The operation that failed.
        op: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },
}

impl From<IdNumberError> for IssuerError {
    fn from(reason: IdNumberError) -> IssuerError {
        IssuerError::InvalidIdNumber { reason }
    }
}

impl From<PhoneCodeError> for IssuerError {
    fn from(e: PhoneCodeError) -> IssuerError {
        IssuerError::PhoneCode(e)
    }
}

impl IssuerError {
    /// A stable snake_case code for JSON error bodies (`{"error": code, "message": Display}`).
    pub fn code(&self) -> &'static str {
        match self {
            IssuerError::InvalidIdNumber { .. } => "invalid_id_number",
            IssuerError::InvalidNetidNumber(_) => "invalid_netid_number",
            IssuerError::CardMalformed(_) => "card_malformed",
            IssuerError::CardUntrustedAuthority => "card_untrusted_authority",
            IssuerError::CardSignature => "card_signature",
            IssuerError::CardNotYetValid => "card_not_yet_valid",
            IssuerError::CardExpired => "card_expired",
            IssuerError::CardMismatch(_) => "card_mismatch",
            IssuerError::UnsupportedDocument(_) => "unsupported_document",
            IssuerError::FaceSample(_) => "face_sample",
            IssuerError::FaceMismatch => "face_mismatch",
            IssuerError::InvalidPhoneNumber(_) => "invalid_phone_number",
            IssuerError::PhoneCode(k) => match k {
                PhoneCodeError::Wrong { .. } => "phone_code_wrong",
                PhoneCodeError::Expired => "phone_code_expired",
                PhoneCodeError::Reused => "phone_code_reused",
                PhoneCodeError::TooManyAttempts => "phone_code_too_many_attempts",
                PhoneCodeError::UnknownChallenge => "phone_code_unknown_challenge",
                PhoneCodeError::Malformed => "phone_code_malformed",
            },
            IssuerError::CodeDelivery => "code_delivery",
            IssuerError::MinorNeedsGuardian => "minor_needs_guardian",
            IssuerError::GuardianApprovalRequired => "guardian_approval_required",
            IssuerError::InvalidGuardian(_) => "invalid_guardian",
            IssuerError::InvalidPermissions(_) => "invalid_permissions",
            IssuerError::NotFound(_) => "not_found",
            IssuerError::Gone(_) => "gone",
            IssuerError::Conflict(_) => "conflict",
            IssuerError::NotAllowed(_) => "not_allowed",
            IssuerError::InvalidInput(_) => "invalid_input",
            IssuerError::Core(_) => "invalid_value",
            IssuerError::Key { .. } => "key_error",
            IssuerError::KeyMismatch(_)
            | IssuerError::ForeignKey { .. }
            | IssuerError::KeysNotRecorded => "key_mismatch",
            IssuerError::Exhausted(_) => "exhausted",
            IssuerError::RateLimited { .. } => "rate_limited",
            IssuerError::Storage { .. } => "storage",
        }
    }

    /// Whether the caller caused the error (a service answers 4xx) rather than the issuer
    /// (5xx: storage, keys, delivery, exhausted counters).
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            IssuerError::CodeDelivery
                | IssuerError::Key { .. }
                | IssuerError::KeyMismatch(_)
                | IssuerError::ForeignKey { .. }
                | IssuerError::KeysNotRecorded
                | IssuerError::Exhausted(_)
                | IssuerError::Storage { .. }
        )
    }

    /// Wraps a backend error as [`IssuerError::Storage`].
    pub fn storage(op: &'static str, source: impl StdError + Send + Sync + 'static) -> IssuerError {
        IssuerError::Storage {
            op,
            source: Box::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_classes() {
        let e = IssuerError::from(IdNumberError::Checksum);
        assert_eq!(e.code(), "invalid_id_number");
        assert!(e.is_client_error());
        assert_eq!(
            e.to_string(),
            "invalid ID number: the check character does not match (a digit was mistyped)"
        );
        let e = IssuerError::from(PhoneCodeError::Wrong { attempts_left: 3 });
        assert_eq!(e.code(), "phone_code_wrong");
        assert_eq!(
            e.to_string(),
            "phone confirmation failed: wrong confirmation code (3 attempts left)"
        );
        let e = IssuerError::storage("enrol_person", std::io::Error::other("disk"));
        assert!(!e.is_client_error());
        assert_eq!(e.to_string(), "storage failure during enrol_person");
        assert!(StdError::source(&e).is_some());
    }
}
