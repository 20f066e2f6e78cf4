//! A fake backend for what a real Prometheus cannot be made to do: refuse credentials, fail with
//! a 500, hang; and what reaches it (credentials, headers, the path prefix, chunks).

use super::*;

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

/// A label value that would be markup, a table cell's end, a terminal escape and a workflow
/// command if any output let it through as it came.
const HOSTILE: &str = r#"<script>alert(1)</script> | `x` \u001b[31m\n::error::forged"#;

#[test]
fn check_escapes_the_servers_text_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let profile = write_profile(
        dir.path(),
        "[[server]]\nname = \"hit rate\"\nquery = 'cache_hit_ratio'\nunit = \"ratio\"\nfloor = true\nlimit = 0.5\n",
    );
    let fake = Fake::start(|target| {
        let p = params(target);
        if target.contains("/api/v1/status/config") {
            ok(r#"{"yaml":"global:\n  scrape_interval: 1s\n"}"#)
        } else if target.contains("/label/__name__/values") {
            ok(r#"["cache_hit_ratio"]"#)
        } else if target.contains("/label/job/values") {
            ok(r#"[]"#)
        } else if target.contains("query_range") {
            let (start, end): (f64, f64) = (p["start"].parse().unwrap(), p["end"].parse().unwrap());
            let step: f64 = p["step"].parse().unwrap();
            let n = ((end - start) / step) as usize + 1;
            let values: Vec<String> = (0..n)
                .map(|i| format!("[{},\"0.2\"]", start + i as f64 * step))
                .collect();
            ok(&format!(
                r#"{{"resultType":"matrix","result":[{{"metric":{{"job":"{HOSTILE}"}},"values":[{}]}}]}}"#,
                values.join(",")
            ))
        } else {
            Reply::Json(404, "not found".into())
        }
    });
    let run = fixture("compare/same-1");
    let d = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let url = fake.url();
    let args = [
        run.to_str().unwrap(),
        "-p",
        &profile,
        "--prometheus",
        &url,
        "--from",
        "1700000000",
        "--to",
        "1700000060",
        "--html",
        &d("r.html"),
        "--markdown",
        &d("r.md"),
        "--junit",
        &d("r.xml"),
        "--openmetrics",
        &d("r.om"),
        "--json",
        &d("r.json"),
    ];
    let mut cmd = command();
    cmd.arg("check")
        .args(args)
        .env("GITHUB_ACTIONS", "true")
        .env_remove("LOADGATE_PROMETHEUS_URL");
    let out = cmd.output().unwrap();
    let (table, err) = (stdout(&out), stderr(&out));
    // The rule fails (0.2 under a floor of 0.5): exit 1, the series and the failure shown.
    assert_eq!(out.status.code(), Some(1), "{table}\n{err}");
    assert!(table.contains("hit rate"), "{table}");
    // The terminal: no escape byte; the label is shown with its control character escaped.
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(table.contains("alert(1)"), "the label is shown: {table}");
    // GitHub annotations: no line of the output starts a forged command.
    assert!(
        !table
            .lines()
            .chain(err.lines())
            .any(|l| l.starts_with("::error::forged")),
        "{table}{err}"
    );
    let html = std::fs::read_to_string(d("r.html")).unwrap();
    assert!(!html.contains("<script>alert(1)"), "raw markup in the HTML");
    assert!(
        html.contains("&lt;script&gt;alert(1)"),
        "the label escaped in the HTML"
    );
    let markdown = std::fs::read_to_string(d("r.md")).unwrap();
    let row = markdown
        .lines()
        .find(|l| l.contains("alert(1)"))
        .expect("the series row");
    assert!(!row.contains("<script>") && row.contains("\\|"), "{row}");
    let junit = std::fs::read_to_string(d("r.xml")).unwrap();
    assert!(!junit.contains("<script>"), "{junit}");
    assert!(
        junit.contains("classname=\"server\" name=\"hit rate\""),
        "{junit}"
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(d("r.json")).unwrap()).unwrap();
    let series = &report["server"]["series"][0];
    assert_eq!(
        series["labels"]["job"].as_str().unwrap(),
        serde_json::from_str::<String>(&format!("\"{HOSTILE}\"")).unwrap()
    );
    let om = std::fs::read_to_string(d("r.om")).unwrap();
    assert!(
        om.contains("loadgate_server_rule_status{") && om.contains("rule=\"hit rate\""),
        "{om}"
    );
}
