//! A nightly archive: one row of figures per run, in the order the runs happened, and the runs that
//! broke the trend. A run breaks it when a metric moves the bad way past both three robust standard
//! deviations (1.4826 x the median absolute deviation) of the previous runs and `min_change` of their
//! median: noise-aware, so one noisy night among quiet ones is told from a drift of the whole series.

use serde::Serialize;

use super::stats::median;

/// How many previous runs a run is held against.
pub const WINDOW: usize = 7;
/// The fewest previous runs needed to judge one.
pub const MIN_PREVIOUS: usize = 3;
/// Relative change below which nothing is flagged, however quiet the series.
pub const MIN_CHANGE: f64 = 0.20;

/// The figures of one run of the archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NightlyRun {
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

impl NightlyRun {
    fn metric(&self, metric: &str) -> Option<f64> {
        match metric {
            "p50" => self.p50,
            "p95" => self.p95,
            "p99" => self.p99,
            "error_rate" => Some(self.error_rate),
            _ => Some(self.rps),
        }
    }
}

/// A run that broke the trend of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Break {
    /// Index of the run in the ordered list.
    pub run: usize,
    pub source: String,
    pub metric: &'static str,
    pub value: f64,
    /// The median of the previous runs.
    pub expected: f64,
    /// Relative change against `expected`, in percent.
    pub change_pct: f64,
    pub reason: String,
}

const METRICS: [(&str, bool); 5] = [
    ("p50", true),
    ("p95", true),
    ("p99", true),
    ("error_rate", true),
    ("rps", false),
];

/// The runs (in order) that broke the trend of any metric.
pub fn breaks(runs: &[NightlyRun]) -> Vec<Break> {
    let mut out = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let previous = &runs[i.saturating_sub(WINDOW)..i];
        if previous.len() < MIN_PREVIOUS {
            continue;
        }
        for (metric, worse_when_higher) in METRICS {
            let history: Vec<f64> = previous.iter().filter_map(|r| r.metric(metric)).collect();
            let (Some(value), Some(expected)) = (run.metric(metric), median(&history)) else {
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
            let floor = if metric == "error_rate" {
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

fn show(metric: &str, value: f64) -> String {
    match metric {
        "error_rate" => format!("{:.2}%", value * 100.0),
        "rps" => format!("{value:.1} req/s"),
        _ => format!("{value:.0} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p95: f64, rps: f64) -> NightlyRun {
        NightlyRun {
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
        let runs: Vec<NightlyRun> = p95.iter().map(|v| run(*v, 50.0)).collect();
        let found = breaks(&runs);
        let flagged: Vec<(usize, &str)> = found.iter().map(|b| (b.run, b.metric)).collect();
        assert!(flagged.contains(&(6, "p95")), "{found:#?}");
        assert!(
            flagged.iter().all(|(i, _)| *i == 6),
            "only the jump: {found:#?}"
        );
    }

    #[test]
    fn a_throughput_drop_is_flagged() {
        let rps = [50.0, 51.0, 49.0, 50.5, 30.0];
        let runs: Vec<NightlyRun> = rps.iter().map(|v| run(100.0, *v)).collect();
        let found = breaks(&runs);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].run, found[0].metric), (4, "rps"));
    }

    #[test]
    fn too_short_a_history_flags_nothing() {
        let runs: Vec<NightlyRun> = [100.0, 300.0, 900.0]
            .iter()
            .map(|v| run(*v, 50.0))
            .collect();
        assert!(breaks(&runs).is_empty());
    }
}
