//! The parallel history reader against the general row reader on odd files: each case must give the
//! same series (in the same order) or the same error. Cases from a review of the fast path.

use super::history::read;
use super::locust::read_history_rows;

const HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

fn row(ts: i64, method: &str, name: &str, total: u64, rps: &str, last: &str) -> String {
    format!(
        "{ts},10,{method},{name},{rps},0.0,5,6,7,8,9,10,11,12,13,14,15,{total},0,5,5.5,1,20,{last}"
    )
}

/// Whether both readers give the same history (every point of every series, in order) or the same
/// error for `bytes`; prints both when not.
fn compare(label: &str, bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x_stats_history.csv");
    std::fs::write(&path, bytes).unwrap();
    let fast = read(&path).map_err(|e| e.to_string());
    let slow = read_history_rows(&path).map_err(|e| e.to_string());
    let same = fast == slow;
    if !same {
        let cut = |s: String| s.chars().take(400).collect::<String>();
        eprintln!(
            "=== {label}: DIFFERENT\n  fast: {}\n  slow: {}",
            cut(format!("{fast:?}")),
            cut(format!("{slow:?}"))
        );
    }
    same
}

#[test]
fn odd_files_read_as_the_row_reader_reads_them() {
    let mut diffs = 0;
    let mut c = |l: &str, b: Vec<u8>| {
        if !compare(l, &b) {
            diffs += 1
        }
    };
    // 1 CR-only line ends
    c(
        "cr_only",
        format!(
            "{HEADER}\r{}\r{}\r",
            row(1700000000, "GET", "/a", 1, "1.0", "100"),
            row(1700000001, "GET", "/a", 2, "1.0", "100")
        )
        .into_bytes(),
    );
    // 2 lone CR inside an unread cell
    c(
        "lone_cr_in_cell",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", "/a", 1, "1.0\r", "100")
        )
        .into_bytes(),
    );
    // 2b lone CR inside name
    c(
        "lone_cr_in_name",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", "/a\rb", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 3 quote parity: literal quote mid-field then an opening quote: csv record spans lines
    c(
        "quote_parity",
        format!(
            "{HEADER}\n{}\n{}\n",
            row(1700000000, "GET", "/a\",\"b", 1, "1.0", "100"),
            row(1700000001, "GET", "/c", 2, "1.0", "100\"")
        )
        .into_bytes(),
    );
    // 4 blank-ish line ""
    c(
        "empty_quoted_line",
        format!(
            "{HEADER}\n{}\n\"\"\n{}\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100"),
            row(1700000001, "GET", "/a", 2, "1.0", "100")
        )
        .into_bytes(),
    );
    // 5 vertical tab line
    c(
        "vt_line",
        format!(
            "{HEADER}\n{}\n\x0B\n{}\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100"),
            row(1700000001, "GET", "/a", 2, "1.0", "100")
        )
        .into_bytes(),
    );
    // 5b NBSP line
    c(
        "nbsp_line",
        format!(
            "{HEADER}\n{}\n\u{a0}\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 6 invalid utf-8 in unread column
    let mut b = format!(
        "{HEADER}\n{}\n",
        row(1700000000, "GET", "/a", 1, "1.0", "1X0")
    )
    .into_bytes();
    let p = b.iter().rposition(|x| *x == b'X').unwrap();
    b[p] = 0xFF;
    c("bad_utf8_unread", b);
    // 6b invalid utf-8 in name
    let mut b = format!(
        "{HEADER}\n{}\n",
        row(1700000000, "GET", "/X", 1, "1.0", "100")
    )
    .into_bytes();
    let p = b.iter().rposition(|x| *x == b'X').unwrap();
    b[p] = 0xFF;
    c("bad_utf8_name", b);
    // 7 cell > 64 KiB
    c(
        "long_cell",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", &"/a".repeat(40000), 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 8 key collision via 0x1f
    c(
        "unit_sep_collision",
        format!(
            "{HEADER}\n{}\n{}\n",
            row(1700000000, "GET\x1f/x", "/y", 1, "1.0", "100"),
            row(1700000000, "GET", "/x\x1f/y", 2, "1.0", "100")
        )
        .into_bytes(),
    );
    // 9 aggregate spelled two ways: slot split reorders points
    c(
        "agg_two_spellings",
        format!(
            "{HEADER}\n{}\n{}\n{}\n",
            row(1, "", "Aggregated", 1, "1.0", "100"),
            row(2, "None", "Aggregated", 2, "1.0", "100"),
            row(2, "", "Aggregated", 3, "1.0", "100")
        )
        .into_bytes(),
    );
    // 9b unicode whitespace method
    c(
        "nbsp_method",
        format!(
            "{HEADER}\n{}\n{}\n{}\n",
            row(1, "GET", "/a", 1, "1.0", "100"),
            row(2, "GET\u{a0}", "/a", 2, "1.0", "100"),
            row(2, "GET", "/a", 3, "1.0", "100")
        )
        .into_bytes(),
    );
    // 10 header longer than 64 KiB
    c(
        "long_header",
        format!(
            "{HEADER},{}\n{},0\n",
            "x".repeat(70000),
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 11 >10001 endpoints
    let mut s = format!("{HEADER}\n");
    for i in 0..10_003 {
        s.push_str(&row(1700000000, "GET", &format!("/e{i}"), 1, "1.0", "100"));
        s.push('\n');
    }
    c("many_endpoints", s.into_bytes());
    // 12 CR CR LF
    c(
        "cr_cr_lf",
        format!(
            "{HEADER}\n{}\r\r\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 13 quoted line with trailing garbage after a lone CR
    c(
        "quoted_lone_cr_tail",
        format!(
            "{HEADER}\n{}\rjunk\n",
            row(1700000000, "GET", "\"/a\"", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 14 last line without LF, ending with CR
    c(
        "final_cr_no_lf",
        format!(
            "{HEADER}\n{}\r",
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    c(
        "final_no_lf",
        format!(
            "{HEADER}\n{}",
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 15 BOM
    c(
        "bom",
        [
            &b"\xEF\xBB\xBF"[..],
            format!(
                "{HEADER}\n{}\n",
                row(1700000000, "GET", "/a", 1, "1.0", "100")
            )
            .as_bytes(),
        ]
        .concat(),
    );
    // 16 header with quoted line break
    c(
        "header_quoted_lf",
        format!(
            "{HEADER},\"x\ny\"\n{},0\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 17 timestamp edge
    c(
        "ts_limit",
        format!(
            "{HEADER}\n{}\n",
            row(32_503_680_000, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    c(
        "ts_limit+1",
        format!(
            "{HEADER}\n{}\n",
            row(32_503_680_001, "GET", "/a", 1, "1.0", "100")
        )
        .into_bytes(),
    );
    // 18 20-digit counts
    c(
        "u64max",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", "/a", 18446744073709551615, "1.0", "100")
        )
        .into_bytes(),
    );
    c(
        "u64max+1",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", "/a", 1, "1.0", "100").replacen(
                ",1,0,5,5.5",
                ",18446744073709551616,0,5,5.5",
                1
            )
        )
        .into_bytes(),
    );
    // 3b: first line has an even number of quotes (literal mid-field quote + opening quote)
    c(
        "quote_parity_fast_errs",
        format!(
            "{HEADER}\n{}\n",
            row(1700000000, "GET", "/a\",\"b\nc\"", 1, "1.0", "100").replacen(
                ",1.0,0.0,5",
                ",0.0,5",
                1
            )
        )
        .into_bytes(),
    );
    c(
        "quote_parity_fast_ok",
        format!(
            "{HEADER}\n{}\n{}\n",
            row(1700000000, "GET", "/a\"", 1, "1.0", "\"100"),
            row(1700000001, "GET", "/a", 2, "1.0", "100")
        )
        .into_bytes(),
    );
    assert_eq!(diffs, 0, "cases where the readers differ (see stderr)");
}

#[test]
fn errors_around_the_part_boundary_name_the_same_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m_stats_history.csv");
    let mut lines: Vec<String> = vec![HEADER.to_string()];
    let mut ts = 1_700_000_000;
    let mut total = 0;
    let mut size = 0;
    let mut i = 0u64;
    // Just over the size read in parallel (8 MiB), so there are two parts.
    while size < 9 << 20 {
        total += 1;
        let name = match i % 5 {
            0 => "\"/q,\"\"x\"\"\"",
            1 => "Aggregated",
            _ => "/p",
        };
        let method = if name == "Aggregated" { "" } else { "GET" };
        let mut r = row(ts, method, name, total, "1.0", "100");
        if i.is_multiple_of(7) {
            r = r.replacen(",5,6,7,", ",N/A,6,7,", 1);
        }
        // Not right before a target line: the row reader numbers the first row after a blank line one
        // short (csv crate issue BurntSushi/rust-csv#208), a known issue of its own.
        if i % 1001 == 500 {
            lines.push(String::new());
        }
        size += r.len() + 2;
        lines.push(r);
        i += 1;
        if i.is_multiple_of(3) {
            ts += 1;
        }
    }
    let eol = |k: usize| if k.is_multiple_of(2) { "\r\n" } else { "\n" };
    let build = |lines: &[String], final_lf: bool| {
        let mut s = String::new();
        for (k, l) in lines.iter().enumerate() {
            s.push_str(l);
            if k + 1 < lines.len() || final_lf {
                s.push_str(eol(k));
            }
        }
        s
    };
    let text = build(&lines, true);
    let body_start = text.find('\n').unwrap() + 1;
    let guess = body_start + (text.len() - body_start) / 2;
    let boundary = guess + text[guess..].find('\n').unwrap() + 1;
    let boundary_line = text[..boundary].matches('\n').count(); // 0-based index of first line of part 1
    let mut bad = 0;
    for target in [
        2usize,
        boundary_line - 2,
        boundary_line - 1,
        boundary_line,
        boundary_line + 1,
        lines.len() - 1,
    ] {
        for final_lf in [true, false] {
            let mut broken = lines.clone();
            if broken[target].is_empty() {
                continue;
            }
            broken[target] = broken[target].replacen(",10,", ",ten,", 1);
            std::fs::write(&path, build(&broken, final_lf)).unwrap();
            let fast = read(&path).map(|_| ()).map_err(|e| e.to_string());
            let slow = read_history_rows(&path)
                .map(|_| ())
                .map_err(|e| e.to_string());
            if fast != slow {
                eprintln!("line {target} final_lf {final_lf}: fast {fast:?}, slow {slow:?}");
                bad += 1;
            }
        }
    }
    // a multi-line quoted cell straddling the boundary (falls back)
    let mut broken = lines.clone();
    broken[boundary_line - 1] = broken[boundary_line - 1].replacen("/p", "\"/multi", 1);
    broken[boundary_line] = format!("line\",{}", broken[boundary_line]);
    std::fs::write(&path, build(&broken, true)).unwrap();
    let fast = read(&path)
        .map(|h| h.series.len())
        .map_err(|e| e.to_string());
    let slow = read_history_rows(&path)
        .map(|h| h.series.len())
        .map_err(|e| e.to_string());
    if fast != slow {
        eprintln!("straddling quoted cell: fast {fast:?}, slow {slow:?}");
        bad += 1;
    }
    // full success equality
    std::fs::write(&path, build(&lines, false)).unwrap();
    assert_eq!(read(&path).unwrap(), read_history_rows(&path).unwrap());
    assert_eq!(bad, 0);
}

#[test]
fn long_lines_read_as_the_row_reader_reads_them() {
    let ok = row(1700000000, "GET", "/a", 1, "1.0", "100");
    let bad = ok.replacen(",10,", ",ten,", 1);
    let many: String = (0..3000).map(|_| format!("{ok}\r\n")).collect();
    for (label, text) in [
        (
            "long_ws_then_bad",
            format!(
                "{HEADER}\r\n{many}{}\r\n{many}{bad}\r\n",
                " ".repeat(1_300_000)
            ),
        ),
        (
            "long_ragged",
            format!("{HEADER}\r\n{many}{}\r\n", "x,".repeat(400_000)),
        ),
        (
            "long_last_no_lf",
            format!("{HEADER}\r\n{many}{}", "x".repeat(1_100_000)),
        ),
        (
            "long_quoted_ws",
            format!("{HEADER}\r\n{many}\"{}\"\r\n{bad}\r\n", " ".repeat(10)),
        ),
    ] {
        assert!(compare(label, text.as_bytes()), "{label}");
    }
}
