//! Signed epoch records and their hash chain (specs/revocation.md §5).
//!
//! At every seal the issuer signs one record of the new epoch with its metadata key: the
//! epoch's number, start and length, its Groth16 revocation root, its BBS public keys, how many
//! slots are revoked in it, and the SHA-256 of the record before it. The records form a chain:
//! a reader that holds one record (an [`EpochHead`]) accepts a later one only when the records
//! between link it to the one it holds, so neither a relay nor a replica nor a holder of the
//! metadata key can rewrite an epoch that a reader has seen without being found out (a fork).
//!
//! Signed bytes (all integers big-endian):
//!
//! ```text
//! "netid/v1/epoch-record" ‖ u64(epoch) ‖ i64(start) ‖ u32(length_secs)
//!   ‖ root (32, little-endian BN254) ‖ u8(n) ‖ n × (u8(len(suite)) ‖ suite ‖ pk (96))
//!   ‖ u64(revoked_total) ‖ prev (32)
//! ```
//!
//! `prev` is the SHA-256 of the previous record's signed bytes, 32 zero bytes for the first
//! record of a database. The previous record is the last one sealed before, which is the epoch
//! before unless a sealer caught up over a downtime (the epochs in between were never served
//! and have no record). The Ed25519 signature covers the signed bytes as they are.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::b64::Bytes;
use crate::CoreError;

/// Domain separator opening a record's signed bytes.
pub const EPOCH_RECORD_LABEL: &[u8] = b"netid/v1/epoch-record";

/// The BBS suites a record lists, in this order.
pub const EPOCH_RECORD_SUITES: [&str; 2] = ["bbs-sha256", "bbs-shake256"];

/// Length of a record's signed bytes.
pub const EPOCH_RECORD_LEN: usize =
    EPOCH_RECORD_LABEL.len() + 8 + 8 + 4 + 32 + 1 + (1 + 10 + 96) + (1 + 12 + 96) + 8 + 32;

/// Most records a reader fetches to link a new epoch to the one it holds; beyond that it
/// refuses, and its operator pins again (an issuer unseen for years).
pub const MAX_EPOCH_BRIDGE: usize = 4096;

/// One epoch as its record states it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochRecord {
    /// The epoch.
    pub epoch: u64,
    /// When it began (Unix seconds).
    pub start: i64,
    /// Its length in seconds.
    pub length: u32,
    /// Its Groth16 revocation root (little-endian BN254 field element).
    pub revocation_root: [u8; 32],
    /// Its BBS public key for BLS12-381-SHA-256 (compressed G2).
    pub bbs_sha256_public_key: [u8; 96],
    /// Its BBS public key for BLS12-381-SHAKE-256.
    pub bbs_shake256_public_key: [u8; 96],
    /// How many Groth16 slots are revoked in its tree.
    pub revoked_total: u64,
    /// SHA-256 of the previous record's signed bytes; zero for the first record.
    pub prev: [u8; 32],
}

/// What a reader keeps of the last record it accepted: enough to check that a later record
/// descends from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpochHead {
    /// The record's epoch.
    pub epoch: u64,
    /// SHA-256 of its signed bytes (hex).
    #[serde(with = "hex_32")]
    pub hash: [u8; 32],
}

mod hex_32 {
    pub fn serialize<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(&s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected 32 bytes of hex"))
    }
}

fn bad(what: &'static str) -> CoreError {
    CoreError::InvalidMetadata(what)
}

