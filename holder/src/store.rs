//! The encrypted wallet file format: Argon2id key derivation, XChaCha20-Poly1305 sealing, and
//! the byte layout (`specs/wallet.md` §2 is normative).
//!
//! ```text
//! offset  len  field
//!      0    8  magic "NETIDWAL"
//!      8    2  file version, u16 big-endian (1)
//!     10    1  KDF id (1 = Argon2id, version 0x13)
//!     11    4  Argon2 memory in KiB (m), u32 big-endian
//!     15    4  Argon2 iterations (t), u32 big-endian
//!     19    4  Argon2 lanes (p), u32 big-endian
//!     23   16  salt
//!     39   32  passphrase check value
//!     71   24  XChaCha20-Poly1305 nonce
//!     95    4  ciphertext length n, u32 big-endian (plaintext length + 16)
//!     99    n  ciphertext ‖ tag; AAD = bytes 0..99 (the whole header)
//!   99+n   32  SHA-256 of bytes 0..99+n (checksum against accidental damage)
//! ```
//!
//! Keys: `master = Argon2id(passphrase, salt; m, t, p)` (32 bytes),
//! `key = HMAC-SHA256(master, "netid/v1/wallet/key")`,
//! `check = HMAC-SHA256(master, "netid/v1/wallet/check")`.
//!
//! Opening checks, in order: magic, version, length, checksum (all cheap, before any key
//! derivation), KDF parameters against the floor and ceiling, then the check value (mismatch:
//! [`WrongPassphrase`](WalletError::WrongPassphrase)), then the AEAD tag (failure with a correct
//! check value: the file was altered, [`Corrupt`](WalletError::Corrupt)).
//!
//! The check value gives an attacker holding the file nothing the AEAD tag would not: either
//! confirms a guessed passphrase at the cost of one Argon2id evaluation. It lets the wallet tell a
//! mistyped passphrase from a damaged or tampered file.

use core::fmt;

use argon2::{Algorithm, Argon2, Block, Version};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use netid_core::Passphrase;
use rand_core_06::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::WalletError;

/// The 8 magic bytes at the start of every wallet file.
pub const MAGIC: [u8; 8] = *b"NETIDWAL";
/// The file layout version this implementation writes and reads.
pub const FILE_VERSION: u16 = 1;
/// KDF id of Argon2id version 0x13 (the only one defined).
pub const KDF_ARGON2ID: u8 = 1;
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;
/// Nonce length in bytes (XChaCha20-Poly1305).
pub const NONCE_LEN: usize = 24;
/// Passphrase check value length in bytes.
pub const CHECK_LEN: usize = 32;
/// AEAD tag length in bytes.
pub const TAG_LEN: usize = 16;
/// Header length in bytes (everything before the ciphertext; the AEAD's associated data).
pub const HEADER_LEN: usize = 99;
/// Trailing checksum length in bytes.
pub const CHECKSUM_LEN: usize = 32;
/// Largest wallet file accepted (and written), in bytes.
pub const MAX_FILE_LEN: usize = 16 * 1024 * 1024;

const OFF_VERSION: usize = 8;
const OFF_KDF: usize = 10;
const OFF_M: usize = 11;
const OFF_T: usize = 15;
const OFF_P: usize = 19;
const OFF_SALT: usize = 23;
const OFF_CHECK: usize = OFF_SALT + SALT_LEN;
const OFF_NONCE: usize = OFF_CHECK + CHECK_LEN;
const OFF_CT_LEN: usize = OFF_NONCE + NONCE_LEN;
const _: () = assert!(OFF_CT_LEN + 4 == HEADER_LEN);

const LABEL_KEY: &[u8] = b"netid/v1/wallet/key";
const LABEL_CHECK: &[u8] = b"netid/v1/wallet/check";

