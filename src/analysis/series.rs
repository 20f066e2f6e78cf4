//! Per-interval figures from a history series. Every Locust version writes running totals
//! (`Total Request Count`, `Total Failure Count`, `Total Average Response Time`); the difference of
//! two consecutive rows is exactly what happened between them, unlike the sliding-window `Requests/s`
//! and the (often cumulative) percentile columns.

use crate::model::HistoryPoint;

/// What happened between two consecutive history rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Interval {
    /// Timestamp of the later row (Unix seconds).
    pub timestamp: i64,
    pub users: u64,
    /// Length of the interval in seconds.
    pub seconds: f64,
    pub requests: u64,
    pub failures: u64,
    pub rps: f64,
    pub failures_per_s: f64,
    /// Mean response time of the interval's requests (ms); `None` when it had none.
    pub avg_ms: Option<f64>,
}

/// The intervals between consecutive rows of `points` (in timestamp order); rows with the same
/// timestamp or running totals that go backwards (a restarted run) are skipped.
pub fn intervals(points: &[HistoryPoint]) -> Vec<Interval> {
    interval_iter(points).collect()
}

/// [`intervals`] one at a time, for callers that keep only a figure or two of each.
pub fn interval_iter(points: &[HistoryPoint]) -> impl Iterator<Item = Interval> + '_ {
    points.windows(2).filter_map(|pair| {
        let (a, b) = (&pair[0], &pair[1]);
        let dt = (b.timestamp - a.timestamp) as f64;
        if dt <= 0.0 || b.total_requests < a.total_requests {
            return None;
        }
        let requests = b.total_requests - a.total_requests;
        let failures = b.total_failures().saturating_sub(a.total_failures());
        let avg_ms = match (a.total_avg_ms(), b.total_avg_ms()) {
            (Some(x), Some(y)) if requests > 0 => {
                let sum = y * b.total_requests as f64 - x * a.total_requests as f64;
                Some((sum / requests as f64).max(0.0))
            }
            _ => None,
        };
        Some(Interval {
            timestamp: b.timestamp,
            users: b.users(),
            seconds: dt,
            requests,
            failures,
            rps: requests as f64 / dt,
            failures_per_s: failures as f64 / dt,
            avg_ms,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(timestamp: i64, total: u64, failures: u64, avg: f64) -> HistoryPoint {
        HistoryPoint::new(timestamp, 5, [None; 3], total, failures, Some(avg))
    }

    #[test]
    fn interval_means_come_from_running_totals() {
        // 10 requests averaging 10 ms, then 10 more averaging 30 ms: the running mean is 20.
        let a = point(100, 10, 0, 10.0);
        let b = point(102, 20, 4, 20.0);
        let out = intervals(&[a, b]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].requests, 10);
        assert_eq!(out[0].rps, 5.0);
        assert_eq!(out[0].failures_per_s, 2.0);
        assert!((out[0].avg_ms.unwrap() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn repeated_timestamps_and_restarts_are_skipped() {
        let a = point(100, 10, 0, 10.0);
        let b = point(100, 12, 0, 10.0);
        let c = point(101, 5, 0, 10.0);
        assert!(intervals(&[a, b]).is_empty());
        assert!(intervals(&[b, c]).is_empty());
    }

    #[test]
    fn an_interval_without_requests_has_no_mean_latency() {
        // Users idle for five seconds: zero throughput, no mean.
        let out = intervals(&[point(100, 40, 2, 85.0), point(105, 40, 2, 85.0)]);
        assert_eq!(
            (out[0].requests, out[0].rps, out[0].seconds, out[0].avg_ms),
            (0, 0.0, 5.0, None)
        );
    }

    #[test]
    fn a_missing_running_mean_on_either_row_leaves_the_interval_without_one() {
        let without = |timestamp, total| HistoryPoint::new(timestamp, 5, [None; 3], total, 0, None);
        let cases = [
            [point(100, 40, 0, 85.0), without(101, 80)],
            [without(100, 40), point(101, 80, 0, 85.0)],
        ];
        for pair in cases {
            let out = intervals(&pair);
            assert_eq!(out.len(), 1, "{pair:?}");
            assert_eq!((out[0].requests, out[0].avg_ms), (40, None), "{pair:?}");
        }
        let both = intervals(&[point(100, 40, 0, 85.0), point(101, 80, 0, 85.0)]);
        assert_eq!(both[0].avg_ms, Some(85.0));
    }

    #[test]
    fn failure_totals_that_go_backwards_count_as_no_failures() {
        let out = intervals(&[point(100, 40, 6, 85.0), point(101, 80, 4, 85.0)]);
        assert_eq!(
            (out[0].requests, out[0].failures, out[0].failures_per_s),
            (40, 0, 0.0)
        );
    }

    #[test]
    fn a_running_mean_that_falls_too_far_gives_an_interval_mean_of_zero_not_below() {
        // 100 requests at 100 ms, then 100 more with the running mean at 40: the interval's own
        // mean would be -20 ms, which Locust's rounding can produce; it is clamped to 0.
        let out = intervals(&[point(100, 100, 0, 100.0), point(101, 200, 0, 40.0)]);
        assert_eq!(out[0].avg_ms, Some(0.0));
        let out = intervals(&[point(100, 100, 0, 100.0), point(101, 200, 0, 50.0)]);
        assert_eq!(out[0].avg_ms, Some(0.0));
        let out = intervals(&[point(100, 100, 0, 100.0), point(101, 200, 0, 50.5)]);
        assert!((out[0].avg_ms.unwrap() - 1.0).abs() < 1e-9, "{out:?}");
    }

    #[test]
    fn each_interval_carries_the_later_rows_time_and_users() {
        let a = HistoryPoint::new(100, 10, [None; 3], 0, 0, Some(0.0));
        let b = HistoryPoint::new(101, 20, [None; 3], 30, 0, Some(42.0));
        let c = HistoryPoint::new(103, 30, [None; 3], 90, 3, Some(50.0));
        let out: Vec<(i64, u64, f64, u64)> = intervals(&[a, b, c])
            .iter()
            .map(|i| (i.timestamp, i.users, i.rps, i.failures))
            .collect();
        assert_eq!(out, [(101, 20, 30.0, 0), (103, 30, 30.0, 3)]);
    }
}
