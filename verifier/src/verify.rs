//! Verifying presentations against the issuer's published metadata.
//!
//! A [`Verifier`] holds the issuer's metadata with every key decoded and validated once
//! ([`IssuerKeys`]), the requests it issued and not yet forgotten (its [`RequestStore`]: in
//! memory, or in Redis shared by all replicas), and a [`ReplayCache`]. [`Verifier::verify`] accepts a presentation only if
//!
//! 1. it answers a request this verifier registered, byte for byte, and that request has not
//!    expired ([`VerifierError::UnknownRequest`], [`VerifierError::Expired`]);
//! 2. its proof verifies in the suite it names, against the issuer's key for that suite (and,
//!    for Groth16, the issuer's current revocation root) ([`VerifierError::Rejected`], with no
//!    detail of what failed);
//! 3. the request's nonce is used for the first time, across all replicas sharing the replay
//!    cache ([`VerifierError::Replayed`]). The nonce is recorded only after the proof verified, so
//!    garbage sent by someone who saw the request cannot burn it.
//!
//! A presentation rejected in step 2 is counted on the request it names: the request's status
//! becomes [`RequestStatus::Rejected`] (for the operator's page), and it stays answerable until
//! it expires or has taken [`MAX_REJECTIONS`] rejected presentations; after that it is closed
//! and further presentations are refused unverified ([`VerifierError::Closed`]). The request id
//! is public (it is in the QR code), so without the cap anyone could make the verifier check
//! proofs for it without end.
//!
//! Proofs are checked on tokio's blocking pool, never on the async workers, at most
//! [`VerifyLimits::concurrent`] at once with at most [`VerifyLimits::queued`] waiting; a
//! presentation beyond that is refused at once with [`VerifierError::Busy`] (HTTP 503 with
//! `Retry-After`), so a flood of presentations cannot stall the service's other routes or grow
//! an unbounded queue. A presentation naming a request that already took a rejected one never
//! waits: it is verified only on an idle slot with nobody waiting, else refused as busy. Honest
//! wallets answer a request once, so repeated attempts on one request (someone who saw its QR
//! code sending garbage) use spare capacity only and never delay first attempts.
//!
//! The result, [`VerifiedClaims`], holds the app id, the suite, the proven statements, the
//! disclosed attributes and the pseudonym: nothing else.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use ark_bn254::Fr;
use ed25519_dalek::VerifyingKey;
use netid_bbs::netid::NetidBbs;
use netid_circuits::gadgets::eddsa;
use netid_circuits::keys::VerifierKey;
use netid_core::{
    verify_request, AssuranceLevel, Date, DisclosedAttributes, Groth16Setup, IssuerMetadata,
    Presentation, PresentationRequest, SignedMetadata, Suite,
};

use crate::error::{Result, VerifierError};
use crate::replay::ReplayCache;
use crate::store::{MemoryRequestStore, RequestRecord, RequestStore};

/// How long an answered or expired request stays queryable after its expiry.
pub const RETAIN_AFTER_EXPIRY: Duration = Duration::from_secs(10 * 60);

/// Rejected presentations a request takes before it is closed (see the module docs). A wallet
/// answers once; a few retries after a network error stay far below this.
pub const MAX_REJECTIONS: u32 = 8;

/// How many proof verifications run at once and how many may wait for a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Verifications at once (on the blocking pool). At least 1.
    pub concurrent: usize,
    /// Verifications waiting for a slot; one more is refused with [`VerifierError::Busy`].
    pub queued: usize,
}

impl Default for VerifyLimits {
    /// One verification per core, and four per core waiting (a BBS `full` presentation
    /// verifies in about 3 ms, so a full queue drains in about 12 ms).
    fn default() -> VerifyLimits {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        VerifyLimits {
            concurrent: cores,
            queued: 4 * cores,
        }
    }
}

/// The slots of [`VerifyLimits`].
struct VerifyPool {
    slots: Arc<Semaphore>,
    queued: usize,
    waiting: AtomicUsize,
}

