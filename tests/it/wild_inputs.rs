//! Real result files from other projects' public repositories, read in place from `../shared/wild`
//! and `../shared/wild2` (common::shared; fixtures/README.md says why they are not copied here),
//! with quirks of their own: a Windows code page, CR CR LF line ends, an empty run, a stats file of
//! another name; and every set of the corpus through `check`. Also the quirks of inputs made here.

use std::path::{Path, PathBuf};

use crate::common::{self, check_json, fixture, loadgate, shared, stderr};

/// The file's rows as bytes (numbers are ASCII in every code page), header excluded.
fn byte_rows(path: impl AsRef<Path>) -> Vec<csv::ByteRecord> {
    let mut reader = csv::Reader::from_path(path).expect("the file exists");
    reader
        .byte_records()
        .map(|r| r.expect("valid row"))
        .collect()
}

#[test]
fn a_gbk_run_reads_with_its_names_decoded_and_a_note_saying_how() {
    let Some(dir) = shared("wild/xfj__quoted-v10-gbk") else {
        return;
    };
    let (code, report) = check_json([dir.join("example")]);
    assert_ne!(code, 2, "{report}");
    let endpoints = report["endpoints"].as_array().unwrap();
    let rows = byte_rows(dir.join("example_stats.csv"));
    // Every endpoint row of the file, with its request count; the last row is the aggregate.
    assert_eq!(endpoints.len(), rows.len() - 1);
    for (endpoint, row) in endpoints.iter().zip(&rows) {
        let requests: u64 = std::str::from_utf8(&row[2]).unwrap().parse().unwrap();
        assert_eq!(endpoint["requests"], requests, "{endpoint}");
    }
    // Python's GBK codec (`open(f, encoding="gbk")`) reads the first and last names so.
    assert_eq!(endpoints[0]["name"], "查看影响力榜单");
    assert_eq!(endpoints[10]["name"], "账号登录");
    assert_eq!(report["aggregated"]["requests"], 84115);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(
        failures.len(),
        byte_rows(dir.join("example_failures.csv")).len()
    );
    assert!(failures[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("for url: 查看链接稿件详情"));
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for file in ["example_stats.csv", "example_failures.csv"] {
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(file) && n.contains("decoded as GBK")),
            "{file}: {notes:?}"
        );
    }
}

#[test]
fn a_text_file_in_a_code_page_is_never_called_binary() {
    let Some(dir) = shared("wild/xfj__quoted-v10-gbk") else {
        return;
    };
    let out = loadgate(args!["check", dir.join("example")]);
    let text = format!("{}{}", common::stdout(&out), stderr(&out));
    assert!(!text.contains("binary"), "{text}");
}

/// A UTF-16 copy of a real stats file is text, and said to be so, not "binary".
#[test]
fn a_utf16_file_is_named_as_text() {
    let text = std::fs::read_to_string(fixture("locust2/basic_stats.csv")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u_stats.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = loadgate(args!["check", path]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("u_stats.csv: the file is UTF-16 text"),
        "{err}"
    );
    assert!(!err.contains("binary"), "{err}");
}

/// A copy of the CR CR LF run (`src`, ../shared/wild/supersorter__run2-webui-crcrlf) in a
/// temporary directory, with line `line` of its history damaged.
fn crcrlf_run_with_bad_line(src: &Path, line: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "2_locust_requests.csv",
        "2_locust_failures.csv",
        "2_locust_exceptions.csv",
    ] {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    let history = std::fs::read(src.join("2_locust_stats_history.csv")).unwrap();
    let mut lines: Vec<Vec<u8>> = history
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    assert!(lines.iter().all(|l| l.ends_with(b"\r\r\n")), "CR CR LF");
    // The user count (field 2) becomes a word.
    let target = &mut lines[line - 1];
    let comma = target.iter().position(|b| *b == b',').unwrap();
    target.splice(comma + 1..comma + 1, b"ten".iter().copied());
    std::fs::write(
        dir.path().join("2_locust_stats_history.csv"),
        lines.concat(),
    )
    .unwrap();
    let prefix = dir.path().join("2_locust");
    (dir, prefix)
}

#[test]
fn errors_in_a_crcrlf_file_name_the_bad_line() {
    let Some(src) = shared("wild/supersorter__run2-webui-crcrlf") else {
        return;
    };
    // The first row, two inside, and the last of its 6,012 lines.
    for line in [2, 150, 301, 6012] {
        let (_dir, prefix) = crcrlf_run_with_bad_line(&src, line);
        let out = loadgate(args!["check", prefix]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "2_locust_stats_history.csv:{line}:2: column 'User Count'"
            )),
            "line {line}: {err}"
        );
    }
}

