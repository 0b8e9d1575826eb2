//! Completeness, soundness and unlinkability of the netid BBS presentation.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::pseudonym;
use netid_core::{
    AssuranceLevel, AttributeSet, Date, DisclosedValue, DocType, Nonce, Presentation,
    PresentationRequest, Statements, FORMAT_VERSION,
};
use proptest::prelude::*;
use std::sync::OnceLock;

struct Issuer {
    sk: SecretKey,
    pk: PublicKey,
    digits: DigitSignatures,
}

fn issuer(suite: Ciphersuite) -> &'static Issuer {
    static I: [OnceLock<Issuer>; 2] = [OnceLock::new(), OnceLock::new()];
    I[suite as usize].get_or_init(|| {
        let sk =
            SecretKey::keygen(suite, &[suite as u8 + 1; 32], b"netid test issuer", None).unwrap();
        let pk = sk.public_key();
        let digits = NetidBbs::new(suite).digit_signatures(&sk, &pk).unwrap();
        Issuer { sk, pk, digits }
    })
}

/// The test wallet's secret.
fn secret() -> &'static HolderSecret {
    static S: OnceLock<HolderSecret> = OnceLock::new();
    S.get_or_init(|| HolderSecret::from_random(&[0x5e; 32]).unwrap())
}

fn hk(blind: &ProverBlind) -> HolderKey<'_> {
    HolderKey {
        secret: secret(),
        prover_blind: blind,
    }
}

/// A credential on `a` blind-signed on the test wallet's commitment, checked as the wallet does.
fn issue(suite: Ciphersuite, a: &CredentialAttributes) -> (Signature, ProverBlind) {
    let n = NetidBbs::new(suite);
    let i = issuer(suite);
    let (c, blind) = n.commit_binding(secret(), &mut rand::rng()).unwrap();
    let sig = n.issue(&i.sk, &i.pk, a, &c).unwrap();
    n.verify_credential(&i.pk, a, &sig, hk(&blind)).unwrap();
    (sig, blind)
}

/// `NetidBbs::present` of the test issuer of `suite` for credential `a` (signed as `sig`) with
/// the holder key `key`, answering `req` exactly as given.
fn present_as(
    suite: Ciphersuite,
    a: &CredentialAttributes,
    sig: &Signature,
    key: HolderKey<'_>,
    req: &PresentationRequest,
) -> Result<Presentation> {
    let i = issuer(suite);
    NetidBbs::new(suite).present(&i.pk, &i.digits, a, sig, key, req, &mut rand::rng())
}

fn today() -> Date {
    Date::from_ymd(2026, 11, 22).unwrap()
}

fn attrs(birthdate: Date, expiry: Date) -> CredentialAttributes {
    CredentialAttributes {
        netid: "NID7Q2KX9M4".into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: [0x11; 32],
        birthdate,
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        nym: Nym::from_prf_output(&[0x22; 32]),
        binding: netid_core::HolderBinding::from_be_bytes(&[0x03; 32]).unwrap(),
        expiry,
        rev_index: 7,
        guardian_perms: 0,
    }
}

fn adult() -> CredentialAttributes {
    attrs(
        Date::from_ymd(1990, 5, 4).unwrap(),
        Date::from_ymd(2030, 1, 1).unwrap(),
    )
}

fn request(app_id: &str, nonce: u8) -> PresentationRequest {
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    PresentationRequest {
        version: FORMAT_VERSION,
        app_id: app_id.into(),
        nonce: Nonce::new([nonce; 32]),
        expires_at: 2_000_000_000,
        statements: Statements {
            today: today(),
            age_at_least: Some(18),
            assurance_at_least: None,
            disclose,
            pseudonym: true,
            not_expired: true,
        },
        suites: vec![Suite::BbsSha256],
        app_certificate: Vec::new().into(),
        response_uri: None,
        signature: Vec::new().into(),
    }
}

