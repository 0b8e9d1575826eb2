//! Every command block a user copies from the README or bench/README is accounted for: run here
//! as written, or run by the named test, or (measurements of minutes, interactive sessions) not
//! run, with the reason. A block that appears in the docs without an entry below fails the suite,
//! so a new or changed block cannot go untested unnoticed.
//!
//! Blocks run as written in a scratch directory (with the repository's `bbs/` and `tools/`
//! beside it), under `set -euo pipefail`, with the binaries this test run built standing in for
//! `target/release` and a stand-in `cargo` that runs them: `cargo build --release -p P` checks
//! that P holds the binaries, `cargo run --release -p P -- ARGS` runs P's binary with ARGS (the
//! release build would double CI's compile time for the same sources).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the suite does with a block.
#[derive(Clone, Copy, Debug)]
enum How {
    /// Run here, as written.
    Run,
    /// Run as written by another test.
    CoveredBy(&'static str),
    /// Not run by the suite, and why.
    NotRun(&'static str),
}

/// (file, the block's first command line, what the suite does with it).
const BLOCKS: &[(&str, &str, How)] = &[
    ("README.md", "cargo run --release -p netid-demo", How::CoveredBy(
        "demo/tests/cli.rs demo_runs_end_to_end runs the netid-demo binary; `cargo test --workspace` is what CI runs",
    )),
    ("README.md", "cargo build --release -p netid-issuer -p netid-verifier -p netid-holder", How::CoveredBy(
        "demo/tests/readme.rs runs the walk-through as written",
    )),
    ("README.md", "pip install 'schemathesis==4.32.5'", How::CoveredBy(
        "demo/tests/contract.rs runs these schemathesis commands (.ci/run installs it)",
    )),
    ("README.md", "cargo build --release -p netid-bbs", How::Run),
    ("README.md", "cargo build --release -p netid-circuits", How::Run),
    ("README.md", "C=target/release/netid-circuits", How::CoveredBy(
        "circuits/tests/ceremony.rs runs the ceremony with snarkjs and imports its key",
    )),
    ("README.md", "cargo bench -p netid-bbs --bench bbs", How::NotRun(
        "criterion measurements: minutes each, after an LTO build of the bench profile",
    )),
    ("README.md", "cargo run --release -p netid-bench -- --quick --json bench.json --csv bench.csv --plots docs/bench", How::CoveredBy(
        "the same command is bench/README.md's first block, run here",
    )),
    ("bench/README.md", "cargo run --release -p netid-bench -- --quick --json bench.json --csv bench.csv --plots docs/bench", How::Run),
    ("bench/README.md", "cargo run --release -p netid-bench --", How::NotRun(
        "the full measurement run: about 500 s on a release build",
    )),
    ("bench/README.md", "cargo test -p netid-circuits --test ceremony", How::NotRun(
        "a measurement with the ceremony's key; the ceremony itself is circuits/tests/ceremony.rs",
    )),
    ("bench/README.md", "cargo build --release -p netid-bench -p netid-verifier", How::CoveredBy(
        "demo/tests/load.rs runs `netid-bench load` (--seconds 1) with two netid-verifier processes on the suite's Redis",
    )),
    ("bench/README.md", "cargo build --release -p netid-bench -p netid-issuer", How::CoveredBy(
        "demo/tests/load.rs runs `netid-bench enrol-load` (--seconds 1 --rounds 1) with two netid-issuer processes on the suite's PostgreSQL",
    )),
    ("bench/README.md", "cargo build --release -p netid-bench", How::CoveredBy(
        "demo/tests/load.rs revocation_measurements_short_run runs `netid-bench revocation` with 2 000 revoked slots",
    )),
    ("bench/README.md", "netid-bench serve-issuer --listen 127.0.0.1:8091 --out /tmp/bench-app", How::NotRun(
        "three long-running processes in three terminals, for a throughput measurement",
    )),
];

/// Bound on one block.
const LIMIT: Duration = Duration::from_secs(600);

fn docs() -> Vec<(&'static str, String)> {
    vec![
        ("README.md", include_str!("../../README.md").to_owned()),
        (
            "bench/README.md",
            include_str!("../../bench/README.md").to_owned(),
        ),
    ]
}

/// The ```` ```sh ```` blocks of `markdown`.
fn blocks(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```sh\n") {
        let body = &rest[start + 6..];
        let end = body.find("\n```").expect("unterminated block");
        out.push(body[..end].to_owned());
        rest = &body[end + 4..];
    }
    out
}

/// A block's first command line, without its comment.
fn first_command(block: &str) -> String {
    let line = block
        .lines()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or("");
    line.split("  #").next().unwrap().trim().to_owned()
}

fn entry(file: &str, block: &str) -> Option<How> {
    let first = first_command(block);
    BLOCKS
        .iter()
        .find(|(f, line, _)| *f == file && *line == first)
        .map(|(_, _, how)| *how)
}

#[test]
fn every_command_block_is_accounted_for() {
    let mut seen = Vec::new();
    for (file, text) in docs() {
        for block in blocks(&text) {
            let how = entry(file, &block).unwrap_or_else(|| {
                panic!("{file}: a command block without an entry in demo/tests/docs.rs:\n{block}")
            });
            seen.push((file, first_command(&block)));
            if let How::CoveredBy(t) | How::NotRun(t) = how {
                assert!(!t.is_empty());
            }
        }
    }
    for (file, line, _) in BLOCKS {
        assert!(
            seen.iter().any(|(f, l)| f == file && l == line),
            "demo/tests/docs.rs names a block that {file} no longer has: {line}"
        );
    }
}

/// The stand-in `cargo`: see the module docs.
const CARGO_SHIM: &str = r#"#!/bin/sh
# The docs test's stand-in for cargo (demo/tests/docs.rs).
set -e
bin_of() {
  case "$1" in
    netid-bbs|netid-circuits|netid-bench|netid-demo|netid-issuer|netid-verifier) echo "$1" ;;
    netid-holder) echo netid ;;
    *) echo "docs test: unknown package $1" >&2; exit 97 ;;
  esac
}
cmd="$1"; shift
[ "$1" = "--release" ] || { echo "docs test: expected --release" >&2; exit 97; }
shift
case "$cmd" in
  build)
    while [ $# -gt 0 ]; do
      [ "$1" = "-p" ] || { echo "docs test: unexpected $1" >&2; exit 97; }
      test -x "target/release/$(bin_of "$2")"
      shift 2
    done ;;
  run)
    [ "$1" = "-p" ] || { echo "docs test: expected -p" >&2; exit 97; }
    b="$(bin_of "$2")"; shift 2
    [ "${1:-}" = "--" ] && shift
    exec "target/release/$b" "$@" ;;
  *) echo "docs test: cargo $cmd is not stood in for" >&2; exit 97 ;;
