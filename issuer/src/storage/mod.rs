//! The issuer's storage: a [`Storage`] trait and its two SQL implementations,
//! [`SqliteStorage`] (embedded default: one file, WAL, `synchronous=FULL`) and
//! [`PostgresStorage`] (scale-out), chosen from a URL by [`AnyStorage::connect`]
//! (specs/issuer.md §7).
//!
//! Both backends run the same SQL (`$n` placeholders work in both) from one source file and pass
//! the same test suite (`tests/storage.rs`). What must be atomic is: enrolment (person upsert,
//! guardian relation and first credential in one transaction; idempotent under concurrency
//! through `UNIQUE(id_hash)`, `UNIQUE(netid)` and `INSERT … ON CONFLICT`), issuance (the person
//! row is locked, earlier live credentials are revoked or superseded, a revocation index is taken
//! from a counter, all in one transaction; a partial unique index allows one live credential per
//! person and suite), and phone-code attempts (counted with a conditional `UPDATE` before the
//! comparison). SQLite serializes writers with `BEGIN IMMEDIATE`; PostgreSQL locks the person row.
//!
//! Timestamps are Unix seconds (`i64`), dates are day numbers (`netid_core::Date`).

use core::fmt;
use std::future::Future;

use netid_core::{AppPolicy, AssuranceLevel, Date, DocType, Suite};

use crate::evidence::phone::{ChallengeId, PhoneNumber};
use crate::keys::IdHash;
use crate::minors::{GuardianPerms, GuardianRelation};
use crate::netid_number::NetidNumber;
use crate::IssuerError;

mod postgres;
pub mod shared;
mod sqlite;

pub use postgres::PostgresStorage;
pub use sqlite::SqliteStorage;

/// Row id of a person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct PersonId(pub i64);

/// Row id of a credential.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct CredentialId(pub i64);

pub use netid_core::issuer_api::PersonStatus;

/// Revocation slots issuance hands out: the Groth16 tree's `2^DEPTH` leaves less the last one,
/// which is [`NO_SLOT`] (specs/revocation.md §7). Issuance refuses an index beyond them inside
/// its transaction ([`IssuerError::Exhausted`], answered `503`), so nothing is stored or
/// replaced for a credential that cannot be signed.
pub const REVOCATION_SLOTS: u64 = (1 << netid_circuits::gadgets::merkle::DEPTH) - 1;

/// The `rev_index` of credentials that take no slot: every suite but Groth16 (BBS credentials
/// are revoked by their epoch key, specs/revocation.md §6). The tree's last leaf, never handed
/// out and never revoked.
pub const NO_SLOT: u32 = u32::MAX;

/// Status of a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStatus {
    /// Valid.
    Live,
    /// Revoked (by an administrator, or by re-enrolment on another device).
    Revoked,
    /// Replaced by a refresh on the same device (also removed from the revocation structures).
    Superseded,
}

impl CredentialStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CredentialStatus::Live => "live",
            CredentialStatus::Revoked => "revoked",
            CredentialStatus::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Option<CredentialStatus> {
        [
            CredentialStatus::Live,
            CredentialStatus::Revoked,
            CredentialStatus::Superseded,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A stored person. `Debug` is redacted (names, birthdate, 网号).
#[derive(Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// Row id.
    pub id: PersonId,
    /// Keyed ID hash (unique).
    pub id_hash: IdHash,
    /// The 网号 (unique).
    pub netid: NetidNumber,
    /// Family name (latest enrolment).
    pub family_name: String,
    /// Given name (latest enrolment).
    pub given_name: String,
    /// Date of birth (for the minors rules and credential expiry).
    pub birthdate: Date,
    /// Document of the latest enrolment.
    pub doc_type: DocType,
    /// Assurance level of the latest enrolment.
    pub assurance: AssuranceLevel,
    /// Enrolment status.
    pub status: PersonStatus,
    /// Guardian permission bits (minors; [`GuardianPerms::UNRESTRICTED`] for adults).
    pub guardian_perms: GuardianPerms,
    /// First enrolment, Unix seconds.
    pub created_at: i64,
    /// Last change, Unix seconds.
    pub updated_at: i64,
}

impl fmt::Debug for PersonRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonRecord")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("assurance", &self.assurance)
            .finish_non_exhaustive()
    }
}

