//! The issuer's guardian verifier on the issuer's database, so that replicas share it: a
//! guardian request created on one replica is answered on any other, and a guardian's
//! presentation is accepted once across all of them.
//!
//! [`StorageRequests`] is the verifier's [`RequestStore`] (table `verifier_requests`),
//! [`StorageNonces`] its [`ReplayCache`] (table `used_once`, scope `guardian-nonce`).

use std::sync::Arc;
use std::time::Duration;

use netid_core::PresentationRequest;
use netid_verifier::replay::BoxFuture;
use netid_verifier::{ReplayCache, RequestRecord, RequestStore, VerifiedClaims, VerifierError};

use super::Storage;
use crate::clock::Clock;

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn store_error(e: crate::IssuerError) -> VerifierError {
    tracing::error!(error = %e, "guardian request store");
    VerifierError::Store("issuer database".into())
}

/// The guardian verifier's requests in the issuer's database.
#[derive(Clone, Debug)]
pub struct StorageRequests<S: Storage>(pub S);

impl<S: Storage> RequestStore for StorageRequests<S> {
    fn insert<'a>(
        &'a self,
        hash: [u8; 32],
        request: &'a PresentationRequest,
        keep: Duration,
        now: u64,
    ) -> BoxFuture<'a, Result<(), VerifierError>> {
        Box::pin(async move {
            let json =
                serde_json::to_string(request).map_err(|e| VerifierError::Store(e.to_string()))?;
            let now = i64::try_from(now).unwrap_or(i64::MAX);
            self.0
                .save_request(&hash, &json, now.saturating_add(secs(keep)), now)
                .await
                .map_err(store_error)
        })
    }

    fn get(&self, hash: [u8; 32]) -> BoxFuture<'_, Result<Option<RequestRecord>, VerifierError>> {
        Box::pin(async move {
            let Some(r) = self.0.stored_request(&hash).await.map_err(store_error)? else {
                return Ok(None);
            };
            let corrupt = |_| VerifierError::Store("undecodable stored request".into());
            Ok(Some(RequestRecord {
                request: serde_json::from_str(&r.request).map_err(corrupt)?,
                claims: r
                    .claims
                    .map(|c| serde_json::from_str(&c))
                    .transpose()
                    .map_err(corrupt)?,
                rejections: r.rejections,
            }))
        })
    }

    fn reject(&self, hash: [u8; 32], _keep: Duration) -> BoxFuture<'_, Result<(), VerifierError>> {
        Box::pin(async move {
            self.0
                .count_request_rejection(&hash)
                .await
                .map_err(store_error)
        })
    }

    fn complete<'a>(
        &'a self,
        hash: [u8; 32],
        claims: &'a VerifiedClaims,
        _keep: Duration,
    ) -> BoxFuture<'a, Result<(), VerifierError>> {
        Box::pin(async move {
            let json =
                serde_json::to_string(claims).map_err(|e| VerifierError::Store(e.to_string()))?;
            self.0
                .save_request_claims(&hash, &json)
                .await
                .map_err(store_error)
        })
    }
}

/// The guardian verifier's replay cache in the issuer's database.
pub struct StorageNonces<S: Storage> {
    storage: S,
    clock: Arc<dyn Clock>,
}

impl<S: Storage> std::fmt::Debug for StorageNonces<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageNonces").finish_non_exhaustive()
    }
}

impl<S: Storage> StorageNonces<S> {
    /// The `used_once` scope of answered guardian requests.
    pub const SCOPE: &'static str = "guardian-nonce";

    /// Nonces in `storage`, expiring on `clock`.
    pub fn new(storage: S, clock: Arc<dyn Clock>) -> StorageNonces<S> {
        StorageNonces { storage, clock }
    }
}

impl<S: Storage> ReplayCache for StorageNonces<S> {
    fn check_and_insert<'a>(
        &'a self,
        key: &'a [u8],
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, VerifierError>> {
        Box::pin(async move {
            let now = self.clock.now_unix();
            self.storage
                .use_once(Self::SCOPE, key, now.saturating_add(secs(ttl).max(1)), now)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "guardian nonce store");
                    VerifierError::ReplayCache("issuer database".into())
                })
        })
    }
}
