//! Sign, Verify, ProofGen and ProofVerify of netid-bbs against the `zkryptium` crate (which
//! follows the same draft), on the same 10 messages with 5 disclosed, in the same run.
//!
//! `cargo bench -p netid-bbs --bench bbs`. Both libraries get decoded keys; netid's verify
//! timings include decoding the signature / proof from bytes (zkryptium's do not).
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use netid_bbs::{Bbs, Ciphersuite, Proof, PublicKey, SecretKey, Signature};
use zkryptium::{
    keys::pair::KeyPair,
    schemes::algorithms::{BBSplus, BbsBls12381Sha256, BbsBls12381Shake256, Scheme},
    schemes::generics::{PoKSignature, Signature as ZSignature},
};

const HEADER: &[u8] = b"netid benchmark header";
const PH: &[u8] = b"netid benchmark presentation header";
const DISCLOSED: [usize; 5] = [0, 2, 4, 6, 8];

fn messages() -> Vec<Vec<u8>> {
    (0..10u8)
        .map(|i| format!("attribute-{i}: some value of moderate length").into_bytes())
        .collect()
}

fn bench_netid(c: &mut Criterion, suite: Ciphersuite) {
    let bbs = Bbs::new(suite);
    let sk = SecretKey::keygen(suite, &[42u8; 32], b"bench", None).unwrap();
    let pk = sk.public_key();
    let msgs = messages();
    let disclosed: Vec<Vec<u8>> = DISCLOSED.iter().map(|&i| msgs[i].clone()).collect();
    let sig = bbs.sign(&sk, &pk, HEADER, &msgs).unwrap();
    let sig_bytes = sig.to_bytes();
    let proof = bbs
        .proof_gen(&pk, &sig, HEADER, PH, &msgs, &DISCLOSED, &mut rand::rng())
        .unwrap();
    let proof_bytes = proof.to_bytes();

    let mut g = c.benchmark_group(format!("{}/10msgs-5disclosed", suite.name()));
    g.bench_function(BenchmarkId::new("sign", "netid"), |b| {
        b.iter(|| bbs.sign(&sk, &pk, HEADER, &msgs).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", "netid"), |b| {
        b.iter(|| {
            let s = Signature::from_bytes(&sig_bytes).unwrap();
            bbs.verify(&pk, &s, HEADER, &msgs).unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("proof_gen", "netid"), |b| {
        b.iter(|| {
            bbs.proof_gen(&pk, &sig, HEADER, PH, &msgs, &DISCLOSED, &mut rand::rng())
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("proof_verify", "netid"), |b| {
        b.iter(|| {
            let p = Proof::from_bytes(&proof_bytes).unwrap();
            bbs.proof_verify(&pk, &p, HEADER, PH, &disclosed, &DISCLOSED)
                .unwrap()
        })
    });
    g.finish();
}

fn bench_zkryptium<S: Scheme>(c: &mut Criterion, suite: Ciphersuite)
where
    S::Ciphersuite: zkryptium::bbsplus::ciphersuites::BbsCiphersuite,
    <S::Ciphersuite as zkryptium::bbsplus::ciphersuites::BbsCiphersuite>::Expander:
        for<'a> elliptic_curve::hash2curve::ExpandMsg<'a>,
{
    let kp =
        KeyPair::<BBSplus<S::Ciphersuite>>::generate(&[42u8; 32], Some(b"bench"), None).unwrap();
    let (zsk, zpk) = (kp.private_key(), kp.public_key());
    let msgs = messages();
    let disclosed: Vec<Vec<u8>> = DISCLOSED.iter().map(|&i| msgs[i].clone()).collect();
    let sig =
        ZSignature::<BBSplus<S::Ciphersuite>>::sign(Some(&msgs), zsk, zpk, Some(HEADER)).unwrap();
    let proof = PoKSignature::<BBSplus<S::Ciphersuite>>::proof_gen(
        zpk,
        &sig.to_bytes(),
        Some(HEADER),
        Some(PH),
        Some(&msgs),
        Some(&DISCLOSED),
    )
    .unwrap();

    // Interop sanity: the same key material gives the same public key in both libraries.
    let ours = SecretKey::keygen(suite, &[42u8; 32], b"bench", None).unwrap();
    assert_eq!(ours.public_key().to_bytes(), zpk.to_bytes());
    assert!(PublicKey::from_bytes(&zpk.to_bytes()).is_ok());

    let mut g = c.benchmark_group(format!("{}/10msgs-5disclosed", suite.name()));
    g.bench_function(BenchmarkId::new("sign", "zkryptium"), |b| {
        b.iter(|| {
            ZSignature::<BBSplus<S::Ciphersuite>>::sign(Some(&msgs), zsk, zpk, Some(HEADER))
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("verify", "zkryptium"), |b| {
        b.iter(|| sig.verify(zpk, Some(&msgs), Some(HEADER)).unwrap())
    });
    g.bench_function(BenchmarkId::new("proof_gen", "zkryptium"), |b| {
        b.iter(|| {
            PoKSignature::<BBSplus<S::Ciphersuite>>::proof_gen(
                zpk,
                &sig.to_bytes(),
                Some(HEADER),
                Some(PH),
                Some(&msgs),
                Some(&DISCLOSED),
            )
            .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("proof_verify", "zkryptium"), |b| {
        b.iter(|| {
            proof
                .proof_verify(
                    zpk,
                    Some(&disclosed),
                    Some(&DISCLOSED),
                    Some(HEADER),
                    Some(PH),
                )
                .unwrap()
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    bench_netid(c, Ciphersuite::Sha256);
    bench_zkryptium::<BbsBls12381Sha256>(c, Ciphersuite::Sha256);
    bench_netid(c, Ciphersuite::Shake256);
    bench_zkryptium::<BbsBls12381Shake256>(c, Ciphersuite::Shake256);
}

criterion_group! {
    name = bbs;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(bbs);