/// The person part of an enrolment.
#[derive(Clone)]
pub struct NewPerson {
    /// Keyed ID hash.
    pub id_hash: IdHash,
    /// The 网号 derived from the same ID number.
    pub netid: NetidNumber,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Date of birth.
    pub birthdate: Date,
    /// Document type.
    pub doc_type: DocType,
    /// Assurance level.
    pub assurance: AssuranceLevel,
    /// Status for a new person (an existing `active` or `suspended` person keeps theirs).
    pub status: PersonStatus,
    /// Permission bits for a new person (an existing person keeps theirs).
    pub guardian_perms: GuardianPerms,
}

impl fmt::Debug for NewPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewPerson")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What to issue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRequest {
    /// Proof suite.
    pub suite: Suite,
    /// `device_key_digest` of the holder's device key.
    pub device_key: [u8; 32],
    /// The holder binding signed into it (`Poseidon(s)` of the wallet secret).
    pub binding: [u8; 32],
    /// Last day of validity.
    pub expiry: Date,
    /// The `guardian_perms` attribute to sign.
    pub guardian_perms: GuardianPerms,
}

/// A stored credential (metadata; the signature is not stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialRecord {
    /// Row id.
    pub id: CredentialId,
    /// Holder.
    pub person: PersonId,
    /// Proof suite.
    pub suite: Suite,
    /// Device-key digest it is bound to.
    pub device_key: [u8; 32],
    /// Revocation slot: for Groth16, one per (person, device), allocated from a counter from 0
    /// and kept by every refresh on that device; [`NO_SLOT`] for the other suites.
    pub rev_index: u32,
    /// Status.
    pub status: CredentialStatus,
    /// The signed `guardian_perms`.
    pub guardian_perms: GuardianPerms,
    /// Issuance, Unix seconds.
    pub issued_at: i64,
    /// Last day of validity.
    pub expiry: Date,
    /// When the status last changed, Unix seconds.
    pub status_changed_at: Option<i64>,
    /// The holder binding signed into it (`None` for credentials issued before the issuer
    /// recorded it).
    pub binding: Option<[u8; 32]>,
}

/// An enrolment: the person, optionally the guardian who applies (children) and the first
/// credential (omitted while a teen waits for approval).
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// The person.
    pub person: NewPerson,
    /// The applying guardian and the relation, stored in the same transaction.
    pub guardian: Option<(PersonId, GuardianRelation)>,
    /// The credential to issue in the same transaction (the person must end up active).
    pub credential: Option<CredentialRequest>,
}

/// Result of [`Storage::enrol_person`].
#[derive(Clone, Debug)]
pub struct EnrolmentOutcome {
    /// The person as stored now.
    pub person: PersonRecord,
    /// Whether this call created the person (false: re-enrolment).
    pub created: bool,
    /// The credential issued, if one was requested.
    pub credential: Option<CredentialRecord>,
    /// Earlier live credentials this enrolment revoked or superseded: update the revocation
    /// structures for them.
    pub replaced: Vec<CredentialRecord>,
    /// How many revoked Groth16 slots this enrolment logged for the next seal.
    pub logged: u64,
}

/// Result of [`Storage::issue_credential`].
#[derive(Clone, Debug)]
pub struct IssuedCredential {
    /// The new credential.
    pub credential: CredentialRecord,
    /// Earlier live credentials it revoked (other device) or superseded (same device and suite).
    pub replaced: Vec<CredentialRecord>,
    /// How many revoked Groth16 slots this issuance logged for the next seal.
    pub logged: u64,
}

/// What a seal made ([`Storage::seal_epoch`], specs/revocation.md §3): the epoch it began,
/// the database's revocation version after it, and the root of that epoch's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationMove {
    /// The revocation version this change made.
    pub version: u64,
    /// The epoch sealed.
    pub epoch: u64,
    /// The Groth16 revocation root at that epoch (32 bytes, little-endian).
    pub root: [u8; 32],
    /// How many logged slots this seal took.
    pub sealed: usize,
}

/// What the sealer has computed for an epoch record (specs/revocation.md §5), inside the
/// transaction that seals the epoch; an [`EpochSigner`] adds the schedule and the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochDraft {
    /// The epoch.
    pub epoch: u64,
    /// Its Groth16 revocation root (32 bytes, little-endian).
    pub root: [u8; 32],
    /// How many slots are revoked in its tree.
    pub revoked_total: u64,
    /// SHA-256 of the previous record's signed bytes (zero for a database's first record).
    pub prev: [u8; 32],
}