#[test]
fn the_crcrlf_run_reads_every_history_row() {
    let Some(dir) = shared("wild/supersorter__run2-webui-crcrlf") else {
        return;
    };
    let (code, report) = check_json([dir.join("2_locust")]);
    assert_ne!(code, 2, "{report}");
    assert_eq!(report["aggregated"]["requests"], 150109);
    // Every line of the 1.1 MB history (CR CR LF each) is a row: 6,011 after the header, the
    // aggregate's among them.
    let history = std::fs::read(dir.join("2_locust_stats_history.csv")).unwrap();
    let rows = history.iter().filter(|b| **b == b'\n').count() - 1;
    assert_eq!(rows, 6011);
    assert_eq!(report["run"]["history_rows"], rows, "{}", report["run"]);
    assert!(
        report["run"]["duration_s"].as_f64().unwrap() > 0.0,
        "{report}"
    );
}

/// The custom-percentile run (fixtures/custom-percentiles: Locust 2.47 with `PERCENTILES_TO_REPORT`
/// adding 60% and 70%): the columns are kept in the JSON report and the table, with the file's values.
#[test]
fn custom_percentile_columns_are_kept() {
    let run = fixture("custom-percentiles/custom");
    let (code, report) = check_json(args![run]);
    assert_ne!(code, 2, "{report}");
    let mut reader =
        csv::Reader::from_path(fixture("custom-percentiles/custom_stats.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |label: &str| header.iter().position(|h| h == label).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let scopes: Vec<&serde_json::Value> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&report["aggregated"]])
        .collect();
    assert_eq!(scopes.len(), rows.len());
    for (scope, row) in scopes.iter().zip(&rows) {
        let custom = scope["custom_percentiles"].as_array().unwrap();
        let labels: Vec<&str> = custom
            .iter()
            .map(|c| c["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["60%", "70%"], "{scope}");
        assert_eq!(custom[0]["level"], 0.6);
        for c in custom {
            let cell: f64 = row[column(c["label"].as_str().unwrap())].parse().unwrap();
            assert_eq!(c["ms"].as_f64(), Some(cell), "{scope}");
        }
    }
    let table = common::stdout(&loadgate(args!["check", run]));
    let header_line = table.lines().find(|l| l.contains("Name")).unwrap();
    assert!(
        header_line.contains("60%") && header_line.contains("70%"),
        "{header_line}"
    );
    let out = tempfile::tempdir().unwrap();
    let md = out.path().join("summary.md");
    loadgate(args!["check", run, "--markdown", md,]);
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains("| p99 | 60% | 70% | Grade |"),
        "{markdown}"
    );
    // The default eleven stay where they were.
    assert_eq!(
        report["aggregated"]["p95"].as_f64(),
        Some(rows.last().unwrap()[column("95%")].parse().unwrap())
    );
}

/// A real empty run (Carmoondedraak/Anomaly-Detection-in-API-calls, 0 requests, every percentile
/// N/A and a median of 0), at two commits of that project: the same stats file, with a short
/// history or a 9,411-row one and 49 KB of exceptions. Its median is N/A too, not 0 ms.
#[test]
fn an_empty_runs_zero_median_is_not_a_measurement() {
    for set in ["anomaly__empty-run-small", "anomaly__empty-run-exceptions"] {
        let Some(dir) = shared(format!("wild/{set}")) else {
            return;
        };
        let (code, report) = check_json([dir.join("example")]);
        assert_eq!(code, 1, "{set}: an empty run fails on requests: {report}");
        let aggregated = &report["aggregated"];
        assert_eq!(aggregated["requests"], 0, "{set}");
        for field in ["p50", "p95", "max", "avg", "min"] {
            assert!(aggregated[field].is_null(), "{set}: {field}: {aggregated}");
        }
    }
}

/// Copies the files of fixture run `from` (a `--csv` prefix under fixtures/) to `to` (a prefix).
fn copy_run(from: &str, to: &std::path::Path, suffixes: &[&str]) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for suffix in suffixes {
        let src = fixture(format!("{from}{suffix}"));
        let name = format!("{}{suffix}", to.file_name().unwrap().to_str().unwrap());
        std::fs::copy(src, to.with_file_name(name)).unwrap();
    }
}

const ALL: &[&str] = &["_stats.csv", "_stats_history.csv", "_failures.csv"];

/// `check DIR --latest` picks by the runs' own start times, not their paths: real runs made one
/// after another (same-1, same-2, same-3) placed so that path order is the reverse of time order.
#[test]
fn latest_is_the_newest_by_the_runs_own_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, run) in [("a", "same-3"), ("b", "same-2"), ("c", "same-1")] {
        copy_run(
            &format!("compare/{run}"),
            &dir.path().join(sub).join(run),
            ALL,
        );
    }
    let (code, report) = check_json(args![dir.path(), "--latest"]);
    assert_ne!(code, 2, "{report}");
    let source = report["run"]["source"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("--latest:") && notes.contains("a/same-3"),
        "{notes}"
    );
    assert!(notes.contains("by the start time in its files"), "{notes}");
    assert!(source.is_empty() || source.contains("same-3"), "{source}");
    // Without --latest every run is checked.
    let out = loadgate(args!["check", dir.path(), "--format", "json"]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Runs without timestamps in their files (stats only) are dated by the time their path names; a
/// run with no time at all is passed over, and the note says so.
#[test]
fn latest_falls_back_to_times_in_paths_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, run) in [
        ("2021-01-02T00:00:00", "same-1"),
        ("2021-01-01T00:00:00", "same-3"),
        ("zzz", "same-2"),
    ] {
        copy_run(
            &format!("compare/{run}"),
            &dir.path().join(sub).join(run),
            &["_stats.csv"],
        );
    }
    let (code, report) = check_json(args![dir.path(), "--latest"]);
    assert_ne!(code, 2, "{report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("2021-01-02T00:00:00/same-1 is the newest of 3 runs"),
        "{notes}"
    );
    assert!(notes.contains("by the time its path names"), "{notes}");
    assert!(
        notes.contains("1 run(s) carry no time and were passed over"),
        "{notes}"
    );
}