/// `req` accepting exactly `suite` (a request for a pseudonym accepts one suite).
fn for_suite(req: &PresentationRequest, suite: Ciphersuite) -> PresentationRequest {
    let mut r = req.clone();
    r.suites = vec![NetidBbs::new(suite).core_suite()];
    r
}

fn present(
    suite: Ciphersuite,
    a: &CredentialAttributes,
    req: &PresentationRequest,
) -> Presentation {
    let (sig, blind) = issue(suite, a);
    present_as(suite, a, &sig, hk(&blind), &for_suite(req, suite)).unwrap()
}

fn forged(
    suite: Ciphersuite,
    a: &CredentialAttributes,
    req: &PresentationRequest,
    delta: u64,
) -> Presentation {
    let n = NetidBbs::new(suite);
    let i = issuer(suite);
    let (sig, blind) = issue(suite, a);
    n.present_inner(
        &i.pk,
        &i.digits,
        a,
        &sig,
        hk(&blind),
        &for_suite(req, suite),
        &mut rand::rng(),
        Some(delta),
    )
    .unwrap()
}

fn verify(
    suite: Ciphersuite,
    req: &PresentationRequest,
    p: &Presentation,
) -> Result<VerifiedPresentation> {
    NetidBbs::new(suite).verify_presentation(&issuer(suite).pk, &for_suite(req, suite), p)
}

#[test]
fn honest_presentation_verifies_in_both_suites() {
    for suite in Ciphersuite::ALL {
        let req = request("shop.example", 1);
        let a = adult();
        let p = present(suite, &a, &req);
        let v = verify(suite, &req, &p).unwrap();
        assert_eq!(
            v.disclosed.get(Attribute::GivenName),
            Some(&DisclosedValue::Text("丽".into()))
        );
        // The pseudonym is the per-verifier-linkability draft's value for pid = nym.
        let want = pseudonym::pseudonym(suite, b"shop.example", a.nym.expose_secret());
        assert_eq!(v.pseudonym, Some(want));
        assert_eq!(p.pseudonym.as_ref().unwrap().as_slice(), &want);
    }
}

#[test]
fn size_of_the_benchmark_statement() {
    let p = present(Ciphersuite::Sha256, &adult(), &request("shop.example", 1));
    // 1 + (96 + 64) + 13·32 + 4 digits·160 + 2·32 + 32 = 1313 bytes of proof, 48 of pseudonym
    // (specs/bbs.md §5.6).
    assert_eq!(p.proof.len(), 1313);
    assert_eq!(p.pseudonym.as_ref().unwrap().len(), 48);
}

#[test]
fn statements_without_ranges_or_pseudonym_and_with_assurance() {
    let suite = Ciphersuite::Shake256;
    let mut req = request("hotel.example", 3);
    req.statements.age_at_least = None;
    req.statements.not_expired = false;
    req.statements.pseudonym = false;
    let p = present(suite, &adult(), &req);
    assert!(p.pseudonym.is_none());
    verify(suite, &req, &p).unwrap();

    req.statements.assurance_at_least = Some(AssuranceLevel::Remote);
    let p = present(suite, &adult(), &req);
    verify(suite, &req, &p).unwrap();
    req.statements.assurance_at_least = Some(AssuranceLevel::InPerson);
    let (sig, blind) = issue(suite, &adult());
    assert!(matches!(
        present_as(suite, &adult(), &sig, hk(&blind), &req),
        Err(BbsError::Statement(_))
    ));
}

#[test]
fn disclosed_birthdate_is_checked_on_the_value() {
    let suite = Ciphersuite::Sha256;
    let mut req = request("bank.example", 4);
    req.statements.disclose.insert(Attribute::Birthdate);
    let p = present(suite, &adult(), &req);
    verify(suite, &req, &p).unwrap();
}

