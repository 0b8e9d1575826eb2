//! The issuer's signing keys for both proof suites and the app registry, loaded from (or created
//! in) a key directory (specs/issuer.md §8).
//!
//! | file | what | used for |
//! |---|---|---|
//! | `netid.key` | `K_n` | 网号, `id_hash`, phone-code and ticket MACs |
//! | `nym.key` | `K_y` | `nym` (keep on another volume or in an HSM in production) |
//! | `bbs.key` | BBS key material | per-epoch BBS keys `KeyGen(material, "netid/v1/bbs-epoch" ‖ suite ‖ epoch)` |
//! | `groth16.key` | EdDSA-Poseidon seed | Groth16-suite credential signatures |
//! | `registry.key` | Ed25519 seed | app certificates |
//!
//! Every file is 32 random bytes as hex, mode 0600, created atomically on first start and
//! validated on every load ([`crate::keys::load_or_generate_key_file`]).
//!
//! **BBS epochs.** A BBS presentation carries no non-revocation proof, so the BBS key itself is
//! per epoch: every revocation starts a new epoch, the metadata publishes the new public keys,
//! and wallets refresh their credential under them (a revoked person's refresh is refused). The
//! keys of epoch `e` are derived deterministically from the key material, so nothing per epoch is
//! stored. The digit signatures the range proofs need (256 BBS signatures per key) are made on
//! first request and cached.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use ed25519_dalek::SigningKey;
use netid_bbs::netid::{DigitSignatures, NetidBbs};
use netid_bbs::Ciphersuite;
use netid_circuits::gadgets::eddsa;
use netid_core::{SecretKeyBytes, Suite};
use zeroize::Zeroizing;

use crate::keys::{hmac_parts, load_or_generate_key_file, IdentityKeys, NymKey, PhoneCodeKey};
use crate::netid_number::NetidKey;
use crate::IssuerError;

/// Label of the per-epoch BBS key derivation.
const BBS_EPOCH_INFO: &[u8] = b"netid/v1/bbs-epoch";
/// Label of the enrolment-ticket MAC key derivation.
const TICKET_KEY_LABEL: &[u8] = b"netid/v1/ticket-key";

/// The BBS key of one suite and epoch, with its digit signatures.
pub struct EpochKey {
    /// The suite's netid BBS interface.
    pub bbs: NetidBbs,
    /// Secret key of the epoch.
    pub sk: netid_bbs::SecretKey,
    /// Public key of the epoch.
    pub pk: netid_bbs::PublicKey,
    digits: OnceLock<(DigitSignatures, Vec<u8>)>,
}

impl EpochKey {
    /// The issuer's signatures on the digits 0..=255 that the range proofs use, and their
    /// canonical encoding (served to wallets). Made on first use (256 BBS signatures).
    ///
    /// # Errors
    /// [`IssuerError::Key`] if signing fails.
    pub fn digits(&self) -> Result<&(DigitSignatures, Vec<u8>), IssuerError> {
        if let Some(d) = self.digits.get() {
            return Ok(d);
        }
        let digits =
            self.bbs
                .digit_signatures(&self.sk, &self.pk)
                .map_err(|_| IssuerError::Key {
                    what: "BBS digit signatures failed",
                    source: None,
                })?;
        let bytes = digits.to_bytes();
        Ok(self.digits.get_or_init(|| (digits, bytes)))
    }
}

impl core::fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EpochKey").finish_non_exhaustive()
    }
}

