//! Rate limits (specs/issuer.md §10): fixed windows counted in the database, so that every
//! replica counts against one budget. Subjects are hashed before they are stored.

use std::net::IpAddr;

use netid_serve::Limit;
use sha2::{Digest as _, Sha256};

use super::Issuer;
use crate::storage::Storage;
use crate::IssuerError;

/// The issuer's rate limits. A limit reached answers `429 rate_limited` with `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Phone challenges per phone number (each sends a text message).
    pub phone_per_number: Limit,
    /// Phone challenges per client address.
    pub phone_per_client: Limit,
    /// Enrolments, refreshes and guardian operations per client address.
    pub writes_per_client: Limit,
    /// Refreshes per 网号 and device (counted once the device's signature verified, so nobody
    /// else can use up a holder's budget).
    pub refresh_per_device: Limit,
}

impl Default for RateLimits {
    /// Generous per address (carrier-grade NAT puts many people behind one), tight per phone
    /// number and device.
    fn default() -> RateLimits {
        RateLimits {
            phone_per_number: Limit::per_hour(5),
            phone_per_client: Limit::per_hour(300),
            writes_per_client: Limit::per_minute(600),
            refresh_per_device: Limit::per_hour(30),
        }
    }
}

/// Counters of windows older than this are deleted now and then.
const KEEP_COUNTERS_SECS: i64 = 2 * 86_400;

impl<S: Storage> Issuer<S> {
    /// Counts one event of `scope` for `subject` and refuses it beyond `limit`.
    ///
    /// # Errors
    /// [`IssuerError::RateLimited`] with the seconds until the window ends; storage errors.
    pub async fn rate_check(
        &self,
        scope: &str,
        subject: &[u8],
        limit: Limit,
    ) -> Result<(), IssuerError> {
        let digest = Sha256::new()
            .chain_update(b"netid/v1/rate-limit")
            .chain_update(scope.as_bytes())
            .chain_update([0])
            .chain_update(subject)
            .finalize();
        let now = u64::try_from(self.now()).unwrap_or(0);
        let (start, left) = limit.window_at(now);
        let start = i64::try_from(start).unwrap_or(i64::MAX);
        // About one call in 256 also clears old windows.
        let purge = (digest[0] == 0).then(|| start - KEEP_COUNTERS_SECS);
        let key = format!("{scope}:{}", hex::encode(&digest[..16]));
        let count = self.storage.rate_hit(&key, start, purge).await?;
        if count > limit.count {
            return Err(IssuerError::RateLimited { retry_after: left });
        }
        Ok(())
    }

    /// Counts one write from `client` (when known) against
    /// [`RateLimits::writes_per_client`].
    ///
    /// # Errors
    /// As [`Issuer::rate_check`].
    pub async fn check_client_write(&self, client: Option<IpAddr>) -> Result<(), IssuerError> {
        let limit = self.config.rate_limits.writes_per_client;
        self.check_client("client-write", client, limit).await
    }

    /// Counts one phone challenge from `client` (when known) against
    /// [`RateLimits::phone_per_client`].
    ///
    /// # Errors
    /// As [`Issuer::rate_check`].
    pub async fn check_client_phone(&self, client: Option<IpAddr>) -> Result<(), IssuerError> {
        let limit = self.config.rate_limits.phone_per_client;
        self.check_client("client-phone", client, limit).await
    }

    async fn check_client(
        &self,
        scope: &str,
        client: Option<IpAddr>,
        limit: Limit,
    ) -> Result<(), IssuerError> {
        match client {
            Some(ip) => {
                self.rate_check(scope, ip.to_string().as_bytes(), limit)
                    .await
            }
            None => Ok(()),
        }
    }
}
