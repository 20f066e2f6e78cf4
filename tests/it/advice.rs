//! The advice findings on real runs: fixtures/advice (timeouts, a custom rate-limit message, a
//! wrong method, 500s with ids in their messages), locust2/basic (404, 500, connection refused,
//! 429), a public project's run where every request was a 404, and the ramp against a latency limit.

use crate::common::{check_json, fixture, shared};
use serde_json::Value;
use std::ffi::OsStr;
use std::path::Path;

/// The findings of a run: `rel` under fixtures/, or a path of its own.
fn findings(rel: impl AsRef<Path>, extra: &[&OsStr]) -> Vec<Value> {
    let path = fixture(rel);
    let args = std::iter::once(path.as_os_str()).chain(extra.iter().copied());
    check_json(args).1["findings"].as_array().unwrap().clone()
}

fn of<'a>(found: &'a [Value], kind: &str) -> Vec<&'a Value> {
    found.iter().filter(|f| f["kind"] == kind).collect()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap().to_string()
}

#[test]
fn endpoints_failing_every_request_are_told_apart_by_status() {
    let found = findings("advice/advice", &[]);
    let failing = of(&found, "endpoint_failing");
    let by_scope = |scope: &str| {
        failing
            .iter()
            .find(|f| f["scope"] == scope)
            .unwrap_or_else(|| panic!("{scope}: {failing:#?}"))
    };
    assert_eq!(failing.len(), 3, "{failing:#?}");
    assert_eq!(
        text(by_scope("POST POST /fast"), "evidence"),
        "247 of 247 requests failed (100%): 404 ×247"
    );
    assert!(text(by_scope("POST POST /fast"), "advice").starts_with("The path or method is wrong"));
    // 261 messages, each with its own order id, are one 500.
    assert_eq!(
        text(by_scope("GET /orders/[id]"), "evidence"),
        "261 of 261 requests failed (100%): 500 ×261"
    );
    assert!(text(by_scope("GET /orders/[id]"), "advice").contains("dead dependency"));
    assert_eq!(
        text(by_scope("GET /slow"), "evidence"),
        "409 of 412 requests failed (99%): timeout ×409"
    );
    // /limited fails one request in three: not "every request".
    assert!(failing.iter().all(|f| f["scope"] != "GET /limited"));

    let basic = findings("locust2/basic", &[]);
    let failing = of(&basic, "endpoint_failing");
    let advice_of = |scope: &str| {
        text(
            failing.iter().find(|f| f["scope"] == scope).unwrap(),
            "advice",
        )
    };
    assert!(advice_of("GET /missing").starts_with("The path or method is wrong"));
    assert!(advice_of("GET /error").starts_with("The service answers but fails"));
    assert!(advice_of("GET /refused").starts_with("Nothing answers"));
    // Locust 1.6 writes other texts for the same failures.
    let old = findings("locust1/basic", &[]);
    assert_eq!(of(&old, "endpoint_failing").len(), 3, "{old:#?}");
}

#[test]
fn a_public_run_where_every_request_was_a_404_says_so() {
    // Janka50/rate-limiter-service's committed run, read in place from ../shared/wild.
    let Some(dir) = shared("wild/ratelimiter__all-404") else {
        return;
    };
    let found = findings(&dir, &[]);
    let failing = of(&found, "endpoint_failing");
    assert_eq!(failing.len(), 1, "{found:#?}");
    assert_eq!(failing[0]["scope"], "POST /api/v1/check/");
    assert_eq!(
        text(failing[0], "evidence"),
        "3643 of 3643 requests failed (100%): 404 ×3643"
    );
}

#[test]
fn client_server_and_transport_errors_are_counted_apart() {
    let found = findings("advice/advice", &[]);
    let classes = of(&found, "error_classes");
    assert_eq!(
        text(classes[0], "evidence"),
        "1092 unexpected failures of 2685 requests: client errors (4xx) 422 (404 ×247, 429 ×175); server errors (5xx) 261 (500 ×261); transport errors 409 (timeout ×409)"
    );
    let basic = findings("locust2/basic", &[]);
    assert_eq!(
        text(of(&basic, "error_classes")[0], "evidence"),
        "243 unexpected failures of 1359 requests: client errors (4xx) 101 (429 ×53, 404 ×48); server errors (5xx) 92 (500 ×92); transport errors 50 (connection ×50)"
    );
    // A run without failures has no such finding.
    assert!(of(&findings("compare/same-1", &[]), "error_classes").is_empty());
}

#[test]
fn rate_limiting_is_read_from_a_custom_message_and_timeouts_are_found() {
    let found = findings("advice/advice", &[]);
    let limited = of(&found, "rate_limited");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0]["scope"], "GET /limited");
    assert_eq!(
        text(limited[0], "evidence"),
        "175 responses were 429 Too Many Requests (33.3% of 526 requests)"
    );
    let timeouts = of(&found, "timeouts");
    assert_eq!(
        text(timeouts[0], "evidence"),
        "409 requests timed out (15.2% of 2685): GET /slow 409 of 412"
    );
    // Declared expected, the custom 429s leave the advice.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        "name = \"p\"\n[[expected_failure]]\nmessage = \"*rate limited*\"\n",
    )
    .unwrap();
    let found = findings("advice/advice", &args!["--profile", profile]);
    assert!(of(&found, "rate_limited").is_empty());
    assert!(!text(of(&found, "error_classes")[0], "evidence").contains("429"));
}

#[test]
fn latency_and_throughput_past_the_profile_name_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        "name = \"p\"\n[thresholds]\np95 = 100\n[aggregated]\nrps = 100\n",
    )
    .unwrap();
    let found = findings("locust2/basic", &args!["--profile", profile]);
    let low = of(&found, "low_throughput");
    assert_eq!(low.len(), 1, "{found:#?}");
    let evidence = text(low[0], "evidence");
    assert!(
        evidence.contains("under the profile's floor 100 req/s")
            && evidence.contains(" at 10 users"),
        "{evidence}"
    );
    // The ramp's latency grows ~10 ms per user to 30 users: P95 far past 100 ms.
    let found = findings("ramp/ramp", &args!["--profile", profile]);
    let high = of(&found, "high_latency");
    assert_eq!(high.len(), 1, "{found:#?}");
    assert!(
        text(high[0], "evidence").contains("past the profile's limit 100 ms"),
        "{:#}",
        high[0]
    );
    assert!(text(high[0], "evidence").contains("slowest by p95: GET /fast"));
    // Within the default profile's limits, neither fires.
    let found = findings("compare/same-1", &[]);
    assert!(of(&found, "high_latency").is_empty() && of(&found, "low_throughput").is_empty());
}

#[test]
fn a_twenty_second_run_is_too_short_to_judge() {
    let found = findings("locust2/basic", &[]);
    let short = of(&found, "run_too_short");
    assert_eq!(
        text(short[0], "evidence"),
        "the run lasted 19 s with 1359 requests (a judgeable run: 25 s and 100 requests or more)"
    );
    assert!(of(&findings("compare/same-1", &[]), "run_too_short").is_empty());
}
