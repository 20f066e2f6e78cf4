//! Runs read from Locust's JSON carry every endpoint's histogram: real Locust 2.47 runs of one
//! build under different machine conditions (fixtures/noise-json, fixtures/README.md), read with the
//! history Locust wrote beside them, or as the JSON alone, compared as the noise model compares
//! CSV runs, with the sampling noise taken from the whole distribution.

use std::ffi::OsStr;
use std::path::Path;

use crate::common::{fixture, loadgate, stderr};
use serde_json::Value;

/// Every JSON run of the corpus whose name starts with `kind`, in the order they were made (the
/// run id ends the name).
fn runs_in(dir: &Path, kind: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            (name.starts_with(&format!("{kind}-")) && name.ends_with(".json"))
                .then(|| dir.join(name).display().to_string())
        })
        .collect();
    found.sort_by_key(|p| p.rsplit('-').next().unwrap().to_string());
    assert!(!found.is_empty(), "no {kind} runs in {}", dir.display());
    found
}

fn runs(kind: &str) -> Vec<String> {
    runs_in(&fixture("noise-json"), kind)
}

fn run_report<S: AsRef<OsStr>>(args: &[S]) -> (i32, Value) {
    let output = loadgate(args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (output.status.code().unwrap(), report)
}

fn compare(base: &str, current: &str) -> (i32, Value) {
    run_report(&["compare", base, current, "--format", "json"])
}

fn failed(report: &Value) -> Vec<String> {
    report["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .map(|r| {
            format!(
                "{} {}",
                r["name"].as_str().unwrap_or("aggregated"),
                r["metric"]
            )
        })
        .collect()
}

fn notes(report: &Value) -> Vec<String> {
    report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// Every ordered pair, the earlier run as the baseline.
fn same_build_failures(same: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, base) in same.iter().enumerate() {
        for current in &same[i + 1..] {
            let (code, report) = compare(base, current);
            assert!(code == 0 || code == 1, "{base} -> {current}: exit {code}");
            if code == 1 {
                failures.push(format!("{base} -> {current}: {:?}", failed(&report)));
            }
        }
    }
    failures
}

#[test]
fn a_json_run_reads_its_histograms_and_the_history_and_failures_beside_it() {
    for run in runs("same").iter().chain(&runs("slow2_0")) {
        let (_, report) = run_report(&["check", run, "--format", "json"]);
        assert_eq!(report["run"]["histograms"], true, "{run}");
        assert_eq!(report["run"]["format"], "locust-json", "{run}");
        let history = report["run"]["history_file"].as_str().unwrap_or_default();
        assert!(history.ends_with("_stats_history.csv"), "{run}: {history}");
        assert!(
            report["run"]["history_rows"].as_u64().unwrap() > 100,
            "{run}"
        );
        assert!(report["run"]["started_at"].is_string(), "{run}");
        assert!(
            report["run"]["failures_file"]
                .as_str()
                .is_some_and(|f| f.ends_with("_failures.csv")),
            "{run}"
        );
        assert!(
            notes(&report).iter().any(|n| n.contains("histogram")),
            "{run}: {:?}",
            notes(&report)
        );
    }
}

