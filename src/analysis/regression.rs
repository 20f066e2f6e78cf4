//! Regression detection: a current run against a baseline (one run, or the last N kept under a
//! name). A change fails the gate only when it exceeds the profile's limit *and* stands out of the
//! noise that the data itself shows:
//!
//! 1. it is larger than `min_change_ms` (Locust rounds latencies; timers jitter);
//! 2. for percentiles, the order-statistic confidence intervals of the two runs do not overlap:
//!    a P95 from 250 requests is far less certain than one from 2,500;
//! 3. with per-interval history, the change exceeds the run-to-run noise of the interval means;
//! 4. with a rolling baseline, the current value is worse than every kept run;
//! 5. a P95/P99 rise is corroborated by the same scope's median or mean rising too;
//! 6. both runs have at least `min_requests` requests.
//!
//! A change past the limit that fails any of these tests is a warning, with the reason.

use serde::Serialize;

use super::comparability::{differences, Difference};
use super::noise::{
    between_runs, machine_fit, probes, run_wide_shift, split_halves, MachineFit, Noise, Pair,
    Shift, Source,
};
use super::signatures::NewError;
use super::stats::{mean, median, std_dev, value_at_quantile, z_for_confidence};
use super::summary::{Intervals, RunSummary, ScopeSummary};
use crate::machine::Machine;
use crate::model::{Histogram, Metric, Scope, Status, PERCENTILE_LEVELS};
use crate::profile::RegressionRules;

/// Which way a metric moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Regressed,
    Improved,
    Unchanged,
}

/// One metric of one scope, baseline against current.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub scope: Scope,
    pub metric: Metric,
    pub baseline: f64,
    pub current: f64,
    /// `current - baseline`, in the metric's unit (ms, fraction, req/s).
    pub change: f64,
    /// Relative change in percent; `None` when the baseline is zero.
    pub change_pct: Option<f64>,
    pub direction: Direction,
    pub status: Status,
    pub reason: String,
    /// The between-run noise a latency change was held against.
    pub noise: Option<Noise>,
}

/// A run-wide shift as judged: what the profile makes of it, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftFinding {
    pub shift: Shift,
    pub status: Status,
    pub reason: String,
}

/// The outcome of comparing a run with a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub verdict: Status,
    pub baseline_runs: usize,
    pub regressions: Vec<Regression>,
    /// Latency metrics on which the whole run moved, the cheapest endpoints too.
    pub shifts: Vec<ShiftFinding>,
    pub new_endpoints: Vec<String>,
    pub vanished_endpoints: Vec<String>,
    pub notes: Vec<String>,
    /// Where the newest baseline run was saved, when the baseline says.
    pub baseline_machine: Option<Machine>,
    /// How the run was made differently from the newest baseline run (users, run time, host, …).
    pub differences: Vec<Difference>,
    /// Failure signatures the baseline did not have, or had fewer of (set by `judge`, which knows
    /// the profile's expected failures).
    pub new_errors: Vec<NewError>,
    /// The newest baseline run kept its histograms (read from Locust's JSON).
    pub baseline_histograms: bool,
}

/// The note of a comparison with a baseline that holds no runs, or does not exist yet.
pub const NO_BASELINE: &str = "no baseline: nothing compared";

impl Comparison {
    /// Whether there was anything to compare with.
    pub fn compared(&self) -> bool {
        self.baseline_runs > 0
    }
}

