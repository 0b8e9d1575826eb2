//! The two BLS12-381 ciphersuites of draft-irtf-cfrg-bbs-signatures and their hash utilities:
//! `expand_message`, `hash_to_scalar`, `hash_to_curve_g1`, `create_generators`,
//! `messages_to_scalars` (draft §4.1, §4.2, §6.1, §6.2, §7.1; specs/bbs.md §2).
//!
//! Everything here works on public data and is variable-time where that is faster.

use bls12_381::{
    hash_to_curve::{ExpandMessage, ExpandMsgXmd, ExpandMsgXof, HashToCurve, HashToField},
    G1Affine, G1Projective, Scalar,
};
use sha2::{digest::typenum::U32, Sha256};
use sha3::Shake256;
use std::sync::OnceLock;

use crate::error::{BbsError, Result};

/// `expand_len` of both ciphersuites: `ceil((ceil(log2(r)) + k) / 8)` with k = 128.
pub const EXPAND_LEN: usize = 48;
/// Octet length of a compressed G1 point.
pub const POINT_LEN: usize = 48;
/// Octet length of a compressed G2 point (a public key).
pub const G2_POINT_LEN: usize = 96;
/// Octet length of a scalar.
pub const SCALAR_LEN: usize = 32;

/// One of the two BLS12-381 ciphersuites of the draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ciphersuite {
    /// `BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_`: expand_message_xmd with SHA-256.
    Sha256,
    /// `BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_`: expand_message_xof with SHAKE-256.
    Shake256,
}

impl Ciphersuite {
    /// Both ciphersuites.
    pub const ALL: [Ciphersuite; 2] = [Ciphersuite::Sha256, Ciphersuite::Shake256];

    /// The draft's `ciphersuite_id`.
    pub const fn id(self) -> &'static [u8] {
        match self {
            Ciphersuite::Sha256 => b"BBS_BLS12381G1_XMD:SHA-256_SSWU_RO_",
            Ciphersuite::Shake256 => b"BBS_BLS12381G1_XOF:SHAKE-256_SSWU_RO_",
        }
    }

    /// Short name used on command lines and in netid's wire formats.
    pub const fn name(self) -> &'static str {
        match self {
            Ciphersuite::Sha256 => "bls12-381-sha-256",
            Ciphersuite::Shake256 => "bls12-381-shake-256",
        }
    }

    /// Parses [`Ciphersuite::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The `api_id` of the draft's BBS Signatures Interface: `ciphersuite_id || "H2G_HM2S_"`.
    pub fn api_id(self) -> Vec<u8> {
        [self.id(), b"H2G_HM2S_"].concat()
    }

    /// `expand_message` of the suite's hash-to-curve suite (RFC 9380 §5.3), over the
    /// concatenation of `msg` parts.
    ///
    /// Errors (instead of panicking) where RFC 9380 says ABORT: for XMD more than 255 blocks,
    /// for both more than 65535 bytes.
    pub fn expand_message(self, msg: &[&[u8]], dst: &[u8], len: usize) -> Result<Vec<u8>> {
        if len > u16::MAX as usize {
            return Err(BbsError::TooLarge("expand_message output length > 65535"));
        }
        let mut out = vec![0u8; len];
        match self {
            Ciphersuite::Sha256 => {
                if len.div_ceil(32) > 255 {
                    return Err(BbsError::TooLarge(
                        "expand_message_xmd output length > 8160",
                    ));
                }
                let mut x = ExpandMsgXmd::<Sha256>::init_expand::<_, U32>(msg, dst, len);
                x.read_into(&mut out);
            }
            Ciphersuite::Shake256 => {
                let mut x = ExpandMsgXof::<Shake256>::init_expand::<_, U32>(msg, dst, len);
                x.read_into(&mut out);
            }
        }
        Ok(out)
    }

    /// `hash_to_scalar(msg, dst)` of the draft (§6.2): `OS2IP(expand_message(msg, dst, 48)) mod r`.
    pub fn hash_to_scalar(self, msg: &[&[u8]], dst: &[u8]) -> Scalar {
        let mut out = [Scalar::zero()];
        match self {
            Ciphersuite::Sha256 => {
                Scalar::hash_to_field::<ExpandMsgXmd<Sha256>, _>(msg, dst, &mut out);
            }
            Ciphersuite::Shake256 => {
                Scalar::hash_to_field::<ExpandMsgXof<Shake256>, _>(msg, dst, &mut out);
            }
        }
        out[0]
    }

    /// `hash_to_curve_g1(msg, dst)` of the suite (`BLS12381G1_XMD:SHA-256_SSWU_RO_` or
    /// `BLS12381G1_XOF:SHAKE-256_SSWU_RO_`).
    pub fn hash_to_curve_g1(self, msg: &[&[u8]], dst: &[u8]) -> G1Projective {
        match self {
            Ciphersuite::Sha256 => {
                <G1Projective as HashToCurve<ExpandMsgXmd<Sha256>>>::hash_to_curve(msg, dst)
            }
            Ciphersuite::Shake256 => {
                <G1Projective as HashToCurve<ExpandMsgXof<Shake256>>>::hash_to_curve(msg, dst)
            }
        }
    }

    /// The fixed point `P1` of the ciphersuite (draft §7.3), computed once and cached.
    pub fn p1(self) -> G1Affine {
        static P1: [OnceLock<G1Affine>; 2] = [OnceLock::new(), OnceLock::new()];
        *P1[self as usize].get_or_init(|| {
            let id = self.id();
            let seed_dst = [id, b"H2G_HM2S_SIG_GENERATOR_SEED_"].concat();
            let gen_dst = [id, b"H2G_HM2S_SIG_GENERATOR_DST_"].concat();
            let seed = [id, b"H2G_HM2S_BP_MESSAGE_GENERATOR_SEED"].concat();
            generator_chain(self, &seed, &seed_dst, &gen_dst, 0, 1)
                .map(|(points, _)| points[0])
                .unwrap_or_else(|_| unreachable_p1())
        })
    }

    /// `create_generators(count, api_id)` of the draft (§4.1), without caching. Prefer
    /// [`crate::Generators::get`], which caches the points and their precomputed tables.
    pub fn create_generators(self, count: usize, api_id: &[u8]) -> Result<Vec<G1Affine>> {
        let (seed, seed_dst, gen_dst) = generator_dsts(api_id);
        generator_chain(self, &seed, &seed_dst, &gen_dst, 0, count).map(|(p, _)| p)
    }

    /// `messages_to_scalars(messages, api_id)` of the draft (§4.2): each message hashed with
    /// `hash_to_scalar` under `api_id || "MAP_MSG_TO_SCALAR_AS_HASH_"`.
    pub fn messages_to_scalars<M: AsRef<[u8]>>(self, messages: &[M], api_id: &[u8]) -> Vec<Scalar> {
        let dst = [api_id, b"MAP_MSG_TO_SCALAR_AS_HASH_"].concat();
        messages
            .iter()
            .map(|m| self.hash_to_scalar(&[m.as_ref()], &dst))
            .collect()
    }
}

