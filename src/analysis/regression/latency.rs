//! Latency metrics (percentiles, the mean, the maximum), baseline against current. A change fails
//! only past the floor and the limit, beyond what a run-wide shift explains, and when no noise
//! guard holds it back; each guard that does names itself in the reason, and the change warns.

use super::comparison::Direction;
use super::evidence::{Evidence, Judged};
use super::noise::{MachineFit, Noise};
use super::runner::RunnerCall;
use super::sampling::{interval_noise, interval_series, mean_se, quantile_bound};
use crate::analysis::stats::median;
use crate::analysis::summary::ScopeSummary;
use crate::model::{Metric, Status};
use crate::profile::RegressionRules;

/// A latency metric: unchanged, improved, explained by a run-wide shift, or regressed (a warning
/// when any noise guard doubts it, else the profile's status for a regression, `held`).
pub(super) fn judge(evidence: &Evidence, rules: &RegressionRules, z: f64, held: Status) -> Judged {
    let (limit, shift_ms) = (evidence.limit, evidence.shift_ms);
    let (lowered, base) = judged_base(evidence);
    let change = evidence.cur - base;
    let rel = relative(change, base);
    if let Some(judged) = not_regressed(change, rel, limit, rules.min_change_ms) {
        return judged;
    }
    let headline = headline(change, rel, limit, lowered.then_some(shift_ms));
    // A slower runner may add up to `shift_transfer` times the probes' rise (a faster one has
    // already lowered the baseline above).
    let by_shift = if shift_ms > 0.0 {
        rules.shift_transfer * shift_ms
    } else {
        0.0
    };
    // On a busier runner the whole run's move, in proportion to this scope's baseline.
    let by_busier = (evidence.busier_move - 1.0).max(0.0) * base;
    let allowance = by_shift.max(by_busier);
    let own = change - allowance;
    let shift = (shift_ms, evidence.shift_metric);
    // A shift that explains a change warns as a finding of its own; the runner's move has no
    // finding, so the change it explains warns itself: the run was slower, and not for the build.
    let explained = if by_busier > by_shift {
        explained_by_busier_runner(own, base, (limit, rules.min_change_ms), evidence)
            .map(|why| (Status::Warn, why))
    } else {
        explained_by_shift(own, base, limit, rules.min_change_ms, shift)
            .map(|why| (Status::Pass, why))
    };
    if let Some((status, why)) = explained {
        return (Direction::Regressed, status, format!("{headline}; {why}"));
    }
    let moved = Moved {
        change,
        rel,
        own_rel: relative(own, base),
    };
    let doubts = doubts(evidence, rules, z, moved);
    if doubts.is_empty() {
        let reason = if whole_run_on_a_calmer_runner(evidence) {
            let named = if evidence.risen.is_empty() {
                String::new()
            } else {
                format!(" (past the limit: {})", evidence.risen.join(", "))
            };
            format!("{headline}; {CALMER_RUNNER_SLOWED}{named}")
        } else {
            headline
        };
        (Direction::Regressed, held, reason)
    } else {
        (
            Direction::Regressed,
            Status::Warn,
            format!("{headline}; not failed: {}", doubts.join("; ")),
        )
    }
}

/// The baseline a latency is judged against: lowered by a faster runner's speed-up when
/// [`lowered_by_speed_up`] says so.
fn judged_base(evidence: &Evidence) -> (bool, f64) {
    let lowered = lowered_by_speed_up(evidence);
    let base = if lowered {
        evidence.base + evidence.shift_ms
    } else {
        evidence.base
    };
    (lowered, base)
}

/// The relative change a latency is judged on (against the baseline a faster runner lowered).
pub(super) fn judged_change(evidence: &Evidence) -> f64 {
    let (_, base) = judged_base(evidence);
    relative(evidence.cur - base, base)
}

/// On a faster runner every endpoint is expected to be at least the probes' fall faster: it is
/// judged against the baseline lowered by it, so a change of the endpoint's own still shows. Only
/// the body of the distribution, and never a probe: the probes are the shift's evidence, and a
/// tail's speed-up is too noisy to raise the bar on.
fn lowered_by_speed_up(evidence: &Evidence) -> bool {
    evidence.shift_ms < 0.0
        && evidence.base + evidence.shift_ms > 0.0
        && !evidence.probe
        && matches!(evidence.metric, Metric::P50 | Metric::Avg)
}