/// Argon2id cost parameters.
///
/// * [`DEFAULT`](Self::DEFAULT), used for new wallets: 64 MiB, 3 passes, 1 lane (RFC 9106
///   §4's second recommendation with one lane, since phones hash single-threaded here); about
///   a quarter to half a second on a current phone.
/// * [`MIN_ACCEPTED`](Self::MIN_ACCEPTED), the floor for opening files: 19 MiB, 2 passes, the
///   OWASP minimum for Argon2id. Files below it are refused unless the caller lowers the floor
///   (tests do), so a tampered or badly written file cannot silently weaken the protection of
///   the passphrase on the next save.
/// * [`MAX_ACCEPTED`](Self::MAX_ACCEPTED), the ceiling: 1 GiB, 64 passes, 16 lanes, so a file
///   cannot make the wallet allocate or compute without bound.
/// * [`INSECURE_TESTING`](Self::INSECURE_TESTING): 8 KiB, 1 pass. For tests and doctests only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct KdfParams {
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
}

impl KdfParams {
    /// Parameters for new wallets: m = 64 MiB, t = 3, p = 1.
    pub const DEFAULT: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// The floor for opening files: m = 19 MiB, t = 2, p = 1.
    pub const MIN_ACCEPTED: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// The ceiling, per component: m = 1 GiB, t = 64, p = 16.
    pub const MAX_ACCEPTED: KdfParams = KdfParams {
        memory_kib: 1024 * 1024,
        iterations: 64,
        parallelism: 16,
    };
    /// Argon2's smallest parameters (m = 8 KiB, t = 1, p = 1). **Tests only**: offers no
    /// protection against passphrase guessing.
    pub const INSECURE_TESTING: KdfParams = KdfParams {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    /// Checks and wraps parameters: Argon2's rules (p ≥ 1, t ≥ 1, m ≥ 8·p KiB) and the
    /// [`MAX_ACCEPTED`](Self::MAX_ACCEPTED) ceiling. The floor is not checked here (see
    /// [`is_at_least`](Self::is_at_least)).
    ///
    /// # Errors
    /// [`WalletError::InvalidKdfParams`].
    pub const fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
    ) -> Result<KdfParams, WalletError> {
        let max = KdfParams::MAX_ACCEPTED;
        if parallelism == 0 || parallelism > max.parallelism {
            return Err(WalletError::InvalidKdfParams("lanes must be 1..=16"));
        }
        if iterations == 0 || iterations > max.iterations {
            return Err(WalletError::InvalidKdfParams("iterations must be 1..=64"));
        }
        if memory_kib < 8 * parallelism || memory_kib > max.memory_kib {
            return Err(WalletError::InvalidKdfParams(
                "memory must be 8 KiB per lane up to 1 GiB",
            ));
        }
        Ok(KdfParams {
            memory_kib,
            iterations,
            parallelism,
        })
    }

    /// Memory in KiB (m).
    pub const fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// Iterations (t).
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Lanes (p).
    pub const fn parallelism(&self) -> u32 {
        self.parallelism
    }

    /// Whether every component is at least `floor`'s.
    pub const fn is_at_least(&self, floor: &KdfParams) -> bool {
        self.memory_kib >= floor.memory_kib
            && self.iterations >= floor.iterations
            && self.parallelism >= floor.parallelism
    }
}

impl Default for KdfParams {
    fn default() -> KdfParams {
        KdfParams::DEFAULT
    }
}

/// The public header of a wallet file, as read by [`read_header`]. (`Debug` omits the
/// passphrase check value.)
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileHeader {
    /// File layout version.
    pub version: u16,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// Argon2id salt.
    pub salt: [u8; SALT_LEN],
    /// XChaCha20-Poly1305 nonce.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext length including the tag.
    pub ciphertext_len: usize,
    check: [u8; CHECK_LEN],
}

impl fmt::Debug for FileHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileHeader")
            .field("version", &self.version)
            .field("kdf", &self.kdf)
            .field("salt", &hex::encode(self.salt))
            .field("nonce", &hex::encode(self.nonce))
            .field("ciphertext_len", &self.ciphertext_len)
            .finish_non_exhaustive()
    }
}

fn corrupt(what: &'static str) -> WalletError {
    WalletError::Corrupt { what }
}

fn be_u32(bytes: &[u8], offset: usize) -> Result<u32, WalletError> {
    bytes
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or(corrupt("truncated header"))
}

fn array<const N: usize>(bytes: &[u8], offset: usize) -> Result<[u8; N], WalletError> {
    bytes
        .get(offset..offset + N)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or(corrupt("truncated header"))
}

