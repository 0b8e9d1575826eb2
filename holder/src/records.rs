//! What the wallet stores: credential records, wards (for guardians), presentation history
//! entries, and the display helpers for names and the 网号.
//!
//! Every record is validated when constructed and again when the wallet is decrypted (serde
//! goes through the same constructors), so a wallet never holds a record the rest of netid
//! would reject. Records holding identifying data (names, 网号, ID hash) wipe those strings on
//! drop and redact them in `Debug`.

use core::fmt;

use netid_core::{
    validate_text, Attribute, CredentialAttributes, Date, SecretBytes, Statements, Suite,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::WalletError;

/// Longest issuer id in bytes.
pub const MAX_ISSUER_ID_LEN: usize = 128;
/// Longest issuer URL in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Longest credential signature in bytes (BBS: 80, EdDSA-Poseidon: 64; room for growth).
pub const MAX_SIGNATURE_LEN: usize = 4096;
/// Longest app display name in bytes (UTF-8).
pub const MAX_APP_NAME_LEN: usize = 256;

fn invalid(what: &'static str, reason: &'static str) -> WalletError {
    WalletError::InvalidRecord { what, reason }
}

/// 1..=`max` bytes of printable ASCII (0x21..=0x7E): identifiers and URLs.
fn check_printable_ascii(what: &'static str, value: &str, max: usize) -> Result<(), WalletError> {
    if value.is_empty() || value.len() > max {
        return Err(invalid(what, "wrong length"));
    }
    if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(invalid(
            what,
            "only printable ASCII without spaces is allowed",
        ));
    }
    Ok(())
}

/// 1..=`max` bytes of UTF-8 without control characters or surrounding white space.
fn check_display_text(what: &'static str, value: &str, max: usize) -> Result<(), WalletError> {
    if value.is_empty() || value.len() > max {
        return Err(invalid(what, "wrong length"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(what, "contains a control character"));
    }
    if value.starts_with(char::is_whitespace) || value.ends_with(char::is_whitespace) {
        return Err(invalid(what, "leading or trailing white space"));
    }
    Ok(())
}

/// The name as the wallet shows it on screen: the whole family name replaced by a single `*`,
/// followed by the given name (王 + 丽 → `*丽`, 欧阳 + 娜娜 → `*娜娜`).
///
/// For a person without a family name, every character of the given name but the last is
/// replaced by a single `*` (`艾力` → `*力`); a one-character given name is shown as `*`.
///
/// ```
/// use netid_holder::mask_name;
/// assert_eq!(mask_name("王", "丽"), "*丽");
/// assert_eq!(mask_name("欧阳", "娜娜"), "*娜娜");
/// assert_eq!(mask_name("", "艾力"), "*力");
/// ```
pub fn mask_name(family_name: &str, given_name: &str) -> String {
    if !family_name.is_empty() {
        return format!("*{given_name}");
    }
    let mut chars = given_name.chars();
    match (chars.next_back(), chars.next()) {
        (Some(last), Some(_)) => format!("*{last}"),
        _ => "*".to_owned(),
    }
}

/// A 网号 split into groups of four characters for reading aloud or copying by hand
/// (`"7Q2KX9M4ABCD5"` → `"7Q2K X9M4 ABCD 5"`).
///
/// ```
/// assert_eq!(netid_holder::group_netid("7Q2KX9M4ABCD5"), "7Q2K X9M4 ABCD 5");
/// ```
pub fn group_netid(netid: &str) -> String {
    let mut out = String::with_capacity(netid.len() + netid.len() / 4);
    for (i, c) in netid.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The issuer's status of a credential as last learned by the wallet.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialStatus {
    /// Issued and not known to be revoked.
    Active,
    /// Revoked by the issuer (lost phone, fraud re-verification); refresh or re-enrol.
    Revoked,
}

/// One issued credential: the suite, who issued it, the signed attributes and the issuer's
/// signature (opaque bytes, checked by the suite crates when presenting).
///
/// Invariants (checked by [`new`](Self::new) and on load): the attributes pass
/// [`CredentialAttributes::validate`]; the issuer id is 1..=128 bytes of printable ASCII; the
/// issuer URL 1..=2048 bytes of printable ASCII; the signature 1..=4096 bytes; a BBS credential
/// carries the `secret_prover_blind` of the commitment it was issued on (a canonical scalar), a
/// Groth16 credential none. The wallet additionally checks that the `binding` attribute is
/// `Poseidon(s)` of its own secret.
///
/// JSON: `{"suite", "issuer_id", "issuer_url", "attributes", "signature" (base64url),
/// "issued_at" (Unix seconds), "status", "prover_blind" (base64url, BBS only), "epoch" (BBS:
/// the revocation epoch whose key signed it), "revocation_path" (Groth16: a
/// [`RevocationPath`] the wallet keeps)}`. `Debug` redacts
/// the attributes, the signature and the blind.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawCredentialRecord")]
pub struct CredentialRecord {
    suite: Suite,
    issuer_id: String,
    issuer_url: String,
    attributes: CredentialAttributes,
    #[serde(serialize_with = "netid_core::b64::serialize")]
    signature: Vec<u8>,
    issued_at: u64,
    status: CredentialStatus,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_blind"
    )]
    prover_blind: Option<SecretBytes<32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    epoch: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revocation_path: Option<RevocationPath>,
}

