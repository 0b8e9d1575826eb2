//! Revocation (specs/protocol.md §9, specs/revocation.md): revoking a person's credentials
//! (logged at once, §2), sealing epochs at their boundaries (§3), following other replicas'
//! seals, and serving the buckets from which wallets compute their paths (§8).

use netid_core::issuer_api::{encode_revoked_offsets, RevocationBucket};

use super::{build_metadata, stored_revocations, Issuer, RecordSigner};
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

    /// The signed epoch records after `after` (all when `None`), oldest first, at most
    /// `limit` (specs/revocation.md §5): what readers fetch to link a newer epoch to the
    /// record they hold.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn epoch_records(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<netid_core::SignedEpochRecord>, IssuerError> {
        self.storage.epoch_records(after, limit).await
    }

    /// The sealer (specs/revocation.md §3): when the clock has passed the boundary of an epoch
    /// later than this replica's, seals the revocation log into the current scheduled epoch
    /// (one transaction; `None` when another replica sealed it or holds the sealer's lock) and
    /// then adopts whatever epoch the database holds. Revocations logged before the boundary
    /// are in the new epoch's root, and the new epoch's BBS keys sign from then on. After a
    /// downtime of several epochs, one seal takes every row logged before the current epoch:
    /// the epochs in between were never served.
    ///
    /// The server calls this every second; tests call it after moving their clock.
    ///
    /// # Errors
    /// Storage errors (the next call tries again: the log keeps every row until a seal commits).
    pub async fn seal_due(&self) -> Result<Option<RevocationMove>, IssuerError> {
        let target = self.schedule.epoch_at(self.now());
        if target <= self.rev().epoch {
            return Ok(None);
        }
        let sealed = self
            .storage
            .seal_epoch(
                target,
                self.schedule.start(target),
                &RecordSigner::new(&self.secrets, self.schedule),
            )
            .await?;
        if let Some(m) = &sealed {
            tracing::info!(
                epoch = m.epoch,
                sealed = m.sealed,
                version = m.version,
                "epoch sealed"
            );
            // The stored tree of epochs no reader needs any more (specs/revocation.md §8).
            let keep_from = m
                .epoch
                .saturating_sub(u64::from(self.config.retain_epochs) - 1);
            let pruned = self.storage.prune_revocation_nodes(keep_from).await?;
            if pruned > 0 {
                tracing::info!(keep_from, pruned, "stored tree of older epochs pruned");
            }
        }
        self.sync_revocations().await?;
        Ok(sealed)
    }

    /// Catches up with seals made by other replicas (or by [`Issuer::seal_due`]): when the
    /// database's revocation version differs from this state's, the epoch, its root and the
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
        let stored = stored_revocations(&self.storage, self.config.grace_epochs).await?;
        let epoch = stored.epoch;
        if epoch < self.rev().epoch {
            // Never go back: a database behind this replica was restored from a backup (or
            // replaced); its state is refused until it catches up.
            tracing::warn!(
                stored = epoch,
                serving = self.rev().epoch,
                "the database's epoch is behind the one this replica serves; keeping it"
            );
            return Ok(());
        }
        let (metadata, signed) = build_metadata(
            &self.secrets,
            &self.config,
            (self.groth16_setup, &self.vk_bytes),
            &stored,
            version,
            self.schedule,
            self.now(),
        )?;
        {
            let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
            rev.root = stored.root;
            rev.epoch = stored.epoch;
            rev.previous = stored.previous;
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
            "revocation state reloaded (an epoch was sealed)"
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
        // Logged with `now`: the seal of the first boundary after it takes it.
        let effective_epoch = self.schedule.epoch_at(now).saturating_add(1);
        let effective_at = self.schedule.start(effective_epoch);
        tracing::info!(
            person = person.id.0,
            revoked = done.credentials.len(),
            logged = done.logged,
            suspend,
            effective_epoch,
            "revocation"
        );
        let rev = self.rev();
        Ok(RevokeResponse {
            revoked: done.credentials.len(),
            epoch: rev.epoch,
            revocation_root: rev.root.to_vec(),
            effective_epoch,
            effective_at,
        })
    }
}