/// Parses and checks the structure of a wallet file without the passphrase: magic, version,
/// lengths, checksum and KDF parameters (Argon2 rules and ceiling; not the floor). Cheap: no key
/// derivation.
///
/// # Errors
/// [`WalletError::Corrupt`], [`WalletError::UnsupportedVersion`],
/// [`WalletError::InvalidKdfParams`].
pub fn read_header(file: &[u8]) -> Result<FileHeader, WalletError> {
    if file.len() < OFF_KDF {
        return Err(corrupt("too short to be a wallet file"));
    }
    if file[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not a netid wallet file (bad magic)"));
    }
    let version = u16::from_be_bytes([file[OFF_VERSION], file[OFF_VERSION + 1]]);
    if version != FILE_VERSION {
        return Err(WalletError::UnsupportedVersion {
            what: "file",
            version: version.into(),
        });
    }
    if file.len() > MAX_FILE_LEN {
        return Err(corrupt("file too large"));
    }
    if file.len() < HEADER_LEN + TAG_LEN + CHECKSUM_LEN {
        return Err(corrupt("truncated file"));
    }
    let ct_len = usize::try_from(be_u32(file, OFF_CT_LEN)?)
        .map_err(|_| corrupt("ciphertext length field out of range"))?;
    if HEADER_LEN
        .checked_add(ct_len)
        .and_then(|n| n.checked_add(CHECKSUM_LEN))
        != Some(file.len())
    {
        return Err(corrupt(
            "length field does not match the file size (truncated?)",
        ));
    }
    if ct_len < TAG_LEN {
        return Err(corrupt("ciphertext shorter than the tag"));
    }
    let (body, checksum) = file.split_at(file.len() - CHECKSUM_LEN);
    if Sha256::digest(body)[..] != *checksum {
        return Err(corrupt("checksum mismatch"));
    }
    if file[OFF_KDF] != KDF_ARGON2ID {
        return Err(corrupt("unknown key-derivation function id"));
    }
    let kdf = KdfParams::new(
        be_u32(file, OFF_M)?,
        be_u32(file, OFF_T)?,
        be_u32(file, OFF_P)?,
    )?;
    Ok(FileHeader {
        version,
        kdf,
        salt: array(file, OFF_SALT)?,
        nonce: array(file, OFF_NONCE)?,
        ciphertext_len: ct_len,
        check: array(file, OFF_CHECK)?,
    })
}

/// Argon2id(passphrase, salt) into 32 bytes, with the working memory zeroized afterwards.
fn argon2id(
    passphrase: &Passphrase,
    params: KdfParams,
    salt: &[u8; SALT_LEN],
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let p = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|_| WalletError::InvalidKdfParams("rejected by Argon2"))?;
    let blocks_needed = p.block_count();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, p);
    let mut blocks: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    blocks
        .try_reserve_exact(blocks_needed)
        .map_err(|_| WalletError::InvalidKdfParams("more memory than this device can allocate"))?;
    blocks.resize(blocks_needed, Block::default());
    let mut master = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into_with_memory(
            passphrase.expose_secret().as_bytes(),
            salt,
            &mut *master,
            blocks.as_mut_slice(),
        )
        .map_err(|_| WalletError::Internal("Argon2id failed"))?;
    Ok(master)
}

fn subkey(master: &[u8; 32], label: &[u8]) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master)
        .map_err(|_| WalletError::Internal("HMAC key"))?;
    mac.update(label);
    let mut tag = mac.finalize().into_bytes();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&tag);
    tag[..].zeroize();
    Ok(out)
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], WalletError> {
    let mut b = [0u8; N];
    OsRng
        .try_fill_bytes(&mut b)
        .map_err(|_| WalletError::Randomness)?;
    Ok(b)
}

/// The key material of an open wallet: KDF parameters, salt, check value and the AEAD key
/// derived from the passphrase. Kept while the wallet is open so that saving needs no
/// passphrase and no key derivation (only a fresh nonce). The key is zeroized on drop.
pub(crate) struct SealingKey {
    params: KdfParams,
    salt: [u8; SALT_LEN],
    check: [u8; CHECK_LEN],
    key: Zeroizing<[u8; 32]>,
}

