//! Timing: warm-up, repetitions bounded by count and time, median and spread.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::Result;

/// Summary of repeated timings, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Median.
    pub median_ms: f64,
    /// Median absolute deviation from the median (the spread reported beside the median).
    pub mad_ms: f64,
    /// Fastest sample.
    pub min_ms: f64,
    /// Slowest sample.
    pub max_ms: f64,
    /// Number of timed samples (warm-up excluded).
    pub samples: usize,
}

impl Stats {
    /// Summarises samples given in milliseconds. `None` when there are none.
    pub fn from_samples(samples: &[f64]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let median = median_sorted(&v);
        let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        dev.sort_by(f64::total_cmp);
        Some(Stats {
            median_ms: median,
            mad_ms: median_sorted(&dev),
            min_ms: v[0],
            max_ms: v[v.len() - 1],
            samples: v.len(),
        })
    }

    /// `median ± mad` with a unit suited to the size.
    pub fn display(&self) -> String {
        if self.samples == 1 {
            return fmt_ms(self.median_ms);
        }
        format!("{} ±{}", fmt_ms(self.median_ms), fmt_ms(self.mad_ms))
    }
}

fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Formats milliseconds with three significant digits and a unit (µs, ms, s).
pub fn fmt_ms(ms: f64) -> String {
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else {
        (ms * 1000.0, "µs")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

/// How many times to run an operation: `warmup` untimed runs, then timed runs until at least
/// `min_reps` are done and `target` has elapsed, never more than `max_reps`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    /// Untimed runs first.
    pub warmup: usize,
    /// Fewest timed runs.
    pub min_reps: usize,
    /// Most timed runs.
    pub max_reps: usize,
    /// Timed runs go on until this much time is spent (seconds), within the bounds above.
    pub target_seconds: f64,
}

impl Sampling {
    /// Runs `f` as configured and summarises the timings.
    pub fn measure<T>(&self, mut f: impl FnMut() -> Result<T>) -> Result<Stats> {
        for _ in 0..self.warmup {
            black_box(f()?);
        }
        let target = Duration::from_secs_f64(self.target_seconds.max(0.0));
        let max = self.max_reps.max(self.min_reps).max(1);
        let start = Instant::now();
        let mut samples = Vec::with_capacity(self.min_reps.max(1));
        while samples.len() < max
            && (samples.len() < self.min_reps.max(1) || start.elapsed() < target)
        {
            let t = Instant::now();
            black_box(f()?);
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Stats::from_samples(&samples).ok_or(crate::BenchError::Internal("no samples".into()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        let s = Stats::from_samples(&[1.0, 5.0, 2.0, 3.0, 100.0]).unwrap();
        assert_eq!(s.median_ms, 3.0);
        assert_eq!(s.mad_ms, 2.0); // deviations 2, 2, 1, 0, 97
        assert_eq!((s.min_ms, s.max_ms, s.samples), (1.0, 100.0, 5));
        let s = Stats::from_samples(&[1.0, 2.0]).unwrap();
        assert_eq!(s.median_ms, 1.5);
        assert!(Stats::from_samples(&[]).is_none());
    }

    #[test]
    fn units() {
        assert_eq!(fmt_ms(0.0123), "12.3 µs");
        assert_eq!(fmt_ms(2.345), "2.35 ms");
        assert_eq!(fmt_ms(545.2), "545 ms");
        assert_eq!(fmt_ms(1234.0), "1.23 s");
    }

    #[test]
    fn bounded_repetitions() {
        let s = Sampling {
            warmup: 2,
            min_reps: 3,
            max_reps: 5,
            target_seconds: 10.0,
        };
        let mut calls = 0;
        let st = s
            .measure(|| {
                calls += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(st.samples, 5);
        assert_eq!(calls, 7);
    }
}
