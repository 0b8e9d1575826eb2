//! Verifier throughput: a load generator against a `netid-verifier` service on loopback.
//!
//! For each suite the generator first prepares presentations the way a wallet would: it asks the
//! service for a fresh signed request (`POST /v1/requests`, the full statement: age ≥ 18,
//! pseudonym, `given_name`, not expired) and proves it with the benchmark issuer's credential.
//! Preparation is bounded by `count` and by `max_seconds` (Groth16 proving is slow). Then
//! `concurrency` connections post the prepared presentations (`POST /v1/presentations`) as fast
//! as the service answers, again bounded by `max_seconds`, and the run reports verifications per
//! second (answered presentations / wall time of the load phase) and latency percentiles. Every
//! presentation answers a distinct request, so the replay cache accepts each once; an answer
//! other than `200` is counted as an error.
//!
//! Without a URL the service is started in-process ([`netid_verifier::router`]) on
//! `127.0.0.1:0`, trusting the deterministic issuer of [`crate::world`]. An external
//! `netid-verifier` must trust the same issuer and app: `netid-bench serve-issuer` serves that
//! metadata and writes the app certificate, key and API key (see `bench/README.md`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use indicatif::ProgressBar;
use netid_circuits::suite::{self as g16, HolderCredential};
use netid_core::{Attribute, AttributeSet, Presentation};
use netid_verifier::service::{system_clock, CreateRequest, CreatedRequest};
use netid_verifier::{MemoryReplayCache, ServiceState, Verifier};
use serde::{Deserialize, Serialize};

use crate::world::{self, World};
use crate::{BenchError, Result, SuiteName};

/// What the load generator does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThroughputConfig {
    /// The verifier's base URL (`http://host:port`); `None`: start one in-process on loopback.
    pub verifier: Option<String>,
    /// Suites to load.
    pub suites: Vec<SuiteName>,
    /// Presentations per suite (at most).
    pub count: usize,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Time bound of each phase (preparing, loading) per suite, seconds.
    pub max_seconds: f64,
}

impl ThroughputConfig {
    fn check(&self) -> Result<()> {
        if self.count == 0 || self.count > 1_000_000 {
            return Err(BenchError::Config(
                "throughput count must be 1..=1000000".into(),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 1024 {
            return Err(BenchError::Config(
                "throughput concurrency must be 1..=1024".into(),
            ));
        }
        if !(self.max_seconds.is_finite() && self.max_seconds > 0.0) {
            return Err(BenchError::Config(
                "throughput time bound must be a positive number of seconds".into(),
            ));
        }
        Ok(())
    }
}

/// The load on one suite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThroughputRow {
    /// The suite.
    pub suite: SuiteName,
    /// Where the verifier ran (`in-process 127.0.0.1:…` or the URL).
    pub target: String,
    /// Presentations prepared (and sent).
    pub sent: usize,
    /// Answered `200` (verified).
    pub verified: usize,
    /// Other answers or transport errors.
    pub errors: usize,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Wall time of the load phase, seconds.
    pub seconds: f64,
    /// Verified presentations per second.
    pub per_second: f64,
    /// Latency percentiles of `POST /v1/presentations`, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest answer.
    pub max_ms: f64,
    /// Time spent preparing (requests + proving), seconds; not part of the rate.
    pub prepare_seconds: f64,
}

/// Nearest-rank percentile of sorted samples (`p` in 0..=100).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A parsed `http://host:port` base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `host:port` to connect to.
    pub addr: String,
    /// The `Host` header.
    pub host: String,
}

/// Parses a verifier base URL (`http://host[:port]`, no path; HTTPS is not supported).
pub fn parse_url(url: &str) -> Result<Target> {
    let bad = |why: &str| BenchError::Config(format!("verifier URL {url:?}: {why}"));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("must start with http:// (plain HTTP on loopback)"))?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') || host.contains('@') || host.contains(' ') {
        return Err(bad("expected http://host:port without a path"));
    }
    let has_port = match host.rfind(':') {
        Some(i) => !host[i..].contains(']'),
        None => false,
    };
    if has_port {
        let port = &host[host.rfind(':').unwrap_or(0) + 1..];
        if port.parse::<u16>().is_err() {
            return Err(bad("invalid port"));
        }
    }
    let addr = if has_port {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    Ok(Target {
        addr,
        host: host.to_owned(),
    })
}

