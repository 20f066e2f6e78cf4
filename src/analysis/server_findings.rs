//! Findings that explain what the server did during a run: its metrics (as read from Prometheus for
//! the run's window, [`ServerSeries`]) set beside what the load generator saw each second
//! ([`Interval`]s of the aggregate history). Each finding carries its numbers and is made only when
//! the evidence is strong; noise gives none:
//!
//! - [`memory_growth`]: memory growing at constant load, a least-squares slope in MB/min with its
//!   standard error, and the time left until a limit at that rate;
//! - [`saturation`]: the CPU resource that was at its ceiling when throughput stopped growing at a
//!   ramp's knee, with its correlation to throughput and the lag;
//! - [`restarts`]: a process restart or an `up == 0` gap inside the run, tied to the burst of errors
//!   it caused;
//! - [`throttling`]: CPU throttling (cAdvisor's CFS counters) while latency rose;
//! - [`look_downstream`]: latency rose while no server resource did.
//!
//! Series are recognised by the metric names in their PromQL (the query is what was asked, whatever
//! preset or rule asked it). Every threshold is a named constant; `docs/server-findings.md` states
//! each one in a sentence. Label values come from the server: they are kept as text here and escaped
//! by each output.

use std::collections::BTreeMap;

use serde::Serialize;

use super::findings::Finding;
use super::series::Interval;
use super::stats::{linear_fit, mean};
use crate::model::{Scope, ServerSeries, ServerUnit};

const MB: f64 = 1024.0 * 1024.0;

/// Client figures and server series are compared in buckets of this many seconds: a second of
/// Locust's history holds a few dozen requests, too few for a mean latency that does not jump.
pub const BUCKET_S: f64 = 5.0;

// Memory growth.
/// Seconds skipped once users reach their peak (connections, pools and caches fill first).
pub const GROWTH_SETTLE_S: f64 = 5.0;
/// The constant-load stretch the fit needs.
pub const GROWTH_MIN_SPAN_S: f64 = 30.0;
pub const GROWTH_MIN_POINTS: usize = 20;
/// Smaller slopes are not reported, however significant (an allocator's warm-up, a log buffer).
pub const GROWTH_MIN_MB_PER_MIN: f64 = 1.0;
/// The slope must be this many standard errors from zero.
pub const GROWTH_MIN_T: f64 = 5.0;
/// The line must explain this share of the memory's variance (a step is not a slope).
pub const GROWTH_MIN_R2: f64 = 0.8;
/// The slope over the second half of the stretch must be at least this share of the whole
/// stretch's: memory that grew early and then levelled off (a warm-up) is no leak.
pub const GROWTH_MIN_SECOND_HALF: f64 = 0.5;

// Saturation at a ramp's knee.
/// A ramp has at least this many distinct user counts and ends with at least twice the users it
/// started with.
pub const RAMP_MIN_LEVELS: usize = 5;
/// The knee: the first bucket at this share of the best bucket's throughput.
pub const KNEE_SHARE: f64 = 0.9;
/// After the knee, users rose by at least this factor more...
pub const KNEE_MIN_USER_GROWTH: f64 = 1.3;
/// ... and mean latency at the top of the ramp is at least this factor of the first buckets'.
pub const LATENCY_RISE_FACTOR: f64 = 1.5;
/// A rise must also be at least this many milliseconds (1 ms to 1.5 ms is no rise worth a word).
pub const LATENCY_RISE_MIN_MS: f64 = 5.0;
/// A rise of latency over a run (not a ramp's knee) also needs a line through the 5-s buckets'
/// means rising at this t and r²: buckets' noise is correlated (a neighbour's build lasts seconds),
/// so t is held higher than for memory.
pub const LATENCY_RISE_MIN_T: f64 = 8.0;
pub const LATENCY_RISE_MIN_R2: f64 = 0.6;
/// Before the knee, the resource rose with throughput: Pearson r at the best lag within ±10 s.
pub const SATURATION_MIN_R: f64 = 0.8;
pub const MAX_LAG_S: i64 = 10;
/// After the knee it stayed within this factor of its level at the knee (it stopped growing).
pub const SATURATION_MAX_GROWTH: f64 = 1.15;
/// At the knee it was at this share of a ceiling (its quota, the machine's cores, one core).
pub const SATURATION_MIN_SHARE: f64 = 0.85;

// Restarts.
/// An error burst is tied to a restart when it starts within this many seconds of the moment the
/// server was seen down and ends within as many seconds of when it was back.
pub const RESTART_TIE_S: f64 = 2.0;
/// A burst needs at least this many failures.
pub const BURST_MIN_FAILURES: u64 = 5;
/// An `up == 0` gap without a restart and without an error burst is reported from this many
/// samples on (one missed scrape of a busy target is not).
pub const MIN_DOWN_SAMPLES: usize = 2;

// Throttling.
/// The share of CFS periods throttled, averaged over the stretch where latency was high.
pub const THROTTLED_MIN_SHARE: f64 = 0.25;
/// Throttling and latency move together: Pearson r at the best lag within ±10 s.
pub const THROTTLED_MIN_R: f64 = 0.6;

