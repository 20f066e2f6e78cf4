//! New errors against a baseline, on real runs (fixtures/advice: two runs of the same failure modes,
//! one message per order id; compare/same-1: no failures at all).

use std::path::Path;

use crate::common::{csv_rows, fixture, loadgate, stderr};
use serde_json::Value;

fn save(store: &Path, run: &str, name: &str) {
    let output = loadgate(args![
        "baseline",
        "save",
        fixture(run),
        "--name",
        name,
        "--store",
        store,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

fn check(store: &Path, run: &str, name: &str, profile: &str) -> (i32, Value) {
    let output = loadgate(args![
        "check",
        fixture(run),
        "--baseline",
        name,
        "--store",
        store,
        "--profile",
        profile,
        "--format",
        "json",
    ]);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code().unwrap(), json)
}

fn profile(dir: &Path, text: &str) -> String {
    let path = dir.join("p.toml");
    // Latency limits no run here reaches: only new errors can decide.
    std::fs::write(
        &path,
        format!("name = \"p\"\n[thresholds]\np95 = 100000\n{text}"),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn the_same_failure_modes_with_other_ids_are_no_new_errors() {
    // Run 2 writes a message per order id: hundreds of distinct rows, one signature.
    let rows = csv_rows("advice/advice-2_failures.csv");
    assert!(rows.len() > 200, "{} rows", rows.len());
    let store = tempfile::tempdir().unwrap();
    save(store.path(), "advice/advice", "main");
    let kept: Value =
        serde_json::from_str(&std::fs::read_to_string(store.path().join("main.json")).unwrap())
            .unwrap();
    assert_eq!(kept["schema_version"], 2);
    let signatures = kept["runs"][0]["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 4, "{signatures:#?}");
    let orders = signatures
        .iter()
        .find(|s| s["name"] == "/orders/[id]")
        .unwrap();
    assert_eq!(
        orders["signature"],
        "CatchResponseError('order # failed with status #')"
    );
    assert_eq!(orders["count"], 261);
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = check(
        store.path(),
        "advice/advice-2",
        "main",
        &profile(dir.path(), ""),
    );
    assert_eq!(
        report["new_errors"],
        serde_json::json!([]),
        "{:#}",
        report["new_errors"]
    );
}

#[test]
fn signatures_the_baseline_never_had_warn_or_fail_as_the_profile_says() {
    let store = tempfile::tempdir().unwrap();
    save(store.path(), "compare/same-1", "clean");
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = check(
        store.path(),
        "advice/advice",
        "clean",
        &profile(dir.path(), ""),
    );
    let found = report["new_errors"].as_array().unwrap();
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found
        .iter()
        .all(|e| e["change"] == "new" && e["status"] == "warn"));
    let timeouts = found.iter().find(|e| e["name"] == "/slow").unwrap();
    assert_eq!(timeouts["count"], 409);
    assert_eq!(timeouts["baseline_count"], 0);
    assert!(timeouts["reason"]
        .as_str()
        .unwrap()
        .ends_with("×409: not in the baseline (1 kept run)"));

    let failing = profile(
        dir.path(),
        "[new_errors]\nnew = \"fail\"\n[[expected_failure]]\nmessage = \"*rate limited*\"\n",
    );
    let (code, report) = check(store.path(), "advice/advice", "clean", &failing);
    let found = report["new_errors"].as_array().unwrap();
    assert_eq!(found.len(), 3, "the expected 429s stay out: {found:#?}");
    assert!(found.iter().all(|e| e["name"] != "/limited"));
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "fail");

    let off = profile(dir.path(), "[new_errors]\nnew = \"off\"\n");
    let (_, report) = check(store.path(), "advice/advice", "clean", &off);
    assert_eq!(report["new_errors"], serde_json::json!([]));
}

#[test]
fn a_baseline_saved_before_signatures_were_kept_is_read_and_says_it_cannot_tell() {
    let store = tempfile::tempdir().unwrap();
    save(store.path(), "compare/same-1", "old");
    let path = store.path().join("old.json");
    let mut kept: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    kept["schema_version"] = Value::from(1);
    kept["runs"][0]
        .as_object_mut()
        .unwrap()
        .remove("signatures");
    std::fs::write(&path, serde_json::to_vec(&kept).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, report) = check(
        store.path(),
        "advice/advice",
        "old",
        &profile(dir.path(), ""),
    );
    assert_eq!(report["baseline"]["compared"], true);
    assert_eq!(report["new_errors"], serde_json::json!([]));
    assert!(report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("new errors are not checked")));
}
