//! The steady state of a run: the stretch of the history after the ramp-up, while the user count
//! stays at its peak. Trends and interval noise are only meaningful there.

use crate::model::{HistoryPoint, Series};

/// Seconds skipped after the user count first reaches its peak, for the last users' first requests
/// (connections, warm-up) to pass. Analysis reads per-interval figures from running totals, which are
/// exact per second; only Locust's windowed percentile columns still carry up to 10 s of the ramp
/// at the start of the steady state.
pub const SETTLE_S: i64 = 2;

/// The fewest points a steady state needs before anything is read from it.
pub const MIN_POINTS: usize = 10;

/// Index range `[start, end)` of the steady state in `points` (of the aggregate series), or `None`
/// when the run never holds its peak user count long enough.
pub fn steady_range(points: &[HistoryPoint]) -> Option<(usize, usize)> {
    let peak = points.iter().map(|p| p.users()).max()?;
    let first_peak = points.iter().position(|p| p.users() == peak)?;
    let last_peak = points.iter().rposition(|p| p.users() == peak)?;
    let settle_at = points[first_peak].timestamp + SETTLE_S;
    let start = (first_peak..=last_peak).find(|&i| points[i].timestamp >= settle_at)?;
    // Locust writes a last row as the run stops; its window is partial.
    let end = last_peak.max(start);
    (end - start >= MIN_POINTS).then_some((start, end))
}

/// The first and last timestamps of the aggregate's steady state.
pub fn steady_window(aggregate: &Series) -> Option<(i64, i64)> {
    let (start, end) = steady_range(&aggregate.points)?;
    Some((
        aggregate.points[start].timestamp,
        aggregate.points[end - 1].timestamp,
    ))
}

/// The points of `series` within `window` (a slice: the series is in timestamp order).
pub fn points_within(series: &Series, (from, to): (i64, i64)) -> &[HistoryPoint] {
    let first = series.points.partition_point(|p| p.timestamp < from);
    let last = series.points.partition_point(|p| p.timestamp <= to);
    &series.points[first..last.max(first)]
}

/// The points of `series` whose timestamps fall within the aggregate's steady state.
pub fn steady_points<'a>(series: &'a Series, aggregate: &Series) -> &'a [HistoryPoint] {
    steady_window(aggregate).map_or(&[], |window| points_within(series, window))
}
