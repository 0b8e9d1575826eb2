//! Starting an issuer service: open storage, load or create keys, build the [`Issuer`] and its
//! router, listen. Used by the `netid-issuer` binary, by the tests that run a real listening
//! server, and by the in-process demo (`netid-demo`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use netid_circuits::keys::{ProvingKeys, DEV_SEED};

use crate::authority::IssuerSecrets;
use crate::clock::{Clock, SystemClock};
use crate::evidence::{
    CardAuthority, CodeSender, FaceMatcher, SimulatedFaceMatcher, TrustedCardAuthorities,
};
use crate::service::{router, AdminToken, ServiceState};
use crate::storage::{AnyStorage, Storage};
use crate::{Issuer, IssuerConfig, IssuerError, IssuerParts};

pub use netid_core::card::DEV_CARD_AUTHORITY_SEED;

/// The development card authority ([`CardAuthority::development`]).
pub fn dev_card_authority() -> CardAuthority {
    CardAuthority::development()
}

/// Where an issuer's keys come from.
#[derive(Debug)]
pub enum KeySource {
    /// Key files in this directory (created with mode 0700/0600 on first start).
    Dir(PathBuf),
    /// Fresh random keys kept in memory (tests, the demo).
    Ephemeral,
}

/// Where the Groth16 keys come from (specs/groth16.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groth16Keys {
    /// The groth16 suite is not offered (the default: no ceremony keys configured).
    None,
    /// Keys imported from a phase-2 ceremony (`netid-circuits import-zkey --out DIR`).
    Ceremony(PathBuf),
    /// netid's development setup, cached in this directory (created when missing). Its
    /// trapdoor is public: anyone can forge Groth16 proofs. Tests and the demo only.
    Development(PathBuf),
}

/// Everything an issuer service needs.
pub struct IssuerOptions {
    /// `sqlite://PATH`, `sqlite::memory:` or `postgres://…`.
    pub database_url: String,
    /// The issuer's secret keys.
    pub keys: KeySource,
    /// The Groth16 keys (default: none, so the groth16 suite is not offered).
    pub groth16: Groth16Keys,
    /// Trusted ID-card authorities.
    pub card_authorities: TrustedCardAuthorities,
    /// Admin bearer token; admin routes are closed without one.
    pub admin_token: Option<AdminToken>,
    /// Phone code delivery.
    pub code_sender: Arc<dyn CodeSender>,
    /// Face matcher (default: the simulated one).
    pub face_matcher: Box<dyn FaceMatcher>,
    /// Clock (default: the system clock).
    pub clock: Arc<dyn Clock>,
    /// Issuer settings.
    pub config: IssuerConfig,
}

impl core::fmt::Debug for IssuerOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerOptions")
            .field("database", &self.database_url.split('@').next_back())
            .field("keys", &self.keys)
            .field("card_authorities", &self.card_authorities.len())
            .field("admin", &self.admin_token.is_some())
            .finish_non_exhaustive()
    }
}

impl IssuerOptions {
    /// Options with the simulated face matcher, the system clock and default settings.
    pub fn new(
        database_url: impl Into<String>,
        keys: KeySource,
        card_authorities: TrustedCardAuthorities,
        code_sender: Arc<dyn CodeSender>,
    ) -> IssuerOptions {
        IssuerOptions {
            database_url: database_url.into(),
            keys,
            groth16: Groth16Keys::None,
            card_authorities,
            admin_token: None,
            code_sender,
            face_matcher: Box::new(SimulatedFaceMatcher),
            clock: Arc::new(SystemClock),
            config: IssuerConfig::default(),
        }
    }
}

