//! The gate reads the server: `check`, `compare` and `ab` with `--prometheus` against a real
//! Prometheus 2.42 scraping a real node_exporter, after a real run of loadgate's generator. A
//! `[[server]]` rule joins the verdict like every other check and is named in every output; data
//! not read is a warning that leaves the exit code as it was (exit 2 under
//! `--require-server-metrics`).

use super::*;

/// A profile that grades the run loosely (so the client's checks pass) with `rules`.
pub(super) fn gate_profile(dir: &Path, file: &str, rules: &str) -> String {
    let path = dir.join(file);
    std::fs::write(
        &path,
        format!("name = \"server-gate\"\n[thresholds]\np95 = {{ excellent = 5000 }}\nerror_rate = {{ excellent = 0.5 }}\n{rules}"),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

const PASSING: &str = r#"
[[server]]
name = "node up"
query = 'up{job="node"}'
floor = true
over = "min"
limit = 1
"#;

const FAILING: &str = r#"
[[server]]
name = "prometheus memory"
query = 'process_resident_memory_bytes{job="prometheus"}'
unit = "bytes"
over = "max"
limit = 1000
"#;

pub(super) fn json_of(out: &str, err: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"))
}

fn server_rule<'a>(report: &'a Value, name: &str) -> &'a Value {
    rule(&report["server"], name)
}