/// Compares `current` with `baseline` (oldest first; the newest decides which endpoints exist).
pub fn compare(
    baseline: &[RunSummary],
    current: &RunSummary,
    rules: &RegressionRules,
) -> Comparison {
    let mut notes = Vec::new();
    let Some(latest) = baseline.last() else {
        return Comparison {
            verdict: Status::Pass,
            baseline_runs: 0,
            regressions: Vec::new(),
            shifts: Vec::new(),
            new_endpoints: Vec::new(),
            vanished_endpoints: Vec::new(),
            notes: vec![NO_BASELINE.to_string()],
            baseline_machine: None,
            differences: Vec::new(),
            new_errors: Vec::new(),
            baseline_histograms: false,
        };
    };
    if latest.format != current.format {
        notes.push(format!(
            "baseline was read from {} files, the current run from {}: figures are compared as read",
            latest.format, current.format
        ));
    }
    if let (Some(then), Some(now)) = (&latest.machine, &current.machine) {
        if !then.same_kind(now) {
            notes.push(format!(
                "the baseline was saved on {then}; this run is checked on {now}: another machine shifts every endpoint, so read a run-wide shift as the machine first"
            ));
        }
    }
    notes.extend(sampling_note(latest, current));
    // `differences` says so (and warns when they are far apart).
    let users_differ = matches!(
        (latest.peak_users, current.peak_users),
        (Some(a), Some(b)) if a != b
    );
    let differences = differences(latest, current, rules.comparability_factor);

    let mut regressions = Vec::new();
    fn find<'r>(run: &'r RunSummary, s: &ScopeSummary) -> Option<&'r ScopeSummary> {
        run.endpoints
            .iter()
            .find(|e| e.method == s.method && e.name == s.name)
    }
    let pairs = comparable_pairs(latest, current, rules);
    let shifts = shifts(&pairs, rules);
    let probes = probe_labels(&pairs);
    let context = Context {
        users_differ,
        shifts: &shifts,
        rules,
        levels: probe_levels(baseline, current, &probes),
        probes: &probes,
    };
    let agg_baselines: Vec<&ScopeSummary> = baseline.iter().map(|r| &r.aggregated).collect();
    let every_run: Vec<usize> = (0..baseline.len()).collect();
    compare_scope(
        (&agg_baselines, &every_run),
        &current.aggregated,
        true,
        &context,
        &mut regressions,
    );

    let mut new_endpoints = Vec::new();
    for endpoint in &current.endpoints {
        let (runs, kept): (Vec<usize>, Vec<&ScopeSummary>) = baseline
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, find(r, endpoint)?)))
            .unzip();
        if find(latest, endpoint).is_none() {
            new_endpoints.push(endpoint.label());
            continue;
        }
        compare_scope((&kept, &runs), endpoint, false, &context, &mut regressions);
    }
    let vanished_endpoints = latest
        .endpoints
        .iter()
        .filter(|e| find(current, e).is_none())
        .map(ScopeSummary::label)
        .collect();
    let verdict = Status::worst(
        regressions
            .iter()
            .map(|r| r.status)
            .chain(shifts.iter().map(|s| s.status))
            .chain(differences.iter().map(Difference::status)),
    );
    Comparison {
        verdict,
        baseline_runs: baseline.len(),
        regressions,
        shifts,
        new_endpoints,
        vanished_endpoints,
        notes,
        baseline_machine: latest.machine.clone(),
        differences,
        new_errors: Vec::new(),
        baseline_histograms: latest.aggregated.histogram.is_some(),
    }
}

/// Where the sampling intervals of percentiles and means come from, when either run kept its
/// histograms: the whole distribution is exact, the percentile curve an interpolation.
fn sampling_note(latest: &RunSummary, current: &RunSummary) -> Option<String> {
    let kept = |r: &RunSummary| r.aggregated.histogram.is_some();
    match (kept(latest), kept(current)) {
        (true, true) => Some(
            "both runs kept every response time's histogram (Locust's JSON): each percentile's sampling interval and the mean's come from the whole distribution".to_string(),
        ),
        (false, true) => Some(
            "the current run kept its histograms, the baseline did not (saved from CSVs or an HTML report, or before baselines kept histograms): the baseline's sampling intervals are read off its percentile curve".to_string(),
        ),
        (true, false) => Some(
            "the baseline kept its histograms, the current run did not: the current run's sampling intervals are read off its percentile curve".to_string(),
        ),
        (false, false) => None,
    }
}

/// The endpoints of the current run that the newest baseline run has too, both sides with at least
/// `min_requests`: what run-wide shifts and probes are read from.
fn comparable_pairs<'a>(
    latest: &'a RunSummary,
    current: &'a RunSummary,
    rules: &RegressionRules,
) -> Vec<Pair<'a>> {
    current
        .endpoints
        .iter()
        .filter_map(|cur| {
            let base = latest
                .endpoints
                .iter()
                .find(|b| b.method == cur.method && b.name == cur.name)?;
            let enough = base.requests.min(cur.requests) >= rules.min_requests;
            enough.then(|| Pair {
                label: cur.label(),
                base,
                cur,
            })
        })
        .collect()
}

/// The run-wide shift of every latency metric, judged once for the run.
fn shifts(pairs: &[Pair], rules: &RegressionRules) -> Vec<ShiftFinding> {
    LATENCY
        .into_iter()
        .filter_map(|metric| {
            let limit = rules.limit(metric)?;
            let shift = run_wide_shift(pairs, metric, limit, rules.min_change_ms)?;
            if shift.ms < 0.0 {
                let reason = format!(
                    "every endpoint moved together: the cheapest ({}) faster by {:.0} ms ({:.1}x), {} of {} endpoints by at least half that. \
                     A faster or quieter runner looks like this; each endpoint is expected to be at least that much faster, \
                     so a change of its own still shows",
                    shift.probes.join(", "),
                    -shift.ms,
                    shift.factor,
                    shift.endpoints.len(),
                    pairs.len(),
                );
                return Some(ShiftFinding {
                    shift,
                    status: Status::Pass,
                    reason,
                });
            }
            let reason = format!(
                "every endpoint moved together: the cheapest ({}) by {:+.0} ms ({:.1}x), {} of {} endpoints by at least half that. \
                 The same build on a slower or busier runner looks like this: rerun, refresh the baseline on this runner, \
                 or compare both builds side by side (A/B); endpoints are judged beyond up to {}x this shift",
                shift.probes.join(", "),
                shift.ms,
                shift.factor,
                shift.endpoints.len(),
                pairs.len(),
                rules.shift_transfer
            );
            Some(ShiftFinding {
                shift,
                status: rules.shift,
                reason,
            })
        })
        .collect()
}

