//! The issuer's published metadata (specs/protocol.md §2): what verifiers and wallets fetch
//! from `GET /v1/metadata` and cache. Byte fields are base64url in JSON; each is the canonical
//! encoding of its suite (decoded and validated by that suite's crate).

use crate::b64::Bytes;
use crate::CoreError;

/// Format version of [`IssuerMetadata`].
pub const METADATA_VERSION: u16 = 1;

/// How an issuer's Groth16 keys were made (specs/groth16.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Groth16Setup {
    /// The issuer does not offer the groth16 suite (no ceremony keys configured).
    None,
    /// netid's deterministic development setup: its trapdoor is public, anyone can forge
    /// proofs. Tests and demos only; verifiers refuse it unless told otherwise.
    Development,
    /// Keys from a multi-party phase-2 ceremony (imported `.zkey`).
    Ceremony,
}

impl Groth16Setup {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Groth16Setup::None => "none",
            Groth16Setup::Development => "development",
            Groth16Setup::Ceremony => "ceremony",
        }
    }
}

/// The issuer's public keys, revocation state and app-registry key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerMetadata {
    /// [`METADATA_VERSION`].
    pub version: u16,
    /// The issuer's identifier (e.g. its base URL or a name).
    pub issuer_id: String,
    /// BBS public key for BLS12-381-SHA-256 (96 bytes, compressed G2).
    pub bbs_sha256_public_key: Bytes,
    /// BBS public key for BLS12-381-SHAKE-256 (96 bytes).
    pub bbs_shake256_public_key: Bytes,
    /// EdDSA-Poseidon public key of the Groth16 suite (32 bytes, packed BabyJubJub point).
    pub groth16_public_key: Bytes,
    /// Where the Groth16 keys come from; [`Groth16Setup::None`] when the issuer does not offer
    /// the groth16 suite.
    pub groth16_setup: Groth16Setup,
    /// Groth16 verifying key of the presentation circuit (arkworks compressed); empty when
    /// `groth16_setup` is `none`.
    pub groth16_verifying_key: Bytes,
    /// Current root of the revocation tree (32 bytes, little-endian BN254 field element).
    pub revocation_root: Bytes,
    /// Revocation epoch: increases with every revocation; BBS credentials carry the epoch they
    /// were issued in.
    pub epoch: u64,
    /// Ed25519 key of the app registry that signs app certificates (32 bytes).
    pub app_registry_key: Bytes,
    /// When this metadata was produced (unix seconds).
    pub updated_at: u64,
}

impl IssuerMetadata {
    /// Checks the version and the lengths of the fixed-size fields.
    ///
    /// # Errors
    /// [`CoreError::UnsupportedVersion`], [`CoreError::InvalidLength`].
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.version != METADATA_VERSION {
            return Err(CoreError::UnsupportedVersion {
                what: "issuer metadata",
                version: self.version,
            });
        }
        for (what, b, n) in [
            ("bbs_sha256_public_key", &self.bbs_sha256_public_key, 96),
            ("bbs_shake256_public_key", &self.bbs_shake256_public_key, 96),
            ("groth16_public_key", &self.groth16_public_key, 32),
            ("revocation_root", &self.revocation_root, 32),
            ("app_registry_key", &self.app_registry_key, 32),
        ] {
            if b.len() != n {
                return Err(CoreError::InvalidLength {
                    what,
                    expected: n,
                    actual: b.len(),
                });
            }
        }
        if (self.groth16_setup == Groth16Setup::None) != self.groth16_verifying_key.is_empty() {
            return Err(CoreError::InvalidMetadata(
                "groth16_verifying_key must be empty exactly when groth16_setup is none",
            ));
        }
        Ok(())
    }
}
