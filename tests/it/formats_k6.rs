//! k6's results as runs: real k6 1.1.0 runs (fixtures/k6, made by fixtures/k6/make.sh against
//! target_server.py) and the k6 files other projects committed (../shared/wild2, read in place).

use std::process::{Command, Stdio};

use crate::common::{loadgate, shared};
use serde_json::Value;

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/k6/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// A file of ../shared/wild2, read in place (common::shared: skipped without the corpus, a
/// failure under CI).
fn wild2(rel: &str) -> Option<String> {
    shared(format!("wild2/{rel}")).map(|p| p.to_string_lossy().into_owned())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `check --format json` with `args`, the exit code and the report.
fn report(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = loadgate(&all);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code().unwrap(), json)
}

/// k6's own end-of-test figures of base-1 (its handleSummary data, written by the same run).
fn k6_own() -> Value {
    let text = std::fs::read_to_string(fixture("base-1.handle-summary.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["metrics"].clone()
}

fn endpoint<'a>(report: &'a Value, method: &str, name: &str) -> &'a Value {
    report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == method && e["name"] == name)
        .unwrap_or_else(|| panic!("no {method} {name}"))
}

#[test]
fn per_request_json_counts_what_k6_counted_and_its_p95_is_k6s() {
    let own = k6_own();
    let (code, report) = report(&[&fixture("base-1.json.gz")]);
    assert_ne!(code, 2, "{report}");
    assert_eq!(report["run"]["format"], "k6");
    let agg = &report["aggregated"];
    assert_eq!(agg["requests"], own["http_reqs"]["values"]["count"]);
    // http_req_failed's passes are the failed requests.
    assert_eq!(agg["failures"], own["http_req_failed"]["values"]["passes"]);
    let p95 = agg["p95"].as_f64().unwrap();
    let k6_p95 = own["http_req_duration"]["values"]["p(95)"]
        .as_f64()
        .unwrap();
    assert!((p95 - k6_p95).abs() < 0.001, "{p95} vs k6's {k6_p95}");
    let p99 = agg["p99"].as_f64().unwrap();
    let k6_p99 = own["http_req_duration"]["values"]["p(99)"]
        .as_f64()
        .unwrap();
    assert!((p99 - k6_p99).abs() < 0.001, "{p99} vs k6's {k6_p99}");
    // Named requests by their name tag, the others by URL.
    assert_eq!(endpoint(&report, "GET", "/items/[id]")["failures"], 0);
    let limited = endpoint(&report, "GET", "http://127.0.0.1:18461/limited");
    assert!(limited["failures"].as_u64().unwrap() > 0);
    assert_eq!(
        endpoint(&report, "GET", "http://127.0.0.1:18461/error")["total_error_rate"],
        1.0
    );
    // Failures by message, with the status.
    let failures = report["failures"].as_array().unwrap();
    let refused = failures
        .iter()
        .find(|f| f["name"] == "http://127.0.0.1:1/refused")
        .unwrap();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{refused}"
    );
    assert!(failures
        .iter()
        .any(|f| f["status_code"] == 429 && f["message"] == "HTTP 429 (k6 error_code 1429)"));
    // A per-second history with the VUs k6 reported.
    assert_eq!(report["run"]["peak_users"], 5);
    assert_eq!(report["run"]["full_history"], true);
}

