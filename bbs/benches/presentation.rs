//! The netid presentation, statement "age ≥ 18 + pseudonym + given_name disclosed + not
//! expired", on a netid/v1 credential (12 attributes), both ciphersuites, single thread.
//! Also the plain IETF ProofGen/ProofVerify on the same 12 scalars with the same disclosure, as
//! the peer measured in the same run (the presentation's overhead over a bare BBS proof).
//!
//! `cargo bench -p netid-bbs --bench presentation`
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use netid_bbs::netid::NetidBbs;
use netid_bbs::{Ciphersuite, Proof, SecretKey};
use netid_core::{
    AssuranceLevel, Attribute, AttributeSet, CredentialAttributes, Date, DocType, Nonce, Nym,
    PresentationRequest, Statements, Suite, FORMAT_VERSION,
};

fn credential() -> CredentialAttributes {
    CredentialAttributes {
        netid: "NID7Q2KX9M4".into(),
        family_name: "王".into(),
        given_name: "丽".into(),
        id_hash: [0x11; 32],
        birthdate: Date::from_ymd(1990, 5, 4).unwrap(),
        doc_type: DocType::ResidentIdCard,
        assurance: AssuranceLevel::Remote,
        nym: Nym::from_prf_output(&[0x22; 32]),
        binding: netid_core::HolderBinding::from_be_bytes(&[0x03; 32]).unwrap(),
        expiry: Date::from_ymd(2030, 1, 1).unwrap(),
        rev_index: 7,
        guardian_perms: 0,
    }
}

fn request(suite: Suite) -> PresentationRequest {
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    PresentationRequest {
        version: FORMAT_VERSION,
        app_id: "shop.example".into(),
        nonce: Nonce::new([7; 32]),
        expires_at: 2_000_000_000,
        statements: Statements {
            today: Date::from_ymd(2026, 11, 22).unwrap(),
            age_at_least: Some(18),
            assurance_at_least: None,
            disclose,
            pseudonym: true,
            not_expired: true,
        },
        suites: vec![suite],
        app_certificate: Vec::new().into(),
        response_uri: None,
        signature: Vec::new().into(),
    }
}

