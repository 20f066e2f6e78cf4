//! `loadgate check`: read runs, judge them against the profile (and a baseline), report, and say
//! whether the gate passed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::analysis::server_baseline::{server_figures, ServerFigures};
use crate::analysis::summary::RunSummary;
use crate::analysis::{judge, Baseline, Judgement, RunJudgement};
use crate::baseline::{read_baseline, validate_name, Store};
use crate::commands::server::{judge_server, read_for_baseline};
use crate::config::{Flags, Settings};
use crate::ingest::{load_run, load_runs, runs_in};
use crate::machine::Machine;
use crate::model::{Run, Status};
use crate::profile::Profile;
use crate::report::openmetrics::MetricsPlan;
use crate::report::{self, Format, Outputs};
use crate::server::source::SourcePlan;

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
    /// Of several runs, check only the newest (by the runs' own timestamps).
    pub latest: bool,
    /// The runs given are one test from several machines: judge them merged into one.
    pub merge: bool,
    /// Where the server's metrics are read (`--prometheus`, else the environment or the config);
    /// `None`: not asked (the demo).
    pub server: Option<SourcePlan>,
}

/// `check` as typed: the runs and the flags, before the project's config fills in the rest.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub runs: Vec<PathBuf>,
    pub flags: Flags,
    pub stdout: Format,
    pub chart_size: (u32, u32),
    pub metrics: MetricsPlan,
    pub require_baseline: bool,
    pub latest: bool,
    pub merge: bool,
    pub server: SourcePlan,
}

impl CheckRequest {
    /// The flags over the config found from the current directory upwards.
    pub fn settings(&self) -> Result<Settings> {
        Settings::here(&self.flags)
    }

    fn plan(&self, s: &Settings) -> CheckPlan {
        CheckPlan {
            runs: self.runs.clone(),
            profile: s.profile.value.clone(),
            baseline: s.baseline.value.clone(),
            store: s.store.value.clone(),
            require_baseline: self.require_baseline,
            latest: self.latest,
            merge: self.merge,
            server: Some(self.server.clone()),
            outputs: Outputs {
                stdout: self.stdout,
                files: s.files(),
                chart_size: self.chart_size,
                metrics: self.metrics.clone(),
            },
        }
    }
}

/// `loadgate check` from the command line: settings resolved, the profile with the config's rules.
pub fn run_request(request: &CheckRequest) -> Result<Status> {
    let settings = request.settings()?;
    if request.require_baseline && settings.baseline.value.is_none() {
        bail!("--require-baseline: no baseline to require (give --baseline NAME|PATH, or `baseline` in loadgate.toml or [tool.loadgate])");
    }
    let plan = request.plan(&settings);
    plan.outputs.validate()?;
    let mut judgement = build_with(
        &plan,
        settings.profile()?,
        settings.locust_version.value.as_deref(),
    )?;
    super::note_config(&mut judgement, settings.note.as_ref());
    report::emit(&judgement, &plan.outputs)
}

/// Runs the check and returns the verdict; input problems are errors.
pub fn run(plan: &CheckPlan) -> Result<Status> {
    plan.outputs.validate()?;
    let judgement = build(plan)?;
    report::emit(&judgement, &plan.outputs)
}

/// Reads every run and judges it. Everything is read before anything is reported, so one bad file
/// fails the whole command instead of leaving a partial report.
pub fn build(plan: &CheckPlan) -> Result<Judgement> {
    build_with(plan, Profile::load_with_source(&plan.profile)?, None)
}

