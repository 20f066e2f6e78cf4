//! `--html FILE` on check, compare and history: one self-contained page, everything from the
//! result files escaped. The fixtures in fixtures/hostile/ are real Locust runs whose endpoint
//! names and failure messages hold markup (fixtures/locustfiles/hostile.py). The page in a real
//! browser is the browser module.

use std::ffi::OsStr;
use std::path::Path;

use crate::common::{command, fixture, loadgate, stderr, Target};

/// The page `args` writes with `--html`, and the exit code.
fn page<S: AsRef<OsStr>>(args: &[S]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let output = command()
        .args(args)
        .args(args!["--html", out])
        .output()
        .expect("the binary runs");
    let html = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("no page ({e}): {}", stderr(&output)));
    (output.status.code().unwrap(), html)
}

fn hostile(name: &str) -> String {
    fixture(format!("hostile/{name}")).display().to_string()
}

/// Base64 as the page writes it (RFC 4648, padded), decoded independently of loadgate.
fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { u32::from(value(c)) })
            .fold(0u32, |n, v| n << 6 | v);
        out.extend(&n.to_be_bytes()[1..4 - pad]);
    }
    out
}

/// Every value of `attr="…"` in the page.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

/// No script, nothing fetched: every image a decodable PNG of the page itself, every link an
/// anchor in the page, and the page's own policy refusing the rest.
fn assert_self_contained(html: &str) -> usize {
    assert!(!html.to_lowercase().contains("<script"), "a script tag");
    assert!(html.contains("default-src 'none'"));
    assert_eq!(html.matches("<style").count(), 1);
    assert_eq!(
        html.matches("</style>").count(),
        1,
        "a </style> from a file"
    );
    for href in attributes(html, "href") {
        assert!(href.starts_with('#'), "a link out: {href}");
    }
    let images = attributes(html, "src");
    for src in &images {
        let data = src
            .strip_prefix("data:image/png;base64,")
            .unwrap_or_else(|| panic!("an image from elsewhere: {src}"));
        let png = image::load_from_memory(&unbase64(data)).expect("a PNG that decodes");
        assert!(png.width() >= 320 && png.height() >= 240);
    }
    images.len()
}

#[test]
fn check_page_has_the_verdict_first_then_every_section_escaped() {
    let (code, html) = page(&["check", &hostile("slow"), "--baseline", &hostile("base")]);
    assert_eq!(code, 1);
    let charts = assert_self_contained(&html);
    // throughput, latency, endpoints, failures, baseline.
    assert_eq!(charts, 5);
    let verdict = html
        .find("<header class=\"verdict fail\">")
        .expect("verdict");
    let sections = [
        "id=\"run-endpoints\"",
        "id=\"run-checks\"",
        "id=\"run-baseline\"",
        "id=\"run-failures\"",
        "id=\"run-charts\"",
    ];
    let mut last = verdict;
    for s in sections {
        let at = html.find(s).unwrap_or_else(|| panic!("no {s}"));
        assert!(at > last, "{s} out of order");
        last = at;
    }
    // The endpoint names as Locust wrote them, escaped, in the table and the regressions.
    for name in [
        "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;",
        "&lt;/style&gt;&lt;b&gt;bold&lt;/b&gt;",
        "/q?a=1&amp;b=&#39;2&#39;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&lt;i&gt;error&lt;/i&gt;",
    ] {
        assert!(html.matches(name).count() >= 2, "{name}");
    }
    // The failure message, whole and escaped.
    assert!(html.contains(
        "CatchResponseError(&#39;&lt;script&gt;document.title=\\&#39;pwned\\&#39;&lt;/script&gt;&lt;/style&gt; &amp; &quot;quoted&quot; \\&#39;single\\&#39; &lt;img src=x&gt;&#39;)"
    ));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>bold"));
    // The checks that failed, with their reasons.
    assert!(html.contains("GET /checked error_rate is 100.00% (critical): at most 5.00%"));
    // Regressions side by side, with the improvement marked.
    assert!(html.contains("<th>Baseline</th><th>Current</th>"));
    assert!(html.contains("IMPROVED"));
}

