//! The bad-input corpus (fixtures/bad, made by fixtures/derive.py): every case is exit 2 with one
//! message naming the file and, where known, the line and column. Never a panic, never a report.

use crate::common::{fixture, loadgate, stderr};

/// (file, what the message must contain beside the file name)
const CASES: &[(&str, &str)] = &[
    ("empty", "the file is empty"),
    ("header_only", "no Aggregated row"),
    ("truncated", "fields but the header has"),
    ("ragged", "fields but the header has"),
    (
        "non_numeric",
        "column 'Request Count': expected a whole number, found 'abc'",
    ),
    (
        "negative",
        "column 'Failure Count': a count cannot be negative, found '-5'",
    ),
    (
        "nan",
        "column 'Average Response Time': expected a finite number, found 'NaN'",
    ),
    ("inf", "column '95%': expected a finite number, found 'inf'"),
    ("binary", "binary"),
    (
        "wrong_kind",
        "this is Locust's failures file (_failures.csv), not its stats file",
    ),
    ("no_name", "no 'Name' column"),
    ("duplicate", "duplicate row for GET /error"),
    (
        "bad_timestamp",
        "column 'Timestamp': expected a Unix timestamp",
    ),
];

#[test]
fn every_bad_input_is_exit_2_with_a_message_naming_the_file() {
    for (case, expected) in CASES {
        let prefix = fixture(format!("bad/{case}"));
        let output = loadgate(args!["check", prefix, "--format", "json"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{case}: {err}");
        assert!(
            output.stdout.is_empty(),
            "{case}: nothing is reported on bad input"
        );
        assert!(!err.contains("panicked"), "{case}: {err}");
        assert!(
            err.contains(&format!("{case}_stats")),
            "{case}: names the file: {err}"
        );
        assert!(
            err.contains(expected),
            "{case}: expected '{expected}' in: {err}"
        );
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{case}: one message: {err}"
        );
    }
}

#[test]
fn cell_errors_name_line_and_column() {
    let output = loadgate(args!["check", fixture("bad/non_numeric")]);
    // Row 2 of the data is line 3; Request Count is the third column.
    assert!(
        stderr(&output).contains("non_numeric_stats.csv:3:3: column 'Request Count'"),
        "{}",
        stderr(&output)
    );
    let output = loadgate(args!["check", fixture("bad/bad_timestamp")]);
    assert!(
        stderr(&output).contains("bad_timestamp_stats_history.csv:4:1:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_missing_run_is_exit_2() {
    let output = loadgate(["check", "no/such/run"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no such run"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(loadgate(["check"]).status.code(), Some(2));
    assert_eq!(
        loadgate(["check", "x", "--format", "yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(loadgate(["frobnicate"]).status.code(), Some(2));
}

#[test]
fn columns_are_found_by_name_not_position() {
    let read = |run: &str| {
        let output = loadgate(args!["check", fixture(run), "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let (original, swapped) = (
        read("locust2/basic_stats.csv"),
        read("derived/swapped/basic_stats.csv"),
    );
    assert_eq!(original["endpoints"], swapped["endpoints"]);
    assert_eq!(original["aggregated"], swapped["aggregated"]);
}

#[test]
fn a_pathological_cell_is_refused_in_bounded_memory() {
    // A 1 MiB endpoint name: refused at the cell, not carried into the report.
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(fixture("locust2/basic_stats.csv")).unwrap();
    let huge = original.replacen("GET,/error,", &format!("GET,/{},", "x".repeat(1 << 20)), 1);
    std::fs::write(dir.path().join("huge_stats.csv"), huge).unwrap();
    let output = loadgate(args!["check", dir.path().join("huge")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("huge_stats.csv:2:2: column 'Name': cell is longer than 65536 bytes"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unbounded_endpoint_names_are_refused_not_loaded() {
    // A million endpoints would need gigabytes of report; past 10,000 the file is refused.
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(fixture("locust2/basic_stats.csv")).unwrap();
    let mut lines = original.lines();
    let header = lines.next().unwrap();
    let row = lines.next().unwrap();
    let mut text = format!("{header}\n");
    for i in 0..10_001 {
        text.push_str(&row.replacen("/error", &format!("/items/{i}"), 1));
        text.push('\n');
    }
    std::fs::write(dir.path().join("ids_stats.csv"), text).unwrap();
    let output = loadgate(args!["check", dir.path().join("ids")]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("ids_stats.csv:10002: more than 10000 endpoints"),
        "{err}"
    );
    assert!(err.contains("name="), "{err}");
}
