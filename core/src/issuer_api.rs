//! The issuer's wire messages (JSON bodies of the HTTP API, specs/api/issuer.md), shared by the
//! service (`netid-issuer`) and its clients (the `netid` wallet), which therefore need not depend
//! on each other. Byte fields are base64url without padding.
//!
//! Device-key proofs of possession sign these messages (Ed25519, RFC 8032):
//!
//! * enrolment: `"netid/v1/enrol-pop" ‖ challenge_id (16 bytes) ‖ device_key (32) ‖ B`, where the
//!   challenge is the phone challenge of the same enrolment (fresh and single-use);
//! * refresh: `"netid/v1/refresh" ‖ u64be(len(netid)) ‖ netid ‖ i64be(timestamp) ‖
//!   device_key (32) ‖ B` with `netid` in its canonical form ([`canonical_netid`]), accepted
//!   within ±5 minutes of the issuer's clock;
//!
//! with `B = binding (32) ‖ u64be(n) ‖ (u64be(len(suite)) ‖ suite ‖ u64be(len(c)) ‖ c)…` over the
//! request's holder binding and its `n` commitments in the order sent ([`binding_pop_bytes`]),
//! so that whoever sees a request in transit cannot swap in a binding of their own.

use utoipa::ToSchema;

use crate::card::{FaceSample, SignedCard};
use crate::{CredentialAttributes, Presentation, PresentationRequest, Suite};

/// Domain separator of the enrolment proof of possession.
pub const ENROL_POP_LABEL: &[u8] = b"netid/v1/enrol-pop";
/// Domain separator of the refresh proof of possession.
pub const REFRESH_POP_LABEL: &[u8] = b"netid/v1/refresh";
/// How far a refresh timestamp may be from the issuer's clock, in seconds.
pub const REFRESH_SKEW_SECS: i64 = 300;

fn len_be(n: usize) -> [u8; 8] {
    u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes()
}

/// The holder-binding part `B` of both proofs of possession (see the module docs).
pub fn binding_pop_bytes(binding: &[u8; 32], commitments: &[BindingCommitment]) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + commitments.len() * (32 + BINDING_COMMITMENT_LEN));
    out.extend_from_slice(binding);
    out.extend_from_slice(&len_be(commitments.len()));
    for c in commitments {
        let name = c.suite.name().as_bytes();
        out.extend_from_slice(&len_be(name.len()));
        out.extend_from_slice(name);
        out.extend_from_slice(&len_be(c.commitment.len()));
        out.extend_from_slice(&c.commitment);
    }
    out
}

/// The message a device key signs to prove possession at enrolment.
pub fn enrol_pop_message(
    challenge_id: &[u8; 16],
    device_key: &[u8; 32],
    binding: &[u8; 32],
    commitments: &[BindingCommitment],
) -> Vec<u8> {
    [
        ENROL_POP_LABEL,
        challenge_id.as_slice(),
        device_key.as_slice(),
        &binding_pop_bytes(binding, commitments),
    ]
    .concat()
}

/// The canonical form of a typed 网号, as the issuer reads it: spaces and `-` dropped, letters
/// upper-cased, `I` and `L` read as `1`, `O` as `0`. The refresh proof of possession signs this
/// form, so every way of writing one 网号 signs one message: the signature names the 网号 the
/// issuer acts on, not a display form of it. It does not validate; the issuer's parser does.
pub fn canonical_netid(netid: &str) -> String {
    netid
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            u => u,
        })
        .collect()
}

/// The message a device key signs to ask for a refresh (over [`canonical_netid`]`(netid)`).
pub fn refresh_pop_message(
    netid: &str,
    timestamp: i64,
    device_key: &[u8; 32],
    binding: &[u8; 32],
    commitments: &[BindingCommitment],
) -> Vec<u8> {
    let netid = canonical_netid(netid);
    [
        REFRESH_POP_LABEL,
        &len_be(netid.len()),
        netid.as_bytes(),
        &timestamp.to_be_bytes(),
        device_key.as_slice(),
        &binding_pop_bytes(binding, commitments),
    ]
    .concat()
}

