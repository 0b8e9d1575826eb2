//! The crate's single error type.
//!
//! Messages say *what* went wrong and never contain secret or identifying values: no passphrase,
//! no key bytes, no names, no 网号, no file contents. Errors may be shown on screen or logged.

use netid_core::CoreError;

/// Every error `netid-holder` returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalletError {
    /// The passphrase does not open this wallet (its check value does not match).
    #[error("wrong passphrase")]
    WrongPassphrase,

    /// A new passphrase was empty; the wallet refuses to be encrypted under one.
    #[error("the passphrase must not be empty")]
    EmptyPassphrase,

    /// The wallet file is damaged or is not a netid wallet: bad magic, wrong length, checksum
    /// mismatch, ciphertext that fails authentication, contents that do not parse or validate.
    #[error("wallet file is corrupt: {what}")]
    Corrupt {
        /// What is wrong (never the offending bytes).
        what: &'static str,
    },

    /// The file or its contents use a version this implementation does not read.
    #[error("unsupported wallet {what} version {version}")]
    UnsupportedVersion {
        /// `"file"` (the byte layout) or `"contents"` (the encrypted JSON).
        what: &'static str,
        /// The version found.
        version: u32,
    },

    /// The file's key-derivation parameters are below the accepted minimum
    /// ([`KdfParams::MIN_ACCEPTED`](crate::KdfParams::MIN_ACCEPTED) unless the options lower
    /// it): the file was written by a tool with unsafe settings or was tampered with.
    #[error("wallet key-derivation parameters are weaker than the accepted minimum")]
    WeakKdfParams,

    /// Key-derivation parameters outside what Argon2id allows or above the accepted maximum.
    #[error("invalid key-derivation parameters: {0}")]
    InvalidKdfParams(&'static str),

    /// No wallet exists at the storage location.
    #[error("no wallet found")]
    NotFound,

    /// A wallet already exists at the storage location (creation never overwrites one).
    #[error("a wallet already exists at this location")]
    AlreadyExists,

    /// The stored wallet changed since this process opened or last saved it (another process
    /// wrote it). Nothing was written; reopen the wallet and redo the change.
    #[error("the wallet was changed by another process since it was opened; reopen it")]
    ModifiedConcurrently,

    /// Reading or writing the wallet's storage failed.
    #[error("I/O error while {op}: {source}")]
    Io {
        /// The operation (e.g. `"writing the temporary file"`).
        op: &'static str,
        /// The underlying error (std's messages carry no paths or contents).
        #[source]
        source: std::io::Error,
    },

    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Randomness,

    /// A record handed to the wallet (credential, ward, history entry) violates its rules.
    #[error("invalid {what}: {reason}")]
    InvalidRecord {
        /// The kind of record or field.
        what: &'static str,
        /// The rule it violates.
        reason: &'static str,
    },

    /// A credential whose `binding` attribute is not `Poseidon(s)` of this wallet's secret.
    #[error("the credential is bound to a different wallet secret")]
    BindingMismatch,

    /// A credential for a different person (another 网号) than the wallet's other credentials.
    #[error("the credential belongs to a different person than this wallet's credentials")]
    HolderMismatch,

    /// A credential attribute failed netid-core's schema validation.
    #[error(transparent)]
    Core(#[from] CoreError),

    /// Issuer metadata the wallet refuses (specs/revocation.md §5): a bad signature, another
    /// key than the one pinned for that issuer, or older than the metadata it accepted last
    /// (a rollback).
    #[error("issuer metadata refused: {0}")]
    MetadataRefused(String),

    /// Newer issuer metadata whose epoch records do not reach the one the wallet holds: the
    /// records of the epochs after `after` and before `before` are needed
    /// (`GET /v1/epochs/records`).
    #[error("the epoch records after epoch {after} and before epoch {before} are needed")]
    EpochGap {
        /// The epoch of the record the wallet holds.
        after: u64,
        /// The oldest record the new document carries.
        before: u64,
    },

    /// A cryptographic primitive failed in a way that cannot happen with valid inputs.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl WalletError {
    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> WalletError {
        move |source| WalletError::Io { op, source }
    }
}
