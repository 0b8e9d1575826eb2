//! The `netid-bbs` conformance tool, run as a child process on the draft's fixture files.
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: Value,
    stderr: String,
}

fn run(suite: &str, sub: &str, input: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_netid-bbs"))
        .args(["--ciphersuite", suite, sub])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The tool may exit before reading its input (usage errors): a broken pipe is fine then.
    if let Err(e) = child.stdin.take().unwrap().write_all(input.as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(o.stdout).unwrap();
    Out {
        code: o.status.code().unwrap(),
        stdout: if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).unwrap()
        },
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

const SUITES: [&str; 2] = ["bls12-381-sha-256", "bls12-381-shake-256"];

fn fixture_dir(suite: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(suite)
}

fn fixtures(suite: &str, sub: &str) -> Vec<(String, Value)> {
    let mut v: Vec<_> = std::fs::read_dir(fixture_dir(suite).join(sub))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let s = std::fs::read_to_string(&p).unwrap();
            (s.clone(), serde_json::from_str(&s).unwrap())
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn keygen_from_fixture_and_random() {
    for suite in SUITES {
        let raw = std::fs::read_to_string(fixture_dir(suite).join("keypair.json")).unwrap();
        let f: Value = serde_json::from_str(&raw).unwrap();
        let o = run(suite, "keygen", &raw);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.stdout, f["keyPair"]);
        let r1 = run(suite, "keygen", "{}");
        let r2 = run(suite, "keygen", "{}");
        assert_eq!(r1.code, 0);
        assert_ne!(r1.stdout["secretKey"], r2.stdout["secretKey"]);
        assert_eq!(r1.stdout["publicKey"].as_str().unwrap().len(), 192);
    }
}

#[test]
fn sign_and_verify_fixtures() {
    for suite in SUITES {
        for (raw, f) in fixtures(suite, "signature") {
            let valid = f["result"]["valid"].as_bool().unwrap();
            let v = run(suite, "verify", &raw);
            assert_eq!(v.code, 0, "{}", v.stderr);
            assert_eq!(v.stdout["valid"], valid, "{suite} {}", f["caseName"]);
            if valid {
                let s = run(suite, "sign", &raw);
                assert_eq!(s.code, 0, "{}", s.stderr);
                assert_eq!(s.stdout["signature"], f["signature"]);
            }
        }
    }
}

#[test]
fn prove_and_verify_proof_fixtures() {
    for suite in SUITES {
        for (raw, f) in fixtures(suite, "proof") {
            let valid = f["result"]["valid"].as_bool().unwrap();
            let v = run(suite, "verify-proof", &raw);
            assert_eq!(v.code, 0, "{}", v.stderr);
            assert_eq!(v.stdout["valid"], valid, "{suite} {}", f["caseName"]);
            if valid {
                let p = run(suite, "prove", &raw);
                assert_eq!(p.code, 0, "{}", p.stderr);
                // Fresh randomness: a different proof that verifies, with explicit disclosedMessages.
                assert_ne!(p.stdout["proof"], f["proof"]);
                let msgs = f["messages"].as_array().unwrap();
                let idx = f["disclosedIndexes"].as_array().unwrap();
                let disclosed: Vec<Value> = idx
                    .iter()
                    .map(|i| msgs[i.as_u64().unwrap() as usize].clone())
                    .collect();
                let input = serde_json::json!({
                    "publicKey": f["signerPublicKey"], "proof": p.stdout["proof"],
                    "header": f["header"], "presentationHeader": f["presentationHeader"],
                    "disclosedMessages": disclosed, "disclosedIndexes": idx,
                });
                let v = run(suite, "verify-proof", &input.to_string());
                assert_eq!(v.stdout["valid"], true);
            }
        }
    }
}

#[test]
fn pseudonym_is_per_verifier() {
    for suite in SUITES {
        let a = run(
            suite,
            "pseudonym",
            r#"{"verifierId":"6170702d31","pid":"0102"}"#,
        );
        let b = run(
            suite,
            "pseudonym",
            r#"{"verifierId":"6170702d32","pid":"0102"}"#,
        );
        let a2 = run(
            suite,
            "pseudonym",
            r#"{"verifierId":"6170702d31","pid":"0102"}"#,
        );
        assert_eq!(a.code, 0, "{}", a.stderr);
        assert_eq!(a.stdout, a2.stdout);
        assert_ne!(a.stdout, b.stdout);
        let want = netid_bbs::pseudonym::pseudonym(
            netid_bbs::Ciphersuite::from_name(suite).unwrap(),
            b"app-1",
            &[1, 2],
        );
        assert_eq!(a.stdout["pseudonym"], hex::encode(want));
    }
}

#[test]
fn malformed_input_exits_2_with_one_line() {
    let cases = [
        ("verify", "not json"),
        ("verify", "[1,2]"),
        (
            "verify",
            r#"{"publicKey":"zz","signature":"00","messages":[]}"#,
        ),
        ("sign", r#"{"messages":[]}"#),
        ("sign", r#"{"secretKey":"00","messages":[]}"#),
        ("sign", r#"{"secretKey":"0102","messages":[]}"#),
        ("verify-proof", r#"{"publicKey":"00"}"#),
        ("prove", r#"{"publicKey":"00","signature":"00"}"#),
        ("pseudonym", r#"{"verifierId":"0g","pid":"00"}"#),
        ("keygen", r#"{"keyMaterial":"00"}"#),
        (
            "verify-proof",
            r#"{"publicKey":"00","proof":"00","disclosedIndexes":[0]}"#,
        ),
    ];
    for (sub, input) in cases {
        let o = run("bls12-381-sha-256", sub, input);
        assert_eq!(o.code, 2, "{sub} {input}: {}", o.stderr);
        assert_eq!(o.stdout, Value::Null);
        assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
        assert!(!o.stderr.contains("panicked"));
    }
    // Undecodable signature / key: the draft's INVALID, not a usage error.
    let o = run(
        "bls12-381-sha-256",
        "verify",
        r#"{"publicKey":"00","signature":"00","messages":[]}"#,
    );
    assert_eq!(o.code, 0);
    assert_eq!(o.stdout["valid"], false);
    // Unknown ciphersuite is a usage error.
    let o = run("bls12-381-sha-512", "verify", "{}");
    assert_eq!(o.code, 2);
}

fn blind_fixtures(suite: &str, sub: &str) -> Vec<(String, Value)> {
    fixtures(&format!("blind/{suite}"), sub)
}

fn blind_messages() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/blind/messages.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn blind_sign_and_verify_fixtures() {
    for suite in SUITES {
        let cases = blind_fixtures(suite, "signature");
        assert_eq!(cases.len(), 5);
        for (raw, f) in cases {
            let s = run(suite, "blind-sign", &raw);
            assert_eq!(s.code, 0, "{}", s.stderr);
            assert_eq!(s.stdout["signature"], f["signature"], "{}", f["caseName"]);
            let v = run(suite, "blind-verify", &raw);
            assert_eq!(v.code, 0, "{}", v.stderr);
            assert_eq!(v.stdout["valid"], true, "{suite} {}", f["caseName"]);
            // The wrong prover blind: INVALID.
            let mut wrong = f.clone();
            wrong["proverBlind"] = Value::from("07".repeat(32));
            let v = run(suite, "blind-verify", &wrong.to_string());
            assert_eq!(v.stdout["valid"], false, "{suite} {}", f["caseName"]);
        }
    }
}

#[test]
fn blind_verify_proof_fixtures_and_blind_prove() {
    let shared = blind_messages();
    for suite in SUITES {
        let cases = blind_fixtures(suite, "proof");
        assert_eq!(cases.len(), 8);
        for (raw, f) in cases {
            let v = run(suite, "blind-verify-proof", &raw);
            assert_eq!(v.code, 0, "{}", v.stderr);
            assert_eq!(v.stdout["valid"], true, "{suite} {}", f["caseName"]);
            let mut other = f.clone();
            other["presentationHeader"] = Value::from("00");
            let v = run(suite, "blind-verify-proof", &other.to_string());
            assert_eq!(v.stdout["valid"], false, "{suite} {}", f["caseName"]);

            // blind-prove from the fixture plus messages.json: a fresh proof that verifies.
            let mut input = f.clone();
            input["messages"] = shared["messages"].clone();
            if !f["commitmentWithProof"].is_null() {
                input["committedMessages"] = shared["committedMessages"].clone();
            }
            let p = run(suite, "blind-prove", &input.to_string());
            assert_eq!(p.code, 0, "{}", p.stderr);
            assert_ne!(p.stdout["proof"], f["proof"]);
            let mut check = f.clone();
            check["proof"] = p.stdout["proof"].clone();
            let v = run(suite, "blind-verify-proof", &check.to_string());
            assert_eq!(v.stdout["valid"], true, "{suite} {}", f["caseName"]);
        }
    }
}

#[test]
fn commit_then_blind_sign_then_verify() {
    let shared = blind_messages();
    for suite in SUITES {
        let c = run(
            suite,
            "commit",
            &serde_json::json!({ "committedMessages": shared["committedMessages"] }).to_string(),
        );
        assert_eq!(c.code, 0, "{}", c.stderr);
        let sig_input = serde_json::json!({
            "secretKey": "60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc",
            "commitmentWithProof": c.stdout["commitmentWithProof"],
            "header": "0102", "messages": shared["messages"],
        });
        let s = run(suite, "blind-sign", &sig_input.to_string());
        assert_eq!(s.code, 0, "{}", s.stderr);
        let verify = serde_json::json!({
            "signerKeyPair": {"secretKey": sig_input["secretKey"],
                "publicKey": public_key_of(&sig_input["secretKey"])},
            "signature": s.stdout["signature"], "header": "0102",
            "messages": shared["messages"], "committedMessages": shared["committedMessages"],
            "proverBlind": c.stdout["proverBlind"],
        });
        let v = run(suite, "blind-verify", &verify.to_string());
        assert_eq!(v.stdout["valid"], true, "{}", v.stderr);
        // A commitment whose proof fails is refused by the signer: exit 2.
        let mut bad = c.stdout["commitmentWithProof"]
            .as_str()
            .unwrap()
            .to_string();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(bad.len() - 1.., last);
        let mut bad_input = sig_input.clone();
        bad_input["commitmentWithProof"] = Value::from(bad);
        let s = run(suite, "blind-sign", &bad_input.to_string());
        assert_eq!(s.code, 2, "{}", s.stderr);
        assert!(s.stderr.starts_with("error: "), "{}", s.stderr);
    }
}

/// The public key of a hex secret key, through the library (the keygen subcommand derives keys
/// from key material, not from a secret key).
fn public_key_of(sk: &Value) -> String {
    let sk = netid_bbs::SecretKey::from_bytes(&hex::decode(sk.as_str().unwrap()).unwrap()).unwrap();
    hex::encode(sk.public_key().to_bytes())
}

#[test]
fn blind_malformed_input_exits_2() {
    let cases = [
        ("commit", r#"{"committedMessages":["zz"]}"#),
        ("blind-sign", r#"{"messages":[]}"#),
        (
            "blind-sign",
            r#"{"secretKey":"60e55110f76883a13d030b2f6bd11883422d5abde717569fc0731f51237169fc","commitmentWithProof":"00"}"#,
        ),
        (
            "blind-verify",
            r#"{"publicKey":"00","signature":"00","proverBlind":"0g"}"#,
        ),
        ("blind-prove", r#"{"publicKey":"00","signature":"00"}"#),
        ("blind-verify-proof", r#"{"publicKey":"00","proof":"00"}"#),
        (
            "blind-verify-proof",
            r#"{"publicKey":"00","proof":"00","L":1,"revealedMessages":{"x":"00"}}"#,
        ),
        (
            "blind-verify-proof",
            r#"{"publicKey":"00","proof":"00","L":1,"disclosedIndexes":[0]}"#,
        ),
    ];
    for (sub, input) in cases {
        let o = run("bls12-381-sha-256", sub, input);
        assert_eq!(o.code, 2, "{sub} {input}: {}", o.stderr);
        assert_eq!(o.stdout, Value::Null);
        assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    }
    // An undecodable proof or key is INVALID, not a usage error.
    let o = run(
        "bls12-381-sha-256",
        "blind-verify-proof",
        r#"{"publicKey":"00","proof":"00","L":0}"#,
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout["valid"], false);
}