#[test]
fn underage_holder_is_refused_and_a_forged_proof_fails() {
    let suite = Ciphersuite::Sha256;
    let req = request("bar.example", 5);
    let cutoff = req.statements.age_cutoff().unwrap().unwrap();
    let minor = attrs(
        cutoff.checked_add_days(1).unwrap(),
        Date::from_ymd(2030, 1, 1).unwrap(),
    );
    let (sig, blind) = issue(suite, &minor);
    assert!(matches!(
        present_as(suite, &minor, &sig, hk(&blind), &req),
        Err(BbsError::Statement(_))
    ));
    // A cheating prover claiming any in-range difference is caught.
    for delta in [0, 1, 365] {
        let p = forged(suite, &minor, &req, delta);
        assert_eq!(verify(suite, &req, &p), Err(BbsError::InvalidProof));
    }
    // Born exactly on the cutoff: 18 today.
    let just = attrs(cutoff, Date::from_ymd(2030, 1, 1).unwrap());
    let p = present(suite, &just, &req);
    verify(suite, &req, &p).unwrap();
}

#[test]
fn expired_credential_fails() {
    let suite = Ciphersuite::Shake256;
    let req = request("game.example", 6);
    let expired = attrs(
        Date::from_ymd(1990, 5, 4).unwrap(),
        today().checked_sub_days(1).unwrap(),
    );
    let p = forged(suite, &expired, &req, 0);
    assert_eq!(verify(suite, &req, &p), Err(BbsError::InvalidProof));
    // Expiring today is still valid.
    let last_day = attrs(Date::from_ymd(1990, 5, 4).unwrap(), today());
    verify(suite, &req, &present(suite, &last_day, &req)).unwrap();
}

#[test]
fn altered_disclosed_value_fails() {
    let suite = Ciphersuite::Sha256;
    let req = request("shop.example", 7);
    let mut p = present(suite, &adult(), &req);
    let mut d = DisclosedAttributes::new();
    d.insert(Attribute::GivenName, DisclosedValue::Text("强".into()))
        .unwrap();
    p.disclosed = d;
    assert_eq!(verify(suite, &req, &p), Err(BbsError::InvalidProof));
}

#[test]
fn other_app_other_nonce_other_issuer_fail() {
    let suite = Ciphersuite::Sha256;
    let req = request("shop.example", 8);
    let p = present(suite, &adult(), &req);
    for other in [request("evil.example", 8), request("shop.example", 9)] {
        // Unchanged, it does not even claim to answer the other request.
        assert!(matches!(
            verify(suite, &other, &p),
            Err(BbsError::InvalidPresentation(_))
        ));
        // Relabelled with the other request's hash, the proof fails.
        let mut relabelled = p.clone();
        relabelled.request_hash = other.request_hash();
        assert_eq!(
            verify(suite, &other, &relabelled),
            Err(BbsError::InvalidProof)
        );
    }
    let other_issuer = issuer(Ciphersuite::Shake256).pk.clone();
    assert_eq!(
        NetidBbs::new(suite).verify_presentation(&other_issuer, &req, &p),
        Err(BbsError::InvalidProof)
    );
    // The other suite's verifier rejects it too.
    assert!(verify(Ciphersuite::Shake256, &req, &p).is_err());
}

#[test]
fn swapped_pseudonym_fails() {
    let suite = Ciphersuite::Sha256;
    let req = request("shop.example", 10);
    let mut p = present(suite, &adult(), &req);
    let mut other = adult();
    other.nym = Nym::from_prf_output(&[0x44; 32]);
    let theirs = present(suite, &other, &req);
    p.pseudonym = theirs.pseudonym.clone();
    assert_eq!(verify(suite, &req, &p), Err(BbsError::InvalidProof));
    // The same person's pseudonym for another app does not fit either.
    let mut q = present(suite, &adult(), &req);
    q.pseudonym = present(suite, &adult(), &request("evil.example", 10)).pseudonym;
    assert_eq!(verify(suite, &req, &q), Err(BbsError::InvalidProof));
}

/// All 16-byte windows of a byte string.
fn windows(b: &[u8]) -> std::collections::HashSet<&[u8]> {
    b.windows(16).collect()
}

