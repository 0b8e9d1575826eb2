//! The issuer's published metadata (specs/protocol.md §2): what verifiers and wallets fetch
//! from `GET /v1/metadata` and cache. Byte fields are base64url in JSON; each is the canonical
//! encoding of its suite (decoded and validated by that suite's crate).
//!
//! The document travels signed ([`SignedMetadata`], specs/revocation.md §5): the exact bytes of
//! its JSON and an Ed25519 signature by the issuer's metadata key over
//! `"netid/v1/metadata" ‖ bytes`, so no canonical JSON is needed. Whoever relays it can neither
//! change it nor, against a reader that remembers the highest `(epoch, sequence)` it accepted,
//! replay an older one.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::b64::Bytes;
use crate::epoch_record::{
    check_chain, link, ChainLink, EpochHead, EpochRecord, SignedEpochRecord,
};
use crate::CoreError;

/// Domain separator of the metadata signature.
pub const METADATA_SIGNATURE_LABEL: &[u8] = b"netid/v1/metadata";

/// Format version of [`IssuerMetadata`].
pub const METADATA_VERSION: u16 = 1;

/// How an issuer's Groth16 keys were made (specs/groth16.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Groth16Setup {
    /// The issuer does not offer the groth16 suite (no ceremony keys configured).
    None,
    /// netid's deterministic development setup: its trapdoor is public, anyone can forge
    /// proofs. Tests and demos only; verifiers refuse it unless told otherwise.
    Development,
    /// Keys from a multi-party phase-2 ceremony (imported `.zkey`).
    Ceremony,
}

impl Groth16Setup {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Groth16Setup::None => "none",
            Groth16Setup::Development => "development",
            Groth16Setup::Ceremony => "ceremony",
        }
    }
}

/// The issuer's public keys, revocation state and app-registry key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerMetadata {
    /// [`METADATA_VERSION`].
    pub version: u16,
    /// The issuer's identifier (e.g. its base URL or a name).
    pub issuer_id: String,
    /// BBS public key for BLS12-381-SHA-256 (96 bytes, compressed G2).
    pub bbs_sha256_public_key: Bytes,
    /// BBS public key for BLS12-381-SHAKE-256 (96 bytes).
    pub bbs_shake256_public_key: Bytes,
    /// EdDSA-Poseidon public key of the Groth16 suite (32 bytes, packed BabyJubJub point).
    pub groth16_public_key: Bytes,
    /// Where the Groth16 keys come from; [`Groth16Setup::None`] when the issuer does not offer
    /// the groth16 suite.
    pub groth16_setup: Groth16Setup,
    /// Groth16 verifying key of the presentation circuit (arkworks compressed); empty when
    /// `groth16_setup` is `none`.
    pub groth16_verifying_key: Bytes,
    /// Current root of the revocation tree (32 bytes, little-endian BN254 field element).
    pub revocation_root: Bytes,
    /// Revocation epoch: increases with every revocation; BBS credentials carry the epoch they
    /// were issued in.
    pub epoch: u64,
    /// Ed25519 key of the app registry that signs app certificates (32 bytes).
    pub app_registry_key: Bytes,
    /// When this metadata was produced (unix seconds).
    pub updated_at: u64,
    /// Ed25519 public key (32 bytes) of the issuer's metadata key, which signs this document
    /// ([`SignedMetadata`]); readers pin it (configured, or on first use).
    pub metadata_key: Bytes,
    /// Increases with every change of the revocation state, across all replicas (the
    /// database's revocation version): within one `epoch`, a document with a lower `sequence`
    /// is older, and readers refuse it.
    pub sequence: u64,
    /// When `epoch` began (Unix seconds; specs/revocation.md §2).
    #[serde(default)]
    pub epoch_start: i64,
    /// Seconds per epoch: `epoch` ends at `epoch_start + epoch_length`. 0 in documents from
    /// before fixed epochs.
    #[serde(default)]
    pub epoch_length: u32,
    /// The grace `K` (specs/revocation.md §4): readers accept the keys of `epoch` and of the
    /// `K` epochs before it, and this document is valid through `K` epochs after its own.
    #[serde(default)]
    pub grace_epochs: u8,
    /// The grace epochs before `epoch` whose keys readers still accept, newest first: a
    /// credential signed, or a root fetched, shortly before a boundary stays usable for `K`
    /// more epochs. Fewer than `K` only when the epochs before are unknown (the first ones).
    #[serde(default)]
    pub previous_epochs: Vec<EpochKeys>,
    /// The latest signed epoch records (specs/revocation.md §5), newest first: the record of
    /// `epoch`, then the ones sealed before it, at most `K + 1`. Readers link them to the record
    /// they hold ([`IssuerMetadata::follow`]). Empty in documents from before epoch records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epoch_records: Vec<SignedEpochRecord>,
}