fn bench(c: &mut Criterion) {
    for suite in Ciphersuite::ALL {
        let n = NetidBbs::new(suite);
        let sk = SecretKey::keygen(suite, &[9; 32], b"bench issuer", None).unwrap();
        let pk = sk.public_key();
        let digits = n.digit_signatures(&sk, &pk).unwrap();
        let attrs = credential();
        let secret = netid_core::HolderSecret::from_random(&[0x5e; 32]).unwrap();
        let (commitment, blind) = n.commit_binding(&secret, &mut rand::rng()).unwrap();
        let sig = n.issue(&sk, &pk, &attrs, &commitment).unwrap();
        let key = netid_bbs::netid::HolderKey {
            secret: &secret,
            prover_blind: &blind,
        };
        let req = request(n.core_suite());
        let p = n
            .present(&pk, &digits, &attrs, &sig, key, &req, &mut rand::rng())
            .unwrap();
        let json = serde_json::to_vec(&p).unwrap();
        eprintln!(
            "{}: proof {} bytes, pseudonym {} bytes, presentation JSON {} bytes",
            suite.name(),
            p.proof.len(),
            p.pseudonym.as_ref().map_or(0, |x| x.len()),
            json.len()
        );
        let mut g = c.benchmark_group(format!(
            "{}/presentation-age18-nym-given-notexpired",
            suite.name()
        ));
        g.bench_function(BenchmarkId::new("prove", "netid"), |b| {
            b.iter(|| {
                n.present(&pk, &digits, &attrs, &sig, key, &req, &mut rand::rng())
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("verify", "netid"), |b| {
            b.iter(|| n.verify_presentation(&pk, &req, &p).unwrap())
        });
        // Peer: a bare IETF proof over the same 12 scalars disclosing given_name.
        let bbs = n.credential_interface();
        let scalars = n.attribute_scalars(&attrs);
        let idx = [Attribute::GivenName.index()];
        let disclosed = [scalars[idx[0]]];
        let bare_sig = bbs
            .sign_scalars(&sk, &pk, b"netid/v1/credential", &scalars)
            .unwrap();
        let rs = netid_bbs::calculate_random_scalars(&mut rand::rng(), 5 + 11);
        let bare = bbs
            .proof_gen_with_scalars(
                &pk,
                &bare_sig,
                b"netid/v1/credential",
                b"ph",
                &scalars,
                &idx,
                &rs,
            )
            .unwrap();
        g.bench_function(BenchmarkId::new("prove", "bare-ietf-proof"), |b| {
            b.iter(|| {
                let rs = netid_bbs::calculate_random_scalars(&mut rand::rng(), 5 + 11);
                bbs.proof_gen_with_scalars(
                    &pk,
                    &bare_sig,
                    b"netid/v1/credential",
                    b"ph",
                    &scalars,
                    &idx,
                    &rs,
                )
                .unwrap()
            })
        });
        let bare_bytes = bare.to_bytes();
        g.bench_function(BenchmarkId::new("verify", "bare-ietf-proof"), |b| {
            b.iter(|| {
                let p = Proof::from_bytes(&bare_bytes).unwrap();
                bbs.proof_verify_scalars(&pk, &p, b"netid/v1/credential", b"ph", &disclosed, &idx)
                    .unwrap()
            })
        });
        g.finish();
    }
}

/// Primitive costs used in specs/bbs.md §5.4 and §7 to account for the presentation's time.
fn primitives(c: &mut Criterion) {
    use netid_bbs::bls12_381::{
        multi_miller_loop, G1Affine, G1Projective, G2Affine, G2Prepared, Gt, Scalar,
    };
    let s = Scalar::from_bytes_wide(&[7u8; 64]);
    let p = G1Projective::generator() * s;
    let bytes = G1Affine::from(p).to_compressed();
    let mut g = c.benchmark_group("g1-primitives");
    g.bench_function("scalar-mul-ct", |b| b.iter(|| p * s));
    // zkcrypto's decoder against blst's (the one the crate uses, specs/bbs.md §3).
    g.bench_function("decompress-with-subgroup-check/bls12_381", |b| {
        b.iter(|| G1Affine::from_compressed(&bytes).unwrap())
    });
    g.bench_function("decompress-with-subgroup-check/blst", |b| {
        b.iter(|| blstrs::G1Affine::from_compressed(&bytes).unwrap())
    });
    g.bench_function("mixed-add", |b| {
        let a = G1Affine::from(p);
        b.iter(|| p.add_mixed(&a))
    });
    g.bench_function("double", |b| b.iter(|| p.double()));
    // The verifier's one pairing check: a two-pair multi-Miller loop and a final exponentiation.
    let (w, bp2) = (
        G2Prepared::from(G2Affine::from(G2Affine::generator() * s)),
        G2Prepared::from(-G2Affine::generator()),
    );
    let (a, bb) = (G1Affine::from(p), G1Affine::from(p * s));
    g.bench_function("pairing-check-2/bls12_381", |b| {
        b.iter(|| {
            multi_miller_loop(&[(&a, &w), (&bb, &bp2)]).final_exponentiation() == Gt::identity()
        })
    });
    {
        use group13::Group as _;
        use pairing::{MillerLoopResult as _, MultiMillerLoop as _};
        let g2 = |p: G2Affine| {
            blstrs::G2Prepared::from(
                blstrs::G2Affine::from_uncompressed_unchecked(&p.to_uncompressed()).unwrap(),
            )
        };
        let g1 = |p: G1Affine| {
            blstrs::G1Affine::from_uncompressed_unchecked(&p.to_uncompressed()).unwrap()
        };
        let (w, bp2) = (
            g2(G2Affine::from(G2Affine::generator() * s)),
            g2(-G2Affine::generator()),
        );
        let (a, bb) = (g1(a), g1(bb));
        g.bench_function("pairing-check-2/blst", |b| {
            b.iter(|| {
                blstrs::Bls12::multi_miller_loop(&[(&a, &w), (&bb, &bp2)])
                    .final_exponentiation()
                    .is_identity()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = presentation;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench, primitives
}
criterion_main!(presentation);
