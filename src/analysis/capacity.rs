//! Capacity from a ramp: as users rise, where does throughput stop growing while latency climbs (the
//! saturation knee), and up to which load did the profile's limits hold?
//!
//! The aggregate history is cut into load steps by user count (at most [`MAX_STEPS`], equal widths).
//! Per step, throughput, mean latency and error rate come from the running totals (exact, every
//! Locust version); P50/P95 from the windowed percentile columns when the run used
//! `--csv-full-history`, since without it Locust writes cumulative percentiles.
//!
//! The knee is the first step that reaches 90% of the highest step throughput, provided the run
//! then shows saturation: latency at the top of the ramp at least 1.5x the lowest steps' and
//! throughput there no longer rising by more than 20% past the knee.

use serde::Serialize;

use super::series::intervals;
use crate::model::Metric;
use crate::model::{History, HistoryPoint};
use crate::profile::{Gate, Limits};

pub const MAX_STEPS: usize = 12;
/// A ramp needs at least this many distinct user counts.
const MIN_LEVELS: usize = 5;

/// One load step of the ramp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The highest user count in the step.
    pub users: u64,
    pub requests: u64,
    pub rps: f64,
    /// Mean response time of the step's requests (ms).
    pub avg: Option<f64>,
    /// Windowed percentiles, with full history only.
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub error_rate: f64,
}

/// What the ramp says about capacity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    pub applicable: bool,
    /// Why capacity does or does not apply, or what limited it.
    pub reason: String,
    pub knee_users: Option<u64>,
    pub knee_rps: Option<f64>,
    /// The highest step at which every limit of the profile still held.
    pub max_users: Option<u64>,
    pub max_rps: Option<f64>,
    /// The metric that gave out first above `max_users` (`p95`, `error_rate`, ...).
    pub limited_by: Option<Metric>,
    pub steps: Vec<Step>,
}

impl Capacity {
    fn not_applicable(reason: impl Into<String>) -> Capacity {
        Capacity {
            applicable: false,
            reason: reason.into(),
            knee_users: None,
            knee_rps: None,
            max_users: None,
            max_rps: None,
            limited_by: None,
            steps: Vec::new(),
        }
    }
}

/// Reads capacity from the history of a ramp; `limits` are the profile's aggregate limits.
pub fn capacity(history: Option<&History>, limits: &Limits, gate: &Gate) -> Capacity {
    let Some(series) = history.and_then(|h| h.aggregated()) else {
        return Capacity::not_applicable(
            "no stats history: capacity needs a ramp of users over time",
        );
    };
    let levels: std::collections::BTreeSet<u64> = series.points.iter().map(|p| p.users()).collect();
    if levels.len() < MIN_LEVELS {
        return Capacity::not_applicable(format!(
            "users did not ramp ({} distinct user counts): capacity does not apply",
            levels.len()
        ));
    }
    let full = history.is_some_and(|h| h.is_full());
    let steps = steps(&series.points, full);
    if steps.len() < 3 {
        return Capacity::not_applicable("too few load steps with requests to read a ramp");
    }
    let (knee, knee_reason) = knee(&steps);
    let (max, limited_by) = max_within_limits(&steps, limits, gate);
    let mut reason = knee_reason;
    match (&max, &limited_by) {
        (Some(s), Some(metric)) => reason.push_str(&format!(
            "; limits held up to {} users ({:.1} req/s), then {metric} gave out",
            s.users, s.rps
        )),
        (Some(s), None) => reason.push_str(&format!(
            "; limits held at every step, up to {} users ({:.1} req/s)",
            s.users, s.rps
        )),
        (None, Some(metric)) => reason.push_str(&format!(
            "; {metric} was past its limit from the first step"
        )),
        (None, None) => {}
    }
    Capacity {
        applicable: true,
        reason,
        knee_users: knee.map(|s| s.users),
        knee_rps: knee.map(|s| s.rps),
        max_users: max.map(|s| s.users),
        max_rps: max.map(|s| s.rps),
        limited_by,
        steps: steps.clone(),
    }
}

