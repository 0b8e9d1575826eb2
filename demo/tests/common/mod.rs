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

/// A service binary started by a test (killed on drop).
pub struct Service {
    child: std::process::Child,
    /// Its base URL, from its "listening on" line.
    pub url: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd` (a service binary listening on `127.0.0.1:0`) with its stderr in `log`, and
/// waits for its "listening on URL" line.
pub fn start_service(mut cmd: Command, log: &std::path::Path) -> Service {
    use std::io::BufRead as _;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::from(
            std::fs::File::create(log).unwrap(),
        ))
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(url) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "no listening line ({line:?}); log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    };
    Service {
        url: url.to_owned(),
        child,
    }
}

/// A birthdate `years` old (and ten days) today, in China Standard Time as the wallet sees it.
/// A finished command's stdout and stderr, for assertions and failure messages.
pub fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn birthdate_aged(years: u32) -> netid_core::Date {
    netid_core::Date::from_unix_seconds(
        i64::try_from(netid_holder::cli::ops::now()).unwrap(),
        8 * 3600,
    )
    .unwrap()
    .checked_sub_years(years)
    .unwrap()
    .checked_sub_days(10)
    .unwrap()
}
