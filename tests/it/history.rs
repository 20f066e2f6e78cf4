//! `loadgate history`: a directory of real runs, ordered by their own timestamps.

use std::ffi::OsStr;
use std::path::Path;

use crate::common::{command, fixture, loadgate, stderr};
use serde_json::Value;

fn copy_run(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for kind in ["stats", "stats_history", "failures", "exceptions"] {
        let src = fixture(format!("{from}_{kind}.csv"));
        std::fs::copy(src, format!("{}_{kind}.csv", to.display())).unwrap();
    }
}

fn history(dir: &Path, extra: &[&OsStr]) -> (i32, Value) {
    let output = command()
        .args(args!["history", dir, "--format", "json"])
        .args(extra)
        .output()
        .expect("the binary runs");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (output.status.code().unwrap(), json)
}

#[test]
fn runs_are_ordered_by_their_own_timestamps_not_their_paths() {
    let dir = tempfile::tempdir().unwrap();
    // Path order is the reverse of the order the runs were made in.
    let made_in_order = [
        "compare/same-1",
        "compare/same-2",
        "compare/same-3",
        "compare/slow-1.4x",
        "compare/slow-2x",
    ];
    for (i, run) in made_in_order.iter().enumerate() {
        copy_run(run, &dir.path().join(format!("night-{}/run", 9 - i)));
    }
    let (code, report) = history(dir.path(), &[]);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5);
    let stamps: Vec<i64> = runs
        .iter()
        .map(|r| r["started_at"].as_i64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    assert!(runs[0]["source"].as_str().unwrap().contains("night-9"));
    assert!(runs[4]["source"].as_str().unwrap().contains("night-5"));
    // The slower builds broke the trend; the newest one did, so the nightly gate fails.
    let broken: std::collections::BTreeSet<u64> = report["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["run"].as_u64().unwrap())
        .collect();
    assert_eq!(broken.into_iter().collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(code, 1);
    let b = &report["breaks"].as_array().unwrap()[0];
    for field in [
        "run",
        "source",
        "metric",
        "value",
        "expected",
        "change_pct",
        "reason",
    ] {
        assert!(b.get(field).is_some(), "{field}");
    }
}

#[test]
fn a_steady_archive_passes() {
    let dir = tempfile::tempdir().unwrap();
    for run in ["same-1", "same-2", "same-3"] {
        copy_run(&format!("compare/{run}"), &dir.path().join(run));
    }
    let (code, report) = history(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(report["breaks"].as_array().unwrap().is_empty());
    assert_eq!(report["runs"][0]["peak_users"], 10);
}

#[test]
fn the_history_chart_is_drawn() {
    let charts = tempfile::tempdir().unwrap();
    let (_, _) = history(&fixture("compare"), &args!["--charts", charts.path()]);
    let image = image::open(charts.path().join("history.png"))
        .unwrap()
        .to_rgb8();
    assert_eq!(image.dimensions(), (1280, 720));
    assert!(image.pixels().filter(|p| p.0 != [255, 255, 255]).count() > 20_000);
}

#[test]
fn an_empty_directory_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = loadgate(args!["history", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no *_stats.csv"));
}

#[test]
fn an_unreadable_run_fails_the_archive_unless_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for run in ["same-1", "same-2", "same-3"] {
        copy_run(&format!("compare/{run}"), &dir.path().join(run));
    }
    std::fs::copy(
        fixture("bad/negative_stats.csv"),
        dir.path().join("broken_stats.csv"),
    )
    .unwrap();
    let output = loadgate(args!["history", dir.path()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("broken_stats.csv"),
        "{}",
        stderr(&output)
    );
    let (code, report) = history(dir.path(), &args!["--skip-unreadable"]);
    assert_eq!(code, 0, "a skipped run warns, it does not fail");
    assert_eq!(report["verdict"], "warn");
    assert_eq!(report["runs"].as_array().unwrap().len(), 3);
    assert!(report["notes"][0]
        .as_str()
        .unwrap()
        .contains("broken_stats.csv"));
}

#[test]
fn a_locustio_012_run_in_the_archive_is_read_and_ordered_last() {
    let dir = tempfile::tempdir().unwrap();
    copy_run("compare/same-1", &dir.path().join("a/same-1"));
    std::fs::create_dir_all(dir.path().join("0-old")).unwrap();
    std::fs::copy(
        fixture("derived/legacy_hash/basic_requests.csv"),
        dir.path().join("0-old/basic_requests.csv"),
    )
    .unwrap();
    let (code, report) = history(dir.path(), &[]);
    assert_eq!(code, 0);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    // No timestamps in 0.x's requests file: after the dated run, though its path sorts first.
    assert!(runs[0]["source"].as_str().unwrap().ends_with("same-1"));
    assert!(runs[1]["started_at"].is_null());
}

#[test]
fn runs_without_times_of_their_own_are_dated_by_their_path() {
    // Stats files only (no history, no First Seen): the nightly job's directory names are the time.
    // Path order (a, b, c) is not time order (c, b, a): the archive must follow the time.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "a-2026-11-03T02:00:00",
        "b-2026-11-02T02:00:00",
        "c-2026-11-01T02:00:00",
    ] {
        let run = dir.path().join(name);
        std::fs::create_dir(&run).unwrap();
        std::fs::copy(fixture("compare/same-1_stats.csv"), run.join("r_stats.csv")).unwrap();
    }
    let output = loadgate(args!["history", dir.path(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sources: Vec<&str> = report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert!(
        sources[0].contains("c-2026-11-01") && sources[2].contains("a-2026-11-03"),
        "{sources:?}"
    );
    assert_eq!(report["runs"][0]["started_at"], 1_793_498_400);
    assert!(report["notes"][0]
        .as_str()
        .unwrap()
        .contains("dated by the time their path names"));
}
