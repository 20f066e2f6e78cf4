//! Grading a run against a profile: every configured metric of the aggregate and of each endpoint
//! becomes a check with a grade and a status; the worst status is the verdict.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{EndpointKey, EndpointStats, Run};
use crate::profile::{Grade, Limits, Metric, Profile};

/// What a check, a scope or a whole run means for the gate. Ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of the run a check is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Aggregated,
    Endpoint(EndpointKey),
}

impl Scope {
    pub fn label(&self) -> String {
        match self {
            Scope::Aggregated => "aggregated".to_string(),
            Scope::Endpoint(key) => key.to_string(),
        }
    }
}

/// What is measured by a check: a profile metric, or the gate's minimum request count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckedMetric {
    Limit(Metric),
    Requests,
}

impl CheckedMetric {
    pub fn key(self) -> &'static str {
        match self {
            CheckedMetric::Limit(m) => m.key(),
            CheckedMetric::Requests => "requests",
        }
    }

    pub fn display(self, value: f64) -> String {
        match self {
            CheckedMetric::Limit(m) => m.display(value),
            CheckedMetric::Requests => format!("{value:.0}"),
        }
    }
}

/// One metric of one scope held against its bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub scope: Scope,
    pub metric: CheckedMetric,
    pub value: f64,
    /// The worst value that does not fail.
    pub limit: Option<f64>,
    /// The worst value that does not warn.
    pub warn_limit: Option<f64>,
    pub grade: Grade,
    pub status: Status,
}

impl Check {
    /// A sentence for logs, annotations and JUnit: what was measured against what.
    pub fn message(&self) -> String {
        let value = self.metric.display(self.value);
        let better = match self.metric {
            CheckedMetric::Limit(m) if !m.higher_is_better() => "at most",
            _ => "at least",
        };
        let bound = match self.status {
            Status::Fail => self.limit,
            _ => self.warn_limit,
        };
        match bound {
            Some(b) if self.status != Status::Pass => format!(
                "{} {} is {} ({}): {} {}",
                self.scope.label(),
                self.metric.key(),
                value,
                self.grade,
                better,
                self.metric.display(b)
            ),
            _ => format!(
                "{} {} is {} ({})",
                self.scope.label(),
                self.metric.key(),
                value,
                self.grade
            ),
        }
    }
}

/// The figures of one scope that grading used, with its worst grade.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeResult {
    pub scope: Scope,
    pub stats: EndpointStats,
    /// Failures that the profile declares expected (kept out of `error_rate`).
    pub expected_failures: u64,
    /// Unexpected failures as a fraction of requests: the graded error rate.
    pub error_rate: f64,
    /// The worst grade of its checks; `None` when nothing was graded (skipped or no limits).
    pub grade: Option<Grade>,
    pub status: Status,
    pub skipped: bool,
}

/// A run graded against a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub profile: String,
    pub verdict: Status,
    pub aggregated: ScopeResult,
    pub endpoints: Vec<ScopeResult>,
    pub checks: Vec<Check>,
    /// Things the reader should know that are not checks (e.g. a metric the file lacks).
    pub notes: Vec<String>,
}

impl Assessment {
    pub fn failed_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Fail)
    }
    pub fn warned_checks(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.status == Status::Warn)
    }
}

/// Expected failures per endpoint, by matching each failures-file row against the profile.
pub fn expected_failures(run: &Run, profile: &Profile) -> HashMap<EndpointKey, u64> {
    let mut counts = HashMap::new();
    for record in &run.failures {
        let expected = profile.expects(record);
        if expected {
            *counts.entry(record.key.clone()).or_insert(0) += record.occurrences;
        }
    }
    counts
}

