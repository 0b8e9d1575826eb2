//! `netid-circuits`: the Groth16 suite's tool for interop and research.
//!
//! ```text
//! netid-circuits poseidon 1 2                       # circomlib Poseidon, decimal in and out
//! netid-circuits eddsa-sign --key <64 hex> --msg 1234
//! echo '{"Ax":…,"Ay":…,"R8x":…,"R8y":…,"S":…,"msg":…}' | netid-circuits eddsa-verify
//! netid-circuits demo-proof --out DIR               # verification_key.json, proof.json, public.json
//! netid-circuits info                               # constraint counts per part
//! netid-circuits export-r1cs --out netid.r1cs       # the circuit for a snarkjs phase-2 ceremony
//! netid-circuits import-zkey final.zkey --out DIR   # the ceremony's key → DIR/presentation.key
//! ```
//!
//! Malformed input: exit code 2 and one error line on stderr.

use std::cell::RefCell;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ff::PrimeField;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use clap::{Parser, Subcommand};
use netid_circuits::dev::{adult_request, dev_issuer_key, sample_credential};
use netid_circuits::gadgets::eddsa::{Point, PublicKey, SecretKey, Signature};
use netid_circuits::gadgets::merkle::RevocationTree;
use netid_circuits::gadgets::poseidon::poseidon;
use netid_circuits::keys::{default_key_dir_or_err, ProvingKeys, CEREMONY_KEY_FILE, DEV_SEED};
use netid_circuits::presentation::circuit::{PartCounts, PresentationCircuit};
use netid_circuits::r1cs::R1cs;
use netid_circuits::snarkjs::{self, fr_decimal, parse_fr_decimal};
use netid_circuits::suite::{self, HolderCredential};
use netid_circuits::CircuitError;
use netid_core::Date;
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "netid-circuits",
    version,
    about = "netid Groth16 suite: Poseidon, EdDSA-Poseidon, presentation proofs, snarkjs export"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// circomlib Poseidon of 1 to 16 decimal field elements; prints the decimal hash.
    Poseidon {
        /// Inputs, decimal, each below the BN254 scalar field modulus.
        #[arg(required = true, num_args = 1..=16)]
        inputs: Vec<String>,
    },
    /// circomlibjs `signPoseidon`: prints {"Ax","Ay","R8x","R8y","S","msg"} as decimal strings
    /// (what `eddsa-verify` reads).
    EddsaSign {
        /// The 32-byte private key, 64 hex digits.
        #[arg(long)]
        key: String,
        /// The message, a decimal field element.
        #[arg(long)]
        msg: String,
    },
    /// circomlibjs `verifyPoseidon`: reads {"Ax","Ay","R8x","R8y","S","msg"} (decimal strings)
    /// on stdin, prints {"valid": true|false}.
    EddsaVerify,
    /// Makes a development credential, proves "age ≥ 18 + pseudonym for app 'demo-app' +
    /// given_name disclosed + not expired", writes snarkjs's verification_key.json, proof.json
    /// and public.json into DIR.
    DemoProof {
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Where proving keys are cached (default: $NETID_KEY_DIR or the user's data dir).
        #[arg(long)]
        key_dir: Option<PathBuf>,
    },
    /// Constraint counts of the presentation circuit, per part.
    Info,
    /// Writes the presentation circuit in the iden3 `.r1cs` format for a snarkjs phase-2
    /// ceremony (`snarkjs groth16 setup netid.r1cs <ptau> c0.zkey`, `zkey contribute`, `zkey
    /// beacon`, `zkey verify`; specs/groth16.md §7.2).
    ExportR1cs {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Imports the final `.zkey` of a ceremony: validates every point and checks that it is a key
    /// for netid's presentation circuit, then writes DIR/presentation.key (for `netid-issuer
    /// --groth16-keys DIR` and wallets) and DIR/verification_key.json (for `snarkjs groth16
    /// verify`), and prints the verifying key's fingerprint.
    ImportZkey {
        /// The `.zkey` file (after `snarkjs zkey beacon` and `snarkjs zkey verify`).
        zkey: PathBuf,
        /// Output directory (created if missing; an existing key file is never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
}

fn bad(what: &'static str, reason: impl Into<String>) -> CircuitError {
    CircuitError::Encoding {
        what,
        reason: reason.into(),
    }
}

fn run(cli: Cli) -> Result<(), CircuitError> {
    match cli.cmd {
        Cmd::Poseidon { inputs } => {
            let xs = inputs
                .iter()
                .map(|s| parse_fr_decimal(s))
                .collect::<Result<Vec<_>, _>>()?;
            println!("{}", fr_decimal(&poseidon(&xs)?));
        }
        Cmd::EddsaSign { key, msg } => {
            let bytes: [u8; 32] = hex::decode(key.trim())
                .map_err(|_| bad("key", "expected 64 hex digits"))?
                .try_into()
                .map_err(|_| bad("key", "expected 32 bytes (64 hex digits)"))?;
            let sk = SecretKey::from_bytes(bytes);
            let m = parse_fr_decimal(&msg)?;
            let (ax, ay) = sk.public_key().coordinates();
            let sig = sk.sign(m);
            println!(
                "{}",
                json!({
                    "Ax": fr_decimal(&ax), "Ay": fr_decimal(&ay),
                    "R8x": fr_decimal(&sig.R8.x), "R8y": fr_decimal(&sig.R8.y),
                    "S": fr_decimal(&sig.s_field()), "msg": fr_decimal(&m),
                })
            );
        }
        Cmd::EddsaVerify => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| bad("stdin", e.to_string()))?;
            let v: serde_json::Value =
                serde_json::from_str(&input).map_err(|e| bad("input JSON", e.to_string()))?;
            let field = |name: &'static str| -> Result<Fr, CircuitError> {
                let s = v[name]
                    .as_str()
                    .ok_or_else(|| bad("input JSON", format!("missing string field {name}")))?;
                parse_fr_decimal(s)
            };
            let (ax, ay, r8x, r8y, s, msg) = (
                field("Ax")?,
                field("Ay")?,
                field("R8x")?,
                field("R8y")?,
                field("S")?,
                field("msg")?,
            );
            // Key and signature are well-formed field elements; whether they are valid curve
            // points is part of the answer, as in circomlibjs.
            let valid = match (
                PublicKey::from_coordinates(ax, ay),
                Signature::from_parts(Point { x: r8x, y: r8y }, s.into_bigint()),
            ) {
                (Ok(pk), Ok(sig)) => pk.verify(msg, &sig).is_ok(),
                _ => false,
            };
            println!("{}", json!({ "valid": valid }));
        }
        Cmd::DemoProof { out, key_dir } => demo_proof(out, key_dir)?,
        Cmd::ExportR1cs { out } => {
            let r1cs = R1cs::presentation()?;
            std::fs::write(&out, r1cs.to_iden3_bytes()).map_err(|e| CircuitError::Io {
                path: out.display().to_string(),
                source: e,
            })?;
            eprintln!(
                "netid/v1 presentation circuit: {} constraints, {} public inputs, {} wires; \
                 needs a powers of tau of at least 2^{} (domain {})",
                r1cs.num_constraints(),
                r1cs.num_public,
                r1cs.num_wires,
                r1cs.domain_size().trailing_zeros(),
                r1cs.domain_size()
            );
            println!("{}", out.display());
        }
        Cmd::ImportZkey { zkey, out } => import_zkey(zkey, out)?,
        Cmd::Info => {
            let counts = Rc::new(RefCell::new(PartCounts::default()));
            let cs = ConstraintSystem::<Fr>::new_ref();
            cs.set_mode(SynthesisMode::Setup);
            PresentationCircuit {
                public: None,
                witness: None,
                counts: Some(counts.clone()),
            }
            .generate_constraints(cs.clone())?;
            println!("netid/v1 presentation circuit (Groth16, BN254)");
            for (name, n) in counts.borrow().rows() {
                println!("  {name:<42} {n:>6}");
            }
            println!(
                "  {:<42} {:>6}",
                "public inputs",
                cs.num_instance_variables() - 1
            );
            println!(
                "  {:<42} {:>6}",
                "witness variables",
                cs.num_witness_variables()
            );
            println!("  for comparison: circomlib EdDSAPoseidonVerifier 4,217; Poseidon(2) 240");
        }
    }
    Ok(())
}