impl SealingKey {
    /// Derives the key for `passphrase` under `params` and `salt`.
    pub(crate) fn derive(
        passphrase: &Passphrase,
        params: KdfParams,
        salt: [u8; SALT_LEN],
    ) -> Result<SealingKey, WalletError> {
        let master = argon2id(passphrase, params, &salt)?;
        let key = subkey(&master, LABEL_KEY)?;
        let check = *subkey(&master, LABEL_CHECK)?;
        Ok(SealingKey {
            params,
            salt,
            check,
            key,
        })
    }

    /// Derives a key for `passphrase` under `params` with a fresh random salt. Refuses an empty
    /// passphrase.
    pub(crate) fn generate(
        passphrase: &Passphrase,
        params: KdfParams,
    ) -> Result<SealingKey, WalletError> {
        if passphrase.is_empty() {
            return Err(WalletError::EmptyPassphrase);
        }
        SealingKey::derive(passphrase, params, random_bytes()?)
    }

    /// The KDF parameters.
    pub(crate) const fn params(&self) -> KdfParams {
        self.params
    }

    /// Checks that `passphrase` is the one this key was derived from (one key derivation;
    /// constant-time comparison of the check values).
    pub(crate) fn verify(&self, passphrase: &Passphrase) -> Result<(), WalletError> {
        let other = SealingKey::derive(passphrase, self.params, self.salt)?;
        if bool::from(self.check.ct_eq(&other.check)) {
            Ok(())
        } else {
            Err(WalletError::WrongPassphrase)
        }
    }

    #[cfg(test)]
    pub(crate) const fn salt_for_tests(&self) -> [u8; SALT_LEN] {
        self.salt
    }

    #[cfg(test)]
    pub(crate) fn key_for_tests(&self) -> [u8; 32] {
        *self.key
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305, WalletError> {
        XChaCha20Poly1305::new_from_slice(&self.key[..])
            .map_err(|_| WalletError::Internal("AEAD key length"))
    }

    /// Encrypts `plaintext` under a fresh random nonce and returns the complete file. The
    /// plaintext buffer is encrypted in place (give it `TAG_LEN` spare capacity to avoid a
    /// reallocation that would leave a plaintext copy behind) and zeroized when dropped.
    pub(crate) fn seal(&self, plaintext: Zeroizing<Vec<u8>>) -> Result<Vec<u8>, WalletError> {
        self.seal_with_nonce(plaintext, random_bytes()?)
    }

    fn seal_with_nonce(
        &self,
        mut plaintext: Zeroizing<Vec<u8>>,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>, WalletError> {
        let ct_len = plaintext.len() + TAG_LEN;
        let total = HEADER_LEN + ct_len + CHECKSUM_LEN;
        if total > MAX_FILE_LEN {
            return Err(WalletError::InvalidRecord {
                what: "wallet contents",
                reason: "larger than the maximum wallet file size",
            });
        }
        let ct_len_field =
            u32::try_from(ct_len).map_err(|_| WalletError::Internal("ciphertext length"))?;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FILE_VERSION.to_be_bytes());
        out.push(KDF_ARGON2ID);
        out.extend_from_slice(&self.params.memory_kib.to_be_bytes());
        out.extend_from_slice(&self.params.iterations.to_be_bytes());
        out.extend_from_slice(&self.params.parallelism.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.check);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct_len_field.to_be_bytes());
        debug_assert_eq!(out.len(), HEADER_LEN);
        self.cipher()?
            .encrypt_in_place(&XNonce::from(nonce), &out, &mut *plaintext)
            .map_err(|_| WalletError::Internal("AEAD encryption failed"))?;
        out.extend_from_slice(&plaintext);
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        Ok(out)
    }

