//! The advice a person gives after reading a run against its profile: an endpoint failing every
//! request and why (wrong path, dead dependency, nothing listening), client against server against
//! transport errors, rate limiting, timeouts, latency over the profile's limit with the slowest
//! endpoints named, throughput under its floor, a run too short to judge. Every rule shows its
//! numbers; failures the profile expects are left out.

use std::collections::BTreeMap;

use super::errors::{classify, ErrorClass};
use super::findings::{Finding, Subject};
use super::grade::Check;
use crate::model::{ratio, EndpointKey, FailureRecord, Metric, Run, Scope, Status, Unit};
use crate::profile::Profile;

/// An endpoint failing at least this share of its requests fails "every" request.
pub const NEARLY_ALL: f64 = 0.95;
/// … and only with at least this many requests: two failures of two requests prove little.
pub const FAILING_MIN_REQUESTS: u64 = 10;
/// A run shorter than this (history span, s) holds no steady state worth judging: after a ramp of
/// a few seconds, less than the 20 s a trend needs. (`-t 30s` spans about 29 s of history.)
pub const SHORT_RUN_S: f64 = 25.0;
/// A run with fewer requests than this has no P95 resting on 5 samples.
pub const FEW_REQUESTS: u64 = 100;
/// How many of the slowest endpoints a latency finding names.
const SLOWEST: usize = 3;

/// Every piece of advice the run, its checks and its profile support.
pub fn advice(run: &Run, profile: &Profile, checks: &[Check]) -> Vec<Finding> {
    let failures: Vec<(&FailureRecord, ErrorClass)> = run
        .failures
        .iter()
        .filter(|f| !profile.expects(f))
        .map(|f| (f, classify(&f.message, f.status_code)))
        .collect();
    let mut out = Vec::new();
    endpoint_failing(run, &failures, &mut out);
    error_classes(run, &failures, &mut out);
    rate_limited(run, &failures, &mut out);
    timeouts(run, &failures, &mut out);
    high_latency(run, checks, &mut out);
    low_throughput(run, checks, &mut out);
    run_too_short(run, &mut out);
    out
}

/// Occurrences per class, largest first (class order among equals).
fn by_class<'a>(
    failures: impl Iterator<Item = &'a (&'a FailureRecord, ErrorClass)>,
) -> Vec<(ErrorClass, u64)> {
    let mut counts: BTreeMap<ErrorClass, u64> = BTreeMap::new();
    for (f, class) in failures {
        *counts.entry(*class).or_default() += f.occurrences;
    }
    let mut sorted: Vec<(ErrorClass, u64)> = counts.into_iter().collect();
    sorted.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    sorted
}