/// Most grace epochs a document may carry.
pub const MAX_GRACE_EPOCHS: usize = 8;

/// The keys of one epoch before the current one that readers still accept.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochKeys {
    /// The epoch.
    pub epoch: u64,
    /// Its Groth16 revocation root (32 bytes, little-endian BN254 field element).
    pub revocation_root: Bytes,
    /// Its BBS public key for BLS12-381-SHA-256 (96 bytes).
    pub bbs_sha256_public_key: Bytes,
    /// Its BBS public key for BLS12-381-SHAKE-256 (96 bytes).
    pub bbs_shake256_public_key: Bytes,
}

impl IssuerMetadata {
    /// Checks the version and the lengths of the fixed-size fields.
    ///
    /// # Errors
    /// [`CoreError::UnsupportedVersion`], [`CoreError::InvalidLength`].
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.version != METADATA_VERSION {
            return Err(CoreError::UnsupportedVersion {
                what: "issuer metadata",
                version: self.version,
            });
        }
        for (what, b, n) in [
            ("bbs_sha256_public_key", &self.bbs_sha256_public_key, 96),
            ("bbs_shake256_public_key", &self.bbs_shake256_public_key, 96),
            ("groth16_public_key", &self.groth16_public_key, 32),
            ("revocation_root", &self.revocation_root, 32),
            ("app_registry_key", &self.app_registry_key, 32),
            ("metadata_key", &self.metadata_key, 32),
        ] {
            if b.len() != n {
                return Err(CoreError::InvalidLength {
                    what,
                    expected: n,
                    actual: b.len(),
                });
            }
        }
        if (self.groth16_setup == Groth16Setup::None) != self.groth16_verifying_key.is_empty() {
            return Err(CoreError::InvalidMetadata(
                "groth16_verifying_key must be empty exactly when groth16_setup is none",
            ));
        }
        if usize::from(self.grace_epochs) > MAX_GRACE_EPOCHS {
            return Err(CoreError::InvalidMetadata("too many grace_epochs"));
        }
        if self.previous_epochs.len() > usize::from(self.grace_epochs) {
            return Err(CoreError::InvalidMetadata(
                "more previous_epochs than grace_epochs",
            ));
        }
        let mut above = self.epoch;
        for e in &self.previous_epochs {
            if e.epoch >= above {
                return Err(CoreError::InvalidMetadata(
                    "previous_epochs must be below epoch, newest first",
                ));
            }
            above = e.epoch;
            for (what, b, n) in [
                ("previous_epochs.revocation_root", &e.revocation_root, 32),
                (
                    "previous_epochs.bbs_sha256_public_key",
                    &e.bbs_sha256_public_key,
                    96,
                ),
                (
                    "previous_epochs.bbs_shake256_public_key",
                    &e.bbs_shake256_public_key,
                    96,
                ),
            ] {
                if b.len() != n {
                    return Err(CoreError::InvalidLength {
                        what,
                        expected: n,
                        actual: b.len(),
                    });
                }
            }
        }
        self.records()?;
        Ok(())
    }

    /// `metadata_key` as the 32 bytes of an Ed25519 public key.
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`] for another length.
    pub fn metadata_key_bytes(&self) -> Result<[u8; 32], CoreError> {
        self.metadata_key
            .as_slice()
            .try_into()
            .map_err(|_| CoreError::InvalidMetadata("metadata_key"))
    }

    /// The epoch records, opened under `metadata_key` and checked against the document,
    /// oldest first: the newest is the record of `epoch` (its start, length, root and keys),
    /// they chain, and a grace epoch that has a record has its root and keys.
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`].
    pub fn records(&self) -> Result<Vec<EpochRecord>, CoreError> {
        if self.epoch_records.is_empty() {
            return Ok(Vec::new());
        }
        if self.epoch_records.len() > usize::from(self.grace_epochs) + 1 {
            return Err(CoreError::InvalidMetadata(
                "more epoch_records than grace_epochs + 1",
            ));
        }
        let key = self.metadata_key_bytes()?;
        let mut records = self
            .epoch_records
            .iter()
            .map(|r| r.open(&key))
            .collect::<Result<Vec<_>, _>>()?;
        records.reverse();
        check_chain(&records)?;
        let agrees = |r: &EpochRecord, k: &EpochKeys| {
            r.revocation_root.as_slice() == k.revocation_root.as_slice()
                && r.bbs_sha256_public_key.as_slice() == k.bbs_sha256_public_key.as_slice()
                && r.bbs_shake256_public_key.as_slice() == k.bbs_shake256_public_key.as_slice()
        };
        let newest = records
            .last()
            .ok_or(CoreError::InvalidMetadata("epoch_records"))?;
        let current = self
            .epoch_keys(self.epoch)
            .ok_or(CoreError::InvalidMetadata("epoch"))?;
        if newest.epoch != self.epoch
            || newest.start != self.epoch_start
            || newest.length != self.epoch_length
            || !agrees(newest, &current)
        {
            return Err(CoreError::InvalidMetadata(
                "the newest epoch record is not the document's epoch",
            ));
        }
        for keys in &self.previous_epochs {
            if let Some(r) = records.iter().find(|r| r.epoch == keys.epoch) {
                if !agrees(r, keys) {
                    return Err(CoreError::InvalidMetadata(
                        "an epoch record disagrees with previous_epochs",
                    ));
                }
            }
        }
        Ok(records)
    }

    /// The newest epoch record as a reader keeps it; `None` in documents without records.
    ///
    /// # Errors
    /// As [`IssuerMetadata::records`].
    pub fn head(&self) -> Result<Option<EpochHead>, CoreError> {
        Ok(self.records()?.last().map(EpochRecord::head))
    }

    /// Whether a reader holding `held` (the record it accepted last) may adopt this document:
    /// its records, after the `bridge` of records the reader fetched for the epochs between
    /// (`GET /v1/epochs/records`, oldest first, signed by this document's key), descend from
    /// `held`. Returns the reader's new head. A reader without a head adopts the newest record
    /// (first use), and one whose head came from another document without records keeps none.
    ///
    /// # Errors
    /// [`CoreError::EpochGap`] when records between are missing (fetch them and call again);
    /// [`CoreError::InvalidMetadata`] for a fork, a document without records after one with
    /// them, or a bridge that does not chain.
    pub fn follow(
        &self,
        held: Option<&EpochHead>,
        bridge: &[SignedEpochRecord],
    ) -> Result<Option<EpochHead>, CoreError> {
        let records = self.records()?;
        let Some(held) = held else {
            return Ok(records.last().map(EpochRecord::head));
        };
        let Some(first) = records.first() else {
            return Err(CoreError::InvalidMetadata(
                "the document carries no epoch records, but the issuer's earlier ones did",
            ));
        };
        let key = self.metadata_key_bytes()?;
        let mut all = Vec::with_capacity(bridge.len() + records.len());
        for r in bridge {
            let r = r.open(&key)?;
            if r.epoch > held.epoch && r.epoch < first.epoch {
                all.push(r);
            }
        }
        all.extend_from_slice(&records);
        check_chain(&all)?;
        match link(held, &all)? {
            ChainLink::Linked => Ok(all.last().map(EpochRecord::head)),
            ChainLink::Gap { after, before } => Err(CoreError::EpochGap { after, before }),
        }
    }

    /// The keys of `epoch`, if it is the current epoch or one of the grace epochs.
    pub fn epoch_keys(&self, epoch: u64) -> Option<EpochKeys> {
        if epoch == self.epoch {
            return Some(EpochKeys {
                epoch,
                revocation_root: self.revocation_root.clone(),
                bbs_sha256_public_key: self.bbs_sha256_public_key.clone(),
                bbs_shake256_public_key: self.bbs_shake256_public_key.clone(),
            });
        }
        self.previous_epochs
            .iter()
            .find(|e| e.epoch == epoch)
            .cloned()
    }

    /// Until when (Unix seconds) this document may be relied on without a newer one
    /// (specs/revocation.md §5): the end of its epoch plus `K` epochs. A reader that cannot
    /// refresh it by then fails closed. `None` for documents from before fixed epochs.
    pub fn valid_until(&self) -> Option<i64> {
        if self.epoch_length == 0 {
            return None;
        }
        let epochs = i64::from(self.grace_epochs) + 1;
        Some(
            self.epoch_start
                .saturating_add(epochs.saturating_mul(i64::from(self.epoch_length))),
        )
    }
}

