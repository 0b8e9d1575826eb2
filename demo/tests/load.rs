//! The load test's short run (`netid-bench load --seconds 1`, bench/README.md "Load test"): two
//! real `netid-verifier` processes on the suite's Redis, capacity, 50 % and 100 % of it, then a
//! flood of invalid presentations at 10× capacity while honest ones continue. Timings on a
//! shared CI machine say little, so this checks behaviour, not speed: every phase verifies
//! presentations, no honest presentation is lost in the flood, the costly part of the flood is
//! bounded (at most `MAX_REJECTIONS` verified per request the attacker saw), the rest is refused
//! unverified, memory stays bounded and both replicas still run. The full run's numbers are in
//! bench/README.md.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use serde_json::Value;

/// The requests whose ids the attacker saw (`netid_bench::load`).
const SEEN_REQUESTS: usize = 64;

/// Runs `netid-bench ARGS --json FILE`; asserts success and returns the JSON report and the
/// output.
fn bench(args: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(common::bin("netid-bench"))
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    println!("{text}");
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (report, text)
}

#[test]
fn two_replicas_hold_under_a_flood() {
    let Ok(redis) = std::env::var("REDIS_URL") else {
        eprintln!("REDIS_URL not set: skipping the load test (it needs Redis)");
        return;
    };
    let verifier = common::bin("netid-verifier");
    // netid_bench::load::LoadReport, read as JSON.
    let (r, text) = bench(&[
        "load",
        "--seconds",
        "1",
        "--max-presentations",
        "400",
        "--redis",
        &redis,
        "--verifier-bin",
        verifier.to_str().unwrap(),
    ]);
    let phases = r["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["capacity", "50%", "100%", "flood (honest)"],
        "{text}"
    );
    let n = |v: &Value| v.as_f64().unwrap();
    for p in phases {
        assert!(n(&p["verified"]) > 0.0 && n(&p["per_second"]) > 0.0, "{p}");
    }
    let honest = &phases[3];
    assert_eq!(
        n(&honest["lost"]),
        0.0,
        "honest presentations lost in the flood: {text}"
    );
    assert_eq!(honest["verified"], honest["sent"], "{text}");

    let f = &r["flood"];
    assert_eq!(f["replicas_alive"], true, "{text}");
    assert!(
        n(&f["offered_per_second"]) >= 9.0 * n(&phases[0]["per_second"]),
        "the flood was not 10x capacity: {text}"
    );
    let answers: std::collections::BTreeMap<u16, usize> =
        serde_json::from_value(f["answers"].clone()).unwrap();
    // Verified and rejected: at most MAX_REJECTIONS per seen request; unknown ids (404),
    // malformed bodies (400), closed requests (410) and repeat attempts refused as busy (503)
    // cost no verification. Nothing else.
    let costly = answers.get(&422).copied().unwrap_or(0);
    let cap = SEEN_REQUESTS * netid_verifier::MAX_REJECTIONS as usize;
    assert!(
        costly <= cap,
        "{costly} invalid proofs verified (cap {cap}): {text}"
    );
    assert!(answers.get(&404).copied().unwrap_or(0) > 0, "{text}");
    assert!(answers.get(&400).copied().unwrap_or(0) > 0, "{text}");
    for status in answers.keys() {
        assert!(
            [400, 404, 410, 422, 503].contains(status),
            "unexpected answer {status} to an invalid presentation: {text}"
        );
    }
    // Memory bounded: the flood adds little to either replica.
    let kib = |k: &str| -> Vec<f64> { f[k].as_array().unwrap().iter().map(n).collect() };
    for (before, after) in kib("rss_before_kib").iter().zip(kib("rss_after_kib")) {
        assert!(*before > 0.0 && after < before + 64.0 * 1024.0, "{text}");
    }
}

