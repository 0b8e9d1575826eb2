//! Shared by the end-to-end tests: the workspace's binaries. Cargo builds only the binaries of the
//! package under test for its tests, and these belong to netid-holder, netid-issuer and
//! netid-verifier, so the tests ask cargo for the same build `cargo test --workspace` makes (a
//! no-op inside that command; the same features, so nothing is compiled twice).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>`: the directory of this test executable's `deps/` folder.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    deps.parent().unwrap().to_owned()
}

/// The path of a workspace binary (`netid`, `netid-issuer`, `netid-verifier`), built on first use
/// with `cargo test --workspace --no-run` in this test's profile.
pub fn bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let dir = profile_dir();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["test", "--workspace", "--no-run", "--quiet"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        match dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => {}
            Some("release") => {
                cmd.arg("--release");
            }
            Some(other) => {
                cmd.args(["--profile", other]);
            }
            None => panic!("no profile directory above {}", dir.display()),
        }
        let status = cmd.status().expect("running cargo build for the binaries");
        assert!(status.success(), "cargo build of the binaries failed");
        dir
    });
    let path = dir.join(name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}
