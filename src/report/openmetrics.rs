//! The run's figures as metrics for Prometheus: the OpenMetrics 1.0 text format (`--openmetrics
//! FILE`), or the Prometheus text format 0.0.4 that the Pushgateway and node-exporter's textfile
//! collector read. Both carry the same families, built once ([`run_families`], [`history_families`]);
//! only the framing differs. Every name and label is listed in `docs/metrics.md`.
//!
//! Conventions: `loadgate_` prefix, base units (seconds, ratios of 1), `_total` on counters.
//! Statuses are numbers (0 pass, 1 warn, 2 fail) so a panel can threshold and `max()` them; grades
//! are 0 excellent … 4 critical.

use std::fmt::Write as _;

use anyhow::Result;

use super::history::HistoryReport;
use super::Exporter;
use crate::analysis::grade::{Check, ScopeResult};
use crate::analysis::paired::AbComparison;
use crate::analysis::{Judgement, RunJudgement};
use crate::model::{HistoryPoint, Metric, Scope, Series, Status, Unit};
use crate::profile::Grade;

/// Which text format the metrics are framed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// OpenMetrics 1.0: counters typed by family name, `# UNIT`, timestamps in seconds, `# EOF`.
    OpenMetrics,
    /// Prometheus text 0.0.4: what the Pushgateway and the textfile collector parse. Never
    /// timestamped: both reject client-side timestamps.
    Prometheus,
}

impl Flavor {
    /// The `Content-Type` of a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Flavor::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Flavor::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// `--openmetrics FILE`: every run of the judgement, optionally with its history as timestamped
/// samples (OpenMetrics only).
pub struct OpenMetricsExporter {
    pub flavor: Flavor,
    pub history: bool,
}

impl Exporter for OpenMetricsExporter {
    fn render(&self, judgement: &Judgement) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.write(judgement, &mut bytes)?;
        Ok(bytes)
    }
}

impl OpenMetricsExporter {
    /// Writes to `sink` as it goes: with history, the text is many times the size of the run in
    /// memory (1.4 GB for a day of full history), so it is never held whole.
    pub fn write(&self, judgement: &Judgement, sink: &mut dyn std::io::Write) -> Result<()> {
        let mut set = Families::default();
        for run in &judgement.runs {
            add_run(&mut set, judgement, run);
        }
        let mut out = Chunked::new(sink);
        write_families(&mut out.text, &set.0, self.flavor);
        if self.history && self.flavor == Flavor::OpenMetrics {
            write_history(&mut out, &judgement.runs)?;
        }
        finish(&mut out.text, self.flavor);
        out.flush()?;
        Ok(())
    }
}

/// Text handed to a writer a megabyte at a time.
struct Chunked<'a> {
    text: String,
    sink: &'a mut dyn std::io::Write,
}

impl<'a> Chunked<'a> {
    const CHUNK: usize = 1 << 20;

    fn new(sink: &'a mut dyn std::io::Write) -> Self {
        Chunked {
            text: String::with_capacity(Self::CHUNK + 4096),
            sink,
        }
    }

    /// Passes the text on once a chunk has gathered.
    fn spill(&mut self) -> std::io::Result<()> {
        if self.text.len() >= Self::CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.write_all(self.text.as_bytes())?;
        self.text.clear();
        Ok(())
    }
}

/// The families of one run alone: what one Pushgateway group holds.
pub fn run_families(judgement: &Judgement, run: &RunJudgement) -> Vec<Family> {
    let mut set = Families::default();
    add_run(&mut set, judgement, run);
    set.0
}

/// What prometheus does with a family's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// Its samples end in `_total`; the family name does not.
    Counter,
    /// A constant 1 whose labels are the information (`_info`).
    Info,
}

/// One metric family: what it is, and its samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub spec: Spec,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
    /// Unix time in seconds; only history samples have one.
    pub timestamp: Option<i64>,
}

/// Families in the order first added; samples of one family stay together, as the format needs.
#[derive(Default)]
struct Families(Vec<Family>);