/// Signs epoch records with the issuer's metadata key (specs/revocation.md §5). Storage calls
/// it inside the sealing transaction, so a sealed epoch and its record commit together.
pub trait EpochSigner: Sync {
    /// The signed record of `draft`.
    ///
    /// # Errors
    /// Key errors.
    fn sign(&self, draft: &EpochDraft) -> Result<netid_core::SignedEpochRecord, IssuerError>;
}

/// The fixed cadence of epochs (specs/revocation.md §2): epoch `e` covers
/// `[genesis + e·length, genesis + (e+1)·length)` (Unix seconds). Fixed when the first issuer
/// starts on a database ([`Storage::epoch_schedule`]), so every replica counts the same epochs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochSchedule {
    genesis: i64,
    length: u32,
}

impl EpochSchedule {
    /// The schedule from `genesis` with epochs of `length` seconds; `None` for `length` 0.
    pub fn new(genesis: i64, length: u32) -> Option<EpochSchedule> {
        (length > 0).then_some(EpochSchedule { genesis, length })
    }

    /// When epoch 0 began (Unix seconds).
    pub fn genesis(&self) -> i64 {
        self.genesis
    }

    /// Seconds per epoch.
    pub fn length(&self) -> u32 {
        self.length
    }

    /// The epoch in which `t` falls (0 before the genesis).
    pub fn epoch_at(&self, t: i64) -> u64 {
        let since = i128::from(t) - i128::from(self.genesis);
        u64::try_from(since.div_euclid(i128::from(self.length))).unwrap_or(0)
    }

    /// When epoch `e` begins (Unix seconds; saturating).
    pub fn start(&self, e: u64) -> i64 {
        let t = i128::from(self.genesis) + i128::from(e) * i128::from(self.length);
        i64::try_from(t).unwrap_or(i64::MAX)
    }
}

/// One bucket of the revocation tree at an epoch, as stored ([`Storage::revocation_bucket`],
/// specs/revocation.md §8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBucket {
    /// Offsets of the bucket's revoked slots, ascending.
    pub revoked: Vec<u16>,
    /// The siblings above the bucket, level 16 first (32 bytes each, little-endian).
    pub upper: [[u8; 32]; netid_circuits::gadgets::merkle::UPPER],
}

/// Result of [`Storage::revoke_person_credentials`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedCredentials {
    /// The credentials that were live and are now revoked.
    pub credentials: Vec<CredentialRecord>,
    /// How many revoked Groth16 slots this logged for the next seal.
    pub logged: u64,
}

/// A guardian relation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardianLink {
    /// The guardian.
    pub guardian: PersonId,
    /// The minor.
    pub minor: PersonId,
    /// How they are related.
    pub relation: GuardianRelation,
    /// Recorded at, Unix seconds.
    pub created_at: i64,
}

/// A registered app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRecord {
    /// App id (unique).
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Category (see [`GuardianPerms::CATEGORIES`]).
    pub category: String,
    /// What it may ask for.
    pub policy: AppPolicy,
    /// Its Ed25519 request-signing key.
    pub app_key: [u8; 32],
    /// The signed app certificate (`AppCertificate::to_bytes`).
    pub certificate: Vec<u8>,
    /// Whether the app is enabled.
    pub active: bool,
    /// Registered at, Unix seconds.
    pub created_at: i64,
}

/// Public metadata of an issuer key (the secret stays in its key file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKeyRecord {
    /// Row id.
    pub id: i64,
    /// What the key is for (e.g. `"bbs-sha256"`, `"groth16"`, `"app-registry"`).
    pub purpose: String,
    /// The public key bytes.
    pub public_key: Vec<u8>,
    /// First recorded, Unix seconds.
    pub created_at: i64,
    /// Retired at, Unix seconds (`None`: current).
    pub retired_at: Option<i64>,
}

