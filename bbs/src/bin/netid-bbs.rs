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
//! Blind BBS (draft-irtf-cfrg-bbs-blind-signatures, interface `ciphersuite_id ‖ "BLIND_H2G_HM2S_"`):
//!
//! | subcommand           | input fields                                                          | output                                  |
//! |----------------------|-----------------------------------------------------------------------|-----------------------------------------|
//! | `commit`             | `committedMessages`?                                                  | `{"commitmentWithProof","proverBlind"}` |
//! | `blind-sign`         | `secretKey`, `publicKey`?, `commitmentWithProof`?, `header`?, `messages`? | `{"signature"}`                     |
//! | `blind-verify`       | `publicKey`, `signature`, `header`?, `messages`?, `committedMessages`?, `proverBlind`? | `{"valid"}`            |
//! | `blind-prove`        | `publicKey`, `signature`, `header`?, `presentationHeader`?, `messages`?, `committedMessages`?, `proverBlind`?, `disclosedIndexes`?, `disclosedCommittedIndexes`? | `{"proof"}` |
//! | `blind-verify-proof` | `publicKey`, `proof`, `header`?, `presentationHeader`?, `L`, `revealedMessages`?, `revealedCommittedMessages`? | `{"valid"}` |
//!
//! `revealedMessages` and `revealedCommittedMessages` are the fixtures' `{"index": hex}` objects;
//! `blind-prove` takes its disclosed indexes from their keys when `disclosedIndexes` /
//! `disclosedCommittedIndexes` are absent, and `blind-verify-proof` also accepts
//! `disclosedMessages` + `disclosedIndexes` and `disclosedCommittedMessages` +
//! `disclosedCommittedIndexes`. A `null` field is an absent one; an absent `proverBlind` is zero (a
//! signature made without a commitment). A commitment whose proof of correctness fails makes
//! `blind-sign` exit 2 (the draft's INVALID for a signer).
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
    hex_field, pseudonym, Bbs, BbsError, BlindBbs, Ciphersuite, Commitment, Proof, ProverBlind,
    PublicKey, SecretKey, Signature,
};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
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
    /// Blind BBS Commit: commit to the prover's messages, with a proof of correctness.
    Commit,
    /// Blind BBS BlindSign: sign messages and a prover's commitment.
    BlindSign,
    /// Blind BBS VerifyBlindSign.
    BlindVerify,
    /// Blind BBS BlindProofGen.
    BlindProve,
    /// Blind BBS BlindProofVerify.
    BlindVerifyProof,
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
    committed_messages: Option<Vec<String>>,
    commitment_with_proof: Option<String>,
    prover_blind: Option<String>,
    disclosed_committed_indexes: Option<Vec<usize>>,
    disclosed_committed_messages: Option<Vec<String>>,
    revealed_messages: Option<BTreeMap<String, String>>,
    revealed_committed_messages: Option<BTreeMap<String, String>>,
    #[serde(rename = "L")]
    l: Option<usize>,
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

    fn committed_messages(&self) -> Result<Vec<Vec<u8>>, Malformed> {
        hex_list(
            self.committed_messages.as_deref().unwrap_or_default(),
            "committedMessages",
        )
    }

    fn prover_blind(&self) -> Result<ProverBlind, Malformed> {
        match &self.prover_blind {
            Some(h) => Ok(ProverBlind::from_bytes(&hex_field(h, "proverBlind")?)?),
            None => Ok(ProverBlind::zero()),
        }
    }

    fn signature(&self) -> Result<Vec<u8>, Malformed> {
        Ok(hex_field(
            required(&self.signature, "signature")?,
            "signature",
        )?)
    }
}

/// The disclosed indexes and messages of one list: explicit `indexes` + `messages`, or the keys
/// and values of a fixture's `revealed` object.
fn disclosure(
    indexes: &Option<Vec<usize>>,
    messages: &Option<Vec<String>>,
    revealed: &Option<BTreeMap<String, String>>,
    names: [&str; 3],
) -> Result<(Vec<usize>, Vec<Vec<u8>>), Malformed> {
    let [idx_name, msgs_name, revealed_name] = names;
    if let Some(map) = revealed {
        let mut pairs = map
            .iter()
            .map(|(k, v)| {
                let i: usize = k.parse().map_err(|_| {
                    Malformed(format!("{revealed_name}: key {k:?} is not an index"))
                })?;
                Ok((i, hex_field(v, &format!("{revealed_name}[{k}]"))?))
            })
            .collect::<Result<Vec<_>, Malformed>>()?;
        pairs.sort_by_key(|p| p.0);
        return Ok(pairs.into_iter().unzip());
    }
    let idx = indexes.clone().unwrap_or_default();
    let msgs = hex_list(messages.as_deref().unwrap_or_default(), msgs_name)?;
    if msgs.len() != idx.len() {
        return Err(Malformed(format!(
            "{msgs_name} has {} entries but {idx_name} has {}",
            msgs.len(),
            idx.len()
        )));
    }
    Ok((idx, msgs))
}