#[test]
fn compare_page_is_about_regressions() {
    let (code, html) = page(&["compare", &hostile("base"), &hostile("slow")]);
    assert_eq!(code, 1);
    assert_self_contained(&html);
    assert!(html.contains("<title>loadgate compare: FAIL</title>"));
    assert!(html.contains("id=\"run-baseline\""));
    assert!(
        !html.contains("id=\"run-checks\""),
        "compare grades nothing"
    );
}

#[test]
fn several_runs_each_get_their_sections_and_the_scaling_series_its_own() {
    let (_, html) = page(&args!["check", fixture("scaling")]);
    assert_self_contained(&html);
    assert!(html.contains("id=\"run1-endpoints\""));
    assert!(html.contains("id=\"run2-endpoints\""));
    assert!(html.contains("id=\"scaling\""));
}

#[test]
fn with_charts_too_the_page_embeds_the_very_files_written() {
    // One drawing for both: every PNG in --charts is in the page, byte for byte, several runs too.
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("charts");
    let html_path = dir.path().join("report.html");
    let output = loadgate(args![
        "check",
        fixture("scaling"),
        "--charts",
        charts,
        "--html",
        html_path,
    ]);
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
    let html = std::fs::read_to_string(&html_path).unwrap();
    let embedded: Vec<Vec<u8>> = attributes(&html, "src")
        .iter()
        .map(|src| unbase64(src.strip_prefix("data:image/png;base64,").unwrap()))
        .collect();
    let files: Vec<Vec<u8>> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(files.len() >= 12, "{} charts", files.len());
    assert_eq!(embedded.len(), files.len());
    for png in &files {
        assert!(
            embedded.contains(png),
            "a chart file the page does not hold"
        );
    }
}

fn copy_run(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    for kind in ["stats", "stats_history", "failures", "exceptions"] {
        let src = fixture(format!("{from}_{kind}.csv"));
        std::fs::copy(src, format!("{}_{kind}.csv", to.display())).unwrap();
    }
}

#[test]
fn history_page_lists_the_runs_with_the_breaks_and_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let runs = ["same-1", "same-2", "same-3", "slow-2x"];
    for (i, run) in runs.iter().enumerate() {
        // A directory name holding markup: paths are as untrusted as file contents.
        let night = format!("night-{i}<b onclick=\"x\">'</b>");
        copy_run(
            &format!("compare/{run}"),
            &dir.path().join(night).join("run"),
        );
    }
    let out = dir.path().join("history.html");
    let output = loadgate(args!["history", dir.path(), "--html", out,]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let html = std::fs::read_to_string(&out).unwrap();
    assert_eq!(assert_self_contained(&html), 1);
    assert!(html.contains("<title>loadgate history: FAIL</title>"));
    // The newest run's path, escaped, in its row and beside each metric it broke.
    let newest = "night-3&lt;b onclick=&quot;x&quot;&gt;&#39;&lt;/b&gt;";
    assert!(html.matches(newest).count() >= 2, "{html}");
    assert!(!html.contains("<b onclick"));
    assert!(html.contains("id=\"breaks\""));
    assert_eq!(html.matches("<tr><td class=\"num\">").count(), runs.len());
}

#[test]
fn no_page_is_written_when_a_file_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let bad = fixture("bad/binary_stats.csv");
    let output = loadgate(args!["check", bad, "--html", out,]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!out.exists());
}

