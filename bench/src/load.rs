//! `netid-bench load`: two `netid-verifier` replicas on one Redis, loaded over loopback.
//!
//! The run starts the benchmark issuer's metadata in-process, writes the benchmark app's
//! certificate and keys, and spawns two `netid-verifier` processes sharing `--store redis://…`
//! (`--client-ip-header x-forwarded-for`, so that every simulated client has its own address
//! and the per-address rate limits count clients, not the load generator). Requests are created
//! on one replica with the app's API key and answered on the other (cross-replica, as behind a
//! load balancer). Presentations are `bbs-sha256`, the `full` statement. Four phases, each
//! bounded by `seconds` and by the presentations prepared for it:
//!
//! 1. **capacity**: eight keep-alive connections post presentations as fast as the replicas
//!    answer; the verified rate is the capacity `C`;
//! 2. **50 %**: presentations offered open-loop at `C/2` per second (each at its scheduled time,
//!    on its own connection, from its own address), latency p50/p99;
//! 3. **100 %**: the same at `C`;
//! 4. **flood**: honest presentations at `C/2` as in phase 2, while invalid presentations are
//!    offered at `flood_factor × C` from a pool of connections, each from its own address,
//!    in three kinds: a proof naming an unknown request (a guessed id), a malformed body, and a
//!    corrupted proof for one of 64 real requests whose ids the attacker saw (their QR codes).
//!    The report gives the honest p99 against phase 2's, the honest presentations lost (never
//!    answered `200`), the invalid ones' answers by status, both replicas' resident memory
//!    before and after, and whether both replicas still run.
//!
//! Honest clients behave like wallets: a `503` or `429` is retried after its `Retry-After`
//! (at most 1 s, at most 5 tries), and the latency includes the wait. The load generator, the
//! two replicas and Redis share the machine's cores; on a 2-core machine the rates are what
//! that whole system does, not what one verifier does alone.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use hyper::{header, StatusCode};
use netid_verifier::service::CreatedRequest;
use serde::{Deserialize, Serialize};

use crate::throughput::{connect, create_body, percentile, prove, runtime, send, Target};
use crate::world::{self, World};
use crate::{BenchError, Result, SuiteName};

/// What the load run does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadConfig {
    /// The `netid-verifier` binary.
    pub verifier_bin: PathBuf,
    /// The Redis both replicas share.
    pub redis: String,
    /// Time bound of each phase, seconds.
    pub seconds: f64,
    /// Invalid presentations offered in the flood, as a multiple of the capacity.
    pub flood_factor: f64,
    /// At most this many honest presentations prepared per phase.
    pub max_presentations: usize,
}

impl LoadConfig {
    fn check(&self) -> Result<()> {
        if !(0.5..=600.0).contains(&self.seconds) {
            return Err(BenchError::Config("--seconds must be 0.5..=600".into()));
        }
        if !(1.0..=100.0).contains(&self.flood_factor) {
            return Err(BenchError::Config("--flood-factor must be 1..=100".into()));
        }
        if self.max_presentations == 0 || self.max_presentations > 100_000 {
            return Err(BenchError::Config(
                "--max-presentations must be 1..=100000".into(),
            ));
        }
        if !self.redis.starts_with("redis://") {
            return Err(BenchError::Config("--redis must be a redis:// URL".into()));
        }
        if !self.verifier_bin.is_file() {
            return Err(BenchError::Config(format!(
                "{} not found: build it (`cargo build --release -p netid-verifier`) or pass \
                 --verifier-bin",
                self.verifier_bin.display()
            )));
        }
        Ok(())
    }
}

/// One phase of honest presentations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseRow {
    /// Phase name.
    pub phase: String,
    /// Offered rate, presentations per second (0: as fast as answered).
    pub offered_per_second: f64,
    /// Presentations sent.
    pub sent: usize,
    /// Answered `200`.
    pub verified: usize,
    /// Never answered `200` (after a wallet's retries).
    pub lost: usize,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Verified per second.
    pub per_second: f64,
    /// Latency percentiles, milliseconds (retries included).
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// The flood phase beyond its honest row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FloodRow {
    /// Invalid presentations offered per second (`flood_factor × capacity`).
    pub offered_per_second: f64,
    /// Invalid presentations sent.
    pub sent: usize,
    /// Achieved invalid rate, per second.
    pub per_second: f64,
    /// Their answers by HTTP status (0: transport error).
    pub answers: BTreeMap<u16, usize>,
    /// Honest p99 in the flood over honest p99 at 50 % without it.
    pub p99_ratio: f64,
    /// Resident memory of each replica before the flood, KiB.
    pub rss_before_kib: Vec<u64>,
    /// Resident memory of each replica after the flood, KiB.
    pub rss_after_kib: Vec<u64>,
    /// Both replicas still running after the flood.
    pub replicas_alive: bool,
}

