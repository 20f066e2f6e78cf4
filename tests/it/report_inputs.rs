//! Locust's HTML report and JSON output read as runs: the same counts and percentiles as the CSV of
//! the same run (fixtures/html, fixtures/json, fixtures/reports-csv: one Locust run each wrote all
//! three), grades, the JSON report, and damaged files refused with exit 2 naming file and path.

use std::collections::HashMap;

use crate::common::{check_json, csv_rows, fixture, loadgate, stderr};
use serde_json::Value;

/// The versions whose --html writes `window.templateArgs` (2.15.1 writes the old table page).
const HTML_VERSIONS: [&str; 3] = ["2.22.0", "2.37.12", "2.47.0"];

/// (version, JSON fixture): --json stdout (with --skip-log) before 2.37.10, --json-file after.
const JSON_FIXTURES: [(&str, &str); 4] = [
    ("2.15.1", "json/locust-2.15.1.stdout.json"),
    ("2.22.0", "json/locust-2.22.0.stdout.json"),
    ("2.37.12", "json/locust-2.37.12.json"),
    ("2.47.0", "json/locust-2.47.0.json"),
];

/// CSV percentile columns (11..=21) by the JSON report's keys.
const P_KEYS: [&str; 11] = [
    "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99_9", "p99_99", "p100",
];

struct CsvRow {
    requests: u64,
    failures: u64,
    median: f64,
    avg: f64,
    min: f64,
    max: f64,
    percentiles: Vec<f64>,
}

fn csv_of(version: &str) -> HashMap<(String, String), CsvRow> {
    csv_rows(format!("reports-csv/locust-{version}_stats.csv"))
        .iter()
        .map(|r| {
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            (
                (r[0].to_string(), r[1].to_string()),
                CsvRow {
                    requests: r[2].parse().unwrap(),
                    failures: r[3].parse().unwrap(),
                    median: f(4),
                    avg: f(5),
                    min: f(6),
                    max: f(7),
                    percentiles: (11..=21).map(f).collect(),
                },
            )
        })
        .collect()
}

/// Every scope of a `check --format json` report, endpoints and the aggregate.
fn scopes(report: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = report["endpoints"].as_array().unwrap().iter().collect();
    all.push(&report["aggregated"]);
    all
}

