//! # netid-verifier
//!
//! The verifier of netid, the privacy-preserving national network identity: an app (a shop, a
//! game, a hotel front desk) creates presentation requests signed with its app key
//! ([`App`], [`RequestBuilder`]), registers them with a [`Verifier`], and checks the holders'
//! presentations against the issuer's published metadata (keys of both proof suites, revocation
//! root, app-registry key). A [`ReplayCache`] — in memory ([`MemoryReplayCache`]) or in Redis for
//! several replicas ([`RedisReplayCache`]) — makes every request answerable once. What comes out
//! is [`VerifiedClaims`]: the proven statements, the disclosed attributes and the per-app
//! pseudonym, nothing else. [`service`] is the HTTP service around it.
//!
//! ```
//! use std::sync::Arc;
//! use ed25519_dalek::SigningKey;
//! use netid_core::{AppCertificate, AppPolicy, Attribute, Date, Suite};
//! use netid_verifier::{App, MemoryReplayCache, ReplayCache};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The platform's app registry certifies the app's key and what it may ask.
//! let registry = SigningKey::from_bytes(&[1; 32]);
//! let app_key = SigningKey::from_bytes(&[2; 32]);
//! let policy = AppPolicy {
//!     age: true, pseudonym: true, pseudonym_suite: Some(Suite::BbsSha256), ..AppPolicy::default()
//! };
//! let cert = AppCertificate::issue(
//!     &registry, "shop.example", "示例商城", "shopping", policy,
//!     app_key.verifying_key().to_bytes(), 2_000_000_000,
//! )?;
//! let app = App::new(&cert.to_bytes(), app_key)?;
//!
//! // "Over 18, and my pseudonym for this shop", answerable for five minutes.
//! let now = 1_800_000_000;
//! let request = app
//!     .request(Date::from_ymd(2027, 1, 15)?)
//!     .age_at_least(18)
//!     .pseudonym()
//!     .build(now)?;
//! assert_eq!(request.expires_at, now + 300);
//! // One pseudonym per person per app: the request accepts only the certificate's suite.
//! assert_eq!(request.suites, [Suite::BbsSha256]);
//! netid_core::verify_request(&request, &registry.verifying_key(), now)?;
//!
//! // Asking for more than the certificate allows is refused.
//! assert!(app.request(Date::from_ymd(2027, 1, 15)?).disclose(Attribute::GivenName).build(now).is_err());
//!
//! // The replay cache: first use of a nonce wins.
//! let cache = MemoryReplayCache::new();
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! let ttl = std::time::Duration::from_secs(300);
//! assert!(rt.block_on(cache.check_and_insert(request.nonce.as_bytes(), ttl))?);
//! assert!(!rt.block_on(cache.check_and_insert(request.nonce.as_bytes(), ttl))?);
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod error;
pub mod issuer;
pub mod replay;
pub mod request;
pub mod service;
pub mod store;
pub mod verify;

pub use auth::ApiKey;
pub use error::{Result, VerifierError};
pub use issuer::fetch_metadata;
pub use replay::{MemoryReplayCache, RedisReplayCache, ReplayCache};
pub use request::{App, RequestBuilder, DEFAULT_TTL};
pub use service::{router, ServiceState};
pub use store::{
    MemoryRateCounter, MemoryRequestStore, RateCounter, RedisRateCounter, RedisRequestStore,
    RequestRecord, RequestStore,
};
pub use verify::{
    request_id, IssuerKeys, KeyPolicy, Pseudonym, RequestStatus, VerifiedClaims, Verifier,
    VerifyLimits, MAX_REJECTIONS,
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod test_support {
    use ed25519_dalek::SigningKey;
    use netid_core::{AppCertificate, AppPolicy, Attribute, AttributeSet, Suite};

    use crate::App;

    pub fn registry() -> SigningKey {
        SigningKey::from_bytes(&[1; 32])
    }

    pub fn shop() -> App {
        let key = SigningKey::from_bytes(&[2; 32]);
        let mut disclose = AttributeSet::new();
        disclose.insert(Attribute::GivenName);
        let policy = AppPolicy {
            disclose,
            age: true,
            assurance: true,
            pseudonym: true,
            pseudonym_suite: Some(Suite::BbsSha256),
            not_expired: true,
        };
        let cert = AppCertificate::issue(
            &registry(),
            "shop.example",
            "示例商城",
            "shopping",
            policy,
            key.verifying_key().to_bytes(),
            2_000_000_000,
        )
        .unwrap();
        App::new(&cert.to_bytes(), key).unwrap()
    }
}
