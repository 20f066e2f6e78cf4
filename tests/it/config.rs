//! Project defaults for `check` from `loadgate.toml` or `[tool.loadgate]` in pyproject.toml, found
//! from the current directory upwards; flags override them; `loadgate config` says where each
//! value came from. Real files in a temporary project, the real binary run inside it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use crate::common::{command, fixture, stderr, stdout};

fn run_in<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Output {
    command()
        .current_dir(dir)
        .env_remove("LOADGATE_BASELINE_DIR")
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A project whose pyproject.toml gates with a strict profile of its own, writes the HTML page and
/// the JSON report, and loosens one regression rule; the check runs from a subdirectory.
fn project() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("perf/results")).unwrap();
    std::fs::write(
        root.path().join("pyproject.toml"),
        r#"[project]
name = "shop"
version = "1.0"

[tool.loadgate]
profile = "perf/strict.toml"
html = "reports/loadgate.html"
json = "reports/loadgate.json"

[tool.loadgate.regression]
p95 = 0.5
"#,
    )
    .unwrap();
    std::fs::write(
        root.path().join("perf/strict.toml"),
        "name = \"strict\"\n[thresholds]\np95 = 1\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.path().join("reports")).unwrap();
    root
}

#[test]
fn check_takes_its_defaults_from_pyproject_found_upwards() {
    let root = project();
    let run = fixture("compare/same-1");
    let output = run_in(&root.path().join("perf/results"), &args!["check", run]);
    // p95 of at most 1 ms fails any real run: the project's profile is the one in force.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.path().join("reports/loadgate.json")).unwrap())
            .unwrap();
    assert_eq!(json["profile"]["name"], "strict");
    let source = json["profile"]["source"].as_str().unwrap();
    // The profile's path beside the file, the file's regression rule laid over it.
    assert!(source.contains("perf/strict.toml + "), "{source}");
    assert!(
        source.ends_with("pyproject.toml: tool.loadgate.regression"),
        "{source}"
    );
    let html = std::fs::read_to_string(root.path().join("reports/loadgate.html")).unwrap();
    assert!(html.contains("<title>loadgate check: FAIL</title>"));
}

#[test]
fn flags_override_the_file() {
    let root = project();
    let run = fixture("compare/same-1");
    let mine = root.path().join("mine.html");
    let output = run_in(
        root.path(),
        &args!["check", run, "--profile", "default", "--html", mine],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(mine.exists());
    assert!(!root.path().join("reports/loadgate.html").exists());
    // The file's other settings still apply.
    assert!(root.path().join("reports/loadgate.json").exists());
}

#[test]
fn loadgate_toml_beats_the_pyproject_beside_it() {
    let root = project();
    std::fs::write(root.path().join("loadgate.toml"), "profile = \"light\"\n").unwrap();
    let output = run_in(root.path(), &["config"]);
    let text = stdout(&output);
    assert!(text.contains("config file: "), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("profile")
            && l.contains("light")
            && l.contains("loadgate.toml: profile")),
        "{text}"
    );
    assert!(!text.contains("pyproject"), "{text}");
}

#[test]
fn config_says_where_each_value_came_from() {
    let root = project();
    let output = run_in(&root.path().join("perf"), &["config", "--junit", "j.xml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_string()
    };
    assert!(line("profile").contains("strict.toml"), "{text}");
    assert!(
        line("profile").ends_with("pyproject.toml: tool.loadgate.profile"),
        "{text}"
    );
    assert!(line("html").ends_with("tool.loadgate.html"), "{text}");
    assert!(line("junit").ends_with("# flag"), "{text}");
    assert!(line("markdown").ends_with("# default"), "{text}");
    assert!(line("regression.p95").contains("0.5"), "{text}");
}

#[test]
fn an_unknown_key_is_an_error_naming_the_file_and_the_key() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("loadgate.toml"),
        "profile = \"light\"\nhmtl = \"x.html\"\n",
    )
    .unwrap();
    let run = fixture("compare/same-1");
    let output = run_in(root.path(), &args!["check", run]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("loadgate.toml") && err.contains("hmtl"),
        "{err}"
    );
    assert!(err.contains("line 2"), "{err}");
    let rules = root.path().join("loadgate.toml");
    std::fs::write(&rules, "[trend]\nlatency_increse = 0.3\n").unwrap();
    let output = run_in(root.path(), &args!["check", run]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("loadgate.toml: trend") && err.contains("latency_increse"),
        "{err}"
    );
}
