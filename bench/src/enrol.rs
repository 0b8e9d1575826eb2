//! `netid-bench enrol-load`: enrolments per second for one and for two `netid-issuer` replicas
//! on one PostgreSQL database.
//!
//! The run creates a fresh database on the given PostgreSQL server (dropped at the end), starts
//! two `netid-issuer` processes on it with one key directory (the first start creates the keys
//! and records their fingerprints, the second checks them), each writing its one-time codes to
//! its own SMS outbox file, and with `--client-ip-header x-forwarded-for` so that every simulated
//! person has their own address and the per-address limits count people, not the generator.
//!
//! Every enrolment is a distinct adult: an ID card signed by the development card authority
//! (distinct ID number), a distinct mobile number, a fresh holder secret with its binding and
//! one Blind BBS commitment per BBS suite, and a fresh Ed25519 device key. All of that is made
//! before a phase starts; inside the timed phase each enrolment is what a wallet does on the
//! wire: `POST /v1/phone/challenges`, read the code from the outbox, sign the enrolment proof of
//! possession over the challenge id (one Ed25519 signature), `POST /v1/enrolments`. The latency
//! runs from the challenge to the issued credentials.
//!
//! Each round measures both configurations, in that order, as a closed loop over
//! `connections` keep-alive clients for `seconds`:
//! 1. **one replica**: every step on replica A (B runs idle);
//! 2. **two replicas**: the challenge on one replica and the enrolment on the other,
//!    alternating (as behind a load balancer without affinity).
//!
//! The report gives enrolments/s, p50/p99 and failures per row, the ratio of the two
//! configurations' medians over the rounds, and checks that every enrolment got its own 网号.
//! The generator, both replicas and PostgreSQL share the machine's cores: on a 2-core machine
//! this measures what that whole system does, and whether a second replica adds or costs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer as _, SigningKey};
use hyper::body::Bytes;
use hyper::StatusCode;
use netid_core::card::{
    id_number_check_character, CardAuthority, CardContents, CardName, FaceSample, Sex, SignedCard,
};
use netid_core::issuer_api::{
    enrol_pop_message, BindingCommitment, EnrolRequest, EnrolResponse, PhoneProof,
    PhoneStartResponse,
};
use netid_core::{Date, DocType, HolderSecret};
use serde::{Deserialize, Serialize};

use crate::load::Replica;
use crate::throughput::{connect, percentile, runtime, send, Target};
use crate::{BenchError, Result};

/// What the enrolment load run does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrolLoadConfig {
    /// The `netid-issuer` binary.
    pub issuer_bin: PathBuf,
    /// A PostgreSQL server URL (`postgres://USER@HOST/DB`) on which the run may create and drop
    /// a database of its own.
    pub database: String,
    /// Time bound of each measured configuration, seconds.
    pub seconds: f64,
    /// Concurrent clients (closed loop).
    pub connections: usize,
    /// Rounds; each measures one replica, then two.
    pub rounds: usize,
    /// At most this many enrolments prepared per configuration and round.
    pub max_enrolments: usize,
}

impl EnrolLoadConfig {
    fn check(&self) -> Result<()> {
        if !(0.5..=600.0).contains(&self.seconds) {
            return Err(BenchError::Config("--seconds must be 0.5..=600".into()));
        }
        if !(1..=256).contains(&self.connections) {
            return Err(BenchError::Config("--connections must be 1..=256".into()));
        }
        if !(1..=20).contains(&self.rounds) {
            return Err(BenchError::Config("--rounds must be 1..=20".into()));
        }
        if !(1..=100_000).contains(&self.max_enrolments) {
            return Err(BenchError::Config(
                "--max-enrolments must be 1..=100000".into(),
            ));
        }
        if !self.database.starts_with("postgres://") && !self.database.starts_with("postgresql://")
        {
            return Err(BenchError::Config(
                "--database must be a postgres:// URL (the issuer replicas share it)".into(),
            ));
        }
        if !self.issuer_bin.is_file() {
            return Err(BenchError::Config(format!(
                "{} not found: build it (`cargo build --release -p netid-issuer`) or pass \
                 --issuer-bin",
                self.issuer_bin.display()
            )));
        }
        Ok(())
    }
}

