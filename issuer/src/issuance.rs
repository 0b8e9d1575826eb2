//! The issuer's flows over evidence, storage and keys (specs/issuer.md §9, specs/protocol.md):
//! enrolment, guardian approval and permissions, refresh, app registration, revocation, and the
//! published metadata.
//!
//! [`Issuer`] is what the HTTP service (and the in-process demo) call. Every flow checks its
//! input fully before it writes, writes in one storage transaction, and then updates the
//! revocation state: the Poseidon Merkle tree of the Groth16 suite (leaf 1 for every credential
//! that is no longer live) and the BBS key epoch (a new epoch, hence new BBS keys, after every
//! revocation; specs/revocation.md).

use std::sync::{Arc, RwLock};

use ed25519_dalek::{Signature, VerifyingKey};
use netid_circuits::gadgets::merkle::{RevocationTree, DEPTH};
use netid_circuits::keys::VerifierKey;
use netid_circuits::presentation::fr_to_bytes;
use netid_core::{
    AppCertificate, AppPolicy, Attribute, AttributeSet, CredentialAttributes, Date, DisclosedValue,
    Groth16Setup, IssuerMetadata, Presentation, PresentationRequest, Suite, METADATA_VERSION,
};
use netid_verifier::{App, KeyPolicy, MemoryReplayCache, Verifier, VerifierError};
use subtle::ConstantTimeEq;

use crate::api::{
    enrol_pop_message, refresh_pop_message, AppInfo, EnrolRequest, EnrolResponse, GuardianProof,
    IssuedCredential, RegisterAppRequest, RegisterAppResponse, RevocationPath, RevokeResponse,
    WardInfo, REFRESH_SKEW_SECS,
};
use crate::authority::IssuerSecrets;
use crate::clock::{today, Clock};
use crate::evidence::{
    ChallengeId, CodeSender, FaceCheck, FaceMatcher, PhoneChallenge, PhoneCodePolicy, PhoneNumber,
    PhoneVerifier, TrustedCardAuthorities,
};
use crate::keys::hmac_parts;
use crate::minors::{
    age_group, check_guardian, decide, minor_expiry_cap, Applicant, EnrolmentDecision,
    GuardianPerms,
};
use crate::netid_number::NetidNumber;
use crate::storage::{
    AppRecord, CredentialRecord, CredentialRequest, CredentialStatus, Enrolment, NewPerson,
    PersonId, PersonRecord, PersonStatus, Storage,
};
use crate::IssuerError;

/// App id under which the issuer asks guardians for presentations.
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
}

