//! Advice: rule-based findings about a run, each with the evidence from the data that triggered it.
//! No rule fires without numbers to show for it.

use serde::{Serialize, Serializer};

use super::capacity::Capacity;
use super::series::interval_iter;
use super::steady;
use super::trend::Trend;
use crate::model::{Better, EndpointStats, Run, Scope, Status};

/// Requests below which a P95 rests on a handful of samples (5 at 100 requests).
const FEW_FOR_P95: u64 = 100;
/// Requests below which a P99 rests on fewer than 5 samples.
const FEW_FOR_P99: u64 = 500;

/// What a finding is about: one scope, or several endpoints at once.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Scope(Scope),
    /// A statement about a list of endpoints (named in the evidence).
    Endpoints,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Scope(scope) => scope.fmt(f),
            Subject::Endpoints => f.write_str("endpoints"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `tail_latency`, `errors_concentrated`, `rate_limited`, `saturation`, `latency_climbing`,
    /// `throughput_falling`, `slow_warmup`, `too_few_requests`, `endpoint_failing`, `error_classes`,
    /// `timeouts`, `high_latency`, `low_throughput` or `run_too_short`.
    pub kind: &'static str,
    pub scope: Subject,
    pub evidence: String,
    pub advice: String,
}

impl Finding {
    /// A finding of `kind` about `scope`, with its evidence and what to do.
    pub fn new(kind: &'static str, scope: Subject, evidence: String, advice: &str) -> Finding {
        Finding {
            kind,
            scope,
            evidence,
            advice: advice.to_string(),
        }
    }

    /// A finding about one scope (an endpoint or the aggregate).
    pub fn on_scope(kind: &'static str, scope: Scope, evidence: String, advice: &str) -> Finding {
        Finding::new(kind, Subject::Scope(scope), evidence, advice)
    }
}

/// Every finding the run supports.
pub fn findings(run: &Run, trends: &[Trend], capacity: Option<&Capacity>) -> Vec<Finding> {
    let mut out = Vec::new();
    tail_latency(run, &mut out);
    errors_concentrated(run, &mut out);
    if let Some(c) = capacity.filter(|c| c.knee_users.is_some()) {
        out.push(Finding::on_scope(
            "saturation",
            Scope::Aggregated,
            c.reason.clone(),
            "Throughput plateaued while latency rose: the system is saturated beyond this load. Profile \
             the bottleneck (CPU, connection pools, locks, a downstream service) before adding users.",
        ));
    }
    for t in trends.iter().filter(|t| t.status != Status::Pass) {
        let (kind, advice) = match t.metric.better() {
            Better::Higher => (
                "throughput_falling",
                "Throughput fell at constant load: look for memory leaks, growing queues or exhausted pools.",
            ),
            Better::Lower => (
                "latency_climbing",
                "Latency climbed at constant load: a leak or resource exhaustion (memory, connections, \
                 file handles, cache growth). Run longer and watch the service's resources.",
            ),
        };
        out.push(Finding::on_scope(
            kind,
            t.scope.clone(),
            t.reason.clone(),
            advice,
        ));
    }
    slow_warmup(run, &mut out);
    too_few_requests(run, &mut out);
    out
}

fn scopes(run: &Run) -> impl Iterator<Item = (Scope, &EndpointStats)> {
    run.endpoints
        .iter()
        .map(|e| (Scope::Endpoint(e.key.clone()), e))
        .chain(std::iter::once((Scope::Aggregated, &run.aggregated)))
}

fn tail_latency(run: &Run, out: &mut Vec<Finding>) {
    for (scope, s) in scopes(run) {
        let (Some(p95), Some(p99)) = (s.percentiles.p95(), s.percentiles.p99()) else {
            continue;
        };
        // Only where P99 rests on at least 5 requests, and the gap is more than rounding.
        if s.requests >= FEW_FOR_P99 && p95 > 0.0 && p99 >= 3.0 * p95 && p99 - p95 >= 20.0 {
            out.push(Finding::on_scope(
                "tail_latency",
                scope,
                format!(
                    "p99 {p99:.0} ms is {:.1}x p95 {p95:.0} ms over {} requests (max {:.0} ms)",
                    p99 / p95,
                    s.requests,
                    s.max().unwrap_or(p99)
                ),
                "Investigate the outliers: cold starts, GC pauses, lock contention, retries or a slow \
                 dependency. A warm-up phase and timeouts bound the long tail.",
            ));
        }
    }
}

fn errors_concentrated(run: &Run, out: &mut Vec<Finding>) {
    let total = run.aggregated.failures;
    if total < 10 {
        return;
    }
    let with_failures: Vec<_> = run.endpoints.iter().filter(|e| e.failures > 0).collect();
    if run.endpoints.len() >= 2 {
        if let Some(top) = with_failures.iter().max_by_key(|e| e.failures) {
            if top.failures as f64 >= 0.8 * total as f64 {
                out.push(Finding::on_scope(
                    "errors_concentrated",
                    Scope::Endpoint(top.key.clone()),
                    format!(
                        "{} of {} failures ({:.0}%) are on this endpoint ({:.1}% of its requests)",
                        top.failures,
                        total,
                        top.failures as f64 / total as f64 * 100.0,
                        top.error_rate() * 100.0
                    ),
                    "The errors come from one endpoint: look at its handler and dependencies first.",
                ));
            }
        }
    }
    if let Some(top) = run.failures.iter().max_by_key(|f| f.occurrences) {
        if run.failures.len() >= 2 && top.occurrences as f64 >= 0.8 * total as f64 {
            out.push(Finding::on_scope(
                "errors_concentrated",
                Scope::Endpoint(top.key.clone()),
                format!(
                    "{} of {} failures ({:.0}%) have one message: {}",
                    top.occurrences,
                    total,
                    top.occurrences as f64 / total as f64 * 100.0,
                    top.message.chars().take(120).collect::<String>()
                ),
                "One failure mode dominates: fix it and re-run before reading anything else.",
            ));
        }
    }
}