// Look downstream.
/// A resource "rose" when its mean over the run's last third is above this factor of its first
/// third's (and above it by a floor of its own kind: 2% of a core, 1 MB, 2% of the period).
pub const FLAT_MAX_GROWTH: f64 = 1.2;

/// What a series measures, from the metric names in its PromQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `up`: 1 when the scrape worked.
    Up,
    /// `process_start_time_seconds`, `container_start_time_seconds`: a change is a restart.
    StartTime,
    /// `kube_pod_container_status_restarts_total`: an increase is a restart.
    RestartCount,
    /// CPU of a process or container, in cores (a rate of `*_cpu_seconds_total`).
    Cpu,
    /// The machine's CPU busy share, 0..1 of all its cores (node_exporter).
    NodeCpu,
    /// The machine's core count (`count(node_cpu_seconds_total{mode="idle"})`).
    NodeCores,
    /// A CPU quota in cores (`container_spec_cpu_quota / container_spec_cpu_period`).
    CpuQuota,
    /// The share of CFS periods throttled (cAdvisor).
    Throttled,
    /// Memory of a process or container, in bytes.
    Memory,
    /// The machine's total memory (`node_memory_MemTotal_bytes`).
    NodeMemoryTotal,
    Other,
}

/// Recognises a series by its PromQL and unit.
pub fn kind_of(series: &ServerSeries) -> Kind {
    let q = series.query.to_ascii_lowercase();
    let q = q.trim();
    let rate = matches!(series.unit, ServerUnit::Ratio | ServerUnit::Percent);
    let bare_up = q == "up" || (q.starts_with("up{") && q.ends_with('}'));
    if bare_up {
        Kind::Up
    } else if q.contains("process_start_time_seconds") || q.contains("container_start_time_seconds")
    {
        Kind::StartTime
    } else if q.contains("kube_pod_container_status_restarts_total") {
        Kind::RestartCount
    } else if q.contains("cfs_throttled") && rate {
        Kind::Throttled
    } else if q.contains("container_spec_cpu_quota") && q.contains("container_spec_cpu_period") {
        Kind::CpuQuota
    } else if q.contains("node_cpu_seconds_total") && q.starts_with("count") {
        Kind::NodeCores
    } else if q.contains("node_cpu_seconds_total") && rate {
        Kind::NodeCpu
    } else if (q.contains("process_cpu_seconds_total")
        || q.contains("container_cpu_usage_seconds_total"))
        && rate
        && q.contains("rate(")
    {
        Kind::Cpu
    } else if series.unit == ServerUnit::Bytes
        && [
            "process_resident_memory_bytes",
            "container_memory_working_set_bytes",
            "container_memory_rss",
            "container_memory_usage_bytes",
        ]
        .iter()
        .any(|name| q.contains(name))
    {
        Kind::Memory
    } else if q.contains("node_memory_memtotal_bytes")
        && series.unit == ServerUnit::Bytes
        && !q.contains('/')
    {
        // The total alone, in bytes: not a share of it (`1 - MemAvailable / MemTotal`).
        Kind::NodeMemoryTotal
    } else {
        Kind::Other
    }
}

/// The series as a reader would name it: the first metric name of its query and its identifying
/// labels (`process_resident_memory_bytes{job="api"}`). Control characters in label values are
/// dropped and long values cut.
pub fn series_name(series: &ServerSeries) -> String {
    let labels: Vec<String> = ["job", "instance", "namespace", "pod", "container", "id"]
        .iter()
        .filter_map(|key| {
            let value = series.labels.get(*key)?;
            let clean: String = value.chars().filter(|c| !c.is_control()).take(80).collect();
            Some(format!("{key}=\"{clean}\""))
        })
        .collect();
    let metric = series
        .labels
        .get("__name__")
        .cloned()
        .or_else(|| metric_in(&series.query))
        .unwrap_or_else(|| series.source.clone());
    if labels.is_empty() {
        metric
    } else {
        format!("{metric}{{{}}}", labels.join(","))
    }
}

