//! Server metrics (issue 27, the source): `loadgate server` against a real Prometheus 2.42 scraping a
//! real node_exporter every second (Debian's `prometheus` and `prometheus-node-exporter`, started
//! here on free ports of 127.0.0.1), and against a tiny fake backend for what a real Prometheus
//! cannot be made to do (refuse credentials, fail with a 500, hang). Every failure mode is a note,
//! at least `warn`, exit 2 under `--require-server-metrics`, and no output ever shows the secrets.
//!
//! Without a tool the tests that need it are skipped, saying how to install it; under `CI=true`
//! they fail (common::require_tool; `.ci/run` installs them). Every server runs under
//! `timeout` and is stopped when its test ends, failing or not.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{command, fixture, free_port, require_tool, stderr, stdout, Server, Target};
use serde_json::Value;

const SERVER_LIFETIME_S: &str = "180";
/// The secrets every run here carries: none may appear in any output.
const TOKEN: &str = "lg-secret-token-7f3a9c";
const PASSWORD: &str = "loadgate-test-password";
/// bcrypt (cost 4) of PASSWORD, for Prometheus' web config.
const PASSWORD_BCRYPT: &str = "$2b$04$RkTrhPxt2/BnUNtVDxmfuuW8/vZBQd6qXe4VME4l.ycPYCWYsFGFy";

/// A tool of Prometheus's, or None: the test is skipped, or fails under CI (common::require_tool).
fn tool(name: &str) -> Option<PathBuf> {
    require_tool(
        name,
        "apt-get install prometheus prometheus-node-exporter (.ci/run does)",
    )
}

/// A plain GET (HTTP/1.0, the server closes): status and body.
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )?;
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

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string's parameters (repeated ones keep the last).
fn params(path: &str) -> BTreeMap<String, String> {
    path.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// Starts a server of the test's, ready once `ready` answers 200 (any answer at all with
/// `any_answer`: a TLS or password-protected server refuses plain GETs).
fn start_server(
    program: &Path,
    args: &[String],
    port: u16,
    (ready, any_answer): (&str, bool),
    log: PathBuf,
) -> Server {
    Server::start(
        program,
        args,
        port,
        SERVER_LIFETIME_S,
        log,
        |port| matches!(get(port, ready), Ok((status, _)) if status == 200 || (any_answer && status != 0)),
    )
}

/// node_exporter and a Prometheus scraping it and itself every second.
struct Stack {
    _node: Server,
    prometheus: Server,
    node_port: u16,
}

fn stack(dir: &Path) -> Option<Stack> {
    let prometheus_bin = tool("prometheus")?;
    let node_bin = tool("prometheus-node-exporter")?;
    let node_port = free_port();
    let node = start_server(
        &node_bin,
        &[format!("--web.listen-address=127.0.0.1:{node_port}")],
        node_port,
        ("/metrics", false),
        dir.join("node.log"),
    );
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n\
             - job_name: prometheus\n  static_configs:\n  - targets: ['127.0.0.1:{port}']\n\
             - job_name: node\n  static_configs:\n  - targets: ['127.0.0.1:{node_port}']\n"
        ),
    )
    .unwrap();
    let prometheus = start_server(
        &prometheus_bin,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ],
        port,
        ("/-/ready", false),
        dir.join("prometheus.log"),
    );
    Some(Stack {
        _node: node,
        prometheus,
        node_port,
    })
}