fn import_zkey(zkey: PathBuf, out: PathBuf) -> Result<(), CircuitError> {
    let io = |path: &PathBuf, e: std::io::Error| CircuitError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let bytes = std::fs::read(&zkey).map_err(|e| io(&zkey, e))?;
    eprintln!(
        "[1/3] reading {} ({} bytes), validating every point against netid's circuit",
        zkey.display(),
        bytes.len()
    );
    let t = Instant::now();
    let keys = ProvingKeys::from_zkey(&bytes)?;
    if keys.verifier().is_development() {
        return Err(CircuitError::Keys(
            "this .zkey carries netid's public development trapdoor".into(),
        ));
    }
    let contributions = netid_circuits::zkey::contribution_count(&bytes)?;
    eprintln!(
        "      valid, {contributions} phase-2 contribution(s) recorded, in {:.2?}",
        t.elapsed()
    );
    let key_path = out.join(CEREMONY_KEY_FILE);
    eprintln!("[2/3] writing {}", key_path.display());
    keys.save(&key_path)?;
    let vk_path = out.join("verification_key.json");
    eprintln!("[3/3] writing {}", vk_path.display());
    let text = serde_json::to_string_pretty(&snarkjs::verification_key_json(keys.verifier().vk()))
        .map_err(|e| bad("json", e.to_string()))?;
    std::fs::write(&vk_path, text + "\n").map_err(|e| io(&vk_path, e))?;
    println!(
        "verifying key fingerprint {}",
        hex::encode(keys.verifier().fingerprint()?)
    );
    Ok(())
}

