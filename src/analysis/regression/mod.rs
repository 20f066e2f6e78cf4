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
//!
//! [`compare`] (here) walks the scopes and returns a finished [`Comparison`], its own verdict
//! decided ([`Comparison::status`]). The parts, each with its tests: [`shifts`] (the run-wide
//! shifts, read on the cheapest endpoints), [`noise`] (between-run noise and the machine fit),
//! `sampling` (the sampling intervals of one run's figures), `latency` and `rates` (one metric
//! judged from its `evidence`: the noise guards), [`comparability`] (how the runs were made
//! differently) and `new_errors` (failure signatures the baseline did not have). The whole
//! comparison's tests are in `tests.rs`.

pub mod comparability;
mod comparison;
mod evidence;
mod family;
mod latency;
mod new_errors;
pub mod noise;
mod rates;
pub mod runner;
mod sampling;
pub mod shifts;
#[cfg(test)]
mod tests;

pub use comparison::{Comparison, Direction, Regression, NO_BASELINE};
pub use runner::RunnerCall;
pub use shifts::ShiftFinding;

use comparability::differences;
use evidence::{Evidence, Judged};
use family::Mix;
use new_errors::{new_errors, NOT_CHECKED};
use noise::{between_runs, MachineFit, Noise, Source};
use sampling::halves;
use shifts::{busier_moves, comparable_pairs, shift_for, shifts, Probes, LATENCY};

use super::stats::{median, z_for_confidence};
use super::summary::{RunSummary, ScopeSummary};
use crate::model::{Metric, Scope, Status};
use crate::profile::{ErrorRules, RegressionRules};

/// Compares `current` with `baseline` (oldest first; the newest decides which endpoints exist):
/// every metric of every scope, the run-wide shifts, the differences in how the runs were made and
/// the new errors (`current`'s signatures as they are: leave the failures the profile expects out
/// first). The comparison comes back finished, its verdict decided.
pub fn compare(
    baseline: &[RunSummary],
    current: &RunSummary,
    rules: &RegressionRules,
    errors: &ErrorRules,
    runner: &RunnerCall,
) -> Comparison {
    let Some(latest) = baseline.last() else {
        return nothing_compared();
    };
    let mut notes = notes(latest, current);
    // `differences` says so (and warns when they are far apart).
    let users_differ = matches!(
        (latest.peak_users, current.peak_users),
        (Some(a), Some(b)) if a != b
    );
    let differences = differences(latest, current, rules.comparability_factor);
    let pairs = comparable_pairs(latest, current, rules);
    let probes = Probes::new(&pairs, baseline, current);
    // A record vouches against one kept run (the newest, or the one most like this run): the
    // run-wide shifts are read against it.
    let vouching = match runner {
        RunnerCall::Held { against, .. } if *against + 1 < baseline.len() => {
            Some(comparable_pairs(&baseline[*against], current, rules))
        }
        _ => None,
    };
    let shifts = shifts(
        vouching.as_deref().unwrap_or(&pairs),
        rules,
        runner,
        (&probes, baseline),
    );
    // Each metric of each scope is one test of the comparison: its sampling tests are held at the
    // level that keeps the whole comparison at the profile's confidence. The between-run noise is
    // a prior or the kept runs' spread, not a sampling test, and the run-wide shifts keep theirs.
    let tests = tests_in(latest, current, rules, users_differ);
    let per_test = RegressionRules {
        confidence: family::per_test_confidence(rules.confidence, tests),
        ..rules.clone()
    };
    notes.push(family::family_note(rules.confidence, tests));
    notes.extend(family::mix_moved(
        latest,
        current,
        z_for_confidence(per_test.confidence),
    ));
    let context = Context {
        runner,
        users_differ,
        shifts: &shifts,
        busier_moves: busier_moves(&pairs, baseline, runner),
        risen: LATENCY
            .into_iter()
            .map(|metric| (metric, risen_past_limit(&pairs, metric, rules)))
            .collect(),
        rules,
        sampling: &per_test,
        probes,
    };
    let (regressions, new_endpoints) = regressions(baseline, latest, current, &context);
    let vanished_endpoints = latest
        .endpoints
        .iter()
        .filter(|e| find(current, e).is_none())
        .map(ScopeSummary::label)
        .collect();
    let z = z_for_confidence(per_test.confidence);
    let signatures = current.signatures.as_deref().unwrap_or_default();
    let new_errors = new_errors(baseline, signatures, errors, z).unwrap_or_else(|| {
        notes.push(NOT_CHECKED.to_string());
        Vec::new()
    });
    let mut comparison = Comparison {
        // Decided below, from everything else.
        verdict: Status::Pass,
        baseline_runs: baseline.len(),
        regressions,
        shifts,
        new_endpoints,
        vanished_endpoints,
        notes,
        baseline_machine: latest.machine.clone(),
        differences,
        new_errors,
        baseline_histograms: latest.aggregated.histogram.is_some(),
        runner: runner.clone(),
    };
    comparison.verdict = comparison.status();
    if let Some(note) = busier_runner_note(&comparison) {
        comparison.notes.push(note);
    }
    comparison
}

