//! The issuer's identity keys, the derivations under them, and key files (specs/issuer.md §5, §8).
//!
//! Three derivations from the 17-digit ID body `b` (the check character is a function of it):
//!
//! | value | key | definition |
//! |---|---|---|
//! | 网号 | [`NetidKey`] `K_n` | Feistel permutation of `b` ([`crate::netid_number`]) |
//! | `id_hash` | [`IdHashKey`] `K_h = HMAC-SHA256(K_n, "netid/v1/id-hash" ‖ "/key")` | `HMAC-SHA256(K_h, "netid/v1/id-hash" ‖ b)` |
//! | `nym` | [`NymKey`] `K_y` (its own file, kept apart from the database) | `0x00 ‖ HMAC-SHA256(K_y, "netid/v1/nym" ‖ b)[0..31]` |
//!
//! The labels are `netid_core::dst::{ID_HASH, NETID, NYM}`; each PRF input is a constant label
//! followed by exactly 17 bytes, so inputs are unambiguous. `id_hash` uses a sub-key derived from
//! the 网号 key because whoever holds `K_n` can map ID numbers to 网号s, and the database maps
//! 网号s to `id_hash` anyway: a separate file would add handling without adding separation. The
//! nym key is different: the database (which holds 网号 and `id_hash`) must not let anyone
//! compute a person's per-app pseudonyms, so `K_y` lives in its own file (or HSM), is never stored
//! in the database, and nyms are never stored either.
//!
//! Key files hold 64 lowercase hex characters (32 bytes) and a newline, mode 0600; they are
//! created atomically (a fully written and `fsync`ed temporary file hard-linked into place, then a
//! directory `fsync`) and loading rejects files accessible by group or others, wrong lengths and
//! non-hex content.

use core::fmt;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use netid_core::{dst, Nym, SecretKeyBytes};
use rand_core_06::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::id_number::IdNumber;
use crate::netid_number::{NetidKey, NetidNumber};
use crate::IssuerError;

/// HMAC-SHA256 keyed with a 32-byte key. Infallible: HMAC pads keys shorter than the 64-byte
/// block with zeros (RFC 2104), so keying with the zero-padded block is the same function.
pub(crate) fn hmac_sha256(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
    block.zeroize();
    mac
}

/// `HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …)`.
pub(crate) fn hmac_parts(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = hmac_sha256(key);
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

macro_rules! secret_key_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone)]
        pub struct $name(SecretKeyBytes);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl $name {
            /// Wraps 32 secret bytes.
            pub fn new(bytes: [u8; 32]) -> $name {
                $name(SecretKeyBytes::new(bytes))
            }

            /// Wraps a secret key.
            pub fn from_secret(key: SecretKeyBytes) -> $name {
                $name(key)
            }

            #[allow(dead_code)]
            pub(crate) fn secret(&self) -> &[u8; 32] {
                self.0.expose_secret()
            }
        }
    };
}

secret_key_type!(
    /// The nym PRF key `K_y` (zeroized on drop, redacted `Debug`). Kept apart from the database.
    NymKey
);
secret_key_type!(
    /// The `id_hash` PRF key `K_h`, derived from the 网号 key ([`IdHashKey::derive`]).
    IdHashKey
);
secret_key_type!(
    /// The key under which phone confirmation codes are stored hashed
    /// (`HMAC-SHA256(K_p, …)`, see [`crate::evidence::phone`]): without it a stolen database does
    /// not let anyone test the 10^6 possible codes offline.
    PhoneCodeKey
);

impl IdHashKey {
    /// `K_h = HMAC-SHA256(K_n, "netid/v1/id-hash" ‖ "/key")`.
    pub fn derive(netid_key: &NetidKey) -> IdHashKey {
        IdHashKey::new(hmac_parts(netid_key.secret(), &[dst::ID_HASH, b"/key"]))
    }
}

impl PhoneCodeKey {
    /// `K_p = HMAC-SHA256(K_n, "netid/v1/phone-code" ‖ "/key")`, for deployments that do not
    /// configure a separate phone-code key.
    pub fn derive(netid_key: &NetidKey) -> PhoneCodeKey {
        PhoneCodeKey::new(hmac_parts(netid_key.secret(), &[PHONE_CODE_LABEL, b"/key"]))
    }
}

/// Label of the phone-code hash (specs/issuer.md §3.3).
pub(crate) const PHONE_CODE_LABEL: &[u8] = b"netid/v1/phone-code";

/// The keyed hash of an ID number: the issuer's database key for a person and the `id_hash`
/// credential attribute. `Debug` is redacted (it is a stable identifier of a person).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdHash([u8; 32]);

impl fmt::Debug for IdHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdHash(<redacted>)")
    }
}

