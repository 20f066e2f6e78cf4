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
        let failures = b.total_failures.saturating_sub(a.total_failures);
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
}
