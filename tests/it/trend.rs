//! Trends inside a run, on real one-minute runs.

use crate::common::{check_json, fixture};
use serde_json::Value;

fn trend<'a>(report: &'a Value, scope: &str, metric: &str) -> &'a Value {
    report["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scope"] == scope && t["metric"] == metric)
        .unwrap_or_else(|| panic!("no {scope} {metric} in {:#}", report["trends"]))
}

#[test]
fn a_steady_run_is_not_flagged() {
    let (code, report) = check_json(args![fixture("trend/steady")]);
    let flagged: Vec<_> = report["trends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "pass")
        .collect();
    assert!(flagged.is_empty(), "{flagged:#?}");
    assert_eq!(
        trend(&report, "aggregated", "latency_avg")["status"],
        "pass"
    );
    assert_eq!(code, 0);
}

#[test]
fn latency_that_doubles_at_constant_users_is_flagged() {
    let (_, report) = check_json(args![fixture("trend/degrading")]);
    let t = trend(&report, "aggregated", "latency_avg");
    assert_eq!(t["status"], "warn", "{t:#}");
    assert_eq!(t["direction"], "increasing");
    assert!(t["change_pct"].as_f64().unwrap() > 40.0, "{t:#}");
    assert!(t["slope_per_min"].as_f64().unwrap() > 0.0);
    assert!(t["window_s"].as_f64().unwrap() >= 30.0);
}

#[test]
fn full_history_flags_each_degrading_endpoint_not_only_the_aggregate() {
    let (_, report) = check_json(args![fixture("trend/degrading-full")]);
    for scope in ["aggregated", "GET /fast", "GET /slow", "GET /items/[id]"] {
        let t = trend(&report, scope, "latency_avg");
        assert_eq!(t["status"], "warn", "{t:#}");
        assert_eq!(t["direction"], "increasing", "{t:#}");
    }
    let findings = report["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["kind"] == "latency_climbing" && f["scope"] == "GET /slow"));
}

#[test]
fn a_profile_can_make_trends_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, "name = \"p\"\n[trend]\nstatus = \"fail\"\n").unwrap();
    let (code, report) = check_json(args![fixture("trend/degrading"), "--profile", profile,]);
    assert_eq!(
        trend(&report, "aggregated", "latency_avg")["status"],
        "fail"
    );
    assert_eq!(code, 1);
}

#[test]
fn a_short_run_says_why_trends_are_not_judged() {
    // A real run of 11 s (Locust 2.22.0, fixtures/README.md): too short for a steady state. (The first
    // 8 s of a longer run's history beside its whole stats is a history cut short: refused.)
    let (_, report) = check_json(args![fixture("reports-csv/locust-2.22.0")]);
    assert!(report["trends"].as_array().unwrap().is_empty());
    assert!(report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("steady state")));
}
