//! Trends inside one run: over the steady state (users at their peak, after the ramp), does latency
//! climb or throughput fall? The teams' guides' "no degradation over time", "RPS dropping over
//! time (memory leak?)" and "latency increasing steadily (resource exhaustion)".
//!
//! Per interval, the mean latency and the rate come from consecutive running totals
//! (`Total Request Count`, `Total Average Response Time`), which every Locust version writes; the
//! history's own percentile columns are cumulative unless the run used `--csv-full-history`.
//! A least-squares line is fitted over the steady state; a trend is flagged when the fitted change
//! across the window passes the profile's limit, the line explains the data (r² >= 0.3), the change
//! clears the intervals' jitter, three standard errors of the slope and a floor scaled to
//! the series' own noise (`trend_floor`), and the last third of the window is worse than the
//! first third by at least half that limit, so one spike cannot fake a slope.

use serde::{Serialize, Serializer};

use super::stats::{linear_fit_and_mean, mean};
use super::steady;
use crate::model::{Better, History, HistoryPoint, Metric, Scope, Series, Status};
use crate::profile::TrendRules;

const MIN_R2: f64 = 0.3;
/// The fitted change must be this many standard errors from zero (a t-test on the slope).
const MIN_T: f64 = 3.0;
/// A trend must also move at least this many times the resolution of one interval's value: the
/// line's first and last intervals must be told apart by their own noise (two standard errors of
/// the difference of two intervals is 2.8 of one), not only by pooling many intervals whose noise
/// drifts together.
const MIN_RESOLUTIONS: f64 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrendDirection {
    Increasing,
    Decreasing,
    Flat,
}

/// One metric's course over the steady state of one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    pub scope: Scope,
    /// The per-interval mean latency ([`Metric::Avg`]) or throughput ([`Metric::Rps`]).
    #[serde(serialize_with = "trend_metric_key")]
    pub metric: Metric,
    pub direction: TrendDirection,
    /// Fitted change per minute, in the metric's unit (ms or req/s).
    pub slope_per_min: f64,
    /// Fitted change across the window relative to its fitted start, in percent.
    pub change_pct: f64,
    pub start_value: f64,
    pub end_value: f64,
    pub r2: f64,
    pub window_s: f64,
    pub status: Status,
    pub reason: String,
}

/// Trends name the per-interval mean latency `latency_avg` (schema 1): it is not the run's `avg`.
pub fn metric_key(metric: Metric) -> &'static str {
    if metric == Metric::Avg {
        "latency_avg"
    } else {
        metric.key()
    }
}

fn trend_metric_key<S: Serializer>(metric: &Metric, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(metric_key(*metric))
}

/// The steady window trends are judged over, or why there is none: one rule for both the trends
/// and the note that says why they are missing.
fn trend_window(history: Option<&History>, rules: &TrendRules) -> Result<(i64, i64), String> {
    let history = history.ok_or("no stats history: trends inside the run are not judged")?;
    let agg = history
        .aggregated()
        .ok_or("the stats history has no Aggregated rows: trends are not judged")?;
    if agg.points.iter().all(|p| p.users() == 0) {
        return Err(
            "the stats history has no user count (locustio 0.13–0.14 wrote none): the steady state cannot be told from the ramp, so trends are not judged"
                .to_string(),
        );
    }
    let (from, to) = steady::steady_window(agg).ok_or_else(|| {
        format!(
            "no steady state of at least {} s at peak users after the ramp: trends are not judged",
            steady::MIN_POINTS
        )
    })?;
    // A short steady state fits noise: a few seconds of jitter make any slope.
    if ((to - from) as f64) < rules.min_window_s {
        return Err(format!(
            "the steady state lasted {} s, under the {:.0} s a trend needs: trends are not judged (run longer)",
            to - from,
            rules.min_window_s
        ));
    }
    Ok((from, to))
}

/// Why trends could not be judged, when they could not.
pub fn steady_state_note(history: Option<&History>, rules: &TrendRules) -> Option<String> {
    trend_window(history, rules).err()
}

/// Trends of the aggregate and, with full history, of every endpoint (in parallel: a day of full
/// history is tens of thousands of points per endpoint).
pub fn trends(history: &History, rules: &TrendRules) -> Vec<Trend> {
    let Ok(window) = trend_window(Some(history), rules) else {
        return Vec::new();
    };
    // Each thread's interval columns are kept from one series to the next (a day of full history
    // is fifty series of ~40,000 intervals, and fresh memory for each, a new mapping faulted in and
    // given back, cost more than the fits) and given back as its last series is done, so that what
    // is allocated next does not raise the peak.
    let trends = crate::par::map_with(&history.series, |columns, series| {
        trends_of(series, window, rules, columns)
    });
    trends.into_iter().flatten().collect()
}