/// Direct PromQL against Prometheus, for the independent figures: a range query's series.
fn query_range(port: u16, promql: &str, from: f64, to: f64) -> Vec<Value> {
    let (status, body) = get(
        port,
        &format!(
            "/api/v1/query_range?query={}&start={from}&end={to}&step=1",
            encode(promql)
        ),
    )
    .unwrap();
    assert_eq!(status, 200, "{promql}: {body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    reply["data"]["result"].as_array().unwrap().clone()
}

/// Polls until `promql` has a sample at or after `at` (Unix seconds), within 30 s.
fn wait_until_scraped(port: u16, promql: &str, at: f64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = chrono::Utc::now().timestamp() as f64;
        if now >= at {
            let series = query_range(port, promql, at - 1.0, now);
            let latest = series
                .iter()
                .flat_map(|s| s["values"].as_array().unwrap().iter())
                .filter_map(|p| p[0].as_f64())
                .fold(0.0, f64::max);
            if latest >= at {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{promql} not scraped up to {at}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A real run of loadgate's own generator against its own target, `seconds` long: its history
/// gives the window.
fn real_run(dir: &Path, seconds: u32) -> (PathBuf, f64, f64) {
    let target = Target::start();
    let prefix = dir.join("run");
    let out = command()
        .args(["run", "-H", &target.url, "-u", "2", "-q", "-t"])
        .arg(format!("{seconds}s"))
        .arg("--csv")
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.join("run_stats_history.csv")).unwrap();
    let stamps: Vec<f64> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
    let (from, to) = (stamps[0], *stamps.last().unwrap());
    assert!(to - from >= f64::from(seconds) - 2.0, "{stamps:?}");
    (prefix, from, to)
}

/// `loadgate server` with the token set, and the check that no output shows a secret.
fn server(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = command();
    cmd.arg("server")
        .args(args)
        .env_remove("LOADGATE_PROMETHEUS_URL")
        .env_remove("LOADGATE_PROMETHEUS_HEADERS")
        .env_remove("LOADGATE_PROMETHEUS_USERNAME")
        .env_remove("LOADGATE_PROMETHEUS_PASSWORD")
        .env_remove("LOADGATE_PROMETHEUS_CA_FILE")
        .env("LOADGATE_PROMETHEUS_BEARER_TOKEN", TOKEN);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out: Output = cmd.output().unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    for secret in [
        TOKEN,
        PASSWORD,
        "lg-secret-header-1",
        "dXNlcjpsb2FkZ2F0ZS10ZXN0LXBhc3N3b3Jk",
    ] {
        assert!(
            !o.contains(secret) && !e.contains(secret),
            "{args:?} shows a secret:\n{o}\n{e}"
        );
    }
    (out.status.code().unwrap(), o, e)
}

fn server_json(args: &[&str], envs: &[(&str, &str)]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = server(&all, envs);
    let json =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
    (code, json)
}

fn write_profile(dir: &Path, rules: &str) -> String {
    let path = dir.join("server-profile.toml");
    std::fs::write(&path, format!("name = \"server-test\"\n{rules}")).unwrap();
    path.to_str().unwrap().to_string()
}

fn notes_of<'a>(json: &'a Value, kind: &str) -> Vec<&'a Value> {
    json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .collect()
}

fn rule<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no rule {name}: {json:#}"))
}

#[test]
fn presets_and_rules_read_from_a_real_prometheus_match_its_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stack) = stack(dir.path()) else {
        return;
    };
    let port = stack.prometheus.port;
    // Prometheus hands its first targets to the scrapers a few seconds after it is ready: the run
    // starts once both jobs have been scraped long enough for a rate.
    wait_until_scraped(
        port,
        "count(rate(process_cpu_seconds_total[4s])) >= 2",
        chrono::Utc::now().timestamp() as f64,
    );
    let (run, from, to) = real_run(dir.path(), 4);
    // The whole read window (15 s either side) in the past and scraped, so that Prometheus answers
    // the same later, when asked directly.
    wait_until_scraped(port, "up", to + 16.0);
    let profile = write_profile(
        dir.path(),
        r#"
[[server]]
name = "prometheus memory"
query = 'process_resident_memory_bytes{job="prometheus"}'
unit = "bytes"
over = "max"
limit = 4e9

[[server]]
name = "node up"
query = 'up{job="node"}'
floor = true
over = "min"
limit = 1

[[server]]
name = "node never up"
query = 'up{job="node"}'
over = "max"
limit = 0.5
"#,
    );
    let url = stack.prometheus.url();
    let run = run.to_str().unwrap();
    let (code, json) = server_json(&[run, "--prometheus", &url, "-p", &profile], &[]);
    assert_eq!(code, 1, "a failed rule fails: {json:#}");
    assert_eq!(json["status"], "fail");
    assert_eq!(json["notes"].as_array().unwrap().len(), 0, "{json:#}");

    // The window is the run's history with the margin; the step and rate windows the config's.
    let w = &json["window"];
    assert_eq!(
        (w["from_unix"].as_f64(), w["to_unix"].as_f64()),
        (Some(from), Some(to))
    );
    assert_eq!(w["origin"], "history");
    assert_eq!(w["read_from_unix"].as_f64(), Some(from - 15.0));
    assert_eq!(w["scrape_interval"]["source"], "config");
    assert_eq!(w["scrape_interval"]["jobs"]["node"], 1.0);
    assert_eq!(w["rule_step_s"], 1.0);
    assert_eq!(w["retention_s"].as_f64(), Some(15.0 * 86_400.0));

    // Every preset the two jobs have, per job.
    let presets: Vec<(String, String)> = json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["series"], 1, "{p}");
            (
                p["preset"].as_str().unwrap().to_string(),
                p["job"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (preset, job) in [
        ("up", "node"),
        ("up", "prometheus"),
        ("process_memory", "prometheus"),
        ("process_memory", "node"),
        ("process_cpu", "prometheus"),
        ("process_start", "prometheus"),
        ("node_cpu", "node"),
        ("node_memory", "node"),
        ("node_load1", "node"),
    ] {
        assert!(
            presets.contains(&(preset.to_string(), job.to_string())),
            "{preset} for {job} missing: {presets:?}"
        );
    }
    // No cAdvisor or kube-state-metrics here: not asked.
    assert!(presets
        .iter()
        .all(|(p, _)| !p.starts_with("container") && p != "kube_restarts"));
    let rate = json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["preset"] == "node_cpu")
        .unwrap();
    assert_eq!(rate["rate_window_s"], 4.0, "4x the 1 s scrape interval");
    assert!(rate["query"].as_str().unwrap().contains("[4s]"));

    // Each preset's series is what Prometheus itself answers for the same query and window.
    let read_from = from - 15.0;
    let read_to = to + 15.0;
    for series in json["series"].as_array().unwrap() {
        let query = series["query"].as_str().unwrap();
        let direct = query_range(port, query, read_from, read_to);
        let matching: Vec<&Value> = direct
            .iter()
            .filter(|d| d["metric"] == series["labels"])
            .collect();
        assert_eq!(matching.len(), 1, "{query}: {direct:?}");
        let values: Vec<f64> = matching[0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[1].as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            series["points"].as_u64().unwrap() as usize,
            values.len(),
            "{query}"
        );
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        // Within a part in 10^12: the same float can differ in its last digit between Prometheus'
        // text and the JSON's shortest form (seen: ...99702 against ...997021).
        let got = series["max"].as_f64().unwrap();
        assert!(
            (got - max).abs() <= 1e-12 * max.abs().max(1.0),
            "{query}: {got} against {max}"
        );
        // Every second of the run is covered (the margin before it only partly: Prometheus had
        // just started).
        assert!(series["first_unix"].as_f64().unwrap() <= from, "{series}");
        assert_eq!(series["last_unix"].as_f64(), Some(read_to), "{series}");
        assert!(
            values.len() as f64 >= to - from + 16.0,
            "{query}: {}",
            values.len()
        );
    }

    // The rules graded on the run's span only, against Prometheus' own figures.
    let memory = rule(&json, "prometheus memory");
    let direct = query_range(
        port,
        r#"process_resident_memory_bytes{job="prometheus"}"#,
        from,
        to,
    );
    let max = direct[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(memory["value"].as_f64(), Some(max));
    assert_eq!(
        (memory["status"].as_str(), memory["checked"].as_bool()),
        (Some("pass"), Some(true))
    );
    assert!(max > 10e6 && max < 4e9, "{max}");
    assert_eq!(rule(&json, "node up")["status"], "pass");
    assert_eq!(rule(&json, "node up")["value"], 1.0);
    let never = rule(&json, "node never up");
    assert_eq!(
        (never["status"].as_str(), never["grade"].as_str()),
        (Some("fail"), Some("critical"))
    );

    // The table says the same for people.
    let (code, table, _) = server(&[run, "--prometheus", &url, "-p", &profile], &[]);
    assert_eq!(code, 1);
    for expected in [
        "Presets:",
        "node_load1",
        "prometheus memory",
        "node never up",
        "Server: FAIL",
    ] {
        assert!(table.contains(expected), "{expected}:\n{table}");
    }

    // The failure modes a real Prometheus produces, each a note, never a pass.
    failure_modes_of_a_real_prometheus(dir.path(), &url, run, stack.node_port);
}

fn failure_modes_of_a_real_prometheus(dir: &Path, url: &str, run: &str, node_port: u16) {
    let profile = write_profile(
        dir,
        r#"
[[server]]
name = "broken promql"
query = 'rate(up{job="node"}[5s'
limit = 1

[[server]]
name = "wrong job"
query = 'process_resident_memory_bytes{job="api"}'
unit = "bytes"
limit = 1e9

[[server]]
name = "every metric"
query = 'count by (__name__) ({job="node"})'
unit = "count"
limit = 1e6

[[server]]
name = "fine"
query = 'up{job="prometheus"}'
floor = true
limit = 1
"#,
    );
    let (code, json) = server_json(&[run, "--prometheus", url, "-p", &profile], &[]);
    assert_eq!(
        code, 0,
        "notes warn, the gate is otherwise untouched: {json:#}"
    );
    assert_eq!(json["status"], "warn");
    assert_eq!(rule(&json, "fine")["status"], "pass");

    // Bad PromQL: Prometheus' own message, the rule and the profile named.
    let bad = notes_of(&json, "bad_query");
    assert_eq!(bad.len(), 1, "{json:#}");
    assert_eq!(
        bad[0]["subject"].as_str(),
        Some(format!("rule \"broken promql\" of {profile}").as_str())
    );
    let message = bad[0]["message"].as_str().unwrap();
    assert!(
        message.contains("parse error") && message.contains("bad_data"),
        "{message}"
    );
    assert_eq!(rule(&json, "broken promql")["status"], "warn");
    assert_eq!(rule(&json, "broken promql")["checked"], false);

    // Empty: the matcher matched nothing, and the jobs that have the metric are listed.
    let empty = notes_of(&json, "empty");
    assert_eq!(empty.len(), 1, "{json:#}");
    let message = empty[0]["message"].as_str().unwrap();
    assert!(message.contains("matched nothing"), "{message}");
    assert!(
        message.contains(r#"job = "node", "prometheus""#),
        "{message}"
    );
    assert_eq!(rule(&json, "wrong job")["status"], "warn");

    // Too many series: the cap named, the rule not graded on part of its series.
    let many = notes_of(&json, "too_many_series");
    assert_eq!(many.len(), 1, "{json:#}");
    assert!(
        many[0]["message"]
            .as_str()
            .unwrap()
            .contains("over the cap of 50"),
        "{many:?}"
    );
    assert_eq!(rule(&json, "every metric")["checked"], false);

    // --require-server-metrics: the same reading is an error.
    let (code, _, err) = server(
        &[
            run,
            "--prometheus",
            url,
            "-p",
            &profile,
            "--require-server-metrics",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--require-server-metrics: 3 thing(s) not read"),
        "{err}"
    );

    // A window older than the retention: said so, nothing graded.
    let (code, json) = server_json(
        &[
            run,
            "--prometheus",
            url,
            "-p",
            &profile,
            "--from",
            "2020-01-01T00:00:00Z",
            "--to",
            "1577840400",
        ],
        &[],
    );
    assert_eq!(code, 0);
    let old = notes_of(&json, "retention");
    assert_eq!(old.len(), 1, "{json:#}");
    assert!(
        old[0]["message"]
            .as_str()
            .unwrap()
            .contains("retention (15d)"),
        "{old:?}"
    );
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));
    assert_eq!(json["series"].as_array().unwrap().len(), 0);

    // A run without timestamps: the server is not read.
    let legacy = fixture("derived/legacy");
    let (code, json) = server_json(
        &[
            legacy.to_str().unwrap(),
            "--prometheus",
            url,
            "-p",
            &profile,
        ],
        &[],
    );
    assert_eq!(code, 0);
    let not_read = notes_of(&json, "not_read");
    assert!(
        not_read[0]["message"]
            .as_str()
            .unwrap()
            .contains("the server was not read: the run has no timestamps"),
        "{json:#}"
    );
    assert_eq!(json["window"], Value::Null);
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));

    // Unreachable: a port nothing listens on (node_exporter's, plus one, is as good as any free).
    let closed = format!("http://127.0.0.1:{}", free_port());
    let (code, json) = server_json(&[run, "--prometheus", &closed, "-p", &profile], &[]);
    assert_eq!(code, 0);
    assert_eq!(notes_of(&json, "unreachable").len(), 1, "{json:#}");
    assert!(json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["status"] == "warn"));
    let _ = node_port;
}

