//! What a load-test run is, as plain data: no parsing, no grading, no output.

use std::path::PathBuf;

mod histogram;
mod locust_version;
mod metric;
mod runner;
mod scope;
mod server;
mod status;
mod tool;

pub use histogram::Histogram;
pub use locust_version::{straddles_percentile_fix, LocustVersion, PERCENTILE_FIX};
pub use metric::{Better, Figures, Metric, Unit};
pub use runner::{
    AttachedRecord, RunEvidence, RunnerRecord, RunnerSample, RunnerSummary, Spread, RUNNER_FILE,
    RUNNER_SCHEMA_VERSION, RUNNER_SUFFIX,
};
pub use scope::Scope;
pub use server::{ServerSeries, ServerUnit};
pub use status::Status;
pub use tool::{ToolCheck, ToolGroup, ToolThreshold, ToolVerdicts};

/// The percentiles Locust reports, in the order of its CSV columns.
pub const PERCENTILE_LEVELS: [f64; 11] = [
    0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
];

/// Column labels matching [`PERCENTILE_LEVELS`] (`50%` .. `100%`).
pub const PERCENTILE_LABELS: [&str; 11] = [
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
];

/// Response-time percentiles in milliseconds; `None` where the file said `N/A` or had no column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Percentiles(pub [Option<f64>; 11]);

impl Percentiles {
    pub fn at(&self, level: f64) -> Option<f64> {
        PERCENTILE_LEVELS
            .iter()
            .position(|l| (*l - level).abs() < 1e-9)
            .and_then(|i| self.0[i])
    }
    pub fn p50(&self) -> Option<f64> {
        self.0[0]
    }
    pub fn p95(&self) -> Option<f64> {
        self.0[5]
    }
    pub fn p99(&self) -> Option<f64> {
        self.0[7]
    }
}

/// A percentile column beyond Locust's default eleven (`PERCENTILES_TO_REPORT` set to `60%`, `70%`,
/// `99.999%`…): kept as the file names it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomPercentile {
    /// The header as written, e.g. `60%`.
    pub label: String,
    /// The fraction it stands for, e.g. 0.6.
    pub level: f64,
    pub ms: Option<f64>,
}

/// Identifies an endpoint the way Locust groups requests: HTTP method (Locust's `Type`) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointKey {
    pub method: String,
    pub name: String,
}

impl EndpointKey {
    pub fn new(method: impl Into<String>, name: impl Into<String>) -> Self {
        EndpointKey {
            method: method.into(),
            name: name.into(),
        }
    }
}

impl std::fmt::Display for EndpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.method.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{} {}", self.method, self.name)
        }
    }
}

/// One row of `_stats.csv`: the whole-run figures of one endpoint (or of all, for `Aggregated`).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointStats {
    pub key: EndpointKey,
    pub requests: u64,
    pub failures: u64,
    /// Requests per second over the run, as the file states it.
    pub rps: f64,
    pub failures_per_s: Option<f64>,
    pub avg_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub median_ms: Option<f64>,
    pub avg_content_size: Option<f64>,
    pub percentiles: Percentiles,
    /// Percentile columns beyond the default eleven, in file order.
    pub custom_percentiles: Vec<CustomPercentile>,
    /// Every response time, bucketed as Locust buckets them: only Locust's JSON keeps it.
    pub histogram: Option<Histogram>,
}

impl EndpointStats {
    /// Locust writes 0 for the median, average, min, max and content size of a row without
    /// requests: placeholders, not measurements (a median of 0 ms on an empty run).
    pub fn without_empty_placeholders(self) -> Self {
        if self.requests > 0 {
            return self;
        }
        EndpointStats {
            avg_ms: None,
            min_ms: None,
            max_ms: None,
            median_ms: None,
            avg_content_size: None,
            ..self
        }
    }

    /// Failures as a fraction of requests (0 when there were no requests).
    pub fn error_rate(&self) -> f64 {
        ratio(self.failures, self.requests)
    }

    /// The median, from the percentile column when present, else from `Median Response Time`.
    pub fn p50(&self) -> Option<f64> {
        self.percentiles.p50().or(self.median_ms)
    }

