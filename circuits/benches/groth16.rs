//! Groth16 suite benchmarks (issue: prove ≤ 1.0 s, verify ≤ 2 ms, proof 128 bytes), with the BBS
//! suite's presentation of the same statement as the peer measured in the same run.
//!
//! Statement: "age ≥ 18 + pseudonym + given_name disclosed + not expired" on a netid/v1
//! credential (12 attributes), non-revoked in a depth-20 tree.
//!
//! `cargo bench -p netid-circuits --bench groth16`
#![allow(clippy::unwrap_used, missing_docs)]

use ark_ec::VariableBaseMSM;
use criterion::{criterion_group, criterion_main, Criterion};
use netid_bbs::netid::NetidBbs;
use netid_bbs::{Ciphersuite, SecretKey as BbsSecretKey};
use netid_circuits::dev::{adult_request, dev_issuer_key, sample_credential};
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::suite::{self, HolderCredential};
use netid_core::{Date, Suite};
use rand_chacha::rand_core::SeedableRng;
use std::path::PathBuf;

fn bench(c: &mut Criterion) {
    let today = Date::from_ymd(2026, 11, 23).unwrap();
    let mut g = c.benchmark_group("presentation");
    g.sample_size(10);

    // ---- Groth16
    g.bench_function("groth16/setup (dev, whole circuit)", |b| {
        b.iter(|| ProvingKeys::dev_setup(DEV_SEED).unwrap())
    });
    let keys = ProvingKeys::load_or_dev_setup(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys"),
        DEV_SEED,
    )
    .unwrap();
    let sk = dev_issuer_key("bench");
    let pk = sk.public_key();
    let attrs = sample_credential(5).unwrap();
    let sig = suite::sign_credential(&sk, &attrs).unwrap();
    let tree = RevocationTree::from_revoked([1, 2, 3]).unwrap();
    let path = tree.path(5).unwrap();
    let req = adult_request("shop.example", today, [1; 32]);
    let cred = HolderCredential {
        attributes: &attrs,
        signature: &sig,
        path: &path,
        secret: &netid_circuits::dev::sample_secret(),
    };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let p = suite::prove(&keys, &pk, tree.root(), cred.clone(), &req, &mut rng).unwrap();
    println!(
        "groth16 proof: {} bytes; presentation JSON {} bytes",
        p.proof.len(),
        serde_json::to_string(&p).unwrap().len()
    );
    g.bench_function("groth16/prove", |b| {
        b.iter(|| suite::prove(&keys, &pk, tree.root(), cred.clone(), &req, &mut rng).unwrap())
    });
    g.bench_function("groth16/verify", |b| {
        b.iter(|| suite::verify(keys.verifier(), &pk, tree.root(), &req, &p).unwrap())
    });
    // The verifier's public-input combination: the fixed-base table against a variable-base
    // MSM over the same bases and inputs (src/fixed_base.rs).
    let (_, inputs) = suite::proof_and_public_inputs(&pk, tree.root(), &req, &p).unwrap();
    let bases = &keys.verifier().vk().gamma_abc_g1[1..];
    let table = keys.verifier().input_table();
    g.bench_function("groth16/verify inputs: fixed-base table", |b| {
        b.iter(|| table.msm(&inputs).unwrap())
    });
    g.bench_function("groth16/verify inputs: variable-base MSM", |b| {
        b.iter(|| <ark_bn254::G1Projective as VariableBaseMSM>::msm(bases, &inputs).unwrap())
    });
    // Batch verification (suite::verify_batch) of 16 presentations for 16 different requests,
    // against verifying them one by one; criterion reports the time for all 16.
    let reqs: Vec<_> = (0..16u8)
        .map(|i| adult_request("shop.example", today, [i + 2; 32]))
        .collect();
    let presentations: Vec<_> = reqs
        .iter()
        .map(|r| suite::prove(&keys, &pk, tree.root(), cred.clone(), r, &mut rng).unwrap())
        .collect();
    let items: Vec<_> = reqs.iter().zip(&presentations).collect();
    g.bench_function("groth16/verify 16: batch", |b| {
        b.iter(|| {
            let out = suite::verify_batch(keys.verifier(), &pk, tree.root(), &items);
            assert!(out.iter().all(|r| r.is_ok()));
        })
    });
    g.bench_function("groth16/verify 16: one by one", |b| {
        b.iter(|| {
            for (r, p) in &items {
                suite::verify(keys.verifier(), &pk, tree.root(), r, p).unwrap();
            }
        })
    });
    g.bench_function("groth16/issue (EdDSA-Poseidon sign)", |b| {
        b.iter(|| suite::sign_credential(&sk, &attrs).unwrap())
    });

    // ---- BBS peer, same statement
    let netid = NetidBbs::new(Ciphersuite::Sha256);
    let bsk = BbsSecretKey::generate(Ciphersuite::Sha256, &mut rand::rng()).unwrap();
    let bpk = bsk.public_key();
    let digits = netid.digit_signatures(&bsk, &bpk).unwrap();
    let secret = netid_circuits::dev::sample_secret();
    let (commitment, blind) = netid.commit_binding(&secret, &mut rand::rng()).unwrap();
    let bsig = netid.issue(&bsk, &bpk, &attrs, &commitment).unwrap();
    let key = netid_bbs::netid::HolderKey {
        secret: &secret,
        prover_blind: &blind,
    };
    let mut breq = req.clone();
    breq.suites = vec![Suite::BbsSha256];
    let bp = netid
        .present(&bpk, &digits, &attrs, &bsig, key, &breq, &mut rand::rng())
        .unwrap();
    g.bench_function("bbs-sha256/prove", |b| {
        b.iter(|| {
            netid
                .present(&bpk, &digits, &attrs, &bsig, key, &breq, &mut rand::rng())
                .unwrap()
        })
    });
    g.bench_function("bbs-sha256/verify", |b| {
        b.iter(|| netid.verify_presentation(&bpk, &breq, &bp).unwrap())
    });
    g.finish();
}

