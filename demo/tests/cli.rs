//! End to end: `netid-demo`, and the `netid` wallet's commands as child processes against a real
//! issuer and verifier listening on 127.0.0.1 (refusals included).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netid_core::{Attribute, PresentationRequest};
use netid_demo::Services;
use netid_holder::cli::http;

fn key_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/netid-keys")
}

fn text(o: &Output) -> String {
    common::output_text(o)
}

#[test]
fn demo_runs_end_to_end() {
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_netid-demo"))
        .env("NETID_KEY_DIR", key_dir())
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    for line in [
        "three credentials",
        "pending: no credential before a guardian approves",
        "the teen collected three credentials",
        "bbs-sha256: same pseudonym on a second visit to shop.example",
        "groth16: same pseudonym on a second visit to game.example",
        "different pseudonyms for the two apps (unlinkable)",
        "a pseudonym in another suite than the app's is refused",
        "the minor cannot prove \"over 18\": refused",
        "the replay is rejected (409)",
        "the thief's wallet refuses the copy: it is bound to another wallet's secret",
        "bbs-sha256: rejected by the verifier",
        "bbs-shake256: rejected by the verifier",
        "groth16: rejected by the verifier",
        "still accepted before the boundary",
        "epoch boundary: epoch",
        "without the revoked credential's keys",
        "groth16: ",
        "refresh refused for the revoked holder",
        "demo complete",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    assert!(!out.contains("was accepted"), "{out}");
    eprintln!("demo took {:?}", started.elapsed());
}

struct Cli<'a> {
    wallet: PathBuf,
    issuer: &'a str,
}