/// `POST /v1/phone/challenges`: send a confirmation code.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneStartRequest {
    /// E.164 phone number, e.g. `+8613800138000`.
    pub phone: String,
}

/// Answer to [`PhoneStartRequest`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct PhoneStartResponse {
    /// 32 hex characters; quote it with the code.
    pub challenge_id: String,
    /// Unix seconds after which the code is refused.
    pub expires_at: i64,
}

/// A phone confirmation inside an enrolment.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneProof {
    /// From [`PhoneStartResponse`].
    pub challenge_id: String,
    /// The six digits that were delivered.
    pub code: String,
}

/// A guardian's proof of who they are: a presentation answering a request from
/// `GET /v1/guardian/request`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardianProof {
    /// How the guardian is related to the minor.
    #[schema(value_type = String, example = "parent")]
    pub relation: GuardianRelation,
    /// The guardian's presentation (discloses their 网号, proves age ≥ 18).
    #[schema(value_type = Object)]
    pub presentation: Presentation,
}

/// `POST /v1/enrolments`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The signed ID card read from the chip.
    #[schema(value_type = Object)]
    pub card: SignedCard,
    /// The live face capture.
    #[schema(value_type = Object)]
    pub face: FaceSample,
    /// The confirmed phone.
    pub phone: PhoneProof,
    /// The holder's Ed25519 device public key (32 bytes).
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub device_key: [u8; 32],
    /// Signature by the device key on [`enrol_pop_message`] (64 bytes), which covers the
    /// binding and the commitments.
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub device_signature: [u8; 64],
    /// The holder binding `Poseidon(s)` of the wallet secret (32 bytes, a canonical big-endian
    /// BN254 field element): the credentials' `binding` attribute.
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub binding: [u8; 32],
    /// One Blind BBS commitment to the wallet secret per BBS suite issued.
    #[serde(default)]
    pub commitments: Vec<BindingCommitment>,
    /// Suites to issue for (default: all three).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub suites: Vec<Suite>,
    /// For a child under 14: the guardian who enrols them.
    #[serde(default)]
    pub guardian: Option<GuardianProof>,
}

/// A Blind BBS commitment to the wallet secret (`commitment_with_proof` of
/// draft-irtf-cfrg-bbs-blind-signatures with one committed message, 144 bytes) for one BBS
/// suite, under the netid credential interface (specs/bbs.md §8.2).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindingCommitment {
    /// The BBS suite.
    #[schema(value_type = String, example = "bbs-sha256")]
    pub suite: Suite,
    /// The commitment with its proof.
    #[serde(with = "crate::b64")]
    #[schema(value_type = String, format = Byte)]
    pub commitment: Vec<u8>,
}

/// Length of a [`BindingCommitment`]'s commitment: `C` (48), `s^`, `m^`, challenge (32 each).
pub const BINDING_COMMITMENT_LEN: usize = 144;

/// One issued credential.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct IssuedCredential {
    /// Its suite.
    #[schema(value_type = String, example = "bbs-sha256")]
    pub suite: Suite,
    /// The issuer.
    pub issuer_id: String,
    /// The signed attributes.
    #[schema(value_type = Object)]
    pub attributes: CredentialAttributes,
    /// The issuer's signature (BBS: 80 bytes; Groth16 suite: 64-byte EdDSA-Poseidon).
    #[serde(with = "crate::b64")]
    #[schema(value_type = String, format = Byte)]
    pub signature: Vec<u8>,
    /// BBS suites: the key epoch it was signed in (refresh when the metadata's epoch moves on).
    pub epoch: u64,
}

