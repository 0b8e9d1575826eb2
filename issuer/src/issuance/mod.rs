//! The issuer's flows over evidence, storage and keys (specs/issuer.md, specs/protocol.md):
//! enrolment, guardian approval and permissions, refresh, app registration, revocation, and the
//! published metadata.
//!
//! [`Issuer`] is what the HTTP service (and the in-process demo) call. Every flow checks its
//! input fully before it writes, and writes in one storage transaction; a revocation is logged
//! in that transaction. Epochs run on a fixed clock (specs/revocation.md §2): at each boundary
//! one sealer ([`Issuer::seal_due`]) turns the log into the next epoch, whose Groth16 root (leaf
//! 1 for every revoked slot; the tree itself is stored, §3) and BBS keys every replica then
//! publishes.
//!
//! One file per flow of specs/protocol.md: `enrolment.rs` (§3), `guardians.rs` (§4), `registry.rs`
//! (§5), `refresh.rs` (§8), `revocation.rs` (§9), and `credentials.rs`, the signing they share. This
//! file holds the issuer's state, its start-up and the published metadata (§2).

use std::sync::{Arc, RwLock};

use netid_circuits::keys::VerifierKey;
use netid_core::b64::Bytes;
use netid_core::{
    AppCertificate, AppPolicy, Attribute, AttributeSet, EpochKeys, EpochRecord, Groth16Setup,
    IssuerMetadata, SignedEpochRecord, SignedMetadata, Suite, METADATA_VERSION,
};
use netid_verifier::{App, KeyPolicy, Verifier};

use crate::authority::IssuerSecrets;
use crate::clock::Clock;
use crate::evidence::{
    CodeSender, FaceCheck, FaceMatcher, PhoneCodePolicy, PhoneVerifier, TrustedCardAuthorities,
};
use crate::storage::shared::{StorageNonces, StorageRequests};
use crate::storage::{EpochDraft, EpochSchedule, EpochSigner, Storage};
use crate::IssuerError;

pub(crate) mod credentials;
mod enrolment;
mod guardians;
mod limits;
mod refresh;
mod registry;
mod revocation;

/// App id under which the issuer asks guardians for presentations.
pub use limits::RateLimits;
pub use netid_core::ISSUER_APP_ID;
/// Lifetime of an enrolment ticket, seconds.
pub const TICKET_TTL_SECS: i64 = 30 * 86_400;
/// Lifetime of a guardian request, seconds.
const GUARDIAN_REQUEST_TTL_SECS: u64 = 600;

/// Settings of an issuer.
#[derive(Clone, Debug)]
pub struct IssuerConfig {
    /// The issuer's identifier, published in its metadata.
    pub issuer_id: String,
    /// Days a credential stays valid (capped at the day before a minor's 18th birthday and at the
    /// card's end of validity).
    pub credential_validity_days: u32,
    /// Face-match acceptance threshold in `[0, 1]`.
    pub face_threshold: f32,
    /// Phone-code lifetime and attempt limit.
    pub phone_policy: PhoneCodePolicy,
    /// Rate limits.
    pub rate_limits: RateLimits,
    /// Seconds per epoch (specs/revocation.md §2), fixed when the first issuer starts on a
    /// database; an issuer configured otherwise refuses to start on it.
    pub epoch_secs: u32,
    /// Grace epochs `K` (specs/revocation.md §4): the metadata publishes the keys of the `K`
    /// epochs before the current one, and verifiers accept them, so a revoked credential is
    /// refused at most `(K+1)` epochs after its revocation. At most
    /// [`netid_core::MAX_GRACE_EPOCHS`].
    pub grace_epochs: u8,
    /// Epochs whose stored tree (roots and buckets) the sealer keeps, the current one included
    /// (specs/revocation.md §8); older ones are pruned after each seal and their buckets answer
    /// `410`. At least `grace_epochs + 1`.
    pub retain_epochs: u32,
}

/// The default number of epochs whose stored tree is kept: a month of day-long epochs.
pub const DEFAULT_RETAIN_EPOCHS: u32 = 30;

/// The default epoch length: a day.
pub const DEFAULT_EPOCH_SECS: u32 = 86_400;

