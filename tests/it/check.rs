//! `loadgate check` on real Locust output: every version and quirk the fixtures hold.

use crate::common::{check_json, csv_rows, fixture, loadgate, shared, stderr, stdout};
use serde_json::Value;

fn endpoint<'a>(report: &'a Value, method: &str, name: &str) -> &'a Value {
    report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == method && e["name"] == name)
        .unwrap_or_else(|| panic!("no endpoint {method} {name}"))
}

/// The Aggregated row's request count, read with the csv crate rather than loadgate.
fn aggregated_requests_in_file(rel: &str, column: &str) -> u64 {
    let mut reader = csv::Reader::from_path(fixture(rel)).unwrap();
    let header = reader.headers().unwrap().clone();
    let index = header.iter().position(|h| h == column).unwrap();
    let name = header.iter().position(|h| h == "Name").unwrap();
    reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[name] == "Aggregated" || &r[name] == "Total")
        .map(|r| r[index].parse().unwrap())
        .unwrap()
}

/// One endpoint's `Request Count`, read with the csv crate rather than loadgate.
fn endpoint_requests_in_file(rel: &str, name: &str) -> u64 {
    let rows = csv_rows(rel);
    rows.iter()
        .find(|r| &r[1] == name)
        .map(|r| r[2].parse().unwrap())
        .unwrap()
}

#[test]
fn locust2_run_is_read_with_every_quirk() {
    let (code, report) = check_json(args![fixture("locust2/basic")]);
    assert_eq!(
        code, 1,
        "500s, 404s and refused connections fail the default gate"
    );
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["run"]["format"], "locust");
    let rows = csv_rows("locust2/basic_stats.csv");
    assert_eq!(
        report["endpoints"].as_array().unwrap().len(),
        rows.len() - 1
    );
    assert_eq!(
        report["aggregated"]["requests"].as_u64().unwrap(),
        aggregated_requests_in_file("locust2/basic_stats.csv", "Request Count")
    );
    assert_eq!(report["aggregated"]["method"], "");
    assert_eq!(report["aggregated"]["name"], "Aggregated");
    // A name with a comma and doubled quotes survives intact.
    let limited = endpoint(&report, "GET", "/limited, \"quoted\"");
    assert!(limited["failures"].as_u64().unwrap() > 0);
    assert_eq!(endpoint(&report, "GET", "/error")["total_error_rate"], 1.0);
}

#[test]
fn endpoint_counts_add_up_to_the_aggregate() {
    for run in [
        "locust2/basic",
        "locust2-full/full",
        "locust2-distributed/dist",
        "locust1/basic",
    ] {
        let (_, report) = check_json(args![fixture(run)]);
        let endpoints = report["endpoints"].as_array().unwrap();
        let sum: u64 = endpoints
            .iter()
            .map(|e| e["requests"].as_u64().unwrap())
            .sum();
        let failures: u64 = endpoints
            .iter()
            .map(|e| e["failures"].as_u64().unwrap())
            .sum();
        assert_eq!(
            sum,
            report["aggregated"]["requests"].as_u64().unwrap(),
            "{run}"
        );
        assert_eq!(
            failures,
            report["aggregated"]["failures"].as_u64().unwrap(),
            "{run}"
        );
    }
}

#[test]
fn failures_carry_their_http_status() {
    let (_, report) = check_json(args![fixture("locust2/basic")]);
    let failures = report["failures"].as_array().unwrap();
    let status_of = |name: &str| {
        failures
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["status_code"].clone())
            .unwrap()
    };
    assert_eq!(status_of("/error"), 500);
    assert_eq!(status_of("/missing"), 404);
    assert_eq!(status_of("/limited, \"quoted\""), 429);
    assert_eq!(status_of("/refused"), Value::Null);
    assert!(
        failures.iter().all(|f| f["first_seen"].is_string()),
        "Locust 2.4x writes First Seen"
    );
}

#[test]
fn expected_429s_are_kept_out_of_the_graded_error_rate() {
    let (_, report) = check_json(args![fixture("locust2/basic"), "--profile", "llm-api"]);
    let limited = endpoint(&report, "GET", "/limited, \"quoted\"");
    assert_eq!(limited["expected_failures"], limited["failures"]);
    assert_eq!(limited["error_rate"], 0.0);
    assert!(limited["total_error_rate"].as_f64().unwrap() > 0.2);
    let expected: u64 = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["expected"] == true)
        .map(|f| f["occurrences"].as_u64().unwrap())
        .sum();
    assert_eq!(
        report["aggregated"]["expected_failures"].as_u64().unwrap(),
        expected
    );
    // /error still fails: only 429s are expected.
    assert_eq!(endpoint(&report, "GET", "/error")["status"], "fail");
}

