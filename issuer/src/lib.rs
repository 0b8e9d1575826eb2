//! netid-issuer: the issuer's identity checks — enrolment evidence, 网号, minors, app registry,
//! issuance for both suites and revocation (specs/issuer.md). This version holds the identity
//! primitives: GB 11643 ID numbers and the 网号 permutation.
//!
//! ```
//! use netid_core::Date;
//! use netid_issuer::{id_number::IdNumber, netid_number::{parse_netid_number, NetidKey}};
//!
//! let today = Date::from_ymd(2026, 11, 23).unwrap();
//! let id = IdNumber::parse("11010519491231002X", today).unwrap();
//! assert_eq!(id.birthdate(), Date::from_ymd(1949, 12, 31).unwrap());
//!
//! let key = NetidKey::new([7; 32]); // in production: from the issuer's key file
//! let body = std::str::from_utf8(id.body()).unwrap();
//! let netid = key.netid_number(body).unwrap();
//! assert_eq!(parse_netid_number(&netid.to_lowercase()), Some(netid.clone()));
//! ```

pub mod id_number;
pub mod netid_number;