impl Families {
    fn add(&mut self, spec: Spec, labels: Vec<(&'static str, String)>, value: Option<f64>) {
        self.add_at(spec, labels, value, None);
    }

    /// A value the file does not know (`None`) or cannot write (NaN, infinite) is left out.
    fn add_at(
        &mut self,
        spec: Spec,
        labels: Vec<(&'static str, String)>,
        value: Option<f64>,
        timestamp: Option<i64>,
    ) {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            return;
        };
        let index = match self.0.iter().position(|f| f.spec.name == spec.name) {
            Some(i) => i,
            None => {
                self.0.push(Family {
                    spec,
                    samples: Vec::new(),
                });
                self.0.len() - 1
            }
        };
        self.0[index].samples.push(Sample {
            labels,
            value,
            timestamp,
        });
    }
}

/// A family's fixed parts: its name (without `_total`/`_info`), kind, unit and help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: Option<&'static str>,
    pub help: &'static str,
}

impl Spec {
    /// The name every sample carries.
    pub fn sample_name(&self) -> String {
        match self.kind {
            Kind::Gauge => self.name.to_string(),
            Kind::Counter => format!("{}_total", self.name),
            Kind::Info => format!("{}_info", self.name),
        }
    }
}

const fn gauge(name: &'static str, unit: Option<&'static str>, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Gauge,
        unit,
        help,
    }
}

const fn counter(name: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Counter,
        unit: None,
        help,
    }
}

pub const RUN: Spec = Spec {
    name: "loadgate_run",
    kind: Kind::Info,
    unit: None,
    help: "A judged run: its command, profile, file format and peak users as labels.",
};
pub const VERDICT: Spec = gauge(
    "loadgate_verdict",
    None,
    "The run's verdict: 0 pass, 1 warn, 2 fail (fail is exit 1).",
);
pub const REQUESTS: Spec = counter("loadgate_requests", "Requests made during the run.");
pub const FAILURES: Spec = counter(
    "loadgate_failures",
    "Failed requests during the run, expected ones included.",
);
pub const ERROR_RATIO: Spec = gauge(
    "loadgate_error_ratio",
    Some("ratio"),
    "Unexpected failures as a fraction of requests (the graded error rate).",
);
pub const THROUGHPUT: Spec = gauge(
    "loadgate_throughput_requests_per_second",
    Some("requests_per_second"),
    "Requests per second over the run.",
);
pub const RESPONSE_TIME: Spec = gauge(
    "loadgate_response_time_seconds",
    Some("seconds"),
    "Response time percentile over the run (label percentile: 50, 90, 95, 99).",
);
pub const RESPONSE_TIME_AVG: Spec = gauge(
    "loadgate_response_time_average_seconds",
    Some("seconds"),
    "Mean response time over the run.",
);
pub const RESPONSE_TIME_MAX: Spec = gauge(
    "loadgate_response_time_max_seconds",
    Some("seconds"),
    "Slowest response of the run.",
);
pub const START: Spec = gauge(
    "loadgate_run_start_timestamp_seconds",
    Some("seconds"),
    "Unix time of the run's first history row.",
);
pub const DURATION: Spec = gauge(
    "loadgate_run_duration_seconds",
    Some("seconds"),
    "Time span the run's history covers.",
);
pub const USERS: Spec = gauge(
    "loadgate_run_users",
    None,
    "Peak concurrent users of the run.",
);
pub const CHECK_STATUS: Spec = gauge(
    "loadgate_check_status",
    None,
    "A check's status: 0 pass, 1 warn, 2 fail.",
);
pub const CHECK_GRADE: Spec = gauge(
    "loadgate_check_grade",
    None,
    "A check's grade: 0 excellent, 1 good, 2 acceptable, 3 poor, 4 critical.",
);
pub const CHECK_VALUE: Spec = gauge(
    "loadgate_check_value",
    None,
    "The checked figure in its base unit (seconds, ratio, requests per second, requests).",
);
pub const CHECK_LIMIT: Spec = gauge(
    "loadgate_check_limit",
    None,
    "The worst value that does not fail the check, in the figure's base unit.",
);
pub const CHECK_WARN_LIMIT: Spec = gauge(
    "loadgate_check_warn_limit",
    None,
    "The worst value that does not warn, in the figure's base unit.",
);
pub const REGRESSION_CHANGE: Spec = gauge(
    "loadgate_regression_change_ratio",
    Some("ratio"),
    "Relative change against the baseline, (current - baseline) / baseline.",
);
pub const REGRESSION_STATUS: Spec = gauge(
    "loadgate_regression_status",
    None,
    "A comparison with the baseline: 0 pass, 1 warn, 2 fail.",
);
pub const TREND_BREAK: Spec = gauge(
    "loadgate_trend_break",
    None,
    "1 for each metric on which a run of an archive broke the trend.",
);
pub const HISTORY_RESPONSE_TIME: Spec = gauge(
    "loadgate_history_response_time_seconds",
    Some("seconds"),
    "Response time percentile of one history row (label percentile: 50, 95, 99).",
);
pub const HISTORY_USERS: Spec = gauge(
    "loadgate_history_users",
    None,
    "Concurrent users at one history row.",
);
pub const HISTORY_REQUESTS: Spec = counter(
    "loadgate_history_requests",
    "Requests made up to one history row.",
);
pub const HISTORY_FAILURES: Spec = counter(
    "loadgate_history_failures",
    "Failures up to one history row.",
);

