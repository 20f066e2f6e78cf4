//! The comparison end to end: two runs in, the regressions and the verdict out.

use super::*;
use crate::profile::ErrorRules;

/// A scope of `requests` requests whose percentile curve is `p50..p100` scaled by `scale`.
pub(super) fn scope(requests: u64, scale: f64) -> ScopeSummary {
    let curve = [
        50.0, 55.0, 60.0, 62.0, 70.0, 80.0, 90.0, 100.0, 150.0, 180.0, 200.0,
    ];
    ScopeSummary {
        method: "GET".into(),
        name: "/work".into(),
        requests,
        failures: 0,
        rps: 20.0,
        avg: Some(60.0 * scale),
        max: Some(200.0 * scale),
        percentiles: curve.iter().map(|v| Some(v * scale)).collect(),
        min: Some(10.0 * scale),
        intervals: None,
        histogram: None,
    }
}

pub(super) fn run_of(scope: ScopeSummary) -> RunSummary {
    RunSummary {
        source: "run".into(),
        format: "locust".into(),
        started_at: None,
        duration_s: None,
        peak_users: Some(10),
        aggregated: ScopeSummary {
            method: String::new(),
            name: "Aggregated".into(),
            ..scope.clone()
        },
        endpoints: vec![scope],
        machine: None,
        host: None,
        locustfile: None,
        ramp_s: None,
        signatures: None,
        locust_version: None,
    }
}

fn judged(base: ScopeSummary, cur: ScopeSummary, metric: Metric) -> (Direction, Status, String) {
    let rules = RegressionRules::default();
    let comparison = compare(
        &[run_of(base)],
        &run_of(cur),
        &rules,
        &ErrorRules::default(),
        &RunnerCall::Unknown,
    );
    let r = comparison
        .regressions
        .iter()
        .find(|r| !r.scope.is_aggregated() && r.metric == metric)
        .expect("the metric is compared");
    (r.direction, r.status, r.reason.clone())
}

#[test]
fn a_change_within_the_limit_or_below_the_floor_passes() {
    // +19% of the median: inside the 20% limit.
    let (direction, status, _) = judged(scope(5000, 1.0), scope(5000, 1.19), Metric::P50);
    assert_eq!((direction, status), (Direction::Unchanged, Status::Pass));
    // +100% of a 2 ms median is 2 ms: under the 5 ms floor.
    let (direction, status, reason) = judged(scope(5000, 0.04), scope(5000, 0.08), Metric::P50);
    assert_eq!((direction, status), (Direction::Unchanged, Status::Pass));
    assert!(
        reason.contains("below the minimum change of 5 ms"),
        "{reason}"
    );
}

#[test]
fn a_large_well_sampled_shift_of_the_whole_curve_fails() {
    let (direction, status, reason) = judged(scope(5000, 1.0), scope(5000, 2.0), Metric::P95);
    assert_eq!(
        (direction, status),
        (Direction::Regressed, Status::Fail),
        "{reason}"
    );
    assert!(
        reason.starts_with("+100.0% (+80.0 ms), past the limit of +20%"),
        "{reason}"
    );
}

#[test]
fn the_same_shift_on_few_requests_only_warns() {
    let (direction, status, reason) = judged(scope(60, 1.0), scope(60, 2.0), Metric::P95);
    assert_eq!((direction, status), (Direction::Regressed, Status::Warn));
    assert!(reason.contains("only 60 requests"), "{reason}");
}

#[test]
fn a_tail_that_rises_alone_only_warns() {
    let mut tail = scope(5000, 1.0);
    tail.percentiles[5] = Some(160.0); // P95 doubles, the median and P90 stay.
    let (_, status, reason) = judged(scope(5000, 1.0), tail, Metric::P95);
    assert_eq!(status, Status::Warn);
    assert!(reason.contains("did not move with it"), "{reason}");
}

