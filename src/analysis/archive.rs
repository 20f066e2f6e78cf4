//! An archive of runs (a directory of nightly runs): one row of figures per run, in the order the runs happened, and the runs that
//! broke the trend. A run breaks it when a metric moves the bad way past both three robust standard
//! deviations (1.4826 x the median absolute deviation) of the previous runs and `min_change` of their
//! median: noise-aware, so one noisy night among quiet ones is told from a drift of the whole series.

use serde::Serialize;

use super::stats::median;
use crate::model::{Better, EndpointStats, Figures, Metric, Status, Unit};

/// How many previous runs a run is held against.
pub const WINDOW: usize = 7;
/// The fewest previous runs needed to judge one.
pub const MIN_PREVIOUS: usize = 3;
/// Relative change below which nothing is flagged, however quiet the series.
pub const MIN_CHANGE: f64 = 0.20;

/// The figures of one run of the archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveRun {
    /// The run's `--csv` prefix.
    pub source: String,
    /// Unix time of the run's first history row (or of its failures' first sighting).
    pub started_at: Option<i64>,
    pub peak_users: Option<u64>,
    pub requests: u64,
    pub failures: u64,
    pub error_rate: f64,
    pub rps: f64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

impl ArchiveRun {
    /// The row of a run whose aggregate is `stats`.
    pub fn new(
        source: String,
        started_at: Option<i64>,
        peak_users: Option<u64>,
        stats: &EndpointStats,
    ) -> ArchiveRun {
        ArchiveRun {
            source,
            started_at,
            peak_users,
            requests: stats.requests,
            failures: stats.failures,
            error_rate: stats.error_rate(),
            rps: stats.rps,
            p50: stats.p50(),
            p95: stats.percentiles.p95(),
            p99: stats.percentiles.p99(),
        }
    }
}

/// An archive row keeps the aggregate's P50, P95 and P99 only.
impl Figures for ArchiveRun {
    fn requests(&self) -> u64 {
        self.requests
    }
    fn failures(&self) -> u64 {
        self.failures
    }
    fn rps(&self) -> f64 {
        self.rps
    }
    fn avg_ms(&self) -> Option<f64> {
        None
    }
    fn max_ms(&self) -> Option<f64> {
        None
    }
    fn percentile_ms(&self, index: usize) -> Option<f64> {
        [(0, self.p50), (5, self.p95), (7, self.p99)]
            .into_iter()
            .find_map(|(i, v)| (i == index).then_some(v).flatten())
    }
}

/// A run that broke the trend of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Break {
    /// Index of the run in the ordered list.
    pub run: usize,
    pub source: String,
    pub metric: Metric,
    pub value: f64,
    /// The median of the previous runs.
    pub expected: f64,
    /// Relative change against `expected`, in percent.
    pub change_pct: f64,
    pub reason: String,
}

/// The metrics an archive follows from run to run.
pub const METRICS: [Metric; 5] = [
    Metric::P50,
    Metric::P95,
    Metric::P99,
    Metric::ErrorRate,
    Metric::Rps,
];

/// The archive's verdict: fail when the newest run broke the trend (the nightly gate); warn when
/// an older one did, or when unreadable runs were left out (never a clean pass then).
pub fn verdict(runs: usize, breaks: &[Break], skipped: usize) -> Status {
    let newest = runs.checked_sub(1);
    if breaks.iter().any(|b| Some(b.run) == newest) {
        Status::Fail
    } else if breaks.is_empty() && skipped == 0 {
        Status::Pass
    } else {
        Status::Warn
    }
}

/// The runs (in order) that broke the trend of any metric.
pub fn breaks(runs: &[ArchiveRun]) -> Vec<Break> {
    let mut out = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let previous = &runs[i.saturating_sub(WINDOW)..i];
        if previous.len() < MIN_PREVIOUS {
            continue;
        }
        for metric in METRICS {
            let worse_when_higher = metric.better() == Better::Lower;
            let history: Vec<f64> = previous.iter().filter_map(|r| metric.of(r)).collect();
            let (Some(value), Some(expected)) = (metric.of(run), median(&history)) else {
                continue;
            };
            let deviations: Vec<f64> = history.iter().map(|v| (v - expected).abs()).collect();
            let spread = 1.4826 * median(&deviations).unwrap_or(0.0);
            let change = value - expected;
            let bad = if worse_when_higher {
                change > 0.0
            } else {
                change < 0.0
            };
            // Error rates are judged on points (0.01 = one point), the rest relative to the median.
            let floor = if metric == Metric::ErrorRate {
                0.01
            } else {
                MIN_CHANGE * expected.abs()
            };
            if bad && change.abs() > 3.0 * spread && change.abs() > floor {
                let change_pct = if expected != 0.0 {
                    change / expected * 100.0
                } else {
                    f64::INFINITY
                };
                out.push(Break {
                    run: i,
                    source: run.source.clone(),
                    metric,
                    value,
                    expected,
                    change_pct,
                    reason: format!(
                        "{metric} {} against a median of {} over the previous {} runs (spread ±{})",
                        show(metric, value),
                        show(metric, expected),
                        previous.len(),
                        show(metric, 3.0 * spread)
                    ),
                });
            }
        }
    }
    out
}

/// Archive reasons round latencies to whole milliseconds.
fn show(metric: Metric, value: f64) -> String {
    match metric.unit() {
        Unit::Millis => format!("{value:.0} ms"),
        Unit::Fraction | Unit::PerSecond | Unit::Count => metric.display(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p95: f64, rps: f64) -> ArchiveRun {
        ArchiveRun {
            source: format!("run-{p95}"),
            started_at: None,
            peak_users: Some(10),
            requests: 1000,
            failures: 0,
            error_rate: 0.0,
            rps,
            p50: Some(p95 / 2.0),
            p95: Some(p95),
            p99: Some(p95 * 1.2),
        }
    }

    #[test]
    fn a_jump_is_flagged_and_noise_is_not() {
        let p95 = [100.0, 104.0, 97.0, 102.0, 99.0, 103.0, 180.0, 101.0];
        let runs: Vec<ArchiveRun> = p95.iter().map(|v| run(*v, 50.0)).collect();
        let found = breaks(&runs);
        let flagged: Vec<(usize, Metric)> = found.iter().map(|b| (b.run, b.metric)).collect();
        assert!(flagged.contains(&(6, Metric::P95)), "{found:#?}");
        assert!(
            flagged.iter().all(|(i, _)| *i == 6),
            "only the jump: {found:#?}"
        );
    }

    #[test]
    fn a_throughput_drop_is_flagged() {
        let rps = [50.0, 51.0, 49.0, 50.5, 30.0];
        let runs: Vec<ArchiveRun> = rps.iter().map(|v| run(100.0, *v)).collect();
        let found = breaks(&runs);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].run, found[0].metric), (4, Metric::Rps));
    }

    #[test]
    fn too_short_a_history_flags_nothing() {
        let runs: Vec<ArchiveRun> = [100.0, 300.0, 900.0]
            .iter()
            .map(|v| run(*v, 50.0))
            .collect();
        assert!(breaks(&runs).is_empty());
    }
}