#[test]
fn full_history_is_read_per_endpoint() {
    let (_, report) = check_json(args![fixture("locust2-full/full")]);
    assert_eq!(report["run"]["full_history"], true);
    let rows = csv_rows("locust2-full/full_stats_history.csv").len() as u64;
    assert_eq!(report["run"]["history_rows"].as_u64().unwrap(), rows);
}

#[test]
fn distributed_master_output_is_read() {
    let (_, report) = check_json(args![fixture("locust2-distributed/dist")]);
    assert!(report["aggregated"]["requests"].as_u64().unwrap() > 100);
    assert_eq!(report["run"]["peak_users"], 10);
}

#[test]
fn locust1_output_is_understood() {
    let (_, report) = check_json(args![fixture("locust1/basic")]);
    assert_eq!(report["run"]["format"], "locust");
    assert!(report["aggregated"]["requests"].as_u64().unwrap() > 100);
    assert!(report["aggregated"]["p95"].is_number());
    let failures = report["failures"].as_array().unwrap();
    // 1.x writes no First/Last Seen, and its messages lack 2.x's `HTTPError(...)` wrapper.
    assert!(failures.iter().all(|f| f["first_seen"].is_null()));
    let status_of =
        |name: &str| failures.iter().find(|f| f["name"] == name).unwrap()["status_code"].clone();
    assert_eq!(status_of("/limited, \"quoted\""), 429);
    assert_eq!(status_of("/error"), 500);
    assert_eq!(
        status_of("/refused"),
        Value::Null,
        "errno 111 and port=1 are not statuses"
    );
}

#[test]
fn locust215_failures_without_first_seen_are_read() {
    let (_, report) = check_json(args![fixture("locust215/basic")]);
    let failures = report["failures"].as_array().unwrap();
    assert!(!failures.is_empty());
    assert!(failures.iter().all(|f| f["first_seen"].is_null()));
}

#[test]
fn bom_and_crlf_read_the_same_as_the_original() {
    let (_, original) = check_json(args![fixture("locust2/basic")]);
    let (_, derived) = check_json(args![fixture("derived/bom_crlf/basic")]);
    assert_eq!(original["aggregated"], derived["aggregated"]);
    assert_eq!(original["endpoints"], derived["endpoints"]);
    assert_eq!(original["failures"], derived["failures"]);
}

#[test]
fn legacy_hash_headers_and_total_row_are_understood() {
    let (_, report) = check_json(args![fixture("derived/legacy/basic")]);
    assert_eq!(report["run"]["format"], "locust-legacy");
    assert_eq!(
        report["aggregated"]["requests"].as_u64().unwrap(),
        aggregated_requests_in_file("derived/legacy/basic_stats.csv", "# requests")
    );
    // No percentile columns in that dialect: the median comes from `Median response time`.
    assert!(report["aggregated"]["p50"].is_number());
    assert!(report["aggregated"]["p95"].is_null());
    assert!(report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("p95")));
}

#[test]
fn locustio_012_requests_file_is_read_byte_for_byte() {
    // `derived/legacy_hash` holds only `basic_requests.csv` and its copy as `basic_stats.csv`;
    // a prefix must find either, and both read the same.
    let (_, report) = check_json(args![fixture("derived/legacy_hash/basic")]);
    assert_eq!(report["run"]["format"], "locust-legacy");
    let (_, requests) = check_json(args![fixture("derived/legacy_hash/basic_requests.csv")]);
    assert_eq!(report["endpoints"], requests["endpoints"]);
    assert_eq!(
        report["aggregated"]["requests"].as_u64().unwrap(),
        aggregated_requests_in_file("derived/legacy_hash/basic_requests.csv", "# requests")
    );
    let quoted = endpoint(&report, "GET", "/limited, \"quoted\"");
    assert_eq!(
        quoted["requests"].as_u64().unwrap(),
        endpoint_requests_in_file("locust2/basic_stats.csv", "/limited, \"quoted\"")
    );
}

#[test]
fn locustio_014_failed_per_second_and_99_999_columns_are_understood() {
    let (_, report) = check_json(args![fixture("derived/legacy_014/basic")]);
    let (_, original) = check_json(args![fixture("locust2/basic")]);
    assert_eq!(
        report["aggregated"]["requests"],
        original["aggregated"]["requests"]
    );
    // 0.14 has the full percentile set, so P95 and P99 are graded, not missing.
    assert!(report["aggregated"]["p95"].is_number());
    assert!(report["aggregated"]["p99"].is_number());
    // `Requests Failed/s` is the failure rate: /error fails every request.
    let error = endpoint(&report, "GET", "/error");
    assert_eq!(error["failures"], error["requests"]);
    assert!(error["failures_per_s"].as_f64().unwrap() > 0.0, "{error}");
}

