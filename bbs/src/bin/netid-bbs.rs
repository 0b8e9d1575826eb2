//! `netid-bbs`: a conformance tool for IETF BBS signatures, for interop testing by anyone.
//!
//! Each subcommand reads one JSON object on stdin, with the field names of the draft's fixtures
//! (all byte strings hex), and prints one JSON object on stdout:
//!
//! | subcommand     | input fields                                                                  | output                      |
//! |----------------|-------------------------------------------------------------------------------|-----------------------------|
//! | `keygen`       | `keyMaterial`?, `keyInfo`?, `keyDst`? (random key material if absent)         | `{"publicKey","secretKey"}` |
//! | `sign`         | `secretKey`, `publicKey`?, `header`?, `messages`                              | `{"signature"}`             |
//! | `verify`       | `publicKey`, `signature`, `header`?, `messages`                               | `{"valid"}`                 |
//! | `prove`        | `publicKey`, `signature`, `header`?, `presentationHeader`?, `messages`, `disclosedIndexes`? | `{"proof"}`    |
//! | `verify-proof` | `publicKey`, `proof`, `header`?, `presentationHeader`?, `disclosedMessages`, `disclosedIndexes`? | `{"valid"}` |
//! | `pseudonym`    | `verifierId`, `pid`                                                           | `{"pseudonym"}`             |
//!
//! `signerPublicKey` is accepted for `publicKey`, and a `signerKeyPair` object for both keys, so
//! the draft's fixture files can be piped in unchanged (unknown fields are ignored; for
//! `verify-proof` without `disclosedMessages`, the disclosed ones are taken from `messages`).
//!
//! Exit codes: 0 on success (including `{"valid":false}`), 2 on malformed input (bad JSON,
//! missing field, bad hex, an invalid key for `sign`/`prove`), with one error line on stderr.
//! A signature, proof or public key that does not decode makes `verify`/`verify-proof` answer
//! `{"valid":false}`, as the draft's INVALID.

use clap::{Parser, Subcommand};
use netid_bbs::{
    hex_field, pseudonym, Bbs, BbsError, Ciphersuite, Proof, PublicKey, SecretKey, Signature,
};
use serde::Deserialize;
use serde_json::json;
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "netid-bbs",
    version,
    about = "IETF BBS signatures conformance tool (JSON on stdin, JSON on stdout)"
)]
struct Cli {
    /// Ciphersuite: bls12-381-sha-256 or bls12-381-shake-256.
    #[arg(long, global = true, default_value = "bls12-381-sha-256", value_parser = parse_suite)]
    ciphersuite: Ciphersuite,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Clone, Copy)]
enum Command {
    /// KeyGen + SkToPk.
    Keygen,
    /// Sign messages.
    Sign,
    /// Verify a signature.
    Verify,
    /// ProofGen: prove knowledge of a signature, disclosing some messages.
    Prove,
    /// ProofVerify.
    VerifyProof,
    /// Per-verifier pseudonym (draft-irtf-cfrg-bbs-per-verifier-linkability).
    Pseudonym,
}

