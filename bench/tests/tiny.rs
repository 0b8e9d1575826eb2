//! A tiny run of the whole tool: every suite, two statements, the peers, a one-point sweep, the
//! outputs and plots, and a BBS throughput run against the in-process verifier. One repetition each
//! (`Config::tiny()`), so it takes seconds even in the test profile.
#![allow(clippy::unwrap_used)]

use indicatif::ProgressBar;
use netid_bench::throughput::{self, ThroughputConfig};
use netid_bench::world::World;
use netid_bench::{output, plot, run, Config, Statement, SuiteName};

#[test]
fn tiny_matrix_outputs_and_plots() {
    // The BBS suites: seconds in the test profile. Groth16 is in `tiny_groth16_and_floor`.
    let config = Config {
        suites: vec![SuiteName::BbsSha256, SuiteName::BbsShake256],
        statements: vec![Statement::Full, Statement::Nym, Statement::Revocation],
        message_counts: vec![3],
        ..Config::tiny()
    };
    let report = run(&config, &ProgressBar::hidden()).unwrap();
    // 2 suites × 3 statements, less revocation (no BBS non-revocation proof).
    assert_eq!(report.statements.len(), 4);
    assert_eq!(report.skipped.len(), 2);
    for row in &report.statements {
        assert!(row.prove.median_ms > 0.0 && row.verify.median_ms > 0.0);
        assert_eq!(row.prove.samples, 1);
    }
    assert!(report.suites.iter().all(|s| s.setup.is_some()));
    // Peers: zkryptium's pseudonym proofs (prove, verify) for both suites.
    assert_eq!(report.peers.len(), 2 * 2);
    assert!(report
        .peers
        .iter()
        .all(|p| p.ratio.is_finite() && p.ratio > 0.0));
    // Sweep: 2 BBS suites × 4 operations at 3 messages, zkryptium beside each.
    assert_eq!(report.sweep.len(), 8);
    assert!(report.sweep.iter().all(|w| w.zkryptium.is_some()));

    let csv = output::to_csv(&report);
    let columns = output::CSV_HEADER.split(',').count();
    // Per suite: setup, issue, 4 sizes; then 4 statements × (prove, verify), 4 peers, 8 sweep.
    let lines = csv.lines().count();
    assert_eq!(lines, 1 + 2 * 6 + 4 * 2 + 4 + 8);
    assert!(csv
        .lines()
        .filter(|l| !l.contains('"'))
        .all(|l| l.split(',').count() == columns));
    let json: serde_json::Value = serde_json::from_str(&output::to_json(&report).unwrap()).unwrap();
    assert_eq!(json["statements"].as_array().unwrap().len(), 4);
    assert!(output::to_table(&report).contains("zkryptium"));

    let dir = tempfile::tempdir().unwrap();
    let files = plot::write_plots(&report, dir.path()).unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        let svg = std::fs::read_to_string(f).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("netid"));
    }
}

#[test]
#[ignore = "Groth16 proving takes minutes in the test profile; run with --ignored or --release"]
fn tiny_groth16_and_floor() {
    let config = Config {
        suites: vec![SuiteName::Groth16],
        statements: vec![Statement::Full],
        message_counts: vec![],
        setup: false,
        ..Config::tiny()
    };
    let report = run(&config, &ProgressBar::hidden()).unwrap();
    let row = report.row(SuiteName::Groth16, Statement::Full).unwrap();
    assert_eq!(row.proof_bytes, 128);
    let info = &report.suites[0];
    assert!(info.constraints.unwrap() > 1000);
    // The floor: prove and verify beside netid's, same constraint count.
    assert_eq!(report.peers.len(), 2);
    let constraints = info.constraints.unwrap().to_string();
    assert!(report.peers.iter().all(|p| p.peer.contains(&constraints)));
}

#[test]
fn tiny_throughput_in_process() {
    let config = ThroughputConfig {
        verifier: None,
        // Groth16 proving is slow in the test profile; the BBS suite exercises the same path.
        suites: vec![SuiteName::BbsSha256],
        count: 3,
        concurrency: 2,
        max_seconds: 30.0,
    };
    let w = World::new(&Config::default_key_dir()).unwrap();
    let rows = throughput::run(&config, &w, &ProgressBar::hidden()).unwrap();
    assert_eq!(rows.len(), 1);
    for r in rows {
        assert_eq!((r.verified, r.errors), (3, 0), "{r:?}");
        assert!(r.per_second > 0.0 && r.p50_ms > 0.0 && r.max_ms >= r.p50_ms);
    }
}

#[test]
fn bad_configurations_are_errors() {
    let config = Config {
        message_counts: vec![0],
        ..Config::tiny()
    };
    assert!(run(&config, &ProgressBar::hidden()).is_err());
    let config = Config {
        suites: vec![],
        message_counts: vec![],
        ..Config::tiny()
    };
    assert!(run(&config, &ProgressBar::hidden()).is_err());
    assert!(throughput::parse_url("ftp://x").is_err());
}