/// The latency and throughput trends of one series.
fn trends_of(
    series: &Series,
    window: (i64, i64),
    rules: &TrendRules,
    columns: &mut PerInterval,
) -> Vec<Trend> {
    let points = steady::points_within(series, window);
    if points.len() < steady::MIN_POINTS {
        return Vec::new();
    }
    let scope = if series.aggregated {
        Scope::Aggregated
    } else {
        Scope::Endpoint(series.key.clone())
    };
    {
        per_interval(points, columns);
        let PerInterval {
            t,
            latency,
            requests,
            rps,
        } = &*columns;
        let latency_trend = judge(
            &scope,
            Metric::Avg,
            Samples {
                t,
                y: latency,
                n: Counts::Each(requests),
            },
            rules.latency_increase,
            rules,
        );
        // A rate is one value per interval, not a mean of requests: each counts as one sample.
        let rps_trend = judge(
            &scope,
            Metric::Rps,
            Samples {
                t,
                y: rps,
                n: Counts::One,
            },
            rules.rps_decrease,
            rules,
        );
        latency_trend.into_iter().chain(rps_trend).collect()
    }
}

/// The intervals with requests, in the window's order.
#[derive(Default)]
struct PerInterval {
    /// Minutes since the window's start.
    t: Vec<f64>,
    /// Mean latency (ms).
    latency: Vec<f64>,
    /// Requests the mean is of.
    requests: Vec<f64>,
    /// Requests per second.
    rps: Vec<f64>,
}

/// Fills `out` with the intervals of `points` that had requests.
fn per_interval(points: &[HistoryPoint], out: &mut PerInterval) {
    let t0 = points[0].timestamp;
    let n = points.len();
    for column in [
        &mut out.t,
        &mut out.latency,
        &mut out.requests,
        &mut out.rps,
    ] {
        column.clear();
        column.reserve(n);
    }
    // `series::interval_iter`'s figures, only those kept (a long history's intervals are millions):
    // the same operations in the same order, so the same values to the bit; a rate over one second
    // (nearly every interval) is its count, as the division by 1 would give.
    for pair in points.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (a_total, b_total) = (a.total_requests, b.total_requests);
        let dt = (b.timestamp - a.timestamp) as f64;
        if dt <= 0.0 || b_total < a_total {
            continue;
        }
        let requests = b_total - a_total;
        let (Some(x), Some(y)) = (a.total_avg_ms(), b.total_avg_ms()) else {
            continue;
        };
        if requests == 0 {
            continue;
        }
        let count = requests as f64;
        let sum = y * b_total as f64 - x * a_total as f64;
        out.t.push((b.timestamp - t0) as f64 / 60.0);
        out.latency.push((sum / count).max(0.0));
        out.requests.push(count);
        out.rps.push(if dt == 1.0 { count } else { count / dt });
    }
}

/// One metric per interval: `y` at `t` (minutes), each the mean of `n` requests (latency), or
/// a rate with `n` of 1 (throughput).
#[derive(Clone, Copy)]
struct Samples<'a> {
    t: &'a [f64],
    y: &'a [f64],
    n: Counts<'a>,
}

/// How many samples each interval's value is of.
#[derive(Clone, Copy)]
enum Counts<'a> {
    /// Each interval's own count (the requests a mean latency is of).
    Each(&'a [f64]),
    /// One each (a rate): [`interval_resolution`] with every count 1, without a column of ones.
    One,
}