/// `change` relative to `base` (infinite from a zero baseline).
fn relative(change: f64, base: f64) -> f64 {
    if base > 0.0 {
        change / base
    } else {
        f64::INFINITY
    }
}

/// A change below the floor, within the limit, or faster: no regression.
fn not_regressed(change: f64, rel: f64, limit: f64, min_change_ms: f64) -> Option<Judged> {
    if change.abs() < min_change_ms {
        return Some((
            Direction::Unchanged,
            Status::Pass,
            format!("{change:+.1} ms, below the minimum change of {min_change_ms} ms"),
        ));
    }
    if rel.abs() <= limit {
        return Some((
            Direction::Unchanged,
            Status::Pass,
            format!("{:+.1}%, within ±{:.0}%", rel * 100.0, limit * 100.0),
        ));
    }
    (change < 0.0).then(|| {
        (
            Direction::Improved,
            Status::Pass,
            format!("{:+.1}% faster", rel * 100.0),
        )
    })
}

/// The change past the limit, against the baseline lowered by a faster runner's `speed_up` (ms).
fn headline(change: f64, rel: f64, limit: f64, speed_up: Option<f64>) -> String {
    let against = speed_up.map_or(String::new(), |shift_ms| {
        format!(
            " against the baseline lowered by the run-wide speed-up of {:.0} ms",
            -shift_ms
        )
    });
    format!(
        "{:+.1}% ({change:+.1} ms), past the limit of +{:.0}%{against}",
        rel * 100.0,
        limit * 100.0
    )
}

/// How far a latency moved: in ms, relative to the baseline, and relative beyond a run-wide
/// slowdown's allowance.
#[derive(Clone, Copy)]
struct Moved {
    change: f64,
    rel: f64,
    own_rel: f64,
}