/// A Groth16 credential's authentication path in the revocation tree of one epoch, computed by
/// the wallet from that epoch's bucket (specs/revocation.md §8) and kept, so that presenting
/// fetches nothing while the epoch is accepted (§6.3 of the threat model: the issuer does not
/// learn the moment of a presentation).
///
/// JSON: `{"epoch", "siblings": [32 × base64url of 32 bytes, level 0 first]}`.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationPath {
    epoch: u64,
    siblings: Vec<netid_core::b64::Bytes>,
}

impl RevocationPath {
    /// The path of epoch `epoch`.
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] unless there are 32 siblings of 32 bytes.
    pub fn new(epoch: u64, siblings: &[[u8; 32]]) -> Result<RevocationPath, WalletError> {
        let path = RevocationPath {
            epoch,
            siblings: siblings.iter().map(|s| s.to_vec().into()).collect(),
        };
        path.validate()?;
        Ok(path)
    }

    fn validate(&self) -> Result<(), WalletError> {
        if self.siblings.len() != netid_circuits::gadgets::merkle::DEPTH
            || self.siblings.iter().any(|s| s.len() != 32)
        {
            return Err(invalid("revocation path", "not 32 siblings of 32 bytes"));
        }
        Ok(())
    }

    /// The epoch whose tree it is a path in.
    pub const fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The siblings, level 0 first (32 bytes each).
    pub fn siblings(&self) -> Vec<[u8; 32]> {
        self.siblings
            .iter()
            .filter_map(|s| <[u8; 32]>::try_from(s.as_slice()).ok())
            .collect()
    }
}

#[allow(clippy::ref_option)]
fn serialize_blind<S: serde::Serializer>(
    blind: &Option<SecretBytes<32>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match blind {
        Some(b) => netid_core::b64::array::serialize(b.expose_secret(), s),
        None => s.serialize_none(),
    }
}

