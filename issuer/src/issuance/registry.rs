//! The app registry (specs/protocol.md §5): registering an app and issuing its certificate, listing
//! apps.

use ed25519_dalek::VerifyingKey;
use netid_core::{AppCertificate, Suite};

use super::{unix_u64, Issuer, ISSUER_APP_ID};
use crate::api::{AppInfo, RegisterAppRequest, RegisterAppResponse};
use crate::minors::GuardianPerms;
use crate::storage::{AppRecord, Storage};
use crate::IssuerError;

/// The suite of an app's pseudonyms when its registration does not name one.
pub const DEFAULT_PSEUDONYM_SUITE: Suite = Suite::BbsSha256;

impl<S: Storage> Issuer<S> {
    /// Registers an app and returns its signed certificate.
    ///
    /// # Errors
    /// [`IssuerError::Conflict`] for a duplicate id, [`IssuerError::InvalidInput`] for bad fields.
    pub async fn register_app(
        &self,
        req: &RegisterAppRequest,
    ) -> Result<RegisterAppResponse, IssuerError> {
        let now = self.now();
        if req.app_id == ISSUER_APP_ID {
            return Err(IssuerError::Conflict("app id reserved"));
        }
        if GuardianPerms::category(&req.category).is_none() {
            return Err(IssuerError::InvalidInput("unknown app category"));
        }
        VerifyingKey::from_bytes(&req.app_key)
            .map_err(|_| IssuerError::InvalidInput("app_key is not an Ed25519 public key"))?;
        // One pseudonym per person per app: the certificate fixes the suite of the app's
        // pseudonyms. An app that asks for pseudonyms without naming a suite gets the default.
        let mut policy = req.policy;
        if policy.pseudonym && policy.pseudonym_suite.is_none() {
            policy.pseudonym_suite = Some(DEFAULT_PSEUDONYM_SUITE);
        }
        if !policy.pseudonym && policy.pseudonym_suite.is_some() {
            return Err(IssuerError::InvalidInput(
                "pseudonym_suite is set but the policy does not allow pseudonyms",
            ));
        }
        let days = u64::from(req.valid_days.unwrap_or(365).clamp(1, 3650));
        let not_after = unix_u64(now).saturating_add(days * 86_400);
        let cert = AppCertificate::issue(
            self.secrets.registry(),
            &req.app_id,
            &req.name,
            &req.category,
            policy,
            req.app_key,
            not_after,
        )?;
        let certificate = cert.to_bytes();
        self.storage
            .register_app(&AppRecord {
                app_id: req.app_id.clone(),
                name: req.name.clone(),
                category: req.category.clone(),
                policy,
                app_key: req.app_key,
                certificate: certificate.clone(),
                active: true,
                created_at: now,
            })
            .await?;
        tracing::info!(app = %req.app_id, "app registered");
        Ok(RegisterAppResponse {
            certificate,
            not_after,
        })
    }

    /// The registered apps.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn apps(&self) -> Result<Vec<AppInfo>, IssuerError> {
        Ok(self
            .storage
            .apps()
            .await?
            .into_iter()
            .map(|a| AppInfo {
                app_id: a.app_id,
                name: a.name,
                category: a.category,
                active: a.active,
            })
            .collect())
    }
}
