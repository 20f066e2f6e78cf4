//! The GitHub Action (action.yml), run locally the way the runner runs a composite action: the steps
//! in order, each `run:` block by `bash --noprofile --norc -eo pipefail`, `${{ }}` in `env:`, `with:`,
//! `if:` and the outputs evaluated against the inputs, `github`, `runner` and `steps` contexts,
//! GITHUB_OUTPUT (one file per step), GITHUB_PATH, GITHUB_STEP_SUMMARY, GITHUB_REF and
//! GITHUB_WORKSPACE set as Actions sets them. The `uses:` steps (actions/cache, upload-artifact)
//! are replaced by fakes that do what they do on disk. loadgate comes from the wheel built from this
//! tree (the `wheel` input), so these tests need Python and maturin: see python.rs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common::root;
use crate::python;
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

mod expressions;
use expressions::{Ctx, StepResult, V};

fn action_text() -> String {
    std::fs::read_to_string(root().join("action.yml")).unwrap()
}

fn action() -> Yaml {
    YamlLoader::load_from_str(&action_text())
        .expect("action.yml is YAML")
        .remove(0)
}

fn s(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => r.clone(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null | Yaml::BadValue => String::new(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn map(y: &Yaml) -> Vec<(String, &Yaml)> {
    match y {
        Yaml::Hash(h) => h.iter().map(|(k, v)| (s(k), v)).collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        other => panic!("not a mapping: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The runner.

/// One wheel for the whole test binary (maturin, reusing `cargo test`'s artifacts). Without the
/// tools, each test that asks says for itself that it is skipped.
fn wheel() -> Option<&'static PathBuf> {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    if let Some(wheel) = WHEEL.get() {
        return Some(wheel);
    }
    let tools = python::Tools::find()?;
    Some(WHEEL.get_or_init(|| tools.build_wheel(&tempfile::tempdir().unwrap().keep())))
}

/// A GitHub event: which ref, which event, the default branch.
struct Event {
    name: &'static str,
    git_ref: &'static str,
}

const PUSH_MAIN: Event = Event {
    name: "push",
    git_ref: "refs/heads/main",
};
const PULL_REQUEST: Event = Event {
    name: "pull_request",
    git_ref: "refs/pull/7/merge",
};

struct Job {
    dir: tempfile::TempDir,
    workspace: PathBuf,
    runner_temp: PathBuf,
    summary: PathBuf,
    /// The fake Actions cache: (key, directory), oldest first; shared between jobs of a test.
    cache: PathBuf,
    artifacts: Vec<(String, Vec<String>)>,
}

struct Outcome {
    steps: BTreeMap<String, StepResult>,
    order: Vec<(String, String)>,
    outputs: BTreeMap<String, String>,
}

impl Outcome {
    fn step(&self, id: &str) -> &StepResult {
        self.steps
            .get(id)
            .unwrap_or_else(|| panic!("step {id} ran"))
    }
    fn outcome(&self, id: &str) -> &str {
        self.order
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, o)| o.as_str())
            .unwrap()
    }
}

impl Job {
    fn new(cache: &Path) -> Job {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        let runner_temp = dir.path().join("runner_temp");
        std::fs::create_dir_all(workspace.join("results")).unwrap();
        std::fs::create_dir_all(&runner_temp).unwrap();
        let summary = runner_temp.join("step_summary.md");
        std::fs::write(&summary, "").unwrap();
        Job {
            dir,
            workspace,
            runner_temp,
            summary,
            cache: cache.to_path_buf(),
            artifacts: Vec::new(),
        }
    }

    /// Copies a fixture run (prefix) into the workspace as results/NAME.
    fn fixture(&self, rel: &str, name: &str) -> String {
        let src = root().join("fixtures").join(rel);
        let parent = src.parent().unwrap();
        let stem = src.file_name().unwrap().to_str().unwrap();
        for entry in std::fs::read_dir(parent).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap().to_string();
            if let Some(suffix) = file.strip_prefix(&format!("{stem}_")) {
                std::fs::copy(
                    &path,
                    self.workspace
                        .join("results")
                        .join(format!("{name}_{suffix}")),
                )
                .unwrap();
            }
        }
        format!("results/{name}")
    }

    fn run(&mut self, event: &Event, given: &[(&str, &str)]) -> Outcome {
        let _turn = python::beside_other_actions();
        let action = action();
        let mut inputs = BTreeMap::new();
        for (name, spec) in map(&action["inputs"]) {
            inputs.insert(name, s(&spec["default"]));
        }
        for (k, v) in given {
            assert!(inputs.contains_key(*k), "no input {k}");
            inputs.insert(k.to_string(), v.to_string());
        }
        // The wheel built from this tree, unless the test chooses how loadgate is installed.
        if !given.iter().any(|(k, _)| *k == "wheel") {
            inputs.insert("wheel".into(), wheel().unwrap().display().to_string());
        }
        inputs.insert("python".into(), python::python());
        let github: BTreeMap<String, String> = [
            ("event.repository.default_branch", "main"),
            ("run_id", "4242"),
            ("run_attempt", "1"),
            ("ref", event.git_ref),
            ("event_name", event.name),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([(
            // `uses:` naming the loadgate repository: its checkout is the source.
            "action_path".to_string(),
            root().display().to_string(),
        )])
        .collect();

        // PATH without any loadgate on it: the action must use the one it installed.
        let host_path = std::env::var_os("PATH").unwrap_or_default();
        let mut path: Vec<PathBuf> = std::env::split_paths(&host_path)
            .filter(|d| !d.join("loadgate").exists())
            .collect();
        let github_path = self.runner_temp.join("github_path");
        let github_env = self.runner_temp.join("github_env");

        let steps_yaml = action["runs"]["steps"].as_vec().unwrap().clone();
        let step_ids: Vec<String> = steps_yaml.iter().map(|st| s(&st["id"])).collect();
        let mut steps: BTreeMap<String, StepResult> = BTreeMap::new();
        let mut order = Vec::new();
        let mut failed = false;
        for (n, step) in steps_yaml.iter().enumerate() {
            let id = if step["id"].is_badvalue() {
                format!("__{n}")
            } else {
                s(&step["id"])
            };
            let ctx = Ctx {
                inputs: &inputs,
                github: &github,
                runner_temp: self.runner_temp.display().to_string(),
                steps: &steps,
                step_ids: &step_ids,
                failed,
            };
            let cond = step["if"].as_str();
            if !ctx.condition(cond) {
                order.push((id.clone(), "skipped".into()));
                continue;
            }
            let result = if let Some(script) = step["run"].as_str() {
                assert_eq!(
                    step["shell"].as_str(),
                    Some("bash"),
                    "step {id}: shell bash"
                );
                let env: Vec<(String, String)> = map(&step["env"])
                    .into_iter()
                    .map(|(k, v)| (k, ctx.interpolate(&s(v))))
                    .collect();
                let script_file = self.runner_temp.join(format!("step_{n}.sh"));
                std::fs::write(&script_file, script).unwrap();
                let output_file = self.runner_temp.join(format!("output_{n}"));
                std::fs::write(&output_file, "").unwrap();
                std::fs::write(&github_path, "").unwrap();
                let out = Command::new("bash")
                    .args(["--noprofile", "--norc", "-eo", "pipefail"])
                    .arg(&script_file)
                    .current_dir(&self.workspace)
                    .env_clear()
                    .env("PATH", std::env::join_paths(&path).unwrap())
                    .env("HOME", std::env::var_os("HOME").unwrap_or_default())
                    .env("LANG", "C.UTF-8")
                    .env("CI", "true")
                    .env("GITHUB_ACTIONS", "true")
                    .env("GITHUB_OUTPUT", &output_file)
                    .env("GITHUB_PATH", &github_path)
                    .env("GITHUB_ENV", &github_env)
                    .env("GITHUB_STEP_SUMMARY", &self.summary)
                    .env("GITHUB_REF", event.git_ref)
                    .env("GITHUB_EVENT_NAME", event.name)
                    .env("GITHUB_WORKSPACE", &self.workspace)
                    .env("GITHUB_ACTION_PATH", root())
                    .env("GITHUB_RUN_ID", "4242")
                    .env("RUNNER_TEMP", &self.runner_temp)
                    .env("RUNNER_OS", "Linux")
                    .envs(env)
                    .output()
                    .unwrap();
                let outputs = parse_outputs(&std::fs::read_to_string(&output_file).unwrap());
                for dir in std::fs::read_to_string(&github_path).unwrap().lines().rev() {
                    if !dir.trim().is_empty() {
                        path.insert(0, PathBuf::from(dir.trim()));
                    }
                }
                StepResult {
                    outcome: if out.status.success() {
                        "success".into()
                    } else {
                        "failure".into()
                    },
                    outputs,
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    code: out.status.code(),
                }
            } else {
                let uses = s(&step["uses"]);
                let with: BTreeMap<String, String> = map(&step["with"])
                    .into_iter()
                    .map(|(k, v)| (k, ctx.interpolate(&s(v))))
                    .collect();
                self.fake(&uses, &with)
            };
            if result.outcome == "failure" {
                failed = true;
            }
            order.push((id.clone(), result.outcome.clone()));
            steps.insert(id, result);
        }
        let ctx = Ctx {
            inputs: &inputs,
            github: &github,
            runner_temp: self.runner_temp.display().to_string(),
            steps: &steps,
            step_ids: &step_ids,
            failed,
        };
        let outputs = map(&action["outputs"])
            .into_iter()
            .map(|(k, v)| (k, ctx.interpolate(&s(&v["value"]))))
            .collect();
        Outcome {
            steps,
            order,
            outputs,
        }
    }

    /// What the `uses:` steps do, on disk.
    fn fake(&mut self, uses: &str, with: &BTreeMap<String, String>) -> StepResult {
        let name = uses.split('@').next().unwrap();
        let mut outputs = BTreeMap::new();
        let entries = || -> Vec<(String, PathBuf)> {
            let index = self.cache.join("index");
            std::fs::read_to_string(&index)
                .unwrap_or_default()
                .lines()
                .map(|l| (l.to_string(), self.cache.join(l)))
                .collect()
        };
        match name {
            "actions/cache/restore" => {
                let key = &with["key"];
                let prefixes: Vec<&str> = with
                    .get("restore-keys")
                    .map(|k| k.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
                    .unwrap_or_default();
                let all = entries();
                let hit = all.iter().rev().find(|(k, _)| k == key).or_else(|| {
                    all.iter()
                        .rev()
                        .find(|(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
                });
                if let Some((k, dir)) = hit {
                    copy_dir(dir, &self.workspace.join(&with["path"]));
                    outputs.insert("cache-matched-key".into(), k.clone());
                }
                outputs.insert(
                    "cache-hit".into(),
                    hit.is_some_and(|(k, _)| k == key).to_string(),
                );
            }
            "actions/cache/save" => {
                let key = &with["key"];
                assert!(
                    !entries().iter().any(|(k, _)| k == key),
                    "cache keys are immutable: {key} exists"
                );
                copy_dir(&self.workspace.join(&with["path"]), &self.cache.join(key));
                let mut index =
                    std::fs::read_to_string(self.cache.join("index")).unwrap_or_default();
                index.push_str(key);
                index.push('\n');
                std::fs::write(self.cache.join("index"), index).unwrap();
            }
            "actions/upload-artifact" => {
                let paths = with["path"]
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect();
                self.artifacts.push((with["name"].clone(), paths));
            }
            other => panic!("action.yml uses {other}: the test has no fake for it"),
        }
        StepResult {
            outcome: "success".into(),
            outputs,
            ..Default::default()
        }
    }
}

fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_string(), value.to_string());
        } else if !line.is_empty() {
            panic!("malformed GITHUB_OUTPUT line: {line:?}");
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn report(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn explain(o: &Outcome) -> String {
    o.order
        .iter()
        .map(|(id, outcome)| {
            let step = o.steps.get(id).cloned().unwrap_or_default();
            format!(
                "-- {id}: {outcome} ({:?})\n{}\n{}",
                step.code, step.stdout, step.stderr
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn a_failing_run_fails_the_step_with_the_verdict_outputs_summary_and_annotations() {
    if wheel().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut job = Job::new(cache.path());
    let run = job.fixture("locust2/basic", "basic");
    let o = job.run(&PULL_REQUEST, &[("run", &run)]);
    let why = explain(&o);

    assert_eq!(o.outcome("install"), "success", "{why}");
    assert!(o
        .step("install")
        .stdout
        .contains(&format!("loadgate {}", env!("CARGO_PKG_VERSION"))));
    let check = o.step("check");
    assert_eq!(check.code, Some(1), "{why}");
    assert_eq!(o.outcome("check"), "failure");
    // What the check step wrote to its GITHUB_OUTPUT, and the action's outputs from it.
    assert_eq!(check.outputs["verdict"], "fail");
    assert_eq!(check.outputs["exit-code"], "1");
    assert_eq!(check.outputs["baseline-used"], "false");
    assert_eq!(o.outputs["verdict"], "fail");
    assert_eq!(o.outputs["exit-code"], "1");
    let json = &o.outputs["report"];
    assert!(
        json.starts_with(&job.runner_temp.display().to_string()),
        "{json}"
    );
    assert_eq!(report(json)["verdict"], "fail");
    assert!(std::fs::read_to_string(&o.outputs["markdown"])
        .unwrap()
        .starts_with("## ❌ loadgate: FAIL"));
    // loadgate itself, seeing GITHUB_ACTIONS=true, wrote the summary and the annotations.
    let summary = std::fs::read_to_string(&job.summary).unwrap();
    assert!(summary.starts_with("## ❌ loadgate: FAIL"), "{summary}");
    assert!(
        check.stdout.lines().any(|l| l.starts_with("::error ")),
        "{}",
        check.stdout
    );
    // After a failed step, the default `if: success()` skips the rest; nothing uploaded.
    assert_eq!(o.outcome("save"), "skipped");
    assert_eq!(o.outputs["saved"], "");
    assert!(job.artifacts.is_empty());
    drop(job.dir);
}

#[test]
fn main_saves_a_rolling_baseline_to_the_cache_and_pull_requests_compare_with_it() {
    if wheel().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let inputs = [
        ("baseline", "main"),
        ("cache", "true"),
        ("save-on-main", "true"),
    ];

    // 1. The first push to main: no baseline yet (a notice: nothing compared), a pass, saved, stored
    //    in the cache.
    let mut job = Job::new(cache.path());
    let run = job.fixture("compare/same-1", "run");
    let mut given = inputs.to_vec();
    given.push(("run", &run));
    let o = job.run(&PUSH_MAIN, &given);
    let why = explain(&o);
    assert_eq!(o.outcome("check"), "success", "{why}");
    assert_eq!(o.outputs["verdict"], "pass", "{why}");
    assert_eq!(o.outputs["baseline-used"], "false");
    assert!(o
        .step("check")
        .stdout
        .contains("title=loadgate baseline::baseline 'main': no baseline: nothing compared"));
    assert_eq!(o.outputs["saved"], "true", "{why}");
    assert!(job
        .workspace
        .join(".loadgate/baselines/main.json")
        .is_file());
    let index = std::fs::read_to_string(cache.path().join("index")).unwrap();
    assert_eq!(index, "loadgate-baseline-main-4242-1\n");
    assert!(cache
        .path()
        .join("loadgate-baseline-main-4242-1/main.json")
        .is_file());

    // 2. A pull request (a fresh runner): the baseline comes from main's cache; compared; not saved.
    let mut pr = Job::new(cache.path());
    let run = pr.fixture("compare/same-2", "run");
    let mut given = inputs.to_vec();
    given.push(("run", &run));
    let o = pr.run(&PULL_REQUEST, &given);
    let why = explain(&o);
    assert_eq!(
        o.step("restore")
            .outputs
            .get("cache-matched-key")
            .map(String::as_str),
        Some("loadgate-baseline-main-4242-1")
    );
    assert_eq!(o.outcome("check"), "success", "{why}");
    assert_eq!(o.outputs["baseline-used"], "true");
    // Two runs of the same build: tail-only moves on /login warn, nothing fails (exit 0).
    assert_eq!(o.outputs["exit-code"], "0", "{why}");
    assert_eq!(o.outputs["verdict"], "warn", "{why}");
    let json = report(&o.outputs["report"]);
    let regressions = json["regressions"].as_array().unwrap();
    assert!(
        !regressions.is_empty(),
        "compared with the baseline: {json:#}"
    );
    assert!(regressions.iter().all(|r| r["status"] != "fail"));
    assert_eq!(o.outputs["saved"], "false");
    assert_eq!(o.outcome("store"), "skipped");

    // 3. A 2x slower build pushed to main fails against the baseline and is not saved.
    let mut slow = Job::new(cache.path());
    let run = slow.fixture("compare/slow-2x", "run");
    let mut given = inputs.to_vec();
    given.push(("run", &run));
    let o = slow.run(&PUSH_MAIN, &given);
    let why = explain(&o);
    assert_eq!(o.step("check").code, Some(1), "{why}");
    assert_eq!(o.outputs["verdict"], "fail");
    let json = report(&o.outputs["report"]);
    assert!(json["regressions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["status"] == "fail"));
    assert_eq!(o.outcome("save"), "skipped");
    assert_eq!(
        std::fs::read_to_string(cache.path().join("index")).unwrap(),
        index,
        "nothing new in the cache"
    );
}

#[test]
fn fail_on_gate_false_keeps_the_step_green_and_upload_sends_every_report() {
    if wheel().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut job = Job::new(cache.path());
    let run = job.fixture("locust2/basic", "basic");
    let junit = job.workspace.join("out/junit.xml").display().to_string();
    let o = job.run(
        &PULL_REQUEST,
        &[
            ("run", &run),
            ("fail-on-gate", "false"),
            ("upload", "true"),
            ("junit", &junit),
            ("json", "out/report.json"),
            ("html", "out/report.html"),
            ("args", "--chart-size 640x360"),
        ],
    );
    let why = explain(&o);
    assert_eq!(o.outcome("check"), "success", "{why}");
    assert_eq!(o.outputs["verdict"], "fail");
    assert_eq!(o.outputs["exit-code"], "1");
    assert_eq!(o.outputs["report"], "out/report.json");
    assert!(job.workspace.join("out/report.json").is_file());
    assert_eq!(job.artifacts.len(), 1, "{why}");
    let (name, paths) = &job.artifacts[0];
    assert_eq!(name, "loadgate-report");
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(paths.contains(&junit) && paths.contains(&"out/report.json".to_string()));
    assert!(paths.contains(&"out/report.html".to_string()), "{paths:?}");
    let page = std::fs::read_to_string(job.workspace.join("out/report.html")).unwrap();
    assert!(page.contains("<title>loadgate check: FAIL</title>"));
    for p in paths {
        assert!(job.workspace.join(p).exists(), "{p}");
    }
}

#[test]
fn the_command_input_runs_the_test_under_loadgate_record_and_check_reads_the_record() {
    if wheel().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut job = Job::new(cache.path());
    // A real run of loadgate's generator (the installed one, as the input's documentation says);
    // the command's own failing exit code must not stop the gate.
    let command =
        "\"$LOADGATE_BIN/loadgate\" demo --out results -t 2s -u 2 > demo.log 2>&1 && exit 3";
    let o = job.run(
        &PULL_REQUEST,
        &[("command", command), ("run", "results/demo")],
    );
    let why = explain(&o);
    assert_eq!(o.outcome("command"), "success", "{why}");
    assert_eq!(o.outputs["command-exit-code"], "3", "{why}");
    let record = job.workspace.join("results/demo_runner.json");
    assert!(record.exists(), "{why}");
    // The check graded the run and read the record with it.
    assert!(!o.outputs["verdict"].is_empty(), "{why}");
    let runner = &report(&o.outputs["report"])["run"]["runner"];
    assert!(runner.is_object(), "{runner}\n{why}");
    // Without the input the step is skipped and its output empty.
    let mut plain = Job::new(cache.path());
    let run = plain.fixture("compare/same-1", "run");
    let o = plain.run(&PULL_REQUEST, &[("run", &run)]);
    assert_eq!(o.outcome("command"), "skipped");
    assert_eq!(o.outputs["command-exit-code"], "");
}

#[test]
fn inputs_are_data_never_shell_code() {
    if wheel().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut job = Job::new(cache.path());
    let run = job.fixture("compare/same-1", "run");
    let o = job.run(
        &PULL_REQUEST,
        &[
            ("run", &format!("{run}\n$(touch injected-run)")),
            ("profile", "default\"; touch injected-profile; echo \""),
            (
                "args",
                "$(touch injected-args) `touch injected-tick` ; touch injected-semi",
            ),
            ("baseline", "x'; touch injected-baseline; '"),
        ],
    );
    let why = explain(&o);
    assert_eq!(o.step("check").code, Some(2), "a usage error: {why}");
    assert_eq!(o.outputs["verdict"], "");
    let left: Vec<_> = std::fs::read_dir(&job.workspace)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("injected"))
        .collect();
    assert!(left.is_empty(), "inputs ran as code: {left:?}");
}

/// Needs no Python: the shape of action.yml.
#[test]
fn action_yml_passes_inputs_through_env_and_pins_what_it_uses() {
    let action = action();
    let text = action_text();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let inputs: Vec<String> = map(&action["inputs"]).into_iter().map(|(k, _)| k).collect();
    let docs = std::fs::read_to_string(root().join("docs/github-action.md")).unwrap();
    for name in &inputs {
        assert!(
            docs.contains(&format!("`{name}`")),
            "input {name} documented in docs/github-action.md"
        );
    }
    for (name, _) in map(&action["outputs"]) {
        assert!(
            docs.contains(&format!("`{name}`")),
            "output {name} documented"
        );
    }
    assert_eq!(
        s(&action["inputs"]["version"]["default"]),
        env!("CARGO_PKG_VERSION"),
        "the action installs its own version: bump action.yml's version default with Cargo.toml"
    );
    for step in action["runs"]["steps"].as_vec().unwrap() {
        if let Some(script) = step["run"].as_str() {
            assert!(
                !script.contains("${{"),
                "no expression inside a run: block (pass it through env:): {script}"
            );
            for (_, value) in map(&step["env"]) {
                let value = s(value);
                assert!(
                    value.trim_start().starts_with("${{") && value.trim_end().ends_with("}}"),
                    "env values are single expressions: {value}"
                );
            }
        } else {
            let uses = s(&step["uses"]);
            let (_, rev) = uses.split_once('@').expect("uses NAME@REV");
            assert!(
                rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                "{uses}: pinned to a commit"
            );
            let line = text.lines().find(|l| l.contains(&uses)).unwrap();
            assert!(
                line.contains("# v"),
                "{uses}: the version in a comment: {line}"
            );
        }
    }
    // Every inputs.X the file refers to exists.
    for (at, _) in text.match_indices("inputs.") {
        let name: String = text[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(inputs.contains(&name), "inputs.{name} is not an input");
    }
}

#[test]
fn the_evaluator_follows_actions_semantics() {
    let inputs = BTreeMap::from([("a".to_string(), "true".to_string())]);
    let github = BTreeMap::new();
    let steps = BTreeMap::new();
    let ctx = Ctx {
        inputs: &inputs,
        github: &github,
        runner_temp: "/tmp".into(),
        steps: &steps,
        step_ids: &[],
        failed: false,
    };
    assert_eq!(ctx.eval("inputs.a == 'TRUE'"), V::Bool(true));
    assert_eq!(ctx.eval("'' || 'x'"), V::Str("x".into()));
    assert_eq!(ctx.eval("'y' && 'x'"), V::Str("x".into()));
    assert_eq!(ctx.eval("!(inputs.a == 'true')"), V::Bool(false));
    assert_eq!(
        ctx.interpolate("k-${{ inputs.a }}-${{ 'it''s' }}"),
        "k-true-it's"
    );
    assert!(ctx.condition(Some("always()")));
    let failed = Ctx {
        failed: true,
        ..ctx
    };
    assert!(!failed.condition(Some("inputs.a == 'true'")));
    assert!(failed.condition(Some("always() && inputs.a == 'true'")));
}

/// Before a release nothing is on PyPI: `install: source` builds from the `source` checkout, and
/// one without a Cargo.toml (an action.yml copied alone) stops the job with what to set. The build
/// itself is what `cargo install --locked --path .` does, checked by the README's own steps.
#[test]
fn install_source_without_a_checkout_says_what_to_set() {
    if python::Tools::find().is_none() {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let mut job = Job::new(cache.path());
    let run = job.fixture("locust2/basic", "basic");
    let nowhere = job.dir.path().join("no-source");
    std::fs::create_dir_all(&nowhere).unwrap();
    let nowhere = nowhere.display().to_string();
    let o = job.run(
        &PULL_REQUEST,
        &[
            ("run", &run),
            ("wheel", ""),
            ("install", "source"),
            ("source", &nowhere),
        ],
    );
    assert_eq!(o.outcome("install"), "failure", "{}", explain(&o));
    let install = o.step("install");
    assert_eq!(install.code, Some(2));
    assert!(
        install.stdout.contains("no loadgate source to build")
            && install.stdout.contains("holds no Cargo.toml"),
        "{}",
        explain(&o)
    );
    let o = job.run(
        &PULL_REQUEST,
        &[("run", &run), ("wheel", ""), ("install", "pip")],
    );
    assert_eq!(o.outcome("install"), "failure");
    assert!(o
        .step("install")
        .stdout
        .contains("install 'pip': auto, pypi or source"));
}
