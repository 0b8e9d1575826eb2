//! The Fiat–Shamir transcript of netid's BBS presentation (specs/bbs.md §5.5): a `merlin`
//! transcript with the versioned labels of `netid_core::dst::bbs`. Every value that the prover
//! commits to or that the statement depends on is appended before the single challenge is drawn.

use bls12_381::{G1Affine, Scalar};
use merlin::Transcript;

/// netid's operations on a merlin transcript.
pub trait TranscriptProtocol {
    /// Appends a compressed G1 point.
    fn append_point(&mut self, label: &'static [u8], p: &G1Affine);
    /// Appends a scalar (32 bytes big-endian).
    fn append_scalar(&mut self, label: &'static [u8], s: &Scalar);
    /// Draws the challenge: 64 bytes reduced mod r.
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
}

impl TranscriptProtocol for Transcript {
    fn append_point(&mut self, label: &'static [u8], p: &G1Affine) {
        self.append_message(label, &p.to_compressed());
    }

    fn append_scalar(&mut self, label: &'static [u8], s: &Scalar) {
        self.append_message(label, &crate::suite::scalar_to_be(s));
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_wide(&wide)
    }
}
