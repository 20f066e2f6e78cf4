//! The comparison as a whole, not test by test. A comparison runs one test per metric of every
//! scope (about fifty for eight endpoints): held each at 99%, a few fire on same-build pairs by
//! chance alone. And the aggregate mixes endpoints: when a runner slows the expensive ones, users
//! send relatively more of the cheap (or failing) ones, and the aggregate moves with no endpoint
//! changing. Two answers, each a small pure function:
//!
//! - [`per_test_confidence`]: every sampling test of one comparison is held at the Šidák level that
//!   keeps the chance of *any* false alarm in the comparison at the profile's `confidence` (the
//!   between-run noise is a prior or the kept runs' spread, and keeps the profile's level);
//! - [`Mix`]: the aggregate is judged against what the baseline's own endpoints would give under
//!   the current run's request mix (direct standardisation), and a moved mix is said on its own.

use super::find;
use super::sampling::curve;
use crate::analysis::summary::{RunSummary, ScopeSummary};
use crate::model::{Metric, Unit};

/// The confidence each of `tests` tests is held at so that all of them together falsely fire no
/// more often than `1 - family` (Šidák: `family^(1/tests)`). 0.99 over 50 tests is 99.98% each.
pub(super) fn per_test_confidence(family: f64, tests: usize) -> f64 {
    family.powf(1.0 / tests.max(1) as f64)
}

/// A change more than this many times its limit is large against it: its sampling tests keep the
/// profile's own level. Chance alone moves a figure just past its limit, rarely twice as far.
pub(super) const LARGE: f64 = 2.0;

/// Whether a change is judged as one of the comparison's many tests (at the stricter per-test
/// level), or is large against its limit and judged at the profile's level at once. `change` is
/// in the limit's terms: points for an error rate, relative for the others.
pub(super) fn one_of_many(change: f64, limit: f64) -> bool {
    change.abs() <= LARGE * limit
}

/// A change in its limit's terms: points for an error rate, relative for throughput (and for a
/// latency, which `latency::judged_change` gives against the baseline a faster runner lowered).
pub(super) fn against_limit(metric: Metric, base: f64, cur: f64) -> f64 {
    match metric.unit() {
        Unit::Fraction => cur - base,
        _ if base > 0.0 => (cur - base) / base,
        _ => f64::INFINITY,
    }
}

/// The note that says how the comparison's tests were held.
pub(super) fn family_note(family: f64, tests: usize) -> String {
    let each = per_test_confidence(family, tests);
    format!(
        "{tests} metrics compared: the sampling tests (percentile intervals, means, error rates) of a change within {LARGE}x its limit are each held at {} so that chance alone fails the comparison at most {} of the time; a larger change is held at {}",
        percent(each),
        percent(1.0 - family),
        percent(family)
    )
}

/// A confidence as people read it: as many decimals as it takes to differ from 100% (99%, 99.98%).
pub(super) fn percent(p: f64) -> String {
    let pct = p * 100.0;
    let decimals = (0..=4)
        .find(|&d| format!("{pct:.d$}") != format!("{:.d$}", 100.0))
        .unwrap_or(4);
    let text = format!("{pct:.decimals$}");
    // 99.0 reads as 99, 1.0 as 1: no trailing zeros after the decimals it took.
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}%")
}

/// Endpoints whose share of the requests the current run has and the baseline's endpoints cover:
/// below this, the baseline's endpoints cannot stand for the current aggregate.
const MIN_COVERED: f64 = 0.95;

/// The request mix of the current run applied to a baseline run's endpoints.
pub(super) struct Mix<'a> {
    /// Each of the current run's endpoints with its share of the covered requests, and the same
    /// endpoint in the baseline run.
    parts: Vec<(f64, &'a ScopeSummary)>,
}

