//! The baseline store and `check --baseline`.

mod common;

use std::path::Path;

use common::{fixture, loadgate, stderr, stdout};
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
    let output = loadgate(&[
        "check",
        fixture(run).to_str().unwrap(),
        "--baseline",
        name,
        "--store",
        store.to_str().unwrap(),
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
    let shown = loadgate(&[
        "baseline",
        "show",
        "nightly",
        "--store",
        store.path().to_str().unwrap(),
    ]);
    let baseline: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let runs = baseline["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0]["source"].as_str().unwrap().ends_with("same-2"));
    assert!(runs[1]["source"].as_str().unwrap().ends_with("same-3"));
    assert_eq!(baseline["schema_version"], 1);
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
    let listed = stdout(&loadgate(&[
        "baseline",
        "list",
        "--store",
        store.path().to_str().unwrap(),
    ]));
    assert!(
        listed.lines().any(|l| l.starts_with("a ")) && listed.lines().any(|l| l.starts_with("b ")),
        "{listed}"
    );
    let deleted = loadgate(&[
        "baseline",
        "delete",
        "a",
        "--store",
        store.path().to_str().unwrap(),
    ]);
    assert!(deleted.status.success());
    assert!(!store.path().join("a.json").exists());
    let again = loadgate(&[
        "baseline",
        "delete",
        "a",
        "--store",
        store.path().to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn names_that_escape_the_store_are_refused() {
    let store = tempfile::tempdir().unwrap();
    for name in ["../x", "/tmp/abs", "a/b", ".hidden"] {
        let output = save(store.path(), "compare/same-1", name, None);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert!(
            stderr(&output).contains("invalid baseline name"),
            "{}",
            stderr(&output)
        );
    }
    assert!(!store.path().parent().unwrap().join("x.json").exists());
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
    let output = loadgate(&[
        "check",
        fixture("compare/same-2").to_str().unwrap(),
        "--baseline",
        "main",
        "--store",
        store.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("newer loadgate"),
        "{}",
        stderr(&output)
    );

    std::fs::write(&path, "{ not json").unwrap();
    let output = loadgate(&[
        "baseline",
        "show",
        "main",
        "--store",
        store.path().to_str().unwrap(),
    ]);
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
    let shown = loadgate(&[
        "baseline",
        "show",
        "main",
        "--store",
        store.path().to_str().unwrap(),
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
        .args([
            "baseline",
            "save",
            fixture("compare/same-1").to_str().unwrap(),
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
    let store_arg = store.path().to_str().unwrap();
    let run = fixture("compare/same-1");
    let save = loadgate(&[
        "baseline",
        "save",
        run.to_str().unwrap(),
        "--name",
        "main",
        "--store",
        store_arg,
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
    let (_, report) = common::check_json(&[
        fixture("compare/same-2").to_str().unwrap(),
        "--baseline",
        "main",
        "--store",
        store_arg,
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert_eq!(report["baseline"]["machine"]["cores"], 96);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("96 cores") && notes.contains("this run is checked on"),
        "{notes}"
    );
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("96 cores"), "{markdown}");
}
