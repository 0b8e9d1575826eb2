//! # netid-holder
//!
//! The netid wallet library: an encrypted, crash-safe store for the holder's device key, the
//! holder secret every credential is bound to (every presentation proves knowledge of it, so a
//! copied credential is useless without the wallet), credentials of both proof suites, guardian information and a local history of presentations.
//! No async runtime, no network, no clock: it can go to mobile and WASM unchanged. The `netid`
//! CLI is built on it.
//!
//! * [`store`]: the file format. Argon2id turns the passphrase (口令) into a key;
//!   XChaCha20-Poly1305 encrypts the contents with the header as associated data; a checksum
//!   tells damage from a wrong passphrase. Normative description: `specs/wallet.md`.
//! * [`storage`]: where the bytes live. [`FileStorage`] replaces the file atomically
//!   (temporary file, `fsync`, `rename`, directory `fsync`), so a crash mid-save never
//!   corrupts the wallet; [`MemoryStorage`] for tests and hosts that keep the bytes themselves.
//! * [`Wallet`]: the open wallet and its contents ([`CredentialRecord`], [`Ward`],
//!   [`HistoryEntry`], [`DeviceKey`]).
//! * [`present`]: the wallet's side of a presentation, pure (no network, no clock): check a
//!   request against the app registry key, pick a credential, build a BBS or Groth16
//!   presentation from data the caller fetched.
//! * `cli` (feature `cli`, on by default): the `netid` command-line wallet. Neither the library
//!   nor the CLI depends on the issuer or verifier crates (the issuer's API types are in
//!   `netid_core::issuer_api`); the in-process demo is the `netid-demo` crate.
//!
//! ## Usage of the `netid` CLI
//!
//! ```text
//! export NETID_PASSPHRASE='…'                        # or type it when asked
//! netid card-sample --name 丽 --family 王 --birth 1990-05-01 --out card.json
//! netid init                                         # --wallet PATH (default ~/.local/share/netid/wallet.netid)
//! netid --issuer http://127.0.0.1:8080 enroll --card card.json --phone +8613800138000
//! netid show                                         # *丽, 网号 grouped + QR code, credentials
//! netid present http://127.0.0.1:8090/v1/requests/ID # the QR code's URL, a file or JSON text; --yes, --print, --suite
//!                                                    # (sent only to the request's signed response_uri)
//! netid history
//! netid refresh                                      # also: collect credentials after a guardian approved
//! netid guardian approve '7Q2K X9M4 ABCD 5'          # guardian wards | guardian permissions NETID --allow education
//!                                                    # | guardian unlink NETID
//! ```
//!
//! For the Groth16 suite the wallet proves with the ceremony keys in
//! `$NETID_GROTH16_KEYS` (`netid-circuits import-zkey`) and checks they are the issuer's. Only
//! `http://` URLs are supported (no TLS in this build).
//!
//! ```
//! use netid_core::{Date, Passphrase, Statements, Suite};
//! use netid_holder::{FileStorage, HistoryEntry, Wallet, WalletError, WalletOptions};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("wallet.netid");
//! // Tests and examples use tiny Argon2 parameters; `WalletOptions::new()` is the real thing.
//! let options = WalletOptions::insecure_for_tests();
//! let passphrase = Passphrase::new("正确的口令 horse".into());
//!
//! let mut wallet = Wallet::create(FileStorage::new(&path), &passphrase, options, 1_772_323_200)?;
//! let device_public_key = wallet.device_key().public_key(); // sent to the issuer at enrolment
//! let statements = Statements::new(Date::from_ymd(2026, 3, 1)?);
//! wallet.record_presentation(HistoryEntry::new(
//!     1_772_323_300,
//!     "cn.example.shop".into(),
//!     "示例商城".into(),
//!     Suite::BbsSha256,
//!     statements,
//!     None,
//! )?);
//! wallet.save()?;
//! drop(wallet);
//!
//! let wrong = Passphrase::new("guess".into());
//! assert!(matches!(
//!     Wallet::open(FileStorage::new(&path), &wrong, options),
//!     Err(WalletError::WrongPassphrase)
//! ));
//! let wallet = Wallet::open(FileStorage::new(&path), &passphrase, options)?;
//! assert_eq!(wallet.device_key().public_key(), device_public_key);
//! let _binding = wallet.holder_binding()?; // Poseidon(secret): sent at enrolment, never the secret
//! assert_eq!(wallet.history().count(), 1);
//! assert!(wallet.netid().is_none()); // no credential yet
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "cli")]
pub mod cli;
mod device;
mod error;
pub mod present;
mod records;
pub mod storage;
pub mod store;
mod wallet;

pub use device::DeviceKey;
pub use error::WalletError;
pub use records::{
    group_netid, mask_name, CredentialRecord, CredentialStatus, GuardianRelation, HistoryEntry,
    IssuerPin, PseudonymTag, RevocationPath, Ward, MAX_APP_NAME_LEN, MAX_ISSUER_ID_LEN,
    MAX_SIGNATURE_LEN, MAX_URL_LEN,
};
pub use storage::{FileStorage, MemoryStorage, Storage};
pub use store::KdfParams;
pub use wallet::{
    Wallet, WalletOptions, CONTENTS_FORMAT, DEFAULT_HISTORY_LIMIT, MAX_CREDENTIALS,
    MAX_HISTORY_LIMIT, MAX_ISSUERS, MAX_WARDS,
};