impl IdHash {
    /// Wraps 32 bytes (as read from storage).
    pub const fn from_bytes(bytes: [u8; 32]) -> IdHash {
        IdHash(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// What the issuer derives from one ID number.
#[derive(Clone, Debug)]
pub struct PersonIdentifiers {
    /// The 网号.
    pub netid: NetidNumber,
    /// The keyed ID hash.
    pub id_hash: IdHash,
    /// The pseudonym secret (never stored by the issuer).
    pub nym: Nym,
}

/// The issuer's three identity keys (网号, derived `id_hash`, nym).
#[derive(Clone, Debug)]
pub struct IdentityKeys {
    netid: NetidKey,
    id_hash: IdHashKey,
    nym: NymKey,
}

impl IdentityKeys {
    /// From the 网号 key and the nym key; the `id_hash` key is derived from the 网号 key.
    pub fn new(netid: NetidKey, nym: NymKey) -> IdentityKeys {
        let id_hash = IdHashKey::derive(&netid);
        IdentityKeys {
            netid,
            id_hash,
            nym,
        }
    }

    /// The 网号 key.
    pub fn netid_key(&self) -> &NetidKey {
        &self.netid
    }

    /// The 网号 of `id`.
    pub fn netid_number(&self, id: &IdNumber) -> NetidNumber {
        self.netid.netid_number(id)
    }

    /// `id_hash = HMAC-SHA256(K_h, "netid/v1/id-hash" ‖ body17)`.
    pub fn id_hash(&self, id: &IdNumber) -> IdHash {
        IdHash(hmac_parts(
            self.id_hash.secret(),
            &[dst::ID_HASH, id.body()],
        ))
    }

    /// `nym = 0x00 ‖ HMAC-SHA256(K_y, "netid/v1/nym" ‖ body17)[0..31]`.
    pub fn nym(&self, id: &IdNumber) -> Nym {
        let mut prf = hmac_parts(self.nym.secret(), &[dst::NYM, id.body()]);
        let nym = Nym::from_prf_output(&prf);
        prf.zeroize();
        nym
    }

    /// The nym of the person whose 网号 is `netid`: the 网号 is a permutation of the ID body
    /// under `K_n`, so `K_n` recovers the body and `K_y` gives the nym (specs/issuer.md §5). This
    /// is how a refresh re-issues a credential without the card. `None` if `netid` was not made
    /// under this 网号 key.
    pub fn nym_of_netid(&self, netid: &NetidNumber) -> Option<Nym> {
        let body = self.netid.id_body_of(netid)?;
        let digits = zeroize::Zeroizing::new(format!("{body:017}"));
        if digits.len() != 17 {
            return None;
        }
        let mut prf = hmac_parts(self.nym.secret(), &[dst::NYM, digits.as_bytes()]);
        let nym = Nym::from_prf_output(&prf);
        prf.zeroize();
        Some(nym)
    }

    /// All three derivations.
    pub fn derive(&self, id: &IdNumber) -> PersonIdentifiers {
        PersonIdentifiers {
            netid: self.netid_number(id),
            id_hash: self.id_hash(id),
            nym: self.nym(id),
        }
    }
}

/// 32 bytes from the operating system's CSPRNG.
pub fn random_key() -> SecretKeyBytes {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    let k = SecretKeyBytes::new(b);
    b.zeroize();
    k
}

fn key_err(what: &'static str) -> impl FnOnce(std::io::Error) -> IssuerError {
    move |e| IssuerError::Key {
        what,
        source: Some(e),
    }
}

/// Loads a key file (64 hex characters, optional trailing newline, not readable by group or
/// others on Unix).
///
/// # Errors
/// [`IssuerError::Key`] naming the problem.
pub fn load_key_file(path: &Path) -> Result<SecretKeyBytes, IssuerError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let meta = fs::metadata(path).map_err(key_err("cannot read key file metadata"))?;
        if !meta.is_file() {
            return Err(IssuerError::Key {
                what: "key path is not a regular file",
                source: None,
            });
        }
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(IssuerError::Key {
                what: "key file is accessible by group or others (want mode 0600)",
                source: None,
            });
        }
    }
    let mut text = fs::read(path).map_err(key_err("cannot read key file"))?;
    let result = parse_key_text(&text);
    text.zeroize();
    result
}

fn parse_key_text(text: &[u8]) -> Result<SecretKeyBytes, IssuerError> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    if body.len() != 64 {
        return Err(IssuerError::Key {
            what: "key file must hold 64 hex characters",
            source: None,
        });
    }
    let mut bytes = [0u8; 32];
    let r = hex::decode_to_slice(body, &mut bytes).map_err(|_| IssuerError::Key {
        what: "key file must hold 64 hex characters",
        source: None,
    });
    let key = SecretKeyBytes::new(bytes);
    bytes.zeroize();
    r.map(|()| key)
}

