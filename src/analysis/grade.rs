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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dialect, FailureRecord, Percentiles, RunFiles};

    /// An endpoint's row with P50/P90/P95/P99 known, the other percentiles `N/A`.
    fn stats(method: &str, name: &str, requests: u64, failures: u64, p95: f64) -> EndpointStats {
        let mut percentiles = [None; 11];
        percentiles[0] = Some(p95 / 3.0);
        percentiles[4] = Some(p95 * 0.8);
        percentiles[5] = Some(p95);
        percentiles[7] = Some(p95 * 1.5);
        EndpointStats {
            key: EndpointKey::new(method, name),
            requests,
            failures,
            rps: requests as f64 / 60.0,
            failures_per_s: Some(failures as f64 / 60.0),
            avg_ms: Some(p95 / 2.5),
            min_ms: Some(3.0),
            max_ms: Some(p95 * 2.0),
            median_ms: Some(p95 / 3.0),
            avg_content_size: Some(512.0),
            percentiles: Percentiles(percentiles),
            custom_percentiles: Vec::new(),
            histogram: None,
        }
    }

    fn run(endpoints: Vec<EndpointStats>, aggregated: EndpointStats) -> Run {
        Run {
            files: RunFiles {
                prefix: "results/nightly".into(),
                stats: "results/nightly_stats.csv".into(),
                history: None,
                failures: Some("results/nightly_failures.csv".into()),
                exceptions: None,
            },
            dialect: Dialect::Locust,
            endpoints,
            aggregated,
            failures: Vec::new(),
            exceptions: Vec::new(),
            history: None,
            notes: Vec::new(),
            info: Default::default(),
        }
    }

    /// A run of one aggregate row only.
    fn aggregate_only(requests: u64, failures: u64, p95: f64) -> Run {
        run(Vec::new(), stats("", "Aggregated", requests, failures, p95))
    }

    fn profile(toml: &str) -> Profile {
        Profile::parse(&format!("name = \"test\"\n{toml}"), "test.toml").unwrap()
    }

    const P95_BANDS: &str =
        "[thresholds]\np95 = { excellent = 50, good = 100, acceptable = 200, poor = 500 }\n";

    fn only_check(assessment: &Assessment) -> &Check {
        assert_eq!(assessment.checks.len(), 1, "{:#?}", assessment.checks);
        &assessment.checks[0]
    }

    #[test]
    fn a_value_on_a_band_bound_earns_that_band_and_just_past_it_the_next() {
        let p = profile(P95_BANDS);
        let cases = [
            (12.0, Grade::Excellent, Status::Pass),
            (50.0, Grade::Excellent, Status::Pass),
            (50.5, Grade::Good, Status::Pass),
            (100.0, Grade::Good, Status::Pass),
            (100.5, Grade::Acceptable, Status::Pass),
            (200.0, Grade::Acceptable, Status::Pass),
            (200.5, Grade::Poor, Status::Warn),
            (500.0, Grade::Poor, Status::Warn),
            (500.5, Grade::Critical, Status::Fail),
            (2400.0, Grade::Critical, Status::Fail),
        ];
        for (p95, grade, status) in cases {
            let a = assess(&aggregate_only(1000, 0, p95), &p);
            let check = only_check(&a);
            assert_eq!(
                (check.metric, check.value, check.grade, check.status),
                (Metric::P95, p95, grade, status),
                "p95 {p95} ms"
            );
            assert_eq!((check.limit, check.warn_limit), (Some(500.0), Some(200.0)));
            assert_eq!(
                (a.aggregated.grade, a.aggregated.status),
                (Some(grade), status)
            );
        }
    }

    #[test]
    fn the_gate_decides_which_grades_warn_and_fail() {
        let p = profile(&format!(
            "[gate]\nwarn = \"acceptable\"\nfail = \"poor\"\n{P95_BANDS}"
        ));
        let cases = [
            (100.0, Status::Pass),
            (100.5, Status::Warn),
            (200.0, Status::Warn),
            (200.5, Status::Fail),
            (500.5, Status::Fail),
        ];
        for (p95, status) in cases {
            let a = assess(&aggregate_only(1000, 0, p95), &p);
            let check = only_check(&a);
            assert_eq!(check.status, status, "p95 {p95} ms");
            assert_eq!((check.limit, check.warn_limit), (Some(200.0), Some(100.0)));
        }
    }

    #[test]
    fn a_check_message_names_the_bound_it_crossed() {
        let p = profile(P95_BANDS);
        let message = |p95: f64| only_check(&assess(&aggregate_only(1000, 0, p95), &p)).message();
        assert_eq!(message(80.0), "aggregated p95 is 80 ms (good)");
        assert_eq!(
            message(240.0),
            "aggregated p95 is 240 ms (poor): at most 200 ms"
        );
        assert_eq!(
            message(612.5),
            "aggregated p95 is 612.5 ms (critical): at most 500 ms"
        );
    }

    #[test]
    fn a_throughput_floor_passes_at_the_floor_and_fails_below_it() {
        let p = profile("[aggregated]\nrps = 50\n");
        let cases = [(3000, Status::Pass), (2999, Status::Fail)];
        for (requests, status) in cases {
            // Sixty seconds: 3,000 requests are 50 req/s.
            let a = assess(&aggregate_only(requests, 0, 120.0), &p);
            let check = only_check(&a);
            assert_eq!(
                (check.metric, check.status),
                (Metric::Rps, status),
                "{requests}"
            );
        }
    }

    #[test]
    fn a_run_with_fewer_requests_than_the_minimum_fails_first() {
        let p = profile(&format!("[gate]\nmin_requests = 100\n{P95_BANDS}"));
        let enough = assess(&aggregate_only(100, 0, 80.0), &p);
        assert_eq!(only_check(&enough).metric, Metric::P95);
        assert_eq!(enough.aggregated.status, Status::Pass);

        let short = assess(&aggregate_only(99, 0, 80.0), &p);
        assert_eq!(short.checks.len(), 2);
        let first = &short.checks[0];
        assert_eq!(
            (
                first.metric,
                first.value,
                first.limit,
                first.grade,
                first.status
            ),
            (
                Metric::Requests,
                99.0,
                Some(100.0),
                Grade::Critical,
                Status::Fail
            )
        );
        assert_eq!(
            first.message(),
            "aggregated requests is 99 (critical): at least 100"
        );
        assert_eq!(
            (short.aggregated.grade, short.aggregated.status),
            (Some(Grade::Critical), Status::Fail)
        );
    }

    #[test]
    fn an_empty_run_fails_the_default_minimum_of_one_request() {
        let p = profile(P95_BANDS);
        let a = assess(&aggregate_only(0, 0, 80.0), &p);
        // Latencies of no requests are not graded; the request count is.
        assert_eq!(only_check(&a).metric, Metric::Requests);
        assert_eq!(a.aggregated.status, Status::Fail);
        assert_eq!(
            only_check(&assess(&aggregate_only(1, 0, 80.0), &p)).metric,
            Metric::P95
        );
    }

    const RATE_LIMITED: &str = r#"[thresholds]