fn parse_suite(s: &str) -> Result<Ciphersuite, String> {
    Ciphersuite::from_name(s).ok_or_else(|| {
        format!("unknown ciphersuite {s:?} (use bls12-381-sha-256 or bls12-381-shake-256)")
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct KeyPairJson {
    secret_key: Option<String>,
    public_key: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Input {
    key_material: Option<String>,
    key_info: Option<String>,
    key_dst: Option<String>,
    secret_key: Option<String>,
    public_key: Option<String>,
    signer_public_key: Option<String>,
    signer_key_pair: Option<KeyPairJson>,
    header: Option<String>,
    presentation_header: Option<String>,
    messages: Option<Vec<String>>,
    disclosed_messages: Option<Vec<String>>,
    disclosed_indexes: Option<Vec<usize>>,
    signature: Option<String>,
    proof: Option<String>,
    verifier_id: Option<String>,
    pid: Option<String>,
}

/// A malformed-input error: printed as one line, exit code 2.
struct Malformed(String);

impl From<BbsError> for Malformed {
    fn from(e: BbsError) -> Self {
        Malformed(e.to_string())
    }
}

fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, Malformed> {
    v.as_deref()
        .ok_or_else(|| Malformed(format!("missing field {name:?}")))
}

fn opt_hex(v: &Option<String>, name: &str) -> Result<Vec<u8>, Malformed> {
    match v {
        Some(s) => Ok(hex_field(s, name)?),
        None => Ok(Vec::new()),
    }
}

fn hex_list(v: &[String], name: &str) -> Result<Vec<Vec<u8>>, Malformed> {
    v.iter()
        .enumerate()
        .map(|(i, s)| Ok(hex_field(s, &format!("{name}[{i}]"))?))
        .collect()
}

impl Input {
    fn public_key_hex(&self) -> Result<&str, Malformed> {
        self.public_key
            .as_deref()
            .or(self.signer_public_key.as_deref())
            .or(self
                .signer_key_pair
                .as_ref()
                .and_then(|k| k.public_key.as_deref()))
            .ok_or_else(|| Malformed("missing field \"publicKey\"".into()))
    }

    fn secret_key_hex(&self) -> Result<&str, Malformed> {
        self.secret_key
            .as_deref()
            .or(self
                .signer_key_pair
                .as_ref()
                .and_then(|k| k.secret_key.as_deref()))
            .ok_or_else(|| Malformed("missing field \"secretKey\"".into()))
    }

    fn messages(&self) -> Result<Vec<Vec<u8>>, Malformed> {
        hex_list(self.messages.as_deref().unwrap_or_default(), "messages")
    }
}

fn run(cmd: Command, suite: Ciphersuite, input: &Input) -> Result<serde_json::Value, Malformed> {
    let bbs = Bbs::new(suite);
    match cmd {
        Command::Keygen => {
            let sk = match &input.key_material {
                Some(km) => SecretKey::keygen(
                    suite,
                    &hex_field(km, "keyMaterial")?,
                    &opt_hex(&input.key_info, "keyInfo")?,
                    input
                        .key_dst
                        .as_ref()
                        .map(|d| hex_field(d, "keyDst"))
                        .transpose()?
                        .as_deref(),
                )?,
                None => SecretKey::generate(suite, &mut rand::rng())?,
            };
            Ok(json!({
                "publicKey": hex::encode(sk.public_key().to_bytes()),
                "secretKey": hex::encode(sk.to_bytes().as_ref()),
            }))
        }
        Command::Sign => {
            let sk = SecretKey::from_bytes(&hex_field(input.secret_key_hex()?, "secretKey")?)?;
            let pk = match input.public_key_hex() {
                Ok(h) => PublicKey::from_bytes(&hex_field(h, "publicKey")?)?,
                Err(_) => sk.public_key(),
            };
            let sig = bbs.sign(
                &sk,
                &pk,
                &opt_hex(&input.header, "header")?,
                &input.messages()?,
            )?;
            Ok(json!({ "signature": hex::encode(sig.to_bytes()) }))
        }
        Command::Verify => {
            let pk = hex_field(input.public_key_hex()?, "publicKey")?;
            let sig = hex_field(required(&input.signature, "signature")?, "signature")?;
            let header = opt_hex(&input.header, "header")?;
            let msgs = input.messages()?;
            let valid = PublicKey::from_bytes(&pk)
                .and_then(|pk| Ok((pk, Signature::from_bytes(&sig)?)))
                .and_then(|(pk, sig)| bbs.verify(&pk, &sig, &header, &msgs))
                .is_ok();
            Ok(json!({ "valid": valid }))
        }
        Command::Prove => {
            let pk = PublicKey::from_bytes(&hex_field(input.public_key_hex()?, "publicKey")?)?;
            let sig = Signature::from_bytes(&hex_field(
                required(&input.signature, "signature")?,
                "signature",
            )?)?;
            let idx = input.disclosed_indexes.clone().unwrap_or_default();
            let proof = bbs.proof_gen(
                &pk,
                &sig,
                &opt_hex(&input.header, "header")?,
                &opt_hex(&input.presentation_header, "presentationHeader")?,
                &input.messages()?,
                &idx,
                &mut rand::rng(),
            )?;
            Ok(json!({ "proof": hex::encode(proof.to_bytes()) }))
        }
        Command::VerifyProof => {
            let pk = hex_field(input.public_key_hex()?, "publicKey")?;
            let proof = hex_field(required(&input.proof, "proof")?, "proof")?;
            let header = opt_hex(&input.header, "header")?;
            let ph = opt_hex(&input.presentation_header, "presentationHeader")?;
            let idx = input.disclosed_indexes.clone().unwrap_or_default();
            let disclosed = match (&input.disclosed_messages, &input.messages) {
                (Some(d), _) => hex_list(d, "disclosedMessages")?,
                (None, Some(all)) => {
                    let all = hex_list(all, "messages")?;
                    idx.iter()
                        .map(|&i| all.get(i).cloned())
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| Malformed("disclosedIndexes point past messages".into()))?
                }
                (None, None) => Vec::new(),
            };
            if disclosed.len() != idx.len() {
                return Err(Malformed(format!(
                    "disclosedMessages has {} entries but disclosedIndexes has {}",
                    disclosed.len(),
                    idx.len()
                )));
            }
            let valid = PublicKey::from_bytes(&pk)
                .and_then(|pk| Ok((pk, Proof::from_bytes(&proof)?)))
                .and_then(|(pk, p)| bbs.proof_verify(&pk, &p, &header, &ph, &disclosed, &idx))
                .is_ok();
            Ok(json!({ "valid": valid }))
        }
        Command::Pseudonym => {
            let vid = hex_field(required(&input.verifier_id, "verifierId")?, "verifierId")?;
            let pid = hex_field(required(&input.pid, "pid")?, "pid")?;
            Ok(json!({ "pseudonym": hex::encode(pseudonym::pseudonym(suite, &vid, &pid)) }))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut raw = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut raw) {
        eprintln!("error: cannot read stdin: {e}");
        return ExitCode::from(2);
    }
    let input: Input = match serde_json::from_str(&raw) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: input is not the expected JSON object: {e}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command, cli.ciphersuite, &input) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(Malformed(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
