//! Domain separation tags: every hash input and transcript label netid uses.
//!
//! All tags are ASCII byte strings beginning with `netid/v1/`. The `v1` is bumped for any change
//! to what a tag covers, so values computed under different versions never collide. A tag is
//! always used in one of two ways, stated on each constant:
//!
//! * **prefix**: hashed as `u32_be(len(tag)) || tag || …` (length-prefixed, so no tag is a
//!   prefix-collision of another), or, for [`ATTR_TEXT`], exactly as the attribute encoding
//!   describes;
//! * **label**: a `merlin` transcript label (`&'static [u8]`), or an application tag passed to a
//!   hash-to-curve / PRF.
//!
//! `specs/credential.md` lists the same values; the two must not diverge.

/// Prefix of the text-attribute hash input:
/// `SHA-256("netid/v1/attr/" || attribute_name || 0x00 || utf8(value))` (no length prefix; the
/// name is ASCII without NUL, so the input is unambiguous). See
/// [`EncodedAttribute::from_text`](crate::EncodedAttribute::from_text).
pub const ATTR_TEXT: &[u8] = b"netid/v1/attr/";

/// Domain separator at the start of a presentation request's canonical bytes (prefix).
pub const REQUEST: &[u8] = b"netid/v1/request";

/// Domain separator of the request hash: `SHA-256(u32_be(len) || "netid/v1/request-hash" ||
/// signing_bytes)` (prefix).
pub const REQUEST_HASH: &[u8] = b"netid/v1/request-hash";

/// Domain separator of the device-key digest: `SHA-256(u32_be(len) || "netid/v1/device-key" ||
/// public_key_bytes)` (prefix). See [`device_key_digest`](crate::device_key_digest).
pub const DEVICE_KEY: &[u8] = b"netid/v1/device-key";

/// Issuer PRF label for the keyed `id_hash` of the ID number (label; the issuer crate defines
/// the PRF).
pub const ID_HASH: &[u8] = b"netid/v1/id-hash";

/// Issuer PRF label for deriving the 网号 from the ID number (label).
pub const NETID: &[u8] = b"netid/v1/netid";

/// Issuer PRF label for deriving the per-person pseudonym secret `nym` (label).
pub const NYM: &[u8] = b"netid/v1/nym";

/// Domain separator of app certificates (signed by the issuer's app registry).
pub const APP_CERTIFICATE: &[u8] = b"netid/v1/app-certificate";

/// Labels of the BBS-suite netid presentation (merlin transcript and hash-to-curve tags).
pub mod bbs {
    /// merlin transcript protocol label (`Transcript::new`).
    pub const TRANSCRIPT: &[u8] = b"netid/v1/bbs/presentation";
    /// Transcript label: the request hash (32 bytes).
    pub const REQUEST_HASH: &[u8] = b"request-hash";
    /// Transcript label: the request nonce (32 bytes).
    pub const NONCE: &[u8] = b"nonce";
    /// Transcript label: the app id (UTF-8 bytes).
    pub const APP_ID: &[u8] = b"app-id";
    /// Transcript label: the ciphersuite id.
    pub const SUITE: &[u8] = b"suite";
    /// Transcript label: the issuer public key.
    pub const ISSUER_KEY: &[u8] = b"issuer-key";
    /// Transcript label: the statements (canonical bytes, as in the request).
    pub const STATEMENTS: &[u8] = b"statements";
    /// Transcript label: the BBS proof-of-knowledge commitments.
    pub const BBS_COMMITMENTS: &[u8] = b"bbs-commitments";
    /// Transcript label: the pseudonym point.
    pub const PSEUDONYM: &[u8] = b"pseudonym";
    /// Transcript label: the pseudonym proof commitment.
    pub const PSEUDONYM_COMMITMENT: &[u8] = b"pseudonym-commitment";
    /// Transcript label: range proof on the birthdate (`birthdate <= cutoff`).
    pub const RANGE_BIRTHDATE: &[u8] = b"range/birthdate";
    /// Transcript label: range proof on the expiry (`expiry >= today`).
    pub const RANGE_EXPIRY: &[u8] = b"range/expiry";
    /// Transcript label: the Fiat–Shamir challenge.
    pub const CHALLENGE: &[u8] = b"challenge";
    /// Hash-to-curve DST for the per-app generator `H_app` (pseudonyms).
    pub const PSEUDONYM_H2C: &[u8] = b"netid/v1/bbs/pseudonym/H_app";
    /// Hash-to-curve DST for Pedersen generators of the range proofs.
    pub const RANGE_GENERATORS: &[u8] = b"netid/v1/bbs/range/generators";
}

/// Labels of the Groth16 suite.
pub mod groth16 {
    /// Domain separator for mapping the app id into a BN254 field element (prefix).
    pub const APP_ID: &[u8] = b"netid/v1/groth16/app-id";
    /// Domain separator for mapping the request hash / nonce into public inputs (prefix).
    pub const PUBLIC_INPUTS: &[u8] = b"netid/v1/groth16/public-inputs";
    /// Seed label of the deterministic development setup (tests only).
    pub const DEV_SETUP: &[u8] = b"netid/v1/groth16/dev-setup";
}

/// Every prefix and label above, for uniqueness tests and documentation.
pub const ALL: &[&[u8]] = &[
    ATTR_TEXT,
    REQUEST,
    REQUEST_HASH,
    DEVICE_KEY,
    ID_HASH,
    NETID,
    NYM,
    APP_CERTIFICATE,
    bbs::TRANSCRIPT,
    bbs::PSEUDONYM_H2C,
    bbs::RANGE_GENERATORS,
    groth16::APP_ID,
    groth16::PUBLIC_INPUTS,
    groth16::DEV_SETUP,
];

/// Feeds `u32_be(len(bytes)) || bytes` into a SHA-256 state.
pub(crate) fn update_len_prefixed(hasher: &mut sha2::Sha256, bytes: &[u8]) {
    use sha2::Digest;
    hasher.update(crate::codec::len_u32(bytes.len()).to_be_bytes());
    hasher.update(bytes);
}