error_rate = { excellent = 0.001, good = 0.01, poor = 0.05 }
[[expected_failure]]
status = 429
reason = "rate limited by design"
"#;

    fn failure(name: &str, message: &str, status: Option<u16>, occurrences: u64) -> FailureRecord {
        FailureRecord {
            key: EndpointKey::new("POST", name),
            message: message.to_string(),
            occurrences,
            status_code: status,
            first_seen: None,
            last_seen: None,
        }
    }

    fn rate_limited_run(with_failures_file: bool) -> Run {
        let mut r = run(
            vec![
                stats("POST", "/api/orders", 600, 30, 140.0),
                stats("GET", "/api/catalog", 400, 0, 60.0),
            ],
            stats("", "Aggregated", 1000, 30, 120.0),
        );
        if with_failures_file {
            r.failures = vec![
                failure(
                    "/api/orders",
                    "HTTPError('429 Client Error: Too Many Requests')",
                    Some(429),
                    25,
                ),
                failure(
                    "/api/orders",
                    "HTTPError('500 Server Error: Internal Server Error')",
                    Some(500),
                    5,
                ),
            ];
        } else {
            r.files.failures = None;
        }
        r
    }

    #[test]
    fn expected_failures_are_kept_out_of_the_graded_error_rate() {
        let p = profile(RATE_LIMITED);
        let a = assess(&rate_limited_run(true), &p);
        // 5 of 1,000 unexpected: 0.5%, good; all 30 would be 3%, poor.
        assert_eq!(
            (a.aggregated.expected_failures, a.aggregated.error_rate),
            (25, 0.005)
        );
        let orders = &a.endpoints[0];
        assert_eq!(
            (orders.expected_failures, orders.error_rate),
            (25, 5.0 / 600.0)
        );
        let graded: Vec<(String, f64, Grade)> = a
            .checks
            .iter()
            .map(|c| (c.scope.label(), c.value, c.grade))
            .collect();
        assert_eq!(
            graded,
            [
                ("POST /api/orders".to_string(), 5.0 / 600.0, Grade::Good),
                ("GET /api/catalog".to_string(), 0.0, Grade::Excellent),
                ("aggregated".to_string(), 0.005, Grade::Good),
            ]
        );
        assert!(a.notes.is_empty(), "{:?}", a.notes);

        // The same run against a profile expecting nothing.
        let strict = profile(RATE_LIMITED.split("[[expected_failure]]").next().unwrap());
        let a = assess(&rate_limited_run(true), &strict);
        assert_eq!(
            (a.aggregated.expected_failures, a.aggregated.error_rate),
            (0, 0.03)
        );
        assert_eq!(a.aggregated.grade, Some(Grade::Poor));
    }

    #[test]
    fn without_a_failures_file_every_failure_is_graded_and_a_note_says_so() {
        let p = profile(RATE_LIMITED);
        let a = assess(&rate_limited_run(false), &p);
        assert_eq!(
            (a.aggregated.expected_failures, a.aggregated.error_rate),
            (0, 0.03)
        );
        assert_eq!(
            a.notes,
            ["no failures file: expected failures cannot be told apart, so every failure is graded"]
        );
        // No failures at all: nothing to tell apart, no note.
        let mut clean = rate_limited_run(false);
        clean.aggregated.failures = 0;
        assert!(assess(&clean, &p).notes.is_empty());
    }

    #[test]
    fn a_skipped_endpoint_is_reported_but_never_graded() {
        let p = profile(&format!(
            "{P95_BANDS}[[endpoint]]\nname = \"/health*\"\nskip = true\n"
        ));
        let r = run(
            vec![
                stats("GET", "/healthz", 500, 500, 9000.0),
                stats("GET", "/api/catalog", 500, 0, 80.0),
            ],
            stats("", "Aggregated", 1000, 500, 160.0),
        );
        let a = assess(&r, &p);
        let health = &a.endpoints[0];
        assert_eq!(
            (
                health.skipped,
                health.grade,
                health.status,
                health.error_rate
            ),
            (true, None, Status::Pass, 1.0)
        );
        assert!(!a.endpoints[1].skipped);
        let scopes: Vec<String> = a.checks.iter().map(|c| c.scope.label()).collect();
        assert_eq!(scopes, ["GET /api/catalog", "aggregated"]);
    }

    #[test]
    fn a_metric_missing_from_the_file_gives_one_note_and_no_check() {
        let p = profile("[thresholds]\np90 = 300\np95 = 500\n");
        let mut endpoint = stats("GET", "/api/catalog", 500, 0, 80.0);
        let mut aggregated = stats("", "Aggregated", 500, 0, 80.0);
        endpoint.percentiles.0[4] = None;
        aggregated.percentiles.0[4] = None;
        let a = assess(&run(vec![endpoint], aggregated), &p);
        assert_eq!(a.notes, ["p90 is not in the stats file: not graded"]);
        let metrics: Vec<Metric> = a.checks.iter().map(|c| c.metric).collect();
        assert_eq!(metrics, [Metric::P95, Metric::P95]);
    }

    #[test]
    fn a_zero_request_endpoint_is_graded_on_throughput_only_and_gives_no_notes() {
        let p = profile("[thresholds]\np95 = 500\nerror_rate = 0.01\nrps = 1\n");
        let mut idle = stats("GET", "/api/export", 0, 0, 0.0);
        idle.percentiles = Percentiles::default();
        idle.avg_ms = None;
        idle.max_ms = None;
        idle.median_ms = None;
        let r = run(vec![idle], stats("", "Aggregated", 6000, 0, 80.0));
        let a = assess(&r, &p);
        let idle_checks: Vec<(Metric, f64, Status)> = a
            .checks
            .iter()
            .filter(|c| !c.scope.is_aggregated())
            .map(|c| (c.metric, c.value, c.status))
            .collect();
        assert_eq!(idle_checks, [(Metric::Rps, 0.0, Status::Fail)]);
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        assert_eq!(a.endpoints[0].error_rate, 0.0);

        // Without a throughput limit nothing of it is graded: no grade, and it passes.
        let p = profile("[thresholds]\np95 = 500\nerror_rate = 0.01\n");
        let a = assess(&r, &p);
        assert_eq!(
            (
                a.endpoints[0].grade,
                a.endpoints[0].status,
                a.endpoints[0].skipped
            ),
            (None, Status::Pass, false)
        );
        assert!(a.checks.iter().all(|c| c.scope.is_aggregated()));
    }
}
