//! `loadgate demo`: the whole pipeline on a fresh machine with one command. Starts the embedded
//! target on 127.0.0.1, runs the generator against it with the bundled scenario, checks the result
//! with the default profile, and writes the CSVs and every report file into `out`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use super::check::CheckPlan;
use crate::generator::{self, target, RunOptions};
use crate::model::Status;
use crate::report::formats::FORMATS;
use crate::report::{charts, print, Format, Outputs};

/// The scenario the demo runs (also written to `OUT/demo-scenario.toml` to read and adapt).
const SCENARIO: &str = include_str!("../../scenarios/demo.toml");

/// What `demo` was asked to do.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    /// Where the CSVs, reports and charts go.
    pub out: PathBuf,
    pub run_time: String,
    pub users: u32,
}

/// What `target` was asked to do.
#[derive(Debug, Clone)]
pub struct TargetPlan {
    pub run_time: String,
    pub tls: bool,
    pub serving: target::Serving,
}

pub fn run(plan: &DemoPlan) -> Result<()> {
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("{}: cannot create", plan.out.display()))?;
    let scenario_path = plan.out.join("demo-scenario.toml");
    crate::fsutil::write_atomic(
        &scenario_path,
        scenario_as_run(plan.users, &plan.run_time).as_bytes(),
    )?;
    let target = target::start()?;
    let prefix = plan.out.join("demo");
    eprintln!(
        "loadgate demo: {} users for {} against the embedded target at {} (scenario {})",
        plan.users,
        plan.run_time,
        target.url(),
        scenario_path.display()
    );
    generator::run(&RunOptions {
        host: Some(target.url()),
        users: Some(plan.users),
        spawn_rate: None,
        run_time: Some(plan.run_time.clone()),
        csv: Some(prefix.clone()),
        csv_full_history: true,
        json_file: None,
        scenario: Some(scenario_path),
        rate: None,
        timeout: "10s".to_string(),
        seed: 1,
        quiet: false,
        insecure: false,
        headers: Vec::new(),
    })?;
    drop(target);

    let check = CheckPlan {
        runs: vec![prefix],
        profile: "default".to_string(),
        baseline: None,
        store: None,
        require_baseline: false,
        latest: false,
        merge: false,
        server: None,
        outputs: Outputs {
            stdout: Format::Table,
            files: FORMATS
                .iter()
                .filter_map(|f| Some((f.format, plan.out.join(f.demo_file?))))
                .collect(),
            chart_size: charts::SIZE,
            metrics: Default::default(),
        },
    };
    let mut written: Vec<String> = FORMATS
        .iter()
        .filter_map(|f| {
            Some(format!(
                "{}{}",
                f.demo_file?,
                if f.is_dir() { "/" } else { "" }
            ))
        })
        .collect();
    let last = written.pop().unwrap_or_default();
    print(b"\n")?;
    let verdict = super::check::run(&check)?;
    let mut out = String::new();
    writeln!(
        out,
        "\nThe demo wrote its CSVs, {} and {last} to {}.",
        written.join(", "),
        plan.out.display()
    )?;
    writeln!(
        out,
        "As a gate, `loadgate check {}/demo` would exit {} ({}): the demo target fails on purpose (/error, 429s on /limited).",
        plan.out.display(),
        if verdict == Status::Fail { 1 } else { 0 },
        verdict
    )?;
    print(out.as_bytes())
}

/// `loadgate target`: prints the URL, serves for `run_time`, stops.
pub fn serve(plan: &TargetPlan) -> Result<()> {
    let duration = crate::duration::parse_duration(&plan.run_time).context("--run-time")?;
    let target = target::start_serving(plan.serving.clone(), plan.tls)?;
    print(format!("{}\n", target.url()).as_bytes())?;
    std::thread::sleep(duration);
    drop(target);
    Ok(())
}

/// The bundled scenario with the users and run time this demo ran with (`-u`, `-t`), so that the
/// saved copy repeats the demo's run when run as it is.
fn scenario_as_run(users: u32, run_time: &str) -> String {
    let mut out = String::with_capacity(SCENARIO.len());
    for line in SCENARIO.lines() {
        match line.split('=').next().map(str::trim) {
            Some("users") => out.push_str(&format!("users = {users}")),
            Some("run_time") => out.push_str(&format!("run_time = {}", toml_string(run_time))),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_scenario_is_the_demo_with_its_defaults() {
        // The defaults of `demo` (cli.rs): 20 users for 30 s.
        assert_eq!(scenario_as_run(20, "30s"), SCENARIO);
        let saved = scenario_as_run(5, "3s");
        let run =
            crate::generator::scenario::Scenario::parse(&saved, "demo-scenario.toml").unwrap();
        assert_eq!(run.load.users, Some(5));
        assert_eq!(run.load.run_time.as_deref(), Some("3s"));
    }
}