impl Default for IssuerConfig {
    fn default() -> Self {
        IssuerConfig {
            issuer_id: "netid-issuer".into(),
            credential_validity_days: 365,
            face_threshold: crate::evidence::face::DEFAULT_FACE_THRESHOLD,
            phone_policy: PhoneCodePolicy::default(),
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
    tree: RevocationTree,
    epoch: u64,
    metadata: IssuerMetadata,
}

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
    /// Device signatures of accepted refreshes, by time seen: a refresh request is single-use
    /// within its validity window (per process; specs/threat-model.md).
    refreshes_seen: std::sync::Mutex<std::collections::HashMap<[u8; 64], i64>>,
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

fn guardian_error(e: VerifierError) -> IssuerError {
    tracing::info!(error = %e, "guardian presentation refused");
    IssuerError::InvalidGuardian("the guardian's presentation was not accepted")
}

impl<S: Storage> Issuer<S> {
    /// Starts an issuer over `storage`: rebuilds the revocation tree from the stored credential
    /// states and registers the issuer's own app (for guardian presentations).
    ///
    /// # Errors
    /// Storage and key errors.
    pub async fn new(
        storage: S,
        secrets: IssuerSecrets,
        config: IssuerConfig,
        parts: IssuerParts,
    ) -> Result<Issuer<S>, IssuerError> {
        let revoked = storage.revoked_rev_indices().await?;
        let tree = RevocationTree::from_revoked(revoked.iter().map(|&i| u64::from(i)))
            .map_err(|_| IssuerError::KeyMismatch("stored revocation index outside the tree"))?;
        let epoch = storage.epoch().await?;
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
        let metadata = build_metadata(
            &secrets,
            &config,
            groth16_setup,
            &vk_bytes,
            &tree,
            epoch,
            now,
        )?;
        // The issuer checks guardians' presentations with its own keys: development keys only
        // when it was explicitly started on them.
        let policy = KeyPolicy {
            accept_dev_keys: groth16_setup == Groth16Setup::Development,
            groth16_vk_pin: None,
        };
        let guardians =
            Verifier::with_policy(metadata.clone(), Arc::new(MemoryReplayCache::new()), policy)
                .map_err(|_| IssuerError::KeyMismatch("own metadata does not load"))?;
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
                tree,
                epoch,
                metadata,
            }),
            rev_write: tokio::sync::Mutex::new(()),
            refreshes_seen: std::sync::Mutex::new(std::collections::HashMap::new()),
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

    /// The BBS digit signatures of `suite` for the current epoch (canonical bytes).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for the Groth16 suite.
    pub fn digit_signatures(&self, suite: Suite) -> Result<Vec<u8>, IssuerError> {
        let epoch = self.rev().epoch;
        let key = self.secrets.bbs_epoch_key(suite, epoch)?;
        Ok(key.digits()?.1.clone())
    }

    /// The authentication path of revocation slot `rev_index` in the current tree.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for an index outside the tree.
    pub fn revocation_path(&self, rev_index: u32) -> Result<RevocationPath, IssuerError> {
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

    /// Sends a confirmation code to `phone`.
    ///
    /// # Errors
    /// [`IssuerError::InvalidPhoneNumber`], storage and delivery errors.
    pub async fn start_phone(&self, phone: &str) -> Result<PhoneChallenge, IssuerError> {
        let phone = PhoneNumber::parse(phone)?;
        self.phone
            .start(&self.storage, &*self.sender, &phone, self.now())
            .await
    }

    /// Enrols a person from their evidence (specs/issuer.md §9.1). Checks, in order: the card
    /// (signature, trust, validity, ID number), the face, the device key's proof of possession,
    /// the phone code (consumed only when everything before passed), the minors rules (and the
    /// guardian's presentation), then stores the person and issues the credentials.
    ///
    /// # Errors
    /// Every evidence and policy error of [`IssuerError`].
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<EnrolResponse, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        let card = req.card.verify(&self.cards, today)?;
        self.face.check(&req.face, &card)?;
        let challenge = ChallengeId::parse(&req.phone.challenge_id)?;
        let device = VerifyingKey::from_bytes(&req.device_key)
            .map_err(|_| IssuerError::InvalidInput("device_key is not an Ed25519 public key"))?;
        device
            .verify_strict(
                &enrol_pop_message(challenge.as_bytes(), &req.device_key),
                &Signature::from_bytes(&req.device_signature),
            )
            .map_err(|_| IssuerError::InvalidInput("device_signature does not verify"))?;
        let suites = suites_or_all(&req.suites, self.groth16_setup)?;
        let applicant = if req.guardian.is_some() {
            Applicant::Guardian
        } else {
            Applicant::Holder
        };
        let decision = decide(card.birthdate(), today, applicant)?;
        let guardian = match &req.guardian {
            Some(g) => Some(self.guardian_from(g, card.birthdate(), None, today).await?),
            None => None,
        };
        self.phone
            .confirm(&self.storage, &challenge, &req.phone.code, now)
            .await?;

        let ids = self.secrets.identity().derive(card.id_number());
        let group = age_group(card.birthdate(), today)?;
        let status = match decision {
            EnrolmentDecision::Issue => PersonStatus::Active,
            EnrolmentDecision::AwaitGuardianApproval => PersonStatus::PendingGuardianApproval,
        };
        let stored_perms = if group.is_minor() {
            GuardianPerms::DEFAULT_MINOR
        } else {
            GuardianPerms::UNRESTRICTED
        };
        let device_digest = netid_core::device_key_digest(&req.device_key);
        let expiry = self.expiry(card.birthdate(), card.valid_until(), today)?;
        let first = (status == PersonStatus::Active).then(|| CredentialRequest {
            suite: suites[0],
            device_key: device_digest,
            expiry,
            guardian_perms: GuardianPerms::for_credential(group, stored_perms),
        });
        let outcome = self
            .storage
            .enrol_person(
                &Enrolment {
                    person: NewPerson {
                        id_hash: ids.id_hash,
                        netid: ids.netid.clone(),
                        family_name: card.family_name().to_owned(),
                        given_name: card.given_name().to_owned(),
                        birthdate: card.birthdate(),
                        doc_type: card.doc_type(),
                        assurance: netid_core::AssuranceLevel::Remote,
                        status,
                        guardian_perms: stored_perms,
                    },
                    guardian: guardian.map(|p| (p.id, req.guardian_rel())),
                    credential: first,
                },
                now,
            )
            .await?;
        let person = outcome.person;
        if person.netid != ids.netid || person.id_hash != ids.id_hash {
            return Err(IssuerError::KeyMismatch(
                "stored 网号 differs from the derived one",
            ));
        }
        let mut replaced = outcome.replaced;
        let mut issued = Vec::new();
        let mut ticket = None;
        match (person.status, outcome.credential) {
            (PersonStatus::Active, Some(first)) => {
                issued.push(first);
                for &suite in &suites[1..] {
                    let r = self
                        .storage
                        .issue_credential(
                            person.id,
                            &self.cred_request(
                                &person,
                                suite,
                                device_digest,
                                today,
                                Some(expiry),
                            )?,
                            now,
                        )
                        .await?;
                    replaced.extend(r.replaced);
                    issued.push(r.credential);
                }
            }
            (PersonStatus::PendingGuardianApproval, _) => {
                ticket = Some(self.ticket(person.id, &device_digest, now));
            }
            (PersonStatus::Suspended, _) => {
                return Err(IssuerError::NotAllowed("this enrolment is suspended"));
            }
            (PersonStatus::Active, None) => {
                // An existing active person re-enrolling while the request asked for nothing:
                // cannot happen (suites is never empty); issue as a refresh would.
                for &suite in &suites {
                    let r = self
                        .storage
                        .issue_credential(
                            person.id,
                            &self.cred_request(
                                &person,
                                suite,
                                device_digest,
                                today,
                                Some(expiry),
                            )?,
                            now,
                        )
                        .await?;
                    replaced.extend(r.replaced);
                    issued.push(r.credential);
                }
            }
        }
        self.apply_revocations(&replaced, now).await?;
        let credentials = self.sign_all(&person, &issued, ids.nym_ref())?;
        tracing::info!(
            person = person.id.0,
            created = outcome.created,
            credentials = credentials.len(),
            revoked = replaced.len(),
            "enrolment"
        );
        Ok(EnrolResponse {
            netid: person.netid.grouped(),
            status: person.status,
            created: outcome.created,
            credentials,
            ticket,
        })
    }

    fn expiry(
        &self,
        birthdate: Date,
        card_valid_until: Option<Date>,
        today: Date,
    ) -> Result<Date, IssuerError> {
        let mut expiry = today
            .checked_add_days(self.config.credential_validity_days)
            .ok_or(IssuerError::InvalidInput(
                "credential validity out of range",
            ))?;
        if let Some(cap) = minor_expiry_cap(birthdate, today) {
            expiry = expiry.min(cap);
        }
        if let Some(v) = card_valid_until {
            expiry = expiry.min(v);
        }
        Ok(expiry)
    }

    fn cred_request(
        &self,
        person: &PersonRecord,
        suite: Suite,
        device_key: [u8; 32],
        today: Date,
        expiry: Option<Date>,
    ) -> Result<CredentialRequest, IssuerError> {
        let group = age_group(person.birthdate, today)?;
        Ok(CredentialRequest {
            suite,
            device_key,
            expiry: match expiry {
                Some(e) => e,
                None => self.expiry(person.birthdate, None, today)?,
            },
            guardian_perms: GuardianPerms::for_credential(group, person.guardian_perms),
        })
    }

    fn sign_all(
        &self,
        person: &PersonRecord,
        issued: &[CredentialRecord],
        nym: &netid_core::Nym,
    ) -> Result<Vec<IssuedCredential>, IssuerError> {
        let epoch = self.rev().epoch;
        issued
            .iter()
            .map(|c| self.sign(person, c, nym, epoch))
            .collect()
    }

    fn sign(
        &self,
        person: &PersonRecord,
        cred: &CredentialRecord,
        nym: &netid_core::Nym,
        epoch: u64,
    ) -> Result<IssuedCredential, IssuerError> {
        if u64::from(cred.rev_index) >= 1u64 << DEPTH {
            return Err(IssuerError::Exhausted("revocation tree slots"));
        }
        let attributes = CredentialAttributes {
            netid: person.netid.as_str().to_owned(),
            family_name: person.family_name.clone(),
            given_name: person.given_name.clone(),
            id_hash: *person.id_hash.as_bytes(),
            birthdate: person.birthdate,
            doc_type: person.doc_type,
            assurance: person.assurance,
            nym: nym.clone(),
            device_key: cred.device_key,
            expiry: cred.expiry,
            rev_index: cred.rev_index,
            guardian_perms: cred.guardian_perms.bits(),
        };
        attributes.validate()?;
        fn sign_err<E>(_: E) -> IssuerError {
            IssuerError::Key {
                what: "credential signing failed",
                source: None,
            }
        }
        let signature = match cred.suite {
            Suite::Groth16 => {
                netid_circuits::suite::sign_credential(self.secrets.groth16(), &attributes)
                    .map_err(sign_err)?
                    .to_bytes()
                    .to_vec()
            }
            bbs => {
                let key = self.secrets.bbs_epoch_key(bbs, epoch)?;
                key.bbs
                    .issue(&key.sk, &key.pk, &attributes)
                    .map_err(sign_err)?
                    .to_bytes()
                    .to_vec()
            }
        };
        Ok(IssuedCredential {
            suite: cred.suite,
            issuer_id: self.config.issuer_id.clone(),
            attributes,
            signature,
            epoch,
        })
    }

    fn ticket(&self, person: PersonId, device: &[u8; 32], now: i64) -> String {
        let expires = now.saturating_add(TICKET_TTL_SECS);
        let mac = self.ticket_mac(person, device, expires);
        let mut t = Vec::with_capacity(32);
        t.extend_from_slice(&person.0.to_be_bytes());
        t.extend_from_slice(&expires.to_be_bytes());
        t.extend_from_slice(&mac);
        netid_core::b64::encode(t)
    }

    fn ticket_mac(&self, person: PersonId, device: &[u8; 32], expires: i64) -> [u8; 16] {
        let full = hmac_parts(
            self.secrets.ticket_key(),
            &[
                b"netid/v1/ticket",
                &person.0.to_be_bytes(),
                device,
                &expires.to_be_bytes(),
            ],
        );
        let mut mac = [0u8; 16];
        mac.copy_from_slice(&full[..16]);
        mac
    }

    fn check_ticket(
        &self,
        ticket: &str,
        person: PersonId,
        device: &[u8; 32],
        now: i64,
    ) -> Result<(), IssuerError> {
        let bad = IssuerError::NotAllowed("invalid or expired enrolment ticket");
        let raw = netid_core::b64::decode(ticket, "ticket")
            .map_err(|_| IssuerError::InvalidInput("ticket is not base64url"))?;
        if raw.len() != 32 {
            return Err(bad);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&raw[..8]);
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&raw[8..16]);
        let expires = i64::from_be_bytes(exp);
        let want = self.ticket_mac(PersonId(i64::from_be_bytes(id)), device, expires);
        if i64::from_be_bytes(id) != person.0
            || !bool::from(want.ct_eq(&raw[16..]))
            || now >= expires
        {
            return Err(bad);
        }
        Ok(())
    }