fn judge(
    scope: &Scope,
    metric: Metric,
    samples: Samples,
    limit: f64,
    rules: &TrendRules,
) -> Option<Trend> {
    let Samples { t, y, n } = samples;
    let worse_when_rising = metric.better() == Better::Lower;
    let (slope, intercept, r2, mean_y) = linear_fit_and_mean(t, y)?;
    let (first_t, last_t) = (*t.first()?, *t.last()?);
    // Latencies and rates are never negative: a steep line through values that start near zero
    // would otherwise start below it and make its percentages meaningless.
    let start = (intercept + slope * first_t).max(0.0);
    let end = (intercept + slope * last_t).max(0.0);
    let base = mean_y.max(f64::EPSILON);
    // Percentages are of the start, but never of less than a tenth of the window's mean.
    let floor = base * 0.1;
    let change = (end - start) / start.max(floor);
    let third = (y.len() / 3).max(1);
    let head = mean(&y[..third])?;
    let tail = mean(&y[y.len() - third..])?;
    let halves_change = (tail - head) / head.abs().max(floor);
    let worse = if worse_when_rising {
        change > 0.0
    } else {
        change < 0.0
    };
    let direction = if change.abs() < limit / 2.0 {
        TrendDirection::Flat
    } else if change > 0.0 {
        TrendDirection::Increasing
    } else {
        TrendDirection::Decreasing
    };
    let fit = Fit {
        t,
        y,
        slope,
        intercept,
    };
    let minimum = match metric.better() {
        Better::Lower => rules.min_change_ms,
        Better::Higher => 0.0,
    };
    let resolution = match n {
        Counts::Each(n) => interval_resolution(y, n),
        Counts::One => rate_resolution(y),
    };
    let floor = trend_floor(minimum, resolution);
    // The jitter once, the slope's standard error only when the tests before it pass.
    let jitter = fit.jitter();
    let held_back = too_small(metric, end - start, floor, jitter, || fit.t_stat(jitter));
    let holds = worse
        && change.abs() >= limit
        && r2 >= MIN_R2
        && halves_change.signum() == change.signum()
        && halves_change.abs() >= limit / 2.0
        && held_back.is_none();
    let status = if holds { rules.status } else { Status::Pass };
    let what = if worse_when_rising {
        "latency climbs"
    } else {
        "throughput falls"
    };
    let reason = if holds {
        format!(
            "{what} {:+.0}% across the steady state (fit r² {:.2}; last third {:+.0}% against the first)",
            change * 100.0,
            r2,
            halves_change * 100.0
        )
    } else if let (true, Some(why)) = (worse && change.abs() >= limit, &held_back) {
        format!(
            "{:+.0}% across the steady state, not flagged: {why}",
            change * 100.0
        )
    } else {
        format!(
            "{:+.0}% across the steady state (flagged from {}{:.0}%, with r² >= {MIN_R2})",
            change * 100.0,
            if worse_when_rising { "+" } else { "-" },
            limit * 100.0
        )
    };
    Some(Trend {
        scope: scope.clone(),
        metric,
        direction,
        slope_per_min: slope,
        change_pct: change * 100.0,
        start_value: start,
        end_value: end,
        r2,
        window_s: (last_t - first_t) * 60.0,
        status,
        reason,
    })
}

/// A fitted line and the data it was fitted to.
struct Fit<'a> {
    t: &'a [f64],
    y: &'a [f64],
    slope: f64,
    intercept: f64,
}

impl Fit<'_> {
    fn residuals(&self) -> impl Iterator<Item = f64> + '_ {
        self.t
            .iter()
            .zip(self.y)
            .map(|(t, y)| y - (self.intercept + self.slope * t))
    }

    /// How much the intervals wander around the line: the residuals' standard deviation.
    fn jitter(&self) -> f64 {
        let n = self.y.len() as f64;
        (self.residuals().map(|r| r * r).sum::<f64>() / (n - 2.0).max(1.0)).sqrt()
    }

    /// The slope in standard errors: |slope| / (jitter / sqrt(Sxx)).
    /// `jitter` is [`Self::jitter`].
    fn t_stat(&self, jitter: f64) -> f64 {
        let Some(mt) = mean(self.t) else {
            return 0.0;
        };
        let sxx: f64 = self.t.iter().map(|t| (t - mt).powi(2)).sum();
        let se = jitter / sxx.sqrt();
        if se > 0.0 {
            self.slope.abs() / se
        } else {
            f64::INFINITY
        }
    }
}

/// How finely one interval's value is known at the series' level: `cv · level / sqrt(n)`. An
/// endpoint's single requests spread in proportion to its level (`cv`, their relative spread: a
/// 7 ms endpoint's by a few ms, a 700 ms one's by hundreds), and a mean over `n` of them by that
/// over `sqrt(n)` (`n` the harmonic mean of the counts, which averages the variances). `cv` is read
/// from consecutive intervals: two means over `a` and `b` requests at level `m` differ with
/// variance `cv² m² (1/a + 1/b)`; a drift or a step of the whole window enters one difference where
/// it would inflate the residuals of a line, and a climb whose noise grows with its level does not
/// raise `cv`. A rate has `n` of 1: the relative spread of one interval's rate. Zero when there is
/// nothing to read (fewer than two intervals, or no counts).
fn interval_resolution(y: &[f64], n: &[f64]) -> f64 {
    let len = y.len().min(n.len());
    if len < 2 || n[..len].iter().any(|&c| c.is_nan() || c <= 0.0) {
        return 0.0;
    }
    // One pass taking each count's inverse once (divisions are most of this function's time on a
    // long history); each sum adds the same terms in the same order, from -0.0 as
    // `Iterator::sum` does, so the figure is the same to the bit as a pass per sum.
    let mut previous = 1.0 / n[0];
    let (mut pairs, mut inverses) = (-0.0, -0.0 + previous);
    for i in 1..len {
        let inverse = 1.0 / n[i];
        let level = (y[i] + y[i - 1]) / 2.0;
        pairs += if level > 0.0 {
            ((y[i] - y[i - 1]) / level).powi(2) / (inverse + previous)
        } else {
            0.0
        };
        inverses += inverse;
        previous = inverse;
    }
    let cv2 = pairs / (len - 1) as f64;
    let mean_inverse_count = inverses / len as f64;
    let level = y[..len].iter().sum::<f64>() / len as f64;
    level * (cv2 * mean_inverse_count).sqrt()
}

