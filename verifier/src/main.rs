//! `netid-verifier`: the verifier HTTP service (see `netid_verifier::service`).
//!
//! ```text
//! netid-verifier --listen 127.0.0.1:8090 --issuer http://127.0.0.1:8080 \
//!     --store redis://127.0.0.1:6379 --app-cert shop.cert --app-key shop.key \
//!     --app-api-key-file shop.apikey --public-url https://verify.shop.example
//! ```
//!
//! Groth16 presentations are verified only under ceremony keys unless `--accept-dev-keys` is
//! given; the verifying key seen at start (or `--groth16-vk-fingerprint`) is pinned. Every flag is
//! also an environment variable (`NETID_VERIFIER_…`, see `--help`). Replicas share one Redis
//! (`--store redis://…`): a request created on one is answered and read on any other.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use ed25519_dalek::SigningKey;
use netid_serve::{serve, shutdown_signal, Limit, ServeLimits};
use netid_verifier::replay::RedisReplayCache;
use netid_verifier::service::system_clock;
use netid_verifier::service::RateLimits;
use netid_verifier::store::connect_redis;
use netid_verifier::{
    fetch_metadata, router, ApiKey, App, KeyPolicy, MemoryRateCounter, MemoryReplayCache,
    MemoryRequestStore, RateCounter, RedisRateCounter, RedisRequestStore, ReplayCache,
    RequestStore, ServiceState, Verifier,
};

/// The netid verifier service.
#[derive(Debug, Parser)]
#[command(name = "netid-verifier", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "NETID_VERIFIER_LISTEN", default_value = "127.0.0.1:8090")]
    listen: String,
    /// Connections served at once; more wait to be accepted. Every connection must send its
    /// request head within 10 s.
    #[arg(long, env = "NETID_VERIFIER_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Behind a proxy: the header in which it writes the client's address (e.g.
    /// `x-forwarded-for`; its last entry counts). Per-client rate limits use it instead of the
    /// peer address, which is the proxy's. Never set it without such a proxy: clients could
    /// then claim any address.
    #[arg(long, env = "NETID_VERIFIER_CLIENT_IP_HEADER", value_name = "HEADER")]
    client_ip_header: Option<String>,
    /// The issuer's base URL (its metadata is fetched from `<URL>/v1/metadata`).
    #[arg(long, env = "NETID_VERIFIER_ISSUER")]
    issuer: String,
    /// Where the requests, their results and the replay cache live: `memory` (this process
    /// only) or a `redis://…` URL shared by all replicas (reconnects after a Redis restart).
    #[arg(
        long,
        env = "NETID_VERIFIER_STORE",
        alias = "replay-cache",
        default_value = "memory"
    )]
    store: String,
    /// App certificate file: the canonical bytes, or the base64url text that the issuer's
    /// `POST /v1/admin/apps` returns in `certificate`.
    #[arg(
        long,
        env = "NETID_VERIFIER_APP_CERT",
        requires = "app_key",
        requires = "app_api_key_file"
    )]
    app_cert: Option<PathBuf>,
    /// App signing key file (32-byte Ed25519 seed, hex).
    #[arg(long, env = "NETID_VERIFIER_APP_KEY", requires = "app_cert")]
    app_key: Option<PathBuf>,
    /// File holding the app's API key (at least 32 printable characters, e.g. 24 random bytes
    /// in hex): the app's backend sends it as `Authorization: Bearer …` to create requests and
    /// read their results. Every replica loads the same one.
    #[arg(
        long,
        env = "NETID_VERIFIER_APP_API_KEY_FILE",
        requires = "app_cert",
        value_name = "FILE"
    )]
    app_api_key_file: Option<PathBuf>,
    /// Public base URL of this service (e.g. `https://verify.shop.example`), put in the
    /// requests' QR codes and, signed, in their `response_uri` (where wallets post); default
    /// `http://<Host header>` of the app's call. Set it with replicas and behind a proxy.
    #[arg(long, env = "NETID_VERIFIER_PUBLIC_URL")]
    public_url: Option<String>,
    /// Requests created per minute per app, counted across replicas in the store (`429
    /// rate_limited` beyond).
    #[arg(
        long,
        env = "NETID_VERIFIER_REQUESTS_PER_APP_PER_MINUTE",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 60_000,
        value_name = "N"
    )]
    requests_per_app_per_minute: u64,
    /// Requests created per minute per client address.
    #[arg(
        long,
        env = "NETID_VERIFIER_REQUESTS_PER_CLIENT_PER_MINUTE",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 600,
        value_name = "N"
    )]
    requests_per_client_per_minute: u64,
    /// Presentations received per minute per client address (generous: carrier-grade NAT puts
    /// many wallets behind one address).
    #[arg(
        long,
        env = "NETID_VERIFIER_PRESENTATIONS_PER_CLIENT_PER_MINUTE",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 6_000,
        value_name = "N"
    )]
    presentations_per_client_per_minute: u64,
    /// Seconds between metadata refreshes.
    #[arg(long, env = "NETID_VERIFIER_REFRESH_SECONDS", default_value_t = 60)]
    refresh_seconds: u64,
    /// Accept the issuer's Groth16 keys even when they are netid's development keys, whose
    /// trapdoor is public (anyone can forge proofs). For demos and tests only; without it the
    /// groth16 suite is off against such an issuer.
    #[arg(long, env = "NETID_VERIFIER_ACCEPT_DEV_KEYS")]
    accept_dev_keys: bool,
    /// Pin the issuer's Groth16 verifying key to this fingerprint (64 hex digits, as
    /// `netid-circuits import-zkey` prints it). Without it the key seen at start is pinned.
    #[arg(
        long,
        env = "NETID_VERIFIER_GROTH16_VK_FINGERPRINT",
        value_name = "HEX"
    )]
    groth16_vk_fingerprint: Option<String>,
    /// Pin the issuer's metadata key (Ed25519 public key, base64url, as the issuer's
    /// `metadata_key`): metadata signed by any other key is refused. Without it the key of the
    /// metadata fetched at start is pinned (first use; its fingerprint is logged).
    #[arg(long, env = "NETID_VERIFIER_ISSUER_METADATA_KEY", value_name = "B64")]
    issuer_metadata_key: Option<String>,
}

