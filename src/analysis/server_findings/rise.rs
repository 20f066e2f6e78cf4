//! Latency that rose over the run (not at a ramp's knee): what throttling and "look downstream"
//! are read against.

use super::*;

/// Mean latency rose over the run: the last two buckets against the first two.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyRise {
    /// Unix seconds: the end of the last bucket still within [`LATENCY_RISE_FACTOR`] of the start,
    /// and the end of the run.
    pub from: i64,
    pub to: i64,
    pub before_ms: f64,
    pub after_ms: f64,
}

/// Is a rise of mean latency from `before` to `after` (ms), with `fit` the line through the
/// buckets' means, strong enough to explain?
pub fn rise_is_strong(before: f64, after: f64, fit: &LineFit) -> bool {
    before.is_finite()
        && after >= LATENCY_RISE_FACTOR * before
        && after - before >= LATENCY_RISE_MIN_MS
        && fit.t >= LATENCY_RISE_MIN_T
        && fit.r2 >= LATENCY_RISE_MIN_R2
}

/// The latency a run of buckets starts from (the lower of its first two) and ends at (the mean of
/// its last two); `before` is infinite when neither first bucket has a latency.
pub(super) fn latency_ends(buckets: &[Bucket]) -> Option<(f64, f64)> {
    let before = buckets
        .iter()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .fold(f64::INFINITY, f64::min);
    let tail: Vec<f64> = buckets
        .iter()
        .rev()
        .take(2)
        .filter_map(|b| b.latency_ms)
        .collect();
    Some((before, mean(&tail)?))
}

/// Did mean latency rise across the run? The lower of the first two buckets' means against the
/// mean of the last two: [`LATENCY_RISE_FACTOR`] times and [`LATENCY_RISE_MIN_MS`] above, with a
/// line through every bucket's mean rising at t >= [`LATENCY_RISE_MIN_T`] with r² >=
/// [`LATENCY_RISE_MIN_R2`] (one slow bucket at the end, or a machine's contention coming and going,
/// is no rise).
pub fn latency_rise(client: &[Interval]) -> Option<LatencyRise> {
    let buckets: Vec<Bucket> = buckets(client)
        .into_iter()
        .filter(|b| b.requests > 0 && b.users > 0)
        .collect();
    if buckets.len() < 6 {
        return None;
    }
    let (before, after) = latency_ends(&buckets)?;
    let line: Vec<(f64, f64)> = buckets
        .iter()
        .filter_map(|b| b.latency_ms.map(|l| (b.end as f64, l)))
        .collect();
    let fit = fit_line(&line)?;
    if !rise_is_strong(before, after, &fit) {
        return None;
    }
    let from = buckets
        .iter()
        .rev()
        .find(|b| {
            b.latency_ms
                .is_some_and(|l| l < LATENCY_RISE_FACTOR * before)
        })
        .map_or(buckets[0].end, |b| b.end);
    Some(LatencyRise {
        from,
        to: buckets.last()?.end,
        before_ms: before,
        after_ms: after,
    })
}
