//! `netid-bench revocation`: the measurements of specs/revocation.md §11 on the issuer's real
//! storage (SQLite, a file of its own): sealing batches of new revocations into a tree that
//! already holds many, an issuer start over that tree, building one bucket, the wallet's path
//! from a bucket, and BBS issuance per core, with a peer for each where one exists:
//!
//! - start: reading the stored root, against rebuilding the tree in memory by hashing (what
//!   the issuer did before the tree was stored), measured on `peer_slots` slots and scaled
//!   linearly to the same number of slots (the rebuild costs 32 hashes per slot);
//! - the wallet's path from a bucket, against checking a 32-sibling path (the native check the
//!   prover runs anyway).
//!
//! Revoked slots are drawn uniformly from `0..2^31` (10^9 holders with about 1.3 devices each
//! over their life, §7) with a fixed seed, so runs are comparable.

use std::path::{Path, PathBuf};
use std::time::Instant;

use netid_bbs::netid::NetidBbs;
use netid_circuits::gadgets::merkle::{path_from_bucket, RevocationTree, LIVE, UPPER};
use netid_circuits::presentation::fr_from_bytes;
use netid_core::issuer_api::{decode_revoked_offsets, encode_revoked_offsets};
use netid_issuer::storage::{SqliteStorage, Storage};
use rand_core_06::{RngCore as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

use crate::stats::{fmt_ms, Stats};
use crate::world::{credential, BbsIssuer};
use crate::{BenchError, Result};

/// What to measure.
#[derive(Clone, Debug)]
pub struct RevocationConfig {
    /// Revoked slots in the tree before the measured seals.
    pub revoked: u64,
    /// Sizes of the measured seals (new revocations each).
    pub seals: Vec<u64>,
    /// Rounds of each seal size (the median is reported).
    pub rounds: usize,
    /// Slots of the in-memory rebuild peer (scaled to `revoked`).
    pub peer_slots: u64,
    /// The SQLite file to build in (created; removed at the end unless kept).
    pub db: PathBuf,
}

/// One seal size.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SealRow {
    /// New revocations sealed at once.
    pub new: u64,
    /// Revoked slots in the tree before the first of these seals.
    pub tree_before: u64,
    /// Time of one seal.
    pub seal: Stats,
}

/// One line of the capacity table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CapacityRow {
    /// Holders, each with a credential of both BBS suites.
    pub holders: f64,
    /// Epoch length, hours.
    pub epoch_hours: f64,
    /// Wallet refreshes per second, on average.
    pub refreshes_per_s: f64,
    /// Cores busy with BBS issuance on average.
    pub cores_average: f64,
    /// Cores at the busiest (refreshes fall in each epoch's first half, §6).
    pub cores_peak: f64,
}

/// The measurements.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevocationReport {
    /// Revoked slots before the measured seals.
    pub revoked: u64,
    /// The first seal of all of them at once (one sample: an import, or the hashing after the
    /// upgrade that stores the tree).
    pub first_seal: Stats,
    /// Rows in `rev_nodes` after it.
    pub stored_nodes: u64,
    /// The measured seals.
    pub seals: Vec<SealRow>,
    /// Opening the storage and reading the epoch and its root: an issuer start.
    pub start: Stats,
    /// The peer: rebuilding the tree by hashing, on `peer_slots` slots.
    pub rebuild_peer: Stats,
    /// Slots of the peer.
    pub peer_slots: u64,
    /// The peer scaled to `revoked` slots, milliseconds.
    pub rebuild_scaled_ms: f64,
    /// Building one bucket (log range + 16 stored nodes) and encoding its offsets.
    pub bucket_build: Stats,
    /// Median size of an encoded bucket body's offsets, bytes.
    pub bucket_offsets_bytes: usize,
    /// The wallet's path from a bucket: decoding, hashing, checking the root.
    pub wallet_path: Stats,
    /// The peer: checking a 32-sibling path.
    pub path_check_peer: Stats,
    /// BBS issuance (commitment check and blind signature) per suite.
    pub bbs_issue: Vec<(String, Stats)>,
    /// Wallet refreshes (one credential of each BBS suite) per second and core.
    pub refreshes_per_core_s: f64,
    /// Capacity from it.
    pub capacity: Vec<CapacityRow>,
}

