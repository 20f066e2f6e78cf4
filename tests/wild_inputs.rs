//! Real result files from public projects (fixtures/wild, copied from ../shared/wild) with quirks
//! of their own: a Windows code page, CR CR LF line ends.

mod common;

use common::{check_json, fixture, loadgate, stderr};

/// The file's rows as bytes (numbers are ASCII in every code page), header excluded.
fn byte_rows(rel: &str) -> Vec<csv::ByteRecord> {
    let mut reader = csv::Reader::from_path(fixture(rel)).expect("fixture exists");
    reader
        .byte_records()
        .map(|r| r.expect("valid row"))
        .collect()
}

#[test]
fn a_gbk_run_reads_with_its_names_decoded_and_a_note_saying_how() {
    let dir = "wild/xfj__quoted-v10-gbk";
    let (code, report) = check_json(&[fixture(&format!("{dir}/example")).to_str().unwrap()]);
    assert_ne!(code, 2, "{report}");
    let endpoints = report["endpoints"].as_array().unwrap();
    let rows = byte_rows(&format!("{dir}/example_stats.csv"));
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
        byte_rows(&format!("{dir}/example_failures.csv")).len()
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
    let out = loadgate(&[
        "check",
        fixture("wild/xfj__quoted-v10-gbk/example")
            .to_str()
            .unwrap(),
    ]);
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
    let out = loadgate(&["check", path.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("u_stats.csv: the file is UTF-16 text"),
        "{err}"
    );
    assert!(!err.contains("binary"), "{err}");
}

/// A copy of the CR CR LF history (its first 300 rows, byte-exact) with line `line` damaged.
fn crcrlf_run_with_bad_line(line: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let src = fixture("wild/supersorter__run2-webui-crcrlf");
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
    for line in [2, 150, 301] {
        let (_dir, prefix) = crcrlf_run_with_bad_line(line);
        let out = loadgate(&["check", prefix.to_str().unwrap()]);
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
    let dir = "wild/supersorter__run2-webui-crcrlf";
    let (code, report) = check_json(&[fixture(&format!("{dir}/2_locust")).to_str().unwrap()]);
    assert_ne!(code, 2, "{report}");
    assert_eq!(report["aggregated"]["requests"], 150109);
    // 300 rows of 11 scopes a second, the aggregate among them.
    let history = std::fs::read(fixture(&format!("{dir}/2_locust_stats_history.csv"))).unwrap();
    let rows = history.iter().filter(|b| **b == b'\n').count() - 1;
    assert_eq!(rows, 300);
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
    let (code, report) = check_json(&[run.to_str().unwrap()]);
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
    let table = common::stdout(&loadgate(&["check", run.to_str().unwrap()]));
    let header_line = table.lines().find(|l| l.contains("Name")).unwrap();
    assert!(
        header_line.contains("60%") && header_line.contains("70%"),
        "{header_line}"
    );
    let out = tempfile::tempdir().unwrap();
    let md = out.path().join("summary.md");
    loadgate(&[
        "check",
        run.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
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

/// A real empty run (fixtures/wild: Carmoondedraak/Anomaly-Detection-in-API-calls, 0 requests,
/// every percentile N/A and a median of 0): its median is N/A too, not 0 ms.
#[test]
fn an_empty_runs_zero_median_is_not_a_measurement() {
    let (code, report) =
        check_json(&[fixture("wild/anomaly__empty-run/example").to_str().unwrap()]);
    assert_eq!(code, 1, "an empty run fails on requests: {report}");
    let aggregated = &report["aggregated"];
    assert_eq!(aggregated["requests"], 0);
    for field in ["p50", "p95", "max", "avg", "min"] {
        assert!(aggregated[field].is_null(), "{field}: {aggregated}");
    }
}

/// Copies the files of fixture run `from` (a `--csv` prefix under fixtures/) to `to` (a prefix).
fn copy_run(from: &str, to: &std::path::Path, suffixes: &[&str]) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for suffix in suffixes {
        let src = fixture(&format!("{from}{suffix}"));
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
    let (code, report) = check_json(&[dir.path().to_str().unwrap(), "--latest"]);
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
    let out = loadgate(&["check", dir.path().to_str().unwrap(), "--format", "json"]);
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
    let (code, report) = check_json(&[dir.path().to_str().unwrap(), "--latest"]);
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
    let dir = fixture("wild/ons__0006-noprefix-v014");
    let (code, report) = check_json(&[dir.to_str().unwrap()]);
    assert_ne!(code, 2, "{report}");
    let rows = byte_rows("wild/ons__0006-noprefix-v014/baseline.csv");
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
    let out = loadgate(&[
        "history",
        archive.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
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
    let out = loadgate(&["check", dir.path().to_str().unwrap()]);
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
    let output = loadgate(&[
        "check",
        stats.to_str().unwrap(),
        "--charts",
        charts.to_str().unwrap(),
    ]);
    assert!(output.status.code().unwrap() < 2, "{}", stderr(&output));
    let png = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("endpoint"))
        .expect("an endpoint chart");
    assert!(std::fs::metadata(png).unwrap().len() > 1000);
}
