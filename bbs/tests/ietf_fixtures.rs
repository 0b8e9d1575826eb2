//! The IETF draft's fixtures for both ciphersuites (tests/fixtures/SOURCE.md), byte for byte:
//! KeyGen, SkToPk, generators, messages_to_scalars, hash_to_scalar, mocked random scalars, Sign,
//! Verify, ProofGen (with the mocked RNG) and ProofVerify, valid and invalid cases.
#![allow(clippy::unwrap_used, missing_docs)]

use netid_bbs::bls12_381::Scalar;
use netid_bbs::{seeded_random_scalars, Bbs, Ciphersuite, Proof, PublicKey, SecretKey, Signature};
use serde_json::Value;
use std::path::PathBuf;

fn dir(suite: Ciphersuite) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(suite.name())
}

fn load(suite: Ciphersuite, name: &str) -> Value {
    let p = dir(suite).join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn be(s: &Scalar) -> String {
    let mut b = s.to_bytes();
    b.reverse();
    hex::encode(b)
}

fn messages(v: &Value) -> Vec<Vec<u8>> {
    v.as_array().unwrap().iter().map(hx).collect()
}

fn files(suite: Ciphersuite, sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir(suite).join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn mocked(suite: Ciphersuite, count: usize) -> Vec<Scalar> {
    let rng = load(suite, "mockedRng.json");
    seeded_random_scalars(suite, &hx(&rng["seed"]), &hx(&rng["dst"]), count).unwrap()
}

#[test]
fn keypair() {
    for suite in Ciphersuite::ALL {
        let f = load(suite, "keypair.json");
        let sk = SecretKey::keygen(
            suite,
            &hx(&f["keyMaterial"]),
            &hx(&f["keyInfo"]),
            Some(&hx(&f["keyDst"])),
        )
        .unwrap();
        assert_eq!(
            hex::encode(sk.to_bytes().as_ref()),
            f["keyPair"]["secretKey"]
        );
        assert_eq!(
            hex::encode(sk.public_key().to_bytes()),
            f["keyPair"]["publicKey"]
        );
        // The default key_dst is api_id || "KEYGEN_DST_", the fixtures' value.
        let default =
            SecretKey::keygen(suite, &hx(&f["keyMaterial"]), &hx(&f["keyInfo"]), None).unwrap();
        assert_eq!(default.to_bytes().as_ref(), sk.to_bytes().as_ref());
    }
}

#[test]
fn generators() {
    for suite in Ciphersuite::ALL {
        let f = load(suite, "generators.json");
        assert_eq!(
            hex::encode(suite.p1().to_compressed()),
            f["P1"],
            "{suite:?} P1"
        );
        let msg = f["MsgGenerators"].as_array().unwrap();
        let bbs = Bbs::new(suite);
        let g = bbs.generators(msg.len() + 1).unwrap();
        assert_eq!(hex::encode(g.points()[0].to_compressed()), f["Q1"]);
        for (i, h) in msg.iter().enumerate() {
            assert_eq!(
                &hex::encode(g.points()[i + 1].to_compressed()),
                h,
                "{suite:?} H{i}"
            );
        }
        // The uncached reference path agrees.
        let direct = suite
            .create_generators(msg.len() + 1, bbs.api_id())
            .unwrap();
        assert_eq!(direct, g.points());
    }
}

#[test]
fn map_message_to_scalar_and_hash_to_scalar() {
    for suite in Ciphersuite::ALL {
        let f = load(suite, "MapMessageToScalarAsHash.json");
        let dst = hx(&f["dst"]);
        assert_eq!(
            dst,
            [Bbs::new(suite).api_id(), b"MAP_MSG_TO_SCALAR_AS_HASH_"].concat()
        );
        let cases = f["cases"].as_array().unwrap();
        let msgs: Vec<Vec<u8>> = cases.iter().map(|c| hx(&c["message"])).collect();
        let scalars = Bbs::new(suite).messages_to_scalars(&msgs);
        for (c, s) in cases.iter().zip(&scalars) {
            assert_eq!(be(s), c["scalar"]);
            assert_eq!(
                be(&suite.hash_to_scalar(&[&hx(&c["message"])], &dst)),
                c["scalar"]
            );
        }
        let h = load(suite, "h2s.json");
        assert_eq!(
            be(&suite.hash_to_scalar(&[&hx(&h["message"])], &hx(&h["dst"]))),
            h["scalar"]
        );
    }
}

#[test]
fn mocked_random_scalars() {
    for suite in Ciphersuite::ALL {
        let f = load(suite, "mockedRng.json");
        let count = f["count"].as_u64().unwrap() as usize;
        let got = mocked(suite, count);
        let want = f["mockedScalars"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(&be(g), w);
        }
    }
}

#[test]
fn signatures() {
    let mut seen = 0;
    for suite in Ciphersuite::ALL {
        let bbs = Bbs::new(suite);
        for path in files(suite, "signature") {
            let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let name = f["caseName"].as_str().unwrap();
            let valid = f["result"]["valid"].as_bool().unwrap();
            let sk = SecretKey::from_bytes(&hx(&f["signerKeyPair"]["secretKey"])).unwrap();
            let pk = PublicKey::from_bytes(&hx(&f["signerKeyPair"]["publicKey"])).unwrap();
            let header = hx(&f["header"]);
            let msgs = messages(&f["messages"]);
            let sig_bytes = hx(&f["signature"]);
            let outcome = Signature::from_bytes(&sig_bytes)
                .and_then(|sig| bbs.verify(&pk, &sig, &header, &msgs));
            assert_eq!(outcome.is_ok(), valid, "{suite:?} {name}: {outcome:?}");
            if valid {
                let sig = bbs.sign(&sk, &pk, &header, &msgs).unwrap();
                assert_eq!(sig.to_bytes().to_vec(), sig_bytes, "{suite:?} {name}");
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 20);
}

#[test]
fn proofs() {
    let mut seen = 0;
    for suite in Ciphersuite::ALL {
        let bbs = Bbs::new(suite);
        for path in files(suite, "proof") {
            let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let name = f["caseName"].as_str().unwrap();
            let valid = f["result"]["valid"].as_bool().unwrap();
            let pk = PublicKey::from_bytes(&hx(&f["signerPublicKey"]));
            let header = hx(&f["header"]);
            let ph = hx(&f["presentationHeader"]);
            let msgs = messages(&f["messages"]);
            let idx: Vec<usize> = f["disclosedIndexes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let disclosed: Vec<Vec<u8>> = idx.iter().map(|&i| msgs[i].clone()).collect();
            let proof_bytes = hx(&f["proof"]);
            let outcome = pk.clone().and_then(|pk| {
                let proof = Proof::from_bytes(&proof_bytes)?;
                bbs.proof_verify(&pk, &proof, &header, &ph, &disclosed, &idx)
            });
            assert_eq!(outcome.is_ok(), valid, "{suite:?} {name}: {outcome:?}");
            if valid {
                let pk = pk.unwrap();
                let sig = Signature::from_bytes(&hx(&f["signature"])).unwrap();
                let scalars = bbs.messages_to_scalars(&msgs);
                let rs = mocked(suite, 5 + msgs.len() - idx.len());
                let t = &f["trace"]["random_scalars"];
                assert_eq!(be(&rs[0]), t["r1"]);
                assert_eq!(be(&rs[4]), t["r3_tilde"]);
                let proof = bbs
                    .proof_gen_with_scalars(&pk, &sig, &header, &ph, &scalars, &idx, &rs)
                    .unwrap();
                assert_eq!(
                    hex::encode(proof.to_bytes()),
                    f["proof"],
                    "{suite:?} {name}"
                );
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 30);
}