/// [`interval_resolution`] of a rate (every count 1) without its divisions by the counts: each
/// inverse is 1, so a pair's is 2 (and a division by 2 is a multiplication by 0.5, exactly), and
/// their mean is 1: the same figure to the bit, for half the divisions of a long history's rates.
fn rate_resolution(y: &[f64]) -> f64 {
    let len = y.len();
    if len < 2 {
        return 0.0;
    }
    let mut pairs = -0.0;
    for i in 1..len {
        let level = (y[i] + y[i - 1]) / 2.0;
        pairs += if level > 0.0 {
            ((y[i] - y[i - 1]) / level).powi(2) * 0.5
        } else {
            0.0
        };
    }
    let cv2 = pairs / (len - 1) as f64;
    let level = y.iter().sum::<f64>() / len as f64;
    level * cv2.sqrt()
}

/// The smallest change (in the metric's unit) that can be a trend, and what set it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Floor {
    value: f64,
    /// The resolution of one interval's value when it, not the fixed minimum, set the floor.
    resolution: Option<f64>,
}

/// The larger of `minimum` (latency: `min_change_ms`, below which the timer and the scheduler
/// decide; throughput: 0) and `MIN_RESOLUTIONS` times the resolution of one interval's value.
fn trend_floor(minimum: f64, resolution: f64) -> Floor {
    let sampled = MIN_RESOLUTIONS * resolution;
    if sampled > minimum {
        Floor {
            value: sampled,
            resolution: Some(resolution),
        }
    } else {
        Floor {
            value: minimum,
            resolution: None,
        }
    }
}

/// Why a fitted change past the limit is still not a trend: smaller than `floor` in the metric's
/// unit, smaller than the intervals' own jitter, or a slope within `MIN_T` standard errors of flat.
/// The t statistic (another pass over the data) is computed only when the first two tests pass.
fn too_small(
    metric: Metric,
    change: f64,
    floor: Floor,
    jitter: f64,
    t_stat: impl FnOnce() -> f64,
) -> Option<String> {
    let (unit, value) = match metric.better() {
        Better::Lower => ("ms", "mean"),
        Better::Higher => ("req/s", "rate"),
    };
    if change.abs() < floor.value {
        Some(match floor.resolution {
            Some(resolution) => format!(
                "the fitted change is {change:+.1} {unit}, under {MIN_RESOLUTIONS} times the ±{resolution:.1} {unit} to which one interval's {value} is known"
            ),
            None => format!(
                "the fitted change is {change:+.1} {unit}, below min_change_ms ({})",
                floor.value
            ),
        })
    } else if change.abs() < jitter {
        Some(format!(
            "the fitted change ({change:+.1}) is smaller than the intervals' jitter (±{jitter:.1})"
        ))
    } else {
        let t_stat = t_stat();
        (t_stat < MIN_T)
            .then(|| format!("the slope is {t_stat:.1} standard errors from flat (needs {MIN_T})"))
    }
}

#[cfg(test)]
mod floor_tests {
    use super::*;

    #[test]
    fn a_trend_needs_to_clear_the_floor_the_jitter_and_three_standard_errors() {
        // (change, floor, jitter, t) just inside and just outside each test.
        let ms = |value| Floor {
            value,
            resolution: None,
        };
        assert!(
            too_small(Metric::Avg, 0.99, ms(1.0), 0.1, || 10.0).is_some(),
            "under the floor"
        );
        assert!(
            too_small(Metric::Avg, 1.0, ms(1.0), 0.1, || 10.0).is_none(),
            "at the floor"
        );
        assert!(
            too_small(Metric::Avg, -2.0, ms(1.0), 2.01, || 10.0).is_some(),
            "within the jitter"
        );
        assert!(
            too_small(Metric::Avg, -2.0, ms(1.0), 2.0, || 10.0).is_none(),
            "at the jitter"
        );
        assert!(
            too_small(Metric::Avg, 5.0, ms(1.0), 0.5, || 2.99).is_some(),
            "under three standard errors"
        );
        assert!(
            too_small(Metric::Avg, 5.0, ms(1.0), 0.5, || 3.0).is_none(),
            "at three standard errors"
        );
    }

