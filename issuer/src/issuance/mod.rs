//! The issuer's flows over evidence, storage and keys (specs/issuer.md, specs/protocol.md):
//! enrolment, guardian approval and permissions, refresh, app registration, revocation, and the
//! published metadata.
//!
//! [`Issuer`] is what the HTTP service (and the in-process demo) call. Every flow checks its
//! input fully before it writes, writes in one storage transaction, and then updates the
//! revocation state: the root of the Groth16 suite's Poseidon Merkle tree (leaf 1 for every
//! revoked slot; the tree itself is stored, specs/revocation.md §3) and the BBS key epoch (a new
//! epoch, hence new BBS keys, after every revocation; specs/revocation.md).
//!
//! One file per flow of specs/protocol.md: `enrolment.rs` (§3), `guardians.rs` (§4), `registry.rs`
//! (§5), `refresh.rs` (§8), `revocation.rs` (§9), and `credentials.rs`, the signing they share. This
//! file holds the issuer's state, its start-up and the published metadata (§2).

use std::sync::{Arc, RwLock};

use netid_circuits::keys::VerifierKey;
use netid_core::{
    AppCertificate, AppPolicy, Attribute, AttributeSet, Groth16Setup, IssuerMetadata,
    SignedMetadata, Suite, METADATA_VERSION,
};
use netid_verifier::{App, KeyPolicy, Verifier};

use crate::authority::IssuerSecrets;
use crate::clock::Clock;
use crate::evidence::{
    CodeSender, FaceCheck, FaceMatcher, PhoneCodePolicy, PhoneVerifier, TrustedCardAuthorities,
};
use crate::storage::shared::{StorageNonces, StorageRequests};
use crate::storage::Storage;
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
}

impl Default for IssuerConfig {
    fn default() -> Self {
        IssuerConfig {
            issuer_id: "netid-issuer".into(),
            credential_validity_days: 365,
            face_threshold: crate::evidence::face::DEFAULT_FACE_THRESHOLD,
            phone_policy: PhoneCodePolicy::default(),
            rate_limits: RateLimits::default(),
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
        let rev_version = storage.revocation_version().await?;
        let (root, epoch) = stored_revocations(&storage).await?;
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
            groth16_setup,
            &vk_bytes,
            &root,
            (epoch, rev_version),
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
            rev: RwLock::new(RevState {
                root,
                epoch,
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

    /// The BBS digit signatures of `suite` for the current epoch (canonical bytes).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for the Groth16 suite.
    pub fn digit_signatures(&self, suite: Suite) -> Result<Vec<u8>, IssuerError> {
        let epoch = self.rev().epoch;
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
/// The stored epoch and the revocation root at it (at start, and when another replica changed
/// them): the epoch first, so the root is the one of that epoch even while another replica
/// revokes.
async fn stored_revocations<S: Storage>(storage: &S) -> Result<([u8; 32], u64), IssuerError> {
    let epoch = storage.epoch().await?;
    Ok((storage.revocation_root(epoch).await?, epoch))
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

/// The metadata of revocation root `root` in `(epoch, sequence)`, and the same signed.
fn build_metadata(
    secrets: &IssuerSecrets,
    config: &IssuerConfig,
    groth16_setup: Groth16Setup,
    vk_bytes: &[u8],
    root: &[u8; 32],
    (epoch, sequence): (u64, u64),
    now: i64,
) -> Result<(IssuerMetadata, SignedMetadata), IssuerError> {
    let sha = secrets.bbs_epoch_key(Suite::BbsSha256, epoch)?;
    let shake = secrets.bbs_epoch_key(Suite::BbsShake256, epoch)?;
    let key = metadata_key(secrets);
    let metadata = IssuerMetadata {
        version: METADATA_VERSION,
        issuer_id: config.issuer_id.clone(),
        bbs_sha256_public_key: sha.pk.to_bytes().to_vec().into(),
        bbs_shake256_public_key: shake.pk.to_bytes().to_vec().into(),
        groth16_public_key: secrets.groth16().public_key().to_bytes().to_vec().into(),
        groth16_setup,
        groth16_verifying_key: vk_bytes.to_vec().into(),
        revocation_root: root.to_vec().into(),
        epoch,
        app_registry_key: secrets
            .registry()
            .verifying_key()
            .to_bytes()
            .to_vec()
            .into(),
        updated_at: unix_u64(now),
        metadata_key: key.verifying_key().to_bytes().into(),
        sequence,
    };
    let signed = SignedMetadata::sign(&metadata, &key).map_err(|_| IssuerError::Key {
        what: "metadata signing failed",
        source: None,
    })?;
    Ok((metadata, signed))
}