#[test]
fn the_csv_and_the_json_of_one_run_are_the_same_run() {
    let (_, json) = report(&[&fixture("base-1.json.gz")]);
    let (_, csv) = report(&[&fixture("base-1.csv.gz")]);
    assert_eq!(json["endpoints"].as_array().unwrap().len(), 8);
    for (a, b) in json["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .zip(csv["endpoints"].as_array().unwrap())
    {
        for field in [
            "method", "name", "requests", "failures", "p50", "p95", "p99", "avg",
        ] {
            assert_eq!(a[field], b[field], "{field} of {}", a["name"]);
        }
    }
    assert_eq!(json["verdict"], csv["verdict"]);
}

#[test]
fn end_of_test_summaries_give_the_aggregate_and_say_so() {
    let own = k6_own();
    for file in ["base-1.summary-export.json", "base-1.handle-summary.json"] {
        let (code, report) = report(&[&fixture(file)]);
        assert_ne!(code, 2, "{report}");
        assert_eq!(report["run"]["format"], "k6-summary");
        assert_eq!(
            report["aggregated"]["requests"],
            own["http_reqs"]["values"]["count"]
        );
        assert_eq!(
            report["aggregated"]["failures"],
            own["http_req_failed"]["values"]["passes"]
        );
        assert_eq!(
            report["aggregated"]["p95"],
            own["http_req_duration"]["values"]["p(95)"]
        );
        assert!(report["endpoints"].as_array().unwrap().is_empty());
        let notes = report["notes"].to_string();
        assert!(notes.contains("aggregates only"), "{notes}");
        assert!(
            notes.contains("3 k6 threshold(s) kept, 1 crossed"),
            "{notes}"
        );
    }
}

#[test]
fn a_two_times_slower_build_fails_naming_the_endpoint_and_an_unchanged_one_passes() {
    let same = loadgate([
        "compare",
        &fixture("base-1.json.gz"),
        &fixture("base-2.json.gz"),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    let slow = loadgate([
        "compare",
        &fixture("base-1.json.gz"),
        &fixture("slow-2x.json.gz"),
    ]);
    assert_eq!(slow.status.code(), Some(1), "{}", text(&slow.stdout));
    let out = text(&slow.stdout);
    assert!(out.contains("✗ GET /slow"), "{out}");
}

#[test]
fn standard_input_is_read_as_a_file() {
    let bytes = {
        use std::io::Read;
        let mut gz =
            flate2::read::GzDecoder::new(std::fs::File::open(fixture("base-1.json.gz")).unwrap());
        let mut bytes = Vec::new();
        gz.read_to_end(&mut bytes).unwrap();
        bytes
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadgate"))
        .args(["check", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&bytes).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("{}{}", text(&out.stdout), text(&out.stderr));
    });
    assert_eq!(
        report["aggregated"]["requests"],
        k6_own()["http_reqs"]["values"]["count"]
    );
    assert_eq!(report["run"]["prefix"], "-");
}

#[test]
fn damaged_files_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    // A gzip stream cut in half.
    let bytes = std::fs::read(fixture("base-1.json.gz")).unwrap();
    let cut = dir.path().join("cut.json.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = loadgate(["check", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("gzip"), "{}", text(&out.stderr));
    // A line of k6 JSON with a value that is not a number, on line 3.
    let ndjson = dir.path().join("bad.json");
    std::fs::write(
        &ndjson,
        concat!(
            "{\"type\":\"Metric\",\"data\":{\"name\":\"http_reqs\"},\"metric\":\"http_reqs\"}\n",
            "{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"time\":\"2026-12-06T12:08:03Z\",\"value\":3.5,\"tags\":{\"method\":\"GET\",\"name\":\"/a\",\"status\":\"200\"}}}\n",
            "{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"time\":\"2026-12-06T12:08:03Z\",\"value\":\"slow\",\"tags\":{}}}\n",
        ),
    )
    .unwrap();
    let out = loadgate(["check", ndjson.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.json:3:"), "{err}");
    // A CSV row whose value is not a number: line and column named.
    let csv = dir.path().join("bad.csv");
    std::fs::write(
        &csv,
        "metric_name,timestamp,metric_value,method,name,status\nhttp_req_duration,1765022883,2.5,GET,/a,200\nhttp_req_duration,1765022883,fast,GET,/a,200\n",
    )
    .unwrap();
    let out = loadgate(["check", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.csv:3:3: column 'metric_value'"), "{err}");
}

/// Every k6 file of ../shared/wild2: requests as the files count them.
#[test]
fn k6_files_other_projects_committed() {
    let cases: [(&str, u64, u64); 6] = [
        ("trello__k6-csv/results.csv", 3, 0),
        ("trello__k6-ndjson-2021/results.json", 300, 0),
        ("votacao__k6-ndjson-large/k6-results.json", 771, 154),
        (
            "nt531__k6-summary-export-thresholds/network-chaos-k6-summary.json",
            3518,
            0,
        ),
        (
            "backendlab__k6-handlesummary-all-failed/k6_port_exhaustion.json",
            1422,
            1422,
        ),
        (
            "ratelimiter__k6-handlesummary-minified/summary.json",
            1441114,
            853649,
        ),
    ];
    for (rel, requests, failures) in cases {
        let Some(path) = wild2(rel) else { return };
        let (code, report) = report(&[&path]);
        assert_ne!(code, 2, "{rel}: {report}");
        assert_eq!(report["aggregated"]["requests"], requests, "{rel}");
        assert_eq!(report["aggregated"]["failures"], failures, "{rel}");
    }
}

#[test]
fn gatling_logs_are_refused_saying_what_is_read() {
    for rel in [
        "ratesperf__gatling-simlog-3.7.4/simulation.log",
        "gatlingfw__gatling-simlog-3.9.5-assertions/simulation.log",
        "badgewell__gatling-binary-3.14.3/simulation.log",
    ] {
        let Some(path) = wild2(rel) else { return };
        let out = loadgate(["check", &path]);
        assert_eq!(out.status.code(), Some(2), "{rel}");
        let err = text(&out.stderr);
        assert!(err.contains("Gatling's simulation.log"), "{rel}: {err}");
        assert!(err.contains("JMeter's JTL"), "{rel}: {err}");
    }
}

/// k6's own thresholds and checks in every output, beside loadgate's and outside its verdict: the
/// outcomes are those k6 wrote (handleSummary's `ok`, --summary-export's `true` = crossed), the
/// check counts its root_group's.
#[test]
fn k6s_own_thresholds_and_checks_are_in_every_output() {
    let own: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("base-1.handle-summary.json")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for file in ["base-1.handle-summary.json", "base-1.summary-export.json"] {
        let md = dir.path().join("r.md");
        let html = dir.path().join("r.html");
        let junit = dir.path().join("r.xml");
        let (code, report) = report(&[
            &fixture(file),
            "--markdown",
            md.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ]);
        assert_ne!(code, 2, "{file}");
        let tool = &report["tool_verdicts"];
        assert_eq!(tool["tool"], "k6", "{file}");
        let thresholds = tool["thresholds"].as_array().unwrap();
        assert_eq!(thresholds.len(), 3, "{file}");
        for t in thresholds {
            let metric = t["metric"].as_str().unwrap();
            let expression = t["expression"].as_str().unwrap();
            assert_eq!(
                t["ok"], own["metrics"][metric]["thresholds"][expression]["ok"],
                "{file}: {metric} {expression}"
            );
        }
        let checks = tool["checks"].as_array().unwrap();
        let rate_limited = checks
            .iter()
            .find(|c| c["name"] == "not rate limited")
            .unwrap();
        assert_eq!(
            (
                &rate_limited["passes"],
                &rate_limited["fails"],
                &rate_limited["group"]
            ),
            (
                &Value::from(90),
                &Value::from(45),
                &Value::from("::checkout")
            )
        );
        let crossed = "threshold http_req_duration{name:/slow} p(95)<30: crossed";
        let failed = "check \"not rate limited\" in ::checkout: 45 of 135 failed";
        let markdown = std::fs::read_to_string(&md).unwrap();
        assert!(
            markdown.contains("k6's own thresholds and checks"),
            "{markdown}"
        );
        assert!(
            markdown.contains("- ❌ threshold http_req_duration{name:/slow} p(95)&lt;30: crossed"),
            "{markdown}"
        );
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.contains("CROSSED</span> threshold http_req_duration{name:/slow} p(95)&lt;30"),
            "{file}"
        );
        assert!(page.contains("45 of 135 failed"));
        // JUnit: a testcase each, a crossed one a warning: the failures count is loadgate's.
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("classname=\"k6.own\""));
        assert!(
            xml.contains("warning: threshold http_req_duration{name:/slow} p(95)&lt;30: crossed")
        );
        let failing_checks = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .count();
        assert!(
            xml.contains(&format!(
                "tests=\"{}\" failures=\"{failing_checks}\"",
                report["checks"].as_array().unwrap().len() + 5
            )),
            "{xml}"
        );
        let table = loadgate(["check", &fixture(file)]);
        let table = text(&table.stdout);
        assert!(table.contains(&format!("✗ {crossed}")), "{table}");
        assert!(table.contains(&format!("✗ {failed}")), "{table}");
        assert!(
            table.contains("✓ 2 of 3 check(s) held every time"),
            "{table}"
        );
    }
    // --out json names the thresholds, not k6's outcome; the checks are counted from the samples.
    let (_, per_request) = report(&[&fixture("base-1.json.gz")]);
    let tool = &per_request["tool_verdicts"];
    assert!(tool["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["ok"].is_null()));
    let rate_limited = tool["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "not rate limited")
        .unwrap()
        .clone();
    assert_eq!(
        (
            rate_limited["passes"].as_u64(),
            rate_limited["fails"].as_u64()
        ),
        (Some(90), Some(45))
    );
    assert_eq!(tool["groups"].as_array().unwrap().len(), 2);
    // Locust's files keep no verdict of their own.
    let (_, locust) = report(&[&format!(
        "{}/fixtures/locust2/basic",
        env!("CARGO_MANIFEST_DIR")
    )]);
    assert_eq!(locust["tool_verdicts"], Value::Null);
}