/// Counts one waiter while alive (also when its future is dropped mid-wait).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl VerifyPool {
    fn new(limits: VerifyLimits) -> VerifyPool {
        VerifyPool {
            slots: Arc::new(Semaphore::new(limits.concurrent.max(1))),
            queued: limits.queued,
            waiting: AtomicUsize::new(0),
        }
    }

    /// A slot: at once if one is free, after waiting if fewer than `queued` already wait,
    /// else [`VerifierError::Busy`].
    async fn slot(&self) -> Result<OwnedSemaphorePermit> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Ok(p);
        }
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if before >= self.queued {
            return Err(VerifierError::Busy);
        }
        self.slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| VerifierError::Busy)
    }

    /// A slot only if one is idle and nobody waits, else [`VerifierError::Busy`] at once: for
    /// presentations naming a request that already took a rejected one (the attempts an
    /// attacker who saw the QR code makes), which thus use spare capacity only and never
    /// delay a first attempt.
    fn idle_slot(&self) -> Result<OwnedSemaphorePermit> {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            return Err(VerifierError::Busy);
        }
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| VerifierError::Busy)
    }
}

/// Which Groth16 verifying keys a verifier trusts (specs/groth16.md §7).
///
/// The default refuses netid's development keys: their trapdoor is public, so anyone can forge
/// a Groth16 presentation of any statement against them (tests/forgery in netid-circuits). A
/// refused key does not stop the verifier: the groth16 suite is then simply not accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Accept the development verifying key (demos and tests only: `--accept-dev-keys`).
    pub accept_dev_keys: bool,
    /// Pin the Groth16 verifying key to this fingerprint (SHA-256 of its canonical bytes, as
    /// `netid-circuits import-zkey` prints it). Without a pin, the first key adopted is pinned.
    pub groth16_vk_pin: Option<[u8; 32]>,
}

impl KeyPolicy {
    /// The policy for demos and tests: development keys accepted.
    pub fn development() -> KeyPolicy {
        KeyPolicy {
            accept_dev_keys: true,
            groth16_vk_pin: None,
        }
    }
}

/// The Groth16 suite's keys, when the verifier accepts them.
struct Groth16Keys {
    issuer: eddsa::PublicKey,
    vk: VerifierKey,
    fingerprint: [u8; 32],
}

/// The keys of one accepted epoch (specs/revocation.md §4).
struct EpochVerifyKeys {
    epoch: u64,
    bbs_sha256: netid_bbs::PublicKey,
    bbs_shake256: netid_bbs::PublicKey,
    revocation_root: Fr,
}

impl EpochVerifyKeys {
    fn decode(keys: &netid_core::EpochKeys) -> Result<EpochVerifyKeys> {
        let bad = |what: &str, e: &dyn fmt::Display| {
            VerifierError::InvalidMetadata(format!("{what} of epoch {}: {e}", keys.epoch))
        };
        Ok(EpochVerifyKeys {
            epoch: keys.epoch,
            bbs_sha256: netid_bbs::PublicKey::from_bytes(keys.bbs_sha256_public_key.as_slice())
                .map_err(|e| bad("bbs_sha256_public_key", &e))?,
            bbs_shake256: netid_bbs::PublicKey::from_bytes(keys.bbs_shake256_public_key.as_slice())
                .map_err(|e| bad("bbs_shake256_public_key", &e))?,
            revocation_root: netid_circuits::presentation::fr_from_bytes(
                keys.revocation_root.as_slice(),
                "revocation root",
            )
            .map_err(|e| bad("revocation_root", &e))?,
        })
    }
}

/// The issuer's metadata with every key decoded and validated.
pub struct IssuerKeys {
    metadata: IssuerMetadata,
    /// The current epoch's keys first, then the grace epochs' (newest first).
    epochs: Vec<EpochVerifyKeys>,
    groth16: Option<Groth16Keys>,
    groth16_refused: Option<String>,
    app_registry: VerifyingKey,
}

impl fmt::Debug for IssuerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKeys")
            .field("issuer_id", &self.metadata.issuer_id)
            .field("epoch", &self.metadata.epoch)
            .finish_non_exhaustive()
    }
}