fn demo_proof(out: PathBuf, key_dir: Option<PathBuf>) -> Result<(), CircuitError> {
    let dir = match key_dir {
        Some(d) => d,
        None => default_key_dir_or_err()?,
    };
    eprintln!(
        "[1/4] loading DEVELOPMENT keys (public trapdoor: anyone can forge with them; for demos \
         and tests only) from {} (first run: setup, a few seconds)",
        dir.display()
    );
    let t = Instant::now();
    let keys = ProvingKeys::load_or_dev_setup(&dir, DEV_SEED)?;
    eprintln!("      done in {:.2?}", t.elapsed());

    eprintln!("[2/4] issuing a development credential (EdDSA-Poseidon)");
    let sk = dev_issuer_key("demo");
    let pk = sk.public_key();
    let attrs = sample_credential(3)?;
    let sig = suite::sign_credential(&sk, &attrs)?;
    let tree = RevocationTree::from_revoked([1, 2])?;
    let path = tree.path(3)?;

    eprintln!("[3/4] proving age >= 18 + pseudonym for 'demo-app' + given_name + not expired");
    let today = Date::from_ymd(2026, 11, 23)?;
    let mut nonce = [0u8; 32];
    use rand_core_06::RngCore;
    rand_core_06::OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| CircuitError::Keys(e.to_string()))?;
    let req = adult_request("demo-app", today, nonce);
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand_chacha::rand_core::SeedableRng>::from_seed(nonce);
    let t = Instant::now();
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
    )?;
    eprintln!("      proved in {:.2?}", t.elapsed());
    suite::verify(keys.verifier(), &pk, tree.root(), &req, &p)?;

    eprintln!("[4/4] writing snarkjs files to {}", out.display());
    let (proof, public) = suite::proof_and_public_inputs(&pk, tree.root(), &req, &p)?;
    let io = |path: &PathBuf, e: std::io::Error| CircuitError::Io {
        path: path.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(&out).map_err(|e| io(&out, e))?;
    for (name, value) in [
        (
            "verification_key.json",
            snarkjs::verification_key_json(keys.verifier().vk()),
        ),
        ("proof.json", snarkjs::proof_json(&proof)),
        ("public.json", snarkjs::public_json(&public)),
    ] {
        let path = out.join(name);
        let text = serde_json::to_string_pretty(&value).map_err(|e| bad("json", e.to_string()))?;
        std::fs::write(&path, text + "\n").map_err(|e| io(&path, e))?;
    }
    println!("{}", out.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netid-circuits: error: {e}");
            ExitCode::from(2)
        }
    }
}