/// Grades `run` against `profile`.
pub fn assess(run: &Run, profile: &Profile) -> Assessment {
    let mut notes = Vec::new();
    let expected = expected_failures(run, profile);
    if !profile.expected_failures.is_empty()
        && run.files.failures.is_none()
        && run.aggregated.failures > 0
    {
        notes.push(
            "no failures file: expected failures cannot be told apart, so every failure is graded"
                .to_string(),
        );
    }

    let mut checks = Vec::new();
    let endpoints: Vec<ScopeResult> = run
        .endpoints
        .iter()
        .map(|stats| {
            let scope = Scope::Endpoint(stats.key.clone());
            let expected = expected.get(&stats.key).copied().unwrap_or(0);
            let limits = profile.endpoint_limits(&stats.key.method, &stats.key.name);
            grade_scope(
                scope,
                stats,
                expected,
                limits.as_ref(),
                profile,
                &mut checks,
                &mut notes,
            )
        })
        .collect();

    let total_expected: u64 = expected.values().sum();
    let mut aggregated = grade_scope(
        Scope::Aggregated,
        &run.aggregated,
        total_expected.min(run.aggregated.failures),
        Some(&profile.aggregated_limits()),
        profile,
        &mut checks,
        &mut notes,
    );
    if run.aggregated.requests < profile.gate.min_requests {
        let check = Check {
            scope: Scope::Aggregated,
            metric: CheckedMetric::Requests,
            value: run.aggregated.requests as f64,
            limit: Some(profile.gate.min_requests as f64),
            warn_limit: Some(profile.gate.min_requests as f64),
            grade: Grade::Critical,
            status: Status::Fail,
        };
        aggregated.status = Status::Fail;
        aggregated.grade = Some(Grade::Critical);
        checks.insert(0, check);
    }

    let verdict = checks
        .iter()
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Pass);
    Assessment {
        profile: profile.name.clone(),
        verdict,
        aggregated,
        endpoints,
        checks,
        notes,
    }
}

fn metric_value(stats: &EndpointStats, metric: Metric, error_rate: f64) -> Option<f64> {
    match metric {
        Metric::P50 => stats.p50(),
        Metric::P90 => stats.percentiles.0[4],
        Metric::P95 => stats.percentiles.p95(),
        Metric::P99 => stats.percentiles.p99(),
        Metric::Avg => stats.avg_ms,
        Metric::Max => stats.max(),
        Metric::ErrorRate => Some(error_rate),
        Metric::Rps => Some(stats.rps),
    }
}

fn grade_scope(
    scope: Scope,
    stats: &EndpointStats,
    expected: u64,
    limits: Option<&Limits>,
    profile: &Profile,
    checks: &mut Vec<Check>,
    notes: &mut Vec<String>,
) -> ScopeResult {
    let unexpected = stats.failures.saturating_sub(expected);
    let error_rate = crate::model::ratio(unexpected, stats.requests);
    let mut result = ScopeResult {
        scope: scope.clone(),
        stats: stats.clone(),
        expected_failures: expected.min(stats.failures),
        error_rate,
        grade: None,
        status: Status::Pass,
        skipped: limits.is_none(),
    };
    let Some(limits) = limits else {
        return result;
    };
    for metric in Metric::ALL {
        let Some(bands) = limits.get(metric) else {
            continue;
        };
        let Some(value) = metric_value(stats, metric, error_rate) else {
            if stats.requests > 0 {
                let note = format!("{metric} is not in the stats file: not graded");
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            continue;
        };
        if stats.requests == 0 && metric != Metric::Rps {
            continue;
        }
        let grade = bands.grade(value, metric.higher_is_better());
        let status = if grade >= profile.gate.fail {
            Status::Fail
        } else if grade >= profile.gate.warn {
            Status::Warn
        } else {
            Status::Pass
        };
        result.grade = result.grade.max(Some(grade));
        result.status = result.status.max(status);
        checks.push(Check {
            scope: scope.clone(),
            metric: CheckedMetric::Limit(metric),
            value,
            limit: bands.limit_before(profile.gate.fail),
            warn_limit: bands.limit_before(profile.gate.warn),
            grade,
            status,
        });
    }
    result
}