/// The issuer's short run (`netid-bench enrol-load --seconds 1 --rounds 1`, bench/README.md
/// "Issuer enrolment load"): two real `netid-issuer` processes on a database of their own on
/// the suite's PostgreSQL. Behaviour, not speed: both configurations enrol people, nothing
/// fails, the two-replica configuration issues on both replicas, every enrolment got its own
/// 网号, and both replicas still run.
#[test]
fn issuer_replicas_enrol_on_postgres() {
    let Ok(database) = std::env::var("DATABASE_URL") else {
        eprintln!("DATABASE_URL not set: skipping the enrolment load test (it needs PostgreSQL)");
        return;
    };
    let issuer = common::bin("netid-issuer");
    // netid_bench::enrol::EnrolReport, read as JSON.
    let (r, text) = bench(&[
        "enrol-load",
        "--seconds",
        "1",
        "--rounds",
        "1",
        "--max-enrolments",
        "400",
        "--database",
        &database,
        "--issuer-bin",
        issuer.to_str().unwrap(),
    ]);
    let rows = r["rows"].as_array().unwrap();
    let n = |v: &Value| v.as_u64().unwrap();
    assert_eq!(
        rows.iter()
            .map(|row| n(&row["replicas"]))
            .collect::<Vec<_>>(),
        [1, 2],
        "{text}"
    );
    for row in rows {
        assert!(n(&row["enrolled"]) > 0, "{row}");
        assert_eq!(row["enrolled"], row["sent"], "{row}");
        assert!(row["failures"].as_object().unwrap().is_empty(), "{row}");
    }
    let spread: Vec<u64> = rows[1]["per_replica"]
        .as_array()
        .unwrap()
        .iter()
        .map(n)
        .collect();
    assert!(spread.iter().all(|k| *k > 0), "{text}");
    assert_eq!(r["distinct_netids"], r["enrolled"], "{text}");
    assert_eq!(r["replicas_alive"], true, "{text}");
}

/// The revocation measurements' short run (`netid-bench revocation` with 2 000 revoked slots,
/// bench/README.md "Revocation at scale"): the issuer's real SQLite storage in a file of the
/// run's own. Behaviour, not speed: every slot drawn is logged and sealed (the bench itself
/// checks that each wallet path it computes from a bucket leads to the stored root), the seal
/// rows and the capacity table are there, and the database file is gone afterwards.
#[test]
fn revocation_measurements_short_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("revocation.db");
    // netid_bench::revocation::RevocationReport, read as JSON.
    let (r, text) = bench(&[
        "revocation",
        "--revoked",
        "2000",
        "--seals",
        "100,300",
        "--rounds",
        "1",
        "--peer-slots",
        "200",
        "--db",
        db.to_str().unwrap(),
    ]);
    let n = |v: &Value| v.as_u64().unwrap();
    // 2 000 draws from 2^31 slots: a repeat is possible but rare, and counts once.
    assert!(
        (1990..=2000).contains(&n(&r["seals"][0]["tree_before"])),
        "{text}"
    );
    let seals: Vec<u64> = r["seals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| n(&s["new"]))
        .collect();
    assert_eq!(seals, [100, 300], "{text}");
    assert!(
        n(&r["revoked"]) > n(&r["seals"][0]["tree_before"]) + 390,
        "{text}"
    );
    assert!(n(&r["stored_nodes"]) > 0, "{text}");
    assert_eq!(n(&r["peer_slots"]), 200, "{text}");
    let cap = r["capacity"].as_array().unwrap();
    assert_eq!(cap.len(), 3, "{text}");
    // 10^9 holders, 24 h epochs: 10^9 / 86 400 refreshes a second.
    let national = &cap[1];
    assert_eq!(national["holders"].as_f64().unwrap(), 1e9);
    assert!((national["refreshes_per_s"].as_f64().unwrap() - 11_574.07).abs() < 0.01);
    assert!(national["cores_peak"].as_f64().unwrap() > 0.0, "{text}");
    assert!(!db.exists(), "the benchmark left its database behind");
    assert!(text.contains("capacity"), "{text}");
}
