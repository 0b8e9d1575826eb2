//! The app registry (specs/protocol.md §5): registering an app and issuing its certificate, listing
//! apps.

use ed25519_dalek::VerifyingKey;
use netid_core::AppCertificate;

use super::{unix_u64, Issuer, ISSUER_APP_ID};
use crate::api::{AppInfo, RegisterAppRequest, RegisterAppResponse};
use crate::minors::GuardianPerms;
use crate::storage::{AppRecord, Storage};
use crate::IssuerError;

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
        let days = u64::from(req.valid_days.unwrap_or(365).clamp(1, 3650));
        let not_after = unix_u64(now).saturating_add(days * 86_400);
        let cert = AppCertificate::issue(
            self.secrets.registry(),
            &req.app_id,
            &req.name,
            &req.category,
            req.policy,
            req.app_key,
            not_after,
        )?;
        let certificate = cert.to_bytes();
        self.storage
            .register_app(&AppRecord {
                app_id: req.app_id.clone(),
                name: req.name.clone(),
                category: req.category.clone(),
                policy: req.policy,
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
