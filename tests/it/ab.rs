//! `loadgate ab` end to end, the way the example workflow (.github/workflows/load-gate-ab-example.yml)
//! runs it: its "Start both builds" and "A/B load test" steps run by bash as the runner would, with
//! the bundled target built "twice" (this binary behind two wrappers, B's started with
//! `--slowdown`), on free ports of 127.0.0.1, for a few seconds. The targets are stopped by pid when
//! each test ends.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{
    self, free_port, keys, loadgate, one_load_at_a_time, require_tool, root, stderr, stdout,
};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// The example's steps wait for the two services with curl; a test here times a request with it.
const CURL: &str = "apt-get install curl (.ci/run does)";

fn workflow() -> Yaml {
    let text =
        std::fs::read_to_string(root().join(".github/workflows/load-gate-ab-example.yml")).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// The `run:` script of the job's step named `name`.
fn step(job: &Yaml, name: &str) -> String {
    job["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("the example has a step '{name}' with a run: script"))
        .to_string()
}

/// A workspace laid out as the example's checkouts (`a/`, `b/`), each "build" a wrapper around this
/// binary that records the pid of the target it starts; dropping it stops those targets.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(b_slowdown: Option<&str>) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let bin = env!("CARGO_BIN_EXE_loadgate");
        for (side, extra) in [("a", None), ("b", b_slowdown)] {
            let release = dir.path().join(side).join("target/release");
            std::fs::create_dir_all(&release).unwrap();
            let extra = extra.map_or(String::new(), |f| format!(" --slowdown {f}"));
            let script = format!(
                "#!/bin/sh\nif [ \"$1\" = target ]; then echo $$ >> \"$PIDS\"; exec '{bin}' \"$@\"{extra}; fi\nexec '{bin}' \"$@\"\n"
            );
            let wrapper = release.join("loadgate");
            std::fs::write(&wrapper, script).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::os::unix::fs::symlink(root().join("scenarios"), dir.path().join("b/scenarios"))
            .unwrap();
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one step's script as the runner does, with the job's env (the run time shortened).
    fn run(&self, script: &str, env: &[(String, String)], extra: &[(&str, &str)]) -> Output {
        let mut command = Command::new("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env("PIDS", self.path().join("pids"));
        for (k, v) in env {
            command.env(k, v);
        }
        for (k, v) in extra {
            command.env(k, v);
        }
        command.output().unwrap()
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let pids = std::fs::read_to_string(self.path().join("pids")).unwrap_or_default();
        for pid in pids.split_whitespace() {
            let _ = Command::new("kill").arg(pid).status();
        }
    }
}

/// Runs the example's two steps and returns the A/B step's output and the JSON report.
fn run_example(ws: &Workspace, github: &[(&str, &str)]) -> (Output, Value) {
    // One at a time, nothing else loading the machine beside it: two A/B runs side by side on CI's
    // two cores would be the busy machine the pairing cancels only in part (one target's process
    // can lose to the other's).
    let _turn = one_load_at_a_time();
    let doc = workflow();
    let job = &doc["jobs"]["ab"];
    let mut env: Vec<(String, String)> = job["env"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (scalar(k), scalar(v)))
        .collect();
    for (k, v) in env.iter_mut() {
        match k.as_str() {
            "A_PORT" | "B_PORT" => *v = free_port().to_string(),
            "AB_RUN_TIME" => *v = "4s".to_string(),
            _ => {}
        }
    }
    let start = ws.run(&step(job, "Start both builds"), &env, &[]);
    assert!(
        start.status.success(),
        "the targets start: {}",
        stderr(&start)
    );
    // Each port answered, and by this example's own target: a port taken by another process
    // between free_port() and the target's start would have the run measure that process.
    for side in ["A", "B"] {
        let port = &env
            .iter()
            .find(|(k, _)| *k == format!("{side}_PORT"))
            .unwrap()
            .1;
        let log = ws
            .path()
            .join(format!("{}-service.log", side.to_lowercase()));
        let log = std::fs::read_to_string(log).unwrap_or_default();
        assert!(
            log.starts_with(&format!("http://127.0.0.1:{port}")),
            "{side}'s target on port {port}: {log}"
        );
    }
    let ab = ws.run(&step(job, "A/B load test"), &env, github);
    let json_path = ws.path().join("results/ab.json");
    let json = std::fs::read(&json_path)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&ab), stderr(&ab)));
    (ab, serde_json::from_slice(&json).unwrap())
}

