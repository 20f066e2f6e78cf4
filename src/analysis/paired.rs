//! A/B runs: B (the candidate) against A (the reference) from request pairs, each task sent to both
//! targets at the same moment. The test, in one sentence: a seeded bootstrap over the pairs (each
//! resample keeps a pair's two requests together, so whatever slowed the machine at that moment
//! slowed both) gives an interval for B's figure against A's, and a figure fails when that whole
//! interval is worse than no change and the estimate is worse than the profile's `[regression]`
//! limit (latency: B/A - 1 against p50/p95/p99/avg; error rate: B - A against `error_rate`).

use crate::model::{Metric, Run, Scope, Status};
use crate::profile::RegressionRules;

/// Resamples of the bootstrap: enough for a 99% interval's bounds (5 resamples beyond each).
pub const RESAMPLES: usize = 1000;

/// Each resample draws at most this many pairs (an m-out-of-n bootstrap beyond it): a long run's
/// intervals get wider than they need be (never narrower), and the test stays well under a second.
pub const MAX_DRAWS: usize = 20_000;

/// The figures compared, in report order.
pub const METRICS: [Metric; 5] = [
    Metric::P50,
    Metric::P95,
    Metric::P99,
    Metric::Avg,
    Metric::ErrorRate,
];

/// One task as both sides answered it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairSample {
    pub a_ms: f64,
    pub b_ms: f64,
    pub a_failed: bool,
    pub b_failed: bool,
}

/// One figure of one scope, A beside B.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedChange {
    pub scope: Scope,
    pub metric: Metric,
    pub pairs: usize,
    pub a: f64,
    pub b: f64,
    /// Latency: B/A - 1 (0.25: B is 25% slower); error rate: B - A (a fraction).
    pub change: f64,
    /// The bootstrap interval of `change` at the profile's confidence.
    pub interval: (f64, f64),
    /// The profile's `[regression]` limit on `change`.
    pub limit: f64,
    pub status: Status,
    pub reason: String,
}

/// Everything an A/B run concluded from its pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct AbComparison {
    /// What A and B are (their URLs).
    pub a_label: String,
    pub b_label: String,
    /// Every scope (endpoints, then the aggregate) and figure.
    pub changes: Vec<PairedChange>,
    pub pairs: usize,
    /// Pairs in which B's request went first (about half, by design).
    pub b_first: usize,
    pub confidence: f64,
    pub resamples: usize,
    pub seed: u64,
    /// What [`AbComparison::status`] decided when the comparison was made.
    pub verdict: Status,
    /// The test in one sentence, for the reports.
    pub method: String,
    /// A's run as read back from its CSVs (for the charts of A beside B); set by the command.
    pub reference: Option<Run>,
}

impl AbComparison {
    /// What the paired comparison does to the verdict: the worst status of its figures.
    pub fn status(&self) -> Status {
        Status::worst(self.changes.iter().map(|c| c.status))
    }
}

