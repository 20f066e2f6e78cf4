//! Memory growing at constant load: a least-squares slope in MB/min with its standard error, and
//! the time left until a limit at that rate.

use super::*;

/// Memory that grew steadily at constant load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemoryGrowth {
    pub series: String,
    pub slope_mb_per_min: f64,
    /// Standard error of the slope, MB/min.
    pub slope_se_mb_per_min: f64,
    pub t: f64,
    pub r2: f64,
    /// The constant-load stretch the line was fitted over (Unix seconds).
    pub from: f64,
    pub to: f64,
    pub start_mb: f64,
    pub end_mb: f64,
    /// The limit the time below is counted to (bytes), and what it is.
    pub limit_bytes: Option<f64>,
    pub limit_source: Option<String>,
    /// Minutes from the end of the run until the limit at this rate.
    pub minutes_to_limit: Option<f64>,
    pub reason: String,
}

/// The stretch of the run at constant load: the longest run of intervals at the peak user count,
/// less its first [`GROWTH_SETTLE_S`] seconds (Unix seconds, inclusive).
pub fn constant_load_window(client: &[Interval]) -> Option<(f64, f64)> {
    let peak = client.iter().map(|i| i.users).max().filter(|&u| u > 0)?;
    let mut best: Option<(i64, i64)> = None;
    let mut current: Option<(i64, i64)> = None;
    for interval in client {
        if interval.users == peak {
            let start = current.map_or(interval.timestamp - interval.seconds as i64, |c| c.0);
            current = Some((start, interval.timestamp));
        } else {
            current = None;
        }
        if let Some(c) = current {
            if best.is_none_or(|b| c.1 - c.0 > b.1 - b.0) {
                best = Some(c);
            }
        }
    }
    let (from, to) = best?;
    let from = from as f64 + GROWTH_SETTLE_S;
    (to as f64 > from).then_some((from, to as f64))
}

/// The longest stretch of `points` without a gap of more than `max_gap` seconds or a fall of more
/// than half (a restarted process starts its memory again).
pub(super) fn longest_continuous(points: &[(f64, f64)], max_gap: f64) -> &[(f64, f64)] {
    let mut best = (0, 0);
    let mut start = 0;
    for i in 1..=points.len() {
        let broken = i == points.len()
            || points[i].0 - points[i - 1].0 > max_gap
            || points[i].1 < points[i - 1].1 * 0.5;
        if broken {
            if i - start > best.1 - best.0 {
                best = (start, i);
            }
            start = i;
        }
    }
    &points[best.0..best.1]
}

/// Does a fit of memory (bytes against seconds) say it grew? `second_half_slope` is the slope over
/// the stretch's second half; `span_s` its length. Every threshold above must hold.
pub fn growth_is_strong(fit: &LineFit, second_half_slope: f64, span_s: f64) -> bool {
    let mb_per_min = fit.slope * 60.0 / MB;
    span_s >= GROWTH_MIN_SPAN_S
        && fit.n >= GROWTH_MIN_POINTS
        && mb_per_min >= GROWTH_MIN_MB_PER_MIN
        && fit.t >= GROWTH_MIN_T
        && fit.r2 >= GROWTH_MIN_R2
        && second_half_slope >= GROWTH_MIN_SECOND_HALF * fit.slope
}

/// A memory limit known before the series are read: a `[[server]]` rule's on memory.
#[derive(Debug, Clone, PartialEq)]
pub struct GivenLimit {
    pub bytes: f64,
    /// What it is, for people (`the limit of rule "api memory"`).
    pub source: String,
}