/// All secret keys of an issuer. `Debug` is redacted.
pub struct IssuerSecrets {
    identity: IdentityKeys,
    phone: SecretKeyBytes,
    ticket: SecretKeyBytes,
    bbs_material: SecretKeyBytes,
    groth16: eddsa::SecretKey,
    registry: SigningKey,
    fingerprints: [(&'static str, [u8; 32]); 5],
    epochs: Mutex<HashMap<(Suite, u64), Arc<EpochKey>>>,
}

/// The key files of an issuer, in the order [`IssuerSecrets::fingerprints`] lists them.
pub const KEY_FILES: [&str; 5] = [
    "netid.key",
    "nym.key",
    "bbs.key",
    "groth16.key",
    "registry.key",
];

/// `SHA-256("netid/v1/key-fingerprint" ‖ u8(len(name)) ‖ name ‖ key)`: names a secret key
/// without revealing anything about it (the key is 256 bits of randomness).
fn fingerprint(name: &str, key: &SecretKeyBytes) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::new()
        .chain_update(b"netid/v1/key-fingerprint")
        .chain_update([u8::try_from(name.len()).unwrap_or(u8::MAX)])
        .chain_update(name.as_bytes())
        .chain_update(key.expose_secret())
        .finalize()
        .into()
}

impl core::fmt::Debug for IssuerSecrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("IssuerSecrets(<redacted>)")
    }
}

