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

/// A project with a `.git` (its root) holding `config`; returns (tempdir, the root).
fn repository(config: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(repo.join("loadgate.toml"), config).unwrap();
    (dir, repo)
}

fn json_of(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)))
}

#[test]
fn discovery_stops_at_the_repository_root_and_at_home() {
    // A config above the repository would make every run fail (p95 ≤ 1 ms): it must not apply.
    let (dir, repo) = repository("");
    std::fs::remove_file(repo.join("loadgate.toml")).unwrap();
    std::fs::write(
        dir.path().join("strict.toml"),
        "name = \"strict\"\n[thresholds]\np95 = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("loadgate.toml"),
        "profile = \"strict.toml\"\n",
    )
    .unwrap();
    let run = fixture("compare/same-1");
    let output = run_in(&repo.join("sub"), &args!["check", run]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&run_in(&repo.join("sub"), &["config"]));
    assert!(text.contains("config file: none found"), "{text}");
    // Without the .git, the same file applies (the search goes on upwards)...
    std::fs::remove_dir(repo.join(".git")).unwrap();
    let output = run_in(&repo.join("sub"), &args!["check", run]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // ...unless the user's home lies between.
    let output = command()
        .current_dir(repo.join("sub"))
        .env("HOME", &repo)
        .args(args!["check", run])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn every_command_names_the_config_it_used_in_its_notes() {
    let (_dir, repo) = repository("profile = \"light\"\n");
    let (a, b) = (fixture("compare/same-1"), fixture("compare/same-2"));
    let config = repo.join("loadgate.toml").display().to_string();
    let note = format!("config: {config}");
    let (a, b) = (a.display().to_string(), b.display().to_string());
    for args in [vec!["check", &a], vec!["compare", &a, &b]] {
        let table = stdout(&run_in(&repo.join("sub"), &args));
        assert!(table.contains(&note), "{args:?}: {table}");
        let output = run_in(
            &repo.join("sub"),
            &[&args[..], &["--format", "json"]].concat(),
        );
        let json = json_of(&output);
        assert_eq!(json["profile"]["name"], "light", "{args:?}");
        let notes = json["notes"].as_array().unwrap();
        assert_eq!(notes[0], note.as_str(), "{args:?}: {notes:?}");
    }
    let output = run_in(
        &repo.join("sub"),
        &args!["history", fixture("compare"), "--format", "json"],
    );
    let json = json_of(&output);
    assert_eq!(json["notes"][0], note.as_str(), "{json}");
}

#[test]
fn compare_ab_and_baseline_save_if_pass_take_the_profile_from_the_config() {
    let (_dir, repo) = repository("profile = \"strict.toml\"\nstore = \"store\"\n");
    std::fs::write(
        repo.join("strict.toml"),
        "name = \"strict\"\n[thresholds]\np95 = 1\n",
    )
    .unwrap();
    let (a, b) = (fixture("compare/same-1"), fixture("compare/same-2"));
    let sub = repo.join("sub");
    let output = run_in(&sub, &args!["compare", a, b, "--format", "json"]);
    assert_eq!(json_of(&output)["profile"]["name"], "strict");
    // --if-pass judges with the config's profile: the strict one fails the run, nothing saved.
    let output = run_in(
        &sub,
        &args!["baseline", "save", a, "--name", "main", "--if-pass"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("not saved") && text.contains("profile strict"),
        "{text}"
    );
    assert!(
        text.starts_with(&format!("config: {}", repo.join("loadgate.toml").display())),
        "{text}"
    );
    // Without --if-pass it saves, into the config's store (beside the file).
    let output = run_in(&sub, &args!["baseline", "save", a, "--name", "main"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        repo.join("store/main.json").is_file(),
        "{}",
        stdout(&output)
    );
    let list = stdout(&run_in(&sub, &["baseline", "list"]));
    assert!(list.contains("main"), "{list}");
    // ab reads the config's profile before any load runs: a broken one costs no run.
    std::fs::write(
        repo.join("strict.toml"),
        "name = \"strict\"\n[thresholds]\np95 = \"x\"\n",
    )
    .unwrap();
    let output = run_in(
        &sub,
        &args![
            "ab",
            "--a",
            "http://127.0.0.1:9",
            "--b",
            "http://127.0.0.1:9",
            "-t",
            "1s"
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("strict.toml") && err.contains("the profile named by"),
        "{err}"
    );
}

#[test]
fn require_baseline_honours_the_baseline_named_in_the_config() {
    let (_dir, repo) = repository("baseline = \"main\"\nstore = \"store\"\n");
    let run = fixture("compare/same-1");
    let sub = repo.join("sub");
    let output = run_in(&sub, &args!["check", run, "--require-baseline"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("no baseline 'main'"),
        "{}",
        stderr(&output)
    );
    assert!(
        run_in(&sub, &args!["baseline", "save", run, "--name", "main"])
            .status
            .success()
    );
    let output = run_in(
        &sub,
        &args!["check", run, "--require-baseline", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json_of(&output)["baseline"]["compared"], true);
    // Without any baseline to require, it says so rather than passing silently.
    std::fs::write(repo.join("loadgate.toml"), "").unwrap();
    let output = run_in(&sub, &args!["check", run, "--require-baseline"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no baseline to require"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn errors_quote_a_short_excerpt_and_never_a_file_that_is_not_toml() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "SECRET_TOKEN=hunter2";
    std::fs::write(dir.path().join("environ"), format!("HOME=/x\0{secret}\0")).unwrap();
    std::fs::write(
        dir.path().join("passwd"),
        format!("root:x:0:0:{secret}:/root:/bin/sh\n"),
    )
    .unwrap();
    let run = fixture("compare/same-1");
    for (config, what) in [
        ("profile = \"environ\"\n", "not a loadgate profile"),
        ("profile = \"passwd\"\n", "not a loadgate profile"),
    ] {
        std::fs::write(dir.path().join("loadgate.toml"), config).unwrap();
        let output = run_in(dir.path(), &args!["check", run]);
        assert_eq!(output.status.code(), Some(2));
        let err = stderr(&output);
        assert!(err.contains(what), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("HOME="), "{err}");
    }
    std::fs::remove_file(dir.path().join("loadgate.toml")).unwrap();
    let passwd = dir.path().join("passwd");
    let output = run_in(dir.path(), &args!["check", run, "--baseline", passwd]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("not a loadgate baseline") && !err.contains("hunter2"),
        "{err}"
    );
    // A TOML file with a bad line: its line and column, at most ~80 characters of it.
    let long = format!(
        "name = \"x\"\n[thresholds]\np95 = {}\n",
        "9".repeat(5000) + " x"
    );
    std::fs::write(dir.path().join("long.toml"), long).unwrap();
    let output = run_in(dir.path(), &args!["check", run, "--profile", "long.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("long.toml:3:"), "{err}");
    assert!(err.len() < 400, "{} bytes: {err}", err.len());
}

#[test]
fn a_mistyped_profile_name_in_the_config_lists_the_built_ins() {
    let (_dir, repo) = repository("profile = \"meduim\"\n");
    let output = run_in(
        &repo.join("sub"),
        &args!["check", fixture("compare/same-1")],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("unknown profile 'meduim'") && err.contains("medium"),
        "{err}"
    );
    assert!(err.contains("loadgate.toml: profile"), "{err}");
}
