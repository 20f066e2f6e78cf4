//! Property tests: any bytes give a run or a clean error (never a panic), and a valid file's
//! aggregated counts and names come back exactly as written.

use std::path::Path;

use proptest::prelude::*;

use super::load_run;

const HEADER: &str = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[derive(Debug, Clone)]
struct Row {
    method: String,
    name: String,
    requests: u64,
    failures: u64,
    avg: f64,
    percentiles: Vec<u64>,
}

fn row() -> impl Strategy<Value = Row> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        // Commas, quotes, spaces, unicode: everything a Locust name may hold.
        "[a-zA-Z0-9/_ ,\"'é→\\[\\]{}?=&-]{1,30}",
        0u64..1_000_000,
        0u64..1000,
        0.0f64..100_000.0,
        prop::collection::vec(0u64..100_000, 11),
    )
        .prop_map(|(method, name, requests, failures, avg, mut percentiles)| {
            percentiles.sort_unstable();
            Row {
                method: method.to_string(),
                name,
                requests,
                failures: failures.min(requests),
                avg,
                percentiles,
            }
        })
        .prop_filter("not the aggregate's name", |r| {
            let name = r.name.trim();
            name != "Aggregated" && name != "Total"
        })
}

fn stats_file(rows: &[Row]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    writer.write_record(HEADER.split(',')).unwrap();
    let mut record =
        |method: &str, name: &str, requests: u64, failures: u64, avg: f64, p: &[u64]| {
            let mut cells = vec![
                method.to_string(),
                name.to_string(),
                requests.to_string(),
                failures.to_string(),
                p[0].to_string(),
                avg.to_string(),
                "0.5".to_string(),
                p[10].to_string(),
                "10.0".to_string(),
                "1.5".to_string(),
                "0.0".to_string(),
            ];
            cells.extend(p.iter().map(|v| v.to_string()));
            writer.write_record(&cells).unwrap();
        };
    for r in rows {
        record(
            &r.method,
            &r.name,
            r.requests,
            r.failures,
            r.avg,
            &r.percentiles,
        );
    }
    let requests = rows.iter().map(|r| r.requests).sum();
    let failures = rows.iter().map(|r| r.failures).sum();
    record("", "Aggregated", requests, failures, 1.0, &[1; 11]);
    writer.into_inner().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_give_a_run_or_an_error(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "r_stats.csv", &bytes);
        write(dir.path(), "r_stats_history.csv", &bytes);
        write(dir.path(), "r_failures.csv", &bytes);
        let _ = load_run(&dir.path().join("r"));
    }

    #[test]
    fn a_damaged_file_gives_a_run_or_an_error(
        rows in prop::collection::vec(row(), 1..6),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut bytes = stats_file(&rows);
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "r_stats.csv", &bytes);
        if let Err(err) = load_run(&dir.path().join("r")) {
            // Every error names the file it is about.
            prop_assert!(format!("{err:#}").contains("r_stats.csv"), "{err:#}");
        }
    }

    #[test]
    fn a_valid_file_reads_back_exactly(rows in prop::collection::vec(row(), 1..12)) {
        // One row per (method, name), as Locust writes.
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<Row> = rows.into_iter().filter(|r| seen.insert((r.method.clone(), r.name.clone()))).collect();
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "r_stats.csv", &stats_file(&rows));
        let run = load_run(&dir.path().join("r")).unwrap();
        prop_assert_eq!(run.endpoints.len(), rows.len());
        prop_assert_eq!(run.aggregated.requests, rows.iter().map(|r| r.requests).sum::<u64>());
        prop_assert_eq!(run.aggregated.failures, rows.iter().map(|r| r.failures).sum::<u64>());
        for (read, written) in run.endpoints.iter().zip(&rows) {
            prop_assert_eq!(&read.key.name, &written.name);
            prop_assert_eq!(read.requests, written.requests);
            prop_assert_eq!(read.percentiles.p95(), Some(written.percentiles[5] as f64));
        }
    }
}
