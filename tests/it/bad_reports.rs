//! The bad-input corpus of the report readers (fixtures/bad-reports, derived from real reports by
//! its make.py): each is exit 2 with one message naming the file and the HTML position or JSON
//! path. Never a panic, never a report. Merged runs of different endpoints: the merge module.

use crate::common::{fixture, loadgate, stderr};

/// (file, what the message must say beside the file name)
const CASES: &[(&str, &str)] = &[
    (
        "truncated.html",
        ":25:3006: templateArgs ends before its value does",
    ),
    ("not-locust.html", ": not a Locust HTML report"),
    ("missing-field.json", ": $[1]: missing \"num_requests\""),
    ("wrong-type.json", ": $[0].name: expected a string, found 5"),
    (
        "negative-count.json",
        ": $[2].response_times[\"4\"]: expected a whole number, found -3",
    ),
    ("not-a-list.json", ": $[0]: missing \"name\""),
];

#[test]
fn every_bad_report_is_exit_2_with_one_message_naming_the_place() {
    for (case, expected) in CASES {
        let path = fixture(format!("bad-reports/{case}"));
        for format in ["table", "json"] {
            let out = loadgate(args!["check", path, "--format", format]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{case}: {err}");
            assert!(out.stdout.is_empty(), "{case}: nothing is reported");
            assert!(!err.contains("panicked"), "{case}: {err}");
            assert!(
                err.contains(&format!("bad-reports/{case}{expected}")),
                "{case}: expected '{expected}' after the file in: {err}"
            );
            assert_eq!(err.trim_end().lines().count(), 1, "{case}: {err}");
        }
    }
}

/// A bad file among merged runs is named as it is alone.
#[test]
fn a_bad_file_in_a_merge_is_named() {
    let bad = fixture("bad-reports/negative-count.json");
    let out = loadgate(args![
        "check",
        fixture("json/locust-2.47.0.json"),
        bad,
        "--merge",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("negative-count.json: $[2].response_times"),
        "{err}"
    );
}
