//! The apps' credentials for the app-facing routes (`POST /v1/requests`,
//! `GET /v1/requests/{id}/result`): `Authorization: Bearer <API key>`.
//!
//! Each app the service runs has one API key, a secret shared between the app's backend and
//! the service (replicas load the same key). The service keeps only the keys' SHA-256
//! digests and compares a presented key's digest with every configured one in constant time,
//! so neither the comparison's time nor its order tells which app (or how much of a key)
//! matched. The wallet-facing routes (`GET /v1/requests/{id}`, the QR code,
//! `POST /v1/presentations`) need no credential: the request id is unguessable and the signed
//! request carries everything a wallet checks.

use sha2::{Digest as _, Sha256};
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Result, VerifierError};

/// Shortest accepted API key, in characters.
pub const MIN_API_KEY_LEN: usize = 32;

/// An app's API key (secret): printable ASCII, at least [`MIN_API_KEY_LEN`] characters (e.g.
/// 24 random bytes in hex). Zeroized on drop; `Debug` redacts it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps `key` (surrounding white space, e.g. a file's final newline, is dropped).
    ///
    /// # Errors
    /// [`VerifierError::InvalidApp`] for a key shorter than [`MIN_API_KEY_LEN`] or holding
    /// anything but printable ASCII.
    pub fn new(key: &str) -> Result<ApiKey> {
        let key = key.trim();
        if key.len() < MIN_API_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(VerifierError::InvalidApp(format!(
                "an API key must be at least {MIN_API_KEY_LEN} printable ASCII characters \
                 (e.g. `head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n'`)"
            )));
        }
        Ok(ApiKey(key.to_owned()))
    }

    /// The key's digest, what the service keeps.
    fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// The key as sent in `Authorization: Bearer …` (for clients and tests).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The configured keys' digests, by app.
#[derive(Clone, Default)]
pub(crate) struct ApiKeys {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(app, _)| app))
            .finish()
    }
}

impl ApiKeys {
    /// Sets `app_id`'s key (replacing an earlier one).
    ///
    /// # Errors
    /// [`VerifierError::InvalidApp`] when another app already has the same key: a key must
    /// name one app.
    pub(crate) fn insert(&mut self, app_id: &str, key: &ApiKey) -> Result<()> {
        let d = key.digest();
        self.keys.retain(|(a, _)| a != app_id);
        if self.keys.iter().any(|(_, k)| *k == d) {
            return Err(VerifierError::InvalidApp(
                "two apps cannot share one API key".into(),
            ));
        }
        self.keys.push((app_id.to_owned(), d));
        Ok(())
    }

    /// The app whose key is `presented`, comparing with every key in constant time.
    pub(crate) fn app_of(&self, presented: &str) -> Option<&str> {
        let d: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u32;
        for (i, (_, k)) in self.keys.iter().enumerate() {
            let hit = k.ct_eq(&d);
            index = u32::conditional_select(&index, &u32::try_from(i).unwrap_or(u32::MAX), hit);
            found |= hit;
        }
        if bool::from(found) {
            self.keys
                .get(usize::try_from(index).ok()?)
                .map(|(a, _)| a.as_str())
        } else {
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef-a";
    const B: &str = "0123456789abcdef0123456789abcdef-b";

    #[test]
    fn keys_name_their_app_only() {
        let mut keys = ApiKeys::default();
        keys.insert("shop.example", &ApiKey::new(A).unwrap())
            .unwrap();
        keys.insert("game.example", &ApiKey::new(&format!("{B}\n")).unwrap())
            .unwrap();
        assert_eq!(keys.app_of(A), Some("shop.example"));
        assert_eq!(keys.app_of(B), Some("game.example"));
        assert_eq!(keys.app_of(&A[..A.len() - 1]), None);
        assert_eq!(keys.app_of(""), None);
        // One key, one app.
        assert!(keys
            .insert("other.example", &ApiKey::new(A).unwrap())
            .is_err());
        // Replacing a key drops the old one.
        keys.insert("shop.example", &ApiKey::new(&format!("{A}x")).unwrap())
            .unwrap();
        assert_eq!(keys.app_of(A), None);
        assert!(format!("{:?}", ApiKey::new(A).unwrap()).contains("redacted"));
        assert!(!format!("{keys:?}").contains("0123"));
    }

    #[test]
    fn weak_keys_are_refused() {
        assert!(ApiKey::new("short").is_err());
        assert!(ApiKey::new(&"a b".repeat(20)).is_err());
        assert!(ApiKey::new(&"键".repeat(20)).is_err());
        assert!(ApiKey::new(&"k".repeat(MIN_API_KEY_LEN)).is_ok());
    }
}