/// The prover's MSMs (crate::msm, batch-affine) against arkworks' `VariableBaseMSM` on the
/// same bases of the development key and the same uniformly random scalars.
fn prover_msm(c: &mut Criterion) {
    use ark_ff::{PrimeField, UniformRand};
    let keys = ProvingKeys::load_or_dev_setup(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys"),
        DEV_SEED,
    )
    .unwrap();
    let pk = keys.pk();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let mut scalars = |n: usize| -> Vec<_> {
        (0..n)
            .map(|_| ark_bn254::Fr::rand(&mut rng).into_bigint())
            .collect()
    };
    let (h, w) = (scalars(pk.h_query.len()), scalars(pk.b_g2_query.len()));
    let mut g = c.benchmark_group("prover-msm");
    g.sample_size(10);
    let nh = h.len();
    g.bench_function(format!("g1 {nh} (h query)/batch-affine"), |b| {
        b.iter(|| netid_circuits::msm::msm(&pk.h_query, &h))
    });
    g.bench_function(format!("g1 {nh} (h query)/arkworks"), |b| {
        b.iter(|| ark_bn254::G1Projective::msm_bigint(&pk.h_query, &h))
    });
    let nw = w.len();
    g.bench_function(format!("g2 {nw} (b query)/batch-affine"), |b| {
        b.iter(|| netid_circuits::msm::msm(&pk.b_g2_query, &w))
    });
    g.bench_function(format!("g2 {nw} (b query)/arkworks"), |b| {
        b.iter(|| ark_bn254::G2Projective::msm_bigint(&pk.b_g2_query, &w))
    });
    g.finish();
}

criterion_group!(benches, bench, prover_msm);
criterion_main!(benches);