fn load_app(cert: &PathBuf, key: &PathBuf) -> Result<App, String> {
    let raw = std::fs::read(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
    // Base64url text (as the issuer's admin API returns it) or the raw bytes.
    let cert = std::str::from_utf8(&raw)
        .ok()
        .map(|t| t.trim().trim_matches('"'))
        .and_then(|t| netid_core::b64::decode(t, "app certificate").ok())
        .unwrap_or(raw);
    let key_hex = std::fs::read_to_string(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let seed: [u8; 32] = hex::decode(key_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the app key file must hold 64 hex digits")?;
    App::new(&cert, SigningKey::from_bytes(&seed)).map_err(|e| e.to_string())
}

async fn run(args: Args) -> Result<(), String> {
    type Shared = (
        Arc<dyn ReplayCache>,
        Arc<dyn RequestStore>,
        Arc<dyn RateCounter>,
    );
    let (replay, requests, counter): Shared = if args.store == "memory" {
        (
            Arc::new(MemoryReplayCache::new()),
            Arc::new(MemoryRequestStore::new()),
            Arc::new(MemoryRateCounter::new()),
        )
    } else if args.store.starts_with("redis://") || args.store.starts_with("rediss://") {
        let conn = connect_redis(&args.store)
            .await
            .map_err(|e| format!("--store: {e}"))?;
        (
            Arc::new(RedisReplayCache::from_connection(
                conn.clone(),
                RedisReplayCache::DEFAULT_PREFIX,
            )),
            Arc::new(RedisRequestStore::from_connection(
                conn.clone(),
                RedisRequestStore::DEFAULT_PREFIX,
            )),
            Arc::new(RedisRateCounter::from_connection(
                conn,
                RedisRateCounter::DEFAULT_PREFIX,
            )),
        )
    } else {
        return Err("--store must be `memory` or a redis:// URL".into());
    };
    let metadata_pin = match &args.issuer_metadata_key {
        Some(k) => Some(
            netid_core::b64::decode_array::<32>(k.trim(), "issuer metadata key")
                .ok()
                .ok_or("--issuer-metadata-key must be a 32-byte key in base64url")?,
        ),
        None => None,
    };
    let metadata = fetch_metadata(&args.issuer)
        .await
        .and_then(|signed| {
            signed
                .open(metadata_pin.as_ref())
                .map_err(netid_verifier::VerifierError::from_metadata)
        })
        .map_err(|e| format!("issuer metadata: {e}"))?;
    {
        use sha2::Digest as _;
        tracing::info!(
            key = %netid_core::b64::encode(metadata.metadata_key.as_slice()),
            fingerprint = %hex::encode(sha2::Sha256::digest(metadata.metadata_key.as_slice())),
            how = if metadata_pin.is_some() { "as configured" } else { "on first use" },
            "issuer metadata key pinned"
        );
    }
    let pin = match &args.groth16_vk_fingerprint {
        Some(h) => Some(
            hex::decode(h.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or("--groth16-vk-fingerprint must be 64 hex digits")?,
        ),
        None => None,
    };
    let policy = KeyPolicy {
        accept_dev_keys: args.accept_dev_keys,
        groth16_vk_pin: pin,
    };
    if args.accept_dev_keys {
        tracing::warn!(
            "--accept-dev-keys: development Groth16 keys are accepted; anyone can forge \
             Groth16 presentations against them (demos and tests only)"
        );
    }
    let verifier = Arc::new(
        Verifier::with_policy(metadata, replay, policy)
            .map_err(|e| e.to_string())?
            .with_request_store(requests)
            .with_catch_up(&args.issuer),
    );
    {
        let keys = verifier.keys();
        match keys.groth16_fingerprint() {
            Some(fp) => tracing::info!(
                fingerprint = %hex::encode(fp),
                setup = keys.metadata().groth16_setup.name(),
                "groth16 suite accepted; verifying key pinned"
            ),
            None => tracing::warn!(
                reason = keys.groth16_refused().unwrap_or("not offered"),
                "groth16 suite not accepted"
            ),
        }
    }
    let (apps, api_key) = match (&args.app_cert, &args.app_key, &args.app_api_key_file) {
        (Some(c), Some(k), Some(f)) => {
            let app = load_app(c, k)?;
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            let key = ApiKey::new(&text).map_err(|e| format!("{}: {e}", f.display()))?;
            (vec![app], Some(key))
        }
        _ => (Vec::new(), None),
    };
    let app_ids: Vec<String> = apps.iter().map(|a| a.app_id().to_owned()).collect();
    // Keep the revocation root and keys fresh.
    let (v, issuer, every) = (
        verifier.clone(),
        args.issuer.clone(),
        Duration::from_secs(args.refresh_seconds.max(1)),
    );
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match v.refresh_from(&issuer).await {
                Ok(()) => tracing::debug!("issuer metadata refreshed"),
                Err(e) => tracing::warn!(error = %e, "issuer metadata refresh failed"),
            }
        }
    });
    let mut state = ServiceState::new(verifier, apps, system_clock()).with_rate_limits(
        RateLimits {
            requests_per_app: Limit::per_minute(args.requests_per_app_per_minute),
            requests_per_client: Limit::per_minute(args.requests_per_client_per_minute),
            presentations_per_client: Limit::per_minute(args.presentations_per_client_per_minute),
        },
        counter,
    );
    if let (Some(id), Some(key)) = (app_ids.first(), &api_key) {
        state = state.with_api_key(id, key).map_err(|e| e.to_string())?;
    }
    if let Some(h) = &args.client_ip_header {
        let h = axum::http::HeaderName::try_from(h.as_str())
            .map_err(|_| format!("--client-ip-header: {h:?} is not a header name"))?;
        state = state.with_client_header(h);
    }
    if let Some(u) = &args.public_url {
        state = state.with_public_url(u);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("listen {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(%addr, "netid-verifier listening (operator page at /)");
    // A line scripts and tests wait for.
    println!("listening on http://{addr}");
    let limits = ServeLimits {
        max_connections: args.max_connections,
        ..ServeLimits::default()
    };
    serve(listener, router(state), limits, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// The log filter when `RUST_LOG` is not set.
const DEFAULT_LOG_FILTER: &str = "info,gr1cs=off";

#[tokio::main]
async fn main() -> ExitCode {
    // arkworks' constraint gadgets open a `gr1cs` span per operation whose fields format the
    // whole constraint system: costly, and useless unless one debugs the circuit.
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
            eprintln!("netid-verifier: {e}");
            ExitCode::FAILURE
        }
    }
}
