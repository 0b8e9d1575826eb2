//! # netid-issuer
//!
//! The issuer of netid, the privacy-preserving national network identity: it checks identity
//! evidence, derives the 网号 and the per-person secrets, applies the rules for minors, and keeps
//! persons, credentials, guardians, apps and revocation state in storage. Issuance for the two
//! proof suites and the HTTP service build on this library. The normative description is
//! `specs/issuer.md`.
//!
//! * [`id_number`]: GB 11643-1999 citizen ID numbers (region, birthdate, sequence, MOD 11-2).
//! * [`evidence`]: the signed ID card, the face matcher, phone confirmation codes.
//! * [`netid_number`] and [`keys`]: the 网号 (keyed Feistel permutation with a check character),
//!   `id_hash` and `nym`, key files.
//! * [`minors`]: who may enrol whom; guardian permission bits.
//! * [`storage`]: the [`Storage`](storage::Storage) trait, SQLite and PostgreSQL.
//! * [`clock`]: injectable time; [`IssuerError`]: the single error type.
//!
//! ```
//! use netid_core::{Date, DocType};
//! use netid_issuer::evidence::{CardAuthority, CardContents, CardName, TrustedCardAuthorities};
//! use netid_issuer::id_number::Sex;
//! use netid_issuer::keys::{IdentityKeys, NymKey};
//! use netid_issuer::minors::{decide, Applicant, EnrolmentDecision};
//! use netid_issuer::netid_number::{NetidKey, NetidNumber};
//!
//! let today = Date::from_ymd(2026, 11, 23)?;
//!
//! // A card authority signs the simulated chip data; the issuer trusts its key.
//! let authority = CardAuthority::from_seed(&[42; 32]);
//! let trusted = TrustedCardAuthorities::new([authority.verifying_key()]);
//! let card = authority.sign(CardContents {
//!     name: CardName { family: "王".into(), given: "丽".into() },
//!     id_number: "11010519491231002X".into(),
//!     birthdate: Date::from_ymd(1949, 12, 31)?,
//!     sex: Sex::Female,
//!     doc_type: DocType::ResidentIdCard,
//!     valid_from: Date::from_ymd(2016, 5, 1)?,
//!     valid_until: None, // 长期 (long-term)
//!     card_authority: Some("北京市公安局西城分局".into()),
//!     photo: None,
//! });
//! let verified = trusted.verify(&card, today)?;
//! assert_eq!(
//!     decide(verified.birthdate(), today, Applicant::Holder)?,
//!     EnrolmentDecision::Issue
//! );
//!
//! // The 网号, id_hash and nym of the ID number (keys from the issuer's key files).
//! let keys = IdentityKeys::new(NetidKey::new([7; 32]), NymKey::new([8; 32]));
//! let ids = keys.derive(verified.id_number());
//! assert_eq!(ids.netid.as_str().len(), 13);
//! assert_eq!(NetidNumber::parse(&ids.netid.grouped().to_lowercase())?, ids.netid);
//! // Re-enrolment of the same person gives the same 网号.
//! assert_eq!(keys.derive(verified.id_number()).netid, ids.netid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod api;
pub mod api_doc;
pub mod authority;
pub mod clock;
mod error;
pub mod evidence;
pub mod id_number;
pub mod issuance;
pub mod keys;
pub mod minors;
pub mod netid_number;
pub mod server;
pub mod service;
pub mod storage;

pub use error::{IssuerError, PhoneCodeError};
pub use issuance::{
    Issuer, IssuerConfig, IssuerParts, RecordSigner, DEFAULT_EPOCH_SECS, DEFAULT_RETAIN_EPOCHS,
};
