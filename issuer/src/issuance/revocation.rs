//! Revocation (specs/protocol.md §9, specs/revocation.md): revoking a person's credentials, moving the Groth16 tree and
//! the BBS key epoch, and serving authentication paths.

use netid_core::issuer_api::{encode_revoked_offsets, RevocationBucket};

use super::{build_metadata, stored_revocations, Issuer};
use crate::api::RevokeResponse;
use crate::netid_number::NetidNumber;
use crate::storage::{PersonStatus, RevocationMove, Storage};
use crate::IssuerError;

impl<S: Storage> Issuer<S> {
    /// Bucket `bucket` (slots `bucket·2^16 ..`) of the Groth16 revocation tree at `epoch`
    /// (specs/revocation.md §8): what a wallet needs to compute its own path, without naming
    /// its slot. Read from the database, so every replica answers the same for every epoch
    /// that has begun.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for `bucket ≥ 2^16`; [`IssuerError::NotFound`] for an epoch
    /// that has not begun or from before the stored tree; storage errors.
    pub async fn revocation_bucket(
        &self,
        epoch: u64,
        bucket: u32,
    ) -> Result<RevocationBucket, IssuerError> {
        let stored = self
            .storage
            .revocation_bucket(epoch, u64::from(bucket))
            .await?;
        Ok(RevocationBucket {
            epoch,
            bucket,
            siblings: stored.upper.iter().map(|s| s.to_vec().into()).collect(),
            revoked: encode_revoked_offsets(&stored.revoked),
        })
    }

    /// Applies committed changes to this replica's state: the epoch and the root are the
    /// highest the changes reached, and the metadata is republished.
    /// The epoch and the revocation version moved in the storage transactions that replaced
    /// the credentials (`moves`, one per transaction), never here: a failure at this point
    /// loses nothing that the database does not hold, and the next sync or start applies it.
    pub(super) async fn apply_revocations(
        &self,
        moves: &[RevocationMove],
        now: i64,
    ) -> Result<(), IssuerError> {
        if moves.is_empty() {
            // Supersessions alone (refreshes) keep their slots and move nothing.
            return Ok(());
        }
        let _w = self.rev_write.lock().await;
        let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
        // The storage transactions hashed the revoked slots into the stored tree; the root of
        // the highest epoch they reached includes every revocation up to it (each epoch's root
        // is computed under the epoch row's lock), so it is the one to publish.
        if let Some(m) = moves.iter().max_by_key(|m| m.epoch) {
            if m.epoch > rev.epoch {
                rev.epoch = m.epoch;
                rev.root = m.root;
            }
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
            &rev.root,
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
        let (root, epoch) = stored_revocations(&self.storage).await?;
        let (metadata, signed) = build_metadata(
            &self.secrets,
            &self.config,
            self.groth16_setup,
            &self.vk_bytes,
            &root,
            (epoch, version),
            self.now(),
        )?;
        {
            let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
            if epoch >= rev.epoch {
                rev.root = root;
                rev.epoch = epoch;
            }
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
        self.apply_revocations(&Vec::from_iter(done.moved), now)
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
            revocation_root: rev.root.to_vec(),
        })
    }
}
