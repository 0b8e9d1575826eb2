//! The issuer's wire messages: [`netid_core::issuer_api`] (shared with the wallet), re-exported,
//! and the OpenAPI schema of the metadata document.

use utoipa::ToSchema;

pub use netid_core::issuer_api::*;

/// Schema of `GET /v1/metadata` (`netid_core::IssuerMetadata`).
#[derive(ToSchema)]
#[schema(as = IssuerMetadata)]
#[allow(dead_code)]
pub(crate) struct MetadataSchema {
    version: u16,
    issuer_id: String,
    #[schema(format = Byte)]
    bbs_sha256_public_key: String,
    #[schema(format = Byte)]
    bbs_shake256_public_key: String,
    #[schema(format = Byte)]
    groth16_public_key: String,
    /// `ceremony`, `development` (public trapdoor: forgeable, demos and tests only) or `none`
    /// (the groth16 suite is not offered; `groth16_verifying_key` is then empty).
    #[schema(pattern = "^(ceremony|development|none)$")]
    groth16_setup: String,
    #[schema(format = Byte)]
    groth16_verifying_key: String,
    #[schema(format = Byte)]
    revocation_root: String,
    epoch: u64,
    #[schema(format = Byte)]
    app_registry_key: String,
    updated_at: u64,
    /// The metadata key (Ed25519, 32 bytes) that signs this document.
    #[schema(format = Byte)]
    metadata_key: String,
    /// Increases with every change of the revocation state, across replicas.
    sequence: u64,
    /// When `epoch` began (Unix seconds).
    epoch_start: i64,
    /// Seconds per epoch.
    epoch_length: u32,
    /// `K`: the epochs before `epoch` whose keys verifiers still accept.
    grace_epochs: u8,
    /// The grace epochs' roots and BBS keys, newest first.
    previous_epochs: Vec<EpochKeysSchema>,
    /// The signed epoch records of `epoch` and the epochs sealed before it, newest first, at
    /// most `K + 1` (specs/revocation.md §5).
    epoch_records: Vec<netid_core::SignedEpochRecord>,
}

/// Schema of `netid_core::EpochKeys`: one grace epoch's keys.
#[derive(ToSchema)]
#[schema(as = EpochKeys)]
#[allow(dead_code)]
pub(crate) struct EpochKeysSchema {
    epoch: u64,
    #[schema(format = Byte)]
    revocation_root: String,
    #[schema(format = Byte)]
    bbs_sha256_public_key: String,
    #[schema(format = Byte)]
    bbs_shake256_public_key: String,
}

/// Schema of `GET /v1/metadata` (`netid_core::SignedMetadata`, specs/revocation.md §5).
#[derive(ToSchema)]
#[schema(as = SignedMetadata)]
#[allow(dead_code)]
pub(crate) struct SignedMetadataSchema {
    /// The `IssuerMetadata` document's JSON bytes, exactly as signed (base64url).
    #[schema(format = Byte)]
    document: String,
    /// Ed25519 signature by the document's `metadata_key` over
    /// `"netid/v1/metadata" ‖ document` (64 bytes, base64url).
    #[schema(format = Byte)]
    signature: String,
}
