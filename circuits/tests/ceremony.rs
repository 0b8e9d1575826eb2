//! The whole Groth16 ceremony of specs/groth16.md §7.2 with the real tooling (snarkjs's command
//! line, tools/js): a small powers of tau made here (`powersoftau new bn128 14`, one
//! contribution, `prepare phase2`; cached under `target/netid-ceremony`), then on the
//! `.r1cs` that `netid-circuits export-r1cs` writes: `snarkjs r1cs info`, `groth16 setup`, two
//! contributions, a beacon, `zkey verify`, `zkey export verificationkey`; `netid-circuits
//! import-zkey`; a presentation proved with netid under the imported key, accepted by netid
//! and by `snarkjs groth16 verify`, and refused by both with a changed public input. Also: the
//! development trapdoor forges nothing against ceremony keys, and a `.zkey` of another circuit
//! or with an altered entry is refused with a clear error.
//!
//! The imported key is kept in `target/netid-ceremony/imported` for `netid-bench --groth16-keys`.
//!
//! Needs `npm ci` in tools/js (`.ci/run` does it and sets `NETID_REQUIRE_JS=1`). Cold, the
//! powers of tau take about six minutes on a 2-core machine (prepare phase2); the rest about
//! two.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ark_bn254::Fr;
use ark_ff::One;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_relations::lc;
use netid_circuits::dev::{adult_request, dev_issuer_key, forge_proof, sample_credential};
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::keys::{development_trapdoor, ProvingKeys, Setup, DEV_SEED};
use netid_circuits::presentation::NUM_PUBLIC_INPUTS;
use netid_circuits::r1cs::R1cs;
use netid_circuits::snarkjs;
use netid_circuits::suite::{self, HolderCredential};
use netid_core::Date;
use rand_chacha::rand_core::SeedableRng;

fn snarkjs_bin() -> Option<PathBuf> {
    let bin =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/js/node_modules/.bin/snarkjs");
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("NETID_REQUIRE_JS").is_none(),
        "NETID_REQUIRE_JS is set but tools/js/node_modules is missing: run `npm ci` in tools/js"
    );
    eprintln!("skipped: tools/js/node_modules not installed (run `npm ci` in tools/js)");
    None
}

/// Longest any one ceremony command may take (the cold `prepare phase2` takes about 6 minutes
/// on the 2-core machine).
const COMMAND_LIMIT: Duration = Duration::from_secs(20 * 60);

