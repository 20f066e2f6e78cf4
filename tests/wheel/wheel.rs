//! The Python wheel (pyproject.toml, maturin `bindings = "bin"`): built from this tree, installed into
//! a fresh virtual environment beside Locust, it puts a working `loadgate` on PATH; a real Locust run
//! made in that environment against the wheel's own demo target on 127.0.0.1 is gated by the
//! installed binary. Needs Python, maturin and PyPI (for Locust): skipped without them, failing
//! under CI (python.rs). The sdist test needs only maturin.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::python::{self, output_bounded, Tools, Venv};
use serde_json::Value;

const LOCUSTFILE: &str = r#"
from locust import HttpUser, constant, task


class WheelUser(HttpUser):
    wait_time = constant(0.05)

    @task(6)
    def fast(self):
        self.client.get("/fast")

    @task(3)
    def item(self):
        self.client.get("/items/7", name="/items/[id]")

    @task(1)
    def error(self):
        self.client.get("/error")
"#;

/// The demo target's /error always answers 500: expected here, so the rest of the run can pass.
const PROFILE: &str = r#"
name = "wheel-test"
description = "tests/wheel/wheel.rs: the demo target's clean endpoints, /error expected to fail"

[gate]
warn = "poor"
fail = "critical"
min_requests = 1

[thresholds]
p95 = 1000
error_rate = 0.05

[[expected_failure]]
status = 500
name = "/error"
reason = "the demo target's /error always answers 500"
"#;

fn python_zip_listing(python: &Path, wheel: &Path) -> (Vec<String>, String) {
    let script = "import sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  names = z.namelist()\n\
                  meta = [n for n in names if n.endswith('.dist-info/METADATA')][0]\n\
                  print('\\n'.join(names))\n\
                  print('--METADATA--')\n\
                  print(z.read(meta).decode())\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(wheel)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (names, meta) = text.split_once("--METADATA--\n").unwrap();
    (
        names.lines().map(str::to_string).collect(),
        meta.to_string(),
    )
}

#[test]
fn the_wheel_installs_loadgate_beside_locust_and_gates_a_real_locust_run() {
    let Some(tools) = Tools::find() else { return };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION");

    // 1. The wheel: a py3-none-<platform> wheel carrying only the binary, with the project's metadata.
    let wheel = tools.build_wheel(&dir.path().join("dist"));
    let built = started.elapsed();
    let file_name = wheel.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        file_name.starts_with(&format!("loadgate-{version}-py3-none-")),
        "{file_name}"
    );
    let (names, metadata) = python_zip_listing(Path::new(&tools.python), &wheel);
    let script = format!(
        "loadgate-{version}.data/scripts/loadgate{}",
        std::env::consts::EXE_SUFFIX
    );
    assert!(names.contains(&script), "{names:#?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with(&format!("loadgate-{version}."))),
        "nothing but the binary and the metadata: {names:#?}"
    );
    for line in [
        "Name: loadgate".to_string(),
        format!("Version: {version}"),
        format!("License-Expression: {}", env!("CARGO_PKG_LICENSE")),
        "Requires-Python: >=3.8".to_string(),
        format!("Summary: {}", env!("CARGO_PKG_DESCRIPTION")),
        "Classifier: Programming Language :: Rust".to_string(),
    ] {
        assert!(metadata.lines().any(|l| l == line), "{line} in\n{metadata}");
    }
    assert!(metadata.contains("Description-Content-Type: text/markdown"));
    assert!(
        metadata.contains("# loadgate"),
        "the README is the long description"
    );

    // 2. A fresh virtual environment with Locust and the wheel, and nothing of cargo's on PATH.
    let venv = Venv::create(&tools.python, &dir.path().join("venv"));
    venv.install(&tools.python, &[OsStr::new("locust"), wheel.as_os_str()]);
    let installed = started.elapsed();
    let loadgate = venv.exe("loadgate");
    let locust = venv.exe("locust");
    assert!(loadgate.is_file() && locust.is_file());
    let path = std::env::join_paths([venv.bin_dir()]).unwrap();
    let out = Command::new("loadgate")
        .arg("--version")
        .env("PATH", &path)
        .output()
        .expect("loadgate is on the venv's PATH");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("loadgate {version}")
    );

    // Locust's first start compiles its modules; done here, the timed run below starts in a
    // fraction of the time, and alone (python::locust_alone says why).
    let warm = output_bounded(
        Command::new(&locust).arg("--version").env("PATH", &path),
        Duration::from_secs(120),
    );
    assert!(warm.status.success(), "locust --version: {warm:?}");
    let _alone = python::locust_alone();

    // 3. The wheel's own demo target on 127.0.0.1 (an ephemeral port, stops by itself after 30 s).
    let mut target = Command::new(&loadgate)
        .args(["target", "-t", "30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(target.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    // 4. A real Locust run in the venv: 5 users, 5 s, bounded.
    let run_dir = dir.path().join("results");
    std::fs::create_dir(&run_dir).unwrap();
    let locustfile = dir.path().join("locustfile.py");
    std::fs::write(&locustfile, LOCUSTFILE).unwrap();
    let prefix = run_dir.join("run");
    let locust_out = output_bounded(
        Command::new(&locust)
            .arg("-f")
            .arg(&locustfile)
            .args([
                "--headless",
                "-u",
                "5",
                "-r",
                "5",
                "-t",
                "5s",
                "--host",
                &url,
            ])
            .args(["--exit-code-on-error", "0", "--only-summary", "--csv"])
            .arg(&prefix)
            .arg("--csv-full-history")
            .env("PATH", &path)
            .current_dir(dir.path()),
        Duration::from_secs(90),
    );
    let _ = target.kill();
    let _ = target.wait();
    assert!(
        locust_out.status.success(),
        "locust: {}\n{}",
        String::from_utf8_lossy(&locust_out.stdout),
        String::from_utf8_lossy(&locust_out.stderr)
    );
    let ran = started.elapsed();
    for part in ["stats", "stats_history", "failures", "exceptions"] {
        assert!(
            run_dir.join(format!("run_{part}.csv")).is_file(),
            "Locust wrote run_{part}.csv"
        );
    }

    // 5. The installed loadgate gates it. The default profile: /error's 500s fail the gate.
    let check = |extra: &[&OsStr]| {
        let out = Command::new(&loadgate)
            .arg("check")
            .arg(&prefix)
            .args(["--format", "json"])
            .args(extra)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), report)
    };
    let json_file = dir.path().join("report.json");
    let md_file = dir.path().join("summary.md");
    let html_file = dir.path().join("report.html");
    let (code, report) = check(&[
        OsStr::new("--json"),
        json_file.as_os_str(),
        OsStr::new("--markdown"),
        md_file.as_os_str(),
        OsStr::new("--html"),
        html_file.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{report:#}");
    // The README's page in the browser: the installed binary writes it too.
    let page = std::fs::read_to_string(&html_file).unwrap();
    assert!(page.contains("<title>loadgate check: FAIL</title>"));
    assert!(page.contains("data:image/png;base64,"));
    assert_eq!(report["verdict"], "fail");
    assert_eq!(
        report["schema_version"], 2,
        "the JSON report's schema (docs/json-report.md)"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    assert_eq!(written, report, "--json writes what --format json prints");
    assert!(std::fs::read_to_string(&md_file)
        .unwrap()
        .starts_with("## ❌ loadgate: FAIL"));
    let endpoints: Vec<String> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap(),
                e["name"].as_str().unwrap()
            )
        })
        .collect();
    for name in ["GET /fast", "GET /items/[id]", "GET /error"] {
        assert!(
            endpoints.iter().any(|e| e == name),
            "{name} in {endpoints:?}; locust said:\n{}\n{}",
            String::from_utf8_lossy(&locust_out.stdout),
            String::from_utf8_lossy(&locust_out.stderr)
        );
    }
    let requests = report["aggregated"]["requests"].as_u64().unwrap();
    let failures = report["aggregated"]["failures"].as_u64().unwrap();
    // 5 users, one request per ~50 ms each, for 5 s: hundreds on a quiet machine; a loaded CI
    // runner may spend seconds starting Locust, so only ask for real load on all three endpoints.
    assert!(requests >= 30, "{requests} requests");
    assert!(
        failures > 0 && failures < requests,
        "{failures} of {requests}"
    );
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail"
                && c["metric"] == "error_rate"
                && c["scope"].as_str().unwrap_or_default().contains("/error")),
        "the /error endpoint's error rate fails: {:#}",
        report["checks"]
    );

    // With /error's 500s expected, the same run passes (exit 0).
    let profile = dir.path().join("wheel-test.toml");
    std::fs::write(&profile, PROFILE).unwrap();
    let (code, report) = check(&[OsStr::new("--profile"), profile.as_os_str()]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_ne!(report["verdict"], "fail");
    assert_eq!(report["profile"]["name"], "wheel-test");
    assert!(
        report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["expected"] == true),
        "{:#}",
        report["failures"]
    );

    eprintln!(
        "wheel built in {:.1?}, venv with locust in {:.1?}, locust run in {:.1?}, all {:.1?}",
        built,
        installed - built,
        ran - installed,
        started.elapsed()
    );
}