/// Answer to an enrolment or a refresh.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct EnrolResponse {
    /// The 网号 (grouped for display: `XXXX-XXXX-XXXX-X`).
    pub netid: String,
    /// The person's status.
    #[schema(value_type = String, example = "active")]
    pub status: PersonStatus,
    /// Whether this was the first enrolment of the person.
    pub created: bool,
    /// Credentials issued now (empty while a guardian's approval is pending).
    pub credentials: Vec<IssuedCredential>,
    /// For a 14–17-year-old waiting for approval: present it with a refresh once a guardian
    /// approved (valid 30 days, bound to the device key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// `POST /v1/credentials`: refresh (or, with a ticket, first issuance after approval).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The holder's 网号.
    pub netid: String,
    /// The device public key the credentials are bound to.
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub device_key: [u8; 32],
    /// Unix seconds, within ±5 minutes of the issuer's clock.
    #[serde(deserialize_with = "crate::json::int")]
    pub timestamp: i64,
    /// Signature by the device key on [`refresh_pop_message`].
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub device_signature: [u8; 64],
    /// The holder binding, as in [`EnrolRequest::binding`].
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub binding: [u8; 32],
    /// One Blind BBS commitment to the wallet secret per BBS suite issued.
    #[serde(default)]
    pub commitments: Vec<BindingCommitment>,
    /// Suites to issue for (default: all three).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub suites: Vec<Suite>,
    /// The ticket of a pending enrolment.
    #[serde(default)]
    pub ticket: Option<String>,
}

/// `POST /v1/guardian/approvals`: a guardian approves a 14–17-year-old's enrolment.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// The minor's 网号.
    pub minor_netid: String,
    /// The guardian's proof.
    pub guardian: GuardianProof,
}

/// `POST /v1/guardian/wards`: list the minors of the guardian who presents.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WardsRequest {
    /// The guardian's presentation.
    #[schema(value_type = Object)]
    pub presentation: Presentation,
}

/// One ward of a guardian.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct WardInfo {
    /// The minor's 网号.
    pub netid: String,
    /// The minor's name with the family name masked (`*丽`).
    pub masked_name: String,
    /// Relation.
    #[schema(value_type = String)]
    pub relation: GuardianRelation,
    /// Status of the minor's enrolment.
    #[schema(value_type = String)]
    pub status: PersonStatus,
    /// Permission bits.
    pub permissions: u32,
    /// Names of the permitted app categories.
    pub categories: Vec<String>,
}

/// `POST /v1/guardian/permissions`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsRequest {
    /// The minor's 网号.
    pub minor_netid: String,
    /// App categories the minor may use (see `GuardianPerms::CATEGORIES`).
    pub categories: Vec<String>,
    /// The guardian's presentation.
    #[schema(value_type = Object)]
    pub presentation: Presentation,
}

/// `POST /v1/guardian/unlink`: the guardian who presents stops being the minor's guardian.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlinkRequest {
    /// The minor's 网号.
    pub minor_netid: String,
    /// The guardian's presentation.
    #[schema(value_type = Object)]
    pub presentation: Presentation,
}

/// Answer of `GET /v1/guardian/request`: the request a guardian's wallet answers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct GuardianRequestResponse {
    /// The signed request (app `netid-issuer`, discloses the 网号, age ≥ 18).
    #[schema(value_type = Object)]
    pub request: PresentationRequest,
}

/// `POST /v1/admin/apps`: register an app.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterAppRequest {
    /// App id (1..=64 of `[a-z0-9.-]`).
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Category (one of the guardian-permission categories).
    pub category: String,
    /// What the app may ask for.
    #[schema(value_type = Object)]
    #[serde(deserialize_with = "crate::json::object")]
    pub policy: crate::AppPolicy,
    /// The app's Ed25519 request-signing public key (32 bytes).
    #[serde(with = "crate::b64::array")]
    #[schema(value_type = String, format = Byte)]
    pub app_key: [u8; 32],
    /// Certificate lifetime in days (default 365).
    #[serde(default, deserialize_with = "crate::json::opt_int")]
    pub valid_days: Option<u32>,
}

/// Answer to [`RegisterAppRequest`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct RegisterAppResponse {
    /// The signed app certificate (`AppCertificate::to_bytes`).
    #[serde(with = "crate::b64")]
    #[schema(value_type = String, format = Byte)]
    pub certificate: Vec<u8>,
    /// Unix seconds after which it is invalid.
    pub not_after: u64,
}

/// A registered app as listed to the administrator.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct AppInfo {
    /// App id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Whether it is enabled.
    pub active: bool,
}

/// `POST /v1/admin/revocations`: revoke a person's live credentials.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// The person's 网号.
    pub netid: String,
    /// Also suspend the person (no refresh, no re-enrolment until reinstated).
    #[serde(default)]
    pub suspend: bool,
}