impl<'a> Mix<'a> {
    /// The current run's mix over `baseline`'s endpoints; `None` when the baseline lacks
    /// endpoints that carry more than 5% of the current requests, or either side has none.
    pub(super) fn new(baseline: &'a RunSummary, current: &RunSummary) -> Option<Mix<'a>> {
        let total: u64 = current.endpoints.iter().map(|e| e.requests).sum();
        let found: Vec<(u64, &ScopeSummary)> = current
            .endpoints
            .iter()
            .filter_map(|e| {
                let b = find(baseline, e)?;
                (b.requests > 0).then_some((e.requests, b))
            })
            .collect();
        let covered: u64 = found.iter().map(|(n, _)| n).sum();
        if total == 0 || (covered as f64) < MIN_COVERED * total as f64 {
            return None;
        }
        let parts = found
            .into_iter()
            .map(|(n, b)| (n as f64 / covered as f64, b))
            .collect();
        Some(Mix { parts })
    }

    /// `metric` of the aggregate the baseline's endpoints would give under this mix: the mixed
    /// error rate and mean, and a percentile of the mixed distribution (each endpoint's percentile
    /// curve weighted by its share). `None` for other metrics, or when an endpoint lacks the figure.
    pub(super) fn standardised(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::ErrorRate | Metric::Avg => self
                .parts
                .iter()
                .map(|(w, e)| metric.of(*e).map(|v| w * v))
                .sum(),
            Metric::P50 | Metric::P95 | Metric::P99 => {
                mixed_quantile(&self.parts, metric.quantile()?)
            }
            _ => None,
        }
    }
}