esac
"#;

fn run_block(name: &str, block: &str) {
    let bin_dir = common::bin("netid").parent().unwrap().to_owned();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("target")).unwrap();
    std::os::unix::fs::symlink(&bin_dir, root.join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        bin_dir.parent().unwrap().join("netid-keys"),
        root.join("target/netid-keys"),
    )
    .unwrap();
    for d in ["bbs", "tools"] {
        std::os::unix::fs::symlink(repo.join(d), root.join(d)).unwrap();
    }
    std::fs::create_dir_all(root.join("shim")).unwrap();
    let shim = root.join("shim/cargo");
    std::fs::write(&shim, CARGO_SHIM).unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        root.join("block.sh"),
        format!("set -euo pipefail\n{block}\n"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        root.join("shim").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("block.sh")
        .current_dir(root)
        .env("PATH", path)
        .env("NETID_KEY_DIR", root.join("target/netid-keys"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            std::fs::File::create(root.join("out.txt")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(root.join("err.txt")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = std::fs::read_to_string(root.join("out.txt")).unwrap_or_default();
    let err = std::fs::read_to_string(root.join("err.txt")).unwrap_or_default();
    eprintln!("{name}: {:?}", started.elapsed());
    let Some(status) = status else {
        panic!("{name}: not done within {LIMIT:?}\n{out}\n{err}");
    };
    assert!(
        status.success(),
        "{name}: a line failed ({status})\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    );
    check_output(name, root, &out);
}

/// What each run block must have shown beyond exiting 0.
fn check_output(name: &str, root: &Path, out: &str) {
    match name {
        n if n.contains("netid-bbs") => {
            for shown in [
                "\"secretKey\"",
                "\"signature\"",
                "{\"valid\":true}",
                "\"pseudonym\"",
                "\"commitmentWithProof\"",
                "\"proverBlind\"",
            ] {
                assert!(out.contains(shown), "{shown} not shown:\n{out}");
            }
            // blind-sign on signature004.json prints the fixture's signature, and
            // blind-verify-proof accepts proof003.json (the last line of the block).
            let fixture = std::fs::read_to_string(
                root.join("bbs/tests/fixtures/blind/bls12-381-sha-256/signature/signature004.json"),
            )
            .unwrap();
            let f: serde_json::Value = serde_json::from_str(&fixture).unwrap();
            let sig = f["signature"].as_str().unwrap();
            assert!(out.contains(sig), "blind-sign did not print {sig}:\n{out}");
            assert_eq!(
                out.trim_end().lines().last(),
                Some("{\"valid\":true}"),
                "{out}"
            );
        }
        n if n.contains("netid-circuits") => {
            assert!(out.contains("{\"valid\":true}"), "eddsa-verify:\n{out}");
            assert!(out.contains("OK!"), "snarkjs did not verify:\n{out}");
            assert!(root.join("netid.r1cs").exists());
        }
        n if n.contains("--quick") => {
            for f in [
                "bench.json",
                "bench.csv",
                "docs/bench/prove.svg",
                "docs/bench/verify.svg",
            ] {
                assert!(root.join(f).exists(), "{f} missing\n{out}");
            }
        }
        _ => {}
    }
}

#[test]
fn runnable_blocks_run_as_written() {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/js/node_modules");
    for (file, text) in docs() {
        for block in blocks(&text) {
            if !matches!(entry(file, &block), Some(How::Run)) {
                continue;
            }
            let name = format!("{file}: {}", first_command(&block));
            if block.contains("tools/js/node_modules") && !js.exists() {
                assert!(
                    std::env::var("NETID_REQUIRE_JS").is_err(),
                    "NETID_REQUIRE_JS is set but tools/js/node_modules is missing"
                );
                eprintln!("{name}: skipped (no tools/js/node_modules; run `npm ci` in tools/js)");
                continue;
            }
            run_block(&name, &block);
        }
    }
}