fn deserialize_blind<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretBytes<32>>, D::Error> {
    let mut b: [u8; 32] = netid_core::b64::array::deserialize(d)?;
    let out = SecretBytes::new(b);
    b.zeroize();
    Ok(Some(out))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredentialRecord {
    suite: Suite,
    issuer_id: String,
    issuer_url: String,
    attributes: CredentialAttributes,
    #[serde(deserialize_with = "netid_core::b64::deserialize")]
    signature: Vec<u8>,
    issued_at: u64,
    status: CredentialStatus,
    #[serde(default, deserialize_with = "deserialize_blind")]
    prover_blind: Option<SecretBytes<32>>,
    #[serde(default)]
    epoch: Option<u64>,
    #[serde(default)]
    revocation_path: Option<RevocationPath>,
}

impl TryFrom<RawCredentialRecord> for CredentialRecord {
    type Error = WalletError;
    fn try_from(r: RawCredentialRecord) -> Result<CredentialRecord, WalletError> {
        let mut c = CredentialRecord::new(
            r.suite,
            r.issuer_id,
            r.issuer_url,
            r.attributes,
            r.signature,
            r.issued_at,
        )?;
        c.status = r.status;
        c.epoch = r.epoch;
        if let Some(b) = r.prover_blind {
            c = c.with_prover_blind(b.expose_secret())?;
        }
        if let Some(p) = r.revocation_path {
            c = c.with_revocation_path(p)?;
        }
        Ok(c)
    }
}

impl CredentialRecord {
    /// A validated, [`Active`](CredentialStatus::Active) record.
    ///
    /// # Errors
    /// [`WalletError::Core`] if the attributes fail schema validation;
    /// [`WalletError::InvalidRecord`] for a bad issuer id, URL or signature length.
    pub fn new(
        suite: Suite,
        issuer_id: String,
        issuer_url: String,
        attributes: CredentialAttributes,
        signature: Vec<u8>,
        issued_at: u64,
    ) -> Result<CredentialRecord, WalletError> {
        attributes.validate()?;
        check_printable_ascii("issuer id", &issuer_id, MAX_ISSUER_ID_LEN)?;
        check_printable_ascii("issuer URL", &issuer_url, MAX_URL_LEN)?;
        if signature.is_empty() || signature.len() > MAX_SIGNATURE_LEN {
            return Err(invalid("credential signature", "wrong length"));
        }
        Ok(CredentialRecord {
            suite,
            issuer_id,
            issuer_url,
            attributes,
            signature,
            issued_at,
            status: CredentialStatus::Active,
            prover_blind: None,
            epoch: None,
            revocation_path: None,
        })
    }

    /// With the revocation path the wallet computed for this Groth16 credential in one epoch
    /// (replacing the one kept before).
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] for a BBS credential or a malformed path.
    pub fn with_revocation_path(
        mut self,
        path: RevocationPath,
    ) -> Result<CredentialRecord, WalletError> {
        if self.suite != Suite::Groth16 {
            return Err(invalid(
                "revocation path",
                "only a groth16 credential has one",
            ));
        }
        path.validate()?;
        self.revocation_path = Some(path);
        Ok(self)
    }

    /// The revocation path kept for this Groth16 credential, if any.
    pub const fn revocation_path(&self) -> Option<&RevocationPath> {
        self.revocation_path.as_ref()
    }

    /// With the revocation epoch whose BBS key signed it (specs/revocation.md §6), as the
    /// issuer's answer said.
    #[must_use]
    pub fn with_epoch(mut self, epoch: u64) -> CredentialRecord {
        self.epoch = Some(epoch);
        self
    }

    /// The revocation epoch whose BBS key signed this credential; `None` for a record stored
    /// before wallets kept it (then presented as if of the issuer's current epoch).
    pub const fn epoch(&self) -> Option<u64> {
        self.epoch
    }

    /// With the `secret_prover_blind` of the Blind BBS commitment a BBS credential was issued on
    /// (from [`NetidBbs::commit_binding`](netid_bbs::netid::NetidBbs::commit_binding)).
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] for a Groth16 credential or a non-canonical scalar.
    pub fn with_prover_blind(mut self, blind: &[u8; 32]) -> Result<CredentialRecord, WalletError> {
        if self.suite == Suite::Groth16 {
            return Err(invalid("prover blind", "a groth16 credential has none"));
        }
        netid_bbs::ProverBlind::from_bytes(blind)
            .map_err(|_| invalid("prover blind", "not a canonical scalar"))?;
        self.prover_blind = Some(SecretBytes::new(*blind));
        Ok(self)
    }

    /// The `secret_prover_blind` of a BBS credential (`None` for Groth16, and for a BBS record
    /// not yet given one, which the wallet refuses to store).
    pub fn prover_blind(&self) -> Option<netid_bbs::ProverBlind> {
        self.prover_blind
            .as_ref()
            .and_then(|b| netid_bbs::ProverBlind::from_bytes(b.expose_secret()).ok())
    }

    /// The proof suite the credential was issued for.
    pub const fn suite(&self) -> Suite {
        self.suite
    }

    /// The issuer's id.
    pub fn issuer_id(&self) -> &str {
        &self.issuer_id
    }

    /// The issuer's base URL (for refresh and status checks).
    pub fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The signed attributes (contain the secret `nym`: handle with care).
    pub const fn attributes(&self) -> &CredentialAttributes {
        &self.attributes
    }

    /// The issuer's signature, in the suite's encoding.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// When the wallet received the credential (Unix seconds, supplied by the caller).
    pub const fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The last day of validity (the `expiry` attribute).
    pub const fn expiry(&self) -> Date {
        self.attributes.expiry
    }

    /// The position in the revocation structure (the `rev_index` attribute).
    pub const fn rev_index(&self) -> u32 {
        self.attributes.rev_index
    }

    /// The 网号 (the `netid` attribute).
    pub fn netid(&self) -> &str {
        &self.attributes.netid
    }

    /// The status last learned from the issuer.
    pub const fn status(&self) -> CredentialStatus {
        self.status
    }

    /// Sets the status (after a status check or a revocation notice).
    pub fn set_status(&mut self, status: CredentialStatus) {
        self.status = status;
    }

    /// Whether the credential can be presented on `today`: active and `today <= expiry`.
    pub fn is_usable_on(&self, today: Date) -> bool {
        self.status == CredentialStatus::Active && today <= self.attributes.expiry
    }

    /// The masked name for display ([`mask_name`]).
    pub fn masked_name(&self) -> String {
        mask_name(&self.attributes.family_name, &self.attributes.given_name)
    }
}

