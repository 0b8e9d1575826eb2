//! # netid-bench
//!
//! The researchers' benchmark tool of netid: a matrix of statements (disclosure only, age ≥ 18,
//! age + pseudonym, the full presentation, with revocation, pseudonym only) × suites (bbs-sha256,
//! bbs-shake256, groth16), measuring prove and verify time, proof and key sizes, setup time and
//! constraint counts, with warm-up and repetitions, reported as median and spread (median
//! absolute deviation). Peers are measured in the same run: the `zkryptium` crate's IETF BBS
//! operations over the same messages (5 to 40 of them) and its pseudonym proofs, and a plain
//! `ark-groth16` proof of a circuit with the same number of constraints and public inputs as
//! netid's (the floor). [`throughput`] measures a `netid-verifier` service under load.
//!
//! The binary `netid-bench` wraps [`run`] with a progress bar, a terminal table, `--json`,
//! `--csv` and SVG plots; see its `--help` and `bench/README.md`.
//!
//! ```
//! use netid_bench::{run, Config, Statement, SuiteName};
//!
//! # fn main() -> Result<(), netid_bench::BenchError> {
//! // One cheap cell: the full presentation with bbs-sha256, once, no peers.
//! let config = Config {
//!     suites: vec![SuiteName::BbsSha256],
//!     statements: vec![Statement::Full],
//!     message_counts: vec![],
//!     peers: false,
//!     ..Config::tiny()
//! };
//! let report = run(&config, &indicatif::ProgressBar::hidden())?;
//! let row = &report.statements[0];
//! assert_eq!((row.suite, row.statement), (SuiteName::BbsSha256, Statement::Full));
//! assert!(row.prove.median_ms > 0.0 && row.proof_bytes > 0);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

pub mod enrol;
pub mod floor;
pub mod load;
pub mod matrix;
pub mod output;
pub mod peers;
pub mod plot;
pub mod revocation;
pub mod stats;
pub mod throughput;
pub mod world;

pub use stats::{Sampling, Stats};