/// One measured configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnrolRow {
    /// Round, from 1.
    pub round: usize,
    /// Replicas the enrolments were spread over (1 or 2).
    pub replicas: usize,
    /// Enrolments started.
    pub sent: usize,
    /// Enrolments answered `201` with credentials.
    pub enrolled: usize,
    /// Enrolments that failed, by step and answer (`"challenge 429"`, `"enrol 500"`, `"code"`:
    /// no code in the outbox within 10 s, `"transport"`).
    pub failures: BTreeMap<String, usize>,
    /// Enrolments completed by each replica (the one that issued the credentials).
    pub per_replica: Vec<usize>,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Enrolled per second.
    pub per_second: f64,
    /// Latency percentiles, milliseconds (challenge to credentials).
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// CPU time both issuer processes used, per enrolment, milliseconds (PostgreSQL and the
    /// load generator not included).
    pub issuer_cpu_ms_per_enrolment: f64,
}

/// The whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnrolReport {
    /// Concurrent clients.
    pub connections: usize,
    /// Every measured configuration, in the order run.
    pub rows: Vec<EnrolRow>,
    /// Median enrolments/s over the rounds, one replica.
    pub one_replica_per_second: f64,
    /// Median enrolments/s over the rounds, two replicas.
    pub two_replicas_per_second: f64,
    /// `two_replicas_per_second / one_replica_per_second`.
    pub ratio: f64,
    /// Enrolments completed in the whole run (warm-up included).
    pub enrolled: usize,
    /// Distinct 网号 among them (equal to `enrolled` unless two people got one number).
    pub distinct_netids: usize,
    /// Both replicas still running at the end.
    pub replicas_alive: bool,
}

/// One simulated person, prepared before the timed phase.
struct Person {
    phone: String,
    card: SignedCard,
    device: SigningKey,
    binding: [u8; 32],
    commitments: Vec<BindingCommitment>,
}

/// The `i`th person of the run: a distinct ID number (birthdate and sequence number from `i`),
/// a distinct mobile number, fresh secrets.
fn person(i: usize, authority: &CardAuthority) -> Result<Person> {
    // Sequence codes 001..=999 (000 is never issued); its parity is the registered sex.
    let (d, seq) = (i / 999, 1 + i % 999);
    let year = 1950 + u16::try_from(d / 336 % 50).unwrap_or(0);
    let month = 1 + u8::try_from(d / 28 % 12).unwrap_or(0);
    let day = 1 + u8::try_from(d % 28).unwrap_or(0);
    let birth = Date::from_ymd(year, month, day)?;
    let body = format!("110105{year:04}{month:02}{day:02}{seq:03}");
    let body17: [u8; 17] = body
        .as_bytes()
        .try_into()
        .map_err(|_| BenchError::Internal("ID number body".into()))?;
    let check = id_number_check_character(&body17)
        .ok_or_else(|| BenchError::Internal("ID number check character".into()))?;
    let card = authority.sign(CardContents {
        name: CardName {
            family: "测".into(),
            given: format!("试{i}"),
        },
        id_number: format!("{body}{}", check as char),
        birthdate: birth,
        sex: if seq % 2 == 1 { Sex::Male } else { Sex::Female },
        doc_type: DocType::ResidentIdCard,
        valid_from: Date::from_ymd(2020, 1, 1)?,
        valid_until: None,
        card_authority: Some("北京市公安局西城分局".into()),
        photo: None,
    });
    let secret = HolderSecret::from_random(&rand::random::<[u8; 32]>())?;
    let binding = netid_circuits::presentation::holder_binding(&secret)?.to_be_bytes();
    let commitments =
        netid_bbs::netid::NetidBbs::binding_commitments(&secret, &[], &mut rand::rng())?
            .into_iter()
            .map(|(c, _blind)| c)
            .collect();
    let seed = rand::random::<[u8; 32]>();
    Ok(Person {
        phone: format!("+86139{:08}", i % 100_000_000),
        card,
        device: SigningKey::from_bytes(&seed),
        binding,
        commitments,
    })
}

/// The simulated address of the `i`th person (`x-forwarded-for`), distinct for 2^23 people.
fn address(i: usize) -> String {
    format!(
        "10.{}.{}.{}",
        128 + ((i >> 16) & 0x7f),
        (i >> 8) & 0xff,
        i & 0xff
    )
}

/// The codes both replicas wrote to their outbox files, read by a thread as they arrive.
struct Outbox {
    codes: Mutex<HashMap<String, String>>,
    stop: AtomicBool,
}