impl IssuerKeys {
    /// Decodes and validates every key of `metadata` under `policy`: a development Groth16 key
    /// that the policy refuses leaves the groth16 suite off ([`IssuerKeys::groth16_refused`]
    /// says why); metadata that calls netid's development key a ceremony key, or a key that
    /// differs from the policy's pin, is refused whole.
    ///
    /// # Errors
    /// [`VerifierError::InvalidMetadata`] naming the field that does not decode.
    pub fn from_metadata(metadata: IssuerMetadata, policy: KeyPolicy) -> Result<IssuerKeys> {
        let bad = |what: &str, e: &dyn fmt::Display| {
            VerifierError::InvalidMetadata(format!("{what}: {e}"))
        };
        metadata
            .validate()
            .map_err(|e| VerifierError::InvalidMetadata(e.to_string()))?;
        let epochs = std::iter::once(metadata.epoch)
            .chain(metadata.previous_epochs.iter().map(|e| e.epoch))
            .map(|e| {
                metadata
                    .epoch_keys(e)
                    .ok_or_else(|| bad("previous_epochs", &"an epoch without keys"))
                    .and_then(|k| EpochVerifyKeys::decode(&k))
            })
            .collect::<Result<Vec<_>>>()?;
        let (groth16, groth16_refused) = match metadata.groth16_setup {
            Groth16Setup::None => (
                None,
                Some("the issuer does not offer the groth16 suite".into()),
            ),
            claimed => {
                let vk = VerifierKey::from_bytes(metadata.groth16_verifying_key.as_slice())
                    .map_err(|e| bad("groth16_verifying_key", &e))?;
                let fingerprint = vk
                    .fingerprint()
                    .map_err(|e| bad("groth16_verifying_key", &e))?;
                let dev = vk.is_development();
                if dev && claimed != Groth16Setup::Development {
                    return Err(VerifierError::InvalidMetadata(
                        "groth16_verifying_key is netid's development key, yet groth16_setup does \
                         not say so"
                            .into(),
                    ));
                }
                if policy.groth16_vk_pin.is_some_and(|pin| pin != fingerprint) {
                    return Err(VerifierError::InvalidMetadata(format!(
                        "groth16_verifying_key has fingerprint {}, not the pinned one",
                        hex::encode(fingerprint)
                    )));
                }
                if dev && !policy.accept_dev_keys {
                    (
                        None,
                        Some(
                            "the issuer runs development Groth16 keys (public trapdoor: anyone \
                             can forge proofs); start the verifier with --accept-dev-keys to \
                             accept them in a demo"
                                .into(),
                        ),
                    )
                } else {
                    let issuer =
                        eddsa::PublicKey::from_bytes(metadata.groth16_public_key.as_slice())
                            .map_err(|e| bad("groth16_public_key", &e))?;
                    (
                        Some(Groth16Keys {
                            issuer,
                            vk,
                            fingerprint,
                        }),
                        None,
                    )
                }
            }
        };
        let registry: [u8; 32] = metadata
            .app_registry_key
            .as_slice()
            .try_into()
            .map_err(|_| bad("app_registry_key", &"not 32 bytes"))?;
        let app_registry =
            VerifyingKey::from_bytes(&registry).map_err(|e| bad("app_registry_key", &e))?;
        Ok(IssuerKeys {
            metadata,
            epochs,
            groth16,
            groth16_refused,
            app_registry,
        })
    }

    /// The metadata these keys were decoded from.
    pub fn metadata(&self) -> &IssuerMetadata {
        &self.metadata
    }

    /// The app registry's key.
    pub fn app_registry(&self) -> &VerifyingKey {
        &self.app_registry
    }

    /// Whether Groth16 presentations are verified (the issuer offers the suite with keys the
    /// policy accepts).
    pub fn accepts_groth16(&self) -> bool {
        self.groth16.is_some()
    }

    /// Why the groth16 suite is off, when it is.
    pub fn groth16_refused(&self) -> Option<&str> {
        self.groth16_refused.as_deref()
    }

    /// Fingerprint of the accepted Groth16 verifying key.
    pub fn groth16_fingerprint(&self) -> Option<[u8; 32]> {
        self.groth16.as_ref().map(|g| g.fingerprint)
    }

