//! Blind BBS issuance against plain BBS issuance in the same run: the signer's work for 12
//! messages plain (`sign`) and for 12 messages plus a commitment to one hidden message
//! (`blind_sign`, which includes checking the commitment's proof), the holder's `commit`, and
//! verification of each signature by the holder.
//!
//! `cargo bench -p netid-bbs --bench blind`.
#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use netid_bbs::{Bbs, BlindBbs, Ciphersuite, SecretKey};

const HEADER: &[u8] = b"netid benchmark header";

fn messages() -> Vec<Vec<u8>> {
    (0..12u8)
        .map(|i| format!("attribute-{i}: some value of moderate length").into_bytes())
        .collect()
}

fn benches(c: &mut Criterion) {
    for suite in Ciphersuite::ALL {
        let plain = Bbs::new(suite);
        let blind = BlindBbs::new(suite);
        let sk = SecretKey::keygen(suite, &[42u8; 32], b"bench", None).unwrap();
        let pk = sk.public_key();
        let msgs = messages();
        let secret = [b"wallet secret".as_slice()];
        let (commitment, prover_blind) = blind.commit(&secret, &mut rand::rng()).unwrap();
        let sig = plain.sign(&sk, &pk, HEADER, &msgs).unwrap();
        let bsig = blind
            .blind_sign(&sk, &pk, Some(&commitment), HEADER, &msgs)
            .unwrap();

        let mut g = c.benchmark_group(format!("{}/issuance-12msgs", suite.name()));
        g.bench_function(BenchmarkId::new("sign", "plain"), |b| {
            b.iter(|| plain.sign(&sk, &pk, HEADER, &msgs).unwrap())
        });
        g.bench_function(BenchmarkId::new("sign", "blind+1committed"), |b| {
            b.iter(|| {
                blind
                    .blind_sign(&sk, &pk, Some(&commitment), HEADER, &msgs)
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("commit", "1committed"), |b| {
            b.iter(|| blind.commit(&secret, &mut rand::rng()).unwrap())
        });
        g.bench_function(BenchmarkId::new("verify", "plain"), |b| {
            b.iter(|| plain.verify(&pk, &sig, HEADER, &msgs).unwrap())
        });
        g.bench_function(BenchmarkId::new("verify", "blind+1committed"), |b| {
            b.iter(|| {
                blind
                    .verify(&pk, &bsig, HEADER, &msgs, &secret, &prover_blind)
                    .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = blind;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(blind);