pub const AB_INFO: Spec = Spec {
    name: "loadgate_ab",
    kind: Kind::Info,
    unit: None,
    help: "An A/B run (`loadgate ab`): the two targets' URLs as labels a and b.",
};
pub const AB_VERDICT: Spec = gauge(
    "loadgate_ab_verdict",
    None,
    "The A/B comparison's verdict (B against A): 0 pass, 1 warn, 2 fail.",
);
pub const AB_PAIRS: Spec = counter(
    "loadgate_ab_pairs",
    "Complete request pairs (one request to A, one to B) of a scope.",
);
pub const AB_VALUE: Spec = gauge(
    "loadgate_ab_value",
    None,
    "A figure on one side (label side: a or b) from the pairs, in its base unit (seconds, ratio).",
);
pub const AB_CHANGE: Spec = gauge(
    "loadgate_ab_change_ratio",
    Some("ratio"),
    "B against A: latency B/A - 1, error rate B - A.",
);
pub const AB_CHANGE_BOUND: Spec = gauge(
    "loadgate_ab_change_bound_ratio",
    Some("ratio"),
    "A bound of the change's bootstrap interval (label bound: lower or upper).",
);
pub const AB_LIMIT: Spec = gauge(
    "loadgate_ab_limit_ratio",
    Some("ratio"),
    "The profile's regression limit on the change.",
);
pub const AB_STATUS: Spec = gauge(
    "loadgate_ab_status",
    None,
    "A figure's A/B status: 0 pass, 1 warn, 2 fail.",
);
pub const AB_CONFIDENCE: Spec = gauge(
    "loadgate_ab_confidence_ratio",
    Some("ratio"),
    "The confidence of the A/B intervals.",
);

/// Every family the exporter can write, for the documentation test.
pub const ALL: [Spec; 33] = [
    RUN,
    VERDICT,
    REQUESTS,
    FAILURES,
    ERROR_RATIO,
    THROUGHPUT,
    RESPONSE_TIME,
    RESPONSE_TIME_AVG,
    RESPONSE_TIME_MAX,
    START,
    DURATION,
    USERS,
    CHECK_STATUS,
    CHECK_GRADE,
    CHECK_VALUE,
    CHECK_LIMIT,
    CHECK_WARN_LIMIT,
    REGRESSION_CHANGE,
    REGRESSION_STATUS,
    TREND_BREAK,
    HISTORY_RESPONSE_TIME,
    HISTORY_USERS,
    HISTORY_REQUESTS,
    HISTORY_FAILURES,
    AB_INFO,
    AB_VERDICT,
    AB_PAIRS,
    AB_VALUE,
    AB_CHANGE,
    AB_CHANGE_BOUND,
    AB_LIMIT,
    AB_STATUS,
    AB_CONFIDENCE,
];