    /// The maximum, from `Max Response Time`, else the 100% column.
    pub fn max(&self) -> Option<f64> {
        self.max_ms.or(self.percentiles.0[10])
    }
}

pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// One row of `_failures.csv`: a distinct error message of one endpoint and how often it occurred.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureRecord {
    pub key: EndpointKey,
    pub message: String,
    /// The HTTP status the message reports (`429 Client Error`, `code=404`, …), read from it once
    /// when the file is read: Locust's failures file has no status column.
    pub status_code: Option<u16>,
    pub occurrences: u64,
    /// ISO-8601 UTC, only in Locust >= 2.44.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// One row of `_exceptions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionRecord {
    pub count: u64,
    pub message: String,
    pub traceback: String,
    pub nodes: String,
}

/// One row of `_stats_history.csv` for one scope: only the columns analysis reads, compactly (44
/// bytes; a missing value is NaN inside, `None` outside), since a day of full history is millions
/// of rows and the points are most of `check`'s memory.
#[derive(Debug, Clone, Copy)]
// Four-byte alignment: 44 bytes a point instead of 48 (x86_64 and aarch64 read the 8-byte fields
// unaligned at full speed); fields are only ever copied out, never borrowed.
#[repr(C, packed(4))]
pub struct HistoryPoint {
    /// Unix time in seconds.
    pub timestamp: i64,
    pub total_requests: u64,
    total_avg_ms: f64,
    /// `User Count` in the low 24 bits, `Total Failure Count` in the high 40: see [`Self::new`].
    users_and_failures: u64,
    /// The row's percentiles in ms: the current 10 s window with `--csv-full-history`, cumulative
    /// otherwise (Locust's choice).
    p50_ms: f32,
    p95_ms: f32,
    p99_ms: f32,
}

const USER_BITS: u32 = 24;
const MAX_USERS: u64 = (1 << USER_BITS) - 1;
const MAX_FAILURES: u64 = (1 << (64 - USER_BITS)) - 1;

fn or_nan32(v: Option<f64>) -> f32 {
    v.map_or(f32::NAN, |v| v as f32)
}

fn present(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

impl HistoryPoint {
    /// `percentiles` are P50, P95 and P99. Users are kept up to 16.7 million and failures up to
    /// 1.1 trillion (a million failing requests a second for twelve days); beyond, they clamp
    /// rather than widen every point.
    pub fn new(
        timestamp: i64,
        users: u64,
        percentiles: [Option<f64>; 3],
        total_requests: u64,
        total_failures: u64,
        total_avg_ms: Option<f64>,
    ) -> Self {
        // Locust writes 0 for every percentile of a row whose 10-second window is empty or not yet
        // cached: placeholders, not measurements (all three at 0 ms measured would need 99% of a
        // window's requests under 0.5 ms).
        let percentiles = if percentiles == [Some(0.0); 3] {
            [None; 3]
        } else {
            percentiles
        };
        HistoryPoint {
            timestamp,
            users_and_failures: users.min(MAX_USERS)
                | (total_failures.min(MAX_FAILURES) << USER_BITS),
            total_requests,
            total_avg_ms: total_avg_ms.unwrap_or(f64::NAN),
            p50_ms: or_nan32(percentiles[0]),
            p95_ms: or_nan32(percentiles[1]),
            p99_ms: or_nan32(percentiles[2]),
        }
    }
    /// The row's `User Count`.
    pub fn users(&self) -> u64 {
        self.users_and_failures & MAX_USERS
    }
    /// The row's `Total Failure Count`.
    pub fn total_failures(&self) -> u64 {
        self.users_and_failures >> USER_BITS
    }
    pub fn p50(&self) -> Option<f64> {
        present(f64::from(self.p50_ms))
    }
    pub fn p95(&self) -> Option<f64> {
        present(f64::from(self.p95_ms))
    }
    pub fn p99(&self) -> Option<f64> {
        present(f64::from(self.p99_ms))
    }
    /// The running average response time over the whole run so far.
    pub fn total_avg_ms(&self) -> Option<f64> {
        present(self.total_avg_ms)
    }
}

impl PartialEq for HistoryPoint {
    /// Missing equals missing (NaN inside).
    fn eq(&self, other: &Self) -> bool {
        let (timestamp, requests) = (self.timestamp, self.total_requests);
        timestamp == other.timestamp
            && self.users_and_failures == { other.users_and_failures }
            && requests == other.total_requests
            && self.total_avg_ms() == other.total_avg_ms()
            && self.p50() == other.p50()
            && self.p95() == other.p95()
            && self.p99() == other.p99()
    }
}

/// The time series of one scope (an endpoint, or the aggregate), in timestamp order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub key: EndpointKey,
    pub aggregated: bool,
    pub points: Vec<HistoryPoint>,
}