fn key(scope: &Value) -> (String, String) {
    (
        scope["method"].as_str().unwrap().to_string(),
        scope["name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn html_reports_give_the_csvs_counts_and_percentiles() {
    for version in HTML_VERSIONS {
        let path = fixture(format!("html/locust-{version}.html"));
        let (code, report) = check_json(args![path]);
        // The workload has 500s, 429s and refused connections: the gate fails with grades.
        assert_eq!(code, 1, "{version}");
        assert_eq!(report["run"]["format"], "locust-html");
        let csv = csv_of(version);
        let scopes = scopes(&report);
        assert_eq!(scopes.len(), csv.len(), "{version}: one scope per CSV row");
        for scope in scopes {
            let row = &csv[&key(scope)];
            let what = format!("{version} {:?}", key(scope));
            assert_eq!(scope["requests"].as_u64(), Some(row.requests), "{what}");
            assert_eq!(scope["failures"].as_u64(), Some(row.failures), "{what}");
            assert!(scope["grade"].is_string(), "{what}");
            // The report carries 50, 80, 90, 95, 99 and 100 (and 60, 70): exactly the CSV's.
            for i in [0, 3, 4, 5, 7, 10] {
                assert_eq!(
                    scope[P_KEYS[i]].as_f64(),
                    Some(row.percentiles[i]),
                    "{what} {}",
                    P_KEYS[i]
                );
            }
            for i in [1, 2, 6, 8, 9] {
                assert!(scope[P_KEYS[i]].is_null(), "{what} {}", P_KEYS[i]);
            }
            assert!(
                (scope["avg"].as_f64().unwrap() - row.avg).abs() < 1e-9,
                "{what}"
            );
            // Min and max are rounded to whole ms in the report.
            assert!(
                (scope["min"].as_f64().unwrap() - row.min).abs() <= 0.5,
                "{what}"
            );
            assert!(
                (scope["max"].as_f64().unwrap() - row.max).abs() <= 0.5,
                "{what}"
            );
        }
    }
}

#[test]
fn escaped_names_in_older_reports_come_back_as_written() {
    // 2.22.0 and 2.37.12 HTML-escape names and error texts; 2.47.0 does not.
    for version in HTML_VERSIONS {
        let path = fixture(format!("html/locust-{version}.html"));
        let (_, report) = check_json(args![path]);
        let names: Vec<&str> = report["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"/search?q=<b>&r='x'"),
            "{version}: {names:?}"
        );
        assert!(
            names.contains(&"/limited, \"quoted\""),
            "{version}: {names:?}"
        );
        let text = report["failures"].to_string();
        assert!(
            text.contains(r#"Too Many Requests for url: /limited, \"quoted\""#),
            "{version}: {text}"
        );
        assert!(
            !text.contains("&quot;") && !text.contains("&#x27;"),
            "{version}: {text}"
        );
        let exceptions = report["exceptions"].to_string();
        assert!(
            exceptions.contains(r#"bad <payload> & \"field\" 3"#),
            "{version}: {exceptions}"
        );
    }
}

#[test]
fn html_history_is_the_reports_chart_series() {
    let path = fixture("html/locust-2.47.0.html");
    let (_, report) = check_json(args![path]);
    assert_eq!(report["run"]["peak_users"], 10);
    assert!(report["run"]["history_rows"].as_u64().unwrap() >= 2);
    assert_eq!(report["run"]["full_history"], false);
}

#[test]
fn json_percentiles_from_the_histograms_equal_the_csvs() {
    for (version, rel) in JSON_FIXTURES {
        let path = fixture(rel);
        let (code, report) = check_json(args![path]);
        assert_eq!(code, 1, "{version}");
        assert_eq!(report["run"]["format"], "locust-json");
        let csv = csv_of(version);
        let scopes = scopes(&report);
        assert_eq!(scopes.len(), csv.len(), "{version}");
        for scope in scopes {
            let row = &csv[&key(scope)];
            let what = format!("{version} {:?}", key(scope));
            assert_eq!(scope["requests"].as_u64(), Some(row.requests), "{what}");
            assert_eq!(scope["failures"].as_u64(), Some(row.failures), "{what}");
            // All eleven, the aggregate's from the summed histograms: exact.
            for (i, p) in P_KEYS.iter().enumerate() {
                assert_eq!(scope[p].as_f64(), Some(row.percentiles[i]), "{what} {p}");
            }
            assert!(
                (scope["avg"].as_f64().unwrap() - row.avg).abs() < 1e-9,
                "{what}"
            );
            assert!(
                (scope["min"].as_f64().unwrap() - row.min).abs() < 1e-9,
                "{what}"
            );
            assert!(
                (scope["max"].as_f64().unwrap() - row.max).abs() < 1e-9,
                "{what}"
            );
        }
    }
}

#[test]
fn json_median_is_locust_247s() {
    // 2.47 takes the median as the 50th percentile (clamped to min/max), as loadgate does.
    let path = fixture("json/locust-2.47.0.json");
    let csv = csv_of("2.47.0");
    let run = loadgate::ingest::load_run(&path).unwrap();
    for e in run.endpoints.iter().chain([&run.aggregated]) {
        let row = &csv[&(e.key.method.clone(), e.key.name.clone())];
        assert_eq!(e.median_ms, Some(row.median), "{}", e.key);
    }
}

#[test]
fn the_table_only_report_is_refused_with_what_to_do() {
    let path = fixture("html/locust-2.15.1.html");
    let out = loadgate(args!["check", path]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("locust-2.15.1.html"), "{err}");
    assert!(
        err.contains("old table layout") && err.contains("2.21"),
        "{err}"
    );
    assert!(err.contains("--csv PREFIX"), "{err}");
}

fn damaged(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn fails_with(path: &std::path::Path, needles: &[&str]) {
    let out = loadgate(args!["check", path]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
}

#[test]
fn a_truncated_templateargs_names_file_line_and_column() {
    let page = std::fs::read_to_string(fixture("html/locust-2.47.0.html")).unwrap();
    let start = page.find("window.templateArgs = {").unwrap();
    let cut = start + 3000;
    let (_dir, path) = damaged("report.html", &page[..cut]);
    let line = page[..start].matches('\n').count() + 1;
    fails_with(
        &path,
        &[
            &format!("report.html:{line}:"),
            "templateArgs ends before its value does",
        ],
    );
}

#[test]
fn wrong_types_in_templateargs_name_the_json_path() {
    let page = std::fs::read_to_string(fixture("html/locust-2.47.0.html")).unwrap();
    let (_dir, path) = damaged(
        "report.html",
        &page.replacen(
            "\"num_requests\": ",
            "\"num_requests\": \"abc\", \"x\": ",
            1,
        ),
    );
    fails_with(
        &path,
        &["report.html: templateArgs.requests_statistics[0].num_requests: expected a whole number, found \"abc\""],
    );
    let (_dir, path) = damaged(
        "report.html",
        &page.replacen("\"0.95\": ", "\"0.95\": [], \"x\": ", 1),
    );
    fails_with(
        &path,
        &["templateArgs.response_time_statistics[0][\"0.95\"]: expected a number of at least 0, found an array"],
    );
    let (_dir, path) = damaged(
        "report.html",
        &page.replacen(
            "\"requests_statistics\": [",
            "\"requests_statistics\": 7, \"x\": [",
            1,
        ),
    );
    fails_with(
        &path,
        &["templateArgs.requests_statistics: expected an array, found 7"],
    );
}

#[test]
fn a_page_without_templateargs_is_not_a_report() {
    let (_dir, path) = damaged(
        "page.html",
        "<html><body>window.templateArgs.profile</body></html>",
    );
    fails_with(&path, &["not a Locust HTML report"]);
}

#[test]
fn damaged_json_names_the_path_or_the_position() {
    let text = std::fs::read_to_string(fixture("json/locust-2.47.0.json")).unwrap();
    let (_dir, path) = damaged(
        "stats.json",
        &text.replacen("\"num_failures\": 0", "\"num_failures\": -1", 1),
    );
    fails_with(
        &path,
        &[
            "stats.json: $[",
            "].num_failures: expected a whole number, found -1",
        ],
    );
    let (_dir, path) = damaged("stats.json", &text.replacen("\"3\": ", "\"3 ms\": ", 1));
    fails_with(
        &path,
        &["response_times[\"3 ms\"]: the key \"3 ms\" is not a response time in ms"],
    );
    let (_dir, path) = damaged("stats.json", &text[..text.len() / 2]);
    fails_with(&path, &["stats.json:", "ends before its value does"]);
    let (_dir, path) = damaged(
        "stats.json",
        &format!("[2026-12-01 20:55:25] INFO starting\n{text}"),
    );
    fails_with(&path, &["stats.json:1:", "--skip-log"]);
}

#[test]
fn a_json_run_takes_its_failure_messages_from_the_failures_csv_beside_it() {
    // One Locust 2.47.0 run wrote both (--json-file json/locust-2.47.0, --csv reports-csv/locust-2.47.0);
    // side by side under one name, as `--json-file results/run --csv results/run` writes them.
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    std::fs::copy(fixture("json/locust-2.47.0.json"), &json).unwrap();
    let (_, alone) = check_json(args![json]);
    assert_eq!(alone["failures"].as_array().unwrap().len(), 0);

    for part in ["failures", "exceptions"] {
        std::fs::copy(
            fixture(format!("reports-csv/locust-2.47.0_{part}.csv")),
            dir.path().join(format!("run_{part}.csv")),
        )
        .unwrap();
    }
    let (_, report) = check_json(args![json]);
    let failures = report["failures"].as_array().unwrap();
    let csv_rows = csv_rows("reports-csv/locust-2.47.0_failures.csv");
    assert_eq!(failures.len(), csv_rows.len());
    // Every message's occurrences add up to the endpoint's failure count the JSON itself gives.
    for endpoint in report["endpoints"].as_array().unwrap() {
        let counted: u64 = failures
            .iter()
            .filter(|f| f["name"] == endpoint["name"] && f["method"] == endpoint["method"])
            .map(|f| f["occurrences"].as_u64().unwrap())
            .sum();
        assert_eq!(
            counted,
            endpoint["failures"].as_u64().unwrap(),
            "{}",
            endpoint["name"]
        );
    }
    let notes = report["notes"].to_string();
    assert!(report["run"]["failures_file"]
        .as_str()
        .unwrap()
        .ends_with("run_failures.csv"));
    assert!(notes.contains("run_failures.csv"), "{notes}");
}

/// fixtures/runner is one Locust run written as CSVs and JSON: the CSV, written up to a second
/// before the end, counts 1,901 requests, the JSON 1,912. Either way the notes say which was read
/// and why the other differs.
#[test]
fn a_csv_and_a_json_of_one_run_that_disagree_say_which_was_read_and_why() {
    let note_of = |run: std::path::PathBuf| {
        let (_, report) = check_json(args![run]);
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n.as_str())
            .find(|n| n.contains("Locust writes _stats.csv up to a second before"))
            .map(str::to_string)
    };
    let from_json = note_of(fixture("runner/run.json")).expect("a note reading the JSON");
    assert!(
        from_json.contains("counts 1901 requests") && from_json.contains("run.json 1912"),
        "{from_json}"
    );
    assert!(
        from_json.contains("read") && from_json.ends_with("its totals are the run's final ones"),
        "{from_json}"
    );
    let from_csv = note_of(fixture("runner/run")).expect("a note reading the CSV");
    assert!(
        from_csv.contains("loadgate read") && from_csv.contains("run_stats.csv, the run given"),
        "{from_csv}"
    );
    // A run with no report beside it says nothing of the kind.
    assert_eq!(note_of(fixture("compare/same-1")), None);
}
