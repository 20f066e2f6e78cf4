//! The versioned JSON report: a public interface. Every field is documented in `docs/json-report.md`;
//! renaming or removing one requires raising [`SCHEMA_VERSION`].

use anyhow::Result;
use serde::Serialize;

use super::{Exporter, Report, RunReport};
use crate::analysis::capacity::Capacity;
use crate::analysis::findings::Finding;
use crate::analysis::grade::{Check, Scope, ScopeResult, Status};
use crate::analysis::regression::Regression;
use crate::analysis::status::status_in_message;
use crate::analysis::trend::Trend;
use crate::model::EndpointStats;
use crate::profile::{Grade, Profile};

pub const SCHEMA_VERSION: u32 = 1;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: &Report) -> Result<Vec<u8>> {
        let mut bytes = if report.runs.len() == 1 {
            serde_json::to_vec_pretty(&run_json(report, &report.runs[0]))?
        } else {
            serde_json::to_vec_pretty(&ReportSetJson {
                schema_version: SCHEMA_VERSION,
                verdict: report.verdict(),
                reports: report.runs.iter().map(|r| run_json(report, r)).collect(),
            })?
        };
        bytes.push(b'\n');
        Ok(bytes)
    }
}

#[derive(Serialize)]
struct ReportSetJson {
    schema_version: u32,
    verdict: Status,
    reports: Vec<ReportJson>,
}

