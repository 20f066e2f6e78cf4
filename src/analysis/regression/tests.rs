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
        generator_warning: None,
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

/// The aggregate's throughput at 20/s in the baseline and `rps` now, judged with `runner`.
fn throughput(rps: f64, runner: &RunnerCall) -> (Direction, Status, String) {
    let base = run_of(scope(5000, 1.0));
    let mut cur = run_of(scope(5000, 1.0));
    cur.aggregated.rps = rps;
    let comparison = compare(
        &[base],
        &cur,
        &RegressionRules::default(),
        &ErrorRules::default(),
        runner,
    );
    let r = comparison
        .regressions
        .iter()
        .find(|r| r.scope.is_aggregated() && r.metric == Metric::Rps)
        .expect("throughput is compared");
    (r.direction, r.status, r.reason.clone())
}

#[test]
fn a_throughput_fall_is_read_with_the_runner_record_as_a_shift_is() {
    let held = RunnerCall::Held {
        figures: "baseline x; this run y".into(),
        against: 0,
        contended: false,
        calmer: false,
        fewer_cpus: false,
    };
    let busier = RunnerCall::Busier {
        why: "the generator took 1.50 -> 3.00 s per CPU second (+100%)".into(),
    };
    // -15% is at the limit: unchanged whatever the runner did.
    for runner in [&held, &busier, &RunnerCall::Unknown] {
        let (direction, status, _) = throughput(17.0, runner);
        assert_eq!((direction, status), (Direction::Unchanged, Status::Pass));
    }
    // -16%: past it. A runner that held puts it on the server ...
    let (direction, status, reason) = throughput(16.8, &held);
    assert_eq!((direction, status), (Direction::Regressed, Status::Fail));
    assert!(reason.contains("the server served less"), "{reason}");
    // ... a busier runner explains it, with its figures ...
    let (direction, status, reason) = throughput(16.8, &busier);
    assert_eq!((direction, status), (Direction::Regressed, Status::Warn));
    assert!(
        reason.contains("on a busier runner (the generator took 1.50 -> 3.00"),
        "{reason}"
    );
    // ... and without records it fails as before (no run-wide shift explains it).
    let (_, status, reason) = throughput(16.8, &RunnerCall::Unknown);
    assert_eq!(status, Status::Fail, "{reason}");
    assert!(!reason.contains("runner"), "{reason}");
}

/// A runner call that held against the one kept run.
fn held(contended: bool, calmer: bool, fewer_cpus: bool) -> RunnerCall {
    RunnerCall::Held {
        figures: "f".into(),
        against: 0,
        contended,
        calmer,
        fewer_cpus,
    }
}

/// The status of each run-wide shift and whether it was the server's, for `current` against
/// `three` at its own scale (one kept run), on `runner`.
fn shifts_of(current: &RunSummary, runner: &RunnerCall) -> Vec<(Metric, Status, bool)> {
    compare(
        &[three(1.0, 20.0)],
        current,
        &RegressionRules::default(),
        &ErrorRules::default(),
        runner,
    )
    .shifts
    .iter()
    .map(|s| (s.shift.metric, s.status, s.server_wide))
    .collect()
}

/// [`shifts_of`] when every endpoint of `three` is `scale` times slower, on a runner that held.
fn held_shifts(scale: f64, contended: bool, calmer: bool) -> Vec<(Metric, Status, bool)> {
    shifts_of(&three(scale, 20.0), &held(contended, calmer, false))
}

/// The status and reason of a run-wide shift of `metric` in `found`, and whether it was the
/// server's.
fn shift_status(found: &[(Metric, Status, bool)], metric: Metric) -> Option<(Status, bool)> {
    found
        .iter()
        .find(|(m, _, _)| *m == metric)
        .map(|(_, status, wide)| (*status, *wide))
}

#[test]
fn with_fewer_cpus_than_the_baseline_a_held_runners_tails_are_not_the_servers() {
    let fewer = held(false, false, true);
    // Tails 1.51x and 2x slower: past 1.5x, yet they lend their allowance ...
    for scale in [1.51, 2.0] {
        let found = shifts_of(&three(scale, 20.0), &fewer);
        for metric in [Metric::P95, Metric::P99] {
            assert_eq!(
                shift_status(&found, metric),
                Some((Status::Warn, false)),
                "{scale}: {found:?}"
            );
        }
        // ... while the body is still the server's past the limit.
        assert_eq!(
            shift_status(&found, Metric::P50),
            Some((Status::Fail, true))
        );
    }
    // With as many CPUs, the same tails are the server's.
    let found = shifts_of(&three(1.51, 20.0), &held(false, false, false));
    assert_eq!(
        shift_status(&found, Metric::P95),
        Some((Status::Fail, true))
    );
}