/// A multi-threaded tokio runtime for a load generator.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::Io {
            what: "tokio runtime".into(),
            source: e,
        })
}

pub(crate) fn http_err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Http(e.to_string())
}

pub(crate) async fn connect(target: &Target) -> Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(&target.addr)
        .await
        .map_err(|e| BenchError::Io {
            what: format!("connect {}", target.addr),
            source: e,
        })?;
    stream.set_nodelay(true).map_err(|e| BenchError::Io {
        what: target.addr.clone(),
        source: e,
    })?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http_err)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
    path: &str,
    body: Bytes,
    bearer: Option<&str>,
) -> Result<(StatusCode, Bytes)> {
    let (status, _, body) = send(sender, target, path, body, None, bearer).await?;
    Ok((status, body))
}

/// `POST path` with a JSON body, optionally from a simulated client address
/// (`x-forwarded-for`) and with a bearer token: status, `Retry-After` seconds, body.
pub(crate) async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    target: &Target,
    path: &str,
    body: Bytes,
    from: Option<&str>,
    bearer: Option<&str>,
) -> Result<(StatusCode, Option<u64>, Bytes)> {
    sender.ready().await.map_err(http_err)?;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, &target.host)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(f) = from {
        req = req.header("x-forwarded-for", f);
    }
    if let Some(b) = bearer {
        req = req.header(header::AUTHORIZATION, format!("Bearer {b}"));
    }
    let resp = sender
        .send_request(req.body(Full::new(body)).map_err(http_err)?)
        .await
        .map_err(http_err)?;
    let status = resp.status();
    let retry = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(http_err)?
        .to_bytes();
    Ok((status, retry, body))
}

pub(crate) fn create_body(suite: SuiteName) -> Result<Bytes> {
    let mut disclose = AttributeSet::new();
    disclose.insert(Attribute::GivenName);
    let body = CreateRequest {
        app_id: Some(world::app_id(suite.core())),
        age_at_least: Some(18),
        assurance_at_least: None,
        disclose,
        pseudonym: true,
        not_expired: true,
        suites: Some(vec![suite.core()]),
        ttl_seconds: Some(3600),
    };
    Ok(Bytes::from(serde_json::to_vec(&body)?))
}

pub(crate) fn prove(w: &World, suite: SuiteName, created: &CreatedRequest) -> Result<Presentation> {
    match suite {
        SuiteName::BbsSha256 | SuiteName::BbsShake256 => {
            let b = &w.bbs[usize::from(suite == SuiteName::BbsShake256)];
            Ok(b.bbs.present(
                &b.pk,
                &b.digits,
                &w.attrs,
                &b.sig,
                b.holder(),
                &created.request,
                &mut rand::rng(),
            )?)
        }
        SuiteName::Groth16 => Ok(g16::prove(
            &w.g16.keys,
            &w.g16.pk,
            w.g16.tree.root(),
            HolderCredential {
                attributes: &w.attrs,
                signature: &w.g16.sig,
                path: &w.g16.path,
                secret: &w.g16.secret,
            },
            &created.request,
            &mut rand_core_06::OsRng,
        )?),
    }
}

/// Starts the verifier service in-process on `127.0.0.1:0`, trusting `w`; returns its address.
pub async fn start_in_process(w: &World) -> Result<SocketAddr> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let verifier = Verifier::with_policy(
        w.metadata(now)?,
        Arc::new(MemoryReplayCache::new()),
        netid_verifier::KeyPolicy::development(),
    )?;
    let apps = world::apps()?;
    let ids: Vec<String> = apps.iter().map(|a| a.app_id().to_owned()).collect();
    let mut state = ServiceState::new(Arc::new(verifier), apps, system_clock());
    for id in ids {
        state = state.with_api_key(&id, &world::api_key(&id)?)?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| BenchError::Io {
            what: "bind 127.0.0.1:0".into(),
            source: e,
        })?;
    let addr = listener.local_addr().map_err(|e| BenchError::Io {
        what: "local address".into(),
        source: e,
    })?;
    let app = netid_verifier::router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