/// Runs a command in `dir`, returns its stdout + stderr; panics (with the output) on failure,
/// and kills it past [`COMMAND_LIMIT`].
fn run(dir: &Path, program: &Path, args: &[&str]) -> String {
    let t = Instant::now();
    let log = dir.join(format!(".cmd-{}.log", std::process::id()));
    let file = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > COMMAND_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still running after {COMMAND_LIMIT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    eprintln!(
        "ceremony: {} {} ({:.1?})",
        program.file_name().unwrap().to_string_lossy(),
        args.join(" "),
        t.elapsed()
    );
    assert!(status.success(), "{args:?} failed:\n{text}");
    text
}

/// snarkjs's `groth16 verify` answer: true for "OK!", false for "Invalid proof".
fn snarkjs_verify(dir: &Path, snarkjs: &Path) -> bool {
    let out = Command::new(snarkjs)
        .args(["groth16", "verify", "vk.json", "public.json", "proof.json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && text.contains("OK!") {
        return true;
    }
    // A refusal says so; anything else (a crash, a parse error) fails the test.
    assert!(text.contains("Invalid proof"), "snarkjs verify: {text}");
    false
}

/// A powers of tau of 2^14 prepared for phase 2, made once per target directory.
fn ptau(snarkjs: &Path, cache: &Path) -> PathBuf {
    let path = cache.join("pot14.ptau");
    if path.exists() {
        return path;
    }
    let work = cache.join(format!("ptau-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    run(
        &work,
        snarkjs,
        &["powersoftau", "new", "bn128", "14", "pot0.ptau"],
    );
    run(
        &work,
        snarkjs,
        &[
            "powersoftau",
            "contribute",
            "pot0.ptau",
            "pot1.ptau",
            "--name=phase 1 test party",
            "-e=netid ceremony test phase 1 entropy",
        ],
    );
    run(
        &work,
        snarkjs,
        &[
            "powersoftau",
            "prepare",
            "phase2",
            "pot1.ptau",
            "pot14.ptau",
        ],
    );
    std::fs::rename(work.join("pot14.ptau"), &path).unwrap();
    let _ = std::fs::remove_dir_all(&work);
    path
}

/// `x · y = z`, z public: some other circuit.
struct Other;

impl ConstraintSynthesizer<Fr> for Other {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let z = cs.new_input_variable(|| Ok(Fr::from(6u64)))?;
        let x = cs.new_witness_variable(|| Ok(Fr::from(2u64)))?;
        let y = cs.new_witness_variable(|| Ok(Fr::from(3u64)))?;
        cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)
    }
}

#[test]
fn snarkjs_ceremony_keys_prove_in_netid_and_verify_in_both() {
    let Some(snarkjs) = snarkjs_bin() else { return };
    let cli = PathBuf::from(env!("CARGO_BIN_EXE_netid-circuits"));
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-ceremony");
    std::fs::create_dir_all(&cache).unwrap();
    let ptau = ptau(&snarkjs, &cache);
    let dir = cache.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&ptau, dir.join("pot14.ptau")).unwrap();

    // The circuit, as the ceremony tools see it.
    run(&dir, &cli, &["export-r1cs", "--out", "netid.r1cs"]);
    let r1cs = R1cs::presentation().unwrap();
    let info = run(&dir, &snarkjs, &["r1cs", "info", "netid.r1cs"]);
    assert!(
        info.contains(&format!("# of Constraints: {}", r1cs.num_constraints())),
        "{info}"
    );
    assert!(
        info.contains(&format!("# of Public Inputs: {NUM_PUBLIC_INPUTS}")),
        "{info}"
    );
    assert!(
        info.contains(&format!("# of Wires: {}", r1cs.num_wires)),
        "{info}"
    );

    // Phase 2: setup, two parties, a beacon, verification of the transcript.
    run(
        &dir,
        &snarkjs,
        &["groth16", "setup", "netid.r1cs", "pot14.ptau", "c0.zkey"],
    );
    for (i, name) in ["alice", "bob"].iter().enumerate() {
        run(
            &dir,
            &snarkjs,
            &[
                "zkey",
                "contribute",
                &format!("c{i}.zkey"),
                &format!("c{}.zkey", i + 1),
                &format!("--name={name}"),
                &format!("-e={name}'s secret entropy"),
            ],
        );
    }
    run(
        &dir,
        &snarkjs,
        &[
            "zkey",
            "beacon",
            "c2.zkey",
            "final.zkey",
            "8d5fbbc7c7cdbb4c7a5d7e3b0f6c0f5c2b2ad1b2e8b9d5f0a1e2c3d4e5f60718",
            "10",
            "-n=public beacon",
        ],
    );
    let verified = run(
        &dir,
        &snarkjs,
        &["zkey", "verify", "netid.r1cs", "pot14.ptau", "final.zkey"],
    );
    assert!(verified.contains("ZKey Ok!"), "{verified}");
    run(
        &dir,
        &snarkjs,
        &["zkey", "export", "verificationkey", "final.zkey", "vk.json"],
    );

    // Import; the imported verifying key is snarkjs's.
    let imported = run(&dir, &cli, &["import-zkey", "final.zkey", "--out", "keys"]);
    assert!(imported.contains("3 phase-2 contribution(s)"), "{imported}");
    let keys = ProvingKeys::load_ceremony(&dir.join("keys")).unwrap();
    assert!(matches!(keys.setup(), Setup::Ceremony { .. }));
    assert!(!keys.verifier().is_development());
    let theirs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("vk.json")).unwrap()).unwrap();
    assert_eq!(
        &snarkjs::parse_verification_key(&theirs).unwrap(),
        keys.verifier().vk()
    );
    // Importing again never overwrites the key file.
    let again = Command::new(&cli)
        .args(["import-zkey", "final.zkey", "--out", "keys"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));

    // A presentation proved by netid with the ceremony key.
    let sk = dev_issuer_key("ceremony");
    let pk = sk.public_key();
    let attrs = sample_credential(5).unwrap();
    let sig = suite::sign_credential(&sk, &attrs).unwrap();
    let tree = RevocationTree::from_revoked([1]).unwrap();
    let path = tree.path(5).unwrap();
    let req = adult_request(
        "shop.example",
        Date::from_ymd(2026, 12, 2).unwrap(),
        [8; 32],
    );
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
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
        &mut rng,
    )
    .unwrap();
    suite::verify(keys.verifier(), &pk, tree.root(), &req, &p).unwrap();
    let (proof, mut public) = suite::proof_and_public_inputs(&pk, tree.root(), &req, &p).unwrap();
    let write = |name: &str, v: serde_json::Value| {
        std::fs::write(dir.join(name), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    write("proof.json", snarkjs::proof_json(&proof));
    write("public.json", snarkjs::public_json(&public));
    assert!(
        snarkjs_verify(&dir, &snarkjs),
        "snarkjs refuses netid's proof"
    );

    // A changed public input: refused by both.
    public[NUM_PUBLIC_INPUTS - 2] += Fr::one();
    write("public.json", snarkjs::public_json(&public));
    assert!(
        !snarkjs_verify(&dir, &snarkjs),
        "snarkjs accepts a changed input"
    );
    assert!(suite::verify_proof(keys.verifier(), &public, &proof).is_err());
    // The development trapdoor forges nothing against the ceremony's key.
    let forged = forge_proof(
        keys.verifier().vk(),
        &development_trapdoor(DEV_SEED),
        &public,
        &mut rng,
    )
    .unwrap();
    assert!(suite::verify_proof(keys.verifier(), &public, &forged).is_err());

    // A .zkey of another circuit (same tooling, same powers of tau) is refused by name.
    std::fs::write(
        dir.join("other.r1cs"),
        R1cs::from_circuit(Other).unwrap().to_iden3_bytes(),
    )
    .unwrap();
    run(
        &dir,
        &snarkjs,
        &["groth16", "setup", "other.r1cs", "pot14.ptau", "other.zkey"],
    );
    let other = std::fs::read(dir.join("other.zkey")).unwrap();
    let e = ProvingKeys::from_zkey(&other).unwrap_err().to_string();
    assert!(e.contains("another circuit"), "{e}");
    let refused = Command::new(&cli)
        .args(["import-zkey", "other.zkey", "--out", "other-keys"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another circuit"));
    assert!(!dir.join("other-keys/presentation.key").exists());

    // Altered bytes of the real key: a coefficient of the circuit, a point, a size.
    let good = std::fs::read(dir.join("final.zkey")).unwrap();
    let (coeffs, points) = section_offsets(&good);
    let mut bad = good.clone();
    bad[coeffs + 4 + 12] ^= 1; // first coefficient's value
    let e = ProvingKeys::from_zkey(&bad).unwrap_err().to_string();
    assert!(e.contains("constraints are not those"), "{e}");
    let mut bad = good.clone();
    bad[points + 70] ^= 1; // a coordinate of the second A-query point
    let e = ProvingKeys::from_zkey(&bad).unwrap_err().to_string();
    assert!(
        e.contains("not on the curve") || e.contains("modulus"),
        "{e}"
    );
    let e = ProvingKeys::from_zkey(&good[..good.len() - 1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("past the end"), "{e}");

    // Keep the imported key for `netid-bench --groth16-keys target/netid-ceremony/imported`.
    let keep = cache.join("imported");
    let _ = std::fs::remove_dir_all(&keep);
    std::fs::create_dir_all(&keep).unwrap();
    std::fs::copy(
        dir.join("keys/presentation.key"),
        keep.join("presentation.key"),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Offsets of the data of section 4 (coefficients) and section 5 (A query).
fn section_offsets(bytes: &[u8]) -> (usize, usize) {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize;
    let n = u32_at(8);
    let (mut pos, mut found) = (12usize, (0, 0));
    for _ in 0..n {
        let kind = u32_at(pos);
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        match kind {
            4 => found.0 = pos + 12,
            5 => found.1 = pos + 12,
            _ => {}
        }
        pos += 12 + size;
    }
    found
}
