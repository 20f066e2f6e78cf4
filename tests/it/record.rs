//! `loadgate record`: a real command run under it, its exit code and signals passed on, the record
//! it writes; and the record read back with the run by `check`, `compare` and `baseline save`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{check_json, command, fixture, flagged_trends, loadgate, stderr};
use serde_json::{json, Value};

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `loadgate record --interval 250ms` of `PROGRAM -c SCRIPT`: its output and the record written.
fn record_every_quarter_second(program: &str, script: &str) -> (std::process::Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.json");
    let output = loadgate(args![
        "record",
        "--interval",
        "250ms",
        "--out",
        &out,
        "--",
        program,
        "-c",
        script,
    ]);
    let record = if out.exists() {
        read_json(&out)
    } else {
        Value::Null
    };
    (output, record)
}

/// A copy of fixtures/runner in a temporary directory (to damage or move its record).
fn runner_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("runner")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

#[cfg(target_os = "linux")]
#[test]
fn a_busy_command_is_recorded_and_its_exit_code_passed_on() {
    // A shell that keeps a CPU busy for about 1.5 s through a child process (`sh -c` in `sh`),
    // then exits 3.
    let script = "sh -c 'end=$(($(date +%s%N) + 1500000000)); while [ $(date +%s%N) -lt $end ]; do :; done'; exit 3";
    let (output, record) = record_every_quarter_second("sh", script);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(record["schema_version"], 1);
    assert_eq!(record["command"], "sh");
    assert_eq!(record["exit_code"], 3);
    assert_eq!(record["interval_s"], 0.25);
    let samples = record["samples"].as_array().unwrap();
    // 1.5 s at 250 ms, give or take the start and a loaded machine's late wake-ups.
    assert!((4..=12).contains(&samples.len()), "{}", samples.len());
    let summary = &record["summary"];
    assert_eq!(summary["samples"].as_u64().unwrap() as usize, samples.len());
    let cpus = summary["cpus_max"].as_u64().unwrap();
    assert!(cpus >= 1);
    for s in samples {
        for share in ["busy", "steal", "iowait", "busiest_cpu"] {
            let v = s[share].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{share} {v}");
        }
        assert!(s["command_cpu"].as_f64().unwrap() <= cpus as f64 + 0.1);
        assert!(s["processes"].as_u64().unwrap() >= 1);
    }
    // The busy loop ran in the command's tree: some interval saw it on a CPU, however shared the
    // machine (the loop is all the command does).
    let most = samples
        .iter()
        .map(|s| s["command_cpu"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert!(most > 0.1, "{most}");
    // The loopback probe answered.
    assert!(summary["rtt_ms"]["median"].as_f64().unwrap() > 0.0);
    let t: Vec<f64> = samples.iter().map(|s| s["t"].as_f64().unwrap()).collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]), "{t:?}");
}