/// The latency metrics a run-wide shift is read on.
const LATENCY: [Metric; 4] = [Metric::P50, Metric::P95, Metric::P99, Metric::Avg];

/// What every scope's comparison shares.
struct Context<'a> {
    users_differ: bool,
    shifts: &'a [ShiftFinding],
    rules: &'a RegressionRules,
    /// Each latency metric's probe level in every kept run (oldest first) and in the current run.
    levels: Vec<(Metric, Vec<Option<f64>>, Option<f64>)>,
    /// The endpoints read as probes: the machine's witnesses, never fitted against themselves.
    probes: &'a [String],
}

/// The probes of a comparison: the cheapest third of the endpoints both runs have enough requests
/// of, by the newest baseline run's median.
fn probe_labels(pairs: &[Pair]) -> Vec<String> {
    if pairs.len() < 3 {
        return Vec::new();
    }
    probes(pairs).iter().map(|p| p.label.clone()).collect()
}

/// The median of `metric` over the probes in one run (`None` when the run has none of them).
fn probe_level(run: &RunSummary, probes: &[String], metric: Metric) -> Option<f64> {
    let values: Vec<f64> = run
        .endpoints
        .iter()
        .filter(|e| probes.contains(&e.label()))
        .filter_map(|e| metric.of(e))
        .collect();
    median(&values)
}

fn probe_levels(
    baseline: &[RunSummary],
    current: &RunSummary,
    probes: &[String],
) -> Vec<(Metric, Vec<Option<f64>>, Option<f64>)> {
    if probes.is_empty() {
        return Vec::new();
    }
    LATENCY
        .into_iter()
        .map(|metric| {
            let kept = baseline
                .iter()
                .map(|r| probe_level(r, probes, metric))
                .collect();
            (metric, kept, probe_level(current, probes, metric))
        })
        .collect()
}

/// The machine fit of `metric` for a scope kept in the baseline runs `runs` with `values`: `None`
/// for the probes themselves, without probe levels, or when [`machine_fit`] finds none.
fn fit_of(
    context: &Context,
    metric: Metric,
    runs: &[usize],
    baselines: &[&ScopeSummary],
    current: &ScopeSummary,
    z: f64,
) -> Option<MachineFit> {
    if context.probes.contains(&current.label()) {
        return None;
    }
    let (_, kept_levels, now) = context.levels.iter().find(|(m, _, _)| *m == metric)?;
    let points: Vec<(f64, f64)> = runs
        .iter()
        .zip(baselines)
        .filter_map(|(&i, scope)| Some(((*kept_levels.get(i)?)?, metric.of(*scope)?)))
        .collect();
    machine_fit(&points, (*now)?, z)
}

fn compare_scope(
    (baselines, runs): (&[&ScopeSummary], &[usize]),
    current: &ScopeSummary,
    aggregated: bool,
    context: &Context,
    out: &mut Vec<Regression>,
) {
    let Some(latest) = baselines.last() else {
        return;
    };
    let (users_differ, rules) = (context.users_differ, context.rules);
    for metric in Metric::ALL {
        let Some(limit) = rules.limit(metric) else {
            continue;
        };
        // In a closed model every endpoint's rate follows the others' latency: throughput is judged
        // on the aggregate only, and only at equal user counts.
        if metric == Metric::Rps && (!aggregated || users_differ) {
            continue;
        }
        let kept: Vec<f64> = baselines.iter().filter_map(|b| metric.of(*b)).collect();
        let (Some(base), Some(cur)) = (median(&kept), metric.of(current)) else {
            continue;
        };
        let (shift_ms, shift_metric) = shift_for(context.shifts, metric);
        let z = z_for_confidence(rules.confidence);
        let fit = LATENCY
            .contains(&metric)
            .then(|| fit_of(context, metric, runs, baselines, current, z))
            .flatten();
        let noise = LATENCY.contains(&metric).then(|| {
            between_runs(
                &kept,
                rules.prior_noise(metric),
                halves(latest, current, metric),
                z,
            )
        });
        // With a machine fit, the noise a change is held against is the fit's (relative to the
        // baseline value, as the report gives every noise).
        let noise = match fit {
            Some(f) if base > 0.0 => Some(Noise {
                bound: f.upper() / base - 1.0,
                source: Source::MachineFit(f.runs),
            }),
            _ => noise,
        };
        let evidence = Evidence {
            metric,
            limit,
            base,
            cur,
            kept: &kept,
            latest,
            current,
            baselines,
            shift_ms,
            shift_metric,
            shifted: !context.shifts.is_empty(),
            probe: context
                .shifts
                .iter()
                .any(|s| s.shift.metric == metric && s.shift.probes.contains(&current.label())),
            noise,
            fit,
        };
        let judged = judge(&evidence, rules);
        let change = cur - base;
        out.push(Regression {
            scope: if aggregated {
                Scope::Aggregated
            } else {
                Scope::Endpoint(current.key())
            },
            metric,
            baseline: base,
            current: cur,
            change,
            change_pct: (base > 0.0).then(|| change / base * 100.0),
            direction: judged.0,
            status: judged.1,
            reason: judged.2,
            noise,
        });
    }
}