impl Default for IssuerConfig {
    fn default() -> Self {
        IssuerConfig {
            issuer_id: "netid-issuer".into(),
            credential_validity_days: 365,
            face_threshold: crate::evidence::face::DEFAULT_FACE_THRESHOLD,
            phone_policy: PhoneCodePolicy::default(),
            rate_limits: RateLimits::default(),
            epoch_secs: DEFAULT_EPOCH_SECS,
            grace_epochs: 1,
            retain_epochs: DEFAULT_RETAIN_EPOCHS,
        }
    }
}

/// The pluggable parts of an issuer.
pub struct IssuerParts {
    /// Card-authority keys trusted for ID cards.
    pub card_authorities: TrustedCardAuthorities,
    /// The face matcher.
    pub face_matcher: Box<dyn FaceMatcher>,
    /// Delivers phone codes.
    pub code_sender: Arc<dyn CodeSender>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The Groth16 verifying key of the presentation circuit (published; checks guardian
    /// presentations); `None`: the groth16 suite is not offered.
    pub groth16_vk: Option<VerifierKey>,
}

struct RevState {
    /// The Groth16 revocation root at `epoch` (32 bytes, little-endian).
    root: [u8; 32],
    epoch: u64,
    /// The grace epochs before `epoch` and their roots, newest first.
    previous: Vec<(u64, [u8; 32])>,
    /// The database's `rev_version` this state reflects.
    version: u64,
    metadata: IssuerMetadata,
    /// `metadata` as published: its JSON signed by the metadata key.
    signed: SignedMetadata,
}

/// Domain label of the issuer app's key derivation (from the registry key).
const ISSUER_APP_KEY_LABEL: &[u8] = b"netid/v1/issuer-app-key";
/// Domain label of the metadata key's derivation (from the registry key).
const METADATA_KEY_LABEL: &[u8] = b"netid/v1/metadata-key";

/// An issuer: keys, evidence checks, storage and revocation state.
pub struct Issuer<S: Storage> {
    storage: S,
    secrets: IssuerSecrets,
    config: IssuerConfig,
    cards: TrustedCardAuthorities,
    face: FaceCheck<Box<dyn FaceMatcher>>,
    phone: PhoneVerifier,
    sender: Arc<dyn CodeSender>,
    clock: Arc<dyn Clock>,
    vk_bytes: Vec<u8>,
    groth16_setup: Groth16Setup,
    self_app: App,
    guardians: Verifier,
    schedule: EpochSchedule,
    rev: RwLock<RevState>,
    rev_write: tokio::sync::Mutex<()>,
}

impl<S: Storage> core::fmt::Debug for Issuer<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Issuer")
            .field("issuer_id", &self.config.issuer_id)
            .finish_non_exhaustive()
    }
}

fn unix_u64(now: i64) -> u64 {
    u64::try_from(now).unwrap_or(0)
}

