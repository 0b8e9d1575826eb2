//! Face match: a live sample compared with the card's reference (specs/issuer.md §3.2).
//!
//! [`FaceMatcher`] is where a real matcher plugs in: it scores a [`FaceSample`] (the live
//! capture) against the [`VerifiedCard`] (whose chip photo is the reference) with a similarity in
//! `[0, 1]`. [`FaceCheck`] applies the configured threshold. The default,
//! [`SimulatedFaceMatcher`], returns the score the simulated wallet put into the sample: the
//! plumbing and the threshold rule are real, the biometrics are not.

use crate::evidence::card::VerifiedCard;
use crate::IssuerError;

/// Default acceptance threshold.
pub const DEFAULT_FACE_THRESHOLD: f32 = 0.8;
pub use netid_core::card::MAX_FACE_IMAGE_LEN;

pub use netid_core::card::FaceSample;

/// Scores a live sample against a verified card.
pub trait FaceMatcher: Send + Sync {
    /// Similarity in `[0, 1]` (1: certainly the same person).
    ///
    /// # Errors
    /// [`IssuerError::FaceSample`] if the sample lacks what the matcher needs.
    fn score(&self, probe: &FaceSample, reference: &VerifiedCard) -> Result<f32, IssuerError>;
}

impl<M: FaceMatcher + ?Sized> FaceMatcher for Box<M> {
    fn score(&self, probe: &FaceSample, reference: &VerifiedCard) -> Result<f32, IssuerError> {
        (**self).score(probe, reference)
    }
}

/// The simulated matcher: returns `probe.score`, which must be present and in `[0, 1]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulatedFaceMatcher;

impl FaceMatcher for SimulatedFaceMatcher {
    fn score(&self, probe: &FaceSample, _reference: &VerifiedCard) -> Result<f32, IssuerError> {
        match probe.score {
            None => Err(IssuerError::FaceSample("missing simulated score")),
            Some(s) if s.is_finite() && (0.0..=1.0).contains(&s) => Ok(s),
            Some(_) => Err(IssuerError::FaceSample("score must be between 0 and 1")),
        }
    }
}

/// A matcher plus the acceptance threshold.
pub struct FaceCheck<M = SimulatedFaceMatcher> {
    matcher: M,
    threshold: f32,
}

impl<M> core::fmt::Debug for FaceCheck<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FaceCheck")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl Default for FaceCheck<SimulatedFaceMatcher> {
    fn default() -> Self {
        FaceCheck {
            matcher: SimulatedFaceMatcher,
            threshold: DEFAULT_FACE_THRESHOLD,
        }
    }
}

impl<M: FaceMatcher> FaceCheck<M> {
    /// A check accepting scores `≥ threshold`.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] unless `0 < threshold ≤ 1`.
    pub fn new(matcher: M, threshold: f32) -> Result<FaceCheck<M>, IssuerError> {
        if !(threshold.is_finite() && threshold > 0.0 && threshold <= 1.0) {
            return Err(IssuerError::InvalidInput(
                "face threshold must be in (0, 1]",
            ));
        }
        Ok(FaceCheck { matcher, threshold })
    }

    /// The threshold.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Scores the sample and applies the threshold; returns the score on success.
    ///
    /// # Errors
    /// [`IssuerError::FaceSample`] for an unusable sample, [`IssuerError::FaceMismatch`] below
    /// the threshold.
    pub fn check(&self, probe: &FaceSample, reference: &VerifiedCard) -> Result<f32, IssuerError> {
        if probe.image.len() > MAX_FACE_IMAGE_LEN {
            return Err(IssuerError::FaceSample("image larger than 512 KiB"));
        }
        let s = self.matcher.score(probe, reference)?;
        if !s.is_finite() || s < self.threshold {
            return Err(IssuerError::FaceMismatch);
        }
        Ok(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::evidence::card::tests::contents;
    use crate::evidence::card::{CardAuthority, TrustedCardAuthorities};

    fn card() -> VerifiedCard {
        let a = CardAuthority::from_seed(&[9; 32]);
        let t = TrustedCardAuthorities::new([a.verifying_key()]);
        t.verify(&a.sign(contents()), "2026-03-01".parse().unwrap())
            .unwrap()
    }

    #[test]
    fn threshold_rule() {
        let c = card();
        let check = FaceCheck::default();
        let s = |score| FaceSample {
            score,
            image: Vec::new(),
        };
        assert_eq!(check.check(&s(Some(0.93)), &c).unwrap(), 0.93);
        assert_eq!(check.check(&s(Some(0.8)), &c).unwrap(), 0.8);
        assert!(matches!(
            check.check(&s(Some(0.79)), &c),
            Err(IssuerError::FaceMismatch)
        ));
        assert!(matches!(
            check.check(&s(None), &c),
            Err(IssuerError::FaceSample(_))
        ));
        assert!(matches!(
            check.check(&s(Some(f32::NAN)), &c),
            Err(IssuerError::FaceSample(_))
        ));
        assert!(matches!(
            check.check(&s(Some(1.5)), &c),
            Err(IssuerError::FaceSample(_))
        ));
        let strict = FaceCheck::new(SimulatedFaceMatcher, 0.95).unwrap();
        assert!(matches!(
            strict.check(&s(Some(0.93)), &c),
            Err(IssuerError::FaceMismatch)
        ));
        assert!(FaceCheck::new(SimulatedFaceMatcher, 0.0).is_err());
        assert!(FaceCheck::new(SimulatedFaceMatcher, f32::NAN).is_err());
        let big = FaceSample {
            score: Some(1.0),
            image: vec![0; MAX_FACE_IMAGE_LEN + 1],
        };
        assert!(matches!(
            check.check(&big, &c),
            Err(IssuerError::FaceSample(_))
        ));
        let json: FaceSample = serde_json::from_str(r#"{"score":0.9}"#).unwrap();
        assert_eq!(json.score, Some(0.9));
        assert!(serde_json::from_str::<FaceSample>(r#"{"score":0.9,"x":1}"#).is_err());
    }

    /// A custom matcher plugs in through the trait.
    struct Always(f32);
    impl FaceMatcher for Always {
        fn score(&self, _: &FaceSample, _: &VerifiedCard) -> Result<f32, IssuerError> {
            Ok(self.0)
        }
    }

    #[test]
    fn custom_matcher() {
        let c = card();
        let check = FaceCheck::new(Always(0.5), 0.6).unwrap();
        assert!(matches!(
            check.check(&FaceSample::default(), &c),
            Err(IssuerError::FaceMismatch)
        ));
        let check = FaceCheck::new(Always(0.7), 0.6).unwrap();
        assert!(check.check(&FaceSample::default(), &c).is_ok());
    }
}