impl IssuerSecrets {
    /// Loads the five key files from `dir`, creating the directory (mode 0700) and any missing
    /// file with a fresh random key. Returns the keys and the names of the files it created.
    ///
    /// # Errors
    /// [`IssuerError::Key`] for unreadable, malformed or too-open files.
    pub fn load_or_generate(dir: &Path) -> Result<(IssuerSecrets, Vec<&'static str>), IssuerError> {
        create_private_dir(dir)?;
        let mut created = Vec::new();
        let mut load = |name: &'static str| -> Result<SecretKeyBytes, IssuerError> {
            let (key, new) = load_or_generate_key_file(&dir.join(name))?;
            if new {
                created.push(name);
            }
            Ok(key)
        };
        let netid = load(KEY_FILES[0])?;
        let nym = load(KEY_FILES[1])?;
        let bbs = load(KEY_FILES[2])?;
        let groth16 = load(KEY_FILES[3])?;
        let registry = load(KEY_FILES[4])?;
        Ok((
            IssuerSecrets::from_keys(netid, nym, bbs, groth16, registry),
            created,
        ))
    }

    /// From the five 32-byte keys (tests and the in-process demo use fresh random ones).
    pub fn from_keys(
        netid: SecretKeyBytes,
        nym: SecretKeyBytes,
        bbs: SecretKeyBytes,
        groth16: SecretKeyBytes,
        registry: SecretKeyBytes,
    ) -> IssuerSecrets {
        let fingerprints = [
            (KEY_FILES[0], fingerprint(KEY_FILES[0], &netid)),
            (KEY_FILES[1], fingerprint(KEY_FILES[1], &nym)),
            (KEY_FILES[2], fingerprint(KEY_FILES[2], &bbs)),
            (KEY_FILES[3], fingerprint(KEY_FILES[3], &groth16)),
            (KEY_FILES[4], fingerprint(KEY_FILES[4], &registry)),
        ];
        let netid_key = NetidKey::from_secret(netid);
        let phone = PhoneCodeKey::derive(&netid_key);
        let ticket =
            SecretKeyBytes::new(hmac_parts(netid_key.secret(), &[TICKET_KEY_LABEL, b"/key"]));
        let identity = IdentityKeys::new(netid_key, NymKey::from_secret(nym));
        IssuerSecrets {
            identity,
            phone: SecretKeyBytes::new(*phone.secret()),
            ticket,
            bbs_material: bbs,
            groth16: eddsa::SecretKey::from_bytes(*groth16.expose_secret()),
            registry: SigningKey::from_bytes(registry.expose_secret()),
            fingerprints,
            epochs: Mutex::new(HashMap::new()),
        }
    }

    /// Fresh random keys, nothing on disk.
    pub fn generate() -> IssuerSecrets {
        use crate::keys::random_key;
        IssuerSecrets::from_keys(
            random_key(),
            random_key(),
            random_key(),
            random_key(),
            random_key(),
        )
    }

    /// Each key file's name and the fingerprint of its key, as recorded in the database at the
    /// first start (specs/issuer.md §10).
    pub fn fingerprints(&self) -> &[(&'static str, [u8; 32]); 5] {
        &self.fingerprints
    }

    /// The identity keys (网号, `id_hash`, nym).
    pub fn identity(&self) -> &IdentityKeys {
        &self.identity
    }

    /// The phone-code MAC key.
    pub fn phone_code_key(&self) -> PhoneCodeKey {
        PhoneCodeKey::new(*self.phone.expose_secret())
    }

    /// The MAC key of enrolment tickets.
    pub(crate) fn ticket_key(&self) -> &[u8; 32] {
        self.ticket.expose_secret()
    }

    /// The Groth16-suite EdDSA key.
    pub fn groth16(&self) -> &eddsa::SecretKey {
        &self.groth16
    }

    /// The app-registry key.
    pub fn registry(&self) -> &SigningKey {
        &self.registry
    }

    /// The BBS key of `suite` (a BBS suite) in `epoch`, derived on first use and cached .
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for the Groth16 suite; [`IssuerError::Key`] if derivation
    /// fails (probability ~2^-255).
    pub fn bbs_epoch_key(&self, suite: Suite, epoch: u64) -> Result<Arc<EpochKey>, IssuerError> {
        if let Some(k) = self.epochs_lock().get(&(suite, epoch)) {
            return Ok(k.clone());
        }
        let bbs = NetidBbs::for_suite(suite).ok_or(IssuerError::InvalidInput("not a BBS suite"))?;
        let cs: Ciphersuite = bbs.ciphersuite();
        let info = Zeroizing::new(
            [
                BBS_EPOCH_INFO,
                b"/",
                &[suite.code()],
                b"/",
                &epoch.to_be_bytes(),
            ]
            .concat(),
        );
        let key_err = |_| IssuerError::Key {
            what: "BBS key derivation failed",
            source: None,
        };
        let sk = netid_bbs::SecretKey::keygen(cs, self.bbs_material.expose_secret(), &info, None)
            .map_err(key_err)?;
        let pk = sk.public_key();
        let key = Arc::new(EpochKey {
            bbs,
            sk,
            pk,
            digits: OnceLock::new(),
        });
        let mut cache = self.epochs_lock();
        // Keep the current epoch and the most grace epochs of each suite (specs/revocation.md
        // §4); callers ask only for those.
        let kept = u64::try_from(netid_core::MAX_GRACE_EPOCHS).unwrap_or(u64::MAX);
        cache.retain(|(s, e), _| *s != suite || e.saturating_add(kept) >= epoch);
        Ok(cache.entry((suite, epoch)).or_insert(key).clone())
    }

    fn epochs_lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Suite, u64), Arc<EpochKey>>> {
        self.epochs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn create_private_dir(dir: &Path) -> Result<(), IssuerError> {
    let io = |source| IssuerError::Key {
        what: "cannot create the key directory",
        source: Some(source),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(io)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn key_directory_round_trip_and_epoch_keys() {
        let dir = tempfile::tempdir().unwrap();
        let kd = dir.path().join("keys");
        let (a, created) = IssuerSecrets::load_or_generate(&kd).unwrap();
        assert_eq!(created.len(), 5);
        let (b, created) = IssuerSecrets::load_or_generate(&kd).unwrap();
        assert!(created.is_empty());
        assert_eq!(a.registry().verifying_key(), b.registry().verifying_key());
        let a0 = a.bbs_epoch_key(Suite::BbsSha256, 0).unwrap();
        let b0 = b.bbs_epoch_key(Suite::BbsSha256, 0).unwrap();
        assert_eq!(a0.pk.to_bytes(), b0.pk.to_bytes());
        let a1 = a.bbs_epoch_key(Suite::BbsSha256, 1).unwrap();
        assert_ne!(a0.pk.to_bytes(), a1.pk.to_bytes());
        let s0 = a.bbs_epoch_key(Suite::BbsShake256, 0).unwrap();
        assert_ne!(a0.pk.to_bytes(), s0.pk.to_bytes());
        assert!(a.bbs_epoch_key(Suite::Groth16, 0).is_err());
        assert_eq!(format!("{a:?}"), "IssuerSecrets(<redacted>)");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(kd.join("nym.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0);
        }
    }
}