/// Judges B against A: `scopes` are the endpoints' pairs; the aggregate is all of them.
pub fn compare_pairs(
    (a_label, b_label): (String, String),
    endpoints: Vec<(Scope, Vec<PairSample>)>,
    b_first: usize,
    rules: &RegressionRules,
    seed: u64,
) -> AbComparison {
    let all: Vec<PairSample> = endpoints
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let pairs = all.len();
    let mut scopes = endpoints;
    scopes.push((Scope::Aggregated, all));
    let indexed: Vec<(usize, &(Scope, Vec<PairSample>))> = scopes.iter().enumerate().collect();
    let changes: Vec<PairedChange> = crate::par::map(&indexed, |(i, (scope, samples))| {
        let stream = seed ^ (*i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        scope_changes(scope, samples, rules, stream)
    })
    .into_iter()
    .flatten()
    .collect();
    let confidence = rules.confidence;
    let mut ab = AbComparison {
        a_label,
        b_label,
        method: format!(
            "paired bootstrap: {RESAMPLES} seeded resamples of the request pairs (each pair's two \
             requests kept together) give a {:.0}% interval for B against A (B/A for latency, B-A \
             for the error rate); a figure fails when the whole interval is worse than no change \
             and B is worse than A by more than the profile's [regression] limit (the \
             aggregate's percentiles, a mixture of endpoints, are reported but not judged)",
            confidence * 100.0
        ),
        changes,
        pairs,
        b_first,
        confidence,
        resamples: RESAMPLES,
        seed,
        // Decided below, from the figures.
        verdict: Status::Pass,
        reference: None,
    };
    ab.verdict = ab.status();
    ab
}

/// The figures of one scope, with their intervals and statuses.
fn scope_changes(
    scope: &Scope,
    samples: &[PairSample],
    rules: &RegressionRules,
    seed: u64,
) -> Vec<PairedChange> {
    if samples.is_empty() {
        return Vec::new();
    }
    let a = figures(samples.iter().map(|p| (p.a_ms, p.a_failed)));
    let b = figures(samples.iter().map(|p| (p.b_ms, p.b_failed)));
    let boot = bootstrap(samples, RESAMPLES, MAX_DRAWS, seed);
    let tail = (1.0 - rules.confidence.clamp(0.5, 0.9999)) / 2.0;
    let estimates: Vec<(f64, (f64, f64))> = (0..METRICS.len())
        .map(|m| {
            let mut draws: Vec<f64> = boot.iter().map(|r| r[m]).collect();
            let interval = (quantile(&mut draws, tail), quantile(&mut draws, 1.0 - tail));
            (change(METRICS[m], a[m], b[m]), interval)
        })
        .collect();
    // The median "moved" as a regression must: wholly above no change, by at least min_change_ms.
    let median_moved = estimates[0].1 .0 > 0.0 && b[0] - a[0] >= rules.min_change_ms;
    METRICS
        .iter()
        .enumerate()
        .map(|(m, &metric)| {
            let (change, interval) = estimates[m];
            let evidence = Evidence {
                metric,
                a: a[m],
                b: b[m],
                change,
                interval,
                pairs: samples.len(),
                median_moved,
                aggregated: scope.is_aggregated(),
            };
            let (status, reason) = decide(&evidence, rules);
            PairedChange {
                scope: scope.clone(),
                metric,
                pairs: samples.len(),
                a: a[m],
                b: b[m],
                change,
                interval,
                limit: rules.limit(metric).unwrap_or(f64::INFINITY),
                status,
                reason,
            }
        })
        .collect()
}

/// P50, P95, P99, mean (ms) and error rate of one side, in [`METRICS`] order.
fn figures(side: impl Iterator<Item = (f64, bool)>) -> [f64; 5] {
    let mut latencies = Vec::new();
    let mut failed = 0usize;
    for (ms, f) in side {
        latencies.push(ms);
        failed += usize::from(f);
    }
    figures_of(&mut latencies, failed)
}

fn figures_of(latencies: &mut [f64], failed: usize) -> [f64; 5] {
    let n = latencies.len().max(1) as f64;
    let mean = latencies.iter().sum::<f64>() / n;
    let [p50, p95, p99] = quantiles(latencies);
    [p50, p95, p99, mean, failed as f64 / n]
}

/// The change of one figure: relative for latency, absolute for the error rate.
fn change(metric: Metric, a: f64, b: f64) -> f64 {
    if metric == Metric::ErrorRate {
        b - a
    } else {
        // A side that answered in no measurable time (0 ms) counts as a microsecond.
        b.max(0.001) / a.max(0.001) - 1.0
    }
}

/// Each resample's changes, in [`METRICS`] order: the same pairs drawn for both sides, at most
/// [`MAX_DRAWS`] of them.
fn bootstrap(
    samples: &[PairSample],
    resamples: usize,
    max_draws: usize,
    seed: u64,
) -> Vec<[f64; 5]> {
    let n = samples.len();
    let m = n.min(max_draws);
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut a, mut b) = (vec![0.0; m], vec![0.0; m]);
    (0..resamples)
        .map(|_| {
            let (mut a_failed, mut b_failed) = (0, 0);
            for i in 0..m {
                let p = &samples[rng.usize(..n)];
                a[i] = p.a_ms;
                b[i] = p.b_ms;
                a_failed += usize::from(p.a_failed);
                b_failed += usize::from(p.b_failed);
            }
            let fa = figures_of(&mut a, a_failed);
            let fb = figures_of(&mut b, b_failed);
            std::array::from_fn(|m| change(METRICS[m], fa[m], fb[m]))
        })
        .collect()
}

/// The nearest-rank q-quantile (the smallest value with at least q of the values at or below it).
fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let k = rank(values.len(), q);
    *values.select_nth_unstable_by(k, f64::total_cmp).1
}

fn rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

/// P50, P95 and P99 in one pass of selections, each in the part above the last.
fn quantiles(values: &mut [f64]) -> [f64; 3] {
    let n = values.len();
    if n == 0 {
        return [0.0; 3];
    }
    let mut out = [0.0; 3];
    let mut from = 0;
    for (i, q) in [0.5, 0.95, 0.99].into_iter().enumerate() {
        let k = rank(n, q).max(from);
        let (_, v, _) = values[from..].select_nth_unstable_by(k - from, f64::total_cmp);
        out[i] = *v;
        from = k;
    }
    out
}

