//! Replicas as real processes: two `netid-issuer` on one PostgreSQL database and two
//! `netid-verifier` on one Redis, with the `netid` wallet, every step on alternating replicas:
//! enrol on issuer A, guardian approval on B; a request created on verifier A, answered on B,
//! its result read on A; Redis restarted mid-run and both verifiers recover without a restart;
//! a revocation on issuer B refused by both verifiers; a replica started with foreign keys
//! refuses to start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netid_holder::cli::http;

const ADMIN: &str = "replica-test-admin-token-0123456789";
/// Short epochs, so that the revocation takes effect within the test (specs/revocation.md §4:
/// at most `(K+1)` epochs, K = 1).
const EPOCH_SECS: u64 = 3;
const PASSPHRASE: &str = "测试口令 replica passphrase";

fn text(o: &Output) -> String {
    common::output_text(o)
}

/// A fresh database on the suite's PostgreSQL, or `None` without `DATABASE_URL`.
fn fresh_database() -> Option<String> {
    let url = std::env::var("DATABASE_URL").ok()?;
    let name = format!(
        "netid_replicas_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let admin = sqlx::PgPool::connect(&url)
            .await
            .expect("DATABASE_URL reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
    });
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

/// A private `redis-server` (so the test can restart it), killed on drop.
struct Redis {
    child: std::process::Child,
    port: u16,
}

impl Redis {
    fn start(port: u16) -> Redis {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian package redis-server; .ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(25));
        }
        Redis { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Wallet<'a> {
    file: PathBuf,
    dir: &'a Path,
}

impl Wallet<'_> {
    fn cmd(&self, issuer: &str, args: &[&str]) -> Command {
        let mut c = Command::new(common::bin("netid"));
        c.arg("--wallet")
            .arg(&self.file)
            .arg("--issuer")
            .arg(issuer)
            .args(args)
            .env("NETID_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, issuer: &str, args: &[&str]) -> Output {
        self.cmd(issuer, args).output().unwrap()
    }

    fn ok(&self, issuer: &str, args: &[&str]) -> String {
        let o = self.run(issuer, args);
        let t = text(&o);
        assert!(o.status.success(), "netid {args:?} failed:\n{t}");
        t
    }

    /// `netid enroll` at `issuer`, typing the code that issuer wrote to `outbox`.
    fn enroll(&self, issuer: &str, outbox: &Path, card: &Path, phone: &str) -> String {
        let card = card.to_str().unwrap();
        let args = [
            "enroll",
            "--card",
            card,
            "--phone",
            phone,
            "--suites",
            "bbs-sha256",
        ];
        let before = std::fs::metadata(outbox).map_or(0, |m| m.len());
        let mut child = self
            .cmd(issuer, &args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let code = loop {
            let fresh = std::fs::read(outbox).unwrap_or_default();
            let fresh =
                String::from_utf8_lossy(&fresh[usize::try_from(before).unwrap()..]).into_owned();
            if let Some(c) = fresh.lines().find_map(|l| l.strip_prefix(phone)) {
                break c.trim().to_owned();
            }
            assert!(Instant::now() < deadline, "no code sent to {phone}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{code}").unwrap();
        drop(stdin);
        let o = child.wait_with_output().unwrap();
        let t = text(&o);
        assert!(o.status.success(), "enroll failed:\n{t}");
        t
    }

    /// Writes a sample ID card (the development authority's) and returns its path.
    fn card(&self, name: &str, birth: &str, seq: &str) -> PathBuf {
        let out = self.dir.join(format!("card-{seq}.json"));
        let path = out.to_str().unwrap();
        let args = [
            "card-sample",
            "--name",
            name,
            "--birth",
            birth,
            "--seq",
            seq,
            "--out",
            path,
        ];
        self.ok("http://127.0.0.1:9", &args);
        out
    }
}

/// The 网号 in an `enroll` transcript (`网号 / network identity number: XXXX XXXX …`).
fn netid_of(transcript: &str) -> String {
    let line = transcript
        .lines()
        .find(|l| l.contains("network identity number:"))
        .unwrap();
    let v = line.split_once("number:").unwrap().1.trim();
    v.split(" (").next().unwrap().to_owned()
}

fn issuer_cmd(db: &str, keys: &Path, outbox: &Path) -> Command {
    let mut c = Command::new(common::bin("netid-issuer"));
    c.args(["--listen", "127.0.0.1:0", "--trust-dev-card-authority"])
        .args(["--db", db])
        .args(["--epoch-seconds", &EPOCH_SECS.to_string()])
        .arg("--key-dir")
        .arg(keys)
        .arg("--sms-outbox")
        .arg(outbox)
        .env("NETID_ADMIN_TOKEN", ADMIN)
        .env_remove("RUST_LOG");
    c
}

/// The app's API key (what its backend sends to create requests and read results).
const API_KEY: &str = "replica-test-api-key-0123456789abcdef";

/// A verifier on `port` whose public URL, where wallets post their answers, is
/// `http://127.0.0.1:<public_port>`.
fn verifier_cmd(issuer: &str, store: &str, dir: &Path, port: u16, public_port: u16) -> Command {
    let mut c = Command::new(common::bin("netid-verifier"));
    c.args([
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--public-url",
        &format!("http://127.0.0.1:{public_port}"),
        "--issuer",
        issuer,
        "--store",
        store,
    ])
    .args(["--refresh-seconds", "1"])
    .arg("--app-cert")
    .arg(dir.join("shop.cert"))
    .arg("--app-key")
    .arg(dir.join("shop.key"))
    .arg("--app-api-key-file")
    .arg(dir.join("shop.apikey"))
    .env_remove("RUST_LOG");
    c
}

/// Creates an "over 18" request on `verifier`, retrying while it answers 503 (Redis away) for
/// at most `patience`; returns its id.
fn create_request(verifier: &str, patience: Duration) -> String {
    let deadline = Instant::now() + patience;
    loop {
        let r = http::post_json(
            &format!("{verifier}/v1/requests"),
            r#"{"age_at_least":18,"not_expired":true}"#,
            Some(API_KEY),
        )
        .unwrap();
        if r.ok() {
            let v: serde_json::Value = r.json("created request").unwrap();
            return v["id"].as_str().unwrap().to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no request created on {verifier}: {}",
            r.text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The request's result, as the app reads it.
fn status(verifier: &str, id: &str) -> serde_json::Value {
    let r = http::get_authorized(&format!("{verifier}/v1/requests/{id}/result"), API_KEY).unwrap();
    assert!(r.ok(), "{}", r.text());
    r.json("request status").unwrap()
}

#[test]
fn two_issuers_and_two_verifiers_behave_as_one() {
    let Some(db) = fresh_database() else {
        eprintln!("DATABASE_URL not set: skipping the replica test (it needs PostgreSQL)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let keys = root.join("issuer-keys");
    let (out_a, out_b) = (root.join("sms-a.txt"), root.join("sms-b.txt"));
    let issuer_a = common::start_service(issuer_cmd(&db, &keys, &out_a), &root.join("ia.log"));
    let issuer_b = common::start_service(issuer_cmd(&db, &keys, &out_b), &root.join("ib.log"));
    let (ia, ib) = (issuer_a.url.clone(), issuer_b.url.clone());

    // The app registered on issuer B; both verifiers run it.
    let adult = Wallet {
        file: root.join("adult.wallet"),
        dir: root,
    };
    let key_path = root.join("shop.key");
    let app_pub = adult.ok(&ia, &["app-keygen", key_path.to_str().unwrap()]);
    let app_pub = app_pub.lines().next().unwrap().trim();
    let body = format!(
        r#"{{"app_id":"shop.example","name":"示例商城","category":"shopping",
        "policy":{{"disclose":[],"age":true,"assurance":true,"pseudonym":true,
        "pseudonym_suite":"bbs-sha256","not_expired":true}},"app_key":"{app_pub}"}}"#
    );
    let r = http::post_json(&format!("{ib}/v1/admin/apps"), &body, Some(ADMIN)).unwrap();
    assert!(r.ok(), "{}", r.text());
    let v: serde_json::Value = r.json("registered app").unwrap();
    std::fs::write(root.join("shop.cert"), v["certificate"].as_str().unwrap()).unwrap();

    std::fs::write(root.join("shop.apikey"), format!("{API_KEY}\n")).unwrap();

    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, port_a, port_b) = (free_port(), free_port(), free_port());
    let redis = Redis::start(port);
    // A stand-in for the load balancer in front of the replicas: each replica's public URL is
    // the other replica, so a wallet that fetched a request from one (its QR code) posts the
    // answer, to the request's signed response_uri, on the other.
    let verifier_a = common::start_service(
        verifier_cmd(&ia, &redis.url(), root, port_a, port_b),
        &root.join("va.log"),
    );
    let verifier_b = common::start_service(
        verifier_cmd(&ib, &redis.url(), root, port_b, port_a),
        &root.join("vb.log"),
    );
    let (va, vb) = (verifier_a.url.clone(), verifier_b.url.clone());

    // Enrol on issuer A.
    adult.ok(&ia, &["init"]);
    let card = adult.card("丽", "1990-05-01", "1");
    let t = adult.enroll(&ia, &out_a, &card, "+8613800138001");
    let adult_netid = netid_of(&t);

    // A request created on verifier A, fetched from A, answered on verifier B (its
    // response_uri), its result read on A.
    let id = create_request(&va, Duration::ZERO);
    let t = adult.ok(
        &ia,
        &["present", &format!("{va}/v1/requests/{id}"), "--yes"],
    );
    assert!(t.contains(&format!("{vb}/v1/presentations")), "{t}");
    assert!(
        std::fs::read_to_string(root.join("vb.log"))
            .unwrap_or_default()
            .contains("presentation accepted"),
        "verifier B did not verify it"
    );
    let s = status(&va, &id);
    assert_eq!(s["status"], "verified", "{s}");
    assert_eq!(s["claims"]["age_at_least"], 18, "{s}");

    // A minor enrols on issuer A; the guardian approves on issuer B; the minor collects on A.
    let teen = Wallet {
        file: root.join("teen.wallet"),
        dir: root,
    };
    teen.ok(&ia, &["init"]);
    let birth = common::birthdate_aged(15);
    let teen_card = teen.card("小明", &birth.to_string(), "2");
    let t = teen.enroll(&ia, &out_a, &teen_card, "+8613800138002");
    assert!(t.contains("guardian"), "{t}");
    let teen_netid = netid_of(&t);
    let t = adult.ok(&ib, &["guardian", "approve", &teen_netid]);
    assert!(t.contains("*小明"), "{t}");
    let t = teen.ok(&ia, &["refresh"]);
    assert!(t.contains("bbs-sha256"), "{t}");

    // Redis restarts (its data gone): both verifiers recover without a restart.
    drop(redis);
    let redis = Redis::start(port);
    let id = create_request(&va, Duration::from_secs(15));
    adult.ok(
        &ia,
        &["present", &format!("{vb}/v1/requests/{id}"), "--yes"],
    );
    assert_eq!(status(&va, &id)["status"], "verified");
    let id = create_request(&vb, Duration::from_secs(15));
    adult.ok(
        &ia,
        &["present", &format!("{va}/v1/requests/{id}"), "--yes"],
    );
    assert_eq!(status(&vb, &id)["status"], "verified");

    // A revocation on issuer B: one of the issuers seals it at the next boundary, both serve
    // that epoch, and both verifiers refuse the revoked credential once the grace epoch is over
    // and they have refetched the metadata (every second), verifier A from issuer A.
    let r = http::post_json(
        &format!("{ib}/v1/admin/revocations"),
        &format!(r#"{{"netid":"{adult_netid}"}}"#),
        Some(ADMIN),
    )
    .unwrap();
    assert!(r.ok(), "{}", r.text());
    let revoked: serde_json::Value = r.json("revocation").unwrap();
    let md = |i: &str| -> serde_json::Value {
        let signed: netid_core::SignedMetadata = http::get(&format!("{i}/v1/metadata"))
            .unwrap()
            .json("metadata")
            .unwrap();
        serde_json::to_value(signed.open(None).unwrap()).unwrap()
    };
    let effective = revoked["effective_epoch"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(3 * EPOCH_SECS + 10);
    while md(&ia)["epoch"].as_u64().unwrap() < effective
        || md(&ib)["epoch"].as_u64().unwrap() < effective
    {
        assert!(Instant::now() < deadline, "epoch {effective} not sealed");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Both replicas serve one root per epoch, whichever sealed it.
    let (a, b) = (md(&ia), md(&ib));
    if a["epoch"] == b["epoch"] {
        assert_eq!(a["revocation_root"], b["revocation_root"]);
    }
    for v in [&va, &vb] {
        let deadline = Instant::now() + Duration::from_secs(4 * EPOCH_SECS + 15);
        loop {
            let id = create_request(v, Duration::ZERO);
            let o = adult.run(&ia, &["present", &format!("{v}/v1/requests/{id}"), "--yes"]);
            if !o.status.success() {
                assert_ne!(status(v, &id)["status"], "verified");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{v} still accepts the revoked credential; logs:\n{}\n{}",
                std::fs::read_to_string(root.join("va.log")).unwrap_or_default(),
                std::fs::read_to_string(root.join("vb.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    // A replica whose key directory is empty would make new keys: it refuses to start.
    let o = issuer_cmd(&db, &root.join("empty-keys"), &root.join("sms-c.txt"))
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("netid.key") && t.contains("refusing to start"),
        "{t}"
    );
    drop((verifier_a, verifier_b, issuer_a, issuer_b, redis));
}
