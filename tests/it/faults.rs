//! The generator under faults, all on 127.0.0.1: a target that refuses, resets, stalls past the
//! timeout, answers garbage, or closes mid-body. Each must become recorded failures with a clear
//! message, the run must end on time, and the CSVs must be complete and readable.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{loadgate, stderr};

#[derive(Clone, Copy)]
enum Fault {
    /// Close without reading the request: the kernel answers with a reset.
    Reset,
    /// Read the request and never answer.
    Stall,
    /// Answer with bytes that are not HTTP.
    Garbage,
    /// Promise 100 bytes of body, send 3, close.
    CloseMidBody,
}

/// A misbehaving server on an ephemeral port; stops when dropped.
struct FaultServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl FaultServer {
    fn start(fault: Fault) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let flag = flag.clone();
                        std::thread::spawn(move || misbehave(stream, fault, flag));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultServer { port, stop }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_request(stream: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.read(&mut buf);
}

fn misbehave(mut stream: TcpStream, fault: Fault, stop: Arc<AtomicBool>) {
    match fault {
        Fault::Reset => {
            // Unread data in the receive buffer turns the close into a RST.
            std::thread::sleep(Duration::from_millis(20));
        }
        Fault::Stall => {
            read_request(&mut stream);
            let until = Instant::now() + Duration::from_secs(10);
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Fault::Garbage => {
            read_request(&mut stream);
            let _ = stream.write_all(b"this is not http at all\r\n\r\n");
        }
        Fault::CloseMidBody => {
            read_request(&mut stream);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc");
        }
    }
}

/// Runs the generator for 2 s against `port` and checks what every fault must give.
fn run_against(port: u16, dir: &Path) -> String {
    let prefix = dir.join("fault");
    let started = Instant::now();
    let output = loadgate(args![
        "run",
        "--quiet",
        "--host",
        &format!("http://127.0.0.1:{port}/x"),
        "-u",
        "3",
        "-t",
        "2s",
        "--timeout",
        "300ms",
        "--csv",
        prefix,
    ]);
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    // A hang would be far longer than this; the margin is for a machine busy with other builds.
    assert!(
        elapsed < Duration::from_millis(6000),
        "the run ends on time: {elapsed:?}"
    );
    for kind in ["stats", "stats_history", "failures", "exceptions"] {
        assert!(
            dir.join(format!("fault_{kind}.csv")).is_file(),
            "{kind} written"
        );
    }
    let check = loadgate(args!["check", prefix, "--format", "json"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let requests = report["aggregated"]["requests"].as_u64().unwrap();
    assert!(requests > 0);
    assert_eq!(
        report["aggregated"]["failures"].as_u64().unwrap(),
        requests,
        "every request failed"
    );
    std::fs::read_to_string(dir.join("fault_failures.csv")).unwrap()
}

#[test]
fn a_reset_is_a_recorded_failure() {
    let server = FaultServer::start(Fault::Reset);
    let dir = tempfile::tempdir().unwrap();
    let failures = run_against(server.port, dir.path());
    assert!(
        failures.contains("ConnectionResetError") || failures.contains("RemoteDisconnected"),
        "{failures}"
    );
}

#[test]
fn a_stall_past_the_timeout_is_a_recorded_failure() {
    let server = FaultServer::start(Fault::Stall);
    let dir = tempfile::tempdir().unwrap();
    let failures = run_against(server.port, dir.path());
    assert!(
        failures.contains("ReadTimeout('no complete response within 0.3 s')"),
        "{failures}"
    );
}

#[test]
fn garbage_is_a_recorded_failure() {
    let server = FaultServer::start(Fault::Garbage);
    let dir = tempfile::tempdir().unwrap();
    let failures = run_against(server.port, dir.path());
    assert!(failures.contains("BadStatusLine"), "{failures}");
}

#[test]
fn a_close_mid_body_is_a_recorded_failure() {
    let server = FaultServer::start(Fault::CloseMidBody);
    let dir = tempfile::tempdir().unwrap();
    let failures = run_against(server.port, dir.path());
    assert!(
        failures.contains("IncompleteRead('the connection closed before the whole body arrived')"),
        "{failures}"
    );
}
