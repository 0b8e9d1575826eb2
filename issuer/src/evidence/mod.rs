//! Identity evidence, checked for real (specs/issuer.md §3): the simulated ID card signed by a
//! trusted card authority ([`card`]), the face match behind a pluggable matcher ([`face`]), and
//! the phone number confirmed by a one-time code ([`phone`]).

pub mod card;
pub mod face;
pub mod phone;

pub use card::{
    CardAuthority, CardContents, CardName, SignedCard, TrustedCardAuthorities, VerifiedCard,
};
pub use face::{FaceCheck, FaceMatcher, FaceSample, SimulatedFaceMatcher};
pub use phone::{
    ChallengeId, CodeSender, ConfirmedPhone, FileCodeSender, LogCodeSender, MemoryCodeSender,
    OneTimeCode, PhoneChallenge, PhoneCodePolicy, PhoneNumber, PhoneVerifier,
};
