//! The `netid` binary on its own (commands that need no issuer; the commands against a real
//! issuer and verifier are tested in netid-demo's `tests/cli.rs`, which owns the services).
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_netid");

fn text(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn app_keygen_writes_a_private_key_and_prints_its_public_half() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.key");
    let o = Command::new(BIN)
        .arg("app-keygen")
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8(o.stdout).unwrap();
    let public = netid_core::b64::decode_array::<32>(printed.trim(), "public key").unwrap();
    let seed: [u8; 32] = hex::decode(std::fs::read_to_string(&file).unwrap().trim())
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes(),
        public
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
    }
    // Never overwrites a key.
    let again = Command::new(BIN)
        .arg("app-keygen")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not overwriting"));
}
