//! The JSON report is a public interface: every field it carries is documented in
//! docs/json-report.md, and the fields the issues name are present.

use std::collections::BTreeSet;

use crate::common::{check_json, fixture, keys, loadgate, shared};

fn documented() -> String {
    std::fs::read_to_string(fixture("../docs/json-report.md")).unwrap()
}

#[test]
fn every_field_of_every_report_is_documented() {
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path();
    loadgate(args![
        "baseline",
        "save",
        fixture("compare/same-1"),
        "--name",
        "main",
        "--store",
        store_arg,
    ]);
    let mut reports = vec![
        check_json(args![fixture("locust2-full/full")]).1,
        check_json(args![fixture("ramp/ramp")]).1,
        // A run with its runner record (`run.runner`).
        check_json(args![fixture("runner/run")]).1,
        // Custom percentile columns (60%, 70%).
        check_json(args![fixture("custom-percentiles/custom")]).1,
        check_json(args![
            fixture("compare/slow-2x"),
            "--baseline",
            "main",
            "--store",
            store_arg,
        ])
        .1,
        check_json(args![fixture("compare/same-1"), fixture("trend/degrading"),]).1,
        // k6's own thresholds, checks and groups (`tool_verdicts`); a log's Locust version.
        check_json(args![fixture("k6/base-1.handle-summary.json")]).1,
        check_json(args![fixture("k6/base-1.json.gz")]).1,
        check_json(args![fixture("locust-log/2.47.0.log")]).1,
        serde_json::from_slice(
            &loadgate(args!["history", fixture("compare"), "--format", "json",]).stdout,
        )
        .unwrap(),
    ];
    // Custom percentile columns (99.999%) in a real run of another project, read in place.
    if let Some(dir) = shared("wild/xfj__quoted-v10-gbk") {
        reports.push(check_json([dir.join("example")]).1);
    }
    let mut all = BTreeSet::new();
    for report in &reports {
        keys(report, &mut all);
    }
    let doc = documented();
    let is_documented = |k: &str| {
        [
            format!("`{k}`"),
            format!("`{k}[]`"),
            format!("`{k}."),
            format!(".{k}`"),
        ]
        .iter()
        .any(|form| doc.contains(form.as_str()))
    };
    let missing: Vec<&String> = all.iter().filter(|k| !is_documented(k)).collect();
    assert!(missing.is_empty(), "undocumented JSON fields: {missing:?}");
}

#[test]
fn the_fields_the_issues_name_are_there() {
    let (_, report) = check_json(args![fixture("locust2/basic")]);
    for field in [
        "schema_version",
        "verdict",
        "profile",
        "aggregated",
        "endpoints",
        "checks",
        "failures",
        "trends",
        "findings",
        "capacity",
    ] {
        assert!(report.get(field).is_some(), "{field}");
    }
    for field in [
        "method",
        "name",
        "requests",
        "failures",
        "error_rate",
        "rps",
        "p50",
        "p95",
        "p99",
    ] {
        assert!(
            report["endpoints"][0].get(field).is_some(),
            "endpoints[].{field}"
        );
    }
    for field in ["metric", "scope", "value", "limit", "grade", "status"] {
        assert!(report["checks"][0].get(field).is_some(), "checks[].{field}");
    }
    assert_eq!(report["schema_version"], 2);
}
