//! Crash safety with real crashes: a child process saves the wallet in a loop and is killed
//! (SIGKILL on Unix) at varying moments; after each kill the wallet must open with the
//! passphrase and hold a state the child had saved completely.
//!
//! The child is this test binary itself, re-run with `crash_child` selected and the wallet path
//! in an environment variable; in a normal test run `crash_child` does nothing.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use netid_core::{Date, Passphrase, Statements, Suite};
use netid_holder::{FileStorage, HistoryEntry, Wallet, WalletOptions};

const CHILD_ENV: &str = "NETID_HOLDER_CRASH_CHILD_WALLET";
/// History entries written before the first child starts.
const PREFILL: u64 = 200;
const OPTS: WalletOptions = WalletOptions::insecure_for_tests();

fn pass() -> Passphrase {
    Passphrase::new("口令 crash".to_owned())
}

/// A deliberately large entry, so that each save writes a sizeable file.
fn entry(i: u64) -> HistoryEntry {
    HistoryEntry::new(
        i,
        format!("app.{i}"),
        format!("{i} {}", "应用名称".repeat(20)),
        Suite::BbsSha256,
        Statements::new(Date::from_ymd(2026, 3, 1).unwrap()),
        None,
    )
    .unwrap()
}

/// Checks that history entries are exactly `0..n` for some `n`, i.e. a state saved in full.
fn consistent_len(w: &Wallet<FileStorage>) -> usize {
    for (k, e) in w.history().enumerate() {
        assert_eq!(e.at(), k as u64, "history is not a saved prefix");
    }
    w.history().len()
}

#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return; // normal test run: nothing to do
    };
    let mut w = Wallet::open(FileStorage::new(path), &pass(), OPTS).unwrap();
    let mut i = w.history().len() as u64;
    loop {
        w.record_presentation(entry(i));
        w.save().unwrap();
        i += 1;
    }
}

#[test]
fn killed_mid_save_never_corrupts_the_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.netid");
    let mut w = Wallet::create(FileStorage::new(&path), &pass(), OPTS, 0).unwrap();
    w.set_history_limit(netid_holder::MAX_HISTORY_LIMIT)
        .unwrap();
    for i in 0..PREFILL {
        w.record_presentation(entry(i));
    }
    w.save().unwrap();
    drop(w);

    let exe = std::env::current_exe().unwrap();
    let mut last = PREFILL as usize;
    for round in 0..12u64 {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(80 + 17 * round));
        child.kill().unwrap();
        child.wait().unwrap();

        let w = Wallet::open(FileStorage::new(&path), &pass(), OPTS).unwrap();
        let n = consistent_len(&w);
        assert!(n >= last, "a completed save was lost");
        last = n;
    }
    assert!(
        last > PREFILL as usize,
        "the child never completed a save; the test proves nothing"
    );
}
