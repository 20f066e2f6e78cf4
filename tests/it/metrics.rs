//! Metrics for Prometheus (issue 19): Prometheus's own `promtool check metrics` accepts every export;
//! a real Pushgateway started here on 127.0.0.1 holds what was pushed (hostile endpoint names
//! included) and a down one only warns unless --require-push; every query of the Grafana dashboard
//! names metrics and labels the export writes, and returns data from a real Prometheus that scraped
//! the Pushgateway; the same Prometheus parses the OpenMetrics files (its OpenMetrics parser).
//!
//! The tools come from Debian's `prometheus` (promtool, prometheus) and `prometheus-pushgateway`,
//! which `.ci/run` installs. Without one the tests that need it are skipped, saying how to install
//! it; under `CI=true` they fail (common::require_tool). Every server runs under
//! `timeout`, on a free port of 127.0.0.1, and is stopped when its test ends, failing or not.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    self, command, fixture, free_port, loadgate, require_tool, stderr, stdout, Server,
};
use crate::text_format::{self, parse_samples, Sample};
use serde_json::Value;

/// The longest any server started here may live, whatever happens to the test.
const SERVER_LIFETIME_S: &str = "120";

/// A tool of Prometheus's, or None: the test is skipped, or fails under CI (common::require_tool).
fn tool(name: &str) -> Option<PathBuf> {
    require_tool(
        name,
        "apt-get install prometheus prometheus-pushgateway (.ci/run does)",
    )
}

/// A plain HTTP/1.0 exchange (the servers answer and close): status and body.
fn http(port: u16, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn get_json(port: u16, path: &str) -> Value {
    let (status, body) = http(port, "GET", path, b"").unwrap();
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Starts a server of the test's, ready once `ready` answers 200.
fn start_server(program: &Path, args: &[String], port: u16, ready: &str, log: PathBuf) -> Server {
    Server::start(program, args, port, SERVER_LIFETIME_S, log, |port| {
        matches!(http(port, "GET", ready, b""), Ok((200, _)))
    })
}

fn pushgateway(dir: &Path) -> Server {
    let program = tool("prometheus-pushgateway").expect("the test checked for it");
    let port = free_port();
    start_server(
        &program,
        // Debian's build persists to /var/lib/prometheus/pushgateway.data by default, which would
        // carry groups from one test run (or another checkout's) into the next: memory only.
        &[
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--persistence.file=".to_string(),
        ],
        port,
        "/-/ready",
        dir.join("pushgateway.log"),
    )
}

fn find<'a>(samples: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect()
}

/// Runs loadgate with `args` plus `--openmetrics FILE` and returns the exit code and the file.
fn export<S: AsRef<OsStr> + std::fmt::Debug>(args: &[S], file: &Path) -> (i32, String) {
    let out = command()
        .args(args)
        .args(args!["--openmetrics", file])
        .output()
        .expect("the binary runs");
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{args:?}: exit {code}: {}",
        stderr(&out)
    );
    (code, std::fs::read_to_string(file).unwrap())
}

fn arg(rel: &str) -> String {
    fixture(rel).to_str().unwrap().to_string()
}

/// Commands whose exports between them write every family but the history ones.
fn commands() -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&["check", &arg("metrics/hostile")]),
        s(&["check", &arg("locust2-full/full")]),
        s(&[
            "check",
            &arg("compare/slow-2x"),
            "--baseline",
            &arg("compare/same-1"),
        ]),
        s(&["check", &arg("compare/same-1"), &arg("compare/same-2")]),
        s(&["compare", &arg("compare/same-1"), &arg("compare/slow-1.4x")]),
        s(&["history", &arg("compare")]),
    ]
}

