//! Regression detection on real pairs: the same build run three times, a 1.4x and a 2x slower build.

use crate::common::{self, fixture, loadgate, stderr};
use serde_json::Value;

fn compare(baseline: &str, current: &str) -> (i32, Value) {
    let output = loadgate(args![
        "compare",
        fixture(baseline),
        fixture(current),
        "--format",
        "json",
    ]);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code().unwrap(), json)
}

fn regression<'a>(report: &'a Value, scope: &str, metric: &str) -> &'a Value {
    report["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == scope && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no {scope} {metric}"))
}

#[test]
fn the_same_build_never_fails_the_gate() {
    let runs = ["compare/same-1", "compare/same-2", "compare/same-3"];
    for a in runs {
        for b in runs {
            if a == b {
                continue;
            }
            let (code, report) = compare(a, b);
            let failed: Vec<_> = report["regressions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "fail")
                .collect();
            assert!(failed.is_empty(), "{a} vs {b}: {failed:#?}");
            assert_eq!(code, 0, "{a} vs {b}");
        }
    }
}

#[test]
fn a_2x_slowdown_of_the_busy_endpoints_always_fails() {
    for base in ["compare/same-1", "compare/same-2", "compare/same-3"] {
        let (code, report) = compare(base, "compare/slow-2x");
        assert_eq!(code, 1, "{base} vs slow-2x");
        assert_eq!(report["verdict"], "fail");
        // Every endpoint slow enough for 2x to clear the 5 ms floor fails on its median.
        for scope in ["GET /slow", "GET /items/[id]", "POST /login", "aggregated"] {
            let r = regression(&report, scope, "p50");
            assert_eq!(r["status"], "fail", "{base}: {scope} p50 {r:#}");
            assert_eq!(r["direction"], "regressed");
            assert!(r["change_pct"].as_f64().unwrap() > 50.0, "{r:#}");
        }
    }
}

#[test]
fn a_1_4x_slowdown_warns_against_one_run_and_fails_against_three() {
    // One baseline run: +40% is inside the between-run noise a single run allows (prior ±55%).
    let (code, report) = compare("compare/same-1", "compare/slow-1.4x");
    assert_eq!(code, 0);
    let r = regression(&report, "GET /slow", "p50");
    assert_eq!(r["status"], "warn", "{r:#}");
    assert_eq!(r["noise_source"], "prior", "{r:#}");
    assert!(
        r["reason"].as_str().unwrap().contains("between-run noise"),
        "{r:#}"
    );
    // Three kept runs of the same build learn a spread of their own, and +40% stands out of it.
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path();
    for run in ["compare/same-1", "compare/same-2", "compare/same-3"] {
        let path = fixture(run);
        let save = loadgate(args![
            "baseline", "save", path, "--name", "main", "--keep", "3", "--store", store_arg,
        ]);
        assert!(save.status.success(), "{}", stderr(&save));
    }
    let (code, report) = common::check_json(args![
        fixture("compare/slow-1.4x"),
        "--baseline",
        "main",
        "--store",
        store_arg,
    ]);
    assert_eq!(code, 1);
    let r = regression(&report, "GET /slow", "p50");
    assert_eq!(r["status"], "fail", "{r:#}");
    assert_eq!(r["noise_source"], "kept_runs", "{r:#}");
}

#[test]
fn improvements_are_reported_as_such() {
    let (code, report) = compare("compare/slow-2x", "compare/same-1");
    assert_eq!(code, 0);
    let r = regression(&report, "GET /slow", "p95");
    assert_eq!(r["direction"], "improved");
    assert_eq!(r["status"], "pass");
    assert!(r["change_pct"].as_f64().unwrap() < -30.0);
}

#[test]
fn every_compared_metric_has_the_documented_fields() {
    let (_, report) = compare("compare/same-1", "compare/same-2");
    let regressions = report["regressions"].as_array().unwrap();
    assert!(!regressions.is_empty());
    for r in regressions {
        for field in [
            "scope",
            "metric",
            "baseline",
            "current",
            "change",
            "change_pct",
            "status",
            "reason",
            "direction",
        ] {
            assert!(r.get(field).is_some(), "{field} missing in {r:#}");
        }
    }
    for metric in ["p50", "p95", "p99", "avg", "error_rate", "rps"] {
        assert!(
            regressions
                .iter()
                .any(|r| r["scope"] == "aggregated" && r["metric"] == metric),
            "{metric}"
        );
    }
}

#[test]
fn new_and_vanished_endpoints_are_listed() {
    let (_, report) = compare("compare/same-1", "locust2/basic");
    let new: Vec<&str> = report["new_endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(new.contains(&"GET /error"), "{new:?}");
    assert!(new.contains(&"GET /limited, \"quoted\""), "{new:?}");
    let (_, report) = compare("locust2/basic", "compare/same-1");
    let vanished = report["vanished_endpoints"].as_array().unwrap();
    assert!(vanished.iter().any(|v| v == "GET /refused"));
}

#[test]
fn an_error_rate_rise_fails() {
    let (code, report) = compare("compare/same-1", "locust2/basic");
    assert_eq!(code, 1);
    let r = regression(&report, "aggregated", "error_rate");
    assert_eq!(r["status"], "fail", "{r:#}");
}

/// `compare`'s endpoint table is `check`'s, without the grades: the same columns in the same
/// order, numbers right-aligned.
#[test]
fn the_compare_table_is_laid_out_as_checks() {
    let run = fixture("locust2/basic");
    let header_of = |text: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.contains("Requests")).unwrap();
        line.split(['│', '┆'])
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let compared = common::stdout(&loadgate(args!["compare", run, run]));
    let checked = common::stdout(&loadgate(args!["check", run]));
    let mut check_header = header_of(&checked);
    assert_eq!(check_header.pop().as_deref(), Some("Grade"));
    assert_eq!(header_of(&compared), check_header);
    // /error: 92 of 92 failed, its error rate right-aligned as in check's table.
    let row = compared.lines().find(|l| l.contains("/error ")).unwrap();
    assert!(row.contains("┆  100.00 ┆"), "{row}");
}