    #[test]
    fn the_floor_is_the_minimum_or_three_resolutions_of_an_interval() {
        // (minimum, resolution) -> floor, and whether the resolution set it: latency's minimum is
        // min_change_ms, throughput's 0.
        let cases = [
            (1.0, 0.0, 1.0, false),
            (1.0, 0.33, 1.0, false),
            (1.0, 1.0 / 3.0, 1.0, false),
            (1.0, 0.34, 1.02, true),
            (1.0, 0.7, 2.1, true),
            (0.0, 0.1, 0.3, true),
            (5.0, 1.6, 5.0, false),
        ];
        for (minimum, resolution, value, sampled) in cases {
            let floor = trend_floor(minimum, resolution);
            assert!((floor.value - value).abs() < 1e-9, "{floor:?}");
            assert_eq!(floor.resolution.is_some(), sampled, "{floor:?}");
        }
        // A change just under three resolutions is held back, and says why; just over, not.
        let floor = trend_floor(1.0, 0.7);
        let why = too_small(Metric::Avg, 2.09, floor, 0.1, || 10.0).unwrap();
        assert_eq!(
            why,
            "the fitted change is +2.1 ms, under 3 times the ±0.7 ms to which one interval's mean is known"
        );
        assert!(too_small(Metric::Avg, 2.11, floor, 0.1, || 10.0).is_none());
        assert_eq!(
            too_small(Metric::Avg, 0.5, trend_floor(1.0, 0.1), 0.1, || 10.0).unwrap(),
            "the fitted change is +0.5 ms, below min_change_ms (1)"
        ); // A throughput fall, in its own unit.
        let rate = trend_floor(0.0, 3.0);
        assert_eq!(
            too_small(Metric::Rps, -8.9, rate, 0.1, || 10.0).unwrap(),
            "the fitted change is -8.9 req/s, under 3 times the ±3.0 req/s to which one interval's rate is known"
        );
        assert!(too_small(Metric::Rps, -9.0, rate, 0.1, || 10.0).is_none());
    }

    #[test]
    fn an_intervals_resolution_is_its_relative_spread_at_the_level_over_the_root_of_its_requests() {
        // Means alternating 10 and 12 ms over 4 requests each: consecutive differences of 2 ms at
        // a level of 11, so cv² (1/4 + 1/4) = (2/11)², cv² = 8/121; the level is 10.8 ms and one
        // mean is known to ±10.8 sqrt(8/121 / 4).
        let alternating = [10.0, 12.0, 10.0, 12.0, 10.0];
        let tenfold = alternating.map(|v| v * 10.0);
        let base = 10.8 * (8.0f64 / 121.0 / 4.0).sqrt();
        let cases: [(&[f64], &[f64], f64); 8] = [
            (&alternating, &[4.0; 5], base),
            // Sixteen requests an interval: the same means say cv is twice as large, and one mean
            // is known to the same ±1.39 ms (the data, not the count, sets the resolution).
            (&alternating, &[16.0; 5], base),
            // The same noise ten times as slow: ten times the resolution.
            (&tenfold, &[4.0; 5], 10.0 * base),
            // Counts 1 and 3: cv² = (2/11)² / (1 + 1/3) = 3/121; the mean 1/n is (3 + 2/3) / 5.
            (
                &alternating,
                &[1.0, 3.0, 1.0, 3.0, 1.0],
                10.8 * (3.0f64 / 121.0 * (3.0 + 2.0 / 3.0) / 5.0).sqrt(),
            ),
            // Steady: nothing to resolve.
            (&[7.0; 6], &[5.0; 6], 0.0),
            // A step from 7 to 13 ms after 5 of 10 intervals is one of the nine differences:
            // cv² = (6/10)² / (2/9) / 9 = 0.18; the level is 10 ms, one mean ±10 sqrt(0.18 / 9).
            (
                &[7.0, 7.0, 7.0, 7.0, 7.0, 13.0, 13.0, 13.0, 13.0, 13.0],
                &[9.0; 10],
                10.0 * 0.02f64.sqrt(),
            ),
            // Nothing to read: one interval, or no counts.
            (&[7.0], &[5.0], 0.0),
            (&alternating, &[], 0.0),
        ];
        for (y, n, expected) in cases {
            let got = interval_resolution(y, n);
            assert!((got - expected).abs() < 1e-9, "{y:?} over {n:?}: {got}");
        }
    }

