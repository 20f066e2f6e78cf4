//! A real Prometheus 2.42 scraping a real node_exporter: presets and rules match its own answers,
//! and every failure mode it can be made to show is a note.

use super::*;

#[test]
fn presets_and_rules_read_from_a_real_prometheus_match_its_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = stack(dir.path()) else {
        return;
    };
    let port = stack.prometheus.port;
    // Prometheus hands its first targets to the scrapers a few seconds after it is ready: the run
    // starts once both jobs have been scraped long enough for a rate.
    wait_until_scraped(
        port,
        "count(rate(process_cpu_seconds_total[4s])) >= 2",
        chrono::Utc::now().timestamp() as f64,
    );
    let (run, from, to) = real_run(dir.path(), 4);
    // The whole read window (15 s either side) in the past and scraped, so that Prometheus answers
    // the same later, when asked directly.
    wait_until_scraped(port, "up", to + 16.0);
    let profile = write_profile(
        dir.path(),
        r#"
[[server]]
name = "prometheus memory"
query = 'process_resident_memory_bytes{job="prometheus"}'
unit = "bytes"
over = "max"
limit = 4e9

[[server]]
name = "node up"
query = 'up{job="node"}'
floor = true
over = "min"
limit = 1

[[server]]
name = "node never up"
query = 'up{job="node"}'
over = "max"
limit = 0.5
"#,
    );
    let url = stack.prometheus.url();
    let run = run.to_str().unwrap();
    let (code, json) = server_json(&[run, "--prometheus", &url, "-p", &profile], &[]);
    assert_eq!(code, 1, "a failed rule fails: {json:#}");
    assert_eq!(json["status"], "fail");
    assert_eq!(json["notes"].as_array().unwrap().len(), 0, "{json:#}");

    // The window is the run's history with the margin; the step and rate windows the config's.
    let w = &json["window"];
    assert_eq!(
        (w["from_unix"].as_f64(), w["to_unix"].as_f64()),
        (Some(from), Some(to))
    );
    assert_eq!(w["origin"], "history");
    assert_eq!(w["read_from_unix"].as_f64(), Some(from - 15.0));
    assert_eq!(w["scrape_interval"]["source"], "config");
    assert_eq!(w["scrape_interval"]["jobs"]["node"], 1.0);
    assert_eq!(w["rule_step_s"], 1.0);
    assert_eq!(w["retention_s"].as_f64(), Some(15.0 * 86_400.0));

    // Every preset the two jobs have, per job.
    let presets: Vec<(String, String)> = json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["series"], 1, "{p}");
            (
                p["preset"].as_str().unwrap().to_string(),
                p["job"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (preset, job) in [
        ("up", "node"),
        ("up", "prometheus"),
        ("process_memory", "prometheus"),
        ("process_memory", "node"),
        ("process_cpu", "prometheus"),
        ("process_start", "prometheus"),
        ("node_cpu", "node"),
        ("node_memory", "node"),
        ("node_load1", "node"),
    ] {
        assert!(
            presets.contains(&(preset.to_string(), job.to_string())),
            "{preset} for {job} missing: {presets:?}"
        );
    }
    // No cAdvisor or kube-state-metrics here: not asked.
    assert!(presets
        .iter()
        .all(|(p, _)| !p.starts_with("container") && p != "kube_restarts"));
    let rate = json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["preset"] == "node_cpu")
        .unwrap();
    assert_eq!(rate["rate_window_s"], 4.0, "4x the 1 s scrape interval");
    assert!(rate["query"].as_str().unwrap().contains("[4s]"));

    // Each preset's series is what Prometheus itself answers for the same query and window.
    let read_from = from - 15.0;
    let read_to = to + 15.0;
    for series in json["series"].as_array().unwrap() {
        let query = series["query"].as_str().unwrap();
        let direct = query_range(port, query, read_from, read_to);
        let matching: Vec<&Value> = direct
            .iter()
            .filter(|d| d["metric"] == series["labels"])
            .collect();
        assert_eq!(matching.len(), 1, "{query}: {direct:?}");
        let values: Vec<f64> = matching[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            series["points"].as_u64().unwrap() as usize,
            values.len(),
            "{query}"
        );
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        // Within a part in 10^12: the same float can differ in its last digit between Prometheus'
        // text and the JSON's shortest form (seen: ...99702 against ...997021).
        let got = series["max"].as_f64().unwrap();
        assert!(
            (got - max).abs() <= 1e-12 * max.abs().max(1.0),
            "{query}: {got} against {max}"
        );
        // Every second of the run is covered (the margin before it only partly: Prometheus had
        // just started).
        assert!(series["first_unix"].as_f64().unwrap() <= from, "{series}");
        assert_eq!(series["last_unix"].as_f64(), Some(read_to), "{series}");
        assert!(
            values.len() as f64 >= to - from + 16.0,
            "{query}: {}",
            values.len()
        );
    }

    // The rules graded on the run's span only, against Prometheus' own figures.
    let memory = rule(&json, "prometheus memory");
    let direct = query_range(
        port,
        r#"process_resident_memory_bytes{job="prometheus"}"#,
        from,
        to,
    );
    let max = direct[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(memory["value"].as_f64(), Some(max));
    assert_eq!(
        (memory["status"].as_str(), memory["checked"].as_bool()),
        (Some("pass"), Some(true))
    );
    assert!(max > 10e6 && max < 4e9, "{max}");
    assert_eq!(rule(&json, "node up")["status"], "pass");
    assert_eq!(rule(&json, "node up")["value"], 1.0);
    let never = rule(&json, "node never up");
    assert_eq!(
        (never["status"].as_str(), never["grade"].as_str()),
        (Some("fail"), Some("critical"))
    );

    // The table says the same for people.
    let (code, table, _) = server(&[run, "--prometheus", &url, "-p", &profile], &[]);
    assert_eq!(code, 1);
    for expected in [
        "Presets:",
        "node_load1",
        "prometheus memory",
        "node never up",
        "Server: FAIL",
    ] {
        assert!(table.contains(expected), "{expected}:\n{table}");
    }

    // The failure modes a real Prometheus produces, each a note, never a pass.
    failure_modes_of_a_real_prometheus(dir.path(), &url, run, stack.node_port);
}

fn failure_modes_of_a_real_prometheus(dir: &Path, url: &str, run: &str, node_port: u16) {
    let profile = write_profile(
        dir,
        r#"
[[server]]
name = "broken promql"
query = 'rate(up{job="node"}[5s'
limit = 1

[[server]]
name = "wrong job"
query = 'process_resident_memory_bytes{job="api"}'
unit = "bytes"
limit = 1e9

[[server]]
name = "every metric"
query = 'count by (__name__) ({job="node"})'
unit = "count"
limit = 1e6

[[server]]
name = "fine"
query = 'up{job="prometheus"}'
floor = true
limit = 1
"#,
    );
    let (code, json) = server_json(&[run, "--prometheus", url, "-p", &profile], &[]);
    assert_eq!(
        code, 0,
        "notes warn, the gate is otherwise untouched: {json:#}"
    );
    assert_eq!(json["status"], "warn");
    assert_eq!(rule(&json, "fine")["status"], "pass");

    // Bad PromQL: Prometheus' own message, the rule and the profile named.
    let bad = notes_of(&json, "bad_query");
    assert_eq!(bad.len(), 1, "{json:#}");
    assert_eq!(
        bad[0]["subject"].as_str(),
        Some(format!("rule \"broken promql\" of {profile}").as_str())
    );
    let message = bad[0]["message"].as_str().unwrap();
    assert!(
        message.contains("parse error") && message.contains("bad_data"),
        "{message}"
    );
    assert_eq!(rule(&json, "broken promql")["status"], "warn");
    assert_eq!(rule(&json, "broken promql")["checked"], false);

    // Empty: the matcher matched nothing, and the jobs that have the metric are listed.
    let empty = notes_of(&json, "empty");
    assert_eq!(empty.len(), 1, "{json:#}");
    let message = empty[0]["message"].as_str().unwrap();
    assert!(message.contains("matched nothing"), "{message}");
    assert!(
        message.contains(r#"job = "node", "prometheus""#),
        "{message}"
    );
    assert_eq!(rule(&json, "wrong job")["status"], "warn");

    // Too many series: the cap named, the rule not graded on part of its series.
    let many = notes_of(&json, "too_many_series");
    assert_eq!(many.len(), 1, "{json:#}");
    assert!(
        many[0]["message"]
            .as_str()
            .unwrap()
            .contains("over the cap of 50"),
        "{many:?}"
    );
    assert_eq!(rule(&json, "every metric")["checked"], false);

    // --require-server-metrics: the same reading is an error.
    let (code, _, err) = server(
        &[
            run,
            "--prometheus",
            url,
            "-p",
            &profile,
            "--require-server-metrics",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--require-server-metrics: 3 thing(s) not read"),
        "{err}"
    );

    // A window older than the retention: said so, nothing graded.
    let (code, json) = server_json(
        &[
            run,
            "--prometheus",
            url,
            "-p",
            &profile,
            "--from",
            "2020-01-01T00:00:00Z",
            "--to",
            "1577840400",
        ],
        &[],
    );
    assert_eq!(code, 0);
    let old = notes_of(&json, "retention");
    assert_eq!(old.len(), 1, "{json:#}");
    assert!(
        old[0]["message"]
            .as_str()
            .unwrap()
            .contains("retention (15d)"),
        "{old:?}"
    );
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));
    assert_eq!(json["series"].as_array().unwrap().len(), 0);

    // A run without timestamps: the server is not read.
    let legacy = fixture("derived/legacy");
    let (code, json) = server_json(
        &[
            legacy.to_str().unwrap(),
            "--prometheus",
            url,
            "-p",
            &profile,
        ],
        &[],
    );
    assert_eq!(code, 0);
    let not_read = notes_of(&json, "not_read");
    assert!(
        not_read[0]["message"]
            .as_str()
            .unwrap()
            .contains("the server was not read: the run has no timestamps"),
        "{json:#}"
    );
    assert_eq!(json["window"], Value::Null);
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));

    // Unreachable: a port nothing listens on (node_exporter's, plus one, is as good as any free).
    let closed = format!("http://127.0.0.1:{}", free_port());
    let (code, json) = server_json(&[run, "--prometheus", &closed, "-p", &profile], &[]);
    assert_eq!(code, 0);
    assert_eq!(notes_of(&json, "unreachable").len(), 1, "{json:#}");
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));
    let _ = node_port;
}