/// The whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Capacity, 50 %, 100 %, and honest traffic during the flood.
    pub phases: Vec<PhaseRow>,
    /// The flood.
    pub flood: FloodRow,
}

/// A spawned service replica (killed on drop).
pub(crate) struct Replica {
    child: Child,
    pub(crate) target: Target,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Replica {
    fn spawn(cfg: &LoadConfig, issuer: &str, dir: &Path) -> Result<Replica> {
        let mut cmd = Command::new(&cfg.verifier_bin);
        cmd.args(["--listen", "127.0.0.1:0", "--issuer", issuer])
            .args(["--store", &cfg.redis, "--accept-dev-keys"])
            .args(["--client-ip-header", "x-forwarded-for"])
            .args(["--refresh-seconds", "3600"])
            .arg("--app-cert")
            .arg(dir.join("app.cert"))
            .arg("--app-key")
            .arg(dir.join("app.key"))
            .arg("--app-api-key-file")
            .arg(dir.join("app.apikey"));
        Replica::start(cmd)
    }

    /// Starts `cmd` (a `netid-issuer` or `netid-verifier` listening on port 0) and waits for
    /// its `listening on http://…` line. The rest of its standard output is read and dropped
    /// by a thread, so that the service never blocks or fails on a full or closed pipe.
    pub(crate) fn start(mut cmd: Command) -> Result<Replica> {
        let what = cmd.get_program().to_string_lossy().into_owned();
        let mut child = cmd
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| BenchError::Io {
                what: what.clone(),
                source: e,
            })?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| BenchError::Internal(format!("no stdout from {what}")))?;
        let mut out = BufReader::new(out);
        let mut line = String::new();
        let read = out.read_line(&mut line).map_err(|e| BenchError::Io {
            what: format!("{what} stdout"),
            source: e,
        });
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .map(str::to_owned);
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            read?;
            return Err(BenchError::Http(format!("{what} did not start: {line:?}")));
        };
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Ok(Replica {
            child,
            target: Target {
                addr: addr.clone(),
                host: addr,
            },
        })
    }

    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// CPU time the process has used, user and system, seconds (0 where /proc is not
    /// readable; Linux counts it in USER_HZ = 100 ticks per second).
    pub(crate) fn cpu_seconds(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|s| {
                // Fields after the command name (which may hold spaces) in parentheses.
                let rest = s.get(s.rfind(')')? + 2..)?;
                let f: Vec<&str> = rest.split_whitespace().collect();
                let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
                Some(ticks as f64 / 100.0)
            })
            .unwrap_or(0.0)
    }

    /// Resident memory, KiB (0 where /proc is not readable).
    pub(crate) fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(0)
    }
}

/// A distinct client address for the `n`th simulated client (`x-forwarded-for`).
pub(crate) fn client(kind: u8, n: usize) -> String {
    format!("10.{kind}.{}.{}", (n >> 8) & 0xff, n & 0xff)
}

/// Creates `n` requests, alternately on each replica (from distinct addresses); returns each
/// request with the index of the replica that did *not* create it (where it is answered).
fn create_requests(
    rt: &tokio::runtime::Runtime,
    replicas: &[Target; 2],
    n: usize,
    counter: &AtomicUsize,
) -> Result<Vec<(CreatedRequest, usize)>> {
    let key = world::api_key(&world::app_id(SuiteName::BbsSha256.core()))?;
    let body = create_body(SuiteName::BbsSha256)?;
    rt.block_on(async {
        let mut senders = [connect(&replicas[0]).await?, connect(&replicas[1]).await?];
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let on = i % 2;
            let from = client(1, counter.fetch_add(1, Ordering::Relaxed));
            let (status, _, b) = send(
                &mut senders[on],
                &replicas[on],
                "/v1/requests",
                body.clone(),
                Some(&from),
                Some(key.expose_secret()),
            )
            .await?;
            if status != StatusCode::CREATED {
                return Err(BenchError::Http(format!(
                    "POST /v1/requests answered {status}: {}",
                    String::from_utf8_lossy(&b)
                )));
            }
            out.push((serde_json::from_slice(&b)?, 1 - on));
        }
        Ok(out)
    })
}

