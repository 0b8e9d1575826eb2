//! `netid-bench`: runs the benchmark matrix (statements × suites), the peers in the same run,
//! the IETF BBS sweep over message counts and the verifier throughput; prints tables and writes
//! `--json`, `--csv` and SVG plots. See `bench/README.md`.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use netid_bench::throughput::{self, ThroughputConfig};
use netid_bench::world::{self, World};
use netid_bench::{output, plot, BenchError, Config, Result, Statement, SuiteName};

/// netid benchmark tool.
#[derive(Debug, Parser)]
#[command(name = "netid-bench", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Short sampling (about a minute on a 2-core machine: 57–66 s measured).
    #[arg(long, conflicts_with = "tiny")]
    quick: bool,
    /// One repetition of everything, no warm-up (a smoke test; numbers are not meaningful).
    #[arg(long)]
    tiny: bool,
    /// Suites to measure (comma-separated).
    #[arg(long, value_delimiter = ',', value_enum)]
    suites: Option<Vec<SuiteName>>,
    /// Statements to measure (comma-separated).
    #[arg(long, value_delimiter = ',', value_enum)]
    statements: Option<Vec<Statement>>,
    /// Message counts of the IETF BBS sweep (comma-separated, 1..=1000).
    #[arg(long, value_delimiter = ',')]
    messages: Option<Vec<usize>>,
    /// Skip the IETF BBS sweep over message counts.
    #[arg(long)]
    no_sweep: bool,
    /// Skip the peers (zkryptium, the plain ark-groth16 floor).
    #[arg(long)]
    no_peers: bool,
    /// Skip the setup measurements (the Groth16 setup takes a while).
    #[arg(long)]
    no_setup: bool,
    /// Directory of the cached Groth16 development keys.
    #[arg(long)]
    key_dir: Option<PathBuf>,
    /// Also prove the full Groth16 presentation with keys imported from a ceremony (the
    /// directory `netid-circuits import-zkey --out DIR` wrote), compared with the development
    /// key in the same run.
    #[arg(long, value_name = "DIR")]
    groth16_keys: Option<PathBuf>,
    /// Write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the report as CSV to this file.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Write SVG plots into this directory.
    #[arg(long, value_name = "DIR")]
    plots: Option<PathBuf>,
    /// Skip the verifier throughput.
    #[arg(long)]
    no_throughput: bool,
    /// Load this running netid-verifier (`http://host:port`) instead of one started in-process.
    #[arg(long, value_name = "URL")]
    verifier: Option<String>,
    /// Presentations per suite in the throughput run.
    #[arg(long, value_name = "N")]
    throughput_count: Option<usize>,
    /// Time bound of each throughput phase per suite, seconds.
    #[arg(long, value_name = "SECONDS")]
    throughput_seconds: Option<f64>,
    /// Concurrent connections of the load generator (default: number of CPUs).
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the benchmark issuer's metadata (`GET /v1/metadata`) and write the benchmark app's
    /// certificate and key, so that an external `netid-verifier` trusts the presentations of
    /// `netid-bench --verifier URL`.
    ServeIssuer {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: String,
        /// Directory to write `app.cert`, `app.key` and `app.apikey` into.
        #[arg(long, default_value = "netid-bench-app")]
        out: PathBuf,
        /// Directory of the cached Groth16 development keys.
        #[arg(long)]
        key_dir: Option<PathBuf>,
    },
    /// Load test: two `netid-verifier` replicas on one Redis at capacity, 50 % and 100 % of it,
    /// then a flood of invalid presentations while honest ones continue (see bench/README.md).
    Load {
        /// Time bound of each of the four phases, seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// The Redis both replicas share (default: `$REDIS_URL`, else redis://127.0.0.1:6379).
        #[arg(long)]
        redis: Option<String>,
        /// The `netid-verifier` binary (default: the one beside `netid-bench`).
        #[arg(long, value_name = "PATH")]
        verifier_bin: Option<PathBuf>,
        /// Invalid presentations offered in the flood, as a multiple of the measured capacity.
        #[arg(long, default_value_t = 10.0)]
        flood_factor: f64,
        /// At most this many honest presentations prepared per phase.
        #[arg(long, default_value_t = 20_000)]
        max_presentations: usize,
        /// Write the report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Directory of the cached Groth16 development keys.
        #[arg(long)]
        key_dir: Option<PathBuf>,
    },
    /// Enrolments/s for one and for two `netid-issuer` replicas on one PostgreSQL database
    /// (see bench/README.md "Issuer enrolment load").
    EnrolLoad {
        /// Time bound of each measured configuration, seconds.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// PostgreSQL server on which the run creates (and drops) a database of its own
        /// (default: `$DATABASE_URL`).
        #[arg(long)]
        database: Option<String>,
        /// The `netid-issuer` binary (default: the one beside `netid-bench`).
        #[arg(long, value_name = "PATH")]
        issuer_bin: Option<PathBuf>,
        /// Concurrent clients (closed loop).
        #[arg(long, default_value_t = 8)]
        connections: usize,
        /// Rounds, each measuring one replica, then two.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// At most this many enrolments prepared per configuration and round.
        #[arg(long, default_value_t = 6000)]
        max_enrolments: usize,
        /// Write the report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
    /// Revocation at scale (specs/revocation.md §11): seals of new revocations on a tree that
    /// holds many, an issuer start, one bucket, the wallet's path, BBS issuance per core, and
    /// the capacity table (see bench/README.md "Revocation at scale").
    Revocation {
        /// Revoked slots in the tree before the measured seals.
        #[arg(long, default_value_t = 1_000_000)]
        revoked: u64,
        /// Sizes of the measured seals, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        seals: Vec<u64>,
        /// Rounds of each seal size.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Slots of the rebuild-by-hashing peer (scaled linearly to --revoked).
        #[arg(long, default_value_t = 100_000)]
        peer_slots: u64,
        /// The SQLite file to build in (must not exist; removed at the end).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Write the report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
}

fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
    {
        pb.set_style(style);
    }
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

fn config(args: &Args) -> Config {
    let mut c = if args.tiny {
        Config::tiny()
    } else if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    if let Some(s) = &args.suites {
        c.suites = s.clone();
    }
    if let Some(s) = &args.statements {
        c.statements = s.clone();
    }
    if let Some(m) = &args.messages {
        c.message_counts = m.clone();
    }
    if args.no_sweep {
        c.message_counts.clear();
    }
    c.peers &= !args.no_peers;
    c.setup &= !args.no_setup;
    if let Some(k) = &args.key_dir {
        c.key_dir = k.clone();
    }
    c.groth16_ceremony_keys = args.groth16_keys.clone();
    c
}

fn throughput_config(args: &Args, c: &Config) -> ThroughputConfig {
    let (count, seconds) = if args.tiny {
        (2, 5.0)
    } else if args.quick {
        (100, 5.0)
    } else {
        (1000, 30.0)
    };
    ThroughputConfig {
        verifier: args.verifier.clone(),
        suites: c.suites.clone(),
        count: args.throughput_count.unwrap_or(count),
        concurrency: args
            .concurrency
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        max_seconds: args.throughput_seconds.unwrap_or(seconds),
    }
}

/// `given`, else the binary `name` in the directory of `netid-bench` itself.
fn beside_me(given: Option<&PathBuf>, name: &str) -> Result<PathBuf> {
    match given {
        Some(p) => Ok(p.clone()),
        None => Ok(std::env::current_exe()
            .map_err(|e| BenchError::Io {
                what: "current executable".into(),
                source: e,
            })?
            .with_file_name(name)),
    }
}

fn run(args: &Args) -> Result<()> {
    if let Some(Command::ServeIssuer {
        listen,
        out,
        key_dir,
    }) = &args.command
    {
        let key_dir = key_dir.clone().unwrap_or_else(Config::default_key_dir);
        return serve_issuer(listen, out, &key_dir);
    }
    if let Some(Command::Revocation {
        revoked,
        seals,
        rounds,
        peer_slots,
        db,
        json,
    }) = &args.command
    {
        if cfg!(debug_assertions) {
            eprintln!("warning: netid-bench was built without optimisations; build with --release");
        }
        let config = netid_bench::revocation::RevocationConfig {
            revoked: *revoked,
            seals: seals.clone(),
            rounds: *rounds,
            peer_slots: *peer_slots,
            db: db.clone().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join(format!("netid-bench-revocation-{}.db", std::process::id()))
            }),
        };
        let started = Instant::now();
        let report = netid_bench::revocation::run(&config, &|m| {
            eprintln!(
                "revocation [{:>6.1} s] {m}",
                started.elapsed().as_secs_f64()
            );
        })?;
        print!("{}", netid_bench::revocation::table(&report));
        if let Some(path) = json {
            output::write_file(path, &serde_json::to_string_pretty(&report)?)?;
        }
        return Ok(());
    }
    if let Some(Command::EnrolLoad {
        seconds,
        database,
        issuer_bin,
        connections,
        rounds,
        max_enrolments,
        json,
    }) = &args.command
    {
        let database = database
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .ok_or_else(|| {
                BenchError::Config(
                    "give --database postgres://USER@HOST/DB (or set DATABASE_URL)".into(),
                )
            })?;
        let config = netid_bench::enrol::EnrolLoadConfig {
            issuer_bin: beside_me(issuer_bin.as_ref(), "netid-issuer")?,
            database,
            seconds: *seconds,
            connections: *connections,
            rounds: *rounds,
            max_enrolments: *max_enrolments,
        };
        let started = Instant::now();
        let report = netid_bench::enrol::run(&config, &|m| {
            eprintln!(
                "enrol-load [{:>5.1} s] {m}",
                started.elapsed().as_secs_f64()
            );
        })?;
        println!("{}", netid_bench::enrol::table(&report));
        if let Some(path) = json {
            output::write_file(path, &serde_json::to_string_pretty(&report)?)?;
        }
        return Ok(());
    }
    if let Some(Command::Load {
        seconds,
        redis,
        verifier_bin,
        flood_factor,
        max_presentations,
        json,
        key_dir,
    }) = &args.command
    {
        let config = netid_bench::load::LoadConfig {
            verifier_bin: beside_me(verifier_bin.as_ref(), "netid-verifier")?,
            redis: redis
                .clone()
                .or_else(|| std::env::var("REDIS_URL").ok())
                .unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            seconds: *seconds,
            flood_factor: *flood_factor,
            max_presentations: *max_presentations,
        };
        let key_dir = key_dir.clone().unwrap_or_else(Config::default_key_dir);
        eprintln!(
            "load: building the benchmark issuer (Groth16 keys from {})",
            key_dir.display()
        );
        let w = World::new(&key_dir)?;
        let started = Instant::now();
        let report = netid_bench::load::run(&config, &w, &|m| {
            eprintln!("load [{:>5.1} s] {m}", started.elapsed().as_secs_f64());
        })?;
        println!("{}", netid_bench::load::table(&report));
        if let Some(path) = json {
            output::write_file(path, &serde_json::to_string_pretty(&report)?)?;
        }
        return Ok(());
    }
    let started = Instant::now();
    let config = config(args);
    let tp = (!args.no_throughput).then(|| throughput_config(args, &config));
    if let Some(t) = &tp {
        // Refuse bad throughput flags before the long matrix run.
        if let Some(url) = &t.verifier {
            throughput::parse_url(url)?;
        }
        if t.count == 0 || t.concurrency == 0 || !(t.max_seconds.is_finite() && t.max_seconds > 0.0)
        {
            return Err(BenchError::Config(
                "throughput count, concurrency and seconds must be positive".into(),
            ));
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: netid-bench was built without optimisations; build with --release");
    }
    let pb = progress_bar(args.no_progress);
    let mut report = netid_bench::run(&config, &pb)?;
    if let Some(t) = tp.filter(|t| !t.suites.is_empty()) {
        let pb = progress_bar(args.no_progress);
        pb.set_length(t.suites.len() as u64);
        pb.set_message("throughput: building the issuers");
        let w = World::new(&config.key_dir)?;
        report.throughput = throughput::run(&t, &w, &pb)?;
        pb.finish_and_clear();
    }
    report.seconds = started.elapsed().as_secs_f64();
    print!("{}", output::to_table(&report));
    if let Some(path) = &args.json {
        output::write_file(path, &output::to_json(&report)?)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.csv {
        output::write_file(path, &output::to_csv(&report))?;
        println!("wrote {}", path.display());
    }
    if let Some(dir) = &args.plots {
        for f in plot::write_plots(&report, dir)? {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
}

fn serve_issuer(listen: &str, out: &std::path::Path, key_dir: &std::path::Path) -> Result<()> {
    let io = |what: String| move |e| BenchError::Io { what, source: e };
    let w = World::new(key_dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let metadata = serde_json::to_string(&w.signed_metadata(now)?)?;
    std::fs::create_dir_all(out).map_err(io(out.display().to_string()))?;
    let cert = out.join("app.cert");
    let key = out.join("app.key");
    let api_key = out.join("app.apikey");
    let app_cert = world::app_certificate()?;
    std::fs::write(&cert, app_cert.to_bytes()).map_err(io(cert.display().to_string()))?;
    std::fs::write(&key, hex::encode(world::APP_KEY_SEED))
        .map_err(io(key.display().to_string()))?;
    std::fs::write(&api_key, world::api_key(&app_cert.app_id)?.expose_secret())
        .map_err(io(api_key.display().to_string()))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io("tokio runtime".into()))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(io(format!("listen {listen}")))?;
        println!(
            "benchmark issuer metadata at http://{listen}/v1/metadata; app certificate and keys in {}\n\
             start the verifier with: netid-verifier --issuer http://{listen} --app-cert {} --app-key {} \
             --app-api-key-file {} --accept-dev-keys",
            out.display(),
            cert.display(),
            key.display(),
            api_key.display()
        );
        let app = axum::Router::new().route(
            "/v1/metadata",
            axum::routing::get(move || {
                let m = metadata.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], m) }
            }),
        );
        axum::serve(listener, app)
            .await
            .map_err(io("serve".into()))
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