/// Answer to [`RevokeRequest`].
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct RevokeResponse {
    /// How many credentials were revoked.
    pub revoked: usize,
    /// The revocation epoch now (its root and BBS keys still accept these credentials).
    pub epoch: u64,
    /// The revocation root now (32 bytes).
    #[serde(with = "crate::b64")]
    #[schema(value_type = String, format = Byte)]
    pub revocation_root: Vec<u8>,
    /// The first epoch whose root and BBS keys refuse these credentials: the revocation is
    /// logged now and sealed at that epoch's boundary (specs/revocation.md §2, §3).
    pub effective_epoch: u64,
    /// When `effective_epoch` begins (Unix seconds).
    pub effective_at: i64,
}

/// `GET /v1/revocation/epochs/{epoch}/buckets/{bucket}`: one bucket of `2^16` slots of the
/// Groth16 revocation tree as it stood at an epoch (specs/revocation.md §8). The wallet computes
/// its own authentication path from it, so it never names its slot; the response never changes,
/// so any cache may keep it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct RevocationBucket {
    /// The epoch whose tree this is.
    pub epoch: u64,
    /// The bucket: slots `bucket·2^16 .. (bucket+1)·2^16`.
    pub bucket: u32,
    /// The 16 siblings above the bucket's subtree, level 16 first (32 bytes each,
    /// little-endian field elements).
    #[schema(value_type = Vec<String>)]
    pub siblings: Vec<crate::b64::Bytes>,
    /// The bucket's revoked slots, as offsets in the bucket (see [`encode_revoked_offsets`]).
    #[serde(with = "crate::b64")]
    #[schema(value_type = String, format = Byte)]
    pub revoked: Vec<u8>,
}

/// `GET /v1/epochs/records?after={epoch}&limit={n}`: the signed epoch records after an epoch,
/// oldest first (specs/revocation.md §5). A verifier or wallet that holds the record of
/// `after` fetches them to link a newer document's records to it; an empty list means none
/// were sealed after it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpochRecords {
    /// The records, oldest first, at most `limit` (at most [`MAX_EPOCH_RECORDS_PAGE`]).
    pub records: Vec<crate::SignedEpochRecord>,
}

/// Most records one `GET /v1/epochs/records` answers (and its default `limit`).
pub const MAX_EPOCH_RECORDS_PAGE: u32 = 256;

/// Size of the bitmap form of a bucket's revoked offsets: `2^16` bits.
pub const REVOKED_BITMAP_LEN: usize = 8192;

/// The canonical bytes of a bucket's revoked offsets (specs/revocation.md §8): the offsets
/// ascending as `u16` big-endian while that is shorter than the bitmap (fewer than 4 096 of
/// them), otherwise the 8 192-byte bitmap (bit `o` is bit `o % 8` of byte `o / 8`). Duplicates
/// count once.
pub fn encode_revoked_offsets(offsets: &[u16]) -> Vec<u8> {
    let mut sorted = offsets.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() * 2 < REVOKED_BITMAP_LEN {
        return sorted.iter().flat_map(|o| o.to_be_bytes()).collect();
    }
    let mut bitmap = vec![0u8; REVOKED_BITMAP_LEN];
    for o in sorted {
        bitmap[usize::from(o / 8)] |= 1 << (o % 8);
    }
    bitmap
}

/// Reads the bytes of [`encode_revoked_offsets`], refusing any other form (unsorted or
/// repeated offsets, an odd length, a bitmap that a list would have encoded).
///
/// # Errors
/// [`CoreError::InvalidMetadata`] for bytes that are not the canonical encoding.
pub fn decode_revoked_offsets(bytes: &[u8]) -> Result<Vec<u16>, crate::CoreError> {
    let bad = || crate::CoreError::InvalidMetadata("revoked offsets are not canonical");
    let offsets: Vec<u16> = if bytes.len() == REVOKED_BITMAP_LEN {
        (0..=u16::MAX)
            .filter(|o| bytes[usize::from(o / 8)] & (1 << (o % 8)) != 0)
            .collect()
    } else if bytes.len() % 2 == 0 && bytes.len() < REVOKED_BITMAP_LEN {
        let list: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        if list.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad());
        }
        list
    } else {
        return Err(bad());
    };
    if encode_revoked_offsets(&offsets) != bytes {
        return Err(bad());
    }
    Ok(offsets)
}