impl<S: Storage> Issuer<S> {
    /// Starts an issuer over `storage`: reads the revocation root and epoch (hashing the logged
    /// revoked slots into the stored tree once, after the upgrade that added it) and registers
    /// the issuer's own app (for guardian presentations).
    ///
    /// # Errors
    /// Storage and key errors.
    pub async fn new(
        storage: S,
        secrets: IssuerSecrets,
        config: IssuerConfig,
        parts: IssuerParts,
    ) -> Result<Issuer<S>, IssuerError> {
        // The version first: a change made while the tree loads makes this state older than
        // the version says, and the next sync reloads it, never the reverse.
        if let Some(buckets) = storage.build_revocation_nodes().await? {
            tracing::info!(buckets, "revocation tree stored");
        }
        if usize::from(config.grace_epochs) > netid_core::MAX_GRACE_EPOCHS {
            return Err(IssuerError::InvalidInput("at most 8 grace epochs"));
        }
        if config.retain_epochs <= u32::from(config.grace_epochs) {
            return Err(IssuerError::InvalidInput(
                "the epochs retained must outnumber the grace epochs",
            ));
        }
        let schedule = storage
            .epoch_schedule(config.epoch_secs, parts.clock.now_unix())
            .await?;
        if schedule.length() != config.epoch_secs {
            tracing::error!(
                stored = schedule.length(),
                configured = config.epoch_secs,
                "epoch length differs from the database's"
            );
            return Err(IssuerError::InvalidInput(
                "the configured epoch length differs from the one this database was set up with \
                 (changing it is not supported)",
            ));
        }
        if storage
            .ensure_epoch_record(&RecordSigner::new(&secrets, schedule))
            .await?
        {
            tracing::info!("signed record of the current epoch written");
        }
        let rev_version = storage.revocation_version().await?;
        let stored = stored_revocations(&storage, config.grace_epochs).await?;
        let (vk_bytes, groth16_setup) = match &parts.groth16_vk {
            None => (Vec::new(), Groth16Setup::None),
            Some(vk) => (
                vk.to_bytes().map_err(|_| IssuerError::Key {
                    what: "Groth16 verifying key does not encode",
                    source: None,
                })?,
                if vk.is_development() {
                    Groth16Setup::Development
                } else {
                    Groth16Setup::Ceremony
                },
            ),
        };
        let now = parts.clock.now_unix();
        let self_app = issuer_app(&secrets, now)?;
        let face = FaceCheck::new(parts.face_matcher, config.face_threshold)?;
        let phone = PhoneVerifier::new(secrets.phone_code_key(), config.phone_policy)?;
        let (metadata, signed) = build_metadata(
            &secrets,
            &config,
            (groth16_setup, &vk_bytes),
            &stored,
            rev_version,
            schedule,
            now,
        )?;
        // The issuer checks guardians' presentations with its own keys: development keys only
        // when it was explicitly started on them.
        let policy = KeyPolicy {
            accept_dev_keys: groth16_setup == Groth16Setup::Development,
            groth16_vk_pin: None,
        };
        // Its requests and answered nonces live in the database, shared by all replicas.
        let nonces = Arc::new(StorageNonces::new(storage.clone(), parts.clock.clone()));
        let guardians = Verifier::with_policy(metadata.clone(), nonces, policy)
            .map_err(|_| IssuerError::KeyMismatch("own metadata does not load"))?
            .with_request_store(Arc::new(StorageRequests(storage.clone())));
        Ok(Issuer {
            storage,
            secrets,
            config,
            cards: parts.card_authorities,
            face,
            phone,
            sender: parts.code_sender,
            clock: parts.clock,
            vk_bytes,
            groth16_setup,
            self_app,
            guardians,
            schedule,
            rev: RwLock::new(RevState {
                root: stored.root,
                epoch: stored.epoch,
                previous: stored.previous,
                version: rev_version,
                metadata,
                signed,
            }),
            rev_write: tokio::sync::Mutex::new(()),
        })
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// The configuration.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    /// The current Unix time of the issuer's clock.
    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// The database's epoch schedule (specs/revocation.md §2).
    pub fn schedule(&self) -> EpochSchedule {
        self.schedule
    }

    fn rev(&self) -> std::sync::RwLockReadGuard<'_, RevState> {
        self.rev.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The published metadata: keys of both suites, revocation root and epoch.
    pub fn metadata(&self) -> IssuerMetadata {
        self.rev().metadata.clone()
    }

    /// [`Issuer::metadata`] as served: its JSON signed by the metadata key
    /// (`GET /v1/metadata`, specs/revocation.md §5).
    pub fn signed_metadata(&self) -> SignedMetadata {
        self.rev().signed.clone()
    }

    /// The BBS digit signatures of `suite` for `epoch` (the current one when `None`): the
    /// current epoch or one of its grace epochs (canonical bytes).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for the Groth16 suite; [`IssuerError::NotFound`] for an
    /// epoch that is neither.
    pub fn digit_signatures(
        &self,
        suite: Suite,
        epoch: Option<u64>,
    ) -> Result<Vec<u8>, IssuerError> {
        let epoch = {
            let rev = self.rev();
            match epoch {
                None => rev.epoch,
                Some(e) if e == rev.epoch || rev.previous.iter().any(|(p, _)| *p == e) => e,
                Some(_) => return Err(IssuerError::NotFound("digit signatures of that epoch")),
            }
        };
        let key = self.secrets.bbs_epoch_key(suite, epoch)?;
        Ok(key.digits()?.1.clone())
    }
}

impl crate::keys::PersonIdentifiers {
    fn nym_ref(&self) -> &netid_core::Nym {
        &self.nym
    }
}

/// The suites asked for (all offered ones when none are named).
fn suites_or_all(suites: &[Suite], groth16: Groth16Setup) -> Result<Vec<Suite>, IssuerError> {
    let offered = groth16 != Groth16Setup::None;
    if suites.is_empty() {
        let mut all = vec![Suite::BbsSha256, Suite::BbsShake256];
        if offered {
            all.push(Suite::Groth16);
        }
        return Ok(all);
    }
    let mut out: Vec<Suite> = Vec::new();
    for &s in suites {
        if out.contains(&s) {
            return Err(IssuerError::InvalidInput("a suite is listed twice"));
        }
        if s == Suite::Groth16 && !offered {
            return Err(IssuerError::InvalidInput(
                "this issuer does not offer the groth16 suite",
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// The certificate of the issuer's own app (asks guardians for their 网号 and age).
/// The revocation state as stored: the epoch, its root, the grace epochs' roots, and the
/// latest signed epoch records.
pub(super) struct StoredRevocations {
    pub(super) epoch: u64,
    pub(super) root: [u8; 32],
    pub(super) previous: Vec<(u64, [u8; 32])>,
    /// The records of `epoch` and the ones sealed before it, newest first (at most `K + 1`).
    pub(super) records: Vec<SignedEpochRecord>,
}

/// Signs epoch records with the issuer's metadata key (specs/revocation.md §5): the epoch's
/// start and length from the schedule, its BBS public keys derived from the BBS key. What
/// [`Storage::seal_epoch`] and [`Storage::ensure_epoch_record`] call inside their
/// transaction.
pub struct RecordSigner<'a> {
    secrets: &'a IssuerSecrets,
    schedule: EpochSchedule,
}

impl<'a> RecordSigner<'a> {
    /// The signer of the issuer with `secrets`, on the database's `schedule`.
    pub fn new(secrets: &'a IssuerSecrets, schedule: EpochSchedule) -> RecordSigner<'a> {
        RecordSigner { secrets, schedule }
    }

    /// The metadata key's public key, which checks the records.
    pub fn public_key(&self) -> [u8; 32] {
        metadata_key(self.secrets).verifying_key().to_bytes()
    }
}

impl EpochSigner for RecordSigner<'_> {
    fn sign(&self, d: &EpochDraft) -> Result<SignedEpochRecord, IssuerError> {
        let pk = |suite| -> Result<[u8; 96], IssuerError> {
            Ok(self.secrets.bbs_epoch_key(suite, d.epoch)?.pk.to_bytes())
        };
        let record = EpochRecord {
            epoch: d.epoch,
            start: self.schedule.start(d.epoch),
            length: self.schedule.length(),
            revocation_root: d.root,
            bbs_sha256_public_key: pk(Suite::BbsSha256)?,
            bbs_shake256_public_key: pk(Suite::BbsShake256)?,
            revoked_total: d.revoked_total,
            prev: d.prev,
        };
        Ok(record.sign(&metadata_key(self.secrets)))
    }
}

/// The stored epoch, the revocation root at it and at up to `grace` epochs before it (at
/// start, and after a seal): the epoch first, so the roots are that epoch's even while another
/// replica seals. An epoch from before the stored tree has no root and ends the grace list
/// (its root would be unknown, never the empty tree's).
async fn stored_revocations<S: Storage>(
    storage: &S,
    grace: u8,
) -> Result<StoredRevocations, IssuerError> {
    let epoch = storage.epoch().await?;
    let root = storage.revocation_root(epoch).await?;
    let mut previous = Vec::new();
    for k in 1..=u64::from(grace) {
        let Some(e) = epoch.checked_sub(k) else { break };
        match storage.revocation_root(e).await {
            Ok(r) => previous.push((e, r)),
            Err(IssuerError::NotFound(_) | IssuerError::Gone(_)) => break,
            Err(err) => return Err(err),
        }
    }
    let limit = u32::from(grace) + 1;
    let mut records = storage.epoch_records_to(epoch, limit).await?;
    let newest = records
        .first()
        .and_then(|r| EpochRecord::from_bytes(r.record.as_slice()).ok());
    if newest.is_none_or(|r| r.epoch != epoch || r.revocation_root != root) {
        // Only an epoch moved without a seal (a test's `bump_epoch`) lacks its record: such a
        // document carries none rather than one that contradicts it.
        tracing::warn!(
            epoch,
            "the epoch has no signed record; the metadata carries none"
        );
        records.clear();
    }
    Ok(StoredRevocations {
        epoch,
        root,
        previous,
        records,
    })
}

/// The issuer's own app (guardian requests). Its key derives from the registry key, so every
/// replica and every restart signs guardian requests with the same key.
fn issuer_app(secrets: &IssuerSecrets, now: i64) -> Result<App, IssuerError> {
    let key = registry_derived_key(secrets, ISSUER_APP_KEY_LABEL);
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::Netid);
    let policy = AppPolicy {
        disclose,
        age: true,
        assurance: true,
        pseudonym: false,
        pseudonym_suite: None,
        not_expired: true,
    };
    let cert = AppCertificate::issue(
        secrets.registry(),
        ISSUER_APP_ID,
        "网号签发方 netid issuer",
        "government",
        policy,
        key.verifying_key().to_bytes(),
        unix_u64(now).saturating_add(10 * 365 * 86_400),
    )?;
    App::new(&cert.to_bytes(), key)
        .map_err(|_| IssuerError::KeyMismatch("issuer app certificate does not load"))
}

/// The issuer's metadata key: derived from the registry key, so every replica and every
/// restart signs with the same key, and checked by the registry key's recorded fingerprint.
fn metadata_key(secrets: &IssuerSecrets) -> ed25519_dalek::SigningKey {
    registry_derived_key(secrets, METADATA_KEY_LABEL)
}

/// An Ed25519 key derived from the registry key under `label`:
/// `SHA-256(label ‖ registry secret)` as the seed. Every replica derives the same key, and the
/// registry key's recorded fingerprint covers it.
fn registry_derived_key(secrets: &IssuerSecrets, label: &[u8]) -> ed25519_dalek::SigningKey {
    use sha2::Digest as _;
    let seed = zeroize::Zeroizing::new(<[u8; 32]>::from(
        sha2::Sha256::new()
            .chain_update(label)
            .chain_update(secrets.registry().to_bytes())
            .finalize(),
    ));
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// The metadata of the revocation state `rev` at `sequence`, and the same signed.
fn build_metadata(
    secrets: &IssuerSecrets,
    config: &IssuerConfig,
    (groth16_setup, vk_bytes): (Groth16Setup, &[u8]),
    rev: &StoredRevocations,
    sequence: u64,
    schedule: EpochSchedule,
    now: i64,
) -> Result<(IssuerMetadata, SignedMetadata), IssuerError> {
    let bbs_keys = |epoch| -> Result<(Bytes, Bytes), IssuerError> {
        let sha = secrets.bbs_epoch_key(Suite::BbsSha256, epoch)?;
        let shake = secrets.bbs_epoch_key(Suite::BbsShake256, epoch)?;
        Ok((
            sha.pk.to_bytes().to_vec().into(),
            shake.pk.to_bytes().to_vec().into(),
        ))
    };
    let previous_epochs = rev
        .previous
        .iter()
        .map(|(epoch, root)| {
            let (sha, shake) = bbs_keys(*epoch)?;
            Ok(EpochKeys {
                epoch: *epoch,
                revocation_root: root.to_vec().into(),
                bbs_sha256_public_key: sha,
                bbs_shake256_public_key: shake,
            })
        })
        .collect::<Result<Vec<_>, IssuerError>>()?;
    let (sha, shake) = bbs_keys(rev.epoch)?;
    let key = metadata_key(secrets);
    let metadata = IssuerMetadata {
        version: METADATA_VERSION,
        issuer_id: config.issuer_id.clone(),
        bbs_sha256_public_key: sha,
        bbs_shake256_public_key: shake,
        groth16_public_key: secrets.groth16().public_key().to_bytes().to_vec().into(),
        groth16_setup,
        groth16_verifying_key: vk_bytes.to_vec().into(),
        revocation_root: rev.root.to_vec().into(),
        epoch: rev.epoch,
        app_registry_key: secrets
            .registry()
            .verifying_key()
            .to_bytes()
            .to_vec()
            .into(),
        updated_at: unix_u64(now),
        metadata_key: key.verifying_key().to_bytes().into(),
        sequence,
        epoch_start: schedule.start(rev.epoch),
        epoch_length: schedule.length(),
        grace_epochs: config.grace_epochs,
        previous_epochs,
        epoch_records: rev.records.clone(),
    };
    let signed = SignedMetadata::sign(&metadata, &key).map_err(|_| IssuerError::Key {
        what: "metadata signing failed",
        source: None,
    })?;
    Ok((metadata, signed))
}
