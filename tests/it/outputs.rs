//! Markdown, JUnit XML and the GitHub Actions outputs of `check` and `compare`.

use crate::common::{self, fixture, loadgate, stderr, stdout};
use serde_json::Value;

fn run_with_files(extra: &[&str]) -> (tempfile::TempDir, Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("summary.md");
    let xml = dir.path().join("junit.xml");
    let mut args = vec![
        "check".to_string(),
        fixture("locust2/basic").display().to_string(),
        "--format".into(),
        "json".into(),
        "--markdown".into(),
        md.display().to_string(),
        "--junit".into(),
        xml.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = common::command()
        .args(&args)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (dir, report, output.status.code().unwrap())
}

#[test]
fn junit_has_one_testcase_per_check_and_a_failure_per_failed_check() {
    let (dir, report, _) = run_with_files(&[]);
    let text = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let checks = report["checks"].as_array().unwrap();
    let failed = checks.iter().filter(|c| c["status"] == "fail").count();
    assert_eq!(
        cases.len(),
        checks.len() + report["trends"].as_array().unwrap().len()
    );
    assert_eq!(failures, failed);
    assert!(failed > 0);
    let root = doc.root_element();
    assert_eq!(root.attribute("failures").unwrap(), failed.to_string());
    // The quoted endpoint name survives escaping.
    assert!(cases
        .iter()
        .any(|c| c.attribute("classname") == Some("check.GET /limited, \"quoted\"")));
}

#[test]
fn markdown_leads_with_the_verdict_and_lists_what_failed() {
    let (dir, report, _) = run_with_files(&[]);
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.starts_with("## ❌ loadgate: FAIL"), "{md}");
    assert!(md.contains("| Endpoint | Requests | Errors | req/s | p50 | p95 | p99 | Grade |"));
    assert!(md.contains("/limited, \"quoted\""));
    for check in report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
    {
        let message = check["message"].as_str().unwrap().replace('|', "\\|");
        assert!(md.contains(&message), "missing: {message}");
    }
    assert!(md.contains("Top failures"));
    // Compact enough for a PR comment.
    assert!(md.len() < 8_000, "{} bytes", md.len());
}

#[test]
fn markdown_shows_regressions_against_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("compare.md");
    let output = common::command()
        .args(args![
            "compare",
            fixture("compare/same-1"),
            fixture("compare/slow-2x"),
            "--markdown",
            md,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = std::fs::read_to_string(md).unwrap();
    assert!(text.contains("**Against baseline"), "{text}");
    assert!(text.contains("| GET /slow | p50 |"), "{text}");
}

#[test]
fn github_actions_get_annotations_and_a_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "previous step\n").unwrap();
    let output = common::command()
        .args(args![
            "check",
            fixture("locust2/basic"),
            "--profile",
            "llm-api",
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let out = stdout(&output);
    let errors: Vec<_> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert!(!errors.is_empty(), "{out}");
    assert!(
        errors
            .iter()
            .any(|l| l.contains("GET /error error_rate is 100.00%")),
        "{errors:#?}"
    );
    // Commas and colons in properties are escaped as the runner requires.
    assert!(
        errors[0].contains("title=loadgate check::"),
        "{}",
        errors[0]
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("previous step\n## ❌ loadgate: FAIL"),
        "appended, not replaced: {text}"
    );
}

#[test]
fn with_json_on_stdout_annotations_go_to_stderr() {
    let output = common::command()
        .args(args!["check", fixture("locust2/basic"), "--format", "json",])
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let _: Value = serde_json::from_slice(&output.stdout).expect("stdout is still JSON");
    assert!(stderr(&output).contains("::error "));
}

#[test]
fn a_reader_that_goes_away_does_not_change_the_verdict() {
    // `loadgate check RUN | head -1`: the gate's exit code, not an error about the pipe.
    let path = |rel: &str| fixture(rel).display().to_string();
    let cases = [
        (vec!["check".to_string(), path("locust2/basic")], 1),
        (
            vec![
                "check".into(),
                path("compare/same-1"),
                "--format".into(),
                "json".into(),
            ],
            0,
        ),
        (
            vec![
                "compare".into(),
                path("compare/same-1"),
                path("compare/slow-2x"),
            ],
            1,
        ),
        (vec!["history".into(), path("compare")], 1),
        (vec!["profiles".into()], 0),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = common::loadgate_into_closed_pipe(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(expected), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definitions() {
    let bash = loadgate(["completions", "bash"]);
    assert!(bash.status.success(), "{}", stderr(&bash));
    let script = stdout(&bash);
    for subcommand in ["check", "compare", "history", "baseline", "run", "demo"] {
        assert!(
            script.contains(subcommand),
            "bash completion lacks {subcommand}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loadgate.bash");
    std::fs::write(&path, &script).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let zsh = stdout(&loadgate(["completions", "zsh"]));
    assert!(
        zsh.starts_with("#compdef loadgate"),
        "{}",
        &zsh[..zsh.len().min(80)]
    );
    let man = loadgate(["man"]);
    let page = stdout(&man);
    assert!(
        page.contains(".TH loadgate 1") && page.contains("check"),
        "{page}"
    );
    let bad = loadgate(["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    // A page per subcommand, nested ones too.
    let page = stdout(&loadgate(["man", "check"]));
    assert!(
        page.contains(".TH loadgate-check 1") && page.contains("require\\-baseline"),
        "{page}"
    );
    let page = stdout(&loadgate(["man", "baseline", "save"]));
    assert!(
        page.contains(".TH loadgate-baseline-save 1") && page.contains("if\\-pass"),
        "{page}"
    );
    let bad = loadgate(["man", "chek"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("no such subcommand"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn completions_offer_the_built_in_profiles() {
    let script = stdout(&loadgate(["completions", "bash"]));
    // bash: the --profile case of check lists the names.
    let check = &script[script
        .find("loadgate__subcmd__check)")
        .expect("check's case")..];
    let profile = &check[check.find("--profile)").expect("--profile's case")..];
    let case: String = profile.lines().take(4).collect::<Vec<_>>().join("\n");
    for name in ["default", "medium", "llm-api", "high-throughput"] {
        assert!(case.contains(name), "{name} not offered: {case}");
    }
    let fish = stdout(&loadgate(["completions", "fish"]));
    let at = fish.find("-l profile").expect("fish: --profile");
    assert!(
        fish[at..].lines().take(12).any(|l| l.contains("web-api")),
        "{fish}"
    );
    // The completion script's values do not restrict what check accepts: a path still works.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.toml");
    std::fs::write(&profile, "name = \"p\"\n[thresholds]\np95 = 100000\n").unwrap();
    let run = fixture("compare/same-1");
    assert_eq!(
        loadgate(args!["check", run, "--profile", profile])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn the_html_flag_comes_before_the_metrics_flags_in_help() {
    for command in ["check", "compare", "ab"] {
        let help = stdout(&loadgate([command, "--help"]));
        let at = |flag: &str| {
            help.find(flag)
                .unwrap_or_else(|| panic!("{command}: no {flag}"))
        };
        let html = at("--html <FILE>");
        for later in ["--openmetrics ", "--push-gateway", "--openmetrics-history"] {
            assert!(html < at(later), "{command}: --html after {later}:\n{help}");
        }
        if let Some(prometheus) = help.find("--prometheus <URL>") {
            assert!(
                html < prometheus,
                "{command}: --html after --prometheus:\n{help}"
            );
        }
    }
}