#[test]
fn on_a_contended_runner_the_body_is_the_servers_only_when_median_and_mean_both_moved() {
    // Every percentile 1.6x slower, the mean `mean` times.
    let moved = |mean: f64| {
        let mut run = three(1.6, 20.0);
        let base = three(1.0, 20.0);
        for (e, b) in run.endpoints.iter_mut().zip(&base.endpoints) {
            e.avg = b.avg.map(|a| a * mean);
        }
        run
    };
    let contended = held(true, false, false);
    // The median past 1.5x, the mean just inside it: neither is the server's.
    let found = shifts_of(&moved(1.49), &contended);
    assert_eq!(
        shift_status(&found, Metric::P50),
        Some((Status::Warn, false)),
        "{found:?}"
    );
    assert_eq!(
        shift_status(&found, Metric::Avg),
        Some((Status::Warn, false)),
        "{found:?}"
    );
    // The mean just past it too: both are.
    let found = shifts_of(&moved(1.51), &contended);
    assert_eq!(
        shift_status(&found, Metric::P50),
        Some((Status::Fail, true)),
        "{found:?}"
    );
    assert_eq!(
        shift_status(&found, Metric::Avg),
        Some((Status::Fail, true)),
        "{found:?}"
    );
    // Uncontended, the median alone past the limit is the server's.
    let found = shifts_of(&moved(1.0), &held(false, false, false));
    assert_eq!(
        shift_status(&found, Metric::P50),
        Some((Status::Fail, true)),
        "{found:?}"
    );
}

/// The aggregate's and the one endpoint's `metric` (status, reason) when every latency is
/// `scale` times the one kept run's, on `runner`.
fn whole_run(scale: f64, runner: &RunnerCall, metric: Metric) -> [(Status, String); 2] {
    let comparison = compare(
        &[run_of(scope(5000, 1.0))],
        &run_of(scope(5000, scale)),
        &RegressionRules::default(),
        &ErrorRules::default(),
        runner,
    );
    let of = |aggregated: bool| {
        comparison
            .regressions
            .iter()
            .find(|r| r.scope.is_aggregated() == aggregated && r.metric == metric)
            .map(|r| (r.status, r.reason.clone()))
            .expect("compared")
    };
    [of(true), of(false)]
}

#[test]
fn on_a_calmer_runner_the_whole_runs_body_fails_past_the_limit_without_the_between_run_noise() {
    let (calmer, level) = (held(false, true, false), held(false, false, false));
    for metric in [Metric::P50, Metric::Avg] {
        // +30%: past the limit, inside the prior between-run noise of one kept run. On a runner
        // that had more to give, the whole run's move fails; one endpoint's still warns ...
        let [(agg, why), (endpoint, endpoint_why)] = whole_run(1.3, &calmer, metric);
        assert_eq!(agg, Status::Fail, "{why}");
        assert!(why.contains("measurably more to give"), "{why}");
        assert_eq!(endpoint, Status::Warn, "{endpoint_why}");
        assert!(endpoint_why.contains("between-run noise"), "{endpoint_why}");
        // ... and on a runner that only held, the noise holds the aggregate back too.
        let [(agg, why), _] = whole_run(1.3, &level, metric);
        assert_eq!(agg, Status::Warn, "{why}");
        assert!(why.contains("between-run noise"), "{why}");
        // Just inside the limit it is no regression, calmer or not.
        let [(agg, why), _] = whole_run(1.19, &calmer, metric);
        assert_eq!(agg, Status::Pass, "{why}");
        let [(agg, why), _] = whole_run(1.21, &calmer, metric);
        assert_eq!(agg, Status::Fail, "{why}");
    }
    // The tails are not read so.
    let [(agg, why), _] = whole_run(1.4, &calmer, Metric::P99);
    assert_ne!(agg, Status::Fail, "{why}");
}

