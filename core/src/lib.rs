//! # netid-core
//!
//! The shared vocabulary of netid, the privacy-preserving national network identity: the
//! credential schema `netid/v1`, the suite-neutral encoding of attributes into integers below
//! 2^248 (the holder binding: below the BN254 order; used as BBS scalars on BLS12-381 and as BN254 field elements by Groth16), calendar
//! dates as days since 1900-01-01 with a calendar-correct age cutoff, the presentation request
//! and presentation message types with their canonical bytes and JSON (base64url bytes), the
//! domain-separation tags of every hash and transcript ([`dst`]), and secret newtypes.
//!
//! No I/O, no randomness, no curve arithmetic. The normative description is
//! `specs/credential.md`.
//!
//! ```
//! use netid_core::{
//!     age_cutoff, AssuranceLevel, Attribute, CredentialAttributes, Date, DocType,
//!     HolderBinding, Nym,
//! };
//!
//! let credential = CredentialAttributes {
//!     netid: "NID7Q2KX9M4".into(),
//!     family_name: "王".into(),
//!     given_name: "丽".into(),
//!     id_hash: [0x11; 32],
//!     birthdate: Date::from_ymd(2008, 2, 29)?,
//!     doc_type: DocType::ResidentIdCard,
//!     assurance: AssuranceLevel::Remote,
//!     nym: Nym::from_prf_output(&[0x22; 32]),
//!     binding: HolderBinding::from_be_bytes(&[0x0b; 32])?,
//!     expiry: Date::from_ymd(2036, 2, 28)?,
//!     rev_index: 42,
//!     guardian_perms: 0,
//! };
//! credential.validate()?;
//!
//! // The 12 integers both suites sign, in schema order.
//! let messages = credential.encode();
//! assert_eq!(messages[Attribute::Birthdate].as_u64(), Some(u64::from(credential.birthdate.days())));
//! assert_eq!(messages[Attribute::RevIndex].as_u64(), Some(42));
//! let _bbs_scalar_input: [u8; 32] = messages[Attribute::GivenName].to_le_bytes();
//!
//! // Is the holder 18 today? Born 29 February 2008: not on 28 February 2026, yes on 1 March.
//! let cutoff = age_cutoff(Date::from_ymd(2026, 2, 28)?, 18)?;
//! assert_eq!(cutoff, Date::from_ymd(2008, 2, 28)?);
//! assert!(credential.birthdate > cutoff);
//! assert!(credential.birthdate <= age_cutoff("2026-03-01".parse()?, 18)?);
//! # Ok::<(), netid_core::CoreError>(())
//! ```

pub mod app;
mod attribute;
pub mod b64;
pub mod card;
mod codec;
mod credential;
mod date;
pub mod dst;
mod epoch_record;
mod error;
pub mod issuer_api;
pub mod json;
mod metadata;
pub mod openapi;
mod presentation;
mod request;
mod secret;

pub use app::{sign_request, verify_request, AppCertificate, AppPolicy};
pub use attribute::{
    device_key_digest, Attribute, AttributeKind, AttributeSet, Audience, EncodedAttribute,
    ISSUER_APP_ID,
};
pub use credential::{
    validate_text, AssuranceLevel, CredentialAttributes, DisclosedAttributes, DisclosedValue,
    DocType, EncodedCredential, MAX_NAME_LEN, MAX_NETID_LEN,
};
pub use date::{
    age_cutoff, age_on, check_not_expired, days_in_month, is_leap_year, is_not_expired, Date,
};
pub use epoch_record::{
    check_chain, link, take_bridge_page, ChainLink, EpochHead, EpochRecord, SignedEpochRecord,
    EPOCH_RECORD_LABEL, EPOCH_RECORD_LEN, EPOCH_RECORD_SUITES, MAX_EPOCH_BRIDGE,
};
pub use error::CoreError;
pub use metadata::{
    EpochKeys, Groth16Setup, IssuerMetadata, SignedMetadata, MAX_GRACE_EPOCHS,
    METADATA_SIGNATURE_LABEL, METADATA_VERSION,
};
pub use presentation::Presentation;
pub use request::{
    Nonce, PresentationRequest, Statements, Suite, FORMAT_VERSION, MAX_APP_CERTIFICATE_LEN,
    MAX_APP_ID_LEN, MAX_SIGNATURE_LEN,
};
pub use secret::{
    HolderBinding, HolderSecret, Nym, Passphrase, SecretBytes, SecretKeyBytes, BN254_ORDER_BE,
};
