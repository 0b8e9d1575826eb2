//! Both services start fast at their default settings: no `RUST_LOG`, so the binaries' own
//! default log filter (arkworks' `gr1cs` spans once made the issuer's start take minutes), a warm
//! key cache, the Groth16 suite on (the issuer loads its keys and the verifier its verifying
//! key). Alone in its test binary so that no other test shares the CPUs while it times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bound the issue sets for a start on a warm key cache.
const START_BOUND: Duration = Duration::from_secs(2);

struct Service {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
fn start(mut cmd: Command, log: &Path, limit: Duration) -> (Service, Duration) {
    let t0 = Instant::now();
    let mut child = cmd
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on http://") else {
        let _ = child.kill();
        panic!(
            "no listening line ({line:?}); log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    };
    let service = Service {
        child,
        addr: addr.parse().unwrap(),
    };
    while !healthy(service.addr) {
        assert!(t0.elapsed() < limit, "no /healthz within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    (service, t0.elapsed())
}

#[test]
fn both_services_start_within_two_seconds_at_their_default_log_filter() {
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
            .arg("--dev-groth16-keys")
            .env("NETID_KEY_DIR", &key_dir);
        c
    };
    // Warm the caches: the issuer's key files and the Groth16 development keys (made on a cold
    // machine, which takes minutes, so this start is not timed).
    let (first, _) = start(
        issuer_cmd(),
        &dir.path().join("issuer-0.log"),
        Duration::from_secs(900),
    );
    drop(first);

    let issuer_log = dir.path().join("issuer.log");
    let (issuer, took) = start(issuer_cmd(), &issuer_log, Duration::from_secs(60));
    let log = std::fs::read_to_string(&issuer_log).unwrap();
    eprintln!("netid-issuer: /healthz after {took:?}");
    assert!(
        took < START_BOUND,
        "netid-issuer took {took:?} to answer /healthz:\n{log}"
    );
    // The default filter is in force and the log says how to change it.
    assert!(log.contains("RUST_LOG=info,gr1cs=trace"), "{log}");

    let mut v = Command::new(common::bin("netid-verifier"));
    v.args(["--listen", "127.0.0.1:0", "--accept-dev-keys"])
        .arg("--issuer")
        .arg(format!("http://{}", issuer.addr));
    let verifier_log = dir.path().join("verifier.log");
    let (_verifier, took) = start(v, &verifier_log, Duration::from_secs(60));
    let log = std::fs::read_to_string(&verifier_log).unwrap();
    eprintln!("netid-verifier: /healthz after {took:?}");
    assert!(
        took < START_BOUND,
        "netid-verifier took {took:?} to answer /healthz:\n{log}"
    );
    assert!(log.contains("RUST_LOG=info,gr1cs=trace"), "{log}");
}