#[test]
fn against_a_rolling_baseline_a_calmer_runners_whole_run_is_read_against_the_run_that_vouches() {
    // Two calm kept runs and a slow busy one; this runner was calmer than the busy one only, which
    // vouches (the newest).
    let kept = [
        run_of(scope(5000, 1.0)),
        run_of(scope(5000, 1.0)),
        run_of(scope(5000, 1.5)),
    ];
    let runner = RunnerCall::Held {
        figures: "f".into(),
        against: 2,
        contended: false,
        calmer: true,
        fewer_cpus: false,
    };
    let aggregate_mean = |scale: f64| {
        let comparison = compare(
            &kept,
            &run_of(scope(5000, scale)),
            &RegressionRules::default(),
            &ErrorRules::default(),
            &runner,
        );
        let r = comparison
            .regressions
            .iter()
            .find(|r| r.scope.is_aggregated() && r.metric == Metric::Avg)
            .cloned()
            .expect("compared");
        (r.status, r.reason)
    };
    // 1.3x the calm runs, faster than the busy one: no regression of the whole run.
    let (status, why) = aggregate_mean(1.3);
    assert_eq!(status, Status::Pass, "{why}");
    // 1.9x the calm runs is +27% against the busy one: past the limit, and it fails.
    let (status, why) = aggregate_mean(1.9);
    assert_eq!(status, Status::Fail, "{why}");
    assert!(why.contains("measurably more to give"), "{why}");
}

#[test]
fn on_a_runner_that_held_the_body_fails_past_the_limit_and_the_tails_past_one_and_a_half() {
    let server = shift_status;
    // Uncontended: a median and mean 1.3x slower are the server's, the tails not yet ...
    let found = held_shifts(1.3, false, false);
    for metric in [Metric::P50, Metric::Avg] {
        assert_eq!(
            server(&found, metric),
            Some((Status::Fail, true)),
            "{found:?}"
        );
    }
    for metric in [Metric::P95, Metric::P99] {
        assert_eq!(
            server(&found, metric),
            Some((Status::Warn, false)),
            "{found:?}"
        );
    }
    // ... just inside 1.5x the tails lend their allowance, just past it they are the server's.
    let found = held_shifts(1.49, false, false);
    assert_eq!(server(&found, Metric::P95), Some((Status::Warn, false)));
    let found = held_shifts(1.51, false, false);
    assert_eq!(server(&found, Metric::P95), Some((Status::Fail, true)));
    assert_eq!(server(&found, Metric::P99), Some((Status::Fail, true)));
    // Contended: the body is the server's only past 1.5x, the tails never.
    let found = held_shifts(1.49, true, false);
    assert_eq!(server(&found, Metric::P50), Some((Status::Warn, false)));
    assert_eq!(server(&found, Metric::Avg), Some((Status::Warn, false)));
    let found = held_shifts(1.51, true, false);
    assert_eq!(server(&found, Metric::P50), Some((Status::Fail, true)));
    assert_eq!(server(&found, Metric::Avg), Some((Status::Fail, true)));
    let found = held_shifts(3.0, true, false);
    assert_eq!(server(&found, Metric::P99), Some((Status::Warn, false)));
    // Contended, but this run's generator waited a tenth of a core less: the machine gave it
    // more, so a slower body is the server's past the limit; the tails are still not read.
    let found = held_shifts(1.3, true, true);
    assert_eq!(server(&found, Metric::P50), Some((Status::Fail, true)));
    assert_eq!(server(&found, Metric::P95), Some((Status::Warn, false)));
}

#[test]
fn on_a_contended_runner_a_body_past_every_kept_run_by_the_limit_is_the_servers() {
    // Three kept runs, /cheap's median 50, 55 and 50 ms; the newest vouches. The median limit
    // is 20%: past 66 ms is beyond the kept runs on this contended machine.
    let kept = [three(1.0, 20.0), three(1.1, 20.0), three(1.0, 20.0)];
    let runner = RunnerCall::Held {
        figures: "f".into(),
        against: 2,
        contended: true,
        calmer: false,
        fewer_cpus: false,
    };
    let p50 = |scale: f64| {
        let found = compare(
            &kept,
            &three(scale, 20.0),
            &RegressionRules::default(),
            &ErrorRules::default(),
            &runner,
        );
        let s = found
            .shifts
            .iter()
            .find(|s| s.shift.metric == Metric::P50)
            .cloned()
            .expect("a shift of the median");
        (s.status, s.server_wide, s.reason)
    };
    // 1.31x the vouching run (65.5 ms): a shift, inside the kept range plus the limit: warns.
    let (status, wide, reason) = p50(1.31);
    assert_eq!((status, wide), (Status::Warn, false), "{reason}");
    // 1.33x (66.5 ms): past 55 ms by more than 20%, still under 1.5x: the server's.
    let (status, wide, reason) = p50(1.33);
    assert_eq!((status, wide), (Status::Fail, true), "{reason}");
    assert!(
        reason.contains("past the largest of the 3 kept runs (50-55 ms)"),
        "{reason}"
    );
}

