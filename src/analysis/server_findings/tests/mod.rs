//! Tests of `server_findings`: each rule just inside and just outside its thresholds on made-up
//! series, then the real runs of `fixtures/server/` (Locust 2.47 against `fixtures/server_target.py`,
//! scraped every second by Prometheus 2.42), and, not in CI, the whole corpus
//! (`bench/server_corpus.py`; `cargo test --lib server_findings::tests::corpus -- --ignored`).
//! One file per finding; the helpers they share, made-up and read from the dumps, are here.

mod corpus;
mod latency;
mod memory;
mod real;
mod restarts;
mod saturation;
mod series;

// The helpers of one file that another uses (a ramp, a restart, a burst of failures).
use restarts::{failing, up_and_start};
use saturation::ramp_client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::analysis::series::intervals;

const T0: i64 = 1_796_000_000;

fn series(
    query: &str,
    unit: ServerUnit,
    labels: &[(&str, &str)],
    points: Vec<(f64, f64)>,
) -> ServerSeries {
    ServerSeries {
        source: query.to_string(),
        query: query.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        unit,
        points,
    }
}

const JOB: &[(&str, &str)] = &[("job", "api"), ("instance", "127.0.0.1:8000")];

/// One interval a second from T0 + 1 with these users, throughputs and mean latencies.
fn client(users: &[u64], rps: &[f64], latency: &[f64]) -> Vec<Interval> {
    (0..users.len())
        .map(|i| Interval {
            timestamp: T0 + 1 + i as i64,
            users: users[i],
            seconds: 1.0,
            requests: rps[i].round() as u64,
            failures: 0,
            rps: rps[i],
            failures_per_s: 0.0,
            avg_ms: Some(latency[i]),
        })
        .collect()
}

/// `seconds` of constant load: 10 users, 50 req/s, 20 ms.
fn steady(seconds: usize) -> Vec<Interval> {
    client(
        &vec![10; seconds],
        &vec![50.0; seconds],
        &vec![20.0; seconds],
    )
}

/// A point a second over the client's span with `f(seconds since T0)`.
fn per_second_points(seconds: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..=seconds)
        .map(|i| ((T0 + i as i64) as f64, f(i as f64)))
        .collect()
}

/// A deterministic jitter in -1..1.
fn jitter(i: f64) -> f64 {
    ((i * 12.9898).sin() * 43758.5453).fract()
}

fn memory(points: Vec<(f64, f64)>) -> ServerSeries {
    series(
        "process_resident_memory_bytes{job=\"api\"}",
        ServerUnit::Bytes,
        JOB,
        points,
    )
}

fn fit(slope_mb_per_min: f64, t: f64, r2: f64, n: usize) -> LineFit {
    let slope = slope_mb_per_min * MB / 60.0;
    LineFit {
        slope,
        intercept: 0.0,
        slope_se: slope / t,
        t,
        r2,
        n,
    }
}

/// The series of a `prometheus.json` dump (`bench/server_corpus.py`): one `ServerSeries` per result
/// of each query_range answer.
fn read_dump(path: &Path) -> Vec<ServerSeries> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dump: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for entry in dump["series"].as_array().unwrap() {
        let unit = match entry["unit"].as_str().unwrap() {
            "bytes" => ServerUnit::Bytes,
            "seconds" => ServerUnit::Seconds,
            "ratio" => ServerUnit::Ratio,
            "percent" => ServerUnit::Percent,
            "count" => ServerUnit::Count,
            _ => ServerUnit::None,
        };
        for result in entry["result"].as_array().unwrap() {
            let labels = result["metric"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let points = result["values"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|pair| {
                    let t = pair[0].as_f64()?;
                    let v: f64 = pair[1].as_str()?.parse().ok()?;
                    v.is_finite().then_some((t, v))
                })
                .collect();
            out.push(ServerSeries {
                source: entry["name"].as_str().unwrap().to_string(),
                query: entry["query"].as_str().unwrap().to_string(),
                labels,
                unit,
                points,
            });
        }
    }
    out
}

/// The run's aggregate history as intervals.
fn read_client(dir: &Path) -> Vec<Interval> {
    let run = crate::ingest::load_run(&dir.join("locust_stats.csv")).unwrap();
    let history = run.history.expect("the run has a history");
    intervals(&history.aggregated().expect("Aggregated rows").points)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/server")
        .join(name)
}

fn findings_of(dir: &Path) -> Vec<ServerFinding> {
    server_findings(
        &read_dump(&dir.join("prometheus.json")),
        &read_client(dir),
        None,
    )
}

fn kinds(findings: &[ServerFinding]) -> Vec<&'static str> {
    findings.iter().map(ServerFinding::kind).collect()
}