#[test]
fn multiline_tracebacks_in_exceptions_are_read() {
    let (_, report) = check_json(args![fixture("locust2-exceptions/exc")]);
    let exceptions = report["exceptions"].as_array().unwrap();
    assert_eq!(
        exceptions.len(),
        csv_rows("locust2-exceptions/exc_exceptions.csv").len()
    );
    let value_error = exceptions
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains("payload"))
        .expect("the ValueError row");
    assert_eq!(value_error["message"], "bad \"payload\", field 3");
    let traceback = value_error["traceback"].as_str().unwrap();
    assert!(traceback.lines().count() > 2, "{traceback}");
    assert!(traceback.contains("ValueError"), "{traceback}");
}

#[test]
fn a_stats_path_and_a_directory_name_the_same_run() {
    let (_, by_prefix) = check_json(args![fixture("locust2/basic")]);
    let (_, by_file) = check_json(args![fixture("locust2/basic_stats.csv")]);
    let (_, by_dir) = check_json(args![fixture("locust2")]);
    assert_eq!(by_prefix["aggregated"], by_file["aggregated"]);
    assert_eq!(by_prefix["aggregated"], by_dir["aggregated"]);
}

#[test]
fn a_directory_with_several_runs_checks_each_of_them() {
    let (code, set) = check_json(args![fixture("compare")]);
    let reports = set["reports"].as_array().unwrap();
    let prefixes: Vec<&str> = reports
        .iter()
        .map(|r| r["run"]["prefix"].as_str().unwrap())
        .collect();
    assert_eq!(prefixes.len(), 5, "{prefixes:?}");
    assert!(
        prefixes[0].ends_with("same-1") && prefixes[4].ends_with("slow-2x"),
        "{prefixes:?}"
    );
    assert_eq!(code, if set["verdict"] == "fail" { 1 } else { 0 });
}

#[test]
fn a_clean_run_passes_with_exit_zero() {
    let (code, report) = check_json(args![fixture("compare/same-1")]);
    assert_eq!(report["verdict"], "pass", "{:#}", report["checks"]);
    assert_eq!(code, 0);
}

#[test]
fn warnings_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("strict-median.toml");
    std::fs::write(
        &profile,
        "name = \"strict-median\"\n[thresholds]\np50 = { excellent = 1, poor = 1000 }\n",
    )
    .unwrap();
    let (code, report) = check_json(args![fixture("compare/same-1"), "--profile", profile,]);
    assert_eq!(report["verdict"], "warn");
    assert_eq!(code, 0);
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["status"] == "warn" && c["grade"] == "poor"));
}

#[test]
fn endpoint_overrides_and_skips_apply() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(
        &profile,
        r#"name = "p"
[thresholds]
p95 = 20
[[endpoint]]
name = "/sl*"
p95 = 100
[[endpoint]]
name = "/items/[id]"
skip = true
"#,
    )
    .unwrap();
    let (code, report) = check_json(args![fixture("compare/same-1"), "--profile", profile,]);
    let slow = endpoint(&report, "GET", "/slow");
    assert_eq!(
        slow["status"], "pass",
        "the override lifts /slow's limit to 100 ms"
    );
    assert_eq!(endpoint(&report, "GET", "/items/[id]")["graded"], false);
    let slow_check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "/slow" && c["metric"] == "p95")
        .unwrap();
    assert_eq!(slow_check["limit"], 100.0);
    // The aggregate keeps the 20 ms limit, and its P95 includes /slow's ~60 ms.
    assert_eq!(code, 1);
}

#[test]
fn a_bad_profile_names_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("typo.toml");
    std::fs::write(&profile, "name = \"t\"\n[thresholds]\np59 = 100\n").unwrap();
    let output = loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--profile",
        profile,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("typo.toml") && err.contains("p59"), "{err}");
    let output = loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--profile",
        "no-such-profile",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown profile"));
}

#[test]
fn the_json_file_matches_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out/report.json");
    let output = loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--format",
        "json",
        "--json",
        file,
    ]);
    let mut printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut written: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    printed["generated_at"] = Value::Null;
    written["generated_at"] = Value::Null;
    assert_eq!(printed, written);
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn several_runs_give_a_report_set_with_the_worst_verdict() {
    let (code, set) = check_json(args![fixture("compare/same-1"), fixture("locust2/basic")]);
    assert_eq!(code, 1);
    assert_eq!(set["verdict"], "fail");
    let reports = set["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["verdict"], "pass");
    assert_eq!(reports[1]["verdict"], "fail");
}

#[test]
fn the_table_is_plain_when_no_color_is_set() {
    let output = loadgate(args!["check", fixture("locust2/basic")]);
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "no escape codes with NO_COLOR");
    assert!(text.contains("/limited, \"quoted\""));
    assert!(text.contains("Verdict: FAIL"));
    assert!(text.contains("error_rate is 100.00%"));
}