/// The run-wide shift a metric is judged beyond. A slower machine delays requests, and a delay that
/// lifts the body of the distribution lifts its tail by at least as many milliseconds: a tail is
/// allowed the largest slowdown of itself or of the percentiles below it (a tail's own shift is
/// often missed: the probes' P99 is a handful of requests, or a timeout-bound outlier). A faster
/// runner's shift applies to its own metric only.
fn shift_for(shifts: &[ShiftFinding], metric: Metric) -> (f64, Metric) {
    let own = shifts
        .iter()
        .find(|s| s.shift.metric == metric)
        .map_or(0.0, |s| s.shift.ms);
    let below: &[Metric] = match metric {
        Metric::P95 => &[Metric::P50],
        Metric::P99 => &[Metric::P50, Metric::P95],
        _ => &[],
    };
    shifts
        .iter()
        .filter(|s| below.contains(&s.shift.metric) && s.shift.ms > own)
        .map(|s| (s.shift.ms, s.shift.metric))
        .fold((own, metric), |a, b| if b.0 > a.0 { b } else { a })
}

/// How far the halves of each run's steady state lie apart, the larger of the two runs.
fn halves(latest: &ScopeSummary, current: &ScopeSummary, metric: Metric) -> Option<f64> {
    let (series, _) = interval_series(metric)?;
    let of = |s: &ScopeSummary| s.intervals.as_ref().and_then(|i| split_halves(series(i)));
    match (of(latest), of(current)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// What the comparison of one metric of one scope has to go on.
#[derive(Clone, Copy)]
struct Evidence<'a> {
    metric: Metric,
    /// The profile's limit on this metric's change.
    limit: f64,
    /// The baseline value (the median of the kept runs) and the current one.
    base: f64,
    cur: f64,
    /// The metric in each kept baseline run.
    kept: &'a [f64],
    latest: &'a ScopeSummary,
    current: &'a ScopeSummary,
    baselines: &'a [&'a ScopeSummary],
    /// The run-wide shift of this metric (ms; 0 without one).
    shift_ms: f64,
    /// The metric whose run-wide shift `shift_ms` is (see [`shift_for`]).
    shift_metric: Metric,
    /// Whether the run has a run-wide shift of any latency metric.
    shifted: bool,
    /// Whether this scope is one of the shift's probes.
    probe: bool,
    noise: Option<Noise>,
    /// What the kept runs predict on a machine as busy as this run's, when they can tell.
    fit: Option<MachineFit>,
}

fn judge(evidence: &Evidence, rules: &RegressionRules) -> (Direction, Status, String) {
    let Evidence {
        metric,
        limit,
        base,
        cur,
        latest,
        current,
        baselines,
        ..
    } = *evidence;
    let z = z_for_confidence(rules.confidence);
    let held = rules.status;
    match metric {
        Metric::ErrorRate => {
            let change = cur - base;
            if change.abs() <= limit {
                return (
                    Direction::Unchanged,
                    Status::Pass,
                    format!("within ±{:.2} points", limit * 100.0),
                );
            }
            let direction = if change > 0.0 {
                Direction::Regressed
            } else {
                Direction::Improved
            };
            if direction == Direction::Improved {
                return (
                    direction,
                    Status::Pass,
                    format!("{:.2} points fewer errors", -change * 100.0),
                );
            }
            let noise = z
                * (binomial_se(base, latest.requests).powi(2)
                    + binomial_se(cur, current.requests).powi(2))
                .sqrt();
            if change <= noise {
                return (
                    direction,
                    Status::Warn,
                    format!(
                        "+{:.2} points, but within the sampling noise of ±{:.2} points",
                        change * 100.0,
                        noise * 100.0
                    ),
                );
            }
            (
                direction,
                held,
                format!(
                    "+{:.2} points, more than the limit of {:.2}",
                    change * 100.0,
                    limit * 100.0
                ),
            )
        }
        Metric::Rps => {
            let rel = if base > 0.0 { (cur - base) / base } else { 0.0 };
            if rel.abs() <= limit {
                return (
                    Direction::Unchanged,
                    Status::Pass,
                    format!("within ±{:.0}%", limit * 100.0),
                );
            }
            if rel > 0.0 {
                return (
                    Direction::Improved,
                    Status::Pass,
                    format!("{:+.1}% throughput", rel * 100.0),
                );
            }
            if let Some(why) =
                throughput_follows_shift(cur / base, latest, current, evidence.shifted)
            {
                return (
                    Direction::Regressed,
                    Status::Pass,
                    format!("{:.1}% throughput, {why}", rel * 100.0),
                );
            }
            if let Some(noise) = interval_noise(baselines, current, |i| &i.rps, 1.0, z) {
                if -rel <= noise {
                    return (
                        Direction::Regressed,
                        Status::Warn,
                        format!(
                            "{:.1}% throughput, but within the interval noise of ±{:.1}%",
                            rel * 100.0,
                            noise * 100.0
                        ),
                    );
                }
            }
            (
                Direction::Regressed,
                held,
                format!(
                    "{:.1}% throughput, past the limit of -{:.0}%",
                    rel * 100.0,
                    limit * 100.0
                ),
            )
        }
        Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 | Metric::Avg | Metric::Max => {
            judge_latency(evidence, rules, z, held)
        }
        // Request counts are a gate minimum, never compared.
        Metric::Requests => (
            Direction::Unchanged,
            Status::Pass,
            "not compared".to_string(),
        ),
    }
}

