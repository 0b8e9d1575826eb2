//! The report as a terminal table, JSON and CSV.
//!
//! The CSV is one flat table, one line per measurement, with the columns of [`CSV_HEADER`]:
//!
//! | `section` | `item` | what the numbers are |
//! |---|---|---|
//! | `setup`, `issue` | `setup`, `issue` | per-suite setup and issuance times |
//! | `size` | `issuer_sk`, `issuer_pk`, `prover_params`, `verifier_params` (bytes), `constraints`, `public_inputs` (counts) | `size` only |
//! | `prove`, `verify` | the statement | netid's timing; `size` = proof bytes |
//! | `peer` | the operation | netid's timing; `peer`, `peer_median_ms`, `ratio` = netid / peer; `size` = netid's bytes |
//! | `sweep` | `sign`, `verify`, `proof_gen`, `proof_verify` | netid-bbs over `messages` messages; zkryptium as the peer |
//! | `throughput` | `post_presentation` | latency: `median_ms` = p50, `max_ms`; `samples` = verified; `per_second` |
//!
//! Times are milliseconds; empty cells do not apply.

use std::fmt::Write as _;
use std::path::Path;

use crate::stats::fmt_ms;
use crate::{BenchError, Report, Result, Stats};

/// The CSV's columns.
pub const CSV_HEADER: &str = "section,suite,item,messages,median_ms,mad_ms,min_ms,max_ms,samples,\
                              size,peer,peer_median_ms,ratio,per_second";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[derive(Default)]
struct Line<'a> {
    section: &'a str,
    suite: &'a str,
    item: &'a str,
    messages: Option<usize>,
    stats: Option<&'a Stats>,
    size: Option<usize>,
    peer: Option<&'a str>,
    peer_median: Option<f64>,
    ratio: Option<f64>,
    per_second: Option<f64>,
}

impl Line<'_> {
    fn write(&self, out: &mut String) {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let s = self.stats;
        let cells = [
            csv_field(self.section),
            csv_field(self.suite),
            csv_field(self.item),
            opt(self.messages.map(|m| m.to_string())),
            opt(s.map(|s| s.median_ms.to_string())),
            opt(s.map(|s| s.mad_ms.to_string())),
            opt(s.map(|s| s.min_ms.to_string())),
            opt(s.map(|s| s.max_ms.to_string())),
            opt(s.map(|s| s.samples.to_string())),
            opt(self.size.map(|v| v.to_string())),
            opt(self.peer.map(csv_field)),
            opt(self.peer_median.map(|v| v.to_string())),
            opt(self.ratio.map(|v| v.to_string())),
            opt(self.per_second.map(|v| v.to_string())),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
}

/// The report as CSV (header line first).
pub fn to_csv(r: &Report) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for s in &r.suites {
        let suite = s.suite.name();
        if let Some(setup) = &s.setup {
            Line {
                section: "setup",
                suite,
                item: "setup",
                stats: Some(setup),
                ..Line::default()
            }
            .write(&mut out);
        }
        Line {
            section: "issue",
            suite,
            item: "issue",
            stats: Some(&s.issue),
            ..Line::default()
        }
        .write(&mut out);
        let sizes = [
            ("issuer_sk", Some(s.issuer_secret_key_bytes)),
            ("issuer_pk", Some(s.issuer_public_key_bytes)),
            ("prover_params", Some(s.prover_params_bytes)),
            ("verifier_params", Some(s.verifier_params_bytes)),
            ("constraints", s.constraints),
            ("public_inputs", s.public_inputs),
        ];
        for (item, size) in sizes {
            if let Some(size) = size {
                Line {
                    section: "size",
                    suite,
                    item,
                    size: Some(size),
                    ..Line::default()
                }
                .write(&mut out);
            }
        }
    }
    for row in &r.statements {
        for (section, stats) in [("prove", &row.prove), ("verify", &row.verify)] {
            Line {
                section,
                suite: row.suite.name(),
                item: row.statement.name(),
                stats: Some(stats),
                size: Some(row.proof_bytes),
                ..Line::default()
            }
            .write(&mut out);
        }
    }
    for p in &r.peers {
        Line {
            section: "peer",
            suite: p.suite.name(),
            item: &p.operation,
            messages: p.messages,
            stats: Some(&p.netid),
            size: p.bytes.map(|b| b.0),
            peer: Some(&p.peer),
            peer_median: Some(p.peer_stats.median_ms),
            ratio: Some(p.ratio),
            ..Line::default()
        }
        .write(&mut out);
    }
    for w in &r.sweep {
        Line {
            section: "sweep",
            suite: w.suite.name(),
            item: &w.operation,
            messages: Some(w.messages),
            stats: Some(&w.netid),
            size: Some(w.bytes),
            peer: w.zkryptium.as_ref().map(|_| "zkryptium"),
            peer_median: w.zkryptium.as_ref().map(|z| z.median_ms),
            ratio: w.ratio,
            ..Line::default()
        }
        .write(&mut out);
    }
    for t in &r.throughput {
        let latency = Stats {
            median_ms: t.p50_ms,
            mad_ms: f64::NAN,
            min_ms: f64::NAN,
            max_ms: t.max_ms,
            samples: t.verified,
        };
        let mut line = String::new();
        Line {
            section: "throughput",
            suite: t.suite.name(),
            item: "post_presentation",
            stats: Some(&latency),
            per_second: Some(t.per_second),
            ..Line::default()
        }
        .write(&mut line);
        out.push_str(&line.replace("NaN", ""));
    }
    out
}

