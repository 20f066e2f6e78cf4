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
    // Without a user count (locustio 0.13–0.14) no steady state can be told from the ramp.
    let peak = points.iter().map(|p| p.users()).max().filter(|&u| u > 0)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndpointKey;

    const T0: i64 = 1_717_000_000;

    /// One history row per second with these user counts.
    fn rows(users: &[u64]) -> Vec<HistoryPoint> {
        rows_at(&(0..users.len() as i64).collect::<Vec<_>>(), users)
    }

    fn rows_at(offsets: &[i64], users: &[u64]) -> Vec<HistoryPoint> {
        offsets
            .iter()
            .zip(users)
            .enumerate()
            .map(|(i, (dt, u))| {
                let total = 40 * i as u64;
                HistoryPoint::new(T0 + dt, *u, [None; 3], total, 0, Some(85.0))
            })
            .collect()
    }

    /// A ramp of 2, 4, .., 10 users (one row each), then `plateau` rows at 10.
    fn ramp_then(plateau: usize) -> Vec<u64> {
        let mut users = vec![2, 4, 6, 8];
        users.extend(std::iter::repeat_n(10, plateau));
        users
    }

    /// User counts per row and the steady range expected of them.
    type RangeCase = (Vec<u64>, Option<(usize, usize)>);

    #[test]
    fn the_steady_state_starts_two_seconds_after_the_peak_and_needs_ten_rows() {
        // Peak first at index 4; settled from index 6; the last peak row (partial) is left out.
        let cases: [RangeCase; 6] = [
            (ramp_then(13), Some((6, 16))),
            (ramp_then(12), None),
            (ramp_then(40), Some((6, 43))),
            (vec![10; 13], Some((2, 12))),
            (vec![10; 12], None),
            (Vec::new(), None),
        ];
        for (users, expected) in cases {
            assert_eq!(steady_range(&rows(&users)), expected, "{users:?}");
        }
    }

    #[test]
    fn the_settle_time_counts_seconds_not_rows() {
        // Rows after the first peak row at these offsets: the first at >= 2 s starts the state.
        let cases: [(&[i64], usize); 4] = [(&[1, 2], 2), (&[1, 3], 2), (&[2], 1), (&[3], 1)];
        for (gaps, start) in cases {
            let mut offsets = vec![0];
            offsets.extend_from_slice(gaps);
            let last = *offsets.last().unwrap();
            offsets.extend((1..=12).map(|i| last + i));
            let users = vec![10; offsets.len()];
            let (found, _) = steady_range(&rows_at(&offsets, &users)).unwrap();
            assert_eq!(found, start, "gaps {gaps:?}");
        }
    }

    #[test]
    fn a_run_that_only_ramps_has_no_steady_state() {
        let users: Vec<u64> = (1..=60).collect();
        assert_eq!(steady_range(&rows(&users)), None);
    }

    #[test]
    fn a_ramp_down_after_the_plateau_ends_the_steady_state_before_the_last_peak_row() {
        let mut users = ramp_then(14);
        users.extend([5, 0]);
        assert_eq!(steady_range(&rows(&users)), Some((6, 17)));
    }

    #[test]
    fn a_dip_between_two_peak_stretches_stays_inside_the_steady_state() {
        // The range runs from the first to the last peak row, whatever the users did between.
        let mut users = vec![10; 6];
        users.extend([4; 5]);
        users.extend([10; 6]);
        assert_eq!(steady_range(&rows(&users)), Some((2, 16)));
    }

    #[test]
    fn the_window_spans_the_first_and_last_rows_of_the_steady_state() {
        let aggregate = Series {
            key: EndpointKey::new("", "Aggregated"),
            aggregated: true,
            points: rows(&ramp_then(13)),
        };
        assert_eq!(steady_window(&aggregate), Some((T0 + 6, T0 + 15)));
        let within = points_within(&aggregate, (T0 + 6, T0 + 15));
        assert_eq!(within.len(), 10);
        assert_eq!({ within[0].timestamp }, T0 + 6);
        assert_eq!(steady_points(&aggregate, &aggregate).len(), 10);
        assert!(points_within(&aggregate, (T0 + 100, T0 + 200)).is_empty());
    }
}