/// A JSON error body: `{"error": code, "message": text}`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub error: String,
    /// Human-readable explanation (never contains personal data).
    pub message: String,
}

/// Enrolment status of a person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    /// Enrolled; credentials may be issued.
    Active,
    /// A 14–17-year-old waiting for a guardian's approval.
    PendingGuardianApproval,
    /// Blocked by an administrator (fraud re-verification); no issuance.
    Suspended,
}

impl PersonStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::PendingGuardianApproval => "pending_guardian_approval",
            PersonStatus::Suspended => "suspended",
        }
    }

    /// Parses [`PersonStatus::as_str`].
    pub fn parse(s: &str) -> Option<PersonStatus> {
        [
            PersonStatus::Active,
            PersonStatus::PendingGuardianApproval,
            PersonStatus::Suspended,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// How a guardian is related to the minor (same names as the wallet's `relation`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GuardianRelation {
    /// Father or mother (父母).
    Parent,
    /// Another legal guardian (监护人).
    LegalGuardian,
}

impl GuardianRelation {
    /// `"parent"` or `"legal_guardian"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GuardianRelation::Parent => "parent",
            GuardianRelation::LegalGuardian => "legal_guardian",
        }
    }

    /// Parses [`GuardianRelation::as_str`].
    pub fn parse(s: &str) -> Option<GuardianRelation> {
        match s {
            "parent" => Some(GuardianRelation::Parent),
            "legal_guardian" => Some(GuardianRelation::LegalGuardian),
            _ => None,
        }
    }
}

/// The app categories a guardian may allow a minor's credential to be shown to, by permission
/// bit (specs/issuer.md, guardian permissions).
pub const GUARDIAN_CATEGORIES: [&str; 10] = [
    "education",
    "government",
    "travel",
    "health",
    "news",
    "shopping",
    "social",
    "video",
    "gaming",
    "finance",
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn revoked_offsets_round_trip_in_both_forms() {
        // A short list: big-endian offsets, ascending, duplicates once.
        let bytes = encode_revoked_offsets(&[300, 7, 300]);
        assert_eq!(bytes, [0, 7, 1, 44]);
        assert_eq!(decode_revoked_offsets(&bytes).unwrap(), [7, 300]);
        assert!(decode_revoked_offsets(&[]).unwrap().is_empty());
        // 4 095 offsets still fit a list; 4 096 take the bitmap.
        let many: Vec<u16> = (0..4095).map(|i| i * 16).collect();
        assert_eq!(encode_revoked_offsets(&many).len(), 8190);
        let more: Vec<u16> = (0..4096).map(|i| i * 16).collect();
        let bitmap = encode_revoked_offsets(&more);
        assert_eq!(bitmap.len(), REVOKED_BITMAP_LEN);
        assert_eq!(bitmap[0], 1);
        assert_eq!(decode_revoked_offsets(&bitmap).unwrap(), more);
        let all: Vec<u16> = (0..=u16::MAX).collect();
        assert_eq!(
            decode_revoked_offsets(&encode_revoked_offsets(&all)).unwrap(),
            all
        );
    }

    #[test]
    fn non_canonical_revoked_offsets_are_refused() {
        for bad in [
            vec![0, 9, 0, 7],                // descending
            vec![0, 7, 0, 7],                // repeated
            vec![0, 7, 1],                   // odd length
            vec![0; REVOKED_BITMAP_LEN + 2], // neither form
        ] {
            assert!(decode_revoked_offsets(&bad).is_err(), "{bad:?}");
        }
        // A bitmap of few offsets is the list's job.
        let mut sparse_bitmap = vec![0u8; REVOKED_BITMAP_LEN];
        sparse_bitmap[0] = 1;
        assert!(decode_revoked_offsets(&sparse_bitmap).is_err());
    }
}
