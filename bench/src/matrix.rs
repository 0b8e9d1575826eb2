//! The matrix: statements × suites on the netid/v1 credential, with per-suite setup, key sizes
//! and constraint counts, and the statement-level peers (zkryptium's pseudonym proof, the plain
//! Groth16 floor).

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use indicatif::ProgressBar;
use netid_bbs::Ciphersuite;
use netid_circuits::keys::{ProvingKeys, DEV_SEED};
use netid_circuits::presentation::circuit::PresentationCircuit;
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::{CredentialAttributes, Presentation};
use rand_chacha::rand_core::SeedableRng;
use std::hint::black_box;

use crate::world::{self, BbsIssuer, G16Issuer};
use crate::{
    floor, peers, BenchError, Config, PeerRow, Report, Result, Skipped, Statement, StatementRow,
    Stats, SuiteInfo, SuiteName,
};

/// Number of measurements [`crate::run`] will make for `config` (the progress bar's length).
pub fn planned_steps(config: &Config) -> u64 {
    let mut n = 0u64;
    for &suite in &config.suites {
        n += 1 + u64::from(config.setup); // issue, setup
        for &st in &config.statements {
            if applies(suite, st).is_ok() {
                n += 2;
            }
        }
        if config.peers {
            match suite {
                SuiteName::Groth16 => {
                    if config.statements.contains(&Statement::Full) {
                        n += 2 + u64::from(config.setup);
                    }
                }
                _ => {
                    if config.statements.contains(&Statement::Nym) {
                        n += 2;
                    }
                }
            }
        }
    }
    let bbs_suites = config
        .suites
        .iter()
        .filter(|s| s.ciphersuite().is_some())
        .count() as u64;
    n += bbs_suites * config.message_counts.len() as u64 * 4 * (1 + u64::from(config.peers));
    n
}

/// Whether `statement` applies to `suite` (`Err` says why not).
pub fn applies(suite: SuiteName, statement: Statement) -> Result<(), &'static str> {
    match (suite, statement) {
        (SuiteName::BbsSha256 | SuiteName::BbsShake256, Statement::Revocation) => Err(
            "BBS presentations carry no non-revocation proof: revocation is by epoch re-issuance \
             and the not-expired predicate (specs/revocation.md), measured in `full`",
        ),
        _ => Ok(()),
    }
}

fn step(progress: &ProgressBar, what: String) {
    progress.set_message(what);
}

fn json_len(p: &Presentation) -> Result<usize> {
    Ok(serde_json::to_vec(p)?.len())
}

/// Runs every suite × statement of `config` into `report`.
pub fn run_matrix(config: &Config, progress: &ProgressBar, report: &mut Report) -> Result<()> {
    let attrs = world::credential()?;
    for &suite in &config.suites {
        match suite.ciphersuite() {
            Some(cs) => bbs_suite(config, progress, report, suite, cs, &attrs)?,
            None => groth16_suite(config, progress, report, &attrs)?,
        }
    }
    Ok(())
}