fn stats(samples: &[f64]) -> Result<Stats> {
    Stats::from_samples(samples).ok_or(BenchError::Internal("no samples".into()))
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn issuer_err(e: netid_issuer::IssuerError) -> BenchError {
    BenchError::Internal(format!("issuer storage: {e}"))
}

/// `n` new slots from `rng`, uniform in `0..2^31` (duplicates of earlier draws are skipped by
/// the log, which counts only new ones).
fn draw(rng: &mut rand_chacha::ChaCha20Rng, n: u64) -> Vec<u32> {
    (0..n).map(|_| rng.next_u32() >> 1).collect()
}

async fn log_all<S: Storage>(s: &S, slots: &[u32]) -> Result<u64> {
    let mut added = 0;
    for chunk in slots.chunks(50_000) {
        added += s.log_revocations(chunk, 0).await.map_err(issuer_err)?;
    }
    Ok(added)
}

/// Seals everything logged (at time 0) into the next epoch, as the sealer does at a boundary.
async fn seal_next<S: Storage>(s: &S) -> Result<()> {
    let next = s.epoch().await.map_err(issuer_err)? + 1;
    s.seal_epoch(next, 1, &record_signer()?)
        .await
        .map_err(issuer_err)?
        .ok_or_else(|| BenchError::Internal(format!("epoch {next} was not sealed")))?;
    Ok(())
}

/// A real issuer's epoch-record signer: each seal signs its record (an Ed25519 signature and
/// the epoch's two BBS public keys), as the issuer's does.
fn record_signer() -> Result<netid_issuer::RecordSigner<'static>> {
    static SECRETS: std::sync::OnceLock<netid_issuer::authority::IssuerSecrets> =
        std::sync::OnceLock::new();
    let schedule = netid_issuer::storage::EpochSchedule::new(0, 1)
        .ok_or_else(|| BenchError::Internal("epoch schedule".into()))?;
    Ok(netid_issuer::RecordSigner::new(
        SECRETS.get_or_init(netid_issuer::authority::IssuerSecrets::generate),
        schedule,
    ))
}

async fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        // Absent files are fine.
        let _ = tokio::fs::remove_file(PathBuf::from(p)).await;
    }
}