/// ons__0006 (ONSdigital/eq-survey-runner-benchmark): a locustio 0.14 stats file named
/// `baseline.csv`, alone in its directory. `check DIR` reads it; `history` finds it and says how.
#[test]
fn a_stats_file_of_another_name_is_read_and_never_dropped_silently() {
    let Some(dir) = shared("wild/ons__0006-noprefix-v014") else {
        return;
    };
    let (code, report) = check_json([&dir]);
    assert_ne!(code, 2, "{report}");
    let rows = byte_rows(dir.join("baseline.csv"));
    assert_eq!(
        report["endpoints"].as_array().unwrap().len(),
        rows.len() - 1
    );

    let archive = tempfile::tempdir().unwrap();
    copy_run(
        "compare/same-1",
        &archive.path().join("n1").join("same-1"),
        ALL,
    );
    std::fs::create_dir_all(archive.path().join("n2")).unwrap();
    std::fs::copy(
        dir.join("baseline.csv"),
        archive.path().join("n2/baseline.csv"),
    )
    .unwrap();
    std::fs::write(archive.path().join("n2/notes.csv"), "a,b\n1,2\n").unwrap();
    let out = loadgate(args!["history", archive.path(), "--format", "json",]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("stats file of another name") && notes.contains("baseline.csv"),
        "{notes}"
    );
    assert!(
        notes.contains("left out") && notes.contains("notes.csv"),
        "{notes}"
    );
    assert_eq!(report["runs"].as_array().unwrap().len(), 2, "{report}");
}

/// A directory whose CSVs are none of them a stats file is refused, saying so.
#[test]
fn a_directory_without_a_stats_file_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.csv"), "a,b\n1,2\n").unwrap();
    let out = loadgate(args!["check", dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("none of its 1 CSV file(s) has a Locust stats header"),
        "{}",
        stderr(&out)
    );
}

/// A run of 3,000 endpoints (the rows of a real run, fixtures/locust2/basic, repeated under new
/// names) still gets its endpoint chart: the worst are charted, the rest counted in its note.
#[test]
fn three_thousand_endpoints_chart_without_failing() {
    let text = std::fs::read_to_string(fixture("locust2/basic_stats.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (header, rows, aggregated) = (lines[0], &lines[1..lines.len() - 1], lines[lines.len() - 1]);
    let mut out = format!("{header}\n");
    for i in 0..3000 {
        let row = rows[i % rows.len()];
        let (method, rest) = row.split_once(',').unwrap();
        let (name, rest) = rest.split_once(',').unwrap();
        out.push_str(&format!("{method},{name}/{i},{rest}\n"));
    }
    out.push_str(aggregated);
    out.push('\n');
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("many_stats.csv");
    std::fs::write(&stats, out).unwrap();
    let charts = dir.path().join("charts");
    let output = loadgate(args!["check", stats, "--charts", charts,]);
    assert!(output.status.code().unwrap() < 2, "{}", stderr(&output));
    let png = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("endpoint"))
        .expect("an endpoint chart");
    assert!(std::fs::metadata(png).unwrap().len() > 1000);
}

/// The request count of each stats file under `dir` (at any depth) as its aggregate row gives it,
/// read with the csv crate: `_stats.csv`, locustio 0.x's `_requests.csv`, a stats file of another
/// name. Distribution files (no failure count) and histories (a timestamp) are not stats files.
fn aggregate_requests_in_files(dir: &Path) -> Vec<u64> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            found.extend(aggregate_requests_in_files(&path));
            continue;
        }
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let header = reader.byte_headers().unwrap().clone();
        let column = |names: &[&str]| {
            header
                .iter()
                .position(|h| names.iter().any(|n| h == n.as_bytes()))
        };
        let (Some(name), Some(requests), Some(_), None) = (
            column(&["Name"]),
            column(&["Request Count", "# requests"]),
            column(&["Failure Count", "# failures"]),
            column(&["Timestamp"]),
        ) else {
            continue;
        };
        let count = |row: &csv::ByteRecord| -> u64 {
            let cell = std::str::from_utf8(&row[requests]).unwrap();
            cell.parse()
                .unwrap_or_else(|e| panic!("{}: {cell:?}: {e}", path.display()))
        };
        let rows: Vec<csv::ByteRecord> = reader.byte_records().map(Result::unwrap).collect();
        let aggregate = rows
            .iter()
            .rev()
            .find(|r| matches!(&r[name], b"Aggregated" | b"Total"));
        found.push(match aggregate {
            Some(row) => count(row),
            None => rows.iter().map(count).sum(),
        });
    }
    found
}