impl IssuerMetadata {
    /// Whether this document is older than `other`: a lower epoch, or the same epoch and a
    /// lower sequence. A reader that accepted `other` refuses this one (a rollback).
    pub fn is_older_than(&self, other: &IssuerMetadata) -> bool {
        (self.epoch, self.sequence) < (other.epoch, other.sequence)
    }
}

/// `GET /v1/metadata`: the metadata document's exact JSON bytes and the metadata key's
/// signature over [`METADATA_SIGNATURE_LABEL`] `‖ document`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedMetadata {
    /// The [`IssuerMetadata`] JSON, as signed.
    pub document: Bytes,
    /// Ed25519 signature (64 bytes).
    pub signature: Bytes,
}

impl SignedMetadata {
    /// Signs `metadata`, whose `metadata_key` must be `key`'s public key.
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`] if it names another key or does not validate.
    pub fn sign(metadata: &IssuerMetadata, key: &SigningKey) -> Result<SignedMetadata, CoreError> {
        metadata.validate()?;
        if metadata.metadata_key.as_slice() != key.verifying_key().as_bytes() {
            return Err(CoreError::InvalidMetadata(
                "metadata_key is not the signing key's public key",
            ));
        }
        let document = serde_json::to_vec(metadata)
            .map_err(|_| CoreError::InvalidMetadata("metadata does not encode"))?;
        let signature = key.sign(&signing_bytes(&document)).to_bytes();
        Ok(SignedMetadata {
            document: document.into(),
            signature: signature.to_vec().into(),
        })
    }

    /// Checks the signature and returns the document. The key is the document's own
    /// `metadata_key`, which must equal `pinned` when given; a reader without a pin should
    /// pin the key it returns (first use).
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`]: malformed, another key than the pinned one, or a bad
    /// signature; the document's own validation errors.
    pub fn open(&self, pinned: Option<&[u8; 32]>) -> Result<IssuerMetadata, CoreError> {
        let metadata: IssuerMetadata = serde_json::from_slice(self.document.as_slice())
            .map_err(|_| CoreError::InvalidMetadata("the signed document is not metadata"))?;
        metadata.validate()?;
        let key_bytes = metadata.metadata_key_bytes()?;
        if pinned.is_some_and(|p| *p != key_bytes) {
            return Err(CoreError::InvalidMetadata(
                "signed by another metadata key than the pinned one",
            ));
        }
        let key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| CoreError::InvalidMetadata("metadata_key is not an Ed25519 key"))?;
        let signature: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| CoreError::InvalidMetadata("signature length"))?;
        key.verify_strict(
            &signing_bytes(self.document.as_slice()),
            &Signature::from_bytes(&signature),
        )
        .map_err(|_| CoreError::InvalidMetadata("bad metadata signature"))?;
        Ok(metadata)
    }
}