/// Every file the build embeds (include_str!/include_bytes! anywhere under src/) is in the sdist,
/// so `pip install loadgate` builds from source where no wheel fits. Found by reading src/, so the
/// test follows the code as it moves.
#[test]
fn the_sdist_holds_everything_the_build_embeds() {
    let Some(tools) = Tools::find() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = tools
        .maturin()
        .args(["sdist", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdist = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("an sdist");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        sdist.ends_with(format!("loadgate-{version}.tar.gz")),
        "{sdist:?}"
    );
    let listing = Command::new(python::python())
        .args([
            "-c",
            "import sys, tarfile; print('\\n'.join(tarfile.open(sys.argv[1]).getnames()))",
        ])
        .arg(&sdist)
        .output()
        .unwrap();
    assert!(listing.status.success());
    let top = format!("loadgate-{version}/");
    let names: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix(&top).map(str::to_string))
        .collect();

    let mut embedded = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension() == Some(OsStr::new("rs")) {
                let text = std::fs::read_to_string(&path).unwrap();
                for macro_name in ["include_str!(\"", "include_bytes!(\""] {
                    for (at, _) in text.match_indices(macro_name) {
                        let rest = &text[at + macro_name.len()..];
                        let rel = &rest[..rest.find('"').unwrap()];
                        let file = path.parent().unwrap().join(rel).canonicalize().unwrap();
                        let rel = file.strip_prefix(root.canonicalize().unwrap()).unwrap();
                        embedded.push(rel.to_string_lossy().replace('\\', "/"));
                    }
                }
            }
        }
    }
    assert!(
        embedded.iter().any(|f| f.starts_with("thresholds/"))
            && embedded.iter().any(|f| f.starts_with("assets/")),
        "found the embedded files: {embedded:?}"
    );
    for needed in embedded.iter().map(String::as_str).chain([
        "Cargo.toml",
        "Cargo.lock",
        "pyproject.toml",
        "README.md",
        "src/main.rs",
    ]) {
        assert!(
            names.iter().any(|n| n == needed),
            "{needed} missing from the sdist"
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with("fixtures/")),
        "fixtures stay out of the sdist"
    );
}