#[test]
fn profiles_are_listed_and_printed() {
    let output = loadgate(["profiles"]);
    let text = stdout(&output);
    for name in [
        "default",
        "light",
        "medium",
        "heavy",
        "spike",
        "ml-api",
        "llm-api",
        "web-api",
        "high-throughput",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "{name} missing from\n{text}"
        );
    }
    let light = stdout(&loadgate(["profiles", "light"]));
    assert!(light.contains("name = \"light\"") && light.contains("[thresholds]"));
}

#[test]
fn a_nightly_folder_of_run_directories_checks_each_run() {
    // One directory per run, each with its CSVs: what a nightly job keeps.
    let dir = tempfile::tempdir().unwrap();
    for (night, run) in [
        ("2026-11-01", "compare/same-1"),
        ("2026-11-02", "compare/same-2"),
    ] {
        let target = dir.path().join(night);
        std::fs::create_dir(&target).unwrap();
        for suffix in ["_stats.csv", "_stats_history.csv", "_failures.csv"] {
            let from = fixture(format!("{run}{suffix}"));
            std::fs::copy(from, target.join(format!("run{suffix}"))).unwrap();
        }
    }
    let (code, set) = check_json(args![dir.path()]);
    assert_eq!(code, 0);
    let reports = set["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports[0]["run"]["prefix"]
        .as_str()
        .unwrap()
        .contains("2026-11-01"));
}

#[test]
fn locustio_0_8_percentiles_come_from_the_distribution_file() {
    // A real 0.8 run (../shared/wild, from jmath1/ChatOps-LocustIO): the percentiles are only in
    // `_distribution.csv`; without it a P95 limit would grade nothing.
    let Some(dir) = shared("wild/chatops__example-v08") else {
        return;
    };
    let (_, report) = check_json([&dir]);
    let rows = csv_rows(dir.join("example_distribution.csv"));
    let total = rows.iter().find(|r| &r[0] == "Total").unwrap();
    assert_eq!(
        report["aggregated"]["p95"],
        total[7].parse::<f64>().unwrap()
    );
    let first = rows.iter().find(|r| &r[0] == "GET /first-task").unwrap();
    let endpoint = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "/first-task")
        .unwrap();
    assert_eq!(endpoint["p99"], first[9].parse::<f64>().unwrap());
    let p95_checks = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["metric"] == "p95")
        .count();
    assert_eq!(p95_checks, 4, "three endpoints and the aggregate");
}

#[test]
fn a_locustio_0_14_history_without_a_user_count_is_read() {
    // A real 0.14 run (../shared/wild, from ONSdigital/eq-survey-runner-benchmark): its history's
    // header is `"Type","Name","Timestamp","# requests",…` with no user count.
    let Some(dir) = shared("wild/ons__0003-baseline-25clients-v014") else {
        return;
    };
    let (_, report) = check_json([dir.join("baseline_25_clients")]);
    let rows = csv_rows(dir.join("baseline_25_clients_stats_history.csv"));
    assert_eq!(report["run"]["history_rows"], rows.len());
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let span = last[2].parse::<i64>().unwrap() - first[2].parse::<i64>().unwrap();
    assert_eq!(report["run"]["duration_s"], span as f64);
    assert_eq!(
        report["run"]["peak_users"],
        Value::Null,
        "the file does not say"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("no user count"), "{notes}");
}

#[test]
fn a_verdict_resting_on_no_check_is_no_plain_pass() {
    // A locustio 0.8 stats file without its distribution file has no percentiles: a profile that
    // limits only P95 checks nothing, and the report says so instead of passing.
    let Some(real) = shared("wild/chatops__example-v08") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        real.join("example_requests.csv"),
        dir.path().join("r_requests.csv"),
    )
    .unwrap();
    let profile = dir.path().join("p95-only.toml");
    std::fs::write(&profile, "name = \"p95-only\"\n[thresholds]\np95 = 100\n").unwrap();
    let (code, report) = check_json(args![dir.path().join("r"), "--profile", profile,]);
    assert_eq!(code, 0);
    assert_eq!(report["checks"].as_array().unwrap().len(), 0);
    assert_eq!(report["verdict"], "warn");
    assert!(report["notes"].to_string().contains("no check applied"));
}