/// `n` honest presentations, each with the replica to post it to.
fn prepare(
    rt: &tokio::runtime::Runtime,
    w: &World,
    replicas: &[Target; 2],
    n: usize,
    counter: &AtomicUsize,
) -> Result<Vec<(Bytes, usize)>> {
    create_requests(rt, replicas, n, counter)?
        .into_iter()
        .map(|(c, on)| {
            let p = prove(w, SuiteName::BbsSha256, &c)?;
            Ok((Bytes::from(serde_json::to_vec(&p)?), on))
        })
        .collect()
}

/// One honest presentation as a wallet sends it: its own connection, retries on 503/429.
/// Latency in ms from `scheduled`, or `None` when never accepted.
async fn honest(target: Target, body: Bytes, from: String, scheduled: Instant) -> Option<f64> {
    for _ in 0..5 {
        let mut s = connect(&target).await.ok()?;
        match send(
            &mut s,
            &target,
            "/v1/presentations",
            body.clone(),
            Some(&from),
            None,
        )
        .await
        {
            Ok((StatusCode::OK, _, _)) => return Some(scheduled.elapsed().as_secs_f64() * 1e3),
            Ok((StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS, retry, _)) => {
                let wait = retry.unwrap_or(1).min(1);
                tokio::time::sleep(Duration::from_secs(wait)).await;
            }
            _ => return None,
        }
    }
    None
}

fn row(phase: &str, offered: f64, sent: usize, mut lat: Vec<f64>, seconds: f64) -> PhaseRow {
    lat.sort_by(f64::total_cmp);
    PhaseRow {
        phase: phase.into(),
        offered_per_second: offered,
        sent,
        verified: lat.len(),
        lost: sent - lat.len(),
        seconds,
        per_second: if seconds > 0.0 {
            lat.len() as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile(&lat, 50.0),
        p99_ms: percentile(&lat, 99.0),
        max_ms: lat.last().copied().unwrap_or(0.0),
    }
}

/// Offers `bodies` open-loop at `rate` per second; waits for every answer.
async fn open_loop(
    replicas: &[Target; 2],
    bodies: Vec<(Bytes, usize)>,
    rate: f64,
    counter: &AtomicUsize,
) -> (usize, Vec<f64>, f64) {
    let start = Instant::now();
    let sent = bodies.len();
    let mut tasks = Vec::with_capacity(sent);
    for (i, (body, on)) in bodies.into_iter().enumerate() {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at.into()).await;
        let from = client(2, counter.fetch_add(1, Ordering::Relaxed));
        tasks.push(tokio::spawn(honest(replicas[on].clone(), body, from, at)));
    }
    let mut lat = Vec::with_capacity(sent);
    for t in tasks {
        if let Ok(Some(ms)) = t.await {
            lat.push(ms);
        }
    }
    (sent, lat, start.elapsed().as_secs_f64())
}