#[test]
fn unlinkability_across_and_within_apps() {
    let suite = Ciphersuite::Sha256;
    let a = adult();
    let p1 = present(suite, &a, &request("shop.example", 11));
    let p2 = present(suite, &a, &request("game.example", 11));
    let p3 = present(suite, &a, &request("shop.example", 12));
    let bytes = |p: &Presentation| {
        let mut v = p.proof.as_slice().to_vec();
        v.extend_from_slice(p.pseudonym.as_ref().unwrap().as_slice());
        v
    };
    // Two apps: no common 16-byte string in proof or pseudonym.
    let (b1, b2) = (bytes(&p1), bytes(&p2));
    assert!(windows(&b2).is_disjoint(&windows(&b1)));
    assert_ne!(p1.pseudonym, p2.pseudonym);
    // Same app: equal pseudonyms, proofs share nothing.
    assert_eq!(p1.pseudonym, p3.pseudonym);
    assert!(windows(p3.proof.as_slice()).is_disjoint(&windows(p1.proof.as_slice())));
}

#[test]
fn malformed_proof_encodings_are_rejected() {
    let suite = Ciphersuite::Sha256;
    let req = request("shop.example", 13);
    let p = present(suite, &adult(), &req);
    let mut q = p.clone();
    let mut b = p.proof.as_slice().to_vec();
    for v in [1, 2, 4] {
        // version 1 (before holder binding), 2 (the draft's proof form) and an unknown one
        b[0] = v;
        q.proof = b.clone().into();
        assert_eq!(verify(suite, &req, &q), Err(BbsError::InvalidProof));
    }
    let mut b = p.proof.as_slice().to_vec();
    b.push(0);
    q.proof = b.into();
    assert_eq!(verify(suite, &req, &q), Err(BbsError::InvalidProof));
    // A non-canonical challenge scalar (≥ r).
    let mut b = p.proof.as_slice().to_vec();
    let n = b.len();
    b[n - 32..].fill(0xff);
    q.proof = b.into();
    assert_eq!(verify(suite, &req, &q), Err(BbsError::InvalidProof));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn bit_flips_and_truncations_fail(pos in 0usize..1313, bit in 0u8..8, cut in 0usize..1313) {
        static P: OnceLock<(PresentationRequest, Presentation)> = OnceLock::new();
        let (req, p) = P.get_or_init(|| {
            let req = request("shop.example", 14);
            let p = present(Ciphersuite::Sha256, &adult(), &req);
            (req, p)
        });
        let mut q = p.clone();
        let mut b = p.proof.as_slice().to_vec();
        b[pos] ^= 1 << bit;
        q.proof = b.into();
        prop_assert!(verify(Ciphersuite::Sha256, req, &q).is_err());
        q.proof = p.proof.as_slice()[..cut].to_vec().into();
        prop_assert!(verify(Ciphersuite::Sha256, req, &q).is_err());
    }

    #[test]
    fn random_proof_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1800)) {
        let req = request("shop.example", 15);
        let mut p = present_cached();
        p.proof = bytes.into();
        prop_assert!(verify(Ciphersuite::Sha256, &req, &p).is_err());
    }
}

fn present_cached() -> Presentation {
    static P: OnceLock<Presentation> = OnceLock::new();
    P.get_or_init(|| present(Ciphersuite::Sha256, &adult(), &request("shop.example", 15)))
        .clone()
}

