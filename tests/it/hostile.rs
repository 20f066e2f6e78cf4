//! Hostile and damaged input. One hostile corpus through every output. Each case is a real Locust run (fixtures/hostile/, a
//! recorded run of fixtures/locustfiles/hostile.py) whose failing endpoint and its failure message
//! are renamed to the hostile text, in the stats, the history and the failures file, under a
//! directory whose name is hostile too; `check` writes every format with GitHub Actions on. Each
//! medium is held to its own property: the table, the annotations and stderr cannot start a
//! workflow command or send a control to a terminal, the Markdown renders no link, image or HTML
//! and keeps its tables whole, JUnit is well-formed, JSON and OpenMetrics keep the text exactly.
//! Then a real history cut at row boundaries.

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

/// fixtures/trend/degrading-full's history cut after each of its Aggregated rows: the full run
/// fails a sustained P95 rule; a cut file used to pass it. Now a history that ends more than
/// Locust's flush window (10 s) before the stats is an input error naming the file and where it
/// ends, and one within it is read with a note saying how much of the run is missing.
#[test]
fn a_history_cut_short_is_refused_and_locusts_own_loss_is_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p95.toml");
    std::fs::write(
        &profile,
        "name = \"cut\"\n[[sustained]]\nmetric = \"p95\"\nlimit = 90\nfor = \"10s\"\n",
    )
    .unwrap();
    let fixture_prefix = fixture("trend/degrading-full");
    let whole = common::command()
        .arg("check")
        .arg(&fixture_prefix)
        .arg("--profile")
        .arg(&profile)
        .output()
        .unwrap();
    assert_eq!(whole.status.code(), Some(1), "{}", common::stdout(&whole));
    assert!(!common::stdout(&whole).contains("not in the history"));
    let history =
        std::fs::read_to_string(fixture("trend/degrading-full_stats_history.csv")).unwrap();
    let lines: Vec<&str> = history.lines().collect();
    let (mut refused, mut noted, mut silent, mut cuts) = (0, 0, 0, 0);
    for (n, line) in lines.iter().enumerate().skip(1) {
        // A cut after an Aggregated row, the last line of each timestamp's rows, but the file's
        // last (the whole history).
        if !line.contains(",Aggregated,") || n + 1 == lines.len() {
            continue;
        }
        cuts += 1;
        let run = dir.path().join(format!("cut{n}"));
        std::fs::create_dir_all(&run).unwrap();
        for suffix in ["stats", "failures", "exceptions"] {
            std::fs::copy(
                fixture(format!("trend/degrading-full_{suffix}.csv")),
                run.join(format!("r_{suffix}.csv")),
            )
            .unwrap();
        }
        std::fs::write(
            run.join("r_stats_history.csv"),
            lines[..=n].join("\n") + "\n",
        )
        .unwrap();
        let output = common::command()
            .arg("check")
            .arg(run.join("r"))
            .arg("--profile")
            .arg(&profile)
            .output()
            .unwrap();
        let (out, err) = (common::stdout(&output), common::stderr(&output));
        match output.status.code() {
            Some(2) => {
                assert!(
                    err.contains("r_stats_history.csv: the history is cut short: it ends at"),
                    "{err}"
                );
                assert!(err.contains("r_stats.csv holds 4,817"), "{err}");
                refused += 1;
            }
            Some(_) if out.contains("are not in the history") => noted += 1,
            // Within two intervals of the end: a whole history ends so.
            Some(_) => silent += 1,
            None => panic!("killed"),
        }
    }
    eprintln!("{cuts} cuts: {refused} refused, {noted} read with a note, {silent} silent");
    // The last 12 s are what Locust itself can lose: a note, or nothing within two intervals.
    assert_eq!((cuts, refused, noted, silent), (59, 47, 10, 2));
}

/// Locust 2.15.1 (fixtures/locust215/basic, `-t 20s`) left the history's last 9 s unflushed: the
/// run is read, and the note says what the history misses.
#[test]
fn a_real_history_short_of_its_last_flush_is_read_with_a_note() {
    let output = common::loadgate(args!["check", fixture("locust215/basic")]);
    let out = common::stdout(&output);
    assert!(
        out.contains("basic_stats_history.csv ends at 10 s (its Aggregated row 11) with 696 requests; basic_stats.csv holds 1,354: the last 9 s or so"),
        "{out}"
    );
}

/// A `_stats.csv` cut inside its last cell: the Aggregated row's `100%` reads 6 below `99.99%`'s
/// 62 (fixtures/locust2/basic, the file's last two bytes and its line end gone).
#[test]
fn a_stats_file_cut_inside_its_last_cell_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for suffix in ["stats_history", "failures", "exceptions"] {
        std::fs::copy(
            fixture(format!("locust2/basic_{suffix}.csv")),
            dir.path().join(format!("r_{suffix}.csv")),
        )
        .unwrap();
    }
    let stats = std::fs::read_to_string(fixture("locust2/basic_stats.csv")).unwrap();
    let cut = stats
        .strip_suffix("62\r\n")
        .expect("the fixture's last cell")
        .to_string()
        + "6";
    std::fs::write(dir.path().join("r_stats.csv"), cut).unwrap();
    let output = common::loadgate(args!["check", dir.path().join("r")]);
    let err = common::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("r_stats.csv: Aggregated: 100% is 6 ms, below 99.99%'s 62 ms"),
        "{err}"
    );
}

