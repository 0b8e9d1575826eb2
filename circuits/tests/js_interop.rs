//! Live interop with independent JavaScript implementations (tools/js): circomlibjs Poseidon and
//! EdDSA, and snarkjs's Groth16 verifier on an exported netid proof (accepts it; rejects it with
//! a changed public input), both through its JavaScript API and, on the files the
//! `netid-circuits demo-proof` binary writes, through its command line (`snarkjs groth16 verify`).
//!
//! Needs `npm ci` in tools/js. `.ci/run` installs it and sets `NETID_REQUIRE_JS=1`, which makes a
//! missing installation a failure; without that variable and without node_modules these tests
//! report that they were skipped.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ark_bn254::Fr;
use ark_ff::UniformRand;
use netid_circuits::dev::{adult_request, dev_issuer_key, sample_credential};
use netid_circuits::gadgets::eddsa::SecretKey;
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::gadgets::poseidon::poseidon;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::snarkjs::{self, fr_decimal};
use netid_circuits::suite::{self, HolderCredential};
use netid_core::Date;
use rand_chacha::rand_core::SeedableRng;
use serde_json::{json, Value};

fn js_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/js");
    let installed =
        dir.join("node_modules/circomlibjs").is_dir() && dir.join("node_modules/snarkjs").is_dir();
    if installed {
        return Some(dir);
    }
    assert!(
        std::env::var_os("NETID_REQUIRE_JS").is_none(),
        "NETID_REQUIRE_JS is set but tools/js/node_modules is missing: run `npm ci` in tools/js"
    );
    eprintln!("skipped: tools/js/node_modules not installed (run `npm ci` in tools/js)");
    None
}

fn node(dir: &PathBuf, request: Value) -> Value {
    let mut child = Command::new("node")
        .arg("interop.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn poseidon_equals_circomlibjs_on_random_inputs() {
    let Some(dir) = js_dir() else { return };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
    for n in [1usize, 2, 5, 12, 13, 16] {
        let xs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let got = node(
            &dir,
            json!({"op": "poseidon", "inputs": xs.iter().map(fr_decimal).collect::<Vec<_>>()}),
        );
        assert_eq!(
            got["hash"],
            fr_decimal(&poseidon(&xs).unwrap()),
            "{n} inputs"
        );
    }
}

#[test]
fn eddsa_signatures_interoperate_both_ways() {
    let Some(dir) = js_dir() else { return };
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(12);
    for _ in 0..3 {
        let mut key = [0u8; 32];
        rand_chacha::rand_core::RngCore::fill_bytes(&mut rng, &mut key);
        let msg = Fr::rand(&mut rng);
        let sk = SecretKey::from_bytes(key);
        let (ax, ay) = sk.public_key().coordinates();
        let sig = sk.sign(msg);
        // Ours, checked by circomlibjs.
        let ok = node(
            &dir,
            json!({"op": "eddsa-verify", "Ax": fr_decimal(&ax), "Ay": fr_decimal(&ay),
                   "R8x": fr_decimal(&sig.R8.x), "R8y": fr_decimal(&sig.R8.y),
                   "S": fr_decimal(&sig.s_field()), "msg": fr_decimal(&msg)}),
        );
        assert_eq!(ok["valid"], true);
        // circomlibjs's, byte for byte ours.
        let theirs = node(
            &dir,
            json!({"op": "eddsa-sign", "key": hex::encode(key), "msg": fr_decimal(&msg)}),
        );
        assert_eq!(theirs["Ax"], fr_decimal(&ax));
        assert_eq!(theirs["R8x"], fr_decimal(&sig.R8.x));
        assert_eq!(theirs["S"], fr_decimal(&sig.s_field()));
    }
}

#[test]
fn snarkjs_accepts_exported_proof_and_rejects_changed_input() {
    let Some(dir) = js_dir() else { return };
    let keys = ProvingKeys::load_or_dev_setup(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys"),
        DEV_SEED,
    )
    .unwrap();
    let sk = dev_issuer_key("interop");
    let pk = sk.public_key();
    let attrs = sample_credential(9).unwrap();
    let sig = suite::sign_credential(&sk, &attrs).unwrap();
    let tree = RevocationTree::from_revoked([8]).unwrap();
    let path = tree.path(9).unwrap();
    let req = adult_request("demo-app", Date::from_ymd(2026, 11, 23).unwrap(), [3; 32]);
    let p = suite::prove(
        &keys,
        &pk,
        tree.root(),
        HolderCredential {
            attributes: &attrs,
            signature: &sig,
            path: &path,
            secret: &netid_circuits::dev::sample_secret(),
        },
        &req,
        &mut rand_chacha::ChaCha20Rng::seed_from_u64(13),
    )
    .unwrap();
    let (proof, public) = suite::proof_and_public_inputs(&pk, tree.root(), &req, &p).unwrap();
    let vk = snarkjs::verification_key_json(keys.verifier().vk());
    let proof_json = snarkjs::proof_json(&proof);
    let ok = node(
        &dir,
        json!({"op": "groth16-verify", "vk": vk, "public": snarkjs::public_json(&public), "proof": proof_json}),
    );
    assert_eq!(ok["valid"], true, "snarkjs rejects a valid netid proof");
    for i in [2usize, 4, 19] {
        let mut changed = public.clone();
        changed[i] += Fr::from(1u64);
        let bad = node(
            &dir,
            json!({"op": "groth16-verify", "vk": vk, "public": snarkjs::public_json(&changed), "proof": proof_json}),
        );
        assert_eq!(
            bad["valid"], false,
            "snarkjs accepted a changed public input {i}"
        );
    }
}

/// The `netid-circuits demo-proof` binary's export, checked by the snarkjs command-line tool
/// (`snarkjs groth16 verify`): it accepts the proof, and rejects it once a public input changes.
#[test]
fn snarkjs_cli_verifies_the_demo_proof_export() {
    let Some(dir) = js_dir() else { return };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("target/netid-test-demo-proof");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_netid-circuits"))
        .arg("demo-proof")
        .arg("--out")
        .arg(&out)
        .arg("--key-dir")
        .arg(root.join("target/netid-keys"))
        .status()
        .unwrap();
    assert!(status.success(), "netid-circuits demo-proof failed");
    let snarkjs_verify = || {
        Command::new("npx")
            .args(["--no-install", "snarkjs", "groth16", "verify"])
            .arg(out.join("verification_key.json"))
            .arg(out.join("public.json"))
            .arg(out.join("proof.json"))
            .current_dir(&dir)
            .output()
            .expect("npx must be installed")
    };
    let ok = snarkjs_verify();
    assert!(
        ok.status.success(),
        "snarkjs rejects the demo proof: {}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // Change public input 5 (the disclosure mask) by one.
    let public_path = out.join("public.json");
    let mut public: Vec<String> =
        serde_json::from_slice(&std::fs::read(&public_path).unwrap()).unwrap();
    let changed = public[5].parse::<u128>().unwrap() + 1;
    public[5] = changed.to_string();
    std::fs::write(&public_path, serde_json::to_vec(&public).unwrap()).unwrap();
    assert!(
        !snarkjs_verify().status.success(),
        "snarkjs accepted a proof with a changed public input"
    );
}