impl Drop for CredentialRecord {
    fn drop(&mut self) {
        self.attributes.netid.zeroize();
        self.attributes.family_name.zeroize();
        self.attributes.given_name.zeroize();
        self.attributes.id_hash.zeroize();
    }
}

impl fmt::Debug for CredentialRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRecord")
            .field("suite", &self.suite)
            .field("issuer_id", &self.issuer_id)
            .field("issuer_url", &self.issuer_url)
            .field("attributes", &self.attributes)
            .field(
                "signature",
                &format_args!("<{} bytes>", self.signature.len()),
            )
            .field("issued_at", &self.issued_at)
            .field("status", &self.status)
            .field("epoch", &self.epoch)
            .finish()
    }
}

/// How a guardian is related to a ward.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GuardianRelation {
    /// Father or mother.
    Parent,
    /// Another legal guardian (监护人).
    LegalGuardian,
}

/// A minor this wallet's holder is guardian of, as recorded by the issuer: the minor's 网号
/// (how the issuer identifies them), a masked display name, the relation, since when, and the
/// permission bits (`guardian_perms`) last set.
///
/// JSON: `{"netid", "display_name", "relation", "since" (Unix seconds), "permissions"}`.
/// `Debug` redacts the 网号.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawWard")]
pub struct Ward {
    netid: String,
    display_name: String,
    relation: GuardianRelation,
    since: u64,
    permissions: u32,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWard {
    netid: String,
    display_name: String,
    relation: GuardianRelation,
    since: u64,
    permissions: u32,
}

impl TryFrom<RawWard> for Ward {
    type Error = WalletError;
    fn try_from(r: RawWard) -> Result<Ward, WalletError> {
        Ward::new(r.netid, r.display_name, r.relation, r.since, r.permissions)
    }
}

impl Ward {
    /// A validated ward record. `display_name` should already be masked (e.g. with
    /// [`mask_name`]); the wallet does not need the minor's full name.
    ///
    /// # Errors
    /// [`WalletError::Core`] for an invalid 网号; [`WalletError::InvalidRecord`] for a bad
    /// display name (1..=256 bytes, no control characters or surrounding white space).
    pub fn new(
        netid: String,
        display_name: String,
        relation: GuardianRelation,
        since: u64,
        permissions: u32,
    ) -> Result<Ward, WalletError> {
        validate_text(Attribute::Netid, &netid)?;
        check_display_text("ward display name", &display_name, MAX_APP_NAME_LEN)?;
        Ok(Ward {
            netid,
            display_name,
            relation,
            since,
            permissions,
        })
    }

