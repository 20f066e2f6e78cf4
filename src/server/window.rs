//! When to read: the run's own span (its history's first and last rows, else the first and last
//! request Locust's JSON states), or `--from`/`--to`; read with a margin either side, graded inside
//! the span only; every `step` seconds, in chunks under Prometheus' 11,000 points a series.

use anyhow::{bail, Result};
use serde::Serialize;

use crate::model::Run;

/// Read this much before and after a span the run gave (not one the flags gave): the server's
/// state just before the load and its recovery just after.
pub const MARGIN_S: f64 = 15.0;
/// Points per series in one query_range call: Prometheus refuses more than 11,000.
pub const MAX_POINTS: usize = 10_000;

/// Where a span came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The history's first and last rows.
    History,
    /// The first and last request (Locust's JSON).
    Requests,
    /// `--from` and `--to`.
    Flags,
    /// One end from the flags, the other from the run.
    Mixed,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::History => "the history's first and last rows",
            Origin::Requests => "the run's first and last request",
            Origin::Flags => "--from and --to",
            Origin::Mixed => "the flags and the run",
        }
    }
}

/// A span of time, Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub from: f64,
    pub to: f64,
    pub origin: Origin,
}

impl Span {
    /// The span with the margin added on the sides the run gave.
    pub fn read_span(&self) -> (f64, f64) {
        match self.origin {
            Origin::Flags => (self.from, self.to),
            _ => (self.from - MARGIN_S, self.to + MARGIN_S),
        }
    }
}

/// The run's span from its own files, if they carry times.
pub fn run_span(run: &Run) -> Option<Span> {
    let history = run
        .history
        .as_ref()
        .and_then(|h| h.aggregated())
        .and_then(|a| {
            let first = a.points.iter().map(|p| p.timestamp).min()?;
            let last = a.points.iter().map(|p| p.timestamp).max()?;
            Some((first as f64, last as f64))
        });
    match (history, run.info.request_span) {
        (Some((from, to)), _) => Some(Span {
            from,
            to,
            origin: Origin::History,
        }),
        (None, Some((from, to))) if from.is_finite() && to.is_finite() => Some(Span {
            from,
            to,
            origin: Origin::Requests,
        }),
        _ => None,
    }
}

/// The span to grade: the flags' ends over the run's. `Ok(None)` when neither gives both ends.
pub fn choose(run: Option<Span>, from: Option<f64>, to: Option<f64>) -> Result<Option<Span>> {
    let span = match (run, from, to) {
        (_, Some(from), Some(to)) => Span {
            from,
            to,
            origin: Origin::Flags,
        },
        (Some(run), None, None) => run,
        (Some(run), from, to) => Span {
            from: from.unwrap_or(run.from),
            to: to.unwrap_or(run.to),
            origin: Origin::Mixed,
        },
        (None, _, _) => return Ok(None),
    };
    if span.to <= span.from {
        bail!(
            "the window ends ({}) before it starts ({}): check --from/--to",
            rfc3339(span.to),
            rfc3339(span.from)
        );
    }
    Ok(Some(span))
}

/// `--from`/`--to`: RFC 3339 (`2026-03-01T12:00:00Z`) or Unix seconds.
pub fn parse_time(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Ok(seconds);
        }
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .map_err(|_| {
            format!("'{text}' is not a time: give RFC 3339 (2026-03-01T12:00:00Z) or Unix seconds")
        })
}

/// Unix seconds as RFC 3339 UTC, to the second.
pub fn rfc3339(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{t}"))
}

/// `from`..=`to` on a grid of `step` (from aligned down, to up), cut into query_range calls of at
/// most [`MAX_POINTS`] points each; consecutive chunks do not share a point.
pub fn chunks(from: f64, to: f64, step: f64) -> Vec<(f64, f64)> {
    let start = (from / step).floor() * step;
    let end = (to / step).ceil() * step;
    let points = ((end - start) / step).round() as usize + 1;
    let mut out = Vec::new();
    let mut first = 0;
    while first < points {
        let last = (first + MAX_POINTS - 1).min(points - 1);
        out.push((start + first as f64 * step, start + last as f64 * step));
        first = last + 1;
    }
    out
}