fn judge_latency(
    evidence: &Evidence,
    rules: &RegressionRules,
    z: f64,
    held: Status,
) -> (Direction, Status, String) {
    let Evidence {
        metric,
        limit,
        base,
        cur,
        kept,
        latest,
        current,
        baselines,
        shift_ms,
        noise,
        ..
    } = *evidence;
    // On a faster runner every endpoint is expected to be at least the probes' fall faster:
    // judge against the baseline lowered by it, so a change of the endpoint's own still shows.
    // Only the body of the distribution, and never a probe: the probes are the shift's evidence,
    // and a tail's speed-up is too noisy to raise the bar on.
    let lowered = shift_ms < 0.0
        && base + shift_ms > 0.0
        && !evidence.probe
        && matches!(metric, Metric::P50 | Metric::Avg);
    let base = if lowered { base + shift_ms } else { base };
    let change = cur - base;
    let rel = if base > 0.0 {
        change / base
    } else {
        f64::INFINITY
    };
    if change.abs() < rules.min_change_ms {
        return (
            Direction::Unchanged,
            Status::Pass,
            format!(
                "{change:+.1} ms, below the minimum change of {} ms",
                rules.min_change_ms
            ),
        );
    }
    if rel.abs() <= limit {
        return (
            Direction::Unchanged,
            Status::Pass,
            format!("{:+.1}%, within ±{:.0}%", rel * 100.0, limit * 100.0),
        );
    }
    if change < 0.0 {
        return (
            Direction::Improved,
            Status::Pass,
            format!("{:+.1}% faster", rel * 100.0),
        );
    }
    let against = if lowered {
        format!(
            " against the baseline lowered by the run-wide speed-up of {:.0} ms",
            -shift_ms
        )
    } else {
        String::new()
    };
    let headline = format!(
        "{:+.1}% ({change:+.1} ms), past the limit of +{:.0}%{against}",
        rel * 100.0,
        limit * 100.0
    );
    // A slower runner may add up to `shift_transfer` times the probes' rise (a faster one has
    // already lowered the baseline above).
    let allowance = if shift_ms > 0.0 {
        rules.shift_transfer * shift_ms
    } else {
        0.0
    };
    let own = change - allowance;
    let shift = (shift_ms, evidence.shift_metric);
    if let Some(why) = explained_by_shift(own, base, limit, rules.min_change_ms, shift) {
        return (
            Direction::Regressed,
            Status::Pass,
            format!("{headline}; {why}"),
        );
    }
    let own_rel = if base > 0.0 {
        own / base
    } else {
        f64::INFINITY
    };
    // The kept runs' spread mixes the machines they ran on with the endpoint's own noise; when the
    // probes explain the machine's part, only what is left holds a change back.
    let (between, worst_kept) = match evidence.fit {
        Some(fit) => (within_machine_fit(cur, fit), None),
        None => (
            noise.and_then(|n| within_between_run_noise(own_rel, n)),
            no_worse_than_kept(cur, kept),
        ),
    };
    let overlap = metric.quantile().and_then(|q| {
        let base_hi = quantile_bound(latest, q, z, true)?;
        let cur_lo = quantile_bound(current, q, z, false)?;
        intervals_overlap(base_hi, cur_lo, rules.confidence)
    });
    let interval = interval_series(metric).and_then(|(series, thinning)| {
        let noise = interval_noise(baselines, current, series, thinning, z)?;
        within_interval_noise(rel, noise)
    });
    let mean_noise = (metric == Metric::Avg)
        .then(|| z * (mean_se(latest).powi(2) + mean_se(current).powi(2)).sqrt())
        .and_then(|noise| within_mean_noise(change, noise));
    let tail_alone = (rules.corroborate_tails && is_tail(metric))
        .then(|| {
            let rose = |m: Metric| body_rose(baselines, current, m, rules.p50 / 2.0);
            uncorroborated_tail(rose(Metric::P50), rose(Metric::P90))
        })
        .flatten();
    let doubts: Vec<String> = [
        too_few_requests(latest.requests.min(current.requests), rules.min_requests),
        overlap,
        interval,
        worst_kept,
        mean_noise,
        tail_alone,
        between,
    ]
    .into_iter()
    .flatten()
    .collect();
    if doubts.is_empty() {
        (Direction::Regressed, held, headline)
    } else {
        (
            Direction::Regressed,
            Status::Warn,
            format!("{headline}; not failed: {}", doubts.join("; ")),
        )
    }
}

