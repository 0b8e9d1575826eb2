//! `netid-issuer`: the issuer HTTP service (see `netid_issuer::service`).
//!
//! ```text
//! NETID_ADMIN_TOKEN=$(openssl rand -hex 24) netid-issuer --listen 127.0.0.1:8080 \
//!     --db sqlite://issuer.db --key-dir ./issuer-keys --card-authority <base64url key>
//! netid-issuer --db postgres://netid@db.internal/netid ...   # the scale-out backend
//! netid-issuer init --db postgres://netid@db.internal/netid --key-dir ./issuer-keys
//! ```
//!
//! The first start against an empty database (or `netid-issuer init`) records the fingerprints
//! of the key files in it; every later start, of any replica, checks its key files against them
//! and refuses to start on a mismatch, naming the key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use netid_issuer::evidence::{CodeSender, FileCodeSender, LogCodeSender, TrustedCardAuthorities};
use netid_issuer::server::{
    build, dev_card_authority, spawn_sealer, Groth16Keys, IssuerOptions, KeySource,
};
use netid_issuer::service::{router, AdminToken};
use netid_serve::{serve, shutdown_signal, ServeLimits};

/// The netid issuer service.
#[derive(Debug, Parser)]
#[command(name = "netid-issuer", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, env = "NETID_ISSUER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Connections served at once; more wait to be accepted. Every connection must send its
    /// request head within 10 s.
    #[arg(long, env = "NETID_ISSUER_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Behind a proxy: the header in which it writes the client's address (e.g.
    /// `x-forwarded-for`; its last entry counts). Per-client rate limits use it instead of the
    /// peer address, which is the proxy's. Never set it without such a proxy: clients could
    /// then claim any address.
    #[arg(long, env = "NETID_ISSUER_CLIENT_IP_HEADER", value_name = "HEADER")]
    client_ip_header: Option<String>,
    /// Database: `sqlite://PATH` (embedded default; created if missing, WAL) or
    /// `postgres://USER@HOST/DB` (several replicas may share it).
    #[arg(
        long,
        env = "NETID_ISSUER_DB",
        default_value = "sqlite://netid-issuer.db",
        global = true
    )]
    db: String,
    /// Directory of the issuer's secret key files (created with mode 0700, files 0600).
    #[arg(
        long,
        env = "NETID_ISSUER_KEY_DIR",
        default_value = "netid-issuer-keys",
        global = true
    )]
    key_dir: PathBuf,
    /// Directory of the Groth16 keys imported from a phase-2 ceremony (`netid-circuits
    /// import-zkey final.zkey --out DIR`). Without it (or --dev-groth16-keys) the issuer does
    /// not offer the groth16 suite.
    #[arg(long, env = "NETID_GROTH16_KEYS", conflicts_with = "dev_groth16_keys")]
    groth16_keys: Option<PathBuf>,
    /// Offer the groth16 suite on netid's DEVELOPMENT keys (public trapdoor: anyone can forge
    /// proofs), cached in $NETID_KEY_DIR or the user's data directory. Demos and tests only;
    /// logged as a warning at every start and published as groth16_setup=development.
    #[arg(long)]
    dev_groth16_keys: bool,
    /// Trusted ID-card authority public keys (base64url, comma-separated; repeatable).
    #[arg(
        long = "card-authority",
        env = "NETID_CARD_AUTHORITIES",
        value_delimiter = ','
    )]
    card_authorities: Vec<String>,
    /// Also trust the development card authority that signs the sample cards (never in
    /// production).
    #[arg(long)]
    trust_dev_card_authority: bool,
    /// Admin bearer token (at least 16 characters); admin routes are closed without one.
    #[arg(long, env = "NETID_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Deliver phone codes by appending `<phone> <code>` lines to this file instead of the log
    /// (development).
    #[arg(long, env = "NETID_SMS_OUTBOX")]
    sms_outbox: Option<PathBuf>,
    /// The issuer id published in the metadata.
    #[arg(long, default_value = "netid-issuer")]
    issuer_id: String,
    /// Face-match threshold in [0, 1].
    #[arg(long, default_value_t = 0.8)]
    face_threshold: f32,
    /// Days a credential stays valid.
    #[arg(long, default_value_t = 365)]
    credential_days: u32,
    /// Seconds per revocation epoch (specs/revocation.md §2): a revocation takes effect at the
    /// next boundary. Fixed when the database is first used; tests and demos use seconds.
    #[arg(long, env = "NETID_EPOCH_SECONDS", default_value_t = netid_issuer::DEFAULT_EPOCH_SECS,
          value_parser = clap::value_parser!(u32).range(1..))]
    epoch_seconds: u32,
    /// Grace epochs K (specs/revocation.md §4): verifiers also accept the K epochs before the
    /// current one, so a revocation takes effect within (K+1) epochs.
    #[arg(long, env = "NETID_GRACE_EPOCHS", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(0..=8))]
    grace_epochs: u8,
    /// Epochs whose revocation buckets are kept (the current one included); older ones are
    /// pruned after each seal and answer 410. More than --grace-epochs.
    #[arg(long, env = "NETID_RETAIN_EPOCHS", default_value_t = netid_issuer::DEFAULT_RETAIN_EPOCHS,
          value_parser = clap::value_parser!(u32).range(2..))]
    retain_epochs: u32,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Creates the key files that are missing in --key-dir, and records the fingerprints of
    /// all of them in the database (--db), or checks them against those recorded; prints them
    /// and exits. Needed once for a database that holds enrolments from before fingerprints.
    Init,
}