/// Locust's JSON with more failures than requests on an endpoint (a 500% error rate before).
#[test]
fn more_failures_than_requests_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("json/locust-2.47.0.json")).unwrap();
    let mut entries: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = &mut entries[0];
    let requests = first["num_requests"].as_u64().unwrap();
    first["num_failures"] = (requests * 5).into();
    let path = dir.path().join("run.json");
    std::fs::write(&path, entries.to_string()).unwrap();
    let output = common::loadgate(args!["check", &path]);
    let err = common::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{} failures of {requests} requests", requests * 5)),
        "{err}"
    );
}

/// A baseline whose P95 is 1e308 ms would let any run pass: it is refused as no run's figures.
#[test]
fn a_baseline_with_figures_no_run_can_hold_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let run = fixture("locust2/basic");
    let saved = common::loadgate(args![
        "baseline", "save", &run, "--name", "b", "--store", &store
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", common::stderr(&saved));
    let path = store.join("b.json");
    let mut baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    baseline["runs"][0]["aggregated"]["percentiles"][5] = 1e308.into();
    std::fs::write(&path, baseline.to_string()).unwrap();
    let output = common::loadgate(args!["check", &run, "--baseline", "b", "--store", &store]);
    let err = common::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("b.json: run 1: Aggregated: a response time (95%) of 1e308 ms"),
        "{err}"
    );
}

// Files written through links and all or none.

/// When a later output fails (exit 2), the earlier ones are left as they were.
#[test]
fn outputs_are_written_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let (json, md) = (
        dir.path().join("report.json"),
        dir.path().join("summary.md"),
    );
    std::fs::write(&json, "old json").unwrap();
    std::fs::write(&md, "old markdown").unwrap();
    // OpenMetrics, the last format written, under a file: its directory cannot be made.
    std::fs::write(dir.path().join("file"), "").unwrap();
    let prom = dir.path().join("file/metrics.prom");
    let output = common::loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--json",
        &json,
        "--markdown",
        &md,
        "--openmetrics",
        &prom
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", common::stderr(&output));
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "old json");
    assert_eq!(std::fs::read_to_string(&md).unwrap(), "old markdown");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// A link at an output path is written through (the link stays, its target holds the report);
/// a device or a pipe works as an output. A named pipe stands in for `/dev/stdout`: a loadgate
/// that replaced it (as one did, run as root) spoils only this test's directory.
#[cfg(unix)]
#[test]
fn an_output_link_is_written_through_and_a_pipe_is_written_into() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let fifo = dir.path().join("junit.pipe");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the pipe.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let output = common::loadgate(args![
        "check",
        fixture("locust2/basic"),
        "--json",
        &link,
        "--junit",
        &fifo
    ]);
    // Had loadgate not opened the pipe, the reader would wait for ever: never joined then.
    let waited = std::time::Instant::now();
    while !reader.is_finished() && waited.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(reader.is_finished(), "loadgate never wrote into the pipe");
    let junit = reader.join().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", common::stderr(&output));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(report["verdict"], "fail");
    assert!(junit.contains("<testsuites"), "{junit}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(!meta.is_file(), "the pipe was replaced by a file");
}

/// A link planted at the store's `.NAME.lock` is not followed: the file it points to keeps its
/// content and the save says why it stopped.
#[cfg(unix)]
#[test]
fn a_planted_lock_link_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let victim = dir.path().join("precious.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, store.join(".b.lock")).unwrap();
    let output = common::loadgate(args![
        "baseline",
        "save",
        fixture("locust2/basic"),
        "--name",
        "b",
        "--store",
        &store
    ]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let err = common::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains(".b.lock: cannot create the lock file"),
        "{err}"
    );
}

/// Temporary files a killed write left more than an hour ago are removed by the next write
/// there; a fresh one (a write under way) stays.
#[test]
fn stale_temporary_files_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join(".loadgate-killed.tmp");
    let fresh = dir.path().join(".loadgate-running.tmp");
    for path in [&stale, &fresh] {
        std::fs::write(path, "partial").unwrap();
    }
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let json = dir.path().join("report.json");
    let output = common::loadgate(args!["check", fixture("locust2/basic"), "--json", &json]);
    assert_eq!(output.status.code(), Some(1), "{}", common::stderr(&output));
    assert!(!stale.exists());
    assert!(fresh.exists());
}

