//! The baseline store and `check --baseline`.

use std::path::Path;

use crate::common::{self, fixture, loadgate, stderr, stdout};
use serde_json::Value;

fn save(store: &Path, run: &str, name: &str, keep: Option<&str>) -> std::process::Output {
    let mut args = vec![
        "baseline".to_string(),
        "save".to_string(),
        fixture(run).display().to_string(),
        "--name".to_string(),
        name.to_string(),
        "--store".to_string(),
        store.display().to_string(),
    ];
    if let Some(k) = keep {
        args.extend(["--keep".to_string(), k.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    loadgate(&args)
}

fn check_against(store: &Path, run: &str, name: &str) -> (i32, Value) {
    let output = loadgate(args![
        "check",
        fixture(run),
        "--baseline",
        name,
        "--store",
        store,
        "--format",
        "json",
    ]);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code().unwrap(), json)
}

#[test]
fn a_saved_baseline_gates_a_later_run() {
    let store = tempfile::tempdir().unwrap();
    let output = save(store.path(), "compare/same-1", "main", None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(store.path().join("main.json").is_file());

    let (code, report) = check_against(store.path(), "compare/same-2", "main");
    assert_eq!(code, 0, "{:#}", report["regressions"]);
    assert_eq!(report["baseline"]["label"], "main");

    let (code, report) = check_against(store.path(), "compare/slow-2x", "main");
    assert_eq!(code, 1);
    assert_eq!(report["baseline"]["verdict"], "fail");
    assert!(
        report["checks"].as_array().unwrap().len() > 5,
        "profile checks are there too"
    );
}

#[test]
fn a_rolling_baseline_keeps_the_last_n_runs() {
    let store = tempfile::tempdir().unwrap();
    for run in ["compare/same-1", "compare/same-2", "compare/same-3"] {
        assert!(save(store.path(), run, "nightly", Some("2"))
            .status
            .success());
    }
    let shown = loadgate(args![
        "baseline",
        "show",
        "nightly",
        "--store",
        store.path(),
        "--format",
        "json",
    ]);
    let baseline: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let runs = baseline["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0]["source"].as_str().unwrap().ends_with("same-2"));
    assert!(runs[1]["source"].as_str().unwrap().ends_with("same-3"));
    assert_eq!(baseline["schema_version"], 2);
    let (code, report) = check_against(store.path(), "compare/same-1", "nightly");
    assert_eq!(code, 0, "{:#}", report["regressions"]);
    assert_eq!(report["baseline"]["runs"], 2);
}

#[test]
fn list_and_delete() {
    let store = tempfile::tempdir().unwrap();
    assert!(save(store.path(), "compare/same-1", "a", None)
        .status
        .success());
    assert!(save(store.path(), "compare/same-2", "b", None)
        .status
        .success());
    let listed = stdout(&loadgate(args![
        "baseline",
        "list",
        "--store",
        store.path(),
    ]));
    assert!(
        listed.lines().any(|l| l.starts_with("a ")) && listed.lines().any(|l| l.starts_with("b ")),
        "{listed}"
    );
    let deleted = loadgate(args!["baseline", "delete", "a", "--store", store.path(),]);
    assert!(deleted.status.success());
    assert!(!store.path().join("a.json").exists());
    let again = loadgate(args!["baseline", "delete", "a", "--store", store.path(),]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn names_that_escape_the_store_are_refused() {
    // The store inside a directory of its own, so that `../x` would land where no one else writes.
    let outer = tempfile::tempdir().unwrap();
    let store = outer.path().join("store");
    std::fs::create_dir(&store).unwrap();
    for name in ["../x", "/tmp/abs", "a/b", ".hidden"] {
        let output = save(&store, "compare/same-1", name, None);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(
            stderr(&output).contains("invalid baseline name"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!outer.path().join("x.json").exists());
    assert_eq!(
        std::fs::read_dir(&outer).unwrap().count(),
        1,
        "the store alone"
    );
}

#[test]
fn a_baseline_from_a_newer_schema_is_refused_not_misread() {
    let store = tempfile::tempdir().unwrap();
    assert!(save(store.path(), "compare/same-1", "main", None)
        .status
        .success());
    let path = store.path().join("main.json");
    let mut baseline: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    baseline["schema_version"] = Value::from(99);
    std::fs::write(&path, serde_json::to_string(&baseline).unwrap()).unwrap();
    let output = loadgate(args![
        "check",
        fixture("compare/same-2"),
        "--baseline",
        "main",
        "--store",
        store.path(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("newer loadgate"),
        "{}",
        stderr(&output)
    );

    std::fs::write(&path, "{ not json").unwrap();
    let output = loadgate(args!["baseline", "show", "main", "--store", store.path(),]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("main.json:1:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn concurrent_saves_leave_a_readable_store_without_temporary_files() {
    let store = tempfile::tempdir().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let dir = store.path().to_path_buf();
            std::thread::spawn(move || save(&dir, "compare/same-1", "main", Some("20")))
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap().status.success());
    }
    let shown = loadgate(args![
        "baseline",
        "show",
        "main",
        "--store",
        store.path(),
        "--format",
        "json",
    ]);
    let baseline: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(
        baseline["runs"].as_array().unwrap().len(),
        8,
        "the lock serialises the saves: none lost"
    );
    let stray: Vec<_> = std::fs::read_dir(store.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn the_store_can_come_from_the_environment() {
    let store = tempfile::tempdir().unwrap();
    let output = common::command()
        .args(args![
            "baseline",
            "save",
            fixture("compare/same-1"),
            "--name",
            "env",
        ])
        .env("LOADGATE_BASELINE_DIR", store.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(store.path().join("env.json").is_file());
}

#[test]
fn a_baseline_says_where_it_was_saved_and_a_check_elsewhere_says_so() {
    let store = tempfile::tempdir().unwrap();
    let store_arg = store.path();
    let run = fixture("compare/same-1");
    let save = loadgate(args![
        "baseline", "save", run, "--name", "main", "--store", store_arg,
    ]);
    assert!(save.status.success(), "{}", stderr(&save));
    let path = store.path().join("main.json");
    let mut baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let machine = &mut baseline["runs"][0]["machine"];
    assert!(machine["cores"].as_u64().unwrap() >= 1, "{machine:#}");
    assert_eq!(machine["loadgate"], env!("CARGO_PKG_VERSION"));
    // The same store read on another kind of machine.
    machine["cores"] = serde_json::json!(96);
    std::fs::write(&path, serde_json::to_vec(&baseline).unwrap()).unwrap();
    let md = store.path().join("summary.md");
    let (_, report) = common::check_json(args![
        fixture("compare/same-2"),
        "--baseline",
        "main",
        "--store",
        store_arg,
        "--markdown",
        md,
    ]);
    assert_eq!(report["baseline"]["machine"]["cores"], 96);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("96 cores") && notes.contains("this run from"),
        "{notes}"
    );
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("96 cores"), "{markdown}");
}

fn check_outputs(store: &Path, run: &str, extra: &[&str]) -> (i32, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let path = |name: &str| out.path().join(name).display().to_string();
    let (json, md, junit) = (path("r.json"), path("r.md"), path("r.xml"));
    let run = fixture(run).display().to_string();
    let store = store.display().to_string();
    let mut args = vec![
        "check",
        &run,
        "--store",
        &store,
        "--json",
        &json,
        "--markdown",
        &md,
        "--junit",
        &junit,
    ];
    args.extend(extra);
    let output = loadgate(&args);
    std::fs::write(out.path().join("stdout.txt"), &output.stdout).unwrap();
    std::fs::write(out.path().join("stderr.txt"), &output.stderr).unwrap();
    (output.status.code().unwrap(), out)
}

#[test]
fn a_baseline_name_not_saved_yet_compares_nothing_and_says_so_everywhere() {
    let store = tempfile::tempdir().unwrap();
    let (code, out) = check_outputs(
        store.path(),
        "compare/same-1",
        &["--baseline", "main", "--profile", "web-api"],
    );
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    // The grades alone decide: the same run without --baseline exits the same way.
    let (alone, _) = check_outputs(store.path(), "compare/same-1", &["--profile", "web-api"]);
    assert_eq!(code, alone, "{}", read("stderr.txt"));
    let json: Value = serde_json::from_str(&read("r.json")).unwrap();
    assert_eq!(json["baseline"]["compared"], false);
    assert_eq!(json["baseline"]["runs"], 0);
    assert_eq!(json["baseline"]["label"], "main");
    assert_eq!(json["regressions"].as_array().unwrap().len(), 0);
    assert!(json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "no baseline: nothing compared"));
    assert!(read("stdout.txt").contains("Baseline main: no baseline: nothing compared"));
    assert!(!read("stdout.txt").contains("regressions failed"));
    assert!(read("r.md").contains("**Baseline `main`**: no baseline: nothing compared"));
    let junit = read("r.xml");
    assert!(
        junit.contains("<testcase classname=\"baseline\" name=\"main\">\n      <skipped message=\"no baseline: nothing compared\" />"),
        "{junit}"
    );
    assert!(junit.contains("skipped=\"1\""));
}

#[test]
fn require_baseline_makes_a_missing_one_an_input_error() {
    let store = tempfile::tempdir().unwrap();
    let (code, out) = check_outputs(
        store.path(),
        "compare/same-1",
        &["--baseline", "main", "--require-baseline"],
    );
    let stderr = std::fs::read_to_string(out.path().join("stderr.txt")).unwrap();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no baseline 'main'"), "{stderr}");
    assert!(!out.path().join("r.json").exists(), "no partial report");
    // Once saved, the same command compares.
    assert!(save(store.path(), "compare/same-2", "main", None)
        .status
        .success());
    let (code, out) = check_outputs(
        store.path(),
        "compare/same-1",
        &["--baseline", "main", "--require-baseline"],
    );
    assert_eq!(code, 0);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(json["baseline"]["compared"], true);
    // A path that does not exist stays an error: a typo is not a first run.
    let (code, _) = check_outputs(
        store.path(),
        "compare/same-1",
        &["--baseline", "results/nope_stats.csv"],
    );
    assert_eq!(code, 2);
}

#[test]
fn save_if_pass_keeps_a_failing_run_out_of_the_baseline() {
    let store = tempfile::tempdir().unwrap();
    let save_if_pass = |run: &str| {
        loadgate(args![
            "baseline",
            "save",
            fixture(run),
            "--name",
            "main",
            "--keep",
            "5",
            "--store",
            store.path(),
            "--if-pass",
        ])
    };
    let first = save_if_pass("compare/same-1");
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).starts_with("saved "), "{}", stdout(&first));
    // Twice as slow as the stored run: a failed regression, so it is not promoted.
    let slow = save_if_pass("compare/slow-2x");
    assert!(slow.status.success(), "{}", stderr(&slow));
    assert!(
        stdout(&slow).starts_with("not saved: "),
        "{}",
        stdout(&slow)
    );
    assert!(stdout(&slow).contains("regressions against 'main'"));
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(store.path().join("main.json")).unwrap())
            .unwrap();
    assert_eq!(kept["runs"].as_array().unwrap().len(), 1);
    // Without --if-pass the same run is saved.
    assert!(save(store.path(), "compare/slow-2x", "main", None)
        .status
        .success());
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(store.path().join("main.json")).unwrap())
            .unwrap();
    assert_eq!(kept["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn runs_made_differently_are_noted_and_far_apart_ones_warn() {
    let store = tempfile::tempdir().unwrap();
    // Real runs at 10 and 40 users (fixtures/scaling): 4x the users, past the default factor 2.
    assert!(save(store.path(), "scaling/users-10", "main", None)
        .status
        .success());
    let (code, report) = check_against(store.path(), "scaling/users-40", "main");
    assert!(code == 0 || code == 1);
    let differences = report["baseline"]["differences"].as_array().unwrap();
    let users = differences
        .iter()
        .find(|d| d["field"] == "users")
        .unwrap_or_else(|| panic!("{differences:#?}"));
    assert_eq!(users["level"], "warning");
    assert_eq!(users["baseline"], "10 users");
    assert_eq!(users["current"], "40 users");
    assert!(users["message"]
        .as_str()
        .unwrap()
        .contains("this run has more"));
    assert_ne!(report["verdict"], "pass", "a warning is not a pass");
    // The same way of running: no difference at all.
    let store = tempfile::tempdir().unwrap();
    assert!(save(store.path(), "compare/same-1", "main", None)
        .status
        .success());
    let (_, report) = check_against(store.path(), "compare/same-2", "main");
    assert_eq!(report["baseline"]["differences"], serde_json::json!([]));
}

#[test]
fn html_reports_name_their_host_and_locustfile_and_a_baseline_keeps_them() {
    let store = tempfile::tempdir().unwrap();
    assert!(save(store.path(), "html/locust-2.47.0.html", "main", None)
        .status
        .success());
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(store.path().join("main.json")).unwrap())
            .unwrap();
    assert_eq!(kept["runs"][0]["host"], "http://127.0.0.1:18391");
    assert_eq!(kept["runs"][0]["locustfile"], "reports.py");
    // A CSV run names neither: nothing to compare, so no note.
    let (_, report) = check_against(store.path(), "locust2/basic", "main");
    let differences = report["baseline"]["differences"].as_array().unwrap();
    assert!(differences
        .iter()
        .all(|d| d["field"] != "host" && d["field"] != "locustfile"));
}

#[test]
fn show_is_for_people_and_save_names_the_file_it_was_given() {
    let store = tempfile::tempdir().unwrap();
    let json = fixture("json/locust-2.47.0.json");
    let saved = loadgate(args![
        "baseline",
        "save",
        json,
        "--name",
        "main",
        "--store",
        store.path(),
        "--keep",
        "3"
    ]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    let text = stdout(&saved);
    assert!(
        text.starts_with(&format!("saved {} as baseline 'main'", json.display())),
        "{text}"
    );
    assert!(save(store.path(), "compare/same-1", "main", None)
        .status
        .success());
    let shown = loadgate(args!["baseline", "show", "main", "--store", store.path()]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    assert!(
        text.starts_with("baseline 'main': 2 of 3 kept runs"),
        "{text}"
    );
    assert!(text.contains("  1. ") && text.contains("  2. "), "{text}");
    assert!(text.contains("same-1"), "{text}");
    // The newest run's endpoints, then the aggregate, in columns.
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("endpoint"))
        .unwrap();
    assert!(
        header.contains("requests") && header.contains("p95"),
        "{header}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("Aggregated")),
        "{text}"
    );
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not JSON by default"
    );
    let as_json = loadgate(args![
        "baseline",
        "show",
        "main",
        "--store",
        store.path(),
        "--format",
        "json"
    ]);
    let value: Value = serde_json::from_slice(&as_json.stdout).unwrap();
    assert_eq!(value["runs"].as_array().unwrap().len(), 2);
}