/// Everything that can go wrong in a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// netid's BBS suite failed.
    #[error("bbs: {0}")]
    Bbs(#[from] netid_bbs::BbsError),
    /// netid's Groth16 suite failed.
    #[error("groth16: {0}")]
    Circuits(#[from] netid_circuits::CircuitError),
    /// Shared types refused something.
    #[error("core: {0}")]
    Core(#[from] netid_core::CoreError),
    /// The verifier refused something.
    #[error("verifier: {0}")]
    Verifier(#[from] netid_verifier::VerifierError),
    /// A peer implementation failed.
    #[error("peer {peer}: {message}")]
    Peer {
        /// Which peer.
        peer: &'static str,
        /// What it said.
        message: String,
    },
    /// Reading or writing a file or socket.
    #[error("{what}: {source}")]
    Io {
        /// The file or address.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// JSON encoding or decoding.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// HTTP to the verifier service.
    #[error("http: {0}")]
    Http(String),
    /// Drawing a plot.
    #[error("plot {file}: {message}")]
    Plot {
        /// The output file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A configuration that cannot run.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Something that should not happen (a result that did not verify, no samples).
    #[error("internal: {0}")]
    Internal(String),
}

/// Result with [`BenchError`].
pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// A proof suite of netid.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum SuiteName {
    /// BBS, BLS12-381-SHA-256.
    #[value(name = "bbs-sha256")]
    #[serde(rename = "bbs-sha256")]
    BbsSha256,
    /// BBS, BLS12-381-SHAKE-256.
    #[value(name = "bbs-shake256")]
    #[serde(rename = "bbs-shake256")]
    BbsShake256,
    /// Groth16 on BN254.
    Groth16,
}

impl SuiteName {
    /// All suites.
    pub const ALL: [SuiteName; 3] = [
        SuiteName::BbsSha256,
        SuiteName::BbsShake256,
        SuiteName::Groth16,
    ];

    /// The suite's name as netid spells it.
    pub fn name(self) -> &'static str {
        match self {
            SuiteName::BbsSha256 => "bbs-sha256",
            SuiteName::BbsShake256 => "bbs-shake256",
            SuiteName::Groth16 => "groth16",
        }
    }

    /// netid-core's suite.
    pub fn core(self) -> netid_core::Suite {
        match self {
            SuiteName::BbsSha256 => netid_core::Suite::BbsSha256,
            SuiteName::BbsShake256 => netid_core::Suite::BbsShake256,
            SuiteName::Groth16 => netid_core::Suite::Groth16,
        }
    }

    /// The BBS ciphersuite, for the BBS suites.
    pub fn ciphersuite(self) -> Option<netid_bbs::Ciphersuite> {
        match self {
            SuiteName::BbsSha256 => Some(netid_bbs::Ciphersuite::Sha256),
            SuiteName::BbsShake256 => Some(netid_bbs::Ciphersuite::Shake256),
            SuiteName::Groth16 => None,
        }
    }
}

/// A statement a presentation proves (all on a netid/v1 credential of 12 attributes).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Statement {
    /// Disclosure only: `given_name` revealed.
    Disclose,
    /// Age ≥ 18 only.
    Age18,
    /// Age ≥ 18 and the per-app pseudonym.
    #[value(name = "age18-nym")]
    #[serde(rename = "age18-nym")]
    Age18Nym,
    /// The full presentation: age ≥ 18 + pseudonym + `given_name` + not expired.
    Full,
    /// The full presentation with a non-revocation proof (groth16: against a tree with 256
    /// revoked slots; the BBS suites have no revocation proof and skip it).
    Revocation,
    /// The pseudonym only (compared with zkryptium's pseudonym proofs).
    Nym,
}

impl Statement {
    /// All statements, in table order.
    pub const ALL: [Statement; 6] = [
        Statement::Disclose,
        Statement::Age18,
        Statement::Age18Nym,
        Statement::Full,
        Statement::Revocation,
        Statement::Nym,
    ];

    /// Short name (as on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Statement::Disclose => "disclose",
            Statement::Age18 => "age18",
            Statement::Age18Nym => "age18-nym",
            Statement::Full => "full",
            Statement::Revocation => "revocation",
            Statement::Nym => "nym",
        }
    }

    /// What it proves, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Statement::Disclose => "given_name disclosed",
            Statement::Age18 => "age ≥ 18",
            Statement::Age18Nym => "age ≥ 18 + pseudonym",
            Statement::Full => "age ≥ 18 + pseudonym + given_name + not expired",
            Statement::Revocation => "full + not revoked",
            Statement::Nym => "pseudonym only",
        }
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Suites to measure.
    pub suites: Vec<SuiteName>,
    /// Statements to measure.
    pub statements: Vec<Statement>,
    /// Message counts of the IETF BBS sweep (empty: no sweep).
    pub message_counts: Vec<usize>,
    /// Measure the peers (zkryptium, the plain Groth16 floor) in the same run.
    pub peers: bool,
    /// Measure setup (BBS key generation + range-proof digit signatures; a fresh Groth16 dev
    /// setup) and the floor's setup.
    pub setup: bool,
    /// Sampling of fast operations (BBS, Groth16 verification).
    pub fast: Sampling,
    /// Sampling of slow operations (Groth16 proving).
    pub slow: Sampling,
    /// Sampling of setups.
    pub setup_sampling: Sampling,
    /// Cache directory of the Groth16 development proving keys.
    pub key_dir: PathBuf,
    /// Keys imported from a ceremony (`netid-circuits import-zkey --out DIR`): when given, the
    /// full Groth16 presentation is also proved with them, beside the development key, as a
    /// peer row "prove (full), ceremony key".
    #[serde(default)]
    pub groth16_ceremony_keys: Option<PathBuf>,
}

