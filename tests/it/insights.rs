//! Capacity from a real ramp against a target of known capacity, and findings with their evidence.
//! The ramp's target serves one request at a time in 10 ms, so it cannot exceed 100 requests/s,
//! and with back-to-back requests its latency grows by about 10 ms per user.

use crate::common::{check_json, fixture};
use serde_json::Value;
use std::ffi::OsStr;

fn run(rel: &str, extra: &[&OsStr]) -> Value {
    let path = fixture(rel);
    check_json(std::iter::once(path.as_os_str()).chain(extra.iter().copied())).1
}

fn findings_of<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[test]
fn the_knee_of_a_ramp_is_the_targets_capacity() {
    let report = run("ramp/ramp", &[]);
    let capacity = &report["capacity"];
    assert_eq!(capacity["applicable"], true, "{capacity:#}");
    let knee_rps = capacity["knee_rps"].as_f64().unwrap();
    assert!(
        (80.0..=100.0).contains(&knee_rps),
        "knee at {knee_rps} req/s; the target's ceiling is 100"
    );
    assert!(
        capacity["knee_users"].as_u64().unwrap() <= 6,
        "{capacity:#}"
    );
    let steps = capacity["steps"].as_array().unwrap();
    assert!(steps.len() >= 8);
    let users: Vec<u64> = steps.iter().map(|s| s["users"].as_u64().unwrap()).collect();
    assert!(users.windows(2).all(|w| w[0] < w[1]), "{users:?}");
    // Past the knee, throughput is flat and latency climbs with users.
    let first = &steps[1];
    let last = steps.last().unwrap();
    assert!(last["rps"].as_f64().unwrap() < first["rps"].as_f64().unwrap() * 1.1);
    assert!(last["avg"].as_f64().unwrap() > 4.0 * first["avg"].as_f64().unwrap());
    let saturation = findings_of(&report, "saturation");
    assert_eq!(saturation.len(), 1);
    assert!(saturation[0]["evidence"]
        .as_str()
        .unwrap()
        .contains("req/s"));
}

#[test]
fn the_highest_load_within_limits_names_the_metric_that_gave_out() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p95-100.toml");
    std::fs::write(&profile, "name = \"p\"\n[thresholds]\np95 = 100\n").unwrap();
    let report = run("ramp/ramp", &args!["--profile", profile]);
    let capacity = &report["capacity"];
    // About 10 ms per user: a 100 ms P95 holds up to roughly 9 users.
    let max_users = capacity["max_users"].as_u64().unwrap();
    assert!((6..=12).contains(&max_users), "{capacity:#}");
    assert_eq!(capacity["limited_by"], "p95");
    assert!(capacity["max_rps"].as_f64().unwrap() > 80.0);
}

#[test]
fn capacity_does_not_apply_without_a_ramp() {
    let report = run("compare/same-1", &[]);
    assert_eq!(report["capacity"]["applicable"], false);
    assert!(report["capacity"]["reason"]
        .as_str()
        .unwrap()
        .contains("did not ramp"));
    assert!(findings_of(&report, "saturation").is_empty());
}

#[test]
fn rate_limiting_and_thin_samples_are_found_with_evidence() {
    let report = run("locust2/basic", &[]);
    let limited = findings_of(&report, "rate_limited");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0]["scope"], "GET /limited, \"quoted\"");
    assert!(limited[0]["evidence"].as_str().unwrap().contains("429"));
    let thin = findings_of(&report, "too_few_requests");
    assert_eq!(thin.len(), 1);
    let evidence = thin[0]["evidence"].as_str().unwrap();
    let endpoints = report["endpoints"].as_array().unwrap();
    for e in endpoints {
        let listed = evidence.contains(&format!(
            "{} {} (",
            e["method"].as_str().unwrap(),
            e["name"].as_str().unwrap()
        ));
        assert_eq!(
            listed,
            e["requests"].as_u64().unwrap() < 100,
            "{e:#}\n{evidence}"
        );
    }
    for f in report["findings"].as_array().unwrap() {
        assert!(
            !f["evidence"].as_str().unwrap().is_empty()
                && !f["advice"].as_str().unwrap().is_empty()
        );
    }
}

#[test]
fn latency_climbing_at_constant_load_is_a_finding() {
    let report = run("trend/degrading", &[]);
    assert_eq!(
        findings_of(&report, "latency_climbing").len(),
        1,
        "{:#}",
        report["findings"]
    );
    let steady = run("trend/steady", &[]);
    assert!(findings_of(&steady, "latency_climbing").is_empty());
    assert!(findings_of(&steady, "slow_warmup").is_empty());
    assert!(
        findings_of(&steady, "tail_latency").is_empty(),
        "{:#}",
        steady["findings"]
    );
}
