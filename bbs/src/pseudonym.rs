//! Per-verifier pseudonyms of draft-irtf-cfrg-bbs-per-verifier-linkability (specs/bbs.md §4):
//! `OP = hash_to_curve_g1(verifier_id, api_id)` with
//! `api_id = ciphersuite_id || "H2G_HM2S_PSEUDONYM_"`, the prover identifier `pid` mapped to a
//! scalar with `messages_to_scalars` under the same `api_id`, and `pseudonym = OP · pid`.
//!
//! The same verifier id always gives the same pseudonym for one `pid`; different verifier ids give
//! unlinkable pseudonyms (DDH in G1). netid's presentation proves the pseudonym in zero knowledge
//! with the hidden `nym` attribute as the scalar.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use bls12_381::{G1Affine, G1Projective, Scalar};

use crate::msm::{blst, msm_ct};
use crate::suite::{Ciphersuite, POINT_LEN};

/// The `api_id` of the pseudonym interface.
pub fn pseudonym_api_id(suite: Ciphersuite) -> Vec<u8> {
    [suite.id(), b"H2G_HM2S_PSEUDONYM_"].concat()
}

/// `OP = hash_to_curve_g1(verifier_id, api_id)`.
pub fn verifier_point(suite: Ciphersuite, verifier_id: &[u8]) -> G1Projective {
    suite.hash_to_curve_g1(&[verifier_id], &pseudonym_api_id(suite))
}

/// Most verifier points kept by [`verifier_point_cached`]; the cache is emptied when full.
const VERIFIER_POINT_CACHE: usize = 1024;

/// [`verifier_point`] through a bounded per-process cache (hash-to-curve costs about as much as
/// a scalar multiplication; a verifier sees the same few app ids over and over). Verifier ids
/// are public, so the cache holds nothing secret.
pub(crate) fn verifier_point_cached(suite: Ciphersuite, verifier_id: &[u8]) -> blst::G1Affine {
    type Cache = Mutex<HashMap<(u8, Vec<u8>), blst::G1Affine>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (suite as u8, verifier_id.to_vec());
    if let Some(p) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return *p;
    }
    let p = blst::from_zk(&G1Affine::from(verifier_point(suite, verifier_id)));
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= VERIFIER_POINT_CACHE {
        c.clear();
    }
    c.insert(key, p);
    p
}

/// `OP · s` for a prover scalar (constant-time in `s`).
pub fn pseudonym_from_scalar(suite: Ciphersuite, verifier_id: &[u8], s: &Scalar) -> G1Affine {
    G1Affine::from(msm_ct(&[(verifier_point(suite, verifier_id), *s)]))
}

/// The pseudonym of the draft for an octet-string `pid`, compressed.
pub fn pseudonym(suite: Ciphersuite, verifier_id: &[u8], pid: &[u8]) -> [u8; POINT_LEN] {
    let s = suite.messages_to_scalars(&[pid], &pseudonym_api_id(suite))[0];
    pseudonym_from_scalar(suite, verifier_id, &s).to_compressed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_verifier_point_is_the_hash() {
        for suite in Ciphersuite::ALL {
            for id in [&b"shop.example"[..], b"bank.example", b""] {
                let want = blst::from_zk(&G1Affine::from(verifier_point(suite, id)));
                assert_eq!(verifier_point_cached(suite, id), want);
                assert_eq!(verifier_point_cached(suite, id), want);
            }
        }
        assert_ne!(
            verifier_point_cached(Ciphersuite::Sha256, b"a"),
            verifier_point_cached(Ciphersuite::Shake256, b"a")
        );
    }

    #[test]
    fn stable_per_verifier_and_distinct_across() {
        for s in Ciphersuite::ALL {
            let a1 = pseudonym(s, b"app-1", b"person");
            assert_eq!(a1, pseudonym(s, b"app-1", b"person"));
            assert_ne!(a1, pseudonym(s, b"app-2", b"person"));
            assert_ne!(a1, pseudonym(s, b"app-1", b"other"));
        }
        assert_ne!(
            pseudonym(Ciphersuite::Sha256, b"a", b"p"),
            pseudonym(Ciphersuite::Shake256, b"a", b"p")
        );
    }

    #[test]
    fn equals_scalar_multiple() {
        let s = Ciphersuite::Sha256;
        let x = Scalar::from(12345u64);
        let p = pseudonym_from_scalar(s, b"v", &x);
        assert_eq!(G1Projective::from(p), verifier_point(s, b"v") * x);
    }
}
