//! Helpers for the tests that need Python: build loadgate's wheel with maturin and install it into a
//! fresh virtual environment (the `wheel` and `action` modules).
//!
//! They need a Python 3 with `venv` and pip >= 22.3, maturin, and pip reaching PyPI for Locust;
//! `.ci/run` installs maturin. Without Python's venv or maturin the tests are skipped, saying how to
//! install them, and fail under `CI=true` (common::missing). `LOADGATE_TEST_PYTHON` names the Python
//! (default `python3`, `python` on Windows).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::common::{find_tool, missing};

/// How to get maturin, the one tool these tests need beyond Python.
const MATURIN: &str = "pip install maturin==1.16.0 (.ci/run does)";

pub fn python() -> String {
    std::env::var("LOADGATE_TEST_PYTHON").unwrap_or_else(|_| {
        if cfg!(windows) {
            "python".into()
        } else {
            "python3".into()
        }
    })
}

fn answers(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The tools the wheel needs: a Python with venv and maturin.
pub struct Tools {
    pub python: String,
    maturin: Vec<String>,
}

impl Tools {
    /// The tools, or None once common::missing has reported what is missing (skipped; a failure
    /// under CI).
    pub fn find() -> Option<Tools> {
        let python = python();
        if !answers(&python, &["-c", "import venv, pip"]) {
            missing(
                &format!("`{python}` with the venv and pip modules not found"),
                "install Python 3 with venv and pip (Debian: apt-get install python3-venv), or name \
                 one in LOADGATE_TEST_PYTHON",
            );
            return None;
        }
        // maturin on PATH, else as a module of that Python (a pip install whose scripts are not
        // on PATH).
        let maturin = if let Some(path) = find_tool("maturin") {
            vec![path.display().to_string()]
        } else if answers(&python, &["-m", "maturin", "--version"]) {
            vec![python.clone(), "-m".into(), "maturin".into()]
        } else {
            missing("maturin not found", MATURIN);
            return None;
        };
        Some(Tools { python, maturin })
    }

    /// Builds loadgate's wheel into `out` and returns its path. maturin builds with the profile and
    /// target directory of the `cargo test` that runs this test (found from the test binary's path
    /// to loadgate), so the dependencies already compiled are reused: the first build relinks
    /// loadgate without the dev-dependencies' features (~20 s on 2 cores), later ones take ~1 s.
    pub fn build_wheel(&self, out: &Path) -> PathBuf {
        let bin = Path::new(env!("CARGO_BIN_EXE_loadgate"));
        let profile_dir = bin.parent().expect("target/<profile>");
        let target_dir = profile_dir.parent().expect("target");
        let profile = match profile_dir.file_name().and_then(OsStr::to_str) {
            Some("debug") | None => "dev",
            Some(other) => other,
        };
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut command = Command::new(&self.maturin[0]);
        // Without the variables that `cargo test` sets for its tests: build scripts watch some of
        // them (ring's reruns when CARGO_MANIFEST_DIR changes), and a changed one would rebuild
        // ring, rustls and loadgate on every run instead of reusing them.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name == "CARGO_MANIFEST_DIR"
                || name == "CARGO_MANIFEST_PATH"
                || name == "CARGO_CRATE_NAME"
                || name == "CARGO_PRIMARY_PACKAGE"
                || name == "CARGO_TARGET_TMPDIR"
                || name == "OUT_DIR"
                || name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_BIN_")
            {
                command.env_remove(&*name);
            }
        }
        let output = command
            .args(&self.maturin[1..])
            .args(["build", "--locked", "--profile", profile, "--manifest-path"])
            .arg(&manifest)
            .arg("--out")
            .arg(out)
            .env("CARGO_TARGET_DIR", target_dir)
            .output()
            .expect("maturin runs");
        assert!(
            output.status.success(),
            "maturin build failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let wheels: Vec<PathBuf> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension() == Some(OsStr::new("whl")))
            .collect();
        assert_eq!(
            wheels.len(),
            1,
            "one wheel in {}: {wheels:?}",
            out.display()
        );
        wheels.into_iter().next().unwrap()
    }

    pub fn maturin(&self) -> Command {
        let mut command = Command::new(&self.maturin[0]);
        command.args(&self.maturin[1..]);
        command
    }
}

/// A fresh virtual environment. Made without pip (seconds faster) and filled by the outer pip's
/// `--python` option (pip ≥ 22.3), without byte-compiling.
pub struct Venv {
    pub root: PathBuf,
}

impl Venv {
    pub fn create(python: &str, root: &Path) -> Venv {
        let status = Command::new(python)
            .args(["-m", "venv", "--without-pip"])
            .arg(root)
            .status()
            .expect("python runs");
        assert!(status.success(), "python -m venv {}", root.display());
        Venv {
            root: root.to_path_buf(),
        }
    }

    pub fn bin_dir(&self) -> PathBuf {
        self.root
            .join(if cfg!(windows) { "Scripts" } else { "bin" })
    }

    pub fn exe(&self, name: &str) -> PathBuf {
        self.bin_dir()
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    pub fn python(&self) -> PathBuf {
        self.exe("python")
    }

    /// `pip install` into this environment; panics with pip's output on failure.
    pub fn install(&self, outer_python: &str, packages: &[&OsStr]) {
        let output = Command::new(outer_python)
            .args(["-m", "pip", "--python"])
            .arg(self.python())
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-compile",
            ])
            .args(packages)
            .output()
            .expect("pip runs");
        assert!(
            output.status.success(),
            "pip install {packages:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Locust times `-t` on gevent's clock, which stands still while Locust imports its modules: on a
/// busy machine the import outlasts a few seconds' run time and the run ends before its first
/// request. So the wheel test's Locust run has the binary to itself ([`locust_alone`]), while
/// the action tests run beside each other ([`beside_other_actions`]).
static LOCUST: RwLock<()> = RwLock::new(());

pub fn locust_alone() -> RwLockWriteGuard<'static, ()> {
    LOCUST.write().unwrap_or_else(|e| e.into_inner())
}

pub fn beside_other_actions() -> RwLockReadGuard<'static, ()> {
    LOCUST.read().unwrap_or_else(|e| e.into_inner())
}

/// Waits for a child up to `limit`, killing it (by its own id) past that.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs a command to completion within `limit`, capturing its output.
pub fn output_bounded(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    // Drain both pipes on threads so that a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut buf).ok();
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut buf).ok();
        buf
    });
    let status = wait_bounded(&mut child, limit);
    Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    }
}