#[test]
fn promtool_accepts_every_export_and_the_values_are_the_reports() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (i, command) in commands().iter().enumerate() {
        let file = dir.path().join(format!("{i}.prom"));
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let (_, text) = export(&args, &file);
        let mut lint = Command::new(&promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        lint.stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = lint.wait_with_output().unwrap();
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "{command:?}: promtool: {}{}\n{text}",
            stdout(&out),
            stderr(&out)
        );
        assert!(!text.contains("# EOF"), "the 0.0.4 format has no EOF");
    }

    // The hostile names come back unescaped to what the JSON report says, value for value.
    let file = dir.path().join("hostile.prom");
    let (_, text) = export(&["check", &arg("metrics/hostile")], &file);
    let samples = parse_samples(&text);
    let report = common::check_json([&arg("metrics/hostile")]).1;
    let run = arg("metrics/hostile");
    let endpoints = report["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 3);
    for endpoint in endpoints {
        let name = endpoint["name"].as_str().unwrap();
        let labels = [("run", run.as_str()), ("scope", "endpoint"), ("name", name)];
        let requests = find(&samples, "loadgate_requests_total", &labels);
        assert_eq!(requests.len(), 1, "{name:?}");
        assert_eq!(requests[0].value, endpoint["requests"].as_f64().unwrap());
        let p95 = find(
            &samples,
            "loadgate_response_time_seconds",
            &[labels[2], ("percentile", "95")],
        );
        assert_eq!(
            p95[0].value,
            endpoint["p95"].as_f64().unwrap() / 1000.0,
            "{name:?}"
        );
        let ratio = find(&samples, "loadgate_error_ratio", &labels);
        assert_eq!(ratio[0].value, endpoint["error_rate"].as_f64().unwrap());
    }
    assert!(text.contains(r#"name="two\nlines # HELP x""#), "{text}");
    assert!(text.contains(r#"name="C:\\items\\[id]""#), "{text}");
    let verdict = find(&samples, "loadgate_verdict", &[("run", run.as_str())]);
    let code = match report["verdict"].as_str().unwrap() {
        "pass" => 0.0,
        "warn" => 1.0,
        _ => 2.0,
    };
    assert_eq!(verdict[0].value, code);
}

#[test]
fn history_samples_are_openmetrics_only() {
    let dir = tempfile::tempdir().unwrap();
    let om = dir.path().join("run.om");
    let (_, text) = export(
        &["check", &arg("metrics/hostile"), "--openmetrics-history"],
        &om,
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    let rows = common::csv_rows("metrics/hostile_stats_history.csv");
    // One requests sample per history row (aggregate and endpoints), each with its timestamp.
    let history: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("loadgate_history_requests_total{"))
        .collect();
    assert_eq!(history.len(), rows.len());
    let first = &rows[0];
    assert!(
        history
            .iter()
            .any(|l| l.ends_with(&format!(" {}", &first[0]))),
        "no sample at {}",
        &first[0]
    );
    let prom = dir.path().join("run.prom");
    let out = loadgate(args![
        "check",
        &arg("metrics/hostile"),
        "--openmetrics",
        prom,
        "--openmetrics-history",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("textfile collector"),
        "{}",
        stderr(&out)
    );
    assert!(!prom.exists());
}

#[test]
fn a_dated_archive_backfills_with_promtool() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let om = dir.path().join("archive.om");
    let (_, text) = export(&["history", &arg("compare"), "--openmetrics-history"], &om);
    let samples = parse_samples(&text).len();
    let blocks = dir.path().join("blocks");
    let out = Command::new(&promtool)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&blocks)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}\n{text}",
        stdout(&out),
        stderr(&out)
    );
    let listed = Command::new(&promtool)
        .args(["tsdb", "list"])
        .arg(&blocks)
        .output()
        .unwrap();
    // BLOCK ULID, MIN TIME, MAX TIME, DURATION, NUM SAMPLES, …: every sample landed.
    let listing = stdout(&listed);
    let counted: usize = listing
        .lines()
        .skip(1)
        .map(|l| {
            l.split_whitespace()
                .nth(4)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(counted, samples, "{listing}");
}

/// The groups the Pushgateway holds, by their labels.
fn groups(port: u16) -> Vec<Value> {
    let held = get_json(port, "/api/v1/metrics");
    held["data"].as_array().unwrap().clone()
}

fn group_value(group: &Value, family: &str, labels: &[(&str, &str)]) -> Vec<f64> {
    group[family]["metrics"]
        .as_array()
        .map(|metrics| {
            metrics
                .iter()
                .filter(|m| labels.iter().all(|(k, v)| m["labels"][*k] == *v))
                .map(|m| m["value"].as_str().unwrap().parse().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

fn copy_run(from: &str, to: &Path) {
    let src = fixture(from);
    let stem = src.file_name().unwrap().to_str().unwrap().to_string();
    for entry in std::fs::read_dir(src.parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(suffix) = name.strip_prefix(&format!("{stem}_")) {
            std::fs::copy(&path, to.join(format!("run_{suffix}"))).unwrap();
        }
    }
}

#[test]
fn the_pushgateway_holds_each_run_and_a_new_push_replaces_the_old() {
    if tool("prometheus-pushgateway").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gateway = pushgateway(dir.path());
    let url = gateway.url();
    let run_dir = dir.path().join("nightly");
    std::fs::create_dir(&run_dir).unwrap();
    let run = run_dir.join("run");
    let run_arg = run.to_str().unwrap();

    copy_run("metrics/hostile", &run_dir);
    let plain = loadgate(args!["check", run_arg]).status.code();
    let pushed = loadgate(args![
        "check",
        run_arg,
        "--push-gateway",
        &url,
        "--job",
        "ci"
    ]);
    assert_eq!(pushed.status.code(), plain, "{}", stderr(&pushed));
    assert!(stderr(&pushed).is_empty(), "{}", stderr(&pushed));
    let held = groups(gateway.port);
    let group = held
        .iter()
        .find(|g| g["labels"]["job"] == "ci" && g["labels"]["run"] == run_arg)
        .unwrap_or_else(|| panic!("no group job=ci run={run_arg}: {held:?}"));
    assert_eq!(group["last_push_successful"], true);
    let report = common::check_json(args![run_arg]).1;
    for endpoint in report["endpoints"].as_array().unwrap() {
        let name = endpoint["name"].as_str().unwrap();
        assert_eq!(
            group_value(group, "loadgate_requests_total", &[("name", name)]),
            [endpoint["requests"].as_f64().unwrap()],
            "{name:?}"
        );
    }

    // The same run name pushed again holds the new run only: the hostile endpoints are gone.
    for entry in std::fs::read_dir(&run_dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    copy_run("compare/same-1", &run_dir);
    let again = loadgate(args![
        "check",
        run_arg,
        "--push-gateway",
        &url,
        "--job",
        "ci"
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let held = groups(gateway.port);
    let group = held
        .iter()
        .find(|g| g["labels"]["job"] == "ci" && g["labels"]["run"] == run_arg)
        .unwrap();
    assert!(group_value(
        group,
        "loadgate_requests_total",
        &[("name", "two\nlines # HELP x")]
    )
    .is_empty());
    let report = common::check_json(args![run_arg]).1;
    assert_eq!(
        group_value(group, "loadgate_requests_total", &[("scope", "aggregated")]),
        [report["aggregated"]["requests"].as_f64().unwrap()]
    );
    assert_eq!(group_value(group, "loadgate_verdict", &[]), [0.0]);

    // A gateway that refuses says why; the gate's own exit code stands unless the push is required.
    let wrong = format!("{url}/no-such-prefix");
    let refused = loadgate(args![
        "check",
        run_arg,
        "--push-gateway",
        &wrong,
        "--require-push"
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("the gateway answered 404"),
        "{}",
        stderr(&refused)
    );
    let warned = loadgate(args!["check", run_arg, "--push-gateway", &wrong]);
    assert_eq!(warned.status.code(), Some(0), "{}", stderr(&warned));
    assert!(
        stderr(&warned).starts_with("warning: push to"),
        "{}",
        stderr(&warned)
    );

    // history: one group keyed by the archive directory.
    let archive = arg("compare");
    let out = loadgate(["history", &archive, "--push-gateway", &url]);
    assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    let held = groups(gateway.port);
    let group = held
        .iter()
        .find(|g| g["labels"]["job"] == "loadgate" && g["labels"]["archive"] == archive.as_str())
        .unwrap_or_else(|| panic!("no history group: {held:?}"));
    assert_eq!(group_value(group, "loadgate_requests_total", &[]).len(), 5);
}

#[test]
fn a_down_gateway_warns_unless_the_push_is_required() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: the port was free a moment ago.
    let url = format!("http://127.0.0.1:{}", free_port());
    let json = dir.path().join("report.json");
    let passing = arg("compare/same-1");
    let out = loadgate(["check", &passing, "--push-gateway", &url]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a down gateway turned a pass red"
    );
    assert!(
        stderr(&out).starts_with("warning: push to "),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--require-push"), "{}", stderr(&out));

    let out = loadgate(args![
        "check",
        &passing,
        "--push-gateway",
        &url,
        "--require-push",
        "--json",
        json,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Error: --require-push: push to"),
        "{}",
        stderr(&out)
    );
    // The reports were written first: the push is the last thing a command does.
    assert!(json.is_file());
    assert!(!stdout(&out).is_empty(), "the table was not printed");

    // A failing gate stays 1 with a down gateway.
    let out = loadgate([
        "check",
        &arg("compare/slow-2x"),
        "--baseline",
        &passing,
        "--push-gateway",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn a_gateway_that_never_answers_is_given_up_on_time() {
    // The kernel completes the connection (the backlog); nothing ever reads or answers it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();
    let out = loadgate(["check", &arg("compare/same-1"), "--push-gateway", &url]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no answer within 10 s"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    drop(silent);
}

/// Metric names and label names an expression uses (the label names of matchers and of `by`).
fn names_in(expr: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut metrics = BTreeSet::new();
    let mut labels = BTreeSet::new();
    let bytes = expr.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            // Skip string literals (label values).
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if ident(bytes[i]) && (i == 0 || !ident(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            let next = expr[i..].trim_start();
            if word.starts_with("loadgate_") {
                metrics.insert(word.to_string());
            } else if next.starts_with("=~") || next.starts_with("!=") || next.starts_with('=') {
                labels.insert(word.to_string());
            }
            if word == "by" || word == "without" {
                let open = expr[i..].find('(').unwrap() + i;
                let close = expr[open..].find(')').unwrap() + open;
                for label in expr[open + 1..close].split(',') {
                    labels.insert(label.trim().to_string());
                }
                i = close;
            }
            continue;
        }
        i += 1;
    }
    (metrics, labels)
}

fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("../dashboards/loadgate.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(q) = variable["query"]["query"].as_str() {
            // label_values(EXPR, LABEL): EXPR is a query, LABEL one of its labels.
            let inner = q
                .strip_prefix("label_values(")
                .unwrap()
                .strip_suffix(')')
                .unwrap();
            let (expr, label) = inner.rsplit_once(',').unwrap();
            queries.push(format!("count by ({}) ({expr})", label.trim()));
        }
    }
    queries
}

/// The dashboard's variables as the test selects them: every job, every run.
fn concrete(query: &str) -> String {
    query.replace("$job", ".*").replace("$run", ".*")
}

#[test]
fn every_dashboard_query_names_what_the_export_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut written: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (i, command) in commands().iter().enumerate() {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let (_, text) = export(&args, &dir.path().join(format!("{i}.prom")));
        for sample in parse_samples(&text) {
            let labels = written.entry(sample.name).or_default();
            labels.extend(sample.labels.into_keys());
            // Prometheus adds these to whatever it scrapes from the Pushgateway.
            labels.extend(["job".to_string(), "instance".to_string()]);
        }
    }
    let ab = dir.path().join("ab.prom");
    text_format::ab_export(dir.path(), &ab, &[]);
    for sample in parse_samples(&std::fs::read_to_string(&ab).unwrap()) {
        let labels = written.entry(sample.name).or_default();
        labels.extend(sample.labels.into_keys());
        labels.extend(["job".to_string(), "instance".to_string()]);
    }
    let queries = dashboard_queries();
    assert!(queries.len() >= 8, "{queries:?}");
    for query in &queries {
        let (metrics, labels) = names_in(query);
        assert!(!metrics.is_empty(), "{query}: names no loadgate metric");
        for metric in &metrics {
            let known = written
                .get(metric)
                .unwrap_or_else(|| panic!("{query}: {metric} is not written"));
            for label in &labels {
                assert!(
                    known.contains(label),
                    "{query}: {metric} has no label {label}"
                );
            }
        }
    }
}

/// Serves files on 127.0.0.1 with the OpenMetrics content type, for Prometheus to scrape; stops by
/// itself after `lifetime`.
fn serve_files(files: BTreeMap<String, String>, lifetime: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let deadline = Instant::now() + lifetime;
        while Instant::now() < deadline {
            let Ok((mut stream, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = match files.get(&path) {
                Some(body) => ("200 OK", body.as_str()),
                None => ("404 Not Found", ""),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

fn query(prometheus: &Server, promql: &str) -> Vec<Value> {
    let reply = get_json(
        prometheus.port,
        &format!("/api/v1/query?query={}", percent_encode(promql)),
    );
    assert_eq!(reply["status"], "success", "{promql}: {reply}");
    reply["data"]["result"].as_array().unwrap().clone()
}

/// Polls `promql` until it returns at least `n` series, within 30 s.
fn wait_for(prometheus: &Server, promql: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let result = query(prometheus, promql);
        if result.len() >= n {
            return result;
        }
        assert!(
            Instant::now() < deadline,
            "{promql}: {} series after 30 s, wanted {n}\n{}",
            result.len(),
            prometheus.log_text()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_real_prometheus_answers_every_dashboard_query_and_parses_the_openmetrics_files() {
    let Some(program) = tool("prometheus") else {
        return;
    };
    if tool("prometheus-pushgateway").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gateway = pushgateway(dir.path());
    let gateway_url = gateway.url();
    for args in [
        vec![
            "check".to_string(),
            arg("compare/slow-2x"),
            "--baseline".into(),
            arg("compare/same-1"),
        ],
        vec!["check".to_string(), arg("metrics/hostile")],
    ] {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend([
            "--push-gateway",
            &gateway_url,
            "--job",
            "nightly",
            "--require-push",
        ]);
        let out = loadgate(&all);
        assert!(out.status.code().unwrap() <= 1, "{}", stderr(&out));
    }

    // The OpenMetrics files, latest figures and with history, served for Prometheus's own parser.
    let mut files = BTreeMap::new();
    let mut sample_counts = BTreeMap::new();
    for (path, history) in [("/latest", false), ("/history", true)] {
        let file = dir.path().join(format!("{}.om", &path[1..]));
        let mut args = vec!["check", "--profile", "default"];
        let run = arg("metrics/hostile");
        args.push(&run);
        if history {
            args.push("--openmetrics-history");
        }
        let (_, text) = export(&args, &file);
        sample_counts.insert(path, parse_samples(&text).len());
        files.insert(path.to_string(), text);
    }
    // An A/B run, pushed like the others and its OpenMetrics file served too.
    let ab = dir.path().join("ab.om");
    let push = [
        "--push-gateway",
        &gateway_url,
        "--job",
        "nightly",
        "--require-push",
    ];
    text_format::ab_export(dir.path(), &ab, &push);
    let text = std::fs::read_to_string(&ab).unwrap();
    sample_counts.insert("/ab", parse_samples(&text).len());
    files.insert("/ab".to_string(), text);
    let files_port = serve_files(files, Duration::from_secs(90));

    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n\
             - job_name: pushgateway\n  honor_labels: true\n  static_configs:\n  - targets: ['127.0.0.1:{}']\n\
             - job_name: om-latest\n  metrics_path: /latest\n  static_configs:\n  - targets: ['127.0.0.1:{files_port}']\n\
             - job_name: om-history\n  metrics_path: /history\n  static_configs:\n  - targets: ['127.0.0.1:{files_port}']\n\
             - job_name: om-ab\n  metrics_path: /ab\n  static_configs:\n  - targets: ['127.0.0.1:{files_port}']\n",
            gateway.port
        ),
    )
    .unwrap();
    let prometheus = start_server(
        &program,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        port,
        "/-/ready",
        dir.path().join("prometheus.log"),
    );
    wait_for(&prometheus, r#"loadgate_verdict{job="nightly"}"#, 3);
    // The A/B comparison went through the Pushgateway with B's run, not only through the file.
    let pushed = query(&prometheus, r#"loadgate_ab_verdict{job="nightly"}"#);
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert_eq!(pushed[0]["value"][1], "2", "B is twice as slow: {pushed:?}");
    for promql in dashboard_queries() {
        let promql = concrete(&promql);
        let result = query(&prometheus, &promql);
        assert!(!result.is_empty(), "no data for the dashboard's {promql}");
    }

    // Prometheus parsed both OpenMetrics files, every sample of them.
    for (job, path) in [
        ("om-latest", "/latest"),
        ("om-history", "/history"),
        ("om-ab", "/ab"),
    ] {
        let up = wait_for(
            &prometheus,
            &format!(r#"scrape_samples_scraped{{job="{job}"}}"#),
            1,
        );
        let healthy = query(&prometheus, &format!(r#"up{{job="{job}"}}"#));
        assert_eq!(
            healthy[0]["value"][1],
            "1",
            "{job}: {healthy:?}\n{}",
            prometheus.log_text()
        );
        assert_eq!(
            up[0]["value"][1]
                .as_str()
                .unwrap()
                .parse::<usize>()
                .unwrap(),
            sample_counts[path],
            "{job}"
        );
    }
    let names = query(
        &prometheus,
        r#"loadgate_requests_total{job="om-latest", scope="endpoint"}"#,
    );
    let mut names: Vec<&str> = names
        .iter()
        .map(|s| s["metric"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "/search?q=\"a\"&b={c}",
            "C:\\items\\[id]",
            "two\nlines # HELP x"
        ]
    );
}

/// `promtool check metrics` says nothing about `text` (the 0.0.4 format).
fn assert_promtool_accepts(promtool: &Path, text: &str) {
    let mut lint = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lint.stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = lint.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}\n{text}",
        stdout(&out),
        stderr(&out)
    );
}

fn status_number(status: &Value) -> f64 {
    match status.as_str().unwrap() {
        "pass" => 0.0,
        "warn" => 1.0,
        "fail" => 2.0,
        other => panic!("status {other}"),
    }
}

/// The one sample of `name` with `labels`.
fn one(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found = find(samples, name, labels);
    assert_eq!(found.len(), 1, "{name} {labels:?}");
    found[0].value
}

/// The same number, but for the last bit: serde_json's default float parser (no `float_roundtrip`)
/// may read a shortest-form number one unit in the last place off, Rust's `str::parse` never does.
fn assert_same(metric: f64, json: f64, context: &Value) {
    let tolerance = 4.0 * f64::EPSILON * json.abs();
    assert!(
        (metric - json).abs() <= tolerance,
        "{metric} != {json}: {context}"
    );
}

/// A real `loadgate ab` (B twice as slow as A): promtool accepts its metrics, and every figure of
/// the JSON report's `ab` section is there, per scope and metric, in base units.
#[test]
fn an_ab_run_exports_its_comparison_as_the_json_report_states_it() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ab.prom");
    let (code, report) = text_format::ab_export(dir.path(), &file, &[]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_promtool_accepts(&promtool, &text);
    let samples = parse_samples(&text);
    let run = dir.path().join("ab_b").to_str().unwrap().to_string();
    let run = [("run", run.as_str())];
    let ab = &report["ab"];
    // B is twice as slow: the comparison fails, and so does the gate.
    assert_eq!(ab["verdict"], "fail", "{ab}");
    assert_eq!(code, 1);
    assert_eq!(one(&samples, "loadgate_ab_verdict", &run), 2.0);
    assert_eq!(
        one(&samples, "loadgate_verdict", &run),
        status_number(&report["verdict"])
    );
    let info = find(&samples, "loadgate_ab_info", &run);
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].labels["a"], ab["a"].as_str().unwrap());
    assert_eq!(info[0].labels["b"], ab["b"].as_str().unwrap());
    assert_eq!(
        one(&samples, "loadgate_ab_confidence_ratio", &run),
        ab["confidence"].as_f64().unwrap()
    );
    let changes = ab["changes"].as_array().unwrap();
    // Three endpoints and the aggregate, five figures each.
    assert_eq!(changes.len(), 20);
    assert_eq!(
        find(&samples, "loadgate_ab_status", &[]).len(),
        changes.len()
    );
    for c in changes {
        let scope = if c["scope"] == "aggregated" {
            "aggregated"
        } else {
            "endpoint"
        };
        let (method, name) = (
            c["method"].as_str().unwrap_or(""),
            c["name"].as_str().unwrap_or(""),
        );
        let metric = c["metric"].as_str().unwrap();
        let at = [run[0], ("scope", scope), ("method", method), ("name", name)];
        let labels = [at[0], at[1], at[2], at[3], ("metric", metric)];
        let field = |key: &str| c[key].as_f64().unwrap();
        // Latencies are milliseconds in JSON, seconds here; error rates are fractions in both.
        let unit = if metric == "error_rate" { 1.0 } else { 1000.0 };
        for side in ["a", "b"] {
            let mut with_side = labels.to_vec();
            with_side.push(("side", side));
            let value = one(&samples, "loadgate_ab_value", &with_side);
            assert_same(value, field(side) / unit, c);
        }
        let change = one(&samples, "loadgate_ab_change_ratio", &labels);
        assert_same(change, field("change"), c);
        for (i, bound) in ["lower", "upper"].into_iter().enumerate() {
            let mut with_bound = labels.to_vec();
            with_bound.push(("bound", bound));
            let value = one(&samples, "loadgate_ab_change_bound_ratio", &with_bound);
            assert_same(value, c["interval"][i].as_f64().unwrap(), c);
        }
        let limit = one(&samples, "loadgate_ab_limit_ratio", &labels);
        assert_same(limit, field("limit"), c);
        assert_eq!(
            one(&samples, "loadgate_ab_status", &labels),
            status_number(&c["status"])
        );
        assert_eq!(
            one(&samples, "loadgate_ab_pairs_total", &at),
            field("pairs")
        );
    }
}