    /// The minor's 网号.
    pub fn netid(&self) -> &str {
        &self.netid
    }

    /// The (masked) display name.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The relation.
    pub const fn relation(&self) -> GuardianRelation {
        self.relation
    }

    /// Since when (Unix seconds).
    pub const fn since(&self) -> u64 {
        self.since
    }

    /// Permission bits last set on the minor's credential.
    pub const fn permissions(&self) -> u32 {
        self.permissions
    }

    /// Records new permission bits (after the issuer accepted them).
    pub fn set_permissions(&mut self, permissions: u32) {
        self.permissions = permissions;
    }
}

impl Drop for Ward {
    fn drop(&mut self) {
        self.netid.zeroize();
        self.display_name.zeroize();
    }
}

impl fmt::Debug for Ward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ward")
            .field("netid", &"<redacted>")
            .field("display_name", &self.display_name)
            .field("relation", &self.relation)
            .field("since", &self.since)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// A short tag of a pseudonym: the first 8 bytes of
/// `SHA-256(u32_be(len) ‖ "netid/v1/wallet/pseudonym-tag" ‖ pseudonym)`, shown as 16 hex
/// digits. Enough for the holder to see "the same pseudonym as last time" in the history
/// without the wallet keeping the pseudonym itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PseudonymTag([u8; 8]);

const PSEUDONYM_TAG_DST: &[u8] = b"netid/v1/wallet/pseudonym-tag";

impl PseudonymTag {
    /// The tag of a pseudonym's bytes (whatever encoding its suite uses).
    pub fn of(pseudonym: &[u8]) -> PseudonymTag {
        let mut h = Sha256::new();
        // The DST is a short constant; its length fits in u32.
        h.update((PSEUDONYM_TAG_DST.len() as u32).to_be_bytes());
        h.update(PSEUDONYM_TAG_DST);
        h.update(pseudonym);
        let d = h.finalize();
        let mut t = [0u8; 8];
        t.copy_from_slice(&d[..8]);
        PseudonymTag(t)
    }

    /// The 8 bytes.
    pub const fn to_bytes(self) -> [u8; 8] {
        self.0
    }
}

impl fmt::Display for PseudonymTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PseudonymTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PseudonymTag({self})")
    }
}

impl serde::Serialize for PseudonymTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PseudonymTag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PseudonymTag, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        let mut t = [0u8; 8];
        if s.len() != 16 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom(
                "pseudonym tag: 16 lowercase hex digits",
            ));
        }
        hex::decode_to_slice(s.as_bytes(), &mut t)
            .map_err(|_| serde::de::Error::custom("pseudonym tag: 16 lowercase hex digits"))?;
        Ok(PseudonymTag(t))
    }
}

