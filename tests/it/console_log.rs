//! Locust's console output as runs: real logs of Locust 2.47.0, 2.15.1, 1.6.0 and locustio
//! 0.14.6 (fixtures/locust-log, made by its make.sh against target_server.py), each beside the
//! CSVs the same run wrote.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::loadgate;
use serde_json::Value;

fn fixture(rel: &str) -> String {
    format!("{}/fixtures/locust-log/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `check --format json PATH`: the reports (one per run).
fn reports(path: &str) -> Vec<Value> {
    let out = loadgate(["check", "--format", "json", path]);
    assert_ne!(out.status.code(), Some(2), "{path}: {}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    match json.get("reports") {
        Some(all) => all.as_array().unwrap().clone(),
        None => vec![json],
    }
}

fn one(path: &str) -> Value {
    let mut all = reports(path);
    assert_eq!(all.len(), 1, "{path}");
    all.remove(0)
}

/// Endpoints and the aggregate by (method, name).
fn scopes(report: &Value) -> Vec<(String, Value)> {
    let mut all: Vec<(String, Value)> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (format!("{} {}", e["method"], e["name"]), e.clone()))
        .collect();
    all.push(("Aggregated".to_string(), report["aggregated"].clone()));
    all
}

const FIGURES: [&str; 13] = [
    "requests", "failures", "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99_9",
    "p99_99", "p100",
];

#[test]
fn a_logs_final_summary_is_the_runs_csv() {
    for version in ["2.47.0", "2.15.1", "1.6.0", "0.14.6"] {
        let log = one(&fixture(&format!("{version}.log")));
        let csv = one(&fixture(version));
        assert_eq!(log["run"]["format"], "locust-log");
        assert!(
            log["notes"]
                .to_string()
                .contains(&format!("Locust {version}, as the log says")),
            "{version}"
        );
        let log_scopes = scopes(&log);
        let mut compared = 0;
        // locustio 0.14 wrote the name `/limited, "quoted"` into its CSVs without escaping the
        // quotes (not valid CSV): read by the rule it was written with, it is the log's name.
        for (key, from_csv) in scopes(&csv) {
            let (_, from_log) = log_scopes
                .iter()
                .find(|(k, _)| *k == key)
                .unwrap_or_else(|| panic!("{version}: {key} is in the log"));
            for field in FIGURES {
                assert_eq!(from_log[field], from_csv[field], "{version} {key} {field}");
            }
            compared += 1;
        }
        assert_eq!(compared, 10, "{version}");
        assert_eq!(log["verdict"], csv["verdict"], "{version}");
        // Names the console column cannot hold, and names with spaces, read whole.
        assert!(log_scopes
            .iter()
            .any(|(k, _)| k.contains("very-long-segment-[id]")));
        assert!(log_scopes
            .iter()
            .any(|(k, _)| k == "\"GET\" \"a name with spaces\""));
        assert_eq!(log["run"]["peak_users"], 10, "{version}");
        // The error report, split at the endpoint its text names.
        let failures = log["failures"].as_array().unwrap();
        assert_eq!(failures.len(), 4, "{version}");
        assert!(failures
            .iter()
            .any(|f| f["name"] == "/limited, \"quoted\"" && f["status_code"] == 429));
        // The run's _failures.csv holds the log's error report (0.14.6's with its quotes not
        // doubled, in names and in errors).
        let from_csv = csv["failures"].as_array().unwrap();
        assert_eq!(from_csv.len(), 4, "{version}");
        for f in from_csv {
            assert!(
                failures.iter().any(|l| l["name"] == f["name"]
                    && l["occurrences"] == f["occurrences"]
                    && l["status_code"] == f["status_code"]),
                "{version}: {f} is in the log"
            );
        }
    }
}

#[test]
fn a_log_without_a_final_summary_reads_its_last_table_and_says_so() {
    let report = one(&fixture("json-file.log"));
    assert!(report["notes"].to_string().contains("no final summary"));
    // The last periodic table's Aggregated row: 352 requests, 65 failures.
    let log = std::fs::read_to_string(fixture("json-file.log")).unwrap();
    let last = log
        .lines()
        .rfind(|l| l.trim_start().starts_with("Aggregated"))
        .unwrap();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(report["aggregated"]["requests"].to_string(), words[1]);
    assert_eq!(
        report["aggregated"]["failures"].to_string(),
        words[2].split('(').next().unwrap()
    );
    assert_eq!(report["aggregated"]["p95"], Value::Null);
}

#[test]
fn several_runs_in_one_log_are_several_runs() {
    let runs = reports(&fixture("two-runs.log"));
    assert_eq!(runs.len(), 2);
    assert!(runs[0]["run"]["prefix"]
        .as_str()
        .unwrap()
        .ends_with("two-runs.log#1"));
    assert!(runs[1]["run"]["prefix"]
        .as_str()
        .unwrap()
        .ends_with("two-runs.log#2"));
    assert_eq!(runs[0]["run"]["peak_users"], 10);
    assert_eq!(runs[1]["run"]["peak_users"], 4);
    // A command that takes one run reads the last, and says so.
    let out = loadgate([
        "compare",
        &fixture("two-runs.log"),
        &fixture("two-runs.log"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("holds 2 runs; this is the last of them"));
}

#[test]
fn standard_input_and_ci_prefixes_read_as_the_file() {
    let file = one(&fixture("2.47.0.log"));
    let log = std::fs::read_to_string(fixture("2.47.0.log")).unwrap();
    // GitHub Actions' raw logs put the runner's time before every line.
    let prefixed: String = log
        .lines()
        .map(|l| format!("2026-12-06T13:02:40.1234567Z {l}\n"))
        .collect();
    for input in [log, prefixed] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loadgate"))
            .args(["check", "--format", "json", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        assert_eq!(report["endpoints"], file["endpoints"]);
        assert_eq!(report["aggregated"], file["aggregated"]);
    }
}

#[test]
fn names_cut_by_a_viewer_stay_apart_and_are_said_to_be_cut() {
    // The real 2.47.0 log with every name cut to 7 characters, as a narrow log viewer would:
    // `/items/[id]` and the long `/items/very-long…` both become `/items/`.
    let log = std::fs::read_to_string(fixture("2.47.0.log")).unwrap();
    let cut: String = log
        .lines()
        .map(|l| {
            let is_row = l.starts_with("GET ") || l.starts_with("POST ");
            if is_row && l.len() > 9 + 7 {
                let (head, rest) = l.split_at(9);
                let name_end = rest.find("  ").unwrap_or(rest.len());
                let name = &rest[..name_end];
                let short: String = name.chars().take(7).collect();
                format!(
                    "{head}{short}{}{}",
                    " ".repeat(name.len() - short.len()),
                    &rest[name_end..]
                )
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log");
    std::fs::write(&path, cut).unwrap();
    let report = one(path.to_str().unwrap());
    let names: Vec<&str> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"/items/") && names.contains(&"/items/ [2]"),
        "{names:?}"
    );
    assert!(report["notes"].to_string().contains("cut to the width"));
    let original = one(&fixture("2.47.0.log"));
    assert_eq!(
        report["aggregated"]["requests"],
        original["aggregated"]["requests"]
    );
}

#[test]
fn a_damaged_table_row_names_its_line() {
    let log = std::fs::read_to_string(fixture("2.47.0.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.starts_with("GET      /slow ") && l.contains('|'))
        .unwrap();
    let mut damaged: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    damaged[at] = damaged[at].replace('(', "[");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.log");
    std::fs::write(&path, damaged.join("\n")).unwrap();
    let out = loadgate(["check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("damaged.log:{}:", at + 1)), "{err}");
}

#[test]
fn a_two_times_slower_build_fails_naming_the_endpoint_and_an_unchanged_one_passes() {
    let same = loadgate(["compare", &fixture("same-1.log"), &fixture("same-2.log")]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stdout));
    let slow = loadgate(["compare", &fixture("same-1.log"), &fixture("slow-2x.log")]);
    assert_eq!(slow.status.code(), Some(1), "{}", text(&slow.stdout));
    assert!(text(&slow.stdout).contains("✗ GET /slow"));
}

/// The Locust version: from the log, or given for files that do not say it; kept in baselines.
#[test]
fn the_locust_version_is_kept_in_baselines() {
    let store = tempfile::tempdir().unwrap();
    let dir = store.path().to_str().unwrap();
    let save = |run: &str, name: &str, extra: &[&str]| {
        let mut args = vec!["baseline", "save", run, "--name", name, "--store", dir];
        args.extend_from_slice(extra);
        let out = loadgate(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let saved: Value = serde_json::from_str(
            &std::fs::read_to_string(store.path().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        saved["runs"][0].clone()
    };
    // The log names its version, and wins over one given.
    let run = save(
        &fixture("2.15.1.log"),
        "old",
        &["--locust-version", "2.47.0"],
    );
    assert_eq!(run["locust_version"], "2.15.1");
    assert_eq!(run["format"], "locust-log");
    // CSVs do not: the version given is kept.
    let run = save(&fixture("2.47.0"), "csv", &["--locust-version", "2.47.0"]);
    assert_eq!(run["locust_version"], "2.47.0");
    let run = save(&fixture("2.47.0"), "unknown", &[]);
    assert_eq!(run.get("locust_version"), None);
    // Not a version: a usage error.
    let out = loadgate(["check", &fixture("2.47.0"), "--locust-version", "latest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a Locust version"));
}

/// The config's `locust_version` key, shown by `loadgate config` with where it came from.
#[test]
fn the_config_names_the_locust_version() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("loadgate.toml"),
        "locust_version = \"2.15.1\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loadgate"))
        .arg("config")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.lines().any(|l| l.starts_with("locust_version")
            && l.contains("2.15.1")
            && l.contains("loadgate.toml")),
        "{shown}"
    );
}

/// The version in every output, and a note when a comparison's two sides lie on both sides of
/// Locust 2.46.2's percentile fix: a stored baseline (`check --baseline`), a run on disk
/// (`compare`, a flag per side) and the config's key (both sides of `compare` alike).
#[test]
fn the_locust_version_is_shown_and_a_straddle_is_noted() {
    let store = tempfile::tempdir().unwrap();
    let dir = store.path().to_str().unwrap();
    let out = loadgate([
        "baseline",
        "save",
        &fixture("2.15.1"),
        "--name",
        "old",
        "--store",
        dir,
        "--locust-version",
        "2.15.1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = store.path().join("r.html");
    let md = store.path().join("r.md");
    let out = loadgate([
        "check",
        &fixture("2.47.0.log"),
        "--baseline",
        "old",
        "--store",
        dir,
        "--format",
        "json",
        "--html",
        html.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["run"]["locust_version"], "2.47.0");
    let differences = report["baseline"]["differences"].as_array().unwrap();
    let noted: Vec<_> = differences
        .iter()
        .filter(|d| d["field"] == "locust_version")
        .collect();
    assert_eq!(noted.len(), 1, "{differences:?}");
    assert_eq!(noted[0]["baseline"], "2.15.1");
    assert_eq!(noted[0]["current"], "2.47.0");
    assert_eq!(noted[0]["level"], "note");
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .contains("Locust 2.47.0"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Locust 2.47.0") && page.contains("2.46.2"));
    let table = loadgate([
        "check",
        &fixture("2.47.0.log"),
        "--baseline",
        "old",
        "--store",
        dir,
    ]);
    let table = text(&table.stdout);
    assert!(
        table.contains("format locust-log, 12 s, 10 users, Locust 2.47.0"),
        "{table}"
    );
    assert!(
        table.contains("Locust 2.46.2 changed how percentiles are computed"),
        "{table}"
    );

    // compare: the CSVs name no version; a flag gives each side's.
    let compare = |extra: &[&str], cwd: &std::path::Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_loadgate"));
        cmd.current_dir(cwd)
            .args([
                "compare",
                &fixture("2.15.1"),
                &fixture("2.47.0"),
                "--format",
                "json",
            ])
            .args(extra);
        let out = cmd.output().unwrap();
        assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let fields: Vec<String> = report["baseline"]["differences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap().to_string())
            .collect();
        (report["run"]["locust_version"].clone(), fields)
    };
    let here = store.path();
    let (version, fields) = compare(&[], here);
    assert_eq!(version, Value::Null);
    assert!(!fields.contains(&"locust_version".to_string()));
    let (version, fields) = compare(
        &[
            "--baseline-locust-version",
            "2.15.1",
            "--locust-version",
            "2.47.0",
        ],
        here,
    );
    assert_eq!(version, "2.47.0");
    assert!(fields.contains(&"locust_version".to_string()), "{fields:?}");
    // The config's version is the project's: both sides alike, nothing straddles; a flag for
    // one side does.
    std::fs::write(here.join("loadgate.toml"), "locust_version = \"2.15.1\"\n").unwrap();
    let (version, fields) = compare(&[], here);
    assert_eq!(version, "2.15.1");
    assert!(!fields.contains(&"locust_version".to_string()));
    let (_, fields) = compare(&["--locust-version", "2.46.2"], here);
    assert!(fields.contains(&"locust_version".to_string()), "{fields:?}");
}

/// A 0.x failures row whose name and error both hold `","` cannot be split: exit 2 naming its line.
#[test]
fn an_ambiguous_0x_failures_row_is_an_error_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("run");
    std::fs::copy(
        fixture("0.14.6_stats.csv"),
        dir.path().join("run_stats.csv"),
    )
    .unwrap();
    let real = std::fs::read_to_string(fixture("0.14.6_failures.csv")).unwrap();
    let ambiguous = format!("{}\n\"GET\",\"/a\",\"b\",\"500 \"x\"\",2", real.trim_end());
    std::fs::write(dir.path().join("run_failures.csv"), ambiguous).unwrap();
    let out = loadgate(["check", prefix.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("run_failures.csv:6"), "{err}");
    assert!(err.contains("cannot be told"), "{err}");
}

/// Locust's own warning that its CPU ran out, from a real run whose tasks burn CPU time
/// (`locustfiles/cpu_bound.py`, made on a quiet machine): a note on the run, and a comparison with it
/// on either side calls the runner busier, quoting Locust's line, even without runner records.
#[test]
fn locusts_own_cpu_warning_makes_the_runner_busier() {
    let log = fixture("cpu-warning.log");
    let report = one(&log);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("Locust warned that its CPU ran out (line 73: \\\"CPU usage above 90%\\\")"),
        "{notes}"
    );
    // The CSVs the same run wrote say nothing of it.
    let csv = one(&fixture("cpu-warning"));
    assert!(!csv["notes"].to_string().contains("CPU ran out"));

    let call = |base: &str, cur: &str| {
        let out = loadgate(["compare", "--format", "json", base, cur]);
        assert_ne!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        json["baseline"]["runner"].clone()
    };
    let runner = call(&fixture("same-1.log"), &log);
    assert_eq!(runner["call"], "busier", "{runner}");
    assert!(
        runner["why"].as_str().unwrap().starts_with("in this run, "),
        "{runner}"
    );
    let runner = call(&log, &fixture("same-1.log"));
    assert_eq!(runner["call"], "busier", "{runner}");
    assert!(
        runner["why"]
            .as_str()
            .unwrap()
            .starts_with("in the baseline, "),
        "{runner}"
    );
    // Neither run warned: no record, no call.
    let runner = call(&fixture("same-1.log"), &fixture("same-2.log"));
    assert_eq!(runner["call"], "unknown", "{runner}");
}