fn bbs_suite(
    config: &Config,
    progress: &ProgressBar,
    report: &mut Report,
    suite: SuiteName,
    cs: Ciphersuite,
    attrs: &CredentialAttributes,
) -> Result<()> {
    let name = suite.name();
    let setup = if config.setup {
        step(
            progress,
            format!("{name}: setup (keygen + range digit signatures)"),
        );
        let s = config.setup_sampling.measure(|| {
            BbsIssuer::new(cs, attrs)?;
            Ok(())
        })?;
        progress.inc(1);
        Some(s)
    } else {
        None
    };
    let issuer = BbsIssuer::new(cs, attrs)?;
    step(progress, format!("{name}: issue"));
    let issue = config.fast.measure(|| {
        Ok(issuer
            .bbs
            .issue(&issuer.sk, &issuer.pk, attrs, &issuer.commitment)?)
    })?;
    progress.inc(1);
    report.suites.push(SuiteInfo {
        suite,
        setup,
        setup_what: "issuer key generation + 256 range-proof digit signatures".into(),
        issuer_secret_key_bytes: issuer.sk.to_bytes().len(),
        issuer_public_key_bytes: issuer.pk.to_bytes().len(),
        prover_params_bytes: issuer.digits.to_bytes().len(),
        verifier_params_bytes: 0,
        issue,
        constraints: None,
        public_inputs: None,
    });

    for &statement in &config.statements {
        if let Err(reason) = applies(suite, statement) {
            report.skipped.push(Skipped {
                suite,
                statement,
                reason: reason.into(),
            });
            continue;
        }
        let req = world::request(statement, suite.core(), [7; 32])?;
        let present = || {
            issuer.bbs.present(
                &issuer.pk,
                &issuer.digits,
                attrs,
                &issuer.sig,
                issuer.holder(),
                &req,
                &mut rand::rng(),
            )
        };
        step(progress, format!("{name}: prove {}", statement.name()));
        let prove = config.fast.measure(|| Ok(present()?))?;
        progress.inc(1);
        let p = present()?;
        step(progress, format!("{name}: verify {}", statement.name()));
        let verify = config
            .fast
            .measure(|| Ok(issuer.bbs.verify_presentation(&issuer.pk, &req, &p)?))?;
        progress.inc(1);
        report.statements.push(StatementRow {
            suite,
            statement,
            prove: prove.clone(),
            verify: verify.clone(),
            proof_bytes: p.proof.len(),
            pseudonym_bytes: p.pseudonym.as_ref().map_or(0, |x| x.len()),
            presentation_json_bytes: json_len(&p)?,
        });
        if config.peers && statement == Statement::Nym {
            step(progress, format!("{name}: zkryptium pseudonym proof"));
            let z = peers::zkryptium_nym(cs, &config.fast, progress)?;
            let nym_bytes = p.proof.len() + p.pseudonym.as_ref().map_or(0, |x| x.len());
            for (op, ours, theirs) in [
                ("nym prove", prove, z.prove),
                ("nym verify", verify, z.verify),
            ] {
                report.peers.push(PeerRow {
                    suite,
                    operation: op.into(),
                    messages: Some(12),
                    ratio: ours.median_ms / theirs.median_ms,
                    netid: ours,
                    peer: "zkryptium (per-verifier-linkability draft, 12 msgs)".into(),
                    peer_stats: theirs,
                    bytes: Some((nym_bytes, z.bytes)),
                });
            }
        }
    }
    Ok(())
}

/// Constraints and public inputs of netid's presentation circuit.
pub fn circuit_size() -> Result<(usize, usize)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    PresentationCircuit::default()
        .generate_constraints(cs.clone())
        .map_err(|e| BenchError::Internal(format!("synthesizing the circuit: {e}")))?;
    Ok((cs.num_constraints(), cs.num_instance_variables() - 1))
}