/// A Prometheus duration (`15s`, `1m30s`, `500ms`, `2h`, `15d`, `1w`, `1y`) in seconds.
pub fn parse_prometheus_duration(text: &str) -> Option<f64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// Seconds as a PromQL duration, whole seconds (`4s`, `60s`).
pub fn promql_duration(seconds: f64) -> String {
    format!("{}s", seconds.ceil().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{History, HistoryPoint, Series};

    #[test]
    fn chunks_stay_under_the_point_limit_and_cover_the_window_once() {
        // One chunk: 601 points.
        assert_eq!(chunks(100.0, 700.0, 1.0), vec![(100.0, 700.0)]);
        // Just at the limit: 10,000 points in one call; one more point is a second call.
        assert_eq!(chunks(0.0, 9_999.0, 1.0), vec![(0.0, 9_999.0)]);
        assert_eq!(
            chunks(0.0, 10_000.0, 1.0),
            vec![(0.0, 9_999.0), (10_000.0, 10_000.0)]
        );
        // A day at 1 s: nine calls, each ≤ 10,000 points, contiguous on the grid.
        let day = chunks(0.0, 86_400.0, 1.0);
        assert_eq!(day.len(), 9);
        for pair in day.windows(2) {
            assert_eq!(pair[1].0, pair[0].1 + 1.0);
        }
        assert!(day.iter().all(|(a, b)| ((b - a) as usize) < MAX_POINTS));
        assert_eq!(day.last().unwrap().1, 86_400.0);
        // The grid is the step's: 15 s steps, from aligned down and to up.
        assert_eq!(chunks(7.0, 50.0, 15.0), vec![(0.0, 60.0)]);
    }

    #[test]
    fn times_are_rfc3339_or_unix_seconds() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000.0));
        assert_eq!(parse_time("1700000000.5"), Ok(1_700_000_000.5));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000.0));
        assert_eq!(parse_time("2023-11-14T23:13:20+01:00"), Ok(1_700_000_000.0));
        let err = parse_time("yesterday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
        assert!(parse_time("-5").is_err());
        assert_eq!(rfc3339(1_700_000_000.0), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn prometheus_durations_read_as_prometheus_writes_them() {
        assert_eq!(parse_prometheus_duration("15s"), Some(15.0));
        assert_eq!(parse_prometheus_duration("1m30s"), Some(90.0));
        assert_eq!(parse_prometheus_duration("500ms"), Some(0.5));
        assert_eq!(parse_prometheus_duration("15d"), Some(1_296_000.0));
        assert_eq!(parse_prometheus_duration("0s"), Some(0.0));
        for bad in ["", "s", "15", "1.5s", "15x", "-1s"] {
            assert_eq!(parse_prometheus_duration(bad), None, "{bad}");
        }
        assert_eq!(promql_duration(4.0), "4s");
        assert_eq!(promql_duration(0.2), "1s");
        assert_eq!(promql_duration(60.5), "61s");
    }

    fn run_with_history(timestamps: &[i64]) -> Run {
        let points = timestamps
            .iter()
            .map(|&t| HistoryPoint::new(t, 1, [None; 3], 0, 0, None))
            .collect();
        let mut run = crate::ingest::load_run(&std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/compare/same-1"
        )))
        .unwrap();
        run.history = Some(History {
            series: vec![Series {
                key: crate::model::EndpointKey::new("", "Aggregated"),
                aggregated: true,
                points,
            }],
        });
        run
    }

    #[test]
    fn the_run_gives_its_span_and_the_flags_override_either_end() {
        let run = run_with_history(&[1000, 1001, 1060]);
        let span = run_span(&run).unwrap();
        assert_eq!(
            (span.from, span.to, span.origin),
            (1000.0, 1060.0, Origin::History)
        );
        assert_eq!(span.read_span(), (985.0, 1075.0));
        let mixed = choose(Some(span), Some(1010.0), None).unwrap().unwrap();
        assert_eq!(
            (mixed.from, mixed.to, mixed.origin),
            (1010.0, 1060.0, Origin::Mixed)
        );
        let flags = choose(None, Some(5.0), Some(9.0)).unwrap().unwrap();
        assert_eq!(
            flags.read_span(),
            (5.0, 9.0),
            "no margin on a span the flags gave"
        );
        assert_eq!(choose(None, Some(5.0), None).unwrap(), None);
        let err = choose(Some(span), Some(2000.0), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ends") && err.contains("before it starts"),
            "{err}"
        );
        let mut json = run_with_history(&[]);
        json.history = None;
        assert_eq!(run_span(&json), None);
        json.info.request_span = Some((10.5, 70.25));
        let span = run_span(&json).unwrap();
        assert_eq!(
            (span.from, span.to, span.origin),
            (10.5, 70.25, Origin::Requests)
        );
    }
}