/// The whole `_stats_history.csv`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// The aggregate series first, then one per endpoint when the run used `--csv-full-history`.
    pub series: Vec<Series>,
}

impl History {
    pub fn aggregated(&self) -> Option<&Series> {
        self.series.iter().find(|s| s.aggregated)
    }
    pub fn is_full(&self) -> bool {
        self.series.iter().any(|s| !s.aggregated)
    }
    pub fn rows(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }
}

/// Which header dialect a stats file was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Locust 1.0 and later: `Type`, `Request Count`, `Failure Count`.
    Locust,
    /// Locust 0.x: `Method`, `# requests`, `# failures`, a `Total` row.
    Legacy,
    /// Locust's HTML report (`--html`, the `window.templateArgs` page of 2.22 and later).
    LocustHtml,
    /// Locust's JSON output (`--json`, `--json-file`).
    LocustJson,
    /// Locust's console output (the tables it prints, a CI log).
    LocustLog,
    /// k6's per-request output (`--out csv`, `--out json`): every sample.
    K6,
    /// k6's end-of-test summary (`--summary-export`, `handleSummary`): aggregates only.
    K6Summary,
    /// A JMeter results file (JTL, CSV or XML): every sample.
    JMeter,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Locust => "locust",
            Dialect::Legacy => "locust-legacy",
            Dialect::LocustHtml => "locust-html",
            Dialect::LocustJson => "locust-json",
            Dialect::LocustLog => "locust-log",
            Dialect::K6 => "k6",
            Dialect::K6Summary => "k6-summary",
            Dialect::JMeter => "jmeter",
        }
    }
}

/// Where a run's files were found.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFiles {
    /// The `--csv` prefix the files share.
    pub prefix: PathBuf,
    pub stats: PathBuf,
    pub history: Option<PathBuf>,
    pub failures: Option<PathBuf>,
    pub exceptions: Option<PathBuf>,
}

/// Everything read from one Locust (or loadgate generator) run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub files: RunFiles,
    pub dialect: Dialect,
    /// Per-endpoint rows, in file order.
    pub endpoints: Vec<EndpointStats>,
    pub aggregated: EndpointStats,
    pub failures: Vec<FailureRecord>,
    pub exceptions: Vec<ExceptionRecord>,
    pub history: Option<History>,
    /// What reading the files noticed that a report should say (how names were decoded, …).
    pub notes: Vec<String>,
    /// What the files say about how the run was made, where they say it.
    pub info: RunInfo,
}

/// How a run was made, as far as its files tell: only Locust's HTML report names the host and the
/// locustfile; only its console log names the Locust version, the users, the spawn rate and the
/// run time (elsewhere loadgate reads the ramp from the history, and `--locust-version` gives the
/// version).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInfo {
    pub host: Option<String>,
    pub locustfile: Option<String>,
    /// The first and the last request (Unix seconds), where the file states them (Locust's JSON).
    pub request_span: Option<(f64, f64)>,
    /// What was recorded beside the run about how it was made (the runner record).
    pub evidence: RunEvidence,
    /// `2.47.0`: from the log's `Starting Locust 2.47.0`, or given with `--locust-version`.
    pub locust_version: Option<String>,
    /// The users asked for (`-u`), as the log states them.
    pub users: Option<u64>,
    /// Users started per second (`-r`), as the log states it.
    pub spawn_rate: Option<f64>,
    /// The run-time limit (`-t`) in seconds, as the log states it.
    pub run_time_s: Option<f64>,
    /// The tool's own checks, thresholds and groups (k6).
    pub tool: ToolVerdicts,
}

impl Run {
    /// The summary of the runner record attached to the run, if it has one.
    pub fn runner_summary(&self) -> Option<RunnerSummary> {
        let record = &self.info.evidence.runner.as_ref()?.record;
        record.summary.clone()
    }