impl Cli<'_> {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(common::bin("netid"));
        c.arg("--wallet")
            .arg(&self.wallet)
            .arg("--issuer")
            .arg(self.issuer)
            .args(args)
            .env("NETID_PASSPHRASE", "测试口令 test passphrase")
            .env("NETID_KEY_DIR", key_dir())
            .stdin(Stdio::null());
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.cmd(args).output().unwrap();
        let t = text(&o);
        assert!(o.status.success(), "netid {args:?} failed:\n{t}");
        t
    }

    fn fails(&self, args: &[&str]) -> String {
        let o = self.cmd(args).output().unwrap();
        let t = text(&o);
        assert!(!o.status.success(), "netid {args:?} should fail:\n{t}");
        assert!(!t.contains("panicked"), "{t}");
        t
    }

    /// `netid enroll` typing the code at the prompt once the issuer "sent" it.
    fn enroll(&self, svc: &Services, card: &Path, phone: &str, extra: &[&str]) -> String {
        let mut args = vec!["enroll", "--card", card.to_str().unwrap(), "--phone", phone];
        args.extend_from_slice(extra);
        let mut child = self
            .cmd(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let code = loop {
            if let Ok(c) = svc.code_for(phone) {
                break c;
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

#[test]
fn commands_over_http_with_refusals() {
    // The in-process issuer finds the shared key cache the same way the child processes do.
    std::env::set_var("NETID_KEY_DIR", key_dir());
    let svc = Services::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let adult = Cli {
        wallet: dir.path().join("adult.netid"),
        issuer: &svc.issuer_url,
    };
    let teen = Cli {
        wallet: dir.path().join("teen.netid"),
        issuer: &svc.issuer_url,
    };

    // Cards, wallets, enrolment.
    let adult_card = dir.path().join("adult-card.json");
    adult.ok(&[
        "card-sample",
        "--name",
        "丽",
        "--birth",
        "1990-05-01",
        "--seq",
        "7",
        "--out",
        adult_card.to_str().unwrap(),
    ]);
    let id_number =
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(&adult_card).unwrap())
            .unwrap()["card"]["id_number"]
            .as_str()
            .unwrap()
            .to_owned();
    adult.ok(&["init"]);
    adult.fails(&["init"]); // exists already
    let t = adult.enroll(
        &svc,
        &adult_card,
        "+8613900000001",
        &["--suites", "bbs-sha256,groth16"],
    );
    let netid = netid_of(&t);
    assert!(t.contains("bbs-sha256") && t.contains("groth16"), "{t}");

    let show = adult.ok(&["show"]);
    assert!(show.contains("*丽"), "{show}");
    assert!(show.contains(&netid), "{show}");
    assert!(
        show.contains('▀') || show.contains('▄') || show.contains('█'),
        "no QR code:\n{show}"
    );

    // Wrong passphrase: a clear error.
    let o = adult
        .cmd(&["show"])
        .env("NETID_PASSPHRASE", "wrong")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("wrong passphrase"), "{}", text(&o));

    // Present over HTTP: BBS and Groth16.
    let secrets = [
        netid.replace(' ', ""),
        netid.clone(),
        id_number.clone(),
        "1990-05-01".to_owned(),
    ];
    let shop = netid_demo::DEMO_APPS[0];
    for suite in ["bbs-sha256", "groth16"] {
        let url = svc
            .request_url(
                shop.0,
                18,
                &[netid_holder::cli::parse_suite(suite).unwrap()],
                false,
            )
            .unwrap();
        let t = adult.ok(&["present", &url, "--yes"]);
        assert!(t.contains(shop.1), "who asks is shown:\n{t}");
        assert!(t.contains("at least 18"), "what is asked is shown:\n{t}");
        assert!(t.contains("accepted"), "{t}");
        for s in &secrets {
            assert!(!t.contains(&format!("accepted by {s}")));
        }
    }

    // Consent declined: nothing sent (stdin closed counts as no answer → error, not a panic).
    let url = svc
        .request_url(shop.0, 18, &[netid_core::Suite::BbsSha256], true)
        .unwrap();
    let t = adult.fails(&["present", &url]);
    assert!(t.contains("no answer") || t.contains("declined"), "{t}");

    // --print, then replay by hand: accepted once, 409 the second time; the verifier's answers
    // never carry the 网号, the ID number or the birthdate.
    let t = adult.ok(&["present", &url, "--yes", "--print"]);
    let json = t.lines().find(|l| l.starts_with('{')).unwrap();
    let first = http::post_json(
        &format!("{}/v1/presentations", svc.verifier_url),
        json,
        None,
    )
    .unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    let second = http::post_json(
        &format!("{}/v1/presentations", svc.verifier_url),
        json,
        None,
    )
    .unwrap();
    assert_eq!(second.status, 409, "{}", second.text());
    let page = http::get(&url).unwrap();
    for body in [first.text(), second.text(), page.text()] {
        for s in &secrets {
            assert!(
                !body.contains(s.as_str()),
                "verifier answer leaks {s:?}: {body}"
            );
        }
    }

    // History lists the presentations.
    let h = adult.ok(&["history"]);
    assert!(h.contains(shop.0) && h.contains("groth16"), "{h}");

    // A request asking for an attribute the certificate does not allow (signed by the app key).
    let loaded: PresentationRequest = netid_holder::cli::ops::load_request(&url).unwrap();
    let mut req = loaded.clone();
    req.statements.disclose.insert(Attribute::GivenName);
    netid_core::sign_request(&mut req, &svc.app_keys[0]);
    let f = dir.path().join("greedy.json");
    std::fs::write(&f, serde_json::to_string(&req).unwrap()).unwrap();
    let t = adult.fails(&["present", f.to_str().unwrap(), "--yes"]);
    assert!(t.contains("refused"), "{t}");

    // A request not signed by the registered app (re-signed with another key).
    let mut req = loaded.clone();
    netid_core::sign_request(&mut req, &ed25519_dalek::SigningKey::from_bytes(&[9; 32]));
    let t = adult.fails(&["present", &serde_json::to_string(&req).unwrap(), "--yes"]);
    assert!(t.contains("refused") && t.contains("signature"), "{t}");

    // A relay that rewrites where the answer goes breaks the app's signature: refused before
    // anything is proved or sent.
    let mut req = loaded.clone();
    req.response_uri = Some("http://127.0.0.1:9/v1/presentations".into());
    let t = adult.fails(&["present", &serde_json::to_string(&req).unwrap(), "--yes"]);
    assert!(t.contains("refused") && t.contains("signature"), "{t}");
    // A request that names no response_uri (signed so by the app) is not sent anywhere.
    let mut req = loaded.clone();
    req.response_uri = None;
    netid_core::sign_request(&mut req, &svc.app_keys[0]);
    let t = adult.fails(&["present", &serde_json::to_string(&req).unwrap(), "--yes"]);
    assert!(t.contains("refused") && t.contains("response_uri"), "{t}");

    // https is refused clearly.
    let t = adult.fails(&[
        "present",
        "https://verifier.example/v1/requests/abc",
        "--yes",
    ]);
    assert!(t.contains("https is not supported"), "{t}");

    // A 15-year-old: pending, the guardian approves with the CLI, the teen collects, and
    // "over 18" is refused by the teen's wallet.
    let teen_card = dir.path().join("teen-card.json");
    let birth = common::birthdate_aged(15);
    teen.ok(&[
        "card-sample",
        "--name",
        "小明",
        "--birth",
        &birth.to_string(),
        "--seq",
        "8",
        "--out",
        teen_card.to_str().unwrap(),
    ]);
    teen.ok(&["init"]);
    let t = teen.enroll(
        &svc,
        &teen_card,
        "+8613900000002",
        &["--suites", "bbs-sha256"],
    );
    assert!(t.contains("guardian"), "{t}");
    let teen_netid = netid_of(&t);
    assert!(teen.ok(&["show"]).contains("no credential yet"));
    let t = adult.ok(&["guardian", "approve", &teen_netid]);
    assert!(t.contains("*小明"), "{t}");
    let t = teen.ok(&["refresh"]);
    assert!(t.contains("bbs-sha256"), "{t}");
    let t = adult.ok(&["guardian", "wards"]);
    assert!(t.contains("*小明"), "{t}");
    let t = adult.ok(&[
        "guardian",
        "permissions",
        &teen_netid,
        "--allow",
        "education,shopping",
    ]);
    assert!(t.contains("shopping"), "{t}");
    adult.fails(&["guardian", "permissions", &teen_netid, "--allow", "casino"]);
    let url = svc
        .request_url(shop.0, 18, &[netid_core::Suite::BbsSha256], true)
        .unwrap();
    let t = teen.fails(&["present", &url, "--yes"]);
    assert!(t.contains("refused") && t.contains("18"), "{t}");

    // The guardian ends the link: the ward is gone from the wallet and from the issuer's list,
    // and a second unlink is refused (no longer this minor's guardian).
    let t = adult.ok(&["guardian", "unlink", &teen_netid]);
    assert!(t.contains("no longer"), "{t}");
    assert!(!adult.ok(&["show"]).contains("*小明"));
    let t = adult.ok(&["guardian", "wards"]);
    assert!(!t.contains("*小明"), "{t}");
    let t = adult.fails(&["guardian", "unlink", &teen_netid]);
    assert!(t.contains("unlinking"), "{t}");
}