fn list(classes: &[(ErrorClass, u64)]) -> String {
    classes
        .iter()
        .map(|(c, n)| format!("{} ×{n}", c.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn endpoint_failing(run: &Run, failures: &[(&FailureRecord, ErrorClass)], out: &mut Vec<Finding>) {
    for e in &run.endpoints {
        if e.requests < FAILING_MIN_REQUESTS || e.error_rate() < NEARLY_ALL {
            continue;
        }
        let classes = by_class(failures.iter().filter(|(f, _)| f.key == e.key));
        // Failures the profile expects (or a failures file that does not say) leave no cause.
        let Some(&(main, _)) = classes.first() else {
            continue;
        };
        let cause = match main {
            ErrorClass::Client(404 | 405 | 410) => {
                "The path or method is wrong in the test, or the route is not deployed: check the URL and \
                 method the locustfile requests against the service's routes."
            }
            ErrorClass::Client(401 | 403) => {
                "Every request is refused as unauthorised: the test's credentials or tokens are missing \
                 or expired."
            }
            ErrorClass::Client(_) => {
                "Every request is rejected as malformed: check the payload, headers and parameters the \
                 test sends."
            }
            ErrorClass::Server(_) => {
                "The service answers but fails every request: a dead dependency (database, downstream \
                 API, configuration) or a broken handler. Read the service's logs for this endpoint."
            }
            ErrorClass::Transport => {
                "Nothing answers: the host or port is wrong, or the service (or the dependency this \
                 endpoint calls directly) is down. Check that it listens where the test points."
            }
            ErrorClass::Timeout => {
                "Every request timed out: the endpoint hangs (a lock, a dependency that never answers) \
                 or the client timeout is shorter than its normal latency."
            }
            ErrorClass::RateLimited => {
                "Every request was rate limited: the test measured the limiter. Raise the limit for the \
                 test's key or declare 429s expected."
            }
            ErrorClass::Other => {
                "Every request failed a check in the locustfile: read the message; the endpoint's \
                 figures measure failures, not the service."
            }
        };
        out.push(Finding::new(
            "endpoint_failing",
            Subject::Scope(Scope::Endpoint(e.key.clone())),
            format!(
                "{} of {} requests failed ({:.0}%): {}",
                e.failures,
                e.requests,
                e.error_rate() * 100.0,
                list(&classes)
            ),
            cause,
        ));
    }
}

fn error_classes(run: &Run, failures: &[(&FailureRecord, ErrorClass)], out: &mut Vec<Finding>) {
    let mut families: BTreeMap<&'static str, Vec<(ErrorClass, u64)>> = BTreeMap::new();
    for (class, n) in by_class(failures.iter()) {
        families.entry(class.family()).or_default().push((class, n));
    }
    if families.is_empty() {
        return;
    }
    let total: u64 = families.values().flatten().map(|(_, n)| n).sum();
    let parts: Vec<String> = families
        .iter()
        .map(|(family, classes)| {
            let n: u64 = classes.iter().map(|(_, n)| n).sum();
            format!("{family} {n} ({})", list(classes))
        })
        .collect();
    let mut advice = Vec::new();
    for family in families.keys() {
        advice.push(match *family {
            "client errors (4xx)" => {
                "4xx: the test asked for something the service refuses (path, method, auth, payload, \
                 a limit): fix the test or declare them expected."
            }
            "server errors (5xx)" => {
                "5xx: the service failed; these are the errors a load test is for: read its logs."
            }
            "transport errors" => {
                "Transport: no HTTP answer (refused, reset, timed out): the service or the network \
                 gave way, or the test points at the wrong place."
            }
            _ => "Other: failures the locustfile raised itself: read their messages.",
        });
    }
    out.push(Finding::new(
        "error_classes",
        Subject::Scope(Scope::Aggregated),
        format!(
            "{total} unexpected failures of {} requests: {}",
            run.aggregated.requests,
            parts.join("; ")
        ),
        &advice.join(" "),
    ));
}

fn requests_of(run: &Run, key: &EndpointKey) -> u64 {
    run.endpoints
        .iter()
        .find(|e| &e.key == key)
        .map_or(0, |e| e.requests)
}

/// One total per endpoint of the failures of `class`, in first-seen order.
fn per_endpoint<'a>(
    failures: &'a [(&'a FailureRecord, ErrorClass)],
    wanted: impl Fn(ErrorClass) -> bool,
) -> Vec<(&'a EndpointKey, u64)> {
    let mut totals: Vec<(&EndpointKey, u64)> = Vec::new();
    for (f, _) in failures.iter().filter(|(_, c)| wanted(*c)) {
        match totals.iter_mut().find(|(k, _)| *k == &f.key) {
            Some((_, n)) => *n += f.occurrences,
            None => totals.push((&f.key, f.occurrences)),
        }
    }
    totals
}

fn rate_limited(run: &Run, failures: &[(&FailureRecord, ErrorClass)], out: &mut Vec<Finding>) {
    for (key, n) in per_endpoint(failures, |c| c == ErrorClass::RateLimited) {
        let requests = requests_of(run, key);
        out.push(Finding::new(
            "rate_limited",
            Subject::Scope(Scope::Endpoint(key.clone())),
            format!(
                "{n} responses were 429 Too Many Requests ({:.1}% of {requests} requests)",
                ratio(n, requests) * 100.0,
            ),
            "Rate limiting was reached before capacity: the test measured the limiter, not the service. \
             Raise the limit for the test's key, spread users over keys, or declare 429s expected \
             in the profile ([[expected_failure]] status = 429).",
        ));
    }
}