/// Builds the service state: connects (and migrates) the storage, loads or creates keys, loads
/// or creates the Groth16 keys, starts the [`Issuer`].
///
/// # Errors
/// Storage, key and configuration errors.
pub async fn build(opts: IssuerOptions) -> Result<ServiceState<AnyStorage>, IssuerError> {
    if opts.card_authorities.is_empty() {
        return Err(IssuerError::InvalidInput(
            "no trusted card authority configured",
        ));
    }
    let storage = AnyStorage::connect(&opts.database_url).await?;
    let secrets = match &opts.keys {
        KeySource::Dir(dir) => {
            let (s, created) = IssuerSecrets::load_or_generate(dir)?;
            if !created.is_empty() {
                tracing::info!(dir = %dir.display(), files = ?created, "generated new issuer keys");
            }
            s
        }
        KeySource::Ephemeral => IssuerSecrets::generate(),
    };
    check_key_fingerprints(&storage, &secrets, opts.clock.now_unix(), false).await?;
    let g16 = match opts.groth16.clone() {
        Groth16Keys::None => {
            tracing::info!(
                "groth16 suite not offered (no --groth16-keys): BBS suites only; see \
                 specs/groth16.md §7 for the ceremony"
            );
            None
        }
        Groth16Keys::Ceremony(dir) => {
            Some(load_groth16(move || ProvingKeys::load_ceremony_verifier(&dir)).await?)
        }
        Groth16Keys::Development(dir) => Some(
            load_groth16(move || ProvingKeys::load_or_dev_setup_verifier(&dir, DEV_SEED)).await?,
        ),
    };
    let issuer = Issuer::new(
        storage,
        secrets,
        opts.config,
        IssuerParts {
            card_authorities: opts.card_authorities,
            face_matcher: opts.face_matcher,
            code_sender: opts.code_sender,
            clock: opts.clock,
            groth16_vk: g16,
        },
    )
    .await?;
    Ok(ServiceState::new(Arc::new(issuer), opts.admin_token))
}

/// Checks the issuer's keys against the fingerprints recorded in the database (specs/issuer.md
/// §9), recording them when the database has none: at the first start against an empty
/// database, or with `init` (`netid-issuer init`) also against one that holds enrolments from
/// before fingerprints were recorded. Replicas starting at once on an empty database with
/// different keys cannot both record theirs: one live fingerprint per key file, so the second
/// finds the first's and refuses. Returns each key file's name and fingerprint.
///
/// # Errors
/// [`IssuerError::ForeignKey`] naming the first key that does not match,
/// [`IssuerError::KeysNotRecorded`], storage errors.
pub async fn check_key_fingerprints<S: Storage>(
    storage: &S,
    secrets: &IssuerSecrets,
    now: i64,
    init: bool,
) -> Result<Vec<(&'static str, [u8; 32])>, IssuerError> {
    let live = |keys: Vec<crate::storage::IssuerKeyRecord>| {
        keys.into_iter()
            .filter(|k| k.retired_at.is_none())
            .collect::<Vec<_>>()
    };
    let mut recorded = live(storage.issuer_keys().await?);
    let ours = secrets.fingerprints();
    let known = |recorded: &[crate::storage::IssuerKeyRecord]| {
        recorded
            .iter()
            .any(|k| ours.iter().any(|(name, _)| k.purpose == *name))
    };
    if !known(&recorded) {
        if !init && storage.count_persons().await? > 0 {
            return Err(IssuerError::KeysNotRecorded);
        }
        for (name, fp) in ours {
            // A replica recording different keys at the same moment wins or loses per key;
            // the comparison below sorts it out.
            if let Err(e) = storage.record_issuer_key(name, fp, now).await {
                tracing::debug!(error = %e, key = name, "key fingerprint not recorded");
            }
        }
        recorded = live(storage.issuer_keys().await?);
        tracing::info!("issuer key fingerprints recorded in the database");
    }
    for (name, fp) in ours {
        match recorded.iter().find(|k| k.purpose == *name) {
            Some(k) if k.public_key.as_slice() == fp.as_slice() => {}
            Some(_) => return Err(IssuerError::ForeignKey { key: name }),
            None => {
                storage.record_issuer_key(name, fp, now).await?;
            }
        }
    }
    Ok(ours.to_vec())
}