/// What one figure's decision rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub metric: Metric,
    pub a: f64,
    pub b: f64,
    pub change: f64,
    pub interval: (f64, f64),
    pub pairs: usize,
    /// Whether the same scope's P50 moved: its interval wholly above no change, by at least
    /// `min_change_ms` (a tail needs it to fail, under `corroborate_tails`).
    pub median_moved: bool,
    /// The aggregate: its percentiles mix endpoints of different cost.
    pub aggregated: bool,
}

/// A figure's status and why: worse than no change over the whole interval, worse than the limit,
/// by at least `min_change_ms`, on enough pairs, and (tails) with the median moved too.
pub fn decide(e: &Evidence, rules: &RegressionRules) -> (Status, String) {
    let latency = e.metric != Metric::ErrorRate;
    let limit = rules.limit(e.metric).unwrap_or(f64::INFINITY);
    let shown = |v: f64| {
        if latency {
            format!("{:+.1}%", v * 100.0)
        } else {
            format!("{:+.2} pp", v * 100.0)
        }
    };
    let interval = format!(
        "{} .. {} at {:.0}%",
        shown(e.interval.0),
        shown(e.interval.1),
        rules.confidence * 100.0
    );
    let what = format!(
        "B {} against A ({interval}; limit {})",
        shown(e.change),
        shown(limit)
    );
    if e.pairs < rules.min_requests as usize {
        return (
            Status::Pass,
            format!(
                "{what}: only {} pairs (min_requests {}), reported but never failed",
                e.pairs, rules.min_requests
            ),
        );
    }
    let percentile = matches!(e.metric, Metric::P50 | Metric::P95 | Metric::P99);
    if e.aggregated && percentile {
        // Measured on two identical targets under a CPU hog: B's /items 7% slower moved the
        // aggregate's median +38%, from the top of /items' latencies across the gap to /slow's.
        return (
            Status::Pass,
            format!(
                "{what}: reported, not judged: the aggregate's percentiles mix endpoints of \
                 different cost, so a small shift of one moves them across the gaps between \
                 endpoints; each endpoint's percentiles and the aggregate's average are judged"
            ),
        );
    }
    let surely_worse = e.interval.0 > 0.0;
    let over_limit = e.change > limit;
    if surely_worse && over_limit {
        if latency && e.b - e.a < rules.min_change_ms {
            return (
                Status::Pass,
                format!(
                    "{what}: {:+.1} ms is below min_change_ms {}",
                    e.b - e.a,
                    rules.min_change_ms
                ),
            );
        }
        let tail = matches!(e.metric, Metric::P95 | Metric::P99);
        if tail && rules.corroborate_tails && !e.median_moved {
            return (
                Status::Warn,
                format!(
                    "{what}: the tail is worse but the median did not move (surely, by min_change_ms)"
                ),
            );
        }
        return (
            rules.status,
            format!("{what}: worse over the whole interval and beyond the limit"),
        );
    }
    let surely_better = e.interval.1 < 0.0;
    let reason = if surely_better && -e.change > limit {
        "improved beyond the limit"
    } else if !over_limit {
        "within the limit"
    } else {
        "beyond the limit, but the interval reaches no change: noise cannot be ruled out"
    };
    (Status::Pass, format!("{what}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RegressionRules {
        RegressionRules::default()
    }

    fn evidence(metric: Metric, a: f64, b: f64, lo: f64, pairs: usize) -> Evidence {
        Evidence {
            metric,
            a,
            b,
            change: change(metric, a, b),
            interval: (lo, change(metric, a, b) + 0.1),
            pairs,
            median_moved: true,
            aggregated: false,
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(quantiles(&mut v), [50.0, 95.0, 99.0]);
        let mut v = vec![3.0];
        assert_eq!(quantiles(&mut v), [3.0, 3.0, 3.0]);
        let mut v = vec![2.0, 1.0];
        assert_eq!(quantiles(&mut v), [1.0, 2.0, 2.0]);
        let mut v: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(quantile(&mut v, 0.005), 1.0);
        assert_eq!(quantile(&mut v, 0.995), 199.0);
        assert_eq!(quantiles(&mut []), [0.0; 3]);
    }

    /// (metric, A, B, interval's lower bound, pairs, expected status): just inside and just
    /// outside the limit (p50/p95/avg +20%, p99 +30%, errors +1 pp), the interval's touching no
    /// change, min_change_ms (5 ms) and min_requests (100).
    #[test]
    fn decisions_at_every_boundary() {
        use Metric::*;
        use Status::{Fail, Pass};
        let cases: [(Metric, f64, f64, f64, usize, Status); 16] = [
            (P50, 50.0, 60.0, 0.1, 500, Pass), // +20.0%: at the limit, not over it
            (P50, 50.0, 60.01, 0.1, 500, Fail), // just over
            (P95, 50.0, 60.01, 0.1, 500, Fail), // p95 has the same limit
            (P99, 50.0, 64.99, 0.1, 500, Pass), // p99's limit is +30%
            (P99, 50.0, 65.01, 0.1, 500, Fail), // just over it
            (Avg, 50.0, 60.01, 0.1, 500, Fail), // avg +20%
            (P50, 50.0, 75.0, 0.0, 500, Pass), // the interval touches no change
            (P50, 50.0, 75.0, 0.0001, 500, Fail), // wholly above it
            (P50, 20.0, 24.99, 0.1, 500, Pass), // +4.99 ms: below min_change_ms
            (P50, 20.0, 25.0, 0.1, 500, Fail), // +5 ms counts
            (P50, 50.0, 75.0, 0.1, 99, Pass),  // too few pairs
            (P50, 50.0, 75.0, 0.1, 100, Fail), // exactly min_requests
            (ErrorRate, 0.0, 0.01, 0.001, 500, Pass), // +1 pp: at the limit
            (ErrorRate, 0.0, 0.0101, 0.001, 500, Fail),
            (ErrorRate, 0.0, 0.05, 0.0, 500, Pass), // interval touches no change
            (ErrorRate, 0.0, 0.05, 0.0001, 500, Fail),
        ];
        for (metric, a, b, lo, pairs, expected) in cases {
            let e = evidence(metric, a, b, lo, pairs);
            let (status, reason) = decide(&e, &rules());
            assert_eq!(
                status, expected,
                "{metric} {a} -> {b}, lo {lo}, {pairs}: {reason}"
            );
        }
    }

    #[test]
    fn a_tail_fails_only_with_the_median_and_the_profile_sets_the_status() {
        let mut e = evidence(Metric::P99, 50.0, 100.0, 0.2, 500);
        e.median_moved = false;
        assert_eq!(decide(&e, &rules()).0, Status::Warn);
        let lenient = RegressionRules {
            corroborate_tails: false,
            ..rules()
        };
        assert_eq!(decide(&e, &lenient).0, Status::Fail);
        // The median needs no corroboration.
        e.metric = Metric::P50;
        assert_eq!(decide(&e, &rules()).0, Status::Fail);
        let warn_only = RegressionRules {
            status: Status::Warn,
            ..rules()
        };
        assert_eq!(decide(&e, &warn_only).0, Status::Warn);
    }

    #[test]
    fn the_aggregates_percentiles_are_reported_and_its_average_and_errors_judged() {
        let worse = |metric| Evidence {
            aggregated: true,
            ..evidence(metric, 50.0, 100.0, 0.5, 500)
        };
        for metric in [Metric::P50, Metric::P95, Metric::P99] {
            let (status, reason) = decide(&worse(metric), &rules());
            assert_eq!(status, Status::Pass, "{metric}");
            assert!(reason.contains("not judged"), "{reason}");
        }
        assert_eq!(decide(&worse(Metric::Avg), &rules()).0, Status::Fail);
        let errors = Evidence {
            aggregated: true,
            ..evidence(Metric::ErrorRate, 0.0, 0.05, 0.01, 500)
        };
        assert_eq!(decide(&errors, &rules()).0, Status::Fail);
    }

    /// A tail twice as slow fails only when the median moved by at least min_change_ms (5 ms):
    /// +4.99 ms leaves it a warning, +5 ms makes it a failure.
    #[test]
    fn a_tail_is_corroborated_by_a_median_moved_by_min_change_ms() {
        for (shift, expected) in [(4.99, Status::Warn), (5.0, Status::Fail)] {
            let samples = pairs(
                1000,
                |i| if i % 10 == 9 { 40.0 } else { 20.0 },
                |i| if i % 10 == 9 { 80.0 } else { 20.0 + shift },
            );
            let ab = compare_pairs(labels(), vec![(key("/x"), samples)], 0, &rules(), 5);
            let p95 = &ab.changes[1];
            assert_eq!(
                (p95.metric, p95.status),
                (Metric::P95, expected),
                "{}",
                p95.reason
            );
        }
    }

    #[test]
    fn improvements_pass_and_say_so() {
        let e = Evidence {
            interval: (-0.6, -0.4),
            ..evidence(Metric::P50, 100.0, 50.0, -0.6, 500)
        };
        let (status, reason) = decide(&e, &rules());
        assert_eq!(status, Status::Pass);
        assert!(reason.contains("improved"), "{reason}");
    }

    fn pairs(n: usize, a: impl Fn(usize) -> f64, b: impl Fn(usize) -> f64) -> Vec<PairSample> {
        (0..n)
            .map(|i| PairSample {
                a_ms: a(i),
                b_ms: b(i),
                a_failed: false,
                b_failed: false,
            })
            .collect()
    }

    fn labels() -> (String, String) {
        ("http://a".into(), "http://b".into())
    }

    fn key(name: &str) -> Scope {
        Scope::Endpoint(crate::model::EndpointKey {
            method: "GET".into(),
            name: name.into(),
        })
    }

    /// A machine whose speed swings 4x over the run slows both requests of a pair alike: paired,
    /// B = A passes; B = 1.25 A fails. Jitter is a fixed pseudo-random sequence.
    #[test]
    fn the_pairing_cancels_a_machine_that_changes_speed() {
        let jitter = |i: usize| ((i * 7919) % 101) as f64 / 10.0;
        let machine = |i: usize| 1.0 + 3.0 * ((i / 50) % 2) as f64;
        let same = pairs(
            400,
            |i| 40.0 * machine(i) + jitter(i),
            |i| 40.0 * machine(i) + jitter(i + 3),
        );
        let verdict = compare_pairs(labels(), vec![(key("/slow"), same)], 0, &rules(), 7);
        assert_eq!(verdict.verdict, Status::Pass, "{:#?}", verdict.changes);
        assert_eq!(
            verdict.changes.len(),
            10,
            "5 figures of the endpoint and the aggregate"
        );
        let slower = pairs(
            400,
            |i| 40.0 * machine(i) + jitter(i),
            |i| 1.25 * (40.0 * machine(i) + jitter(i + 3)),
        );
        let verdict = compare_pairs(labels(), vec![(key("/slow"), slower)], 0, &rules(), 7);
        assert_eq!(verdict.verdict, Status::Fail);
        let p50 = &verdict.changes[0];
        assert_eq!((p50.metric, p50.status), (Metric::P50, Status::Fail));
        assert!(
            p50.interval.0 > 0.0 && p50.interval.0 <= p50.change,
            "{p50:?}"
        );
        assert!((p50.change - 0.25).abs() < 0.05, "{p50:?}");
    }

    /// The spread of the resampled P50 change.
    fn spread(samples: &[PairSample], max_draws: usize) -> f64 {
        let draws: Vec<f64> = bootstrap(samples, 400, max_draws, 11)
            .iter()
            .map(|r| r[0])
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64).sqrt()
    }

    /// Beyond `max_draws` pairs a resample draws `max_draws` of them: the spread stays that of
    /// `max_draws` pairs (about twice that of all 400 when `max_draws` is 100), never narrower.
    #[test]
    fn long_runs_draw_at_most_max_draws_pairs_per_resample() {
        let jitter = |i: usize| ((i * 7919) % 101) as f64;
        let all = pairs(400, |i| 50.0 + jitter(i), |i| 50.0 + jitter(i + 5));
        let full = spread(&all, 400);
        assert_eq!(
            spread(&all, 400),
            spread(&all, 401),
            "n <= max_draws: every pair"
        );
        let capped = spread(&all, 100);
        assert!(
            capped > 1.6 * full && capped < 2.5 * full,
            "{capped} vs {full}"
        );
        let hundred = spread(&all[..100], 100);
        assert!(
            (capped / hundred - 1.0).abs() < 0.25,
            "{capped} vs {hundred}"
        );
    }

    #[test]
    fn errors_on_one_side_are_paired_and_the_seed_reproduces() {
        let mut samples = pairs(1000, |_| 10.0, |_| 10.0);
        for s in samples.iter_mut().step_by(20) {
            s.b_failed = true; // B fails 5% of pairs, A none
        }
        let one = compare_pairs(labels(), vec![(key("/x"), samples.clone())], 0, &rules(), 3);
        let errors = one
            .changes
            .iter()
            .find(|c| c.metric == Metric::ErrorRate)
            .unwrap();
        assert_eq!((errors.a, errors.b), (0.0, 0.05));
        assert_eq!(errors.status, Status::Fail, "{}", errors.reason);
        let again = compare_pairs(labels(), vec![(key("/x"), samples)], 0, &rules(), 3);
        assert_eq!(one, again);
    }
}