/// A latency regression that failed on a runner its records show busier: what moved, so a reader
/// weighs the failure before blaming the build. The verdict stands: a busier runner is no proof
/// the build is sound, and a server whose cheapest endpoints do not share its bottleneck (a health
/// check beside SQL pages) shows no run-wide shift to excuse the pages.
fn busier_runner_note(comparison: &Comparison) -> Option<String> {
    let RunnerCall::Busier { why } = &comparison.runner else {
        return None;
    };
    let failed = comparison
        .regressions
        .iter()
        .filter(|r| r.status == Status::Fail && LATENCY.contains(&r.metric))
        .count();
    (failed > 0).then(|| {
        format!(
            "{failed} latency regression{} failed on a runner its records show busier ({why}): a busier machine slows the endpoints that do the work as well; \
             rerun on a steadier runner or compare both builds side by side (A/B) before reading {} as the build's",
            if failed == 1 { "" } else { "s" },
            if failed == 1 { "it" } else { "them" }
        )
    })
}

/// The comparison with a baseline that holds no runs, or does not exist yet.
fn nothing_compared() -> Comparison {
    Comparison {
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
        runner: RunnerCall::Unknown,
    }
}

/// What the reader should know before the figures: other formats, another machine, where the
/// sampling intervals come from.
fn notes(latest: &RunSummary, current: &RunSummary) -> Vec<String> {
    let mut notes = Vec::new();
    if latest.format != current.format {
        notes.push(format!(
            "baseline was read from {} files, the current run from {}: figures are compared as read",
            latest.format, current.format
        ));
    }
    if let (Some(then), Some(now)) = (&latest.machine, &current.machine) {
        if !then.same_kind(now) {
            notes.push(format!(
                "the baseline comes from {then}, this run from {now}: another machine shifts every endpoint, so read a run-wide shift as the machine first"
            ));
        }
    }
    notes.extend(sampling_note(latest, current));
    notes
}