fn signing_bytes(document: &[u8]) -> Vec<u8> {
    [METADATA_SIGNATURE_LABEL, document].concat()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn doc(key: &SigningKey) -> IssuerMetadata {
        IssuerMetadata {
            version: METADATA_VERSION,
            issuer_id: "test".into(),
            bbs_sha256_public_key: vec![1; 96].into(),
            bbs_shake256_public_key: vec![2; 96].into(),
            groth16_public_key: vec![3; 32].into(),
            groth16_setup: Groth16Setup::None,
            groth16_verifying_key: Vec::new().into(),
            revocation_root: vec![4; 32].into(),
            epoch: 7,
            app_registry_key: vec![5; 32].into(),
            updated_at: 1_700_000_000,
            metadata_key: key.verifying_key().to_bytes().into(),
            sequence: 3,
            epoch_start: 1_699_999_000,
            epoch_length: 3600,
            grace_epochs: 1,
            previous_epochs: vec![EpochKeys {
                epoch: 6,
                revocation_root: vec![6; 32].into(),
                bbs_sha256_public_key: vec![7; 96].into(),
                bbs_shake256_public_key: vec![8; 96].into(),
            }],
            epoch_records: Vec::new(),
        }
    }

    /// The record of epoch `epoch` of `doc`'s chain (roots and keys as `doc` states them for
    /// its epoch 7 and grace epoch 6; made-up ones before).
    fn record_of(d: &IssuerMetadata, epoch: u64, prev: [u8; 32]) -> EpochRecord {
        let keys = d.epoch_keys(epoch);
        let arr = |b: Option<&Bytes>, fill: u8| -> [u8; 96] {
            b.map_or([fill; 96], |b| b.as_slice().try_into().unwrap())
        };
        EpochRecord {
            epoch,
            start: d.epoch_start - i64::try_from(d.epoch - epoch).unwrap() * 3600,
            length: d.epoch_length,
            revocation_root: keys.as_ref().map_or([epoch as u8; 32], |k| {
                k.revocation_root.as_slice().try_into().unwrap()
            }),
            bbs_sha256_public_key: arr(keys.as_ref().map(|k| &k.bbs_sha256_public_key), 9),
            bbs_shake256_public_key: arr(keys.as_ref().map(|k| &k.bbs_shake256_public_key), 9),
            revoked_total: epoch,
            prev,
        }
    }

    /// Records of `epochs` (ascending), chained from the zero hash.
    fn records_of(d: &IssuerMetadata, epochs: &[u64]) -> Vec<EpochRecord> {
        let mut out: Vec<EpochRecord> = Vec::new();
        for &e in epochs {
            let prev = out.last().map_or([0; 32], EpochRecord::hash);
            out.push(record_of(d, e, prev));
        }
        out
    }

    fn carry(d: &mut IssuerMetadata, key: &SigningKey, newest_first: &[EpochRecord]) {
        d.epoch_records = newest_first.iter().map(|r| r.sign(key)).collect();
    }

    #[test]
    fn epoch_records_must_state_the_document_and_chain() {
        let key = SigningKey::from_bytes(&[42; 32]);
        let base = doc(&key);
        let chain = records_of(&base, &[3, 6, 7]);
        let mut d = base.clone();
        carry(&mut d, &key, &[chain[2].clone(), chain[1].clone()]);
        d.validate().unwrap();
        assert_eq!(d.head().unwrap(), Some(chain[2].head()));
        assert_eq!(d.records().unwrap(), chain[1..].to_vec());
        // The signed document round-trips with its records.
        let opened = SignedMetadata::sign(&d, &key).unwrap().open(None).unwrap();
        assert_eq!(opened, d);

        // Not newest first, more than K + 1, or not chaining.
        let mut bad = base.clone();
        carry(&mut bad, &key, &[chain[1].clone(), chain[2].clone()]);
        assert!(bad.validate().is_err());
        carry(
            &mut bad,
            &key,
            &[chain[2].clone(), chain[1].clone(), chain[0].clone()],
        );
        assert!(bad.validate().is_err());
        carry(&mut bad, &key, &[chain[2].clone(), chain[0].clone()]);
        assert!(bad.validate().is_err());
        // Signed by another key than metadata_key.
        let other = SigningKey::from_bytes(&[43; 32]);
        carry(&mut bad, &other, &[chain[2].clone()]);
        assert!(bad.validate().is_err());
        // The newest record must be the document's epoch, with its root, keys, start, length.
        for change in 0..4 {
            let mut r = chain[2].clone();
            match change {
                0 => r.revocation_root[0] ^= 1,
                1 => r.bbs_shake256_public_key[5] ^= 1,
                2 => r.start += 1,
                _ => r.length += 1,
            }
            carry(&mut bad, &key, &[r]);
            assert!(bad.validate().is_err(), "change {change}");
        }
        // A grace epoch's record must agree with previous_epochs.
        let mut six = chain[1].clone();
        six.revocation_root = [0xaa; 32];
        let seven = record_of(&base, 7, six.hash());
        carry(&mut bad, &key, &[seven, six]);
        assert!(bad.validate().is_err());
    }

    #[test]
    fn readers_follow_the_chain_and_refuse_forks_and_missing_records() {
        let key = SigningKey::from_bytes(&[42; 32]);
        let base = doc(&key);
        let chain = records_of(&base, &[2, 3, 4, 5, 6, 7]);
        let mut d = base.clone();
        carry(&mut d, &key, &[chain[5].clone(), chain[4].clone()]);
        let new_head = Some(chain[5].head());
        // First use adopts the newest record; the record before, or the same, links.
        assert_eq!(d.follow(None, &[]).unwrap(), new_head);
        assert_eq!(d.follow(Some(&chain[3].head()), &[]).unwrap(), new_head);
        assert_eq!(d.follow(Some(&chain[5].head()), &[]).unwrap(), new_head);
        // Further back, the records between are needed; with them, it links.
        let held = chain[1].head();
        assert!(matches!(
            d.follow(Some(&held), &[]),
            Err(CoreError::EpochGap {
                after: 3,
                before: 6
            })
        ));
        let bridge: Vec<SignedEpochRecord> = chain.iter().map(|r| r.sign(&key)).collect();
        assert_eq!(d.follow(Some(&held), &bridge).unwrap(), new_head);
        // A bridge with a hole does not chain; one signed by another key is refused.
        let holed = [bridge[2].clone()];
        assert!(d.follow(Some(&held), &holed).is_err());
        let other = SigningKey::from_bytes(&[43; 32]);
        let foreign: Vec<SignedEpochRecord> = chain.iter().map(|r| r.sign(&other)).collect();
        assert!(d.follow(Some(&held), &foreign).is_err());
        // A reader that holds another record of epoch 6 (a fork) refuses.
        let mut forked = chain[4].clone();
        forked.revoked_total += 1;
        assert!(matches!(
            d.follow(Some(&forked.head()), &bridge),
            Err(CoreError::InvalidMetadata(_))
        ));
        // A document without records, after one with them, is refused.
        assert!(base.follow(Some(&held), &[]).is_err());
        assert_eq!(base.follow(None, &[]).unwrap(), None);
    }

    #[test]
    fn signed_metadata_opens_only_unchanged_and_under_its_pinned_key() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let md = doc(&key);
        let signed = SignedMetadata::sign(&md, &key).unwrap();
        let pk = key.verifying_key().to_bytes();
        assert_eq!(signed.open(None).unwrap(), md);
        assert_eq!(signed.open(Some(&pk)).unwrap(), md);
        // Another pinned key.
        let other_pk = other.verifying_key().to_bytes();
        assert!(signed.open(Some(&other_pk)).is_err());
        // One byte of the document changed.
        let mut bad = signed.clone();
        let mut d = bad.document.clone().into_vec();
        let at = d.iter().position(|b| *b == b'7').unwrap();
        d[at] = b'8';
        bad.document = d.into();
        assert!(bad.open(None).is_err());
        // A document naming key A, signed by B (whoever relays it cannot re-sign).
        let forged = SignedMetadata {
            document: signed.document.clone(),
            signature: other
                .sign(&signing_bytes(signed.document.as_slice()))
                .to_bytes()
                .to_vec()
                .into(),
        };
        assert!(forged.open(None).is_err());
        // Signing a document that names another key is refused.
        assert!(SignedMetadata::sign(&md, &other).is_err());
        // No signature.
        let unsigned = SignedMetadata {
            document: signed.document.clone(),
            signature: Vec::new().into(),
        };
        assert!(unsigned.open(Some(&pk)).is_err());
    }

    #[test]
    fn older_means_lower_epoch_or_same_epoch_lower_sequence() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let md = doc(&key);
        let newer_seq = IssuerMetadata {
            sequence: 4,
            ..md.clone()
        };
        let newer_epoch = IssuerMetadata {
            epoch: 8,
            sequence: 0,
            ..md.clone()
        };
        assert!(md.is_older_than(&newer_seq));
        assert!(newer_seq.is_older_than(&newer_epoch));
        assert!(!newer_epoch.is_older_than(&md));
        assert!(!md.is_older_than(&md));
    }

    #[test]
    fn grace_epochs_validate_and_bound_the_document() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let md = doc(&key);
        md.validate().unwrap();
        // The current epoch's keys and the grace epoch's; no others.
        assert_eq!(
            md.epoch_keys(7).unwrap().revocation_root,
            md.revocation_root
        );
        assert_eq!(md.epoch_keys(6).unwrap(), md.previous_epochs[0]);
        assert_eq!(md.epoch_keys(5), None);
        assert_eq!(md.epoch_keys(8), None);
        // Valid through the end of its epoch plus one grace epoch.
        assert_eq!(md.valid_until(), Some(1_699_999_000 + 2 * 3600));
        let old = IssuerMetadata {
            epoch_length: 0,
            ..md.clone()
        };
        assert_eq!(old.valid_until(), None);
        // Grace epochs below the current one, newest first, of the right lengths, few.
        let bad = |f: &dyn Fn(&mut IssuerMetadata)| {
            let mut m = md.clone();
            f(&mut m);
            assert!(m.validate().is_err());
            assert!(SignedMetadata::sign(&m, &key).is_err());
        };
        bad(&|m| m.previous_epochs[0].epoch = 7);
        bad(&|m| m.previous_epochs[0].epoch = 9);
        bad(&|m| {
            let mut older = m.previous_epochs[0].clone();
            older.epoch = 6;
            m.previous_epochs.push(older);
        });
        bad(&|m| m.grace_epochs = 0);
        bad(&|m| m.grace_epochs = 9);
        bad(&|m| m.previous_epochs[0].revocation_root = vec![0; 31].into());
        bad(&|m| m.previous_epochs[0].bbs_sha256_public_key = vec![0; 95].into());
        bad(&|m| m.previous_epochs[0].bbs_shake256_public_key = vec![0; 97].into());
        bad(&|m| {
            m.epoch = 100;
            m.grace_epochs = 9;
            m.previous_epochs = (0..9)
                .map(|k| EpochKeys {
                    epoch: 99 - k,
                    ..m.previous_epochs[0].clone()
                })
                .collect();
        });
        // The first epoch has no epoch before it, yet is valid through its grace epoch.
        let first = IssuerMetadata {
            previous_epochs: Vec::new(),
            epoch_records: Vec::new(),
            ..md.clone()
        };
        first.validate().unwrap();
        assert_eq!(first.valid_until(), md.valid_until());
        // A document without the new fields still reads (no grace, no validity bound).
        let mut v = serde_json::to_value(&md).unwrap();
        for f in [
            "epoch_start",
            "epoch_length",
            "grace_epochs",
            "previous_epochs",
        ] {
            v.as_object_mut().unwrap().remove(f);
        }
        let plain: IssuerMetadata = serde_json::from_value(v).unwrap();
        assert!(plain.previous_epochs.is_empty() && plain.valid_until().is_none());
    }
}
