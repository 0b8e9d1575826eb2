//! End to end through a real browser: the verifier service on a loopback port, headless
//! Chromium (driven by `tools/js/browser_verifier.mjs` with playwright-core) opens the
//! operator's page and creates an "over 18" request; this test fetches the request over HTTP
//! as a wallet would, answers it with a real presentation, and the page must show the result
//! live: first a rejected presentation (a proof made for another request), then a valid one.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `$NETID_CHROMIUM`), node and `npm ci` in tools/js.
//! `.ci/run` installs them and sets `NETID_REQUIRE_BROWSER=1`, which makes a missing piece a
//! failure; without that variable the test reports that it was skipped.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use netid_core::{PresentationRequest, Suite};
use netid_verifier::{router, MemoryReplayCache};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// The app the page creates requests for (the operator types its API key).
const APP: &str = "shop.example";

/// The script and Chromium, or `None` (skip) when missing and not required.
fn browser_setup() -> Option<(PathBuf, PathBuf)> {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/js");
    let chromium = std::env::var_os("NETID_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing.push(format!(
            "{} (apt-get install chromium chromium-driver)",
            chromium.display()
        ));
    }
    if !node_ok {
        missing.push("node".to_owned());
    }
    if !js.join("node_modules/playwright-core").is_dir() {
        missing.push("tools/js/node_modules/playwright-core (run `npm ci` in tools/js)".into());
    }
    if missing.is_empty() {
        return Some((js.join("browser_verifier.mjs"), chromium));
    }
    assert!(
        std::env::var_os("NETID_REQUIRE_BROWSER").is_none(),
        "NETID_REQUIRE_BROWSER is set but the browser test cannot run; missing: {}",
        missing.join(", ")
    );
    eprintln!(
        "skipped: browser end-to-end test needs {}",
        missing.join(", ")
    );
    None
}

/// A minimal HTTP/1.0 client: (status, body).
async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let raw = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// Starts the service with two apps on 127.0.0.1:0.
async fn serve() -> SocketAddr {
    let w = world();
    let apps = vec![
        app(&w.registry, "game.example", 3),
        app(&w.registry, "shop.example", 2),
    ];
    let v = Arc::new(verifier(w, Arc::new(MemoryReplayCache::new())));
    // The clock is pinned to a date the sample credential satisfies.
    let r = router(keyed_state(v, apps, Arc::new(|| NOW)));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, r).await.unwrap() });
    addr
}

struct Script {
    child: Child,
    out: tokio::io::Lines<BufReader<ChildStdout>>,
    seen: Vec<String>,
}

impl Script {
    fn start(script: &PathBuf, chromium: &PathBuf, url: &str, args: &[&str]) -> Script {
        let mut child = Command::new("node")
            .arg(script)
            .arg(url)
            .args(args)
            .env("NETID_CHROMIUM", chromium)
            .env("NETID_APP_API_KEY", api_key(APP).expose_secret())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed");
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        Script {
            child,
            out,
            seen: Vec::new(),
        }
    }

    /// The rest of the next stdout line starting with `prefix` (90 s at most).
    async fn line(&mut self, prefix: &str) -> String {
        let wait = async {
            while let Some(l) = self.out.next_line().await.unwrap() {
                println!("browser: {l}");
                self.seen.push(l.clone());
                if let Some(rest) = l.strip_prefix(prefix) {
                    return Some(rest.trim().to_owned());
                }
            }
            None
        };
        match tokio::time::timeout(Duration::from_secs(90), wait).await {
            Ok(Some(rest)) => rest,
            Ok(None) => {
                let status = self.child.wait().await.unwrap();
                panic!(
                    "browser script ended ({status}) before printing {prefix:?}; its stdout: {:?} (stderr above)",
                    self.seen
                )
            }
            Err(_) => panic!("browser script printed no {prefix:?} line within 90 s"),
        }
    }

    async fn succeeds(mut self) {
        let status = tokio::time::timeout(Duration::from_secs(90), self.child.wait())
            .await
            .expect("browser script did not exit within 90 s")
            .unwrap();
        assert!(
            status.success(),
            "browser script failed: {status} (stderr above)"
        );
    }
}

async fn fetch_request(addr: SocketAddr, id: &str) -> PresentationRequest {
    let (s, body) = http(addr, "GET", &format!("/v1/requests/{id}"), "").await;
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        v.get("status").is_none(),
        "the wallet sees no status: {body}"
    );
    serde_json::from_value(v["request"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_shows_rejected_then_verified_bbs() {
    let Some((script, chromium)) = browser_setup() else {
        return;
    };
    let t0 = Instant::now();
    let w = world();
    let addr = serve().await;
    let mut b = Script::start(
        &script,
        &chromium,
        &format!("http://{addr}/"),
        &[
            "--app",
            "shop.example",
            "--suites",
            "bbs-sha256,bbs-shake256",
            "--expect",
            "rejected,verified",
        ],
    );
    let id = b.line("REQUEST ").await;
    assert_eq!(id.len(), 64, "{id}");

    // The wallet's side: fetch the request the QR code points to; it is the page's request.
    let req = fetch_request(addr, &id).await;
    assert_eq!(req.app_id, "shop.example");
    assert_eq!(req.statements.age_at_least, Some(18));
    assert!(req.statements.pseudonym);
    // With the pseudonym asked, the page sends the app's one pseudonym suite whatever suites
    // are ticked (one pseudonym per person per app).
    assert_eq!(req.suites, vec![Suite::BbsSha256]);
    let (s, svg) = http(addr, "GET", &format!("/v1/requests/{id}/qr.svg"), "").await;
    assert_eq!(s, 200);
    assert!(svg.contains("<svg"), "{svg}");

    // A proof made for another request (another nonce), relabelled as answering this one.
    let other = request(&app(&w.registry, "shop.example", 2), &[Suite::BbsSha256]);
    let mut forged = bbs_present(w, 0, &other);
    forged.request_hash = req.request_hash();
    let (s, body) = http(
        addr,
        "POST",
        "/v1/presentations",
        &serde_json::to_string(&forged).unwrap(),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    b.line("STATUS rejected").await;

    // The real answer.
    let p = bbs_present(w, 0, &req);
    let (s, body) = http(
        addr,
        "POST",
        "/v1/presentations",
        &serde_json::to_string(&p).unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let shown = b.line("VERIFIED ").await;
    assert!(
        shown.contains("shop.example") && shown.contains("bbs-sha256"),
        "{shown}"
    );
    b.succeeds().await;
    println!("browser round trip (BBS): {:?}", t0.elapsed());
}