/// The JSON report on stdout (`--format json`) under GitHub Actions: the runner reads `##[` anywhere in a line as a workflow command
/// (its older syntax; `::` only at a line's start, which a JSON line never is: it starts with a
/// quote, a bracket or a brace). The JSON escapes that `#` (`\u0023`): the same value, no command.
#[test]
fn json_on_stdout_starts_no_workflow_command() {
    for text in CORPUS {
        let dir = tempfile::tempdir().unwrap();
        let run = hostile_run(dir.path(), "current", "slow", text);
        let output = common::command()
            .arg("check")
            .arg(&run)
            .args(["--format", "json"])
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap();
        let stdout = common::stdout(&output);
        let code = output.status.code().unwrap();
        if code == 2 && common::stderr(&output).contains("the file is binary, not CSV") {
            continue;
        }
        assert_eq!(code, 1, "{text:?}: {}", common::stderr(&output));
        // loadgate's own annotations, if any, follow the JSON; nothing else reads as a command.
        assert_log_safe("stdout", &stdout);
        let json: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("::")).collect();
        let report: serde_json::Value = serde_json::from_str(&json.join("\n")).unwrap();
        let kept = text.replace("\r\n", "\n");
        assert!(
            report["endpoints"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == kept.as_str()),
            "{text:?}"
        );
    }
}

/// A run whose every failure carries a request id: Locust writes a row per message, millions in
/// a long run. The readers keep 1,000 distinct messages and count the rest per endpoint and
/// status, said in a note; nothing is lost from the counts, and the report stays small.
#[test]
fn distinct_failure_messages_past_the_cap_are_counted_not_kept() {
    const ROWS: usize = 3_000;
    let dir = tempfile::tempdir().unwrap();
    // _failures.csv beside the real stats of that run.
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir_all(&csv_dir).unwrap();
    for suffix in ["stats", "stats_history", "exceptions"] {
        std::fs::copy(
            fixture(format!("locust2/basic_{suffix}.csv")),
            csv_dir.join(format!("run_{suffix}.csv")),
        )
        .unwrap();
    }
    let mut failures = String::from("Method,Name,Error,Occurrences,First Seen,Last Seen\n");
    for i in 0..ROWS {
        failures.push_str(&format!(
            "GET,/error,\"HTTPError('500 Server Error: Internal Server Error for url: /error?id={i}')\",1,2026-11-23T03:41:08Z,2026-11-23T03:41:26Z\n"
        ));
    }
    std::fs::write(csv_dir.join("run_failures.csv"), failures).unwrap();
    // The HTML report of a real run with the same rows added.
    let page = std::fs::read_to_string(fixture("html/locust-2.47.0.html")).unwrap();
    let rows: Vec<String> = (0..ROWS)
        .map(|i| format!("{{\"error\": \"HTTPError('500 Server Error: Internal Server Error for url: /error?id={i}')\", \"method\": \"GET\", \"name\": \"/error\", \"occurrences\": 1}}"))
        .collect();
    let page = page.replacen(
        "\"failures_statistics\": [",
        &format!("\"failures_statistics\": [{}, ", rows.join(", ")),
        1,
    );
    let html = dir.path().join("report.html");
    std::fs::write(&html, page).unwrap();

    for input in [csv_dir.join("run"), html] {
        let out = common::loadgate([
            "check".as_ref(),
            input.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ]);
        let report: serde_json::Value =
            serde_json::from_str(&common::stdout(&out)).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} {:?}\n{}",
                    input.display(),
                    out.status,
                    common::stderr(&out)
                )
            });
        let records = report["failures"].as_array().unwrap();
        assert!(
            records.len() <= 1_010,
            "{}: {} records",
            input.display(),
            records.len()
        );
        let other = records
            .iter()
            .find(|r| {
                r["message"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("other messages (HTTP 500)")
            })
            .unwrap_or_else(|| panic!("{}: {records:?}", input.display()));
        assert_eq!(other["name"], "/error");
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("more than 1000 distinct failure messages"),
            "{notes}"
        );
        // Every occurrence is still counted: the 3,000 added rows and the run's own.
        let total: u64 = records
            .iter()
            .map(|r| r["occurrences"].as_u64().unwrap())
            .sum();
        assert!(total >= ROWS as u64, "{total}");
    }
}

/// A refused allocation (a memory limit) is an input error, exit 2 with a message; Rust's default
/// aborts (exit 134). A report with a 30 MB host name under a 64 MB address-space limit: the file
/// fits, the text held while it is parsed does not.
#[cfg(target_os = "linux")]
#[test]
fn a_refused_allocation_is_exit_2_with_a_message() {
    use std::os::unix::process::CommandExt;
    let page = std::fs::read_to_string(fixture("html/locust-2.47.0.html")).unwrap();
    let huge = "h".repeat(30 << 20);
    let page = page.replacen("\"host\": \"", &format!("\"host\": \"{huge}"), 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(&path, page).unwrap();
    let mut command = common::command();
    command.arg("check").arg(&path);
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64 << 20,
                rlim_max: 64 << 20,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{:?} {err}", out.status);
    assert!(err.contains("out of memory"), "{err}");
}
