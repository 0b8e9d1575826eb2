//! Both services start fast at their default settings: no `RUST_LOG`, so the binaries' own
//! default log filter (arkworks' `gr1cs` spans once made the issuer's start take minutes),
//! and a warm key cache (the issuer's key files exist).
//! Alone in its test binary so that no other test shares the CPUs while it times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The bound the issue sets for a start on a warm key cache.
const START_BOUND: Duration = Duration::from_secs(2);

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

/// Starts `cmd` (no `RUST_LOG`), waits for its "listening on" line and then for `/healthz` to
/// answer 200; returns the service and the time from spawn to the first 200.
fn start(mut cmd: Command, log: &Path, limit: Duration) -> (common::Service, Duration) {
    let t0 = Instant::now();
    cmd.env_remove("RUST_LOG");
    let service = common::start_service(cmd, log);
    let addr: SocketAddr = service
        .url
        .strip_prefix("http://")
        .unwrap()
        .parse()
        .unwrap();
    while !healthy(addr) {
        assert!(t0.elapsed() < limit, "no /healthz within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    (service, t0.elapsed())
}

/// Starts the issuer (with `issuer_extra` arguments; a first, untimed start warms the caches:
/// the issuer's key files, and the Groth16 development keys, which a cold machine makes in
/// minutes) and then a verifier against it (with `verifier_extra`), and checks each answers
/// `/healthz` within [`START_BOUND`] and logs how to change its default filter.
fn check(what: &str, issuer_extra: &[&str], verifier_extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let key_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys");
    let issuer_cmd = || {
        let mut c = Command::new(common::bin("netid-issuer"));
        c.args(["--listen", "127.0.0.1:0", "--trust-dev-card-authority"])
            .arg("--db")
            .arg(format!(
                "sqlite://{}",
                dir.path().join("issuer.db").display()
            ))
            .arg("--key-dir")
            .arg(dir.path().join("keys"))
            .arg("--sms-outbox")
            .arg(dir.path().join("sms.txt"))
            .args(issuer_extra)
            .env("NETID_KEY_DIR", &key_dir);
        c
    };
    let (first, _) = start(
        issuer_cmd(),
        &dir.path().join("issuer-0.log"),
        Duration::from_secs(900),
    );
    drop(first);

    let issuer_log = dir.path().join("issuer.log");
    let (issuer, took) = start(issuer_cmd(), &issuer_log, Duration::from_secs(120));
    let log = std::fs::read_to_string(&issuer_log).unwrap();
    eprintln!("{what}: netid-issuer answered /healthz after {took:?}");
    assert!(
        took < START_BOUND,
        "{what}: netid-issuer took {took:?} to answer /healthz:\n{log}"
    );
    // The default filter is in force and the log says how to change it.
    assert!(log.contains("RUST_LOG=info,gr1cs=trace"), "{log}");

    let mut v = Command::new(common::bin("netid-verifier"));
    v.args(["--listen", "127.0.0.1:0", "--issuer", &issuer.url])
        .args(verifier_extra);
    let verifier_log = dir.path().join("verifier.log");
    let (_verifier, took) = start(v, &verifier_log, Duration::from_secs(120));
    let log = std::fs::read_to_string(&verifier_log).unwrap();
    eprintln!("{what}: netid-verifier answered /healthz after {took:?}");
    assert!(
        took < START_BOUND,
        "{what}: netid-verifier took {took:?} to answer /healthz:\n{log}"
    );
    assert!(log.contains("RUST_LOG=info,gr1cs=trace"), "{log}");
}

#[test]
fn both_services_start_within_two_seconds_at_their_default_log_filter() {
    // The shipped defaults (BBS suites only).
    check("defaults", &[], &[]);
    // With the Groth16 suite: the issuer loads its proving key and builds the circuit, where
    // arkworks' spans at an unfiltered info level took minutes.
    check("groth16", &["--dev-groth16-keys"], &["--accept-dev-keys"]);
}
