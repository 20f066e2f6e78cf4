//! `check a.json b.json --merge`: one test from several machines judged as one run. The inputs are
//! real: two Locust 2.47 processes run at once against one target (fixtures/merge, made by
//! `fixtures/regenerate.sh merge`), as two CI jobs or Kubernetes pods would.

use std::collections::BTreeMap;

use crate::common::{self, check_json, fixture, loadgate, stderr, Target};
use serde_json::Value;

fn machine(m: &str) -> Value {
    let text = std::fs::read_to_string(fixture(format!("merge/machine-{m}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The merged histogram of `name` over both machines (ms → count), added here from the files.
fn union_histogram(name: Option<&str>) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for m in ["a", "b"] {
        for entry in machine(m).as_array().unwrap() {
            if name.is_some_and(|n| entry["name"] != n) {
                continue;
            }
            for (ms, count) in entry["response_times"].as_object().unwrap() {
                *out.entry(ms.parse::<u64>().unwrap()).or_insert(0) += count.as_u64().unwrap();
            }
        }
    }
    out
}

/// Locust's percentile over a histogram, written out from its definition: the smallest response
/// time that at least `q` of the requests did not exceed, as Locust counts it (`int(n * q)` below).
fn oracle_percentile(histogram: &BTreeMap<u64, u64>, q: f64) -> f64 {
    let n: u64 = histogram.values().sum();
    let allowed_below = (n as f64 * q) as u64;
    let mut seen_from_top = 0;
    for (&ms, &count) in histogram.iter().rev() {
        seen_from_top += count;
        if n - seen_from_top <= allowed_below {
            return ms as f64;
        }
    }
    0.0
}

fn sum(field: &str, name: Option<&str>) -> f64 {
    ["a", "b"]
        .iter()
        .flat_map(|m| machine(m).as_array().unwrap().clone())
        .filter(|e| name.is_none_or(|n| e["name"] == n))
        .map(|e| e[field].as_f64().unwrap())
        .sum()
}

fn merged() -> Value {
    let (code, report) = check_json(args![
        fixture("merge/machine-a.json"),
        fixture("merge/machine-b.json"),
        "--merge",
    ]);
    assert_ne!(code, 2, "{report}");
    report
}

#[test]
fn two_machines_merge_into_one_run_exactly() {
    let report = merged();
    let endpoints = report["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), machine("a").as_array().unwrap().len());
    for endpoint in endpoints {
        let name = endpoint["name"].as_str().unwrap();
        assert_eq!(
            endpoint["requests"].as_f64().unwrap(),
            sum("num_requests", Some(name))
        );
        assert_eq!(
            endpoint["failures"].as_f64().unwrap(),
            sum("num_failures", Some(name))
        );
        let histogram = union_histogram(Some(name));
        for (field, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p99_9", 0.999)] {
            assert_eq!(
                endpoint[field].as_f64().unwrap(),
                oracle_percentile(&histogram, q),
                "{name} {field}"
            );
        }
    }
    let aggregated = &report["aggregated"];
    assert_eq!(
        aggregated["requests"].as_f64().unwrap(),
        sum("num_requests", None)
    );
    let all = union_histogram(None);
    assert_eq!(
        aggregated["p95"].as_f64().unwrap(),
        oracle_percentile(&all, 0.95)
    );
    // Requests per second over the union of the two spans (first request to last of either).
    let entries: Vec<Value> = ["a", "b"]
        .iter()
        .flat_map(|m| machine(m).as_array().unwrap().clone())
        .collect();
    let start = entries
        .iter()
        .map(|e| e["start_time"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    let last = entries
        .iter()
        .map(|e| e["last_request_timestamp"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let rps = sum("num_requests", None) / (last - start);
    assert!(
        (aggregated["rps"].as_f64().unwrap() - rps).abs() < 1e-9,
        "{aggregated}"
    );
    let notes = report["notes"].to_string();
    assert!(notes.contains("2 runs merged into one"), "{notes}");
}

#[test]
fn merged_throughput_is_more_than_either_machine_alone() {
    let merged = merged()["aggregated"]["rps"].as_f64().unwrap();
    for m in ["a", "b"] {
        let (_, alone) = check_json(args![fixture(format!("merge/machine-{m}.json"))]);
        let alone = alone["aggregated"]["rps"].as_f64().unwrap();
        assert!(merged > alone * 1.5, "{merged} vs {alone}");
    }
}

#[test]
fn csv_runs_are_refused_with_why_and_what_merges() {
    let out = loadgate(args![
        "check",
        fixture("compare/same-1"),
        fixture("compare/same-2"),
        "--merge",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(err.contains("compare/same-1"), "{err}");
    assert!(err.contains("cannot be combined"), "{err}");
    assert!(
        err.contains("JSON keeps each endpoint's whole histogram"),
        "{err}"
    );
}

#[test]
fn runs_of_different_endpoints_are_refused_naming_the_file_and_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = machine("b");
    b.as_array_mut().unwrap().retain(|e| e["name"] != "/slow");
    let partial = dir.path().join("machine-b-partial.json");
    std::fs::write(&partial, serde_json::to_vec(&b).unwrap()).unwrap();
    for order in [
        [fixture("merge/machine-a.json"), partial.clone()],
        [partial.clone(), fixture("merge/machine-a.json")],
    ] {
        let out = loadgate(args!["check", order[0], order[1], "--merge",]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(out.stdout.is_empty());
        assert!(
            err.contains("machine-b-partial.json has no entry for GET /slow"),
            "{err}"
        );
    }
}

#[test]
fn a_directory_merges_the_json_files_in_it() {
    let (code, from_dir) = check_json(args![fixture("merge"), "--merge"]);
    assert_ne!(code, 2, "{from_dir}");
    let from_files = merged();
    assert_eq!(from_dir["aggregated"], from_files["aggregated"]);
    assert_eq!(from_dir["endpoints"], from_files["endpoints"]);
    let empty = tempfile::tempdir().unwrap();
    let out = loadgate(args!["check", empty.path(), "--merge"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no Locust JSON file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn merge_needs_two_runs() {
    let out = loadgate(args!["check", fixture("merge/machine-a.json"), "--merge",]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("two or more"), "{}", stderr(&out));
}

/// The `Aggregated` row's `Request Count` of a generator CSV run.
fn csv_requests(prefix: &std::path::Path) -> u64 {
    let mut reader = csv::Reader::from_path(format!("{}_stats.csv", prefix.display())).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    rows.last().unwrap()[2].parse().unwrap()
}

/// Two `loadgate run` processes at once against one target, as two CI jobs: each writes its CSVs
/// and Locust's JSON; the JSONs merge into one run whose counts are the sum of the CSVs'.
#[test]
fn generator_runs_from_two_machines_merge() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("../scenarios/demo.toml");
    let machines: Vec<(std::path::PathBuf, std::process::Child)> = ["a", "b"]
        .iter()
        .map(|m| {
            let prefix = dir.path().join(format!("gen-{m}"));
            let child = common::command()
                .args([
                    "run",
                    "--quiet",
                    "--host",
                    &target.url,
                    "-u",
                    "3",
                    "-t",
                    "3s",
                ])
                .args(args!["-f", scenario])
                .args(args!["--csv", prefix])
                .args(args!["--json-file", prefix])
                .spawn()
                .expect("the generator starts");
            (prefix, child)
        })
        .collect();
    let mut prefixes = Vec::new();
    for (prefix, mut child) in machines {
        assert!(child.wait().unwrap().success());
        prefixes.push(prefix);
    }
    let json = |p: &std::path::Path| format!("{}.json", p.display());
    let mut alone = Vec::new();
    for prefix in &prefixes {
        let (code, report) = check_json([&json(prefix)]);
        assert_ne!(code, 2, "{report}");
        assert_eq!(report["run"]["format"], "locust-json");
        // The JSON holds the run the CSV holds.
        assert_eq!(report["aggregated"]["requests"], csv_requests(prefix));
        alone.push(report["aggregated"]["p95"].as_f64().unwrap());
    }
    let (code, report) = check_json([&json(&prefixes[0]), &json(&prefixes[1]), "--merge"]);
    assert_ne!(code, 2, "{report}");
    let merged = &report["aggregated"];
    assert_eq!(
        merged["requests"].as_u64().unwrap(),
        csv_requests(&prefixes[0]) + csv_requests(&prefixes[1])
    );
    // A quantile of two distributions merged lies between theirs.
    let p95 = merged["p95"].as_f64().unwrap();
    let (lo, hi) = (alone[0].min(alone[1]), alone[0].max(alone[1]));
    assert!(lo <= p95 && p95 <= hi, "{lo} <= {p95} <= {hi}");
}