fn steps(points: &[HistoryPoint], full: bool) -> Vec<Step> {
    let peak = points.iter().map(|p| p.users()).max().unwrap_or(0).max(1);
    let width = (peak as f64 / MAX_STEPS as f64).ceil().max(1.0) as u64;
    let derived = intervals(points);
    let mut steps: Vec<Step> = Vec::new();
    let bucket_of = |users: u64| users.saturating_sub(1) / width;
    let mut current: Option<(u64, Vec<usize>)> = None;
    let mut groups: Vec<(u64, Vec<usize>)> = Vec::new();
    for (i, interval) in derived.iter().enumerate() {
        if interval.users == 0 {
            continue;
        }
        let bucket = bucket_of(interval.users);
        match &mut current {
            Some((b, members)) if *b == bucket => members.push(i),
            _ => {
                if let Some(done) = current.take() {
                    groups.push(done);
                }
                current = Some((bucket, vec![i]));
            }
        }
    }
    groups.extend(current);
    for (_, members) in groups {
        let ints: Vec<_> = members.iter().map(|&i| &derived[i]).collect();
        let requests: u64 = ints.iter().map(|i| i.requests).sum();
        if requests == 0 {
            continue;
        }
        let failures: u64 = ints.iter().map(|i| i.failures).sum();
        let seconds: f64 = ints.iter().map(|i| i.seconds).sum();
        let weighted: f64 = ints
            .iter()
            .filter_map(|i| i.avg_ms.map(|a| a * i.requests as f64))
            .sum();
        let timestamps: Vec<i64> = ints.iter().map(|i| i.timestamp).collect();
        let window = |pick: fn(&HistoryPoint) -> Option<f64>| -> Option<f64> {
            if !full {
                return None;
            }
            let values: Vec<f64> = points
                .iter()
                .filter(|p| timestamps.contains(&p.timestamp))
                .filter_map(pick)
                .collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        steps.push(Step {
            users: ints.iter().map(|i| i.users).max().unwrap_or(0),
            requests,
            rps: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            avg: Some(weighted / requests as f64),
            p50: window(HistoryPoint::p50),
            p95: window(HistoryPoint::p95),
            error_rate: failures as f64 / requests as f64,
        });
    }
    // A step that returns to a lower user count (a ramp down) is a separate step; keep the climb only,
    // up to and including the steps at peak.
    let top = steps.iter().map(|s| s.users).max().unwrap_or(0);
    let last_top = steps.iter().rposition(|s| s.users == top).unwrap_or(0);
    steps.truncate(last_top + 1);
    steps
}

fn knee(steps: &[Step]) -> (Option<&Step>, String) {
    let best = steps.iter().map(|s| s.rps).fold(0.0, f64::max);
    let Some(knee) = steps.iter().find(|s| s.rps >= 0.9 * best) else {
        return (None, "no throughput".to_string());
    };
    let base_latency = steps
        .iter()
        .take(2)
        .filter_map(|s| s.avg)
        .fold(f64::MAX, f64::min);
    let last = steps.last().expect("steps are not empty");
    let climbing = last
        .avg
        .is_some_and(|a| base_latency < f64::MAX && a >= 1.5 * base_latency);
    let flat = last.rps <= knee.rps * 1.2;
    if climbing && flat && last.users > knee.users {
        let reason = format!(
            "saturation at about {} users and {:.1} req/s: throughput stopped growing while mean latency rose from {:.0} to {:.0} ms",
            knee.users,
            knee.rps,
            base_latency,
            last.avg.unwrap_or(0.0)
        );
        (Some(knee), reason)
    } else {
        (
            None,
            format!(
                "no saturation up to {} users: throughput still grew with users ({:.1} req/s at the top)",
                last.users, last.rps
            ),
        )
    }
}

/// The last step before the first one that breaks a fail limit of the profile.
fn max_within_limits<'a>(
    steps: &'a [Step],
    limits: &Limits,
    gate: &Gate,
) -> (Option<&'a Step>, Option<Metric>) {
    let mut held = None;
    for step in steps {
        let broken = [
            (Metric::P50, step.p50),
            (Metric::P95, step.p95),
            (Metric::Avg, step.avg),
            (Metric::ErrorRate, Some(step.error_rate)),
        ]
        .into_iter()
        .find(|(metric, value)| match (limits.get(*metric), value) {
            (Some(bands), Some(v)) => bands.grade(*v, false) >= gate.fail,
            _ => false,
        });
        if let Some((metric, _)) = broken {
            return (held, Some(metric));
        }
        held = Some(step);
    }
    (held, None)
}