    proptest::proptest! {
        /// The one-pass resolution is the three-pass formula's to the bit.
        #[test]
        fn the_one_pass_resolution_equals_the_formula(
            samples in proptest::collection::vec((0.0f64..1e4, 1u32..500), 0..200),
            zero in proptest::bool::ANY,
            rate in proptest::bool::ANY,
        ) {
            let (mut y, mut n): (Vec<f64>, Vec<f64>) =
                samples.into_iter().map(|(y, n)| (y, f64::from(n))).unzip();
            if rate {
                // A rate's counts: all 1 (the path without divisions by them).
                n.fill(1.0);
            }
            if zero && y.len() > 3 {
                y[1] = 0.0;
                y[2] = 0.0;
            }
            let len = y.len();
            let formula = if len < 2 {
                0.0
            } else {
                let pairs = (1..len).map(|i| {
                    let level = (y[i] + y[i - 1]) / 2.0;
                    if level > 0.0 {
                        ((y[i] - y[i - 1]) / level).powi(2) / (1.0 / n[i] + 1.0 / n[i - 1])
                    } else {
                        0.0
                    }
                });
                let cv2 = pairs.sum::<f64>() / (len - 1) as f64;
                let inverse = n.iter().map(|c| 1.0 / c).sum::<f64>() / len as f64;
                let level = y.iter().sum::<f64>() / len as f64;
                level * (cv2 * inverse).sqrt()
            };
            if rate {
                proptest::prop_assert_eq!(rate_resolution(&y).to_bits(), formula.to_bits());
            }
            proptest::prop_assert_eq!(interval_resolution(&y, &n).to_bits(), formula.to_bits());
        }
    }

