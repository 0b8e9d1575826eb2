//! The Blind BBS draft's fixtures for both ciphersuites (tests/fixtures/blind/SOURCE.md), byte for
//! byte: generators and blind generators, Commit (mocked randomness) with its proof, BlindSign,
//! VerifyBlindSign, BlindProofGen (mocked randomness) and BlindProofVerify. Every upstream case
//! is valid; the invalid cases are derived from them here (each changes one input).
#![allow(clippy::unwrap_used, missing_docs)]

use netid_bbs::bls12_381::Scalar;
use netid_bbs::{
    seeded_random_scalars, BbsError, BlindBbs, Ciphersuite, Commitment, Proof, ProverBlind,
    PublicKey, SecretKey, Signature,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blind")
}

fn load(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn files(suite: Ciphersuite, sub: &str) -> Vec<(String, Value)> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(suite.name()).join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures under {sub}");
    v.into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                load(p),
            )
        })
        .collect()
}

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// A list of hex strings; `null` is the empty list.
fn list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().map(hx).collect())
        .unwrap_or_default()
}

/// `{"index": hex}` as (indexes, messages) in ascending order; `null` is empty.
fn revealed(v: &Value) -> (Vec<usize>, Vec<Vec<u8>>) {
    let map: BTreeMap<usize, Vec<u8>> = v
        .as_object()
        .map(|o| o.iter().map(|(k, m)| (k.parse().unwrap(), hx(m))).collect())
        .unwrap_or_default();
    map.into_iter().unzip()
}

fn be(s: &Scalar) -> String {
    let mut b = s.to_bytes();
    b.reverse();
    hex::encode(b)
}

fn blind_of(v: &Value) -> ProverBlind {
    match v.as_str() {
        Some(h) => ProverBlind::from_bytes(&hex::decode(h).unwrap()).unwrap(),
        None => ProverBlind::zero(),
    }
}

fn commitment_of(v: &Value) -> Option<Commitment> {
    v.as_str()
        .map(|h| Commitment::from_bytes(&hex::decode(h).unwrap()).unwrap())
}

/// The fixtures' mocked random scalars: SEED and DST are ASCII strings.
fn mocked(suite: Ciphersuite, f: &Value, op: &str) -> Vec<Scalar> {
    let p = &f["mockRngParameters"];
    let seed = p["SEED"].as_str().unwrap().as_bytes();
    let dst = p[op]["DST"].as_str().unwrap().as_bytes();
    let count = p[op]["count"].as_u64().unwrap() as usize;
    seeded_random_scalars(suite, seed, dst, count).unwrap()
}

#[test]
fn generators_and_blind_generators() {
    for suite in Ciphersuite::ALL {
        let f = load(root().join(suite.name()).join("generators.json"));
        let bbs = BlindBbs::new(suite);
        let g = &f["generators"];
        assert_eq!(g["api_id"].as_str().unwrap().as_bytes(), bbs.api_id());
        assert_eq!(hex::encode(suite.p1().to_compressed()), g["P1"]);
        let n = g["MsgGenerators"].as_array().unwrap().len();
        let pts = bbs.generators(n + 1).unwrap();
        assert_eq!(hex::encode(pts.points()[0].to_compressed()), g["Q1"]);
        for (p, want) in pts.points()[1..]
            .iter()
            .zip(g["MsgGenerators"].as_array().unwrap())
        {
            assert_eq!(&hex::encode(p.to_compressed()), want);
        }
        let b = &f["blindGenerators"];
        let expected_blind_api = [b"BLIND_".as_slice(), bbs.api_id()].concat();
        assert_eq!(b["api_id"].as_str().unwrap().as_bytes(), expected_blind_api);
        let n = b["MsgGenerators"].as_array().unwrap().len();
        let pts = bbs.blind_generators(n + 1).unwrap();
        assert_eq!(hex::encode(pts.points()[0].to_compressed()), b["Q1"]);
        for (p, want) in pts.points()[1..]
            .iter()
            .zip(b["MsgGenerators"].as_array().unwrap())
        {
            assert_eq!(&hex::encode(p.to_compressed()), want);
        }
    }
}

