//! Sampling arithmetic: how far a figure of one run can move by chance alone. Percentiles get the
//! distribution-free confidence interval of an order statistic (exact off a histogram, else read
//! off Locust's percentile curve), means their standard error, error rates the binomial's, and the
//! per-interval series of a run's steady state their spread.

use super::noise::split_halves;
use crate::analysis::stats::{mean, std_dev, value_at_quantile};
use crate::analysis::summary::{Intervals, ScopeSummary};
use crate::model::{Histogram, Metric, PERCENTILE_LEVELS};

/// How far the halves of each run's steady state lie apart, the larger of the two runs.
pub(super) fn halves(latest: &ScopeSummary, current: &ScopeSummary, metric: Metric) -> Option<f64> {
    let (series, _) = interval_series(metric)?;
    let of = |s: &ScopeSummary| s.intervals.as_ref().and_then(|i| split_halves(series(i)));
    match (of(latest), of(current)) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Picks one per-interval series out of a run's intervals.
pub(super) type IntervalSeries = fn(&Intervals) -> &Vec<f64>;

/// The per-interval series that carries a metric's noise, and how many of its intervals count as
/// one independent sample: windowed P95s overlap by 10 s, so only one in ten is independent.
pub(super) fn interval_series(metric: Metric) -> Option<(IntervalSeries, f64)> {
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
pub(super) fn mean_se(scope: &ScopeSummary) -> f64 {
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

pub(super) fn binomial_se(p: f64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    (p.clamp(0.0, 1.0) * (1.0 - p.clamp(0.0, 1.0)) / n as f64).sqrt()
}

/// The percentile curve of a scope: (quantile, ms) from the minimum through the maximum.
pub(super) fn curve(scope: &ScopeSummary) -> Vec<(f64, f64)> {
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
pub(super) fn quantile_bound(scope: &ScopeSummary, q: f64, z: f64, upper: bool) -> Option<f64> {
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
pub(super) fn interval_noise(
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
    use super::super::tests::scope;
    use super::*;
    use crate::analysis::stats::z_for_confidence;

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
    fn the_noise_series_of_a_metric_are_named() {
        assert_eq!(interval_series(Metric::P95).map(|s| s.1), Some(10.0));
        assert_eq!(interval_series(Metric::Avg).map(|s| s.1), Some(3.0));
        assert!(interval_series(Metric::P99).is_none());
    }
}
