//! Verdicts that hold across runners: real Locust runs of one unchanged build under different
//! machine conditions never fail against each other, while a 2x slowdown of the endpoints that
//! do the work, or of one endpoint, fails and names it (fixtures/noise, fixtures/README.md).

use crate::common::{self, fixture, loadgate, stderr};
use serde_json::Value;

/// Every run of the corpus, by the kind its name starts with.
fn runs(kind: &str) -> Vec<String> {
    let dir = fixture("noise");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let prefix = name.strip_suffix("_stats.csv")?;
            prefix
                .starts_with(&format!("{kind}-"))
                .then(|| dir.join(prefix).display().to_string())
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no {kind} runs");
    found
}

/// The unchanged build on two cores with nothing else of ours beside it.
fn calm_baselines() -> Vec<String> {
    let mut calm = runs("same-both");
    calm.extend(runs("same-pinned"));
    calm
}

fn compare(base: &str, current: &str) -> (i32, Value) {
    let output = loadgate(["compare", base, current, "--format", "json"]);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (output.status.code().unwrap(), report)
}

fn failed_scopes(report: &Value) -> Vec<String> {
    report["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| r["scope"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_same_build_never_fails_whatever_the_runner_was_doing() {
    let same = runs("same");
    assert!(same.len() >= 8, "{same:?}");
    let (mut pairs, mut warned, mut shifted) = (0, 0, 0);
    for base in &same {
        for current in same.iter().filter(|c| *c != base) {
            let (code, report) = compare(base, current);
            assert_eq!(code, 0, "{base} -> {current}: {:?}", failed_scopes(&report));
            pairs += 1;
            warned += usize::from(report["verdict"] == "warn");
            shifted += usize::from(
                report["run_wide_shifts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["status"] == "warn"),
            );
        }
    }
    assert_eq!(pairs, same.len() * (same.len() - 1));
    // Warnings are allowed, and the slower runners are told apart as such.
    assert!(
        shifted > 0 && warned >= shifted,
        "{warned} warned, {shifted} shifted"
    );
}

#[test]
fn a_2x_slowdown_of_the_working_endpoints_or_of_one_endpoint_fails_and_names_it() {
    let cases = [
        ("slow2_0-both", "GET /api/report"),
        ("slow2_0-hog2", "GET /api/report"),
        ("one2x-search", "GET /api/search"),
        ("one2x-items", "GET /api/items"),
    ];
    for (kind, endpoint) in cases {
        for current in runs(kind) {
            for base in calm_baselines() {
                let (code, report) = compare(&base, &current);
                let failed = failed_scopes(&report);
                assert_eq!(code, 1, "{base} -> {current}: {report:#}");
                assert!(
                    failed.iter().any(|s| s == endpoint),
                    "{base} -> {current} names {failed:?}, not {endpoint}"
                );
            }
        }
    }
}

#[test]
fn a_1_5x_slowdown_is_at_least_a_warning_in_most_pairs() {
    let (mut pairs, mut flagged) = (0, 0);
    for current in runs("slow1_5") {
        for base in runs("same") {
            let (_, report) = compare(&base, &current);
            pairs += 1;
            flagged += usize::from(report["verdict"] != "pass");
        }
    }
    assert!(
        flagged * 10 >= pairs * 8,
        "{flagged} of {pairs} pairs warned or failed"
    );
}

#[test]
fn runs_of_the_unchanged_build_on_a_calm_runner_show_no_trend() {
    for run in calm_baselines() {
        let (code, report) = common::check_json([&run]);
        assert!(code == 0 || code == 1, "{run}");
        let flagged = common::flagged_trends(&report);
        assert!(flagged.is_empty(), "{run}: {flagged:#?}");
        assert!(
            !report["trends"].as_array().unwrap().is_empty(),
            "{run}: judged"
        );
    }
}

#[test]
fn a_profile_can_make_a_run_wide_shift_fail_the_gate() {
    // A calm baseline against the same build under two CPU hogs: a run-wide shift, a warning by
    // default, a failure where the profile says so.
    let base = fixture("noise/same-both-r001").display().to_string();
    let current = fixture("noise/same-hog2-r003").display().to_string();
    let (code, report) = compare(&base, &current);
    assert_eq!(
        (code, report["verdict"].as_str()),
        (0, Some("warn")),
        "{report:#}"
    );
    let shift = &report["run_wide_shifts"][0];
    assert_eq!(shift["status"], "warn");
    assert!(
        shift["reason"].as_str().unwrap().contains("rerun"),
        "{shift:#}"
    );
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("strict.toml");
    std::fs::write(
        &profile,
        "name = \"strict\"\n[regression]\nshift = \"fail\"\n",
    )
    .unwrap();
    let output = loadgate(args![
        "compare",
        &base,
        &current,
        "--profile",
        profile,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}