    /// Opens a wallet file: structural checks ([`read_header`]), the KDF floor, the passphrase
    /// check value, then decryption. Returns the plaintext (zeroized on drop) and the key.
    pub(crate) fn open(
        file: &[u8],
        passphrase: &Passphrase,
        kdf_floor: &KdfParams,
    ) -> Result<(Zeroizing<Vec<u8>>, SealingKey), WalletError> {
        let header = read_header(file)?;
        if !header.kdf.is_at_least(kdf_floor) {
            return Err(WalletError::WeakKdfParams);
        }
        let key = SealingKey::derive(passphrase, header.kdf, header.salt)?;
        if !bool::from(key.check.ct_eq(&header.check)) {
            return Err(WalletError::WrongPassphrase);
        }
        let mut buf = Zeroizing::new(file[HEADER_LEN..HEADER_LEN + header.ciphertext_len].to_vec());
        key.cipher()?
            .decrypt_in_place(&XNonce::from(header.nonce), &file[..HEADER_LEN], &mut *buf)
            .map_err(|_| corrupt("ciphertext failed authentication (the file was altered)"))?;
        Ok((buf, key))
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("params", &self.params)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned())
    }

    fn sealed(plaintext: &[u8]) -> Vec<u8> {
        let key = SealingKey::generate(&pass("口令 correct"), KdfParams::INSECURE_TESTING).unwrap();
        key.seal(Zeroizing::new(plaintext.to_vec())).unwrap()
    }

    #[test]
    fn layout_and_round_trip() {
        let file = sealed(b"hello wallet");
        assert_eq!(&file[..8], b"NETIDWAL");
        assert_eq!(file.len(), HEADER_LEN + 12 + TAG_LEN + CHECKSUM_LEN);
        let h = read_header(&file).unwrap();
        assert_eq!(h.version, 1);
        assert_eq!(h.kdf, KdfParams::INSECURE_TESTING);
        assert_eq!(h.ciphertext_len, 12 + TAG_LEN);
        let (pt, key) =
            SealingKey::open(&file, &pass("口令 correct"), &KdfParams::INSECURE_TESTING).unwrap();
        assert_eq!(&pt[..], b"hello wallet");
        assert_eq!(key.params(), KdfParams::INSECURE_TESTING);
        key.verify(&pass("口令 correct")).unwrap();
        assert!(matches!(
            key.verify(&pass("口令 wrong")),
            Err(WalletError::WrongPassphrase)
        ));
    }

    /// The vector of `specs/wallet.md` §7, computed independently by
    /// `tests/data/wallet_vector.py` (Python `cryptography` Argon2id and ChaCha20-Poly1305 with
    /// a hand-written HChaCha20).
    #[test]
    fn known_answer_vector() {
        let params = KdfParams::new(64, 2, 1).unwrap();
        let salt: [u8; 16] = core::array::from_fn(|i| i as u8);
        let nonce: [u8; 24] = core::array::from_fn(|i| 0x40 + i as u8);
        let key = SealingKey::derive(&pass("口令 vector"), params, salt).unwrap();
        assert_eq!(
            hex::encode(*key.key),
            "b4a23d9c873a67181f1c0bcb1ed694b32edee5062bedc196f6a8d5764733bc08"
        );
        assert_eq!(
            hex::encode(key.check),
            "c88f7935d99097b121b2cf1b7eac80eaf854324810eb540dceb071cee28028ed"
        );
        let file = key
            .seal_with_nonce(Zeroizing::new(br#"{"format":1}"#.to_vec()), nonce)
            .unwrap();
        let expected = "4e4554494457414c000101000000400000000200000001000102030405060708090a0b0c0d\
                        0e0fc88f7935d99097b121b2cf1b7eac80eaf854324810eb540dceb071cee28028ed4041\
                        42434445464748494a4b4c4d4e4f50515253545556570000001c0b4d82bc2f22b4f13b28\
                        6f5779481d8fb853edced12e86267eb428ae81841ad3789d90fddb9cde7cf3af3e676df4\
                        bc2e00c6977144c873d475f4c1f4";
        assert_eq!(hex::encode(&file), expected);
        let (pt, _) = SealingKey::open(&file, &pass("口令 vector"), &params).unwrap();
        assert_eq!(&pt[..], br#"{"format":1}"#);
    }

    #[test]
    fn fresh_nonce_and_salt() {
        let key = SealingKey::generate(&pass("p"), KdfParams::INSECURE_TESTING).unwrap();
        let a = key.seal(Zeroizing::new(b"same".to_vec())).unwrap();
        let b = key.seal(Zeroizing::new(b"same".to_vec())).unwrap();
        let (ha, hb) = (read_header(&a).unwrap(), read_header(&b).unwrap());
        assert_eq!(ha.salt, hb.salt);
        assert_ne!(ha.nonce, hb.nonce);
        assert_ne!(a[HEADER_LEN..], b[HEADER_LEN..]);
        let other = SealingKey::generate(&pass("p"), KdfParams::INSECURE_TESTING).unwrap();
        assert_ne!(other.salt, key.salt);
    }

    #[test]
    fn wrong_passphrase_and_tampering() {
        let file = sealed(b"secret stuff");
        let floor = KdfParams::INSECURE_TESTING;
        assert!(matches!(
            SealingKey::open(&file, &pass("nope"), &floor),
            Err(WalletError::WrongPassphrase)
        ));
        // Altered ciphertext with a recomputed checksum: the check value passes, the tag fails.
        let mut t = file.clone();
        t[HEADER_LEN + 3] ^= 1;
        let n = t.len() - CHECKSUM_LEN;
        let c = Sha256::digest(&t[..n]);
        t[n..].copy_from_slice(&c);
        assert!(matches!(
            SealingKey::open(&t, &pass("口令 correct"), &floor),
            Err(WalletError::Corrupt { .. })
        ));
        // Altered nonce (part of the AAD), checksum recomputed: also caught by the tag.
        let mut t = file.clone();
        t[OFF_NONCE] ^= 0x80;
        let c = Sha256::digest(&t[..n]);
        t[n..].copy_from_slice(&c);
        assert!(matches!(
            SealingKey::open(&t, &pass("口令 correct"), &floor),
            Err(WalletError::Corrupt { .. })
        ));
    }

    #[test]
    fn floor_and_ceiling() {
        let file = sealed(b"x");
        assert!(matches!(
            SealingKey::open(&file, &pass("口令 correct"), &KdfParams::MIN_ACCEPTED),
            Err(WalletError::WeakKdfParams)
        ));
        assert!(KdfParams::new(8, 1, 1).is_ok());
        assert!(KdfParams::new(7, 1, 1).is_err());
        assert!(KdfParams::new(16, 1, 3).is_err());
        assert!(KdfParams::new(1024 * 1024 + 1, 1, 1).is_err());
        assert!(KdfParams::new(1024, 65, 1).is_err());
        assert!(KdfParams::new(1024, 0, 1).is_err());
        assert!(KdfParams::new(1024, 1, 0).is_err());
        assert!(KdfParams::new(1024, 1, 17).is_err());
        assert!(KdfParams::DEFAULT.is_at_least(&KdfParams::MIN_ACCEPTED));
        assert!(KdfParams::MAX_ACCEPTED.is_at_least(&KdfParams::DEFAULT));
        // A huge m in a file (checksum recomputed) is refused before any allocation.
        let mut t = file.clone();
        t[OFF_M..OFF_M + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let n = t.len() - CHECKSUM_LEN;
        let c = Sha256::digest(&t[..n]);
        t[n..].copy_from_slice(&c);
        assert!(matches!(
            read_header(&t),
            Err(WalletError::InvalidKdfParams(_))
        ));
    }

    #[test]
    fn every_truncation_is_corrupt() {
        let file = sealed(b"0123456789");
        for len in 0..file.len() {
            let r = read_header(&file[..len]);
            assert!(
                matches!(r, Err(WalletError::Corrupt { .. })),
                "len {len}: {r:?}"
            );
        }
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(
            read_header(&longer),
            Err(WalletError::Corrupt { .. })
        ));
    }

    #[test]
    fn every_single_byte_change_is_detected_before_key_derivation() {
        let file = sealed(b"0123456789abcdef");
        for i in 0..file.len() {
            for x in [0x01u8, 0x80, 0xff] {
                let mut t = file.clone();
                t[i] ^= x;
                let r = read_header(&t);
                assert!(
                    matches!(
                        r,
                        Err(WalletError::Corrupt { .. } | WalletError::UnsupportedVersion { .. })
                    ),
                    "byte {i} ^ {x:#x}: {r:?}"
                );
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let key = SealingKey::generate(&pass("p"), KdfParams::INSECURE_TESTING).unwrap();
        let s = format!("{key:?}");
        assert!(s.contains("redacted"));
        assert!(!s.contains(&format!("{:?}", &key.key[..])));
        assert!(!s.to_lowercase().contains(&hex::encode(&key.key[..])));
        assert!(matches!(
            SealingKey::generate(&pass(""), KdfParams::INSECURE_TESTING),
            Err(WalletError::EmptyPassphrase)
        ));
    }
}