/// Where the sampling intervals of percentiles and means come from, when either run kept its
/// histograms: the whole distribution is exact, the percentile curve an interpolation.
fn sampling_note(latest: &RunSummary, current: &RunSummary) -> Option<String> {
    let kept = |r: &RunSummary| r.aggregated.histogram.is_some();
    match (kept(latest), kept(current)) {
        (true, true) => Some(
            "both runs kept every response time's histogram (Locust's JSON, or every request of a k6, JMeter or console run): each percentile's sampling interval and the mean's come from the whole distribution".to_string(),
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

/// The endpoint of `run` that is `s`.
fn find<'r>(run: &'r RunSummary, s: &ScopeSummary) -> Option<&'r ScopeSummary> {
    run.endpoints
        .iter()
        .find(|e| e.method == s.method && e.name == s.name)
}

/// How many tests the comparison runs: each metric the profile limits, of the aggregate and of
/// every endpoint both runs have, where both runs have the figure.
fn tests_in(
    latest: &RunSummary,
    current: &RunSummary,
    rules: &RegressionRules,
    users_differ: bool,
) -> usize {
    let scopes = std::iter::once((&latest.aggregated, &current.aggregated, true)).chain(
        current
            .endpoints
            .iter()
            .filter_map(|e| Some((find(latest, e)?, e, false))),
    );
    scopes
        .map(|(base, cur, aggregated)| {
            Metric::ALL
                .into_iter()
                .filter(|&m| {
                    limit_compared(m, rules, aggregated, users_differ).is_some()
                        && m.of(base).is_some()
                        && m.of(cur).is_some()
                })
                .count()
        })
        .sum()
}

/// The limit of a metric that is compared in this scope: one the profile limits, and throughput
/// only on the aggregate at equal user counts (in a closed model every endpoint's rate follows
/// the others' latency). Request counts are a gate minimum, never compared.
fn limit_compared(
    metric: Metric,
    rules: &RegressionRules,
    aggregated: bool,
    users_differ: bool,
) -> Option<f64> {
    let rps_elsewhere = metric == Metric::Rps && (!aggregated || users_differ);
    (metric != Metric::Requests && !rps_elsewhere)
        .then(|| rules.limit(metric))
        .flatten()
}

/// The endpoints (of `pairs`, those both runs have enough requests of) whose `metric` rose past
/// the profile's limit and floor against the newest kept run: a whole-run regression names them.
fn risen_past_limit(
    pairs: &[shifts::Pair],
    metric: Metric,
    rules: &RegressionRules,
) -> Vec<String> {
    let Some(limit) = rules.limit(metric) else {
        return Vec::new();
    };
    pairs
        .iter()
        .filter(|p| match (metric.of(p.base), metric.of(p.cur)) {
            (Some(b), Some(c)) => b > 0.0 && c - b >= rules.min_change_ms && (c - b) / b > limit,
            _ => false,
        })
        .map(|p| p.label.clone())
        .collect()
}

/// What every scope's comparison shares.
struct Context<'a> {
    runner: &'a RunnerCall,
    users_differ: bool,
    shifts: &'a [ShiftFinding],
    /// On a busier runner, each latency metric's move over the whole run ([`busier_moves`]).
    busier_moves: Vec<(Metric, f64)>,
    /// Each latency metric's endpoints that rose past its limit and the floor ([`risen_past_limit`]).
    risen: Vec<(Metric, Vec<String>)>,
    rules: &'a RegressionRules,
    /// The rules with the confidence each sampling test is held at (the comparison's tests as one
    /// family); the between-run noise and the machine fit keep the profile's.
    sampling: &'a RegressionRules,
    probes: Probes,
}

/// One scope (the aggregate or an endpoint) as the kept runs and the current run have it.
#[derive(Clone, Copy)]
struct Kept<'a> {
    /// The scope in each kept run that has it, oldest first ...
    baselines: &'a [&'a ScopeSummary],
    /// ... and those runs' indices in the baseline.
    runs: &'a [usize],
    current: &'a ScopeSummary,
    aggregated: bool,
    /// The aggregate only: the current run's request mix over each kept run's endpoints (one per
    /// kept run, or none when a kept run cannot stand for the current mix).
    mixes: &'a [Mix<'a>],
}