impl Outbox {
    fn tail(paths: Vec<PathBuf>) -> (Arc<Outbox>, std::thread::JoinHandle<()>) {
        let outbox = Arc::new(Outbox {
            codes: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let o = Arc::clone(&outbox);
        let h = std::thread::spawn(move || {
            let mut offsets = vec![0u64; paths.len()];
            let mut partial = vec![String::new(); paths.len()];
            while !o.stop.load(Ordering::Relaxed) {
                for (k, p) in paths.iter().enumerate() {
                    let Ok(mut f) = std::fs::File::open(p) else {
                        continue;
                    };
                    let mut fresh = String::new();
                    if f.seek(SeekFrom::Start(offsets[k])).is_err()
                        || f.read_to_string(&mut fresh).is_err()
                    {
                        continue;
                    }
                    offsets[k] += fresh.len() as u64;
                    partial[k].push_str(&fresh);
                    let Some(end) = partial[k].rfind('\n') else {
                        continue;
                    };
                    let complete: String = partial[k].drain(..=end).collect();
                    if let Ok(mut codes) = o.codes.lock() {
                        for line in complete.lines() {
                            if let Some((phone, code)) = line.split_once(' ') {
                                codes.insert(phone.to_owned(), code.trim().to_owned());
                            }
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        (outbox, h)
    }

    /// The code sent to `phone`, waiting up to 10 s for it.
    async fn code(&self, phone: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(c) = self.codes.lock().ok().and_then(|mut m| m.remove(phone)) {
                return Some(c);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }
}

/// What one enrolment came to.
enum Outcome {
    Enrolled {
        ms: f64,
        netid: String,
    },
    /// The step and answer (the tally's key), and what the service said.
    Failed(String, String),
}

impl Outcome {
    fn failed(key: impl Into<String>) -> Outcome {
        Outcome::Failed(key.into(), String::new())
    }
}

/// Keep-alive connections of one client, one per replica, reopened after an error.
struct Client {
    senders: Vec<Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<Bytes>>>>,
}

impl Client {
    async fn post(
        &mut self,
        targets: &[Target],
        on: usize,
        path: &str,
        body: Bytes,
        from: &str,
    ) -> Option<(StatusCode, Bytes)> {
        if self.senders[on].is_none() {
            self.senders[on] = connect(&targets[on]).await.ok();
        }
        let s = self.senders[on].as_mut()?;
        match send(s, &targets[on], path, body, Some(from), None).await {
            Ok((status, _, b)) => Some((status, b)),
            Err(_) => {
                self.senders[on] = None;
                None
            }
        }
    }
}

/// One enrolment of `p`: the challenge on replica `first`, the enrolment on `second`.
async fn enrol(
    client: &mut Client,
    targets: &[Target],
    (first, second): (usize, usize),
    p: &Person,
    from: &str,
    outbox: &Outbox,
) -> Outcome {
    let t = Instant::now();
    let body = serde_json::json!({ "phone": p.phone }).to_string();
    let Some((status, b)) = client
        .post(targets, first, "/v1/phone/challenges", body.into(), from)
        .await
    else {
        return Outcome::failed("transport");
    };
    if !status.is_success() {
        return Outcome::Failed(
            format!("challenge {}", status.as_u16()),
            String::from_utf8_lossy(&b).into_owned(),
        );
    }
    let Ok(ch) = serde_json::from_slice::<PhoneStartResponse>(&b) else {
        return Outcome::failed("challenge body");
    };
    let Some(cid) = hex::decode(&ch.challenge_id)
        .ok()
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
    else {
        return Outcome::failed("challenge body");
    };
    let Some(code) = outbox.code(&p.phone).await else {
        return Outcome::failed("code");
    };
    let dk = p.device.verifying_key().to_bytes();
    let req = EnrolRequest {
        card: p.card.clone(),
        face: FaceSample {
            score: Some(0.95),
            image: Vec::new(),
        },
        phone: PhoneProof {
            challenge_id: ch.challenge_id,
            code,
        },
        device_key: dk,
        device_signature: p
            .device
            .sign(&enrol_pop_message(&cid, &dk, &p.binding, &p.commitments))
            .to_bytes(),
        binding: p.binding,
        commitments: p.commitments.clone(),
        suites: Vec::new(),
        guardian: None,
    };
    let Ok(body) = serde_json::to_vec(&req) else {
        return Outcome::failed("encoding");
    };
    let Some((status, b)) = client
        .post(targets, second, "/v1/enrolments", body.into(), from)
        .await
    else {
        return Outcome::failed("transport");
    };
    if status != StatusCode::CREATED {
        return Outcome::Failed(
            format!("enrol {}", status.as_u16()),
            String::from_utf8_lossy(&b).into_owned(),
        );
    }
    match serde_json::from_slice::<EnrolResponse>(&b) {
        Ok(r) if !r.credentials.is_empty() => Outcome::Enrolled {
            ms: t.elapsed().as_secs_f64() * 1e3,
            netid: r.netid,
        },
        _ => Outcome::failed("enrol body"),
    }
}

/// What a phase's clients brought back.
#[derive(Default)]
struct Tally {
    sent: usize,
    latencies: Vec<f64>,
    failures: BTreeMap<String, usize>,
    per_replica: Vec<usize>,
    netids: Vec<String>,
}

/// A closed loop of `connections` clients over `people` until `bound`; `two`: spread over
/// both replicas (challenge on one, enrolment on the other), else everything on replica 0.
async fn closed_loop(
    targets: &[Target],
    people: Arc<Vec<Person>>,
    first_address: usize,
    connections: usize,
    two: bool,
    bound: Duration,
    outbox: &Arc<Outbox>,
) -> (Tally, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (people, next, outbox) = (Arc::clone(&people), Arc::clone(&next), Arc::clone(outbox));
        let targets = targets.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut client = Client {
                senders: vec![None, None],
            };
            let mut tally = Tally {
                per_replica: vec![0, 0],
                ..Tally::default()
            };
            while start.elapsed() < bound {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = people.get(i) else { break };
                let route = if two { (i % 2, 1 - i % 2) } else { (0, 0) };
                tally.sent += 1;
                let from = address(first_address + i);
                match enrol(&mut client, &targets, route, p, &from, &outbox).await {
                    Outcome::Enrolled { ms, netid } => {
                        tally.latencies.push(ms);
                        tally.per_replica[route.1] += 1;
                        tally.netids.push(netid);
                    }
                    Outcome::Failed(why, _) => *tally.failures.entry(why).or_default() += 1,
                }
            }
            tally
        }));
    }
    let mut all = Tally {
        per_replica: vec![0, 0],
        ..Tally::default()
    };
    for t in tasks {
        match t.await {
            Ok(t) => {
                all.sent += t.sent;
                all.latencies.extend(t.latencies);
                for (k, v) in t.failures {
                    *all.failures.entry(k).or_default() += v;
                }
                for (a, b) in all.per_replica.iter_mut().zip(t.per_replica) {
                    *a += b;
                }
                all.netids.extend(t.netids);
            }
            Err(e) => *all.failures.entry(format!("task: {e}")).or_default() += 1,
        }
    }
    (all, start.elapsed().as_secs_f64())
}

/// People `first..first + n`, made on every core.
fn prepare(first: usize, n: usize) -> Result<Vec<Person>> {
    let authority = CardAuthority::development();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|lo| {
                let authority = &authority;
                s.spawn(move || {
                    (lo..(lo + chunk).min(n))
                        .map(|k| person(first + k, authority))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| BenchError::Internal("preparing people".into()))??,
            );
        }
        Ok(out)
    })
}

/// A database of its own on the server of `url`, dropped on [`Database::drop_now`].
struct Database {
    admin: String,
    name: String,
    url: String,
}

impl Database {
    async fn create(url: &str) -> Result<Database> {
        let name = format!(
            "netid_enrol_load_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        );
        let pool = sqlx::PgPool::connect(url)
            .await
            .map_err(|e| BenchError::Config(format!("--database {url}: {e}")))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .map_err(|e| BenchError::Config(format!("creating database {name}: {e}")))?;
        pool.close().await;
        let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
        Ok(Database {
            admin: url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    async fn drop_now(self) -> Result<()> {
        let pool = sqlx::PgPool::connect(&self.admin)
            .await
            .map_err(|e| BenchError::Http(format!("dropping {}: {e}", self.name)))?;
        let r = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&pool)
        .await;
        pool.close().await;
        r.map(|_| ())
            .map_err(|e| BenchError::Http(format!("dropping {}: {e}", self.name)))
    }
}

fn spawn_issuer(cfg: &EnrolLoadConfig, db: &str, dir: &Path, name: &str) -> Result<Replica> {
    let mut cmd = Command::new(&cfg.issuer_bin);
    cmd.args(["--listen", "127.0.0.1:0", "--db", db])
        .arg("--key-dir")
        .arg(dir.join("keys"))
        .arg("--sms-outbox")
        .arg(dir.join(format!("outbox-{name}")))
        .args(["--trust-dev-card-authority"])
        .args(["--client-ip-header", "x-forwarded-for"]);
    Replica::start(cmd)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs the rounds; `progress` gets a line per step.
pub fn run(config: &EnrolLoadConfig, progress: &dyn Fn(&str)) -> Result<EnrolReport> {
    config.check()?;
    let rt = runtime()?;
    let dir = std::env::temp_dir().join(format!("netid-bench-enrol-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::Io {
        what: dir.display().to_string(),
        source: e,
    })?;
    progress("creating a database of the run's own");
    let db = rt.block_on(Database::create(&config.database))?;
    let result = run_on(config, &rt, &db.url, &dir, progress);
    progress("dropping the run's database");
    let dropped = rt.block_on(db.drop_now());
    let _ = std::fs::remove_dir_all(&dir);
    let report = result?;
    dropped?;
    Ok(report)
}

fn run_on(
    config: &EnrolLoadConfig,
    rt: &tokio::runtime::Runtime,
    db: &str,
    dir: &Path,
    progress: &dyn Fn(&str),
) -> Result<EnrolReport> {
    progress("starting netid-issuer A (creates the keys and records their fingerprints)");
    let a = spawn_issuer(config, db, dir, "a")?;
    progress("starting netid-issuer B (same database and keys)");
    let b = spawn_issuer(config, db, dir, "b")?;
    let mut issuers = [a, b];
    let targets = [issuers[0].target.clone(), issuers[1].target.clone()];
    let (outbox, tailer) = Outbox::tail(vec![dir.join("outbox-a"), dir.join("outbox-b")]);
    let result = (|| {
        let mut netids = Vec::new();
        let mut next_person = 0usize;
        // Warm-up, untimed: two enrolments each way; a broken setup fails here, loudly.
        let warm = Arc::new(prepare(next_person, 4)?);
        next_person += warm.len();
        for (i, route) in [(0, 0), (1, 1), (0, 1), (1, 0)].into_iter().enumerate() {
            let outcome = rt.block_on(async {
                let mut c = Client {
                    senders: vec![None, None],
                };
                enrol(&mut c, &targets, route, &warm[i], &address(i), &outbox).await
            });
            match outcome {
                Outcome::Enrolled { netid, .. } => netids.push(netid),
                Outcome::Failed(why, said) => {
                    return Err(BenchError::Http(format!(
                        "warm-up enrolment (challenge on replica {}, enrolment on {}) failed: \
                         {why} {said}",
                        route.0, route.1
                    )))
                }
            }
        }
        let bound = Duration::from_secs_f64(config.seconds);
        let mut rows = Vec::new();
        for round in 1..=config.rounds {
            // Alternating order, so that neither configuration always meets the larger database.
            let order = if round % 2 == 1 { [1usize, 2] } else { [2, 1] };
            for replicas in order {
                progress(&format!(
                    "round {round}, {replicas} replica(s): preparing {} people",
                    config.max_enrolments
                ));
                let people = Arc::new(prepare(next_person, config.max_enrolments)?);
                progress(&format!(
                    "round {round}, {replicas} replica(s): {} clients, closed loop",
                    config.connections
                ));
                let cpu = |r: &[Replica; 2]| r.iter().map(Replica::cpu_seconds).sum::<f64>();
                let cpu_before = cpu(&issuers);
                let (tally, secs) = rt.block_on(closed_loop(
                    &targets,
                    people,
                    next_person,
                    config.connections,
                    replicas == 2,
                    bound,
                    &outbox,
                ));
                let cpu_used = cpu(&issuers) - cpu_before;
                next_person += config.max_enrolments;
                let mut lat = tally.latencies;
                lat.sort_by(f64::total_cmp);
                rows.push(EnrolRow {
                    round,
                    replicas,
                    sent: tally.sent,
                    enrolled: lat.len(),
                    failures: tally.failures,
                    per_replica: tally.per_replica,
                    seconds: secs,
                    per_second: if secs > 0.0 {
                        lat.len() as f64 / secs
                    } else {
                        0.0
                    },
                    p50_ms: percentile(&lat, 50.0),
                    p99_ms: percentile(&lat, 99.0),
                    max_ms: lat.last().copied().unwrap_or(0.0),
                    issuer_cpu_ms_per_enrolment: if lat.is_empty() {
                        0.0
                    } else {
                        cpu_used * 1e3 / lat.len() as f64
                    },
                });
                netids.extend(tally.netids);
            }
        }
        Ok((rows, netids))
    })();
    outbox.stop.store(true, Ordering::Relaxed);
    let _ = tailer.join();
    let (rows, netids) = result?;
    let replicas_alive = issuers.iter_mut().all(Replica::alive);
    drop(issuers);
    let per = |n: usize| {
        median(
            rows.iter()
                .filter(|r| r.replicas == n)
                .map(|r| r.per_second)
                .collect(),
        )
    };
    let (one, two) = (per(1), per(2));
    Ok(EnrolReport {
        connections: config.connections,
        one_replica_per_second: one,
        two_replicas_per_second: two,
        ratio: if one > 0.0 { two / one } else { 0.0 },
        enrolled: netids.len(),
        distinct_netids: netids.iter().collect::<HashSet<_>>().len(),
        replicas_alive,
        rows,
    })
}

/// The report as a table.
pub fn table(r: &EnrolReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "| round | replicas | sent | enrolled | failed | per replica | enrolled /s | p50 ms | p99 ms | max ms | issuer CPU ms / enrolment |\n\
         |---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for row in &r.rows {
        let failed: usize = row.failures.values().sum();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {failed} | {:?} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |",
            row.round,
            row.replicas,
            row.sent,
            row.enrolled,
            row.per_replica,
            row.per_second,
            row.p50_ms,
            row.p99_ms,
            row.max_ms,
            row.issuer_cpu_ms_per_enrolment
        );
    }
    let failures: BTreeMap<&String, usize> = r
        .rows
        .iter()
        .flat_map(|row| row.failures.iter())
        .fold(BTreeMap::new(), |mut m, (k, v)| {
            *m.entry(k).or_default() += v;
            m
        });
    let _ = writeln!(
        s,
        "\n{} clients; median enrolments/s: one replica {:.1}, two replicas {:.1} (ratio {:.2}); \
         {} enrolled, {} distinct 网号; failures {:?}; replicas {}",
        r.connections,
        r.one_replica_per_second,
        r.two_replicas_per_second,
        r.ratio,
        r.enrolled,
        r.distinct_netids,
        failures,
        if r.replicas_alive {
            "both running"
        } else {
            "NOT all running"
        }
    );
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn people_are_distinct_and_valid() {
        let people = prepare(0, 2500).unwrap();
        let ids: HashSet<&str> = people
            .iter()
            .map(|p| p.card.card.id_number.as_str())
            .collect();
        let phones: HashSet<&str> = people.iter().map(|p| p.phone.as_str()).collect();
        assert_eq!(ids.len(), 2500);
        assert_eq!(phones.len(), 2500);
        let authority = CardAuthority::development().verifying_key();
        for p in people.iter().step_by(97) {
            let sig = ed25519_dalek::Signature::from_bytes(&p.card.signature);
            assert!(
                authority
                    .verify_strict(&p.card.card.signing_bytes(), &sig)
                    .is_ok(),
                "{}",
                p.card.card.id_number
            );
            assert_eq!(p.commitments.len(), 2);
        }
        let addrs: HashSet<String> = (0..70_000).map(address).collect();
        assert_eq!(addrs.len(), 70_000);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let ok = EnrolLoadConfig {
            issuer_bin: std::env::current_exe().unwrap(),
            database: "postgres://u@h/db".into(),
            seconds: 1.0,
            connections: 4,
            rounds: 1,
            max_enrolments: 10,
        };
        assert!(ok.check().is_ok());
        for bad in [
            EnrolLoadConfig {
                database: "sqlite://x.db".into(),
                ..ok.clone()
            },
            EnrolLoadConfig {
                connections: 0,
                ..ok.clone()
            },
            EnrolLoadConfig {
                seconds: 0.0,
                ..ok.clone()
            },
            EnrolLoadConfig {
                issuer_bin: "/nonexistent/netid-issuer".into(),
                ..ok.clone()
            },
        ] {
            assert!(matches!(bad.check(), Err(BenchError::Config(_))), "{bad:?}");
        }
    }
}