    /// Wall-clock span covered by the history, in seconds.
    pub fn duration_s(&self) -> Option<f64> {
        let agg = self.history.as_ref()?.aggregated()?;
        let first = agg.points.first()?.timestamp;
        let last = agg.points.last()?.timestamp;
        Some((last - first) as f64)
    }

    /// The first timestamp of the aggregate history (after sorting), or `None` without one. The
    /// archive's rule (`ingest::started::started_at`) also falls back to the failures' earliest
    /// `First Seen`; `started_at(run.started_at(), &run.failures)` applies it to a run.
    pub fn started_at(&self) -> Option<i64> {
        Some(
            self.history
                .as_ref()?
                .aggregated()?
                .points
                .first()?
                .timestamp,
        )
    }

    pub fn peak_users(&self) -> Option<u64> {
        self.history
            .as_ref()?
            .aggregated()?
            .points
            .iter()
            .map(|p| p.users())
            .max()
            // A history without a user count (locustio 0.13–0.14) says nothing of the users.
            .filter(|&users| users > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_point_stays_compact_and_keeps_missing_values() {
        // Two million of them for a day of full history: every byte is 2 MB.
        assert_eq!(std::mem::size_of::<HistoryPoint>(), 44);
        let p = HistoryPoint::new(1, 7, [Some(5.0), None, Some(9.5)], 10, 2, None);
        assert_eq!((p.p50(), p.p95(), p.p99()), (Some(5.0), None, Some(9.5)));
        assert_eq!((p.users(), p.total_avg_ms()), (7, None));
        assert_eq!(p, p);
    }

    #[test]
    fn a_history_row_of_zero_percentiles_is_a_placeholder_and_one_above_zero_is_not() {
        let percentiles = |ps: [Option<f64>; 3]| {
            let p = HistoryPoint::new(1, 10, ps, 67, 0, Some(33.0));
            [p.p50(), p.p95(), p.p99()]
        };
        assert_eq!(percentiles([Some(0.0); 3]), [None; 3]);
        // Just outside: one figure above zero, or one missing, is what the row says.
        for kept in [
            [Some(0.0), Some(0.0), Some(1.0)],
            [Some(0.0), Some(0.0), None],
            [Some(0.5), Some(0.0), Some(0.0)],
        ] {
            assert_eq!(percentiles(kept), kept);
        }
    }

    fn row(requests: u64) -> EndpointStats {
        EndpointStats {
            key: EndpointKey::new("", "Aggregated"),
            requests,
            failures: 0,
            rps: 0.0,
            failures_per_s: Some(0.0),
            avg_ms: Some(0.0),
            min_ms: Some(0.0),
            max_ms: Some(0.0),
            median_ms: Some(0.0),
            avg_content_size: Some(0.0),
            percentiles: Percentiles::default(),
            custom_percentiles: Vec::new(),
            histogram: None,
        }
    }

    #[test]
    fn an_empty_rows_zero_median_is_a_placeholder_and_one_request_makes_it_a_figure() {
        let empty = row(0).without_empty_placeholders();
        assert_eq!((empty.p50(), empty.max(), empty.avg_ms), (None, None, None));
        assert_eq!(empty.avg_content_size, None);
        let one = row(1).without_empty_placeholders();
        assert_eq!(
            (one.p50(), one.max(), one.avg_ms),
            (Some(0.0), Some(0.0), Some(0.0))
        );
    }

    #[test]
    fn users_and_failures_share_a_word_and_clamp_only_past_their_range() {
        let point = |users, failures| HistoryPoint::new(1, users, [None; 3], 0, failures, None);
        let (max_users, max_failures) = ((1 << 24) - 1, (1u64 << 40) - 1);
        let p = point(max_users, max_failures);
        assert_eq!((p.users(), p.total_failures()), (max_users, max_failures));
        let p = point(max_users + 1, max_failures + 1);
        assert_eq!((p.users(), p.total_failures()), (max_users, max_failures));
        let p = point(0, 1);
        assert_eq!((p.users(), p.total_failures()), (0, 1));
        assert_ne!(point(1, 0), point(0, 1), "neither spills into the other");
    }
}
