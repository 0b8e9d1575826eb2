//! Revocation (specs/protocol.md §9, specs/revocation.md): revoking a person's credentials, moving the Groth16 tree and
//! the BBS key epoch, and serving authentication paths.

use netid_circuits::presentation::fr_to_bytes;

use super::{build_metadata, stored_revocations, Issuer};
use crate::api::{RevocationPath, RevokeResponse};
use crate::netid_number::NetidNumber;
use netid_core::Suite;

use crate::storage::{
    CredentialRecord, CredentialStatus, PersonStatus, RevocationMove, Storage, REVOCATION_SLOTS,
};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    /// The authentication path of revocation slot `rev_index` in the current tree.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for an index that is no slot: [`NO_SLOT`], which only
    /// credentials without a slot carry, and anything outside the tree.
    pub fn revocation_path(&self, rev_index: u32) -> Result<RevocationPath, IssuerError> {
        if u64::from(rev_index) >= REVOCATION_SLOTS {
            return Err(IssuerError::InvalidInput(
                "rev_index is not a revocation slot (credentials of BBS suites have none)",
            ));
        }
        let rev = self.rev();
        let path = rev
            .tree
            .path(u64::from(rev_index))
            .map_err(|_| IssuerError::InvalidInput("revocation index outside the tree"))?;
        Ok(RevocationPath {
            rev_index,
            root: fr_to_bytes(&rev.tree.root()).to_vec(),
            siblings: path
                .siblings
                .iter()
                .map(|s| fr_to_bytes(s).to_vec().into())
                .collect(),
        })
    }

    /// Applies committed changes to this replica's state: every replaced credential leaves the
    /// tree, the epoch is the highest the changes reached, and the metadata is republished.
    /// The epoch and the revocation version moved in the storage transactions that replaced
    /// the credentials (`moves`, one per transaction), never here: a failure at this point
    /// loses nothing that the database does not hold, and the next sync or start applies it.
    pub(super) async fn apply_revocations(
        &self,
        replaced: &[CredentialRecord],
        moves: &[RevocationMove],
        now: i64,
    ) -> Result<(), IssuerError> {
        if moves.is_empty() {
            // Supersessions alone (refreshes) keep their slots and move nothing.
            return Ok(());
        }
        let _w = self.rev_write.lock().await;
        let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
        // Only a revoked Groth16 credential empties its slot; a superseded one handed its slot
        // to its successor, and the other suites hold none (specs/revocation.md §7).
        for c in replaced
            .iter()
            .filter(|c| c.suite == Suite::Groth16 && c.status == CredentialStatus::Revoked)
        {
            // Storage hands out no index beyond the tree (`REVOCATION_SLOTS`); one from before
            // that check was never signed into a credential, so there is nothing to revoke.
            if rev.tree.revoke(u64::from(c.rev_index)).is_err() {
                tracing::warn!(rev_index = c.rev_index, "revocation index outside the tree");
            }
        }
        if let Some(e) = moves.iter().map(|m| m.epoch).max() {
            rev.epoch = rev.epoch.max(e);
        }
        // Only when these changes directly follow this state's version (no other replica or
        // request changed the tree in between) is the state now the database's; otherwise the
        // next sync reloads it.
        let mut versions: Vec<u64> = moves.iter().map(|m| m.version).collect();
        versions.sort_unstable();
        if !versions.is_empty()
            && versions
                .iter()
                .zip(rev.version + 1..)
                .all(|(got, next)| *got == next)
        {
            rev.version = versions[versions.len() - 1];
        }
        let (metadata, signed) = build_metadata(
            &self.secrets,
            &self.config,
            self.groth16_setup,
            &self.vk_bytes,
            &rev.tree,
            (rev.epoch, rev.version),
            now,
        )?;
        rev.metadata = metadata.clone();
        rev.signed = signed;
        drop(rev);
        self.guardians
            .update_metadata(metadata)
            .map_err(|_| IssuerError::KeyMismatch("own metadata does not load"))?;
        Ok(())
    }

    /// Catches up with revocations and supersessions made by other replicas: when the
    /// database's revocation version differs from this state's, the tree, the epoch and the
    /// metadata are reloaded from the database.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn sync_revocations(&self) -> Result<(), IssuerError> {
        if self.storage.revocation_version().await? == self.rev().version {
            return Ok(());
        }
        let _w = self.rev_write.lock().await;
        let version = self.storage.revocation_version().await?;
        if version == self.rev().version {
            return Ok(());
        }
        let (tree, epoch) = stored_revocations(&self.storage).await?;
        let (metadata, signed) = build_metadata(
            &self.secrets,
            &self.config,
            self.groth16_setup,
            &self.vk_bytes,
            &tree,
            (epoch, version),
            self.now(),
        )?;
        {
            let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
            rev.tree = tree;
            rev.epoch = rev.epoch.max(epoch);
            rev.version = version;
            rev.metadata = metadata.clone();
            rev.signed = signed;
        }
        self.guardians
            .update_metadata(metadata)
            .map_err(|_| IssuerError::KeyMismatch("own metadata does not load"))?;
        tracing::info!(
            version,
            epoch,
            "revocation state reloaded (another replica changed it)"
        );
        Ok(())
    }

    /// Revokes every live credential of the person with 网号 `netid` (lost phone, fraud), and
    /// optionally suspends the person.
    ///
    /// # Errors
    /// [`IssuerError::NotFound`], storage errors.
    pub async fn revoke(&self, netid: &str, suspend: bool) -> Result<RevokeResponse, IssuerError> {
        let now = self.now();
        let person = self
            .storage
            .person_by_netid(&NetidNumber::parse(netid)?)
            .await?
            .ok_or(IssuerError::NotFound("person"))?;
        if suspend {
            self.storage
                .set_person_status(person.id, PersonStatus::Suspended, now)
                .await?;
        }
        let done = self
            .storage
            .revoke_person_credentials(person.id, now)
            .await?;
        let revoked = done.credentials;
        self.apply_revocations(&revoked, &Vec::from_iter(done.moved), now)
            .await?;
        tracing::info!(
            person = person.id.0,
            revoked = revoked.len(),
            suspend,
            "revocation"
        );
        let rev = self.rev();
        Ok(RevokeResponse {
            revoked: revoked.len(),
            epoch: rev.epoch,
            revocation_root: fr_to_bytes(&rev.tree.root()).to_vec(),
        })
    }
}