/// A phone challenge to store.
#[derive(Clone, Debug)]
pub struct NewPhoneChallenge {
    /// Id.
    pub id: ChallengeId,
    /// The number the code was sent to.
    pub phone: PhoneNumber,
    /// Keyed hash of the code.
    pub code_hash: [u8; 32],
    /// Created at, Unix seconds.
    pub created_at: i64,
    /// The code is accepted while `now < expires_at`.
    pub expires_at: i64,
    /// Tries allowed.
    pub max_attempts: u32,
}

/// A phone challenge after an attempt was counted.
#[derive(Clone, Debug)]
pub struct PhoneChallengeRecord {
    /// The number.
    pub phone: PhoneNumber,
    /// Keyed hash of the code.
    pub code_hash: [u8; 32],
    /// Attempts counted so far (including this one).
    pub attempts: u32,
    /// Tries allowed.
    pub max_attempts: u32,
}

/// Outcome of [`Storage::attempt_phone_challenge`].
#[derive(Clone, Debug)]
pub enum PhoneAttempt {
    /// The attempt was counted; compare the code.
    Counted(PhoneChallengeRecord),
    /// No such challenge.
    Unknown,
    /// Already used successfully.
    Consumed,
    /// `now ≥ expires_at`.
    Expired,
    /// The attempt limit was reached.
    Locked,
}

/// A stored request of the issuer's guardian verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    /// The signed request (JSON).
    pub request: String,
    /// The accepted presentation's claims (JSON), once accepted.
    pub claims: Option<String>,
    /// Rejected presentations so far.
    pub rejections: u32,
}