/// Runs the measurements, reporting progress through `progress`.
///
/// # Errors
/// Storage errors; [`BenchError::Config`] for an existing database file or empty sizes.
pub fn run(config: &RevocationConfig, progress: &dyn Fn(&str)) -> Result<RevocationReport> {
    if config.revoked == 0 || config.rounds == 0 || config.seals.contains(&0) {
        return Err(BenchError::Config(
            "revoked, rounds and seal sizes must be positive".into(),
        ));
    }
    if config.db.exists() {
        return Err(BenchError::Config(format!(
            "{} exists; the benchmark builds a database of its own",
            config.db.display()
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| BenchError::Internal(e.to_string()))?;
    let out = rt.block_on(measure(config, progress));
    rt.block_on(remove_db(&config.db));
    out
}

async fn measure(config: &RevocationConfig, progress: &dyn Fn(&str)) -> Result<RevocationReport> {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(16);
    let s = SqliteStorage::open(&config.db).await.map_err(issuer_err)?;
    progress(&format!("logging {} revoked slots", config.revoked));
    let first = draw(&mut rng, config.revoked);
    let mut revoked = log_all(&s, &first).await?;
    progress(&format!("sealing {revoked} slots at once"));
    let t = Instant::now();
    seal_next(&s).await?;
    let first_seal = stats(&[ms_since(t)])?;
    progress(&format!("first seal: {}", first_seal.display()));
    let stored_nodes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rev_nodes")
        .fetch_one(s.pool())
        .await
        .map_err(|e| BenchError::Internal(e.to_string()))?;

    let mut seals = Vec::new();
    for &new in &config.seals {
        let tree_before = revoked;
        let mut samples = Vec::new();
        for round in 0..config.rounds {
            revoked += log_all(&s, &draw(&mut rng, new)).await?;
            let t = Instant::now();
            seal_next(&s).await?;
            samples.push(ms_since(t));
            progress(&format!(
                "seal of {new} on {tree_before}+: round {} {}",
                round + 1,
                fmt_ms(samples[samples.len() - 1])
            ));
        }
        seals.push(SealRow {
            new,
            tree_before,
            seal: stats(&samples)?,
        });
    }
    s.close().await;

    progress("issuer start: open, epoch, root");
    let mut samples = Vec::new();
    for _ in 0..config.rounds.max(5) {
        let t = Instant::now();
        let s = SqliteStorage::open(&config.db).await.map_err(issuer_err)?;
        let e = s.epoch().await.map_err(issuer_err)?;
        s.revocation_root(e).await.map_err(issuer_err)?;
        samples.push(ms_since(t));
        s.close().await;
    }
    let start = stats(&samples)?;
    let peer_slots = config.peer_slots.min(config.revoked).max(1);
    progress(&format!(
        "peer: rebuilding a tree of {peer_slots} slots by hashing"
    ));
    let peer_draw = &first[..usize::try_from(peer_slots).unwrap_or(first.len())];
    let mut samples = Vec::new();
    let mut peer_tree = RevocationTree::new();
    for _ in 0..config.rounds.min(3) {
        let t = Instant::now();
        peer_tree = RevocationTree::from_revoked(peer_draw.iter().map(|&x| u64::from(x)))?;
        samples.push(ms_since(t));
    }
    let rebuild_peer = stats(&samples)?;
    let rebuild_scaled_ms =
        rebuild_peer.median_ms * config.revoked as f64 / peer_draw.len().max(1) as f64;

    progress("buckets: building, and the wallet's path from each");
    let s = SqliteStorage::open(&config.db).await.map_err(issuer_err)?;
    let e = s.epoch().await.map_err(issuer_err)?;
    let root = fr_from_bytes(&s.revocation_root(e).await.map_err(issuer_err)?, "root")?;
    let mut build = Vec::new();
    let mut wallet = Vec::new();
    let mut sizes = Vec::new();
    for i in 0..(config.rounds * 20) {
        // A live slot in a populated bucket (the slots drawn are below 2^31: buckets < 2^15).
        let slot = loop {
            let x = rng.next_u32() >> 1;
            if !first.contains(&x) {
                break x;
            }
        };
        let b = u64::from(slot >> 16);
        let t = Instant::now();
        let bucket = s.revocation_bucket(e, b).await.map_err(issuer_err)?;
        let encoded = encode_revoked_offsets(&bucket.revoked);
        build.push(ms_since(t));
        sizes.push(encoded.len());
        let t = Instant::now();
        let offsets = decode_revoked_offsets(&encoded)?;
        let upper: Vec<_> = bucket
            .upper
            .iter()
            .map(|u| fr_from_bytes(u, "sibling"))
            .collect::<std::result::Result<_, _>>()?;
        let upper: [_; UPPER] = upper
            .try_into()
            .map_err(|_| BenchError::Internal("sibling count".into()))?;
        let path = path_from_bucket(u64::from(slot), &offsets, &upper)?;
        let ok = path.root(u64::from(slot), LIVE) == root;
        wallet.push(ms_since(t));
        if !ok
            && !bucket
                .revoked
                .contains(&u16::try_from(slot & 0xffff).unwrap_or(0))
        {
            return Err(BenchError::Internal(format!(
                "the bucket of slot {slot} does not lead to the root (round {i})"
            )));
        }
    }
    s.close().await;
    sizes.sort_unstable();
    let peer_path = peer_tree.path(u64::from(first[0]) ^ 1)?;
    let peer_root = peer_tree.root();
    let mut check = Vec::new();
    for _ in 0..(config.rounds * 20) {
        let t = Instant::now();
        let ok = peer_path.root(u64::from(first[0]) ^ 1, LIVE) == peer_root;
        check.push(ms_since(t));
        std::hint::black_box(ok);
    }

    progress("BBS issuance per core");
    let attrs = credential()?;
    let mut bbs_issue = Vec::new();
    let mut per_refresh_ms = 0.0;
    for (name, suite) in [
        ("bbs-sha256", netid_bbs::Ciphersuite::Sha256),
        ("bbs-shake256", netid_bbs::Ciphersuite::Shake256),
    ] {
        let issuer = BbsIssuer::new(suite, &attrs)?;
        let bbs = NetidBbs::new(suite);
        let mut samples = Vec::new();
        for _ in 0..(config.rounds * 20) {
            let t = Instant::now();
            std::hint::black_box(bbs.issue(&issuer.sk, &issuer.pk, &attrs, &issuer.commitment)?);
            samples.push(ms_since(t));
        }
        let st = stats(&samples)?;
        per_refresh_ms += st.median_ms;
        bbs_issue.push((name.to_owned(), st));
    }
    let refreshes_per_core_s = 1e3 / per_refresh_ms;
    let capacity = [(1e8, 24.0), (1e9, 24.0), (1e9, 1.0)]
        .into_iter()
        .map(|(holders, epoch_hours)| {
            let refreshes_per_s = holders / (epoch_hours * 3600.0);
            let cores_average = refreshes_per_s / refreshes_per_core_s;
            CapacityRow {
                holders,
                epoch_hours,
                refreshes_per_s,
                cores_average,
                cores_peak: 2.0 * cores_average,
            }
        })
        .collect();
    Ok(RevocationReport {
        revoked,
        first_seal,
        stored_nodes: u64::try_from(stored_nodes).unwrap_or(0),
        seals,
        start,
        rebuild_peer,
        peer_slots: peer_draw.len() as u64,
        rebuild_scaled_ms,
        bucket_build: stats(&build)?,
        bucket_offsets_bytes: sizes[sizes.len() / 2],
        wallet_path: stats(&wallet)?,
        path_check_peer: stats(&check)?,
        bbs_issue,
        refreshes_per_core_s,
        capacity,
    })
}

/// The report as a terminal table.
pub fn table(r: &RevocationReport) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "revocation, SQLite, {} revoked slots before the measured seals",
        r.revoked_before()
    ));
    line(format!(
        "  first seal of all of them      {}   ({} stored nodes)",
        r.first_seal.display(),
        r.stored_nodes
    ));
    for s in &r.seals {
        line(format!(
            "  seal of {:>7} new            {}   (tree of {}+)",
            s.new,
            s.seal.display(),
            s.tree_before
        ));
    }
    line(format!(
        "  issuer start (open, root)      {}   peer: rebuild by hashing {} ({} slots), scaled to {}: {} → ×{:.0}",
        r.start.display(),
        r.rebuild_peer.display(),
        r.peer_slots,
        r.revoked_before(),
        fmt_ms(r.rebuild_scaled_ms),
        r.rebuild_scaled_ms / r.start.median_ms.max(1e-9)
    ));
    line(format!(
        "  bucket build                   {}   (offsets {} bytes, median)",
        r.bucket_build.display(),
        r.bucket_offsets_bytes
    ));
    line(format!(
        "  wallet path from a bucket      {}   peer: 32-sibling path check {} → ×{:.1}",
        r.wallet_path.display(),
        r.path_check_peer.display(),
        r.wallet_path.median_ms / r.path_check_peer.median_ms.max(1e-9)
    ));
    for (name, s) in &r.bbs_issue {
        line(format!("  BBS issuance {name:<14}    {}", s.display()));
    }
    line(format!(
        "  wallet refreshes (both BBS suites) per core: {:.0}/s",
        r.refreshes_per_core_s
    ));
    line("  capacity: holders × epoch → refreshes/s, cores (average, peak)".into());
    for c in &r.capacity {
        line(format!(
            "    {:.0e} × {} h → {:.0}/s, {:.1} cores, {:.1} at peak",
            c.holders, c.epoch_hours, c.refreshes_per_s, c.cores_average, c.cores_peak
        ));
    }
    out
}

impl RevocationReport {
    fn revoked_before(&self) -> u64 {
        self.seals.first().map_or(self.revoked, |s| s.tree_before)
    }
}