impl Config {
    /// The default key cache: `target/netid-keys` of this workspace when it exists, else
    /// netid-circuits' default directory, else `netid-keys` in the current directory.
    pub fn default_key_dir() -> PathBuf {
        let workspace_target = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target"));
        if workspace_target.is_dir() {
            workspace_target.join("netid-keys")
        } else {
            netid_circuits::keys::default_key_dir().unwrap_or_else(|| PathBuf::from("netid-keys"))
        }
    }

    /// The full run: every statement and suite, 5/10/20/40 messages, peers, long sampling.
    pub fn full() -> Config {
        Config {
            suites: SuiteName::ALL.to_vec(),
            statements: Statement::ALL.to_vec(),
            message_counts: vec![5, 10, 20, 40],
            peers: true,
            setup: true,
            fast: Sampling {
                warmup: 10,
                min_reps: 50,
                max_reps: 2000,
                target_seconds: 3.0,
            },
            slow: Sampling {
                warmup: 2,
                min_reps: 20,
                max_reps: 100,
                target_seconds: 10.0,
            },
            setup_sampling: Sampling {
                warmup: 0,
                min_reps: 3,
                max_reps: 5,
                target_seconds: 0.0,
            },
            key_dir: Config::default_key_dir(),
            groth16_ceremony_keys: None,
        }
    }

    /// `--quick`: the same matrix with short sampling (57–66 s measured on a 2-core
    /// machine). Groth16 proving gets no warm-up: the cached keys are loaded and the code paths
    /// warmed by the statements before.
    pub fn quick() -> Config {
        Config {
            fast: Sampling {
                warmup: 1,
                min_reps: 5,
                max_reps: 200,
                target_seconds: 0.2,
            },
            slow: Sampling {
                warmup: 0,
                min_reps: 3,
                max_reps: 3,
                target_seconds: 0.0,
            },
            setup_sampling: Sampling {
                warmup: 0,
                min_reps: 1,
                max_reps: 1,
                target_seconds: 0.0,
            },
            ..Config::full()
        }
    }

    /// One repetition of everything, no warm-up (tests and smoke runs).
    pub fn tiny() -> Config {
        let once = Sampling {
            warmup: 0,
            min_reps: 1,
            max_reps: 1,
            target_seconds: 0.0,
        };
        Config {
            fast: once,
            slow: once,
            setup_sampling: once,
            ..Config::full()
        }
    }