fn slow_warmup(run: &Run, out: &mut Vec<Finding>) {
    let Some(series) = run.history.as_ref().and_then(|h| h.aggregated()) else {
        return;
    };
    let Some((start, end)) = steady::steady_range(&series.points) else {
        return;
    };
    let t0 = series.points[0].timestamp;
    let steady_from = series.points[start].timestamp;
    let steady_to = series.points[end - 1].timestamp;
    // The request-weighted mean latency of the intervals ending at the kept timestamps, read from
    // the points twice instead of kept: a day's intervals are megabytes, at the run's peak memory.
    let mean = |keep: &dyn Fn(i64) -> bool| -> Option<f64> {
        let means = || {
            interval_iter(&series.points)
                .filter(|i| keep(i.timestamp))
                .filter_map(|i| i.avg_ms.map(|a| (a, i.requests)))
        };
        let n: u64 = means().map(|x| x.1).sum();
        (n > 0).then(|| means().map(|x| x.0 * x.1 as f64).sum::<f64>() / n as f64)
    };
    let first = mean(&|t| t <= t0 + 10);
    let steady = mean(&|t| t >= steady_from && t <= steady_to);
    if let (Some(first), Some(steady)) = (first, steady) {
        if first >= 1.5 * steady && first - steady >= 10.0 {
            out.push(Finding::on_scope(
                "slow_warmup",
                Scope::Aggregated,
                format!(
                    "the first 10 s averaged {first:.0} ms against {steady:.0} ms in the steady state ({:.1}x)",
                    first / steady
                ),
                "The service is slower while warming up (JIT, caches, connection pools, lazy loading). \
                 Warm it up before measuring, or exclude the ramp from the gate.",
            ));
        }
    }
}

fn too_few_requests(run: &Run, out: &mut Vec<Finding>) {
    let few_p95: Vec<String> = run
        .endpoints
        .iter()
        .filter(|e| e.requests > 0 && e.requests < FEW_FOR_P95)
        .map(|e| format!("{} ({})", e.key, e.requests))
        .collect();
    if !few_p95.is_empty() {
        out.push(Finding {
            kind: "too_few_requests",
            scope: Subject::Endpoints,
            evidence: format!(
                "under {FEW_FOR_P95} requests, a P95 rests on fewer than 5 samples: {}",
                few_p95.join(", ")
            ),
            advice: "Run longer or with more users before trusting these endpoints' percentiles \
                     (P99 needs 500+ requests to rest on 5 samples)."
                .to_string(),
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";

    /// A run read from a stats table (rows under `HEADER`) and a failures table, as Locust writes.
    pub(crate) fn run_from(stats: &str, failures: &str) -> Run {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r_stats.csv"), format!("{HEADER}\n{stats}")).unwrap();
        std::fs::write(
            dir.path().join("r_failures.csv"),
            format!("Method,Name,Error,Occurrences\n{failures}"),
        )
        .unwrap();
        crate::ingest::load_run(&dir.path().join("r")).unwrap()
    }

    #[test]
    fn a_p99_far_above_the_p95_is_a_tail_latency_finding() {
        let run = run_from(
            "GET,/a,1000,0,20,30,5,900,10,10,0,20,22,25,27,35,50,120,400,800,900,900\n\
             ,Aggregated,1000,0,20,30,5,900,10,10,0,20,22,25,27,35,50,120,400,800,900,900\n",
            "",
        );
        let found = findings(&run, &[], None);
        let tail: Vec<_> = found.iter().filter(|f| f.kind == "tail_latency").collect();
        assert_eq!(tail.len(), 2, "{found:#?}");
        assert!(
            tail[0]
                .evidence
                .contains("8.0x p95 50 ms over 1000 requests"),
            "{}",
            tail[0].evidence
        );
    }

    #[test]
    fn failures_on_one_endpoint_are_concentrated() {
        let run = run_from(
            "GET,/a,100,45,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n\
             GET,/b,100,5,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n\
             ,Aggregated,200,50,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n",
            "GET,/a,boom,45\nGET,/b,bang,5\n",
        );
        let found = findings(&run, &[], None);
        let concentrated: Vec<_> = found
            .iter()
            .filter(|f| f.kind == "errors_concentrated")
            .collect();
        assert_eq!(concentrated.len(), 2, "endpoint and message: {found:#?}");
        assert_eq!(concentrated[0].scope.to_string(), "GET /a");
        assert!(concentrated[0]
            .evidence
            .starts_with("45 of 50 failures (90%)"));
        let run = run_from(
            "GET,/a,100,25,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n\
             GET,/b,100,25,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n\
             ,Aggregated,200,50,20,30,5,90,10,10,0,20,22,25,27,35,50,60,70,80,90,90\n",
            "GET,/a,boom,25\nGET,/b,bang,25\n",
        );
        assert!(findings(&run, &[], None)
            .iter()
            .all(|f| f.kind != "errors_concentrated"));
    }
}
