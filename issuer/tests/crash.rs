//! A `kill -9` of the `netid-issuer` process in the middle of a burst of enrolments loses no
//! acknowledged enrolment: every 网号 that a client received with `201` is in the database
//! after the crash, and the restarted server serves the same people.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use netid_core::Suite;
use netid_issuer::netid_number::NetidNumber;
use netid_issuer::storage::{AnyStorage, Storage};
use serde_json::json;

struct Server {
    child: Child,
    addr: SocketAddr,
}

/// Starts the binary on a free port and waits for its "listening on" line.
fn start(db: &str, keys: &std::path::Path, outbox: &std::path::Path) -> Server {
    start_with(db, keys, outbox, &["--dev-groth16-keys"], None).unwrap()
}

/// Starts the binary with `extra` arguments (stderr to `log` when given); `Err(stderr)` when
/// it exits instead of listening.
fn start_with(
    db: &str,
    keys: &std::path::Path,
    outbox: &std::path::Path,
    extra: &[&str],
    log: Option<&std::path::Path>,
) -> Result<Server, String> {
    let stderr = match log {
        Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
        None => Stdio::inherit(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_netid-issuer"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--trust-dev-card-authority",
        ])
        .arg("--key-dir")
        .arg(keys)
        .arg("--sms-outbox")
        .arg(outbox)
        .args(extra)
        .env("NETID_KEY_DIR", key_dir())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on http://") else {
        let _ = child.wait();
        return Err(log
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .unwrap_or_default());
    };
    let addr = addr.parse().unwrap();
    Ok(Server { child, addr })
}

