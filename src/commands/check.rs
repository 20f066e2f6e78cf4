//! `loadgate check`: read runs, grade them (and compare them with a baseline), report, and say
//! whether the gate passed.

use std::path::Path;

use anyhow::{bail, Result};

use crate::analysis::capacity::capacity;
use crate::analysis::findings::findings;
use crate::analysis::grade::{assess, Status};
use crate::analysis::regression::compare;
use crate::analysis::trend;
use crate::baseline::{read_baseline, RunSummary, Store};
use crate::cli::CheckArgs;
use crate::ingest::load_run;
use crate::model::Run;
use crate::profile::Profile;
use crate::report::{BaselineComparison, Report, RunReport};

/// Runs the check and returns the verdict; input problems are errors.
pub fn run(args: &CheckArgs) -> Result<Status> {
    let report = build(args)?;
    super::emit(&report, &args.output)?;
    Ok(report.verdict())
}

/// Reads every run and judges it. Everything is read before anything is reported, so one bad file
/// fails the whole command instead of leaving a partial report.
pub fn build(args: &CheckArgs) -> Result<Report> {
    let (profile, profile_source) = load_profile(&args.profile)?;
    let baseline = match &args.baseline {
        Some(spec) => Some(load_baseline(spec, args.store.store.as_deref())?),
        None => None,
    };
    let runs = args
        .runs
        .iter()
        .map(|path| {
            let run = load_run(path)?;
            let mut item = judge_run(run, &profile);
            if let Some((label, summaries)) = &baseline {
                let current = RunSummary::from_run(&item.run);
                item.baseline = Some(BaselineComparison {
                    label: label.clone(),
                    comparison: compare(summaries, &current, &profile.regression),
                });
            }
            Ok(item)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        command: "check",
        profile,
        profile_source,
        runs,
    })
}

/// Grades a run and reads its trends, capacity and findings.
pub fn judge_run(run: Run, profile: &Profile) -> RunReport {
    let assessment = assess(&run, profile);
    let (trends, notes) = trends_of(&run, profile);
    let capacity = capacity(
        run.history.as_ref(),
        &profile.aggregated_limits(),
        &profile.gate,
    );
    let findings = findings(&run, &trends, Some(&capacity));
    RunReport {
        run,
        assessment: Some(assessment),
        trends,
        baseline: None,
        capacity: Some(capacity),
        findings,
        notes,
    }
}

pub fn trends_of(run: &Run, profile: &Profile) -> (Vec<trend::Trend>, Vec<String>) {
    let notes = trend::steady_state_note(run.history.as_ref())
        .into_iter()
        .collect();
    let trends = run
        .history
        .as_ref()
        .map(|h| trend::trends(h, &profile.trend))
        .unwrap_or_default();
    (trends, notes)
}

pub fn load_profile(spec: &str) -> Result<(Profile, String)> {
    let profile = Profile::load(spec)?;
    let source = if crate::profile::BUILTINS.iter().any(|(n, _)| *n == spec) {
        format!("builtin:{spec}")
    } else {
        spec.to_string()
    };
    Ok((profile, source))
}

/// A baseline given as a stored name, a baseline JSON file, or a run on disk.
fn load_baseline(spec: &str, store: Option<&Path>) -> Result<(String, Vec<RunSummary>)> {
    let path = Path::new(spec);
    if spec.ends_with(".json") && path.is_file() {
        return Ok((spec.to_string(), read_baseline(path)?.runs));
    }
    if crate::baseline::validate_name(spec).is_ok() {
        let store = Store::open(store);
        if store.path_of(spec)?.exists() {
            return Ok((spec.to_string(), store.load(spec)?.runs));
        }
    }
    match load_run(path) {
        Ok(run) => Ok((spec.to_string(), vec![RunSummary::from_run(&run)])),
        Err(err) if path.exists() || path.with_extension("").exists() => Err(err),
        Err(_) => {
            let store = Store::open(store);
            bail!(
                "no baseline '{spec}': not a name in {} and not a run or baseline file on disk",
                store.dir().display()
            )
        }
    }
}