#[derive(Serialize)]
struct ReportJson {
    schema_version: u32,
    tool: ToolJson,
    command: &'static str,
    generated_at: String,
    verdict: Status,
    profile: ProfileJson,
    run: RunJson,
    aggregated: EndpointJson,
    endpoints: Vec<EndpointJson>,
    checks: Vec<CheckJson>,
    failures: Vec<FailureJson>,
    exceptions: Vec<ExceptionJson>,
    trends: Vec<Trend>,
    capacity: Option<Capacity>,
    findings: Vec<Finding>,
    baseline: Option<BaselineJson>,
    regressions: Vec<Regression>,
    new_endpoints: Vec<String>,
    vanished_endpoints: Vec<String>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct BaselineJson {
    label: String,
    runs: usize,
    verdict: Status,
}

#[derive(Serialize)]
struct ToolJson {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct ProfileJson {
    name: String,
    description: String,
    source: String,
    warn_at: Grade,
    fail_at: Grade,
}

#[derive(Serialize)]
struct RunJson {
    prefix: String,
    stats_file: String,
    history_file: Option<String>,
    failures_file: Option<String>,
    exceptions_file: Option<String>,
    format: &'static str,
    started_at: Option<String>,
    duration_s: Option<f64>,
    peak_users: Option<u64>,
    history_rows: usize,
    full_history: bool,
}

#[derive(Serialize)]
struct EndpointJson {
    method: String,
    name: String,
    requests: u64,
    failures: u64,
    expected_failures: u64,
    error_rate: f64,
    total_error_rate: f64,
    rps: f64,
    failures_per_s: Option<f64>,
    avg: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    avg_content_size: Option<f64>,
    p50: Option<f64>,
    p66: Option<f64>,
    p75: Option<f64>,
    p80: Option<f64>,
    p90: Option<f64>,
    p95: Option<f64>,
    p98: Option<f64>,
    p99: Option<f64>,
    p99_9: Option<f64>,
    p99_99: Option<f64>,
    p100: Option<f64>,
    graded: bool,
    grade: Option<Grade>,
    status: Status,
}

#[derive(Serialize)]
struct CheckJson {
    scope: String,
    method: Option<String>,
    name: Option<String>,
    metric: &'static str,
    value: f64,
    limit: Option<f64>,
    warn_limit: Option<f64>,
    grade: Grade,
    status: Status,
    message: String,
}

#[derive(Serialize)]
struct FailureJson {
    method: String,
    name: String,
    message: String,
    occurrences: u64,
    status_code: Option<u16>,
    expected: bool,
    first_seen: Option<String>,
    last_seen: Option<String>,
}

#[derive(Serialize)]
struct ExceptionJson {
    count: u64,
    message: String,
    traceback: String,
    nodes: String,
}

fn run_json(report: &Report, item: &RunReport) -> ReportJson {
    let run = &item.run;
    let assessment = item.assessment.as_ref();
    let expected_of = |stats: &EndpointStats| {
        run.failures
            .iter()
            .filter(|f| f.key == stats.key)
            .filter(|f| report.profile.expects(f))
            .map(|f| f.occurrences)
            .sum::<u64>()
    };
    let ungraded =
        |stats: &EndpointStats| endpoint_json(&ungraded_scope(stats, expected_of(stats)));
    let mut notes = assessment.map(|a| a.notes.clone()).unwrap_or_default();
    notes.extend(item.notes.iter().cloned());
    let comparison = item.baseline.as_ref();
    let path = |p: &std::path::Path| p.display().to_string();
    ReportJson {
        schema_version: SCHEMA_VERSION,
        tool: ToolJson {
            name: "loadgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        command: report.command,
        verdict: item.verdict(),
        profile: profile_json(&report.profile, &report.profile_source),
        run: RunJson {
            prefix: path(&run.files.prefix),
            stats_file: path(&run.files.stats),
            history_file: run.files.history.as_deref().map(path),
            failures_file: run.files.failures.as_deref().map(path),
            exceptions_file: run.files.exceptions.as_deref().map(path),
            format: run.dialect.as_str(),
            started_at: run.started_at().and_then(unix_to_rfc3339),
            duration_s: run.duration_s(),
            peak_users: run.peak_users(),
            history_rows: run.history.as_ref().map_or(0, |h| h.rows()),
            full_history: run.history.as_ref().is_some_and(|h| h.is_full()),
        },
        aggregated: match assessment {
            Some(a) => endpoint_json(&a.aggregated),
            None => ungraded(&run.aggregated),
        },
        endpoints: match assessment {
            Some(a) => a.endpoints.iter().map(endpoint_json).collect(),
            None => run.endpoints.iter().map(ungraded).collect(),
        },
        checks: assessment.map_or_else(Vec::new, |a| a.checks.iter().map(check_json).collect()),
        failures: run
            .failures
            .iter()
            .map(|f| FailureJson {
                method: f.key.method.clone(),
                name: f.key.name.clone(),
                message: f.message.clone(),
                occurrences: f.occurrences,
                status_code: status_in_message(&f.message),
                expected: report.profile.expects(f),
                first_seen: f.first_seen.clone(),
                last_seen: f.last_seen.clone(),
            })
            .collect(),
        exceptions: run
            .exceptions
            .iter()
            .map(|e| ExceptionJson {
                count: e.count,
                message: e.message.clone(),
                traceback: e.traceback.clone(),
                nodes: e.nodes.clone(),
            })
            .collect(),
        trends: item.trends.clone(),
        capacity: item.capacity.clone(),
        findings: item.findings.clone(),
        baseline: comparison.map(|b| BaselineJson {
            label: b.label.clone(),
            runs: b.comparison.baseline_runs,
            verdict: b.comparison.verdict,
        }),
        regressions: comparison.map_or_else(Vec::new, |b| b.comparison.regressions.clone()),
        new_endpoints: comparison.map_or_else(Vec::new, |b| b.comparison.new_endpoints.clone()),
        vanished_endpoints: comparison
            .map_or_else(Vec::new, |b| b.comparison.vanished_endpoints.clone()),
        notes,
    }
}

/// The figures of a scope that was not graded (`compare` grades nothing).
fn ungraded_scope(stats: &EndpointStats, expected: u64) -> ScopeResult {
    let expected = expected.min(stats.failures);
    ScopeResult {
        scope: Scope::Endpoint(stats.key.clone()),
        stats: stats.clone(),
        expected_failures: expected,
        error_rate: crate::model::ratio(stats.failures - expected, stats.requests),
        grade: None,
        status: Status::Pass,
        skipped: true,
    }
}

fn profile_json(profile: &Profile, source: &str) -> ProfileJson {
    ProfileJson {
        name: profile.name.clone(),
        description: profile.description.clone(),
        source: source.to_string(),
        warn_at: profile.gate.warn,
        fail_at: profile.gate.fail,
    }
}

fn endpoint_json(scope: &ScopeResult) -> EndpointJson {
    let s = &scope.stats;
    let p = |level: f64| s.percentiles.at(level);
    EndpointJson {
        method: s.key.method.clone(),
        name: s.key.name.clone(),
        requests: s.requests,
        failures: s.failures,
        expected_failures: scope.expected_failures,
        error_rate: scope.error_rate,
        total_error_rate: s.error_rate(),
        rps: s.rps,
        failures_per_s: s.failures_per_s,
        avg: s.avg_ms,
        min: s.min_ms,
        max: s.max(),
        avg_content_size: s.avg_content_size,
        p50: s.p50(),
        p66: p(0.66),
        p75: p(0.75),
        p80: p(0.80),
        p90: p(0.90),
        p95: p(0.95),
        p98: p(0.98),
        p99: p(0.99),
        p99_9: p(0.999),
        p99_99: p(0.9999),
        p100: p(1.0),
        graded: !scope.skipped,
        grade: scope.grade,
        status: scope.status,
    }
}

fn check_json(check: &Check) -> CheckJson {
    let (method, name) = match &check.scope {
        Scope::Aggregated => (None, None),
        Scope::Endpoint(key) => (Some(key.method.clone()), Some(key.name.clone())),
    };
    CheckJson {
        scope: check.scope.label(),
        method,
        name,
        metric: check.metric.key(),
        value: check.value,
        limit: check.limit,
        warn_limit: check.warn_limit,
        grade: check.grade,
        status: check.status,
        message: check.message(),
    }
}

fn unix_to_rfc3339(ts: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}
