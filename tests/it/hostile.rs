//! One hostile corpus through every output. Each case is a real Locust run (fixtures/hostile/, a
//! recorded run of fixtures/locustfiles/hostile.py) whose failing endpoint and its failure message
//! are renamed to the hostile text, in the stats, the history and the failures file, under a
//! directory whose name is hostile too; `check` writes every format with GitHub Actions on. Each
//! medium is held to its own property: the table, the annotations and stderr cannot start a
//! workflow command or send a control to a terminal, the Markdown renders no link, image or HTML
//! and keeps its tables whole, JUnit is well-formed, JSON and OpenMetrics keep the text exactly.

use std::path::{Path, PathBuf};

use crate::common::{self, fixture};

/// Names and messages a service under test, or a locustfile, could hand over.
const CORPUS: &[&str] = &[
    "/a\n::error::injected by a name",
    "/b\r::warning::after a bare CR",
    "/c\r\n::stop-commands::tok",
    "  ::error::at the start after spaces",
    "/d##[error]the runner's older form",
    "/e\x1b[2J\x1b[Hcleared",
    "/f\x1b]0;pwned title\x07",
    "/g\x07bell",
    "/h\u{9b}31mC1 CSI",
    "/i\u{202e}exe.txt",
    "/j\u{2066}isolate\u{2069}\u{200f}\u{061c}",
    "![x](http://evil.example/x.png)",
    "[click](http://evil.example) <http://evil.example>",
    "<img src=x onerror=alert(1)>",
    "/k|a|b|c",
    "/l\0nul",
    "/m\u{7f}del\u{85}nel\u{2028}ls",
];

/// A CSV field, quoted as Locust's writer would when it must.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The run of fixtures/hostile/slow with its failing endpoint (`<i>error</i>`) and that
/// endpoint's failure message renamed to `text`, in a directory named after it too. Returns the
/// run's prefix.
fn hostile_run(dir: &Path, label: &str, source: &str, text: &str) -> PathBuf {
    let sub = dir.join(format!("run {label}\n::warning::from the path\x1b[2J"));
    std::fs::create_dir_all(&sub).unwrap();
    let name = quoted(text);
    for suffix in ["stats", "stats_history", "failures", "exceptions"] {
        let from = fixture(format!("hostile/{source}_{suffix}.csv"));
        let mut content = std::fs::read_to_string(from).unwrap();
        if suffix == "failures" {
            content = content.replace(
                "HTTPError('500 Server Error: Internal Server Error for url: <i>error</i>')",
                &quoted(&format!("HTTPError('500: {text}')")),
            );
        }
        let renamed = content.replace(",<i>error</i>,", &format!(",{name},"));
        // The exceptions file is empty in this run: copied as it is.
        assert!(suffix == "exceptions" || renamed != content, "{suffix}");
        std::fs::write(sub.join(format!("run_{suffix}.csv")), renamed).unwrap();
    }
    sub.join("run")
}

/// A character a terminal or a log must not receive raw (the line break aside).
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}'
        )
}

/// Text for a terminal or a workflow log: no hidden character, no `##[`, and no line that the
/// runner would read as a command, but loadgate's own annotations (`::error file=…,title=…::`).
fn assert_log_safe(medium: &str, text: &str) -> usize {
    assert!(
        !text.chars().any(hidden),
        "{medium}: a control reaches the terminal: {text:?}"
    );
    assert!(!text.contains("##["), "{medium}: {text:?}");
    let mut annotations = 0;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with("::") {
            continue;
        }
        let ours = ["::error file=", "::warning file=", "::notice file="]
            .iter()
            .any(|p| line.starts_with(p));
        assert!(ours, "{medium}: a workflow command from a file: {line:?}");
        // file=…,title=…:: and the message: properties hold no bare `:`, so the command is ours.
        let head = line.split("::").nth(1).unwrap();
        assert!(
            head.starts_with("error file=")
                || head.starts_with("warning file=")
                || head.starts_with("notice file="),
            "{medium}: {line:?}"
        );
        assert!(head.contains(",title=loadgate "), "{medium}: {line:?}");
        annotations += 1;
    }
    annotations
}

/// Markdown: no raw HTML but loadgate's own `<details>`, no link or image, no control, and every
/// row of a table has its header's cells.
fn assert_markdown_safe(text: &str) {
    assert!(!text.chars().any(hidden), "{text:?}");
    let own = ["<details>", "<summary>", "</summary>", "</details>"];
    let mut rest = text.to_string();
    for tag in own {
        rest = rest.replace(tag, "");
    }
    assert!(!rest.contains('<'), "raw HTML or an autolink: {rest}");
    let chars: Vec<char> = rest.chars().collect();
    let escaped = |i: usize| {
        // Preceded by an odd number of backslashes.
        chars[..i].iter().rev().take_while(|c| **c == '\\').count() % 2 == 1
    };
    for (i, c) in chars.iter().enumerate() {
        if *c == '[' || *c == ']' {
            assert!(escaped(i), "a link or an image: {rest}");
        }
    }
    let mut cells: Option<usize> = None;
    for line in rest.lines() {
        if !line.starts_with('|') {
            cells = None;
            continue;
        }
        let offset = rest.find(line).unwrap_or(0);
        let pipes = line
            .char_indices()
            .filter(|(i, c)| {
                *c == '|' && {
                    let at = rest[..offset + i].chars().count();
                    !escaped(at)
                }
            })
            .count();
        match cells {
            None => cells = Some(pipes),
            Some(n) => assert_eq!(n, pipes, "a table row broken: {line:?}"),
        }
    }
}

