//! SVG plots of a report (plotters' SVG backend; text is left to the SVG viewer's fonts):
//!
//! - `prove.svg`, `verify.svg`: prove / verify time per statement, one bar per suite (log scale);
//! - `sweep-<suite>.svg`: the IETF BBS operations against the number of messages, netid-bbs
//!   (solid, filled points) beside zkryptium (hollow points).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::{BenchError, Report, Result, Statement, SuiteName};

fn perr(file: &Path, e: impl std::fmt::Display) -> BenchError {
    BenchError::Plot {
        file: file.display().to_string(),
        message: e.to_string(),
    }
}

fn suite_color(s: SuiteName) -> RGBColor {
    match s {
        SuiteName::BbsSha256 => RGBColor(31, 119, 180),
        SuiteName::BbsShake256 => RGBColor(44, 160, 44),
        SuiteName::Groth16 => RGBColor(214, 39, 40),
    }
}

/// A log-scale range covering `values` (milliseconds) with some margin.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.001, 1.0);
    }
    (lo / 2.0, hi * 2.0)
}

/// Writes every plot the report has data for into `dir`; returns the files written.
pub fn write_plots(r: &Report, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| BenchError::Io {
        what: dir.display().to_string(),
        source: e,
    })?;
    let mut files = Vec::new();
    if !r.statements.is_empty() {
        for verify in [false, true] {
            let file = dir.join(if verify { "verify.svg" } else { "prove.svg" });
            statements_plot(r, verify, &file)?;
            files.push(file);
        }
    }
    for suite in SuiteName::ALL {
        if r.sweep.iter().any(|w| w.suite == suite) {
            let file = dir.join(format!("sweep-{}.svg", suite.name()));
            sweep_plot(r, suite, &file)?;
            files.push(file);
        }
    }
    Ok(files)
}

fn statements_plot(r: &Report, verify: bool, file: &Path) -> Result<()> {
    let statements: Vec<Statement> = Statement::ALL
        .into_iter()
        .filter(|s| r.statements.iter().any(|row| row.statement == *s))
        .collect();
    let suites: Vec<SuiteName> = SuiteName::ALL
        .into_iter()
        .filter(|s| r.statements.iter().any(|row| row.suite == *s))
        .collect();
    let time = |row: &crate::StatementRow| {
        if verify {
            row.verify.median_ms
        } else {
            row.prove.median_ms
        }
    };
    let (lo, hi) = log_range(r.statements.iter().map(time));
    let hi = hi * 4.0; // room for the legend
    let root = SVGBackend::new(file, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(file, e))?;
    let title = format!(
        "netid {} time per statement (median, log scale)",
        if verify { "verify" } else { "prove" }
    );
    let n = statements.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, (lo..hi).log_scale())
        .map_err(|e| perr(file, e))?;
    let label = |x: &f64| {
        let i = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() < 1e-6 {
            statements.get(i).map_or(String::new(), |s| s.name().into())
        } else {
            String::new()
        }
    };
    let y_label = |y: &f64| crate::stats::fmt_ms(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(statements.len() * 2 + 1)
        .x_label_formatter(&label)
        .y_label_formatter(&y_label)
        .y_desc("time")
        .draw()
        .map_err(|e| perr(file, e))?;
    let width = 0.8 / suites.len().max(1) as f64;
    for (k, &suite) in suites.iter().enumerate() {
        let color = suite_color(suite);
        let bars: Vec<Rectangle<(f64, f64)>> = statements
            .iter()
            .enumerate()
            .filter_map(|(i, st)| {
                let row = r.row(suite, *st)?;
                let x0 = i as f64 + 0.1 + width * k as f64;
                Some(Rectangle::new(
                    [(x0, lo), (x0 + width * 0.9, time(row))],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(|e| perr(file, e))?
            .label(suite.name())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| perr(file, e))?;
    root.present().map_err(|e| perr(file, e))?;
    Ok(())
}

fn sweep_plot(r: &Report, suite: SuiteName, file: &Path) -> Result<()> {
    let rows: Vec<&crate::SweepRow> = r.sweep.iter().filter(|w| w.suite == suite).collect();
    let max_msgs = rows.iter().map(|w| w.messages).max().unwrap_or(1) as f64;
    let (lo, hi) = log_range(rows.iter().flat_map(|w| {
        [
            Some(w.netid.median_ms),
            w.zkryptium.as_ref().map(|z| z.median_ms),
        ]
        .into_iter()
        .flatten()
    }));
    let root = SVGBackend::new(file, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(file, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "IETF BBS ({}) time vs number of messages: netid-bbs (filled) vs zkryptium (hollow)",
                suite.name()
            ),
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..max_msgs * 1.05, (lo..hi * 8.0).log_scale())
        .map_err(|e| perr(file, e))?;
    let y_label = |y: &f64| crate::stats::fmt_ms(*y);
    let x_label = |x: &f64| format!("{x:.0}");
    chart
        .configure_mesh()
        .x_label_formatter(&x_label)
        .x_desc("messages (half disclosed)")
        .y_desc("time (median)")
        .y_label_formatter(&y_label)
        .draw()
        .map_err(|e| perr(file, e))?;
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
    ];
    for (op, color) in crate::peers::OPERATIONS.iter().zip(colors) {
        let mut ours: Vec<(f64, f64)> = Vec::new();
        let mut theirs: Vec<(f64, f64)> = Vec::new();
        for w in rows.iter().filter(|w| w.operation == *op) {
            ours.push((w.messages as f64, w.netid.median_ms));
            if let Some(z) = &w.zkryptium {
                theirs.push((w.messages as f64, z.median_ms));
            }
        }
        chart
            .draw_series(LineSeries::new(ours.clone(), color.stroke_width(2)))
            .map_err(|e| perr(file, e))?
            .label(format!("{op} netid-bbs"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        chart
            .draw_series(ours.iter().map(|&p| Circle::new(p, 4, color.filled())))
            .map_err(|e| perr(file, e))?;
        if !theirs.is_empty() {
            chart
                .draw_series(LineSeries::new(
                    theirs.clone(),
                    color.mix(0.5).stroke_width(1),
                ))
                .map_err(|e| perr(file, e))?
                .label(format!("{op} zkryptium"))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.mix(0.5).stroke_width(1))
                });
            chart
                .draw_series(
                    theirs
                        .iter()
                        .map(|&p| Circle::new(p, 4, color.stroke_width(1))),
                )
                .map_err(|e| perr(file, e))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| perr(file, e))?;
    root.present().map_err(|e| perr(file, e))?;
    Ok(())
}
