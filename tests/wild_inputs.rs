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