/// The shipped binary, started without Groth16 options, offers no Groth16 suite (nothing
/// forgeable); `--dev-groth16-keys` offers it on development keys with a warning and says so in
/// the metadata; `--groth16-keys` on a directory without a ceremony key refuses to start,
/// naming the file.
#[tokio::test]
async fn groth16_is_off_by_default_and_development_keys_are_explicit() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("issuer.db").display());
    let keys = dir.path().join("keys");
    let outbox = dir.path().join("sms.txt");
    let log = dir.path().join("stderr.log");

    let mut plain = start_with(&db, &keys, &outbox, &[], Some(&log)).unwrap();
    let (s, body) = http(plain.addr, "GET", "/v1/metadata", "").await;
    assert_eq!(s, 200);
    let md = opened(&body);
    assert_eq!(md["groth16_setup"], "none");
    assert_eq!(md["groth16_verifying_key"], "");
    // Asking for a Groth16 credential is a clear 422 (well-formed, refused).
    let ph = phone(990_001);
    let (s, v) = http(
        plain.addr,
        "POST",
        "/v1/phone/challenges",
        &json!({ "phone": ph }).to_string(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    let code = code_for(&outbox, &ph).unwrap();
    let req = enrol_request(
        &card("谨", born(30), 901),
        &device(9901),
        v["challenge_id"].as_str().unwrap(),
        &code,
        &[Suite::Groth16],
        None,
    );
    let (s, v) = http(
        plain.addr,
        "POST",
        "/v1/enrolments",
        &serde_json::to_string(&req).unwrap(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.contains("does not offer the groth16 suite"), "{v}");
    plain.child.kill().unwrap();
    plain.child.wait().unwrap();

    let mut dev = start_with(&db, &keys, &outbox, &["--dev-groth16-keys"], Some(&log)).unwrap();
    let (_, body) = http(dev.addr, "GET", "/v1/metadata", "").await;
    let md = opened(&body);
    assert_eq!(md["groth16_setup"], "development");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("DEVELOPMENT Groth16 keys"), "{logged}");
    dev.child.kill().unwrap();
    dev.child.wait().unwrap();

    let empty = dir.path().join("no-ceremony");
    std::fs::create_dir_all(&empty).unwrap();
    let err = start_with(
        &db,
        &keys,
        &outbox,
        &["--groth16-keys", empty.to_str().unwrap()],
        Some(&log),
    )
    .err()
    .expect("started without ceremony keys");
    assert!(err.contains("presentation.key"), "{err}");
}

/// The last code the outbox holds for `phone` (waits for it briefly).
fn code_for(outbox: &std::path::Path, phone: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(outbox).unwrap_or_default();
        if let Some(code) = text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(phone).map(|c| c.trim().to_owned()))
        {
            return Some(code);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

async fn enrol_one(
    addr: SocketAddr,
    outbox: Arc<std::path::PathBuf>,
    i: u32,
    attempt: u32,
) -> Option<String> {
    let ph = phone(300_000 + i + 10_000 * attempt);
    let (s, v) = http_opt(
        addr,
        "/v1/phone/challenges",
        &json!({ "phone": ph }).to_string(),
    )
    .await?;
    if s != 201 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&v).ok()?;
    let code = code_for(&outbox, &ph)?;
    let c = card("速", born(25 + u16::try_from(i % 40).unwrap()), 500 + i);
    let req = enrol_request(
        &c,
        &device(5000 + i + 10_000 * attempt),
        v["challenge_id"].as_str()?,
        &code,
        &[Suite::BbsSha256],
        None,
    );
    let (s, v) = http_opt(
        addr,
        "/v1/enrolments",
        &serde_json::to_string(&req).unwrap(),
    )
    .await?;
    // Only a complete 201 answer counts as acknowledged.
    if s != 201 {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(&v).ok()?;
    Some(v["netid"].as_str()?.to_owned())
}

/// POST over a fresh connection; `None` when the server is gone mid-request.
async fn http_opt(addr: SocketAddr, path: &str, body: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    // A response cut off by the kill is not an acknowledgement.
    serde_json::from_str::<serde_json::Value>(body).ok()?;
    Some((status, body.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_no_acknowledged_enrolment() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("issuer.db").display());
    let keys = dir.path().join("keys");
    let outbox = Arc::new(dir.path().join("sms.txt"));
    let mut server = start(&db, &keys, &outbox);
    let addr = server.addr;

    // A burst of enrolments from 8 concurrent clients; kill -9 once 20 are acknowledged.
    let acked = Arc::new(std::sync::Mutex::new(Vec::<(u32, String)>::new()));
    let next = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (acked, next, outbox) = (acked.clone(), next.clone(), outbox.clone());
        clients.push(tokio::spawn(async move {
            let mut failures = 0;
            while failures < 3 {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= 400 {
                    break;
                }
                match enrol_one(addr, outbox.clone(), i, 0).await {
                    Some(n) => acked.lock().unwrap().push((i, n)),
                    None => failures += 1,
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let started = next.load(std::sync::atomic::Ordering::SeqCst);
    assert!(acked.len() >= 20 && started as usize > acked.len() - 1);

    // Every acknowledged enrolment is in the database.
    let storage = AnyStorage::connect(&db).await.unwrap();
    for (_, n) in &acked {
        let person = storage
            .person_by_netid(&NetidNumber::parse(n).unwrap())
            .await
            .unwrap();
        assert!(person.is_some(), "acknowledged 网号 {n} lost in the crash");
    }
    drop(storage);

    // The restarted server (same keys, same database) answers and re-enrolment of an
    // acknowledged person gives the same 网号.
    let mut again = start(&db, &keys, &outbox);
    let (s, _) = http(again.addr, "GET", "/healthz", "").await;
    assert_eq!(s, 200);
    let (i, n) = &acked[acked.len() / 2];
    let again_netid = enrol_one(again.addr, outbox.clone(), *i, 1).await;
    assert_eq!(
        again_netid.as_ref(),
        Some(n),
        "re-enrolment after the crash"
    );
    again.child.kill().unwrap();
    again.child.wait().unwrap();
    println!(
        "kill -9 after {} acknowledged of {} started enrolments: none lost",
        acked.len(),
        started
    );
}

/// The metadata document inside a `GET /v1/metadata` answer, its signature checked.
fn opened(body: &str) -> serde_json::Value {
    let signed: netid_core::SignedMetadata = serde_json::from_str(body).unwrap();
    serde_json::to_value(signed.open(None).unwrap()).unwrap()
}