/// A real `loadgate ab` for three seconds against two bundled targets, B twice as slow, with a
/// scenario whose first endpoint is named with markup: the A/B section comes right after the
/// verdict, one row per scope and figure, the failed figures with their reasons, both A/B charts.
#[test]
fn ab_page_puts_b_against_a_first_with_its_rows_and_charts() {
    let a = Target::start();
    let b = Target::start_with(&["--slowdown", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("ab.toml");
    std::fs::write(
        &scenario,
        "[load]\nusers = 8\n\n\
         [[task]]\nname = \"<script>alert(\\\"ab\\\")</script>&'\"\npath = \"/fast\"\nweight = 2\n\n\
         [[task]]\npath = \"/slow\"\nweight = 3\n",
    )
    .unwrap();
    let out = dir.path().join("ab.html");
    let prefix = dir.path().join("run");
    let output = loadgate(args![
        "ab", "--a", &a.url, "--b", &b.url, "-f", scenario, "-t", "3s", "-q", "--csv", prefix,
        "--html", out,
    ]);
    let b_url = b.url.clone();
    drop((a, b));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let html = std::fs::read_to_string(&out).unwrap();
    // ab-latency, ab-endpoints, then the run's throughput, latency and endpoints.
    assert_eq!(assert_self_contained(&html), 5);
    assert!(html.contains("<title>loadgate ab: FAIL</title>"));
    let mut last = html.find("<header class=\"verdict fail\">").unwrap();
    for s in ["id=\"ab\"", "id=\"ab-charts\"", "id=\"run-endpoints\""] {
        let at = html.find(s).unwrap_or_else(|| panic!("no {s}"));
        assert!(at > last, "{s} out of order");
        last = at;
    }
    let ab = &html[html.find("id=\"ab\"").unwrap()..html.find("id=\"ab-charts\"").unwrap()];
    assert!(ab.contains(&format!("<code>{b_url}</code>")), "B's URL");
    assert!(ab.contains("<th>A</th><th>B</th><th>Change</th><th>Interval</th>"));
    // Two endpoints and the aggregate, five figures each.
    let table = &ab[ab.find("<table class=\"ab\">").unwrap()..ab.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), 1 + 3 * 5);
    let hostile = "GET &lt;script&gt;alert(&quot;ab&quot;)&lt;/script&gt;&amp;&#39;";
    assert_eq!(table.matches(hostile).count(), 5, "{table}");
    assert!(!html.contains("<script>alert"));
    // /slow at twice A's time fails its median, with the interval and the reason beside it.
    let slow_p50 = table
        .split("<tr>")
        .find(|row| row.contains(">GET /slow<") && row.contains("<td>p50</td>"))
        .expect("a GET /slow p50 row");
    assert!(slow_p50.contains("badge fail"), "{slow_p50}");
    assert!(slow_p50.contains(" .. +"), "{slow_p50}");
    assert!(slow_p50.contains("beyond the limit"), "{slow_p50}");
    assert!(ab.contains("failed, 0 warned ("), "the A/B sentence");
    assert!(
        ab.contains("Test: paired bootstrap"),
        "the test in a sentence"
    );
    for caption in [
        "A and B response times over time",
        "P95 per endpoint, A beside B",
    ] {
        assert!(
            html.contains(&format!("<figcaption>{caption}</figcaption>")),
            "{caption}"
        );
    }
}

/// The trends that warn or fail get rows; the series that held steady are one line, and the
/// findings come before them (fourteen passing rows once stood before what mattered).
#[test]
fn steady_trends_are_one_line_and_findings_come_first() {
    let (_, steady) = page(&[
        "check".to_string(),
        fixture("trend/steady").display().to_string(),
    ]);
    assert!(steady.contains("series held steady"), "no steady line");
    assert!(
        !steady.contains("<table class=\"trends\""),
        "a steady run tabulates its passing trends"
    );
    let (_, degrading) = page(&[
        "check".to_string(),
        fixture("trend/degrading-full").display().to_string(),
    ]);
    let (findings, trends) = (
        degrading.find("Findings").expect("findings"),
        degrading.find(">Trends").expect("trends"),
    );
    assert!(findings < trends, "findings after trends");
    assert!(
        degrading.contains("class=\"trends\""),
        "the climb has no row"
    );
}