#[test]
fn digit_signatures_round_trip_and_reject_tampering() {
    let suite = Ciphersuite::Sha256;
    let n = NetidBbs::new(suite);
    let i = issuer(suite);
    let bytes = i.digits.to_bytes();
    let back = n.load_digit_signatures(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    // Swap two signatures: each is valid, but for the wrong digit.
    let mut swapped = bytes.clone();
    let (a, b) = (104, 104 + 80);
    let first: Vec<u8> = swapped[a..a + 80].to_vec();
    swapped.copy_within(b..b + 80, a);
    swapped[b..b + 80].copy_from_slice(&first);
    assert!(n.load_digit_signatures(&swapped).is_err());
    assert!(n.load_digit_signatures(&bytes[..bytes.len() - 1]).is_err());
    // Another key's set does not load as this suite's digits.
    let other = NetidBbs::new(Ciphersuite::Shake256);
    assert!(other.load_digit_signatures(&bytes).is_err());
}

#[test]
fn date_differences_beyond_the_range_are_refused_not_wrapped() {
    let suite = Ciphersuite::Sha256;
    let req = request("shop.example", 16);
    // Valid for 2^16 more days: outside [0, 2^16), the wallet refuses rather than proving.
    let far = attrs(
        Date::from_ymd(1990, 5, 4).unwrap(),
        today().checked_add_days(1 << 16).unwrap(),
    );
    let (sig, blind) = issue(suite, &far);
    assert!(matches!(
        present_as(suite, &far, &sig, hk(&blind), &req),
        Err(BbsError::Statement(_))
    ));
    let near = attrs(
        Date::from_ymd(1990, 5, 4).unwrap(),
        today().checked_add_days((1 << 16) - 1).unwrap(),
    );
    verify(suite, &req, &present(suite, &near, &req)).unwrap();
}

/// A copied credential (attributes, signature, even the blind) without the wallet secret: the
/// prover runs, and no verifier accepts what it produces.
#[test]
fn copied_credential_without_the_wallet_secret_is_refused() {
    for suite in [Ciphersuite::Sha256, Ciphersuite::Shake256] {
        let n = NetidBbs::new(suite);
        let i = issuer(suite);
        let req = for_suite(&request("shop.example", 40), suite);
        let (sig, blind) = issue(suite, &adult());
        let thief = HolderSecret::from_random(&[0x7f; 32]).unwrap();
        let stolen = HolderKey {
            secret: &thief,
            prover_blind: &blind,
        };
        assert!(n.verify_credential(&i.pk, &adult(), &sig, stolen).is_err());
        let p = present_as(suite, &adult(), &sig, stolen, &req).unwrap();
        assert!(matches!(
            verify(suite, &req, &p),
            Err(BbsError::InvalidProof)
        ));
        // The right secret with a wrong blind fails too, and the honest holder succeeds.
        let (_, other_blind) = n.commit_binding(secret(), &mut rand::rng()).unwrap();
        let p = present_as(suite, &adult(), &sig, hk(&other_blind), &req).unwrap();
        assert!(matches!(
            verify(suite, &req, &p),
            Err(BbsError::InvalidProof)
        ));
        let p = present_as(suite, &adult(), &sig, hk(&blind), &req).unwrap();
        verify(suite, &req, &p).unwrap();
    }
}

#[test]
fn issuance_needs_a_valid_commitment_to_one_message() {
    let suite = Ciphersuite::Sha256;
    let n = NetidBbs::new(suite);
    let i = issuer(suite);
    let s = NetidBbs::secret_scalar(secret());
    let (two, _) = n
        .blind_interface()
        .commit_scalars(&[s, s], &mut rand::rng())
        .unwrap();
    assert!(matches!(
        n.issue(&i.sk, &i.pk, &adult(), &two),
        Err(BbsError::InvalidCommitment)
    ));
    // A commitment under another ciphersuite's generators does not verify.
    let (c, _) = NetidBbs::new(Ciphersuite::Shake256)
        .commit_binding(secret(), &mut rand::rng())
        .unwrap();
    assert!(n.issue(&i.sk, &i.pk, &adult(), &c).is_err());
}

#[test]
fn the_binding_attribute_is_never_disclosed() {
    let suite = Ciphersuite::Sha256;
    let mut req = for_suite(&request("shop.example", 41), suite);
    req.statements.disclose.insert(Attribute::Binding);
    let (sig, blind) = issue(suite, &adult());
    assert!(matches!(
        present_as(suite, &adult(), &sig, hk(&blind), &req),
        Err(BbsError::Statement(_))
    ));
}