/// A command whose work is on a thread other than its main one (as a Go or Java generator's is):
/// Python's main thread waits in `join()` while a worker hashes 1 MB buffers for 1.5 s (hashlib
/// lets go of the interpreter's lock while it hashes, so the worker is always runnable). The
/// record reads every thread: the busiest is the worker, runnable the whole time whether it ran
/// or waited for a CPU, where the main thread alone would read as idle.
#[cfg(target_os = "linux")]
#[test]
fn a_command_working_on_another_thread_is_read_on_that_thread() {
    let script = "import hashlib, threading, time\n\
                  def work():\n    b = bytes(1 << 20)\n    end = time.time() + 1.5\n    \
                  while time.time() < end:\n        hashlib.sha256(b).digest()\n\
                  t = threading.Thread(target=work)\nt.start()\nt.join()\n";
    let (output, record) = record_every_quarter_second("python3", script);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut busiest: Vec<f64> = record["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["command_busiest_thread"]
                .as_f64()
                .expect("schedstat read")
        })
        .collect();
    assert!(
        busiest.iter().all(|b| (0.0..=1.0).contains(b)),
        "{busiest:?}"
    );
    busiest.sort_by(f64::total_cmp);
    let median = busiest[busiest.len() / 2];
    assert!(median >= 0.8, "{busiest:?}");
    let summary = &record["summary"]["command_busiest_thread"]["median"];
    assert!(summary.as_f64().unwrap() >= 0.8, "{summary}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_record_goes_beside_the_runs_files_by_default() {
    let dir = tempfile::tempdir().unwrap();
    // `sh -c 'exit 0' sh --csv out/night`: a real command whose arguments name a --csv prefix.
    let output = command()
        .current_dir(dir.path())
        .args([
            "record",
            "--",
            "sh",
            "-c",
            "sleep 0.3",
            "sh",
            "--csv",
            "out/night",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = dir.path().join("out/night_runner.json");
    let record = read_json(&path);
    // Shorter than an interval: the closing part of it is the one sample.
    assert_eq!(record["samples"].as_array().unwrap().len(), 1);
    assert!(stderr(&output).contains("out/night_runner.json"));
    // No file named: loadgate-runner.json where it ran.
    let output = command()
        .current_dir(dir.path())
        .args(["record", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(dir.path().join("loadgate-runner.json").is_file());
}

#[cfg(target_os = "linux")]
#[test]
fn a_signal_to_the_recorder_reaches_the_command_and_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.json");
    let mut child = command()
        .args(args!["record", "--out", out, "--", "sleep", "30",])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let started = Instant::now();
    // SAFETY: kill only sends SIGTERM to the child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    // sleep died of SIGTERM: 128 + 15, as a shell reports it; the record says which signal.
    assert_eq!(status.code(), Some(143));
    let record = read_json(&out);
    assert_eq!(record["signal"], 15);
    assert_eq!(record["exit_code"], Value::Null);
}

#[test]
fn a_command_that_cannot_start_or_is_missing_is_a_usage_error() {
    let output = loadgate(["record", "--", "/nonexistent/locust"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot start /nonexistent/locust"),
        "{}",
        stderr(&output)
    );
    let output = loadgate(["record"]);
    assert_eq!(output.status.code(), Some(2));
    let output = loadgate(["record", "--interval", "50ms", "--", "true"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn check_attaches_the_record_beside_the_run_and_reports_its_summary() {
    for input in ["runner/run", "runner/run.json"] {
        let (code, report) = check_json(args![fixture(input)]);
        assert!(code == 0 || code == 1, "{input}: {code}");
        let runner = &report["run"]["runner"];
        assert!(
            runner["file"]
                .as_str()
                .unwrap()
                .ends_with("run_runner.json"),
            "{input}: {runner}"
        );
        assert_eq!(runner["command"], "locust");
        // The figures of the fixture's own record.
        assert_eq!(runner["summary"]["samples"], 12);
        assert_eq!(runner["summary"]["command_wait"]["median"], 0.6724);
        let notes = report["notes"].to_string();
        assert!(notes.contains("runner record from"), "{notes}");
    }
    // A run without a record has no `runner`.
    let (_, report) = check_json(args![fixture("locust2-full/full")]);
    assert!(report["run"].get("runner").is_none());
}

#[test]
fn a_record_shared_by_a_directory_is_used_only_for_the_run_it_covers() {
    let dir = runner_fixture();
    std::fs::rename(
        dir.path().join("run_runner.json"),
        dir.path().join("loadgate-runner.json"),
    )
    .unwrap();
    let run = dir.path().join("run");
    let (_, report) = check_json(args![run]);
    assert!(report["run"]["runner"]["file"]
        .as_str()
        .unwrap()
        .ends_with("loadgate-runner.json"));
    // The same record moved a day earlier is another run's.
    let path = dir.path().join("loadgate-runner.json");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("2026-12-06T11:57", "2026-12-05T11:57");
    std::fs::write(&path, text).unwrap();
    let (_, report) = check_json(args![run]);
    assert!(report["run"].get("runner").is_none());
    assert!(
        report["notes"]
            .to_string()
            .contains("so it is another run's"),
        "{}",
        report["notes"]
    );
}

#[test]
fn a_damaged_record_is_an_input_error_naming_the_file_and_the_place() {
    let original = std::fs::read_to_string(fixture("runner/run_runner.json")).unwrap();
    let cases: [(&str, String, &str); 5] = [
        // Cut in the middle: the JSON error's line and column.
        (
            "truncated",
            original[..original.len() / 2].to_string(),
            "run_runner.json:",
        ),
        (
            "a share above 1",
            original.replacen(
                "\"busy\": 1.0,\n      \"steal\"",
                "\"busy\": 1.7,\n      \"steal\"",
                1,
            ),
            "samples[0].busy: 1.7 is not a share between 0 and 1",
        ),
        (
            "a newer schema",
            original.replacen("\"schema_version\": 1", "\"schema_version\": 2", 1),
            "written by a newer loadgate",
        ),
        (
            "a string for a number",
            original.replacen("\"interval_s\": 1.0", "\"interval_s\": \"1s\"", 1),
            "run_runner.json:8:",
        ),
        (
            "another file's JSON",
            "{\"stats\": []}".to_string(),
            "schema_version: not a loadgate runner record",
        ),
    ];
    for (what, text, expected) in cases {
        assert_ne!(text, original, "{what}: the damage applied");
        let dir = runner_fixture();
        std::fs::write(dir.path().join("run_runner.json"), text).unwrap();
        for args in [
            vec![
                "check".to_string(),
                dir.path().join("run").display().to_string(),
            ],
            vec![
                "compare".to_string(),
                fixture("runner/run").display().to_string(),
                dir.path().join("run").display().to_string(),
            ],
        ] {
            let output = command().args(&args).output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{what}: {}", stderr(&output));
            let err = stderr(&output);
            assert!(err.contains(expected), "{what}: {err}");
            assert!(err.contains("run_runner.json"), "{what}: {err}");
            assert!(!err.contains("panicked"), "{what}: {err}");
        }
    }
}

#[test]
fn a_baseline_keeps_the_runs_runner_summary_and_old_baselines_still_read() {
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path();
    let output = loadgate(args![
        "baseline",
        "save",
        fixture("runner/run.json"),
        "--name",
        "main",
        "--store",
        store_arg,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let saved = read_json(&store.path().join("main.json"));
    let kept = &saved["runs"][0];
    assert_eq!(kept["runner"]["samples"], 12);
    // The summary's own fields stay where they were, histograms included.
    assert!(kept["source"].as_str().unwrap().ends_with("runner/run"));
    assert!(kept["aggregated"]["histogram"].is_array());
    let (code, report) = check_json(args![
        fixture("runner/run"),
        "--baseline",
        "main",
        "--store",
        store_arg,
    ]);
    assert!(code == 0 || code == 1);
    assert!(report["baseline"]["compared"].as_bool().unwrap());
    // The run against its own record: its generator was runnable 97% of the time, its own limit
    // on both sides, so the runner is called busier, saying why.
    let runner = &report["baseline"]["runner"];
    assert_eq!(runner["call"], "busier", "{runner}");
    assert!(runner["kept_run"].is_null(), "{runner}");
    assert!(
        runner["why"].as_str().unwrap().contains("it was the limit"),
        "{runner}"
    );
    // A baseline without runner summaries (saved before they were kept) reads as before.
    let mut old = saved.clone();
    old["runs"][0].as_object_mut().unwrap().remove("runner");
    std::fs::write(
        store.path().join("old.json"),
        serde_json::to_vec(&old).unwrap(),
    )
    .unwrap();
    let (_, report) = check_json(args![
        fixture("runner/run"),
        "--baseline",
        "old",
        "--store",
        store_arg,
    ]);
    assert!(report["baseline"]["compared"].as_bool().unwrap());
    let runner = &report["baseline"]["runner"];
    assert_eq!(runner["call"], "unknown", "{runner}");
    assert!(
        runner["kept_run"].is_null() && runner["why"].is_null(),
        "{runner}"
    );
}

#[test]
fn a_runner_record_in_a_directory_is_not_merged_as_a_locust_json() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["machine-a.json", "machine-b.json"] {
        std::fs::copy(fixture("merge").join(name), dir.path().join(name)).unwrap();
    }
    std::fs::copy(
        fixture("runner/run_runner.json"),
        dir.path().join("machine-a_runner.json"),
    )
    .unwrap();
    let output = loadgate(args!["check", "--merge", dir.path()]);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        stderr(&output)
    );
}

/// A temporary copy of the runs `names` of `dir` (their Locust CSVs) without their runner records.
fn without_records(dir: &Path, names: &[&str]) -> tempfile::TempDir {
    let bare = tempfile::tempdir().unwrap();
    for name in names {
        for suffix in [
            "_stats.csv",
            "_stats_history.csv",
            "_failures.csv",
            "_exceptions.csv",
        ] {
            let file = format!("{name}{suffix}");
            std::fs::copy(dir.join(&file), bare.path().join(&file)).unwrap();
        }
    }
    bare
}

/// `compare --format json BASE CURRENT`: exit code (never 2) and report.
fn compare_json(base: &Path, current: &Path) -> (i32, Value) {
    let out = loadgate(args!["compare", "--format", "json", base, current]);
    let code = out.status.code().unwrap();
    assert_ne!(code, 2, "{}", stderr(&out));
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

/// [`compare_json`] with a baseline from fixtures/runner-pairs.
fn compare_pair(base: &str, current: &Path) -> (i32, Value) {
    compare_json(&fixture("runner-pairs").join(base), current)
}

/// The run-wide shifts of the median and mean: (status, reason).
fn body_shifts(report: &Value) -> Vec<(String, String)> {
    report["run_wide_shifts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["metric"] == "p50" || s["metric"] == "avg")
        .map(|s| {
            (
                s["status"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The half-capacity run of fixtures/runner-pairs with its record's machine rewritten: a record
/// made on another CPU model, as another runner of a CI pool writes it. A record vouches for the
/// runner's share of its own machine, not for the speed of another: the shift that failed as the
/// server's warns as the machine's, naming both, in `compare` and in `check --baseline`.
#[test]
fn a_record_made_on_another_machine_does_not_vouch_for_this_one() {
    let pairs = fixture("runner-pairs");
    let dir = without_records(&pairs, &["calm-full-1", "calm-half-1"]);
    std::fs::copy(
        pairs.join("calm-full-1_runner.json"),
        dir.path().join("calm-full-1_runner.json"),
    )
    .unwrap();
    let record = dir.path().join("calm-half-1_runner.json");
    let mut written = read_json(&pairs.join("calm-half-1_runner.json"));
    assert_eq!(written["machine"]["cpu"], "AMD EPYC");
    written["machine"]["cpu"] = json!("Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz");
    std::fs::write(&record, serde_json::to_vec(&written).unwrap()).unwrap();

    let (code, report) = compare_json(
        &dir.path().join("calm-full-1"),
        &dir.path().join("calm-half-1"),
    );
    assert_eq!(code, 0, "{report}");
    let runner = &report["baseline"]["runner"];
    assert_eq!(runner["call"], "busier");
    assert!(
        runner["why"].as_str().unwrap().starts_with(
            "another machine: the baseline's run was made on AMD EPYC, 2 cores, this run on Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz, 2 cores"
        ),
        "{runner}"
    );
    let shifts = body_shifts(&report);
    assert_eq!(shifts.len(), 2, "{shifts:?}");
    assert!(
        shifts.iter().all(|(status, _)| status == "warn"),
        "{shifts:?}"
    );
    assert!(
        report["notes"]
            .to_string()
            .contains("this run from Intel(R) Xeon"),
        "{}",
        report["notes"]
    );

    // Kept in a baseline, the run's own machine (its record's) is what is kept and compared.
    let store = tempfile::tempdir().unwrap();
    let save = loadgate(args![
        "baseline",
        "save",
        "--name",
        "main",
        "--store",
        store.path(),
        dir.path().join("calm-full-1")
    ]);
    assert!(save.status.success(), "{}", stderr(&save));
    let (code, checked) = check_json(args![
        dir.path().join("calm-half-1"),
        "--baseline",
        "main",
        "--store",
        store.path(),
    ]);
    assert_eq!(checked["baseline"]["machine"]["cpu"], "AMD EPYC");
    assert_eq!(
        checked["baseline"]["runner"]["call"], "busier",
        "{}",
        checked["baseline"]
    );
    assert!(body_shifts(&checked)
        .iter()
        .all(|(status, _)| status == "warn"));
    // It fails on the profile's own limit (httpbin's /status/503 answers 503 by design), on no
    // regression and no run-wide shift.
    assert_eq!(code, 1);
    let failed = |key: &str| {
        checked[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .count()
    };
    assert_eq!((failed("regressions"), failed("run_wide_shifts")), (0, 0));
    assert!(failed("checks") > 0);
}

/// Real runs of httpbin under gunicorn on a quiet 2-core machine, each under `loadgate record`
/// (fixtures/runner-pairs): the same build twice, the server at half capacity (one worker instead
/// of two), and the same build beside a busy loop that took CPU from the server, not from the
/// generator. The record tells the slower server from the slower machine.
#[test]
fn a_slower_server_fails_and_a_busier_machine_warns() {
    let pairs = fixture("runner-pairs");
    let (code, same) = compare_pair("calm-full-1", &pairs.join("calm-full-2"));
    assert_eq!(code, 0, "{same}");
    assert_eq!(same["baseline"]["runner"]["call"], "held");

    // Half capacity, the runner held: a server-wide regression, naming the endpoints.
    let (code, half) = compare_pair("calm-full-1", &pairs.join("calm-half-1"));
    assert_eq!(code, 1);
    assert_eq!(half["baseline"]["runner"]["call"], "held");
    let shifts = body_shifts(&half);
    assert_eq!(shifts.len(), 2, "{shifts:?}");
    for (status, reason) in &shifts {
        assert_eq!(status, "fail");
        assert!(reason.starts_with("server-wide regression"), "{reason}");
        assert!(reason.contains("GET /get"), "{reason}");
    }

    // The same build beside a busy loop: the generator's wait held (0.25 cores both), but the
    // machine's CPU pressure rose 31% -> 64%, and the server on it was 2x slower: busier, warns.
    let (code, hog) = compare_pair("calm-full-1", &pairs.join("hog1-full-1"));
    assert_eq!(code, 0, "{hog}");
    let runner = &hog["baseline"]["runner"];
    assert_eq!(runner["call"], "busier");
    assert!(
        runner["why"]
            .as_str()
            .unwrap()
            .starts_with("CPU pressure 31% -> 64%"),
        "{runner}"
    );
    let shifts = body_shifts(&hog);
    assert!(!shifts.is_empty());
    assert!(
        shifts.iter().all(|(status, _)| status == "warn"),
        "{shifts:?}"
    );

    // The same build again, 1.2x slower (the median 27 -> 34 ms), with records that match: but
    // the generator waited for a CPU 0.24-0.25 cores in both runs, a contended machine, where
    // the same build moves up to 1.5x between runs. Held, contended, and it warns.
    let (code, again) = compare_pair("calm-full-1", &pairs.join("calm-full-3"));
    assert_eq!(code, 0, "{again}");
    let runner = &again["baseline"]["runner"];
    assert_eq!(
        (&runner["call"], &runner["contended"]),
        (&json!("held"), &json!(true))
    );
    let shifts = body_shifts(&again);
    assert!(!shifts.is_empty());
    for (status, reason) in &shifts {
        assert_eq!(status, "warn");
        assert!(
            reason.contains("the generator waited for a CPU in both runs"),
            "{reason}"
        );
    }
    // At half capacity the generator hardly waited (0.02 cores): not contended, as above.
    assert_eq!(half["baseline"]["runner"]["contended"], json!(false));

    // Without the records the half-capacity run cannot be told from a slower runner: it warns
    // (exit 0), the limit of a single-run comparison that docs/runner-record.md states.
    let bare = without_records(&pairs, &["calm-full-1", "calm-half-1"]);
    let (code, unknown) = compare_json(
        &bare.path().join("calm-full-1"),
        &bare.path().join("calm-half-1"),
    );
    assert_eq!(code, 0, "{unknown}");
    assert_eq!(unknown["baseline"]["runner"]["call"], "unknown");
    let shifts = body_shifts(&unknown);
    assert!(
        shifts.iter().all(|(status, _)| status == "warn"),
        "{shifts:?}"
    );
}

/// Real runs of Datasette on a quiet 2-core machine (fixtures/runner-datasette): its cheapest
/// endpoint runs no SQL, so it moves on its own while the pages that query hold. The same build's
/// health check slowed 1.4x (mean) and 2.1x (P95) with the pages 3-12% slower: a runner that held
/// does not make that a server-wide regression. Half the SQL threads moves the pages themselves.
#[test]
fn a_health_check_that_moved_alone_is_no_server_wide_regression() {
    let dir = fixture("runner-datasette");
    let compare = |current: &str| compare_json(&dir.join("calm-full-2"), &dir.join(current));
    let (code, same) = compare("calm-full-3");
    assert_eq!(code, 0, "{same}");
    assert_eq!(same["baseline"]["runner"]["call"], json!("held"));
    let shifts = same["run_wide_shifts"].as_array().unwrap();
    let avg = shifts
        .iter()
        .find(|s| s["metric"] == "avg")
        .expect("a mean shift");
    assert_eq!(avg["status"], json!("warn"));
    let reason = avg["reason"].as_str().unwrap();
    assert!(reason.contains("GET /-/versions.json"), "{reason}");
    assert!(
        reason.contains("but only 1 of 4 endpoints moved by at least half of it in proportion"),
        "{reason}"
    );

    let (code, half) = compare("calm-half-1");
    assert_eq!(code, 1, "{half}");
    let failed: Vec<&str> = half["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "fail")
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(
        failed.contains(&"/data/items.json?category=[n]"),
        "{failed:?}"
    );
}

/// The same build beside a busy loop (fixtures/runner-datasette `calm-full-1` -> `hog1-full-3`): the
/// record calls the runner busier, Datasette's pages moved their medians +42-58% together and its
/// version endpoint 9 -> 13 ms (no run-wide shift of the median: short of its 5 ms floor). The
/// page that moved most is within the whole run's move by less than the limit: the runner explains
/// it, and it warns. The same files without the records judge it as before, and it fails.
#[test]
fn on_a_busier_runner_the_pages_that_moved_together_are_the_runners() {
    let dir = fixture("runner-datasette");
    let page = |report: &Value| {
        report["regressions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "/data/items/[id].json" && r["metric"] == "p50")
            .cloned()
            .expect("the page's median compared")
    };
    let (_, with) = compare_json(&dir.join("calm-full-1"), &dir.join("hog1-full-3"));
    assert_eq!(
        with["baseline"]["runner"]["call"],
        json!("busier"),
        "{with}"
    );
    let judged = page(&with);
    assert_eq!(judged["status"], json!("warn"), "{judged}");
    let reason = judged["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "explained by the runner, its records busier: the endpoints' median p50 moved"
        ),
        "{reason}"
    );
    assert!(
        with["regressions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] != "fail"),
        "{with}"
    );

    // The same runs without their records: the runner is unknown, and the page fails on its own.
    let bare = without_records(&dir, &["calm-full-1", "hog1-full-3"]);
    let (code, without) = compare_json(
        &bare.path().join("calm-full-1"),
        &bare.path().join("hog1-full-3"),
    );
    assert_eq!(code, 1, "{without}");
    assert_eq!(without["baseline"]["runner"]["call"], json!("unknown"));
    assert_eq!(page(&without)["status"], json!("fail"), "{without}");
}

/// A server at half its SQL threads on a calmer runner (fixtures/runner-datasette, from one corpus:
/// `w-hog1-full-1`, the same build beside a busy loop, its generator waiting 0.15 cores for a CPU and
/// the CPU pressure 64%; `w-calm-half-1`, one SQL thread and nothing beside it, 0.04 cores and 6%).
/// The query pages slowed 1.4-1.5x while the version endpoint, which runs no SQL, got faster: no
/// run-wide shift, and each page within the between-run noise of a run made beside a busy loop. The
/// runner had more to give, so the whole run's mean past the limit is the server's and fails, naming
/// the pages. The same build on that calmer runner (`w-calm-full-1`) passes, and the half-capacity
/// run without the records warns as before.
#[test]
fn on_a_calmer_runner_a_whole_run_that_slowed_is_the_servers() {
    let dir = fixture("runner-datasette");
    let aggregate = |report: &Value, metric: &str| {
        report["regressions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["scope"] == "aggregated" && r["metric"] == metric)
            .cloned()
            .expect("the aggregate compared")
    };
    let (code, half) = compare_json(&dir.join("w-hog1-full-1"), &dir.join("w-calm-half-1"));
    assert_eq!(code, 1, "{half}");
    assert_eq!(half["baseline"]["runner"]["call"], json!("held"));
    assert_eq!(half["baseline"]["runner"]["calmer"], json!(true));
    assert!(half["run_wide_shifts"].as_array().unwrap().is_empty());
    let mean = aggregate(&half, "avg");
    assert_eq!(mean["status"], json!("fail"), "{mean}");
    let reason = mean["reason"].as_str().unwrap();
    assert!(reason.contains("measurably more to give"), "{reason}");
    assert!(
        reason.contains(
            "past the limit: GET /data/items.json?category=[n], GET /data/items/[id].json"
        ),
        "{reason}"
    );
    // Every endpoint alone still warns: one endpoint is not the whole run.
    assert!(
        half["regressions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["scope"] != "aggregated")
            .all(|r| r["status"] != "fail"),
        "{half}"
    );

    let (code, same) = compare_json(&dir.join("w-hog1-full-1"), &dir.join("w-calm-full-1"));
    assert_eq!(code, 0, "{same}");
    assert_eq!(same["baseline"]["runner"]["calmer"], json!(true));

    let bare = without_records(&dir, &["w-hog1-full-1", "w-calm-half-1"]);
    let (code, without) = compare_json(
        &bare.path().join("w-hog1-full-1"),
        &bare.path().join("w-calm-half-1"),
    );
    assert_eq!(code, 0, "{without}");
    assert_eq!(aggregate(&without, "avg")["status"], json!("warn"));
}

/// A real run whose load generator was its own limit (fixtures/runner-starved: Locust pinned to one
/// CPU of a machine at load 17, runnable 96% of the time): its latency climbs 10x over the run
/// at a steady load, and the record says why. With the record, trends are not judged and a note
/// says so; the same files without it flag the climb.
#[test]
fn a_generator_that_was_its_own_limit_has_its_trends_left_unjudged() {
    let (_, report) = check_json(args![fixture("runner-starved/run")]);
    assert_eq!(
        report["trends"].as_array().unwrap().len(),
        0,
        "{}",
        report["trends"]
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(
            "trends are not judged: the load generator was its own limit (runnable 96% of the time"
        ),
        "{notes}"
    );

    let bare = without_records(&fixture("runner-starved"), &["run"]);
    let (_, report) = check_json(args![bare.path().join("run")]);
    let flagged = flagged_trends(&report);
    assert!(
        flagged
            .iter()
            .any(|t| t["scope"] == "aggregated" && t["metric"] == "latency_avg"),
        "{flagged:?}"
    );
    assert!(!report["notes"].to_string().contains("its own limit"));
}