    #[test]
    fn jitter_and_t_come_from_the_residuals() {
        let t = [0.0, 1.0, 2.0, 3.0];
        let y = [10.0, 12.0, 14.0, 16.0];
        let exact = Fit {
            t: &t,
            y: &y,
            slope: 2.0,
            intercept: 10.0,
        };
        assert_eq!(exact.jitter(), 0.0);
        assert_eq!(exact.t_stat(exact.jitter()), f64::INFINITY);
        let noisy_y = [11.0, 11.0, 15.0, 15.0];
        let (slope, intercept, _) = crate::analysis::stats::linear_fit(&t, &noisy_y).unwrap();
        let noisy = Fit {
            t: &t,
            y: &noisy_y,
            slope,
            intercept,
        };
        // Slope 1.6, residuals 0.4, -1.2, 1.2, -0.4: SSR 3.2 over 2 degrees of freedom, Sxx 5.
        assert!((noisy.jitter() - (3.2f64 / 2.0).sqrt()).abs() < 1e-9);
        assert!(
            (noisy.t_stat(noisy.jitter()) - 1.6 / ((3.2f64 / 2.0).sqrt() / 5f64.sqrt())).abs()
                < 1e-9
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndpointKey;

    /// Twelve intervals, ten seconds apart, in minutes since the window's start.
    fn minutes() -> Vec<f64> {
        (0..12).map(|i| i as f64 * 10.0 / 60.0).collect()
    }

    /// A straight line from `from` to `to` over the twelve intervals.
    fn line(from: f64, to: f64) -> Vec<f64> {
        (0..12)
            .map(|i| from + (to - from) * i as f64 / 11.0)
            .collect()
    }

    /// Forty requests in each of the twelve intervals.
    const REQUESTS: [f64; 12] = [40.0; 12];

    fn latency(y: &[f64], limit: f64) -> Trend {
        judge(
            &Scope::Aggregated,
            Metric::Avg,
            Samples {
                t: &minutes(),
                y,
                n: Counts::Each(&REQUESTS),
            },
            limit,
            &TrendRules::default(),
        )
        .unwrap()
    }

    fn throughput(y: &[f64]) -> Trend {
        let rules = TrendRules::default();
        judge(
            &Scope::Aggregated,
            Metric::Rps,
            Samples {
                t: &minutes(),
                y,
                n: Counts::Each(&[]),
            },
            rules.rps_decrease,
            &rules,
        )
        .unwrap()
    }

    #[test]
    fn a_latency_climb_is_flagged_from_the_limit_on() {
        // Default limit +25%; a straight line, so r² is 1 and the thirds agree.
        let cases = [
            (124.0, Status::Pass, TrendDirection::Increasing),
            (125.0, Status::Warn, TrendDirection::Increasing),
            (126.0, Status::Warn, TrendDirection::Increasing),
            (180.0, Status::Warn, TrendDirection::Increasing),
        ];
        for (to, status, direction) in cases {
            let trend = latency(&line(100.0, to), 0.25);
            assert_eq!(
                (trend.status, trend.direction),
                (status, direction),
                "to {to} ms: {trend:?}"
            );
            assert!((trend.change_pct - (to - 100.0)).abs() < 1e-9, "{trend:?}");
        }
    }

    #[test]
    fn a_change_under_half_the_limit_reads_as_flat() {
        let cases = [
            (112.0, TrendDirection::Flat),
            (112.4, TrendDirection::Flat),
            (112.6, TrendDirection::Increasing),
            (88.0, TrendDirection::Flat),
            (87.4, TrendDirection::Decreasing),
        ];
        for (to, direction) in cases {
            let trend = latency(&line(100.0, to), 0.25);
            assert_eq!(trend.direction, direction, "to {to} ms: {trend:?}");
            assert_eq!(trend.status, Status::Pass);
        }
    }

    #[test]
    fn falling_latency_and_rising_throughput_are_never_flagged() {
        let faster = latency(&line(200.0, 100.0), 0.25);
        assert_eq!(
            (faster.status, faster.direction),
            (Status::Pass, TrendDirection::Decreasing)
        );
        let more = throughput(&line(50.0, 75.0));
        assert_eq!(
            (more.status, more.direction),
            (Status::Pass, TrendDirection::Increasing)
        );
    }

    #[test]
    fn a_throughput_fall_is_flagged_from_the_limit_on() {
        // Default limit -15%, from 50 req/s.
        let cases = [
            (43.0, Status::Pass),
            (42.6, Status::Pass),
            (42.4, Status::Warn),
            (30.0, Status::Warn),
        ];
        for (to, status) in cases {
            let trend = throughput(&line(50.0, to));
            assert_eq!(trend.status, status, "to {to} req/s: {trend:?}");
            assert_eq!(trend.direction, TrendDirection::Decreasing);
        }
    }

    #[test]
    fn a_climb_the_line_does_not_explain_is_not_flagged() {
        // +3 ms per interval with ±a ms of alternating noise: the fitted change stays near +45%,
        // r² falls across 0.3 between a = 20.5 and a = 21.
        let noisy = |a: f64| -> Vec<f64> {
            (0..12)
                .map(|i| 100.0 + 3.0 * i as f64 + if i % 2 == 1 { a } else { -a })
                .collect()
        };
        // Over 12 intervals an r² of 0.3 is a slope only 2.1 standard errors from flat, and noise
        // of ±20 ms makes one interval known to ±30 ms (a floor of about 90 ms, over the +45), so
        // other rules hold both back; the r² rule decides on its own only from 23 intervals.
        let cases = [(20.5, Status::Pass), (21.0, Status::Pass)];
        for (a, status) in cases {
            let trend = latency(&noisy(a), 0.25);
            assert_eq!(trend.status, status, "±{a} ms: {trend:?}");
            assert!(
                trend.change_pct > 44.0 && trend.change_pct < 45.0,
                "{trend:?}"
            );
        }
        assert!((latency(&noisy(20.5), 0.25).r2 - 0.3015).abs() < 1e-3);
        assert!((latency(&noisy(21.0), 0.25).r2 - 0.2937).abs() < 1e-3);
    }

    #[test]
    fn one_spike_at_the_end_does_not_fake_a_slope() {
        // 120 ms throughout, the last interval at 400 ms: a fitted +64%, but r² is 3/13.
        let mut y = vec![120.0; 12];
        y[11] = 400.0;
        let trend = latency(&y, 0.25);
        assert!(trend.change_pct > 60.0, "{trend:?}");
        assert!((trend.r2 - 3.0 / 13.0).abs() < 1e-9, "{trend:?}");
        assert_eq!(trend.status, Status::Pass);
        // Two such intervals: the line explains more (r² 0.42) but the slope is still under three
        // standard errors from flat; a sustained climb over the last four is a trend.
        y[10] = 400.0;
        let two = latency(&y, 0.25);
        assert_eq!(two.status, Status::Pass, "{two:?}");
        assert!(two.reason.contains("standard errors"), "{two:?}");
        for v in &mut y[8..] {
            *v = 400.0;
        }
        assert_eq!(latency(&y, 0.25).status, Status::Warn);
    }

    #[test]
    fn a_climb_is_flagged_only_when_the_last_third_is_worse_than_the_first_by_half_the_limit() {
        // With a +400% limit: a straight climb of +420% passes the fit (r² 1) but its last third
        // is only +194% above its first (under +200%); +440% makes it (+201%).
        let cases = [(520.0, Status::Pass), (540.0, Status::Warn)];
        for (to, status) in cases {
            let trend = latency(&line(100.0, to), 4.0);
            assert!(trend.change_pct >= 400.0 && trend.r2 > 0.999, "{trend:?}");
            assert_eq!(trend.status, status, "to {to} ms: {trend:?}");
        }
    }

    #[test]
    fn a_flagged_trend_takes_the_profiles_status_and_says_why() {
        let rules = TrendRules {
            status: Status::Fail,
            ..TrendRules::default()
        };
        let scope = Scope::Endpoint(EndpointKey::new("GET", "/api/orders"));
        let trend = judge(
            &scope,
            Metric::Avg,
            Samples {
                t: &minutes(),
                y: &line(100.0, 150.0),
                n: Counts::Each(&REQUESTS),
            },
            0.25,
            &rules,
        )
        .unwrap();
        assert_eq!(trend.status, Status::Fail);
        assert_eq!(trend.scope, scope);
        assert_eq!(
            trend.reason,
            "latency climbs +50% across the steady state (fit r² 1.00; last third +34% against the first)"
        );
        assert!((trend.start_value - 100.0).abs() < 1e-9);
        assert!((trend.end_value - 150.0).abs() < 1e-9);
        // 50 ms over 110 s.
        assert!(
            (trend.slope_per_min - 50.0 / (110.0 / 60.0)).abs() < 1e-9,
            "{trend:?}"
        );
        assert!((trend.window_s - 110.0).abs() < 1e-9);

        let calm = throughput(&line(50.0, 48.0));
        assert_eq!(
            calm.reason,
            "-4% across the steady state (flagged from -15%, with r² >= 0.3)"
        );
    }

    #[test]
    fn fewer_than_three_intervals_give_no_trend() {
        let rules = TrendRules::default();
        let t = [0.0, 1.0 / 6.0];
        assert_eq!(
            judge(
                &Scope::Aggregated,
                Metric::Avg,
                Samples {
                    t: &t,
                    y: &[100.0, 300.0],
                    n: Counts::Each(&[40.0, 40.0]),
                },
                0.25,
                &rules
            ),
            None
        );
    }

    proptest::proptest! {
        /// The columns `per_interval` fills hold `series::interval_iter`'s figures to the bit, for
        /// histories with repeated or backward timestamps, totals that go back, missing means.
        #[test]
        fn per_interval_keeps_the_intervals_figures(
            rows in proptest::collection::vec(
                (-1i64..4, -5i64..60, proptest::option::of(0.0f64..500.0)),
                2..80,
            ),
        ) {
            let (mut ts, mut total) = (1_700_000_000i64, 0u64);
            let points: Vec<HistoryPoint> = rows
                .into_iter()
                .map(|(step, add, avg)| {
                    ts += step;
                    total = total.saturating_add_signed(add);
                    HistoryPoint::new(ts, 10, [None; 3], total, 0, avg)
                })
                .collect();
            let mut out = PerInterval::default();
            per_interval(&points, &mut out);
            let t0 = points[0].timestamp;
            let expected: Vec<[u64; 4]> = crate::analysis::series::interval_iter(&points)
                .filter_map(|i| {
                    let t = (i.timestamp - t0) as f64 / 60.0;
                    let n = i.requests as f64;
                    i.avg_ms.map(|avg| [t.to_bits(), avg.to_bits(), n.to_bits(), i.rps.to_bits()])
                })
                .collect();
            let got: Vec<[u64; 4]> = (0..out.t.len())
                .map(|k| {
                    let column = |c: &[f64]| c[k].to_bits();
                    [column(&out.t), column(&out.latency), column(&out.requests), column(&out.rps)]
                })
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    fn aggregate(points: Vec<HistoryPoint>) -> Series {
        Series {
            key: EndpointKey::new("", "Aggregated"),
            aggregated: true,
            points,
        }
    }

    fn plateau(rows: usize) -> Vec<HistoryPoint> {
        (0..rows)
            .map(|i| {
                let total = 40 * i as u64;
                HistoryPoint::new(
                    1_717_000_000 + i as i64,
                    20,
                    [None; 3],
                    total,
                    0,
                    Some(85.0),
                )
            })
            .collect()
    }

    #[test]
    fn the_steady_state_note_says_why_trends_were_not_judged() {
        let endpoint_only = History {
            series: vec![Series {
                key: EndpointKey::new("GET", "/api/orders"),
                aggregated: false,
                points: plateau(30),
            }],
        };
        let short = History {
            series: vec![aggregate(plateau(12))],
        };
        let long_enough = History {
            series: vec![aggregate(plateau(13))],
        };
        let cases: [(Option<&History>, Option<&str>); 4] = [
            (
                None,
                Some("no stats history: trends inside the run are not judged"),
            ),
            (
                Some(&endpoint_only),
                Some("the stats history has no Aggregated rows: trends are not judged"),
            ),
            (
                Some(&short),
                Some("no steady state of at least 10 s at peak users after the ramp: trends are not judged"),
            ),
            (Some(&long_enough), None),
        ];
        // The shortest steady state is a rule of its own (below); here any length is enough.
        let rules = TrendRules {
            min_window_s: 0.0,
            ..TrendRules::default()
        };
        for (history, expected) in cases {
            assert_eq!(steady_state_note(history, &rules).as_deref(), expected);
        }
        let note = steady_state_note(Some(&long_enough), &TrendRules::default()).unwrap();
        assert!(note.starts_with("the steady state lasted"), "{note}");
    }
}
