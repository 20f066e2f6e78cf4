//! `loadgate run` and `loadgate demo` against the embedded target on 127.0.0.1. Every run is bounded
//! (a few seconds, a few users) and the target stops by itself.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{self, command, fixture, loadgate, stderr, Target};

fn run<S: AsRef<OsStr>>(args: &[S]) -> std::process::Output {
    command()
        .args(["run", "--quiet"])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn first_line(path: &Path) -> String {
    let text = std::fs::read(path).unwrap();
    let end = text
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("CRLF line endings, as Python's csv");
    String::from_utf8(text[..end].to_vec()).unwrap()
}

fn stats_rows(prefix: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(format!("{}_stats.csv", prefix.display())).unwrap();
    reader.records().map(|r| r.unwrap()).collect()
}

#[test]
fn the_csvs_have_locusts_exact_headers_and_check_reads_them() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("gen");
    let started = Instant::now();
    let output = run(&args![
        "--host",
        &target.url,
        "-f",
        fixture("../scenarios/demo.toml"),
        "-u",
        "5",
        "-t",
        "3s",
        "--csv",
        prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "stops on time: {:?}",
        started.elapsed()
    );
    for kind in ["stats", "stats_history", "failures", "exceptions"] {
        let ours = first_line(&dir.path().join(format!("gen_{kind}.csv")));
        let locusts = first_line(&fixture(format!("locust2/basic_{kind}.csv")));
        assert_eq!(ours, locusts, "{kind} header");
    }
    let rows = stats_rows(&prefix);
    let aggregated = rows.last().unwrap();
    assert_eq!((&aggregated[0], &aggregated[1]), ("", "Aggregated"));
    let sum: u64 = rows[..rows.len() - 1]
        .iter()
        .map(|r| r[2].parse::<u64>().unwrap())
        .sum();
    assert_eq!(sum, aggregated[2].parse::<u64>().unwrap());
    let names: Vec<&str> = rows.iter().map(|r| r.get(1).unwrap()).collect();
    let mut sorted = names[..names.len() - 1].to_vec();
    sorted.sort();
    assert_eq!(
        &names[..names.len() - 1],
        &sorted[..],
        "rows sorted by name, as Locust"
    );

    // Failures of /error are all in failures.csv, with Locust's message.
    let error_row = rows.iter().find(|r| &r[1] == "/error").unwrap();
    let mut failures = csv::Reader::from_path(dir.path().join("gen_failures.csv")).unwrap();
    let error_failures: u64 = failures
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[1] == "/error")
        .map(|r| {
            assert_eq!(
                &r[2],
                "HTTPError('500 Server Error: Internal Server Error for url: /error')"
            );
            r[3].parse::<u64>().unwrap()
        })
        .sum();
    assert!(error_failures > 0);
    assert_eq!(error_failures, error_row[3].parse::<u64>().unwrap());

    let output = loadgate(args!["check", prefix, "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "the demo scenario's /error fails the gate"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["run"]["format"], "locust");
    assert_eq!(
        report["aggregated"]["requests"].as_u64().unwrap(),
        aggregated[2].parse::<u64>().unwrap()
    );
    assert!(
        report["aggregated"]["p50"].as_f64().unwrap() >= 1.0,
        "latencies are in ms, not 0"
    );
}

#[test]
fn history_has_a_row_per_second_with_growing_totals() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("h");
    let output = run(&args![
        "--host",
        &format!("{}/fast", target.url),
        "-u",
        "2",
        "-t",
        "3s",
        "--csv",
        prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(dir.path().join("h_stats_history.csv")).unwrap();
    let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
    assert!((3..=5).contains(&rows.len()), "{} rows for 3 s", rows.len());
    // Like Locust's, the first row is the start: no users, N/A percentiles, zero totals.
    assert_eq!((&rows[0][1], &rows[0][6], &rows[0][17]), ("0", "N/A", "0"));
    let totals: Vec<u64> = rows.iter().map(|r| r[17].parse().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "{totals:?}");
    assert!(rows[1..]
        .iter()
        .all(|r| &r[3] == "Aggregated" && &r[1] == "2"));
    assert!(!dir.path().read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".tmp")));
}

#[test]
fn the_open_model_holds_its_rate() {
    let _quiet = common::one_load_at_a_time();
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("open");
    let output = run(&args![
        "--host",
        &format!("{}/fast", target.url),
        "-u",
        "10",
        "--rate",
        "200",
        "-t",
        "2s",
        "--csv",
        prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = stats_rows(&prefix);
    let requests: u64 = rows.last().unwrap()[2].parse().unwrap();
    assert!(
        (320..=480).contains(&requests),
        "{requests} requests at 200/s for 2 s"
    );
}

#[test]
fn a_refused_connection_is_a_recorded_failure() {
    // A port below the ephemeral range that refuses: a port freed after `bind(:0)` is handed to
    // the next test that binds one, and this run's requests then reach that test's server.
    let port = (1..1024)
        .find(|p| {
            std::net::TcpStream::connect(("127.0.0.1", *p))
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        })
        .expect("a port below 1024 that refuses");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("refused");
    let output = run(&args![
        "--host",
        &format!("http://127.0.0.1:{port}"),
        "-u",
        "1",
        "-t",
        "1s",
        "--csv",
        prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = stats_rows(&prefix);
    let total = rows.last().unwrap();
    assert!(total[2].parse::<u64>().unwrap() > 0);
    assert_eq!(total[2], total[3], "every request failed");
    let failures = std::fs::read_to_string(dir.path().join("refused_failures.csv")).unwrap();
    assert!(
        failures.contains("ConnectionRefusedError(111, 'Connection refused')"),
        "{failures}"
    );
}

#[test]
fn the_open_model_shows_a_stall_in_every_request_it_held_up() {
    let _quiet = common::one_load_at_a_time();
    use std::io::{Read, Write};
    // One connection at 100/s (a slot every 10 ms) to a server that answers at once, except that
    // it holds its 50th answer for 300 ms: the ~30 slots that pass meanwhile are sent late, and
    // each is timed from its slot, not from when the connection was free again.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let (mut answered, mut buf) = (0, [0u8; 4096]);
        while let Ok(n @ 1..) = socket.read(&mut buf) {
            for _ in 0..buf[..n].windows(4).filter(|w| w == b"\r\n\r\n").count() {
                answered += 1;
                if answered == 50 {
                    std::thread::sleep(Duration::from_millis(300));
                }
                let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                if socket.write_all(ok).is_err() {
                    return;
                }
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("stall");
    let output = run(&args![
        "--host", &host, "-u", "1", "--rate", "100", "-t", "2s", "--csv", prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let total = stats_rows(&prefix).pop().unwrap();
    let ms = |column: usize| total[column].parse::<f64>().unwrap();
    let requests: u64 = total[2].parse().unwrap();
    assert!((150..=210).contains(&requests), "{requests} requests");
    assert!(ms(7) >= 290.0, "the held answer itself: max {} ms", ms(7));
    // A tenth of the run's requests waited on the stall for 110 ms or more; timed from when they
    // were sent instead, only the held one would show it and the 90th percentile would be ~0.
    assert!(ms(15) >= 50.0, "90th percentile {} ms", ms(15));
}

/// The first request a `loadgate run` sends, as bytes on the wire: a listener on 127.0.0.1 takes
/// one connection, keeps what arrives up to the blank line, and answers every request with 200.
fn first_request_sent(args: &[&str]) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("http://{}/p", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
        while let Ok(n @ 1..) = socket.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
            for _ in 0..buf[..n].windows(4).filter(|w| w == b"\r\n\r\n").count() {
                if socket.write_all(ok).is_err() {
                    break;
                }
            }
        }
        let end = seen.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        String::from_utf8(seen[..end].to_vec()).unwrap()
    });
    let mut all = vec!["--host", host.as_str(), "-u", "1", "-t", "1s"];
    all.extend_from_slice(args);
    let output = run(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    server.join().unwrap()
}

#[test]
fn header_flags_shape_the_request_on_the_wire() {
    let port_of = |request: &str| request.lines().nth(1).unwrap().to_string();
    let default = first_request_sent(&[]);
    let host_line = port_of(&default);
    assert!(host_line.starts_with("host: 127.0.0.1:"), "{default:?}");
    assert_eq!(
        default,
        format!(
            "GET /p HTTP/1.1\r\n{host_line}\r\nuser-agent: loadgate/{}\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    // wrk's request: the user-agent dropped, nothing else changed.
    let bare = first_request_sent(&["--header", "User-Agent:"]);
    assert_eq!(
        bare,
        format!("GET /p HTTP/1.1\r\n{}\r\n\r\n", port_of(&bare))
    );
    let own = first_request_sent(&["--header", "User-Agent: probe/2", "--header", "X-Key: k"]);
    assert!(
        own.ends_with("\r\nuser-agent: probe/2\r\nx-key: k\r\n\r\n"),
        "{own:?}"
    );
    assert_eq!(own.matches("user-agent").count(), 1, "{own:?}");
    let output = run(&[
        "--host",
        "http://127.0.0.1:9",
        "--header",
        "no colon",
        "-t",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--header 'no colon'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_scenarios_and_schemes_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("typo.toml");
    std::fs::write(&scenario, "[[task]]\npath = \"/\"\nwieght = 3\n").unwrap();
    let output = run(&args![
        "--host",
        "http://127.0.0.1:9",
        "-f",
        scenario,
        "-t",
        "1s",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("typo.toml") && stderr(&output).contains("wieght"),
        "{}",
        stderr(&output)
    );
    let output = run(&["--host", "ftp://127.0.0.1", "-t", "1s"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unsupported scheme 'ftp'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn https_targets_are_loaded_and_untrusted_certificates_fail() {
    let mut child = common::command()
        .args(["target", "--tls", "--run-time", "30s"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let dir = tempfile::tempdir().unwrap();
    let trusted = dir.path().join("tls");
    let output = run(&args![
        "--host",
        &format!("{url}/fast"),
        "-u",
        "2",
        "-t",
        "2s",
        "--insecure",
        "--csv",
        trusted,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let total = stats_rows(&trusted).last().unwrap().clone();
    assert!(total[2].parse::<u64>().unwrap() > 10);
    assert_eq!(&total[3], "0", "no failures over TLS");
    // Without --insecure the self-signed certificate is refused, request by request.
    let untrusted = dir.path().join("untrusted");
    let output = run(&args![
        "--host",
        &format!("{url}/fast"),
        "-u",
        "1",
        "-t",
        "1s",
        "--csv",
        untrusted,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let failures = std::fs::read_to_string(dir.path().join("untrusted_failures.csv")).unwrap();
    assert!(
        failures.contains("SSLError('invalid peer certificate: UnknownIssuer')"),
        "{failures}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_demo_writes_the_whole_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let output = loadgate(args!["demo", "--out", out, "-t", "3s", "-u", "5",]);
    assert!(output.status.success(), "{}", stderr(&output));
    for file in [
        "demo_stats.csv",
        "demo_stats_history.csv",
        "demo_failures.csv",
        "demo_exceptions.csv",
        "report.json",
        "summary.md",
        "junit.xml",
        "demo-scenario.toml",
        "charts/endpoints.png",
        "charts/throughput.png",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "fail");
    assert!(report["aggregated"]["requests"].as_u64().unwrap() > 50);
    assert!(String::from_utf8_lossy(&output.stdout).contains("Verdict: FAIL"));
    // The saved scenario is what ran: run as it is, it repeats the demo's 3 s with 5 users.
    let saved = std::fs::read_to_string(out.join("demo-scenario.toml")).unwrap();
    assert!(
        saved.contains("\nusers = 5\n") && saved.contains("\nrun_time = \"3s\"\n"),
        "{saved}"
    );
}

/// `--json-file` carries Locust's per-second dictionaries, `num_reqs_per_sec` and
/// `num_fail_per_sec` (Unix second → count), that add up to each endpoint's totals, lie within the
/// run, and agree with the CSV written in the same run.
#[test]
fn the_json_file_counts_requests_and_failures_per_second() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("persec");
    let scenario = fixture("../scenarios/demo.toml");
    let output = run(&args![
        "--host",
        &target.url,
        "-f",
        scenario,
        "-u",
        "4",
        "-t",
        "3s",
        "--csv",
        prefix,
        "--json-file",
        prefix,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("persec.json")).unwrap())
            .unwrap();
    let csv_rows = stats_rows(&prefix);
    let mut failing_seconds = 0;
    for entry in json.as_array().unwrap() {
        let name = entry["name"].as_str().unwrap();
        let start = entry["start_time"].as_f64().unwrap().floor() as i64;
        let end = entry["last_request_timestamp"].as_f64().unwrap().floor() as i64;
        let sum = |field: &str| -> u64 {
            let counts = entry[field].as_object().unwrap();
            for (second, count) in counts {
                let second: i64 = second.parse().expect("keys are Unix seconds");
                assert!((start..=end).contains(&second), "{name} {field} {second}");
                assert!(count.as_u64().unwrap() > 0, "no zero counts, as Locust's");
            }
            counts.values().map(|c| c.as_u64().unwrap()).sum()
        };
        assert_eq!(
            sum("num_reqs_per_sec"),
            entry["num_requests"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            sum("num_fail_per_sec"),
            entry["num_failures"].as_u64().unwrap(),
            "{name}"
        );
        failing_seconds += entry["num_fail_per_sec"].as_object().unwrap().len();
        let row = csv_rows.iter().find(|r| &r[1] == name).unwrap();
        assert_eq!(
            row[2].parse::<u64>().unwrap(),
            entry["num_requests"].as_u64().unwrap()
        );
    }
    let fast = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "/fast")
        .unwrap();
    assert!(
        fast["num_reqs_per_sec"].as_object().unwrap().len() >= 3,
        "a 3 s run spans at least three seconds: {}",
        fast["num_reqs_per_sec"]
    );
    assert!(failing_seconds > 0, "/error and /limited fail");
}
