//! `loadgate check`: read runs, judge them against the profile (and a baseline), report, and say
//! whether the gate passed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use super::Outputs;
use crate::analysis::summary::RunSummary;
use crate::analysis::{judge, Baseline, Judgement};
use crate::baseline::{read_baseline, validate_name, Store};
use crate::ingest::{load_run, runs_in};
use crate::machine::Machine;
use crate::model::Status;
use crate::profile::Profile;

/// What `check` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub runs: Vec<PathBuf>,
    /// A built-in profile name or the path of a TOML profile.
    pub profile: String,
    /// A stored baseline's name, or the path of a baseline file or run.
    pub baseline: Option<String>,
    pub store: Option<PathBuf>,
    /// A baseline name that is not in the store is an input error (exit 2), not "nothing compared".
    pub require_baseline: bool,
    pub outputs: Outputs,
}

/// Runs the check and returns the verdict; input problems are errors.
pub fn run(plan: &CheckPlan) -> Result<Status> {
    let judgement = build(plan)?;
    super::emit(&judgement, &plan.outputs)
}

/// Reads every run and judges it. Everything is read before anything is reported, so one bad file
/// fails the whole command instead of leaving a partial report.
pub fn build(plan: &CheckPlan) -> Result<Judgement> {
    let (profile, source) = Profile::load_with_source(&plan.profile)?;
    let baseline = match &plan.baseline {
        Some(spec) => Some(load_baseline(
            spec,
            plan.store.as_deref(),
            plan.require_baseline,
        )?),
        None => None,
    };
    // A directory of several runs is each of them: "analyze all tests in a directory".
    let mut paths = Vec::new();
    for path in &plan.runs {
        paths.extend(runs_in(path)?);
    }
    let runs = paths
        .iter()
        .map(|path| Ok(judge(load_run(path)?, &profile, baseline.as_ref())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Judgement::new("check", profile, source, runs))
}

/// A baseline given as a stored name, a baseline JSON file, or a run on disk. A name that is
/// neither in the store nor on disk is a baseline with no runs ("no baseline: nothing compared"),
/// so that a first run on a branch checks by the grades alone; unless `required`.
fn load_baseline(spec: &str, store: Option<&Path>, required: bool) -> Result<Baseline> {
    let baseline = |runs| Baseline {
        label: spec.to_string(),
        runs,
        checked_on: Some(Machine::this()),
    };
    let path = Path::new(spec);
    if spec.ends_with(".json") && path.is_file() {
        return Ok(baseline(read_baseline(path)?.runs));
    }
    if validate_name(spec).is_ok() {
        let store = Store::open(store);
        if store.path_of(spec)?.exists() {
            return Ok(baseline(store.load(spec)?.runs));
        }
    }
    match load_run(path) {
        Ok(run) => Ok(baseline(vec![RunSummary::from_run(&run)])),
        Err(err) if path.exists() || path.with_extension("").exists() => Err(err),
        Err(_) if !required && validate_name(spec).is_ok() => Ok(baseline(Vec::new())),
        Err(_) => {
            let store = Store::open(store);
            bail!(
                "no baseline '{spec}': not a name in {} and not a run or baseline file on disk",
                store.dir().display()
            )
        }
    }
}
