//! The small statistics every finding uses, and how server series and the client's history are
//! set side by side: a line fit with its standard error, Pearson's r at the best lag, per-second
//! values, 5-s buckets of the client's figures.

use super::*;

/// A least-squares line through (x, y) with the standard error of its slope.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LineFit {
    pub slope: f64,
    pub intercept: f64,
    /// Standard error of the slope: residual standard deviation (n - 2 degrees of freedom) over the
    /// square root of x's sum of squares.
    pub slope_se: f64,
    /// `slope / slope_se` (infinite for a perfect line).
    pub t: f64,
    pub r2: f64,
    pub n: usize,
}

/// Fits a line through `points` (x, y); `None` under three points or without a spread of x.
pub fn fit_line(points: &[(f64, f64)]) -> Option<LineFit> {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    let (slope, intercept, r2) = linear_fit(&x, &y)?;
    let n = points.len();
    let residual: f64 = points
        .iter()
        .map(|(x, y)| (y - intercept - slope * x).powi(2))
        .sum();
    let mx = mean(&x)?;
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    let slope_se = (residual / (n - 2) as f64).sqrt() / sxx.sqrt();
    let t = if slope_se > 0.0 {
        slope / slope_se
    } else if slope == 0.0 {
        0.0
    } else {
        f64::INFINITY * slope.signum()
    };
    Some(LineFit {
        slope,
        intercept,
        slope_se,
        t,
        r2,
        n,
    })
}

/// Pearson's r of two equally long samples; `None` when either does not vary.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 3 {
        return None;
    }
    let (ma, mb) = (mean(&a[..n])?, mean(&b[..n])?);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma).powi(2);
        sbb += (b[i] - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// The value of `points` at each whole second from `from` to `to`: the last point at or before it,
/// when that point is at most `max_age` s old (as Prometheus' lookback does).
pub(super) fn per_second(
    points: &[(f64, f64)],
    from: i64,
    to: i64,
    max_age: f64,
) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity((to - from + 1).max(0) as usize);
    let mut i = 0;
    for t in from..=to {
        let t = t as f64;
        while i + 1 < points.len() && points[i + 1].0 <= t {
            i += 1;
        }
        out.push(match points.get(i) {
            Some(&(at, v)) if at <= t && t - at <= max_age => Some(v),
            _ => None,
        });
    }
    out
}

/// Best Pearson r between `a` and `b` shifted by -max_lag..=max_lag seconds (positive: `b` lags
/// `a`), over the seconds where both have values: (r, lag in s).
pub fn best_lag(a: &[Option<f64>], b: &[Option<f64>], max_lag: i64) -> Option<(f64, i64)> {
    let mut best: Option<(f64, i64)> = None;
    for lag in -max_lag..=max_lag {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for (i, x) in a.iter().enumerate() {
            let j = i as i64 + lag;
            if j < 0 || j as usize >= b.len() {
                continue;
            }
            if let (Some(x), Some(y)) = (x, b[j as usize]) {
                xs.push(*x);
                ys.push(y);
            }
        }
        if xs.len() < 10 {
            continue;
        }
        if let Some(r) = pearson(&xs, &ys) {
            // Ties go to the smallest lag.
            if best
                .is_none_or(|(b, l)| r > b + 1e-9 || ((r - b).abs() <= 1e-9 && lag.abs() < l.abs()))
            {
                best = Some((r, lag));
            }
        }
    }
    best
}

/// A centred moving average over `width` seconds, ignoring gaps.
pub(super) fn smooth(values: &[Option<f64>], width: usize) -> Vec<Option<f64>> {
    let half = width / 2;
    (0..values.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(values.len());
            let present: Vec<f64> = values[lo..hi].iter().flatten().copied().collect();
            (values[i].is_some() && !present.is_empty()).then(|| mean(&present).unwrap_or(0.0))
        })
        .collect()
}

/// Client figures per second from the intervals: (requests per second, mean latency ms).
pub(super) fn client_per_second(
    client: &[Interval],
    from: i64,
    to: i64,
) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
    let len = (to - from + 1).max(0) as usize;
    let (mut rps, mut latency) = (vec![None; len], vec![None; len]);
    for interval in client {
        let i = interval.timestamp - from;
        if i < 0 || i as usize >= len {
            continue;
        }
        rps[i as usize] = Some(interval.rps);
        latency[i as usize] = interval.avg_ms;
    }
    (rps, latency)
}

/// Figures of the client side per bucket of [`BUCKET_S`] seconds.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bucket {
    /// The bucket's last interval's timestamp.
    pub(super) end: i64,
    pub(super) users: u64,
    pub(super) requests: u64,
    pub(super) rps: f64,
    pub(super) latency_ms: Option<f64>,
}

pub(super) fn buckets(client: &[Interval]) -> Vec<Bucket> {
    let Some(first) = client.first() else {
        return Vec::new();
    };
    let origin = first.timestamp;
    let mut groups: BTreeMap<i64, Vec<&Interval>> = BTreeMap::new();
    for interval in client {
        let key = (interval.timestamp - origin).div_euclid(BUCKET_S as i64);
        groups.entry(key).or_default().push(interval);
    }
    groups
        .into_values()
        .map(|members| {
            let requests: u64 = members.iter().map(|i| i.requests).sum();
            let seconds: f64 = members.iter().map(|i| i.seconds).sum();
            let weighted: f64 = members
                .iter()
                .filter_map(|i| i.avg_ms.map(|a| a * i.requests as f64))
                .sum();
            Bucket {
                end: members.last().map_or(0, |i| i.timestamp),
                users: members.iter().map(|i| i.users).max().unwrap_or(0),
                requests,
                rps: if seconds > 0.0 {
                    requests as f64 / seconds
                } else {
                    0.0
                },
                latency_ms: (requests > 0).then(|| weighted / requests as f64),
            }
        })
        .collect()
}

/// Points of `series` between `from` and `to` (inclusive).
pub(super) fn within(series: &ServerSeries, from: f64, to: f64) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .copied()
        .filter(|(t, v)| *t >= from && *t <= to && v.is_finite())
        .collect()
}

/// Mean of the points of `series` between `from` and `to`, scaled to its kind's base unit.
pub(super) fn mean_within(series: &ServerSeries, from: f64, to: f64) -> Option<f64> {
    let values: Vec<f64> = within(series, from, to)
        .iter()
        .map(|p| p.1 * unit_scale(series))
        .collect();
    mean(&values)
}

/// Percent series are read as ratios.
pub(super) fn unit_scale(series: &ServerSeries) -> f64 {
    if series.unit == ServerUnit::Percent {
        0.01
    } else {
        1.0
    }
}

/// Do the two series describe the same target? Every label they both carry agrees.
pub(super) fn same_target(a: &ServerSeries, b: &ServerSeries) -> bool {
    a.labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .all(|(k, v)| b.labels.get(k).is_none_or(|w| w == v))
}

pub(super) fn of_kind(server: &[ServerSeries], kind: Kind) -> impl Iterator<Item = &ServerSeries> {
    server.iter().filter(move |s| kind_of(s) == kind)
}