/// The percentiles written, as (metric, percentile label).
const QUANTILES: [(Metric, &str); 4] = [
    (Metric::P50, "50"),
    (Metric::P90, "90"),
    (Metric::P95, "95"),
    (Metric::P99, "99"),
];

/// The label that names a run: its `--csv` prefix as given.
pub fn run_name(run: &RunJudgement) -> String {
    run.run.files.prefix.display().to_string()
}

fn status_value(status: Status) -> f64 {
    match status {
        Status::Pass => 0.0,
        Status::Warn => 1.0,
        Status::Fail => 2.0,
    }
}

fn grade_value(grade: Grade) -> f64 {
    Grade::ALL.iter().position(|g| *g == grade).unwrap_or(0) as f64
}

/// A figure in its base unit: Locust's milliseconds become seconds.
fn base_unit(metric: Metric, value: f64) -> f64 {
    match metric.unit() {
        Unit::Millis => value / 1000.0,
        Unit::Fraction | Unit::PerSecond | Unit::Count => value,
    }
}

fn seconds(ms: Option<f64>) -> Option<f64> {
    ms.map(|v| v / 1000.0)
}

/// `scope`, `method` and `name` of a scope; the aggregate has empty `method` and `name`.
fn scope_labels(run: &str, scope: &Scope) -> Vec<(&'static str, String)> {
    let (kind, method, name) = match scope.endpoint() {
        None => ("aggregated", "", ""),
        Some(key) => ("endpoint", key.method.as_str(), key.name.as_str()),
    };
    vec![
        ("run", run.to_string()),
        ("scope", kind.to_string()),
        ("method", method.to_string()),
        ("name", name.to_string()),
    ]
}

fn with(
    mut labels: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    labels.push((name, value.to_string()));
    labels
}

fn add_run(set: &mut Families, judgement: &Judgement, item: &RunJudgement) {
    let run = run_name(item);
    let users = item.run.peak_users();
    set.add(
        RUN,
        vec![
            ("run", run.clone()),
            ("command", judgement.command.to_string()),
            ("profile", judgement.profile.name.clone()),
            ("format", item.run.dialect.as_str().to_string()),
            ("users", users.map_or_else(String::new, |u| u.to_string())),
        ],
        Some(1.0),
    );
    let run_labels = || vec![("run", run.clone())];
    // `ab` judges one run, B, and its exit is the worst of B's checks and the A/B comparison.
    let verdict = match &judgement.ab {
        Some(ab) => item.verdict.max(ab.verdict),
        None => item.verdict,
    };
    set.add(VERDICT, run_labels(), Some(status_value(verdict)));
    set.add(START, run_labels(), item.run.started_at().map(|t| t as f64));
    set.add(DURATION, run_labels(), item.run.duration_s());
    set.add(USERS, run_labels(), users.map(|u| u as f64));
    for scope in std::iter::once(&item.aggregated).chain(&item.endpoints) {
        add_scope(set, &run, scope);
    }
    for check in &item.checks {
        add_check(set, &run, check);
    }
    for regression in item.baseline.iter().flat_map(|b| &b.comparison.regressions) {
        let labels = with(
            scope_labels(&run, &regression.scope),
            "metric",
            regression.metric.key(),
        );
        set.add(
            REGRESSION_CHANGE,
            labels.clone(),
            regression.change_pct.map(|p| p / 100.0),
        );
        set.add(
            REGRESSION_STATUS,
            labels,
            Some(status_value(regression.status)),
        );
    }
    if let Some(ab) = &judgement.ab {
        add_ab(set, &run, ab);
    }
}