#[test]
fn commit() {
    let mut seen = 0;
    for suite in Ciphersuite::ALL {
        let bbs = BlindBbs::new(suite);
        for (name, f) in files(suite, "commit") {
            assert_eq!(f["result"]["valid"], true, "{name}");
            let msgs = bbs.messages_to_scalars(&list(&f["committedMessages"]));
            let rs = mocked(suite, &f, "commit");
            assert_eq!(rs.len(), msgs.len() + 2, "{name}");
            let tr = &f["trace"]["random_scalars"];
            assert_eq!(be(&rs[1]), tr["s_tilde"], "{name}");
            let m_tildes: Vec<String> = rs[2..].iter().map(be).collect();
            assert_eq!(
                serde_json::to_value(&m_tildes).unwrap(),
                tr["m_tildes"],
                "{name}"
            );
            let (c, blind) = bbs.commit_with_random_scalars(&msgs, &rs).unwrap();
            assert_eq!(
                hex::encode(blind.to_bytes().as_ref()),
                f["proverBlind"],
                "{name}"
            );
            let want = hx(&f["commitmentWithProof"]);
            assert_eq!(hex::encode(c.to_bytes()), hex::encode(&want), "{name}");
            let decoded = Commitment::from_bytes(&want).unwrap();
            assert_eq!(decoded, c);
            assert_eq!(decoded.committed_count(), msgs.len());
            bbs.verify_commitment(&decoded).unwrap();

            // Invalid: every scalar of the proof altered in turn, and the point swapped.
            let n_scalars = (want.len() - 48) / 32;
            for i in 0..n_scalars {
                let mut bad = want.clone();
                bad[48 + 32 * i + 31] ^= 1;
                let res = Commitment::from_bytes(&bad).and_then(|c| bbs.verify_commitment(&c));
                assert!(res.is_err(), "{name}: altered scalar {i} accepted");
            }
            let (other, _) = bbs
                .commit_with_random_scalars(&msgs, &rs.iter().map(|s| s + s).collect::<Vec<_>>())
                .unwrap();
            let mut swapped = want.clone();
            swapped[..48].copy_from_slice(&other.to_bytes()[..48]);
            let c = Commitment::from_bytes(&swapped).unwrap();
            assert_eq!(bbs.verify_commitment(&c), Err(BbsError::InvalidCommitment));
            // Under the other ciphersuite's interface the proof does not verify.
            let other_suite = BlindBbs::new(Ciphersuite::ALL[1 - suite as usize]);
            assert!(other_suite.verify_commitment(&decoded).is_err(), "{name}");
            seen += 1;
        }
    }
    assert_eq!(seen, 4);
}