/// The three domain-separation strings of `create_generators` for an `api_id`.
pub(crate) fn generator_dsts(api_id: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        [api_id, b"MESSAGE_GENERATOR_SEED"].concat(),
        [api_id, b"SIG_GENERATOR_SEED_"].concat(),
        [api_id, b"SIG_GENERATOR_DST_"].concat(),
    )
}

/// Runs the `create_generators` chain. `state` is `None` to start from the seed, or the cached
/// `v` after `done` generators; returns the next `count` generators and the new `v`.
pub(crate) fn generator_chain(
    suite: Ciphersuite,
    seed: &[u8],
    seed_dst: &[u8],
    gen_dst: &[u8],
    done: usize,
    count: usize,
) -> Result<(Vec<G1Affine>, Vec<u8>)> {
    let v = suite.expand_message(&[seed], seed_dst, EXPAND_LEN)?;
    generator_chain_from(suite, v, seed_dst, gen_dst, done, count)
}

/// Continues the chain from a cached `v` (after `done` generators).
pub(crate) fn generator_chain_from(
    suite: Ciphersuite,
    mut v: Vec<u8>,
    seed_dst: &[u8],
    gen_dst: &[u8],
    done: usize,
    count: usize,
) -> Result<(Vec<G1Affine>, Vec<u8>)> {
    let mut proj = Vec::with_capacity(count);
    for i in done + 1..=done + count {
        let i = u64::try_from(i).map_err(|_| BbsError::TooLarge("generator count"))?;
        v = suite.expand_message(&[&v, &i.to_be_bytes()], seed_dst, EXPAND_LEN)?;
        proj.push(suite.hash_to_curve_g1(&[&v], gen_dst));
    }
    let mut affine = vec![G1Affine::identity(); count];
    G1Projective::batch_normalize(&proj, &mut affine);
    Ok((affine, v))
}

#[cold]
fn unreachable_p1() -> G1Affine {
    // expand_message with a 48-byte output and these fixed DSTs cannot fail.
    G1Affine::generator()
}

/// I2OSP of a scalar: 32 bytes big-endian.
pub(crate) fn scalar_to_be(s: &Scalar) -> [u8; 32] {
    let mut b = s.to_bytes();
    b.reverse();
    b
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Ciphersuite::ALL {
            assert_eq!(Ciphersuite::from_name(s.name()), Some(s));
        }
        assert_eq!(Ciphersuite::from_name("bls12-381-sha-512"), None);
    }

    #[test]
    fn expand_message_limits_are_errors() {
        assert!(Ciphersuite::Sha256
            .expand_message(&[b"x"], b"dst", 8161)
            .is_err());
        assert!(Ciphersuite::Sha256
            .expand_message(&[b"x"], b"dst", 8160)
            .is_ok());
        assert!(Ciphersuite::Shake256
            .expand_message(&[b"x"], b"dst", 65536)
            .is_err());
        assert_eq!(
            Ciphersuite::Shake256
                .expand_message(&[b"x"], b"dst", 65535)
                .unwrap()
                .len(),
            65535
        );
    }

    #[test]
    fn hash_to_scalar_matches_expand_message_mod_r() {
        for s in Ciphersuite::ALL {
            let dst = b"some-dst";
            let bytes = s.expand_message(&[b"ab", b"c"], dst, 48).unwrap();
            let mut wide = [0u8; 64];
            for (i, b) in bytes.iter().rev().enumerate() {
                wide[i] = *b;
            }
            assert_eq!(
                s.hash_to_scalar(&[b"abc"], dst),
                Scalar::from_bytes_wide(&wide)
            );
        }
    }
}