/// `ab`: B against A, labelled with B's run (the run `ab` judges).
fn add_ab(set: &mut Families, run: &str, ab: &AbComparison) {
    set.add(
        AB_INFO,
        vec![
            ("run", run.to_string()),
            ("a", ab.a_label.clone()),
            ("b", ab.b_label.clone()),
        ],
        Some(1.0),
    );
    let run_labels = || vec![("run", run.to_string())];
    set.add(AB_VERDICT, run_labels(), Some(status_value(ab.verdict)));
    set.add(AB_CONFIDENCE, run_labels(), Some(ab.confidence));
    let mut counted: Vec<&Scope> = Vec::new();
    for change in &ab.changes {
        let scope = scope_labels(run, &change.scope);
        // Pairs belong to the scope, not the figure: one sample per scope.
        if !counted.contains(&&change.scope) {
            counted.push(&change.scope);
            set.add(AB_PAIRS, scope.clone(), Some(change.pairs as f64));
        }
        let labels = with(scope, "metric", change.metric.key());
        for (side, value) in [("a", change.a), ("b", change.b)] {
            set.add(
                AB_VALUE,
                with(labels.clone(), "side", side),
                Some(base_unit(change.metric, value)),
            );
        }
        set.add(AB_CHANGE, labels.clone(), Some(change.change));
        let (lower, upper) = change.interval;
        for (bound, value) in [("lower", lower), ("upper", upper)] {
            set.add(
                AB_CHANGE_BOUND,
                with(labels.clone(), "bound", bound),
                Some(value),
            );
        }
        set.add(AB_LIMIT, labels.clone(), Some(change.limit));
        set.add(AB_STATUS, labels, Some(status_value(change.status)));
    }
}

fn add_scope(set: &mut Families, run: &str, scope: &ScopeResult) {
    let labels = scope_labels(run, &scope.scope);
    let stats = &scope.stats;
    set.add(REQUESTS, labels.clone(), Some(stats.requests as f64));
    set.add(FAILURES, labels.clone(), Some(stats.failures as f64));
    set.add(ERROR_RATIO, labels.clone(), Some(scope.error_rate));
    set.add(THROUGHPUT, labels.clone(), Some(stats.rps));
    for (metric, percentile) in QUANTILES {
        set.add(
            RESPONSE_TIME,
            with(labels.clone(), "percentile", percentile),
            seconds(metric.of(stats)),
        );
    }
    set.add(RESPONSE_TIME_AVG, labels.clone(), seconds(stats.avg_ms));
    set.add(RESPONSE_TIME_MAX, labels, seconds(stats.max()));
}

fn add_check(set: &mut Families, run: &str, check: &Check) {
    let labels = with(
        scope_labels(run, &check.scope),
        "metric",
        check.metric.key(),
    );
    let base = |v: f64| base_unit(check.metric, v);
    set.add(
        CHECK_STATUS,
        labels.clone(),
        Some(status_value(check.status)),
    );
    set.add(CHECK_GRADE, labels.clone(), Some(grade_value(check.grade)));
    set.add(CHECK_VALUE, labels.clone(), Some(base(check.value)));
    set.add(CHECK_LIMIT, labels.clone(), check.limit.map(base));
    set.add(CHECK_WARN_LIMIT, labels, check.warn_limit.map(base));
}

/// Each history row as timestamped samples, the aggregate and (with full history) each endpoint,
/// written straight out: a day of full history is millions of rows, too many to hold as samples.
/// Each series' points stay together, in time order, as OpenMetrics requires.
fn write_history(out: &mut Chunked, runs: &[RunJudgement]) -> std::io::Result<()> {
    type Value = fn(&HistoryPoint) -> Option<f64>;
    let percentiles: [(&str, Value); 3] = [
        ("50", |p| seconds(p.p50())),
        ("95", |p| seconds(p.p95())),
        ("99", |p| seconds(p.p99())),
    ];
    let requests: Value = |p| Some(p.total_requests as f64);
    let failures: Value = |p| Some(p.total_failures() as f64);
    let users: Value = |p| (p.users() > 0).then(|| p.users() as f64);
    let all_series = || {
        runs.iter().flat_map(|item| {
            let run = run_name(item);
            item.run
                .history
                .iter()
                .flat_map(|h| &h.series)
                .map(move |series| (run.clone(), series))
        })
    };
    write_header(&mut out.text, &HISTORY_RESPONSE_TIME, Flavor::OpenMetrics);
    for (run, series) in all_series() {
        for (percentile, value) in percentiles {
            let labels = with(series_labels(&run, series), "percentile", percentile);
            write_points(out, HISTORY_RESPONSE_TIME.name, &labels, series, value)?;
        }
    }
    for (spec, value) in [(HISTORY_REQUESTS, requests), (HISTORY_FAILURES, failures)] {
        write_header(&mut out.text, &spec, Flavor::OpenMetrics);
        let name = spec.sample_name();
        for (run, series) in all_series() {
            write_points(out, &name, &series_labels(&run, series), series, value)?;
        }
    }
    write_header(&mut out.text, &HISTORY_USERS, Flavor::OpenMetrics);
    for (run, series) in all_series().filter(|(_, s)| s.aggregated) {
        let labels = vec![("run", run)];
        write_points(out, HISTORY_USERS.name, &labels, series, users)?;
    }
    Ok(())
}

