//! The wallet stands apart from the services (DESIGN.md: the role crates never depend on each
//! other): `netid-holder`, library and CLI, depends on netid-core, netid-bbs and netid-circuits
//! only. The issuer's HTTP API types live in netid-core; `netid-demo` holds the in-process demo.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn the_wallet_links_no_issuer_verifier_or_demo_crate() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "netid-holder",
            "--features",
            "cli",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let netid: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| name.starts_with("netid"))
        .collect();
    assert_eq!(
        netid.into_iter().collect::<Vec<_>>(),
        ["netid-bbs", "netid-circuits", "netid-core", "netid-holder"],
        "{text}"
    );
    // Nor the service stacks that came with them.
    for heavy in ["axum", "sqlx", "tokio", "hyper", "redis"] {
        assert!(
            !text
                .lines()
                .any(|l| l.split_whitespace().next() == Some(heavy)),
            "netid-holder pulls in {heavy}:\n{text}"
        );
    }
}
