//! The versioned JSON report: a public interface. Every field is documented in `docs/json-report.md`;
//! renaming or removing one requires raising [`SCHEMA_VERSION`].

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::exporter::{Context, Exporter, Report};
use super::history::HistoryReport;
use crate::analysis::capacity::Capacity;
use crate::analysis::comparability::Difference;
use crate::analysis::findings::Finding;
use crate::analysis::grade::{Check, ScopeResult};
use crate::analysis::history::{Break, HistoryRun};
use crate::analysis::judgement::ServerJudgement;
use crate::analysis::paired::AbComparison;
use crate::analysis::regression::{Direction, Regression, RunnerCall};
use crate::analysis::scaling::Scaling;
use crate::analysis::server_baseline::ServerComparison;
use crate::analysis::signatures::Change;
use crate::analysis::sustained::Sustained;
use crate::analysis::trend::Trend;
use crate::analysis::{Judgement, RunJudgement};
use crate::machine::Machine;
use crate::model::{Metric, RunnerSummary, Scope, Status};
use crate::profile::{Grade, Profile};

/// 2: each report has `server` (what the server did, `--prometheus`).
pub const SCHEMA_VERSION: u32 = 2;

pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn render(&self, report: Report, _: &Context) -> Result<Vec<u8>> {
        let mut bytes = match report {
            Report::Judgement(judgement) => judgement_json(judgement)?,
            Report::History(history) => serde_json::to_vec_pretty(&history_json(history))?,
        };
        bytes.push(b'\n');
        // Printed on a terminal or a CI log as often as saved (`--format json`).
        let text = String::from_utf8(bytes)?;
        Ok(super::untrusted::json(text).into_bytes())
    }
}

/// When the report was made, to the second: `2026-01-02T03:04:05Z`.
pub fn rfc3339(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `history`'s report: the archive's runs in the order they happened, the breaks, the notes.
#[derive(Serialize)]
struct HistoryJson<'a> {
    schema_version: u32,
    command: &'static str,
    generated_at: String,
    verdict: Status,
    runs: &'a [HistoryRun],
    breaks: &'a [Break],
    notes: &'a [String],
    /// `--prometheus`: the newest run's server reading; null without a backend.
    server: Option<serde_json::Value>,
}

fn history_json(history: &HistoryReport) -> HistoryJson<'_> {
    HistoryJson {
        schema_version: SCHEMA_VERSION,
        command: "history",
        generated_at: rfc3339(&history.generated_at),
        verdict: history.verdict,
        runs: &history.runs,
        breaks: &history.breaks,
        notes: &history.notes,
        server: history.server.as_ref().map(|(run, reading)| {
            let mut value = crate::server::listing::json(reading);
            value["run"] = serde_json::Value::from(run.as_str());
            value
        }),
    }
}

fn judgement_json(judgement: &Judgement) -> Result<Vec<u8>> {
    Ok(if let [only] = judgement.runs.as_slice() {
        serde_json::to_vec_pretty(&run_json(judgement, only))?
    } else {
        serde_json::to_vec_pretty(&ReportSetJson {
            schema_version: SCHEMA_VERSION,
            verdict: judgement.verdict,
            reports: judgement
                .runs
                .iter()
                .map(|r| run_json(judgement, r))
                .collect(),
            scaling: judgement.scaling.clone(),
        })?
    })
}

#[derive(Serialize)]
struct ReportSetJson {
    schema_version: u32,
    verdict: Status,
    reports: Vec<ReportJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scaling: Option<Scaling>,
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
    regressions: Vec<RegressionJson>,
    run_wide_shifts: Vec<ShiftJson>,
    new_endpoints: Vec<String>,
    vanished_endpoints: Vec<String>,
    notes: Vec<String>,
    /// `ab` only: B against A from the request pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    ab: Option<AbJson>,
    new_errors: Vec<NewErrorJson>,
    sustained: Vec<Sustained>,
    /// What the server did (`--prometheus`); null when no backend was read.
    server: Option<serde_json::Value>,
    /// The load tester's own verdicts (k6's thresholds, checks, groups); null when its files
    /// keep none.
    tool_verdicts: Option<ToolVerdictsJson>,
}

#[derive(Serialize)]
struct ToolVerdictsJson {
    tool: &'static str,
    thresholds: Vec<ToolThresholdJson>,
    checks: Vec<ToolCheckJson>,
    groups: Vec<ToolGroupJson>,
}

#[derive(Serialize)]
struct ToolThresholdJson {
    metric: String,
    expression: String,
    ok: Option<bool>,
}