    fn check_proof(
        &self,
        request: &PresentationRequest,
        presentation: &Presentation,
    ) -> Result<Option<Vec<u8>>> {
        // The epoch the presentation names (the current one when it names none) must be one
        // this metadata accepts: the current epoch or a grace epoch (specs/revocation.md §4).
        let epoch = presentation.epoch.unwrap_or(self.metadata.epoch);
        let Some(keys) = self.epochs.iter().find(|k| k.epoch == epoch) else {
            tracing::debug!(
                epoch,
                current = self.metadata.epoch,
                "presentation rejected: its epoch is not accepted"
            );
            return Err(VerifierError::Rejected);
        };
        match presentation.suite {
            Suite::BbsSha256 | Suite::BbsShake256 => {
                let pk = if presentation.suite == Suite::BbsSha256 {
                    &keys.bbs_sha256
                } else {
                    &keys.bbs_shake256
                };
                let bbs = NetidBbs::for_suite(presentation.suite).ok_or(VerifierError::Rejected)?;
                let v = bbs
                    .verify_presentation(pk, request, presentation)
                    .map_err(|e| {
                        tracing::debug!(suite = %presentation.suite, error = %e, "presentation rejected");
                        VerifierError::Rejected
                    })?;
                Ok(v.pseudonym.map(|p| p.to_vec()))
            }
            Suite::Groth16 => {
                let Some(g16) = &self.groth16 else {
                    tracing::debug!("groth16 presentation rejected: suite not accepted");
                    return Err(VerifierError::Rejected);
                };
                let v = netid_circuits::suite::verify(
                    &g16.vk,
                    &g16.issuer,
                    keys.revocation_root,
                    request,
                    presentation,
                )
                .map_err(|e| {
                    tracing::debug!(suite = "groth16", error = %e, "presentation rejected");
                    VerifierError::Rejected
                })?;
                Ok(v.pseudonym.map(|p| p.to_vec()))
            }
        }
    }
}

/// A per-app pseudonym: suite-specific bytes (a compressed G1 point for BBS, a little-endian
/// BN254 field element for Groth16). Stable for one person and one app, unlinkable across apps.
/// JSON and `Display`: lowercase hex.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Pseudonym(Vec<u8>);

impl Pseudonym {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl serde::Serialize for Pseudonym {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(&self.0))
    }
}

impl<'de> serde::Deserialize<'de> for Pseudonym {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Pseudonym, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        hex::decode(s)
            .map(Pseudonym)
            .map_err(serde::de::Error::custom)
    }
}

/// What an accepted presentation proves. Nothing else about the holder is learnt.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct VerifiedClaims {
    /// The app the presentation was made for.
    pub app_id: String,
    /// The suite of the proof.
    pub suite: Suite,
    /// The date the statements hold on.
    pub today: Date,
    /// Proven: the holder is at least this old on `today`.
    pub age_at_least: Option<u8>,
    /// Proven: the real-name assurance is at least this level.
    pub assurance_at_least: Option<AssuranceLevel>,
    /// Proven: the credential has not expired on `today`.
    pub not_expired: bool,
    /// Attributes the holder disclosed (exactly those asked).
    pub disclosed: DisclosedAttributes,
    /// The per-app pseudonym, if asked.
    pub pseudonym: Option<Pseudonym>,
}

/// A request's id: the hex of its request hash.
pub fn request_id(request: &PresentationRequest) -> String {
    hex::encode(request.request_hash())
}

/// Where a registered request stands.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestStatus {
    /// Not answered yet.
    Pending,
    /// Answered by an accepted presentation.
    Verified {
        /// What was proven.
        claims: VerifiedClaims,
    },
    /// Not answered yet, but the latest presentation(s) naming it were rejected. The request
    /// stays answerable until it expires: anyone who saw it (its QR code is public) can send
    /// garbage, which must not burn it, so a later valid presentation still turns it `verified`.
    Rejected {
        /// How many presentations naming this request were rejected so far.
        attempts: u32,
    },
    /// Expired without an accepted answer.
    Expired,
}

/// Verifies presentations for the requests it registered. Shareable (`Arc<Verifier>`).
pub struct Verifier {
    keys: RwLock<Arc<IssuerKeys>>,
    policy: KeyPolicy,
    /// The pinned Groth16 verifying key (the policy's, else the first one adopted).
    pin: Mutex<Option<[u8; 32]>>,
    replay: Arc<dyn ReplayCache>,
    requests: Arc<dyn RequestStore>,
    pool: VerifyPool,
    /// The issuer to fetch newer metadata from when a presentation names a newer epoch, and
    /// when that was last tried.
    catch_up: Option<(String, tokio::sync::Mutex<Option<std::time::Instant>>)>,
}