#[test]
fn blind_sign_and_verify() {
    let shared = load(root().join("messages.json"));
    let mut seen = 0;
    for suite in Ciphersuite::ALL {
        let bbs = BlindBbs::new(suite);
        for (name, f) in files(suite, "signature") {
            assert_eq!(f["result"]["valid"], true, "{name}");
            let kp = &f["signerKeyPair"];
            let sk = SecretKey::from_bytes(&hx(&kp["secretKey"])).unwrap();
            let pk = PublicKey::from_bytes(&hx(&kp["publicKey"])).unwrap();
            assert_eq!(sk.public_key(), pk);
            let header = hx(&f["header"]);
            let msgs = list(&f["messages"]);
            let committed = list(&f["committedMessages"]);
            let blind = blind_of(&f["proverBlind"]);
            let commitment = commitment_of(&f["commitmentWithProof"]);
            let sig = bbs
                .blind_sign(&sk, &pk, commitment.as_ref(), &header, &msgs)
                .unwrap();
            assert_eq!(hex::encode(sig.to_bytes()), f["signature"], "{name}");
            bbs.verify(&pk, &sig, &header, &msgs, &committed, &blind)
                .unwrap();

            // Invalid: a wrong blind, a changed or dropped committed message, a changed signer
            // message, another header, and a signature made over another commitment.
            let wrong_blind = ProverBlind::from_bytes(&[7u8; 32]).unwrap();
            assert_eq!(
                bbs.verify(&pk, &sig, &header, &msgs, &committed, &wrong_blind),
                Err(BbsError::InvalidSignature),
                "{name}"
            );
            if !committed.is_empty() {
                let mut c2 = committed.clone();
                c2[0].push(0);
                assert!(bbs.verify(&pk, &sig, &header, &msgs, &c2, &blind).is_err());
                assert!(bbs
                    .verify(&pk, &sig, &header, &msgs, &committed[1..], &blind)
                    .is_err());
            }
            if !msgs.is_empty() {
                let mut m2 = msgs.clone();
                m2[0] = b"changed".to_vec();
                assert!(bbs
                    .verify(&pk, &sig, &header, &m2, &committed, &blind)
                    .is_err());
            }
            assert!(bbs
                .verify(&pk, &sig, b"other", &msgs, &committed, &blind)
                .is_err());
            // The messages of messages.json are the ones the fixtures sign.
            if msgs.len() == 10 {
                assert_eq!(msgs, list(&shared["messages"]));
            }
            if committed.len() == 5 {
                assert_eq!(committed, list(&shared["committedMessages"]));
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 10);
}

#[test]
fn blind_sign_rejects_a_commitment_whose_proof_fails() {
    let bbs = BlindBbs::new(Ciphersuite::Sha256);
    let sk = SecretKey::generate(bbs.suite(), &mut rand::rng()).unwrap();
    let pk = sk.public_key();
    let (c, _) = bbs
        .commit(&[b"secret".as_slice()], &mut rand::rng())
        .unwrap();
    let mut bytes = c.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = Commitment::from_bytes(&bytes).unwrap();
    assert_eq!(
        bbs.blind_sign(&sk, &pk, Some(&bad), b"", &[b"m".as_slice()]),
        Err(BbsError::InvalidCommitment)
    );
}

#[test]
fn proof_gen_and_verify() {
    let shared = load(root().join("messages.json"));
    let all_msgs = list(&shared["messages"]);
    let all_committed = list(&shared["committedMessages"]);
    let mut seen = 0;
    for suite in Ciphersuite::ALL {
        let bbs = BlindBbs::new(suite);
        for (name, f) in files(suite, "proof") {
            assert_eq!(f["result"]["valid"], true, "{name}");
            let pk = PublicKey::from_bytes(&hx(&f["signerPublicKey"])).unwrap();
            let sig = Signature::from_bytes(&hx(&f["signature"])).unwrap();
            let header = hx(&f["header"]);
            let ph = hx(&f["presentationHeader"]);
            let l = f["L"].as_u64().unwrap() as usize;
            let blind = blind_of(&f["proverBlind"]);
            // The prover's messages: messages.json, without committed ones when the fixture has
            // no commitment.
            let msgs = &all_msgs[..l];
            let committed: &[Vec<u8>] = if f["commitmentWithProof"].is_null() {
                &[]
            } else {
                &all_committed
            };
            let (d_idx, d_msgs) = revealed(&f["revealedMessages"]);
            let (dc_idx, dc_msgs) = revealed(&f["revealedCommittedMessages"]);
            for (i, m) in d_idx.iter().zip(&d_msgs) {
                assert_eq!(&msgs[*i], m, "{name}");
            }
            for (j, m) in dc_idx.iter().zip(&dc_msgs) {
                assert_eq!(&committed[*j], m, "{name}");
            }
            bbs.verify(&pk, &sig, &header, msgs, committed, &blind)
                .unwrap();

            let rs = mocked(suite, &f, "proof");
            let tr = &f["trace"]["random_scalars"];
            for (k, key) in ["r1", "r2", "e_tilde", "r1_tilde", "r3_tilde"]
                .iter()
                .enumerate()
            {
                assert_eq!(be(&rs[k]), tr[*key], "{name} {key}");
            }
            let proof = bbs
                .proof_gen_with_scalars(
                    &pk,
                    &sig,
                    &header,
                    &ph,
                    &bbs.messages_to_scalars(msgs),
                    &bbs.messages_to_scalars(committed),
                    &d_idx,
                    &dc_idx,
                    &blind,
                    &rs,
                )
                .unwrap();
            assert_eq!(hex::encode(proof.to_bytes()), f["proof"], "{name}");

            let decoded = Proof::from_bytes(&hx(&f["proof"])).unwrap();
            bbs.proof_verify(
                &pk, &decoded, &header, &ph, l, &d_msgs, &d_idx, &dc_msgs, &dc_idx,
            )
            .unwrap();

            // Invalid: another presentation header, a wrong L, a changed disclosed message,
            // a shifted index, and a proof with one byte altered.
            let verify = |ph: &[u8], l: usize, d_msgs: &[Vec<u8>], d_idx: &[usize], p: &Proof| {
                bbs.proof_verify(&pk, p, &header, ph, l, d_msgs, d_idx, &dc_msgs, &dc_idx)
            };
            assert_eq!(
                verify(b"other", l, &d_msgs, &d_idx, &decoded),
                Err(BbsError::InvalidProof)
            );
            assert!(
                verify(&ph, l - 1, &d_msgs, &d_idx, &decoded).is_err(),
                "{name}"
            );
            assert!(
                verify(&ph, l + 1, &d_msgs, &d_idx, &decoded).is_err(),
                "{name}"
            );
            if !d_msgs.is_empty() {
                let mut m2 = d_msgs.clone();
                m2[0].push(1);
                assert!(verify(&ph, l, &m2, &d_idx, &decoded).is_err(), "{name}");
                let mut i2 = d_idx.clone();
                if i2[0] + 1 < i2.get(1).copied().unwrap_or(l) {
                    i2[0] += 1;
                    assert!(verify(&ph, l, &d_msgs, &i2, &decoded).is_err(), "{name}");
                }
            }
            if !dc_msgs.is_empty() {
                let mut c2 = dc_msgs.clone();
                c2[0].push(1);
                assert!(bbs
                    .proof_verify(&pk, &decoded, &header, &ph, l, &d_msgs, &d_idx, &c2, &dc_idx)
                    .is_err());
            }
            let mut bytes = hx(&f["proof"]);
            let k = bytes.len() - 40;
            bytes[k] ^= 1;
            if let Ok(p) = Proof::from_bytes(&bytes) {
                assert!(verify(&ph, l, &d_msgs, &d_idx, &p).is_err(), "{name}");
            }

            // A fresh proof verifies and differs from the fixture's; with the wrong prover blind
            // the proof does not verify.
            let prove_with = |b: &ProverBlind| {
                bbs.proof_gen(
                    &pk,
                    &sig,
                    &header,
                    &ph,
                    msgs,
                    committed,
                    &d_idx,
                    &dc_idx,
                    b,
                    &mut rand::rng(),
                )
                .unwrap()
            };
            let fresh = prove_with(&blind);
            assert_ne!(fresh, decoded);
            verify(&ph, l, &d_msgs, &d_idx, &fresh).unwrap();
            let forged = prove_with(&ProverBlind::from_bytes(&[9u8; 32]).unwrap());
            assert!(verify(&ph, l, &d_msgs, &d_idx, &forged).is_err(), "{name}");
            seen += 1;
        }
    }
    assert_eq!(seen, 16);
}