fn timeouts(run: &Run, failures: &[(&FailureRecord, ErrorClass)], out: &mut Vec<Finding>) {
    let timed_out = per_endpoint(failures, |c| c == ErrorClass::Timeout);
    if timed_out.is_empty() {
        return;
    }
    let total: u64 = timed_out.iter().map(|(_, n)| n).sum();
    let named: Vec<String> = timed_out
        .iter()
        .map(|(key, n)| format!("{key} {n} of {}", requests_of(run, key)))
        .collect();
    out.push(Finding::new(
        "timeouts",
        Subject::Endpoints,
        format!(
            "{total} requests timed out ({:.1}% of {}): {}",
            ratio(total, run.aggregated.requests) * 100.0,
            run.aggregated.requests,
            named.join(", ")
        ),
        "The client gave up waiting. Either the endpoint is saturated or waits on a dependency (look at \
         its latency before the timeouts and at the service's pools and locks), or the client's timeout \
         is shorter than its normal latency. Locust records a timed-out request at the time it gave \
         up, so the endpoint's percentiles stop near the timeout: read them as \"at least\".",
    ));
}

fn is_latency(metric: Metric) -> bool {
    metric.unit() == Unit::Millis
}

fn high_latency(run: &Run, checks: &[Check], out: &mut Vec<Finding>) {
    let over: Vec<&Check> = checks
        .iter()
        .filter(|c| is_latency(c.metric) && c.status != Status::Pass)
        .collect();
    // The aggregate's failed check first, then any failed one, then the warnings the same way.
    let Some(worst) = over.iter().max_by_key(|c| {
        (
            c.status,
            c.scope == Scope::Aggregated,
            std::cmp::Reverse(c.metric),
        )
    }) else {
        return;
    };
    let bound = match worst.status {
        Status::Fail => worst.limit,
        _ => worst.warn_limit,
    };
    let mut slowest: Vec<(&EndpointKey, f64)> = run
        .endpoints
        .iter()
        .filter_map(|e| Some((&e.key, worst.metric.of(e)?)))
        .collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let named: Vec<String> = slowest
        .iter()
        .take(SLOWEST)
        .map(|(k, v)| format!("{k} {v:.0} ms"))
        .collect();
    out.push(Finding::new(
        "high_latency",
        Subject::Scope(worst.scope.clone()),
        format!(
            "{} {} {:.0} ms, past the profile's {}{} ({} latency checks over); slowest by {}: {}",
            worst.scope,
            worst.metric,
            worst.value,
            if worst.status == Status::Fail {
                "limit"
            } else {
                "warning line"
            },
            bound.map_or(String::new(), |b| format!(" {b:.0} ms")),
            over.len(),
            worst.metric,
            named.join(", ")
        ),
        "Start with the slowest endpoints: profile their handlers and what they wait on (queries, \
         downstream calls, locks, serialisation). If every endpoint is slow, the service or the \
         machine is saturated: compare with fewer users.",
    ));
}

fn low_throughput(run: &Run, checks: &[Check], out: &mut Vec<Finding>) {
    let Some(check) = checks.iter().find(|c| {
        c.metric == Metric::Rps && c.scope == Scope::Aggregated && c.status != Status::Pass
    }) else {
        return;
    };
    let floor = match check.status {
        Status::Fail => check.limit,
        _ => check.warn_limit,
    };
    let users = run.peak_users().map_or(String::new(), |u| {
        format!(
            " at {u} users ({:.1} req/s per user)",
            check.value / u as f64
        )
    });
    let p95 = run
        .aggregated
        .percentiles
        .p95()
        .map_or(String::new(), |p| format!(", P95 {p:.0} ms"));
    out.push(Finding::new(
        "low_throughput",
        Subject::Scope(Scope::Aggregated),
        format!(
            "{:.1} req/s{users}, under the profile's floor{}{p95}",
            check.value,
            floor.map_or(String::new(), |f| format!(" {f:.0} req/s"))
        ),
        "If latency is low, the test offered too little load (too few users, long wait times): \
         add users. If latency is high, the service is the limit: find its bottleneck.",
    ));
}