/// The regressions of the aggregate and of every endpoint the newest baseline run has too, and
/// the endpoints it does not have.
fn regressions(
    baseline: &[RunSummary],
    latest: &RunSummary,
    current: &RunSummary,
    context: &Context,
) -> (Vec<Regression>, Vec<String>) {
    let agg_baselines: Vec<&ScopeSummary> = baseline.iter().map(|r| &r.aggregated).collect();
    let every_run: Vec<usize> = (0..baseline.len()).collect();
    let mixes: Vec<Mix> = baseline
        .iter()
        .map(|r| Mix::new(r, current))
        .collect::<Option<_>>()
        .unwrap_or_default();
    let mut regressions = compare_scope(
        Kept {
            baselines: &agg_baselines,
            runs: &every_run,
            current: &current.aggregated,
            aggregated: true,
            mixes: &mixes,
        },
        context,
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
        let scope = Kept {
            baselines: &kept,
            runs: &runs,
            current: endpoint,
            aggregated: false,
            mixes: &[],
        };
        regressions.extend(compare_scope(scope, context));
    }
    (regressions, new_endpoints)
}

/// Every metric the profile limits, of one scope.
fn compare_scope(scope: Kept, context: &Context) -> Vec<Regression> {
    Metric::ALL
        .into_iter()
        .filter_map(|metric| compare_metric(metric, scope, context))
        .collect()
}

/// One metric of one scope: `None` when the profile does not limit it, or a side lacks it.
fn compare_metric(metric: Metric, scope: Kept, context: &Context) -> Option<Regression> {
    let Kept {
        baselines,
        runs,
        current,
        aggregated,
        ..
    } = scope;
    let latest = baselines.last()?;
    let vouching = match context.runner {
        RunnerCall::Held { against, .. } => runs
            .iter()
            .position(|i| i == against)
            .map_or(*latest, |k| baselines[k]),
        _ => *latest,
    };
    let rules = context.rules;
    let limit = limit_compared(metric, rules, aggregated, context.users_differ)?;
    let recorded: Vec<f64> = baselines.iter().filter_map(|b| metric.of(*b)).collect();
    let cur = metric.of(current)?;
    // The aggregate against its kept runs' endpoints under this run's request mix, when every
    // kept run can stand for it; judged as recorded too, to say when the mix explains a move.
    let mixed: Option<Vec<f64>> = (aggregated && scope.mixes.len() == baselines.len())
        .then(|| scope.mixes.iter().map(|m| m.standardised(metric)).collect())
        .flatten();
    let judged = |kept: &[f64]| -> Option<(f64, Option<Noise>, Judged)> {
        let base = median(kept)?;
        let (fit, noise) = if LATENCY.contains(&metric) {
            between_run_noise(metric, scope, (kept, base), context)
        } else {
            (None, None)
        };
        let (shift_ms, shift_metric) = shift_for(context.shifts, metric);
        let evidence = Evidence {
            metric,
            limit,
            base,
            cur,
            kept,
            latest,
            vouching,
            current,
            baselines,
            aggregated,
            shift_ms,
            shift_metric,
            risen: context
                .risen
                .iter()
                .find(|(m, _)| *m == metric)
                .map_or(&[][..], |(_, labels)| labels),
            busier_move: context
                .busier_moves
                .iter()
                .find(|(m, _)| *m == metric)
                .map_or(1.0, |(_, f)| *f),
            // A server-wide shift is the regression: it explains no fall of throughput.
            shifted: context.shifts.iter().any(|s| !s.server_wide),
            probe: context
                .shifts
                .iter()
                .any(|s| s.shift.metric == metric && s.shift.probes.contains(&current.label())),
            noise,
            fit,
            runner: context.runner,
        };
        let change = if LATENCY.contains(&metric) {
            latency::judged_change(&evidence)
        } else {
            family::against_limit(metric, base, cur)
        };
        let held = if family::one_of_many(change, limit) {
            context.sampling
        } else {
            rules
        };
        Some((base, noise, judge(&evidence, held)))
    };
    // The whole run's body on a calmer runner is read against the kept run that vouches alone: the
    // runner had more to give than in that run, not than in every kept run.
    let (recorded, mixed) = match calmer_vouching(metric, scope, context.runner) {
        Some(k) if recorded.len() == baselines.len() => (
            vec![recorded[k]],
            mixed.and_then(|m| m.get(k).map(|v| vec![*v])),
        ),
        _ => (recorded, mixed),
    };
    let as_recorded = judged(&recorded)?;
    let (base, noise, (direction, status, reason)) = match mixed.as_deref().and_then(judged) {
        Some(as_mixed) => with_mix(metric, as_mixed, &as_recorded),
        None => as_recorded,
    };
    let change = cur - base;
    Some(Regression {
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
        direction,
        status,
        reason,
        noise,
    })
}

