//! The open wallet: its decrypted contents, how they are serialized inside the encrypted file,
//! and the operations on them.
//!
//! Contents (JSON inside the ciphertext, `specs/wallet.md` §5):
//!
//! ```json
//! {"format": 2, "created_at": 1772323200, "device_key": "<64 hex digits>",
//!  "holder_secret": "<base64url, 32 bytes>",
//!  "credentials": [...], "wards": [...], "history_limit": 500, "history": [...]}
//! ```
//!
//! The wallet has no clock: callers pass Unix timestamps (`now`) and dates (`today`), so the
//! library runs the same on a phone, in WASM (where `SystemTime::now` panics) and in tests.
//! Changes are made in memory; [`Wallet::save`] writes them (re-encrypting under a fresh nonce),
//! except [`Wallet::change_passphrase`], which saves at once.

use core::fmt;
use std::collections::VecDeque;
use std::io;

use netid_circuits::presentation::holder_binding;
use netid_core::{
    Date, HolderBinding, HolderSecret, IssuerMetadata, Passphrase, SignedMetadata, Suite,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::device::DeviceKey;
use crate::records::{
    mask_name, CredentialRecord, CredentialStatus, HistoryEntry, IssuerPin, Ward,
};
use crate::storage::Storage;
use crate::store::{random_bytes, KdfParams, SealingKey, TAG_LEN};
use crate::WalletError;

/// The version of the encrypted contents' JSON schema that this implementation writes (2: the
/// holder secret; format-1 wallets hold credentials without holder binding, which no verifier
/// accepts any more, and are refused with [`WalletError::UnsupportedVersion`]).
pub const CONTENTS_FORMAT: u32 = 2;
/// History entries kept by a new wallet before the oldest are dropped.
pub const DEFAULT_HISTORY_LIMIT: usize = 500;
/// The largest history limit that can be set.
pub const MAX_HISTORY_LIMIT: usize = 10_000;
/// Most credential records in one wallet.
pub const MAX_CREDENTIALS: usize = 64;
/// Most wards in one wallet.
pub const MAX_WARDS: usize = 64;
/// Most issuers whose metadata key a wallet pins.
pub const MAX_ISSUERS: usize = 16;

/// How wallets are encrypted and which files are accepted.
///
/// * `kdf`: Argon2id parameters for new wallets and passphrase changes
///   ([`KdfParams::DEFAULT`]);
/// * `kdf_floor`: files with weaker parameters are refused with
///   [`WalletError::WeakKdfParams`] ([`KdfParams::MIN_ACCEPTED`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WalletOptions {
    kdf: KdfParams,
    kdf_floor: KdfParams,
}

impl WalletOptions {
    /// Production settings: [`KdfParams::DEFAULT`], floor [`KdfParams::MIN_ACCEPTED`].
    pub const fn new() -> WalletOptions {
        WalletOptions {
            kdf: KdfParams::DEFAULT,
            kdf_floor: KdfParams::MIN_ACCEPTED,
        }
    }

    /// **Tests only**: [`KdfParams::INSECURE_TESTING`] for both, so that creating and opening a
    /// wallet takes microseconds.
    pub const fn insecure_for_tests() -> WalletOptions {
        WalletOptions {
            kdf: KdfParams::INSECURE_TESTING,
            kdf_floor: KdfParams::INSECURE_TESTING,
        }
    }

    /// With other parameters for new wallets and passphrase changes.
    pub const fn with_kdf(mut self, kdf: KdfParams) -> WalletOptions {
        self.kdf = kdf;
        self
    }

    /// With another floor for opening files.
    pub const fn with_kdf_floor(mut self, floor: KdfParams) -> WalletOptions {
        self.kdf_floor = floor;
        self
    }

    /// Parameters for new wallets and passphrase changes.
    pub const fn kdf(&self) -> KdfParams {
        self.kdf
    }

    /// The floor for opening files.
    pub const fn kdf_floor(&self) -> KdfParams {
        self.kdf_floor
    }
}

impl Default for WalletOptions {
    fn default() -> WalletOptions {
        WalletOptions::new()
    }
}

