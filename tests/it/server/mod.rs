//! Server metrics (issue 27, the source): `loadgate server` against a real Prometheus 2.42 scraping a
//! real node_exporter every second (Debian's `prometheus` and `prometheus-node-exporter`, started
//! here on free ports of 127.0.0.1), and against a tiny fake backend for what a real Prometheus
//! cannot be made to do (refuse credentials, fail with a 500, hang). Every failure mode is a note,
//! at least `warn`, exit 2 under `--require-server-metrics`, and no output ever shows the secrets.
//!
//! Without a tool the tests that need it are skipped, saying how to install it; under `CI=true`
//! they fail (common::require_tool; `.ci/run` installs them). Every server runs under
//! `timeout` and is stopped when its test ends, failing or not.
//!
//! Files: `real` (a real Prometheus: presets, rules, failure modes), `fake` (a fake backend: HTTP
//! errors, a hang, credentials, headers, chunks), `tls` (TLS and basic auth), `gate` (`check`,
//! `compare` and `ab` judged with the server's metrics). The helpers they share are here.

mod baseline;
mod fake;
mod gate;
mod real;
mod tls;

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
    loadgate_with_token("server", args, envs)
}

/// `loadgate COMMAND` with the token set and no other Prometheus setting from the environment,
/// and the check that no output shows a secret.
fn loadgate_with_token(sub: &str, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = command();
    cmd.arg(sub)
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