/// `netid-issuer init`: connects (and migrates) the database, loads the key files from `dir`
/// (creating missing ones) and records their fingerprints, or checks them against those
/// already recorded. Returns each key file's name and fingerprint.
///
/// # Errors
/// As [`check_key_fingerprints`]; key file and storage errors.
pub async fn init(
    database_url: &str,
    dir: &std::path::Path,
    now: i64,
) -> Result<Vec<(&'static str, [u8; 32])>, IssuerError> {
    let storage = AnyStorage::connect(database_url).await?;
    let (secrets, created) = IssuerSecrets::load_or_generate(dir)?;
    if !created.is_empty() {
        tracing::info!(dir = %dir.display(), files = ?created, "generated new issuer keys");
    }
    check_key_fingerprints(&storage, &secrets, now, true).await
}

/// Loads Groth16 keys off the async workers, logs their fingerprint (and a warning for
/// development keys), and returns the verifying key.
async fn load_groth16(
    load: impl FnOnce() -> netid_circuits::Result<netid_circuits::keys::VerifierKey> + Send + 'static,
) -> Result<netid_circuits::keys::VerifierKey, IssuerError> {
    let keys = tokio::task::spawn_blocking(load)
        .await
        .map_err(|_| IssuerError::Key {
            what: "Groth16 key loading task failed",
            source: None,
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "Groth16 keys");
            IssuerError::Key {
                what: "Groth16 keys cannot be loaded (see the log)",
                source: None,
            }
        })?;
    let fingerprint = keys.fingerprint().map(hex::encode).unwrap_or_default();
    if keys.is_development() {
        tracing::warn!(
            %fingerprint,
            "DEVELOPMENT Groth16 keys (--dev-groth16-keys): their trapdoor is public, anyone can \
             forge Groth16 presentations; the metadata says groth16_setup=development. Never in \
             production."
        );
    } else {
        tracing::info!(%fingerprint, "Groth16 ceremony keys loaded");
    }
    Ok(keys)
}

/// The sealer (specs/revocation.md §3) on a background task: every second (four times an
/// epoch, when epochs are shorter than 4 s) it calls [`Issuer::seal_due`], which seals when
/// the clock has passed a boundary. Every replica runs one; the database lets one seal each
/// epoch. Aborting the task mid-seal rolls the seal's transaction back, and the next sealer
/// completes the same epoch.
pub fn spawn_sealer<S: Storage + 'static>(issuer: Arc<Issuer<S>>) -> tokio::task::JoinHandle<()> {
    let length_ms = u64::from(issuer.schedule().length()).saturating_mul(1000);
    let period = std::time::Duration::from_millis((length_ms / 4).clamp(100, 1000));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = issuer.seal_due().await {
                tracing::warn!(error = %e, "sealing the epoch failed; trying again");
            }
        }
    })
}

/// A running service on a background task, with its sealer.
#[derive(Debug)]
pub struct RunningIssuer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The service state (shares the issuer with the server).
    pub state: ServiceState<AnyStorage>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    sealer: tokio::task::JoinHandle<()>,
}

impl RunningIssuer {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the sealer and accepting, finishes requests in flight, and waits for the server
    /// task.
    pub async fn shutdown(mut self) {
        self.sealer.abort();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningIssuer {
    fn drop(&mut self) {
        self.sealer.abort();
    }
}

/// Serves `state` on `listen` (e.g. `127.0.0.1:0`) on a background task, with its sealer
/// ([`spawn_sealer`]).
///
/// # Errors
/// [`IssuerError::InvalidInput`] if the address cannot be bound.
pub async fn spawn(
    state: ServiceState<AnyStorage>,
    listen: &str,
) -> Result<RunningIssuer, IssuerError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|_| IssuerError::InvalidInput("cannot listen on that address"))?;
    let addr = listener
        .local_addr()
        .map_err(|_| IssuerError::InvalidInput("cannot listen on that address"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let sealer = spawn_sealer(state.issuer().clone());
    let app = router(state.clone());
    let task = tokio::spawn(async move {
        let limits = netid_serve::ServeLimits::default();
        let _ = netid_serve::serve(listener, app, limits, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(RunningIssuer {
        addr,
        state,
        shutdown: Some(tx),
        task,
        sealer,
    })
}
