//! `loadgate server`: what a metrics backend holds for a run's window (presets, series, points,
//! range) and each `[[server]]` rule's value, to help write rules. Its verdict is the rules': a
//! failed rule exits 1; data not read is a warning, or exit 2 under `--require-server-metrics`.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::analysis::RunJudgement;
use crate::config::{ConfigFile, Flags, Settings};
use crate::ingest::load_run;
use crate::model::{Run, Status};
use crate::profile::Profile;
use crate::report::print;
use crate::server::rules::Rule;
use crate::server::source::{connect, SourcePlan, URL_ENV};
use crate::server::{listing, read, window, ServerReading};

/// What `server` was asked to do.
#[derive(Debug, Clone)]
pub struct ServerPlan {
    pub run: PathBuf,
    /// `--profile`, else the config's, else `default`: its `[[server]]` rules and `[gate]`.
    pub profile: Option<String>,
    pub source: SourcePlan,
    pub stdout: Listing,
}

/// How the listing is printed (its own shape, not one of the report's formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Table,
    Json,
}

/// The profile's `[[server]]` rules, typed, and a client for the backend the plan, the
/// environment and the project's config name: what every command that reads the server starts with.
pub(crate) fn rules_and_client(
    profile: &Profile,
    plan: &SourcePlan,
    config: Option<&ConfigFile>,
) -> Result<(Vec<Rule>, crate::server::client::Client)> {
    let rules = profile
        .server
        .iter()
        .map(Rule::from_profile)
        .collect::<Result<Vec<_>>>()?;
    let configured = config.map(ConfigFile::prometheus).unwrap_or_default();
    Ok((rules, connect(plan, &configured)?))
}

pub fn run(plan: &ServerPlan) -> Result<Status> {
    let config = ConfigFile::discover(&std::env::current_dir()?)?;
    let flags = Flags {
        profile: plan.profile.clone(),
        ..Flags::default()
    };
    let (profile, profile_source) = Settings::resolve(&flags, config.as_ref()).profile()?;
    let (rules, client) = rules_and_client(&profile, &plan.source, config.as_ref())?;
    let run = load_run(&plan.run)?;
    let span = window::choose(window::run_span(&run), plan.source.from, plan.source.to)?;
    let reading = read(&client, span, &rules, &profile.gate, &profile_source);
    let text = match plan.stdout {
        Listing::Table => listing::table(&reading),
        Listing::Json => format!("{:#}\n", listing::json(&reading)),
    };
    print(text.as_bytes())?;
    if plan.source.require {
        require_all_read(&reading, &plan.run.display().to_string())?;
    }
    Ok(reading.status())
}

/// Each run judged with what the server did in its window, when a backend is named (`--prometheus`,
/// `LOADGATE_PROMETHEUS_URL`, or the config's `[prometheus] url`): `check`, `compare` and `ab`
/// share it. The profile's `[[server]]` rules are graded by its `[gate]` and join each run's
/// verdict; what could not be read is a note (at least `warn`), or exit 2 under
/// `--require-server-metrics`. Without a backend the runs are as they were, and a profile's rules
/// say in a note that they were not graded.
pub fn judge_server(
    runs: Vec<RunJudgement>,
    plan: &SourcePlan,
    profile: &Profile,
    profile_source: &str,
) -> Result<Vec<RunJudgement>> {
    let (config, named) = backend_named(plan)?;
    if !named {
        let n = profile.server.len();
        let mut runs = runs;
        // A built-in profile's rules are there for those who have a backend; a profile of the
        // project's own asked for them, so it is told they were not graded.
        if n > 0 && !profile_source.starts_with("builtin:") {
            for run in &mut runs {
                run.notes.push(format!(
                    "the profile's {n} [[server]] rule(s) were not graded: no metrics backend was given (--prometheus URL)"
                ));
            }
        }
        return Ok(runs);
    }
    let (rules, client) = rules_and_client(profile, plan, config.as_ref())?;
    let mut judged = Vec::with_capacity(runs.len());
    for run in runs {
        let reading = read_run(&run.run, (&client, &rules), plan, profile, profile_source)?;
        judged.push(run.with_server(reading, &profile.regression));
    }
    Ok(judged)
}

/// What the server did in `run`'s window, for a baseline to keep (`baseline save`, the baseline
/// run of `compare`): `None` when no backend is named (`--prometheus`, the environment, the
/// config). What was not read is left out of the figures and said in the reading's notes.
pub fn read_for_baseline(
    run: &Run,
    plan: &SourcePlan,
    profile: &Profile,
    profile_source: &str,
) -> Result<Option<ServerReading>> {
    let (config, named) = backend_named(plan)?;
    if !named {
        return Ok(None);
    }
    let (rules, client) = rules_and_client(profile, plan, config.as_ref())?;
    read_run(run, (&client, &rules), plan, profile, profile_source).map(Some)
}

/// The project's config, and whether a backend is named (`--prometheus`, the environment, the
/// config's `[prometheus] url`); with none, `--require-server-metrics` is an error.
fn backend_named(plan: &SourcePlan) -> Result<(Option<ConfigFile>, bool)> {
    let config = ConfigFile::discover(&std::env::current_dir()?)?;
    let named = plan.url.as_deref().is_some_and(|u| !u.trim().is_empty())
        || config.as_ref().and_then(|c| c.prometheus_url()).is_some();
    if !named && plan.require {
        bail!("--require-server-metrics: no Prometheus to read: give --prometheus URL, set {URL_ENV}, or [prometheus] url in loadgate.toml");
    }
    Ok((config, named))
}

/// What the server did in `run`'s window (or `--from`/`--to`); under `--require-server-metrics`
/// anything not read is an error.
fn read_run(
    run: &Run,
    (client, rules): (&crate::server::client::Client, &[Rule]),
    plan: &SourcePlan,
    profile: &Profile,
    profile_source: &str,
) -> Result<ServerReading> {
    let span = window::choose(window::run_span(run), plan.from, plan.to)?;
    let reading = read(client, span, rules, &profile.gate, profile_source);
    if plan.require {
        require_all_read(&reading, &run.files.prefix.display().to_string())?;
    }
    Ok(reading)
}

/// `--require-server-metrics`: anything not read is an input error naming the first thing.
pub fn require_all_read(reading: &ServerReading, of: &str) -> Result<()> {
    let Some(first) = reading.notes.first() else {
        return Ok(());
    };
    bail!(
        "--require-server-metrics: {} thing(s) not read from {} for {of}; first: {}{}",
        reading.notes.len(),
        reading.source,
        first
            .subject
            .as_ref()
            .map_or(String::new(), |s| format!("{s}: ")),
        first.message
    );
}