/// What the fake backend answers a request (path with its query string).
enum Reply {
    Json(u16, String),
    /// Read the request, answer nothing for this long, close.
    Hang(Duration),
}

/// A request as the fake saw it: its target (path and query) and headers (names in lower case).
type Seen = (String, BTreeMap<String, String>);

/// A backend on 127.0.0.1 that answers each request by `reply` and records every request's
/// target and headers; it stops accepting after a minute.
struct Fake {
    port: u16,
    requests: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    fn start(reply: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let (seen, reply) = (seen.clone(), reply.clone());
                std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    let mut headers = BTreeMap::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                        }
                    }
                    seen.lock().unwrap().push((target.clone(), headers));
                    let mut stream = stream;
                    match reply(&target) {
                        Reply::Hang(d) => std::thread::sleep(d),
                        Reply::Json(status, body) => {
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        }
                    }
                });
            }
        });
        Fake { port, requests }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }
}

fn ok(data: &str) -> Reply {
    Reply::Json(200, format!(r#"{{"status":"success","data":{data}}}"#))
}

const ONE_RULE: &str = r#"
[[server]]
name = "api memory"
query = 'process_resident_memory_bytes{job="api"}'
unit = "bytes"
limit = 500e6
"#;

#[test]
fn http_errors_and_a_hang_become_notes_quoting_the_body_without_the_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(dir.path(), ONE_RULE);
    let run = fixture("compare/same-1");
    let run = run.to_str().unwrap();

    // 401 whose body quotes the request's Authorization header back.
    let refused = Fake::start(|_| {
        Reply::Json(
            401,
            format!(
                r#"{{"status":"error","errorType":"unauthorized","error":"bad token: Bearer {TOKEN}\u001b[31m"}}"#
            ),
        )
    });
    let (code, json) = server_json(&[run, "--prometheus", &refused.url(), "-p", &profile], &[]);
    assert_eq!(code, 0);
    let http = notes_of(&json, "http");
    assert_eq!(http.len(), 1, "{json:#}");
    let message = http[0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 401") && message.contains("bad token: Bearer [redacted]"),
        "{message}"
    );
    assert!(
        message.contains("LOADGATE_PROMETHEUS_BEARER_TOKEN"),
        "{message}"
    );
    assert!(
        !message.contains('\u{1b}'),
        "escapes are escaped: {message}"
    );
    assert_eq!(rule(&json, "api memory")["status"], "warn");
    // One request: refused credentials stop the reading.
    assert_eq!(refused.requests().len(), 1);
    assert_eq!(
        refused.requests()[0]
            .1
            .get("authorization")
            .map(String::as_str),
        Some(format!("Bearer {TOKEN}").as_str())
    );

    // 500 with the API's JSON error body, on the rule's query only.
    let failing = Fake::start(|target| {
        if target.contains("query_range") {
            Reply::Json(
                500,
                r#"{"status":"error","errorType":"internal","error":"storage is on fire"}"#.into(),
            )
        } else if target.contains("/label/__name__/") {
            ok(r#"["process_resident_memory_bytes"]"#)
        } else if target.contains("/label/job/") {
            ok("[]")
        } else {
            Reply::Json(404, "404 page not found".into())
        }
    });
    let (code, json) = server_json(&[run, "--prometheus", &failing.url(), "-p", &profile], &[]);
    assert_eq!(code, 0);
    let http = notes_of(&json, "http");
    assert_eq!(http.len(), 1, "{json:#}");
    let message = http[0]["message"].as_str().unwrap();
    assert!(
        message.contains("HTTP 500") && message.contains(r#""error":"storage is on fire""#),
        "{message}"
    );
    assert_eq!(
        http[0]["subject"].as_str(),
        Some(format!("rule \"api memory\" of {profile}").as_str())
    );
    // The 404s of the config and flags only mean the defaults: said in the window, not a note.
    assert_eq!(json["window"]["scrape_interval"]["source"], "assumed");

    // A backend that never answers: bounded by --prometheus-timeout, and it stops the reading.
    let hang = Fake::start(|_| Reply::Hang(Duration::from_secs(20)));
    let started = Instant::now();
    let (code, json) = server_json(
        &[
            run,
            "--prometheus",
            &hang.url(),
            "-p",
            &profile,
            "--prometheus-timeout",
            "1s",
        ],
        &[],
    );
    let took = started.elapsed();
    assert_eq!(code, 0);
    let timeout = notes_of(&json, "timeout");
    assert_eq!(timeout.len(), 1, "{json:#}");
    assert!(
        timeout[0]["message"]
            .as_str()
            .unwrap()
            .contains("no answer within 1 s"),
        "{timeout:?}"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let (code, _, err) = server(
        &[
            run,
            "--prometheus",
            &hang.url(),
            "-p",
            &profile,
            "--prometheus-timeout",
            "1s",
            "--require-server-metrics",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no answer within 1 s"), "{err}");
}

#[test]
fn credentials_headers_and_the_path_prefix_reach_the_backend_and_long_windows_come_in_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(
        dir.path(),
        r#"
[[server]]
name = "hit rate"
query = 'cache_hit_ratio{job="api"}'
unit = "ratio"
over = "mean"
floor = true
limit = { good = 0.5, acceptable = 0.3 }
"#,
    );
    // Six hours at 1 s: 21,601 points, three calls of at most 10,000. The series is 0.4 at every
    // step asked: a mean of 0.4 is acceptable (a pass under the default gate).
    let fake = Fake::start(|target| {
        let p = params(target);
        if target.contains("/api/v1/status/config") {
            ok(r#"{"yaml":"global:\n  scrape_interval: 1s\n"}"#)
        } else if target.contains("/label/__name__/values") {
            ok(r#"["cache_hit_ratio","up"]"#)
        } else if target.contains("/label/job/values") {
            ok(r#"[]"#)
        } else if target.contains("query_range") {
            let (start, end): (f64, f64) = (p["start"].parse().unwrap(), p["end"].parse().unwrap());
            let step: f64 = p["step"].parse().unwrap();
            let n = ((end - start) / step) as usize + 1;
            let values: Vec<String> = (0..n)
                .map(|i| format!("[{},\"0.4\"]", start + i as f64 * step))
                .collect();
            ok(&format!(
                r#"{{"resultType":"matrix","result":[{{"metric":{{"job":"api"}},"values":[{}]}}]}}"#,
                values.join(",")
            ))
        } else {
            Reply::Json(404, "not found".into())
        }
    });
    let run = fixture("compare/same-1");
    let url = format!("{}/prefix/", fake.url());
    let (code, json) = server_json(
        &[
            run.to_str().unwrap(),
            "--prometheus",
            &url,
            "-p",
            &profile,
            "--from",
            "1700000000",
            "--to",
            "1700021600",
        ],
        &[
            ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
            ("LOADGATE_PROMETHEUS_USERNAME", "user"),
            ("LOADGATE_PROMETHEUS_PASSWORD", PASSWORD),
            (
                "LOADGATE_PROMETHEUS_HEADERS",
                "X-Scope-OrgID: tenant1; X-Extra: lg-secret-header-1",
            ),
        ],
    );
    assert_eq!(code, 0, "{json:#}");
    let hit = rule(&json, "hit rate");
    assert_eq!(
        (hit["status"].as_str(), hit["grade"].as_str()),
        (Some("pass"), Some("acceptable"))
    );
    assert!((hit["value"].as_f64().unwrap() - 0.4).abs() < 1e-9, "{hit}");
    assert_eq!(json["source"], format!("{}/prefix", fake.url()));
    let requests = fake.requests();
    for (target, headers) in &requests {
        assert!(target.starts_with("/prefix/api/v1/"), "{target}");
        assert_eq!(
            headers.get("authorization").map(String::as_str),
            Some("Basic dXNlcjpsb2FkZ2F0ZS10ZXN0LXBhc3N3b3Jk"),
            "user:{PASSWORD} in RFC 7617's encoding"
        );
        assert_eq!(
            headers.get("x-scope-orgid").map(String::as_str),
            Some("tenant1")
        );
        assert_eq!(
            headers.get("x-extra").map(String::as_str),
            Some("lg-secret-header-1")
        );
    }
    let chunks: Vec<(f64, f64, f64)> = requests
        .iter()
        .filter(|(t, _)| t.contains("query_range"))
        .map(|(t, _)| {
            let p = params(t);
            (
                p["start"].parse().unwrap(),
                p["end"].parse().unwrap(),
                p["step"].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chunks,
        vec![
            (1_700_000_000.0, 1_700_009_999.0, 1.0),
            (1_700_010_000.0, 1_700_019_999.0, 1.0),
            (1_700_020_000.0, 1_700_021_600.0, 1.0)
        ]
    );
    let series = &json["series"][0];
    assert_eq!(
        series["points"], 21_601,
        "the chunks merged into one series"
    );

    // The URL from the environment, and from the project's config when neither flag nor variable.
    let (code, json) = server_json(
        &[
            run.to_str().unwrap(),
            "-p",
            &profile,
            "--from",
            "1700000000",
            "--to",
            "1700000060",
        ],
        &[("LOADGATE_PROMETHEUS_URL", &fake.url())],
    );
    assert_eq!(
        (code, json["source"].as_str()),
        (0, Some(fake.url().as_str()))
    );
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("loadgate.toml"),
        format!("[prometheus]\nurl = \"{}/from-config\"\n", fake.url()),
    )
    .unwrap();
    let out = command()
        .current_dir(project.path())
        .env_remove("LOADGATE_PROMETHEUS_URL")
        .env("LOADGATE_PROMETHEUS_BEARER_TOKEN", TOKEN)
        .args(args!["server", run, "-p", &profile, "--format", "json",])
        .args(["--from", "1700000000", "--to", "1700000060"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["source"], format!("{}/from-config", fake.url()));
    assert!(!stdout(&out).contains(TOKEN));

    // Credentials in the URL are refused without being shown.
    let (code, _, err) = server(
        &[
            run.to_str().unwrap(),
            "--prometheus",
            &format!("http://user:{PASSWORD}@127.0.0.1:{}", fake.port),
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("must not carry credentials"), "{err}");
    // Half a basic pair is an error naming the variables.
    let (code, _, err) = server(
        &[run.to_str().unwrap(), "--prometheus", &fake.url()],
        &[
            ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
            ("LOADGATE_PROMETHEUS_PASSWORD", PASSWORD),
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("LOADGATE_PROMETHEUS_PASSWORD is set without LOADGATE_PROMETHEUS_USERNAME"),
        "{err}"
    );
}

/// PEM of a DER certificate or PKCS#8 key.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = loadgate::base64::standard(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[test]
fn a_real_prometheus_behind_tls_and_basic_auth_is_read_with_a_ca_file() {
    let Some(prometheus_bin) = tool("prometheus") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem("CERTIFICATE", certified.cert.der())).unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(
        &key,
        pem("PRIVATE KEY", &certified.signing_key.serialize_der()),
    )
    .unwrap();
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  user: '{PASSWORD_BCRYPT}'\n",
            ca.display(),
            key.display()
        ),
    )
    .unwrap();
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n- job_name: self\n  scheme: https\n  \
             tls_config:\n    ca_file: {}\n  basic_auth:\n    username: user\n    password: {PASSWORD}\n  \
             static_configs:\n  - targets: ['127.0.0.1:{port}']\n",
            ca.display()
        ),
    )
    .unwrap();
    let _prometheus = start_server(
        &prometheus_bin,
        &[
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            format!("--web.config.file={}", web.display()),
        ],
        port,
        ("/-/ready", true),
        dir.path().join("prometheus.log"),
    );
    let url = format!("https://127.0.0.1:{port}");
    let run = fixture("compare/same-1");
    let run = run.to_str().unwrap();
    let profile = write_profile(
        dir.path(),
        "[[server]]\nname = \"self up\"\nquery = 'max(up{job=\"self\"})'\nfloor = true\nlimit = 1\n",
    );
    let basic = [
        ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
        ("LOADGATE_PROMETHEUS_USERNAME", "user"),
        ("LOADGATE_PROMETHEUS_PASSWORD", PASSWORD),
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        let now = chrono::Utc::now().timestamp();
        let (from, to) = ((now - 30).to_string(), now.to_string());
        let mut all: Vec<String> = [
            run,
            "--prometheus",
            &url,
            "-p",
            &profile,
            "--from",
            &from,
            "--to",
            &to,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        all.extend(extra.iter().map(|s| s.to_string()));
        all
    };
    // Until Prometheus has scraped itself a few times (over TLS, with the password), `up` is young.
    let with_ca = [
        &basic[..],
        &[("LOADGATE_PROMETHEUS_CA_FILE", ca.to_str().unwrap())][..],
    ]
    .concat();
    let deadline = Instant::now() + Duration::from_secs(30);
    let json = loop {
        let a = args(&[]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, json) = server_json(&a, &with_ca);
        // Until a rate has two samples inside its window, process_cpu is empty (a note).
        if json["presets"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["preset"] == "up"))
            && rule(&json, "self up")["status"] == "pass"
            && json["notes"].as_array().unwrap().is_empty()
        {
            assert_eq!(code, 0);
            break json;
        }
        assert!(Instant::now() < deadline, "{json:#}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(json["notes"].as_array().unwrap().len(), 0, "{json:#}");
    assert!(json["presets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["preset"] == "process_memory"));

    // Without the CA file the self-signed certificate is not trusted: unreachable, said why.
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, json) = server_json(&a, &basic);
    assert_eq!(code, 0);
    let unreachable = notes_of(&json, "unreachable");
    assert!(
        unreachable[0]["message"]
            .as_str()
            .unwrap()
            .contains("TLS handshake"),
        "{json:#}"
    );

    // A wrong password: Prometheus' 401, a hint, and neither password shown.
    let wrong = [
        ("LOADGATE_PROMETHEUS_BEARER_TOKEN", ""),
        ("LOADGATE_PROMETHEUS_USERNAME", "user"),
        ("LOADGATE_PROMETHEUS_PASSWORD", "lg-secret-wrong-password"),
        ("LOADGATE_PROMETHEUS_CA_FILE", ca.to_str().unwrap()),
    ];
    let (code, out, err) = server(&[&a[..], &["--format", "json"][..]].concat(), &wrong);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("lg-secret-wrong-password") && !err.contains("lg-secret-wrong-password"));
    let json: Value = serde_json::from_str(&out).unwrap();
    let http = notes_of(&json, "http");
    assert!(
        http[0]["message"].as_str().unwrap().contains("HTTP 401"),
        "{json:#}"
    );
    let (code, _, err) = server(
        &[&a[..], &["--require-server-metrics"][..]].concat(),
        &wrong,
    );
    assert_eq!(code, 2, "{err}");
}