/// Creates a key file with a fresh random key, atomically: the key is written to a temporary
/// file (`O_EXCL`, mode 0600, `fsync`) which is then hard-linked to `path` (failing if `path`
/// exists), and the directory is `fsync`ed. A reader never sees a partial key file.
///
/// # Errors
/// [`IssuerError::Key`] on I/O errors (including "exists").
pub fn generate_key_file(path: &Path) -> Result<SecretKeyBytes, IssuerError> {
    let key = random_key();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or(IssuerError::Key {
            what: "key path has no file name",
            source: None,
        })?
        .to_string_lossy();
    let mut nonce = [0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    let tmp = dir.join(format!(
        ".{name}.tmp.{}.{}",
        std::process::id(),
        hex::encode(nonce)
    ));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp).map_err(key_err("cannot create key file"))?;
        let mut text = hex::encode(key.expose_secret()).into_bytes();
        text.push(b'\n');
        let w = f.write_all(&text).and_then(|()| f.sync_all());
        text.zeroize();
        w.map_err(key_err("cannot write key file"))?;
        fs::hard_link(&tmp, path).map_err(key_err("cannot create key file"))
    })();
    let _ = fs::remove_file(&tmp);
    result?;
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(key_err("cannot sync key directory"))?;
    Ok(key)
}

/// Loads the key file at `path`, or creates it with a fresh key if it does not exist. Returns
/// the key and whether it was created.
///
/// # Errors
/// As [`load_key_file`] and [`generate_key_file`].
pub fn load_or_generate_key_file(path: &Path) -> Result<(SecretKeyBytes, bool), IssuerError> {
    match fs::symlink_metadata(path) {
        Ok(_) => load_key_file(path).map(|k| (k, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match generate_key_file(path) {
            Ok(k) => Ok((k, true)),
            // Lost a race with another process creating it: load theirs.
            Err(IssuerError::Key {
                source: Some(ref io),
                ..
            }) if io.kind() == std::io::ErrorKind::AlreadyExists => {
                load_key_file(path).map(|k| (k, false))
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(key_err("cannot read key file metadata")(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use netid_core::Date;

    fn id(s: &str) -> IdNumber {
        IdNumber::parse(s, Date::from_ymd(2026, 1, 1).unwrap()).unwrap()
    }

    #[test]
    fn padded_key_equals_standard_hmac() {
        let key = [0x5a; 32];
        let mut a = hmac_sha256(&key);
        a.update(b"abc");
        let mut b = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        b.update(b"abc");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
    }

    #[test]
    fn derivations_are_stable_separated_and_keyed() {
        let keys = IdentityKeys::new(NetidKey::new([1; 32]), NymKey::new([2; 32]));
        let a = id("11010519491231002X");
        let b = id("440305202402290115");
        let da = keys.derive(&a);
        let da2 = keys.derive(&id("11010519491231002x"));
        assert_eq!(da.netid, da2.netid);
        assert_eq!(da.id_hash, da2.id_hash);
        assert_eq!(da.nym, da2.nym);
        let db = keys.derive(&b);
        assert_ne!(da.id_hash, db.id_hash);
        assert_ne!(da.nym, db.nym);
        assert_eq!(da.nym.expose_secret()[0], 0);
        // Another nym key changes only the nym.
        let other = IdentityKeys::new(NetidKey::new([1; 32]), NymKey::new([3; 32]));
        let dc = other.derive(&a);
        assert_eq!(dc.netid, da.netid);
        assert_eq!(dc.id_hash, da.id_hash);
        assert_ne!(dc.nym, da.nym);
        // The id_hash is HMAC under the derived sub-key, as documented.
        let kh = hmac_parts(&[1; 32], &[dst::ID_HASH, b"/key"]);
        assert_eq!(
            da.id_hash.as_bytes(),
            &hmac_parts(&kh, &[dst::ID_HASH, b"11010519491231002"])
        );
        let prf = hmac_parts(&[2; 32], &[dst::NYM, b"11010519491231002"]);
        assert_eq!(da.nym, Nym::from_prf_output(&prf));
        assert_eq!(keys.nym_of_netid(&da.netid), Some(da.nym.clone()));
        assert!(other.nym_of_netid(&da.netid).is_some());
        assert_eq!(format!("{keys:?}").matches("<redacted>").count(), 3);
        assert_eq!(format!("{:?}", da.id_hash), "IdHash(<redacted>)");
    }

    #[test]
    fn key_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("netid.key");
        let (k1, created) = load_or_generate_key_file(&p).unwrap();
        assert!(created);
        let (k2, created) = load_or_generate_key_file(&p).unwrap();
        assert!(!created);
        assert_eq!(k1, k2);
        assert!(generate_key_file(&p).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
            fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
            let e = load_key_file(&p).unwrap_err();
            assert!(e.to_string().contains("group or others"), "{e}");
        }
        let bad = dir.path().join("bad.key");
        for content in [&b"abcd\n"[..], &[b'g'; 64][..], &[b'0'; 66][..]] {
            let _ = fs::remove_file(&bad);
            let mut f = fs::OpenOptions::new();
            f.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                f.mode(0o600);
            }
            f.open(&bad).unwrap().write_all(content).unwrap();
            assert!(load_key_file(&bad).is_err());
        }
        assert!(load_key_file(&dir.path().join("missing")).is_err());
        // Racing first starts all end up with one key, and no temporary file is left.
        let shared = dir.path().join("shared.key");
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let p = shared.clone();
                std::thread::spawn(move || load_or_generate_key_file(&p).unwrap())
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
        assert!(results.iter().all(|(k, _)| *k == results[0].0));
        let stray = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp.")
            })
            .count();
        assert_eq!(stray, 0);
    }
}
