//! `loadgate run --json-file NAME`: the run in Locust's `--json-file` format (`NAME.json`, a list
//! with one object per endpoint holding its whole response-time histogram), so that runs of the
//! generator on several machines merge exactly (`check a.json b.json --merge`), as Locust's do.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::stats::{Entry, Stats};
use crate::fsutil::write_atomic;

/// One endpoint as Locust's `StatsEntry.serialize` writes it.
#[derive(Serialize)]
struct LocustEntry<'a> {
    name: &'a str,
    method: &'a str,
    last_request_timestamp: f64,
    start_time: f64,
    num_requests: u64,
    num_none_requests: u64,
    num_failures: u64,
    total_response_time: f64,
    max_response_time: f64,
    min_response_time: Option<f64>,
    total_content_length: u64,
    /// Locust-rounded ms → count; keys are strings in JSON, as Locust's.
    response_times: std::collections::BTreeMap<u64, u64>,
    /// Locust's per-second counts: Unix second (a string key in JSON, as Locust's) → requests
    /// completed in it, and failures; seconds without any are left out, as in Locust's.
    num_reqs_per_sec: std::collections::BTreeMap<i64, u64>,
    num_fail_per_sec: std::collections::BTreeMap<i64, u64>,
}

/// Locust appends `.json` to the name it is given; so does this.
pub fn path_for(name: &Path) -> PathBuf {
    let mut path = name.as_os_str().to_owned();
    path.push(".json");
    PathBuf::from(path)
}

/// Writes `NAME.json` atomically: the entries that saw requests, each spanning the run (`start` to
/// `end`, Unix seconds), so that req/s read back is the CSV's.
pub fn write(name: &Path, stats: &Stats, start: f64, end: f64) -> Result<PathBuf> {
    let entries: Vec<LocustEntry> = stats
        .entries
        .iter()
        .filter(|e| e.requests > 0)
        .map(|e| entry(e, start, end))
        .collect();
    let path = path_for(name);
    write_atomic(&path, &serde_json::to_vec_pretty(&entries)?)?;
    Ok(path)
}

fn entry(e: &Entry, start: f64, end: f64) -> LocustEntry<'_> {
    let (num_reqs_per_sec, num_fail_per_sec) = e.per_second_counts();
    LocustEntry {
        name: &e.name,
        method: &e.method,
        last_request_timestamp: end,
        start_time: start,
        num_requests: e.requests,
        num_none_requests: 0,
        num_failures: e.failures,
        total_response_time: e.total_response_ms(),
        max_response_time: e.max_ms().unwrap_or(0.0),
        min_response_time: e.min_ms(),
        total_content_length: e.total_bytes(),
        response_times: e.locust_response_times(),
        num_reqs_per_sec,
        num_fail_per_sec,
    }
}

#[cfg(test)]
mod tests {
    use super::super::stats::locust_rounded_ms;
    use super::*;

    #[test]
    fn response_times_are_rounded_as_locust_rounds_them() {
        // Each band's edges, just inside and just outside; Python's round() is half to even.
        let cases = [
            (0.4, 0),
            (0.5, 0),
            (1.5, 2),
            (99.4, 99),
            (99.6, 100),
            (100.0, 100),
            (104.9, 100),
            (105.0, 100),
            (115.0, 120),
            (999.0, 1000),
            (1_000.0, 1000),
            (1_049.0, 1000),
            (1_051.0, 1100),
            (9_999.0, 10_000),
            (10_000.0, 10_000),
            (10_499.0, 10_000),
            (10_501.0, 11_000),
        ];
        for (ms, rounded) in cases {
            assert_eq!(locust_rounded_ms(ms), rounded, "{ms}");
        }
    }

    #[test]
    fn the_name_gets_json_appended_as_locust_does() {
        assert_eq!(
            path_for(Path::new("out/run-a")),
            PathBuf::from("out/run-a.json")
        );
        assert_eq!(path_for(Path::new("r.x")), PathBuf::from("r.x.json"));
    }
}