/// Disclosed indexes for `blind-prove`: explicit, or the keys of the `revealed` object.
fn prove_indexes(
    indexes: &Option<Vec<usize>>,
    revealed: &Option<BTreeMap<String, String>>,
    revealed_name: &str,
) -> Result<Vec<usize>, Malformed> {
    match (indexes, revealed) {
        (Some(i), _) => Ok(i.clone()),
        (None, Some(map)) => {
            let mut v = map
                .keys()
                .map(|k| {
                    k.parse().map_err(|_| {
                        Malformed(format!("{revealed_name}: key {k:?} is not an index"))
                    })
                })
                .collect::<Result<Vec<usize>, _>>()?;
            v.sort_unstable();
            Ok(v)
        }
        (None, None) => Ok(Vec::new()),
    }
}

fn run(cmd: Command, suite: Ciphersuite, input: &Input) -> Result<serde_json::Value, Malformed> {
    let bbs = Bbs::new(suite);
    let blind = BlindBbs::new(suite);
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
        Command::Commit => {
            let (c, b) = blind.commit(&input.committed_messages()?, &mut rand::rng())?;
            Ok(json!({
                "commitmentWithProof": hex::encode(c.to_bytes()),
                "proverBlind": hex::encode(b.to_bytes().as_ref()),
            }))
        }
        Command::BlindSign => {
            let sk = SecretKey::from_bytes(&hex_field(input.secret_key_hex()?, "secretKey")?)?;
            let pk = match input.public_key_hex() {
                Ok(h) => PublicKey::from_bytes(&hex_field(h, "publicKey")?)?,
                Err(_) => sk.public_key(),
            };
            let commitment = match input.commitment_with_proof.as_deref() {
                None | Some("") => None,
                Some(h) => Some(Commitment::from_bytes(&hex_field(
                    h,
                    "commitmentWithProof",
                )?)?),
            };
            let sig = blind.blind_sign(
                &sk,
                &pk,
                commitment.as_ref(),
                &opt_hex(&input.header, "header")?,
                &input.messages()?,
            )?;
            Ok(json!({ "signature": hex::encode(sig.to_bytes()) }))
        }
        Command::BlindVerify => {
            let pk = hex_field(input.public_key_hex()?, "publicKey")?;
            let sig = input.signature()?;
            let header = opt_hex(&input.header, "header")?;
            let (msgs, committed) = (input.messages()?, input.committed_messages()?);
            let prover_blind = input.prover_blind()?;
            let valid = PublicKey::from_bytes(&pk)
                .and_then(|pk| Ok((pk, Signature::from_bytes(&sig)?)))
                .and_then(|(pk, sig)| {
                    blind.verify(&pk, &sig, &header, &msgs, &committed, &prover_blind)
                })
                .is_ok();
            Ok(json!({ "valid": valid }))
        }
        Command::BlindProve => {
            let pk = PublicKey::from_bytes(&hex_field(input.public_key_hex()?, "publicKey")?)?;
            let sig = Signature::from_bytes(&input.signature()?)?;
            let idx = prove_indexes(
                &input.disclosed_indexes,
                &input.revealed_messages,
                "revealedMessages",
            )?;
            let cidx = prove_indexes(
                &input.disclosed_committed_indexes,
                &input.revealed_committed_messages,
                "revealedCommittedMessages",
            )?;
            let proof = blind.proof_gen(
                &pk,
                &sig,
                &opt_hex(&input.header, "header")?,
                &opt_hex(&input.presentation_header, "presentationHeader")?,
                &input.messages()?,
                &input.committed_messages()?,
                &idx,
                &cidx,
                &input.prover_blind()?,
                &mut rand::rng(),
            )?;
            Ok(json!({ "proof": hex::encode(proof.to_bytes()) }))
        }
        Command::BlindVerifyProof => {
            let pk = hex_field(input.public_key_hex()?, "publicKey")?;
            let proof = hex_field(required(&input.proof, "proof")?, "proof")?;
            let header = opt_hex(&input.header, "header")?;
            let ph = opt_hex(&input.presentation_header, "presentationHeader")?;
            let l = input
                .l
                .ok_or_else(|| Malformed("missing field \"L\"".into()))?;
            let (idx, msgs) = disclosure(
                &input.disclosed_indexes,
                &input.disclosed_messages,
                &input.revealed_messages,
                ["disclosedIndexes", "disclosedMessages", "revealedMessages"],
            )?;
            let (cidx, cmsgs) = disclosure(
                &input.disclosed_committed_indexes,
                &input.disclosed_committed_messages,
                &input.revealed_committed_messages,
                [
                    "disclosedCommittedIndexes",
                    "disclosedCommittedMessages",
                    "revealedCommittedMessages",
                ],
            )?;
            let valid = PublicKey::from_bytes(&pk)
                .and_then(|pk| Ok((pk, Proof::from_bytes(&proof)?)))
                .and_then(|(pk, p)| {
                    blind.proof_verify(&pk, &p, &header, &ph, l, &msgs, &idx, &cmsgs, &cidx)
                })
                .is_ok();
            Ok(json!({ "valid": valid }))
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