/// One presentation the holder made: when, to which app, with which suite, what was proven or
/// disclosed (the request's statements), and the pseudonym's tag if one was given.
///
/// JSON: `{"at" (Unix seconds), "app_id", "app_name", "suite", "statements",
/// "pseudonym_tag" (16 hex digits or null)}`.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawHistoryEntry")]
pub struct HistoryEntry {
    at: u64,
    app_id: String,
    app_name: String,
    suite: Suite,
    statements: Statements,
    pseudonym_tag: Option<PseudonymTag>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistoryEntry {
    at: u64,
    app_id: String,
    app_name: String,
    suite: Suite,
    statements: Statements,
    pseudonym_tag: Option<PseudonymTag>,
}

impl TryFrom<RawHistoryEntry> for HistoryEntry {
    type Error = WalletError;
    fn try_from(r: RawHistoryEntry) -> Result<HistoryEntry, WalletError> {
        HistoryEntry::new(
            r.at,
            r.app_id,
            r.app_name,
            r.suite,
            r.statements,
            r.pseudonym_tag,
        )
    }
}

impl HistoryEntry {
    /// A validated history entry. `app_id` as in requests (1..=128 bytes of printable ASCII);
    /// `app_name` as shown to the holder (1..=256 bytes of UTF-8, no control characters).
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`].
    pub fn new(
        at: u64,
        app_id: String,
        app_name: String,
        suite: Suite,
        statements: Statements,
        pseudonym_tag: Option<PseudonymTag>,
    ) -> Result<HistoryEntry, WalletError> {
        check_printable_ascii("app id", &app_id, netid_core::MAX_APP_ID_LEN)?;
        check_display_text("app name", &app_name, MAX_APP_NAME_LEN)?;
        if statements.disclose.contains(Attribute::Nym) {
            return Err(invalid("history statements", "nym is never disclosed"));
        }
        Ok(HistoryEntry {
            at,
            app_id,
            app_name,
            suite,
            statements,
            pseudonym_tag,
        })
    }

    /// When (Unix seconds).
    pub const fn at(&self) -> u64 {
        self.at
    }

    /// The app's id.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The app's display name.
    pub fn app_name(&self) -> &str {
        &self.app_name
    }

    /// The suite used.
    pub const fn suite(&self) -> Suite {
        self.suite
    }

    /// What was proven and disclosed.
    pub const fn statements(&self) -> &Statements {
        &self.statements
    }

    /// The tag of the pseudonym given to the app, if any.
    pub const fn pseudonym_tag(&self) -> Option<PseudonymTag> {
        self.pseudonym_tag
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_name("王", "丽"), "*丽");
        assert_eq!(mask_name("欧阳", "娜娜"), "*娜娜");
        assert_eq!(mask_name("司马", "相如"), "*相如");
        assert_eq!(mask_name("", "艾力"), "*力");
        assert_eq!(mask_name("", "丽"), "*");
        assert_eq!(mask_name("", ""), "*");
        assert_eq!(mask_name("Smith", "Anna"), "*Anna");
    }

    #[test]
    fn grouping() {
        assert_eq!(group_netid(""), "");
        assert_eq!(group_netid("ABCD"), "ABCD");
        assert_eq!(group_netid("ABCDE"), "ABCD E");
        assert_eq!(group_netid("7Q2KX9M4ABCD5"), "7Q2K X9M4 ABCD 5");
    }

    #[test]
    fn pseudonym_tag() {
        let t = PseudonymTag::of(b"pseudonym bytes");
        assert_eq!(t, PseudonymTag::of(b"pseudonym bytes"));
        assert_ne!(t, PseudonymTag::of(b"other"));
        let s = t.to_string();
        assert_eq!(s.len(), 16);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<PseudonymTag>(&json).unwrap(), t);
        assert!(serde_json::from_str::<PseudonymTag>(&json.to_uppercase()).is_err());
        assert!(serde_json::from_str::<PseudonymTag>("\"00\"").is_err());
    }

    #[test]
    fn history_entry_validation() {
        let st = Statements::new(Date::from_ymd(2026, 3, 1).unwrap());
        assert!(
            HistoryEntry::new(1, "cn.shop".into(), "商店".into(), Suite::Groth16, st, None).is_ok()
        );
        for (id, name) in [
            ("", "x"),
            ("a b", "x"),
            ("a", ""),
            ("a", " x"),
            ("a", "x\n"),
        ] {
            assert!(
                HistoryEntry::new(1, id.into(), name.into(), Suite::Groth16, st, None).is_err(),
                "{id:?} {name:?}"
            );
        }
        let mut st2 = st;
        st2.disclose.insert(Attribute::Nym);
        assert!(HistoryEntry::new(1, "a".into(), "b".into(), Suite::Groth16, st2, None).is_err());
        let long = "a".repeat(129);
        assert!(HistoryEntry::new(1, long, "b".into(), Suite::Groth16, st, None).is_err());
    }

    #[test]
    fn ward_validation_and_debug() {
        let w = Ward::new(
            "7Q2KX9M4ABCD5".into(),
            "*明".into(),
            GuardianRelation::Parent,
            5,
            3,
        )
        .unwrap();
        let dbg = format!("{w:?}");
        assert!(!dbg.contains("7Q2KX9M4ABCD5"));
        assert!(Ward::new(
            "bad netid".into(),
            "*明".into(),
            GuardianRelation::Parent,
            5,
            3
        )
        .is_err());
        assert!(Ward::new("ABC".into(), "".into(), GuardianRelation::Parent, 5, 3).is_err());
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(serde_json::from_str::<Ward>(&json).unwrap(), w);
        let bad = json.replace("7Q2KX9M4ABCD5", "7Q2K X9M4");
        assert!(serde_json::from_str::<Ward>(&bad).is_err());
    }
}

/// What the wallet remembers of an issuer's metadata (specs/revocation.md §5): the metadata
/// key pinned on first use, and the highest `(epoch, sequence)` it accepted, below which it
/// refuses any document (a rollback by a relay or a lagging replica).
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerPin {
    url: String,
    #[serde(with = "netid_core::b64::array")]
    metadata_key: [u8; 32],
    epoch: u64,
    sequence: u64,
    /// The newest signed epoch record accepted (specs/revocation.md §5); `None` before the
    /// issuer published records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<netid_core::EpochHead>,
}

impl IssuerPin {
    /// A pin of `metadata_key` for the issuer at `url`, at `(epoch, sequence)`.
    ///
    /// # Errors
    /// [`WalletError::InvalidRecord`] for a URL that is not printable ASCII of at most
    /// [`MAX_URL_LEN`] bytes.
    pub fn new(
        url: &str,
        metadata_key: [u8; 32],
        epoch: u64,
        sequence: u64,
    ) -> Result<IssuerPin, WalletError> {
        check_printable_ascii("issuer URL", url, MAX_URL_LEN)?;
        Ok(IssuerPin {
            url: url.to_owned(),
            metadata_key,
            epoch,
            sequence,
            record: None,
        })
    }

    /// The same pin holding `record` as the newest epoch record accepted.
    #[must_use]
    pub fn with_record(mut self, record: Option<netid_core::EpochHead>) -> IssuerPin {
        self.record = record;
        self
    }

    /// The newest signed epoch record accepted, which later documents' records must descend
    /// from.
    pub const fn record(&self) -> Option<&netid_core::EpochHead> {
        self.record.as_ref()
    }

    /// The issuer's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The pinned metadata key (Ed25519 public key).
    pub const fn metadata_key(&self) -> &[u8; 32] {
        &self.metadata_key
    }

    /// The highest `(epoch, sequence)` accepted.
    pub const fn position(&self) -> (u64, u64) {
        (self.epoch, self.sequence)
    }

    pub(crate) fn validate(&self) -> Result<(), WalletError> {
        check_printable_ascii("issuer URL", &self.url, MAX_URL_LEN)
    }
}