impl EpochRecord {
    /// The signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(EPOCH_RECORD_LEN);
        out.extend_from_slice(EPOCH_RECORD_LABEL);
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.start.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.revocation_root);
        out.push(2);
        for (suite, pk) in EPOCH_RECORD_SUITES
            .iter()
            .zip([&self.bbs_sha256_public_key, &self.bbs_shake256_public_key])
        {
            out.push(suite.len() as u8);
            out.extend_from_slice(suite.as_bytes());
            out.extend_from_slice(pk);
        }
        out.extend_from_slice(&self.revoked_total.to_be_bytes());
        out.extend_from_slice(&self.prev);
        out
    }

    /// Parses signed bytes: exactly the layout above, the two suites in order, nothing after.
    /// The keys are not decoded here (their suite's crate validates them where they are used).
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`].
    pub fn from_bytes(bytes: &[u8]) -> Result<EpochRecord, CoreError> {
        if bytes.len() != EPOCH_RECORD_LEN {
            return Err(bad("epoch record length"));
        }
        let mut r = Reader(bytes);
        if r.take(EPOCH_RECORD_LABEL.len())? != EPOCH_RECORD_LABEL {
            return Err(bad("not an epoch record"));
        }
        let epoch = u64::from_be_bytes(r.array()?);
        let start = i64::from_be_bytes(r.array()?);
        let length = u32::from_be_bytes(r.array()?);
        let revocation_root = r.array()?;
        if r.take(1)? != [2] {
            return Err(bad("epoch record suites"));
        }
        let mut keys = [[0u8; 96]; 2];
        for (suite, key) in EPOCH_RECORD_SUITES.iter().zip(keys.iter_mut()) {
            let n = usize::from(r.take(1)?[0]);
            if r.take(n)? != suite.as_bytes() {
                return Err(bad("epoch record suites"));
            }
            *key = r.array()?;
        }
        let revoked_total = u64::from_be_bytes(r.array()?);
        let prev = r.array()?;
        Ok(EpochRecord {
            epoch,
            start,
            length,
            revocation_root,
            bbs_sha256_public_key: keys[0],
            bbs_shake256_public_key: keys[1],
            revoked_total,
            prev,
        })
    }

    /// SHA-256 of the signed bytes: the next record's `prev`.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }

    /// This record as a reader keeps it.
    pub fn head(&self) -> EpochHead {
        EpochHead {
            epoch: self.epoch,
            hash: self.hash(),
        }
    }

    /// Signs the record with the metadata key.
    pub fn sign(&self, key: &SigningKey) -> SignedEpochRecord {
        let record = self.to_bytes();
        let signature = key.sign(&record).to_bytes();
        SignedEpochRecord {
            record: record.into(),
            signature: signature.to_vec().into(),
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CoreError> {
        if self.0.len() < n {
            return Err(bad("epoch record truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CoreError> {
        self.take(N)?
            .try_into()
            .map_err(|_| bad("epoch record truncated"))
    }
}

/// An epoch record as served: its signed bytes and the metadata key's Ed25519 signature over
/// them (base64url in JSON).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedEpochRecord {
    /// The record's signed bytes (base64url).
    #[schema(value_type = String, format = Byte)]
    pub record: Bytes,
    /// Ed25519 signature over `record` (64 bytes, base64url).
    #[schema(value_type = String, format = Byte)]
    pub signature: Bytes,
}

impl SignedEpochRecord {
    /// Checks the signature under the metadata key `key` and parses the record.
    ///
    /// # Errors
    /// [`CoreError::InvalidMetadata`]: a bad key, signature or record.
    pub fn open(&self, key: &[u8; 32]) -> Result<EpochRecord, CoreError> {
        let key =
            VerifyingKey::from_bytes(key).map_err(|_| bad("metadata_key is not an Ed25519 key"))?;
        let signature: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| bad("epoch record signature length"))?;
        key.verify_strict(self.record.as_slice(), &Signature::from_bytes(&signature))
            .map_err(|_| bad("bad epoch record signature"))?;
        EpochRecord::from_bytes(self.record.as_slice())
    }
}

/// Checks that `records` (ascending by epoch) form a chain: each one's `prev` is the hash of
/// the one before it, and epochs increase.
///
/// # Errors
/// [`CoreError::InvalidMetadata`] where a link is broken.
pub fn check_chain(records: &[EpochRecord]) -> Result<(), CoreError> {
    for pair in records.windows(2) {
        if pair[1].epoch <= pair[0].epoch {
            return Err(bad("epoch records out of order"));
        }
        if pair[1].prev != pair[0].hash() {
            return Err(bad("epoch records do not chain"));
        }
    }
    Ok(())
}

/// How `records` (ascending, already chained among themselves) relate to the `head` a reader
/// holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainLink {
    /// They descend from `head` (or end at it); the reader's new head is the last record's.
    Linked,
    /// Records between are missing: those with epochs after `after` and before `before`.
    Gap {
        /// The held head's epoch.
        after: u64,
        /// The first given record's epoch.
        before: u64,
    },
}

/// Whether `records` (ascending, chained) descend from `head`.
///
/// # Errors
/// [`CoreError::InvalidMetadata`] when they cannot: a record of `head`'s epoch with another
/// hash, or records that pass over `head`'s epoch without it (a fork), or nothing after it.
pub fn link(head: &EpochHead, records: &[EpochRecord]) -> Result<ChainLink, CoreError> {
    let fork = || bad("the epoch records fork from the one this reader holds");
    let Some(first) = records.first() else {
        return Err(bad("no epoch records"));
    };
    if let Some(same) = records.iter().find(|r| r.epoch == head.epoch) {
        return if same.hash() == head.hash {
            Ok(ChainLink::Linked)
        } else {
            Err(fork())
        };
    }
    if first.epoch < head.epoch {
        // They pass over the held epoch without its record.
        return Err(fork());
    }
    if first.prev == head.hash {
        return Ok(ChainLink::Linked);
    }
    Ok(ChainLink::Gap {
        after: head.epoch,
        before: first.epoch,
    })
}

/// Takes one page of `GET /v1/epochs/records?after={from}` into `out`, the bridge a reader
/// collects for the epochs after `from` and before `before`. Returns the `after` of the next
/// page to fetch, or `None` when the bridge is complete (a record at or past `before`, or an
/// empty page: the issuer has no more). The records' signatures and links are checked later,
/// by [`crate::IssuerMetadata::follow`].
///
/// # Errors
/// [`CoreError::InvalidMetadata`]: a record that does not parse, records out of order, or more
/// than [`MAX_EPOCH_BRIDGE`] in all.
pub fn take_bridge_page(
    page: Vec<SignedEpochRecord>,
    from: u64,
    before: u64,
    out: &mut Vec<SignedEpochRecord>,
) -> Result<Option<u64>, CoreError> {
    let mut last = from;
    for r in page {
        let e = EpochRecord::from_bytes(r.record.as_slice())?.epoch;
        if e <= last {
            return Err(bad("epoch records out of order"));
        }
        last = e;
        if e >= before {
            return Ok(None);
        }
        if out.len() >= MAX_EPOCH_BRIDGE {
            return Err(bad(
                "too many epoch records since the one held: pin the issuer anew",
            ));
        }
        out.push(r);
    }
    Ok((last > from).then_some(last))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record(epoch: u64, prev: [u8; 32]) -> EpochRecord {
        EpochRecord {
            epoch,
            start: 1_700_000_000 + i64::try_from(epoch).unwrap() * 60,
            length: 60,
            revocation_root: [epoch as u8; 32],
            bbs_sha256_public_key: [1; 96],
            bbs_shake256_public_key: [2; 96],
            revoked_total: epoch * 3,
            prev,
        }
    }

    fn chain(epochs: &[u64]) -> Vec<EpochRecord> {
        let mut out: Vec<EpochRecord> = Vec::new();
        for &e in epochs {
            let prev = out.last().map_or([0; 32], EpochRecord::hash);
            out.push(record(e, prev));
        }
        out
    }

    #[test]
    fn bytes_round_trip_and_are_exact() {
        let r = record(7, [9; 32]);
        let b = r.to_bytes();
        assert_eq!(b.len(), EPOCH_RECORD_LEN);
        assert_eq!(EPOCH_RECORD_LEN, 330);
        assert_eq!(EpochRecord::from_bytes(&b).unwrap(), r);
        assert!(b.starts_with(EPOCH_RECORD_LABEL));
        assert_eq!(&b[EPOCH_RECORD_LABEL.len()..][..8], &7u64.to_be_bytes());
        // Any other length, label or suite is refused.
        assert!(EpochRecord::from_bytes(&b[..b.len() - 1]).is_err());
        assert!(EpochRecord::from_bytes(&[b.clone(), vec![0]].concat()).is_err());
        let mut wrong = b.clone();
        wrong[0] ^= 1;
        assert!(EpochRecord::from_bytes(&wrong).is_err());
        let suites_at = EPOCH_RECORD_LABEL.len() + 8 + 8 + 4 + 32;
        let mut wrong = b.clone();
        wrong[suites_at] = 3;
        assert!(EpochRecord::from_bytes(&wrong).is_err());
        let mut wrong = b;
        wrong[suites_at + 2] ^= 1; // "bbs-sha256" → another name
        assert!(EpochRecord::from_bytes(&wrong).is_err());
    }

    #[test]
    fn signatures_bind_every_byte_to_the_key() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let pk = key.verifying_key().to_bytes();
        let signed = record(3, [1; 32]).sign(&key);
        assert_eq!(signed.open(&pk).unwrap(), record(3, [1; 32]));
        let other = SigningKey::from_bytes(&[6; 32]).verifying_key().to_bytes();
        assert!(signed.open(&other).is_err());
        let mut bytes = signed.record.as_slice().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = SignedEpochRecord {
            record: bytes.into(),
            signature: signed.signature.clone(),
        };
        assert!(tampered.open(&pk).is_err());
        let json = serde_json::to_string(&signed).unwrap();
        assert_eq!(
            serde_json::from_str::<SignedEpochRecord>(&json).unwrap(),
            signed
        );
    }

    #[test]
    fn chains_link_to_the_held_head_and_forks_are_refused() {
        let c = chain(&[0, 1, 2, 5, 6]);
        check_chain(&c).unwrap();
        // Reordered, or a broken link.
        assert!(check_chain(&[c[1].clone(), c[0].clone()]).is_err());
        assert!(check_chain(&[c[0].clone(), c[2].clone()]).is_err());

        let held = c[1].head();
        // The next records, or ones that include the held one.
        assert_eq!(link(&held, &c[2..]).unwrap(), ChainLink::Linked);
        assert_eq!(link(&held, &c[1..]).unwrap(), ChainLink::Linked);
        // Records further on: the ones between are needed.
        assert_eq!(
            link(&held, &c[3..]).unwrap(),
            ChainLink::Gap {
                after: 1,
                before: 5
            }
        );
        // With the bridge fetched, the whole run links.
        let mut bridged = c[2..3].to_vec();
        bridged.extend_from_slice(&c[3..]);
        check_chain(&bridged).unwrap();
        assert_eq!(link(&held, &bridged).unwrap(), ChainLink::Linked);

        // Another history from the same epoch on: a record of the held epoch with another hash,
        // or records that pass over it.
        let mut other = c[..1].to_vec();
        let mut forked = record(1, c[0].hash());
        forked.revocation_root = [0xee; 32];
        other.push(forked);
        other.push(record(2, other[1].hash()));
        check_chain(&other).unwrap();
        assert!(link(&held, &other).is_err());
        let skipping = chain(&[0, 3]);
        assert!(link(&held, &skipping).is_err());
        assert!(link(&held, &[]).is_err());
    }

    #[test]
    fn bridge_pages_stop_at_the_document_and_refuse_disorder() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let signed: Vec<SignedEpochRecord> = chain(&[1, 2, 3, 4, 6, 9])
            .iter()
            .map(|r| r.sign(&key))
            .collect();
        // Held epoch 1, document from epoch 9: pages of two.
        let mut out = Vec::new();
        assert_eq!(
            take_bridge_page(signed[1..3].to_vec(), 1, 9, &mut out).unwrap(),
            Some(3)
        );
        assert_eq!(
            take_bridge_page(signed[3..5].to_vec(), 3, 9, &mut out).unwrap(),
            Some(6)
        );
        assert_eq!(
            take_bridge_page(signed[5..].to_vec(), 6, 9, &mut out).unwrap(),
            None
        );
        assert_eq!(out, signed[1..5].to_vec());
        // An empty page ends it; a page that goes back, or repeats, is refused.
        assert_eq!(take_bridge_page(Vec::new(), 6, 9, &mut out).unwrap(), None);
        let mut out = Vec::new();
        assert!(
            take_bridge_page(vec![signed[2].clone(), signed[1].clone()], 1, 9, &mut out).is_err()
        );
        assert!(take_bridge_page(vec![signed[0].clone()], 1, 9, &mut Vec::new()).is_err());
    }

    #[test]
    fn heads_travel_as_hex() {
        let h = record(4, [0; 32]).head();
        let json = serde_json::to_string(&h).unwrap();
        assert!(json.contains(&hex::encode(h.hash)));
        assert_eq!(serde_json::from_str::<EpochHead>(&json).unwrap(), h);
        assert!(serde_json::from_str::<EpochHead>(r#"{"epoch":1,"hash":"00"}"#).is_err());
    }
}