/// Runs the load on every suite of `config`, advancing `progress` by one per suite.
pub fn run(
    config: &ThroughputConfig,
    w: &World,
    progress: &ProgressBar,
) -> Result<Vec<ThroughputRow>> {
    config.check()?;
    let rt = runtime()?;
    let (target, label) = match &config.verifier {
        Some(url) => (parse_url(url)?, url.clone()),
        None => {
            let addr = rt.block_on(start_in_process(w))?;
            let t = Target {
                addr: addr.to_string(),
                host: addr.to_string(),
            };
            (t, format!("in-process {addr}"))
        }
    };
    let bound = Duration::from_secs_f64(config.max_seconds);
    let mut rows = Vec::new();
    for &suite in &config.suites {
        progress.set_message(format!(
            "throughput {}: preparing presentations",
            suite.name()
        ));
        // Prepare: one fresh request and one proof per presentation.
        let started = Instant::now();
        let mut sender = rt.block_on(connect(&target))?;
        let create = create_body(suite)?;
        let key = world::api_key(&world::app_id(suite.core()))?;
        let mut bodies = Vec::with_capacity(config.count);
        while bodies.len() < config.count && (bodies.is_empty() || started.elapsed() < bound) {
            let (status, body) = rt.block_on(post(
                &mut sender,
                &target,
                "/v1/requests",
                create.clone(),
                Some(key.expose_secret()),
            ))?;
            if status != StatusCode::CREATED {
                return Err(BenchError::Http(format!(
                    "POST /v1/requests answered {status}: {}",
                    String::from_utf8_lossy(&body)
                )));
            }
            let created: CreatedRequest = serde_json::from_slice(&body)?;
            let p = prove(w, suite, &created)?;
            bodies.push(Bytes::from(serde_json::to_vec(&p)?));
        }
        drop(sender);
        let prepare_seconds = started.elapsed().as_secs_f64();
        progress.set_message(format!("throughput {}: load", suite.name()));
        let row = rt.block_on(load(&target, bodies, config.concurrency, bound))?;
        progress.inc(1);
        rows.push(ThroughputRow {
            suite,
            target: label.clone(),
            concurrency: config.concurrency,
            prepare_seconds,
            ..row
        });
    }
    Ok(rows)
}

async fn load(
    target: &Target,
    bodies: Vec<Bytes>,
    concurrency: usize,
    bound: Duration,
) -> Result<ThroughputRow> {
    let prepared = bodies.len();
    let queue = Arc::new(std::sync::Mutex::new(bodies));
    let workers = concurrency.min(prepared.max(1));
    let mut senders = Vec::with_capacity(workers);
    for _ in 0..workers {
        senders.push(connect(target).await?);
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(workers);
    for mut sender in senders {
        let queue = Arc::clone(&queue);
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            loop {
                if start.elapsed() >= bound {
                    break;
                }
                let next = queue.lock().ok().and_then(|mut q| q.pop());
                let Some(body) = next else { break };
                let t = Instant::now();
                match post(&mut sender, &target, "/v1/presentations", body, None).await {
                    Ok((StatusCode::OK, _)) => latencies.push(t.elapsed().as_secs_f64() * 1e3),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match connect(&target).await {
                            Ok(s) => sender = s,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t
            .await
            .map_err(|e| BenchError::Internal(format!("load task: {e}")))?;
        latencies.extend(l);
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let verified = latencies.len();
    Ok(ThroughputRow {
        suite: SuiteName::BbsSha256,
        target: String::new(),
        sent: verified + errors,
        verified,
        errors,
        concurrency,
        seconds,
        per_second: if seconds > 0.0 {
            verified as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile(&latencies, 50.0),
        p90_ms: percentile(&latencies, 90.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().copied().unwrap_or(0.0),
        prepare_seconds: 0.0,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:8090/").unwrap(),
            Target {
                addr: "127.0.0.1:8090".into(),
                host: "127.0.0.1:8090".into()
            }
        );
        assert_eq!(parse_url("http://localhost").unwrap().addr, "localhost:80");
        assert!(parse_url("https://x:1").is_err());
        assert!(parse_url("http://x:1/path").is_err());
        assert!(parse_url("http://x:port").is_err());
    }
}
