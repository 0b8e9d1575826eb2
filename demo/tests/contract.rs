//! The services' OpenAPI documents are exact contracts: schemathesis (all checks, both
//! documents, the admin routes with the token) finds no failure. A schema-valid request is never
//! refused as malformed, a schema-invalid one is never accepted, every answer's status code,
//! content type and body are the documented ones, and nothing crashes.
//!
//! schemathesis comes from the Python package registry (`.ci/run` installs it into
//! `target/schemathesis` and sets `NETID_SCHEMATHESIS`; `NETID_REQUIRE_SCHEMATHESIS=1` makes its
//! absence a failure). Its settings are in `tools/schemathesis/schemathesis.toml`. The same
//! command is in the README for integrators.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const ADMIN_TOKEN: &str = "contract-test-admin-token-0123456789";
/// The verifier app's API key (its backend's credential for creating requests and reading results).
const APP_API_KEY: &str = "contract-test-app-api-key-0123456789";
/// Generated cases per operation (the README's command uses the default, more).
const MAX_EXAMPLES: &str = "60";

fn schemathesis() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NETID_SCHEMATHESIS") {
        return Some(PathBuf::from(p));
    }
    let found = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    found.then(|| PathBuf::from("schemathesis"))
}

/// Runs schemathesis over `url`'s document; the transcript on failure. schemathesis' own
/// internal errors (not a finding about the service) are retried once.
fn run(st: &Path, url: &str, bearer: &str, dir: &Path) -> Result<(), String> {
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/schemathesis/schemathesis.toml");
    let mut last = String::new();
    for _attempt in 0..2 {
        let out = Command::new(st)
            .arg("--config-file")
            .arg(&config)
            .args(["--no-color", "run", &format!("{url}/openapi.json")])
            .args([
                "--checks",
                "all",
                "--workers",
                "2",
                "--max-examples",
                MAX_EXAMPLES,
            ])
            .args(["-H", &format!("Authorization: Bearer {bearer}")])
            .current_dir(dir)
            .output()
            .unwrap();
        let text = common::output_text(&out);
        if out.status.success() {
            eprintln!(
                "{url}: {}",
                text.lines()
                    .rev()
                    .find(|l| l.contains("passed"))
                    .unwrap_or("")
            );
            return Ok(());
        }
        let only_internal = !text.contains("Failures:")
            && text.contains("Runtime Error")
            && !text.contains("Network Error");
        last = text;
        if !only_internal {
            break;
        }
    }
    Err(last)
}

#[test]
fn schemathesis_finds_no_failure_in_either_document() {
    let Some(st) = schemathesis() else {
        assert!(
            std::env::var("NETID_REQUIRE_SCHEMATHESIS").is_err(),
            "schemathesis is required (NETID_REQUIRE_SCHEMATHESIS) but not found"
        );
        eprintln!("schemathesis not found: skipping the contract test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut issuer = Command::new(common::bin("netid-issuer"));
    issuer
        .args(["--listen", "127.0.0.1:0", "--trust-dev-card-authority"])
        .arg("--db")
        .arg(format!("sqlite://{}", root.join("issuer.db").display()))
        .arg("--key-dir")
        .arg(root.join("keys"))
        .arg("--sms-outbox")
        .arg(root.join("sms.txt"))
        .env("NETID_ADMIN_TOKEN", ADMIN_TOKEN);
    issuer.env("RUST_LOG", "warn");
    let issuer = common::start_service(issuer, &root.join("issuer.log"));
    let issuer_url = issuer.url.clone();

    // An app for the verifier, registered through the admin route.
    let key = root.join("shop.key");
    let out = Command::new(common::bin("netid"))
        .arg("app-keygen")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let app_pub = String::from_utf8(out.stdout).unwrap();
    let body = serde_json::json!({
        "app_id": "shop.example", "name": "Shop", "category": "shopping",
        "policy": {"disclose": [], "age": true, "assurance": true, "pseudonym": true, "not_expired": true},
        "app_key": app_pub.trim(),
    });
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body", "-X", "POST"])
        .arg(format!("{issuer_url}/v1/admin/apps"))
        .args(["-H", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        .args([
            "-H",
            "Content-Type: application/json",
            "-d",
            &body.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let reg: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    std::fs::write(root.join("shop.cert"), reg["certificate"].as_str().unwrap()).unwrap();

    let mut verifier = Command::new(common::bin("netid-verifier"));
    verifier
        .args(["--listen", "127.0.0.1:0", "--issuer", &issuer_url])
        .arg("--app-cert")
        .arg(root.join("shop.cert"))
        .arg("--app-key")
        .arg(&key)
        .arg("--app-api-key-file")
        .arg(root.join("shop.apikey"));
    std::fs::write(root.join("shop.apikey"), APP_API_KEY).unwrap();
    verifier.env("RUST_LOG", "warn");
    let verifier = common::start_service(verifier, &root.join("verifier.log"));
    let verifier_url = verifier.url.clone();
    std::thread::sleep(Duration::from_millis(100));

    let mut failures = Vec::new();
    for (name, url, bearer) in [
        ("issuer", &issuer_url, ADMIN_TOKEN),
        ("verifier", &verifier_url, APP_API_KEY),
    ] {
        if let Err(transcript) = run(&st, url, bearer, root) {
            failures.push(format!("=== {name} ===\n{transcript}"));
        }
    }
    let logs = ["issuer.log", "verifier.log"]
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap_or_default());
    for log in &logs {
        assert!(!log.contains("panicked"), "a service panicked:\n{log}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