// The noise guards. Each says why a change past the limit is not failed, or `None` when the guard
// does not hold it back.

/// Either run has fewer requests than `min_requests`: a percentile of a few requests proves little.
fn too_few_requests(fewest: u64, min_requests: u64) -> Option<String> {
    (fewest < min_requests).then(|| format!("only {fewest} requests (fewer than {min_requests})"))
}

/// The current value's lower confidence bound is not above the baseline's upper bound.
fn intervals_overlap(base_hi: f64, cur_lo: f64, confidence: f64) -> Option<String> {
    (cur_lo <= base_hi).then(|| {
        format!(
            "the {:.0}% confidence intervals overlap (baseline up to {base_hi:.0} ms, current from {cur_lo:.0} ms)",
            confidence * 100.0
        )
    })
}

/// The relative change is no larger than the noise of the per-interval series.
fn within_interval_noise(rel: f64, noise: f64) -> Option<String> {
    (rel <= noise).then(|| format!("within the interval noise of ±{:.0}%", noise * 100.0))
}

/// With a rolling baseline, the current value is no worse than the worst kept run.
fn no_worse_than_kept(cur: f64, kept: &[f64]) -> Option<String> {
    if kept.len() < 2 {
        return None;
    }
    let worst = kept.iter().copied().fold(f64::MIN, f64::max);
    (cur <= worst).then(|| {
        format!(
            "no worse than the worst of the {} kept baseline runs ({worst:.0} ms)",
            kept.len()
        )
    })
}

/// A mean's rise is within the sampling noise of the two means.
fn within_mean_noise(change: f64, noise: f64) -> Option<String> {
    (change <= noise).then(|| {
        format!(
            "within the sampling noise of the mean (±{noise:.1} ms; one slow request moves a mean)"
        )
    })
}

/// A tail percentile rose while neither the median nor P90 did. The mean is no witness: the same
/// few slow requests that lift a tail lift it.
fn uncorroborated_tail(median_rose: bool, p90_rose: bool) -> Option<String> {
    (!median_rose && !p90_rose).then(|| {
        "the median and P90 did not move with it (a tail-only change is most often noise)"
            .to_string()
    })
}

/// Under a run-wide shift, the change beyond the shift's allowance is within the limit or the
/// floor: the runner, not this endpoint, moved.
fn explained_by_shift(
    own: f64,
    base: f64,
    limit: f64,
    floor: f64,
    (shift_ms, of): (f64, Metric),
) -> Option<String> {
    if shift_ms <= 0.0 {
        return None;
    }
    let within = own < floor || (base > 0.0 && own / base <= limit);
    within.then(|| {
        format!(
            "explained by the run-wide shift of {} ({shift_ms:+.0} ms; not a change of this endpoint's own)",
            of.key()
        )
    })
}

/// In a closed model each user waits for its response: when the whole run is slower, throughput
/// falls by up to the factor the mean latency rose. A fall no larger than that, under a run-wide
/// shift, is the shift's.
fn throughput_follows_shift(
    ratio: f64,
    latest: &ScopeSummary,
    current: &ScopeSummary,
    shifted: bool,
) -> Option<String> {
    let (base_avg, cur_avg) = (latest.avg?, current.avg?);
    let slower = cur_avg / base_avg;
    (shifted && slower > 1.0 && ratio >= 1.0 / slower).then(|| {
        format!(
            "explained by the run-wide shift: mean latency rose {slower:.2}x, and users that wait for their responses send that much less"
        )
    })
}

/// The change beyond any shift is no larger than the between-run noise of the metric.
fn within_between_run_noise(own_rel: f64, noise: Noise) -> Option<String> {
    (own_rel <= noise.bound).then(|| format!("within the between-run noise ({})", noise.describe()))
}

/// The current value is within what the kept runs predict for a machine this busy.
fn within_machine_fit(cur: f64, fit: MachineFit) -> Option<String> {
    (cur <= fit.upper()).then(|| {
        format!(
            "within the kept runs' noise on a machine this busy ({})",
            fit.describe()
        )
    })
}

/// P95 and above: the percentiles a few slow requests can move alone.
fn is_tail(metric: Metric) -> bool {
    matches!(metric, Metric::P95 | Metric::P99)
}

/// Whether `metric` of `current` rose by at least `fraction` over the median of the kept runs.
fn body_rose(
    baselines: &[&ScopeSummary],
    current: &ScopeSummary,
    metric: Metric,
    fraction: f64,
) -> bool {
    let base = median(
        &baselines
            .iter()
            .filter_map(|b| metric.of(*b))
            .collect::<Vec<_>>(),
    );
    match (base, metric.of(current)) {
        (Some(b), Some(c)) if b > 0.0 => (c - b) / b >= fraction,
        _ => false,
    }
}

/// Picks one per-interval series out of a run's intervals.
type IntervalSeries = fn(&Intervals) -> &Vec<f64>;

