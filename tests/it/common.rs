//! Helpers shared by the integration tests: run the real binary on real fixtures; find the external
//! tools and the shared corpus of other projects' files that some tests need.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: impl AsRef<Path>) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// A command line's arguments, each as it is: `&str`, `String`, `Path` or `PathBuf`
/// (`loadgate(args!["check", dir.path().join("run"), "--format", "json"])`). Paths reach the
/// binary as OS strings, so no test needs `to_str().unwrap()` to pass one.
#[allow(unused_macros)] // tests/wheel/ shares this file and passes no paths this way
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        [$(::std::convert::AsRef::<::std::ffi::OsStr>::as_ref(&$arg)),*]
    };
}

/// Whether this is CI (`CI=true`, as GitHub Actions and `.ci/run` set it). There every test runs:
/// a missing tool or corpus fails the test instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Something the test needs is missing. Under CI the test fails; elsewhere it prints
/// `skipped: TEST: WHAT; HOW_TO_ENABLE` to stderr and the caller returns, so that `cargo test`
/// passes on a machine with only Rust and Python. The one place that decides between skipping and
/// failing.
pub fn missing(what: &str, how_to_enable: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if in_ci() {
        panic!("{what}; {how_to_enable} (CI=true: nothing is skipped)");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!`, and shows it only
    // for a failed test, so the line would never be seen.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test}: {what}; {how_to_enable}"
    );
}

/// The program `name` on PATH (or `name` itself when it is a path), if there is one.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let given = Path::new(name);
    if given.components().count() > 1 {
        return given.is_file().then(|| given.to_path_buf());
    }
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(&file))
        .find(|p| p.is_file())
}

/// An external tool the test needs (`require_tool("promtool", "apt-get install prometheus")`):
/// its path, or None once [`missing`] has reported it (the test then returns, skipped).
pub fn require_tool(name: &str, how_to_enable: &str) -> Option<PathBuf> {
    let found = find_tool(name);
    if found.is_none() {
        missing(&format!("{name} not found"), how_to_enable);
    }
    found
}

/// Other projects' result files, read in place from `../shared/` beside the repository, never
/// copied into it (fixtures/README.md): `shared("wild/xfj__quoted-v10-gbk")` is that set's
/// directory. None once [`missing`] has reported a clone without the folder; a set missing from
/// a folder that is there fails the test (renamed or removed: the test must follow).
pub fn shared(rel: impl AsRef<Path>) -> Option<PathBuf> {
    let base = root()
        .parent()
        .expect("the repository has a parent")
        .join("shared");
    if !base.is_dir() {
        missing(
            &format!("{} not found", base.display()),
            "these tests read other projects' result files in place: put the team's corpus \
             (wild/, wild2/) there",
        );
        return None;
    }
    let path = base.join(rel);
    assert!(
        path.exists(),
        "{} is not in the shared corpus (renamed or removed?)",
        path.display()
    );
    Some(path)
}

/// Held by the tests that load the machine or time it (an A/B run, the open model's rate): with
/// every test in one binary, two of them side by side on CI's two cores would be a busier machine
/// than their bounds allow for. The other tests run beside them.
pub fn one_load_at_a_time() -> MutexGuard<'static, ()> {
    static LOAD: Mutex<()> = Mutex::new(());
    LOAD.lock().unwrap_or_else(|e| e.into_inner())
}

/// A server process the test started (Prometheus, the Pushgateway, node_exporter), under coreutils'
/// `timeout` so that a crashed test cannot leave it behind, stopped (SIGTERM, then SIGKILL) when
/// dropped.
pub struct Server {
    child: std::process::Child,
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `program args` for at most `lifetime_s` seconds, its output in `log`, and waits (20 s
    /// at most) until `ready(port)` says it answers.
    pub fn start(
        program: &Path,
        args: &[String],
        port: u16,
        lifetime_s: &str,
        log: PathBuf,
        ready: impl Fn(u16) -> bool,
    ) -> Server {
        use std::time::{Duration, Instant};
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("timeout")
            .arg(lifetime_s)
            .arg(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("coreutils timeout runs");
        let server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if ready(port) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{} did not answer within 20 s:\n{}",
            program.display(),
            server.log_text()
        );
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        use std::time::{Duration, Instant};
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port of 127.0.0.1 (bound, read and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary as a command, in the environment every test starts from: no colour, not on GitHub
/// Actions. Tests add arguments, variables and pipes of their own.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_loadgate"));
    command.env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
    command
}

/// Runs the binary: `loadgate(["check", "run"])`, or `loadgate(args!["check", path])` with paths.
pub fn loadgate<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Output {
    command().args(args).output().expect("the binary runs")
}

/// Runs the binary with a stdout whose reader is already gone: every write to it fails with
/// a broken pipe, as when `loadgate check RUN | head -1` has read its line.
pub fn loadgate_into_closed_pipe<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> Output {
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
pub fn check_json<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(args: I) -> (i32, serde_json::Value) {
    let output = command()
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("the binary runs");
    let code = output.status.code().expect("exit code");
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&output), stderr(&output)));
    (code, json)
}

/// Every key of a JSON value's objects, at any depth (the JSON contract tests).
pub fn keys(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// Reads a CSV fixture's rows (header excluded) with the csv crate, independently of loadgate.
pub fn csv_rows(rel: impl AsRef<Path>) -> Vec<csv::StringRecord> {
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

/// The trends of a JSON report that are flagged (status not `pass`).
pub fn flagged_trends(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["trends"]
        .as_array()
        .expect("a report has trends[]")
        .iter()
        .filter(|t| t["status"] != "pass")
        .collect()
}