#[test]
fn on_a_contended_runner_a_throughput_fall_the_excused_shift_explains_passes() {
    let held = |contended| RunnerCall::Held {
        figures: "f".into(),
        against: 0,
        contended,
        calmer: false,
        fewer_cpus: false,
    };
    let rps = |contended| {
        let found = compare(
            &[three(1.0, 20.0)],
            &three(1.4, 16.0),
            &RegressionRules::default(),
            &ErrorRules::default(),
            &held(contended),
        );
        let r = found
            .regressions
            .iter()
            .find(|r| r.scope.is_aggregated() && r.metric == Metric::Rps)
            .expect("throughput is compared")
            .clone();
        (r.status, r.reason)
    };
    // -20% with the mean 1.4x: on a contended machine the excused shift explains it ...
    let (status, reason) = rps(true);
    assert_eq!(status, Status::Pass, "{reason}");
    assert!(
        reason.contains("explained by the run-wide shift"),
        "{reason}"
    );
    // ... on one that did not contend, the server served less.
    let (status, reason) = rps(false);
    assert_eq!(status, Status::Fail, "{reason}");
    assert!(reason.contains("the server served less"), "{reason}");
}

/// A run of three endpoints, /cheap, /mid and /work, at `scale` times their usual latency.
fn three(scale: f64, rps: f64) -> RunSummary {
    let at = |name: &str, cost: f64| ScopeSummary {
        name: name.into(),
        ..scope(5000, cost * scale)
    };
    let mut run = run_of(at("/work", 4.0));
    run.endpoints = vec![at("/cheap", 1.0), at("/mid", 2.0), at("/work", 4.0)];
    run.aggregated.rps = rps;
    run
}

#[test]
fn a_rolling_baseline_allows_the_probes_move_against_its_median_unless_a_record_vouched() {
    // The newest kept run was as slow as this one; the two before it were not.
    let kept = [three(1.0, 20.0), three(1.0, 20.0), three(1.6, 20.0)];
    let shifts = |scale: f64, runner: &RunnerCall| {
        compare(
            &kept,
            &three(scale, 20.0),
            &RegressionRules::default(),
            &ErrorRules::default(),
            runner,
        )
        .shifts
    };
    let busier = RunnerCall::Busier { why: "x".into() };
    let p50 = |found: &[ShiftFinding]| {
        found
            .iter()
            .find(|s| s.shift.metric == Metric::P50)
            .map(|s| (s.shift.ms, s.status))
    };
    // /cheap's median: 50 ms in the kept runs' median, 80 now: +60%, against the newest +0%.
    let found = shifts(1.6, &busier);
    assert_eq!(p50(&found), Some((30.0, Status::Warn)));
    assert_eq!(
        p50(&shifts(1.6, &RunnerCall::Unknown)).map(|s| s.1),
        Some(Status::Warn)
    );
    // A record that held vouches against its own kept run only: the newest, no shift there ...
    let held = |against| RunnerCall::Held {
        figures: "f".into(),
        against,
        contended: false,
        calmer: false,
        fewer_cpus: false,
    };
    assert_eq!(p50(&shifts(1.6, &held(2))), None);
    // ... the first, +60%: the server's, and it fails.
    let found = shifts(1.6, &held(0));
    assert_eq!(p50(&found), Some((30.0, Status::Fail)));
    assert!(found.iter().any(|s| s.server_wide));
    // Against the kept runs' median: +19% no shift; +21%, one (the newest kept run was slower).
    let kept = [three(1.0, 20.0), three(1.0, 20.0), three(1.25, 20.0)];
    let shifts = |scale: f64| {
        compare(
            &kept,
            &three(scale, 20.0),
            &RegressionRules::default(),
            &ErrorRules::default(),
            &busier,
        )
        .shifts
    };
    assert_eq!(p50(&shifts(1.19)), None);
    assert!(p50(&shifts(1.21)).is_some());
}