/// The report as pretty JSON.
pub fn to_json(r: &Report) -> Result<String> {
    Ok(serde_json::to_string_pretty(r)?)
}

/// Writes `text` to `path`.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| BenchError::Io {
        what: path.display().to_string(),
        source: e,
    })
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(c);
            l.push_str(&" ".repeat(pad));
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    let h: Vec<String> = header.iter().map(|s| (*s).to_owned()).collect();
    line(out, &h);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(out, &rule);
    for r in rows {
        line(out, r);
    }
    out.push('\n');
}

fn ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// The report as readable terminal tables.
pub fn to_table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "netid-bench {} — {} CPUs, {} build, {:.1} s\n",
        r.version,
        r.cpus,
        if r.optimized {
            "optimized"
        } else {
            "DEBUG (not representative)"
        },
        r.seconds
    );
    if !r.suites.is_empty() {
        out.push_str("Suites (times: median ±MAD)\n");
        let rows: Vec<Vec<String>> = r
            .suites
            .iter()
            .map(|s| {
                vec![
                    s.suite.name().into(),
                    s.setup.as_ref().map_or("-".into(), Stats::display),
                    s.issue.display(),
                    format!(
                        "{} / {}",
                        s.issuer_secret_key_bytes, s.issuer_public_key_bytes
                    ),
                    s.prover_params_bytes.to_string(),
                    s.verifier_params_bytes.to_string(),
                    s.constraints.map_or("-".into(), |c| c.to_string()),
                    s.public_inputs.map_or("-".into(), |c| c.to_string()),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "suite",
                "setup",
                "issue",
                "issuer sk/pk B",
                "prover params B",
                "verifier params B",
                "constraints",
                "public inputs",
            ],
            &rows,
        );
    }
    if !r.statements.is_empty() {
        out.push_str("Statements (netid/v1 credential, 12 attributes)\n");
        let rows: Vec<Vec<String>> = r
            .statements
            .iter()
            .map(|s| {
                vec![
                    s.suite.name().into(),
                    s.statement.name().into(),
                    s.prove.display(),
                    s.verify.display(),
                    s.proof_bytes.to_string(),
                    s.pseudonym_bytes.to_string(),
                    s.presentation_json_bytes.to_string(),
                    s.prove.samples.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "suite",
                "statement",
                "prove",
                "verify",
                "proof B",
                "nym B",
                "JSON B",
                "n",
            ],
            &rows,
        );
        for s in &r.skipped {
            let _ = writeln!(
                out,
                "skipped {} × {}: {}",
                s.suite.name(),
                s.statement.name(),
                s.reason
            );
        }
        if !r.skipped.is_empty() {
            out.push('\n');
        }
    }
    if !r.peers.is_empty() {
        out.push_str("Peers in the same run (ratio = netid / peer; below 1: netid faster)\n");
        let rows: Vec<Vec<String>> = r
            .peers
            .iter()
            .map(|p| {
                vec![
                    p.suite.name().into(),
                    p.operation.clone(),
                    p.netid.display(),
                    p.peer_stats.display(),
                    ratio(p.ratio),
                    p.bytes.map_or("-".into(), |(a, b)| format!("{a} / {b}")),
                    p.peer.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "suite",
                "operation",
                "netid",
                "peer",
                "ratio",
                "bytes netid/peer",
                "peer is",
            ],
            &rows,
        );
    }
    if !r.sweep.is_empty() {
        out.push_str("IETF BBS operations vs number of messages (half disclosed)\n");
        let rows: Vec<Vec<String>> = r
            .sweep
            .iter()
            .map(|w| {
                vec![
                    w.suite.name().into(),
                    w.operation.clone(),
                    w.messages.to_string(),
                    w.netid.display(),
                    w.zkryptium.as_ref().map_or("-".into(), Stats::display),
                    w.ratio.map_or("-".into(), ratio),
                    w.bytes.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "suite",
                "operation",
                "msgs",
                "netid-bbs",
                "zkryptium",
                "ratio",
                "bytes",
            ],
            &rows,
        );
    }
    if !r.throughput.is_empty() {
        let target = r.throughput.first().map_or("", |t| t.target.as_str());
        let _ = writeln!(
            out,
            "Verifier throughput ({target}; full statement; POST /v1/presentations)"
        );
        let rows: Vec<Vec<String>> = r
            .throughput
            .iter()
            .map(|t| {
                vec![
                    t.suite.name().into(),
                    t.verified.to_string(),
                    t.errors.to_string(),
                    t.concurrency.to_string(),
                    format!("{:.1}", t.per_second),
                    fmt_ms(t.p50_ms),
                    fmt_ms(t.p90_ms),
                    fmt_ms(t.p99_ms),
                    fmt_ms(t.max_ms),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "suite", "verified", "errors", "conns", "verif/s", "p50", "p90", "p99", "max",
            ],
            &rows,
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Config, PeerRow, Statement, StatementRow, SuiteName};

    fn stats(m: f64) -> Stats {
        Stats {
            median_ms: m,
            mad_ms: 0.1,
            min_ms: m - 0.2,
            max_ms: m + 0.3,
            samples: 9,
        }
    }

    fn report() -> Report {
        Report {
            version: "0".into(),
            config: Config::tiny(),
            cpus: 2,
            optimized: true,
            seconds: 1.0,
            suites: vec![],
            statements: vec![StatementRow {
                suite: SuiteName::Groth16,
                statement: Statement::Full,
                prove: stats(900.0),
                verify: stats(3.0),
                proof_bytes: 128,
                pseudonym_bytes: 32,
                presentation_json_bytes: 900,
            }],
            skipped: vec![],
            peers: vec![PeerRow {
                suite: SuiteName::Groth16,
                operation: "prove (full)".into(),
                messages: None,
                netid: stats(900.0),
                peer: "ark-groth16 floor (10 constraints, 2 public inputs)".into(),
                peer_stats: stats(450.0),
                ratio: 2.0,
                bytes: Some((128, 128)),
            }],
            sweep: vec![],
            throughput: vec![],
        }
    }

    #[test]
    fn csv_shape() {
        let csv = to_csv(&report());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines.len(), 4);
        let columns = CSV_HEADER.split(',').count();
        assert_eq!(
            lines[1],
            "prove,groth16,full,,900,0.1,899.8,900.3,9,128,,,,"
        );
        assert_eq!(lines[1].split(',').count(), columns);
        // The peer's name holds a comma: quoted.
        assert!(lines[3].contains("\"ark-groth16 floor (10 constraints, 2 public inputs)\""));
        assert!(lines[3].ends_with(",450,2,"));
    }

    #[test]
    fn json_round_trip_and_table() {
        let r = report();
        let json = to_json(&r).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["statements"][0]["suite"], "groth16");
        assert_eq!(v["statements"][0]["prove"]["median_ms"], 900.0);
        assert_eq!(v["peers"][0]["ratio"], 2.0);
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let t = to_table(&r);
        assert!(t.contains("groth16  full"));
        assert!(t.contains("2.00×"));
    }
}
