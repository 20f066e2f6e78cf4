//! Sustained breaches on real histories: a latency climb with windowed percentiles
//! (trend/degrading-full) and without (trend/degrading), per-endpoint error rates
//! (locust2-full/full), an outage in the last 9 s of a run (burst/burst), and an HTML report.

use crate::common::{self, check_json, fixture};
use serde_json::Value;

fn judged(run: &str, rules: &str) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    // The whole-run limits stay out of the way: only the sustained rules decide.
    std::fs::write(
        &profile,
        format!("name = \"p\"\n[thresholds]\np95 = 100000\n{rules}"),
    )
    .unwrap();
    check_json(args![fixture(run), "--profile", profile,])
}

fn only(report: &Value) -> &Value {
    let all = report["sustained"].as_array().unwrap();
    assert_eq!(all.len(), 1, "{all:#?}");
    &all[0]
}

const P95_90_FOR_15S: &str = "[[sustained]]\nmetric = \"p95\"\nlimit = 90\nfor = \"15s\"\n";

#[test]
fn a_windowed_p95_past_its_limit_long_enough_fails_a_shorter_one_passes() {
    let (code, report) = judged("trend/degrading-full", P95_90_FOR_15S);
    let s = only(&report);
    assert_eq!(
        (code, &s["status"], &s["checked"]),
        (1, &Value::from("fail"), &Value::from(true))
    );
    let breached = s["breached_s"].as_f64().unwrap();
    assert_eq!(breached, 19.0, "{s:#}");
    assert_eq!(s["worst"], 110.0);
    // The same breach against a rule of 20 s: just outside it, a pass.
    let (code, report) = judged(
        "trend/degrading-full",
        &P95_90_FOR_15S.replace("15s", "20s"),
    );
    assert_eq!((code, &only(&report)["status"]), (0, &Value::from("pass")));
    let (_, report) = judged(
        "trend/degrading-full",
        &P95_90_FOR_15S.replace("15s", "19s"),
    );
    assert_eq!(only(&report)["status"], "fail", "19 s of 19 s");
}

#[test]
fn cumulative_percentiles_cannot_answer_and_say_so_while_avg_can() {
    let (code, report) = judged("trend/degrading", P95_90_FOR_15S);
    let s = only(&report);
    assert_eq!(s["checked"], false);
    assert_eq!(s["status"], "warn");
    assert_eq!(code, 0);
    assert_eq!(report["verdict"], "warn", "never a silent pass");
    assert!(s["reason"].as_str().unwrap().contains("--csv-full-history"));
    let (code, report) = judged(
        "trend/degrading",
        "[[sustained]]\nmetric = \"avg\"\nlimit = 20\nfor = \"15s\"\n",
    );
    let s = only(&report);
    assert_eq!((code, &s["checked"]), (1, &Value::from(true)));
    assert!(s["breached_s"].as_f64().unwrap() >= 15.0, "{s:#}");
}

#[test]
fn an_outage_at_the_end_is_an_error_rate_burst_the_whole_run_hides() {
    // 39% of all requests failed: under a whole-run limit of 50%…
    let (code, report) = judged("burst/burst", "[aggregated]\nerror_rate = 0.5\n");
    assert_eq!(code, 0, "{:#}", report["checks"]);
    let rate = report["aggregated"]["total_error_rate"].as_f64().unwrap();
    assert!((0.35..0.5).contains(&rate), "{rate}");
    // …but every request of the last seconds failed.
    let (code, report) = judged(
        "burst/burst",
        "[[sustained]]\nmetric = \"error_rate\"\nlimit = 0.5\nfor = \"5s\"\n",
    );
    let s = only(&report);
    assert_eq!((code, &s["status"]), (1, &Value::from("fail")));
    assert_eq!(s["worst"], 1.0);
    assert!(s["breached_s"].as_f64().unwrap() >= 5.0);
    let to = s["to"].as_i64().unwrap();
    let from = s["from"].as_i64().unwrap();
    assert!(to > from);
}

#[test]
fn endpoint_rules_need_per_endpoint_history_and_within_adds_up_broken_breaches() {
    let rule =
        "[[sustained]]\nmetric = \"error_rate\"\nlimit = 0.5\nfor = \"10s\"\nname = \"/error\"\n";
    let (_, report) = judged("locust2-full/full", rule);
    let s = only(&report);
    assert_eq!(s["status"], "fail");
    assert_eq!(s["scope"], "GET /error");
    let (_, report) = judged("locust2/basic", rule);
    let s = only(&report);
    assert_eq!(s["checked"], false);
    assert!(s["reason"]
        .as_str()
        .unwrap()
        .contains("per-endpoint rows need --csv-full-history"));
    let within =
        "[[sustained]]\nmetric = \"error_rate\"\nlimit = 0.1\nfor = \"10s\"\nwithin = \"20s\"\n";
    let (_, report) = judged("locust2/basic", within);
    let s = only(&report);
    assert_eq!(s["within_s"], 20.0);
    assert!(s["reason"]
        .as_str()
        .unwrap()
        .contains("in total within 20 s"));
}

#[test]
fn an_html_report_has_windowed_percentiles_and_estimated_running_totals() {
    let (_, report) = judged("html/locust-2.47.0.html", P95_90_FOR_15S);
    assert_eq!(only(&report)["checked"], true);
    // Its history keeps rates, not totals: the reader integrates them (exact at the end) and says
    // so, and error-rate bursts are judged from those, with the note in the report.
    let (_, report) = judged(
        "html/locust-2.47.0.html",
        "[[sustained]]\nmetric = \"error_rate\"\nlimit = 0.1\nfor = \"5s\"\n",
    );
    assert_eq!(only(&report)["checked"], true);
    let notes = report["notes"].to_string();
    assert!(notes.contains("keeps no running totals"), "{notes}");
}

#[test]
fn bad_rules_are_input_errors() {
    for (rule, says) in [
        (
            "metric = \"p42\"\nlimit = 1\nfor = \"5s\"",
            "sustained[0].metric",
        ),
        (
            "metric = \"p95\"\nlimit = 1\nfor = \"soon\"",
            "sustained[0].for",
        ),
        (
            "metric = \"p95\"\nlimit = 1\nfor = \"10s\"\nwithin = \"5s\"",
            "must be at least as long",
        ),
        (
            "metric = \"p95\"\nlimit = 1\nfor = \"5s\"\nstatus = \"pass\"",
            "sustained[0].status",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("p.toml");
        std::fs::write(&profile, format!("name = \"p\"\n[[sustained]]\n{rule}\n")).unwrap();
        let output = common::loadgate(args![
            "check",
            fixture("locust2/basic"),
            "--profile",
            profile,
        ]);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            common::stderr(&output).contains(says),
            "{}",
            common::stderr(&output)
        );
    }
}