/// The `q` quantile of a mixture of distributions given by their percentile curves: the value
/// where the weighted share of requests at or below it reaches `q`, found by bisection.
fn mixed_quantile(parts: &[(f64, &ScopeSummary)], q: f64) -> Option<f64> {
    let curves: Vec<(f64, Vec<(f64, f64)>)> = parts
        .iter()
        .map(|(w, e)| (*w, curve(e)))
        .filter(|(_, c)| c.len() >= 2)
        .collect();
    if curves.len() != parts.len() || curves.is_empty() {
        return None;
    }
    let cdf = |x: f64| -> f64 {
        curves
            .iter()
            .map(|(w, c)| w * share_at_or_below(c, x))
            .sum()
    };
    let mut lo = curves
        .iter()
        .map(|(_, c)| c[0].1)
        .fold(f64::INFINITY, f64::min);
    let mut hi = curves
        .iter()
        .map(|(_, c)| c[c.len() - 1].1)
        .fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) >= q {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The share of requests at or below `x` on a percentile curve of (quantile, value) points: the
/// inverse of `stats::value_at_quantile`, linear between the points.
fn share_at_or_below(curve: &[(f64, f64)], x: f64) -> f64 {
    let (first, last) = (curve[0], curve[curve.len() - 1]);
    if x < first.1 {
        return 0.0;
    }
    if x >= last.1 {
        return 1.0;
    }
    // The last point at or below x: flat stretches (several percentiles at one value) count whole.
    for pair in curve.windows(2).rev() {
        let ((q0, v0), (q1, v1)) = (pair[0], pair[1]);
        if x >= v0 {
            if x >= v1 {
                return q1;
            }
            return q0 + (q1 - q0) * (x - v0) / (v1 - v0);
        }
    }
    first.0
}

/// The endpoints whose share of the requests moved beyond the binomial noise of both runs and by
/// at least a point, largest first: "the request mix moved", said on its own.
pub(super) fn mix_moved(baseline: &RunSummary, current: &RunSummary, z: f64) -> Option<String> {
    let total = |r: &RunSummary| r.endpoints.iter().map(|e| e.requests).sum::<u64>() as f64;
    let (nb, nc) = (total(baseline), total(current));
    if nb == 0.0 || nc == 0.0 {
        return None;
    }
    let mut moved: Vec<(f64, String)> = current
        .endpoints
        .iter()
        .filter_map(|e| {
            let b = find(baseline, e)?;
            let (pb, pc) = (b.requests as f64 / nb, e.requests as f64 / nc);
            let pooled = (b.requests + e.requests) as f64 / (nb + nc);
            let noise = z * (pooled * (1.0 - pooled) * (1.0 / nb + 1.0 / nc)).sqrt();
            let d = pc - pb;
            (d.abs() > noise && d.abs() >= MIX_POINT).then(|| {
                (
                    d.abs(),
                    format!("{} {:.1}% → {:.1}%", e.label(), pb * 100.0, pc * 100.0),
                )
            })
        })
        .collect();
    if moved.is_empty() {
        return None;
    }
    moved.sort_by(|a, b| b.0.total_cmp(&a.0));
    let shown: Vec<String> = moved.iter().take(3).map(|(_, s)| s.clone()).collect();
    let more = moved.len().saturating_sub(3);
    Some(format!(
        "the request mix moved (share of requests): {}{}; the aggregate is judged against the baseline's endpoints under this run's mix",
        shown.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    ))
}

/// A share of the requests that moved less than this is no mix shift worth a note.
const MIX_POINT: f64 = 0.01;

#[cfg(test)]
mod tests {
    use super::super::tests::{run_of, scope};
    use super::*;
    use crate::analysis::stats::z_for_confidence;

    #[test]
    fn one_test_keeps_the_family_level_and_fifty_are_each_stricter() {
        assert!((per_test_confidence(0.99, 1) - 0.99).abs() < 1e-12);
        assert!((per_test_confidence(0.99, 0) - 0.99).abs() < 1e-12);
        let each = per_test_confidence(0.99, 50);
        assert!((each - 0.999799).abs() < 1e-6, "{each}");
        // Fifty tests at that level fire together no more often than one at 99%.
        assert!((1.0 - each.powi(50) - 0.01).abs() < 1e-9);
        assert_eq!(percent(0.99), "99%");
        assert_eq!(percent(0.9998), "99.98%");
        assert_eq!(percent(0.999_96), "99.996%");
        assert_eq!(percent(0.01), "1%");
        assert!(
            family_note(0.99, 50).contains("99.98%"),
            "{}",
            family_note(0.99, 50)
        );
    }

    #[test]
    fn a_change_past_twice_its_limit_is_judged_at_once() {
        // Error rate, limit 1 point: 2.0 points is one of many, 2.01 is large.
        assert!(one_of_many(
            against_limit(Metric::ErrorRate, 0.01, 0.03),
            0.01
        ));
        assert!(!one_of_many(
            against_limit(Metric::ErrorRate, 0.01, 0.0301),
            0.01
        ));
        // Latency, limit 20%: +40% is one of many, +41% large; a fall counts by its size too.
        assert!(one_of_many(against_limit(Metric::P95, 100.0, 140.0), 0.2));
        assert!(!one_of_many(against_limit(Metric::P95, 100.0, 141.0), 0.2));
        assert!(!one_of_many(against_limit(Metric::Rps, 100.0, 50.0), 0.2));
        // From a zero baseline any rise is large.
        assert!(!one_of_many(against_limit(Metric::Avg, 0.0, 1.0), 0.2));
    }

    /// The issue's own case: 38 of 2,700 failures against 67 of 2,700 (an endpoint failing 2% at
    /// random) passes a single test at 99% but not the comparison's level over 48 tests.
    #[test]
    fn a_two_percent_endpoint_drawn_twice_is_no_regression_among_many_tests() {
        let se = |k: f64| (k / 2700.0 * (1.0 - k / 2700.0) / 2700.0).sqrt();
        let noise = |z: f64| z * (se(38.0).powi(2) + se(67.0).powi(2)).sqrt();
        let change = (67.0 - 38.0) / 2700.0;
        assert!(change > noise(z_for_confidence(0.99)));
        assert!(change < noise(z_for_confidence(per_test_confidence(0.99, 48))));
        // Just outside: twice the change stands out at the comparison's level too.
        let doubled = (96.0 - 38.0) / 2700.0;
        assert!(doubled > noise(z_for_confidence(per_test_confidence(0.99, 48))));
    }

    fn endpoint(name: &str, requests: u64, failures: u64, scale: f64) -> ScopeSummary {
        ScopeSummary {
            name: name.into(),
            failures,
            ..scope(requests, scale)
        }
    }

    fn run(endpoints: Vec<ScopeSummary>) -> RunSummary {
        RunSummary {
            endpoints,
            ..run_of(scope(1, 1.0))
        }
    }

    #[test]
    fn the_baseline_under_the_current_mix_gives_the_mixed_error_rate_and_mean() {
        // Baseline: a probe that always fails (10% of requests) and a working endpoint.
        let base = run(vec![
            endpoint("/missing", 100, 100, 0.1),
            endpoint("/work", 900, 0, 1.0),
        ]);
        // Current: the same endpoints, the probe now 20% of the requests.
        let cur = run(vec![
            endpoint("/missing", 200, 200, 0.1),
            endpoint("/work", 800, 0, 1.0),
        ]);
        let mix = Mix::new(&base, &cur).unwrap();
        assert!((mix.standardised(Metric::ErrorRate).unwrap() - 0.20).abs() < 1e-12);
        let avg = 0.2 * 6.0 + 0.8 * 60.0;
        assert!((mix.standardised(Metric::Avg).unwrap() - avg).abs() < 1e-9);
    }

    #[test]
    fn a_mixed_percentile_lies_between_the_endpoints_and_follows_the_shares() {
        let fast = endpoint("/fast", 500, 0, 0.1);
        let slow = endpoint("/slow", 500, 0, 1.0);
        let base = run(vec![fast.clone(), slow.clone()]);
        let even = Mix::new(&base, &base).unwrap();
        let p50 = even.standardised(Metric::P50).unwrap();
        // Half the requests are at most 20 ms (the fast endpoint's maximum), half at least 10 ms.
        assert!((10.0..=20.0).contains(&p50), "{p50}");
        // More of the slow endpoint: the mixed median moves into its distribution.
        let cur = run(vec![
            endpoint("/fast", 200, 0, 0.1),
            endpoint("/slow", 800, 0, 1.0),
        ]);
        let slow_heavy = Mix::new(&base, &cur)
            .unwrap()
            .standardised(Metric::P50)
            .unwrap();
        assert!(slow_heavy > 20.0, "{slow_heavy}");
        // One endpoint alone: its own percentile back (its P95 is 80 ms).
        let alone = run(vec![slow]);
        let own = Mix::new(&alone, &alone)
            .unwrap()
            .standardised(Metric::P95)
            .unwrap();
        assert!((own - 80.0).abs() < 1e-6, "{own}");
    }

    #[test]
    fn a_baseline_missing_endpoints_of_the_current_mix_gives_no_standard() {
        let base = run(vec![endpoint("/work", 940, 0, 1.0)]);
        // 6% of the current requests go to an endpoint the baseline never had: just outside.
        let cur = run(vec![
            endpoint("/work", 940, 0, 1.0),
            endpoint("/new", 60, 0, 1.0),
        ]);
        assert!(Mix::new(&base, &cur).is_none());
        // 4%: just inside.
        let cur = run(vec![
            endpoint("/work", 960, 0, 1.0),
            endpoint("/new", 40, 0, 1.0),
        ]);
        assert!(Mix::new(&base, &cur).is_some());
    }

    #[test]
    fn a_mix_moved_past_its_noise_and_a_point_is_said_and_a_smaller_one_is_not() {
        let z = z_for_confidence(0.99);
        let base = run(vec![
            endpoint("/missing", 1000, 1000, 0.1),
            endpoint("/work", 9000, 0, 1.0),
        ]);
        let moved = run(vec![
            endpoint("/missing", 1300, 1300, 0.1),
            endpoint("/work", 8700, 0, 1.0),
        ]);
        let note = mix_moved(&base, &moved, z).unwrap();
        assert!(note.contains("GET /missing 10.0% → 13.0%"), "{note}");
        // 10.0% → 10.5%: half a point, inside the floor.
        let close = run(vec![
            endpoint("/missing", 1050, 1050, 0.1),
            endpoint("/work", 8950, 0, 1.0),
        ]);
        assert!(mix_moved(&base, &close, z).is_none());
        // Past a point but within the binomial noise of 200 requests a side.
        let small_base = run(vec![
            endpoint("/missing", 20, 20, 0.1),
            endpoint("/work", 180, 0, 1.0),
        ]);
        let small_cur = run(vec![
            endpoint("/missing", 26, 26, 0.1),
            endpoint("/work", 174, 0, 1.0),
        ]);
        assert!(mix_moved(&small_base, &small_cur, z).is_none());
    }
}
