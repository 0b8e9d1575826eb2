//! The README's "Running the services for real" block, run as written: the two services, an app
//! registration, a wallet that enrols (the one-time code typed from the outbox file the block
//! names), a presentation that must end "verified", and a revocation that must revoke.
//!
//! What the test supplies and why: a scratch directory as the working directory and `$HOME`; the
//! binaries this test run built, as `target/release` (the block's `cargo build --release` line
//! runs a stand-in `cargo` that records its arguments, which must name the three packages that
//! hold the binaries: a release build would double CI's compile time for the same sources);
//! `$REDIS_URL` for the block's Redis address; `set -euo pipefail`, so any failing line fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const README: &str = include_str!("../../README.md");
const HEADING: &str = "## Running the services for real";
const OUTBOX: &str = "/tmp/netid-sms.txt";
const PHONE: &str = "+8613800138000";
const BUILD_LINE: &str = "build --release -p netid-issuer -p netid-verifier -p netid-holder";
/// Bound on the whole block (it takes seconds).
const LIMIT: Duration = Duration::from_secs(300);

/// The first ```` ```sh ```` block after `heading`.
fn shell_block(markdown: &str, heading: &str) -> String {
    let after = &markdown[markdown.find(heading).expect("heading not in README")..];
    let start = after
        .find("```sh\n")
        .expect("no sh block after the heading")
        + 6;
    let len = after[start..].find("\n```").expect("unterminated block");
    after[start..start + len].to_owned()
}

fn outbox_len() -> u64 {
    std::fs::metadata(OUTBOX).map_or(0, |m| m.len())
}

/// The code of the first line for [`PHONE`] written to the outbox after byte `from`.
fn code_after(from: u64) -> Option<String> {
    let text = std::fs::read(OUTBOX).ok()?;
    let fresh = text.get(usize::try_from(from).ok()?..)?;
    String::from_utf8_lossy(fresh).lines().find_map(|l| {
        l.strip_prefix(PHONE)
            .map(|code| code.trim().to_owned())
            .filter(|c| !c.is_empty())
    })
}

#[test]
fn the_walkthrough_runs_as_written() {
    let Ok(redis) = std::env::var("REDIS_URL") else {
        eprintln!("REDIS_URL not set: skipping the README walk-through (it names Redis)");
        return;
    };
    let block = shell_block(README, HEADING);
    assert!(
        block.contains("redis://127.0.0.1:6379"),
        "the block no longer names Redis:\n{block}"
    );
    for port in [8080, 8090] {
        assert!(
            TcpListener::bind(("127.0.0.1", port)).is_ok(),
            "port {port} is in use: the README's walk-through listens on it"
        );
    }
    let bin_dir = common::bin("netid").parent().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("target")).unwrap();
    std::os::unix::fs::symlink(&bin_dir, root.join("target/release")).unwrap();
    std::fs::create_dir_all(root.join("shim")).unwrap();
    let shim = root.join("shim/cargo");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\n# The README test's stand-in: records the build line.\necho \"$*\" >> {}\n",
            root.join("cargo-args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let script = format!(
        "set -euo pipefail\n{}\n",
        block.replace("redis://127.0.0.1:6379", &redis)
    );
    std::fs::write(root.join("walkthrough.sh"), &script).unwrap();

    let path = format!(
        "{}:{}",
        root.join("shim").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let before = outbox_len();
    let stdout = root.join("stdout.txt");
    let stderr = root.join("stderr.txt");
    let mut cmd = Command::new("bash");
    cmd.arg("walkthrough.sh")
        .current_dir(root)
        .env("PATH", path)
        .env("HOME", root.join("home"))
        .env("XDG_DATA_HOME", root.join("home/data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::from(std::fs::File::create(&stdout).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr).unwrap()));
    for var in [
        "RUST_LOG",
        "NETID_WALLET",
        "NETID_ISSUER",
        "NETID_ADMIN_TOKEN",
        "NETID_PASSPHRASE",
        "NETID_GROTH16_KEYS",
        "NETID_KEY_DIR",
    ] {
        cmd.env_remove(var);
    }
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().unwrap();
    let group = child.id();
    let mut stdin = child.stdin.take();

    // Type the code once the issuer has "sent" it; wait for the block to finish.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            break None;
        }
        if stdin.is_some() {
            if let Some(code) = code_after(before) {
                let mut s = stdin.take().unwrap();
                let _ = writeln!(s, "{code}");
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The block leaves its two services running in the background: stop the whole group.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .status();
    let _ = child.wait();
    let out = std::fs::read_to_string(&stdout).unwrap_or_default();
    let err = std::fs::read_to_string(&stderr).unwrap_or_default();
    let transcript = format!("--- stdout ---\n{out}\n--- stderr ---\n{err}");
    let Some(status) = status else {
        panic!("the walk-through did not finish within {LIMIT:?}\n{transcript}");
    };
    assert!(status.success(), "a line failed ({status})\n{transcript}");

    let args = std::fs::read_to_string(root.join("cargo-args")).unwrap_or_default();
    assert_eq!(args.trim(), BUILD_LINE, "the block's build line changed");
    assert!(
        out.contains("\"status\":\"verified\""),
        "the request did not end verified\n{transcript}"
    );
    let at = out
        .rfind("{\"revoked\"")
        .unwrap_or_else(|| panic!("no revocation answer\n{transcript}"));
    let revoked: serde_json::Value = serde_json::Deserializer::from_str(&out[at..])
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    assert!(
        revoked["revoked"].as_u64().unwrap_or(0) >= 1,
        "nothing revoked\n{transcript}"
    );
    // Effective from the next epoch's boundary (a day from the issuer's first start).
    assert_eq!(
        revoked["effective_epoch"].as_u64(),
        revoked["epoch"].as_u64().map(|e| e + 1),
        "{revoked}"
    );
    assert!(
        root.join("netid-issuer.db").exists(),
        "the issuer's SQLite file is missing"
    );
}