/// Everything the issuer stores. Each method's writes are atomic (one transaction or one
/// statement).
///
/// Implementations: [`SqliteStorage`], [`PostgresStorage`], and [`AnyStorage`] (either, chosen
/// from a URL). The futures are `Send` so a multi-threaded service can hold any of them.
pub trait Storage: Send + Sync + Clone + 'static {
    /// Enrols (or re-enrols) a person: inserts the person if its `id_hash` is new, otherwise
    /// updates names, document type and assurance (status and permissions of an existing active
    /// or suspended person are kept); records the applying guardian; issues the requested
    /// credential as [`Storage::issue_credential`] does. Idempotent under concurrent calls for
    /// the same `id_hash`: one person row, one 网号.
    ///
    /// Errors: [`IssuerError::KeyMismatch`] if the stored 网号 for this `id_hash` differs (or the
    /// 网号 belongs to another `id_hash`); [`IssuerError::NotAllowed`] if a credential is
    /// requested but the person is not active; [`IssuerError::InvalidGuardian`] /
    /// [`IssuerError::NotFound`] for a bad guardian.
    fn enrol_person(
        &self,
        enrolment: &Enrolment,
        now: i64,
    ) -> impl Future<Output = Result<EnrolmentOutcome, IssuerError>> + Send;

    /// The person with this row id.
    fn person(
        &self,
        id: PersonId,
    ) -> impl Future<Output = Result<Option<PersonRecord>, IssuerError>> + Send;

    /// The person with this ID hash.
    fn person_by_id_hash(
        &self,
        id_hash: &IdHash,
    ) -> impl Future<Output = Result<Option<PersonRecord>, IssuerError>> + Send;

    /// The person with this 网号.
    fn person_by_netid(
        &self,
        netid: &NetidNumber,
    ) -> impl Future<Output = Result<Option<PersonRecord>, IssuerError>> + Send;

    /// Number of persons.
    fn count_persons(&self) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// Sets a person's status (administration). [`IssuerError::NotFound`] if absent.
    fn set_person_status(
        &self,
        id: PersonId,
        status: PersonStatus,
        now: i64,
    ) -> impl Future<Output = Result<PersonRecord, IssuerError>> + Send;

    /// Issues a credential to an active person: locks the person, marks their live credentials
    /// on another device `revoked` and the live one on the same device and suite `superseded`,
    /// allocates the next revocation index, inserts the credential. Returns the replaced ones.
    fn issue_credential(
        &self,
        person: PersonId,
        request: &CredentialRequest,
        now: i64,
    ) -> impl Future<Output = Result<IssuedCredential, IssuerError>> + Send;

    /// The credential with this id.
    fn credential(
        &self,
        id: CredentialId,
    ) -> impl Future<Output = Result<Option<CredentialRecord>, IssuerError>> + Send;

    /// A person's credentials, oldest first.
    fn credentials_of(
        &self,
        person: PersonId,
    ) -> impl Future<Output = Result<Vec<CredentialRecord>, IssuerError>> + Send;

    /// Revokes a credential. `Some(record)` if it was live and is now revoked, `None` if it was
    /// already revoked or superseded (idempotent); [`IssuerError::NotFound`] if absent. Its
    /// Groth16 slot is logged in the same transaction, for the next seal.
    fn revoke_credential(
        &self,
        id: CredentialId,
        now: i64,
    ) -> impl Future<Output = Result<Option<CredentialRecord>, IssuerError>> + Send;

    /// Revokes every live credential of a person (lost phone); returns them. Their Groth16
    /// slots are logged in the same transaction, for the next seal.
    fn revoke_person_credentials(
        &self,
        person: PersonId,
        now: i64,
    ) -> impl Future<Output = Result<RevokedCredentials, IssuerError>> + Send;

    /// The revoked slots of the Groth16 tree, ascending (to rebuild it): those a Groth16
    /// credential held that no live Groth16 credential holds (a refresh keeps the slot).
    fn revoked_rev_indices(&self) -> impl Future<Output = Result<Vec<u32>, IssuerError>> + Send;

    /// Appends Groth16 slots to the revocation log, unsealed, for the next seal
    /// ([`Storage::seal_epoch`]); a slot already logged stays as it is. Returns how many were
    /// new. Revoking transactions log their own slots; this is the bulk path (an import of
    /// revocations, the benchmark of specs/revocation.md §11).
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a slot outside `0..REVOCATION_SLOTS`.
    fn log_revocations(
        &self,
        slots: &[u32],
        now: i64,
    ) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// The sealer's step (specs/revocation.md §3): one transaction moves the epoch to `target`
    /// and the revocation version on, hashes every unsealed log row from before `boundary`
    /// (the start of `target`) into the stored tree of `target`, and marks them sealed in it.
    /// `None` when the epoch is already `target` or later, or (PostgreSQL) another sealer holds
    /// the sealer's lock. A sealer killed before its commit leaves the log as it was.
    ///
    /// The same transaction writes the signed record of `target` (specs/revocation.md §5),
    /// chained to the last record before it, through `signer`.
    fn seal_epoch(
        &self,
        target: u64,
        boundary: i64,
        signer: &dyn EpochSigner,
    ) -> impl Future<Output = Result<Option<RevocationMove>, IssuerError>> + Send;

    /// Writes the signed record of the current epoch if it has none (a new database, or the
    /// first start after the upgrade that added records), chained to the last record before
    /// it. `true` when it wrote one. Runs under the epoch row's lock, so a seal never races it.
    fn ensure_epoch_record(
        &self,
        signer: &dyn EpochSigner,
    ) -> impl Future<Output = Result<bool, IssuerError>> + Send;

    /// The signed records of the epochs after `after` (all when `None`), oldest first, at most
    /// `limit`: what a reader fetches to link a new epoch to the record it holds.
    fn epoch_records(
        &self,
        after: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<netid_core::SignedEpochRecord>, IssuerError>> + Send;

    /// The signed records of `epoch` and the epochs sealed before it, newest first, at most
    /// `limit` (what the metadata document of `epoch` carries).
    fn epoch_records_to(
        &self,
        epoch: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<netid_core::SignedEpochRecord>, IssuerError>> + Send;

    /// Forgets the stored tree of the epochs before `keep_from` (at most the current epoch):
    /// deletes every node row that no epoch from `keep_from` on reads, and answers
    /// [`IssuerError::Gone`] for those epochs' roots and buckets from then on. Returns the rows
    /// deleted. The revocation log is kept whole (the buckets of the kept epochs read it).
    fn prune_revocation_nodes(
        &self,
        keep_from: u64,
    ) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// The database's epoch schedule: fixed by the first call, with epochs of `length` seconds
    /// and the current epoch beginning at `now`; later calls return it as stored, whatever
    /// they pass.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for `length` 0; storage errors.
    fn epoch_schedule(
        &self,
        length: u32,
        now: i64,
    ) -> impl Future<Output = Result<EpochSchedule, IssuerError>> + Send;

    /// Hashes the logged revoked slots into the stored tree when nothing has yet (the first
    /// start after the upgrade that added the log): `Some(buckets hashed)` then, `None` when
    /// the tree was already stored. Idempotent; concurrent callers wait for each other.
    fn build_revocation_nodes(
        &self,
    ) -> impl Future<Output = Result<Option<usize>, IssuerError>> + Send;

    /// The Groth16 revocation root at `epoch` (32 bytes, little-endian): one stored node, so a
    /// start takes the same time with a million revoked slots as with none.
    ///
    /// # Errors
    /// [`IssuerError::NotFound`] for an epoch that has not begun; [`IssuerError::Gone`] for one
    /// from before the stored tree or pruned (its root is not kept); storage errors.
    fn revocation_root(
        &self,
        epoch: u64,
    ) -> impl Future<Output = Result<[u8; 32], IssuerError>> + Send;

    /// Bucket `bucket` of the tree at `epoch` (specs/revocation.md §8): its revoked offsets and
    /// the 16 siblings above it, read from the log and 16 stored nodes. A committed epoch's
    /// bucket never changes.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for `bucket ≥ 2^16`; [`IssuerError::NotFound`] for an epoch
    /// that has not begun; [`IssuerError::Gone`] for one from before the stored tree (the
    /// upgrade that added it) or pruned ([`Storage::prune_revocation_nodes`]).
    fn revocation_bucket(
        &self,
        epoch: u64,
        bucket: u64,
    ) -> impl Future<Output = Result<StoredBucket, IssuerError>> + Send;

    /// Records a guardian relation (idempotent). Both must exist and differ.
    fn add_guardian(
        &self,
        guardian: PersonId,
        minor: PersonId,
        relation: GuardianRelation,
        now: i64,
    ) -> impl Future<Output = Result<GuardianLink, IssuerError>> + Send;

    /// A guardian approves a pending 14–17-year-old: records the relation and makes the minor
    /// active, atomically. Approving an already active minor only records the relation.
    fn approve_minor(
        &self,
        minor: PersonId,
        guardian: PersonId,
        relation: GuardianRelation,
        now: i64,
    ) -> impl Future<Output = Result<PersonRecord, IssuerError>> + Send;

    /// The guardians of a minor.
    fn guardians_of(
        &self,
        minor: PersonId,
    ) -> impl Future<Output = Result<Vec<GuardianLink>, IssuerError>> + Send;

    /// The minors a guardian is recorded for.
    fn wards_of(
        &self,
        guardian: PersonId,
    ) -> impl Future<Output = Result<Vec<GuardianLink>, IssuerError>> + Send;

    /// Removes the guardian relation (guardian, minor); `true` iff it existed.
    fn remove_guardian(
        &self,
        guardian: PersonId,
        minor: PersonId,
    ) -> impl Future<Output = Result<bool, IssuerError>> + Send;

    /// A guardian sets a minor's permission bits; [`IssuerError::InvalidGuardian`] unless the
    /// relation is recorded. Returns the updated minor (refresh the credential afterwards).
    fn set_guardian_perms(
        &self,
        minor: PersonId,
        guardian: PersonId,
        perms: GuardianPerms,
        now: i64,
    ) -> impl Future<Output = Result<PersonRecord, IssuerError>> + Send;

    /// Stores a new phone challenge.
    fn create_phone_challenge(
        &self,
        challenge: &NewPhoneChallenge,
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// Counts one attempt on a challenge if it is unused, unexpired and below its limit, and
    /// returns it; otherwise says why not.
    fn attempt_phone_challenge(
        &self,
        id: &ChallengeId,
        now: i64,
    ) -> impl Future<Output = Result<PhoneAttempt, IssuerError>> + Send;

    /// Marks a challenge used; `false` if it already was (or does not exist).
    fn consume_phone_challenge(
        &self,
        id: &ChallengeId,
        now: i64,
    ) -> impl Future<Output = Result<bool, IssuerError>> + Send;

    /// Deletes challenges that expired before `before`; returns how many.
    fn purge_phone_challenges(
        &self,
        before: i64,
    ) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// Registers an app; [`IssuerError::Conflict`] if the id exists.
    fn register_app(&self, app: &AppRecord)
        -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// The app with this id.
    fn app(
        &self,
        app_id: &str,
    ) -> impl Future<Output = Result<Option<AppRecord>, IssuerError>> + Send;

    /// All apps, by id.
    fn apps(&self) -> impl Future<Output = Result<Vec<AppRecord>, IssuerError>> + Send;

    /// Enables or disables an app; [`IssuerError::NotFound`] if absent.
    fn set_app_active(
        &self,
        app_id: &str,
        active: bool,
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// Records an issuer public key (idempotent per purpose and key).
    fn record_issuer_key(
        &self,
        purpose: &str,
        public_key: &[u8],
        now: i64,
    ) -> impl Future<Output = Result<IssuerKeyRecord, IssuerError>> + Send;

    /// All recorded issuer keys, oldest first.
    fn issuer_keys(&self)
        -> impl Future<Output = Result<Vec<IssuerKeyRecord>, IssuerError>> + Send;

    /// Marks a key retired (idempotent); [`IssuerError::NotFound`] if absent.
    fn retire_issuer_key(
        &self,
        id: i64,
        now: i64,
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// Records a request of the issuer's guardian verifier (by request hash), kept until
    /// `forget_at`; deletes the requests whose `forget_at` has passed.
    fn save_request(
        &self,
        hash: &[u8; 32],
        request: &str,
        forget_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// A stored request, if known.
    fn stored_request(
        &self,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<Option<StoredRequest>, IssuerError>> + Send;

    /// Counts one rejected presentation on a stored request (nothing if unknown).
    fn count_request_rejection(
        &self,
        hash: &[u8; 32],
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// Records the claims of a stored request's accepted presentation (nothing if unknown).
    fn save_request_claims(
        &self,
        hash: &[u8; 32],
        claims: &str,
    ) -> impl Future<Output = Result<(), IssuerError>> + Send;

    /// Records `key` in `scope` until `expires_at`; `true` iff it was not recorded (or its
    /// record had expired at `now`). Exactly one of concurrent calls with one key gets `true`,
    /// across replicas. Expired records of the scope are deleted now and then.
    fn use_once(
        &self,
        scope: &str,
        key: &[u8],
        expires_at: i64,
        now: i64,
    ) -> impl Future<Output = Result<bool, IssuerError>> + Send;

    /// Counts one event for rate-limit `key` in the window starting at `window_start` (a later
    /// window restarts the count); returns the window's count including this event. With
    /// `purge_before`, first deletes the counters of windows that started before it.
    fn rate_hit(
        &self,
        key: &str,
        window_start: i64,
        purge_before: Option<i64>,
    ) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// The number of changes of the revocation tree so far (revocations and supersessions).
    fn revocation_version(&self) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// Counts one change of the revocation tree; returns the new count.
    fn bump_revocation_version(&self) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// The current revocation epoch (starts at 0).
    fn epoch(&self) -> impl Future<Output = Result<u64, IssuerError>> + Send;

    /// Increments the epoch and returns the new value.
    fn bump_epoch(&self) -> impl Future<Output = Result<u64, IssuerError>> + Send;
}

/// Either backend, chosen at run time from a URL.
#[derive(Clone, Debug)]
pub enum AnyStorage {
    /// SQLite.
    Sqlite(SqliteStorage),
    /// PostgreSQL.
    Postgres(PostgresStorage),
}

impl AnyStorage {
    /// Connects and migrates: `sqlite://PATH` (created if missing; `sqlite::memory:` for a
    /// throw-away database) or `postgres://…` / `postgresql://…`.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for another scheme, [`IssuerError::Storage`] if the
    /// connection or a migration fails.
    pub async fn connect(url: &str) -> Result<AnyStorage, IssuerError> {
        if url.starts_with("sqlite:") {
            Ok(AnyStorage::Sqlite(SqliteStorage::connect(url).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(AnyStorage::Postgres(PostgresStorage::connect(url).await?))
        } else {
            Err(IssuerError::InvalidInput(
                "database URL must start with sqlite: or postgres://",
            ))
        }
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStorage::Sqlite(_) => "sqlite",
            AnyStorage::Postgres(_) => "postgres",
        }
    }
}

macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl Storage for AnyStorage {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, IssuerError> {
                    match self {
                        AnyStorage::Sqlite(s) => s.$name($($arg),*).await,
                        AnyStorage::Postgres(s) => s.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

delegate! {
    fn enrol_person(&self, enrolment: &Enrolment, now: i64) -> EnrolmentOutcome;
    fn person(&self, id: PersonId) -> Option<PersonRecord>;
    fn person_by_id_hash(&self, id_hash: &IdHash) -> Option<PersonRecord>;
    fn person_by_netid(&self, netid: &NetidNumber) -> Option<PersonRecord>;
    fn count_persons(&self) -> u64;
    fn set_person_status(&self, id: PersonId, status: PersonStatus, now: i64) -> PersonRecord;
    fn issue_credential(&self, person: PersonId, request: &CredentialRequest, now: i64) -> IssuedCredential;
    fn credential(&self, id: CredentialId) -> Option<CredentialRecord>;
    fn credentials_of(&self, person: PersonId) -> Vec<CredentialRecord>;
    fn revoke_credential(&self, id: CredentialId, now: i64) -> Option<CredentialRecord>;
    fn revoke_person_credentials(&self, person: PersonId, now: i64) -> RevokedCredentials;
    fn revoked_rev_indices(&self) -> Vec<u32>;
    fn log_revocations(&self, slots: &[u32], now: i64) -> u64;
    fn seal_epoch(&self, target: u64, boundary: i64, signer: &dyn EpochSigner) -> Option<RevocationMove>;
    fn ensure_epoch_record(&self, signer: &dyn EpochSigner) -> bool;
    fn epoch_records(&self, after: Option<u64>, limit: u32) -> Vec<netid_core::SignedEpochRecord>;
    fn epoch_records_to(&self, epoch: u64, limit: u32) -> Vec<netid_core::SignedEpochRecord>;
    fn epoch_schedule(&self, length: u32, now: i64) -> EpochSchedule;
    fn prune_revocation_nodes(&self, keep_from: u64) -> u64;
    fn build_revocation_nodes(&self) -> Option<usize>;
    fn revocation_root(&self, epoch: u64) -> [u8; 32];
    fn revocation_bucket(&self, epoch: u64, bucket: u64) -> StoredBucket;
    fn add_guardian(&self, guardian: PersonId, minor: PersonId, relation: GuardianRelation, now: i64) -> GuardianLink;
    fn approve_minor(&self, minor: PersonId, guardian: PersonId, relation: GuardianRelation, now: i64) -> PersonRecord;
    fn guardians_of(&self, minor: PersonId) -> Vec<GuardianLink>;
    fn wards_of(&self, guardian: PersonId) -> Vec<GuardianLink>;
    fn set_guardian_perms(&self, minor: PersonId, guardian: PersonId, perms: GuardianPerms, now: i64) -> PersonRecord;
    fn remove_guardian(&self, guardian: PersonId, minor: PersonId) -> bool;
    fn create_phone_challenge(&self, challenge: &NewPhoneChallenge) -> ();
    fn attempt_phone_challenge(&self, id: &ChallengeId, now: i64) -> PhoneAttempt;
    fn consume_phone_challenge(&self, id: &ChallengeId, now: i64) -> bool;
    fn purge_phone_challenges(&self, before: i64) -> u64;
    fn register_app(&self, app: &AppRecord) -> ();
    fn app(&self, app_id: &str) -> Option<AppRecord>;
    fn apps(&self) -> Vec<AppRecord>;
    fn set_app_active(&self, app_id: &str, active: bool) -> ();
    fn record_issuer_key(&self, purpose: &str, public_key: &[u8], now: i64) -> IssuerKeyRecord;
    fn issuer_keys(&self) -> Vec<IssuerKeyRecord>;
    fn retire_issuer_key(&self, id: i64, now: i64) -> ();
    fn save_request(&self, hash: &[u8; 32], request: &str, forget_at: i64, now: i64) -> ();
    fn stored_request(&self, hash: &[u8; 32]) -> Option<StoredRequest>;
    fn count_request_rejection(&self, hash: &[u8; 32]) -> ();
    fn save_request_claims(&self, hash: &[u8; 32], claims: &str) -> ();
    fn use_once(&self, scope: &str, key: &[u8], expires_at: i64, now: i64) -> bool;
    fn rate_hit(&self, key: &str, window_start: i64, purge_before: Option<i64>) -> u64;
    fn revocation_version(&self) -> u64;
    fn bump_revocation_version(&self) -> u64;
    fn epoch(&self) -> u64;
    fn bump_epoch(&self) -> u64;
}