/// The decrypted contents (the JSON object inside the ciphertext).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Contents {
    format: u32,
    created_at: u64,
    device_key: DeviceKey,
    holder_secret: HolderSecret,
    credentials: Vec<CredentialRecord>,
    wards: Vec<Ward>,
    history_limit: usize,
    history: VecDeque<HistoryEntry>,
    /// Pinned issuer metadata keys (absent in files from before pinning).
    #[serde(default)]
    issuers: Vec<IssuerPin>,
}

impl Contents {
    fn new(created_at: u64) -> Result<Contents, WalletError> {
        Ok(Contents {
            format: CONTENTS_FORMAT,
            created_at,
            device_key: DeviceKey::generate()?,
            holder_secret: HolderSecret::from_random(&Zeroizing::new(random_bytes::<32>()?))
                .map_err(|_| WalletError::Internal("drawing the holder secret"))?,
            credentials: Vec::new(),
            wards: Vec::new(),
            history_limit: DEFAULT_HISTORY_LIMIT,
            history: VecDeque::new(),
            issuers: Vec::new(),
        })
    }

    /// Serializes into a buffer of exactly the right capacity (plus room for the AEAD tag), so
    /// no reallocation leaves an unwiped copy of the plaintext behind.
    fn to_plaintext(&self) -> Result<Zeroizing<Vec<u8>>, WalletError> {
        struct Counter(usize);
        impl io::Write for Counter {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut counter = Counter(0);
        serde_json::to_writer(&mut counter, self)
            .map_err(|_| WalletError::Internal("serializing the wallet contents"))?;
        let mut buf = Zeroizing::new(Vec::with_capacity(counter.0 + TAG_LEN));
        serde_json::to_writer(&mut *buf, self)
            .map_err(|_| WalletError::Internal("serializing the wallet contents"))?;
        Ok(buf)
    }

    /// Parses and validates decrypted contents. serde_json's messages (which may quote values)
    /// are dropped.
    fn from_plaintext(plaintext: &[u8]) -> Result<Contents, WalletError> {
        #[derive(serde::Deserialize)]
        struct Probe {
            format: u32,
        }
        let probe: Probe = serde_json::from_slice(plaintext).map_err(|_| WalletError::Corrupt {
            what: "contents are not a JSON object with a format field",
        })?;
        if probe.format != CONTENTS_FORMAT {
            return Err(WalletError::UnsupportedVersion {
                what: "contents",
                version: probe.format,
            });
        }
        let contents: Contents =
            serde_json::from_slice(plaintext).map_err(|_| WalletError::Corrupt {
                what: "contents do not match the wallet schema",
            })?;
        contents.validate()?;
        Ok(contents)
    }

    /// The invariants the mutating methods maintain, checked again after decryption.
    fn validate(&self) -> Result<(), WalletError> {
        let bad = |what| Err(WalletError::Corrupt { what });
        if self.credentials.len() > MAX_CREDENTIALS
            || self.wards.len() > MAX_WARDS
            || self.issuers.len() > MAX_ISSUERS
        {
            return bad("too many records");
        }
        for (i, p) in self.issuers.iter().enumerate() {
            if p.validate().is_err() || self.issuers[..i].iter().any(|q| q.url() == p.url()) {
                return bad("an invalid or duplicate issuer pin");
            }
        }
        if self.history_limit > MAX_HISTORY_LIMIT || self.history.len() > self.history_limit {
            return bad("history longer than its limit");
        }
        for (i, c) in self.credentials.iter().enumerate() {
            if self.check_binding(c, Some(i)).is_err() {
                return bad("credential records are inconsistent with the holder secret or holder");
            }
        }
        let own = self.latest().map(CredentialRecord::netid);
        for (i, w) in self.wards.iter().enumerate() {
            if self.wards[..i].iter().any(|v| v.netid() == w.netid()) || own == Some(w.netid()) {
                return bad("duplicate ward, or the holder listed as their own ward");
            }
        }
        Ok(())
    }

    fn position(&self, suite: Suite, issuer_id: &str) -> Option<usize> {
        self.credentials
            .iter()
            .position(|c| c.suite() == suite && c.issuer_id() == issuer_id)
    }

    /// The holder binding `Poseidon(s)` of this wallet's secret.
    fn binding(&self) -> Result<HolderBinding, WalletError> {
        holder_binding(&self.holder_secret)
            .map_err(|_| WalletError::Internal("computing the holder binding"))
    }

    /// Checks that `record` is bound to this wallet's secret (its `binding` attribute is
    /// `Poseidon(s)`; a BBS record carries its prover blind), is for the same person as the
    /// other records (ignoring the one at `replacing`), and duplicates no other (issuer, suite).
    fn check_binding(
        &self,
        record: &CredentialRecord,
        replacing: Option<usize>,
    ) -> Result<(), WalletError> {
        let own = self.binding()?.to_be_bytes();
        if !bool::from(record.attributes().binding.to_be_bytes().ct_eq(&own)) {
            return Err(WalletError::BindingMismatch);
        }
        if record.suite() != Suite::Groth16 && record.prover_blind().is_none() {
            return Err(WalletError::InvalidRecord {
                what: "credential",
                reason: "a BBS credential without its prover blind",
            });
        }
        for (i, other) in self.credentials.iter().enumerate() {
            if Some(i) == replacing {
                continue;
            }
            if other.netid() != record.netid() {
                return Err(WalletError::HolderMismatch);
            }
            if other.suite() == record.suite() && other.issuer_id() == record.issuer_id() {
                return Err(WalletError::InvalidRecord {
                    what: "credential",
                    reason: "duplicate issuer and suite",
                });
            }
        }
        Ok(())
    }

    /// The most recently issued credential (the holder's current name and 网号).
    fn latest(&self) -> Option<&CredentialRecord> {
        self.credentials.iter().max_by_key(|c| c.issued_at())
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// An open (decrypted) wallet on some [`Storage`].
///
/// Secrets (the device key, the AEAD key, the credentials' `nym`) are zeroized when the wallet
/// is dropped; `Debug` prints counts and the device public key only.
///
/// Saving is optimistic-concurrent: the wallet remembers a digest of the bytes it read or last
/// wrote, and [`save`](Self::save) refuses with [`WalletError::ModifiedConcurrently`] if the
/// stored bytes changed in between (another process saved). The check and the write are not
/// one atomic step, so two processes saving at the same instant can still lose one update,
/// never corrupt the file.
pub struct Wallet<S: Storage> {
    storage: S,
    contents: Contents,
    key: SealingKey,
    options: WalletOptions,
    stored_digest: [u8; 32],
}

impl<S: Storage> Wallet<S> {
    /// Creates a wallet with a new device key, encrypts it under `passphrase` with
    /// `options.kdf()` and a fresh salt, and stores it. `now`: Unix seconds.
    ///
    /// # Errors
    /// [`WalletError::AlreadyExists`] if `storage` already holds a wallet (or anything);
    /// [`WalletError::EmptyPassphrase`]; storage and randomness errors.
    pub fn create(
        mut storage: S,
        passphrase: &Passphrase,
        options: WalletOptions,
        now: u64,
    ) -> Result<Wallet<S>, WalletError> {
        if storage.load()?.is_some() {
            return Err(WalletError::AlreadyExists);
        }
        let key = SealingKey::generate(passphrase, options.kdf)?;
        let contents = Contents::new(now)?;
        let bytes = key.seal(contents.to_plaintext()?)?;
        storage.store(&bytes)?;
        Ok(Wallet {
            storage,
            contents,
            key,
            options,
            stored_digest: digest(&bytes),
        })
    }

    /// Opens (decrypts and validates) the wallet in `storage`.
    ///
    /// # Errors
    /// [`WalletError::NotFound`]; [`WalletError::WrongPassphrase`]; [`WalletError::Corrupt`]
    /// for a damaged, truncated or altered file; [`WalletError::UnsupportedVersion`];
    /// [`WalletError::WeakKdfParams`] below `options.kdf_floor()`;
    /// [`WalletError::InvalidKdfParams`]; storage errors.
    pub fn open(
        storage: S,
        passphrase: &Passphrase,
        options: WalletOptions,
    ) -> Result<Wallet<S>, WalletError> {
        let bytes = storage.load()?.ok_or(WalletError::NotFound)?;
        let (plaintext, key) = SealingKey::open(&bytes, passphrase, &options.kdf_floor)?;
        let contents = Contents::from_plaintext(&plaintext)?;
        Ok(Wallet {
            storage,
            contents,
            key,
            options,
            stored_digest: digest(&bytes),
        })
    }

    /// Encrypts the current contents under a fresh nonce (same key) and replaces the stored
    /// wallet atomically.
    ///
    /// # Errors
    /// [`WalletError::ModifiedConcurrently`] if another process changed the stored wallet
    /// since it was opened or last saved (nothing is written); storage errors (the stored
    /// wallet is then the old one, or the new one if only the final directory sync failed).
    pub fn save(&mut self) -> Result<(), WalletError> {
        let bytes = self.key.seal(self.contents.to_plaintext()?)?;
        self.write(&bytes)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), WalletError> {
        match self.storage.load()? {
            Some(current) if digest(&current) == self.stored_digest => {}
            _ => return Err(WalletError::ModifiedConcurrently),
        }
        let new_digest = digest(bytes);
        if let Err(e) = self.storage.store(bytes) {
            // If the replacement happened after all (e.g. only the directory sync failed),
            // remember it, so that the next save is not refused as a concurrent change.
            if let Ok(Some(now)) = self.storage.load() {
                if digest(&now) == new_digest {
                    self.stored_digest = new_digest;
                }
            }
            return Err(e);
        }
        self.stored_digest = new_digest;
        Ok(())
    }

    /// Re-encrypts the wallet under `new` (fresh salt, `options.kdf()` parameters) and saves it
    /// at once, with any unsaved changes. `current` must be the passphrase the wallet was
    /// opened with (checked in constant time), so an unlocked, unattended phone is not enough
    /// to change it.
    ///
    /// # Errors
    /// [`WalletError::WrongPassphrase`] for a wrong `current`; [`WalletError::EmptyPassphrase`];
    /// as [`save`](Self::save). On error the wallet stays under the old passphrase.
    pub fn change_passphrase(
        &mut self,
        current: &Passphrase,
        new: &Passphrase,
    ) -> Result<(), WalletError> {
        self.key.verify(current)?;
        let key = SealingKey::generate(new, self.options.kdf)?;
        let bytes = key.seal(self.contents.to_plaintext()?)?;
        self.write(&bytes)?;
        self.key = key;
        Ok(())
    }

    /// Closes the wallet (wiping its secrets) and returns the storage.
    pub fn close(self) -> S {
        self.storage
    }

    /// The storage.
    pub const fn storage(&self) -> &S {
        &self.storage
    }

    /// The options the wallet was opened or created with.
    pub const fn options(&self) -> WalletOptions {
        self.options
    }

    /// The Argon2id parameters the stored file uses.
    pub const fn kdf_params(&self) -> KdfParams {
        self.key.params()
    }

    /// When the wallet was created (Unix seconds).
    pub const fn created_at(&self) -> u64 {
        self.contents.created_at
    }

    /// The device key.
    pub const fn device_key(&self) -> &DeviceKey {
        &self.contents.device_key
    }

    /// The holder secret every credential of this wallet is bound to (never leaves the wallet:
    /// enrolment and refresh send only [`Wallet::holder_binding`] and commitments to it).
    pub const fn holder_secret(&self) -> &HolderSecret {
        &self.contents.holder_secret
    }

    /// The holder binding `Poseidon(s)`, sent at enrolment and refresh.
    ///
    /// # Errors
    /// [`WalletError::Internal`] (never for a valid secret).
    pub fn holder_binding(&self) -> Result<HolderBinding, WalletError> {
        self.contents.binding()
    }

    // --- credentials -------------------------------------------------------------------

    /// All credential records.
    pub fn credentials(&self) -> &[CredentialRecord] {
        &self.contents.credentials
    }

    /// The credential to present with `suite` on `today`: the most recently issued one that
    /// is active and unexpired.
    pub fn credential_for(&self, suite: Suite, today: Date) -> Option<&CredentialRecord> {
        self.contents
            .credentials
            .iter()
            .filter(|c| c.suite() == suite && c.is_usable_on(today))
            .max_by_key(|c| c.issued_at())
    }

    /// Adds a credential, replacing the record from the same issuer for the same suite (a
    /// refresh). The record must be bound to this wallet's device key and be for the same
    /// person (网号) as the other records.
    ///
    /// # Errors
    /// [`WalletError::BindingMismatch`]; [`WalletError::HolderMismatch`];
    /// [`WalletError::InvalidRecord`] if the wallet is full.
    pub fn put_credential(&mut self, record: CredentialRecord) -> Result<(), WalletError> {
        let existing = self.contents.position(record.suite(), record.issuer_id());
        self.contents.check_binding(&record, existing)?;
        match existing {
            Some(i) => self.contents.credentials[i] = record,
            None if self.contents.credentials.len() >= MAX_CREDENTIALS => {
                return Err(WalletError::InvalidRecord {
                    what: "credential",
                    reason: "the wallet holds the maximum number of credentials",
                })
            }
            None => self.contents.credentials.push(record),
        }
        Ok(())
    }

    /// Sets the status of the credential from `issuer_id` for `suite`; returns whether there
    /// was one.
    pub fn set_credential_status(
        &mut self,
        suite: Suite,
        issuer_id: &str,
        status: CredentialStatus,
    ) -> bool {
        match self.contents.position(suite, issuer_id) {
            Some(i) => {
                self.contents.credentials[i].set_status(status);
                true
            }
            None => false,
        }
    }

    /// Removes and returns the credential from `issuer_id` for `suite`.
    pub fn remove_credential(&mut self, suite: Suite, issuer_id: &str) -> Option<CredentialRecord> {
        let i = self.contents.position(suite, issuer_id)?;
        Some(self.contents.credentials.remove(i))
    }

    /// The holder's 网号 (from the most recently issued credential), if any credential is held.
    pub fn netid(&self) -> Option<&str> {
        self.contents.latest().map(CredentialRecord::netid)
    }

    /// The holder's name masked for display (`*丽`, see [`mask_name`]), if any credential is
    /// held.
    pub fn masked_name(&self) -> Option<String> {
        self.contents.latest().map(|c| {
            let a = c.attributes();
            mask_name(&a.family_name, &a.given_name)
        })
    }

    // --- wards -------------------------------------------------------------------------

    /// The metadata key pinned for the issuer at `url`, and the highest `(epoch, sequence)`
    /// accepted from it.
    pub fn issuer_pin(&self, url: &str) -> Option<&IssuerPin> {
        self.contents.issuers.iter().find(|p| p.url() == url)
    }

    /// Opens the issuer's signed metadata `signed`, fetched from `url` (specs/revocation.md
    /// §5): under the metadata key pinned for that issuer, or, on first use, under the key the
    /// document names, which is then pinned. A document older than the last one accepted (a
    /// lower epoch, or the same epoch and a lower sequence) is refused; an accepted one moves
    /// the pin forward. Save the wallet to keep the pin.
    ///
    /// # Errors
    /// [`WalletError::MetadataRefused`]: a bad signature, another key, a rollback; nothing
    /// changes then. [`WalletError::InvalidRecord`] for a bad URL, or past [`MAX_ISSUERS`]
    /// issuers.
    pub fn accept_metadata(
        &mut self,
        url: &str,
        signed: &SignedMetadata,
    ) -> Result<IssuerMetadata, WalletError> {
        self.accept_metadata_bridged(url, signed, &[])
    }

    /// [`Wallet::accept_metadata`] with the signed epoch records fetched for the epochs between
    /// the record the wallet holds and the document's (`bridge`, oldest first): the document's
    /// records must descend from the one held (specs/revocation.md §5), and the newest becomes
    /// the one held.
    ///
    /// # Errors
    /// [`WalletError::EpochGap`] when records between are missing (fetch them and call again);
    /// [`WalletError::MetadataRefused`] also for records that fork from the one held, or a
    /// document without records after one with them.
    pub fn accept_metadata_bridged(
        &mut self,
        url: &str,
        signed: &SignedMetadata,
        bridge: &[netid_core::SignedEpochRecord],
    ) -> Result<IssuerMetadata, WalletError> {
        let pinned = self.issuer_pin(url).cloned();
        let metadata = signed
            .open(pinned.as_ref().map(IssuerPin::metadata_key))
            .map_err(|e| WalletError::MetadataRefused(e.to_string()))?;
        let key: [u8; 32] = metadata
            .metadata_key
            .as_slice()
            .try_into()
            .map_err(|_| WalletError::MetadataRefused("metadata_key is not 32 bytes".into()))?;
        if let Some(p) = &pinned {
            if (metadata.epoch, metadata.sequence) < p.position() {
                let (e, q) = p.position();
                return Err(WalletError::MetadataRefused(format!(
                    "epoch {} sequence {} is older than the epoch {e} sequence {q} accepted \
                     before (a rollback)",
                    metadata.epoch, metadata.sequence
                )));
            }
        }
        let held = pinned.as_ref().and_then(IssuerPin::record);
        let record = metadata.follow(held, bridge).map_err(|e| match e {
            netid_core::CoreError::EpochGap { after, before } => {
                WalletError::EpochGap { after, before }
            }
            e => WalletError::MetadataRefused(e.to_string()),
        })?;
        let pin = IssuerPin::new(url, key, metadata.epoch, metadata.sequence)?.with_record(record);
        let full = self.contents.issuers.len() >= MAX_ISSUERS;
        match self.contents.issuers.iter_mut().find(|p| p.url() == url) {
            Some(p) => *p = pin,
            None if full => {
                return Err(WalletError::InvalidRecord {
                    what: "issuer pin",
                    reason: "too many issuers",
                })
            }
            None => self.contents.issuers.push(pin),
        }
        Ok(metadata)
    }

    /// The minors this holder is guardian of.
    pub fn wards(&self) -> &[Ward] {
        &self.contents.wards
    }

    /// Adds a ward, replacing the one with the same 网号.
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] if the ward's 网号 is the holder's own or the wallet is
    /// full.
    pub fn put_ward(&mut self, ward: Ward) -> Result<(), WalletError> {
        if self.netid() == Some(ward.netid()) {
            return Err(WalletError::InvalidRecord {
                what: "ward",
                reason: "a holder cannot be their own guardian",
            });
        }
        match self
            .contents
            .wards
            .iter()
            .position(|w| w.netid() == ward.netid())
        {
            Some(i) => self.contents.wards[i] = ward,
            None if self.contents.wards.len() >= MAX_WARDS => {
                return Err(WalletError::InvalidRecord {
                    what: "ward",
                    reason: "the wallet holds the maximum number of wards",
                })
            }
            None => self.contents.wards.push(ward),
        }
        Ok(())
    }

    /// The ward with 网号 `netid`, for updating its permissions.
    pub fn ward_mut(&mut self, netid: &str) -> Option<&mut Ward> {
        self.contents.wards.iter_mut().find(|w| w.netid() == netid)
    }

    /// Removes and returns the ward with 网号 `netid`.
    pub fn remove_ward(&mut self, netid: &str) -> Option<Ward> {
        let i = self
            .contents
            .wards
            .iter()
            .position(|w| w.netid() == netid)?;
        Some(self.contents.wards.remove(i))
    }

    // --- history -----------------------------------------------------------------------

    /// The presentation history, oldest first.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &HistoryEntry> + ExactSizeIterator {
        self.contents.history.iter()
    }

    /// Appends a history entry, dropping the oldest entries beyond the limit.
    pub fn record_presentation(&mut self, entry: HistoryEntry) {
        self.contents.history.push_back(entry);
        self.trim_history();
    }

    /// The most entries kept.
    pub const fn history_limit(&self) -> usize {
        self.contents.history_limit
    }

    /// Sets the most entries kept (0 keeps none), dropping the oldest beyond it.
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] above [`MAX_HISTORY_LIMIT`].
    pub fn set_history_limit(&mut self, limit: usize) -> Result<(), WalletError> {
        if limit > MAX_HISTORY_LIMIT {
            return Err(WalletError::InvalidRecord {
                what: "history limit",
                reason: "larger than 10000",
            });
        }
        self.contents.history_limit = limit;
        self.trim_history();
        Ok(())
    }