/// The per-interval series that carries a metric's noise, and how many of its intervals count as
/// one independent sample: windowed P95s overlap by 10 s, so only one in ten is independent.
fn interval_series(metric: Metric) -> Option<(IntervalSeries, f64)> {
    match metric {
        Metric::Avg | Metric::P50 => Some((|i| &i.avg, 3.0)),
        Metric::P95 => Some((|i| &i.p95, 10.0)),
        Metric::P90
        | Metric::P99
        | Metric::Max
        | Metric::ErrorRate
        | Metric::Rps
        | Metric::Requests => None,
    }
}

/// Standard error of a scope's mean response time: the variance of its histogram when the run kept
/// one, else estimated from its percentile curve plus the maximum as one request of its own (the
/// outlier that most moves a mean).
fn mean_se(scope: &ScopeSummary) -> f64 {
    let (Some(mean), Some(max)) = (scope.avg, scope.max) else {
        return 0.0;
    };
    if scope.requests < 2 {
        return 0.0;
    }
    if let Some((_, variance)) = scope.histogram.as_ref().and_then(Histogram::moments) {
        return (variance / scope.requests as f64).sqrt();
    }
    let n = scope.requests as f64;
    let points = curve(scope);
    let body: f64 = points
        .windows(2)
        .map(|w| {
            let mid = (w[0].1 + w[1].1) / 2.0;
            (w[1].0 - w[0].0) * (mid - mean).powi(2)
        })
        .sum();
    let variance = body + (max - mean).powi(2) / n;
    (variance / n).sqrt()
}

fn binomial_se(p: f64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    (p.clamp(0.0, 1.0) * (1.0 - p.clamp(0.0, 1.0)) / n as f64).sqrt()
}

/// The percentile curve of a scope: (quantile, ms) from the minimum through the maximum.
fn curve(scope: &ScopeSummary) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(12);
    if let Some(min) = scope.min {
        points.push((0.0, min));
    }
    for (i, level) in PERCENTILE_LEVELS.iter().enumerate() {
        if let Some(v) = scope.p(i) {
            points.push((*level, v));
        }
    }
    points
}

/// The upper (or lower) end of the distribution-free confidence interval of quantile `q`: the order
/// statistic at rank `n·q ± z·sqrt(n·q·(1-q))`, read off the histogram when the run kept one (exact),
/// else off the percentile curve (interpolated between Locust's eleven percentiles).
fn quantile_bound(scope: &ScopeSummary, q: f64, z: f64, upper: bool) -> Option<f64> {
    if scope.requests == 0 {
        return None;
    }
    if let Some(histogram) = scope.histogram.as_ref().filter(|h| !h.is_empty()) {
        let (lo, hi) = histogram.quantile_interval(q, z)?;
        return Some(if upper { hi } else { lo });
    }
    let half = z * (q * (1.0 - q) / scope.requests as f64).sqrt();
    let at = if upper {
        (q + half).min(1.0)
    } else {
        (q - half).max(0.0)
    };
    value_at_quantile(&curve(scope), at)
}