/// Closed loop over eight keep-alive connections: (sent, latencies, seconds).
async fn closed_loop(
    replicas: &[Target; 2],
    bodies: Vec<(Bytes, usize)>,
    bound: Duration,
) -> Result<(usize, Vec<f64>, f64)> {
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let sent = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..8usize {
        let (queue, sent) = (Arc::clone(&queue), Arc::clone(&sent));
        let target = replicas[k % 2].clone();
        let mut s = connect(&target).await?;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while start.elapsed() < bound {
                // Each worker posts to its own replica: take a body meant for either.
                let Some((body, _)) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                    break;
                };
                sent.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let from = client(3, k);
                if let Ok((StatusCode::OK, _, _)) = send(
                    &mut s,
                    &target,
                    "/v1/presentations",
                    body,
                    Some(&from),
                    None,
                )
                .await
                {
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                } else if let Ok(c) = connect(&target).await {
                    s = c;
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(
            t.await
                .map_err(|e| BenchError::Internal(format!("load task: {e}")))?,
        );
    }
    Ok((
        sent.load(Ordering::Relaxed),
        lat,
        start.elapsed().as_secs_f64(),
    ))
}

/// The attacker's bodies: cycled through by the flood workers.
fn invalid_bodies(
    rt: &tokio::runtime::Runtime,
    w: &World,
    replicas: &[Target; 2],
    counter: &AtomicUsize,
) -> Result<Vec<(Bytes, usize)>> {
    let mut out = Vec::new();
    // Real requests whose ids the attacker saw: corrupted proofs (each verified until the
    // request closes after MAX_REJECTIONS).
    for (c, on) in create_requests(rt, replicas, 64, counter)? {
        let mut p = prove(w, SuiteName::BbsSha256, &c)?;
        let mut proof = p.proof.as_slice().to_vec();
        if let Some(b) = proof.get_mut(40) {
            *b ^= 1;
        }
        p.proof = proof.into();
        out.push((Bytes::from(serde_json::to_vec(&p)?), on));
        // A well-formed proof naming a request nobody created (a guessed id).
        let mut q = prove(w, SuiteName::BbsSha256, &c)?;
        q.request_hash[0] ^= 0x5a;
        out.push((Bytes::from(serde_json::to_vec(&q)?), 1 - on));
        // A malformed body.
        out.push((
            Bytes::from_static(b"{\"version\":1,\"suite\":\"bbs-sha256\",\"proof\":"),
            on,
        ));
    }
    Ok(out)
}

/// Offers the flood at `rate` from 64 connections until `bound`; (sent, answers, seconds).
async fn flood(
    replicas: &[Target; 2],
    bodies: Arc<Vec<(Bytes, usize)>>,
    rate: f64,
    bound: Duration,
) -> (usize, BTreeMap<u16, usize>, f64) {
    const WORKERS: usize = 64;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..WORKERS {
        let bodies = Arc::clone(&bodies);
        let replicas = replicas.clone();
        tasks.push(tokio::spawn(async move {
            let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
            let mut senders = [None, None];
            let every = Duration::from_secs_f64(WORKERS as f64 / rate);
            let mut i = k;
            let mut n = 0usize;
            loop {
                let at = start + every.mul_f64(n as f64);
                if at.duration_since(start) >= bound {
                    break;
                }
                tokio::time::sleep_until(at.into()).await;
                let (body, on) = bodies[i % bodies.len()].clone();
                i += WORKERS;
                n += 1;
                let from = client(4, i & 0xffff);
                if senders[on].is_none() {
                    senders[on] = connect(&replicas[on]).await.ok();
                }
                let status = match senders[on].as_mut() {
                    Some(s) => {
                        match send(
                            s,
                            &replicas[on],
                            "/v1/presentations",
                            body,
                            Some(&from),
                            None,
                        )
                        .await
                        {
                            Ok((st, _, _)) => st.as_u16(),
                            Err(_) => {
                                senders[on] = None;
                                0
                            }
                        }
                    }
                    None => 0,
                };
                *answers.entry(status).or_default() += 1;
            }
            answers
        }));
    }
    let mut answers = BTreeMap::new();
    for t in tasks {
        if let Ok(a) = t.await {
            for (k, v) in a {
                *answers.entry(k).or_default() += v;
            }
        }
    }
    let sent = answers.values().sum();
    (sent, answers, start.elapsed().as_secs_f64())
}

/// Runs the four phases; `progress` gets a line per step.
pub fn run(config: &LoadConfig, w: &World, progress: &dyn Fn(&str)) -> Result<LoadReport> {
    config.check()?;
    let rt = runtime()?;
    let io = |what: String| move |e| BenchError::Io { what, source: e };
    let dir = std::env::temp_dir().join(format!("netid-bench-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io(dir.display().to_string()))?;
    let cert = world::app_certificate()?;
    std::fs::write(dir.join("app.cert"), cert.to_bytes()).map_err(io("app.cert".into()))?;
    std::fs::write(dir.join("app.key"), hex::encode(world::APP_KEY_SEED))
        .map_err(io("app.key".into()))?;
    std::fs::write(
        dir.join("app.apikey"),
        world::api_key(&cert.app_id)?.expose_secret(),
    )
    .map_err(io("app.apikey".into()))?;

    // The benchmark issuer's metadata.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let metadata = serde_json::to_string(&w.signed_metadata(now)?)?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(io("bind 127.0.0.1:0".into()))?;
    let issuer = format!(
        "http://{}",
        listener.local_addr().map_err(io("local address".into()))?
    );
    let app = axum::Router::new().route(
        "/v1/metadata",
        axum::routing::get(move || {
            let m = metadata.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], m) }
        }),
    );
    rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    progress("starting two netid-verifier replicas on Redis");
    let mut reps = [
        Replica::spawn(config, &issuer, &dir)?,
        Replica::spawn(config, &issuer, &dir)?,
    ];
    let replicas = [reps[0].target.clone(), reps[1].target.clone()];
    let counter = AtomicUsize::new(0);
    let bound = Duration::from_secs_f64(config.seconds);
    let max = config.max_presentations;
    let mut phases = Vec::new();

    // 1. Capacity: as many as a generous bound can take.
    progress("capacity: preparing presentations");
    let n = max.min(((config.seconds * 600.0) as usize).max(16));
    let bodies = prepare(&rt, w, &replicas, n, &counter)?;
    progress("capacity: closed loop, 8 connections");
    let (sent, lat, secs) = rt.block_on(closed_loop(&replicas, bodies, bound))?;
    let cap = row("capacity", 0.0, sent, lat, secs);
    let c = cap.per_second.max(1.0);
    phases.push(cap);

    // 2. and 3.: open loop at 50 % and 100 %.
    for (name, share) in [("50%", 0.5), ("100%", 1.0)] {
        let rate = c * share;
        let n = max.min(((rate * config.seconds) as usize).max(4));
        progress(&format!("{name}: preparing {n} presentations"));
        let bodies = prepare(&rt, w, &replicas, n, &counter)?;
        progress(&format!("{name}: offering {rate:.0}/s"));
        let (sent, lat, secs) = rt.block_on(open_loop(&replicas, bodies, rate, &counter));
        phases.push(row(name, rate, sent, lat, secs));
    }
    let unloaded_p99 = phases[1].p99_ms;

    // 4. Flood.
    let rate = c * 0.5;
    let n = max.min(((rate * config.seconds) as usize).max(4));
    progress(&format!(
        "flood: preparing {n} honest presentations and the attacker's"
    ));
    let bodies = prepare(&rt, w, &replicas, n, &counter)?;
    let bad = Arc::new(invalid_bodies(&rt, w, &replicas, &counter)?);
    let rss_before_kib = reps.iter().map(Replica::rss_kib).collect();
    let flood_rate = c * config.flood_factor;
    progress(&format!(
        "flood: honest {rate:.0}/s with invalid {flood_rate:.0}/s"
    ));
    let ((sent, lat, secs), (bad_sent, answers, bad_secs)) = rt.block_on(async {
        tokio::join!(
            open_loop(&replicas, bodies, rate, &counter),
            flood(&replicas, bad, flood_rate, bound)
        )
    });
    let honest_row = row("flood (honest)", rate, sent, lat, secs);
    let rss_after_kib = reps.iter().map(Replica::rss_kib).collect();
    let replicas_alive = reps.iter_mut().all(Replica::alive);
    let flood = FloodRow {
        offered_per_second: flood_rate,
        sent: bad_sent,
        per_second: if bad_secs > 0.0 {
            bad_sent as f64 / bad_secs
        } else {
            0.0
        },
        answers,
        p99_ratio: if unloaded_p99 > 0.0 {
            honest_row.p99_ms / unloaded_p99
        } else {
            0.0
        },
        rss_before_kib,
        rss_after_kib,
        replicas_alive,
    };
    phases.push(honest_row);
    drop(reps);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(LoadReport { phases, flood })
}