    fn check(&self) -> Result<()> {
        if self.suites.is_empty() && self.message_counts.is_empty() {
            return Err(BenchError::Config("nothing to measure".into()));
        }
        if let Some(n) = self.message_counts.iter().find(|&&n| n == 0 || n > 1000) {
            return Err(BenchError::Config(format!(
                "message count {n} is out of range (1..=1000)"
            )));
        }
        for s in [&self.fast, &self.slow, &self.setup_sampling] {
            if s.max_reps == 0 || s.max_reps > 1_000_000 || !s.target_seconds.is_finite() {
                return Err(BenchError::Config(
                    "repetitions must be 1..=1000000 and the time finite".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Per-suite facts: setup, key sizes, issuance, constraints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// The suite.
    pub suite: SuiteName,
    /// Setup time (None when not measured).
    pub setup: Option<Stats>,
    /// What the setup is.
    pub setup_what: String,
    /// Issuer secret key size.
    pub issuer_secret_key_bytes: usize,
    /// Issuer public key size.
    pub issuer_public_key_bytes: usize,
    /// Other public parameters the holder needs (BBS: range-proof digit signatures; Groth16:
    /// the proving key).
    pub prover_params_bytes: usize,
    /// What the verifier needs beyond the issuer key (Groth16: the verifying key).
    pub verifier_params_bytes: usize,
    /// Issuing one credential.
    pub issue: Stats,
    /// R1CS constraints (Groth16).
    pub constraints: Option<usize>,
    /// Public inputs (Groth16).
    pub public_inputs: Option<usize>,
}

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementRow {
    /// The suite.
    pub suite: SuiteName,
    /// The statement.
    pub statement: Statement,
    /// Proving (the wallet's `present`).
    pub prove: Stats,
    /// Verifying (the verifier's check of the presentation, decoding included).
    pub verify: Stats,
    /// The proof's bytes.
    pub proof_bytes: usize,
    /// The pseudonym's bytes (0 when none).
    pub pseudonym_bytes: usize,
    /// The whole presentation as JSON.
    pub presentation_json_bytes: usize,
}

/// A cell of the matrix that does not apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// The suite.
    pub suite: SuiteName,
    /// The statement.
    pub statement: Statement,
    /// Why.
    pub reason: String,
}

/// netid beside a peer measured in the same run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerRow {
    /// The suite.
    pub suite: SuiteName,
    /// What is compared (e.g. `ietf proof_gen`, `prove`).
    pub operation: String,
    /// Number of BBS messages, where it applies.
    pub messages: Option<usize>,
    /// netid's timing.
    pub netid: Stats,
    /// The peer (`zkryptium`, `ark-groth16 floor`).
    pub peer: String,
    /// The peer's timing.
    pub peer_stats: Stats,
    /// netid median / peer median (below 1: netid is faster).
    pub ratio: f64,
    /// Sizes, where compared: netid's and the peer's bytes.
    pub bytes: Option<(usize, usize)>,
}

/// One point of the IETF BBS sweep: an operation over `messages` messages, netid and zkryptium.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The suite (a BBS one).
    pub suite: SuiteName,
    /// `sign`, `verify`, `proof_gen` or `proof_verify`.
    pub operation: String,
    /// Messages signed.
    pub messages: usize,
    /// Messages disclosed (every other one).
    pub disclosed: usize,
    /// netid-bbs.
    pub netid: Stats,
    /// zkryptium on the same messages (when peers are measured).
    pub zkryptium: Option<Stats>,
    /// netid median / zkryptium median.
    pub ratio: Option<f64>,
    /// Signature or proof bytes.
    pub bytes: usize,
}

/// The whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// netid-bench's version.
    pub version: String,
    /// The configuration that ran.
    pub config: Config,
    /// Logical CPUs of the machine.
    pub cpus: usize,
    /// Whether the binary was built with optimisations (debug builds are not representative).
    pub optimized: bool,
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// Per-suite facts.
    pub suites: Vec<SuiteInfo>,
    /// The matrix.
    pub statements: Vec<StatementRow>,
    /// Cells that do not apply.
    pub skipped: Vec<Skipped>,
    /// Peers beside netid's statements.
    pub peers: Vec<PeerRow>,
    /// The IETF BBS sweep over message counts.
    pub sweep: Vec<SweepRow>,
    /// Verifier throughput (filled by the binary when asked; see [`throughput`]).
    #[serde(default)]
    pub throughput: Vec<throughput::ThroughputRow>,
}

impl Report {
    /// The row of `suite` × `statement`.
    pub fn row(&self, suite: SuiteName, statement: Statement) -> Option<&StatementRow> {
        self.statements
            .iter()
            .find(|r| r.suite == suite && r.statement == statement)
    }
}

/// Runs the benchmark as configured, advancing `progress` by one per measurement.
pub fn run(config: &Config, progress: &ProgressBar) -> Result<Report> {
    config.check()?;
    let started = Instant::now();
    progress.set_length(matrix::planned_steps(config));
    progress.set_position(0);
    let mut report = Report {
        version: env!("CARGO_PKG_VERSION").into(),
        config: config.clone(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        optimized: !cfg!(debug_assertions),
        seconds: 0.0,
        suites: Vec::new(),
        statements: Vec::new(),
        skipped: Vec::new(),
        peers: Vec::new(),
        sweep: Vec::new(),
        throughput: Vec::new(),
    };
    matrix::run_matrix(config, progress, &mut report)?;
    peers::run_sweep(config, progress, &mut report)?;
    report.seconds = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    Ok(report)
}