async fn init(args: &Args) -> Result<(), String> {
    let now = netid_issuer::clock::Clock::now_unix(&netid_issuer::clock::SystemClock);
    let fps = netid_issuer::server::init(&args.db, &args.key_dir, now)
        .await
        .map_err(|e| e.to_string())?;
    for (name, fp) in fps {
        println!("{name} {}", hex::encode(fp));
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    if matches!(args.command, Some(Command::Init)) {
        return init(&args).await;
    }
    let mut authorities = TrustedCardAuthorities::parse_list(&args.card_authorities.join(","))
        .map_err(|e| format!("--card-authority: {e}"))?;
    if args.trust_dev_card_authority {
        tracing::warn!("trusting the development card authority: not for production");
        authorities.push(dev_card_authority().verifying_key());
    }
    if authorities.is_empty() {
        return Err(
            "no trusted card authority: give --card-authority KEY or --trust-dev-card-authority"
                .into(),
        );
    }
    let sender: Arc<dyn CodeSender> = match &args.sms_outbox {
        Some(p) => Arc::new(FileCodeSender::open(p).map_err(|e| format!("--sms-outbox: {e}"))?),
        None => {
            tracing::warn!(
                "no SMS delivery configured: one-time codes reach no one and are never logged \
                 (give --sms-outbox FILE in development)"
            );
            Arc::new(LogCodeSender)
        }
    };
    let admin = match args.admin_token {
        Some(t) => Some(AdminToken::new(t).map_err(|e| format!("--admin-token: {e}"))?),
        None => {
            tracing::warn!("no admin token: the admin routes answer 401");
            None
        }
    };
    let mut opts = IssuerOptions::new(
        args.db.clone(),
        KeySource::Dir(args.key_dir),
        authorities,
        sender,
    );
    opts.groth16 = match (args.groth16_keys, args.dev_groth16_keys) {
        (Some(dir), _) => Groth16Keys::Ceremony(dir),
        (None, true) => Groth16Keys::Development(
            netid_circuits::keys::default_key_dir_or_err().map_err(|e| e.to_string())?,
        ),
        (None, false) => Groth16Keys::None,
    };
    opts.admin_token = admin;
    opts.config.issuer_id = args.issuer_id;
    opts.config.face_threshold = args.face_threshold;
    opts.config.credential_validity_days = args.credential_days;
    opts.config.epoch_secs = args.epoch_seconds;
    opts.config.grace_epochs = args.grace_epochs;
    opts.config.retain_epochs = args.retain_epochs;
    tracing::info!("loading keys and storage");
    let mut state = build(opts).await.map_err(|e| format!("startup: {e}"))?;
    if let Some(h) = &args.client_ip_header {
        let h = axum::http::HeaderName::try_from(h.as_str())
            .map_err(|_| format!("--client-ip-header: {h:?} is not a header name"))?;
        state = state.with_client_header(h);
    }
    let backend = state.issuer().storage().backend();
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("listen {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, backend, "netid-issuer listening");
    // A line scripts and tests wait for.
    println!("listening on http://{addr}");
    let limits = ServeLimits {
        max_connections: args.max_connections,
        ..ServeLimits::default()
    };
    let sealer = spawn_sealer(state.issuer().clone());
    let served = serve(listener, router(state), limits, shutdown_signal()).await;
    sealer.abort();
    served.map_err(|e| e.to_string())
}

/// The log filter when `RUST_LOG` is not set.
const DEFAULT_LOG_FILTER: &str = "info,tower_http=info,gr1cs=off";

#[tokio::main]
async fn main() -> ExitCode {
    // arkworks' gadgets open a `gr1cs` span per operation whose fields format the whole
    // constraint system: at the default level building the circuit would take minutes.
    let from_env = tracing_subscriber::EnvFilter::try_from_default_env().ok();
    let defaulted = from_env.is_none();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(from_env.unwrap_or_else(|| DEFAULT_LOG_FILTER.into()))
        .init();
    if defaulted {
        tracing::info!(
            "log filter {DEFAULT_LOG_FILTER:?} (set RUST_LOG to change it; \
             RUST_LOG=info,gr1cs=trace traces arkworks' circuit gadgets, very slowly)"
        );
    }
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netid-issuer: {e}");
            ExitCode::FAILURE
        }
    }
}