/// Every noise guard that holds a change past the limit back, in the order the reason names them.
fn doubts(evidence: &Evidence, rules: &RegressionRules, z: f64, moved: Moved) -> Vec<String> {
    let Evidence {
        cur,
        kept,
        latest,
        current,
        noise,
        ..
    } = *evidence;
    // The kept runs' spread mixes the machines they ran on with the endpoint's own noise; when the
    // probes explain the machine's part, only what is left holds a change back.
    let (between, worst_kept) = match evidence.fit {
        Some(fit) => (within_machine_fit(cur, fit), None),
        None => (
            noise.and_then(|n| within_between_run_noise(moved.own_rel, n)),
            no_worse_than_kept(cur, kept),
        ),
    };
    // On a calmer runner the whole run's body is held to the sampling guards only: the interval
    // series' spread and the between-run noise are how far runs move between runners.
    let calmer = whole_run_on_a_calmer_runner(evidence);
    let between = between.filter(|_| !calmer);
    let interval = (!calmer)
        .then(|| interval_spread(evidence, moved.rel, z))
        .flatten();
    [
        too_few_requests(latest.requests.min(current.requests), rules.min_requests),
        few_beyond_the_tail(
            evidence.metric,
            latest.requests.min(current.requests),
            median_rose(evidence, rules),
        ),
        sampling_overlap(evidence, rules.confidence, z),
        interval,
        worst_kept,
        mean_sampling(evidence, moved.change, z),
        tail_alone(evidence, rules),
        between,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Why the whole run's body slowing on a calmer runner fails without the between-run noise.
const CALMER_RUNNER_SLOWED: &str = "the runner's records show it had measurably more to give than the baseline's, \
     so the runner did not slow this run and the between-run noise it brings is not allowed for: the whole run slowed, \
     on the server's side";

/// The whole run's body (the aggregate's median or mean) on a runner its records show calmer than
/// the baseline's ([`RunnerCall::Held`] `calmer`): a runner with more to give slows no run, so a
/// rise is the server's, and only the sampling guards hold it back, not the between-run noise
/// (which is how far runs move on runners that differ). In the runner corpora, 105 same-build pairs
/// on a calmer runner moved the aggregate's mean and median at most +2%; 120 of 194 half-capacity
/// pairs moved them past +20%, and the between-run noise held 14 of those back. An endpoint alone
/// is not read so: one endpoint of a same-build pair moved its mean +21%.
fn whole_run_on_a_calmer_runner(evidence: &Evidence) -> bool {
    body_on_a_calmer_runner(evidence.metric, evidence.aggregated, evidence.runner)
}

/// [`whole_run_on_a_calmer_runner`] of `metric` of a scope (`aggregated`: the aggregate's).
pub(super) fn body_on_a_calmer_runner(
    metric: Metric,
    aggregated: bool,
    runner: &RunnerCall,
) -> bool {
    aggregated
        && matches!(metric, Metric::P50 | Metric::Avg)
        && matches!(runner, RunnerCall::Held { calmer: true, .. })
}

/// A percentile's sampling intervals in the two runs overlap.
fn sampling_overlap(evidence: &Evidence, confidence: f64, z: f64) -> Option<String> {
    let q = evidence.metric.quantile()?;
    let base_hi = quantile_bound(evidence.latest, q, z, true)?;
    let cur_lo = quantile_bound(evidence.current, q, z, false)?;
    intervals_overlap(base_hi, cur_lo, confidence)
}

/// The change is within the spread of the metric's per-interval series.
fn interval_spread(evidence: &Evidence, rel: f64, z: f64) -> Option<String> {
    let (series, thinning) = interval_series(evidence.metric)?;
    let noise = interval_noise(evidence.baselines, evidence.current, series, thinning, z)?;
    within_interval_noise(rel, noise)
}

/// A mean's rise is within the sampling noise of the two means.
fn mean_sampling(evidence: &Evidence, change: f64, z: f64) -> Option<String> {
    if evidence.metric != Metric::Avg {
        return None;
    }
    let (latest, current) = (evidence.latest, evidence.current);
    let noise = z * (mean_se(latest).powi(2) + mean_se(current).powi(2)).sqrt();
    within_mean_noise(change, noise)
}

/// Whether the median rose past half the P50 limit and the floor.
fn median_rose(evidence: &Evidence, rules: &RegressionRules) -> bool {
    body_rose(
        evidence.baselines,
        evidence.current,
        Metric::P50,
        (rules.p50 / 2.0, rules.min_change_ms),
    )
}

/// A tail rose while the body of the distribution did not (when the profile asks for it).
fn tail_alone(evidence: &Evidence, rules: &RegressionRules) -> Option<String> {
    if !(rules.corroborate_tails && is_tail(evidence.metric)) {
        return None;
    }
    let rose = |m: Metric| {
        body_rose(
            evidence.baselines,
            evidence.current,
            m,
            (rules.p50 / 2.0, rules.min_change_ms),
        )
    };
    uncorroborated_tail(rose(Metric::P50), rose(Metric::P90))
}

// The noise guards. Each says why a change past the limit is not failed, or `None` when the guard
// does not hold it back.

/// Either run has fewer requests than `min_requests`: a percentile of a few requests proves little.
fn too_few_requests(fewest: u64, min_requests: u64) -> Option<String> {
    (fewest < min_requests).then(|| format!("only {fewest} requests (fewer than {min_requests})"))
}

/// Requests a tail percentile needs beyond it before it is more than a run's few slowest requests:
/// a P99 of 250 requests is the 3rd-largest, and one stall (a pause of the runner, a retry) moves it.
const MIN_BEYOND_TAIL: f64 = 5.0;

/// A tail percentile set by fewer than [`MIN_BEYOND_TAIL`] requests of the smaller run (a P99
/// needs 500 requests, a P95 100), when the median did not rise with it: then the tail is the
/// run's few slowest requests. With the median risen past the floor, the tail is judged as usual.
fn few_beyond_the_tail(metric: Metric, fewest: u64, median_rose: bool) -> Option<String> {
    if !is_tail(metric) || median_rose {
        return None;
    }
    let q = metric.quantile()?;
    let beyond = fewest as f64 * (1.0 - q);
    (beyond < MIN_BEYOND_TAIL - 1e-9).then(|| {
        format!(
            "a {} of {fewest} requests is set by its slowest {:.0} (fewer than {MIN_BEYOND_TAIL:.0}): one stall moves it",
            metric.key().to_uppercase(),
            beyond.floor().max(1.0)
        )
    })
}

/// The current value's lower confidence bound is not above the baseline's upper bound.
fn intervals_overlap(base_hi: f64, cur_lo: f64, confidence: f64) -> Option<String> {
    (cur_lo <= base_hi).then(|| {
        format!(
            "the {} confidence intervals overlap (baseline up to {base_hi:.0} ms, current from {cur_lo:.0} ms)",
            super::family::percent(confidence)
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

/// On a runner its records show busier, the change beyond the whole run's move (in proportion) is
/// within the limit or the floor: the machine, not this endpoint, moved.
fn explained_by_busier_runner(
    own: f64,
    base: f64,
    (limit, floor): (f64, f64),
    evidence: &Evidence,
) -> Option<String> {
    let within = own < floor || (base > 0.0 && own / base <= limit);
    within.then(|| {
        format!(
            "explained by the runner, its records busier: the endpoints' median {} moved {:.2}x, and this one no further than that by more than the limit",
            evidence.metric.key(),
            evidence.busier_move
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

/// Whether `metric` of `current` rose by at least `fraction` over the median of the kept runs, and
/// by at least `floor_ms`.
fn body_rose(
    baselines: &[&ScopeSummary],
    current: &ScopeSummary,
    metric: Metric,
    (fraction, floor_ms): (f64, f64),
) -> bool {
    let base = median(
        &baselines
            .iter()
            .filter_map(|b| metric.of(*b))
            .collect::<Vec<_>>(),
    );
    // A rise below the floor is Locust's rounding and the timer (a 3 ms median read as 4): it
    // no more corroborates a tail than it counts on its own.
    match (base, metric.of(current)) {
        (Some(b), Some(c)) if b > 0.0 => (c - b) / b >= fraction && c - b >= floor_ms,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::scope;
    use super::*;

    /// A median of 3 ms read as 4 (+33%, past half the 20% limit) is Locust's rounding, not a body
    /// that moved: it corroborates no tail. Just outside the 5 ms floor it does.
    #[test]
    fn a_body_rise_corroborates_only_past_the_floor() {
        let at = |p50: f64| ScopeSummary {
            percentiles: std::iter::once(Some(p50))
                .chain(scope(1000, 1.0).percentiles.into_iter().skip(1))
                .collect(),
            ..scope(1000, 1.0)
        };
        let base = at(3.0);
        let rules = (0.10, 5.0);
        assert!(!body_rose(&[&base], &at(4.0), Metric::P50, rules));
        assert!(!body_rose(&[&base], &at(7.99), Metric::P50, rules));
        assert!(body_rose(&[&base], &at(8.0), Metric::P50, rules));
        // A large endpoint: the fraction decides (100 ms: +9.9 ms is short of 10%, +10 is not).
        let base = at(100.0);
        assert!(!body_rose(&[&base], &at(109.9), Metric::P50, rules));
        assert!(body_rose(&[&base], &at(110.0), Metric::P50, rules));
    }

    #[test]
    fn a_tail_of_its_few_slowest_requests_is_held_back() {
        // P99: 499 requests leave 4.99 beyond it (held back), 500 leave 5 (judged).
        let held = few_beyond_the_tail(Metric::P99, 499, false).unwrap();
        assert!(
            held.contains("P99 of 499 requests is set by its slowest 4"),
            "{held}"
        );
        assert!(few_beyond_the_tail(Metric::P99, 500, false).is_none());
        // P95: 99 and 100.
        assert!(few_beyond_the_tail(Metric::P95, 99, false).is_some());
        assert!(few_beyond_the_tail(Metric::P95, 100, false).is_none());
        // A median that rose with it: the tail is judged however few lie beyond it.
        assert!(few_beyond_the_tail(Metric::P99, 140, true).is_none());
        // The body is never held back by it.
        assert!(few_beyond_the_tail(Metric::P50, 10, false).is_none());
        assert!(few_beyond_the_tail(Metric::Avg, 10, false).is_none());
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
    fn tails_are_p95_and_p99() {
        let tails: Vec<Metric> = Metric::ALL.into_iter().filter(|m| is_tail(*m)).collect();
        assert_eq!(tails, [Metric::P95, Metric::P99]);
    }
}