    /// Refreshes a holder's credentials (or issues the first ones after a guardian approved,
    /// with the ticket): authenticated by the device key the credentials are bound to.
    ///
    /// # Errors
    /// [`IssuerError::NotAllowed`] for a revoked device, a suspended or pending person, a bad
    /// signature or timestamp; [`IssuerError::NotFound`] for an unknown 网号.
    pub async fn refresh(
        &self,
        req: &crate::api::RefreshRequest,
    ) -> Result<EnrolResponse, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        if (req.timestamp - now).abs() > REFRESH_SKEW_SECS {
            return Err(IssuerError::NotAllowed(
                "timestamp too far from the issuer's clock",
            ));
        }
        let device = VerifyingKey::from_bytes(&req.device_key)
            .map_err(|_| IssuerError::InvalidInput("device_key is not an Ed25519 public key"))?;
        let netid = NetidNumber::parse(&req.netid)?;
        device
            .verify_strict(
                &refresh_pop_message(&req.netid, req.timestamp, &req.device_key),
                &Signature::from_bytes(&req.device_signature),
            )
            .map_err(|_| IssuerError::NotAllowed("device_signature does not verify"))?;
        {
            let mut seen = self
                .refreshes_seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            seen.retain(|_, at| now - *at <= 2 * REFRESH_SKEW_SECS);
            if seen.insert(req.device_signature, now).is_some() {
                return Err(IssuerError::NotAllowed("refresh request already used"));
            }
        }
        let suites = suites_or_all(&req.suites, self.groth16_setup)?;
        let person = self
            .storage
            .person_by_netid(&netid)
            .await?
            .ok_or(IssuerError::NotFound("person"))?;
        match person.status {
            PersonStatus::Active => {}
            PersonStatus::PendingGuardianApproval => {
                return Err(IssuerError::GuardianApprovalRequired)
            }
            PersonStatus::Suspended => {
                return Err(IssuerError::NotAllowed("this enrolment is suspended"))
            }
        }
        let digest = netid_core::device_key_digest(&req.device_key);
        let latest = self
            .storage
            .credentials_of(person.id)
            .await?
            .into_iter()
            .filter(|c| bool::from(c.device_key.ct_eq(&digest)))
            .max_by_key(|c| c.id);
        match (latest, &req.ticket) {
            (Some(c), _) if c.status != CredentialStatus::Revoked => {}
            (Some(_), _) => {
                return Err(IssuerError::NotAllowed(
                    "the credentials of this device were revoked; enrol again",
                ))
            }
            (None, Some(t)) => self.check_ticket(t, person.id, &digest, now)?,
            (None, None) => {
                return Err(IssuerError::NotAllowed(
                    "no credential was issued to this device",
                ))
            }
        }
        let nym =
            self.secrets
                .identity()
                .nym_of_netid(&person.netid)
                .ok_or(IssuerError::KeyMismatch(
                    "stored 网号 not made under this key",
                ))?;
        let mut issued = Vec::new();
        let mut replaced = Vec::new();
        for &suite in &suites {
            let r = self
                .storage
                .issue_credential(
                    person.id,
                    &self.cred_request(&person, suite, digest, today, None)?,
                    now,
                )
                .await?;
            replaced.extend(r.replaced);
            issued.push(r.credential);
        }
        self.apply_revocations(&replaced, now).await?;
        let credentials = self.sign_all(&person, &issued, &nym)?;
        Ok(EnrolResponse {
            netid: person.netid.grouped(),
            status: person.status,
            created: false,
            credentials,
            ticket: None,
        })
    }

    /// Updates the tree (every replaced credential leaves it) and, if any credential was
    /// revoked (not merely superseded), starts a new epoch; then republishes the metadata.
    async fn apply_revocations(
        &self,
        replaced: &[CredentialRecord],
        now: i64,
    ) -> Result<(), IssuerError> {
        if replaced.is_empty() {
            return Ok(());
        }
        let _w = self.rev_write.lock().await;
        let bump = replaced
            .iter()
            .any(|c| c.status == CredentialStatus::Revoked);
        let epoch = if bump {
            Some(self.storage.bump_epoch().await?)
        } else {
            None
        };
        let mut rev = self.rev.write().unwrap_or_else(|p| p.into_inner());
        for c in replaced {
            rev.tree
                .revoke(u64::from(c.rev_index))
                .map_err(|_| IssuerError::Exhausted("revocation tree slots"))?;
        }
        if let Some(e) = epoch {
            rev.epoch = rev.epoch.max(e);
        }
        rev.metadata = build_metadata(
            &self.secrets,
            &self.config,
            self.groth16_setup,
            &self.vk_bytes,
            &rev.tree,
            rev.epoch,
            now,
        )?;
        let metadata = rev.metadata.clone();
        drop(rev);
        self.guardians
            .update_metadata(metadata)
            .map_err(|_| IssuerError::KeyMismatch("own metadata does not load"))?;
        Ok(())
    }

    /// A fresh request a guardian's wallet answers to prove who they are (discloses the 网号,
    /// age ≥ 18, not expired), for the given suites (default: all).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a bad suite list.
    pub fn guardian_request(&self, suites: &[Suite]) -> Result<PresentationRequest, IssuerError> {
        let now = self.now();
        let suites = suites_or_all(suites, self.groth16_setup)?;
        let request = self
            .self_app
            .request(today(now)?)
            .age_at_least(18)
            .disclose(Attribute::Netid)
            .not_expired()
            .suites(&suites)
            .ttl(std::time::Duration::from_secs(GUARDIAN_REQUEST_TTL_SECS))
            .build(unix_u64(now))
            .map_err(|_| IssuerError::InvalidInput("cannot build the guardian request"))?;
        self.guardians
            .register(&request, unix_u64(now))
            .map_err(|_| IssuerError::InvalidInput("cannot register the guardian request"))?;
        Ok(request)
    }

    /// Verifies a guardian's presentation and returns the guardian's record.
    async fn verified_guardian(
        &self,
        presentation: &Presentation,
    ) -> Result<PersonRecord, IssuerError> {
        let now = self.now();
        let claims = self
            .guardians
            .receive(presentation, unix_u64(now))
            .await
            .map_err(guardian_error)?;
        if claims.age_at_least.unwrap_or(0) < 18 {
            return Err(IssuerError::InvalidGuardian(
                "the presentation must prove age 18",
            ));
        }
        let netid = match claims.disclosed.get(Attribute::Netid) {
            Some(DisclosedValue::Text(t)) => NetidNumber::parse(t)?,
            _ => {
                return Err(IssuerError::InvalidGuardian(
                    "the presentation must disclose the 网号",
                ))
            }
        };
        self.storage
            .person_by_netid(&netid)
            .await?
            .ok_or(IssuerError::InvalidGuardian("the guardian is not enrolled"))
    }

    async fn guardian_from(
        &self,
        proof: &GuardianProof,
        minor_birthdate: Date,
        minor: Option<PersonId>,
        today: Date,
    ) -> Result<PersonRecord, IssuerError> {
        let g = self.verified_guardian(&proof.presentation).await?;
        check_guardian(&g, minor_birthdate, minor, today)?;
        Ok(g)
    }

    /// A guardian approves a 14–17-year-old's pending enrolment; the relation is stored.
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`], [`IssuerError::NotFound`], [`IssuerError::NotAllowed`].
    pub async fn approve_minor(
        &self,
        minor_netid: &str,
        proof: &GuardianProof,
    ) -> Result<WardInfo, IssuerError> {
        let now = self.now();
        let today = today(now)?;
        let minor = self
            .storage
            .person_by_netid(&NetidNumber::parse(minor_netid)?)
            .await?
            .ok_or(IssuerError::NotFound("minor"))?;
        let g = self
            .guardian_from(proof, minor.birthdate, Some(minor.id), today)
            .await?;
        // Only a pending enrolment can gain a guardian this way; once a minor is active, a new
        // guardian link would let any adult who learns the minor's 网号 read and change their
        // permissions. An existing guardian approving again is idempotent.
        if minor.status != PersonStatus::PendingGuardianApproval {
            let already = self
                .storage
                .guardians_of(minor.id)
                .await?
                .iter()
                .any(|l| l.guardian == g.id);
            if !already {
                return Err(IssuerError::NotAllowed(
                    "this enrolment is not awaiting a guardian's approval",
                ));
            }
        }
        let minor = self
            .storage
            .approve_minor(minor.id, g.id, proof.relation, now)
            .await?;
        tracing::info!(minor = minor.id.0, guardian = g.id.0, "minor approved");
        Ok(ward_info(&minor, proof.relation))
    }

    /// The wards of the guardian who presents.
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`] and storage errors.
    pub async fn wards(&self, presentation: &Presentation) -> Result<Vec<WardInfo>, IssuerError> {
        let g = self.verified_guardian(presentation).await?;
        let mut out = Vec::new();
        for link in self.storage.wards_of(g.id).await? {
            if let Some(m) = self.storage.person(link.minor).await? {
                out.push(ward_info(&m, link.relation));
            }
        }
        Ok(out)
    }

    /// Sets the app categories a ward may use (signed into the ward's next credential).
    ///
    /// # Errors
    /// [`IssuerError::InvalidGuardian`] (not this minor's guardian), [`IssuerError::InvalidPermissions`].
    pub async fn set_permissions(
        &self,
        minor_netid: &str,
        categories: &[String],
        presentation: &Presentation,
    ) -> Result<WardInfo, IssuerError> {
        let now = self.now();
        let perms = GuardianPerms::from_names(categories.iter().map(String::as_str))?;
        let g = self.verified_guardian(presentation).await?;
        let minor = self
            .storage
            .person_by_netid(&NetidNumber::parse(minor_netid)?)
            .await?
            .ok_or(IssuerError::NotFound("minor"))?;
        let link = self
            .storage
            .guardians_of(minor.id)
            .await?
            .into_iter()
            .find(|l| l.guardian == g.id)
            .ok_or(IssuerError::InvalidGuardian("not a guardian of this minor"))?;
        let minor = self
            .storage
            .set_guardian_perms(minor.id, g.id, perms, now)
            .await?;
        Ok(ward_info(&minor, link.relation))
    }

    /// Registers an app and returns its signed certificate.
    ///
    /// # Errors
    /// [`IssuerError::Conflict`] for a duplicate id, [`IssuerError::InvalidInput`] for bad fields.
    pub async fn register_app(
        &self,
        req: &RegisterAppRequest,
    ) -> Result<RegisterAppResponse, IssuerError> {
        let now = self.now();
        if req.app_id == ISSUER_APP_ID {
            return Err(IssuerError::Conflict("app id reserved"));
        }
        if GuardianPerms::category(&req.category).is_none() {
            return Err(IssuerError::InvalidInput("unknown app category"));
        }
        VerifyingKey::from_bytes(&req.app_key)
            .map_err(|_| IssuerError::InvalidInput("app_key is not an Ed25519 public key"))?;
        let days = u64::from(req.valid_days.unwrap_or(365).clamp(1, 3650));
        let not_after = unix_u64(now).saturating_add(days * 86_400);
        let cert = AppCertificate::issue(
            self.secrets.registry(),
            &req.app_id,
            &req.name,
            &req.category,
            req.policy,
            req.app_key,
            not_after,
        )?;
        let certificate = cert.to_bytes();
        self.storage
            .register_app(&AppRecord {
                app_id: req.app_id.clone(),
                name: req.name.clone(),
                category: req.category.clone(),
                policy: req.policy,
                app_key: req.app_key,
                certificate: certificate.clone(),
                active: true,
                created_at: now,
            })
            .await?;
        tracing::info!(app = %req.app_id, "app registered");
        Ok(RegisterAppResponse {
            certificate,
            not_after,
        })
    }

    /// The registered apps.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn apps(&self) -> Result<Vec<AppInfo>, IssuerError> {
        Ok(self
            .storage
            .apps()
            .await?
            .into_iter()
            .map(|a| AppInfo {
                app_id: a.app_id,
                name: a.name,
                category: a.category,
                active: a.active,
            })
            .collect())
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
        let revoked = self
            .storage
            .revoke_person_credentials(person.id, now)
            .await?;
        self.apply_revocations(&revoked, now).await?;
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