/// The directories directly under `dir`, sorted.
fn sets_in(dir: &Path) -> Vec<PathBuf> {
    let mut sets: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    sets
}

/// `check DIR` on every Locust set of the shared corpus (48 sets that other projects committed,
/// locustio 0.8 to Locust 2.44+): each is read (exit 0 or 1) with, for every run in it, the
/// request count of its stats file's aggregate row, or refused (exit 2) with a message naming the
/// set or one of its files. Never a panic. The tally is printed (`--nocapture` shows it).
#[test]
fn check_reads_every_locust_set_of_the_shared_corpus() {
    let Some(wild) = shared("wild") else {
        return;
    };
    let sets = sets_in(&wild);
    assert!(sets.len() >= 48, "48 Locust sets in {}", wild.display());
    let mut verdicts = std::collections::BTreeMap::<String, usize>::new();
    let mut refused = Vec::new();
    for set in &sets {
        let name = set.file_name().unwrap().to_string_lossy().into_owned();
        let out = loadgate(args!["check", set, "--format", "json"]);
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{name}: {err}");
        match out.status.code() {
            Some(0 | 1) => {
                let report: serde_json::Value = serde_json::from_slice(&out.stdout)
                    .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {err}"));
                let runs = match report["reports"].as_array() {
                    Some(reports) => reports.iter().collect(),
                    None => vec![&report],
                };
                let mut read: Vec<u64> = runs
                    .iter()
                    .map(|r| r["aggregated"]["requests"].as_u64().unwrap())
                    .collect();
                read.sort_unstable();
                let mut expected = aggregate_requests_in_files(set);
                expected.sort_unstable();
                assert_eq!(read, expected, "{name}: requests per run");
                let verdict = report["verdict"].as_str().unwrap().to_string();
                *verdicts.entry(verdict).or_default() += 1;
            }
            Some(2) => {
                assert!(out.stdout.is_empty(), "{name}: no report on exit 2");
                let names_it = err.contains(&name)
                    || std::fs::read_dir(set)
                        .unwrap()
                        .any(|e| err.contains(&*e.unwrap().file_name().to_string_lossy()));
                assert!(names_it, "{name}: the message names no file: {err}");
                refused.push(name);
            }
            other => panic!("{name}: exit {other:?}: {err}"),
        }
    }
    eprintln!(
        "{} Locust sets: {} read (verdicts {verdicts:?}), {} refused (exit 2) {refused:?}",
        sets.len(),
        sets.len() - refused.len(),
        refused.len()
    );
}

/// The files of other tools in the shared corpus (../shared/wild2: JMeter JTL in CSV and XML,
/// k6 summaries, NDJSON and CSV, Gatling logs), each given to `check`: read (exit 0 or 1), or
/// refused with exit 2 and a message naming the file. Never a panic.
#[test]
fn check_reads_or_refuses_every_file_of_other_tools_naming_it() {
    let Some(wild2) = shared("wild2") else {
        return;
    };
    let sets = sets_in(&wild2);
    assert!(sets.len() >= 20, "20 sets in {}", wild2.display());
    for set in sets {
        for entry in std::fs::read_dir(&set).unwrap() {
            let file = entry.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name == "SOURCE.txt" {
                continue;
            }
            let out = loadgate(args!["check", file, "--format", "json"]);
            let err = stderr(&out);
            assert!(!err.contains("panicked"), "{}: {err}", file.display());
            match out.status.code() {
                Some(0 | 1) => {}
                Some(2) => assert!(
                    err.contains(&format!("{}", file.display())),
                    "{}: {err}",
                    file.display()
                ),
                other => panic!("{}: exit {other:?}: {err}", file.display()),
            }
        }
    }
}
