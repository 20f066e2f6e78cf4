//! `loadgate compare BASELINE_RUN CURRENT_RUN`: regressions between two runs on disk. The verdict
//! and exit code are about regressions only; the profile contributes its [regression] rules.

use std::path::PathBuf;

use anyhow::Result;

use crate::analysis::server_baseline::server_figures;
use crate::analysis::summary::RunSummary;
use crate::analysis::{judge_change, Baseline, Judgement};
use crate::commands::server::{judge_server, read_for_baseline};
use crate::ingest::{given_locust_version, load_run};
use crate::model::Status;
use crate::profile::Profile;
use crate::report::{self, Outputs};
use crate::server::source::SourcePlan;

/// What `compare` was asked to do.
#[derive(Debug, Clone)]
pub struct ComparePlan {
    pub baseline: PathBuf,
    pub current: PathBuf,
    /// `--profile`; `None`: the project config's, else `default`.
    pub profile: Option<String>,
    /// `--baseline-locust-version` and `--locust-version`: the Locust version of each side, for
    /// files that do not name one; `None`: the config's `locust_version`.
    pub locust_versions: (Option<String>, Option<String>),
    pub outputs: Outputs,
    /// Where the server's metrics for the current run are read (`--prometheus`).
    pub server: SourcePlan,
}

/// `compare` from the command line: the profile (with the config's `[regression]`) and the
/// output files come from the flags over the project config, as for `check`.
pub fn run(plan: &ComparePlan) -> Result<Status> {
    let (settings, outputs) = super::settings_for(plan.profile.clone(), &plan.outputs)?;
    // The config's version is the project's: both sides', unless a flag names a side's.
    let given = settings.locust_version.value.as_ref();
    let plan = ComparePlan {
        locust_versions: (
            plan.locust_versions.0.clone().or_else(|| given.cloned()),
            plan.locust_versions.1.clone().or_else(|| given.cloned()),
        ),
        ..plan.clone()
    };
    let mut judgement = build(&plan, settings.profile()?)?;
    super::note_config(&mut judgement, settings.note.as_ref());
    report::emit(&judgement, &outputs)
}

pub fn build(plan: &ComparePlan, (profile, source): (Profile, String)) -> Result<Judgement> {
    let mut base_run = load_run(&plan.baseline)?;
    given_locust_version(&mut base_run, plan.locust_versions.0.as_deref());
    // With a backend, the baseline run's window is read too: its server figures are what the
    // current run's are judged against.
    let base_server = read_for_baseline(&base_run, &plan.server, &profile, &source)?
        .and_then(|r| server_figures(&r, base_run.aggregated.requests));
    let baseline = Baseline {
        label: plan.baseline.display().to_string(),
        runs: vec![RunSummary::from_run(&base_run)],
        runners: vec![base_run.runner_summary()],
        // Two runs on disk: where either was made is not known.
        checked_on: None,
        server: vec![base_server],
    };
    let mut current = load_run(&plan.current)?;
    given_locust_version(&mut current, plan.locust_versions.1.as_deref());
    let judged = judge_change(baseline, current, &profile);
    let runs = judge_server(vec![judged], &plan.server, &profile, &source)?;
    Ok(Judgement::new("compare", profile, source, runs))
}