/// Relative noise of a per-interval series: z times the combined standard error of the baseline's and
/// the current run's interval means, with `thinning` intervals counted as one independent sample.
fn interval_noise(
    baselines: &[&ScopeSummary],
    current: &ScopeSummary,
    series: IntervalSeries,
    thinning: f64,
    z: f64,
) -> Option<f64> {
    let base = series(baselines.last()?.intervals.as_ref()?);
    let cur = series(current.intervals.as_ref()?);
    let relative_se = |values: &[f64]| -> Option<f64> {
        let m = mean(values)?;
        let sd = std_dev(values)?;
        let n = (values.len() as f64 / thinning).max(1.0);
        (m > 0.0).then(|| sd / m / n.sqrt())
    };
    let (b, c) = (relative_se(base)?, relative_se(cur)?);
    Some(z * (b * b + c * c).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scope of `requests` requests whose percentile curve is `p50..p100` scaled by `scale`.
    fn scope(requests: u64, scale: f64) -> ScopeSummary {
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

    fn run_of(scope: ScopeSummary) -> RunSummary {
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
        }
    }

    fn judged(
        base: ScopeSummary,
        cur: ScopeSummary,
        metric: Metric,
    ) -> (Direction, Status, String) {
        let rules = RegressionRules::default();
        let comparison = compare(&[run_of(base)], &run_of(cur), &rules);
        let r = comparison
            .regressions
            .iter()
            .find(|r| !r.scope.is_aggregated() && r.metric == metric)
            .expect("the metric is compared");
        (r.direction, r.status, r.reason.clone())
    }

    #[test]
    fn each_guard_holds_back_exactly_at_its_boundary() {
        // (guard, just inside: holds back, just outside: lets through)
        assert!(too_few_requests(99, 100).is_some());
        assert!(too_few_requests(100, 100).is_none());
        assert!(intervals_overlap(120.0, 120.0, 0.99).is_some());
        assert!(intervals_overlap(120.0, 120.1, 0.99).is_none());
        assert!(within_interval_noise(0.25, 0.25).is_some());
        assert!(within_interval_noise(0.2501, 0.25).is_none());
        assert!(within_mean_noise(4.0, 4.0).is_some());
        assert!(within_mean_noise(4.01, 4.0).is_none());
        assert!(no_worse_than_kept(130.0, &[100.0, 130.0]).is_some());
        assert!(no_worse_than_kept(130.1, &[100.0, 130.0]).is_none());
        assert!(
            no_worse_than_kept(90.0, &[130.0]).is_none(),
            "one kept run is no spread"
        );
        assert!(uncorroborated_tail(false, false).is_some());
        assert!(uncorroborated_tail(true, false).is_none());
        assert!(uncorroborated_tail(false, true).is_none());
    }

    fn finding(metric: Metric, ms: f64) -> ShiftFinding {
        ShiftFinding {
            shift: Shift {
                metric,
                ms,
                factor: 1.0,
                probes: Vec::new(),
                endpoints: Vec::new(),
            },
            status: Status::Warn,
            reason: String::new(),
        }
    }

    #[test]
    fn a_tail_is_allowed_the_largest_slowdown_below_it() {
        let shifts = [
            finding(Metric::P50, 20.0),
            finding(Metric::P95, 200.0),
            finding(Metric::Avg, 30.0),
        ];
        let of = |metric| shift_for(&shifts, metric);
        assert_eq!(
            of(Metric::P99),
            (200.0, Metric::P95),
            "no P99 shift of its own"
        );
        assert_eq!(of(Metric::P95), (200.0, Metric::P95));
        assert_eq!(
            of(Metric::P50),
            (20.0, Metric::P50),
            "the body: its own only"
        );
        assert_eq!(of(Metric::Avg), (30.0, Metric::Avg));
        assert_eq!(of(Metric::P90), (0.0, Metric::P90), "not a shift metric");
        // Its own shift wins when larger; a body's faster runner lends nothing.
        let shifts = [finding(Metric::P50, -40.0), finding(Metric::P99, 500.0)];
        let of = |metric| shift_for(&shifts, metric);
        assert_eq!(of(Metric::P99), (500.0, Metric::P99));
        assert_eq!(of(Metric::P95), (0.0, Metric::P95));
        assert_eq!(of(Metric::P50), (-40.0, Metric::P50));
        assert_eq!(shift_for(&[], Metric::P99), (0.0, Metric::P99));
    }

    #[test]
    fn with_a_histogram_the_sampling_bounds_are_its_order_statistics() {
        // 1,000 requests at 1..=1000 ms: the median's 99% bound is ranks 500 ± 40.7, outwards.
        let mut histogram = Histogram::default();
        for ms in 1..=1000 {
            histogram.add(ms as f64, 1);
        }
        let mut exact = scope(1000, 1.0);
        exact.histogram = Some(histogram);
        let z = z_for_confidence(0.99);
        assert_eq!(quantile_bound(&exact, 0.5, z, true), Some(541.0));
        assert_eq!(quantile_bound(&exact, 0.5, z, false), Some(459.0));
        // Without it, the same bound is read off the percentile curve.
        let curve = scope(1000, 1.0);
        let from_curve = quantile_bound(&curve, 0.5, z, true).unwrap();
        assert!((50.0..55.0).contains(&from_curve), "{from_curve}");
        // The mean's standard error is the histogram's: sd 288.7 over sqrt(1000).
        assert!(
            (mean_se(&exact) - 9.129).abs() < 0.001,
            "{}",
            mean_se(&exact)
        );
        assert!(mean_se(&curve) != mean_se(&exact));
    }

    #[test]
    fn the_guards_name_what_held_a_change_back() {
        assert_eq!(
            too_few_requests(42, 100).unwrap(),
            "only 42 requests (fewer than 100)"
        );
        assert_eq!(
            no_worse_than_kept(120.0, &[100.0, 140.0, 110.0]).unwrap(),
            "no worse than the worst of the 3 kept baseline runs (140 ms)"
        );
    }

    #[test]
    fn tails_are_p95_and_p99_and_their_noise_series_are_named() {
        let tails: Vec<Metric> = Metric::ALL.into_iter().filter(|m| is_tail(*m)).collect();
        assert_eq!(tails, [Metric::P95, Metric::P99]);
        assert_eq!(interval_series(Metric::P95).map(|s| s.1), Some(10.0));
        assert_eq!(interval_series(Metric::Avg).map(|s| s.1), Some(3.0));
        assert!(interval_series(Metric::P99).is_none());
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
            compare(std::slice::from_ref(&base), cur, &rules)
                .regressions
                .iter()
                .any(|r| r.metric == Metric::Rps)
        };
        assert!(compared(&cur));
        cur.peak_users = Some(20);
        assert!(!compared(&cur));
    }
}

#[cfg(test)]
mod properties {
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
            })
    }

    proptest! {
        #[test]
        fn any_two_runs_compare_without_panic_and_the_verdict_is_the_worst_status(
            kept in prop::collection::vec(run_strategy(), 1..7),
            current in run_strategy(),
        ) {
            let comparison = compare(&kept, &current, &RegressionRules::default());
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
