//! A nightly folder of other tools' runs (k6 outputs, JTLs, console logs) read as Locust's are:
//! `history` tabulates them, `check DIR` finds them under the folder's subdirectories and
//! `check --latest` picks the newest by its files' own times. Real files of fixtures/, copied into
//! a temporary archive laid out as a nightly job lays it out.

use std::path::Path;

use crate::common::{check_json, fixture, loadgate};
use serde_json::Value;

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(from), to).unwrap();
}

/// k6's three runs in a folder a night, two JTLs, a log of two runs, and a Locust run whose log
/// lies beside its CSVs.
fn archive(dir: &Path) {
    copy(
        "k6/base-1.json.gz",
        &dir.join("k6/2026-12-01/results.json.gz"),
    );
    copy(
        "k6/base-2.json.gz",
        &dir.join("k6/2026-12-02/results.json.gz"),
    );
    copy(
        "k6/slow-2x.json.gz",
        &dir.join("k6/2026-12-03/results.json.gz"),
    );
    copy("jmeter/base-1.jtl", &dir.join("jmeter/a/results.jtl"));
    copy("jmeter/slow-2x.jtl", &dir.join("jmeter/b/results.jtl"));
    copy("locust-log/two-runs.log", &dir.join("logs/ci.log"));
    for suffix in [
        "_stats.csv",
        "_stats_history.csv",
        "_failures.csv",
        "_exceptions.csv",
        ".log",
    ] {
        copy(
            &format!("locust-log/2.47.0{suffix}"),
            &dir.join(format!("locust/run{suffix}")),
        );
    }
    // Nothing of a run: left alone.
    std::fs::write(dir.join("k6/README.md"), "nightly k6 runs\n").unwrap();
}

/// `check --format json` of one file: its aggregate's request count.
fn requests_of(path: &Path) -> Vec<u64> {
    let (code, report) = check_json([path]);
    assert_ne!(code, 2, "{}", path.display());
    match report.get("reports") {
        Some(all) => all
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["aggregated"]["requests"].as_u64().unwrap())
            .collect(),
        None => vec![report["aggregated"]["requests"].as_u64().unwrap()],
    }
}

#[test]
fn history_reads_other_tools_runs_in_a_nightly_folder() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let out = loadgate(args!["history", dir.path(), "--format", "json"]);
    // Runs of several apps in one archive break each other's trend: exit 1, never 2.
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = report["runs"].as_array().unwrap();
    let sources: Vec<String> = runs
        .iter()
        .map(|r| {
            let s = r["source"].as_str().unwrap();
            Path::new(s)
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    let mut sorted = sources.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "jmeter/a/results.jtl",
            "jmeter/b/results.jtl",
            "k6/2026-12-01/results.json.gz",
            "k6/2026-12-02/results.json.gz",
            "k6/2026-12-03/results.json.gz",
            "locust/run",
            "logs/ci.log#1",
            "logs/ci.log#2",
        ]
    );
    // Every run dated by its own files, in the order they ran.
    let started: Vec<i64> = runs
        .iter()
        .map(|r| r["started_at"].as_i64().unwrap())
        .collect();
    assert!(started.windows(2).all(|w| w[0] <= w[1]), "{started:?}");
    // Each row's count is the file's own, as `check` reads it.
    for run in runs {
        let source = run["source"].as_str().unwrap();
        let (file, which) = match source.rsplit_once('#') {
            Some((f, n)) => (f.to_string(), n.parse::<usize>().unwrap() - 1),
            None => (source.to_string(), 0),
        };
        assert_eq!(
            run["requests"].as_u64().unwrap(),
            requests_of(Path::new(&file))[which],
            "{source}"
        );
    }
    // The log beside the Locust CSVs is their run's, said in a note; the README is nothing.
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("1 console log(s) lie beside a run's Locust CSVs"),
        "{notes}"
    );
    assert!(!notes.contains("README"));
}

#[test]
fn check_finds_other_tools_runs_under_a_folder_and_latest_picks_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    archive(dir.path());
    let (_, set) = check_json(args![dir.path().join("k6")]);
    let reports = set["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| r["run"]["format"] == "k6"));
    // --latest: by the start time in the files (k6's samples' own times), not by path.
    let (_, newest) = check_json(args![dir.path(), "--latest"]);
    let all: Vec<(i64, String)> = {
        let out = loadgate(args!["history", dir.path(), "--format", "json"]);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        report["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["started_at"].as_i64().unwrap(),
                    r["source"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let last = all.iter().max().unwrap();
    assert_eq!(newest["run"]["prefix"], last.1.as_str(), "{all:?}");
    let note = newest["notes"].to_string();
    assert!(
        note.contains(&format!("is the newest of {} runs", all.len())),
        "{note}"
    );
    // A log of two runs: --latest judges its newer run only.
    let logs = dir.path().join("logs");
    copy("jmeter/base-1.jtl", &logs.join("old.jtl"));
    let (_, newest) = check_json(args![&logs, "--latest"]);
    assert_eq!(
        newest["run"]["prefix"],
        format!("{}#2", logs.join("ci.log").display())
    );
}