impl EnrolRequest {
    fn guardian_rel(&self) -> crate::minors::GuardianRelation {
        self.guardian
            .as_ref()
            .map_or(crate::minors::GuardianRelation::Parent, |g| g.relation)
    }
}

impl crate::keys::PersonIdentifiers {
    fn nym_ref(&self) -> &netid_core::Nym {
        &self.nym
    }
}

fn ward_info(m: &PersonRecord, relation: crate::minors::GuardianRelation) -> WardInfo {
    let mut masked: String = "*".into();
    masked.push_str(&m.given_name);
    WardInfo {
        netid: m.netid.grouped(),
        masked_name: masked,
        relation,
        status: m.status,
        permissions: m.guardian_perms.bits(),
        categories: m
            .guardian_perms
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
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
fn issuer_app(secrets: &IssuerSecrets, now: i64) -> Result<App, IssuerError> {
    use rand_core_06::{OsRng, RngCore};
    let mut seed = zeroize::Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(&mut *seed);
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::Netid);
    let policy = AppPolicy {
        disclose,
        age: true,
        assurance: true,
        pseudonym: false,
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

fn build_metadata(
    secrets: &IssuerSecrets,
    config: &IssuerConfig,
    groth16_setup: Groth16Setup,
    vk_bytes: &[u8],
    tree: &RevocationTree,
    epoch: u64,
    now: i64,
) -> Result<IssuerMetadata, IssuerError> {
    let sha = secrets.bbs_epoch_key(Suite::BbsSha256, epoch)?;
    let shake = secrets.bbs_epoch_key(Suite::BbsShake256, epoch)?;
    Ok(IssuerMetadata {
        version: METADATA_VERSION,
        issuer_id: config.issuer_id.clone(),
        bbs_sha256_public_key: sha.pk.to_bytes().to_vec().into(),
        bbs_shake256_public_key: shake.pk.to_bytes().to_vec().into(),
        groth16_public_key: secrets.groth16().public_key().to_bytes().to_vec().into(),
        groth16_setup,
        groth16_verifying_key: vk_bytes.to_vec().into(),
        revocation_root: fr_to_bytes(&tree.root()).to_vec().into(),
        epoch,
        app_registry_key: secrets
            .registry()
            .verifying_key()
            .to_bytes()
            .to_vec()
            .into(),
        updated_at: unix_u64(now),
    })
}
