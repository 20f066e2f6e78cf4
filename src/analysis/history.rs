//! An archive of runs (a directory of nightly runs): one row of figures per run, in the order the runs happened, and the runs that
//! broke the trend. A run breaks it when a metric moves the bad way past both three robust standard
//! deviations (1.4826 x the median absolute deviation) of the previous runs and `min_change` of their
//! median: noise-aware, so one noisy night among quiet ones is told from a drift of the whole series.
//! The archive's verdict is decided in one place, [`verdict`], from an [`Evidence`] that names
//! everything it reads.

use serde::Serialize;

use super::stats::median;
use crate::model::{Better, EndpointStats, Figures, Metric, Status, Unit};
use crate::server::ServerReading;

/// How many previous runs a run is held against.
pub const WINDOW: usize = 7;
/// The fewest previous runs needed to judge one.
pub const MIN_PREVIOUS: usize = 3;
/// Relative change below which nothing is flagged, however quiet the series.
pub const MIN_CHANGE: f64 = 0.20;

/// The figures of one run of the archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRun {
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

impl HistoryRun {
    /// The row of a run whose aggregate is `stats`.
    pub fn new(
        source: String,
        started_at: Option<i64>,
        peak_users: Option<u64>,
        stats: &EndpointStats,
    ) -> HistoryRun {
        HistoryRun {
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
impl Figures for HistoryRun {
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

/// Everything an archive's verdict is decided from.
pub struct Evidence<'a> {
    /// The runs read, in the order they happened.
    pub runs: &'a [HistoryRun],
    /// The runs that broke the trend ([`breaks`]).
    pub breaks: &'a [Break],
    /// Unreadable runs left out (`--skip-unreadable`).
    pub skipped: usize,
    /// `--prometheus`: what the server did in the newest run's window (its `[[server]]` rules and
    /// the notes of what was not read).
    pub server: Option<&'a ServerReading>,
}

/// The archive's verdict, the worst of:
///
/// 1. the newest run broke the trend of any metric: fail (the nightly gate);
/// 2. an older run broke it: warn;
/// 3. unreadable runs were left out: warn (never a clean pass then);
/// 4. with `--prometheus`, the newest run's server rules and what was not read (at least warn).
pub fn verdict(evidence: &Evidence) -> Status {
    let newest = evidence.runs.len().checked_sub(1);
    let trend = if evidence.breaks.iter().any(|b| Some(b.run) == newest) {
        Status::Fail
    } else if evidence.breaks.is_empty() && evidence.skipped == 0 {
        Status::Pass
    } else {
        Status::Warn
    };
    Status::worst([
        trend,
        evidence.server.map_or(Status::Pass, ServerReading::status),
    ])
}

/// The runs (in order) that broke the trend of any metric.
pub fn breaks(runs: &[HistoryRun]) -> Vec<Break> {
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

    fn run(p95: f64, rps: f64) -> HistoryRun {
        HistoryRun {
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
        let runs: Vec<HistoryRun> = p95.iter().map(|v| run(*v, 50.0)).collect();
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
        let runs: Vec<HistoryRun> = rps.iter().map(|v| run(100.0, *v)).collect();
        let found = breaks(&runs);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].run, found[0].metric), (4, Metric::Rps));
    }

    #[test]
    fn too_short_a_history_flags_nothing() {
        let runs: Vec<HistoryRun> = [100.0, 300.0, 900.0]
            .iter()
            .map(|v| run(*v, 50.0))
            .collect();
        assert!(breaks(&runs).is_empty());
    }

    /// A nightly run with only its P95 known (P50, P99 absent), 1,000 requests, steady throughput.
    fn p95_run(p95: f64) -> HistoryRun {
        HistoryRun {
            p50: None,
            p99: None,
            ..run(p95, 50.0)
        }
    }

    fn p95_breaks(series: &[f64]) -> Vec<(usize, f64)> {
        let runs: Vec<HistoryRun> = series.iter().map(|v| p95_run(*v)).collect();
        breaks(&runs)
            .iter()
            .map(|b| {
                assert_eq!(b.metric, Metric::P95, "{b:?}");
                (b.run, b.expected)
            })
            .collect()
    }

    /// A series of P95s and the breaks expected in it, as (run, median of the previous runs).
    type BreakCase<'a> = (&'a [f64], &'a [(usize, f64)]);

    #[test]
    fn a_run_is_judged_from_its_third_previous_run_on() {
        let cases: [BreakCase; 3] = [
            // Two previous runs (MIN_PREVIOUS - 1): not judged, however far it jumps.
            (&[120.0, 120.0, 900.0], &[]),
            // Three previous runs: judged.
            (&[120.0, 120.0, 120.0, 900.0], &[(3, 120.0)]),
            (&[120.0, 120.0, 120.0, 121.0, 900.0], &[(4, 120.0)]),
        ];
        for (series, expected) in cases {
            assert_eq!(p95_breaks(series), expected, "{series:?}");
        }
    }

    #[test]
    fn a_run_is_held_against_the_seven_runs_before_it_only() {
        // Run 8 sees runs 1..=7: four at 100 ms, three at 150 ms, median 100, MAD 0, so 125 ms
        // (+25%) breaks. Had run 0 (150 ms) been in the window, the median would be 125: no break.
        let series = [
            150.0, 100.0, 100.0, 100.0, 100.0, 150.0, 150.0, 150.0, 125.0,
        ];
        let found = p95_breaks(&series);
        assert!(found.contains(&(8, 100.0)), "{found:?}");
    }

    #[test]
    fn a_latency_rise_must_exceed_twenty_percent_of_the_median_on_a_quiet_series() {
        // Spread 0: only the 20% floor decides, and it is strict.
        let cases = [(119.9, false), (120.0, false), (120.1, true), (180.0, true)];
        for (newest, flagged) in cases {
            let found = p95_breaks(&[100.0, 100.0, 100.0, newest]);
            assert_eq!(!found.is_empty(), flagged, "{newest} ms: {found:?}");
        }
    }

    #[test]
    fn a_latency_rise_must_exceed_three_robust_sds_on_a_noisy_series() {
        // Median 110, MAD 10: 3 x 1.4826 x 10 = 44.478 ms; the 20% floor (22 ms) is below it.
        let cases = [(154.4, false), (154.5, true), (132.1, false)];
        for (newest, flagged) in cases {
            let found = p95_breaks(&[100.0, 110.0, 120.0, newest]);
            assert_eq!(!found.is_empty(), flagged, "{newest} ms: {found:?}");
        }
        let runs: Vec<HistoryRun> = [100.0, 110.0, 120.0, 154.5].map(p95_run).to_vec();
        let found = breaks(&runs);
        assert_eq!(
            found[0].reason,
            "p95 154 ms against a median of 110 ms over the previous 3 runs (spread ±44 ms)"
        );
        assert!((found[0].change_pct - 40.454_545).abs() < 1e-3, "{found:?}");
    }

    #[test]
    fn only_the_bad_direction_breaks_the_trend() {
        // Latency falling by half and throughput doubling are improvements.
        assert!(p95_breaks(&[200.0, 200.0, 200.0, 100.0]).is_empty());
        let faster: Vec<HistoryRun> = [50.0, 50.0, 50.0, 100.0]
            .iter()
            .map(|r| HistoryRun {
                rps: *r,
                ..p95_run(120.0)
            })
            .collect();
        assert!(breaks(&faster).is_empty());
    }

    #[test]
    fn a_throughput_fall_must_exceed_twenty_percent_of_the_median() {
        let cases = [(40.1, false), (40.0, false), (39.9, true)];
        for (newest, flagged) in cases {
            let runs: Vec<HistoryRun> = [50.0, 50.0, 50.0, newest]
                .iter()
                .map(|r| HistoryRun {
                    rps: *r,
                    ..p95_run(120.0)
                })
                .collect();
            let found = breaks(&runs);
            assert_eq!(!found.is_empty(), flagged, "{newest} req/s: {found:?}");
            assert!(found.iter().all(|b| b.metric == Metric::Rps), "{found:?}");
        }
    }

    fn failing_run(failures: u64) -> HistoryRun {
        HistoryRun {
            failures,
            error_rate: failures as f64 / 1000.0,
            ..p95_run(120.0)
        }
    }

    #[test]
    fn an_error_rate_rise_must_exceed_one_point_whatever_the_median() {
        // Failures out of 1,000 requests: the floor is one point absolute, not 20% of the median.
        let cases: [(u64, u64, bool); 6] = [
            (0, 10, false),
            (0, 11, true),
            (20, 30, false),
            (20, 31, true),
            // 2% -> 2.9%: +45% relative, but under one point.
            (20, 29, false),
            (0, 0, false),
        ];
        for (before, newest, flagged) in cases {
            let runs = vec![
                failing_run(before),
                failing_run(before),
                failing_run(before),
                failing_run(newest),
            ];
            let found = breaks(&runs);
            assert_eq!(
                !found.is_empty(),
                flagged,
                "{before} -> {newest}: {found:?}"
            );
            assert!(
                found.iter().all(|b| b.metric == Metric::ErrorRate),
                "{found:?}"
            );
        }
    }

    fn break_of(run: usize) -> Break {
        Break {
            run,
            source: format!("nightly/{run}"),
            metric: Metric::P95,
            value: 180.0,
            expected: 100.0,
            change_pct: 80.0,
            reason: String::new(),
        }
    }

    #[test]
    fn the_archive_fails_only_when_its_newest_run_broke_the_trend() {
        let cases: [(usize, &[usize], usize, Status); 8] = [
            (5, &[], 0, Status::Pass),
            (5, &[4], 0, Status::Fail),
            (5, &[4], 2, Status::Fail),
            (5, &[1, 4], 0, Status::Fail),
            (5, &[3], 0, Status::Warn),
            (5, &[], 1, Status::Warn),
            (0, &[], 0, Status::Pass),
            (0, &[], 1, Status::Warn),
        ];
        for (runs, broke, skipped, expected) in cases {
            let found: Vec<Break> = broke.iter().map(|r| break_of(*r)).collect();
            let archive = vec![run(100.0, 50.0); runs];
            let evidence = Evidence {
                runs: &archive,
                breaks: &found,
                skipped,
                server: None,
            };
            assert_eq!(
                verdict(&evidence),
                expected,
                "{runs} runs, breaks at {broke:?}, {skipped} skipped"
            );
        }
    }
}
