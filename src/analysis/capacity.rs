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
        // Without windowed percentiles (a history that is not full) only the mean and the errors
        // were held against the limits: say so rather than claim every limit held.
        (Some(s), None) if steps.iter().all(|s| s.p95.is_none() && s.p50.is_none()) => {
            reason.push_str(&format!(
                "; the mean and the error rate held at every step, up to {} users ({:.1} req/s); the steps have no percentiles (the history is not full), so the percentile limits were not read",
                s.users, s.rps
            ))
        }
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
                .filter(|p| timestamps.contains(&{ p.timestamp }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EndpointKey, Series};
    use crate::profile::{Grade, Profile};

    fn step(users: u64, rps: f64, avg: f64) -> Step {
        Step {
            users,
            requests: (rps * 30.0) as u64,
            rps,
            avg: Some(avg),
            p50: None,
            p95: None,
            error_rate: 0.0,
        }
    }

    /// Steps of 10, 20, .. users with these throughputs and mean latencies.
    fn ramp(rps: &[f64], avg: &[f64]) -> Vec<Step> {
        rps.iter()
            .zip(avg)
            .enumerate()
            .map(|(i, (r, a))| step(10 * (i as u64 + 1), *r, *a))
            .collect()
    }

    fn knee_users(steps: &[Step]) -> Option<u64> {
        knee(steps).0.map(|s| s.users)
    }

    const LATENCY: [f64; 6] = [50.0, 52.0, 60.0, 80.0, 110.0, 150.0];

    #[test]
    fn the_knee_is_the_first_step_at_ninety_percent_of_the_best_throughput() {
        // Best 200 req/s: 180 is 90% exactly.
        let cases: [([f64; 6], Option<u64>); 4] = [
            ([100.0, 150.0, 180.0, 195.0, 200.0, 198.0], Some(30)),
            ([100.0, 150.0, 179.9, 195.0, 200.0, 198.0], Some(40)),
            ([100.0, 150.0, 170.0, 179.9, 200.0, 198.0], Some(50)),
            ([100.0, 180.0, 170.0, 179.9, 200.0, 198.0], Some(20)),
        ];
        for (rps, expected) in cases {
            assert_eq!(knee_users(&ramp(&rps, &LATENCY)), expected, "{rps:?}");
        }
    }

    #[test]
    fn saturation_needs_the_top_step_at_one_and_a_half_times_the_base_latency() {
        // The base is the lower mean latency of the first two steps (here 50 ms): 75 ms is 1.5x.
        let rps = [100.0, 150.0, 180.0, 195.0, 200.0, 198.0];
        let cases = [
            ([50.0, 52.0, 55.0, 60.0, 70.0, 75.0], Some(30)),
            ([50.0, 52.0, 55.0, 60.0, 70.0, 74.9], None),
            ([60.0, 50.0, 55.0, 60.0, 70.0, 75.0], Some(30)),
            // The third step is not part of the base, however low.
            ([60.0, 55.0, 20.0, 60.0, 70.0, 82.0], None),
        ];
        for (avg, expected) in cases {
            assert_eq!(knee_users(&ramp(&rps, &avg)), expected, "{avg:?}");
        }
    }

    #[test]
    fn a_ramp_still_growing_at_its_top_step_has_no_knee() {
        // Every step below 90% of the top one: the knee would be the top step itself.
        let steps = ramp(&[100.0, 120.0, 140.0, 160.0, 179.9, 200.0], &LATENCY);
        let (found, reason) = knee(&steps);
        assert_eq!(found, None);
        assert_eq!(
            reason,
            "no saturation up to 60 users: throughput still grew with users (200.0 req/s at the top)"
        );
    }

    #[test]
    fn throughput_still_rising_eleven_percent_past_the_knee_reads_as_saturated() {
        // The knee is within 90% of the best step, so the top step can be at most 1/0.9 = 1.11x
        // the knee: the 1.2x "no longer rising" test cannot fail once a knee is found.
        let steps = ramp(&[100.0, 150.0, 180.0, 186.0, 193.0, 200.0], &LATENCY);
        let (found, reason) = knee(&steps);
        assert_eq!(found.map(|s| (s.users, s.rps)), Some((30, 180.0)));
        assert_eq!(
            reason,
            "saturation at about 30 users and 180.0 req/s: throughput stopped growing while mean latency rose from 50 to 150 ms"
        );
    }

    #[test]
    fn without_latency_in_the_first_steps_there_is_no_knee() {
        let mut steps = ramp(&[100.0, 150.0, 180.0, 195.0, 200.0, 198.0], &LATENCY);
        steps[0].avg = None;
        steps[1].avg = None;
        assert_eq!(knee_users(&steps), None);
        steps[1].avg = Some(52.0);
        assert_eq!(knee_users(&steps), Some(30));
    }

    fn default_profile() -> Profile {
        Profile::load("default").unwrap()
    }

    fn with_p95(p95: &[f64]) -> Vec<Step> {
        p95.iter()
            .enumerate()
            .map(|(i, v)| Step {
                p95: Some(*v),
                ..step(10 * (i as u64 + 1), 100.0, 40.0)
            })
            .collect()
    }

    /// The users of the last step within limits, and the metric that gave out.
    type Held = (Option<u64>, Option<Metric>);

    fn held(steps: &[Step], profile: &Profile) -> Held {
        let (step, metric) = max_within_limits(steps, &profile.aggregated_limits(), &profile.gate);
        (step.map(|s| s.users), metric)
    }

    #[test]
    fn limits_hold_up_to_the_step_before_the_first_that_fails_the_gate() {
        // Default profile: P95 poor up to 500 ms (warns), critical beyond (fails).
        let p = default_profile();
        let cases: [(&[f64], Held); 5] = [
            (&[120.0, 300.0, 500.0], (Some(30), None)),
            (&[120.0, 300.0, 500.0, 500.5], (Some(30), Some(Metric::P95))),
            (&[120.0, 500.5, 300.0, 200.0], (Some(10), Some(Metric::P95))),
            (&[650.0, 300.0], (None, Some(Metric::P95))),
            (&[], (None, None)),
        ];
        for (p95, expected) in cases {
            assert_eq!(held(&with_p95(p95), &p), expected, "{p95:?}");
        }
    }

    #[test]
    fn a_stricter_gate_breaks_the_limits_earlier() {
        let mut p = default_profile();
        p.gate.fail = Grade::Poor;
        // Acceptable up to 200 ms.
        assert_eq!(
            held(&with_p95(&[120.0, 200.0, 200.5]), &p),
            (Some(20), Some(Metric::P95))
        );
    }

    #[test]
    fn the_error_rate_breaks_past_its_last_band_and_p50_is_named_before_p95() {
        let p = default_profile();
        let mut steps = with_p95(&[120.0, 140.0, 160.0]);
        steps[2].error_rate = 0.05;
        assert_eq!(held(&steps, &p), (Some(30), None));
        steps[2].error_rate = 0.0501;
        assert_eq!(held(&steps, &p), (Some(20), Some(Metric::ErrorRate)));
        steps[1].p50 = Some(250.0);
        steps[1].p95 = Some(900.0);
        assert_eq!(held(&steps, &p), (Some(10), Some(Metric::P50)));
    }

    #[test]
    fn a_metric_without_a_limit_or_a_value_never_breaks() {
        // The default profile has no `avg` limit; steps without windowed percentiles skip P50/P95.
        let p = default_profile();
        let steps = ramp(&[100.0, 150.0, 180.0], &[50.0, 900.0, 5000.0]);
        assert_eq!(held(&steps, &p), (Some(30), None));
    }

    /// A history of `(users, rows, requests per row, mean ms)` levels, one row per second.
    fn history(levels: &[(u64, u64, u64, f64)]) -> History {
        let t0 = 1_717_000_000;
        // Locust's first row: no requests yet, a running mean of 0.
        let mut points = vec![HistoryPoint::new(
            t0,
            levels[0].0,
            [None; 3],
            0,
            0,
            Some(0.0),
        )];
        let (mut total, mut sum_ms) = (0u64, 0.0);
        for &(users, rows, per_row, avg) in levels {
            for _ in 0..rows {
                total += per_row;
                sum_ms += avg * per_row as f64;
                let ts = t0 + points.len() as i64;
                let running = sum_ms / total as f64;
                points.push(HistoryPoint::new(
                    ts,
                    users,
                    [None; 3],
                    total,
                    0,
                    Some(running),
                ));
            }
        }
        History {
            series: vec![Series {
                key: EndpointKey::new("", "Aggregated"),
                aggregated: true,
                points,
            }],
        }
    }

    fn capacity_of(levels: &[u64]) -> Capacity {
        let levels: Vec<(u64, u64, u64, f64)> = levels.iter().map(|u| (*u, 5, 40, 60.0)).collect();
        let p = default_profile();
        capacity(Some(&history(&levels)), &p.aggregated_limits(), &p.gate)
    }

    /// A history that is not full has no windowed percentiles: only the mean and the errors were
    /// held against the limits, and the reason must not say that every limit held.
    #[test]
    fn a_ramp_without_percentiles_does_not_claim_every_limit_held() {
        let c = capacity_of(&[5, 10, 15, 20, 25, 30, 35, 40]);
        assert!(c.applicable, "{}", c.reason);
        assert!(
            c.reason.contains("the percentile limits were not read"),
            "{}",
            c.reason
        );
        assert!(
            !c.reason.contains("limits held at every step"),
            "{}",
            c.reason
        );
    }

    #[test]
    fn capacity_needs_a_history_five_user_levels_and_three_steps() {
        let p = default_profile();
        let none = capacity(None, &p.aggregated_limits(), &p.gate);
        assert_eq!(
            (none.applicable, none.reason.as_str()),
            (
                false,
                "no stats history: capacity needs a ramp of users over time"
            )
        );
        let no_aggregate = History {
            series: vec![Series {
                key: EndpointKey::new("GET", "/api/orders"),
                aggregated: false,
                points: Vec::new(),
            }],
        };
        let none = capacity(Some(&no_aggregate), &p.aggregated_limits(), &p.gate);
        assert!(!none.applicable);

        let four = capacity_of(&[10, 20, 30, 40]);
        assert_eq!(
            (four.applicable, four.reason.as_str()),
            (
                false,
                "users did not ramp (4 distinct user counts): capacity does not apply"
            )
        );
        assert!(four.steps.is_empty());
        let five = capacity_of(&[10, 20, 30, 40, 50]);
        assert!(five.applicable, "{five:?}");
        assert_eq!(five.steps.len(), 5);

        // Peak 60: steps are 5 users wide, so 1..4 users are one step: two steps in all.
        let two = capacity_of(&[1, 2, 3, 4, 60]);
        assert_eq!(
            (two.applicable, two.reason.as_str()),
            (false, "too few load steps with requests to read a ramp")
        );
        let three = capacity_of(&[1, 2, 3, 30, 60]);
        assert!(three.applicable, "{three:?}");
        assert_eq!(
            three.steps.iter().map(|s| s.users).collect::<Vec<_>>(),
            [3, 30, 60]
        );
    }

    #[test]
    fn a_row_at_zero_users_counts_as_a_user_level() {
        // Four loaded levels and an idle start: five distinct counts, so the ramp is read.
        let idle_start = capacity_of(&[0, 10, 20, 30, 40]);
        assert!(idle_start.applicable, "{idle_start:?}");
        assert_eq!(idle_start.steps.len(), 4);
    }

    #[test]
    fn a_saturating_ramp_reports_its_knee_and_the_load_its_limits_held_to() {
        let mut p = default_profile();
        p.aggregated.avg = Some(crate::profile::Bands {
            poor: Some(100.0),
            ..Default::default()
        });
        let levels: Vec<(u64, u64, u64, f64)> = [
            (10, 100, 50.0),
            (20, 150, 52.0),
            (30, 180, 60.0),
            (40, 195, 80.0),
            (50, 200, 110.0),
            (60, 198, 150.0),
        ]
        .iter()
        .map(|&(u, r, a)| (u, 5, r, a))
        .collect();
        let found = capacity(Some(&history(&levels)), &p.aggregated_limits(), &p.gate);
        assert!(found.applicable);
        assert_eq!((found.knee_users, found.knee_rps), (Some(30), Some(180.0)));
        assert_eq!((found.max_users, found.max_rps), (Some(40), Some(195.0)));
        assert_eq!(found.limited_by, Some(Metric::Avg));
        assert_eq!(
            found.reason,
            "saturation at about 30 users and 180.0 req/s: throughput stopped growing while mean latency rose from 50 to 150 ms; limits held up to 40 users (195.0 req/s), then avg gave out"
        );
    }
}