#[test]
fn the_same_build_read_from_json_never_fails_whatever_the_runner_was_doing() {
    let same = runs("same");
    assert_eq!(same.len(), 10);
    let failures = same_build_failures(&same);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_json_alone_carries_enough_to_hold_the_same_build_and_catch_2x() {
    // Without the CSVs beside it there is no history: no steady state, no per-interval noise;
    // the histograms' sampling intervals and the run-wide shift still hold the same build.
    let dir = tempfile::tempdir().unwrap();
    for run in runs("same").iter().chain(&runs("slow2_0")) {
        let name = Path::new(run).file_name().unwrap();
        std::fs::copy(run, dir.path().join(name)).unwrap();
    }
    let same = runs_in(dir.path(), "same");
    let (_, one) = run_report(&["check", &same[0], "--format", "json"]);
    assert_eq!(one["run"]["histograms"], true);
    assert!(one["run"]["history_file"].is_null());
    let failures = same_build_failures(&same);
    assert!(failures.is_empty(), "{failures:#?}");
    let slow = runs_in(dir.path(), "slow2_0");
    let caught = same
        .iter()
        .flat_map(|b| slow.iter().map(move |c| (b, c)))
        .filter(|(b, c)| compare(b, c).0 == 1)
        .count();
    assert!(caught * 2 > same.len() * slow.len(), "{caught} caught");
}

#[test]
fn a_2x_slowdown_against_a_calm_baseline_fails_on_the_work_or_is_at_least_a_warning() {
    let mut calm = runs("same-both");
    calm.extend(runs("same-pinned"));
    let mut failed_pairs = 0;
    let mut pairs = 0;
    for base in &calm {
        for current in runs("slow2_0") {
            pairs += 1;
            let (code, report) = compare(base, &current);
            assert_ne!(report["verdict"], "pass", "{base} -> {current}");
            if code == 1 {
                failed_pairs += 1;
                let named = failed(&report);
                assert!(
                    named.iter().all(|n| !n.contains("/health")),
                    "{base} -> {current}: the probe is not the regression: {named:?}"
                );
                assert!(
                    named.iter().any(|n| n.contains("/api/")),
                    "{base} -> {current}: {named:?}"
                );
            }
        }
    }
    // The hog beside the server (pinned_hog1) shifts every endpoint by tens of ms: a 2x change
    // inside that shift warns (the report says to rerun or compare side by side).
    assert!(failed_pairs * 4 >= pairs * 3, "{failed_pairs}/{pairs}");
}

#[test]
fn a_history_beside_the_json_from_another_run_is_not_read() {
    let same = runs("same");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    std::fs::copy(&same[0], &json).unwrap();
    let other = same[5].replace(".json", "_stats_history.csv");
    std::fs::copy(&other, dir.path().join("run_stats_history.csv")).unwrap();
    let (_, report) = run_report(&args!["check", json, "--format", "json"]);
    assert!(report["run"]["history_file"].is_null());
    assert!(
        notes(&report)
            .iter()
            .any(|n| n.contains("not read") && n.contains("another run's")),
        "{:?}",
        notes(&report)
    );
    // A history beside it that is not a history at all is said, and the JSON still read.
    std::fs::write(dir.path().join("run_stats_history.csv"), "not,a\nhistory\n").unwrap();
    let (code, report) = run_report(&args!["check", json, "--format", "json"]);
    assert_ne!(code, 2, "{report}");
    assert!(report["run"]["history_file"].is_null());
    assert!(
        notes(&report)
            .iter()
            .any(|n| n.contains("not read: ") && n.contains("run_stats_history.csv:1:")),
        "{:?}",
        notes(&report)
    );
    // Its own history, under the same name, is read.
    let own = same[0].replace(".json", "_stats_history.csv");
    std::fs::copy(&own, dir.path().join("run_stats_history.csv")).unwrap();
    let (_, report) = run_report(&args!["check", json, "--format", "json"]);
    assert!(report["run"]["history_file"].is_string());
}

#[test]
fn a_baseline_saved_from_json_keeps_the_histograms_and_the_report_says_so() {
    let same = runs("same");
    let store = tempfile::tempdir().unwrap();
    let store = store.path();
    let save = |name: &str, run: &str| {
        let out = loadgate(args![
            "baseline", "save", "--name", name, "--store", store, run
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    save("json", &same[0]);
    let saved = std::fs::read_to_string(Path::new(store).join("json.json")).unwrap();
    assert!(saved.contains("\"histogram\""));
    let check = |name: &str| {
        run_report(&args![
            "check",
            &same[1],
            "--baseline",
            name,
            "--store",
            store,
            "--format",
            "json",
        ])
        .1
    };
    let both = check("json");
    assert_eq!(both["baseline"]["histograms"], true);
    assert!(notes(&both).iter().any(|n| n.starts_with("both runs kept")));
    // A run read from CSVs (fixtures/noise: the same target and locustfile) keeps no histogram:
    // the report says the baseline's side is read off its percentile curve.
    let csv = fixture("noise").join("same-both-r001");
    save("csv", csv.to_str().unwrap());
    let mixed = check("csv");
    assert_eq!(mixed["baseline"]["histograms"], false);
    assert!(
        notes(&mixed)
            .iter()
            .any(|n| n.contains("the baseline did not")),
        "{:?}",
        notes(&mixed)
    );
}

#[test]
fn a_rolling_baseline_of_runs_on_busy_and_calm_runners_still_catches_2x() {
    // The five earliest runs, as a nightly job would have kept them: a calm runner, one with two
    // hogs, one with one, one core with a hog: their spread is the machines'. The probes tell how
    // busy each was, so the kept runs predict each endpoint on a machine as busy as the current one.
    let same = runs("same");
    let store = tempfile::tempdir().unwrap();
    let store = store.path();
    for run in &same[..5] {
        let out = loadgate(args![
            "baseline", "save", "--keep", "5", "--name", "nightly", "--store", store, run,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let checked = |run: &str| -> Value {
        let (code, report) = run_report(&args![
            "check",
            run,
            "--baseline",
            "nightly",
            "--store",
            store,
            "--format",
            "json",
        ]);
        assert_ne!(code, 2, "{run}: {report}");
        report
    };
    let regressions_failed = |run: &str| failed(&checked(run));
    for run in &same[5..] {
        let failed = regressions_failed(run);
        assert!(failed.is_empty(), "{run}: {failed:?}");
    }
    let slow = runs("slow2_0");
    let mut caught = 0;
    for run in &slow {
        let failed = regressions_failed(run);
        if !failed.is_empty() {
            caught += 1;
            assert!(
                failed.iter().all(|f| !f.contains("/health")),
                "{run}: {failed:?}"
            );
        }
    }
    assert!(caught >= 3, "{caught} of {} caught", slow.len());
    // Where the fit holds a change back, the reason says so: the kept runs' prediction.
    let reasons: Vec<String> = slow
        .iter()
        .flat_map(|run| {
            checked(run)["regressions"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|r| r["reason"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("kept runs predict")),
        "{reasons:#?}"
    );
}
