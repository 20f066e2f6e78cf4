//! Helpers shared by the integration tests: run the real binary on real fixtures.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The binary as a command, in the environment every test starts from: no colour, not on GitHub
/// Actions. Tests add arguments, variables and pipes of their own.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_loadgate"));
    command.env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
    command
}

pub fn loadgate(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}

/// Runs the binary with a stdout whose reader is already gone: every write to it fails with
/// a broken pipe, as when `loadgate check RUN | head -1` has read its line.
pub fn loadgate_into_closed_pipe(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    command()
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `check --format json` and parses the report.
pub fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let output = loadgate(&all);
    let code = output.status.code().expect("exit code");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&output), stderr(&output)));
    (code, json)
}

/// Reads a CSV fixture's rows (header excluded) with the csv crate, independently of loadgate.
pub fn csv_rows(rel: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(fixture(rel)).expect("fixture exists");
    reader.records().map(|r| r.expect("valid row")).collect()
}

/// The bundled target (`loadgate target`) on a free port of 127.0.0.1, stopped when dropped (and
/// by itself after a minute).
pub struct Target {
    child: std::process::Child,
    pub url: String,
}

impl Target {
    pub fn start() -> Target {
        Target::start_with(&[])
    }

    /// With `target`'s own flags (`--slowdown 2`, …).
    pub fn start_with(extra: &[&str]) -> Target {
        use std::io::BufRead;
        let mut child = command()
            .args(["target", "--run-time", "60s", "--port", "0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the target starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the target prints its URL");
        Target {
            child,
            url: line.trim().to_string(),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
