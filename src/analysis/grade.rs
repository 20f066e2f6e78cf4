//! Grading a run against a profile: every configured metric of the aggregate and of each endpoint
//! becomes a check with a grade and a status; the worst status is the verdict.

use std::collections::HashMap;

use crate::model::{Better, EndpointKey, EndpointStats, Figures, Metric, Run, Scope, Status};
use crate::profile::{Grade, Limits, Profile};

/// One metric of one scope held against its bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub scope: Scope,
    pub metric: Metric,
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
        let better = match self.metric.better() {
            Better::Lower => "at most",
            Better::Higher => "at least",
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
    pub aggregated: ScopeResult,
    pub endpoints: Vec<ScopeResult>,
    pub checks: Vec<Check>,
    /// Things the reader should know that are not checks (e.g. a metric the file lacks).
    pub notes: Vec<String>,
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

/// The figures of every scope with the profile's expected failures taken out, graded by nothing:
/// what `compare` shows, since its verdict is about regressions only.
pub fn tally(run: &Run, profile: &Profile) -> (ScopeResult, Vec<ScopeResult>) {
    let expected = expected_failures(run, profile);
    let (mut checks, mut notes) = (Vec::new(), Vec::new());
    let mut scope = |scope: Scope, stats: &EndpointStats, expected: u64| {
        grade_scope(
            scope,
            stats,
            expected,
            None,
            profile,
            &mut checks,
            &mut notes,
        )
    };
    let endpoints = run
        .endpoints
        .iter()
        .map(|s| {
            let n = expected.get(&s.key).copied().unwrap_or(0);
            scope(Scope::Endpoint(s.key.clone()), s, n)
        })
        .collect();
    let aggregated = scope(Scope::Aggregated, &run.aggregated, expected.values().sum());
    (aggregated, endpoints)
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
            metric: Metric::Requests,
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

    Assessment {
        aggregated,
        endpoints,
        checks,
        notes,
    }
}

/// A graded scope's figures: its failures are the unexpected ones, so `error_rate` is the graded rate.
impl Figures for ScopeResult {
    fn requests(&self) -> u64 {
        self.stats.requests
    }
    fn failures(&self) -> u64 {
        self.stats.failures - self.expected_failures
    }
    fn rps(&self) -> f64 {
        self.stats.rps
    }
    fn avg_ms(&self) -> Option<f64> {
        self.stats.avg_ms
    }
    fn max_ms(&self) -> Option<f64> {
        self.stats.max()
    }
    fn percentile_ms(&self, index: usize) -> Option<f64> {
        self.stats.percentile_ms(index)
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
        let Some(value) = metric.of(&result) else {
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
            metric,
            value,
            limit: bands.limit_before(profile.gate.fail),
            warn_limit: bands.limit_before(profile.gate.warn),
            grade,
            status,
        });
    }
    result
}
