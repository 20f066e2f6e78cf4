//! The server in a baseline: `baseline save --prometheus` keeps the server's figures of a real run
//! (a rule's value, each preset's summary, CPU seconds and memory growth per 1,000 requests), and
//! `check --baseline` and `compare` judge a run's figures against them in the verdict and every
//! output. A baseline saved without them still loads and says so.

use super::gate::{gate_profile, json_of};
use super::*;

/// Prometheus' own memory as a rule: the same run read twice gives the same value.
const MEMORY: &str = r#"
[[server]]
name = "prometheus memory"
query = 'process_resident_memory_bytes{job="prometheus"}'
unit = "bytes"
over = "max"
limit = 1e12
"#;

/// The same rule reading three times the memory: a regression of the figure by +200%.
const TRIPLED: &str = r#"
[[server]]
name = "prometheus memory"
query = '3 * process_resident_memory_bytes{job="prometheus"}'
unit = "bytes"
over = "max"
limit = 1e12
"#;

fn figure<'a>(figures: &'a Value, kind: &str, name: &str, job: Option<&str>) -> &'a Value {
    figures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind && f["name"] == name && job.is_none_or(|j| f["job"] == j))
        .unwrap_or_else(|| panic!("no {kind} {name} in {figures:#}"))
}

#[test]
fn a_baseline_keeps_the_servers_figures_and_check_and_compare_judge_them() {
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
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    let memory = gate_profile(dir.path(), "memory.toml", MEMORY);
    let tripled = gate_profile(dir.path(), "tripled.toml", TRIPLED);
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    // Saved with the server: the stored run keeps its figures.
    let (code, out, err) = loadgate_with_token(
        "baseline",
        &[
            "save",
            run,
            "--name",
            "main",
            "--store",
            store,
            "-p",
            &memory,
            "--prometheus",
            &url,
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("figure(s) from http://127.0.0.1:"), "{out}");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{store}/main.json")).unwrap())
            .unwrap();
    let kept = &stored["runs"][0]["server"];
    let rule = figure(&kept["figures"], "rule", "prometheus memory", None);
    assert!(rule["value"].as_f64().unwrap() > 1e6, "{rule}");
    assert_eq!(rule["over"], "max");
    let level = figure(
        &kept["figures"],
        "preset",
        "process_memory",
        Some("prometheus"),
    );
    assert_eq!(level["unit"], "bytes");
    let cpu = figure(
        &kept["figures"],
        "per_1k_requests",
        "process_cpu",
        Some("prometheus"),
    );
    assert_eq!(
        (&cpu["over"], &cpu["unit"]),
        (&"cpu_seconds".into(), &"seconds".into())
    );
    assert!(cpu["value"].as_f64().unwrap() > 0.0, "{cpu}");
    let growth = figure(
        &kept["figures"],
        "per_1k_requests",
        "process_memory",
        Some("node"),
    );
    assert_eq!(growth["over"], "memory_growth");
    assert!(growth["se"].as_f64().is_some(), "{growth}");
    assert!(kept["requests"].as_u64().unwrap() > 0, "{kept}");

    // The same run against it: every figure as it was, nothing flagged.
    let (code, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "--baseline",
            "main",
            "--store",
            store,
            "-p",
            &memory,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report = json_of(&out, &err);
    let compared = &report["server"]["baseline"];
    assert_eq!(compared["status"], "pass", "{compared:#}");
    assert_eq!(compared["with_figures"], 1);
    let figures = compared["figures"].as_array().unwrap();
    assert!(figures.len() >= 5, "{compared:#}");
    for f in figures {
        assert_eq!(f["moved"], "unchanged", "{f}");
    }
    let rule = figure(&compared["figures"], "rule", "prometheus memory", None);
    assert_eq!(rule["change"], 0.0);
    assert_eq!(rule["noise_source"], "allowance");
    assert!(
        (rule["noise_pct"].as_f64().unwrap() - 54.65).abs() < 0.1,
        "{rule}"
    );

    // The rule's figure three times what it was: worse beyond the noise, failed, in every output.
    let (code, table, err) = loadgate_with_token(
        "check",
        &[
            run,
            "--baseline",
            "main",
            "--store",
            store,
            "-p",
            &tripled,
            "--prometheus",
            &url,
            "--json",
            &d("report.json"),
            "--markdown",
            &d("report.md"),
            "--junit",
            &d("junit.xml"),
            "--html",
            &d("report.html"),
            "--openmetrics",
            &d("metrics.txt"),
        ],
        &[],
    );
    assert_eq!(code, 1, "{table}\n{err}");
    assert!(
        table.contains("Server against the baseline (1 of 1 kept run(s)"),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.contains("rule \"prometheus memory\""))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("+200%") && row.contains("FAIL"), "{row}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["server"]["status"], "fail");
    let rule = figure(
        &report["server"]["baseline"]["figures"],
        "rule",
        "prometheus memory",
        None,
    );
    assert_eq!(
        (&rule["moved"], &rule["status"]),
        (&"worse".into(), &"fail".into())
    );
    assert!(
        (rule["change_pct"].as_f64().unwrap() - 200.0).abs() < 1e-6,
        "{rule}"
    );
    let md = std::fs::read_to_string(d("report.md")).unwrap();
    assert!(md.contains("**Server against the baseline"), "{md}");
    assert!(md.contains("| ❌ | rule \"prometheus memory\""), "{md}");
    let junit = std::fs::read_to_string(d("junit.xml")).unwrap();
    assert!(
        junit.contains("classname=\"server.baseline\" name=\"rule &quot;prometheus memory&quot;\""),
        "{junit}"
    );
    let html = std::fs::read_to_string(d("report.html")).unwrap();
    assert!(
        html.contains("server-baseline"),
        "the server figures' table"
    );
    let metrics = std::fs::read_to_string(d("metrics.txt")).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("loadgate_server_figure_change{")
                && l.contains("prometheus memory")),
        "{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("loadgate_server_figure_status{")
                && l.contains("prometheus memory")
                && l.ends_with(" 2")),
        "{metrics}"
    );

    // compare reads both runs' windows: the baseline run's figures come from the backend too.
    let (code, out, err) = loadgate_with_token(
        "compare",
        &[
            run,
            run,
            "-p",
            &memory,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report = json_of(&out, &err);
    assert_eq!(
        report["server"]["baseline"]["with_figures"], 1,
        "{:#}",
        report["server"]
    );
    assert_eq!(report["server"]["baseline"]["status"], "pass");
    // So does check with a baseline run on disk.
    let (code, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "--baseline",
            run,
            "-p",
            &memory,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report = json_of(&out, &err);
    assert_eq!(
        report["server"]["baseline"]["with_figures"], 1,
        "{:#}",
        report["server"]
    );

    // A baseline saved without the server (or before loadgate kept it) still loads: a note.
    let (code, out, err) = loadgate_with_token(
        "baseline",
        &["save", run, "--name", "old", "--store", store],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("server:"), "{out}");
    let (code, out, err) = loadgate_with_token(
        "check",
        &[
            run,
            "--baseline",
            "old",
            "--store",
            store,
            "-p",
            &tripled,
            "--prometheus",
            &url,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let report = json_of(&out, &err);
    let compared = &report["server"]["baseline"];
    assert_eq!(compared["status"], "pass");
    assert!(
        compared["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("baseline has no server figures"),
        "{compared:#}"
    );
    drop(stack);
}