/// The report as a table.
pub fn table(r: &LoadReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "| phase | offered /s | sent | verified | lost | verified /s | p50 ms | p99 ms | max ms |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in &r.phases {
        let offered = if p.offered_per_second > 0.0 {
            format!("{:.0}", p.offered_per_second)
        } else {
            "closed loop".into()
        };
        let _ = writeln!(
            s,
            "| {} | {offered} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            p.phase, p.sent, p.verified, p.lost, p.per_second, p.p50_ms, p.p99_ms, p.max_ms
        );
    }
    let f = &r.flood;
    let answers: Vec<String> = f
        .answers
        .iter()
        .map(|(k, v)| {
            if *k == 0 {
                format!("transport error {v}")
            } else {
                format!("{k}: {v}")
            }
        })
        .collect();
    let _ = writeln!(
        s,
        "\nflood: {} invalid presentations offered at {:.0}/s, sent at {:.0}/s; answers {}; \
         honest p99 {:.2}× the unloaded p99; replica memory {:?} KiB before, {:?} KiB after; \
         replicas {}",
        f.sent,
        f.offered_per_second,
        f.per_second,
        answers.join(", "),
        f.p99_ratio,
        f.rss_before_kib,
        f.rss_after_kib,
        if f.replicas_alive {
            "both running"
        } else {
            "NOT all running"
        }
    );
    s
}