/// Memory series that grew at constant load, with the time until a limit at that rate. The limit is
/// `given` (a memory rule's) when there is one, else the container's own limit (cAdvisor's
/// `container_spec_memory_limit_bytes` of the same container, or the only one read), else the
/// machine's total memory (node_exporter's `node_memory_MemTotal_bytes`); each finding says which.
pub fn memory_growth(
    server: &[ServerSeries],
    client: &[Interval],
    given: Option<&GivenLimit>,
) -> Vec<MemoryGrowth> {
    let Some((from, to)) = constant_load_window(client) else {
        return Vec::new();
    };
    let machine = of_kind(server, Kind::NodeMemoryTotal)
        .filter_map(|s| s.points.last().map(|p| p.1))
        .find(|v| *v > 0.0);
    let containers: Vec<&ServerSeries> = of_kind(server, Kind::MemoryLimit).collect();
    let mut out = Vec::new();
    for series in of_kind(server, Kind::Memory) {
        let container = container_limit(series, &containers);
        let limit = match (given, container, machine) {
            (Some(g), _, _) => Some((g.bytes, g.source.clone())),
            (None, Some(c), _) => Some((
                c,
                "the container's memory limit (container_spec_memory_limit_bytes)".to_string(),
            )),
            (None, None, Some(total)) => Some((
                total,
                "the machine's memory (node_memory_MemTotal_bytes)".to_string(),
            )),
            (None, None, None) => None,
        };
        let points = within(series, from, to);
        let points = longest_continuous(&points, 5.0);
        let Some(fit) = fit_line(points) else {
            continue;
        };
        let span = points.last().map_or(0.0, |p| p.0) - points.first().map_or(0.0, |p| p.0);
        let half = &points[points.len() / 2..];
        let second = fit_line(half).map_or(f64::NEG_INFINITY, |f| f.slope);
        if !growth_is_strong(&fit, second, span) {
            continue;
        }
        let (t0, t1) = (points[0].0, points[points.len() - 1].0);
        let end_bytes = fit.intercept + fit.slope * t1;
        let start_mb = (fit.intercept + fit.slope * t0) / MB;
        let slope = fit.slope * 60.0 / MB;
        let minutes_to_limit = limit
            .as_ref()
            .map(|(limit, _)| ((limit - end_bytes) / (fit.slope * 60.0)).max(0.0));
        let name = series_name(series);
        let mut reason = format!(
            "{name} grew {slope:.2} ± {:.2} MB/min at constant load (t = {:.0}, r² = {:.2}) over {:.0} s: {start_mb:.1} → {:.1} MB",
            fit.slope_se * 60.0 / MB,
            fit.t.min(1e6),
            fit.r2,
            span,
            end_bytes / MB
        );
        if let (Some((limit, what)), Some(minutes)) = (&limit, minutes_to_limit) {
            reason.push_str(&format!(
                "; {} to {what} ({:.0} MB) at this rate",
                human_minutes(minutes),
                limit / MB
            ));
        }
        reason.push_str(": a leak, or a cache or queue without a bound");
        out.push(MemoryGrowth {
            series: name,
            slope_mb_per_min: slope,
            slope_se_mb_per_min: fit.slope_se * 60.0 / MB,
            t: fit.t,
            r2: fit.r2,
            from: t0,
            to: t1,
            start_mb,
            end_mb: end_bytes / MB,
            limit_bytes: limit.as_ref().map(|l| l.0),
            limit_source: limit.as_ref().map(|l| l.1.clone()),
            minutes_to_limit,
            reason,
        });
    }
    out
}

/// The memory limit of the container `series` measures: the limit series whose identifying labels
/// (those both have) agree with it, or the only limit read when the two share no such label to
/// tell them apart. A limit of 0 is cAdvisor's "none".
fn container_limit(series: &ServerSeries, limits: &[&ServerSeries]) -> Option<f64> {
    const KEYS: [&str; 5] = ["namespace", "pod", "container", "name", "id"];
    let shared = |limit: &ServerSeries| -> Vec<&str> {
        KEYS.iter()
            .copied()
            .filter(|k| series.labels.contains_key(*k) && limit.labels.contains_key(*k))
            .collect()
    };
    let same = |limit: &&&ServerSeries| {
        let keys = shared(limit);
        !keys.is_empty()
            && keys
                .iter()
                .all(|k| series.labels.get(*k) == limit.labels.get(*k))
    };
    let chosen = limits.iter().find(same).or_else(|| match limits {
        [only] if shared(only).is_empty() => Some(&limits[0]),
        _ => None,
    })?;
    chosen.points.last().map(|p| p.1).filter(|v| *v > 0.0)
}

pub(super) fn human_minutes(minutes: f64) -> String {
    if minutes < 120.0 {
        format!("{minutes:.0} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}