    /// Deletes the whole history.
    pub fn clear_history(&mut self) {
        self.contents.history.clear();
    }

    fn trim_history(&mut self) {
        while self.contents.history.len() > self.contents.history_limit {
            self.contents.history.pop_front();
        }
    }
}

impl<S: Storage + fmt::Debug> fmt::Debug for Wallet<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("storage", &self.storage)
            .field("kdf", &self.key.params())
            .field("device_key", &self.contents.device_key)
            .field("credentials", &self.contents.credentials.len())
            .field("wards", &self.contents.wards.len())
            .field("history", &self.contents.history.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;
    use crate::store::KdfParams;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    fn reseal(key: &SealingKey, json: &str) -> MemoryStorage {
        MemoryStorage::with_bytes(key.seal(Zeroizing::new(json.as_bytes().to_vec())).unwrap())
    }

    #[test]
    fn contents_format_and_validation() {
        let w = Wallet::create(
            MemoryStorage::new(),
            &pass("pw"),
            WalletOptions::insecure_for_tests(),
            7,
        )
        .unwrap();
        let json = String::from_utf8(w.contents.to_plaintext().unwrap().to_vec()).unwrap();
        assert!(json.starts_with("{\"format\":2,\"created_at\":7,\"device_key\":\""));
        assert!(json.contains("\"holder_secret\":\""));
        let key = SealingKey::derive(
            &pass("pw"),
            KdfParams::INSECURE_TESTING,
            w.key.salt_for_tests(),
        )
        .unwrap();
        let opts = WalletOptions::insecure_for_tests();

        // Unknown future format, and format 1 (before the holder secret): a clear version
        // error, not "corrupt".
        for v in [1, 3] {
            let other = json.replacen("\"format\":2", &format!("\"format\":{v}"), 1);
            assert!(matches!(
                Wallet::open(reseal(&key, &other), &pass("pw"), opts),
                Err(WalletError::UnsupportedVersion {
                    what: "contents",
                    version
                }) if version == v
            ));
        }
        // Well-encrypted but invalid contents.
        for bad in [
            "not json".to_owned(),
            "{}".to_owned(),
            json.replacen("\"history_limit\":500", "\"history_limit\":0", 1)
                .replacen("\"history\":[]", "\"history\":[{\"at\":1,\"app_id\":\"a\",\"app_name\":\"b\",\"suite\":\"groth16\",\"statements\":{\"today\":\"2026-03-01\"},\"pseudonym_tag\":null}]", 1),
            json.replacen("\"wards\":[]", "\"wards\":[], \"extra\":1", 1),
            json.replacen("\"history_limit\":500", "\"history_limit\":10001", 1),
        ] {
            let r = Wallet::open(reseal(&key, &bad), &pass("pw"), opts);
            assert!(matches!(r, Err(WalletError::Corrupt { .. })), "{r:?}");
        }
        // The unchanged JSON opens.
        Wallet::open(reseal(&key, &json), &pass("pw"), opts).unwrap();
    }

    #[test]
    fn debug_never_shows_the_holder_secret() {
        let w = Wallet::create(
            MemoryStorage::new(),
            &pass("pw"),
            WalletOptions::insecure_for_tests(),
            7,
        )
        .unwrap();
        let b64 = netid_core::b64::encode(w.holder_secret().expose_secret());
        let json = String::from_utf8(w.contents.to_plaintext().unwrap().to_vec()).unwrap();
        assert!(json.contains(&b64));
        for dbg in [
            format!("{w:?}"),
            format!("{w:#?}"),
            format!("{:?}", w.holder_secret()),
        ] {
            assert!(!dbg.contains(&b64), "{dbg}");
        }
        // Two wallets never share a secret.
        let v = Wallet::create(
            MemoryStorage::new(),
            &pass("pw"),
            WalletOptions::insecure_for_tests(),
            7,
        )
        .unwrap();
        assert_ne!(v.holder_secret(), w.holder_secret());
        assert_ne!(v.holder_binding().unwrap(), w.holder_binding().unwrap());
    }

    #[test]
    fn debug_never_shows_the_device_secret() {
        let w = Wallet::create(
            MemoryStorage::new(),
            &pass("pw"),
            WalletOptions::insecure_for_tests(),
            7,
        )
        .unwrap();
        let json = String::from_utf8(w.contents.to_plaintext().unwrap().to_vec()).unwrap();
        let start = json.find("\"device_key\":\"").unwrap() + "\"device_key\":\"".len();
        let secret_hex = &json[start..start + 64];
        assert!(secret_hex.bytes().all(|b| b.is_ascii_hexdigit()));
        for dbg in [
            format!("{w:?}"),
            format!("{:?}", w.device_key()),
            format!("{:?}", w.key),
            format!("{w:#?}"),
        ] {
            assert!(!dbg.contains(secret_hex), "{dbg}");
            assert!(!dbg.contains(&secret_hex.to_uppercase()), "{dbg}");
            assert!(
                !dbg.contains(&hex::encode(&w.key.key_for_tests()[..])),
                "{dbg}"
            );
        }
        // Nor do the error messages of a failed open.
        let bytes = w.storage().bytes().unwrap().to_vec();
        let e = Wallet::open(MemoryStorage::with_bytes(bytes), &pass("nope"), w.options())
            .err()
            .unwrap();
        assert!(!format!("{e:?} {e}").contains(secret_hex));
    }
}