fn series_labels(run: &str, series: &Series) -> Vec<(&'static str, String)> {
    let scope = if series.aggregated {
        Scope::Aggregated
    } else {
        Scope::Endpoint(series.key.clone())
    };
    scope_labels(run, &scope)
}

/// One line per point that has a value: `NAME{LABELS} VALUE TIMESTAMP`, the labels escaped once.
fn write_points(
    out: &mut Chunked,
    name: &str,
    labels: &[(&'static str, String)],
    series: &Series,
    value: fn(&HistoryPoint) -> Option<f64>,
) -> std::io::Result<()> {
    let mut prefix = String::new();
    write_name_and_labels(&mut prefix, name, labels);
    for point in &series.points {
        if let Some(v) = value(point).filter(|v| v.is_finite()) {
            let _ = writeln!(out.text, "{prefix} {} {}", number(v), { point.timestamp });
            out.spill()?;
        }
    }
    Ok(())
}

/// `history --openmetrics`: each run of the archive (its aggregate), the breaks, the verdict. With
/// `dated`, each run's samples carry the run's start as their timestamp (OpenMetrics only), so a
/// backfill lays the archive out in time; runs without a start carry none.
pub fn history_families(report: &HistoryReport, archive: &str, dated: bool) -> Vec<Family> {
    let mut set = Families::default();
    // The archive's verdict is about its newest run: dated by it.
    let newest = report.runs.last().and_then(|r| r.started_at);
    set.add_at(
        VERDICT,
        vec![("run", archive.to_string())],
        Some(status_value(report.verdict)),
        newest.filter(|_| dated),
    );
    for (i, run) in report.runs.iter().enumerate() {
        let at = run.started_at.filter(|_| dated);
        let labels = scope_labels(&run.source, &Scope::Aggregated);
        let run_labels = || vec![("run", run.source.clone())];
        set.add_at(START, run_labels(), run.started_at.map(|t| t as f64), at);
        set.add_at(USERS, run_labels(), run.peak_users.map(|u| u as f64), at);
        set.add_at(REQUESTS, labels.clone(), Some(run.requests as f64), at);
        set.add_at(FAILURES, labels.clone(), Some(run.failures as f64), at);
        set.add_at(ERROR_RATIO, labels.clone(), Some(run.error_rate), at);
        set.add_at(THROUGHPUT, labels.clone(), Some(run.rps), at);
        for (value, percentile) in [(run.p50, "50"), (run.p95, "95"), (run.p99, "99")] {
            set.add_at(
                RESPONSE_TIME,
                with(labels.clone(), "percentile", percentile),
                seconds(value),
                at,
            );
        }
        for b in report.breaks.iter().filter(|b| b.run == i) {
            set.add_at(
                TREND_BREAK,
                vec![
                    ("run", b.source.clone()),
                    ("metric", b.metric.key().to_string()),
                ],
                Some(1.0),
                at,
            );
        }
    }
    set.0
}

/// The families as text in `flavor`.
pub fn render(families: &[Family], flavor: Flavor) -> Vec<u8> {
    let mut out = String::new();
    write_families(&mut out, families, flavor);
    finish(&mut out, flavor);
    out.into_bytes()
}

fn write_families(out: &mut String, families: &[Family], flavor: Flavor) {
    for family in families {
        write_header(out, &family.spec, flavor);
        let sample_name = family.spec.sample_name();
        for sample in &family.samples {
            write_sample(out, &sample_name, sample, flavor);
        }
    }
}

/// `# HELP`, `# TYPE` and (OpenMetrics) `# UNIT`. OpenMetrics types the family; the 0.0.4 format
/// types the sample name.
fn write_header(out: &mut String, spec: &Spec, flavor: Flavor) {
    let (typed, kind) = match (flavor, spec.kind) {
        (Flavor::OpenMetrics, Kind::Info) => (spec.name.to_string(), "info"),
        (Flavor::OpenMetrics, Kind::Counter) => (spec.name.to_string(), "counter"),
        (_, Kind::Gauge) => (spec.name.to_string(), "gauge"),
        (Flavor::Prometheus, Kind::Counter) => (spec.sample_name(), "counter"),
        (Flavor::Prometheus, Kind::Info) => (spec.sample_name(), "gauge"),
    };
    let _ = writeln!(out, "# HELP {typed} {}", escape_help(spec.help, flavor));
    let _ = writeln!(out, "# TYPE {typed} {kind}");
    if let (Flavor::OpenMetrics, Some(unit)) = (flavor, spec.unit) {
        let _ = writeln!(out, "# UNIT {typed} {unit}");
    }
}

fn finish(out: &mut String, flavor: Flavor) {
    if flavor == Flavor::OpenMetrics {
        out.push_str("# EOF\n");
    }
}

fn write_name_and_labels(out: &mut String, name: &str, labels: &[(&'static str, String)]) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label(value));
        }
        out.push('}');
    }
}

fn write_sample(out: &mut String, name: &str, sample: &Sample, flavor: Flavor) {
    write_name_and_labels(out, name, &sample.labels);
    let _ = write!(out, " {}", number(sample.value));
    match (flavor, sample.timestamp) {
        (Flavor::OpenMetrics, Some(t)) => {
            let _ = write!(out, " {t}");
        }
        // The consumers of the 0.0.4 format reject timestamps; history is OpenMetrics only.
        (Flavor::Prometheus, _) | (_, None) => {}
    }
    out.push('\n');
}

/// Label values are untrusted (endpoint names come from the files): backslash, double quote and
/// line feed are the three characters the text formats require escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: OpenMetrics also escapes double quotes; 0.0.4 only backslash and line feed.
fn escape_help(text: &str, flavor: Flavor) -> String {
    match flavor {
        Flavor::OpenMetrics => escape_label(text),
        Flavor::Prometheus => text.replace('\\', "\\\\").replace('\n', "\\n"),
    }
}

/// Whole numbers without a fraction, others as Rust's shortest round-trip form.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(kind: Kind, samples: Vec<Sample>) -> Family {
        Family {
            spec: Spec {
                name: "loadgate_x",
                kind,
                unit: Some("seconds"),
                help: "A \"test\" family.",
            },
            samples,
        }
    }

    fn sample(labels: Vec<(&'static str, String)>, value: f64, timestamp: Option<i64>) -> Sample {
        Sample {
            labels,
            value,
            timestamp,
        }
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline_only() {
        assert_eq!(escape_label(r#"GET /a"b\c"#), r#"GET /a\"b\\c"#);
        assert_eq!(escape_label("line1\nline2\ttab"), "line1\\nline2\ttab");
        assert_eq!(escape_label("plain ü"), "plain ü");
    }

    #[test]
    fn counters_are_typed_by_family_in_openmetrics_and_by_sample_in_prometheus() {
        let f = family(Kind::Counter, vec![sample(vec![], 3.0, None)]);
        let om = String::from_utf8(render(std::slice::from_ref(&f), Flavor::OpenMetrics)).unwrap();
        assert_eq!(
            om,
            "# HELP loadgate_x A \\\"test\\\" family.\n# TYPE loadgate_x counter\n# UNIT loadgate_x seconds\nloadgate_x_total 3\n# EOF\n"
        );
        let prom = String::from_utf8(render(&[f], Flavor::Prometheus)).unwrap();
        assert_eq!(
            prom,
            "# HELP loadgate_x_total A \"test\" family.\n# TYPE loadgate_x_total counter\nloadgate_x_total 3\n"
        );
    }

    #[test]
    fn timestamps_appear_in_openmetrics_only() {
        let f = family(
            Kind::Gauge,
            vec![sample(
                vec![("run", "a\"b".into())],
                0.25,
                Some(1_700_000_000),
            )],
        );
        let om = String::from_utf8(render(std::slice::from_ref(&f), Flavor::OpenMetrics)).unwrap();
        assert!(
            om.contains("loadgate_x{run=\"a\\\"b\"} 0.25 1700000000\n"),
            "{om}"
        );
        let prom = String::from_utf8(render(&[f], Flavor::Prometheus)).unwrap();
        assert!(prom.contains("loadgate_x{run=\"a\\\"b\"} 0.25\n"), "{prom}");
    }

    #[test]
    fn unknown_and_unwritable_values_are_left_out() {
        let mut set = Families::default();
        set.add(VERDICT, vec![], None);
        set.add(VERDICT, vec![], Some(f64::NAN));
        set.add(VERDICT, vec![], Some(f64::INFINITY));
        assert!(set.0.is_empty());
        set.add(VERDICT, vec![], Some(2.0));
        set.add(REQUESTS, vec![], Some(5.0));
        set.add(VERDICT, vec![], Some(0.0));
        // Samples of one family stay together whatever order they were added in.
        assert_eq!(set.0.len(), 2);
        assert_eq!(set.0[0].samples.len(), 2);
    }

    #[test]
    fn an_ab_comparison_is_a_sample_per_scope_and_figure_and_its_pairs_one_per_scope() {
        use crate::analysis::paired::{compare_pairs, PairSample};
        use crate::model::EndpointKey;
        let endpoint = Scope::Endpoint(EndpointKey {
            method: "GET".into(),
            name: "/a\"b".into(),
        });
        // B twice as slow as A on every pair.
        let pairs = (0..400)
            .map(|i| PairSample {
                a_ms: 10.0 + (i % 7) as f64,
                b_ms: 20.0 + 2.0 * (i % 7) as f64,
                a_failed: false,
                b_failed: false,
            })
            .collect();
        let ab = compare_pairs(
            ("http://a".into(), "http://b".into()),
            vec![(endpoint.clone(), pairs)],
            200,
            &crate::profile::RegressionRules::default(),
            7,
        );
        assert_eq!(ab.verdict, Status::Fail);
        let mut set = Families::default();
        add_ab(&mut set, "r", &ab);
        let samples = |spec: Spec| {
            let family = set.0.iter().find(|f| f.spec.name == spec.name).unwrap();
            family.samples.clone()
        };
        assert_eq!(samples(AB_VERDICT)[0].value, 2.0);
        assert_eq!(samples(AB_INFO)[0].labels[1], ("a", "http://a".to_string()));
        // The endpoint and the aggregate.
        let counted = samples(AB_PAIRS);
        assert_eq!(counted.len(), 2);
        assert_eq!(counted[0].value, 400.0);
        let n = ab.changes.len();
        assert_eq!(n, 10);
        assert_eq!(samples(AB_STATUS).len(), n);
        assert_eq!(samples(AB_VALUE).len(), 2 * n);
        assert_eq!(samples(AB_CHANGE_BOUND).len(), 2 * n);
        let p50 = &ab.changes[0];
        assert_eq!((&p50.scope, p50.metric), (&endpoint, Metric::P50));
        let values = samples(AB_VALUE);
        assert_eq!(values[0].labels.last().unwrap(), &("side", "a".to_string()));
        assert_eq!(values[0].value, p50.a / 1000.0);
        assert_eq!(values[1].value, p50.b / 1000.0);
        assert_eq!(samples(AB_CHANGE)[0].value, p50.change);
    }

    #[test]
    fn milliseconds_become_seconds_and_other_units_stay() {
        assert_eq!(base_unit(Metric::P95, 250.0), 0.25);
        assert_eq!(base_unit(Metric::ErrorRate, 0.01), 0.01);
        assert_eq!(base_unit(Metric::Rps, 40.0), 40.0);
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(number(12.0), "12");
        assert_eq!(grade_value(Grade::Excellent), 0.0);
        assert_eq!(grade_value(Grade::Critical), 4.0);
        assert_eq!(status_value(Status::Fail), 2.0);
    }
}