/// [`build`] with the profile already loaded (and where it came from), and the Locust version
/// of runs whose files do not name one (`--locust-version`).
fn build_with(
    plan: &CheckPlan,
    (profile, source): (Profile, String),
    locust_version: Option<&str>,
) -> Result<Judgement> {
    // A baseline run on disk keeps nothing of its server: with a backend, its window is read.
    let server_of = |run: &Run| -> Result<Option<ServerFigures>> {
        let Some(server) = &plan.server else {
            return Ok(None);
        };
        Ok(read_for_baseline(run, server, &profile, &source)?
            .and_then(|r| server_figures(&r, run.aggregated.requests)))
    };
    let baseline = match &plan.baseline {
        Some(spec) => Some(load_baseline(
            spec,
            plan.store.as_deref(),
            plan.require_baseline,
            &server_of,
        )?),
        None => None,
    };
    if plan.merge {
        let mut run = crate::ingest::load_merged(&plan.runs)?;
        crate::ingest::given_locust_version(&mut run, locust_version);
        let runs = vec![judge(run, &profile, baseline.as_ref())];
        let runs = with_server(runs, plan, &profile, &source)?;
        return Ok(Judgement::new("check", profile, source, runs));
    }
    // A directory of several runs is each of them: "analyze all tests in a directory".
    let mut paths = Vec::new();
    for path in &plan.runs {
        paths.extend(runs_in(path)?);
    }
    let mut latest_note = None;
    if plan.latest && paths.len() > 1 {
        let (newest, note) = crate::ingest::history::newest(&paths)?;
        paths = vec![newest];
        latest_note = Some(note);
    }
    let mut runs = Vec::new();
    for path in &paths {
        // `--latest` may name one run of a file of several (`two-runs.log#2`).
        let (file, which) = crate::ingest::history::source_run(&path.display().to_string());
        let mut found = load_runs(&file)?;
        if let Some(i) = which {
            found = found.into_iter().nth(i).into_iter().collect();
        }
        for mut run in found {
            crate::ingest::given_locust_version(&mut run, locust_version);
            if let Some(note) = super::totals::cross_check(&file, &run) {
                run.notes.push(note);
            }
            runs.push(judge(run, &profile, baseline.as_ref()));
        }
    }
    if let (Some(note), Some(run)) = (latest_note, runs.first_mut()) {
        run.notes.insert(0, note);
    }
    let runs = with_server(runs, plan, &profile, &source)?;
    Ok(Judgement::new("check", profile, source, runs))
}

/// The runs judged with the server's metrics, when the plan asks for them.
fn with_server(
    runs: Vec<RunJudgement>,
    plan: &CheckPlan,
    profile: &Profile,
    source: &str,
) -> Result<Vec<RunJudgement>> {
    match &plan.server {
        Some(server) => judge_server(runs, server, profile, source),
        None => Ok(runs),
    }
}

/// A baseline given as a stored name, a baseline JSON file, or a run on disk. A name that is
/// neither in the store nor on disk is a baseline with no runs ("no baseline: nothing compared"),
/// so that a first run on a branch checks by the grades alone; unless `required`.
fn load_baseline(
    spec: &str,
    store: Option<&Path>,
    required: bool,
    server_of: &dyn Fn(&Run) -> Result<Option<ServerFigures>>,
) -> Result<Baseline> {
    let baseline = |(runs, runners), server| Baseline {
        label: spec.to_string(),
        runs,
        runners,
        checked_on: Some(Machine::this()),
        server,
    };
    let stored = |b: crate::baseline::Baseline| {
        let server = b.server_figures();
        baseline(b.into_parts(), server)
    };
    let path = Path::new(spec);
    if spec.ends_with(".json") && path.is_file() {
        return Ok(stored(read_baseline(path)?));
    }
    if validate_name(spec).is_ok() {
        let store = Store::open(store);
        if store.path_of(spec)?.exists() {
            return Ok(stored(store.load(spec)?));
        }
    }
    match load_run(path) {
        Ok(run) => Ok(baseline(
            (vec![RunSummary::from_run(&run)], vec![run.runner_summary()]),
            vec![server_of(&run)?],
        )),
        // A run that is there but cannot be read says why, not "no baseline".
        Err(err)
            if path.exists()
                || path.with_extension("").exists()
                || Path::new(&format!("{spec}_stats.csv")).exists() =>
        {
            Err(err.context(format!(
                "--baseline {spec}: not a loadgate baseline, nor a run loadgate reads"
            )))
        }
        Err(_) if !required && validate_name(spec).is_ok() => {
            Ok(baseline((Vec::new(), Vec::new()), Vec::new()))
        }
        Err(_) => {
            let store = Store::open(store);
            bail!(
                "no baseline '{spec}': not a name in {} and not a run or baseline file on disk",
                store.dir().display()
            )
        }
    }
}