/// The first metric name of a PromQL expression: the first identifier outside label matchers,
/// ranges, strings and grouping lists (`by (job)`) that is neither a function or aggregation
/// (followed by `(`, or by a grouping clause) nor a keyword.
fn metric_in(query: &str) -> Option<String> {
    const KEYWORDS: [&str; 4] = ["bool", "and", "or", "unless"];
    const GROUPING: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const AGGREGATIONS: [&str; 12] = [
        "sum",
        "avg",
        "min",
        "max",
        "count",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    let chars: Vec<char> = query.chars().collect();
    let (mut i, mut depth, mut quote) = (0, 0i32, None::<char>);
    let next_non_space = |from: usize| (from..chars.len()).find(|&j| !chars[j].is_whitespace());
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            c if depth == 0 && (c.is_ascii_alphabetic() || c == '_' || c == ':') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase();
                let next = next_non_space(i);
                if GROUPING.contains(&word.as_str()) {
                    // Skip the label list that follows.
                    if let Some(open) = next.filter(|&j| chars[j] == '(') {
                        i = (open..chars.len())
                            .find(|&j| chars[j] == ')')
                            .map_or(chars.len(), |j| j + 1);
                    }
                    continue;
                }
                let called = next.is_some_and(|j| chars[j] == '(');
                if called
                    || AGGREGATIONS.contains(&word.as_str())
                    || KEYWORDS.contains(&word.as_str())
                {
                    continue;
                }
                return Some(chars[start..i].iter().collect());
            }
            _ => {}
        }
        i += 1;
    }
    None
}

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
fn per_second(points: &[(f64, f64)], from: i64, to: i64, max_age: f64) -> Vec<Option<f64>> {
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
fn smooth(values: &[Option<f64>], width: usize) -> Vec<Option<f64>> {
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
fn client_per_second(
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
struct Bucket {
    /// The bucket's last interval's timestamp.
    end: i64,
    users: u64,
    requests: u64,
    rps: f64,
    latency_ms: Option<f64>,
}

fn buckets(client: &[Interval]) -> Vec<Bucket> {
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
fn within(series: &ServerSeries, from: f64, to: f64) -> Vec<(f64, f64)> {
    series
        .points
        .iter()
        .copied()
        .filter(|(t, v)| *t >= from && *t <= to && v.is_finite())
        .collect()
}

/// Mean of the points of `series` between `from` and `to`, scaled to its kind's base unit.
fn mean_within(series: &ServerSeries, from: f64, to: f64) -> Option<f64> {
    let values: Vec<f64> = within(series, from, to)
        .iter()
        .map(|p| p.1 * unit_scale(series))
        .collect();
    mean(&values)
}

/// Percent series are read as ratios.
fn unit_scale(series: &ServerSeries) -> f64 {
    if series.unit == ServerUnit::Percent {
        0.01
    } else {
        1.0
    }
}

/// Do the two series describe the same target? Every label they both carry agrees.
fn same_target(a: &ServerSeries, b: &ServerSeries) -> bool {
    a.labels
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .all(|(k, v)| b.labels.get(k).is_none_or(|w| w == v))
}

fn of_kind(server: &[ServerSeries], kind: Kind) -> impl Iterator<Item = &ServerSeries> {
    server.iter().filter(move |s| kind_of(s) == kind)
}

// ---------------------------------------------------------------------------------------------
// Memory growing at constant load.

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
fn longest_continuous(points: &[(f64, f64)], max_gap: f64) -> &[(f64, f64)] {
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

/// Memory series that grew at constant load. `memory_limit_bytes` is the limit to count the time
/// to (a rule's or a container's); without it, the machine's total memory when a series gives it.
pub fn memory_growth(
    server: &[ServerSeries],
    client: &[Interval],
    memory_limit_bytes: Option<f64>,
) -> Vec<MemoryGrowth> {
    let Some((from, to)) = constant_load_window(client) else {
        return Vec::new();
    };
    let machine = of_kind(server, Kind::NodeMemoryTotal)
        .filter_map(|s| s.points.last().map(|p| p.1))
        .next();
    let limit = match (memory_limit_bytes, machine) {
        (Some(limit), _) => Some((limit, "the limit given".to_string())),
        (None, Some(total)) => Some((total, "the machine's memory".to_string())),
        (None, None) => None,
    };
    let mut out = Vec::new();
    for series in of_kind(server, Kind::Memory) {
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

fn human_minutes(minutes: f64) -> String {
    if minutes < 120.0 {
        format!("{minutes:.0} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Saturation at a ramp's knee.

/// The point of a ramp where throughput stopped growing while users and latency rose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knee {
    /// Unix seconds: the end of the first bucket at [`KNEE_SHARE`] of the best throughput.
    pub at: i64,
    pub users: u64,
    pub rps: f64,
    pub top_users: u64,
    /// Mean latency of the first buckets and of the last ones (ms).
    pub latency_before_ms: f64,
    pub latency_after_ms: f64,
}

/// The knee of a ramp, by the rules of `analysis::capacity` read per [`BUCKET_S`] bucket: the
/// first bucket at [`KNEE_SHARE`] of the best throughput, when users rose by
/// [`KNEE_MIN_USER_GROWTH`] after it and mean latency at the top is [`LATENCY_RISE_FACTOR`] times
/// (and [`LATENCY_RISE_MIN_MS`] above) the first buckets'.
pub fn knee(client: &[Interval]) -> Option<Knee> {
    let levels: std::collections::BTreeSet<u64> = client.iter().map(|i| i.users).collect();
    if levels.len() < RAMP_MIN_LEVELS {
        return None;
    }
    let buckets: Vec<Bucket> = buckets(client)
        .into_iter()
        .filter(|b| b.users > 0 && b.requests > 0)
        .collect();
    if buckets.len() < 4 {
        return None;
    }
    let (first_users, top_users) = (buckets[0].users, buckets.iter().map(|b| b.users).max()?);
    if top_users < 2 * first_users.max(1) {
        return None;
    }
    let best = buckets.iter().map(|b| b.rps).fold(0.0, f64::max);
    let knee = buckets.iter().find(|b| b.rps >= KNEE_SHARE * best)?;
    let (before, after) = latency_ends(&buckets)?;
    let rose = before.is_finite()
        && after >= LATENCY_RISE_FACTOR * before
        && after - before >= LATENCY_RISE_MIN_MS;
    let users_rose = top_users as f64 >= KNEE_MIN_USER_GROWTH * knee.users as f64;
    (rose && users_rose).then_some(Knee {
        at: knee.end,
        users: knee.users,
        rps: knee.rps,
        top_users,
        latency_before_ms: before,
        latency_after_ms: after,
    })
}

/// A CPU resource at its ceiling at the knee.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saturation {
    pub series: String,
    pub knee: Knee,
    /// The resource's level in the bucket after the knee: cores, or the machine's busy share for
    /// node CPU.
    pub at_knee: f64,
    /// Its level from the bucket after the knee to the end of the ramp (the plateau).
    pub level: f64,
    /// What it was at the ceiling of: `"its 0.5-core quota"`, `"the machine's 2 cores"`, `"one core"`.
    pub ceiling: String,
    /// The plateau's share of the ceiling; for the machine's CPU as a whole, how busy it was.
    pub share: f64,
    /// Pearson r of the resource with throughput up to the knee, at the best lag (s; positive: the
    /// resource lags throughput).
    pub r: f64,
    pub lag_s: i64,
    pub reason: String,
}

/// Is a resource saturated at the knee? `r`: its correlation with throughput before the knee;
/// `growth_after`: its plateau over its level in the bucket after the knee; `share`: its plateau
/// over its ceiling.
pub fn saturation_is_strong(r: f64, growth_after: f64, share: f64) -> bool {
    r >= SATURATION_MIN_R && growth_after <= SATURATION_MAX_GROWTH && share >= SATURATION_MIN_SHARE
}

/// The ceilings a CPU series can meet, best first, each as (the series' share of it, what it is):
/// a quota on the same target, the machine's cores, one core (a single-threaded process or a
/// single worker), and last the machine's CPU as a whole when node_exporter shows it busy over
/// `plateau` (then the process got no more CPU than others left it).
fn ceilings(
    server: &[ServerSeries],
    cpu: &ServerSeries,
    kind: Kind,
    level: f64,
    plateau: (f64, f64),
) -> Vec<(f64, String)> {
    if kind == Kind::NodeCpu {
        return vec![(level, "the machine's CPU".to_string())];
    }
    let mut out = Vec::new();
    for quota in of_kind(server, Kind::CpuQuota).filter(|q| same_target(q, cpu)) {
        if let Some(&(_, cores)) = quota.points.last().filter(|p| p.1 > 0.0) {
            out.push((
                level / cores,
                format!("its {} CPU quota", cores_text(cores)),
            ));
        }
    }
    if let Some(cores) = of_kind(server, Kind::NodeCores)
        .filter_map(|s| s.points.last().map(|p| p.1))
        .find(|c| *c >= 1.0)
    {
        out.push((
            level / cores,
            format!("the machine's {}", cores_text(cores)),
        ));
    }
    out.push((level, "one core (a single thread or worker)".to_string()));
    if let Some(busy) = of_kind(server, Kind::NodeCpu)
        .filter_map(|s| mean_within(s, plateau.0, plateau.1))
        .reduce(f64::max)
    {
        out.push((
            busy,
            format!(
                "{MACHINE_BUSY}{:.0}% busy, other processes included)",
                busy * 100.0
            ),
        ));
    }
    out
}

/// How the ceiling "the machine's CPU as a whole, that busy" is named (and told apart).
const MACHINE_BUSY: &str = "the machine's CPU (";

fn cores_text(cores: f64) -> String {
    if (cores - 1.0).abs() < 1e-9 {
        "1 core".to_string()
    } else if cores.fract().abs() < 1e-9 {
        format!("{cores:.0} cores")
    } else {
        format!("{cores}-core")
    }
}

/// The CPU resource saturated at a ramp's knee, if one was: the one at the highest share of its
/// ceiling among those that pass [`saturation_is_strong`].
pub fn saturation(server: &[ServerSeries], client: &[Interval]) -> Option<Saturation> {
    let knee = knee(client)?;
    let from = client.first()?.timestamp - 1;
    let to = client.last()?.timestamp;
    let (rps, _) = client_per_second(client, from, to);
    let rps = smooth(&rps, BUCKET_S as usize);
    let knee_i = (knee.at - from) as usize;
    let mut best: Option<Saturation> = None;
    for series in server {
        let kind = kind_of(series);
        if !matches!(kind, Kind::Cpu | Kind::NodeCpu) {
            continue;
        }
        let scaled: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(t, v)| (t, v * unit_scale(series)))
            .collect();
        let values = smooth(&per_second(&scaled, from, to, 5.0), BUCKET_S as usize);
        let Some((r, lag)) = best_lag(&rps[..=knee_i.min(rps.len() - 1)], &values, MAX_LAG_S)
        else {
            continue;
        };
        let around = |lo: i64, hi: i64| {
            mean_within(series, lo as f64, hi as f64).filter(|v| v.is_finite() && *v > 0.0)
        };
        // Its level in the bucket after the knee, and from there to the end: the plateau.
        let (Some(at_knee), Some(level)) = (
            around(knee.at, knee.at + BUCKET_S as i64),
            around(knee.at + BUCKET_S as i64, to),
        ) else {
            continue;
        };
        let plateau = ((knee.at + BUCKET_S as i64) as f64, to as f64);
        let Some((share, what)) = ceilings(server, series, kind, level, plateau)
            .into_iter()
            .find(|(share, _)| *share >= SATURATION_MIN_SHARE)
        else {
            continue;
        };
        if !saturation_is_strong(r, level / at_knee, share) {
            continue;
        }
        if best.as_ref().is_some_and(|b| b.share >= share) {
            continue;
        }
        let name = series_name(series);
        let level_text = if kind == Kind::NodeCpu {
            format!("{:.0}% busy", level * 100.0)
        } else {
            format!("{level:.2} cores")
        };
        let (at_ceiling, advice) = if what.starts_with(MACHINE_BUSY) {
            (
                format!(
                    "to {level_text} and stayed there while the machine's CPU was {:.0}% busy (other processes included)",
                    share * 100.0
                ),
                "other work on the machine took the rest: give it CPU of its own, or scale out",
            )
        } else {
            let advice = if what.contains("quota") {
                "raise the quota, or scale out"
            } else if what.starts_with("one core") {
                "add workers or processes, or scale out"
            } else {
                "add cores, or scale out"
            };
            (
                format!(
                    "to {level_text}, {:.0}% of {what}, and stayed there",
                    share * 100.0
                ),
                advice,
            )
        };
        let reason = format!(
            "CPU-bound: throughput stopped growing at about {} users and {:.1} req/s while mean latency rose from {:.0} to {:.0} ms (users up to {}); {name} rose with throughput (r = {r:.2}, lag {lag} s) {at_ceiling}: {advice}",
            knee.users,
            knee.rps,
            knee.latency_before_ms,
            knee.latency_after_ms,
            knee.top_users,
        );
        best = Some(Saturation {
            series: name,
            knee: knee.clone(),
            at_knee,
            level,
            ceiling: what,
            share,
            r,
            lag_s: lag,
            reason,
        });
    }
    best
}

// ---------------------------------------------------------------------------------------------
// Restarts.

/// A burst of failed requests (Unix seconds; `from` is the start of its first failing interval).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBurst {
    pub from: f64,
    pub to: f64,
    pub failures: u64,
    pub requests: u64,
}

/// Runs of consecutive intervals with failures, with at least [`BURST_MIN_FAILURES`] failures.
pub fn error_bursts(client: &[Interval]) -> Vec<ErrorBurst> {
    let mut out: Vec<ErrorBurst> = Vec::new();
    let mut current: Option<ErrorBurst> = None;
    for interval in client {
        if interval.failures > 0 {
            let from = interval.timestamp as f64 - interval.seconds;
            let burst = current.get_or_insert(ErrorBurst {
                from,
                to: from,
                failures: 0,
                requests: 0,
            });
            burst.to = interval.timestamp as f64;
            burst.failures += interval.failures;
            burst.requests += interval.requests;
        } else if let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out.retain(|b| b.failures >= BURST_MIN_FAILURES);
    out
}

/// A restart of the server, or a stretch where it could not be scraped, inside the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restart {
    pub series: String,
    /// When it was first seen down: the first `up == 0` sample, or the old process's last sample.
    pub down_at: Option<f64>,
    /// When it was back: the new process's start time, or the first `up == 1` after the gap.
    pub back_at: Option<f64>,
    /// The new process's start time, where a start-time series gives one.
    pub started_at: Option<f64>,
    /// A start time changed or a restart counter rose; otherwise `up` was 0 and nothing says
    /// whether the process restarted or only stopped answering its scrapes.
    pub restarted: bool,
    /// The error burst it caused, when one began within [`RESTART_TIE_S`] of `down_at` and ended
    /// within as much of `back_at`.
    pub burst: Option<ErrorBurst>,
    pub reason: String,
}

/// A down or start event of one target, before the two kinds are merged.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    series: String,
    labels: BTreeMap<String, String>,
    down_at: Option<f64>,
    back_at: Option<f64>,
    started_at: Option<f64>,
    /// A start-time change or a restart count: the process did restart.
    restarted: bool,
    /// Samples of `up == 0` in the gap.
    down_samples: usize,
}

/// Is `up` 0 at time `t` in every `up` series read (at least two)? Then the scraper stalled, not a
/// target.
fn every_up_down_at(server: &[ServerSeries], t: f64) -> bool {
    let ups: Vec<&ServerSeries> = of_kind(server, Kind::Up).collect();
    ups.len() >= 2
        && ups.iter().all(|s| {
            s.points
                .iter()
                .any(|&(at, v)| (at - t).abs() < 0.5 && v < 0.5)
        })
}

fn events(server: &[ServerSeries], from: f64, to: f64) -> Vec<Event> {
    let mut out = Vec::new();
    for series in server {
        let kind = kind_of(series);
        let points = &series.points;
        match kind {
            Kind::Up => {
                let mut i = 0;
                while i < points.len() {
                    if points[i].1 >= 0.5 {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < points.len() && points[i].1 < 0.5 {
                        i += 1;
                    }
                    if (start..i).all(|j| every_up_down_at(server, points[j].0)) {
                        continue;
                    }
                    out.push(Event {
                        series: series_name(series),
                        labels: series.labels.clone(),
                        down_at: Some(points[start].0),
                        back_at: points.get(i).map(|p| p.0),
                        started_at: None,
                        restarted: false,
                        down_samples: i - start,
                    });
                }
            }
            Kind::StartTime | Kind::RestartCount => {
                for pair in points.windows(2) {
                    let ((t0, v0), (t1, v1)) = (pair[0], pair[1]);
                    let restarted = if kind == Kind::StartTime {
                        (v1 - v0).abs() > 1.0
                    } else {
                        v1 > v0
                    };
                    if !restarted {
                        continue;
                    }
                    let started = (kind == Kind::StartTime && v1 > t0 - 60.0).then_some(v1);
                    out.push(Event {
                        series: series_name(series),
                        labels: series.labels.clone(),
                        down_at: Some(t0),
                        back_at: started.or(Some(t1)),
                        started_at: started,
                        restarted: true,
                        down_samples: 0,
                    });
                }
            }
            _ => {}
        }
    }
    out.retain(|e| {
        let at = e.started_at.or(e.down_at).unwrap_or(f64::NAN);
        at >= from - RESTART_TIE_S && at <= to + RESTART_TIE_S
    });
    out
}

/// Whether a burst is tied to a restart seen down at `down_at` and back at `back_at`.
pub fn burst_is_tied(burst: &ErrorBurst, down_at: f64, back_at: f64) -> bool {
    (burst.from - down_at).abs() <= RESTART_TIE_S && (burst.to - back_at).abs() <= RESTART_TIE_S
}

/// Restarts and scrape gaps inside the run, each tied to the error burst it caused.
pub fn restarts(server: &[ServerSeries], client: &[Interval]) -> Vec<Restart> {
    let (Some(first), Some(last)) = (client.first(), client.last()) else {
        return Vec::new();
    };
    let (from, to) = (
        first.timestamp as f64 - first.seconds,
        last.timestamp as f64,
    );
    let mut merged: Vec<Event> = Vec::new();
    // An `up == 0` gap and a start-time change of the same target within seconds are one restart:
    // the gap says when it went down, the start time when it came back.
    let mut all = events(server, from, to);
    all.sort_by(|a, b| {
        a.down_at
            .partial_cmp(&b.down_at)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for event in all {
        let near = merged.iter_mut().find(|m| {
            let common = m
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() == "job" || k.as_str() == "instance")
                .all(|(k, v)| event.labels.get(k).is_none_or(|w| w == v));
            let (a, b) = (m.down_at.unwrap_or(0.0), event.down_at.unwrap_or(0.0));
            common && (a - b).abs() <= 10.0
        });
        match near {
            Some(m) => {
                m.down_at = match (m.down_at, event.down_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                m.started_at = m.started_at.or(event.started_at);
                m.restarted |= event.restarted;
                m.down_samples = m.down_samples.max(event.down_samples);
                m.back_at = m.started_at.or(match (m.back_at, event.back_at) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                });
                if m.series.starts_with("up") {
                    m.series = event.series;
                }
            }
            None => merged.push(event),
        }
    }
    let bursts = error_bursts(client);
    merged
        .into_iter()
        .filter_map(|event| {
            let down = event.down_at.unwrap_or(f64::NAN);
            let back = event.back_at.unwrap_or(down);
            let burst = bursts
                .iter()
                .find(|b| burst_is_tied(b, down, back))
                .cloned();
            // One missed scrape of a busy target, with no restart and no errors, is no finding.
            if !event.restarted && burst.is_none() && event.down_samples < MIN_DOWN_SAMPLES {
                return None;
            }
            let what = if event.restarted {
                "restarted"
            } else {
                "could not be scraped (up == 0)"
            };
            let mut reason = format!(
                "{} {what}: seen down at {}, back at {} ({:.0} s)",
                event.series,
                clock(down),
                clock(back),
                back - down
            );
            match &burst {
                Some(b) => reason.push_str(&format!(
                    "; it caused {} failed requests from {} to {} ({:+.0} s from the restart)",
                    b.failures,
                    clock(b.from),
                    clock(b.to),
                    b.from - down
                )),
                None => reason.push_str("; no burst of errors around it"),
            }
            Some(Restart {
                series: event.series,
                down_at: event.down_at,
                back_at: event.back_at,
                started_at: event.started_at,
                restarted: event.restarted,
                burst,
                reason,
            })
        })
        .collect()
}

/// `HH:MM:SS` UTC of a Unix time.
fn clock(t: f64) -> String {
    if !t.is_finite() {
        return "?".to_string();
    }
    let s = t.rem_euclid(86_400.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

// ---------------------------------------------------------------------------------------------
// Latency rises; throttling; look downstream.

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
fn latency_ends(buckets: &[Bucket]) -> Option<(f64, f64)> {
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

/// CPU throttled while latency rose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Throttling {
    pub series: String,
    pub rise: LatencyRise,
    /// Mean share of CFS periods throttled while latency was high, and before.
    pub throttled_share: f64,
    pub throttled_before: f64,
    /// Pearson r of the throttled share with mean latency at the best lag (s; positive: latency
    /// lags throttling).
    pub r: f64,
    pub lag_s: i64,
    pub reason: String,
}

/// Is throttling strong enough to name? `share`: throttled share while latency was high;
/// `before`: the share before; `r`: correlation with latency.
pub fn throttling_is_strong(share: f64, before: f64, r: f64) -> bool {
    share >= THROTTLED_MIN_SHARE && before <= share / 2.0 && r >= THROTTLED_MIN_R
}

/// Throttling series that rose with latency, each with its share and correlation.
pub fn throttling(server: &[ServerSeries], client: &[Interval]) -> Vec<Throttling> {
    let Some(rise) = latency_rise(client).or_else(|| {
        knee(client).map(|k| LatencyRise {
            from: k.at,
            to: client.last().map_or(k.at, |i| i.timestamp),
            before_ms: k.latency_before_ms,
            after_ms: k.latency_after_ms,
        })
    }) else {
        return Vec::new();
    };
    let (Some(first), Some(last)) = (client.first(), client.last()) else {
        return Vec::new();
    };
    let (from, to) = (first.timestamp - 1, last.timestamp);
    let (_, latency) = client_per_second(client, from, to);
    let latency = smooth(&latency, BUCKET_S as usize);
    let mut out = Vec::new();
    for series in of_kind(server, Kind::Throttled) {
        let scaled: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|&(t, v)| (t, v * unit_scale(series)))
            .collect();
        let values = smooth(&per_second(&scaled, from, to, 5.0), BUCKET_S as usize);
        let Some((r, lag)) = best_lag(&values, &latency, MAX_LAG_S) else {
            continue;
        };
        let (Some(share), before) = (
            mean_within(series, rise.from as f64, rise.to as f64),
            mean_within(series, from as f64, rise.from as f64 - BUCKET_S).unwrap_or(0.0),
        ) else {
            continue;
        };
        if !throttling_is_strong(share, before, r) {
            continue;
        }
        let name = series_name(series);
        let reason = format!(
            "CPU throttled: {name} throttled {:.0}% of CFS periods while mean latency rose from {:.0} to {:.0} ms ({:.0}% before; r = {r:.2}, lag {lag} s): the CPU quota, not the load, set the pace: raise the limit or remove it",
            share * 100.0,
            rise.before_ms,
            rise.after_ms,
            before * 100.0
        );
        out.push(Throttling {
            series: name,
            rise: rise.clone(),
            throttled_share: share,
            throttled_before: before,
            r,
            lag_s: lag,
            reason,
        });
    }
    out
}

/// Latency rose while no server resource did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookDownstream {
    pub rise: LatencyRise,
    /// Every resource series judged, with its first-third and last-third means.
    pub resources: Vec<FlatResource>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlatResource {
    pub series: String,
    pub first: f64,
    pub last: f64,
}

/// Did a resource rise between the run's first and last thirds? Above [`FLAT_MAX_GROWTH`] times,
/// and by more than `floor` in its own unit.
pub fn resource_rose(first: f64, last: f64, floor: f64) -> bool {
    last > first * FLAT_MAX_GROWTH && last - first > floor
}

/// "Look downstream": latency rose, the server's CPU, memory and throttling were read, none of them
/// rose, and none was at its ceiling while latency was high (a CPU at [`SATURATION_MIN_SHARE`] of
/// its quota, of the machine's cores or of one core; the machine's CPU that busy; throttling at
/// [`THROTTLED_MIN_SHARE`]). `others` are the findings already made: any of them explains the rise
/// instead.
pub fn look_downstream(
    server: &[ServerSeries],
    client: &[Interval],
    others: &[ServerFinding],
) -> Option<LookDownstream> {
    if !others.is_empty() {
        return None;
    }
    let rise = latency_rise(client)?;
    let (from, to) = (
        client.first()?.timestamp as f64,
        client.last()?.timestamp as f64,
    );
    let third = (to - from) / 3.0;
    let mut resources = Vec::new();
    let (mut cpu, mut memory) = (false, false);
    let mut busy_throughout: Option<f64> = None;
    for series in server {
        let kind = kind_of(series);
        let floor = match kind {
            Kind::Cpu | Kind::NodeCpu | Kind::Throttled => 0.02,
            Kind::Memory => MB,
            _ => continue,
        };
        let (Some(first), Some(last)) = (
            mean_within(series, from, from + third),
            mean_within(series, to - third, to),
        ) else {
            continue;
        };
        if resource_rose(first, last, floor) {
            return None;
        }
        // A resource that reached its ceiling while latency rose explains the rise as well as a
        // dependency would (a quota, one core, the machine's CPU): no "look downstream" then. A
        // machine already that busy before the rise is said with the finding instead: busy
        // throughout, it cannot explain a change by itself.
        let during = mean_within(series, rise.from as f64, rise.to as f64).unwrap_or(0.0);
        let at_ceiling = match kind {
            Kind::Cpu => ceilings(
                server,
                series,
                kind,
                during,
                (rise.from as f64, rise.to as f64),
            )
            .iter()
            .filter(|(_, what)| !what.starts_with(MACHINE_BUSY))
            .any(|(share, _)| *share >= SATURATION_MIN_SHARE),
            Kind::NodeCpu => {
                if during >= SATURATION_MIN_SHARE && first >= SATURATION_MIN_SHARE {
                    busy_throughout = Some(busy_throughout.map_or(during, |b: f64| b.max(during)));
                }
                during >= SATURATION_MIN_SHARE && first < SATURATION_MIN_SHARE
            }
            Kind::Throttled => during >= THROTTLED_MIN_SHARE,
            _ => false,
        };
        if at_ceiling {
            return None;
        }
        cpu |= matches!(kind, Kind::Cpu | Kind::NodeCpu);
        memory |= kind == Kind::Memory;
        resources.push(FlatResource {
            series: series_name(series),
            first,
            last,
        });
    }
    // Without both the server's CPU and memory, "nothing on the server rose" is not known.
    if !(cpu && memory) {
        return None;
    }
    let mut reason = format!(
        "mean latency rose from {:.0} to {:.0} ms while none of the server's {} CPU and memory series rose: look downstream (a database, a dependency, the network, or the load generator itself)",
        rise.before_ms,
        rise.after_ms,
        resources.len()
    );
    if let Some(busy) = busy_throughout {
        reason.push_str(&format!(
            "; the machine's CPU was {:.0}% busy throughout (other work on it), which adds to any latency there",
            busy * 100.0
        ));
    }
    Some(LookDownstream {
        rise,
        resources,
        reason,
    })
}

// ---------------------------------------------------------------------------------------------

/// One finding about the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServerFinding {
    MemoryGrowth(MemoryGrowth),
    Saturation(Saturation),
    Restart(Restart),
    Throttling(Throttling),
    LookDownstream(LookDownstream),
}

impl ServerFinding {
    /// The sentence that states it, with its numbers.
    pub fn reason(&self) -> &str {
        match self {
            ServerFinding::MemoryGrowth(f) => &f.reason,
            ServerFinding::Saturation(f) => &f.reason,
            ServerFinding::Restart(f) => &f.reason,
            ServerFinding::Throttling(f) => &f.reason,
            ServerFinding::LookDownstream(f) => &f.reason,
        }
    }

    /// The finding as one of the run's findings (`server_` and its kind), its sentence the evidence.
    pub fn finding(&self) -> Finding {
        let (kind, advice) = match self {
            ServerFinding::MemoryGrowth(_) => (
                "server_memory_growth",
                "Memory grew while the load held still: look for a leak (a cache or collection \
                 without a bound, connections or buffers not released); a longer run shows whether \
                 it levels off.",
            ),
            ServerFinding::Saturation(_) => (
                "server_saturation",
                "The resource named was at its ceiling at the knee: give it more (workers, cores, \
                 replicas) or make each request need less of it.",
            ),
            ServerFinding::Restart(_) => (
                "server_restart",
                "The server went down during the run: read its logs at the time shown (a crash, an \
                 out-of-memory kill, a failed health check).",
            ),
            ServerFinding::Throttling(_) => (
                "server_throttling",
                "The container's CPU quota throttled it: raise the CPU limit or remove it.",
            ),
            ServerFinding::LookDownstream(_) => (
                "server_look_downstream",
                "The server's own resources stayed flat: time a database, a dependency, the network \
                 or the load generator.",
            ),
        };
        Finding::on_scope(kind, Scope::Aggregated, self.reason().to_string(), advice)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ServerFinding::MemoryGrowth(_) => "memory_growth",
            ServerFinding::Saturation(_) => "saturation",
            ServerFinding::Restart(_) => "restart",
            ServerFinding::Throttling(_) => "throttling",
            ServerFinding::LookDownstream(_) => "look_downstream",
        }
    }
}

/// Every finding about the server for one run: `client` is the run's aggregate history as
/// intervals (`analysis::series::intervals`), `memory_limit_bytes` a known memory limit.
pub fn server_findings(
    server: &[ServerSeries],
    client: &[Interval],
    memory_limit_bytes: Option<f64>,
) -> Vec<ServerFinding> {
    let mut out: Vec<ServerFinding> = Vec::new();
    out.extend(
        restarts(server, client)
            .into_iter()
            .map(ServerFinding::Restart),
    );
    out.extend(
        memory_growth(server, client, memory_limit_bytes)
            .into_iter()
            .map(ServerFinding::MemoryGrowth),
    );
    out.extend(saturation(server, client).map(ServerFinding::Saturation));
    out.extend(
        throttling(server, client)
            .into_iter()
            .map(ServerFinding::Throttling),
    );
    let downstream = look_downstream(server, client, &out);
    out.extend(downstream.map(ServerFinding::LookDownstream));
    out
}

#[cfg(test)]
#[path = "server_findings_tests.rs"]
mod tests;