#[test]
fn on_a_runner_that_held_a_throughput_fall_must_be_past_the_limit_against_the_vouching_kept_run_too(
) {
    let held = RunnerCall::Held {
        figures: "f".into(),
        against: 2,
        contended: false,
        calmer: false,
        fewer_cpus: false,
    };
    let rps = |kept: [f64; 3], held: &RunnerCall| {
        let kept = kept.map(|r| three(1.0, r));
        let comparison = compare(
            &kept,
            &three(1.0, 16.8),
            &RegressionRules::default(),
            &ErrorRules::default(),
            held,
        );
        let r = comparison
            .regressions
            .into_iter()
            .find(|r| r.scope.is_aggregated() && r.metric == Metric::Rps)
            .expect("throughput is compared");
        (r.status, r.reason)
    };
    // -16% against the kept runs' median (20/s); the newest kept run at 19.77/s: -15.02%.
    let (status, reason) = rps([20.0, 20.0, 19.77], &held);
    assert_eq!(status, Status::Fail, "{reason}");
    // The newest at 19.76/s: -14.98%, within the limit against it.
    let (status, reason) = rps([20.0, 20.0, 19.76], &held);
    assert_eq!(status, Status::Warn, "{reason}");
    assert!(
        reason.contains("-15.0% against the kept run whose runner record"),
        "{reason}"
    );
    // The record of the oldest vouches: read against it.
    let first = RunnerCall::Held {
        figures: "f".into(),
        against: 0,
        contended: false,
        calmer: false,
        fewer_cpus: false,
    };
    assert_eq!(rps([19.77, 20.0, 20.0], &first).0, Status::Fail);
    assert_eq!(rps([19.76, 20.0, 20.0], &first).0, Status::Warn);
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
                generator_warning: None,
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

#[test]
fn without_records_a_mean_far_beyond_every_kept_run_fails_as_a_slower_server_or_a_much_slower_runner(
) {
    // /cheap's mean in the kept runs: 60, 60, 66 ms; the largest times 4 is 264 ms.
    let kept = [three(1.0, 20.0), three(1.0, 20.0), three(1.1, 20.0)];
    let judged = |kept: &[RunSummary], scale: f64, runner: &RunnerCall| {
        let found = compare(
            kept,
            &three(scale, 20.0),
            &RegressionRules::default(),
            &ErrorRules::default(),
            runner,
        )
        .shifts;
        let of = |metric| {
            found
                .iter()
                .find(|s| s.shift.metric == metric)
                .map(|s| (s.status, s.reason.clone()))
                .expect("a shift")
        };
        (of(Metric::Avg), of(Metric::P50))
    };
    // Just inside: 263.4 ms warns.
    let ((status, reason), _) = judged(&kept, 4.39, &RunnerCall::Unknown);
    assert_eq!(status, Status::Warn, "{reason}");
    // Just outside: 264.6 ms fails, saying what to do; the median is not read so.
    let ((status, reason), (p50, _)) = judged(&kept, 4.41, &RunnerCall::Unknown);
    assert_eq!(status, Status::Fail, "{reason}");
    assert!(
        reason.starts_with("server-wide slowdown or a much slower runner")
            && reason.contains("4.0x the largest of the 3 kept runs (60-66 ms)")
            && reason.contains("loadgate record"),
        "{reason}"
    );
    assert_eq!(p50, Status::Warn);
    // Two kept runs do not show the runner's range; a busier runner's record explains it.
    assert_eq!(
        judged(&kept[1..], 10.0, &RunnerCall::Unknown).0 .0,
        Status::Warn
    );
    let busier = RunnerCall::Busier { why: "x".into() };
    assert_eq!(judged(&kept, 10.0, &busier).0 .0, Status::Warn);
}

#[test]
fn a_latency_failure_on_a_busier_runner_carries_the_runners_figures_in_a_note() {
    let busier = RunnerCall::Busier {
        why: "CPU pressure 36% -> 62%".into(),
    };
    let compared = |scale: f64, runner: &RunnerCall| {
        compare(
            &[run_of(scope(5000, 1.0))],
            &run_of(scope(5000, scale)),
            &RegressionRules::default(),
            &ErrorRules::default(),
            runner,
        )
    };
    let note = |c: &Comparison| {
        c.notes
            .iter()
            .any(|n| n.contains("on a runner its records show busier (CPU pressure 36% -> 62%)"))
    };
    // One endpoint 2x slower: its latency fails (one endpoint is no run-wide shift), and the
    // note says the runner was busier; the verdict stands.
    let slower = compared(2.0, &busier);
    assert_eq!(slower.verdict, Status::Fail);
    assert!(note(&slower), "{:?}", slower.notes);
    // Nothing failed: no note. A runner that held or no record: no note.
    assert!(!note(&compared(1.0, &busier)));
    assert!(!note(&compared(2.0, &RunnerCall::Unknown)));
}

/// A run of a cheap endpoint `/health` and three that do the work (`/b`, `/c`, `/d`), each the
/// test scope scaled by `scales` (0.1: a 5 ms median; 2.0: 100 ms).
fn health_and_three_pages(scales: [f64; 4]) -> RunSummary {
    RunSummary {
        endpoints: ["/health", "/b", "/c", "/d"]
            .iter()
            .zip(scales)
            .map(|(n, s)| ScopeSummary {
                name: n.to_string(),
                ..scope(5000, s)
            })
            .collect(),
        ..run_of(scope(20000, scales[1]))
    }
}

/// The median of `/d` as `comparison` judged it.
fn p50_of_d(comparison: &Comparison) -> &Regression {
    comparison
        .regressions
        .iter()
        .find(|r| {
            matches!(&r.scope, Scope::Endpoint(k) if k.name == "/d") && r.metric == Metric::P50
        })
        .expect("/d compared")
}

#[test]
fn on_a_busier_runner_an_endpoint_fails_only_past_the_whole_runs_move() {
    let busier = RunnerCall::Busier {
        why: "CPU pressure 36% -> 62%".into(),
    };
    let status_of_d = |d: f64, runner: &RunnerCall| {
        // The health check +2.5 ms (short of the 5 ms floor: no run-wide shift), /b and /c 2x.
        let c = compare(
            &[health_and_three_pages([0.1, 2.0, 2.0, 2.0])],
            &health_and_three_pages([0.15, 4.0, 4.0, 2.0 * d]),
            &RegressionRules::default(),
            &ErrorRules::default(),
            runner,
        );
        let r = p50_of_d(&c);
        (r.status, r.reason.clone(), r.noise.map_or(0.0, |n| n.bound))
    };
    // The run's move is the endpoints' median, 2.0x: /d at 2.199x is under 20% of its baseline
    // past it, within the limit, and the runner explains it (a warning: the run was slower, and
    // not for the build); just past 2.2x is the endpoint's own.
    let (status, reason, _) = status_of_d(2.199, &busier);
    assert_eq!(status, Status::Warn, "{reason}");
    assert!(
        reason.contains(
            "explained by the runner, its records busier: the endpoints' median p50 moved 2.00x"
        ),
        "{reason}"
    );
    // Past it the change is the endpoint's own, and meets the between-run noise (the prior for
    // one baseline run, ±55%) as any change does: it warns until that share of its baseline past
    // the run's move, and fails beyond.
    let (status, reason, noise) = status_of_d(2.201, &busier);
    assert_eq!(status, Status::Warn, "{reason}");
    assert!(reason.contains("within the between-run noise"), "{reason}");
    assert!(noise > 0.5, "{noise}");
    assert_eq!(status_of_d(2.0 + noise - 0.001, &busier).0, Status::Warn);
    assert_eq!(status_of_d(2.0 + noise + 0.001, &busier).0, Status::Fail);
    // Without a record the same run is judged as before: /d fails on its own.
    assert_eq!(status_of_d(2.2, &RunnerCall::Unknown).0, Status::Fail);
}

#[test]
fn a_busier_runners_move_is_read_against_the_kept_runs_median() {
    let busier = RunnerCall::Busier {
        why: "CPU pressure 36% -> 62%".into(),
    };
    let run = health_and_three_pages;
    // Three kept runs, the newest 1.5x slower than the other two: against their median (100 ms)
    // the pages moved 2x, against the newest only 1.33x.
    let kept = [
        run([0.1, 2.0, 2.0, 2.0]),
        run([0.1, 2.0, 2.0, 2.0]),
        run([0.1, 3.0, 3.0, 3.0]),
    ];
    let c = compare(
        &kept,
        &run([0.15, 4.0, 4.0, 4.39]),
        &RegressionRules::default(),
        &ErrorRules::default(),
        &busier,
    );
    let d = p50_of_d(&c);
    assert_eq!(d.status, Status::Warn, "{}", d.reason);
    assert!(
        d.reason.contains("the endpoints' median p50 moved 2.00x"),
        "{}",
        d.reason
    );
}