#[test]
fn check_grades_server_rules_into_the_verdict_and_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = stack(dir.path()) else {
        return;
    };
    let port = stack.prometheus.port;
    let url = stack.prometheus.url();
    wait_until_scraped(
        port,
        "count(rate(process_cpu_seconds_total[4s])) >= 2",
        chrono::Utc::now().timestamp() as f64,
    );
    let (run, _, to) = real_run(dir.path(), 6);
    wait_until_scraped(port, "up", to + 1.0);
    let run = run.to_str().unwrap();
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    // One rule passes, one fails: exit 1, the failed rule named in the table, JSON and JUnit.
    let both = gate_profile(dir.path(), "both.toml", &format!("{PASSING}{FAILING}"));
    let (code, table, err) = loadgate_with_token(
        "check",
        &[
            run,
            "-p",
            &both,
            "--prometheus",
            &url,
            "--junit",
            &d("junit.xml"),
            "--json",
            &d("report.json"),
            "--markdown",
            &d("report.md"),
            "--html",
            &d("report.html"),
            "--openmetrics",
            &d("metrics.txt"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{table}\n{err}");
    assert!(
        table.contains("Server metrics from http://127.0.0.1:"),
        "{table}"
    );
    let failed_row = table
        .lines()
        .find(|l| l.contains("prometheus memory"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(failed_row.contains("FAIL"), "{failed_row}");
    let passed_row = table.lines().find(|l| l.contains("node up")).unwrap();
    assert!(passed_row.contains("PASS"), "{passed_row}");
    assert!(
        table.contains("1 failed, 0 warned, 1 passed server rules"),
        "{table}"
    );

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d("report.json")).unwrap()).unwrap();
    assert_eq!(report["schema_version"], 2);
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["server"]["status"], "fail");
    let memory = server_rule(&report, "prometheus memory");
    assert_eq!(memory["status"], "fail");
    assert_eq!(memory["limit"], 1000.0);
    // The value is Prometheus' own: its memory is tens of MB, far above 1 kB.
    assert!(memory["value"].as_f64().unwrap() > 1e6, "{memory}");
    assert_eq!(server_rule(&report, "node up")["status"], "pass");
    assert_eq!(server_rule(&report, "node up")["value"], 1.0);
    // Every series read is there with its summary; the presets found both jobs.
    let series = report["server"]["series"].as_array().unwrap();
    assert!(series
        .iter()
        .any(|s| s["source"] == "prometheus memory" && s["max"].as_f64().unwrap() > 1e6));
    assert!(
        series.iter().any(|s| s["labels"]["job"] == "node"),
        "{series:?}"
    );
    // The client's checks passed: the server's rule alone failed the run.
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] != "fail"));

    let junit = std::fs::read_to_string(d("junit.xml")).unwrap();
    assert!(
        junit.contains("classname=\"server\" name=\"prometheus memory\""),
        "{junit}"
    );
    assert!(
        junit.contains("classname=\"server\" name=\"node up\""),
        "{junit}"
    );
    let failure_at = junit
        .find("classname=\"server\" name=\"prometheus memory\"")
        .unwrap();
    assert!(
        junit[failure_at..]
            .split("</testcase>")
            .next()
            .unwrap()
            .contains("<failure"),
        "{junit}"
    );

    let markdown = std::fs::read_to_string(d("report.md")).unwrap();
    assert!(
        markdown.contains("prometheus memory") && markdown.contains("Server"),
        "{markdown}"
    );
    let metrics = std::fs::read_to_string(d("metrics.txt")).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("loadgate_server_rule_value{")
                && l.contains("rule=\"prometheus memory\"")),
        "{metrics}"
    );
    let html = std::fs::read_to_string(d("report.html")).unwrap();
    assert!(
        html.contains("Server metrics"),
        "the HTML has a server section"
    );
    let latency_at = html
        .find("Response times over time")
        .expect("the latency chart");
    let server_at = html
        .find("The server&#39;s metrics over the same time")
        .or_else(|| html.find("The server's metrics over the same time"))
        .expect("the server's chart");
    assert!(
        server_at > latency_at,
        "the server's chart comes under the latency chart"
    );

    // The passing rule alone: the gate passes, and a pass is claimed only on data read.
    let passing = gate_profile(dir.path(), "pass.toml", PASSING);
    let (code, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "-p",
            &passing,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    let report = json_of(&out, &err);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(server_rule(&report, "node up")["status"], "pass");
    assert_ne!(report["verdict"], "fail");

    // Without --prometheus: the same run's verdict and exit code, and a note that the rule was not graded.
    let (plain_code, out, err) =
        loadgate_with_token("check", &[run, "-p", &passing, "--format", "json"], &[]);
    let plain = json_of(&out, &err);
    assert_eq!(plain_code, 0);
    assert!(plain["server"].is_null());
    assert!(
        plain["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("[[server]] rule(s) were not graded")),
        "{plain:#}"
    );

    // Prometheus down: a warning note, the rule not read (warn, never pass), exit as without it.
    let down = format!("http://127.0.0.1:{}", free_port());
    let (code, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "-p",
            &passing,
            "--prometheus",
            &down,
            "--format",
            "json",
        ],
        &[],
    );
    let report = json_of(&out, &err);
    assert_eq!(code, plain_code, "{out}\n{err}");
    assert_eq!(report["verdict"], "warn");
    assert_eq!(
        notes_of(&report["server"], "unreachable").len(),
        1,
        "{:#}",
        report["server"]
    );
    assert_eq!(server_rule(&report, "node up")["status"], "warn");
    assert!(server_rule(&report, "node up")["value"].is_null());
    let (code, _, err) = loadgate_with_token(
        "check",
        &[
            run,
            "-p",
            &passing,
            "--prometheus",
            &down,
            "--require-server-metrics",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--require-server-metrics"), "{err}");
    // The URL from the environment works as the flag does.
    let (code, out, err) = loadgate_with_token(
        "check",
        &[run, "-p", &passing, "--format", "json"],
        &[("LOADGATE_PROMETHEUS_URL", &url)],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        server_rule(&json_of(&out, &err), "node up")["status"],
        "pass"
    );

    // The built-in profile whose team's guide states server criteria: host CPU and memory graded.
    let (_, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "-p",
            "high-throughput",
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    let report = json_of(&out, &err);
    for name in ["host CPU", "host memory"] {
        let graded = server_rule(&report, name);
        assert_eq!(graded["checked"], true, "{graded}");
        let value = graded["value"].as_f64().unwrap();
        assert!(value > 0.0 && value <= 1.0, "{graded}");
        assert_eq!(graded["limit"], 1.0, "{graded}");
        assert_eq!(graded["warn_limit"], 0.8, "{graded}");
    }

    // compare: the current run's window is read and its rules join the verdict.
    let (code, out, err) = loadgate_with_token(
        "compare",
        &[
            run,
            run,
            "-p",
            &both,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let report = json_of(&out, &err);
    assert_eq!(report["command"], "compare");
    assert_eq!(server_rule(&report, "prometheus memory")["status"], "fail");
    drop(stack);
}

#[test]
fn history_judges_the_newest_run_with_the_server_and_ab_reads_b_s_window() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = stack(dir.path()) else {
        return;
    };
    let port = stack.prometheus.port;
    let url = stack.prometheus.url();
    wait_until_scraped(
        port,
        "count(rate(process_cpu_seconds_total[4s])) >= 2",
        chrono::Utc::now().timestamp() as f64,
    );
    // An archive of one run: its newest run is read.
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let (_, _, to) = real_run(&archive, 4);
    wait_until_scraped(port, "up", to + 1.0);
    let archive = archive.to_str().unwrap();
    let (code, out, err) = loadgate_with_token(
        "history",
        &[archive, "--prometheus", &url, "--format", "json"],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report = json_of(&out, &err);
    assert!(
        report["server"]["run"].as_str().unwrap().ends_with("run"),
        "{:#}",
        report["server"]
    );
    assert!(report["server"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["labels"]["job"] == "node"));
    let (code, table, err) = loadgate_with_token("history", &[archive, "--prometheus", &url], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains("The newest run,") && table.contains("Server metrics from"),
        "{table}"
    );
    // Prometheus down: a warning, never a pass; exit 2 when required.
    let down = format!("http://127.0.0.1:{}", free_port());
    let (code, out, err) = loadgate_with_token(
        "history",
        &[archive, "--prometheus", &down, "--format", "json"],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json_of(&out, &err)["verdict"], "warn");
    let (code, _, _) = loadgate_with_token(
        "history",
        &[archive, "--prometheus", &down, "--require-server-metrics"],
        &[],
    );
    assert_eq!(code, 2);

    // ab against two of loadgate's own targets: B's window is read and its rule graded.
    let (a, b) = (Target::start(), Target::start());
    let profile = gate_profile(dir.path(), "ab.toml", FAILING);
    let (code, out, err) = loadgate_with_token(
        "ab",
        &[
            "--a",
            &a.url,
            "--b",
            &b.url,
            "-u",
            "2",
            "-t",
            "3s",
            "-q",
            "-p",
            &profile,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let report = json_of(&out, &err);
    assert_eq!(report["command"], "ab");
    assert_eq!(server_rule(&report, "prometheus memory")["status"], "fail");
    drop(stack);
}

#[test]
fn history_markdown_and_html_show_the_newest_runs_server_section() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = stack(dir.path()) else {
        return;
    };
    let port = stack.prometheus.port;
    let url = stack.prometheus.url();
    wait_until_scraped(
        port,
        "count(rate(process_cpu_seconds_total[4s])) >= 2",
        chrono::Utc::now().timestamp() as f64,
    );
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let (_, _, to) = real_run(&archive, 4);
    wait_until_scraped(port, "up", to + 1.0);
    let (md, html) = (dir.path().join("h.md"), dir.path().join("h.html"));
    let (code, out, err) = loadgate_with_token(
        "history",
        &[
            archive.to_str().unwrap(),
            "--prometheus",
            &url,
            "--markdown",
            md.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let md = std::fs::read_to_string(md).unwrap();
    assert!(md.starts_with("## ✅ loadgate history: PASS"), "{md}");
    assert!(md.contains("| 1 | "), "the run's row: {md}");
    assert!(md.contains("The newest run, "), "{md}");
    assert!(
        md.contains("**Server metrics from http://127.0.0.1:"),
        "{md}"
    );
    assert!(md.contains("| process_memory | {"), "{md}");
    let html = std::fs::read_to_string(html).unwrap();
    assert!(
        html.contains("Server metrics from http://127.0.0.1:"),
        "the section"
    );
    assert!(html.contains("server-series"), "the series table");
    drop(stack);
}