#[derive(Serialize)]
struct ToolCheckJson {
    name: String,
    group: String,
    passes: u64,
    fails: u64,
}

#[derive(Serialize)]
struct ToolGroupJson {
    path: String,
    count: u64,
    avg_ms: Option<f64>,
    p95_ms: Option<f64>,
    max_ms: Option<f64>,
}

fn tool_verdicts_json(run: &crate::model::Run) -> Option<ToolVerdictsJson> {
    let tool = &run.info.tool;
    (!tool.is_empty()).then(|| ToolVerdictsJson {
        tool: super::view::tool_name(run),
        thresholds: tool
            .thresholds
            .iter()
            .map(|t| ToolThresholdJson {
                metric: t.metric.clone(),
                expression: t.expression.clone(),
                ok: t.ok,
            })
            .collect(),
        checks: tool
            .checks
            .iter()
            .map(|c| ToolCheckJson {
                name: c.name.clone(),
                group: c.group.clone(),
                passes: c.passes,
                fails: c.fails,
            })
            .collect(),
        groups: tool
            .groups
            .iter()
            .map(|g| ToolGroupJson {
                path: g.path.clone(),
                count: g.count,
                avg_ms: g.avg_ms,
                p95_ms: g.p95_ms,
                max_ms: g.max_ms,
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct NewErrorJson {
    kind: String,
    method: String,
    name: String,
    status_code: Option<u16>,
    signature: String,
    example: String,
    count: u64,
    requests: u64,
    baseline_count: u64,
    expected: f64,
    change: Change,
    status: Status,
    reason: String,
}

#[derive(Serialize)]
struct AbJson {
    a: String,
    b: String,
    verdict: Status,
    pairs: usize,
    b_first: usize,
    confidence: f64,
    resamples: usize,
    seed: u64,
    method: String,
    changes: Vec<AbChangeJson>,
}

#[derive(Serialize)]
struct AbChangeJson {
    scope: Scope,
    method: Option<String>,
    name: Option<String>,
    metric: Metric,
    pairs: usize,
    a: f64,
    b: f64,
    change: f64,
    interval: [f64; 2],
    limit: f64,
    status: Status,
    reason: String,
}

fn ab_json(ab: &AbComparison) -> AbJson {
    AbJson {
        a: ab.a_label.clone(),
        b: ab.b_label.clone(),
        verdict: ab.verdict,
        pairs: ab.pairs,
        b_first: ab.b_first,
        confidence: ab.confidence,
        resamples: ab.resamples,
        seed: ab.seed,
        method: ab.method.clone(),
        changes: ab
            .changes
            .iter()
            .map(|c| {
                let (method, name) = scope_parts(&c.scope);
                AbChangeJson {
                    scope: c.scope.clone(),
                    method,
                    name,
                    metric: c.metric,
                    pairs: c.pairs,
                    a: c.a,
                    b: c.b,
                    change: c.change,
                    interval: [c.interval.0, c.interval.1],
                    limit: c.limit,
                    status: c.status,
                    reason: c.reason.clone(),
                }
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct RegressionJson {
    scope: Scope,
    method: Option<String>,
    name: Option<String>,
    metric: Metric,
    baseline: f64,
    current: f64,
    change: f64,
    change_pct: Option<f64>,
    direction: Direction,
    status: Status,
    reason: String,
    noise_pct: Option<f64>,
    noise_source: Option<&'static str>,
}

#[derive(Serialize)]
struct ShiftJson {
    metric: Metric,
    ms: f64,
    factor: f64,
    probes: Vec<String>,
    endpoints: Vec<String>,
    status: Status,
    reason: String,
}

#[derive(Serialize)]
struct BaselineJson {
    label: String,
    runs: usize,
    verdict: Status,
    /// Where the newest kept run was saved (baselines from loadgate 0.1 do not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    machine: Option<Machine>,
    /// False when the named baseline does not exist yet: nothing was compared.
    compared: bool,
    /// How the run was made differently from the baseline's newest run.
    differences: Vec<Difference>,
    /// The baseline's newest run kept its histograms (it was read from Locust's JSON).
    histograms: bool,
    /// What the runners' records said of the runner (docs/runner-record.md).
    runner: RunnerCallJson,
}

#[derive(Serialize)]
struct RunnerCallJson {
    call: &'static str,
    /// The kept run (1 = the oldest) whose record vouches, when the call is `held`.
    kept_run: Option<usize>,
    /// The figures both records show (`held`) or that moved (`busier`); `null` when unknown.
    why: Option<String>,
    /// With `held`: the generator waited for a CPU in both runs (a contended machine).
    contended: bool,
    /// With `held`: the generator waited for a CPU measurably less than in the kept run.
    calmer: bool,
    /// With `held`: the generator could run on fewer CPUs than in the kept run.
    fewer_cpus: bool,
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
    /// Every endpoint's whole response-time histogram was read (Locust's JSON).
    histograms: bool,
    /// The Locust version that wrote the run: its console log's, else `--locust-version` or the
    /// config's; null when unknown (and for other tools' runs).
    locust_version: Option<String>,
    /// The runner record found beside the run (`loadgate record`); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    runner: Option<RunnerJson>,
}

#[derive(Serialize)]
struct RunnerJson {
    file: String,
    command: String,
    started_at: String,
    ended_at: String,
    interval_s: f64,
    summary: Option<RunnerSummary>,
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
    custom_percentiles: Vec<CustomPercentileJson>,
    graded: bool,
    grade: Option<Grade>,
    status: Status,
}

/// A percentile column beyond the default eleven (`PERCENTILES_TO_REPORT`).
#[derive(Serialize)]
struct CustomPercentileJson {
    label: String,
    level: f64,
    ms: Option<f64>,
}

#[derive(Serialize)]
struct CheckJson {
    scope: Scope,
    method: Option<String>,
    name: Option<String>,
    metric: Metric,
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

fn run_json(judgement: &Judgement, item: &RunJudgement) -> ReportJson {
    let run = &item.run;
    let comparison = item.baseline.as_ref();
    let path = |p: &std::path::Path| p.display().to_string();
    ReportJson {
        schema_version: SCHEMA_VERSION,
        tool: ToolJson {
            name: "loadgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at: rfc3339(&judgement.generated_at),
        command: judgement.command,
        verdict: judgement.verdict_of(item),
        profile: profile_json(&judgement.profile, &judgement.profile_source),
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
            histograms: run.aggregated.histogram.is_some(),
            locust_version: run.info.locust_version.clone(),
            runner: run.info.evidence.runner.as_ref().map(|r| RunnerJson {
                file: path(&r.path),
                command: r.record.command.clone(),
                started_at: r.record.started_at.clone(),
                ended_at: r.record.ended_at.clone(),
                interval_s: r.record.interval_s,
                summary: r.record.summary.clone(),
            }),
        },
        aggregated: endpoint_json(&item.aggregated),
        endpoints: item.endpoints.iter().map(endpoint_json).collect(),
        checks: item.checks.iter().map(check_json).collect(),
        failures: item
            .failures
            .iter()
            .map(|f| FailureJson {
                method: f.record.key.method.clone(),
                name: f.record.key.name.clone(),
                message: f.record.message.clone(),
                occurrences: f.record.occurrences,
                status_code: f.record.status_code,
                expected: f.expected,
                first_seen: f.record.first_seen.clone(),
                last_seen: f.record.last_seen.clone(),
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
            machine: b.comparison.baseline_machine.clone(),
            compared: b.comparison.compared(),
            differences: b.comparison.differences.clone(),
            histograms: b.comparison.baseline_histograms,
            runner: RunnerCallJson {
                call: b.comparison.runner.key(),
                kept_run: match &b.comparison.runner {
                    RunnerCall::Held { against, .. } => Some(against + 1),
                    _ => None,
                },
                why: match &b.comparison.runner {
                    RunnerCall::Held { figures, .. } => Some(figures.clone()),
                    RunnerCall::Busier { why } => Some(why.clone()),
                    RunnerCall::Unknown => None,
                },
                contended: matches!(
                    b.comparison.runner,
                    RunnerCall::Held {
                        contended: true,
                        ..
                    }
                ),
                calmer: matches!(b.comparison.runner, RunnerCall::Held { calmer: true, .. }),
                fewer_cpus: matches!(
                    b.comparison.runner,
                    RunnerCall::Held {
                        fewer_cpus: true,
                        ..
                    }
                ),
            },
        }),
        regressions: comparison.map_or_else(Vec::new, |b| {
            b.comparison
                .regressions
                .iter()
                .map(regression_json)
                .collect()
        }),
        run_wide_shifts: comparison.map_or_else(Vec::new, |b| {
            b.comparison
                .shifts
                .iter()
                .map(|s| ShiftJson {
                    metric: s.shift.metric,
                    ms: s.shift.ms,
                    factor: s.shift.factor,
                    probes: s.shift.probes.clone(),
                    endpoints: s.shift.endpoints.clone(),
                    status: s.status,
                    reason: s.reason.clone(),
                })
                .collect()
        }),
        new_endpoints: comparison.map_or_else(Vec::new, |b| b.comparison.new_endpoints.clone()),
        vanished_endpoints: comparison
            .map_or_else(Vec::new, |b| b.comparison.vanished_endpoints.clone()),
        notes: item
            .notes
            .iter()
            .chain(comparison.iter().flat_map(|b| &b.comparison.notes))
            .cloned()
            .collect(),
        ab: judgement.ab.as_ref().map(ab_json),
        new_errors: comparison.map_or_else(Vec::new, |b| {
            b.comparison
                .new_errors
                .iter()
                .map(|e| NewErrorJson {
                    kind: e.current.kind.clone(),
                    method: e.current.method.clone(),
                    name: e.current.name.clone(),
                    status_code: e.current.status_code,
                    signature: e.current.signature.clone(),
                    example: e.current.example.clone(),
                    count: e.current.count,
                    requests: e.current.requests,
                    baseline_count: e.baseline_count,
                    expected: e.expected,
                    change: e.change,
                    status: e.status,
                    reason: e.reason.clone(),
                })
                .collect()
        }),
        sustained: item.sustained.clone(),
        server: item.server.as_ref().map(server_json),
        tool_verdicts: tool_verdicts_json(run),
    }
}

/// The server section: the reading as `loadgate server --format json` lists it (every series with
/// its summary, every rule with its value, limit and grade, the notes) and the findings with their
/// numbers.
fn server_json(server: &ServerJudgement) -> serde_json::Value {
    let mut value = crate::server::listing::json(&server.reading);
    value["findings"] = serde_json::to_value(&server.findings).unwrap_or_default();
    value["figures"] = server
        .figures
        .as_ref()
        .map_or(serde_json::Value::Null, |f| {
            serde_json::to_value(&f.figures).unwrap_or_default()
        });
    if let Some(c) = &server.comparison {
        value["status"] =
            serde_json::to_value(server.reading.status().max(c.status())).unwrap_or_default();
        value["baseline"] = server_comparison_json(c);
    } else {
        value["baseline"] = serde_json::Value::Null;
    }
    value
}

/// The server's figures against the baseline's (`server.baseline`).
fn server_comparison_json(c: &ServerComparison) -> serde_json::Value {
    let figures: Vec<serde_json::Value> = c
        .figures
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.figure.kind,
                "name": f.figure.name,
                "job": f.figure.job,
                "label": f.figure.label(),
                "unit": f.figure.unit,
                "over": f.figure.over,
                "floor": f.figure.floor,
                "baseline": f.baseline,
                "current": f.figure.value,
                "kept": f.kept,
                "change": f.change,
                "change_pct": f.change_pct,
                "moved": f.moved,
                "noise": f.noise.map(|n| n.bound),
                "noise_pct": f.noise.and_then(|n| n.relative).map(|r| r * 100.0),
                "noise_source": f.noise.map(|n| n.source.key()),
                "status": f.status,
                "reason": f.reason,
            })
        })
        .collect();
    serde_json::json!({
        "status": c.status(),
        "baseline_runs": c.baseline_runs,
        "with_figures": c.with_figures,
        "figures": figures,
        "notes": c.notes,
    })
}

/// The scope's label and, for an endpoint, its method and name apart.
fn scope_parts(scope: &Scope) -> (Option<String>, Option<String>) {
    match scope.endpoint() {
        Some(key) => (Some(key.method.clone()), Some(key.name.clone())),
        None => (None, None),
    }
}

fn regression_json(r: &Regression) -> RegressionJson {
    let (method, name) = scope_parts(&r.scope);
    RegressionJson {
        scope: r.scope.clone(),
        method,
        name,
        metric: r.metric,
        baseline: r.baseline,
        current: r.current,
        change: r.change,
        change_pct: r.change_pct,
        direction: r.direction,
        status: r.status,
        reason: r.reason.clone(),
        noise_pct: r.noise.map(|n| n.bound * 100.0),
        noise_source: r.noise.map(|n| n.source.key()),
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

/// A scope that was not graded (skipped by the profile, or any scope of `compare`) says so.
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
        custom_percentiles: s
            .custom_percentiles
            .iter()
            .map(|c| CustomPercentileJson {
                label: c.label.clone(),
                level: c.level,
                ms: c.ms,
            })
            .collect(),
        graded: !scope.skipped,
        grade: scope.grade,
        status: scope.status,
    }
}

fn check_json(check: &Check) -> CheckJson {
    let (method, name) = scope_parts(&check.scope);
    CheckJson {
        scope: check.scope.clone(),
        method,
        name,
        metric: check.metric,
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