#[test]
fn error_rates_regress_on_points_beyond_binomial_noise() {
    let with_errors = |failures| ScopeSummary {
        failures,
        ..scope(10_000, 1.0)
    };
    // 0 -> 1.0 point: at the limit, unchanged.
    let (direction, ..) = judged(with_errors(0), with_errors(100), Metric::ErrorRate);
    assert_eq!(direction, Direction::Unchanged);
    // 0 -> 3 points on 10,000 requests: far past the noise.
    let (direction, status, _) = judged(with_errors(0), with_errors(300), Metric::ErrorRate);
    assert_eq!((direction, status), (Direction::Regressed, Status::Fail));
}

#[test]
fn throughput_is_not_compared_when_the_users_differ() {
    let rules = RegressionRules::default();
    let base = run_of(scope(5000, 1.0));
    let mut cur = run_of(ScopeSummary {
        rps: 5.0,
        ..scope(5000, 1.0)
    });
    cur.aggregated.rps = 5.0;
    let compared = |cur: &RunSummary| {
        compare(
            std::slice::from_ref(&base),
            cur,
            &rules,
            &ErrorRules::default(),
            &RunnerCall::Unknown,
        )
        .regressions
        .iter()
        .any(|r| r.metric == Metric::Rps)
    };
    assert!(compared(&cur));
    cur.peak_users = Some(20);
    assert!(!compared(&cur));
}

mod properties {
    use super::super::comparability::Difference;
    use super::*;
    use proptest::prelude::*;

    fn scope_strategy(name: &'static str) -> impl Strategy<Value = ScopeSummary> {
        (
            0u64..5000,
            0u64..50,
            0.0f64..500.0,
            prop::collection::vec(prop::option::of(0.0f64..5000.0), 11),
            prop::option::of(0.0f64..2000.0),
        )
            .prop_map(move |(requests, failures, rps, mut percentiles, avg)| {
                // Percentiles only grow with the level, as Locust writes them.
                let mut floor = 0.0f64;
                for p in percentiles.iter_mut().flatten() {
                    floor = floor.max(*p);
                    *p = floor;
                }
                ScopeSummary {
                    method: "GET".into(),
                    name: name.into(),
                    requests,
                    failures: failures.min(requests),
                    rps,
                    avg,
                    max: Some(floor),
                    percentiles,
                    min: Some(0.0),
                    intervals: None,
                    histogram: None,
                }
            })
    }

    fn run_strategy() -> impl Strategy<Value = RunSummary> {
        (
            scope_strategy("/a"),
            scope_strategy("/b"),
            scope_strategy("/c"),
            scope_strategy("/d"),
            prop::option::of(1u64..100),
        )
            .prop_map(|(a, b, c, d, users)| RunSummary {
                source: "run".into(),
                format: "locust".into(),
                started_at: None,
                duration_s: None,
                peak_users: users,
                aggregated: ScopeSummary {
                    method: String::new(),
                    name: "Aggregated".into(),
                    ..a.clone()
                },
                endpoints: vec![a, b, c, d],
                machine: None,
                host: None,
                locustfile: None,
                ramp_s: None,
                signatures: None,
                locust_version: None,
            })
    }

    proptest! {
        #[test]
        fn any_two_runs_compare_without_panic_and_the_verdict_is_the_worst_status(
            kept in prop::collection::vec(run_strategy(), 1..7),
            current in run_strategy(),
        ) {
            let comparison = compare(&kept, &current, &RegressionRules::default(), &ErrorRules::default(), &RunnerCall::Unknown);
            let worst = Status::worst(
                comparison.regressions.iter().map(|r| r.status)
                    .chain(comparison.shifts.iter().map(|s| s.status))
                    .chain(comparison.differences.iter().map(Difference::status)),
            );
            prop_assert_eq!(comparison.verdict, worst);
            for r in &comparison.regressions {
                prop_assert!(r.change.is_finite() && !r.reason.is_empty());
                if let Some(n) = r.noise {
                    // A machine fit may predict less than the kept runs' median (a quieter
                    // machine), never below no time at all.
                    let floor = if matches!(n.source, Source::MachineFit(_)) { -1.0 } else { 0.0 };
                    prop_assert!(n.bound.is_finite() && n.bound >= floor, "{:?}", n);
                }
            }
        }
    }
}