fn failed_figures(report: &Value) -> Vec<(String, String)> {
    report["ab"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            (
                c["scope"].as_str().unwrap().to_string(),
                c["metric"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_example_fails_a_build_twice_as_slow_and_names_its_endpoints() {
    if require_tool("curl", CURL).is_none() {
        return;
    }
    let ws = Workspace::new(Some("2"));
    let summary = ws.path().join("summary.md");
    let (ab, report) = run_example(
        &ws,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(ab.status.code(), Some(1), "{}", stderr(&ab));
    assert_eq!(report["command"], "ab");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["ab"]["verdict"], "fail");
    let failed = failed_figures(&report);
    // /slow (50 -> 100 ms) and /items (10 -> 20 ms) are past every limit; /fast's median (1 -> 2 ms)
    // is twice A's, but +1 ms is below min_change_ms (5 ms) and must not fail.
    for scope in ["GET /slow", "GET /items/[id]"] {
        assert!(
            failed.iter().any(|(s, m)| s == scope && m == "p50"),
            "{scope} p50 fails: {failed:?}"
        );
    }
    assert!(
        !failed.contains(&("GET /fast".to_string(), "p50".to_string())),
        "{failed:?}"
    );
    // Each change's interval holds its estimate; the pairs are split by order about evenly.
    for c in report["ab"]["changes"].as_array().unwrap() {
        let (lo, hi, change) = (
            c["interval"][0].as_f64().unwrap(),
            c["interval"][1].as_f64().unwrap(),
            c["change"].as_f64().unwrap(),
        );
        assert!(lo <= change + 1e-9 && change <= hi + 1e-9, "{c}");
    }
    let pairs = report["ab"]["pairs"].as_u64().unwrap();
    let b_first = report["ab"]["b_first"].as_u64().unwrap();
    assert!(pairs > 200, "{pairs} pairs");
    assert!(
        (b_first as f64 / pairs as f64 - 0.5).abs() < 0.1,
        "{b_first} of {pairs}"
    );
    // GitHub: an error annotation per failed figure, and the Markdown in the step summary.
    let out = stdout(&ab);
    assert!(
        out.contains("::error") && out.contains("title=loadgate A/B::GET /slow p50"),
        "{out}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("A/B: B `http://127.0.0.1:"), "{md}");
    assert!(md.contains("| GET /slow | p50 |"), "{md}");
    // JUnit: the A/B figures are testcases, the failed ones failures.
    let junit = std::fs::read_to_string(ws.path().join("results/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suite = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testsuite")
                && n.attribute("name").unwrap().starts_with("loadgate ab (B ")
        })
        .expect("an A/B suite");
    assert_eq!(
        suite.attribute("failures").unwrap(),
        failed.len().to_string()
    );
    // Charts: A and B over time on one chart, and per endpoint.
    for chart in ["ab-latency.png", "ab-endpoints.png"] {
        let png = std::fs::read(ws.path().join("results/charts").join(chart)).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{chart}");
    }
    // Both sides are complete Locust sets that `check` and `compare` read.
    let results = ws.path().join("results");
    for side in ["ab_a", "ab_b"] {
        for file in ["stats", "stats_history", "failures", "exceptions"] {
            assert!(results.join(format!("{side}_{file}.csv")).is_file());
        }
    }
    let compare = loadgate(args!["compare", results.join("ab_a"), results.join("ab_b"),]);
    assert_eq!(compare.status.code(), Some(1), "{}", stdout(&compare));
    every_ab_field_is_documented(&report);
}

#[test]
fn the_example_passes_two_identical_builds() {
    if require_tool("curl", CURL).is_none() {
        return;
    }
    let ws = Workspace::new(None);
    let (ab, report) = run_example(&ws, &[]);
    assert_eq!(
        ab.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&ab),
        stderr(&ab)
    );
    assert_eq!(
        report["ab"]["verdict"],
        "pass",
        "{:?}",
        failed_figures(&report)
    );
    let table = stdout(&ab);
    assert!(table.contains("A/B verdict: PASS"), "{table}");
    assert!(table.contains("Overall: PASS"), "{table}");
}

/// Every key of the `ab` section is in docs/json-report.md, as the json_contract module requires of
/// the other reports.
fn every_ab_field_is_documented(report: &Value) {
    let doc = std::fs::read_to_string(root().join("docs/json-report.md")).unwrap();
    let section = doc
        .split("## `ab`")
        .nth(1)
        .expect("docs/json-report.md has an `ab` section");
    let mut all = BTreeSet::new();
    keys(&report["ab"], &mut all);
    let missing: Vec<_> = all
        .iter()
        .filter(|k| !section.contains(&format!("`{k}`")) && !section.contains(&format!(".{k}`")))
        .collect();
    assert!(missing.is_empty(), "undocumented ab fields: {missing:?}");
}

#[test]
fn bad_targets_and_profiles_are_input_errors() {
    let port = free_port();
    let up = format!("http://127.0.0.1:{port}");
    let cases: [(&[&str], &str); 3] = [
        (&["--a", "ftp://127.0.0.1:1", "--b", &up], "--a"),
        (&["--a", &up, "--b", "127.0.0.1:1"], "--b"),
        (
            &["--a", &up, "--b", &up, "--profile", "no-such-profile"],
            "no-such-profile",
        ),
    ];
    for (args, named) in cases {
        let mut all = vec!["ab", "-t", "1s", "-q"];
        all.extend_from_slice(args);
        let out = loadgate(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(named), "{args:?}: {}", stderr(&out));
        assert!(
            stdout(&out).is_empty(),
            "no partial report: {}",
            stdout(&out)
        );
    }
}

/// `loadgate target --port --slowdown --slow-path` serves there, and a slowed path takes at least
/// its scaled service time (a sleep never ends early, so this lower bound holds on a busy machine).
#[test]
fn the_target_serves_on_its_port_and_slows_down_the_path_it_is_told_to() {
    if require_tool("curl", CURL).is_none() {
        return;
    }
    let port = free_port();
    let mut child = common::command()
        .args([
            "target",
            "-t",
            "20s",
            "--port",
            &port.to_string(),
            "--slowdown",
            "3",
            "--slow-path",
            "/slow",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), format!("http://127.0.0.1:{port}"));
    let out = Command::new("curl")
        .args([
            "-fs",
            "-o",
            "/dev/null",
            "-w",
            "%{time_total}",
            &format!("http://127.0.0.1:{port}/slow"),
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "curl /slow");
    let seconds: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    // /slow sleeps 40-60 ms; 3x: at least 120 ms.
    assert!(seconds >= 0.120, "/slow took {seconds} s");
}

/// A failure is recorded on its side only: B refuses every connection, A answers.
#[test]
fn a_failure_is_recorded_on_its_side_only() {
    let port = free_port();
    let mut target = common::command()
        .args(["target", "-t", "20s", "--port", &port.to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(target.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let refused = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("run");
    let out = loadgate(args![
        "ab",
        "--a",
        line.trim(),
        "--b",
        &refused,
        "-f",
        root().join("scenarios/ab.toml"),
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix,
        "--format",
        "json",
    ]);
    let _ = target.kill();
    let _ = target.wait();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["ab"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "aggregated" && c["metric"] == "error_rate")
        .unwrap();
    assert_eq!(
        (errors["a"].as_f64(), errors["b"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(errors["status"], "fail");
    let failures = |side: &str| {
        std::fs::read_to_string(dir.path().join(format!("run_{side}_failures.csv"))).unwrap()
    };
    assert_eq!(failures("a").lines().count(), 1, "A: the header only");
    assert!(
        failures("b").contains("ConnectionRefusedError"),
        "{}",
        failures("b")
    );
}