fn run_too_short(run: &Run, out: &mut Vec<Finding>) {
    let requests = run.aggregated.requests;
    let duration = run.duration_s();
    let short = duration.filter(|d| *d < SHORT_RUN_S);
    if short.is_none() && requests >= FEW_REQUESTS {
        return;
    }
    let length = duration.map_or("no history to time it".to_string(), |d| format!("{d:.0} s"));
    out.push(Finding::new(
        "run_too_short",
        Subject::Scope(Scope::Aggregated),
        format!("the run lasted {length} with {requests} requests (a judgeable run: {SHORT_RUN_S:.0} s and {FEW_REQUESTS} requests or more)"),
        "Too short or too small to judge: percentiles rest on few samples, and there is no steady \
         state for trends or warm-up. Run for minutes, not seconds, before trusting the grades.",
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::grade::assess;

    use crate::analysis::findings::tests::run_from;

    /// A stats row around its P95 (and P99, the same), its percentiles rising as Locust's do.
    fn row(method: &str, name: &str, requests: u64, failures: u64, p95: f64, rps: f64) -> String {
        let below = |v: f64| v.min(p95);
        let above = |v: f64| v.max(p95);
        format!(
            "{method},{name},{requests},{failures},{},30,5,{},10,{rps},0,{},{},{},{},{},{p95},{p95},{p95},{},{},{}\n",
            below(20.0),
            above(900.0),
            below(20.0),
            below(22.0),
            below(25.0),
            below(27.0),
            below(35.0),
            above(800.0),
            above(900.0),
            above(900.0)
        )
    }

    fn kinds(found: &[Finding], kind: &str) -> Vec<Finding> {
        found.iter().filter(|f| f.kind == kind).cloned().collect()
    }

    fn advise(run: &Run, profile: &Profile) -> Vec<Finding> {
        advice(run, profile, &assess(run, profile).checks)
    }

    #[test]
    fn an_endpoint_failing_nearly_every_request_is_told_apart_by_its_status() {
        let stats = [
            row("GET", "/missing", 100, 95, 10.0, 5.0),
            row("GET", "/broken", 100, 94, 10.0, 5.0),
            row("GET", "/down", 100, 100, 10.0, 5.0),
            row("GET", "/tiny", 9, 9, 10.0, 5.0),
            row("", "Aggregated", 309, 298, 10.0, 20.0),
        ]
        .concat();
        let failures =
            "GET,/missing,HTTPError('404 Client Error: Not Found for url: /missing'),95\n\
                        GET,/broken,HTTPError('500 Server Error: x'),94\n\
                        GET,/down,\"ConnectionRefusedError(111, 'Connection refused')\",100\n\
                        GET,/tiny,HTTPError('500 Server Error: x'),9\n";
        let run = run_from(&stats, failures);
        let found = kinds(
            &advise(&run, &Profile::load("default").unwrap()),
            "endpoint_failing",
        );
        let scopes: Vec<String> = found.iter().map(|f| f.scope.to_string()).collect();
        // 95% is nearly every request; 94% is not; 9 requests are too few to say.
        assert_eq!(scopes, ["GET /missing", "GET /down"], "{found:#?}");
        assert_eq!(
            found[0].evidence,
            "95 of 100 requests failed (95%): 404 ×95"
        );
        assert!(found[0].advice.starts_with("The path or method is wrong"));
        assert!(found[1].advice.starts_with("Nothing answers"));
    }

    #[test]
    fn failures_the_profile_expects_give_no_advice() {
        let stats = [
            row("GET", "/limited", 100, 100, 10.0, 5.0),
            row("", "Aggregated", 100, 100, 10.0, 5.0),
        ]
        .concat();
        let run = run_from(&stats, "GET,/limited,rate limited: 429,100\n");
        let found = advise(&run, &Profile::load("default").unwrap());
        assert_eq!(kinds(&found, "rate_limited").len(), 1, "a custom message");
        assert_eq!(kinds(&found, "endpoint_failing").len(), 1);
        let expecting =
            Profile::parse("name = \"p\"\n[[expected_failure]]\nstatus = 429\n", "test").unwrap();
        // The custom message names no status Locust's reader finds: matched by message instead.
        assert!(!expecting.expects(&run.failures[0]));
        let expecting = Profile::parse(
            "name = \"p\"\n[[expected_failure]]\nmessage = \"rate limited*\"\n",
            "test",
        )
        .unwrap();
        let found = advise(&run, &expecting);
        assert!(
            found.iter().all(|f| f.kind != "rate_limited"
                && f.kind != "endpoint_failing"
                && f.kind != "error_classes"),
            "{found:#?}"
        );
    }

    #[test]
    fn error_classes_count_client_server_and_transport_apart() {
        let stats = [
            row("GET", "/a", 1000, 60, 10.0, 5.0),
            row("", "Aggregated", 1000, 60, 10.0, 5.0),
        ]
        .concat();
        let failures = "GET,/a,HTTPError('404 Client Error: Not Found for url: /a'),10\n\
                        GET,/a,HTTPError('503 Server Error: x'),20\n\
                        GET,/a,\"ReadTimeout(\"\"Read timed out. (read timeout=1)\"\")\",30\n";
        let run = run_from(&stats, failures);
        let found = advise(&run, &Profile::load("default").unwrap());
        let classes = kinds(&found, "error_classes");
        assert_eq!(
            classes[0].evidence,
            "60 unexpected failures of 1000 requests: client errors (4xx) 10 (404 ×10); server errors (5xx) 20 (503 ×20); transport errors 30 (timeout ×30)"
        );
        let timeouts = kinds(&found, "timeouts");
        assert_eq!(
            timeouts[0].evidence,
            "30 requests timed out (3.0% of 1000): GET /a 30 of 1000"
        );
        let clean = run_from(&row("", "Aggregated", 1000, 0, 10.0, 5.0), "");
        assert!(advise(&clean, &Profile::load("default").unwrap()).is_empty());
    }

    #[test]
    fn latency_past_the_limit_names_the_slowest_endpoints() {
        let profile = Profile::parse("name = \"p\"\n[thresholds]\np95 = 100\n", "t").unwrap();
        let stats = [
            row("GET", "/a", 1000, 0, 100.0, 5.0),
            row("GET", "/b", 1000, 0, 250.0, 5.0),
            row("", "Aggregated", 2000, 0, 100.0, 5.0),
        ]
        .concat();
        // The aggregate exactly at its limit passes; /b is over it.
        let found = kinds(&advise(&run_from(&stats, ""), &profile), "high_latency");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].scope.to_string(), "GET /b");
        assert!(
            found[0]
                .evidence
                .starts_with("GET /b p95 250 ms, past the profile's limit 100 ms (1 latency checks over); slowest by p95: GET /b 250 ms, GET /a 100 ms"),
            "{}",
            found[0].evidence
        );
        let stats = [
            row("GET", "/a", 1000, 0, 100.0, 5.0),
            row("", "Aggregated", 1000, 0, 100.0, 5.0),
        ]
        .concat();
        assert!(kinds(&advise(&run_from(&stats, ""), &profile), "high_latency").is_empty());
    }

    #[test]
    fn throughput_under_the_floor_is_a_finding_at_the_floor_it_is_not() {
        let profile = Profile::parse("name = \"p\"\n[aggregated]\nrps = 50\n", "t").unwrap();
        let at = |rps: f64| {
            let stats = [
                row("GET", "/a", 1000, 0, 10.0, rps),
                row("", "Aggregated", 1000, 0, 10.0, rps),
            ]
            .concat();
            kinds(&advise(&run_from(&stats, ""), &profile), "low_throughput")
        };
        assert!(at(50.0).is_empty());
        let low = at(49.9);
        assert_eq!(low.len(), 1);
        assert_eq!(
            low[0].evidence,
            "49.9 req/s, under the profile's floor 50 req/s, P95 10 ms"
        );
    }

    #[test]
    fn a_run_with_too_few_requests_is_too_short_to_judge() {
        let profile = Profile::load("default").unwrap();
        let few = |n: u64| {
            let stats = row("", "Aggregated", n, 0, 10.0, 5.0);
            kinds(&advise(&run_from(&stats, ""), &profile), "run_too_short")
        };
        assert_eq!(few(100).len(), 0);
        let short = few(99);
        assert_eq!(
            short[0].evidence,
            "the run lasted no history to time it with 99 requests (a judgeable run: 25 s and 100 requests or more)"
        );
    }
}