struct Written {
    code: i32,
    stdout: String,
    stderr: String,
    dir: tempfile::TempDir,
}

fn check(text: &str) -> (Written, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run = hostile_run(dir.path(), "current", "slow", text);
    let base = hostile_run(dir.path(), "baseline", "base", text);
    let out = |name: &str| dir.path().join(name);
    let summary = out("step-summary.md");
    let output = common::command()
        .arg("check")
        .arg(&run)
        .arg("--baseline")
        .arg(&base)
        .args(["--json".as_ref(), out("report.json").as_os_str()])
        .args(["--markdown".as_ref(), out("summary.md").as_os_str()])
        .args(["--junit".as_ref(), out("junit.xml").as_os_str()])
        .args(["--html".as_ref(), out("report.html").as_os_str()])
        .args(["--openmetrics".as_ref(), out("metrics.prom").as_os_str()])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let written = Written {
        code: output.status.code().unwrap(),
        stdout: common::stdout(&output),
        stderr: common::stderr(&output),
        dir,
    };
    (written, run)
}

#[test]
fn hostile_names_and_messages_are_inert_in_every_output() {
    let (mut cases, mut refused) = (0, 0);
    for text in CORPUS {
        let (w, run) = check(text);
        let ctx = format!("{text:?}: exit {}\n{}\n{}", w.code, w.stdout, w.stderr);
        // A gate verdict (the renamed endpoint fails every request), or the input refused.
        // Controls dense enough in the small failures file read as binary: refused, and said
        // so safely.
        if w.code == 2 && w.stderr.contains("the file is binary, not CSV") {
            assert_log_safe("stderr", &w.stderr);
            refused += 1;
            continue;
        }
        assert_eq!(w.code, 1, "{ctx}");
        let file = |name: &str| std::fs::read_to_string(w.dir.path().join(name)).unwrap();

        // Table on stdout with the annotations after it, as action.yml prints them.
        let annotations = assert_log_safe("stdout", &w.stdout);
        assert!(annotations > 0, "{ctx}");
        assert!(w.stdout.contains("Failed checks:"), "{ctx}");
        assert_log_safe("stderr", &w.stderr);

        for name in ["summary.md", "step-summary.md"] {
            let md = file(name);
            assert_markdown_safe(&md);
        }

        // JSON keeps the text exactly; the writer escapes what JSON must.
        let json = file("report.json");
        assert!(!json.chars().any(|c| c < ' ' && c != '\n'), "{json}");
        let whole: serde_json::Value = serde_json::from_str(&json).unwrap();
        let report = whole.get("reports").map_or(&whole, |r| &r[0]);
        let names: Vec<&str> = report["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["name"].as_str())
            .collect();
        // A CR LF inside a quoted cell is read as a line break, as Python's csv reads it.
        let kept = text.replace("\r\n", "\n");
        assert!(names.contains(&kept.as_str()), "{text:?} not in {names:?}");
        assert_eq!(
            report["run"]["prefix"].as_str(),
            Some(&*run.to_string_lossy())
        );

        // JUnit: well-formed, the name in an attribute, no raw markup.
        let xml = file("junit.xml");
        roxmltree::Document::parse(&xml).expect("well-formed JUnit");
        assert!(!xml.contains("<img"), "{xml}");

        // HTML: the text is data, never markup, and no control character is in the page.
        let html = file("report.html");
        assert!(!html.contains("<img src=x"), "markup from a name");
        assert!(!html.contains("](http://evil") || !html.contains("<a href=\"http://evil"));
        assert!(!html
            .chars()
            .any(|c| c.is_control() && !"\n\t\r".contains(c)));

        // OpenMetrics: every line a comment or a sample (a line break inside a label would start
        // a line of its own), the name kept once unescaped.
        let prom = file("metrics.prom");
        for line in prom.lines() {
            assert!(
                line.starts_with('#') || line.starts_with("loadgate_"),
                "{text:?}: {line:?}"
            );
        }
        cases += 1;
    }
    eprintln!("hostile corpus: {cases} cases through every format, {refused} refused as binary");
    assert_eq!(cases + refused, CORPUS.len());
    // NUL, and the cases with three or more controls, in a 470-byte failures file.
    assert!(refused <= 4, "{refused} refused");
}

/// The table shows a hostile name escaped and readable, every character in its place.
#[test]
fn the_table_shows_a_hostile_name_escaped_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let run = hostile_run(
        dir.path(),
        "current",
        "slow",
        "/x\x1b]0;pwned\r\n::error::y",
    );
    let output = common::command().arg("check").arg(&run).output().unwrap();
    let stdout = common::stdout(&output);
    // CR LF inside a quoted cell is read as one line break.
    assert!(
        stdout.contains("/x\\x1b]0;pwned\\n::error::y"),
        "{stdout}{}",
        common::stderr(&output)
    );
    assert_log_safe("stdout", &stdout);
}
