//! Trends inside a run, on real one-minute runs.

use crate::common::{check_json, fixture, flagged_trends};
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
    let flagged = flagged_trends(&report);
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
fn a_climb_beside_a_cpu_hog_is_flagged_and_a_steady_minute_beside_it_is_not() {
    // Both minutes ran beside a busy loop (fixtures/README.md, trend-busy). In the degrading one
    // the aggregate's fitted +23 ms (+133%) clears its floor of 16.8 ms (three times the ±5.6 ms
    // to which one interval's mean is known) and /slow's +54 ms its 16 ms; the aggregate's
    // throughput, -13.4 req/s (-16%), is under its 15.5 (3 × ±5.2 req/s). The small endpoints'
    // lines explain too little of their noise (r² under 0.3).
    let (_, steady) = check_json(args![fixture("trend/steady-busy")]);
    assert!(
        flagged_trends(&steady).is_empty(),
        "{:#?}",
        flagged_trends(&steady)
    );
    let (_, degrading) = check_json(args![fixture("trend/degrading-busy")]);
    for scope in ["aggregated", "GET /slow"] {
        let t = trend(&degrading, scope, "latency_avg");
        assert_eq!(t["status"], "warn", "{t:#}");
    }
    let rps = trend(&degrading, "aggregated", "rps");
    assert_eq!(rps["status"], "pass", "{rps:#}");
    assert!(
        rps["reason"]
            .as_str()
            .unwrap()
            .contains("to which one interval's rate is known"),
        "{rps:#}"
    );
}

#[test]
fn the_same_build_under_every_machine_condition_shows_no_trend() {
    // The noise corpus's same-build runs: calm, CPU hogs, one core, pinned. `/missing/item` (a
    // 404 at 53 ms, about 4 requests an interval) in same-pinned_hog1-r021 drifted +59 ms, r²
    // 0.32: flagged until the floor of three times the ±27 ms to which one of its interval means
    // is known (80 ms) held it back.
    let dir = fixture("noise");
    let mut runs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let prefix = name.strip_suffix("_stats.csv")?;
            prefix.starts_with("same-").then(|| dir.join(prefix))
        })
        .collect();
    runs.sort();
    assert!(runs.len() >= 9, "{runs:?}");
    for run in runs {
        let (_, report) = check_json(args![&run]);
        assert!(
            !report["trends"].as_array().unwrap().is_empty(),
            "{}: judged",
            run.display()
        );
        assert!(
            flagged_trends(&report).is_empty(),
            "{}: {:#?}",
            run.display(),
            flagged_trends(&report)
        );
    }
    let (_, pinned) = check_json(args![fixture("noise/same-pinned_hog1-r021")]);
    let missing = trend(&pinned, "GET /missing/item", "latency_avg");
    assert!(
        missing["change_pct"].as_f64().unwrap() > 200.0
            && missing["reason"]
                .as_str()
                .unwrap()
                .contains("under 3 times the"),
        "{missing:#}"
    );
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