fn groth16_suite(
    config: &Config,
    progress: &ProgressBar,
    report: &mut Report,
    attrs: &CredentialAttributes,
) -> Result<()> {
    let suite = SuiteName::Groth16;
    let (constraints, public_inputs) = circuit_size()?;
    let setup = if config.setup {
        step(progress, "groth16: fresh dev setup (whole circuit)".into());
        let s = config
            .setup_sampling
            .measure(|| Ok(ProvingKeys::dev_setup(DEV_SEED)?))?;
        progress.inc(1);
        Some(s)
    } else {
        None
    };
    step(progress, "groth16: loading cached proving keys".into());
    let issuer = G16Issuer::new(&config.key_dir, attrs)?;
    step(progress, "groth16: issue (EdDSA-Poseidon)".into());
    let issue = config
        .fast
        .measure(|| Ok(g16::sign_credential(&issuer.sk, attrs)?))?;
    progress.inc(1);
    report.suites.push(SuiteInfo {
        suite,
        setup: setup.clone(),
        setup_what: "fresh deterministic dev setup of the whole circuit".into(),
        issuer_secret_key_bytes: 32,
        issuer_public_key_bytes: issuer.pk.to_bytes().len(),
        prover_params_bytes: issuer.keys.to_bytes()?.len(),
        verifier_params_bytes: issuer.keys.verifier().to_bytes()?.len(),
        issue,
        constraints: Some(constraints),
        public_inputs: Some(public_inputs),
    });

    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let mut full: Option<(Stats, Stats)> = None;
    for &statement in &config.statements {
        let (tree, path) = if statement == Statement::Revocation {
            (&issuer.big_tree, &issuer.big_path)
        } else {
            (&issuer.tree, &issuer.path)
        };
        let root = tree.root();
        let req = world::request(statement, suite.core(), [7; 32])?;
        let cred = HolderCredential {
            attributes: attrs,
            signature: &issuer.sig,
            path,
            secret: &issuer.secret,
        };
        step(progress, format!("groth16: prove {}", statement.name()));
        let prove = config.slow.measure(|| {
            Ok(g16::prove(
                &issuer.keys,
                &issuer.pk,
                root,
                cred.clone(),
                &req,
                &mut rng,
            )?)
        })?;
        progress.inc(1);
        let p = g16::prove(&issuer.keys, &issuer.pk, root, cred.clone(), &req, &mut rng)?;
        step(progress, format!("groth16: verify {}", statement.name()));
        let verify = config.fast.measure(|| {
            Ok(g16::verify(
                issuer.keys.verifier(),
                &issuer.pk,
                root,
                &req,
                &p,
            )?)
        })?;
        progress.inc(1);
        if statement == Statement::Full {
            full = Some((prove.clone(), verify.clone()));
        }
        report.statements.push(StatementRow {
            suite,
            statement,
            prove,
            verify,
            proof_bytes: p.proof.len(),
            pseudonym_bytes: p.pseudonym.as_ref().map_or(0, |x| x.len()),
            presentation_json_bytes: json_len(&p)?,
        });
    }

    if let (Some(dir), Some(_)) = (&config.groth16_ceremony_keys, &full) {
        let ceremony = ProvingKeys::load_ceremony(dir)?;
        let req = world::request(Statement::Full, suite.core(), [7; 32])?;
        let cred = HolderCredential {
            attributes: attrs,
            signature: &issuer.sig,
            path: &issuer.path,
            secret: &issuer.secret,
        };
        let root = issuer.tree.root();
        // Alternating proofs, so both keys see the same machine: warm-up, then pairs until the
        // slow sampling's time (twice, for two keys) or its repetition bound is reached.
        step(
            progress,
            "groth16: prove full, development vs ceremony key".into(),
        );
        let s = &config.slow;
        let mut prove_ms = |keys: &ProvingKeys| -> Result<f64> {
            let t = std::time::Instant::now();
            black_box(g16::prove(
                keys,
                &issuer.pk,
                root,
                cred.clone(),
                &req,
                &mut rng,
            )?);
            Ok(t.elapsed().as_secs_f64() * 1e3)
        };
        for _ in 0..s.warmup {
            prove_ms(&issuer.keys)?;
            prove_ms(&ceremony)?;
        }
        let (mut dev, mut cer) = (Vec::new(), Vec::new());
        let start = std::time::Instant::now();
        while dev.len() < s.max_reps.max(1)
            && (dev.len() < s.min_reps.max(3)
                || start.elapsed().as_secs_f64() < 2.0 * s.target_seconds)
        {
            dev.push(prove_ms(&issuer.keys)?);
            cer.push(prove_ms(&ceremony)?);
        }
        let summary = |v: &[f64]| {
            Stats::from_samples(v).ok_or_else(|| BenchError::Internal("no samples".into()))
        };
        let (dev, cer) = (summary(&dev)?, summary(&cer)?);
        report.peers.push(PeerRow {
            suite,
            operation: "prove (full), ceremony key".into(),
            messages: None,
            ratio: cer.median_ms / dev.median_ms,
            netid: cer,
            peer: "netid, development key".into(),
            peer_stats: dev,
            bytes: None,
        });
    }

    if let (true, Some((prove, verify))) = (config.peers, full) {
        let f = floor::measure(config, progress, constraints, public_inputs)?;
        let peer = format!(
            "ark-groth16 floor ({} constraints, {} public inputs)",
            f.constraints, f.public_inputs
        );
        let mut push = |op: &str, ours: Stats, theirs: Stats| {
            report.peers.push(PeerRow {
                suite,
                operation: op.into(),
                messages: None,
                ratio: ours.median_ms / theirs.median_ms,
                netid: ours,
                peer: peer.clone(),
                peer_stats: theirs,
                bytes: Some((128, f.proof_bytes)),
            });
        };
        if let (Some(ours), Some(theirs)) = (setup, f.setup) {
            push("setup", ours, theirs);
        }
        push("prove (full)", prove, f.prove);
        push("verify (full)", verify, f.verify);
    }
    Ok(())
}