/// With a rolling baseline, the position among `scope`'s kept runs of the one whose record vouches,
/// when the whole run's body is judged on a calmer runner ([`latency::body_on_a_calmer_runner`]).
fn calmer_vouching(metric: Metric, scope: Kept, runner: &RunnerCall) -> Option<usize> {
    let RunnerCall::Held { against, .. } = runner else {
        return None;
    };
    (latency::body_on_a_calmer_runner(metric, scope.aggregated, runner)
        && scope.baselines.len() > 1)
        .then(|| scope.runs.iter().position(|i| i == against))
        .flatten()
}

/// The aggregate judged against the baseline under this run's request mix, its reason saying so
/// when that differs from the aggregate as recorded, and when the mix explains a move that the
/// recorded aggregate would have flagged.
fn with_mix(
    metric: Metric,
    (base, noise, (direction, status, reason)): (f64, Option<Noise>, Judged),
    (recorded, _, (_, recorded_status, _)): &(f64, Option<Noise>, Judged),
) -> (f64, Option<Noise>, Judged) {
    let apart = (base - recorded).abs() > 1e-9 * recorded.abs().max(1.0);
    if !apart {
        return (base, noise, (direction, status, reason));
    }
    let mut reason = format!(
        "{reason}; against {} from the baseline's endpoints under this run's request mix (its aggregate as recorded: {})",
        metric.display(base),
        metric.display(*recorded)
    );
    if *recorded_status > status {
        reason.push_str(&format!(
            "; the request mix explains the move (as recorded it would {})",
            recorded_status
        ));
    }
    (base, noise, (direction, status, reason))
}

/// The machine fit of a latency metric, and the between-run noise a change is held against: with
/// a fit, the fit's (relative to the baseline value `base`, as the report gives every noise).
/// `kept` are the metric's values in the kept runs.
fn between_run_noise(
    metric: Metric,
    scope: Kept,
    (kept, base): (&[f64], f64),
    context: &Context,
) -> (Option<MachineFit>, Option<Noise>) {
    let Kept {
        baselines,
        runs,
        current,
        ..
    } = scope;
    let rules = context.rules;
    let z = z_for_confidence(rules.confidence);
    let fit = context.probes.fit(metric, runs, baselines, current, z);
    let halves = baselines
        .last()
        .and_then(|latest| halves(latest, current, metric));
    let noise = match fit {
        Some(f) if base > 0.0 => Noise {
            bound: f.upper() / base - 1.0,
            source: Source::MachineFit(f.runs),
        },
        _ => between_runs(kept, rules.prior_noise(metric), halves, z),
    };
    (fit, Some(noise))
}

/// One metric of one scope, by the kind of figure it is.
fn judge(evidence: &Evidence, rules: &RegressionRules) -> Judged {
    let z = z_for_confidence(rules.confidence);
    let held = rules.status;
    match evidence.metric {
        Metric::ErrorRate => rates::error_rate(evidence, z, held),
        Metric::Rps => rates::throughput(evidence, z, held),
        Metric::P50 | Metric::P90 | Metric::P95 | Metric::P99 | Metric::Avg | Metric::Max => {
            latency::judge(evidence, rules, z, held)
        }
        // Request counts are a gate minimum, never compared.
        Metric::Requests => (
            Direction::Unchanged,
            Status::Pass,
            "not compared".to_string(),
        ),
    }
}