/// How often a verifier fetches the issuer's metadata because presentations name an epoch it
/// does not know yet, at most.
const CATCH_UP_EVERY: Duration = Duration::from_secs(1);

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for the issuer described by `metadata`, with `replay` as its replay cache,
    /// under the default [`KeyPolicy`] (development Groth16 keys refused).
    ///
    /// # Errors
    /// [`VerifierError::InvalidMetadata`].
    pub fn new(metadata: IssuerMetadata, replay: Arc<dyn ReplayCache>) -> Result<Verifier> {
        Verifier::with_policy(metadata, replay, KeyPolicy::default())
    }

    /// A verifier under `policy`. The Groth16 verifying key it adopts — now, or in the first
    /// later metadata that has one — is pinned: later metadata with another key, or without
    /// one, is refused ([`Verifier::update_metadata`]).
    ///
    /// # Errors
    /// [`VerifierError::InvalidMetadata`], also when the policy pins a key and the metadata
    /// offers no acceptable Groth16 key.
    pub fn with_policy(
        metadata: IssuerMetadata,
        replay: Arc<dyn ReplayCache>,
        policy: KeyPolicy,
    ) -> Result<Verifier> {
        let keys = IssuerKeys::from_metadata(metadata, policy)?;
        if let Some(why) = keys.groth16_refused() {
            tracing::warn!("groth16 suite not accepted: {why}");
        }
        if policy.groth16_vk_pin.is_some() && keys.groth16_fingerprint().is_none() {
            return Err(VerifierError::InvalidMetadata(format!(
                "a Groth16 verifying key is pinned, but the issuer's is not accepted: {}",
                keys.groth16_refused().unwrap_or("none published")
            )));
        }
        let pin = policy.groth16_vk_pin.or(keys.groth16_fingerprint());
        Ok(Verifier {
            keys: RwLock::new(Arc::new(keys)),
            policy,
            pin: Mutex::new(pin),
            replay,
            requests: Arc::new(MemoryRequestStore::new()),
            pool: VerifyPool::new(VerifyLimits::default()),
            catch_up: None,
        })
    }

    /// The same verifier fetching the metadata of `issuer_url` at once (at most once a second)
    /// when a presentation names an epoch later than the one in force: a wallet that refreshed
    /// right after a boundary is then not refused because this verifier's periodic refresh has
    /// not come yet (specs/revocation.md §4).
    pub fn with_catch_up(mut self, issuer_url: &str) -> Verifier {
        self.catch_up = Some((issuer_url.to_owned(), tokio::sync::Mutex::new(None)));
        self
    }

    /// Fetches newer metadata when `presentation` names an epoch after the one in force (see
    /// [`Verifier::with_catch_up`]). Failures are logged: the presentation is then checked
    /// against the metadata in force, which refuses it.
    async fn catch_up_with(&self, presentation: &Presentation) {
        let Some((url, last)) = &self.catch_up else {
            return;
        };
        let named = presentation.epoch.unwrap_or(0);
        if named <= self.keys().metadata().epoch {
            return;
        }
        let mut last = last.lock().await;
        // Another presentation may have caught up while this one waited.
        if named <= self.keys().metadata().epoch
            || last.is_some_and(|t| t.elapsed() < CATCH_UP_EVERY)
        {
            return;
        }
        *last = Some(std::time::Instant::now());
        match self.refresh_from(url).await {
            Ok(()) => tracing::info!(
                epoch = self.keys().metadata().epoch,
                "issuer metadata fetched: a presentation named a newer epoch"
            ),
            Err(e) => tracing::warn!(error = %e, "newer issuer metadata not adopted"),
        }
    }

    /// The same verifier with other [`VerifyLimits`] (the default: one verification per core,
    /// four per core waiting).
    pub fn with_verify_limits(mut self, limits: VerifyLimits) -> Verifier {
        self.pool = VerifyPool::new(limits);
        self
    }

    /// The same verifier keeping its requests in `store` (the default: a
    /// [`MemoryRequestStore`], which serves one process only).
    pub fn with_request_store(mut self, store: Arc<dyn RequestStore>) -> Verifier {
        self.requests = store;
        self
    }

    /// The current issuer keys.
    pub fn keys(&self) -> Arc<IssuerKeys> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// [`Verifier::update_metadata`] with metadata as the issuer serves it: signed by the
    /// metadata key of the metadata in force, else refused (and the old metadata stays).
    ///
    /// # Errors
    /// [`VerifierError::InvalidMetadata`]: a bad or missing signature, another key, or what
    /// [`Verifier::update_metadata`] refuses.
    pub fn update_signed_metadata(&self, signed: &SignedMetadata) -> Result<()> {
        self.update_signed_metadata_bridged(signed, &[])
    }

    /// [`Verifier::update_signed_metadata`] with the epoch records the verifier fetched for
    /// the epochs between the record it holds and the document's (`bridge`, oldest first):
    /// the document's records must descend from the one in force (specs/revocation.md §5).
    ///
    /// # Errors
    /// [`VerifierError::EpochGap`] when records between are missing (fetch them, as
    /// [`Verifier::refresh_from`] does); otherwise as [`Verifier::update_signed_metadata`],
    /// and [`VerifierError::InvalidMetadata`] for records that fork from the one in force.
    pub fn update_signed_metadata_bridged(
        &self,
        signed: &SignedMetadata,
        bridge: &[netid_core::SignedEpochRecord],
    ) -> Result<()> {
        let pinned: Option<[u8; 32]> = self
            .keys()
            .metadata()
            .metadata_key
            .as_slice()
            .try_into()
            .ok();
        let metadata = signed.open(pinned.as_ref()).map_err(|e| {
            let e = VerifierError::from_metadata(e);
            tracing::error!(error = %e, "issuer metadata refused; keeping the last good one");
            e
        })?;
        self.update_checked(metadata, Some(bridge))
    }

    /// Fetches the issuer's signed metadata from `issuer_url` and adopts it
    /// ([`Verifier::update_signed_metadata`]), first fetching the epoch records between the
    /// one in force and the document's when the document's own do not reach it (an issuer
    /// that sealed several epochs since the last refresh).
    ///
    /// # Errors
    /// [`VerifierError::Issuer`] when the issuer cannot be reached or answers badly; what
    /// [`Verifier::update_signed_metadata_bridged`] refuses.
    pub async fn refresh_from(&self, issuer_url: &str) -> Result<()> {
        let signed = crate::issuer::fetch_metadata(issuer_url).await?;
        match self.update_signed_metadata(&signed) {
            Err(VerifierError::EpochGap { after, before }) => {
                let bridge = crate::issuer::fetch_epoch_records(issuer_url, after, before).await?;
                self.update_signed_metadata_bridged(&signed, &bridge)
            }
            other => other,
        }
    }

    /// Replaces the cached metadata (after a refresh from the issuer: new revocation root or
    /// epoch). Validated first; on error the old metadata stays. A Groth16 verifying key other
    /// than the pinned one is refused (and logged): keys are never silently adopted. The
    /// caller vouches for the document (the issuer's own verifier, a test): its epoch records
    /// are validated but not linked to the record in force, which
    /// [`Verifier::update_signed_metadata`] does.
    ///
    /// # Errors
    /// [`VerifierError::InvalidMetadata`].
    pub fn update_metadata(&self, metadata: IssuerMetadata) -> Result<()> {
        self.update_checked(metadata, None)
    }

    /// [`Verifier::update_metadata`], and with `bridge` given, the check that the document's
    /// epoch records descend from the record in force (through the records of `bridge`).
    fn update_checked(
        &self,
        metadata: IssuerMetadata,
        bridge: Option<&[netid_core::SignedEpochRecord]>,
    ) -> Result<()> {
        // Held across the check and the update, so two refreshes cannot pin two keys.
        let mut pin = self.pin.lock().unwrap_or_else(|p| p.into_inner());
        // The metadata key of the first metadata is pinned, and the state only moves forward
        // (specs/revocation.md §5): a relay or a lagging replica cannot roll it back.
        let current = self.keys();
        let current = current.metadata();
        let refused = if metadata.metadata_key != current.metadata_key {
            Some("the issuer's metadata key changed".to_owned())
        } else if metadata.is_older_than(current) {
            Some(format!(
                "older (epoch {}, sequence {}) than the metadata in force (epoch {}, sequence {})",
                metadata.epoch, metadata.sequence, current.epoch, current.sequence
            ))
        } else if let Some(bridge) = bridge {
            // The record in force was checked when its document was adopted.
            let held = current.head().ok().flatten();
            match metadata.follow(held.as_ref(), bridge) {
                Ok(_) => None,
                Err(netid_core::CoreError::EpochGap { after, before }) => {
                    tracing::info!(after, before, "epoch records between are needed");
                    return Err(VerifierError::EpochGap { after, before });
                }
                Err(e) => Some(e.to_string()),
            }
        } else {
            None
        };
        if let Some(why) = refused {
            let e = VerifierError::InvalidMetadata(why);
            tracing::error!(error = %e, "issuer metadata refused; keeping the last good one");
            return Err(e);
        }
        let policy = KeyPolicy {
            groth16_vk_pin: *pin,
            ..self.policy
        };
        let keys = IssuerKeys::from_metadata(metadata, policy).inspect_err(|e| {
            tracing::error!(error = %e, "issuer metadata refused; keeping the last good one");
        })?;
        match (*pin, keys.groth16_fingerprint()) {
            (Some(_), None) => {
                let e = VerifierError::InvalidMetadata(
                    "the issuer no longer publishes the pinned Groth16 verifying key".into(),
                );
                tracing::error!(error = %e, "issuer metadata refused; keeping the last good one");
                return Err(e);
            }
            (None, Some(fp)) => {
                tracing::info!(fingerprint = %hex::encode(fp), "Groth16 verifying key pinned");
                *pin = Some(fp);
            }
            _ => {}
        }
        let keys = Arc::new(keys);
        match self.keys.write() {
            Ok(mut k) => *k = keys,
            Err(p) => *p.into_inner() = keys,
        }
        Ok(())
    }

    /// How long a request's record is kept from `now`: until its expiry plus
    /// [`RETAIN_AFTER_EXPIRY`].
    fn keep(request: &PresentationRequest, now: u64) -> Duration {
        Duration::from_secs(
            request
                .expires_at
                .saturating_sub(now)
                .saturating_add(RETAIN_AFTER_EXPIRY.as_secs()),
        )
    }

    async fn record(&self, id: &str) -> Result<Option<RequestRecord>> {
        let Some(hash) = hex::decode(id)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
        else {
            return Ok(None);
        };
        self.requests.get(hash).await
    }

    /// Registers a request this verifier sends out (after checking it as a wallet would: app
    /// certificate signed by the issuer's app registry, request signed by the certified app key,
    /// nothing asked beyond the certificate's policy, not expired). Returns its id.
    ///
    /// # Errors
    /// [`VerifierError::InvalidRequest`] / [`VerifierError::InvalidApp`];
    /// [`VerifierError::Busy`] when the request store is full; [`VerifierError::Store`].
    pub async fn register(&self, request: &PresentationRequest, now: u64) -> Result<String> {
        let keys = self.keys();
        verify_request(request, keys.app_registry(), now).map_err(|e| match e {
            netid_core::CoreError::InvalidAppCertificate(_) => {
                VerifierError::InvalidApp(e.to_string())
            }
            e => VerifierError::request(e),
        })?;
        let hash = request.request_hash();
        self.requests
            .insert(hash, request, Verifier::keep(request, now), now)
            .await?;
        Ok(hex::encode(hash))
    }

    /// The registered request with id `id` (hex request hash), if still known.
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    pub async fn request(&self, id: &str) -> Result<Option<PresentationRequest>> {
        Ok(self.record(id).await?.map(|r| r.request))
    }

    /// The request with id `id` and its status at `now`, if still known.
    ///
    /// # Errors
    /// [`VerifierError::Store`].
    pub async fn status(
        &self,
        id: &str,
        now: u64,
    ) -> Result<Option<(PresentationRequest, RequestStatus)>> {
        let Some(p) = self.record(id).await? else {
            return Ok(None);
        };
        let status = match &p.claims {
            Some(c) => RequestStatus::Verified { claims: c.clone() },
            None if p.request.is_expired_at(now) => RequestStatus::Expired,
            None if p.rejections > 0 => RequestStatus::Rejected {
                attempts: p.rejections,
            },
            None => RequestStatus::Pending,
        };
        Ok(Some((p.request, status)))
    }

    /// Verifies `presentation` as the answer to `request` at Unix time `now`; see the module
    /// docs for the checks.
    ///
    /// # Errors
    /// [`VerifierError::UnknownRequest`], [`VerifierError::Expired`],
    /// [`VerifierError::Closed`], [`VerifierError::Busy`], [`VerifierError::Rejected`],
    /// [`VerifierError::Replayed`], [`VerifierError::ReplayCache`].
    pub async fn verify(
        &self,
        request: &PresentationRequest,
        presentation: &Presentation,
        now: u64,
    ) -> Result<VerifiedClaims> {
        let hash = request.request_hash();
        let record = self
            .requests
            .get(hash)
            .await?
            .filter(|p| p.request == *request)
            .ok_or(VerifierError::UnknownRequest)?;
        self.verify_registered(hash, &record, presentation, now)
            .await
    }

    /// Verifies a presentation that arrives on its own: the request it answers is looked up by
    /// the presentation's `request_hash` among the registered ones; then as [`Verifier::verify`].
    ///
    /// # Errors
    /// As [`Verifier::verify`].
    pub async fn receive(&self, presentation: &Presentation, now: u64) -> Result<VerifiedClaims> {
        let record = self
            .requests
            .get(presentation.request_hash)
            .await?
            .ok_or(VerifierError::UnknownRequest)?;
        self.verify_registered(presentation.request_hash, &record, presentation, now)
            .await
    }

    async fn verify_registered(
        &self,
        hash: [u8; 32],
        record: &RequestRecord,
        presentation: &Presentation,
        now: u64,
    ) -> Result<VerifiedClaims> {
        let request = &record.request;
        if request.is_expired_at(now) {
            return Err(VerifierError::Expired);
        }

        if record.rejections >= MAX_REJECTIONS {
            return Err(VerifierError::Closed);
        }
        if presentation.request_hash == hash {
            self.catch_up_with(presentation).await;
        }
        // Fail closed (specs/revocation.md §5): past its validity the metadata in force can no
        // longer bound what was revoked, and a newer one could not be fetched.
        if let Some(until) = self.keys().metadata().valid_until() {
            if i64::try_from(now).unwrap_or(i64::MAX) >= until {
                return Err(VerifierError::Issuer(format!(
                    "the issuer's metadata expired at {until} and no newer one was fetched"
                )));
            }
        }
        let checked = if presentation.request_hash == hash {
            let slot = if record.rejections == 0 {
                self.pool.slot().await?
            } else {
                self.pool.idle_slot()?
            };
            let keys = self.keys();
            let (request, presentation) = (request.clone(), presentation.clone());
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                keys.check_proof(&request, &presentation)
            })
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "proof verification task failed");
                Err(VerifierError::Rejected)
            })
        } else {
            Err(VerifierError::Rejected)
        };
        let pseudonym = match checked {
            Ok(p) => p,
            Err(e) => {
                if matches!(e, VerifierError::Rejected) {
                    self.requests
                        .reject(hash, Verifier::keep(request, now))
                        .await?;
                }
                return Err(e);
            }
        };
        if !self
            .replay
            .check_and_insert(request.nonce.as_bytes(), Verifier::keep(request, now))
            .await?
        {
            return Err(VerifierError::Replayed);
        }
        let st = request.statements;
        let claims = VerifiedClaims {
            app_id: request.app_id.clone(),
            suite: presentation.suite,
            today: st.today,
            age_at_least: st.age_at_least,
            assurance_at_least: st.assurance_at_least,
            not_expired: st.not_expired,
            disclosed: presentation.disclosed.clone(),
            pseudonym: pseudonym.map(Pseudonym),
        };
        self.requests
            .complete(hash, &claims, Verifier::keep(request, now))
            .await?;
        tracing::info!(app_id = %claims.app_id, suite = %claims.suite, "presentation accepted");
        Ok(claims)
    }
}
